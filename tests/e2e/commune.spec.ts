import { test, expect, type Page, type Locator } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';

/**
 * The commune app in the browser mode, driven the way an office clerk uses it: keyboard first,
 * real server, real SQLite, real .xlsx. Every screen is saved to tests/output/screenshots.
 */

const OUT = path.resolve('tests/output');
const SHOTS = path.join(OUT, 'screenshots');
mkdirSync(SHOTS, { recursive: true });

async function shot(page: Page, name: string, opts: { viewport?: boolean } = {}): Promise<void> {
  await page.waitForTimeout(250); // let transitions settle so the picture shows the final state
  if (opts.viewport) {
    // What the clerk sees on a 1366×768 screen at the current scroll position.
    await page.screenshot({ path: path.join(SHOTS, `${name}-screen.png`) });
  }
  // The whole page; scrolled to the top first so the fixed header is drawn in its place.
  const y = await page.evaluate(() => window.scrollY);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  await page.evaluate((v) => window.scrollTo(0, v), y);
}

/** Type into the focused cell, then Enter to the next one (as in a spreadsheet). */
async function enter(page: Page, ...values: string[]): Promise<void> {
  for (const v of values) {
    const key = /^\{(\w+)\}$/.exec(v)?.[1];
    if (key) await page.keyboard.press(key);
    else if (v) await page.keyboard.type(v);
    await page.keyboard.press('Enter');
  }
}

const focused = (page: Page): Locator => page.locator(':focus');
const cell = (page: Page, path: string): Locator => page.locator(`[data-cell="${path}"]`);
const computed = (page: Page, path: string): Locator => page.locator(`[data-computed="${path}"]`);

async function expectSaved(page: Page, timeout = 15_000): Promise<void> {
  await expect(page.getByTestId('save-status')).toHaveAttribute('data-state', 'saved', { timeout });
  await expect(page.getByTestId('save-status')).toContainText(/Đã lưu lúc \d{2}:\d{2}:\d{2}/);
}

/** No stack trace or programmer's error text anywhere on the page. */
async function expectNoTrace(page: Page): Promise<void> {
  const text = await page.locator('body').innerText();
  expect(text).not.toMatch(
    /\bat \S+ \(|\n\s+at |TypeError|ReferenceError|SyntaxError|stack|undefined|NaN|\[object Object\]/,
  );
}

const year = new Date().getFullYear();
const Q2 = `${year}-Q2`;

test.describe.configure({ mode: 'serial' });

test.beforeEach(async ({ page }) => {
  // The File System Access picker cannot be driven headless: take the download path of Save As.
  await page.addInitScript(() => {
    delete (window as { showSaveFilePicker?: unknown }).showSaveFilePicker;
  });
});

test('first start: choose the commune role and find the unit without accents; periods with statuses', async ({
  page,
}) => {
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Thiết lập lần đầu' })).toBeVisible();
  await shot(page, '01-first-start');

  await expect(page.getByRole('radio', { name: 'Xã, phường, đặc khu' })).toBeChecked();
  const unit = page.getByTestId('unit-select');
  await unit.click();
  await unit.pressSequentially('hong bang');
  const option = page.getByRole('option', { name: 'Phường Hồng Bàng' });
  await expect(option).toBeVisible();
  await expect(page.getByRole('option')).toHaveCount(1);
  await shot(page, '02-unit-search-hong-bang');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await expect(unit).toHaveValue('Phường Hồng Bàng');
  await page.getByRole('button', { name: 'Bắt đầu' }).click();

  await expect(page.getByText('Phường Hồng Bàng · mã 11311')).toBeVisible();
  // The commune's home is "Việc phải nộp" (issue 9); the periods of one template are one link away.
  await expect(page.getByRole('heading', { name: 'Việc phải nộp' })).toBeVisible();
  await expect(page.locator('[data-testid="todo-item"][data-template="BC-CX"]').first()).toBeVisible(); // the standing quarters
  await page.getByRole('button', { name: 'Tất cả kỳ báo cáo theo mẫu' }).click();
  await expect(page).toHaveURL(/#\/periods$/);
  const rows = page.locator('[data-period]');
  await expect(rows).toHaveCount(8);
  await expect(page.locator(`[data-period="${year}-Q4"]`)).toContainText(`Quý IV/${year}`);
  await expect(page.locator(`[data-period="${Q2}"]`)).toContainText(`20/06/${year}`);
  await expect(page.locator(`[data-period="${Q2}"]`)).toContainText(`15/03/${year} – 14/06/${year}`);
  // Periods whose deadline has passed are overdue; the others are not started. The setup suggested
  // the first period still open as the unit's first period: periods before it are "Trước khi sử dụng",
  // never overdue (issue 7 item 7).
  const today = new Date().toISOString().slice(0, 10);
  const q4 = page.locator(`[data-period="${year}-Q4"]`);
  await expect(q4).toContainText(today > `${year}-12-20` ? 'Quá hạn' : 'Chưa lập');
  if (today > `${year}-06-20`) await expect(page.locator(`[data-period="${Q2}"]`)).toContainText('Trước khi sử dụng');
  await expectNoTrace(page);
  await shot(page, '03-periods');
});

test('fill a whole return with the keyboard, meet errors, fix them, explain a warning, submit, revise, diff, export and re-import', async ({
  page,
}) => {
  await page.goto('/#/periods');
  // Open Quý II with the keyboard.
  await page.locator(`[data-period="${Q2}"]`).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('editor-title')).toContainText(`Quý II/${year} · Phường Hồng Bàng`);
  await shot(page, '04-editor-empty');

  // ── Biểu 01: typed only with the keyboard; Enter moves to the next cell.
  await cell(page, 'unit_info.unit_class').focus();
  await enter(page, 'LLL'); // the select's type-ahead: L, L, L → Loại III
  await expect(cell(page, 'unit_info.unit_class')).toHaveValue('III');
  await expect(focused(page)).toHaveAttribute('data-cell', 'unit_info.area_km2');
  await enter(page, '12,5', '12.000', 'K', 'K', '95,5', 'C', 'Nguyễn Văn An', '0225 3123 456');
  await page.keyboard.type('Trần Thị Bình');
  await expect(cell(page, 'unit_info.area_km2')).toHaveValue('12,5');
  await expect(cell(page, 'unit_info.population')).toHaveValue('12.000');
  await expect(computed(page, 'unit_info.one_stop_area_band')).toHaveText('80 đến dưới 100 m²');
  await expect(cell(page, 'unit_info.one_stop_equipped')).toHaveValue('true');
  // The population is outside the usual range of a ward: a warning next to the cell.
  const popWarning = page.locator('[data-issue="unit_info.population_range"]');
  await expect(popWarning).toContainText(
    'Dân số 12.000 người nằm ngoài khoảng thường gặp của phường (16.000–157.000 người)',
  );
  await expectSaved(page);
  await shot(page, '05-bieu01-filled-warning');
  await page.keyboard.press('Enter'); // past the last cell: on to Biểu 02

  // ── Biểu 02
  await expect(focused(page)).toHaveAttribute('data-cell', 'staff.blocks.party_front.cbcc_quota');
  await enter(page, '20', '18', '1', '1', '30', '27', '40', '38');
  await expect(computed(page, 'staff.blocks.total.cbcc_quota')).toHaveText('50');
  await expect(computed(page, 'staff.blocks.total.vc_gap')).toHaveText('2');
  // Part-time workers: paid (14) > approved (12) is an error.
  await enter(page, '25', '12', '14', '0', '1', '0', '0');
  await enter(page, '1', '2', '', '', '', '', '', '', '', '1', '');
  await expect(computed(page, 'staff.departures.nd178_67.total')).toHaveText('3');
  await expect(computed(page, 'staff.departures.total.total')).toHaveText('4');
  const paidError = page.locator('[data-issue="staff.nhdkct_leave_paid"]');
  await expect(paidError).toContainText('Số đã chi trả chế độ (14) không được lớn hơn số đã phê duyệt nghỉ việc (12)');
  await expect(cell(page, 'staff.nhdkct_leave_paid')).toHaveClass(/has-error/);
  await shot(page, '06-bieu02-paid-over-approved', { viewport: true });
  await page.keyboard.press('Enter'); // on to Biểu 03

  // ── Biểu 03: no site yet, Enter lands on "Thêm trụ sở"; Enter adds a row and goes into it.
  await expect(focused(page)).toHaveAttribute('data-add-row', 'hq.sites');
  await page.keyboard.press('Enter');
  await expect(focused(page)).toHaveAttribute('data-cell', 'hq.sites.0.name');
  await enter(page, 'Trụ sở UBND phường, số 1 Hoàng Văn Thụ', 'T', '1.500', '620', 'X');
  // "Cơ quan sử dụng": Space ticks, Tab goes to the next box, Enter leaves the group.
  await page.keyboard.press('Space');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Space');
  await page.keyboard.press('Enter');
  await expect(focused(page)).toHaveAttribute('data-add-row', 'hq.sites');
  await page.keyboard.press('Enter'); // a second site
  await enter(page, 'Nhà làm việc bộ phận một cửa', 'K', '300', '150', 'T');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Space'); // Trung tâm Phục vụ hành chính công
  await expect(computed(page, 'hq.site_count')).toHaveText('2');
  // Reorder and remove rows.
  await page.locator('[data-row-action="hq.sites.1.up"]').click();
  await expect(cell(page, 'hq.sites.0.name')).toHaveValue('Nhà làm việc bộ phận một cửa');
  await page.locator('[data-row-action="hq.sites.0.down"]').click();
  await expect(cell(page, 'hq.sites.0.name')).toHaveValue('Trụ sở UBND phường, số 1 Hoàng Văn Thụ');
  await expect(cell(page, 'hq.sites.0.origin')).toHaveValue('former_commune');
  await expect(cell(page, 'hq.sites.0.land_m2')).toHaveValue('1.500');
  await shot(page, '07-bieu03-two-sites');
  await page.locator('[data-row-action="hq.sites.1.remove"]').click();
  await expect(computed(page, 'hq.site_count')).toHaveText('1');
  await cell(page, 'hq.plan').focus();
  await enter(page, 'C', '1');
  await page.keyboard.type('2'); // decided (2) > surplus (1): an error
  await expect(page.locator('[data-issue="hq.surplus_decided"]')).toContainText(
    'không được lớn hơn số nhà, đất dôi dư (1)',
  );
  await page.keyboard.press('Enter'); // on to Biểu 04

  // ── Biểu 04: cars; a fraction where a count is required.
  await expect(focused(page)).toHaveAttribute('data-add-row', 'vehicles.cars');
  await page.keyboard.press('Enter');
  await enter(page, '15A-012.34', '7', '2014', '2015', '{ArrowDown}');
  await page.keyboard.press('Enter');
  await enter(page, '15C-456.78', '4,5', '2016', '2017', 'C');
  await expect(computed(page, 'vehicles.cars_in_use')).toHaveText('1');
  await expect(computed(page, 'vehicles.shortfall')).toHaveText('1');
  await expect(computed(page, 'vehicles.norm')).toHaveText('2');
  await expect(cell(page, 'vehicles.cars.1.year_made')).toHaveValue('2016');
  await expect(page.locator('[data-issue="cell:vehicles.cars.1.seats"]')).toContainText('phải là số nguyên');
  await shot(page, '08-bieu04-cars-fraction');
  await page.keyboard.press('Control+PageDown'); // next biểu, as between spreadsheet sheets

  // ── Biểu 05: procedures, a row that does not balance and a negative count.
  await expect(focused(page)).toHaveAttribute('data-cell', 'procedures.fields.ho_tich.carried_over');
  await enter(page, '2', '140', '35', '0', '120', '50', '1', '5', '0', '0', '170', '160', '20', '3');
  await enter(page, '0', '60', '240', '0', '280', '20', '0', '0', '0', '0', '300', '300', '0', '10');
  await enter(page, '10', '5', '30', '2', '20', '15', '3', '5', '2', '2', '40', '30', '-5', '0');
  await expect(computed(page, 'procedures.fields.ho_tich.received_total')).toHaveText('177');
  await expect(computed(page, 'procedures.fields.ho_tich.on_time_rate')).toHaveText('99,42%');
  await expect(computed(page, 'procedures.fields.total.received_total')).toHaveText('524');
  await expect(computed(page, 'procedures.fields.total.online_rate')).toHaveText('40,04%');
  const balance = page.locator('[data-issue="procedures.balance:ho_tich"]');
  await expect(balance).toContainText(
    'Hộ tịch: tổng số hồ sơ nhận (177) phải bằng đã giải quyết + đang giải quyết + trả lại, rút hồ sơ (176)',
  );
  await expect(page.locator('[data-issue="cell:procedures.fields.dat_dai.paid_online"]')).toContainText(
    'không được là số âm',
  );
  await expect(computed(page, 'procedures.fields.ho_tich.received_total')).toHaveClass(/has-error/);
  await expectSaved(page);
  await shot(page, '09-bieu05-errors-inline', { viewport: true });
  // Arrow keys move within a column; Shift+Enter goes back one cell.
  await page.keyboard.press('ArrowUp');
  await expect(focused(page)).toHaveAttribute('data-cell', 'procedures.fields.dat_dai.carried_over');
  await page.keyboard.press('Shift+Enter');
  await expect(focused(page)).toHaveAttribute('data-cell', 'procedures.fields.chung_thuc.cross_boundary');

  // ── Submission is blocked while errors remain; the summary lists them all.
  await page.getByTestId('submit-button').click();
  await expect(page.getByTestId('blocked-reason')).toContainText(
    'Chưa nộp được: còn 5 lỗi và 1 cảnh báo chưa giải trình',
  );
  await expect(page.getByTestId('error-count')).toHaveText('5 lỗi');
  const summary = page.getByTestId('issue-summary');
  await expect(summary).toContainText('Biểu 02, Số đã chi trả chế độ (14)');
  await expect(summary).toContainText('Biểu 05, Hộ tịch: tổng số hồ sơ nhận (177)');
  await expect(page.getByRole('dialog')).toHaveCount(0);
  await shot(page, '10-submit-blocked-summary');

  // Fix each from the summary: a click turns to the biểu and focuses the cell.
  await summary.locator('[data-jump="procedures.balance:ho_tich"]').click();
  await expect(focused(page)).toHaveAttribute('data-cell', 'procedures.fields.ho_tich.carried_over');
  await enter(page, '', '', '', '', '', '', '', '', '');
  await expect(focused(page)).toHaveAttribute('data-cell', 'procedures.fields.ho_tich.returned_withdrawn');
  await page.keyboard.type('1');
  await expect(balance).toHaveCount(0);
  await summary.locator('[data-jump="cell:procedures.fields.dat_dai.paid_online"]').click();
  await expect(focused(page)).toHaveAttribute('data-cell', 'procedures.fields.dat_dai.paid_online');
  await page.keyboard.type('5');
  await summary.locator('[data-jump="staff.nhdkct_leave_paid"]').click();
  await expect(page.getByRole('tab', { name: /Biểu 02/ })).toHaveAttribute('aria-selected', 'true');
  await expect(focused(page)).toHaveAttribute('data-cell', 'staff.nhdkct_leave_paid');
  await page.keyboard.type('12');
  await summary.locator('[data-jump="hq.surplus_decided"]').click();
  await expect(focused(page)).toHaveAttribute('data-cell', 'hq.surplus_decided');
  await page.keyboard.type('1');
  await summary.locator('[data-jump="cell:vehicles.cars.1.seats"]').click();
  await expect(focused(page)).toHaveAttribute('data-cell', 'vehicles.cars.1.seats');
  await page.keyboard.type('5');
  // An as-of date outside the period is refused next to the date, then put back.
  const asOf = cell(page, 'asof:vehicles');
  await asOf.fill('20/06/' + year);
  await page.keyboard.press('Tab');
  await expect(page.locator('[data-issue="asof:vehicles"]')).toContainText(
    `ngày "số liệu tính đến" 20/06/${year} nằm ngoài kỳ báo cáo (15/03/${year} – 14/06/${year})`,
  );
  await expect(page.getByTestId('error-count')).toHaveText('1 lỗi');
  await shot(page, '10b-asof-outside-period');
  await asOf.fill('14/06/' + year);
  await page.keyboard.press('Tab');
  await expect(page.getByTestId('error-count')).toHaveText('0 lỗi');
  await expect(page.getByTestId('blocked-reason')).toHaveText(
    'Chưa nộp được: còn 1 cảnh báo chưa giải trình. Hãy sửa các lỗi và ghi giải trình cho cảnh báo.',
  );

  // Explain the warning (giải trình).
  await summary.locator('[data-jump="unit_info.population_range"]').click();
  const explain = page.locator('[data-explain="unit_info.population_range"]');
  await explain.click();
  await page.keyboard.type('Phường mới thành lập, dân số theo số liệu của Công an phường tháng 6.');
  await expect(page.getByTestId('blocked-reason')).toHaveCount(0);
  await expectSaved(page);
  await shot(page, '11-all-fixed-warning-explained');

  // ── Submit → revision 1
  await page.getByTestId('submit-button').click();
  const dialog = page.getByRole('dialog');
  await expect(dialog).toContainText(`Nộp báo cáo Quý II/${year} của Phường Hồng Bàng?`);
  await expect(dialog.getByLabel('Người nộp')).toHaveValue('Nguyễn Văn An');
  await shot(page, '12-submit-confirm');
  await dialog.getByTestId('confirm-submit').click();
  await expect(dialog.getByTestId('submit-done')).toContainText('Đã nộp lần 1');
  const pkg1 = (await dialog.getByTestId('package-id').innerText()).trim();
  expect(pkg1.length).toBeGreaterThan(6);
  await shot(page, '13-submitted-revision-1');
  await dialog.getByRole('button', { name: 'Đóng' }).click();

  // ── A later change → revision 2
  await page.getByRole('tab', { name: /Biểu 02/ }).click();
  await cell(page, 'staff.recruited').focus();
  await page.keyboard.type('2');
  await expectSaved(page);
  await page.getByTestId('submit-button').click();
  await expect(dialog).toContainText('lần nộp 2');
  await dialog.getByTestId('confirm-submit').click();
  await expect(dialog.getByTestId('submit-done')).toContainText('Đã nộp lần 2');
  const pkg2 = (await dialog.getByTestId('package-id').innerText()).trim();
  expect(pkg2).not.toBe(pkg1);
  await dialog.getByRole('button', { name: 'Đóng' }).click();

  // ── History and what changed between revision 1 and 2
  await page.getByRole('button', { name: 'Lịch sử' }).click();
  const drawer = page.getByRole('dialog');
  await expect(drawer.getByTestId('history-table').locator('[data-revision]')).toHaveCount(2);
  await expect(drawer.getByTestId('history-table')).toContainText('Nguyễn Văn An');
  await drawer.getByTestId('diff-from').selectOption('1');
  await drawer.getByTestId('diff-to').selectOption('2');
  await drawer.getByTestId('diff-run').click();
  const changes = drawer.getByTestId('changes-table');
  await expect(changes.locator('[data-change]')).toHaveCount(1);
  await expect(changes).toContainText('Biểu 02, Tuyển dụng trong kỳ');
  await expect(changes.locator('[data-change="staff.recruited"]')).toHaveText(/Tuyển dụng trong kỳ\s*0\s*2$/);
  await shot(page, '14-history-diff');
  await drawer.getByTestId('diff-from').selectOption('2');
  await drawer.getByTestId('diff-to').selectOption('draft');
  await drawer.getByTestId('diff-run').click();
  await expect(drawer.getByTestId('no-changes')).toBeVisible();
  await page.keyboard.press('Escape');

  // ── Export the package of revision 2 (Save As → a download in the browser)
  const downloadPromise = page.waitForEvent('download');
  await page.getByTestId('export-button').click();
  const download = await downloadPromise;
  expect(download.suggestedFilename()).toMatch(/\.xlsx$/);
  const exported = path.join(OUT, download.suggestedFilename());
  await download.saveAs(exported);
  expect(existsSync(exported)).toBe(true);
  await expect(page.getByText('Đã xuất tệp Excel')).toBeVisible();

  // ── Re-import the same file: values come back, nothing else changes.
  const before = await page.evaluate(() =>
    Array.from(document.querySelectorAll<HTMLInputElement | HTMLSelectElement>('[data-cell]')).map(
      (e) => `${e.dataset.cell}=${e.value}`,
    ),
  );
  const chooser1 = page.waitForEvent('filechooser');
  await page.getByTestId('import-button').click();
  await (await chooser1).setFiles(exported);
  // Issue 7: a file is previewed first; the same file changes nothing, so there is nothing to apply.
  const importDialog = page.getByTestId('import-preview');
  await expect(importDialog).toContainText('giống hệt bản nháp');
  await expect(importDialog.getByTestId('edited-outside')).toHaveCount(0);
  await expect(importDialog.getByTestId('import-apply')).toHaveCount(0);
  await shot(page, '15-import-same-file');
  await importDialog.getByTestId('import-cancel').click();
  const after = await page.evaluate(() =>
    Array.from(document.querySelectorAll<HTMLInputElement | HTMLSelectElement>('[data-cell]')).map(
      (e) => `${e.dataset.cell}=${e.value}`,
    ),
  );
  expect(after).toEqual(before);

  // ── A file edited outside the app: the change is reported and lands in the form.
  const edited = path.join(OUT, 'edited-population.xlsx');
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(exported);
  let hits = 0;
  wb.eachSheet((ws) =>
    ws.eachRow((row) =>
      row.eachCell((c) => {
        if (c.value === 12000) {
          c.value = 13500;
          hits++;
        }
      }),
    ),
  );
  expect(hits).toBe(1);
  await wb.xlsx.writeFile(edited);
  const chooser2 = page.waitForEvent('filechooser');
  await page.getByTestId('import-button').click();
  await (await chooser2).setFiles(edited);
  await expect(importDialog.getByTestId('changes-table')).toContainText('Biểu 01, Dân số (người)');
  await expect(importDialog.locator('[data-change="unit_info.population"]')).toContainText('12.000');
  await expect(importDialog.locator('[data-change="unit_info.population"]')).toContainText('13.500');
  await expect(importDialog.getByTestId('edited-outside')).toBeVisible();
  await shot(page, '16-import-edited-file');
  await importDialog.getByTestId('import-apply').click();
  await page.getByTestId('import-result').getByRole('button', { name: 'Đóng' }).click();
  await page.getByRole('tab', { name: /Biểu 01/ }).click();
  await expect(cell(page, 'unit_info.population')).toHaveValue('13.500');
  await expectSaved(page);

  // ── Print view (A4) of the same content
  await page.getByRole('button', { name: 'In', exact: true }).click();
  // Issue 7: the draft now differs from revision 2, so it prints only as a marked draft (or after submitting).
  await page.getByTestId('draft-output-draft').click();
  const print = page.getByTestId('print-view');
  await expect(print).toContainText('CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM');
  await expect(print).toContainText('UBND PHƯỜNG HỒNG BÀNG');
  await expect(print).toContainText('THỦ TRƯỞNG ĐƠN VỊ');
  await expect(print).toContainText('13.500');
  await shot(page, '17-print-view');
  await page.emulateMedia({ media: 'print' });
  await shot(page, '18-print-media');
  // Each A4 sheet as printed (the app's header and toolbar are hidden for print).
  const pages = print.locator('.print-page');
  await expect(pages).toHaveCount(5);
  for (let i = 0; i < 5; i++) await pages.nth(i).screenshot({ path: path.join(SHOTS, `18-print-page-${i + 1}.png`) });
  await page.emulateMedia({ media: 'screen' });
  await page.getByRole('button', { name: 'Quay lại biểu mẫu' }).click();

  // ── Back to the periods: Quý II is submitted (revision 2)
  await page.getByRole('button', { name: 'Về danh sách kỳ báo cáo' }).click();
  await expect(page.locator(`[data-period="${Q2}"]`)).toContainText('Đã nộp (lần 2)');
  await expectNoTrace(page);
  await shot(page, '19-periods-after-submit');
});

test('crash: the server is killed with SIGKILL while typing; what was shown as saved is there after a restart', async ({
  page,
}) => {
  const port = Number(process.env.E2E_PORT ?? 47631) + 1;
  const db = path.join(mkdtempSync(path.join(tmpdir(), 'commune-crash-')), 'crash.sqlite');
  const base = `http://127.0.0.1:${port}`;
  const start = async (): Promise<ChildProcess> => {
    const child = spawn(process.execPath, ['bin/commune-returns.js', 'web', '--db', db, '--port', String(port)], {
      stdio: 'pipe',
    });
    for (let i = 0; i < 200; i++) {
      try {
        const r = await fetch(`${base}/`);
        if (r.ok) return child;
      } catch {
        /* not up yet */
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('server did not start');
  };
  const kill = async (child: ChildProcess) => {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  };
  let server = await start();
  try {
    const setup = await page.request.post(`${base}/api/rpc/app.setup`, {
      data: { role: 'commune', unitCode: '11311' },
    });
    expect((await setup.json()).ok).toBe(true);
    const Q3 = `${year}-Q3`;
    await page.goto(`${base}/#/return/${Q3}`);
    await cell(page, 'unit_info.area_km2').focus();
    await page.keyboard.type('7,25');
    await expectSaved(page);

    await kill(server);
    // Typed while the server is down: kept on screen, the indicator says it is not saved and what to do.
    await cell(page, 'unit_info.population').focus();
    await page.keyboard.type('45.678');
    await expect(page.getByTestId('save-status')).toHaveAttribute('data-state', 'error', { timeout: 15_000 });
    await expect(page.getByTestId('save-status')).toContainText('Chưa lưu được');
    await expect(cell(page, 'unit_info.population')).toHaveValue('45.678');
    await shot(page, '20-crash-save-failed');

    server = await start();
    // The app retries by itself (with backoff); the clerk may also press "Lưu lại ngay".
    const retry = page.getByRole('button', { name: 'Lưu lại ngay' });
    if (await retry.isVisible()) await retry.click({ timeout: 2_000 }).catch(() => undefined);
    await expectSaved(page, 40_000);
    await kill(server);
    server = await start();
    await page.reload();
    await expect(cell(page, 'unit_info.area_km2')).toHaveValue('7,25');
    await expect(cell(page, 'unit_info.population')).toHaveValue('45.678');
    await shot(page, '21-crash-after-restart');
  } finally {
    if (server.exitCode === null) await kill(server);
  }
});

test('English labels on request; a refused file shows a Vietnamese message, never a stack trace; city role screen', async ({
  page,
}) => {
  await page.goto('/#/periods');
  await page.getByText('English', { exact: true }).click();
  await expect(page.getByRole('columnheader', { name: 'Period' })).toBeVisible();
  await expect(page.locator(`[data-period="${Q2}"]`)).toContainText('Submitted (revision 2)');
  await shot(page, '22-periods-english');
  await page.locator(`[data-period="${Q2}"]`).click();
  await expect(page.getByRole('tab', { name: /General information/ })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Submit return' })).toBeVisible();
  await expect(page.getByText('Natural area (km²)')).toBeVisible();
  await page.getByRole('tab', { name: /Administrative procedures/ }).click();
  await expect(
    page.getByRole('columnheader', { name: 'Civil status' }).or(page.getByRole('rowheader', { name: 'Civil status' })),
  ).toBeVisible();
  await shot(page, '23-editor-english');
  // The choice is kept (app.setLanguage): still English after a reload.
  await page.reload();
  await expect(page.getByRole('button', { name: 'Submit return' })).toBeVisible();
  await page.getByText('Tiếng Việt', { exact: true }).click();
  await expect(page.getByRole('button', { name: 'Nộp báo cáo' })).toBeVisible();

  // Importing a file that is not an .xlsx package: the server refuses it in Vietnamese.
  const bogus = path.join(OUT, 'not-a-package.xlsx');
  writeFileSync(bogus, 'Đây không phải là tệp Excel.\n');
  const chooser = page.waitForEvent('filechooser');
  await page.getByTestId('import-button').click();
  await (await chooser).setFiles(bogus);
  const err = page.getByTestId('import-error');
  await expect(err).toBeVisible();
  const message = await err.innerText();
  expect(message).toMatch(/[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]/i);
  await expectNoTrace(page);
  await shot(page, '24-import-refused');
  await page.getByRole('button', { name: 'Đóng' }).click();

  // City role: its import screen; then back to the commune.
  await page.getByRole('button', { name: 'Đổi vai trò hoặc đơn vị' }).click();
  await page.getByRole('radio', { name: 'Thành phố' }).check();
  await page.getByRole('button', { name: 'Bắt đầu' }).click();
  await expect(page.getByRole('tab', { name: 'Nhập báo cáo' })).toBeVisible();
  await shot(page, '25-city-role');
  await page.getByRole('button', { name: 'Đổi vai trò hoặc đơn vị' }).click();
  await page.getByRole('radio', { name: 'Xã, phường, đặc khu' }).check();
  const unit = page.getByTestId('unit-select');
  await unit.click();
  await unit.pressSequentially('hồng bàng');
  await page.getByRole('option', { name: 'Phường Hồng Bàng' }).click();
  await page.getByRole('button', { name: 'Bắt đầu' }).click();
  // Back on the commune's home (issue 9), whose periods still hold what was submitted.
  await expect(page.getByRole('heading', { name: 'Việc phải nộp' })).toBeVisible();
  await page.getByRole('button', { name: 'Tất cả kỳ báo cáo theo mẫu' }).click();
  await expect(page.locator(`[data-period="${Q2}"]`)).toContainText('Đã nộp (lần 2)');
});
