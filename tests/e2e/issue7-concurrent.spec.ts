import { test, expect, type Page, type Locator, type Route } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { loadTemplates } from '../../core/resources.js';
import { ownServer } from './own-server.js';

/**
 * Issue 7, item 1: two tabs on the same return in the browser mode (real server, real SQLite,
 * Chromium). Tab A types Dân số, tab B types Người lập biểu: after a reload both are there. The same
 * cell typed in both: the later tab is told in Vietnamese, next to the cell and in a notice, with
 * the other value, and chooses which to keep.
 */

const SHOTS = path.resolve('tests/output/screenshots');
mkdirSync(SHOTS, { recursive: true });

async function shot(page: Page, name: string): Promise<void> {
  await page.waitForTimeout(250); // let transitions settle so the picture shows the final state
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
}

/** The path of a field of the template found by its Vietnamese label, as a clerk reads it on screen. */
const template = loadTemplates(path.resolve('resources/templates')).get('BC-CX@1')!;
function fieldPath(label: string): string {
  for (const s of template.sections)
    for (const i of s.items) if (i.kind === 'field' && i.label.vi.startsWith(label)) return `${s.key}.${i.key}`;
  throw new Error(`no field labelled ${label}`);
}
const POPULATION = fieldPath('Dân số');
const PREPARER = fieldPath('Người lập biểu');

const cell = (page: Page, p: string): Locator => page.locator(`[data-cell="${p}"]`);

async function expectSaved(page: Page): Promise<void> {
  await expect(page.getByTestId('save-status')).toHaveAttribute('data-state', 'saved', { timeout: 15_000 });
  await expect(page.getByTestId('save-status')).toContainText(/Đã lưu lúc \d{2}:\d{2}:\d{2}/);
}

async function typeInto(page: Page, p: string, text: string): Promise<void> {
  await cell(page, p).click();
  await page.keyboard.press('Control+A');
  await page.keyboard.type(text);
  await page.keyboard.press('Tab');
}

/**
 * Reload the page until the editor is back: another test run on this machine may be rebuilding the
 * shared dist/renderer at that moment, and the server then answers 404 for a few seconds.
 */
async function reloadEditor(page: Page, route?: string): Promise<void> {
  await expect(async () => {
    await (route ? page.goto(route) : page.reload());
    await expect(cell(page, POPULATION)).toBeVisible({ timeout: 5_000 });
  }).toPass({ timeout: 90_000 });
}

const year = new Date().getFullYear();

test.describe.configure({ mode: 'serial' });

// A database of its own: this file counts revisions from 1 and starts from the first-start screen.
ownServer(1, 'cr-e2e-concurrent-');

test.beforeAll(async ({ request }) => {
  const setup = await request.post('/api/rpc/app.setup', { data: { role: 'commune', unitCode: '11311' } });
  expect((await setup.json()).ok).toBe(true);
});

test('two tabs typing different cells: both are kept, and each tab shows the other one’s value', async ({ context }) => {
  const route = `/#/return/${year}-Q2`;
  const a = await context.newPage();
  const b = await context.newPage();
  await reloadEditor(a, route);
  await reloadEditor(b, route);
  await expect(cell(a, POPULATION)).toBeVisible();
  await expect(cell(b, PREPARER)).toBeVisible();

  await typeInto(a, POPULATION, '12000');
  await expectSaved(a);
  await typeInto(b, PREPARER, 'Trần Thị Bình');
  await expectSaved(b);
  // Both are stored: tab B's save did not erase tab A's Dân số.
  const stored = await (await a.request.post('/api/rpc/returns.open', { data: { template: 'BC-CX', period: `${year}-Q2` } })).json();
  const [sk, pop] = POPULATION.split('.') as [string, string];
  expect(stored.result.values[sk]).toMatchObject({ [pop]: 12000, [PREPARER.split('.')[1]!]: 'Trần Thị Bình' });
  // Tab A learns of B's save (BroadcastChannel), and B of A's.
  await expect(cell(a, PREPARER)).toHaveValue('Trần Thị Bình');
  await expect(cell(b, POPULATION)).toHaveValue('12.000');
  await shot(b, 'issue7-01-two-tabs-both-kept');

  await reloadEditor(b);
  await expect(cell(b, POPULATION)).toHaveValue('12.000');
  await expect(cell(b, PREPARER)).toHaveValue('Trần Thị Bình');
  await reloadEditor(a);
  await expect(cell(a, POPULATION)).toHaveValue('12.000');
  await expect(cell(a, PREPARER)).toHaveValue('Trần Thị Bình');
  await a.close();
  await b.close();
});

test('the same cell in both tabs: the later tab is told in Vietnamese, with the other value, and chooses', async ({
  context,
}) => {
  const route = `/#/return/${year}-Q3`;
  const a = await context.newPage();
  const b = await context.newPage();
  await reloadEditor(a, route);
  await reloadEditor(b, route);
  await expect(cell(a, POPULATION)).toBeVisible();
  await expect(cell(b, POPULATION)).toBeVisible();

  // Tab B's saves are slow on the wire: they reach the server only after tab A's save is stored.
  const held: Route[] = [];
  await b.route('**/api/rpc/returns.saveDraft', (r) => void held.push(r));
  await typeInto(b, POPULATION, '9000');
  await typeInto(b, PREPARER, 'Lê Văn Cường');
  await expect.poll(() => held.length).toBeGreaterThan(0);
  await typeInto(a, POPULATION, '15000');
  await typeInto(a, PREPARER, 'Phạm Thị Dung');
  await expectSaved(a);
  for (const r of held.splice(0)) await r.continue();
  await b.unroute('**/api/rpc/returns.saveDraft');
  for (const r of held.splice(0)) await r.continue().catch(() => undefined); // any held meanwhile

  const notice = b.getByTestId('save-conflicts');
  await expect(notice).toBeVisible();
  await expect(notice).toContainText('Có ô vừa được sửa ở cửa sổ khác');
  await expect(notice).toContainText('Biểu 01, Dân số (người): bạn nhập 9.000, cửa sổ khác đã lưu 15.000.');
  await expect(notice).toContainText('Biểu 01, Người lập biểu: bạn nhập “Lê Văn Cường”, cửa sổ khác đã lưu “Phạm Thị Dung”.');
  // The indicator no longer says "Đã lưu": what this tab typed there is not saved.
  await expect(b.getByTestId('save-status')).toHaveAttribute('data-state', 'conflict');
  await expect(b.getByTestId('save-status')).toContainText('2 ô chưa lưu — cần chọn giá trị');
  // Next to the cell too; the cell shows what is stored.
  await expect(b.locator(`[data-issue="conflict:${POPULATION}"]`)).toContainText(
    'Cửa sổ khác đã lưu 15.000 vào ô này; giá trị bạn nhập (9.000) chưa được lưu.',
  );
  await expect(cell(b, POPULATION)).toHaveValue('15.000');
  await expect(cell(b, PREPARER)).toHaveValue('Phạm Thị Dung');
  await shot(b, 'issue7-02-conflict-1366');
  await b.setViewportSize({ width: 1024, height: 768 });
  await shot(b, 'issue7-03-conflict-1024');
  await b.setViewportSize({ width: 1366, height: 768 });

  // Keeping mine re-saves with the stored value as `before`: written, and tab A learns of it.
  await notice.getByRole('button', { name: 'Giữ giá trị của tôi (9.000)' }).click();
  await expect(cell(b, POPULATION)).toHaveValue('9.000');
  await expect(b.getByTestId('save-status')).toContainText('1 ô chưa lưu — cần chọn giá trị');
  // Taking the other value keeps what is stored.
  await notice.getByRole('button', { name: 'Dùng giá trị đã lưu (“Phạm Thị Dung”)' }).click();
  await expect(notice).toBeHidden();
  await expectSaved(b);
  await expect(cell(a, POPULATION)).toHaveValue('9.000');
  await expect(cell(a, PREPARER)).toHaveValue('Phạm Thị Dung');
  const stored = await (await a.request.post('/api/rpc/returns.open', { data: { template: 'BC-CX', period: `${year}-Q3` } })).json();
  expect(stored.result.values[POPULATION.split('.')[0]!]).toMatchObject({
    [POPULATION.split('.')[1]!]: 9000,
    [PREPARER.split('.')[1]!]: 'Phạm Thị Dung',
  });
  await shot(a, 'issue7-04-kept-mine-other-tab');
});
