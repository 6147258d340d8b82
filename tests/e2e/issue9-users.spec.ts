import { test, expect, type Page } from '@playwright/test';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * Issue 9 item 4 in the browser: a city database prepared with `user add` (an administrator, a
 * Sở Nội vụ clerk, a Sở Tài chính clerk); every page needs a sign-in (loopback too). The
 * administrator signs in and manages users on the "Người dùng" tab; the Sở Nội vụ clerk signs in,
 * sees their name and department in the header, no users tab, and signs out.
 */

const SHOTS = path.resolve('tests/output/screenshots');
mkdirSync(SHOTS, { recursive: true });
const PORT = Number(process.env.E2E_PORT ?? 47631) + 200 + 48;
const BASE = `http://127.0.0.1:${PORT}`;
const PW = 'Hải Phòng 2026 mật khẩu';

let server: ChildProcess;
let output = '';

async function shot(page: Page, name: string): Promise<void> {
  await page.waitForTimeout(300);
  await page.screenshot({ path: path.join(SHOTS, `issue9-users-${name}.png`) });
}

function userAdd(db: string, name: string, department: string, admin = false): void {
  const r = spawnSync(
    process.execPath,
    ['bin/commune-returns.js', 'user', 'add', '--db', db, '--name', name, '--department', department, ...(admin ? ['--admin'] : [])],
    { input: `${PW}\n`, encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`user add ${name} failed: ${r.stdout}${r.stderr}`);
}

async function signIn(page: Page, name: string, password = PW): Promise<void> {
  await page.goto(`${BASE}/`);
  await expect(page).toHaveURL(`${BASE}/login`);
  await page.getByLabel('Tên đăng nhập').fill(name);
  await page.getByLabel('Mật khẩu').fill(password);
  await page.getByRole('button', { name: 'Đăng nhập' }).click();
}

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  const db = path.join(mkdtempSync(path.join(tmpdir(), 'issue9-users-e2e-')), 'city.sqlite');
  userAdd(db, 'Quản trị', 'Văn phòng UBND thành phố', true);
  userAdd(db, 'Nguyễn Thị Lan', 'Sở Nội vụ');
  userAdd(db, 'Trần Văn Hùng', 'Sở Tài chính');
  server = spawn(process.execPath, ['bin/commune-returns.js', 'web', '--db', db, '--port', String(PORT)], { stdio: 'pipe' });
  server.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  server.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  for (let i = 0; i < 600; i++) {
    if (server.exitCode !== null) throw new Error(`the web server exited: ${output}`);
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
  test(`the sign-in page at ${width}x768: name and password; a wrong one says so without saying which part`, async ({ page }) => {
    await page.setViewportSize({ width, height: 768 });
    await page.goto(`${BASE}/`);
    await expect(page).toHaveURL(`${BASE}/login`);
    await expect(page.getByRole('heading', { name: 'Báo cáo của UBND cấp xã' })).toBeVisible();
    await expect(page.getByLabel('Tên đăng nhập')).toBeFocused();
    await expect(page.getByLabel('Mật khẩu')).toBeVisible();
    await shot(page, `login-${width}`);
    if (width !== 1366) return;
    await signIn(page, 'Nguyễn Thị Lan', 'sai mật khẩu rồi');
    await expect(page.getByRole('alert')).toContainText('Tên đăng nhập hoặc mật khẩu không đúng');
    // The name stays typed; the password is asked again.
    await expect(page.getByLabel('Tên đăng nhập')).toHaveValue('Nguyễn Thị Lan');
    await expect(page.getByLabel('Mật khẩu')).toBeFocused();
    await shot(page, 'login-wrong');
  });
}

test('the administrator signs in, sees the users tab, adds a user; the users screen at 1366 and 1024', async ({ page }) => {
  await page.setViewportSize({ width: 1366, height: 768 });
  await signIn(page, 'quản trị'); // names without case
  await expect(page).toHaveURL(`${BASE}/`);
  const who = page.getByTestId('signed-in-user');
  await expect(who).toContainText('Quản trị');
  await expect(who).toContainText('Văn phòng UBND thành phố');
  await expect(who.getByRole('button', { name: 'Đăng xuất' })).toBeVisible();
  await page.getByTestId('tab-users').click();
  await expect(page).toHaveURL(`${BASE}/#/city/users`);
  const table = page.getByTestId('users-table');
  await expect(table.getByRole('row')).toHaveCount(4);
  await expect(table).toContainText('Nguyễn Thị Lan');
  await expect(table).toContainText('Sở Tài chính');
  await expect(table.getByRole('row', { name: /Quản trị/ })).toContainText('Quản trị viên');

  // Add a clerk: the department from the suggested list.
  const form = page.locator('form', { has: page.getByRole('button', { name: 'Thêm người dùng' }) });
  await form.getByLabel(/^Tên đăng nhập/).fill('Phạm Minh');
  await form.getByRole('combobox', { name: 'Phòng ban' }).fill('Sở Tư');
  await page.getByRole('option', { name: 'Sở Tư pháp' }).click();
  await form.getByLabel(/^Mật khẩu/).fill('mật khẩu mới 2026');
  await form.getByLabel(/^Nhập lại mật khẩu/).fill('mật khẩu khác 2026');
  await form.getByRole('button', { name: 'Thêm người dùng' }).click();
  await expect(form.getByRole('alert')).toContainText('Hai lần nhập mật khẩu không giống nhau');
  await form.getByLabel(/^Nhập lại mật khẩu/).fill('mật khẩu mới 2026');
  await form.getByRole('button', { name: 'Thêm người dùng' }).click();
  await expect(page.getByText('Đã thêm người dùng Phạm Minh.')).toBeVisible();
  await expect(table.getByRole('row')).toHaveCount(5);
  await expect(table.getByRole('row', { name: /Phạm Minh/ })).toContainText('Sở Tư pháp');
  await page.mouse.move(0, 0);
  await shot(page, 'screen-1366');
  await page.setViewportSize({ width: 1024, height: 768 });
  await shot(page, 'screen-1024');
});

test('the Sở Nội vụ clerk signs in: the header shows the name and department, no users tab; Đăng xuất goes back to the sign-in page', async ({ page }) => {
  await page.setViewportSize({ width: 1366, height: 768 });
  await signIn(page, 'Nguyễn Thị Lan');
  await expect(page).toHaveURL(`${BASE}/`);
  const who = page.getByTestId('signed-in-user');
  await expect(who).toContainText('Nguyễn Thị Lan');
  await expect(who).toContainText('Sở Nội vụ');
  await expect(page.getByTestId('tab-templates')).toBeVisible();
  await expect(page.getByTestId('tab-users')).toHaveCount(0);
  await shot(page, 'clerk-1366');
  // A narrower window keeps the name (the department in its tooltip) and an icon to sign out.
  await page.setViewportSize({ width: 1024, height: 768 });
  await expect(who).toContainText('Nguyễn Thị Lan');
  await shot(page, 'clerk-1024');
  await who.getByRole('button', { name: 'Đăng xuất' }).click();
  await expect(page).toHaveURL(`${BASE}/login`);
  await page.goto(`${BASE}/`);
  await expect(page).toHaveURL(`${BASE}/login`);
});

test.describe('first start', () => {
  const port = PORT + 1; // E2E_PORT + 200 + 49: this spec's second offset
  const base = `http://127.0.0.1:${port}`;
  let fresh: ChildProcess;
  let said = '';

  test.beforeAll(async () => {
    const db = path.join(mkdtempSync(path.join(tmpdir(), 'issue9-users-first-')), 'city.sqlite');
    fresh = spawn(process.execPath, ['bin/commune-returns.js', 'web', '--db', db, '--port', String(port)], { stdio: 'pipe' });
    fresh.stdout?.on('data', (d: Buffer) => (said += d.toString()));
    fresh.stderr?.on('data', (d: Buffer) => (said += d.toString()));
    for (let i = 0; i < 600; i++) {
      if (fresh.exitCode !== null) throw new Error(`the web server exited: ${said}`);
      try {
        if ((await fetch(`${base}/`)).ok) return;
      } catch {
        /* not up yet */
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  test.afterAll(async () => {
    if (fresh && fresh.exitCode === null) {
      const exited = new Promise((r) => fresh.once('exit', r));
      fresh.kill('SIGTERM');
      await exited;
    }
  });

  test('choosing Thành phố offers an optional administrator account; created, the app asks to sign in', async ({ page }) => {
    await page.setViewportSize({ width: 1366, height: 768 });
    await page.goto(`${base}/`);
    await page.getByRole('radio', { name: 'Thành phố' }).click();
    const admin = page.getByTestId('setup-admin');
    await expect(admin).toContainText('Tài khoản quản trị (không bắt buộc)');
    await admin.getByLabel(/^Tên đăng nhập/).fill('Quản trị');
    await admin.getByRole('combobox', { name: 'Phòng ban' }).fill('Văn phòng UBND');
    await page.getByRole('option', { name: 'Văn phòng UBND thành phố' }).click();
    await admin.getByLabel(/^Mật khẩu/).fill('ngắn');
    await admin.getByLabel(/^Nhập lại mật khẩu/).fill('ngắn');
    await page.getByRole('button', { name: 'Bắt đầu' }).click();
    await expect(page.getByRole('alert')).toContainText('ít nhất 8 ký tự');
    await admin.getByLabel(/^Mật khẩu/).fill(PW);
    await admin.getByLabel(/^Nhập lại mật khẩu/).fill(PW);
    await shot(page, 'setup-admin-1366');
    await page.getByRole('button', { name: 'Bắt đầu' }).click();
    await expect(page).toHaveURL(`${base}/login`);
    await page.getByLabel('Tên đăng nhập').fill('Quản trị');
    await page.getByLabel('Mật khẩu').fill(PW);
    await page.getByRole('button', { name: 'Đăng nhập' }).click();
    await expect(page).toHaveURL(`${base}/`);
    await expect(page.getByTestId('signed-in-user')).toContainText('Quản trị');
    await expect(page.getByTestId('tab-users')).toBeVisible();
  });
});
