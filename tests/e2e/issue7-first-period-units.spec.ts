import { test, expect, type Page } from '@playwright/test';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ownServer } from './own-server.js';

/**
 * Issue 7 items 7 and 10 in the browser, as a commune officer and a city clerk use them:
 * - Setup shows "Kỳ báo cáo đầu tiên: Quý …", lets the officer pick another, and the periods before
 *   it are greyed "Trước khi sử dụng", never red "Quá hạn"; no "Chờ gửi" without network delivery.
 * - Replacing the unit list: a preview first, asked again when most units would disappear, every
 *   version downloads as CSV (UTF-8 with BOM) and can be used again; a period keeps its list (totals
 *   unchanged after a merger and a rename) until the clerk moves it, with confirmation.
 * Screenshots at 1366x768 and 1024x768: tests/output/screenshots/i7e-*.png.
 */

const SHOTS = path.resolve('tests/output/screenshots');
mkdirSync(SHOTS, { recursive: true });
const CITY_PORT = Number(process.env.E2E_PORT ?? 47631) + 1;
const CITY = `http://127.0.0.1:${CITY_PORT}`;
const PERIOD = '2026-Q2';

async function shot(page: Page, name: string): Promise<void> {
  await page.waitForTimeout(250);
  for (const width of [1366, 1024]) {
    await page.setViewportSize({ width, height: 768 });
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: path.join(SHOTS, `i7e-${name}-${width}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1366, height: 768 });
}

async function expectNoTrace(page: Page): Promise<void> {
  const text = await page.locator('body').innerText();
  expect(text).not.toMatch(/\bat \S+ \(|\n\s+at |TypeError|ReferenceError|undefined|NaN|\[object Object\]/);
}

test.describe.configure({ mode: 'serial' });

// A database of its own: this file counts revisions from 1 and starts from the first-start screen.
const own = ownServer(5, 'cr-e2e-first-period-');

test('commune setup: the first period is shown and can be changed; earlier periods are "Trước khi sử dụng", never "Quá hạn"', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Thiết lập lần đầu' })).toBeVisible();
  const unit = page.getByTestId('unit-select');
  await unit.click();
  await unit.pressSequentially('bach long vi');
  await page.getByRole('option', { name: 'Đặc khu Bạch Long Vĩ' }).click();
  // The suggestion: the first period still open for filing (the list gives none for this unit).
  const first = page.getByTestId('first-period');
  await expect(first).toContainText(/Kỳ báo cáo đầu tiên: Quý (I|II|III|IV)\/\d{4}/);
  await expect(first).toContainText('Các kỳ trước đó được ghi "Trước khi sử dụng" và không bị tính là quá hạn');
  await shot(page, '01-setup-first-period');
  // The officer picks an earlier one (the city asked for Quý III/2026).
  await page.getByTestId('first-period-select').click();
  await page.getByRole('option', { name: 'Quý III/2026', exact: true }).click();
  await expect(first).toContainText('Kỳ báo cáo đầu tiên: Quý III/2026');
  await shot(page, '02-setup-first-period-changed');
  await page.getByRole('button', { name: 'Bắt đầu' }).click();

  // The home, "Việc phải nộp" (issue 9), owes nothing from before the first period; all the periods are one link away.
  await expect(page.getByRole('heading', { name: 'Việc phải nộp' })).toBeVisible();
  await expect(page.getByTestId('todo-item').first()).toBeVisible();
  await expect(page.locator('[data-testid="todo-item"][data-period="2026-Q2"]')).toHaveCount(0);
  await page.getByRole('button', { name: 'Tất cả kỳ báo cáo theo mẫu' }).click();
  await expect(page.getByTestId('first-period-note')).toContainText('Kỳ báo cáo đầu tiên của đơn vị: Quý III/2026');
  const rows = page.locator('[data-period]');
  await expect(rows).toHaveCount(8);
  for (const code of ['2026-Q2', '2026-Q1', '2025-Q4', '2025-Q3', '2025-Q2', '2025-Q1']) {
    const row = page.locator(`[data-period="${code}"]`);
    await expect(row).toContainText('Trước khi sử dụng');
    await expect(row).not.toContainText('Quá hạn');
    await expect(row).toHaveClass(/period-before-start/);
  }
  // At most the first period itself is overdue (its deadline, 20/09/2026, may have passed).
  expect(await page.getByText('Quá hạn', { exact: true }).count()).toBeLessThanOrEqual(1);
  await expectNoTrace(page);
  await shot(page, '03-periods-before-start');

  // A period before the first one can still be filed (here by the command line, on the same database):
  // it shows as submitted, and without network delivery there is no "Chờ gửi".
  const json = path.join(mkdtempSync(path.join(tmpdir(), 'i7e-commune-')), 'q2.json');
  const sample = execFileSync(process.execPath, ['--import', 'tsx', '-e', "import('./tests/helpers/sample.ts').then((m) => process.stdout.write(JSON.stringify(m.sampleReturn())))"], { encoding: 'utf8' });
  writeFileSync(json, sample);
  execFileSync(process.execPath, ['bin/commune-returns.js', 'submit', '--db', own.db, '--from-json', json], { stdio: 'pipe' });
  await page.reload();
  const q2 = page.locator('[data-period="2026-Q2"]');
  await expect(q2).toContainText('Đã nộp (lần 1)');
  await expect(page.getByTestId('connection-indicator')).toContainText('Chưa cấu hình gửi qua mạng');
  await expect(q2).not.toContainText('Chờ gửi');
  await expect(page.getByText('Chờ gửi')).toHaveCount(0);
  await shot(page, '04-periods-submitted-no-delivery');
});

test.describe('city: unit lists', () => {
  let server: ChildProcess;
  let dir: string;

  test.beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'i7e-city-'));
    execFileSync(process.execPath, ['--import', 'tsx', 'tests/e2e/city-fixtures.ts', dir], { stdio: 'pipe' });
    server = spawn(process.execPath, ['bin/commune-returns.js', 'web', '--db', path.join(dir, 'city.sqlite'), '--port', String(CITY_PORT)], { stdio: 'pipe' });
    for (let i = 0; i < 300; i++) {
      try {
        if ((await fetch(`${CITY}/`)).ok) return;
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

  const rpc = async (page: Page, name: string, data: unknown) => {
    const r = await page.request.post(`${CITY}/api/rpc/${name}`, { data });
    const body = (await r.json()) as { ok: boolean; result: unknown; error?: { message: string } };
    if (!body.ok) throw new Error(body.error?.message ?? name);
    return body.result as Record<string, unknown>;
  };

  test('a one-row list: preview, asked again, download, restore', async ({ page }) => {
    await page.goto(CITY);
    await page.getByRole('radio', { name: 'Thành phố' }).check();
    await page.getByRole('button', { name: 'Bắt đầu' }).click();
    await expect(page.getByRole('tab', { name: 'Nhập báo cáo' })).toHaveAttribute('aria-selected', 'true');
    await page.getByRole('tab', { name: 'Danh mục đơn vị' }).click();
    await expect(page.getByTestId('units-current')).toContainText('114 đơn vị');
    const one = path.join(dir, 'mot-dong.csv');
    writeFileSync(one, 'code,type,name\n11948,đặc khu,Đặc khu Bạch Long Vĩ\n');
    const chooser = page.waitForEvent('filechooser');
    await page.getByTestId('units-import').click();
    await (await chooser).setFiles(one);
    // The preview: nothing has changed yet.
    const preview = page.getByTestId('units-preview');
    await expect(preview).toContainText('Xem trước mot-dong.csv: 1 đơn vị, so với danh mục đang dùng (114 đơn vị)');
    await expect(page.getByTestId('units-removed')).toContainText('Không còn trong danh mục: 113');
    await expect(page.getByTestId('units-ask-again')).toContainText('Danh sách mới sẽ bỏ 113 trong 114 đơn vị hiện có (99%)');
    await expect(page.getByTestId('units-versions').locator('tbody tr')).toHaveCount(1);
    // Confirming without ticking the second confirmation is refused next to the box.
    await page.getByTestId('units-confirm').click();
    await expect(preview).toContainText('Hãy đánh dấu ô xác nhận ở trên');
    await expect(page.getByTestId('units-current')).toContainText('114 đơn vị');
    await expectNoTrace(page);
    await shot(page, '10-units-preview-ask-again');
    await page.getByTestId('units-ask-again-check').check();
    await page.getByTestId('units-confirm').click();
    await expect(page.getByTestId('units-result')).toBeVisible();
    await expect(page.getByTestId('units-current')).toContainText('1 đơn vị');
    await shot(page, '11-units-replaced');

    // Download the shipped version: CSV, UTF-8 with a BOM, 114 units.
    const shippedRow = page.getByTestId('units-versions').locator('tbody tr').last();
    const download = page.waitForEvent('download');
    await shippedRow.getByTestId('units-download').click();
    const file = await download;
    const saved = path.join(dir, file.suggestedFilename());
    await file.saveAs(saved);
    const bytes = readFileSync(saved);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(bytes.toString('utf8')).toContain('Đặc khu Bạch Long Vĩ');
    expect(bytes.toString('utf8').trimEnd().split('\r\n')).toHaveLength(115);

    // Use the shipped version again: a preview, then a new version equal to it.
    await shippedRow.getByTestId('units-restore').click();
    await expect(preview).toContainText('Xem trước khi dùng lại phiên bản');
    await expect(page.getByTestId('units-added')).toContainText('Thêm mới: 113');
    await shot(page, '12-units-restore-preview');
    await page.getByTestId('units-confirm').click();
    await expect(page.getByTestId('units-result')).toContainText('Đã dùng lại phiên bản');
    await expect(page.getByTestId('units-current')).toContainText('114 đơn vị');
    await expect(page.getByTestId('units-versions').locator('tbody tr')).toHaveCount(3);
    await expectNoTrace(page);
    await shot(page, '13-units-restored');
  });

  test('a period keeps its list: area and sites unchanged after a merger and a rename, until the clerk moves it', async ({ page }) => {
    // Packages of Quý II/2026 (14 units) imported through the app's own call.
    const folder = path.join(dir, 'goi-bao-cao');
    const files = readdirSync(folder)
      .filter((f) => f.endsWith('.xlsx'))
      .map((f) => ({ fileName: f, data: readFileSync(path.join(folder, f)).toString('base64') }));
    await rpc(page, 'city.import', { files, dryRun: false });
    const q = { template: 'BC-CX', period: PERIOD };
    type Cons = { units: Record<string, unknown>; hq: Record<string, unknown>; unitListVersion: string };
    const before = (await rpc(page, 'city.consolidation', q)) as unknown as Cons;
    const fx = JSON.parse(readFileSync(path.join(dir, 'fixtures.json'), 'utf8')) as { units: { code: string; type: string; name: string }[] };
    const units = readFileSync('resources/units/haiphong.csv', 'utf8').trimEnd().split(/\r?\n/).slice(1).map((l) => l.split(','));
    const submitted = new Set(readdirSync(folder).filter((f) => f.endsWith('.xlsx')).map((f) => f.split('_')[1]));
    const [a, b, renamed] = fx.units.filter((u) => submitted.has(u.code));
    const merged = units.filter(([code]) => code !== a!.code && code !== b!.code).map(([code, type, name]) => [code, type, code === renamed!.code ? `${name} Mới` : name]);
    const list = ['code,type,name', ...merged.map((r) => r.join(',')), '99002,xã,Xã Hợp Nhất'].join('\n') + '\n';
    const listFile = path.join(dir, 'sap-nhap.csv');
    writeFileSync(listFile, list);

    await page.goto(CITY);
    await page.getByRole('tab', { name: 'Danh mục đơn vị' }).click();
    await expect(page.getByTestId('units-current')).toContainText('114 đơn vị');
    const chooser = page.waitForEvent('filechooser');
    await page.getByTestId('units-import').click();
    await (await chooser).setFiles(listFile);
    await expect(page.getByTestId('units-removed')).toContainText('Không còn trong danh mục: 2');
    await expect(page.getByTestId('units-renamed')).toContainText(`${renamed!.name} Mới`);
    await expect(page.getByTestId('units-ask-again')).toHaveCount(0);
    await page.getByTestId('units-confirm').click();
    await expect(page.getByTestId('units-result')).toBeVisible();

    const after = (await rpc(page, 'city.consolidation', q)) as unknown as Cons;
    expect(after.units).toEqual(before.units);
    expect(after.hq).toEqual(before.hq);
    expect(after.unitListVersion).toBe(before.unitListVersion);

    await page.goto(`${CITY}/#/city/consolidation`);
    const notice = page.getByTestId('period-list-notice');
    await expect(notice).toContainText(`Kỳ này dùng danh mục đơn vị ${before.unitListVersion}`);
    await expectNoTrace(page);
    await shot(page, '20-consolidation-pinned');
    await page.goto(`${CITY}/#/city/completeness`);
    await expect(page.getByTestId('count-expected')).toContainText('114');
    await expect(page.getByTestId('count-submitted')).toContainText('14');
    await page.getByTestId('period-list-move').click();
    await expect(page.getByRole('dialog')).toContainText('Tỷ lệ đầy đủ và số liệu tổng hợp của Quý II/2026 sẽ được tính lại theo danh mục');
    await shot(page, '21-completeness-move-confirm');
    await page.getByTestId('period-list-confirm').click();
    await expect(page.getByTestId('period-list-notice')).toHaveCount(0);
    await expect(page.getByTestId('count-expected')).toContainText('113');
    await expect(page.getByTestId('count-submitted')).toContainText('12');
    await expect(page.getByTestId('unlisted')).toContainText(a!.name);
    await expectNoTrace(page);
    await shot(page, '22-completeness-moved');
  });
});
