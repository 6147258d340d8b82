import { test, expect, type Page } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * The delivery screens that can be checked without the delivery core: the honest "not configured"
 * line and the settings dialog's own validation. Its own server and SQLite file (a commune).
 * The delivery engineer extends this with the outbox states, "Gửi ngay" and the city pull.
 */

const SHOTS = path.resolve('tests/output/screenshots');
mkdirSync(SHOTS, { recursive: true });
const PORT = Number(process.env.E2E_PORT ?? 47631) + 3;
const BASE = `http://127.0.0.1:${PORT}`;
const NOT_CONFIGURED = 'Chưa cấu hình gửi qua mạng — vẫn có thể gửi tệp Excel qua email/USB';

let server: ChildProcess;

async function shot(page: Page, name: string): Promise<void> {
  await page.waitForTimeout(250);
  await page.screenshot({ path: path.join(SHOTS, `delivery-${name}.png`) });
}

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  const db = path.join(mkdtempSync(path.join(tmpdir(), 'delivery-ui-e2e-')), 'commune.sqlite');
  server = spawn(process.execPath, ['bin/commune-returns.js', 'web', '--db', db, '--port', String(PORT)], {
    stdio: 'pipe',
  });
  // What the server said, printed if it does not come up (a failed start otherwise leaves no trace).
  let said = '';
  server.stdout?.on('data', (d: Buffer) => (said += d.toString()));
  server.stderr?.on('data', (d: Buffer) => (said += d.toString()));
  let up = false;
  for (let i = 0; i < 600 && !up && server.exitCode === null; i++) {
    try {
      up = (await fetch(`${BASE}/`)).ok;
    } catch {
      /* not up yet */
    }
    if (!up) await new Promise((r) => setTimeout(r, 100));
  }
  if (!up) throw new Error(`the web server on port ${PORT} did not start (exit ${server.exitCode}):\n${said}`);
  const r = await fetch(`${BASE}/api/rpc/app.setup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ role: 'commune', unitCode: '11311' }),
  });
  expect(((await r.json()) as { ok: boolean }).ok).toBe(true);
});

test.afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server.once('exit', r));
    server.kill('SIGTERM');
    await exited;
  }
});

test('not configured: the header says so honestly and work goes on', async ({ page }) => {
  await page.goto(BASE);
  const indicator = page.getByTestId('connection-indicator');
  await expect(indicator).toHaveText(NOT_CONFIGURED);
  await expect(indicator).toHaveAttribute('data-state', 'off');
  await shot(page, '01-not-configured');
  // Nothing is blocked: the reports due on the home ("Việc phải nộp", issue 9) open and the editor works.
  await page.getByTestId('todo-open').first().click();
  await expect(page.getByTestId('editor-title')).toBeVisible();
  await expect(indicator).toHaveText(NOT_CONFIGURED);
  // Opened from the home, the editor's back button says it goes there, and does.
  const back = page.getByRole('button', { name: 'Về Việc phải nộp' });
  await back.hover();
  await expect(page.getByRole('tooltip')).toHaveText('Về Việc phải nộp');
  await page.waitForTimeout(250); // the tooltip's transition settles before the picture
  await page.screenshot({ path: path.join(SHOTS, 'issue9-specs-editor-back-home-1366.png') });
  await page.setViewportSize({ width: 1024, height: 768 });
  await page.screenshot({ path: path.join(SHOTS, 'issue9-specs-editor-back-home-1024.png') });
  await page.setViewportSize({ width: 1366, height: 768 });
  await back.click();
  await expect(page.getByRole('heading', { name: 'Việc phải nộp' })).toBeVisible();
  await page.screenshot({ path: path.join(SHOTS, 'issue9-specs-home-after-back-1366.png') });
});

test('settings dialog: every field is checked with a Vietnamese message before anything is sent', async ({ page }) => {
  await page.goto(BASE);
  await page.getByTestId('connection-indicator').click();
  const dialog = page.getByRole('dialog', { name: 'Cài đặt gửi báo cáo qua mạng' });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole('button', { name: 'Chọn tệp cài đặt…' })).toBeVisible();

  let calls = 0;
  page.on('request', (r) => {
    if (r.url().endsWith('/api/rpc/delivery.configure')) calls++;
  });
  const save = dialog.getByRole('button', { name: 'Lưu cài đặt' });
  const url = dialog.getByLabel('Địa chỉ máy chủ của thành phố');
  const token = dialog.getByLabel('Mã truy cập của đơn vị');

  await save.click();
  await expect(dialog).toContainText('Hãy nhập địa chỉ máy chủ của thành phố.');
  await expect(dialog).toContainText('Hãy nhập mã truy cập do thành phố cấp.');
  await shot(page, '02-settings-empty');

  await url.fill('baocao haiphong');
  await token.fill('abc');
  await save.click();
  await expect(dialog).toContainText('Địa chỉ máy chủ chưa đúng');
  await expect(dialog).toContainText('Mã truy cập quá ngắn (cần ít nhất 10 ký tự)');
  await shot(page, '03-settings-invalid');

  await url.fill('ftp://baocao.haiphong.gov.vn');
  await token.fill('0123456789abcdef');
  await save.click();
  await expect(dialog).toContainText('Địa chỉ máy chủ chưa đúng');
  await expect(dialog).not.toContainText('Mã truy cập quá ngắn');
  expect(calls).toBe(0);

  await dialog.getByRole('button', { name: 'Hủy' }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByTestId('connection-indicator')).toHaveText(NOT_CONFIGURED);
});
