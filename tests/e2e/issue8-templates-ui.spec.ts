import { test, expect, type Page } from '@playwright/test';
import ExcelJS from 'exceljs';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ownServer } from './own-server.js';

/**
 * Issue 8 items 1 and 2 in the browser mode, the clerk's whole path (engineer C):
 * - the city: "Mẫu báo cáo" → download the empty starter, fill it (here with ExcelJS, as a clerk
 *   would in Excel) into a small template, open it → preview (sample values, a unit chooser) →
 *   publish version 1; a broken workbook → every problem with its sheet, row and column; a changed
 *   workbook → version 2; the authoring workbook of version 2 and the file for communes (signed by
 *   the city, issue 9) downloaded;
 * - a commune (its own server): "Nhận mẫu báo cáo" refuses the workbook beside the button and takes
 *   the signed file; choose the template, fill it, submit, export the package;
 * - the city: import that package, see it in completeness and in the Biểu tổng hợp.
 * Screens go to tests/output/screenshots/issue8-templates-*.png (1366x768, the main ones 1024x768).
 */

const OUT = path.resolve('tests/output');
const SHOTS = path.join(OUT, 'screenshots');
mkdirSync(SHOTS, { recursive: true });
const DIR = mkdtempSync(path.join(tmpdir(), 'issue8-templates-ui-'));

const city = ownServer(20, 'issue8-templates-city-');
const commune = ownServer(21, 'issue8-templates-commune-');

const TEMPLATE_ID = 'TT-TCD';
const TITLE = 'Báo cáo tình hình tiếp công dân';
const UNIT = { code: '11311', name: 'Phường Hồng Bàng' };

async function shot(page: Page, name: string): Promise<void> {
  await page.waitForTimeout(250);
  const y = await page.evaluate(() => window.scrollY);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(SHOTS, `issue8-templates-${name}.png`), fullPage: true });
  await page.evaluate((v) => window.scrollTo(0, v), y);
}

async function shotBoth(page: Page, name: string): Promise<void> {
  await shot(page, `${name}-1366`);
  await page.setViewportSize({ width: 1024, height: 768 });
  await shot(page, `${name}-1024`);
  await page.setViewportSize({ width: 1366, height: 768 });
}

/** No stack trace or programmer's text anywhere on the page. */
async function expectNoTrace(page: Page): Promise<void> {
  const text = await page.locator('body').innerText();
  expect(text).not.toMatch(/\bat \S+ \(|\n\s+at |TypeError|ReferenceError|undefined|NaN|\[object Object\]/);
}

/** Click a button that starts a download; the file saved under DIR. */
async function download(page: Page, click: () => Promise<void>): Promise<string> {
  const d = page.waitForEvent('download');
  await click();
  const file = await d;
  const to = path.join(DIR, file.suggestedFilename());
  await file.saveAs(to);
  return to;
}

/** Choose a file through a FileButton (a hidden input opened by a button). */
async function chooseFile(page: Page, button: string, file: string): Promise<void> {
  const chooser = page.waitForEvent('filechooser');
  await page.getByTestId(button).click();
  await (await chooser).setFiles(file);
}

// ── The authoring workbook, filled the way a clerk fills the starter ─────────────────────────

type Row = Record<string, string | number>;

/** The row holding a sheet's headings (the first row whose cells include `first`), and each heading's column. */
function headings(ws: ExcelJS.Worksheet, first: string): { row: number; col: Map<string, number> } {
  for (let r = 1; r <= Math.min(ws.rowCount, 10); r++) {
    const col = new Map<string, number>();
    ws.getRow(r).eachCell((c, n) => {
      const v = String(c.text ?? '').trim();
      if (v) col.set(v.toLowerCase(), n);
    });
    if (col.has(first.toLowerCase())) return { row: r, col };
  }
  throw new Error(`sheet ${ws.name}: no heading "${first}"`);
}

/** Replace the rows under a sheet's headings with these (by heading). */
function fillSheet(wb: ExcelJS.Workbook, sheet: string, first: string, rows: Row[]): void {
  const ws = wb.getWorksheet(sheet);
  if (!ws) throw new Error(`the starter has no sheet "${sheet}"`);
  const h = headings(ws, first);
  // The starter's example rows go: every cell under the headings emptied.
  for (let r = h.row + 1; r <= ws.rowCount; r++) {
    const row = ws.getRow(r);
    for (let c = 1; c <= Math.max(ws.columnCount, row.cellCount); c++) row.getCell(c).value = null;
    row.commit();
  }
  rows.forEach((r, i) => {
    const row = ws.getRow(h.row + 1 + i);
    for (const [k, v] of Object.entries(r)) {
      const c = h.col.get(k.toLowerCase());
      if (!c) throw new Error(`sheet ${sheet}: no heading "${k}"`);
      row.getCell(c).value = v;
    }
    row.commit();
  });
}

/** The settings sheet: a value set on the row that names the setting (added when missing). */
function setSettings(wb: ExcelJS.Workbook, values: Record<string, string | number | null>): void {
  const ws = wb.getWorksheet('Cài đặt');
  if (!ws) throw new Error('the starter has no sheet "Cài đặt"');
  const h = headings(ws, 'Thiết lập');
  const nameCol = h.col.get('thiết lập')!;
  const valueCol = h.col.get('giá trị')!;
  for (const [name, value] of Object.entries(values)) {
    let at = 0;
    for (let r = h.row + 1; r <= ws.rowCount; r++)
      if (String(ws.getRow(r).getCell(nameCol).text).trim().toLowerCase() === name.toLowerCase()) at = r;
    if (!at) at = ws.rowCount + 1;
    ws.getRow(at).getCell(nameCol).value = name;
    ws.getRow(at).getCell(valueCol).value = value;
    ws.getRow(at).commit();
  }
}

const FORM: Row[] = [
  { Loại: 'bắt đầu biểu', Mã: 'chung', Nhãn: 'Tình hình chung', 'Ký hiệu': 'Biểu 01' },
  { Loại: 'chữ', Mã: 'nguoi_lap', Nhãn: 'Người lập biểu', 'Bắt buộc': 'có' },
  { Loại: 'ngày', Mã: 'ngay_bao_cao', Nhãn: 'Ngày lập báo cáo' },
  { Loại: 'số nguyên', Mã: 'so_cuoc', Nhãn: 'Số cuộc tiếp công dân', 'Bắt buộc': 'có', 'Tối thiểu': '0' },
  { Loại: 'số nguyên', Mã: 'so_luot', Nhãn: 'Số lượt người được tiếp', 'Bắt buộc': 'có', 'Tối thiểu': '0' },
  { Loại: 'tiền', Mã: 'kinh_phi', Nhãn: 'Kinh phí bảo đảm', 'Đơn vị tiền': 'triệu đồng', 'Tối thiểu': '0' },
  {
    Loại: 'đoạn văn',
    Mã: 'kho_khan',
    Nhãn: 'Khó khăn, vướng mắc và kiến nghị',
    'Gợi ý': 'Ghi ngắn gọn khó khăn và đề xuất với thành phố.',
  },
  { Loại: 'kết thúc biểu' },
  { Loại: 'bắt đầu biểu', Mã: 'don_thu', Nhãn: 'Đơn thư theo lĩnh vực', 'Ký hiệu': 'Biểu 02' },
  { Loại: 'bắt đầu bảng', Mã: 'linh_vuc', Nhãn: 'Đơn thư tiếp nhận và giải quyết', 'Nhãn dòng': 'Lĩnh vực' },
  { Loại: 'số nguyên', Mã: 'tiep_nhan', Nhãn: 'Tiếp nhận', 'Tối thiểu': '0' },
  { Loại: 'số nguyên', Mã: 'da_giai_quyet', Nhãn: 'Đã giải quyết', 'Tối thiểu': '0' },
  { Loại: 'dòng', Mã: 'dat_dai', Nhãn: 'Đất đai' },
  { Loại: 'dòng', Mã: 'moi_truong', Nhãn: 'Môi trường' },
  { Loại: 'dòng tổng', Mã: 'tong', Nhãn: 'Tổng số' },
  { Loại: 'kết thúc bảng' },
  { Loại: 'kết thúc biểu' },
];

const RULES: Row[] = [
  {
    Mã: 'luot_it_nhat_bang_cuoc',
    'Mức độ': 'lỗi',
    'Loại kiểm tra': 'so sánh',
    'Ô cần sửa': 'chung.so_luot',
    'Điều kiện': '${chung.so_luot} >= ${chung.so_cuoc}',
    'Thông báo': 'Số lượt người được tiếp phải ít nhất bằng số cuộc tiếp công dân. Hãy kiểm tra lại hai số này.',
  },
];

const CONSOLIDATION: Row[] = [
  { Mã: 'so_cuoc', 'Cách tính': 'tổng', Ô: 'chung.so_cuoc', Nhãn: 'Tổng số cuộc tiếp công dân' },
  { Mã: 'so_luot', 'Cách tính': 'tổng', Ô: 'chung.so_luot', Nhãn: 'Tổng số lượt người được tiếp' },
  { Mã: 'linh_vuc', 'Cách tính': 'tổng', Ô: 'don_thu.linh_vuc', Nhãn: 'Đơn thư theo lĩnh vực' },
];

async function authoringWorkbook(starter: string, out: string, form: Row[], title = TITLE): Promise<string> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(starter);
  setSettings(wb, {
    'Mã mẫu': TEMPLATE_ID,
    'Phiên bản': 1,
    Tên: title,
    'Cơ quan nhận': 'Thanh tra thành phố Hải Phòng',
    'Loại kỳ': 'quý',
    'Hạn nộp ngày': 20,
    'Người lập biểu': 'chung.nguoi_lap',
    'Thủ trưởng': null,
  });
  fillSheet(wb, 'Danh sách', 'Giá trị', []);
  fillSheet(wb, 'Biểu mẫu', 'Loại', form);
  fillSheet(wb, 'Kiểm tra', 'Mức độ', RULES);
  fillSheet(wb, 'Tổng hợp', 'Cách tính', CONSOLIDATION);
  await wb.xlsx.writeFile(out);
  return out;
}

test.describe.configure({ mode: 'serial' });

test.beforeEach(async ({ page }) => {
  // The File System Access picker cannot be driven headless: take the download path of Save As.
  await page.addInitScript(() => {
    delete (window as { showSaveFilePicker?: unknown }).showSaveFilePicker;
  });
});

let starter = '';
let published = '';
let publishedSigned = '';
let packageFile = '';

test('the city writes a template from the starter, previews it and publishes version 1', async ({ page }) => {
  const setup = await page.request.post(`${city.base}/api/rpc/app.setup`, { data: { role: 'city' } });
  expect((await setup.json()).ok).toBe(true);
  // The city's signing key: the one whose public key ships with the app (tests/fixtures/keys), as
  // `city key import` installs it, so that the commune below trusts the files this city signs.
  const said = execFileSync(
    process.execPath,
    ['bin/commune-returns.js', 'city', 'key', 'import', '--db', city.db, '--in', path.resolve('tests/fixtures/keys/city-private.pem')],
    { encoding: 'utf8' },
  );
  expect(said).toContain('Đã cài khóa ký của Thành phố');
  await page.goto(`${city.base}/`);
  await expect(page.getByRole('tab', { name: 'Nhập báo cáo' })).toHaveAttribute('aria-selected', 'true');
  // The template choice shows BC-CX first (today's tests see its periods right away).
  await expect(page.getByTestId('template-choice')).toHaveValue(/^BC-CX — /);

  // "Mẫu báo cáo" is a tab of the city: reached from the keyboard (arrow keys move between tabs).
  await page.getByRole('tab', { name: 'Nhập báo cáo' }).focus();
  for (let i = 0; i < 4; i++) await page.keyboard.press('ArrowRight');
  await expect(page.getByRole('tab', { name: 'Mẫu báo cáo' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('tab', { name: 'Mẫu báo cáo' })).toHaveAttribute('aria-selected', 'true');
  const list = page.getByTestId('templates-list');
  await expect(list.locator('[data-template^="BC-CX@"]')).toHaveCount(1);
  await expect(list.locator('[data-template^="BC-CX@"]')).toContainText('Có sẵn');
  await shotBoth(page, '01-city-list');

  starter = await download(page, () => page.getByTestId('template-starter').click());
  expect(path.basename(starter)).toMatch(/\.xlsx$/);
  await expect(page.getByText(/Đã xuất tệp/)).toBeVisible();

  const v1 = await authoringWorkbook(starter, path.join(DIR, 'tiep-cong-dan-v1.xlsx'), FORM);
  await chooseFile(page, 'template-open', v1);
  const checked = page.getByTestId('template-checked');
  await expect(checked).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId('template-preview-title')).toHaveText(`Xem trước: ${TEMPLATE_ID} — ${TITLE}`);
  await expect(page.getByTestId('template-publish')).toHaveText('Công bố phiên bản 1');

  // The preview: the form as a commune sees it, filled with sample values, editable, with the checks.
  const preview = page.getByTestId('template-preview');
  await expect(preview.locator('[data-section-tab="chung"]')).toContainText('Biểu 01');
  await expect(preview.locator('[data-cell="chung.so_cuoc"]')).not.toHaveValue('');
  await expect(preview.getByText('Ghi ngắn gọn khó khăn và đề xuất với thành phố.')).toBeVisible();
  await shotBoth(page, '02-city-preview');

  // Make the rule fail on screen: fewer people than meetings.
  await preview.locator('[data-cell="chung.so_cuoc"]').fill('50');
  await preview.locator('[data-cell="chung.so_luot"]').fill('3');
  await preview.locator('[data-cell="chung.so_luot"]').press('Tab');
  await expect(preview.locator('[data-issue="luot_it_nhat_bang_cuoc"]').first()).toContainText(
    'Số lượt người được tiếp phải ít nhất bằng số cuộc tiếp công dân',
  );
  await preview.locator('[data-cell="chung.so_luot"]').fill('60');
  await expect(preview.locator('[data-issue="luot_it_nhat_bang_cuoc"]')).toHaveCount(0);
  await preview.locator('[data-section-tab="don_thu"]').click();
  await expect(preview.locator('[data-section="don_thu"]')).toContainText('Tổng số');
  await shot(page, '03-city-preview-table-1366');

  // A unit for the preview.
  await page.getByTestId('preview-unit').click();
  await page.getByTestId('preview-unit').fill('hong bang');
  await page.getByRole('option', { name: /Phường Hồng Bàng/ }).click();
  await expect(preview).toContainText('Đang xem như Phường Hồng Bàng');
  await expect(preview.locator('[data-section-tab="chung"]')).toBeVisible();

  // The two preview files.
  const pkg = await download(page, () => page.getByTestId('preview-package').click());
  expect(path.basename(pkg)).toMatch(/\.xlsx$/);
  const sum = await download(page, () => page.getByTestId('preview-consolidation').click());
  expect(path.basename(sum)).toMatch(/\.xlsx$/);
  const summary = new ExcelJS.Workbook();
  await summary.xlsx.readFile(sum);
  expect(summary.worksheets.length).toBeGreaterThan(0);

  // Publish version 1, behind a confirmation that says what publishing does.
  await page.getByTestId('template-publish').click();
  const dialog = page.getByRole('dialog');
  await expect(dialog).toContainText(`Công bố mẫu ${TEMPLATE_ID}, phiên bản 1?`);
  await expect(dialog).toContainText('Phiên bản đã công bố không sửa được');
  await shotBoth(page, '04-city-publish-confirm');
  await dialog.getByTestId('template-publish-confirm').click();
  await expect(page.getByTestId('template-published')).toBeVisible({ timeout: 30_000 });
  await expect(list.locator(`[data-template="${TEMPLATE_ID}@1"]`)).toContainText('Đã công bố');
  await shot(page, '05-city-published-v1-1366');
  await expectNoTrace(page);

  // The template is in the choice (on the other tabs).
  await page.getByRole('tab', { name: 'Tình hình nộp' }).click();
  await page.getByTestId('template-choice').click();
  await expect(page.getByRole('option', { name: `${TEMPLATE_ID} — ${TITLE}` })).toBeVisible();
  await page.keyboard.press('Escape');
});

test('a broken workbook lists every problem with its sheet, row and column; version 2 is published and downloaded', async ({
  page,
}) => {
  await page.goto(`${city.base}/#/city/templates`);
  await expect(page.getByTestId('templates-list')).toBeVisible();

  // Three mistakes: an unknown type (row 3 of the form, under the headings), a duplicate key, an
  // expression naming an unknown item.
  const broken = FORM.map((r) => ({ ...r }));
  broken[2] = { Loại: 'số lượng', Mã: 'ngay_bao_cao', Nhãn: 'Ngày lập báo cáo' };
  broken[4] = { ...broken[4]!, Mã: 'so_cuoc' };
  const file = await authoringWorkbook(starter, path.join(DIR, 'tiep-cong-dan-loi.xlsx'), broken);
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(file);
  const rules = wb.getWorksheet('Kiểm tra')!;
  const h = headings(rules, 'Mức độ');
  rules.getRow(h.row + 1).getCell(h.col.get('điều kiện')!).value = '${chung.so_nguoi} >= ${chung.so_cuoc}';
  await wb.xlsx.writeFile(file);
  const formHeadings = headings(wb.getWorksheet('Biểu mẫu')!, 'Loại');

  await chooseFile(page, 'template-open', file);
  const problems = page.getByTestId('template-problems');
  await expect(problems).toBeVisible({ timeout: 30_000 });
  await expect(problems).toContainText('Trang tính');
  await expect(problems).toContainText('Dòng');
  await expect(problems).toContainText('Cột');
  await expect(problems).toContainText('Vấn đề');
  await expect(problems).toContainText('Chưa có gì được công bố');
  const rows = problems.locator('[data-problem]');
  expect(await rows.count()).toBeGreaterThanOrEqual(3);
  // The unknown type, at its row and the "Loại" column.
  const typeRow = formHeadings.row + 3;
  await expect(problems.locator(`[data-problem^="Biểu mẫu!"][data-problem$="${typeRow}"]`).first()).toContainText(
    'số lượng',
  );
  await expect(problems.locator('[data-problem^="Kiểm tra!"]').first()).toContainText('so_nguoi');
  // Sorted in the workbook's order: the form's problems (by row) before the checks'.
  const order = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-problem')!));
  const firstRules = order.findIndex((p) => p.startsWith('Kiểm tra!'));
  const lastForm = order.map((p) => p.startsWith('Biểu mẫu!')).lastIndexOf(true);
  expect(lastForm).toBeGreaterThanOrEqual(0);
  expect(firstRules).toBeGreaterThan(lastForm);
  const formRows = order.filter((p) => p.startsWith('Biểu mẫu!')).map((p) => Number(/(\d+)$/.exec(p)?.[1] ?? 0));
  expect(formRows).toEqual([...formRows].sort((a, b) => a - b));
  await expect(page.getByTestId('template-publish')).toHaveCount(0);
  await shotBoth(page, '06-city-problems');
  await expectNoTrace(page);

  // A file that is not a workbook: refused beside the file input, the list untouched.
  const junk = path.join(DIR, 'khong-phai-excel.xlsx');
  writeFileSync(junk, 'đây không phải là tệp Excel');
  await chooseFile(page, 'template-open', junk);
  await expect(page.getByTestId('template-file-error')).toContainText('Không mở được tệp "khong-phai-excel.xlsx"');
  await expect(page.getByTestId('templates-list').locator(`[data-template="${TEMPLATE_ID}@1"]`)).toBeVisible();
  await shot(page, '07-city-refused-file-1366');

  // Version 2: one more field.
  const v2form = [...FORM];
  v2form.splice(5, 0, { Loại: 'số nguyên', Mã: 'so_vu_phuc_tap', Nhãn: 'Số vụ việc phức tạp, kéo dài', 'Tối thiểu': '0' });
  const v2 = await authoringWorkbook(starter, path.join(DIR, 'tiep-cong-dan-v2.xlsx'), v2form);
  await chooseFile(page, 'template-open', v2);
  await expect(page.getByTestId('template-publish')).toHaveText('Công bố phiên bản 2', { timeout: 30_000 });
  await expect(page.getByTestId('template-preview').locator('[data-cell="chung.so_vu_phuc_tap"]')).toBeVisible();
  await page.getByTestId('template-publish').click();
  await expect(page.getByRole('dialog')).toContainText('Báo cáo đã lập theo phiên bản trước vẫn giữ phiên bản của chúng');
  await page.getByTestId('template-publish-confirm').click();
  await expect(page.getByTestId('template-published')).toBeVisible({ timeout: 30_000 });
  const list = page.getByTestId('templates-list');
  await expect(list.locator(`[data-template="${TEMPLATE_ID}@2"]`)).toBeVisible();
  await expect(list.locator(`[data-template="${TEMPLATE_ID}@1"]`)).toBeVisible();
  await shotBoth(page, '08-city-published-v2');

  published = await download(page, () => page.getByTestId(`workbook-${TEMPLATE_ID}@2`).click());
  const back = new ExcelJS.Workbook();
  await back.xlsx.readFile(published);
  const form = back.getWorksheet('Biểu mẫu')!;
  let found = false;
  form.eachRow((r) => r.eachCell((c) => (found ||= c.text === 'so_vu_phuc_tap')));
  expect(found).toBe(true);

  // What a commune can receive: the same version as a file the city signed (issue 9).
  publishedSigned = await download(page, () => page.getByTestId(`signed-${TEMPLATE_ID}@2`).click());
  expect(path.basename(publishedSigned)).toBe(`mau-${TEMPLATE_ID}-v2.json`);
});

test('a commune receives the template, fills it, submits and exports the package', async ({ page }) => {
  const setup = await page.request.post(`${commune.base}/api/rpc/app.setup`, {
    data: { role: 'commune', unitCode: UNIT.code },
  });
  expect((await setup.json()).ok).toBe(true);
  await page.goto(`${commune.base}/`);
  await expect(page.getByText(`${UNIT.name} · mã ${UNIT.code}`)).toBeVisible();
  // The home is "Việc phải nộp" (issue 9); the templates and their periods are one link away.
  await expect(page.getByRole('heading', { name: 'Việc phải nộp' })).toBeVisible();
  await expect(page.locator('[data-testid="todo-item"][data-template="BC-CX"]').first()).toBeVisible(); // the standing quarters
  await shot(page, '09-commune-home-1366');
  await page.getByRole('button', { name: 'Tất cả kỳ báo cáo theo mẫu' }).click();
  await expect(page.getByTestId('template-choice')).toHaveValue(/^BC-CX — /);
  await expect(page.locator('[data-period]').first()).toBeVisible();

  // The authoring workbook is not what an office takes (issue 9): refused beside the button, saying what to do.
  await chooseFile(page, 'template-receive', published);
  await expect(page.getByTestId('template-receive-error')).toContainText(
    'Mẫu báo cáo phải là tệp do Thành phố ký',
    { timeout: 30_000 },
  );
  await expect(page.getByTestId('template-receive-error')).toContainText('Hãy xin Thành phố gửi tệp đã ký');
  await expect(page.getByTestId('template-choice')).toHaveValue(/^BC-CX — /);
  await chooseFile(page, 'template-receive', publishedSigned);
  await expect(page.getByText('Đã nhận mẫu báo cáo')).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId('template-receive-error')).toHaveCount(0);
  await expect(page.getByTestId('template-choice')).toHaveValue(`${TEMPLATE_ID} — ${TITLE}`);
  await expect(page.getByRole('heading', { name: TITLE })).toBeVisible();
  await shotBoth(page, '10-commune-received');

  // The choice is remembered between visits.
  await page.reload();
  await expect(page.getByTestId('template-choice')).toHaveValue(`${TEMPLATE_ID} — ${TITLE}`);
  // And the other template is one choice away.
  await page.getByTestId('template-choice').click();
  await page.getByRole('option', { name: /^BC-CX — / }).click();
  await expect(page.getByTestId('template-choice')).toHaveValue(/^BC-CX — /);
  await page.getByTestId('template-choice').click();
  await page.getByRole('option', { name: `${TEMPLATE_ID} — ${TITLE}` }).click();
  await expect(page.getByRole('heading', { name: TITLE })).toBeVisible();

  // Open the latest period that is not "before start" and fill the return.
  const row = page.locator('[data-period]:not(.period-before-start)').first();
  const periodCode = await row.getAttribute('data-period');
  await row.click();
  await expect(page).toHaveURL(new RegExp(`#/return/${periodCode}$`));
  const cell = (p: string) => page.locator(`[data-cell="${p}"]`);
  await cell('chung.nguoi_lap').fill('Trần Thị Bình');
  await cell('chung.so_cuoc').fill('12');
  await cell('chung.so_luot').fill('30');
  await cell('chung.so_vu_phuc_tap').fill('1');
  await cell('chung.kinh_phi').fill('2,5');
  await cell('chung.kho_khan').fill('Trụ sở tiếp công dân chật, đề nghị thành phố hỗ trợ kinh phí sửa chữa.');
  await page.locator('[data-section-tab="don_thu"]').click();
  await cell('don_thu.linh_vuc.dat_dai.tiep_nhan').fill('8');
  await cell('don_thu.linh_vuc.dat_dai.da_giai_quyet').fill('6');
  await cell('don_thu.linh_vuc.moi_truong.tiep_nhan').fill('3');
  await cell('don_thu.linh_vuc.moi_truong.da_giai_quyet').fill('3');
  await cell('don_thu.linh_vuc.moi_truong.da_giai_quyet').press('Tab');
  await expect(page.locator('[data-computed="don_thu.linh_vuc.tong.tiep_nhan"]')).toHaveText('11');
  await expect(page.getByTestId('save-status')).toHaveAttribute('data-state', 'saved', { timeout: 15_000 });
  await shotBoth(page, '11-commune-filled');

  await page.getByTestId('submit-button').click();
  const dialog = page.getByRole('dialog');
  await dialog.getByTestId('confirm-submit').click();
  await expect(dialog.getByTestId('submit-done')).toContainText('Đã nộp lần 1', { timeout: 30_000 });
  await shot(page, '12-commune-submitted-1366');
  await dialog.getByRole('button', { name: 'Đóng' }).click();

  packageFile = await download(page, () => page.getByTestId('export-button').click());
  expect(path.basename(packageFile)).toMatch(new RegExp(`^${TEMPLATE_ID}.*\\.xlsx$`));
  await expectNoTrace(page);
});

test('the city imports the package and sees it in completeness and in the consolidation', async ({ page }) => {
  await page.goto(`${city.base}/#/city/import`);
  await page.getByTestId('template-choice').click();
  await page.getByRole('option', { name: `${TEMPLATE_ID} — ${TITLE}` }).click();
  await expect(page.getByTestId('template-choice')).toHaveValue(`${TEMPLATE_ID} — ${TITLE}`);
  await page.getByTestId('import-files').setInputFiles([packageFile]);
  await expect(page.locator('[data-outcome-count="imported"]')).toContainText('Đã nhập: 1', { timeout: 60_000 });
  await shot(page, '13-city-imported-1366');

  await page.getByRole('tab', { name: 'Tình hình nộp' }).click();
  await expect(page.locator(`[data-unit="${UNIT.code}"]`).first()).toBeVisible({ timeout: 30_000 });
  await expect(page.locator(`[data-unit="${UNIT.code}"]`).first()).not.toHaveAttribute('data-state', 'missing');
  await shotBoth(page, '14-city-completeness');

  await page.getByRole('tab', { name: 'Biểu tổng hợp' }).click();
  const consolidation = page.getByTestId('consolidation');
  await expect(consolidation).toBeVisible({ timeout: 30_000 });
  await expect(consolidation).toContainText('Tổng số cuộc tiếp công dân');
  await expect(consolidation).toContainText('12');
  await shotBoth(page, '15-city-consolidation');
  await expectNoTrace(page);
});
