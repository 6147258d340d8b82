import { test, expect, type Page } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * Review of issue 7 ("city" reviewer): the browser mode with a login (`web --host 0.0.0.0
 * --password-file …`). When the session is lost while a value waits to be saved (the server was
 * restarted, the session expired), the editor stays on the page and says how to log in again; the
 * value is saved after the login in another tab. Before, the page went to /login at once and the
 * value typed last was lost.
 */

const SHOTS = path.resolve('tests/output/screenshots');
mkdirSync(SHOTS, { recursive: true });
const PORT = Number(process.env.E2E_PORT ?? 47631) + 11;
const BASE = `http://127.0.0.1:${PORT}`;
const PASSWORD = 'Hải Phòng 2026 mật khẩu';

const dir = mkdtempSync(path.join(tmpdir(), 'issue7-review-city-e2e-'));
const pw = path.join(dir, 'password.txt');
writeFileSync(pw, `${PASSWORD}\n`);
let server: ChildProcess | undefined;

async function start(): Promise<void> {
  let output = '';
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
  for (let i = 0; i < 600; i++) {
    if (server.exitCode !== null) throw new Error(`the web server exited: ${output}`);
    try {
      if ((await fetch(`${BASE}/login`)).ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the web server did not start: ${output}`);
}

async function stop(): Promise<void> {
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server!.once('exit', r));
    server.kill('SIGTERM');
    await exited;
  }
}

async function login(page: Page): Promise<void> {
  await page.goto(`${BASE}/login`);
  await page.getByLabel('Mật khẩu').fill(PASSWORD);
  await page.getByRole('button', { name: 'Đăng nhập' }).click();
  await expect(page).toHaveURL(`${BASE}/`);
}

/** The commune of this file's database (set once; again is harmless). */
async function setupCommune(page: Page): Promise<void> {
  const status = await page.evaluate(async () => {
    const r = await fetch('api/rpc/app.setup', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ role: 'commune', unitCode: '11560' }),
    });
    return r.status;
  });
  expect(status).toBe(200);
}

const population = (page: Page) => page.locator('[data-cell="unit_info.population"]');

async function typePopulation(page: Page, text: string): Promise<void> {
  await population(page).click();
  await page.keyboard.press('Control+A');
  await page.keyboard.type(text);
  await page.keyboard.press('Tab');
}

test.beforeAll(start);
test.afterAll(stop);

test('a session lost while a value waits to be saved: the page stays, says how to log in, and the value is saved after the login', async ({
  page,
  context,
}) => {
  await login(page);
  await setupCommune(page);
  await page.goto(`${BASE}/#/return/2026-Q2`);
  await page.reload();
  await typePopulation(page, '12345');
  await expect(page.getByTestId('save-status')).toHaveAttribute('data-state', 'saved', { timeout: 15_000 });

  // The server restarts: every session is gone.
  await stop();
  await start();
  await typePopulation(page, '67890');
  const error = page.getByTestId('save-error');
  await expect(error).toContainText('Phiên đăng nhập đã hết hạn', { timeout: 15_000 });
  await expect(error).toContainText(`${BASE}/login`);
  expect(page.url()).toBe(`${BASE}/#/return/2026-Q2`);
  await expect(population(page)).toHaveValue(/67[.,]?890/);
  await page.screenshot({ path: path.join(SHOTS, 'issue7-review-city-session-lost.png') });

  // The person logs in in another tab, comes back and saves (or waits for the retry).
  const other = await context.newPage();
  await login(other);
  await other.close();
  await page.bringToFront();
  await page.getByTestId('save-status').getByRole('button').click();
  await expect(page.getByTestId('save-status')).toHaveAttribute('data-state', 'saved', { timeout: 15_000 });
  await page.reload();
  await expect(population(page)).toHaveValue(/67[.,]?890/);
});

test('a clerk on a shared computer logs out from the header; the session is then closed on the server', async ({
  page,
  context,
}) => {
  await login(page);
  await setupCommune(page);
  await page.goto(`${BASE}/#/return/2026-Q2`);
  await page.reload();
  await expect(population(page)).toBeVisible();
  // Before: no way to log out in the app (the session lived on for up to 12 hours, through browser restarts).
  const logout = page.getByTestId('header-logout');
  await expect(logout).toBeVisible();
  await expect(logout).toHaveAccessibleName('Đăng xuất');
  await page.screenshot({ path: path.join(SHOTS, 'issue7-review-city-logout-button.png') });
  const cookie = (await context.cookies()).find((c) => c.name === 'commune_returns_session')!;
  await logout.click();
  await expect(page).toHaveURL(`${BASE}/login`);
  // The old session id no longer opens anything, even if it was copied before.
  const r = await fetch(`${BASE}/api/rpc/app.info`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie: `${cookie.name}=${cookie.value}` },
    body: '{}',
  });
  expect(r.status).toBe(401);
  await page.goto(`${BASE}/`);
  await expect(page).toHaveURL(`${BASE}/login`);
});
