import { test, expect, type Page } from '@playwright/test';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * Issue 7, items 8, 9 and 13, in the browser mode as a clerk uses it: its own server and SQLite
 * file, real packages written by core/xlsx (tests/e2e/issue7-city-fixtures.ts).
 * - 13: file names chosen one by one are shown whole; a package for another period than the one
 *   viewed is announced, with a button that opens that period.
 * - 8: a conflict is still listed after a reload (completeness: count, filter, marker) and is
 *   resolved on the unit's review page.
 * - 9: after returning a unit, completeness and the Biểu tổng hợp show the same counts.
 * - 11: a package the pull refuses is listed on the import screen with its reason, the office
 *   learns the reason, and "Thử lại" imports it once the unit list is fixed (a real intake server).
 * Screens go to tests/output/screenshots/issue7-city-*.png (1366x768 and 1024x768).
 */

const OUT = path.resolve('tests/output');
const SHOTS = path.join(OUT, 'screenshots');
mkdirSync(SHOTS, { recursive: true });
const PORT = Number(process.env.E2E_PORT ?? 47691) + 2;
const BASE = `http://127.0.0.1:${PORT}`;

interface Fixtures {
  q2: { code: string; name: string }[];
  q1: { code: string; name: string };
  conflicted: { code: string; name: string };
  returned: { code: string; name: string };
  away: { code: string; name: string };
}

/** The command line, as an office or the city's technician runs it. */
const cli = (args: string[]) =>
  execFileSync(process.execPath, ['bin/commune-returns.js', ...args], { encoding: 'utf8', stdio: 'pipe' });

let server: ChildProcess;
let dir: string;
let fx: Fixtures;

async function shot(page: Page, name: string): Promise<void> {
  await page.waitForTimeout(250);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(SHOTS, `issue7-city-${name}.png`), fullPage: true });
}

async function shotBoth(page: Page, name: string): Promise<void> {
  await shot(page, `${name}-1366`);
  await page.setViewportSize({ width: 1024, height: 768 });
  await shot(page, `${name}-1024`);
  await page.setViewportSize({ width: 1366, height: 768 });
}

/** No stack trace or programmer's text anywhere on the page. */
async function expectNoTrace(page: Page): Promise<void> {
  const text = await page.locator('body').innerText();
  expect(text).not.toMatch(/\bat \S+ \(|\n\s+at |TypeError|ReferenceError|undefined|NaN|\[object Object\]/);
}

async function choosePeriod(page: Page, label: string): Promise<void> {
  await page.getByTestId('city-period').click();
  await page.getByRole('option', { name: new RegExp(`^${label}`) }).click();
  await expect(page.getByTestId('city-period')).toHaveValue(new RegExp(`^${label}`));
}

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'issue7-city-e2e-'));
  execFileSync(process.execPath, ['--import', 'tsx', 'tests/e2e/issue7-city-fixtures.ts', dir], { stdio: 'pipe' });
  fx = JSON.parse(readFileSync(path.join(dir, 'fixtures.json'), 'utf8')) as Fixtures;
  server = spawn(
    process.execPath,
    ['bin/commune-returns.js', 'web', '--db', path.join(dir, 'city.sqlite'), '--port', String(PORT)],
    {
      stdio: 'pipe',
    },
  );
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`${BASE}/`)).ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the city server did not start');
});

test.afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server.once('exit', r));
    server.kill('SIGTERM');
    await exited;
  }
});

test('item 13: names chosen one by one are shown whole; a package of another period says where it went and opens it', async ({
  page,
}) => {
  await page.goto(BASE);
  await page.getByRole('radio', { name: 'Thành phố' }).check();
  await page.getByRole('button', { name: 'Bắt đầu' }).click();
  await expect(page.getByRole('tab', { name: 'Nhập báo cáo' })).toHaveAttribute('aria-selected', 'true');

  // Files chosen one by one (no folder): each name whole, no folder line under it.
  const q2 = fx.q2.slice(0, 6).map((u) => path.join(dir, 'q2', `BC-CX_${u.code}_2026-Q2_r1.xlsx`));
  await page.getByTestId('import-files').setInputFiles([...q2, path.join(dir, 'empty.xlsx')]);
  await expect(page.locator('[data-outcome-count="imported"]')).toContainText('Đã nhập: 7', { timeout: 60_000 });
  const empty = page.locator('[data-testid="import-results"] tr[data-file="empty.xlsx"] td.file-cell');
  await expect(empty.locator('.file-name')).toHaveCount(1);
  await expect(empty.locator('.file-name')).toHaveText('empty.xlsx');
  const named = page.locator(
    `[data-testid="import-results"] tr[data-file="BC-CX_${fx.q2[0]!.code}_2026-Q2_r1.xlsx"] td.file-cell .file-name`,
  );
  await expect(named).toHaveText(`BC-CX_${fx.q2[0]!.code}_2026-Q2_r1.xlsx`);
  await shot(page, '01-names-whole');

  // The clerk looks at Quý II/2026, then imports a package of Quý I/2026.
  await page.getByRole('tab', { name: 'Tình hình nộp' }).click();
  await choosePeriod(page, 'Quý II/2026');
  await page.getByRole('tab', { name: 'Nhập báo cáo' }).click();
  await page.getByTestId('import-files').setInputFiles(path.join(dir, 'q1.xlsx'));
  await expect(page.locator('[data-outcome-count="imported"]')).toContainText('Đã nhập: 1', { timeout: 60_000 });
  const notice = page.getByTestId('other-period');
  await expect(notice).toContainText('1 gói vừa nhập thuộc kỳ Quý I/2026, không phải kỳ đang xem (Quý II/2026)');
  await expect(page.getByTestId('other-period-badge')).toHaveText('Kỳ khác');
  await expectNoTrace(page);
  await shotBoth(page, '02-other-period');
  await notice.getByRole('button', { name: 'Mở Quý I/2026' }).click();
  await expect(page.getByRole('tab', { name: 'Tình hình nộp' })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByTestId('city-period')).toHaveValue(/^Quý I\/2026/);
  await expect(page.locator(`[data-testid="completeness-table"] tr[data-unit="${fx.q1.code}"]`)).toHaveAttribute(
    'data-state',
    'on_time',
  );
  await shot(page, '03-opened-other-period');
});

test('item 8: a conflict stays listed after a reload, in completeness and on the review page, until resolved there', async ({
  page,
}) => {
  await page.goto(`${BASE}/#/city/import`);
  await page.getByTestId('import-files').setInputFiles(path.join(dir, 'xung-dot.xlsx'));
  await expect(page.locator('[data-testid="import-results"] tr[data-result="conflict"]')).toContainText(
    fx.conflicted.name,
    { timeout: 60_000 },
  );
  await expect(page.locator('[data-testid="import-results"] tr[data-result="conflict"]')).toContainText(
    'Tình hình nộp',
  );

  // A reload: the import result is gone, the conflict is not.
  await page.reload();
  await page.getByRole('tab', { name: 'Tình hình nộp' }).click();
  await choosePeriod(page, 'Quý II/2026');
  const alert = page.getByTestId('conflicts-alert');
  await expect(alert).toContainText('1 xung đột chờ xử lý');
  await alert.getByRole('button', { name: 'Xem các đơn vị có xung đột' }).click();
  const rows = page.locator('[data-testid="completeness-table"] tbody tr');
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toHaveAttribute('data-unit', fx.conflicted.code);
  await expect(rows.first().getByTestId('conflict-marker')).toHaveText('Xung đột (1)');
  await expectNoTrace(page);
  await shotBoth(page, '04-completeness-conflict');

  await rows
    .first()
    .getByRole('button', { name: `Xem: ${fx.conflicted.name}` })
    .click();
  const card = page.getByTestId('review-conflicts');
  await expect(card).toContainText('Xung đột chờ xử lý: hai gói khác nhau cùng là lần nộp 1');
  await expect(card.getByTestId('conflict-incoming')).toContainText('xung-dot.xlsx');
  await expect(card).toContainText('1 ô khác nhau');
  await page.reload();
  await expect(card.getByTestId('keep-incoming')).toBeVisible();
  await expectNoTrace(page);
  await shotBoth(page, '05-review-conflict');

  await card.getByTestId('keep-incoming').click();
  await expect(page.getByText(/Đã giữ gói mới cho .*Phường Thủy Nguyên/)).toBeVisible();
  await expect(card).toBeHidden();
  await page.reload();
  await expect(page.getByTestId('review-title')).toContainText(fx.conflicted.name);
  await expect(page.getByTestId('review-conflicts')).toBeHidden();
  await shot(page, '06-review-resolved');
});

test('item 9: after returning a unit, completeness and the Biểu tổng hợp count the same', async ({ page }) => {
  await page.goto(`${BASE}/#/city/review/2026-Q2/${fx.returned.code}`);
  await expect(page.getByTestId('review-title')).toContainText(fx.returned.name);
  await page.getByRole('button', { name: 'Trả lại để chỉnh sửa' }).first().click();
  await page.getByTestId('return-reason').fill('Biểu 05 thiếu số liệu lĩnh vực Đất đai; đề nghị bổ sung rồi nộp lại.');
  await page
    .getByRole('button', { name: /Trả lại/ })
    .last()
    .click();
  await expect(page.getByTestId('returned-reason')).toBeVisible();

  await page.goto(`${BASE}/#/city/completeness`);
  await page.reload();
  await choosePeriod(page, 'Quý II/2026');
  // A stat card: its label (no digits), its number, then a share ("6,14%").
  const stat = async (k: string) => /\d[\d.]*/.exec(await page.getByTestId(`count-${k}`).innerText())![0];
  const completeness = {
    submitted: await stat('submitted'),
    missing: await stat('missing'),
    returned: await stat('returned'),
  };
  expect(completeness).toEqual({ submitted: '7', missing: '107', returned: '1' });
  await shot(page, '07-completeness-returned');

  await page.getByRole('tab', { name: 'Biểu tổng hợp' }).click();
  const total = page.locator('[data-testid="cons-completeness"] tr[data-row="total"] td');
  await expect(total.nth(2)).toHaveText('7');
  // Columns: type, expected, submitted, on time, late, missing, accepted, returned, rate.
  const cells = await total.allInnerTexts();
  expect({ submitted: cells[2], missing: cells[5], returned: cells[7] }).toEqual(completeness);
  await expect(page.getByTestId('returned-figures-note')).toContainText(
    `Chưa có số liệu được tính của: ${fx.returned.name}`,
  );
  await expectNoTrace(page);
  await shotBoth(page, '08-consolidation-returned');
  // The top of the summary as the clerk first sees it (the full page is long).
  await page.setViewportSize({ width: 1024, height: 768 });
  await page.screenshot({ path: path.join(SHOTS, 'issue7-city-09-consolidation-top-1024.png') });
  await page.setViewportSize({ width: 1366, height: 768 });
});

test('item 11: a package the pull refuses stays listed with its reason; the office learns it; "Thử lại" imports it after the list is fixed', async ({
  page,
}) => {
  const intakeDb = path.join(dir, 'intake.sqlite');
  const cityDb = path.join(dir, 'city.sqlite');
  const communeDb = path.join(dir, 'commune.sqlite');
  const url = `http://127.0.0.1:${PORT + 4}`;
  const intake = spawn(
    process.execPath,
    ['bin/commune-returns.js', 'intake', '--db', intakeDb, '--port', String(PORT + 4)],
    {
      stdio: 'pipe',
    },
  );
  try {
    for (let i = 0; ; i++) {
      try {
        await fetch(`${url}/`);
        break;
      } catch {
        if (i > 300) throw new Error('the intake server did not start');
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const lastLine = (out: string) => out.trim().split('\n').pop()!.trim();
    const unitToken = lastLine(cli(['intake', 'token', '--db', intakeDb, '--unit', fx.away.code]));
    const cityToken = lastLine(cli(['intake', 'token', '--db', intakeDb, '--city']));
    // The office submits and sends; the city's list does not have the office yet.
    cli(['submit', '--db', communeDb, '--from-json', path.join(dir, 'tra-ve.json')]);
    const send = ['send', '--db', communeDb, '--server', url, '--token', unitToken];
    expect(cli(send)).toMatch(/đã gửi/);
    cli(['units', 'import', '--db', cityDb, path.join(dir, 'danh-sach-thieu.csv')]);
    const configured = await page.request.post(`${BASE}/api/rpc/delivery.configure`, {
      data: { serverUrl: url, token: cityToken },
    });
    expect(configured.ok()).toBe(true);

    await page.goto(`${BASE}/#/city/import`);
    await page.getByTestId('city-pull').click();
    await expect(page.locator('[data-testid="import-results"] tr[data-result="refused"]')).toContainText(
      `Mã đơn vị ${fx.away.code} không có trong danh sách đơn vị hiện hành`,
    );
    const card = page.getByTestId('pull-refused');
    await expect(card).toContainText('1 gói lấy từ máy chủ chưa nhập được');
    await expect(card).toContainText(`Đơn vị mã ${fx.away.code}, Quý II/2026, lần nộp 1`);
    await expect(card).toContainText('không có trong danh sách đơn vị hiện hành');
    // A reload: still listed (it is kept, not only shown once).
    await page.reload();
    await expect(card.getByRole('button', { name: 'Thử lại' })).toBeVisible();
    await expectNoTrace(page);
    await shotBoth(page, '10-pull-refused');

    // The office learns why (the refusal went to the intake with the pull).
    expect(cli(send)).toMatch(/Thành phố chưa nhận được: Mã đơn vị .* không có trong danh sách đơn vị/);
    // And on the office's own screen (its periods list), beside the period.
    const commune = spawn(
      process.execPath,
      ['bin/commune-returns.js', 'web', '--db', communeDb, '--port', String(PORT + 6)],
      {
        stdio: 'pipe',
      },
    );
    try {
      const office = await page.context().newPage();
      for (let i = 0; ; i++) {
        try {
          if ((await fetch(`http://127.0.0.1:${PORT + 6}/`)).ok) break;
        } catch {
          if (i > 300) throw new Error('the commune server did not start');
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      await office.goto(`http://127.0.0.1:${PORT + 6}/#/periods`); // not the home ("Việc phải nộp", issue 9)
      await expect(office.locator('[data-delivery="city-refused"]').first()).toHaveText('Thành phố chưa nhận được');
      await expect(office.getByTestId('delivery-city-refusal').first()).toContainText(
        `Thành phố chưa nhận được báo cáo này (lý do phía thành phố: Mã đơn vị ${fx.away.code} không có trong danh sách`,
      );
      await expectNoTrace(office);
      await office.screenshot({
        path: path.join(SHOTS, 'issue7-city-10b-commune-sees-refusal-1366.png'),
        fullPage: true,
      });
      await office.setViewportSize({ width: 1024, height: 768 });
      await office.screenshot({
        path: path.join(SHOTS, 'issue7-city-10b-commune-sees-refusal-1024.png'),
        fullPage: true,
      });
      await office.close();
    } finally {
      const gone = new Promise((r) => commune.once('exit', r));
      commune.kill('SIGTERM');
      await gone;
    }

    // The city fixes its list; "Thử lại" imports the package without the network.
    cli(['units', 'import', '--db', cityDb, path.join(dir, 'danh-sach-du.csv')]);
    await card.getByRole('button', { name: 'Thử lại' }).click();
    await expect(page.getByTestId('pull-note')).toContainText('Đã thử lại: nhập được 1 gói');
    await expect(page.locator('[data-testid="import-results"] tr[data-result="imported"]')).toContainText(fx.away.name);
    await expect(card).toBeHidden();
    await shot(page, '11-pull-refused-retried');

    // The end of the refusal reaches the office with the city's next contact.
    await page.getByTestId('city-pull').click();
    await expect(page.getByTestId('pull-note')).toBeVisible();
    expect(cli(send)).not.toMatch(/Thành phố chưa nhận được/);
  } finally {
    const exited = new Promise((r) => intake.once('exit', r));
    intake.kill('SIGTERM');
    await exited;
  }
});
