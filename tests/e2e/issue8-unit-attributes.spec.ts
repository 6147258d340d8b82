import { test, expect, type Page } from '@playwright/test';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ownServer } from './own-server.js';

/**
 * Issue 8 (applicability by unit), in the browser as a city clerk: the unit list's attribute
 * columns are shown ("Cột thuộc tính của danh mục: co_hdnd"), and a list with one more column
 * ("Có BQLDA" for 48 units) is previewed with the units whose attributes change, then used.
 * Run: E2E_PORT=47780 npx playwright test tests/e2e/issue8-unit-attributes.spec.ts
 * Screenshots at 1366x768 and 1024x768: tests/output/screenshots/i8h-*.png.
 */

const SHOTS = path.resolve('tests/output/screenshots');
mkdirSync(SHOTS, { recursive: true });

async function shot(page: Page, name: string): Promise<void> {
  await page.waitForTimeout(250);
  for (const width of [1366, 1024]) {
    await page.setViewportSize({ width, height: 768 });
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: path.join(SHOTS, `i8h-${name}-${width}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1366, height: 768 });
}

async function expectNoTrace(page: Page): Promise<void> {
  const text = await page.locator('body').innerText();
  expect(text).not.toMatch(/\bat \S+ \(|\n\s+at |TypeError|ReferenceError|undefined|NaN|\[object Object\]/);
}

test.describe.configure({ mode: 'serial' });
ownServer(28, 'cr-e2e-unit-attributes-');

test('the city sees the list\'s attribute columns, previews a list adding "Có BQLDA" for 48 units, and uses it', async ({ page }) => {
  await page.goto('/');
  await page.getByRole('radio', { name: 'Thành phố' }).check();
  await page.getByRole('button', { name: 'Bắt đầu' }).click();
  await page.getByRole('tab', { name: 'Danh mục đơn vị' }).click();
  await expect(page.getByTestId('units-current')).toContainText('114 đơn vị');
  await expect(page.getByTestId('units-attribute-columns')).toHaveText(
    'Cột thuộc tính của danh mục: co_hdnd. Mẫu báo cáo dùng các cột này để biết mục nào áp dụng cho từng đơn vị.',
  );

  // The shipped list with one more column, as a clerk would add it in Excel.
  const dir = mkdtempSync(path.join(tmpdir(), 'i8h-'));
  const lines = readFileSync(path.resolve('resources/units/haiphong.csv'), 'utf8').trimEnd().split(/\r?\n/);
  const file = path.join(dir, 'danh-muc-bqlda.csv');
  writeFileSync(file, [`${lines[0]},Có BQLDA`, ...lines.slice(1).map((l, i) => `${l},${i < 48 ? 'x' : ''}`)].join('\r\n') + '\r\n');
  const chooser = page.waitForEvent('filechooser');
  await page.getByTestId('units-import').click();
  await (await chooser).setFiles(file);

  const preview = page.getByTestId('units-preview');
  await expect(preview).toContainText('Xem trước danh-muc-bqlda.csv: 114 đơn vị, so với danh mục đang dùng (114 đơn vị)');
  const attrs = page.getByTestId('units-attributes');
  await expect(attrs).toContainText('Đổi thuộc tính: 48');
  await expect(attrs).toContainText('Thuộc tính (như co_hdnd: có HĐND) quyết định mục nào của mẫu báo cáo áp dụng cho đơn vị.');
  await expect(attrs).toContainText('Phường Thủy Nguyên: co_hdnd = 1 → co_hdnd = 1, co_bqlda = x');
  await expect(page.getByTestId('units-added')).toContainText('Thêm mới: 0');
  await expect(page.getByTestId('units-removed')).toContainText('Không còn trong danh mục: 0');
  await expectNoTrace(page);
  await shot(page, '01-units-preview-attributes');

  await page.getByTestId('units-confirm').click();
  await expect(page.getByTestId('units-result')).toBeVisible();
  await expect(page.getByTestId('units-attribute-columns')).toContainText('Cột thuộc tính của danh mục: co_hdnd, co_bqlda.');
  await expectNoTrace(page);
  await shot(page, '02-units-attributes-used');
});
