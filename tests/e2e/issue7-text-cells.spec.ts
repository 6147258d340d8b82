import { test, expect, type APIRequestContext, type Page, type Locator } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { loadTemplates } from '../../core/resources.js';
import { draftChanges } from '../../shared/draft.js';
import { sampleValues } from '../helpers/sample.js';
import { ownServer } from './own-server.js';

/**
 * Issue 7, items 4 and 5 in the browser mode (real server, real SQLite, Chromium):
 * - an old draft holding a vertical tab and a NUL is cleaned on open and the officer is told where;
 *   text pasted from Word with a vertical tab is cleaned on paste; the return is then submitted;
 * - the rule between two cells (year put in use before year made) shows its message under the
 *   cell to fix, and the issue summary jumps to that cell.
 */

const SHOTS = path.resolve('tests/output/screenshots');
mkdirSync(SHOTS, { recursive: true });
async function shot(page: Page, name: string): Promise<void> {
  await page.waitForTimeout(250); // let transitions settle so the picture shows the final state
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
}

const template = loadTemplates(path.resolve('resources/templates')).get('BC-CX@1')!;
const year = new Date().getFullYear();
const PERIOD = `${year}-Q2`;
const GENERIC = /lỗi không mong muốn/;

const cell = (page: Page, p: string): Locator => page.locator(`[data-cell="${p}"]`);
const focused = (page: Page): Locator => page.locator(':focus');

async function rpc<T>(request: APIRequestContext, name: string, input: unknown): Promise<T> {
  const res = await request.post(`/api/rpc/${name}`, { data: input });
  const body = (await res.json()) as { ok: boolean; result?: T; error?: { message: string } };
  if (!body.ok) throw new Error(`${name}: ${body.error?.message}`);
  return body.result as T;
}

/** Store a draft as an earlier version of the app could have: the whole sample return with `values`. */
async function storeDraft(request: APIRequestContext, values: Record<string, Record<string, unknown>>): Promise<void> {
  type State = { returnId: number; draftVersion: number; values: never; explanations: Record<string, string>; asOf: Record<string, string> };
  const cur = await rpc<State>(request, 'returns.open', { template: 'BC-CX', period: PERIOD });
  const changes = draftChanges(template, cur, { values, explanations: {}, asOf: cur.asOf });
  await rpc(request, 'returns.saveDraft', { returnId: cur.returnId, baseVersion: cur.draftVersion, changes });
}

async function expectSaved(page: Page): Promise<void> {
  await expect(page.getByTestId('save-status')).toHaveAttribute('data-state', 'saved', { timeout: 15_000 });
}

test.describe.configure({ mode: 'serial' });

// A database of its own: this file counts revisions from 1 and starts from the first-start screen.
ownServer(3, 'cr-e2e-text-');

const pageErrors: string[] = [];
test.beforeEach(({ page }) => {
  page.on('pageerror', (e) => pageErrors.push(e.message));
});
test.afterEach(() => {
  expect(pageErrors).toEqual([]);
});

test.beforeAll(async ({ request }) => {
  await rpc(request, 'app.setup', { role: 'commune', unitCode: '11948' });
});

test('an old draft with a vertical tab and a NUL is cleaned on open; Word text pasted with a vertical tab is cleaned; submit succeeds', async ({
  page,
  context,
  request,
}) => {
  const v = sampleValues();
  v.unit_info.head = 'Trần Thị\vBình\u0000'; // saved before the rule: Shift+Enter from Word and a NUL
  await storeDraft(request, v as unknown as Record<string, Record<string, unknown>>);

  await page.goto(`/#/return/${PERIOD}`);
  const notice = page.locator('[data-cleaned-notice]');
  await expect(notice).toContainText('Bản nháp có ký tự ẩn không được phép (thường do dán từ Word)');
  await expect(notice).toContainText('Biểu 01, Thủ trưởng đơn vị');
  await expect(cell(page, 'unit_info.head')).toHaveValue('Trần Thị Bình');
  await expectSaved(page);
  await shot(page, 'issue7-text-01-old-draft-cleaned');

  // Paste what Word puts on the clipboard for "Nguyễn Văn<Shift+Enter>An".
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await cell(page, 'unit_info.preparer').click();
  await page.keyboard.press('Control+A');
  await page.evaluate(() => navigator.clipboard.writeText('Nguyễn Văn\vAn'));
  await page.keyboard.press('Control+V');
  await expect(cell(page, 'unit_info.preparer')).toHaveValue('Nguyễn Văn An');
  await page.keyboard.press('Tab');
  await expectSaved(page);
  await expect(page.getByTestId('blocked-reason')).toHaveCount(0);

  await page.getByTestId('submit-button').click();
  const dialog = page.getByRole('dialog');
  await expect(dialog.getByLabel('Người nộp')).toHaveValue('Nguyễn Văn An');
  await dialog.getByTestId('confirm-submit').click();
  await expect(dialog.getByTestId('submit-done')).toContainText('Đã nộp lần 1');
  await expect(dialog).not.toContainText(GENERIC);
  await shot(page, 'issue7-text-02-pasted-and-submitted');
  await dialog.getByRole('button', { name: 'Đóng' }).click();
});

for (const width of [1366, 1024])
  test(`the vehicle-years message is under "Năm đưa vào sử dụng" and the summary jumps to that cell (${width}×768)`, async ({
    page,
  }) => {
    await page.setViewportSize({ width, height: 768 });
    await page.goto(`/#/return/${PERIOD}`);
    await page.getByRole('tab', { name: /Biểu 04/ }).click();
    const made = cell(page, 'vehicles.cars.0.year_made');
    await made.click();
    await page.keyboard.press('Control+A');
    await page.keyboard.type('2016');
    await page.keyboard.press('Tab');

    const target = cell(page, 'vehicles.cars.0.year_in_use');
    const note = page.locator('[data-issue-at="vehicles.cars.0.year_in_use"] [data-issue="vehicles.year_order:1"]');
    await expect(note).toContainText('Xe 1: năm đưa vào sử dụng (2015) không được trước năm sản xuất (2016).');
    // Under the cell: the note begins at the cell's left edge, below it.
    const c = (await target.boundingBox())!;
    const n = (await note.boundingBox())!;
    expect(n.y).toBeGreaterThan(c.y + c.height - 1);
    expect(Math.abs(n.x - c.x)).toBeLessThan(12);
    await note.scrollIntoViewIfNeeded();
    await shot(page, `issue7-cells-01-year-under-cell-${width}`);

    // The summary names the same error and a click focuses the cell to fix.
    await page.getByTestId('submit-button').click();
    const summary = page.getByTestId('issue-summary');
    await summary.locator('[data-jump="vehicles.year_order:1"]').click();
    await expect(focused(page)).toHaveAttribute('data-cell', 'vehicles.cars.0.year_in_use');
    await shot(page, `issue7-cells-02-summary-jump-${width}`);
    await page.keyboard.press('Control+A');
    await page.keyboard.type('2016');
    await page.keyboard.press('Tab');
    await expect(note).toHaveCount(0);
    // Put the year back for the next width.
    await made.click();
    await page.keyboard.press('Control+A');
    await page.keyboard.type('2014');
    await page.keyboard.press('Tab');
    await target.click();
    await page.keyboard.press('Control+A');
    await page.keyboard.type('2015');
    await page.keyboard.press('Tab');
    await expectSaved(page);
  });
