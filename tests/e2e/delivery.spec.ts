import { test, expect, type Page } from '@playwright/test';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sampleReturn, sampleValues } from '../helpers/sample.js';

/**
 * Delivery as people see it, with real processes: the city's intake server (its own SQLite file),
 * a commune in the browser mode whose database already holds a submitted return (Phường Hồng Bàng,
 * 11311), and the city in the browser mode that pulls it and decides. The commune types the
 * address and its token once; the return goes to "Đã gửi"; the city returns it with a reason and
 * the commune reads it; a second revision is accepted; the intake stops and comes back, and the
 * commune keeps working and says so honestly. Screens: tests/output/screenshots/delivery-1*.png.
 */

const SHOTS = path.resolve('tests/output/screenshots');
mkdirSync(SHOTS, { recursive: true });
const BASE_PORT = Number(process.env.E2E_PORT ?? 47631);
const COMMUNE = `http://127.0.0.1:${BASE_PORT + 4}`;
const INTAKE_PORT = BASE_PORT + 5;
const INTAKE = `http://127.0.0.1:${INTAKE_PORT}`;
const CITY = `http://127.0.0.1:${BASE_PORT + 6}`;
const UNIT = '11311';
const PERIOD = '2026-Q2';
const NOT_CONFIGURED = 'Chưa cấu hình gửi qua mạng — vẫn có thể gửi tệp Excel qua email/USB';
const REASON =
  'Biểu 02: số đã chi trả chế độ chưa khớp với quyết định nghỉ việc, đề nghị phường kiểm tra lại và nộp lại.';

let dir: string;
let intakeDb: string;
let unitToken: string;
let cityToken: string;
let intake: ChildProcess | undefined;
let commune: ChildProcess | undefined;
let city: ChildProcess | undefined;

function cli(...args: string[]): string {
  return execFileSync(process.execPath, ['bin/commune-returns.js', ...args], { encoding: 'utf8', stdio: 'pipe' });
}

/** A child process of the CLI; its output is kept for the failure message. */
function start(name: string, args: string[]): ChildProcess {
  const child = spawn(process.execPath, ['bin/commune-returns.js', ...args], { stdio: 'pipe' });
  let log = '';
  child.stdout!.on('data', (b: Buffer) => (log += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (log += b.toString()));
  child.once('exit', (code) => {
    if (code) console.log(`${name} exited with ${code}:\n${log}`);
  });
  return child;
}

async function waitUp(url: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`${url}: the process exited (${child.exitCode})`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not start`);
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

const startIntake = async (): Promise<ChildProcess> => {
  const child = start('intake', ['intake', '--db', intakeDb, '--port', String(INTAKE_PORT)]);
  await waitUp(`${INTAKE}/api/v1/health`, child);
  return child;
};

async function shot(page: Page, name: string): Promise<void> {
  await page.waitForTimeout(250); // let transitions settle so the picture shows the final state
  await page.screenshot({ path: path.join(SHOTS, `delivery-${name}.png`) });
}

/** No stack trace or programmer's text anywhere on the page. */
async function expectNoTrace(page: Page): Promise<void> {
  const text = await page.locator('body').innerText();
  expect(text).not.toMatch(
    /\bat \S+ \(|\n\s+at |TypeError|ReferenceError|undefined|NaN|\[object Object\]|Invalid Date/,
  );
}

/** The settings dialog filled with the keyboard, as a clerk types what the city wrote down. */
async function configure(page: Page, token: string, tokenLabel: string, shotName: string): Promise<void> {
  await page.getByTestId('connection-indicator').click();
  const dialog = page.getByRole('dialog', { name: 'Cài đặt gửi báo cáo qua mạng' });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByLabel('Địa chỉ máy chủ của thành phố')).toBeFocused();
  await page.keyboard.type(INTAKE);
  await page.keyboard.press('Tab');
  await expect(dialog.getByLabel(tokenLabel)).toBeFocused();
  await page.keyboard.type(token);
  await shot(page, shotName);
  await page.keyboard.press('Enter');
  await expect(dialog).toBeHidden();
}

const periodRow = (page: Page) => page.locator(`[data-period="${PERIOD}"]`);
const badge = (page: Page) => periodRow(page).locator('[data-delivery]');

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'delivery-e2e-'));
  intakeDb = path.join(dir, 'intake.sqlite');
  const communeDb = path.join(dir, 'commune.sqlite');

  // The city issues the tokens (the last line of the output is the token).
  const last = (out: string) => out.trim().split('\n').at(-1)!.trim();
  unitToken = last(cli('intake', 'token', '--db', intakeDb, '--unit', UNIT));
  cityToken = last(cli('intake', 'token', '--db', intakeDb, '--city'));
  expect(unitToken.length).toBeGreaterThanOrEqual(10);
  expect(cityToken).not.toBe(unitToken);

  // The commune's return, valid for a phường (population and area in the usual range), submitted once.
  const values = sampleValues();
  values.unit_info.population = 45_000;
  values.unit_info.area_km2 = 5.4;
  values.unit_info.coastal_or_island = false;
  const file = path.join(dir, 'return.json');
  writeFileSync(file, JSON.stringify({ ...sampleReturn(values), unit: UNIT, period: PERIOD }));
  expect(cli('validate', '--from-json', file)).toContain('hợp lệ');
  expect(cli('submit', '--db', communeDb, '--from-json', file)).toContain('Đã nộp lần 1');

  [intake, commune, city] = [
    start('intake', ['intake', '--db', intakeDb, '--port', String(INTAKE_PORT)]),
    start('commune', ['web', '--db', communeDb, '--port', String(BASE_PORT + 4)]),
    start('city', ['web', '--db', path.join(dir, 'city.sqlite'), '--port', String(BASE_PORT + 6)]),
  ];
  await Promise.all([
    waitUp(`${INTAKE}/api/v1/health`, intake),
    waitUp(`${COMMUNE}/`, commune),
    waitUp(`${CITY}/`, city),
  ]);
});

test.afterAll(async () => {
  await Promise.all([stop(commune), stop(city), stop(intake)]);
});

test('the commune enters the address and its token once; the submitted return is sent', async ({ page }) => {
  await page.goto(`${COMMUNE}/#/periods`); // the periods list (the home is "Việc phải nộp", issue 9)
  await expect(page.getByText(`Phường Hồng Bàng · mã ${UNIT}`)).toBeVisible();
  const indicator = page.getByTestId('connection-indicator');
  await expect(indicator).toHaveText(NOT_CONFIGURED);
  await expect(periodRow(page)).toContainText('Đã nộp (lần 1)');
  // Not configured: no delivery state at all (issue 7: "Chờ gửi" would promise a sending that cannot happen).
  await expect(badge(page)).toHaveCount(0);
  await shot(page, '10a-commune-not-configured');

  await configure(page, unitToken, 'Mã truy cập của đơn vị', '10b-commune-settings');
  await expect(indicator).toHaveAttribute('data-state', 'ok');
  await expect(indicator).toContainText(/Lần liên lạc gần nhất với máy chủ: \d{2}\/\d{2}\/\d{4}/);
  // The background sender sends it by itself shortly after the settings are saved.
  await expect(badge(page)).toHaveText(/^Đã gửi lúc \d{2}\/\d{2}\/\d{4} \d{2}:\d{2}$/, { timeout: 20_000 });
  await expectNoTrace(page);
  await shot(page, '11-commune-sent');
});

test('the city pulls it and returns it with a reason; the commune reads the reason; revision 2 is accepted', async ({
  page,
  context,
}) => {
  // ── The city: first start, its own token, "Lấy báo cáo mới từ máy chủ".
  const cityPage = await context.newPage();
  await cityPage.goto(CITY);
  await cityPage.getByRole('radio', { name: 'Thành phố' }).check();
  await cityPage.getByRole('button', { name: 'Bắt đầu' }).click();
  await configure(cityPage, cityToken, 'Mã truy cập của thành phố', '12a-city-settings');
  await expect(cityPage.getByTestId('connection-indicator')).toHaveAttribute('data-state', 'ok');
  await cityPage.getByTestId('city-pull').click();
  const imported = cityPage.locator('[data-testid="import-results"] tr[data-result="imported"]');
  await expect(imported).toContainText('Phường Hồng Bàng');
  await shot(cityPage, '12b-city-pulled');

  // ── Review → Trả lại, with the reason typed.
  await cityPage.goto(`${CITY}/#/city/review/${PERIOD}/${UNIT}`);
  await expect(cityPage.getByTestId('review-title')).toContainText('Phường Hồng Bàng');
  await cityPage.getByRole('button', { name: 'Trả lại để chỉnh sửa' }).click();
  await cityPage.getByTestId('return-reason').click();
  await cityPage.keyboard.type(REASON);
  await cityPage.getByRole('button', { name: 'Trả lại', exact: true }).click();
  await expect(cityPage.getByTestId('review-state')).toHaveText('Đã trả lại');

  // ── The commune asks for the result (the app also asks by itself every few minutes).
  await page.goto(`${COMMUNE}/#/periods`);
  await expect(badge(page)).toHaveText(/^Đã gửi lúc/);
  await expect(async () => {
    await page.getByTestId('check-now').click();
    await expect(badge(page)).toHaveAttribute('data-delivery', 'returned', { timeout: 2_000 });
  }).toPass({ timeout: 20_000 });
  await expect(badge(page)).toHaveText('Bị trả lại');
  await expect(periodRow(page).getByTestId('delivery-reason')).toHaveText(`Lý do: ${REASON}`);
  await expectNoTrace(page);
  await shot(page, '13-commune-returned');

  // ── In the editor: the reason is there; the clerk corrects Biểu 02 and submits revision 2.
  await periodRow(page).getByRole('button').last().click();
  await expect(page.getByTestId('editor-title')).toContainText('Phường Hồng Bàng');
  await expect(page.locator('body')).toContainText(REASON);
  await shot(page, '14-commune-editor-returned');
  await page.getByRole('tab', { name: /Biểu 02/ }).click();
  await page.locator('[data-cell="staff.recruited"]').focus();
  await page.keyboard.press('Control+a');
  await page.keyboard.type('1');
  await expect(page.getByTestId('save-status')).toHaveAttribute('data-state', 'saved', { timeout: 15_000 });
  await page.getByTestId('submit-button').click();
  const dialog = page.getByRole('dialog');
  await dialog.getByTestId('confirm-submit').click();
  await expect(dialog.getByTestId('submit-done')).toContainText('Đã nộp lần 2');
  await dialog.getByRole('button', { name: 'Đóng' }).click();
  const editorBadge = page.locator('[data-delivery]').first();
  await expect(editorBadge).toHaveText(/^Đã gửi lúc/, { timeout: 15_000 });

  // ── The city pulls revision 2 (it replaces revision 1) and accepts it.
  await cityPage.goto(CITY);
  await cityPage.getByTestId('city-pull').click();
  await expect(cityPage.locator('[data-testid="import-results"] tr[data-result="superseded"]')).toContainText(
    'Phường Hồng Bàng',
  );
  await cityPage.goto(`${CITY}/#/city/review/${PERIOD}/${UNIT}`);
  await cityPage.getByRole('button', { name: 'Tiếp nhận' }).click();
  await expect(cityPage.getByTestId('review-state')).toHaveText('Đã tiếp nhận');
  await cityPage.close();

  await expect(async () => {
    await page.getByTestId('check-now').click();
    await expect(editorBadge).toHaveAttribute('data-delivery', 'accepted', { timeout: 2_000 });
  }).toPass({ timeout: 20_000 });
  await expect(editorBadge).toHaveText('Thành phố đã tiếp nhận');
  await page.getByRole('button', { name: 'Về danh sách kỳ báo cáo' }).click();
  await expect(badge(page)).toHaveText('Thành phố đã tiếp nhận');
  await expect(periodRow(page)).toContainText('Đã nộp (lần 2)');
  await expectNoTrace(page);
  await shot(page, '15-commune-accepted');
});

test('the intake stops: the commune keeps working and says so; it comes back and the queued revision is sent', async ({
  page,
}) => {
  await stop(intake);
  await page.goto(`${COMMUNE}/#/periods`);
  await periodRow(page).getByRole('button').last().click();
  await page.getByRole('tab', { name: /Biểu 02/ }).click();
  await page.locator('[data-cell="staff.transferred_in"]').focus();
  await page.keyboard.press('Control+a');
  await page.keyboard.type('2');
  await expect(page.getByTestId('save-status')).toHaveAttribute('data-state', 'saved', { timeout: 15_000 });
  await expect(page.getByTestId('save-status')).toContainText(/Đã lưu lúc/);
  await page.getByTestId('submit-button').click();
  const dialog = page.getByRole('dialog');
  await dialog.getByTestId('confirm-submit').click();
  await expect(dialog.getByTestId('submit-done')).toContainText('Đã nộp lần 3');
  await dialog.getByRole('button', { name: 'Đóng' }).click();

  // The sender tries, finds no server, and the header says so: the last contact and the retry.
  const indicator = page.getByTestId('connection-indicator');
  await expect(indicator).toHaveAttribute('data-state', 'warn', { timeout: 15_000 });
  await expect(indicator).toContainText(
    /^Chưa kết nối được · liên lạc gần nhất (\d{2}\/\d{2}\/\d{4} )?\d{2}:\d{2} · tự thử lại lúc (\d{2}\/\d{2}\/\d{4} )?\d{2}:\d{2}$/,
  );
  // …and all of it is on the screen, not cut off by the header's width.
  expect(await indicator.locator('.connection-text').evaluate((e) => e.scrollWidth <= e.clientWidth)).toBe(true);
  const editorBadge = page.locator('[data-delivery]').first();
  await expect(editorBadge).toHaveText('Chờ gửi');
  // Work goes on: another period opens and what is typed is saved, with no server.
  await page.getByRole('button', { name: 'Về danh sách kỳ báo cáo' }).click();
  await expect(badge(page)).toHaveText('Chờ gửi');
  await page.locator('[data-period="2026-Q3"]').getByRole('button').last().click();
  await page.locator('[data-cell="unit_info.population"]').focus();
  await page.keyboard.type('45.500');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('save-status')).toHaveAttribute('data-state', 'saved', { timeout: 15_000 });
  await expect(page.getByTestId('save-status')).toContainText(/Đã lưu lúc \d{2}:\d{2}:\d{2}/);
  await expect(indicator).toHaveAttribute('data-state', 'warn');
  await shot(page, '16-commune-intake-down-editor');
  await page.getByRole('button', { name: 'Về danh sách kỳ báo cáo' }).click();
  await expect(page.locator('[data-period="2026-Q3"]')).toContainText('Đang soạn');
  await indicator.hover();
  await expect(page.getByRole('tooltip')).toContainText('ứng dụng sẽ tự gửi lại khi có mạng');
  await expectNoTrace(page);
  await shot(page, '17-commune-intake-down');

  // The intake comes back; "Gửi ngay" (or the next automatic attempt) delivers the queued revision.
  intake = await startIntake();
  await page.getByTestId('send-now').click();
  await expect(badge(page)).toHaveText(/^Đã gửi lúc/, { timeout: 15_000 });
  await expect(indicator).toHaveAttribute('data-state', 'ok');
  await expect(periodRow(page)).toContainText('Đã nộp (lần 3)');
  await expectNoTrace(page);
  await page.mouse.move(600, 700); // no tooltip over the header in the picture
  await shot(page, '18-commune-back-online');
});
