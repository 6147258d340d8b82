import { test, expect, type APIRequestContext, type Locator, type Page } from '@playwright/test';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ownServer } from './own-server.js';
import { signedTemplateFile } from '../helpers/city-key.js';

/**
 * Issue 8, second round (engineer K): a commune officer (Phường Hồng Bàng) fills a template received
 * from the city (tests/fixtures/templates/issue8-types.json) the way people really type:
 * - dates as 01-07-2026, 1.7.26, 2026-07-01, 01072026 (no date picker, keyboard only): each is the
 *   1st of July 2026, shown and printed as 01/07/2026;
 * - money as "12 triệu", "1,5 triệu", "1.234.567 đồng" in a cell in đồng, and "2.500.000 đồng" in a
 *   cell in triệu đồng: converted to the cell's unit, printed with it;
 * - a 10,000-character text pasted from Word (tabs, non-breaking spaces, smart quotes, emoji, a
 *   vertical tab) into a long text and 600 characters into a one-line cell of 200: nothing cut, the
 *   message under the cell says how much is too much, everything back after a reload;
 * - a scan named in Vietnamese with spaces, a wrong kind of file and a too big one refused next to
 *   the cell, the scan removed and attached again;
 * - two tabs: choosing another template in the second does not turn the return open in the first
 *   into another report's when the first is reloaded.
 */

const SHOTS = path.resolve('tests/output/screenshots');
mkdirSync(SHOTS, { recursive: true });

const FIXTURE = path.resolve('tests/fixtures/templates/issue8-types.json');
const year = new Date().getFullYear();
const PERIOD = `${year}-Q3`;
const GENERIC = /lỗi không mong muốn/;

const HONG_BANG = readFileSync(path.resolve('resources/units/haiphong.csv'), 'utf8')
  .split(/\r?\n/)
  .find((l) => l.split(',')[2] === 'Phường Hồng Bàng')!
  .split(',')[0]!;

const cell = (page: Page, p: string): Locator => page.locator(`[data-cell="${p}"]`);
const note = (page: Page, p: string): Locator => page.locator(`[data-issue="cell:${p}"]`);

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

/** Paste into a cell: what was there is replaced by the text at once, as Ctrl+V does. */
async function pasteInto(page: Page, p: string, text: string): Promise<void> {
  await cell(page, p).click();
  await page.keyboard.press('Control+A');
  await page.keyboard.insertText(text);
  await page.keyboard.press('Tab');
}

function tinyPdf(): Buffer {
  return Buffer.from(
    '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n' +
      '3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n',
    'latin1',
  );
}

/** A paragraph as Word hands it over: smart quotes, non-breaking spaces, a tab, an emoji. */
const WORD_LINE = 'Kết quả: “Một cửa” liên thông\u00a0đạt 98%\t– không có hồ sơ trễ hạn 👍. ';
function wordText(chars: number): string {
  let s = '';
  while (s.length < chars) s += WORD_LINE;
  // Word's line break inside a paragraph is a vertical tab: the editor keeps it as a line break.
  return `${s.slice(0, chars - 10)}\u000bHết ý.   `.slice(0, chars);
}

test.describe.configure({ mode: 'serial' });

const own = ownServer(35, 'cr-e2e-issue8-commune-use-');

const pageErrors: string[] = [];
test.beforeEach(async ({ page }) => {
  page.on('pageerror', (e) => pageErrors.push(e.message));
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

test('dates and money typed the ways people type them are understood, shown, saved and printed as meant', async ({ page }) => {
  await page.setViewportSize({ width: 1366, height: 768 });
  await page.goto(`/#/return/${PERIOD}`);
  await page.getByRole('tab', { name: /Biểu 01/ }).click();

  for (const typed of ['01-07-2026', '1.7.26', '2026-07-01', '01072026', '1/7/2026']) {
    await typeInto(page, 'chung.ngay_qd', typed);
    await expect(cell(page, 'chung.ngay_qd'), typed).toHaveValue('01/07/2026');
    await expect(note(page, 'chung.ngay_qd'), typed).toHaveCount(0);
  }
  // A date that does not exist is still refused, next to the cell, with an example.
  await typeInto(page, 'chung.ngay_qd', '31.02.2026');
  await expect(note(page, 'chung.ngay_qd')).toContainText('"31.02.2026" không phải là một ngày có thật');
  await typeInto(page, 'chung.ngay_qd', '1.7.26');
  await expect(note(page, 'chung.ngay_qd')).toHaveCount(0);

  const money: [string, string, string][] = [
    ['chung.kinh_phi', '12 triệu', '12.000.000'],
    ['chung.kinh_phi', '1.234.567 đồng', '1.234.567'],
    ['chung.kinh_phi', '1234567', '1.234.567'],
    ['chung.kinh_phi', '1,5 triệu', '1.500.000'],
    ['chung.du_toan', '2.500.000 đồng', '2,5'],
    ['chung.du_toan', '12 triệu', '12'],
    ['chung.du_toan', '1,5', '1,5'],
  ];
  for (const [p, typed, shown] of money) {
    await typeInto(page, p, typed);
    await expect(cell(page, p), typed).toHaveValue(shown);
    await expect(note(page, p), typed).toHaveCount(0);
  }
  await expect(page.locator('[data-money-unit="chung.kinh_phi"]')).toHaveText('đồng');
  await expect(page.locator('[data-money-unit="chung.du_toan"]')).toHaveText('triệu đồng');
  await expectSaved(page);
  await page.screenshot({ path: path.join(SHOTS, 'issue8-commune-use-01-dates-money-1366.png') });
  await page.setViewportSize({ width: 1024, height: 768 });
  for (const p of ['chung.ngay_qd', 'chung.kinh_phi', 'chung.du_toan']) {
    const box = (await cell(page, p).boundingBox())!;
    expect(box.x + box.width).toBeLessThanOrEqual(1024);
  }
  await page.screenshot({ path: path.join(SHOTS, 'issue8-commune-use-02-dates-money-1024.png') });

  await page.reload();
  await page.getByRole('tab', { name: /Biểu 01/ }).click();
  await expect(cell(page, 'chung.ngay_qd')).toHaveValue('01/07/2026');
  await expect(cell(page, 'chung.kinh_phi')).toHaveValue('1.500.000');
  await expect(cell(page, 'chung.du_toan')).toHaveValue('1,5');

  await page.getByRole('button', { name: 'In', exact: true }).click();
  await page.getByTestId('draft-output-draft').click();
  const print = page.getByTestId('print-view');
  await expect(print.locator('[data-print-value="chung.ngay_qd"]')).toHaveText('01/07/2026');
  await expect(print.locator('[data-print-value="chung.kinh_phi"]')).toHaveText('1.500.000 đồng');
  await expect(print.locator('[data-print-value="chung.du_toan"]')).toHaveText('1,5 triệu đồng');
  await expect(print).not.toContainText(GENERIC);
});

test('a long text pasted from Word is kept whole, in a long text and in a one-line cell; the note says how much to cut', async ({
  page,
}) => {
  await page.setViewportSize({ width: 1366, height: 768 });
  await page.goto(`/#/return/${PERIOD}`);
  await page.getByRole('tab', { name: /Biểu 02/ }).click();

  const long = wordText(10_000);
  const kept = long.replace('\u000b', '\n');
  await pasteInto(page, 'danh_gia.ket_qua', long);
  await expect(cell(page, 'danh_gia.ket_qua')).toHaveValue(kept);
  await expect(page.locator('[data-char-count="danh_gia.ket_qua"]')).toHaveText(
    `${kept.length.toLocaleString('vi-VN')}/4.000 ký tự — quá ${(kept.length - 4000).toLocaleString('vi-VN')} ký tự, hãy viết ngắn lại`,
  );
  await expect(note(page, 'danh_gia.ket_qua')).toContainText('dài quá 4.000 ký tự');

  // A one-line cell of at most 200 characters: 600 pasted stay 600 (the person shortens them), not cut at 250.
  await page.locator('[data-add-row="danh_gia.chi_tiet"]').click();
  const line = wordText(600).replace('\u000b', ' ');
  await pasteInto(page, 'danh_gia.chi_tiet.0.noi_dung', line);
  await expect(cell(page, 'danh_gia.chi_tiet.0.noi_dung')).toHaveValue(line);
  await expect(note(page, 'danh_gia.chi_tiet.0.noi_dung')).toContainText('dài quá 200 ký tự. Hãy viết ngắn lại.');
  await expectSaved(page);
  await page.screenshot({ path: path.join(SHOTS, 'issue8-commune-use-03-pasted-text-1366.png') });

  await page.reload();
  await page.getByRole('tab', { name: /Biểu 02/ }).click();
  await expect(cell(page, 'danh_gia.ket_qua')).toHaveValue(kept);
  await expect(cell(page, 'danh_gia.chi_tiet.0.noi_dung')).toHaveValue(line);

  // Shortened, the note goes and the text is what was left.
  await pasteInto(page, 'danh_gia.chi_tiet.0.noi_dung', line.slice(0, 180));
  await expect(note(page, 'danh_gia.chi_tiet.0.noi_dung')).toHaveCount(0);
  await expectSaved(page);
});

test('a scan named in Vietnamese with spaces; a wrong kind and a too big file refused next to the cell; removed, then attached again', async ({
  page,
}) => {
  await page.setViewportSize({ width: 1366, height: 768 });
  await page.goto(`/#/return/${PERIOD}`);
  await page.getByRole('tab', { name: /Biểu 01/ }).click();
  const file = cell(page, 'chung.quyet_dinh');
  const choose = async (f: { name: string; mimeType: string; buffer: Buffer }) => {
    const chooser = page.waitForEvent('filechooser');
    await page.getByRole('button', { name: /Chọn tệp.*Bản quét quyết định kiện toàn/ }).click();
    await (await chooser).setFiles(f);
  };
  const NAME = 'Quyết định kiện toàn số 12 ngày 1.7.2026.pdf';
  await choose({ name: NAME, mimeType: 'application/pdf', buffer: tinyPdf() });
  await expect(file).toContainText(NAME);
  await expectSaved(page);

  // A Word file renamed .pdf: refused by its content, the scan stays.
  await choose({ name: 'bao cao.pdf', mimeType: 'application/pdf', buffer: Buffer.from('PK\u0003\u0004 not a pdf') });
  await expect(file.getByRole('alert')).toHaveText(
    'Tệp "bao cao.pdf" không phải PDF, PNG hay JPG nên chưa được đính kèm. Hãy chọn bản quét dạng PDF, PNG hoặc JPG.',
  );
  await expect(file).toContainText(NAME);
  // Over the cell's 2 MB: refused before anything is sent, the scan stays.
  await choose({ name: 'ban quet lon.pdf', mimeType: 'application/pdf', buffer: Buffer.concat([tinyPdf(), Buffer.alloc(3 * 1024 * 1024)]) });
  await expect(file.getByRole('alert')).toContainText('vượt mức cho phép');
  await expect(file).toContainText(NAME);

  await file.getByRole('button', { name: 'Bỏ tệp' }).click();
  await expect(file).toContainText('Chưa có tệp đính kèm.');
  await expectSaved(page);
  await choose({ name: NAME, mimeType: 'application/pdf', buffer: tinyPdf() });
  await expect(file).toContainText(NAME);
  await expectSaved(page);
  await page.reload();
  await page.getByRole('tab', { name: /Biểu 01/ }).click();
  await expect(cell(page, 'chung.quyet_dinh')).toContainText(NAME);
  await page.screenshot({ path: path.join(SHOTS, 'issue8-commune-use-04-attachment-1366.png') });
});

test('another template chosen in a second tab: the first tab, reloaded, still shows its report and what was typed', async ({
  browser,
}) => {
  const ctx = await browser.newContext({ baseURL: own.base, viewport: { width: 1366, height: 768 } });
  try {
    const a = await ctx.newPage();
    const b = await ctx.newPage();
    for (const p of [a, b]) p.on('pageerror', (e) => pageErrors.push(e.message));
    const choose = async (p: Page, id: RegExp) => {
      await p.goto('/#/periods'); // the periods list, where the template is chosen (the home is "Việc phải nộp", issue 9)
      await p.getByTestId('template-choice').click();
      await p.getByRole('option', { name: id }).click();
      await expect(p.getByTestId('template-choice')).toHaveValue(id);
    };
    await choose(a, /^MH-HAICAP — /);
    await a.goto(`/#/return/${PERIOD}`);
    await expect(a.getByTestId('editor-template')).toContainText('MH-HAICAP');
    await a.getByRole('tab', { name: /Biểu 01/ }).click();
    await typeInto(a, 'chung.so_ho_so', '1.200');
    await expectSaved(a);

    await choose(b, /^BC-CX — /);

    await a.reload();
    await expect(a.getByTestId('editor-template')).toContainText('MH-HAICAP');
    await a.getByRole('tab', { name: /Biểu 01/ }).click();
    await expect(cell(a, 'chung.so_ho_so')).toHaveValue('1.200');
    // The second tab stays on its own choice too.
    await b.reload();
    await expect(b.getByTestId('template-choice')).toHaveValue(/^BC-CX — /);
  } finally {
    await ctx.close();
  }
});

test('a shipped template (PCM): a name pasted longer than its cell allows is kept whole and said, not cut', async ({ browser }) => {
  const ctx = await browser.newContext({ baseURL: own.base, viewport: { width: 1024, height: 768 } });
  try {
    const page = await ctx.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.addInitScript(() => window.localStorage.setItem('commune-returns.template', 'PCM'));
    await page.goto(`/#/return/${year}-H2`); // PCM is filed by half-year
    await expect(page.getByTestId('editor-template')).toContainText('PCM');
    await page.getByRole('tab', { name: /Xác nhận/ }).click();
    // 300 characters into a cell of at most 100 (a name with the office's title pasted from a letter).
    const pasted = wordText(300).replace('\u000b', ' ');
    await pasteInto(page, 'xac_nhan.thu_truong', pasted);
    await expect(cell(page, 'xac_nhan.thu_truong')).toHaveValue(pasted);
    await expect(note(page, 'xac_nhan.thu_truong')).toContainText('dài quá 100 ký tự. Hãy viết ngắn lại.');
    await expectSaved(page);
    await page.screenshot({ path: path.join(SHOTS, 'issue8-commune-use-05-pcm-too-long-1024.png') });
    await page.reload();
    await page.getByRole('tab', { name: /Xác nhận/ }).click();
    await expect(cell(page, 'xac_nhan.thu_truong')).toHaveValue(pasted);
    await pasteInto(page, 'xac_nhan.thu_truong', 'Nguyễn Văn An');
    await expect(note(page, 'xac_nhan.thu_truong')).toHaveCount(0);
    await expectSaved(page);
  } finally {
    await ctx.close();
  }
});
