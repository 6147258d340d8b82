import { test, expect, type Page } from '@playwright/test';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';

/**
 * The city role in the browser mode, driven the way a clerk at Sở Nội vụ uses it: its own server
 * and SQLite file, real packages written by core/xlsx (tests/e2e/city-fixtures.ts), a folder, a
 * .zip, a junk file, a duplicate, a revision 2 and a conflict. Every screen goes to
 * tests/output/screenshots/city-*.png.
 */

const OUT = path.resolve('tests/output');
const SHOTS = path.join(OUT, 'screenshots');
mkdirSync(SHOTS, { recursive: true });
const PORT = Number(process.env.E2E_PORT ?? 47631) + 2;
const BASE = `http://127.0.0.1:${PORT}`;
const PERIOD = '2026-Q2';

interface Fixtures {
  units: { code: string; type: string; name: string }[];
  late: string[];
  edited: string;
  revised: string;
  conflicted: string;
  duplicate: string;
  dropped: { code: string; type: string; name: string };
  added: { code: string; type: string; name: string };
}

let server: ChildProcess;
let dir: string;
let fx: Fixtures;

async function shot(page: Page, name: string): Promise<void> {
  await page.waitForTimeout(250);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(SHOTS, `city-${name}.png`), fullPage: true });
}

/** No stack trace or programmer's text anywhere on the page. */
async function expectNoTrace(page: Page): Promise<void> {
  const text = await page.locator('body').innerText();
  expect(text).not.toMatch(/\bat \S+ \(|\n\s+at |TypeError|ReferenceError|undefined|NaN|\[object Object\]/);
}

const nameOf = (code: string) => fx.units.find((u) => u.code === code)!.name;
const resultRow = (page: Page, outcome: string) =>
  page.locator(`[data-testid="import-results"] tr[data-result="${outcome}"]`);

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'city-e2e-'));
  // The packages are written Node side by the real writer (core/xlsx), through tsx.
  execFileSync(process.execPath, ['--import', 'tsx', 'tests/e2e/city-fixtures.ts', dir], { stdio: 'pipe' });
  fx = JSON.parse(readFileSync(path.join(dir, 'fixtures.json'), 'utf8')) as Fixtures;
  server = spawn(
    process.execPath,
    ['bin/commune-returns.js', 'web', '--db', path.join(dir, 'city.sqlite'), '--port', String(PORT)],
    {
      stdio: 'pipe',
    },
  );
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`${BASE}/`)).ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the city server did not start');
});

test.afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server.once('exit', r));
    server.kill('SIGTERM');
    await exited;
  }
});

test.beforeEach(async ({ page }) => {
  await page.addInitScript(() => {
    delete (window as { showSaveFilePicker?: unknown }).showSaveFilePicker;
  });
});

test('import: a dry run stores nothing; a folder, a zip and a drop give the per-file result table; a conflict is resolved', async ({
  page,
}) => {
  await page.goto(BASE);
  await page.getByRole('radio', { name: 'Thành phố' }).check();
  await page.getByRole('button', { name: 'Bắt đầu' }).click();
  await expect(page.getByRole('tab', { name: 'Nhập báo cáo' })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByTestId('connection-indicator')).toContainText('Chưa cấu hình gửi qua mạng');
  await shot(page, '01-import-empty');

  // Dry run of the folder: the table, but nothing stored.
  await page.getByRole('switch', { name: 'Chạy thử (không lưu)' }).check();
  await page.getByTestId('import-folder').setInputFiles(path.join(dir, 'goi-bao-cao'));
  await expect(page.getByTestId('dry-run-note')).toBeVisible();
  await expect(page.locator('[data-outcome-count="imported"]')).toContainText('Đã nhập: 14');
  await expect(page.locator('[data-outcome-count="refused"]')).toContainText('Bị từ chối: 1');
  await shot(page, '02-dry-run');
  const periods = await (
    await page.request.post(`${BASE}/api/rpc/city.periods`, { data: { template: 'BC-CX' } })
  ).json();
  expect(periods.result.find((p: { code: string }) => p.code === PERIOD).submitted).toBe(0);

  // The real import of the folder: 14 imported, the junk file refused with a Vietnamese reason.
  await page.getByRole('switch', { name: 'Chạy thử (không lưu)' }).uncheck();
  await page.getByTestId('import-folder').setInputFiles(path.join(dir, 'goi-bao-cao'));
  await expect(page.getByTestId('import-progress')).toBeHidden({ timeout: 60_000 });
  await expect(page.locator('[data-outcome-count="imported"]')).toContainText('Đã nhập: 14');
  await expect(page.getByTestId('dry-run-note')).toBeHidden();
  const junk = resultRow(page, 'refused');
  await expect(junk).toHaveCount(1);
  await expect(junk).toContainText('ghi-chu.txt');
  await expect(junk).toContainText('Bị từ chối');
  expect(await junk.locator('td').last().innerText()).toMatch(/[ăâđêôơư]/);
  await expect(resultRow(page, 'imported').filter({ hasText: nameOf(fx.edited) })).toContainText('Sửa ngoài ứng dụng');
  await expectNoTrace(page);
  await shot(page, '03-imported-folder');

  // The archive: 6 new, a duplicate, a revision 2 that supersedes revision 1, a conflict.
  await page.getByTestId('import-files').setInputFiles(path.join(dir, 'dot-2.zip'));
  await expect(page.locator('[data-outcome-count="imported"]')).toContainText('Đã nhập: 6', { timeout: 60_000 });
  await expect(page.locator('[data-outcome-count="duplicate"]')).toContainText('Đã có (trùng): 1');
  await expect(resultRow(page, 'superseded')).toContainText('Thay thế lần nộp 1');
  await expect(resultRow(page, 'superseded')).toContainText(nameOf(fx.revised));
  const conflict = resultRow(page, 'conflict');
  await expect(conflict).toContainText(nameOf(fx.conflicted));
  await expect(conflict.getByRole('button', { name: 'Giữ gói mới' })).toBeVisible();
  await shot(page, '04-imported-zip-conflict');
  await conflict.getByRole('button', { name: 'Giữ gói đã có' }).click();
  await expect(conflict.getByTestId('conflict-resolved')).toContainText('Đã giữ gói đã có');
  await expect(conflict.getByRole('button', { name: 'Giữ gói mới' })).toBeHidden();

  // Drag and drop one file already imported: the same package again changes nothing.
  const bytes = readFileSync(path.join(dir, 'goi-bao-cao', `BC-CX_${fx.units[0]!.code}_${PERIOD}_r1.xlsx`)).toString(
    'base64',
  );
  const dt = await page.evaluateHandle(
    ({ b64, name }) => {
      const bin = atob(b64);
      const arr = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) arr[i] = bin.charCodeAt(i);
      const d = new DataTransfer();
      d.items.add(new File([arr], name));
      return d;
    },
    { b64: bytes, name: `BC-CX_${fx.units[0]!.code}_${PERIOD}_r1.xlsx` },
  );
  await page.getByTestId('drop-zone').dispatchEvent('drop', { dataTransfer: dt });
  await expect(page.locator('[data-outcome-count="duplicate"]')).toContainText('Đã có (trùng): 1');
  await expect(page.locator('[data-testid="import-results"] tbody tr')).toHaveCount(1);
  await shot(page, '05-dropped-duplicate');
});

test('completeness: every unit with its state, counts, chart, filters and accent-insensitive search', async ({
  page,
}) => {
  await page.goto(`${BASE}/#/city/completeness`);
  await expect(page.getByTestId('city-period')).toHaveValue(/Quý II\/2026/);
  await expect(page.getByTestId('count-expected')).toContainText('114');
  await expect(page.getByTestId('count-submitted')).toContainText('20');
  await expect(page.getByTestId('count-submitted')).toContainText('17,54%');
  await expect(page.getByTestId('count-late')).toContainText('2');
  await expect(page.getByTestId('count-missing')).toContainText('94');
  await expect(
    page.getByTestId('state-chart').locator('[data-chart-group="all"] [data-segment="late"]'),
  ).toHaveAttribute('data-count', '2');
  await expect(
    page.getByTestId('state-chart').locator('[data-chart-group="đặc khu"] [data-segment="on_time"]'),
  ).toHaveAttribute('data-count', '2');
  await expectNoTrace(page);
  await shot(page, '06-completeness');

  await page.getByTestId('filter-type').getByText('Phường', { exact: true }).click();
  await expect(page.getByTestId('filtered-count')).toContainText('45/114');
  await page.getByTestId('filter-state').click();
  await page.getByRole('option', { name: 'Đã nộp đúng hạn' }).click();
  await expect(page.locator('[data-testid="completeness-table"] tbody tr')).toHaveCount(8);
  await shot(page, '07-completeness-filtered');
  await page.getByTestId('filter-type').getByText('Tất cả', { exact: true }).click();
  await page.getByTestId('filter-state').click();
  await page.getByRole('option', { name: 'Đã nộp quá hạn' }).click();
  await expect(page.locator('[data-testid="completeness-table"] tbody tr')).toHaveCount(2);
  for (const code of fx.late) await expect(page.locator(`tr[data-unit="${code}"]`)).toContainText('Đã nộp quá hạn');
  await page.getByTestId('filter-state').click();
  await page.getByRole('option', { name: 'Tất cả trạng thái' }).click();
  // "an hung" finds "Xã An Hưng" (accents folded).
  const someone = fx.units.find((u) => /[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]/i.test(u.name))!;
  const folded = someone.name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/đ/g, 'd')
    .replace(/Đ/g, 'D')
    .toLowerCase()
    .replace(/^(xa|phuong|dac khu) /, '');
  await page.getByTestId('unit-search').fill(folded);
  await expect(page.locator(`tr[data-unit="${someone.code}"]`)).toBeVisible();
  await shot(page, '08-completeness-search');
});

test('review: read-only biểu, revisions and their diff; return one with a reason, accept another', async ({ page }) => {
  await page.goto(`${BASE}/#/city/completeness`);
  await page.getByTestId('unit-search').fill(nameOf(fx.revised));
  await page.locator(`tr[data-unit="${fx.revised}"]`).getByRole('button', { name: /Xem/ }).click();
  await expect(page.getByTestId('review-title')).toContainText(`${nameOf(fx.revised)} · Quý II/2026`);
  await expect(page.getByTestId('review-state')).toHaveText('Đã nhận, chờ kiểm tra');
  // Read-only: values as text, no input cells.
  await expect(page.locator('[data-value="unit_info.population"]')).toHaveText(/^\d{1,3}(\.\d{3})+$/);
  await expect(page.locator('input[data-cell]:not([readonly])')).toHaveCount(0);
  await page.getByRole('tab', { name: /Biểu 05/ }).click();
  await expect(page.locator('[data-computed="procedures.fields.total.on_time_rate"]')).toHaveText(/^\d{1,3},\d{1,2}%$/);
  await expect(page.locator('input[data-cell]:not([readonly]), textarea[data-cell]')).toHaveCount(0);
  await shot(page, '09-review-bieu05');
  await page.getByRole('tab', { name: /Biểu 01/ }).click();
  // The revisions and what changed from 1 to 2.
  await expect(page.getByTestId('review-revisions').locator('tbody tr')).toHaveCount(2);
  await page.getByRole('button', { name: 'So sánh' }).click();
  await expect(page.getByTestId('changes-table')).toContainText('Dân số');
  await shot(page, '10-review-diff');

  // Return for correction: the reason is required.
  await page.getByRole('button', { name: 'Trả lại để chỉnh sửa' }).click();
  await page.getByRole('button', { name: 'Trả lại', exact: true }).click();
  await expect(page.getByText('Hãy ghi lý do trả lại để đơn vị biết cần sửa gì.')).toBeVisible();
  await shot(page, '11-return-reason-required');
  const reason = 'Biểu 01: dân số tăng 1.250 người so với lần nộp 1, đề nghị kiểm tra và ghi giải trình.';
  await page.getByTestId('return-reason').fill(reason);
  await page.getByRole('button', { name: 'Trả lại', exact: true }).click();
  await expect(page.getByTestId('review-state')).toHaveText('Đã trả lại');
  await expect(page.getByTestId('returned-reason')).toContainText(reason);
  await shot(page, '12-returned');

  // Another unit, whose file was edited outside the app: flagged; accepted.
  await page.goto(`${BASE}/#/city/review/${PERIOD}/${fx.edited}`);
  await expect(page.getByTestId('edited-outside')).toHaveText('Sửa ngoài ứng dụng');
  await page.getByRole('button', { name: 'Tiếp nhận' }).click();
  await expect(page.getByTestId('review-state')).toHaveText('Đã tiếp nhận');
  await expectNoTrace(page);
  await shot(page, '13-accepted-edited-outside');

  await page.getByRole('button', { name: 'Về danh sách tình hình nộp' }).click();
  await expect(page.getByTestId('count-accepted')).toContainText('1');
  await expect(page.getByTestId('count-returned')).toContainText('1');
  await expect(page.locator(`tr[data-unit="${fx.revised}"]`)).toContainText(reason);
});

test('consolidation: the Biểu tổng hợp on screen in Vietnamese formats, and the workbook', async ({ page }) => {
  await page.goto(`${BASE}/#/city/consolidation`);
  await expect(page.getByTestId('consolidation')).toBeVisible();
  const completeness = page.getByTestId('cons-completeness');
  await expect(completeness.locator('tr[data-row="total"]')).toContainText('114');
  await expect(page.getByTestId('cons-units')).toContainText(/\d{1,3}(\.\d{3})+/); // population 1.234.567
  await expect(page.getByTestId('cons-procedures-fields').locator('tr[data-row="total"]')).toContainText(
    /\d{1,3},\d{2}%/,
  );
  await expect(page.getByTestId('cons-staff-blocks').locator('tr[data-row="total"]')).toBeVisible();
  await expect(page.getByTestId('per-unit-table').locator('tbody tr')).toHaveCount(51); // 50 a page + totals
  await expect(page.getByTestId('per-unit-table').locator('tr[data-unit="total"]')).toContainText('20 đơn vị đã nộp');
  await expectNoTrace(page);
  await shot(page, '14-consolidation');
  // The blocks one by one, at the size a clerk reads them.
  for (const block of ['cons-completeness', 'cons-staff', 'cons-hq', 'cons-procedures', 'cons-per-unit'])
    await page.getByTestId(block).screenshot({ path: path.join(SHOTS, `city-14-${block}.png`) });
  await page.getByTestId('per-unit-sheet').getByText('Biểu 05').click();
  await expect(page.getByTestId('per-unit-table').locator('tr[data-unit="total"]')).toContainText(/\d,\d{2}%/);
  await shot(page, '15-consolidation-per-unit-bieu05');

  const download = page.waitForEvent('download');
  await page.getByTestId('export-consolidation').click();
  const file = await download;
  expect(file.suggestedFilename()).toBe(`BC-CX_tong-hop_${PERIOD}.xlsx`);
  const saved = path.join(OUT, file.suggestedFilename());
  await file.saveAs(saved);
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(saved);
  expect(wb.worksheets.length).toBeGreaterThan(1);
});

test('unit list: replaced from a CSV; the added and removed units are shown; the removed unit is shown apart', async ({
  page,
}) => {
  await page.goto(`${BASE}/#/city/units`);
  await expect(page.getByTestId('units-current')).toContainText('114 đơn vị');
  const chooser = page.waitForEvent('filechooser');
  await page.getByTestId('units-import').click();
  await (await chooser).setFiles(path.join(dir, 'danh-muc-moi.csv'));
  // A preview first (issue 7 item 10): nothing changes until the clerk confirms.
  await expect(page.getByTestId('units-preview')).toBeVisible();
  await expect(page.getByTestId('units-versions').locator('tbody tr')).toHaveCount(1);
  await page.getByTestId('units-confirm').click();
  await expect(page.getByTestId('units-result')).toBeVisible();
  await expect(page.getByTestId('units-added')).toContainText(fx.added.name);
  await expect(page.getByTestId('units-removed')).toContainText(fx.dropped.name);
  await expect(page.getByTestId('units-current')).toContainText('114 đơn vị');
  await expect(page.getByTestId('units-versions').locator('tbody tr')).toHaveCount(2);
  await shot(page, '16-units-replaced');

  await page.getByRole('tab', { name: 'Tình hình nộp' }).click();
  // The period keeps the list it was first used with until the clerk moves it (issue 7 item 10).
  await page.getByTestId('period-list-move').click();
  await page.getByTestId('period-list-confirm').click();
  await expect(page.getByTestId('unlisted')).toContainText(fx.dropped.name);
  await expect(page.getByTestId('count-submitted')).toContainText('19');
  await shot(page, '17-completeness-unlisted');

  // English: unit types in English too.
  await page.getByText('English', { exact: true }).click();
  await expect(page.getByTestId('filter-type')).toContainText('Ward');
  await expect(page.locator('[data-testid="completeness-table"] tbody tr').first()).toContainText(
    /commune|ward|special zone/,
  );
  await shot(page, '18-completeness-english');
  await page.getByText('Tiếng Việt', { exact: true }).click();
  await expect(page.getByTestId('filter-type')).toContainText('Phường');
});
