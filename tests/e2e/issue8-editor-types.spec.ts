import { test, expect, type APIRequestContext, type Locator, type Page } from '@playwright/test';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ownServer } from './own-server.js';
import { signedTemplateFile } from '../helpers/city-key.js';

/**
 * Issue 8, item 4 in the browser mode (real server, real SQLite, Chromium): a template received
 * from the city (tests/fixtures/templates/issue8-types.json) with every new cell type and appliesTo,
 * filled by Phường Hồng Bàng:
 * - a date typed as dd/mm/yyyy (a wrong one says why, with an example, under the cell), money with
 *   its unit, a rate with what it is of, a hint, a growing long text with line breaks and a counter,
 *   a scanned decision attached, a repeat row of money, date and long text;
 * - the item for coastal units and the section for đặc khu do not apply to a phường: hidden, said so;
 * - saved, reloaded, the same values; printed: dates dd/mm/yyyy, money with the unit, the file's
 *   name and size, long text in full, "Không áp dụng".
 */

const SHOTS = path.resolve('tests/output/screenshots');
mkdirSync(SHOTS, { recursive: true });
async function shot(page: Page, name: string): Promise<void> {
  await page.waitForTimeout(250); // let transitions settle so the picture shows the final state
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

const FIXTURE = path.resolve('tests/fixtures/templates/issue8-types.json');
const year = new Date().getFullYear();
const PERIOD = `${year}-Q3`;
const GENERIC = /lỗi không mong muốn/;
const KET_QUA = 'Bộ máy mới vận hành ổn định, không gián đoạn việc phục vụ người dân.';
const KET_QUA_2 = 'Đã giải quyết 1.200 hồ sơ, trong đó 1.174 hồ sơ đúng hạn.';

/** Phường Hồng Bàng's code in the shipped unit list (a phường with a HĐND: co_hdnd = 1). */
const HONG_BANG = readFileSync(path.resolve('resources/units/haiphong.csv'), 'utf8')
  .split(/\r?\n/)
  .find((l) => l.split(',')[2] === 'Phường Hồng Bàng')!
  .split(',')[0]!;

const cell = (page: Page, p: string): Locator => page.locator(`[data-cell="${p}"]`);

async function rpc<T>(request: APIRequestContext, name: string, input: unknown): Promise<T> {
  const res = await request.post(`/api/rpc/${name}`, { data: input });
  const body = (await res.json()) as { ok: boolean; result?: T; error?: { message: string } };
  if (!body.ok) throw new Error(`${name}: ${body.error?.message}`);
  return body.result as T;
}

async function expectSaved(page: Page): Promise<void> {
  await expect(page.getByTestId('save-status')).toHaveAttribute('data-state', 'saved', { timeout: 15_000 });
}

/** Type into a cell as a person does: click, select what is there, type, leave with Tab. */
async function typeInto(page: Page, p: string, text: string): Promise<void> {
  await cell(page, p).click();
  await page.keyboard.press('Control+A');
  await page.keyboard.type(text);
  await page.keyboard.press('Tab');
}

/** A one-page PDF, small and real. */
function tinyPdf(): Buffer {
  return Buffer.from(
    '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n' +
      '3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n',
    'latin1',
  );
}

test.describe.configure({ mode: 'serial' });

// A database of its own: a commune that received this template from the city.
ownServer(22, 'cr-e2e-issue8-types-');

const pageErrors: string[] = [];
test.beforeEach(async ({ page }) => {
  page.on('pageerror', (e) => pageErrors.push(e.message));
  // The template choice is remembered between visits: open this template, not BC-CX.
  await page.addInitScript(() => window.localStorage.setItem('commune-returns.template', 'MH-HAICAP'));
});
test.afterEach(() => {
  expect(pageErrors).toEqual([]);
});

test.beforeAll(async ({ request }) => {
  await rpc(request, 'app.setup', { role: 'commune', unitCode: HONG_BANG });
  // Signed by the city: a commune receives no other template file (issue 9).
  await rpc(request, 'templates.receive', { file: signedTemplateFile([JSON.parse(readFileSync(FIXTURE, 'utf8'))], 'issue8-types.json') });
});

test('every new type is typed, checked next to its cell, saved, reloaded and printed; what does not apply is hidden', async ({
  page,
}) => {
  await page.goto(`/#/return/${PERIOD}`);
  await page.getByRole('tab', { name: /Biểu 01/ }).click();

  // A date that does not exist: the message is under the cell, with an example.
  await typeInto(page, 'chung.ngay_qd', '31/02/2026');
  const dateNote = page.locator('[data-issue="cell:chung.ngay_qd"]');
  await expect(dateNote).toContainText('"31/02/2026" không phải là một ngày có thật');
  await expect(dateNote).toContainText('ví dụ 31/12/2026');
  await expect(cell(page, 'chung.ngay_qd')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.locator('[data-hint="chung.ngay_qd"]')).toHaveText('Ghi đúng ngày ký trên quyết định.');

  // Money in đồng refuses a fraction, naming the unit.
  await typeInto(page, 'chung.kinh_phi', '1500,5');
  await expect(page.locator('[data-issue="cell:chung.kinh_phi"]')).toContainText('số tiền tính bằng đồng phải là số nguyên');
  await shot(page, 'issue8-types-01-errors-next-to-cells');

  await typeInto(page, 'chung.ngay_qd', '1/7/2026');
  await expect(cell(page, 'chung.ngay_qd')).toHaveValue('01/07/2026');
  await expect(dateNote).toHaveCount(0);
  await typeInto(page, 'chung.kinh_phi', '1500000');
  await expect(cell(page, 'chung.kinh_phi')).toHaveValue('1.500.000');
  await expect(page.locator('[data-money-unit="chung.kinh_phi"]')).toHaveText('đồng');
  await typeInto(page, 'chung.du_toan', '12,5');
  await expect(page.locator('[data-money-unit="chung.du_toan"]')).toHaveText('triệu đồng');
  await typeInto(page, 'chung.so_ho_so', '1200');
  await typeInto(page, 'chung.dung_han', '1174');
  await expect(page.locator('[data-computed="chung.ty_le"]')).toContainText('97,83%');
  await expect(page.locator('[data-rate-of="chung.ty_le"]')).toHaveText('trên tổng số hồ sơ đã giải quyết');
  await typeInto(page, 'chung.to_dan_pho', '42');
  await typeInto(page, 'chung.ky_hop_hdnd', '2'); // the unit list says Hồng Bàng has a HĐND

  // The scanned decision: a real PDF through the file cell.
  const chooser = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: /Chọn tệp.*Bản quét quyết định kiện toàn/ }).click();
  await (await chooser).setFiles({ name: 'quyet-dinh-kien-toan.pdf', mimeType: 'application/pdf', buffer: tinyPdf() });
  await expect(cell(page, 'chung.quyet_dinh')).toContainText('quyet-dinh-kien-toan.pdf');

  // The coastal item does not apply to a phường without the attribute: hidden, and said so.
  await expect(cell(page, 'chung.tau_ca')).toHaveCount(0);
  await expect(page.locator('[data-not-applicable-note="chung"]')).toHaveText(
    '1 mục của biểu này không áp dụng cho Phường Hồng Bàng nên không hiện ra.',
  );
  await expectSaved(page);
  await shot(page, 'issue8-types-02-bieu01-filled');

  // Biểu 02: a long text keeps its line break (Enter is a new line there) and counts its characters.
  await page.getByRole('tab', { name: /Biểu 02/ }).click();
  const ketQua = cell(page, 'danh_gia.ket_qua');
  await ketQua.click();
  await page.keyboard.type(KET_QUA);
  await page.keyboard.press('Enter');
  await page.keyboard.type(KET_QUA_2);
  await expect(ketQua).toHaveValue(`${KET_QUA}\n${KET_QUA_2}`);
  await expect(page.locator('[data-char-count="danh_gia.ket_qua"]')).toHaveText(
    `${KET_QUA.length + 1 + KET_QUA_2.length}/4.000 ký tự`,
  );
  const before = (await ketQua.boundingBox())!.height;
  for (let i = 0; i < 4; i++) {
    await page.keyboard.press('Enter');
    await page.keyboard.type(`Ý ${i + 1}.`);
  }
  expect((await ketQua.boundingBox())!.height).toBeGreaterThan(before); // it grows with its text
  for (let i = 0; i < 4; i++) for (let k = 0; k < `Ý ${i + 1}.`.length + 1; k++) await page.keyboard.press('Backspace');
  await expect(ketQua).toHaveValue(`${KET_QUA}\n${KET_QUA_2}`);
  await page.keyboard.press('Tab');

  // A repeat row: text, money in triệu đồng, a date, a long text.
  await page.locator('[data-add-row="danh_gia.chi_tiet"]').click();
  await typeInto(page, 'danh_gia.chi_tiet.0.noi_dung', 'Mua máy quét tài liệu');
  await typeInto(page, 'danh_gia.chi_tiet.0.so_tien', '45,25');
  await typeInto(page, 'danh_gia.chi_tiet.0.ngay_chi', '12/08/2026');
  await cell(page, 'danh_gia.chi_tiet.0.ghi_chu').click();
  await page.keyboard.type('Theo dự toán');
  await page.keyboard.press('Enter');
  await page.keyboard.type('đã được duyệt');
  await page.keyboard.press('Tab');
  await expectSaved(page);
  await shot(page, 'issue8-types-03-bieu02-long-text');

  // Biểu 03 is for đặc khu only: one line says so.
  await page.getByRole('tab', { name: /Biểu 03/ }).click();
  await expect(page.locator('[data-not-applicable-note="dac_khu"]')).toHaveText(
    'Biểu này không áp dụng cho Phường Hồng Bàng: không cần nhập gì ở đây.',
  );
  await expect(cell(page, 'dac_khu.dao_co_dan')).toHaveCount(0);
  await expect(page.getByTestId('blocked-reason')).toHaveCount(0);

  // Reload: the same values, shown the same way.
  await page.reload();
  await page.getByRole('tab', { name: /Biểu 01/ }).click();
  await expect(cell(page, 'chung.ngay_qd')).toHaveValue('01/07/2026');
  await expect(cell(page, 'chung.kinh_phi')).toHaveValue('1.500.000');
  await expect(cell(page, 'chung.du_toan')).toHaveValue('12,5');
  await expect(cell(page, 'chung.quyet_dinh')).toContainText('quyet-dinh-kien-toan.pdf');
  await page.getByRole('tab', { name: /Biểu 02/ }).click();
  await expect(cell(page, 'danh_gia.ket_qua')).toHaveValue(`${KET_QUA}\n${KET_QUA_2}`);
  await expect(cell(page, 'danh_gia.chi_tiet.0.so_tien')).toHaveValue('45,25');
  await expect(cell(page, 'danh_gia.chi_tiet.0.ngay_chi')).toHaveValue('12/08/2026');
  await expect(cell(page, 'danh_gia.chi_tiet.0.ghi_chu')).toHaveValue('Theo dự toán\nđã được duyệt');

  // Print (a marked draft: nothing submitted yet).
  await page.getByRole('button', { name: 'In', exact: true }).click();
  await page.getByTestId('draft-output-draft').click();
  const print = page.getByTestId('print-view');
  await expect(print.locator('[data-print-value="chung.ngay_qd"]')).toHaveText('01/07/2026');
  await expect(print.locator('[data-print-value="chung.kinh_phi"]')).toHaveText('1.500.000 đồng');
  await expect(print.locator('[data-print-value="chung.du_toan"]')).toHaveText('12,5 triệu đồng');
  await expect(print.locator('[data-print-value="chung.ty_le"]')).toHaveText('97,83% trên tổng số hồ sơ đã giải quyết');
  await expect(print.locator('[data-print-value="chung.quyet_dinh"]')).toHaveText(/^quyet-dinh-kien-toan\.pdf \(\d+ byte\)$/);
  await expect(print.locator('[data-print-na="chung.tau_ca"]')).toHaveText('Không áp dụng');
  await expect(print.locator('[data-print-na="dac_khu"]')).toContainText('Không áp dụng');
  const longText = print.locator('[data-print-value="danh_gia.ket_qua"]');
  await expect(longText).toHaveText(`${KET_QUA}\n${KET_QUA_2}`);
  // Never cut: the printed block is as tall as its text.
  const cut = await longText.evaluate((el) => el.scrollHeight > el.clientHeight + 1 || el.scrollWidth > el.clientWidth + 1);
  expect(cut).toBe(false);
  await expect(print).toContainText('45,25 triệu đồng');
  await expect(print).toContainText('12/08/2026');
  await expect(print).not.toContainText(GENERIC);
  await page.emulateMedia({ media: 'print' });
  const pages = print.locator('.print-page');
  for (let i = 0; i < 3; i++) await pages.nth(i).screenshot({ path: path.join(SHOTS, `issue8-types-04-print-page-${i + 1}.png`) });
  await page.emulateMedia({ media: 'screen' });
});

for (const width of [1366, 1024])
  test(`the form of every new type at ${width}×768: nothing cut off`, async ({ page }) => {
    await page.setViewportSize({ width, height: 768 });
    await page.goto(`/#/return/${PERIOD}`);
    await page.getByRole('tab', { name: /Biểu 01/ }).click();
    await expect(cell(page, 'chung.ngay_qd')).toHaveValue('01/07/2026');
    for (const p of ['chung.ngay_qd', 'chung.kinh_phi', 'chung.du_toan', 'chung.quyet_dinh']) {
      const box = (await cell(page, p).boundingBox())!;
      expect(box.x + box.width).toBeLessThanOrEqual(width);
    }
    await page.screenshot({ path: path.join(SHOTS, `issue8-types-05-bieu01-${width}.png`) });
    await page.getByRole('tab', { name: /Biểu 02/ }).click();
    const ghiChu = cell(page, 'danh_gia.chi_tiet.0.ghi_chu');
    await expect(ghiChu).toHaveValue('Theo dự toán\nđã được duyệt');
    // The long text in the row is not cut: its box holds every line.
    const clipped = await ghiChu.evaluate((el) => el.scrollHeight > el.clientHeight + 1);
    expect(clipped).toBe(false);
    await page.screenshot({ path: path.join(SHOTS, `issue8-types-06-bieu02-${width}.png`), fullPage: true });
  });
