import { test, expect, type APIRequestContext, type Page } from '@playwright/test';
import ExcelJS from 'exceljs';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ownServer } from './own-server.js';

/**
 * Issue 9, round 2 (engineer "signed") in the browser mode:
 * - the city's "Mẫu báo cáo" gives, beside each authoring workbook, "Tải tệp gửi xã (đã ký)" and
 *   says what to do with it; the file downloaded is the one a commune takes;
 * - a commune's "Nhận mẫu báo cáo" refuses the Excel workbook next to the button (in Vietnamese,
 *   saying what to do) and receives the signed file;
 * - a Sở Tài chính clerk signs in and lands on "Yêu cầu báo cáo", without the standing report's
 *   tabs (BC-CX is Sở Nội vụ's) and without any "not found"; a Sở Nội vụ clerk keeps them.
 * Screens: tests/output/screenshots/issue9-signed-*.png (1366x768 and 1024x768).
 */

const SHOTS = path.resolve('tests/output/screenshots');
mkdirSync(SHOTS, { recursive: true });
const DIR = mkdtempSync(path.join(tmpdir(), 'issue9-signed-e2e-'));

const city = ownServer(63, 'issue9-signed-city-');
const commune = ownServer(64, 'issue9-signed-commune-');

const TEMPLATE = { id: 'PCM-HP', title: 'Báo cáo tổ chức phòng chuyên môn (Hải Phòng bổ sung)' };
const UNIT = { code: '11311', name: 'Phường Hồng Bàng' };
const PW = 'Hải Phòng 2026 mật khẩu';
const REQUEST_TITLE = 'Rà soát trụ sở, tài sản công đến ngày chốt';

async function shot(page: Page, name: string): Promise<void> {
  await page.mouse.move(0, 0);
  await page.waitForTimeout(300);
  await page.screenshot({ path: path.join(SHOTS, `issue9-signed-${name}.png`), fullPage: true });
}

async function shotBoth(page: Page, name: string): Promise<void> {
  await shot(page, `${name}-1366`);
  await page.setViewportSize({ width: 1024, height: 768 });
  await shot(page, `${name}-1024`);
  await page.setViewportSize({ width: 1366, height: 768 });
}

async function rpc<T>(request: APIRequestContext, base: string, name: string, data: unknown): Promise<T> {
  const res = await request.post(`${base}/api/rpc/${name}`, { data });
  const body = (await res.json()) as { ok: boolean; result?: T; error?: { message: string } };
  if (!body.ok) throw new Error(`${name}: ${body.error?.message}`);
  return body.result as T;
}

function cli(args: string[], input?: string): string {
  return execFileSync(process.execPath, ['bin/commune-returns.js', ...args], { encoding: 'utf8', input });
}

async function download(page: Page, click: () => Promise<void>): Promise<string> {
  const d = page.waitForEvent('download');
  await click();
  const file = await d;
  const to = path.join(DIR, file.suggestedFilename());
  await file.saveAs(to);
  return to;
}

async function chooseFile(page: Page, button: string, file: string): Promise<void> {
  const chooser = page.waitForEvent('filechooser');
  await page.getByTestId(button).click();
  await (await chooser).setFiles(file);
}

/** No stack trace or programmer's text anywhere on the page. */
async function expectNoTrace(page: Page): Promise<void> {
  const text = await page.locator('body').innerText();
  expect(text).not.toMatch(/\bat \S+ \(|\n\s+at |TypeError|ReferenceError|undefined|NaN|\[object Object\]/);
}

/** A new template from the PCM authoring workbook under another id, as a clerk would save it in Excel. */
async function renamedWorkbook(base64: string, out: string): Promise<string> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(Buffer.from(base64, 'base64') as unknown as ArrayBuffer);
  const ws = wb.getWorksheet('Cài đặt')!;
  let nameCol = 0;
  let valueCol = 0;
  ws.eachRow((row) =>
    row.eachCell((c, n) => {
      const v = String(c.text).trim().toLowerCase();
      if (v === 'thiết lập') nameCol = n;
      if (v === 'giá trị') valueCol = n;
    }),
  );
  expect(nameCol).toBeGreaterThan(0);
  ws.eachRow((row) => {
    const name = String(row.getCell(nameCol).text).trim().toLowerCase();
    if (name === 'mã mẫu') row.getCell(valueCol).value = TEMPLATE.id;
    if (name === 'tên') row.getCell(valueCol).value = TEMPLATE.title;
    if (name === 'phiên bản') row.getCell(valueCol).value = 1;
  });
  await wb.xlsx.writeFile(out);
  return out;
}

async function signIn(page: Page, name: string): Promise<void> {
  await page.goto(`${city.base}/`);
  await expect(page).toHaveURL(`${city.base}/login`);
  await page.getByLabel('Tên đăng nhập').fill(name);
  await page.getByLabel('Mật khẩu').fill(PW);
  await page.getByRole('button', { name: 'Đăng nhập' }).click();
  await expect(page.getByTestId('signed-in-user')).toContainText(name);
}

const addDays = (iso: string, n: number) =>
  new Date(Date.parse(`${iso}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

test.describe.configure({ mode: 'serial' });

test.beforeEach(async ({ page }) => {
  // The File System Access picker cannot be driven headless: take the download path of Save As.
  await page.addInitScript(() => {
    delete (window as { showSaveFilePicker?: unknown }).showSaveFilePicker;
  });
});

let workbook = '';
let signed = '';

test('the city downloads the signed file of a template for the communes', async ({ page }) => {
  await rpc(page.request, city.base, 'app.setup', { role: 'city' });
  // The key whose public half ships with the app (what offices trust by default).
  expect(
    cli(['city', 'key', 'import', '--db', city.db, '--in', path.resolve('tests/fixtures/keys/city-private.pem')]),
  ).toContain('Đã cài khóa ký của Thành phố');
  // A template of the city's own, published (as the issue 8 screens do), and a Sở Tài chính request.
  const pcm = await rpc<{ fileName: string; data: string }>(page.request, city.base, 'templates.workbook', {
    id: 'PCM',
    version: 1,
  });
  workbook = await renamedWorkbook(pcm.data, path.join(DIR, 'pcm-hp.xlsx'));
  await rpc(page.request, city.base, 'templates.publish', {
    file: { fileName: 'pcm-hp.xlsx', data: readFileSync(workbook).toString('base64') },
  });
  const { today } = await rpc<{ today: string }>(page.request, city.base, 'app.info', {});
  await rpc(page.request, city.base, 'requests.create', {
    template: 'TSC',
    templateVersion: 1,
    ref: { number: '1234/UBND-NVKTGS', date: today, summary: 'Rà soát, sắp xếp trụ sở, tài sản công' },
    title: REQUEST_TITLE,
    addressees: { kind: 'all' },
    period: today,
    due: addDays(today, 30),
    dueWording: 'trong',
    department: 'Sở Tài chính',
  });

  await page.goto(`${city.base}/#/city/templates`);
  const list = page.getByTestId('templates-list');
  await expect(list.locator(`[data-template="${TEMPLATE.id}@1"]`)).toContainText('Đã công bố');
  await expect(page.getByTestId('template-signed-hint')).toContainText(
    'Xã chỉ nhận mẫu báo cáo do Thành phố ký: bấm "Tải tệp gửi xã (đã ký)"',
  );
  const row = list.locator(`[data-template="${TEMPLATE.id}@1"]`);
  await expect(row.getByTestId(`workbook-${TEMPLATE.id}@1`)).toHaveText('Tải sổ soạn mẫu');
  await expect(row.getByTestId(`signed-${TEMPLATE.id}@1`)).toHaveText('Tải tệp gửi xã (đã ký)');
  await shotBoth(page, '01-city-templates');

  signed = await download(page, () => row.getByTestId(`signed-${TEMPLATE.id}@1`).click());
  expect(path.basename(signed)).toBe(`mau-${TEMPLATE.id}-v1.json`);
  await expect(page.getByText(`Đã xuất tệp`)).toBeVisible();
  await expectNoTrace(page);
});

test('a commune refuses the Excel workbook next to the button and receives the signed file', async ({ page }) => {
  await rpc(page.request, commune.base, 'app.setup', { role: 'commune', unitCode: UNIT.code });
  await page.goto(`${commune.base}/#/periods`);
  await expect(page.getByTestId('template-choice')).toHaveValue(/^BC-CX — /);
  const bar = page.getByTestId('template-choice-bar');
  await expect(bar).toContainText('tệp .json đã ký');

  await chooseFile(page, 'template-receive', workbook);
  const refusal = bar.getByTestId('template-receive-error');
  await expect(refusal).toContainText('Mẫu báo cáo phải là tệp do Thành phố ký', { timeout: 30_000 });
  await expect(refusal).toContainText('Hãy xin Thành phố gửi tệp đã ký.');
  await expect(page.getByTestId('template-choice')).toHaveValue(/^BC-CX — /);
  await shotBoth(page, '02-commune-refused');

  await chooseFile(page, 'template-receive', signed);
  await expect(page.getByText('Đã nhận mẫu báo cáo')).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId('template-choice')).toHaveValue(`${TEMPLATE.id} — ${TEMPLATE.title}`);
  await expect(page.getByTestId('template-receive-error')).toHaveCount(0);
  await shot(page, '03-commune-received-1366');
  await expectNoTrace(page);
});

test('a Sở Tài chính clerk lands on "Yêu cầu báo cáo" without the standing report tabs or "not found"', async ({
  page,
}) => {
  cli(
    ['user', 'add', '--db', city.db, '--name', 'Quản trị', '--department', 'Văn phòng UBND thành phố', '--admin'],
    `${PW}\n`,
  );
  cli(['user', 'add', '--db', city.db, '--name', 'Trần Văn Hùng', '--department', 'Sở Tài chính'], `${PW}\n`);
  cli(['user', 'add', '--db', city.db, '--name', 'Nguyễn Thị Lan', '--department', 'Sở Nội vụ'], `${PW}\n`);

  await signIn(page, 'Trần Văn Hùng');
  await expect(page.getByRole('tab', { name: 'Yêu cầu báo cáo' })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByText(REQUEST_TITLE)).toBeVisible();
  await expect(page.getByRole('tab', { name: 'Tình hình nộp' })).toHaveCount(0);
  await expect(page.getByRole('tab', { name: 'Biểu tổng hợp' })).toHaveCount(0);
  await expect(page.getByRole('tab', { name: 'Nhập báo cáo' })).toBeVisible();
  await expect(page.getByRole('alert')).toHaveCount(0);
  await expect(page.locator('body')).not.toContainText('Không tìm thấy');
  await shotBoth(page, '04-clerk-lands');

  // Import stays for everyone: the template choice, no refusal.
  await page.getByRole('tab', { name: 'Nhập báo cáo' }).click();
  await expect(page).toHaveURL(`${city.base}/#/city/import`);
  await expect(page.getByTestId('template-choice')).toHaveValue(/^BC-CX — /);
  await expect(page.getByTestId('import-files')).toBeAttached();
  await page.waitForTimeout(500); // a refused call would show its alert by now
  await expect(page.getByRole('alert')).toHaveCount(0);
  await expect(page.locator('body')).not.toContainText('Không tìm thấy');
  // The standing report's completeness by its address: the clerk is shown their requests instead.
  await page.goto(`${city.base}/#/city/completeness`);
  await expect(page.getByRole('tab', { name: 'Yêu cầu báo cáo' })).toHaveAttribute('aria-selected', 'true');
  await expect(page.locator('body')).not.toContainText('Không tìm thấy');
  await shot(page, '05-clerk-import-1366');
  await expectNoTrace(page);
  await page.getByTestId('signed-in-user').getByRole('button', { name: 'Đăng xuất' }).click();
  await expect(page).toHaveURL(`${city.base}/login`);

  // The Sở Nội vụ clerk consolidates BC-CX: also lands on the requests, and keeps its tabs.
  await signIn(page, 'Nguyễn Thị Lan');
  await expect(page.getByRole('tab', { name: 'Yêu cầu báo cáo' })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByText(REQUEST_TITLE)).toHaveCount(0); // Sở Tài chính's
  await page.getByRole('tab', { name: 'Tình hình nộp' }).click();
  await expect(page.getByTestId('city-period')).toBeVisible();
  await expect(page.locator('body')).not.toContainText('Không tìm thấy');
  await shot(page, '06-noi-vu-completeness-1366');
});
