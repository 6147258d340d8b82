import { test, expect, type APIRequestContext, type Page } from '@playwright/test';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { largeTemplate } from '../../bench/editor.js';
import { ownServer } from './own-server.js';
import { signedTemplateFile } from '../helpers/city-key.js';

/**
 * Issue 8, speed of the editor of a big template (500 input cells in one biểu, bench/editor.ts's
 * template), in the browser mode (real server, real SQLite, Chromium), as a person uses it:
 * - the typed value shows in its cell; the computed rate and the row's error follow (computation and
 *   validation are deferred, never dropped);
 * - one typed value: the save indicator says "saving" then "saved", once (it used to flash "saving"
 *   again after every save, the save's answer being taken for a new change);
 * - the form is the selected tab's panel; the header (title, save state, tabs) stays on top while
 *   the long form scrolls, at 1366×768 and 1024×768.
 */

const SHOTS = path.resolve('tests/output/screenshots');
mkdirSync(SHOTS, { recursive: true });

const year = new Date().getFullYear();
const PERIOD = `${year}-Q3`;
const PHUONG = readFileSync(path.resolve('resources/units/haiphong.csv'), 'utf8')
  .split(/\r?\n/)
  .find((l) => l.split(',')[1] === 'phường')!
  .split(',')[0]!;

async function rpc<T>(request: APIRequestContext, name: string, input: unknown): Promise<T> {
  const res = await request.post(`/api/rpc/${name}`, { data: input });
  const body = (await res.json()) as { ok: boolean; result?: T; error?: { message: string } };
  if (!body.ok) throw new Error(`${name}: ${body.error?.message}`);
  return body.result as T;
}

test.describe.configure({ mode: 'serial' });
ownServer(41, 'cr-e2e-issue8-speed-');

const pageErrors: string[] = [];
test.beforeEach(async ({ page }) => {
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.addInitScript(() => window.localStorage.setItem('commune-returns.template', 'BENCH-500'));
});
test.afterEach(() => {
  expect(pageErrors).toEqual([]);
});

test.beforeAll(async ({ request }) => {
  await rpc(request, 'app.setup', { role: 'commune', unitCode: PHUONG });
  // Signed by the city: a commune receives no other template file (issue 9).
  await rpc(request, 'templates.receive', { file: signedTemplateFile([largeTemplate()], 'bench-500.json') });
});

async function openEditor(page: Page): Promise<void> {
  await page.goto(`/#/return/${PERIOD}`);
  await expect(page.locator('[data-cell]')).toHaveCount(501, { timeout: 30_000 });
}

test('a typed value shows at once, its rate and its error follow, and the save says "saved" once', async ({ page }) => {
  await page.setViewportSize({ width: 1366, height: 768 });
  await openEditor(page);
  const status = page.getByTestId('save-status');
  await expect(status).not.toHaveAttribute('data-state', 'saving');

  await page.locator('[data-cell="bieu_1.bang.dong_5.giai_quyet"]').click();
  await page.keyboard.type('40');
  await expect(page.locator('[data-cell="bieu_1.bang.dong_5.giai_quyet"]')).toHaveValue('40');
  await expect(status).toHaveAttribute('data-state', 'saved', { timeout: 15_000 });

  // From here, every state the indicator shows is recorded.
  await page.evaluate(() => {
    const w = window as unknown as { __states: string[] };
    w.__states = [];
    const el = document.querySelector('[data-testid="save-status"]')!;
    const root = el.parentElement!;
    new MutationObserver(() => {
      const s = root.querySelector('[data-testid="save-status"]')?.getAttribute('data-state') ?? '';
      if (w.__states[w.__states.length - 1] !== s) w.__states.push(s);
    }).observe(root, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-state'] });
  });

  await page.locator('[data-cell="bieu_1.bang.dong_5.dung_han"]').click();
  await page.keyboard.type('50');
  // The cell shows what was typed; the rate and the rule's message follow.
  await expect(page.locator('[data-cell="bieu_1.bang.dong_5.dung_han"]')).toHaveValue('50');
  await expect(page.locator('[data-computed="bieu_1.bang.dong_5.ty_le"]')).toContainText('125');
  // Under the row, in the form (the summary above lists it too, folded).
  await expect(page.locator('.form-root').getByText(/số đúng hạn \(50\) lớn hơn số đã giải quyết \(40\)/)).toBeVisible();
  await expect(status).toHaveAttribute('data-state', 'saved', { timeout: 15_000 });
  // Long enough for a second save to have started, had the answer been taken for a change.
  await page.waitForTimeout(1500);
  const states = await page.evaluate(() => (window as unknown as { __states: string[] }).__states);
  expect(states).toEqual(['saving', 'saved']);

  // The value was stored: a reload shows it, with its rate.
  await page.reload();
  await expect(page.locator('[data-cell="bieu_1.bang.dong_5.dung_han"]')).toHaveValue('50', { timeout: 30_000 });
  await expect(page.locator('[data-computed="bieu_1.bang.dong_5.ty_le"]')).toContainText('125');
});

for (const width of [1366, 1024]) {
  test(`the form is the tab's panel and the header stays on top while it scrolls (${width}×768)`, async ({ page }) => {
    await page.setViewportSize({ width, height: 768 });
    await openEditor(page);
    await expect(page.getByRole('tabpanel', { name: /Biểu 01/ })).toBeVisible();
    await expect(page.getByRole('tab', { name: /Biểu 01/ })).toHaveAttribute('aria-selected', 'true');
    await page.screenshot({ path: path.join(SHOTS, `issue8-editor-speed-top-${width}.png`) });

    // Down to the table's last rows: the title, the save state and the tabs are still on screen.
    const last = page.locator('[data-cell="bieu_1.bang.dong_100.qua_han"]');
    await last.scrollIntoViewIfNeeded();
    await last.click();
    await page.keyboard.press('Control+A');
    await page.keyboard.type(String(width % 7)); // a value of its own for each size
    await expect(last).toHaveValue(String(width % 7));
    const title = await page.getByTestId('editor-title').boundingBox();
    expect(title).not.toBeNull();
    expect(title!.y).toBeGreaterThanOrEqual(0);
    expect(title!.y).toBeLessThan(150);
    await expect(page.getByRole('tab', { name: /Biểu 01/ })).toBeInViewport();
    await expect(page.getByTestId('save-status')).toBeInViewport();
    // The cell typed into is not under the header.
    const header = await page.locator('.editor-sticky').boundingBox();
    const box = await last.boundingBox();
    expect(box!.y).toBeGreaterThanOrEqual(header!.y + header!.height - 1);
    await expect(page.getByTestId('save-status')).toHaveAttribute('data-state', 'saved', { timeout: 15_000 });
    await page.screenshot({ path: path.join(SHOTS, `issue8-editor-speed-scrolled-${width}.png`) });
  });
}
