import { test, expect, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ownServer } from './own-server.js';

/**
 * Engineer G (issue 8): the Biểu tổng hợp on screen for a template that is not BC-CX, built from its
 * consolidation declaration only. The fixture template (tests/fixtures/templates/issue8-consolidation.json)
 * is published at a fresh city database, the unit list with its co_hdnd column imported, and 104
 * packages written by core/xlsx imported with city.import; the screen shows every aggregate kind.
 * Screens: tests/output/screenshots/issue8-consolidation-*.png at 1366x768 and 1024x768.
 */
const own = ownServer(24, 'g-e2e-cons-');
const OUT = path.resolve('tests/output');
const SHOTS = path.join(OUT, 'screenshots');
mkdirSync(SHOTS, { recursive: true });
const dir = mkdtempSync(path.join(tmpdir(), 'g-e2e-fx-'));
execFileSync(process.execPath, ['--import', 'tsx', 'tests/e2e/issue8-consolidation-fixtures.ts', dir], { stdio: 'pipe' });
const fx = JSON.parse(readFileSync(path.join(dir, 'fixtures.json'), 'utf8')) as {
  submitted: number;
  danSoLon: { count: number; of: number };
  dienTich: { max: number; max_unit: string; min_unit: string };
  names: Record<string, string>;
  hdnd: { count: number; of: number };
  noHdnd: string;
};
const file = (p: string) => ({ fileName: path.basename(p), data: readFileSync(p).toString('base64') });

async function rpc(page: Page, name: string, data: unknown): Promise<unknown> {
  const r = await page.request.post(`${own.base}/api/rpc/${name}`, { data });
  const body = (await r.json()) as { ok: boolean; result: unknown; error?: { message: string } };
  if (!body.ok) throw new Error(`${name}: ${body.error?.message}`);
  return body.result;
}

async function shot(page: Page, name: string): Promise<void> {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(SHOTS, `issue8-consolidation-${name}.png`), fullPage: true });
}

/** One block of the page as it prints on the full page (the app's sticky header does not cover it). */
async function blockShot(page: Page, testId: string, name: string): Promise<void> {
  const box = (await page.getByTestId(testId).boundingBox())!;
  const scrollY = await page.evaluate(() => window.scrollY);
  await page.screenshot({
    path: path.join(SHOTS, `issue8-consolidation-${name}.png`),
    fullPage: true,
    clip: { x: box.x, y: box.y + scrollY, width: box.width, height: box.height },
  });
}

async function expectNoTrace(page: Page): Promise<void> {
  const text = await page.locator('body').innerText();
  expect(text).not.toMatch(/\bat \S+ \(|\n\s+at |TypeError|ReferenceError|undefined|NaN|\[object Object\]/);
}

test('the Biểu tổng hợp of a template the city published: every aggregate kind on screen', async ({ page }) => {
  test.setTimeout(240_000);
  await page.goto('/');
  await rpc(page, 'app.setup', { role: 'city' });
  await rpc(page, 'templates.publish', { file: file('tests/fixtures/templates/issue8-consolidation.json') });
  await rpc(page, 'units.import', { file: file(path.join(dir, 'danh-muc.csv')), dryRun: false });
  const packages = readdirSync(path.join(dir, 'goi')).map((f) => path.join(dir, 'goi', f));
  for (let i = 0; i < packages.length; i += 40)
    await rpc(page, 'city.import', { files: packages.slice(i, i + 40).map(file), dryRun: false });

  await page.goto('/#/city/consolidation');
  await page.reload(); // the app reads its role and templates when it starts
  await page.getByTestId('template-choice').click();
  await page.getByRole('option', { name: /^TEST-TONGHOP/ }).click();
  const period = page.getByTestId('city-period');
  if (!/^Quý II\/2026/.test(await period.inputValue())) {
    await period.click();
    await page.getByRole('option', { name: /^Quý II\/2026/ }).click();
  }
  await expect(page.getByTestId('consolidation')).toBeVisible();
  await expect(page.getByTestId('cons-completeness').locator('tr[data-row="total"]')).toContainText(String(fx.submitted));

  // A block per group, titled by the section it reads.
  await expect(page.getByTestId('cons-chung')).toContainText('Thông tin chung');
  await expect(page.getByTestId('cons-kien_nghi')).toContainText('Kết quả, khó khăn và kiến nghị');
  // countWhere by unit type: "N/M đơn vị"
  await expect(page.getByTestId('cons-chung-dan_so_lon').locator('tr[data-row="total"]')).toContainText(
    `${fx.danSoLon.count}/${fx.danSoLon.of} đơn vị`,
  );
  // applies to units with a HĐND only: of fewer units
  await expect(page.getByTestId('cons-tai_chinh')).toContainText(`${fx.hdnd.count}/${fx.hdnd.of} đơn vị`);
  // stats by unit type, naming the unit with the largest value
  const stats = page.getByTestId('cons-chung-dien_tich_stats');
  await expect(stats.locator('tr[data-row="total"]')).toContainText(fx.names[fx.dienTich.max_unit]!);
  await expect(stats.locator('tr[data-row="xã"]')).toBeVisible();
  await expect(stats.locator('tr[data-row="phường"]')).toBeVisible();
  // money with its unit; a summed table with its total row and rate from the sums
  await expect(page.getByTestId('cons-tai_chinh')).toContainText('(triệu đồng)');
  await expect(page.getByTestId('cons-tai_chinh-von').locator('tr[data-row="tong"]')).toContainText(/\d,\d{2}%/);
  // the narrative answers by unit, with a filter
  const texts = page.getByTestId('cons-kien_nghi-de_xuat');
  const rows = texts.locator('tbody tr');
  const all = await rows.count();
  expect(all).toBeGreaterThan(10);
  const someone = (await rows.first().locator('td').nth(1).innerText()).split('\n')[0]!;
  await texts.getByRole('textbox').fill(someone.replace(/^(Xã|Phường|Đặc khu) /, ''));
  await expect(rows.first()).toContainText(someone);
  expect(await rows.count()).toBeLessThan(all);
  await texts.getByRole('textbox').fill('');
  await expectNoTrace(page);
  await shot(page, '01-summary-1366');
  for (const b of ['cons-chung', 'cons-tai_chinh', 'cons-kien_nghi'])
    await blockShot(page, b, `${b}-1366`);

  // Per unit: a unit without a HĐND reads "Không áp dụng" in Biểu 02.
  await page.getByTestId('per-unit-sheet').getByText('Biểu 02').click();
  await page.getByTestId('cons-per-unit').getByRole('textbox').fill(fx.names[fx.noHdnd]!);
  await expect(page.getByTestId('per-unit-table').locator(`tr[data-unit="${fx.noHdnd}"]`)).toContainText('Không áp dụng');
  await blockShot(page, 'cons-per-unit', 'per-unit-1366');

  await page.setViewportSize({ width: 1024, height: 768 });
  await page.getByTestId('cons-per-unit').getByRole('textbox').fill('');
  await expectNoTrace(page);
  await shot(page, '02-summary-1024');
  await blockShot(page, 'cons-chung', 'cons-chung-1024');
  await blockShot(page, 'cons-tai_chinh', 'cons-tai_chinh-1024');
  await blockShot(page, 'cons-kien_nghi', 'cons-kien_nghi-1024');
  await page.setViewportSize({ width: 1366, height: 768 });
});
