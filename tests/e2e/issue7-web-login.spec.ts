import { test, expect, type Page } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * Issue 7, item 17: the browser mode on every address (`web --host 0.0.0.0 --password-file …`)
 * asks for a password on a small Vietnamese login page, then opens the app; a call without a
 * session (expired, cookies cleared) sends the person back to the login page. Bound to 0.0.0.0,
 * reached only through 127.0.0.1.
 */

const SHOTS = path.resolve('tests/output/screenshots');
mkdirSync(SHOTS, { recursive: true });
const PORT = Number(process.env.E2E_PORT ?? 47631) + 7;
const BASE = `http://127.0.0.1:${PORT}`;
const PASSWORD = 'Hải Phòng 2026 mật khẩu';

let server: ChildProcess;
let output = '';

async function shot(page: Page, name: string): Promise<void> {
  await page.waitForTimeout(250);
  await page.screenshot({ path: path.join(SHOTS, `issue7-login-${name}.png`) });
}

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'issue7-login-e2e-'));
  const pw = path.join(dir, 'password.txt');
  writeFileSync(pw, `${PASSWORD}\n`);
  server = spawn(
    process.execPath,
    [
      'bin/commune-returns.js',
      'web',
      '--db',
      path.join(dir, 'commune.sqlite'),
      '--port',
      String(PORT),
      '--host',
      '0.0.0.0',
      '--password-file',
      pw,
    ],
    { stdio: 'pipe' },
  );
  server.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  server.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`${BASE}/login`)).ok) break;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(output).toContain(`Mở trình duyệt tại: ${BASE}`);
});

test.afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server.once('exit', r));
    server.kill('SIGTERM');
    await exited;
  }
});

for (const width of [1366, 1024]) {
  test(`the login page at ${width}x768`, async ({ page }) => {
    await page.setViewportSize({ width, height: 768 });
    await page.goto(BASE);
    await expect(page).toHaveURL(`${BASE}/login`);
    await expect(page.getByRole('heading', { name: 'Báo cáo của UBND cấp xã' })).toBeVisible();
    await expect(page.getByLabel('Mật khẩu')).toBeFocused();
    await shot(page, `page-${width}`);
    await page.getByLabel('Mật khẩu').fill('sai mật khẩu');
    await page.getByRole('button', { name: 'Đăng nhập' }).click();
    const error = page.getByRole('alert');
    await expect(error).toHaveText(/^Mật khẩu không đúng\. Hãy nhập lại/);
    // The message sits right under the field it concerns.
    const field = await page.getByLabel('Mật khẩu').boundingBox();
    const box = await error.boundingBox();
    expect(box!.y).toBeGreaterThan(field!.y);
    expect(box!.y - (field!.y + field!.height)).toBeLessThan(40);
    await shot(page, `wrong-${width}`);
  });
}

test('after the login the app opens; a call without a session goes back to the login page', async ({
  page,
  context,
}) => {
  await page.goto(BASE);
  await page.getByLabel('Mật khẩu').fill(PASSWORD);
  await page.getByRole('button', { name: 'Đăng nhập' }).click();
  await expect(page).toHaveURL(`${BASE}/`);
  await expect(page.getByRole('heading', { name: 'Thiết lập lần đầu' })).toBeVisible();
  await shot(page, 'app-after-login');

  // The session is gone (expired, cookies cleared): the next call opens the login page.
  await context.clearCookies();
  await page.getByRole('radio', { name: 'Thành phố' }).click();
  await page.getByRole('button', { name: 'Bắt đầu' }).click();
  await expect(page).toHaveURL(`${BASE}/login`);
  await expect(page.getByLabel('Mật khẩu')).toBeVisible();
});
