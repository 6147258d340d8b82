import { test, expect, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ownServer } from './own-server.js';

/**
 * Engineer L (issue 8): versions of one template mixed in one period, as the city clerk sees them.
 * v1 is published and two communes submit on it; v2 is published (a label changed, cars removed,
 * computers added); a late v1 package, a v2 package and a v2 resubmission arrive. The Biểu tổng hợp
 * names the units on the older version and says what the v2-only figure is over; the review of the
 * resubmitted unit compares its v1 and v2 revisions, every cell labelled from its own version.
 * Screens: tests/output/screenshots/issue8-city-versions-*.png at 1366x768 and 1024x768.
 */
const own = ownServer(38, 'l-e2e-versions-');
const SHOTS = path.resolve('tests/output/screenshots');
mkdirSync(SHOTS, { recursive: true });
const dir = mkdtempSync(path.join(tmpdir(), 'l-e2e-fx-'));
execFileSync(process.execPath, ['--import', 'tsx', 'tests/e2e/issue8-city-versions-fixtures.ts', dir], { stdio: 'pipe' });
type U = { code: string; name: string };
const fx = JSON.parse(readFileSync(path.join(dir, 'fixtures.json'), 'utf8')) as { a: U; b: U; c: U; d: U; pcm: U };
const file = (p: string) => ({ fileName: path.basename(p), data: readFileSync(p).toString('base64') });
const folder = (d: string) => readdirSync(path.join(dir, d)).sort().map((f) => file(path.join(dir, d, f)));


async function rpc(page: Page, name: string, data: unknown): Promise<unknown> {
  const r = await page.request.post(`${own.base}/api/rpc/${name}`, { data });
  const body = (await r.json()) as { ok: boolean; result: unknown; error?: { message: string } };
  if (!body.ok) throw new Error(`${name}: ${body.error?.message}`);
  return body.result;
}

async function shot(page: Page, name: string): Promise<void> {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(SHOTS, `issue8-city-versions-${name}.png`), fullPage: true });
}

async function expectNoTrace(page: Page): Promise<void> {
  const text = await page.locator('body').innerText();
  expect(text).not.toMatch(/\bat \S+ \(|\n\s+at |TypeError|ReferenceError|undefined|NaN|\[object Object\]/);
}

async function chooseTemplateAndPeriod(page: Page): Promise<void> {
  await page.getByTestId('template-choice').click();
  await page.getByRole('option', { name: /^TEST-PB/ }).click();
  const period = page.getByTestId('city-period');
  if (!/^Quý II\/2026/.test(await period.inputValue())) {
    await period.click();
    await page.getByRole('option', { name: /^Quý II\/2026/ }).click();
  }
}

test('a period mixing v1 and v2 of a template: the Biểu tổng hợp and the review say which version each figure comes from', async ({ page }) => {
  test.setTimeout(180_000);
  await page.goto('/');
  await rpc(page, 'app.setup', { role: 'city' });
  await rpc(page, 'templates.publish', { file: file(path.join(dir, 'v1.json')) });
  await rpc(page, 'city.import', { files: folder('before'), dryRun: false });
  await rpc(page, 'templates.publish', { file: file(path.join(dir, 'v2.json')) });

  // The clerk imports the rest on screen: a late v1 package is accepted, each row says its version,
  // the resubmission on v2 replaces revision 1.
  await page.goto('/#/city/import');
  await page.reload(); // the app reads its role and templates when it starts
  const files = readdirSync(path.join(dir, 'after')).sort().map((f) => path.join(dir, 'after', f));
  await page.getByTestId('import-files').setInputFiles(files);
  await expect(page.locator('[data-testid="import-results"] tbody tr')).toHaveCount(3, { timeout: 60_000 });
  const row = (code: string) => page.locator('[data-testid="import-results"] tbody tr').filter({ hasText: code });
  await expect(row(fx.b.code)).toHaveAttribute('data-result', 'imported');
  await expect(row(fx.b.code).getByTestId('result-template')).toHaveText('Mẫu TEST-PB, phiên bản 1');
  await expect(row(fx.c.code).getByTestId('result-template')).toHaveText('Mẫu TEST-PB, phiên bản 2');
  await expect(row(fx.d.code)).toHaveAttribute('data-result', 'superseded');
  // The clerk is looking at BC-CX: packages of another template are not "of another period".
  await expect(page.getByTestId('other-period')).toHaveCount(0);
  await expect(page.getByTestId('other-period-badge')).toHaveCount(0);
  await expectNoTrace(page);
  await shot(page, '00-import-1366');

  await page.goto('/#/city/consolidation');
  await chooseTemplateAndPeriod(page);
  await expect(page.getByTestId('consolidation')).toBeVisible();
  const note = page.getByTestId('older-versions-note');
  await expect(note).toContainText(`2 đơn vị nộp theo phiên bản cũ hơn của mẫu (phiên bản 1: ${fx.a.name}, ${fx.b.name})`);
  await expect(page.getByTestId('cons-chung')).toContainText('Số máy tính (trên 2 đơn vị nộp theo phiên bản 2)');
  await expect(page.getByTestId('cons-chung')).toContainText('Tổng số cán bộ, công chức');
  await expect(page.getByTestId('cons-chung')).toContainText('101');
  // Per unit: a v1 unit has no figure for the v2-only item, and says why.
  await expect(page.getByTestId('per-unit-table').locator(`tr[data-unit="${fx.a.code}"]`)).toContainText('Không có ở phiên bản 1');
  await expectNoTrace(page);
  await shot(page, '01-consolidation-1366');
  await page.setViewportSize({ width: 1024, height: 768 });
  await expectNoTrace(page);
  await shot(page, '02-consolidation-1024');
  await page.setViewportSize({ width: 1366, height: 768 });

  // The review of the unit that resubmitted on v2: revision 1 (v1) against revision 2 (v2).
  await page.goto(`/#/city/review/2026-Q2/${fx.d.code}`);
  await expect(page.getByTestId('review-title')).toContainText(fx.d.name);
  await expect(page.getByTestId('review-revisions').locator('tr[data-revision="1"]')).toContainText('Phiên bản 1');
  await expect(page.getByTestId('review-revisions').locator('tr[data-revision="2"]')).toContainText('Phiên bản 2');
  await page.getByRole('button', { name: 'So sánh' }).click();
  const diff = page.locator('table').filter({ hasText: 'Số xe ô tô' }).last();
  await expect(diff).toContainText('Tổng số cán bộ, công chức (phiên bản 1: Số cán bộ)');
  await expect(diff).toContainText('Số xe ô tô (chỉ có ở phiên bản 1)');
  await expect(diff).toContainText('Số máy tính (chỉ có ở phiên bản 2)');
  await expectNoTrace(page);
  await shot(page, '03-review-diff-1366');
  await page.setViewportSize({ width: 1024, height: 768 });
  await shot(page, '04-review-diff-1024');
  await page.setViewportSize({ width: 1366, height: 768 });
});

test('BC-CX distributions name their buckets again: "1 trụ sở" … "Trên 5 trụ sở", "Đủ định mức", "Thiếu 1 xe"', async ({ page }) => {
  test.setTimeout(120_000);
  await page.goto('/');
  await rpc(page, 'city.import', { files: folder('bccx'), dryRun: false });
  await page.goto('/#/city/consolidation');
  await page.reload();
  await page.getByTestId('template-choice').click();
  await page.getByRole('option', { name: /^BC-CX/ }).click();
  const period = page.getByTestId('city-period');
  if (!/^Quý II\/2026/.test(await period.inputValue())) {
    await period.click();
    await page.getByRole('option', { name: /^Quý II\/2026/ }).click();
  }
  const cars = page.getByTestId('cons-vehicles-shortfall_distribution');
  await expect(cars).toContainText('Đủ định mức');
  await expect(cars).toContainText('Thiếu 1 xe');
  await expect(cars).toContainText('Thiếu 2 xe');
  const sites = page.getByTestId('cons-hq-site_count_distribution');
  await expect(sites).toContainText('1 trụ sở');
  await expect(sites).toContainText('Trên 5 trụ sở');
  await expectNoTrace(page);
  for (const [w, name] of [[1366, '05-bccx-buckets-1366'], [1024, '06-bccx-buckets-1024']] as const) {
    await page.setViewportSize({ width: w, height: 768 });
    const box = (await page.getByTestId('cons-vehicles').boundingBox())!;
    const hq = (await page.getByTestId('cons-hq').boundingBox())!;
    const scrollY = await page.evaluate(() => window.scrollY);
    const top = Math.min(box.y, hq.y);
    await page.screenshot({
      path: path.join(SHOTS, `issue8-city-versions-${name}.png`),
      fullPage: true,
      clip: { x: 0, y: top + scrollY, width: w, height: Math.max(box.y + box.height, hq.y + hq.height) - top },
    });
  }
  await page.setViewportSize({ width: 1366, height: 768 });
});

test('the review of a PCM return: long texts, dates and tables read whole, with no error', async ({ page }) => {
  test.setTimeout(120_000);
  await page.goto('/');
  const r = (await rpc(page, 'city.import', { files: folder('pcm'), dryRun: false })) as { results: { outcome: string; message: string }[] };
  expect(r.results[0], r.results[0]?.message).toMatchObject({ outcome: 'imported' });
  await page.goto('/#/city/completeness');
  await page.reload();
  await page.getByTestId('template-choice').click();
  await page.getByRole('option', { name: /^PCM/ }).click();
  await page.goto(`/#/city/review/2026-H1/${fx.pcm.code}`);
  await expect(page.getByTestId('review-title')).toContainText(fx.pcm.name);
  await expect(page.locator('body')).toContainText('không có lỗi');
  await expectNoTrace(page);
  await shot(page, '07-review-pcm-1366');
  await page.setViewportSize({ width: 1024, height: 768 });
  await shot(page, '08-review-pcm-1024');
  await page.setViewportSize({ width: 1366, height: 768 });
});
