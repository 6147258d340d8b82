import { test, expect, type Page, type APIRequestContext } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import type { ReturnState } from '../../shared/contract.js';
import { draftChanges } from '../../shared/draft.js';
import { parseTemplate } from '../../shared/template/model.js';
import type { Values } from '../../shared/template/model.js';
import { sampleValues } from '../helpers/sample.js';
import { ownServer } from './own-server.js';

/**
 * Issue 7 items 2 and 3 in the browser: a draft that differs from the last revision is said so
 * plainly, exported and printed only as a marked draft (or after submitting), and an imported file
 * is previewed before it changes the draft, with the earlier draft restorable from History.
 * E2E_PORT=47651 npx playwright test tests/e2e/issue7-draft-export.spec.ts
 */

const OUT = path.resolve('tests/output/issue7-draft');
const SHOTS = path.resolve('tests/output/screenshots');
mkdirSync(OUT, { recursive: true });
mkdirSync(SHOTS, { recursive: true });
const MARK = 'BẢN NHÁP — CHƯA NỘP';
const PERIOD = '2026-Q2';

async function shot(page: Page, name: string): Promise<void> {
  await page.waitForTimeout(250); // let transitions settle so the picture shows the final state
  await page.screenshot({ path: path.join(SHOTS, `issue7-${name}.png`) });
}
/** The same screen at 1024×768 too. */
async function shots(page: Page, name: string): Promise<void> {
  await shot(page, `${name}-1366`);
  await page.setViewportSize({ width: 1024, height: 768 });
  await shot(page, `${name}-1024`);
  await page.setViewportSize({ width: 1366, height: 768 });
}

async function rpc<T>(request: APIRequestContext, name: string, input: unknown): Promise<T> {
  const r = await request.post(`/api/rpc/${name}`, { data: input });
  const body = (await r.json()) as { ok: boolean; result: T; error?: { message: string } };
  if (!body.ok) throw new Error(`${name}: ${body.error?.message}`);
  return body.result;
}

async function saveValues(request: APIRequestContext, values: Values): Promise<ReturnState> {
  const st = await rpc<ReturnState>(request, 'returns.open', { template: 'BC-CX', period: PERIOD });
  const t = parseTemplate(await rpc<unknown>(request, 'templates.get', { id: 'BC-CX', version: 1 }));
  const changes = draftChanges(t, st, { values, explanations: st.explanations, asOf: st.asOf });
  await rpc(request, 'returns.saveDraft', { returnId: st.returnId, baseVersion: st.draftVersion, changes });
  return st;
}

const cell = (page: Page, p: string) => page.locator(`[data-cell="${p}"]`);
async function expectSaved(page: Page): Promise<void> {
  await expect(page.getByTestId('save-status')).toHaveAttribute('data-state', 'saved', { timeout: 15_000 });
}
async function openQ2(page: Page): Promise<void> {
  await page.goto('/#/periods'); // the periods list (the home is "Việc phải nộp", issue 9)
  await page.locator(`[data-period="${PERIOD}"]`).click();
  await expect(page.getByTestId('editor-title')).toContainText('Quý II/2026 · Đặc khu Bạch Long Vĩ');
}

let r1File = '';

test.describe.configure({ mode: 'serial' });

// A database of its own: this file counts revisions from 1 and starts from the first-start screen.
ownServer(2, 'cr-e2e-draft-');

test.beforeEach(async ({ page }) => {
  // The File System Access picker cannot be driven headless: take the download path of Save As.
  await page.addInitScript(() => {
    delete (window as { showSaveFilePicker?: unknown }).showSaveFilePicker;
  });
});

test('a corrected return says so plainly; export and print offer submit-first or a marked draft', async ({ page, request }) => {
  // Revision 1 and 2 exist (set up through the app's own calls).
  await rpc(request, 'app.setup', { role: 'commune', unitCode: '11948' });
  const st = await saveValues(request, sampleValues());
  await rpc(request, 'returns.submit', { returnId: st.returnId });
  const r1 = await rpc<{ fileName: string; data: string }>(request, 'package.export', { returnId: st.returnId, revision: 1 });
  r1File = path.join(OUT, r1.fileName);
  writeFileSync(r1File, Buffer.from(r1.data, 'base64'));
  const v2 = sampleValues();
  v2.staff.recruited = 2;
  await saveValues(request, v2);
  await rpc(request, 'returns.submit', { returnId: st.returnId });

  await openQ2(page);
  await expect(page.getByTestId('draft-differs')).toHaveCount(0);

  // Correct Dân số after revision 2: the banner says so, in words, over the form.
  const pop = cell(page, 'unit_info.population');
  await pop.fill('1300');
  await pop.press('Tab');
  await expectSaved(page);
  const banner = page.getByTestId('draft-differs');
  await expect(banner).toBeVisible();
  await expect(banner).toContainText('Bản đang soạn khác lần nộp 2');
  await expect(banner).toContainText('Có 1 ô đã sửa sau lần nộp 2');
  await expect(banner).toContainText('Tệp Excel và bản in của lần nộp 2 không có các sửa đổi này');
  await shots(page, 'b01-banner');

  await banner.getByTestId('draft-differs-show').click();
  const diff = page.getByTestId('draft-differs-table');
  await expect(diff.locator('[data-change="unit_info.population"]')).toHaveText(/Biểu 01, Dân số \(người\)\s*1\.200\s*1\.300/);
  await shots(page, 'b02-banner-differences');
  await page.getByRole('dialog').getByRole('button', { name: 'Đóng' }).click();

  // Export: the choice, never a silent _r2 file.
  await page.getByTestId('export-button').click();
  const choice = page.getByTestId('draft-output');
  await expect(choice).toContainText('Bản đang soạn khác lần nộp 2 (1 ô)');
  await expect(choice.getByTestId('draft-output-submit')).toHaveText('Nộp lần 3 rồi xuất tệp');
  await expect(choice.getByTestId('draft-output-draft')).toHaveText('Xuất bản nháp');
  await shots(page, 'b03-export-choice');
  const downloading = page.waitForEvent('download');
  await choice.getByTestId('draft-output-draft').click();
  const download = await downloading;
  expect(download.suggestedFilename()).toMatch(/^BC-CX_11948_2026-Q2_nhap_\d{8}-\d{4}\.xlsx$/);
  const draftXlsx = path.join(OUT, download.suggestedFilename());
  await download.saveAs(draftXlsx);
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(draftXlsx);
  for (const ws of wb.worksheets.filter((w) => w.state === 'visible')) {
    expect(ws.headerFooter.oddHeader, ws.name).toContain(MARK);
    expect(ws.getCell('A3').value, ws.name).toContain(MARK);
  }

  // Print: the same choice; the draft prints with the mark on every page.
  await page.getByRole('button', { name: 'In', exact: true }).click();
  await expect(choice.getByTestId('draft-output-submit')).toHaveText('Nộp lần 3 rồi in');
  await choice.getByTestId('draft-output-draft').click();
  const print = page.getByTestId('print-view');
  await expect(print).toHaveAttribute('data-draft', 'true');
  const sheets = print.locator('.print-page');
  const n = await sheets.count();
  expect(n).toBe(5);
  for (let i = 0; i < n; i++) await expect(sheets.nth(i).locator('.print-draft-mark')).toContainText(MARK);
  await expect(print).toContainText('1.300');
  await shot(page, 'b04-print-draft-screen');
  const pdf = path.join(OUT, 'print-draft.pdf');
  await page.pdf({ path: pdf, preferCSSPageSize: true, printBackground: true });
  const text = execFileSync('pdftotext', ['-raw', pdf, '-'], { encoding: 'utf8' });
  const pages = text.split('\f').filter((p) => p.trim());
  expect(pages.length).toBeGreaterThanOrEqual(5);
  pages.forEach((p, i) => expect(p, `printed page ${i + 1}`).toContain(MARK));
  execFileSync('pdftoppm', ['-png', '-r', '50', pdf, path.join(SHOTS, 'issue7-b05-print-draft-pdf')]);
  await page.getByRole('button', { name: 'Quay lại biểu mẫu' }).click();

  // Submit first (the usual way), then the file of the new revision.
  await page.getByTestId('export-button').click();
  await choice.getByTestId('draft-output-submit').click();
  const dialog = page.getByRole('dialog');
  await dialog.getByTestId('confirm-submit').click();
  await expect(dialog.getByTestId('submit-done')).toContainText('Đã nộp lần 3');
  await shots(page, 'b06-submitted-then-export');
  const downloading3 = page.waitForEvent('download');
  await dialog.getByTestId('submit-then-export').click();
  expect((await downloading3).suggestedFilename()).toBe('BC-CX_11948_2026-Q2_r3.xlsx');
  await dialog.getByRole('button', { name: 'Đóng' }).click();
  await expect(page.getByTestId('draft-differs')).toHaveCount(0);
});

test('an import is previewed (older revision flagged), applied on confirmation and undone from History', async ({ page }) => {
  await openQ2(page);
  await expect(cell(page, 'unit_info.population')).toHaveValue('1.300');

  const choose = async () => {
    const chooser = page.waitForEvent('filechooser');
    await page.getByTestId('import-button').click();
    await (await chooser).setFiles(r1File);
  };
  await choose();
  const preview = page.getByTestId('import-preview');
  await expect(preview.getByTestId('import-older')).toContainText('Tệp này là lần nộp 1, cũ hơn lần nộp 3 mới nhất');
  await expect(preview.locator('[data-change="unit_info.population"]')).toHaveText(/Dân số \(người\)\s*1\.300\s*1\.200/);
  await expect(preview.locator('[data-change="staff.recruited"]')).toHaveText(/Tuyển dụng trong kỳ\s*2\s*0/);
  await shots(page, 'b07-import-preview-older');
  await preview.getByTestId('import-cancel').click();
  await expect(preview).toHaveCount(0);
  await expect(cell(page, 'unit_info.population')).toHaveValue('1.300');

  await choose();
  await preview.getByTestId('import-apply').click();
  const result = page.getByTestId('import-result');
  await expect(result).toContainText('2 ô thay đổi');
  await result.getByRole('button', { name: 'Đóng' }).click();
  await expect(cell(page, 'unit_info.population')).toHaveValue('1.200');
  await expect(page.getByTestId('draft-differs')).toContainText('Bản đang soạn khác lần nộp 3');

  // Undo the import from History: the draft kept before it becomes the draft again.
  await page.getByRole('button', { name: 'Lịch sử' }).click();
  const kept = page.getByTestId('kept-drafts-table');
  const row = kept.locator('[data-kept]').filter({ hasText: 'Trước khi nhập tệp BC-CX_11948_2026-Q2_r1.xlsx' });
  await expect(row).toContainText('2 ô');
  await shots(page, 'b08-history-kept-drafts');
  await row.getByRole('button', { name: 'Khôi phục' }).click();
  await expect(page.getByText('Đã khôi phục bản nháp')).toBeVisible();
  await expect(kept.locator('[data-kept]').first()).toContainText('Trước khi khôi phục bản nháp lúc');
  await shots(page, 'b09-history-restored');
  await page.keyboard.press('Escape');
  await expect(cell(page, 'unit_info.population')).toHaveValue('1.300');
  await expect(page.getByTestId('draft-differs')).toHaveCount(0);
  // The restore is kept too: after a reload the draft is still the restored one.
  await page.reload();
  await expect(page.getByTestId('editor-title')).toContainText('Quý II/2026');
  await expect(cell(page, 'unit_info.population')).toHaveValue('1.300');
  await expect(page.getByTestId('draft-differs')).toHaveCount(0);
});
