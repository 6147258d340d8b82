import { test, expect, type Browser, type BrowserContext, type Locator, type Page } from '@playwright/test';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { formatNumber } from '../../shared/format.js';

/**
 * Issue 9 end to end, the way people do it, on two servers of their own:
 * 1. The city's database is prepared by the command line as a real city would: the signing key
 *    matching the public key shipped to offices (`city key import`), an administrator, a Sở Nội vụ
 *    clerk and a Sở Tài chính clerk (`user add`, passwords on standard input). The commune
 *    (Phường Hồng Bàng) is set up through its first-start screen.
 * 2. The Sở Nội vụ clerk signs in, creates a PCM request for the phường through the form (a
 *    deadline five days ahead "trong ngày"), publishes it and downloads the signed request file.
 * 3. The commune receives the file on "Việc phải nộp", sees the request with the time left and
 *    "Kính gửi: UBND thành phố (qua Sở Nội vụ)", opens it, fills it, submits, downloads the package.
 * 4. The clerk imports the package, opens the request: Hồng Bàng submitted on time, the other phường
 *    missing; reviews and accepts it ("Quyết định bởi <clerk>"); the consolidation shows its figures.
 * 5. The Sở Tài chính clerk does not see the request, and its URL says "not found" in Vietnamese;
 *    the administrator sees it.
 * Screens: tests/output/screenshots/issue9-flow-*.png (1366×768; the home and the request detail also at 1024×768).
 */

const SHOTS = path.resolve('tests/output/screenshots');
mkdirSync(SHOTS, { recursive: true });
const DIR = mkdtempSync(path.join(tmpdir(), 'issue9-flow-'));
const CITY_PORT = Number(process.env.E2E_PORT ?? 47631) + 260;
const COMMUNE_PORT = CITY_PORT + 1;
const CITY = `http://127.0.0.1:${CITY_PORT}`;
const COMMUNE = `http://127.0.0.1:${COMMUNE_PORT}`;
const PW = 'Hải Phòng 2026 mật khẩu';

const ADMIN = 'Quản trị';
const NOI_VU = 'Nguyễn Thị Lan';
const TAI_CHINH = 'Trần Văn Hùng';

const UNITS = readFileSync(path.resolve('resources/units/haiphong.csv'), 'utf8')
  .split(/\r?\n/)
  .slice(1)
  .filter(Boolean)
  .map((l) => l.split(','));
const PHUONG = UNITS.filter((u) => u[1] === 'phường').map((u) => u[0]!);
const HONG_BANG = UNITS.find((u) => u[2] === 'Phường Hồng Bàng')![0]!;

const addDays = (iso: string, n: number) => {
  const [y, m, d] = iso.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
};
const dmy = (iso: string) => {
  const [y, m, d] = iso.split('-').map(Number);
  return `${d}/${m}/${y}`;
};
const ddmmyyyy = (iso: string) => iso.split('-').reverse().join('/');
/** Today in Vietnam (UTC+7), as the app counts days. */
const TODAY = new Date(Date.now() + 7 * 3600_000).toISOString().slice(0, 10);
const DUE = addDays(TODAY, 5);
const YEAR = Number(TODAY.slice(0, 4));
/** The half-year whose return the request asks for: the current one. */
const HALF = `${YEAR}-H${Number(TODAY.slice(5, 7)) <= 6 ? 1 : 2}`;
const HALF_LABEL = `6 tháng ${HALF.endsWith('H1') ? 'đầu' : 'cuối'} năm ${YEAR}`;

// ── The two servers ───────────────────────────────────────────────────────────────────────────

const servers: ChildProcess[] = [];

function cli(args: string[], input?: string): string {
  const r = spawnSync(process.execPath, ['bin/commune-returns.js', ...args], { input, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`commune-returns ${args.slice(0, 3).join(' ')} failed: ${r.stdout}${r.stderr}`);
  return r.stdout;
}

async function startServer(db: string, port: number, ready: string): Promise<void> {
  const base = `http://127.0.0.1:${port}`;
  const proc = spawn(process.execPath, ['bin/commune-returns.js', 'web', '--db', db, '--port', String(port)], {
    stdio: 'pipe',
  });
  let output = '';
  proc.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  servers.push(proc);
  for (let i = 0; i < 600; i++) {
    if (proc.exitCode !== null) throw new Error(`the web server on ${base} exited: ${output}`);
    try {
      if ((await fetch(`${base}${ready}`)).ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the web server did not start on ${base}: ${output}`);
}

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  // The city, by the command line: the key first (a new file becomes the city's), then its people.
  const city = path.join(DIR, 'city.sqlite');
  const said = cli([
    'city',
    'key',
    'import',
    '--db',
    city,
    '--in',
    path.resolve('tests/fixtures/keys/city-private.pem'),
  ]);
  expect(said).toContain('Đã cài khóa ký của Thành phố');
  cli(['user', 'add', '--db', city, '--name', ADMIN, '--department', 'Văn phòng UBND thành phố', '--admin'], `${PW}\n`);
  cli(['user', 'add', '--db', city, '--name', NOI_VU, '--department', 'Sở Nội vụ'], `${PW}\n`);
  cli(['user', 'add', '--db', city, '--name', TAI_CHINH, '--department', 'Sở Tài chính'], `${PW}\n`);
  await startServer(city, CITY_PORT, '/login');
  // The commune: a new file, set up on its first-start screen (below).
  await startServer(path.join(DIR, 'commune.sqlite'), COMMUNE_PORT, '/');
});

test.afterAll(async () => {
  for (const s of servers)
    if (s.exitCode === null) {
      const exited = new Promise((r) => s.once('exit', r));
      s.kill('SIGTERM');
      await exited;
    }
});

// ── Helpers ───────────────────────────────────────────────────────────────────────────────────

const pageErrors: string[] = [];

/** A browser window of its own (the city's people each sign in their own), saving files by download. */
async function windowOf(browser: Browser): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  await context.addInitScript(() => {
    delete (window as { showSaveFilePicker?: unknown }).showSaveFilePicker;
  });
  const page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
  return { context, page };
}

test.afterEach(() => {
  expect(pageErrors).toEqual([]);
});

async function shot(page: Page, name: string): Promise<void> {
  await page.mouse.move(0, 0);
  await page.waitForTimeout(300);
  // From the top: a full-page shot taken scrolled down paints the fixed header mid-page.
  const y = await page.evaluate(() => window.scrollY);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(SHOTS, `issue9-flow-${name}.png`), fullPage: true });
  await page.evaluate((v) => window.scrollTo(0, v), y);
}

/** No stack trace or programmer's text on the page. */
async function expectNoTrace(page: Page): Promise<void> {
  const text = await page.locator('body').innerText();
  expect(text).not.toMatch(
    /\bat \S+ \(|\n\s+at |TypeError|ReferenceError|undefined|NaN|\[object Object\]|lỗi không mong muốn/,
  );
}

/** Nothing wider than the window (no horizontal scroll of the page itself). */
async function expectNothingCut(page: Page): Promise<void> {
  const over = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(over).toBeLessThanOrEqual(0);
}

/** The header keeps the app's name on one line (a signed-in clerk's name and the connection state beside it). */
async function expectHeaderFits(page: Page): Promise<void> {
  const title = page.locator('header h1');
  const box = (await title.boundingBox())!;
  expect(box.height).toBeLessThanOrEqual(24);
  expect(box.y).toBeGreaterThanOrEqual(0);
  // …and nothing beside it is cut: the language choice whole, the row no wider than the window.
  const cut = await page.evaluate(() => {
    const labels = [...document.querySelectorAll('header .mantine-SegmentedControl-label')];
    const row = document.querySelector('header > div')!;
    return {
      labels: labels.filter((l) => l.scrollWidth > l.clientWidth + 1).map((l) => l.textContent),
      row: row.scrollWidth - row.clientWidth,
    };
  });
  expect(cut).toEqual({ labels: [], row: 0 });
}

/** Close the notifications shown so far (they would cover the picture of the next page). */
async function closeNotes(page: Page): Promise<void> {
  for (const close of await page.locator('.mantine-Notification-root button').all()) await close.click();
  await expect(page.locator('.mantine-Notification-root')).toHaveCount(0);
}

async function signIn(page: Page, name: string): Promise<void> {
  await page.goto(`${CITY}/`);
  await expect(page).toHaveURL(`${CITY}/login`);
  await page.getByLabel('Tên đăng nhập').fill(name);
  await page.getByLabel('Mật khẩu').fill(PW);
  await page.getByRole('button', { name: 'Đăng nhập' }).click();
  await expect(page).toHaveURL(`${CITY}/`);
  await expect(page.getByTestId('signed-in-user')).toContainText(name);
}

/** Type a date the Vietnamese way into a date field of the request form and leave it. */
async function typeDate(page: Page, testId: string, iso: string): Promise<void> {
  const input = page.getByTestId(testId);
  await input.click();
  await input.fill(ddmmyyyy(iso));
  await page.keyboard.press('Escape');
  await input.blur();
}

async function download(page: Page, click: () => Promise<void>): Promise<string> {
  const d = page.waitForEvent('download');
  await click();
  const file = await d;
  const to = path.join(DIR, file.suggestedFilename());
  await file.saveAs(to);
  return to;
}

const cell = (page: Page, p: string): Locator => page.locator(`[data-cell="${p}"]`);

/** Type into a cell as an officer does: click, replace, Tab away. */
async function enter(page: Page, p: string, value: string): Promise<void> {
  const c = cell(page, p);
  await c.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.type(value);
  await page.keyboard.press('Tab');
}

// ── What Phường Hồng Bàng answers (PCM, a phường with a HĐND) ─────────────────────────────────

const OFFICES = {
  van_phong: { ten: 'Văn phòng HĐND và UBND phường Hồng Bàng', head: 'Phạm Thị Hoa', deputies: 2, staff: 24 },
  kinh_te: { ten: 'Phòng Kinh tế, Hạ tầng và Đô thị', head: 'Đỗ Văn Nam', deputies: 2, staff: 18 },
  van_hoa: { ten: 'Phòng Văn hóa - Xã hội', head: 'Ngô Thị Thu', deputies: 1, staff: 15 },
  trung_tam: {
    ten: 'Trung tâm Phục vụ hành chính công phường Hồng Bàng',
    head: 'Lương Văn Tâm',
    deputies: 1,
    staff: 12,
  },
} as const;
const STAFF = Object.values(OFFICES).reduce((s, o) => s + o.staff, 0);
const KHO_KHAN = 'Trụ sở Phòng Văn hóa - Xã hội chật, thiếu phòng họp; còn thiếu 2 công chức địa chính so với đề án.';

async function fillPcm(page: Page): Promise<void> {
  // Biểu 01: the offices and the day they began work.
  await page.locator('[data-section-tab="to_chuc"]').click();
  for (const [key, o] of Object.entries(OFFICES)) {
    const row = `to_chuc.don_vi.${key}`;
    await enter(page, `${row}.ten`, o.ten);
    await enter(page, `${row}.nguoi_dung_dau`, o.head);
    await enter(page, `${row}.so_cap_pho`, String(o.deputies));
    await enter(page, `${row}.so_nguoi`, String(o.staff));
  }
  const began = `${YEAR}-07-01`;
  await enter(page, 'to_chuc.ngay_hoat_dong', ddmmyyyy(began));
  await expect(cell(page, 'to_chuc.ngay_hoat_dong')).toHaveValue(ddmmyyyy(began));
  // Biểu 02: the HĐND's resolutions.
  await page.locator('[data-section-tab="nghi_quyet"]').click();
  for (const [i, key] of ['van_phong', 'kinh_te', 'van_hoa'].entries()) {
    await enter(page, `nghi_quyet.nq.${key}.so`, `${12 + i}/NQ-HĐND`);
    await enter(page, `nghi_quyet.nq.${key}.ngay`, ddmmyyyy(`${YEAR}-06-2${i}`));
  }
  // Biểu 03: the centre's deputy director (one, as Biểu 01 says).
  await page.locator('[data-section-tab="trung_tam"]').click();
  await page.locator('[data-add-row="trung_tam.pho_giam_doc"]').click();
  await enter(page, 'trung_tam.pho_giam_doc.0.ho_ten', 'Vũ Minh Đức');
  await enter(page, 'trung_tam.pho_giam_doc.0.chuc_vu', 'Phó Chủ tịch UBND phường');
  await cell(page, 'trung_tam.pho_giam_doc.0.kiem_nhiem').selectOption('true');
  // Phần II and the signatures.
  await page.locator('[data-section-tab="kien_nghi"]').click();
  await enter(page, 'kien_nghi.kho_khan', KHO_KHAN);
  await page.locator('[data-section-tab="xac_nhan"]').click();
  await enter(page, 'xac_nhan.nguoi_lap', 'Bùi Thị Ngọc');
  await enter(page, 'xac_nhan.dien_thoai', '0225 3842 115');
  await enter(page, 'xac_nhan.thu_truong', 'Hoàng Văn Thắng');
  await expect(page.getByTestId('save-status')).toHaveAttribute('data-state', 'saved', { timeout: 15_000 });
}

// ── The flow ──────────────────────────────────────────────────────────────────────────────────

let requestId = '';
let requestFile = '';
let packageFile = '';

test('1. the commune sets itself up on its first-start screen: Phường Hồng Bàng, from this quarter', async ({
  browser,
}) => {
  const { context, page } = await windowOf(browser);
  await page.goto(`${COMMUNE}/`);
  await expect(page.getByRole('heading', { name: 'Thiết lập lần đầu' })).toBeVisible();
  const unit = page.getByTestId('unit-select');
  await unit.click();
  await unit.pressSequentially('hong bang');
  await page.getByRole('option', { name: 'Phường Hồng Bàng' }).click();
  const quarter = `Quý ${['I', 'II', 'III', 'IV'][Math.ceil(Number(TODAY.slice(5, 7)) / 3) - 1]}/${YEAR}`;
  const first = page.getByTestId('first-period');
  if (!(await first.innerText()).includes(`Kỳ báo cáo đầu tiên: ${quarter}`)) {
    await page.getByTestId('first-period-select').click();
    await page.getByRole('option', { name: quarter, exact: true }).click();
  }
  await expect(first).toContainText(`Kỳ báo cáo đầu tiên: ${quarter}`);
  await shot(page, '00-commune-setup-1366');
  await page.getByRole('button', { name: 'Bắt đầu' }).click();
  await expect(page.getByRole('heading', { name: 'Việc phải nộp' })).toBeVisible();
  await expect(page.getByTestId('todo-list').locator('[data-kind="request"]')).toHaveCount(0);
  await context.close();
});

test('2. the Sở Nội vụ clerk signs in, creates a PCM request for the phường, publishes it and downloads the file', async ({
  browser,
}) => {
  const { context, page } = await windowOf(browser);
  await signIn(page, NOI_VU);
  await expect(page.getByTestId('signed-in-user')).toContainText('Sở Nội vụ');
  await page.getByRole('tab', { name: 'Yêu cầu báo cáo' }).click();
  await expect(page).toHaveURL(`${CITY}/#/city/requests`);
  await expect(page.getByTestId('requests-empty')).toBeVisible();
  await page.getByTestId('request-create').click();
  await expect(page.getByTestId('request-form')).toBeVisible();

  await page.getByTestId('form-template').click();
  await page.getByRole('option', { name: /^PCM — / }).click();
  await expect(page.getByTestId('form-version')).not.toHaveValue('');
  await page.getByTestId('form-ref-number').fill('2150/UBND-NV');
  await typeDate(page, 'form-ref-date', TODAY);
  await page
    .getByTestId('form-ref-summary')
    .fill('V/v báo cáo tổ chức các phòng chuyên môn sau sắp xếp đơn vị hành chính');
  await page.getByTestId('form-title').fill('Tổ chức các phòng chuyên môn cấp phường');

  await page.getByText('Theo loại', { exact: true }).click();
  await page.getByLabel(`Phường (${PHUONG.length})`).check();
  await expect(page.getByTestId('form-unit-count')).toContainText(`${PHUONG.length} đơn vị`);

  await page.getByTestId('form-period').click();
  await page.getByRole('option', { name: HALF_LABEL }).click();

  await typeDate(page, 'form-due', DUE);
  await page.getByText('trong ngày', { exact: true }).click();
  await expect(page.getByTestId('form-deadline-sentence')).toHaveText(
    `chậm nhất trong ngày ${dmy(DUE)} — hạn cuối ngày ${dmy(DUE)}`,
  );

  await page.getByTestId('form-department').fill('Sở Nội vụ');
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('form-addressee-line')).toHaveText('Kính gửi: UBND thành phố (qua Sở Nội vụ)');
  await page
    .getByTestId('form-instruction')
    .fill('Các phường kê đủ bốn đơn vị và nghị quyết thành lập; nộp qua phần mềm.');
  await expect(page.getByTestId('form-summary')).not.toContainText('Đang kiểm tra');
  await expect(page.getByTestId('form-problems')).toHaveCount(0);
  await expectNoTrace(page);
  await shot(page, '01-city-form-1366');

  await page.getByTestId('form-publish').click();
  await expect(page.getByTestId('form-confirm-text')).toContainText(
    `Yêu cầu sẽ được ký và gửi cho ${PHUONG.length} đơn vị`,
  );
  await page.getByTestId('form-confirm').click();

  const detail = page.getByTestId('request-detail');
  await expect(detail).toBeVisible();
  requestId = (await detail.getAttribute('data-request')) ?? '';
  expect(requestId).toMatch(new RegExp(`^YC-${YEAR}-\\d{4}$`));
  await expect(page.getByTestId('detail-edition')).toHaveText('Bản 1');
  await expect(page.getByTestId('detail-deadline')).toContainText(`chậm nhất trong ngày ${dmy(DUE)}`);
  await expect(detail).toContainText('Kính gửi: UBND thành phố (qua Sở Nội vụ)');
  await expect(detail).toContainText(NOI_VU);

  requestFile = await download(page, () => page.getByTestId('request-export').click());
  expect(path.basename(requestFile)).toBe(`yeu-cau-${requestId}-lan-1.json`);
  await expect(page.getByText(/gửi tệp này qua thư điện tử hoặc USB/i).first()).toBeVisible();
  await expectNoTrace(page);
  await shot(page, '02-city-published-1366');
  await context.close();
});

test('3. the commune receives the file on Việc phải nộp, fills the request, submits it and downloads the package', async ({
  browser,
}) => {
  const { context, page } = await windowOf(browser);
  await page.goto(`${COMMUNE}/`);
  await expect(page.getByRole('heading', { name: 'Việc phải nộp' })).toBeVisible();

  const chooser = page.waitForEvent('filechooser');
  await page.getByTestId('receive-request').click();
  await (await chooser).setFiles(requestFile);
  await expect(page.locator('[data-testid="receive-message"][data-outcome="received"]')).toBeVisible();

  const item = page.getByTestId('todo-list').locator(`[data-testid="todo-item"][data-kind="request"]`);
  await expect(item).toHaveCount(1);
  await expect(item.getByTestId('todo-title')).toHaveText('Tổ chức các phòng chuyên môn cấp phường');
  await expect(item.getByTestId('todo-template')).toContainText(`PCM — `);
  await expect(item.getByTestId('todo-template')).toContainText(HALF_LABEL);
  await expect(item.getByTestId('todo-ref')).toContainText(`Thực hiện văn bản số 2150/UBND-NV ngày ${ddmmyyyy(TODAY)}`);
  await expect(item.getByTestId('todo-addressee')).toHaveText('Kính gửi: UBND thành phố (qua Sở Nội vụ)');
  await expect(item.getByTestId('todo-deadline')).toHaveText(`Hạn nộp: chậm nhất trong ngày ${dmy(DUE)}`);
  await expect(item.getByTestId('todo-time-left')).toHaveText('còn 5 ngày');
  await expect(item.getByTestId('todo-state')).toHaveText('Chưa làm');
  // The standing quarter is there too, from the first period only.
  await expect(page.getByTestId('todo-list').locator('[data-kind="standing"]').first()).toBeVisible();
  await expectNoTrace(page);
  await expectNothingCut(page);
  await shot(page, '03-commune-home-1366');
  await page.setViewportSize({ width: 1024, height: 768 });
  await expectNothingCut(page);
  await expectHeaderFits(page);
  const open = item.getByTestId('todo-open');
  const box = (await open.boundingBox())!;
  expect(box.x + box.width).toBeLessThanOrEqual(1024);
  await shot(page, '03-commune-home-1024');
  await page.setViewportSize({ width: 1366, height: 768 });

  await open.click();
  await expect(page).toHaveURL(new RegExp(`#/return/${HALF}$`));
  await expect(page.getByTestId('editor-template')).toContainText('PCM');
  await expect(page.getByTestId('editor-request')).toContainText(
    'Theo yêu cầu: Tổ chức các phòng chuyên môn cấp phường',
  );
  await expect(page.getByTestId('editor-request')).toContainText(`chậm nhất trong ngày ${dmy(DUE)}`);
  await fillPcm(page);
  await page.locator('[data-section-tab="to_chuc"]').click();
  await expect(page.getByText('không có lỗi, không có cảnh báo.')).toBeVisible();
  await expect(page.locator('[aria-invalid="true"]')).toHaveCount(0);
  await expectNoTrace(page);
  await shot(page, '04-commune-editor-1366');

  await page.getByTestId('submit-button').click();
  const dialog = page.getByRole('dialog');
  const by = dialog.getByLabel('Người nộp');
  if ((await by.count()) && !(await by.inputValue())) await by.fill('Bùi Thị Ngọc');
  await dialog.getByTestId('confirm-submit').click();
  await expect(dialog.getByTestId('submit-done')).toContainText('Đã nộp lần 1', { timeout: 30_000 });
  await dialog.getByRole('button', { name: 'Đóng' }).click();
  await expect(dialog).toHaveCount(0);

  packageFile = await download(page, () => page.getByTestId('export-button').click());
  expect(path.basename(packageFile)).toMatch(new RegExp(`^PCM_${HONG_BANG}_${HALF}_r1\\.(xlsx|zip)$`));
  await shot(page, '05-commune-submitted-1366');

  // Home again: nothing owed for this request; it is under "Đã nộp".
  await page.goto(`${COMMUNE}/`);
  await expect(page.getByRole('heading', { name: 'Việc phải nộp' })).toBeVisible();
  await expect(page.getByTestId('todo-list').locator('[data-kind="request"]')).toHaveCount(0);
  await page.getByTestId('todo-done-toggle').click();
  const done = page.getByTestId('todo-done').locator('[data-testid="todo-item"][data-kind="request"]');
  await expect(done.getByTestId('todo-state')).toHaveText('Đã nộp lần 1');
  await shot(page, '06-commune-home-done-1366');
  await context.close();
});

test('4. the Sở Nội vụ clerk imports the package, follows the request up, accepts the return and consolidates', async ({
  browser,
}) => {
  const { context, page } = await windowOf(browser);
  await signIn(page, NOI_VU);
  await page.getByRole('tab', { name: 'Nhập báo cáo' }).click();
  await page.getByTestId('import-files').setInputFiles(packageFile);
  await expect(page.locator('[data-outcome-count="imported"]')).toContainText('Đã nhập: 1', { timeout: 60_000 });
  await expect(page.getByTestId('import-results')).toContainText('Phường Hồng Bàng');
  await expectNoTrace(page);
  await shot(page, '07-city-imported-1366');

  await page.getByRole('tab', { name: 'Yêu cầu báo cáo' }).click();
  const row = page.locator(`[data-request="${requestId}"]`);
  await expect(row.getByTestId('request-submitted')).toContainText(`đã nộp 1/${PHUONG.length}`);
  await shot(page, '08-city-list-1366');
  await row.getByRole('button', { name: 'Tổ chức các phòng chuyên môn cấp phường' }).click();
  await expect(page).toHaveURL(`${CITY}/#/city/requests/${requestId}`);

  // Completeness by the request's own deadline: Hồng Bàng on time, every other phường missing.
  const table = page.getByTestId('completeness-table');
  await expect(table.locator('tbody tr')).toHaveCount(PHUONG.length);
  const mine = table.locator(`tr[data-unit="${HONG_BANG}"]`);
  await expect(mine).toHaveAttribute('data-state', 'on_time');
  await expect(page.getByTestId('count-on_time')).toHaveText(/^Đúng hạn\s*1\b/);
  await expect(page.getByTestId('count-late')).toHaveText(/^Quá hạn\s*0\b/);
  await expect(table.locator('tbody tr[data-state="missing"]')).toHaveCount(PHUONG.length - 1);
  await expect(page.getByTestId('count-expected')).toContainText(String(PHUONG.length));
  await expectNoTrace(page);
  await closeNotes(page);
  await shot(page, '09-city-request-detail-1366');
  await page.setViewportSize({ width: 1024, height: 768 });
  await expectHeaderFits(page);
  await expectNothingCut(page);
  await shot(page, '09-city-request-detail-1024');
  await page.setViewportSize({ width: 1366, height: 768 });

  // The review of that unit: accepted, and who decided it.
  await mine.getByRole('button').first().click();
  await expect(page).toHaveURL(`${CITY}/#/city/requests/${requestId}/review/${HONG_BANG}`);
  await expect(page.getByTestId('review-title')).toContainText('Phường Hồng Bàng');
  await expect(page.getByTestId('review-title')).toContainText(HALF_LABEL);
  await page.getByRole('button', { name: 'Tiếp nhận' }).click();
  await expect(page.getByTestId('review-state')).toHaveText('Đã tiếp nhận');
  await expect(page.getByTestId('decided-by')).toHaveText(`Quyết định bởi ${NOI_VU}`);
  // Read back as typed: names to the left, figures to the right.
  const align = (p: string) => page.locator(`[data-value="${p}"]`).evaluate((el) => getComputedStyle(el).textAlign);
  await expect(page.locator('[data-value="to_chuc.don_vi.van_phong.ten"]')).toHaveText(OFFICES.van_phong.ten);
  expect(await align('to_chuc.don_vi.van_phong.ten')).not.toBe('right');
  expect(await align('to_chuc.don_vi.van_phong.nguoi_dung_dau')).not.toBe('right');
  expect(await align('to_chuc.don_vi.van_phong.so_nguoi')).toBe('right');
  await expectNoTrace(page);
  await shot(page, '10-city-review-accepted-1366');

  // The request's consolidation: Hồng Bàng's figures.
  await page.goto(`${CITY}/#/city/requests/${requestId}`);
  await page.getByTestId('detail-tab-consolidation').click();
  await expect(page.getByTestId('consolidation')).toBeVisible({ timeout: 30_000 });
  await closeNotes(page);
  const staff = page.locator('[data-testid="cons-to_chuc-don_vi"], tr[data-figure="to_chuc.don_vi"]');
  await expect(staff).toContainText(formatNumber(STAFF));
  const texts = page.locator('[data-testid="cons-kien_nghi-kho_khan"], tr[data-figure="kien_nghi.kho_khan"]');
  await expect(texts.locator(`[data-unit="${HONG_BANG}"]`)).toContainText(KHO_KHAN.slice(0, 60));
  await expectNoTrace(page);
  await shot(page, '11-city-consolidation-1366');
  await context.close();
});

test('5. the Sở Tài chính clerk neither sees the request nor opens it by its address; the administrator sees it', async ({
  browser,
}) => {
  const { context, page } = await windowOf(browser);
  await signIn(page, TAI_CHINH);
  await page.getByRole('tab', { name: 'Yêu cầu báo cáo' }).click();
  await expect(page.getByTestId('requests-empty')).toBeVisible();
  await expect(page.locator(`[data-request="${requestId}"]`)).toHaveCount(0);
  await shot(page, '12-tai-chinh-list-1366');

  await page.goto(`${CITY}/#/city/requests/${requestId}`);
  // Said as "there is no such request", never a hint that it exists; retrying cannot help, so no "Thử lại".
  const refusal = page.getByTestId('request-not-found');
  await expect(refusal).toHaveText(`Không có yêu cầu báo cáo "${requestId}". Hãy chọn một yêu cầu trong danh sách.`);
  await expect(page.getByRole('button', { name: 'Thử lại' })).toHaveCount(0);
  await expect(page.getByTestId('request-detail')).toHaveCount(0);
  await expect(page.locator('body')).not.toContainText('Tổ chức các phòng chuyên môn cấp phường');
  await expectNoTrace(page);
  await shot(page, '13-tai-chinh-not-found-1366');
  await context.close();

  const admin = await windowOf(browser);
  await signIn(admin.page, ADMIN);
  await admin.page.getByRole('tab', { name: 'Yêu cầu báo cáo' }).click();
  const row = admin.page.locator(`[data-request="${requestId}"]`);
  await expect(row).toContainText('Tổ chức các phòng chuyên môn cấp phường');
  await expect(row).toContainText('Sở Nội vụ');
  await expect(row.getByTestId('request-submitted')).toContainText(`đã nộp 1/${PHUONG.length}`);
  await shot(admin.page, '14-admin-list-1366');
  await admin.page.goto(`${CITY}/#/city/requests/${requestId}`);
  await expect(admin.page.getByTestId('request-detail')).toBeVisible();
  await admin.context.close();
});
