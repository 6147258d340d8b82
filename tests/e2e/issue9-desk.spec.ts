import { test, expect, type APIRequestContext, type Page } from '@playwright/test';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ownServer } from './own-server.js';

/**
 * Issue 9, the city's requests screens (engineer "desk"), on a fresh city database:
 * "Yêu cầu báo cáo" → "Tạo yêu cầu": PCM addressed to the phường, a past deadline refused next to
 * its field, then a deadline 10 days ahead "trong ngày" with its live sentence → "Phát hành" asks to
 * confirm for the phường count → the detail page; the list shows it "đã nộp 0/<phường>"; the
 * request file downloads as a signed file; "Ra bản mới" with a later deadline → "Bản 2";
 * "Tình hình nộp" lists the addressed units only; "Nhắc nộp" lists them with how each is reached.
 * Screens: tests/output/screenshots/issue9-desk-*.png at 1366×768 and 1024×768.
 */

const SHOTS = path.resolve('tests/output/screenshots');
mkdirSync(SHOTS, { recursive: true });
const DIR = mkdtempSync(path.join(tmpdir(), 'issue9-desk-'));

const UNITS = readFileSync(path.resolve('resources/units/haiphong.csv'), 'utf8')
  .split(/\r?\n/)
  .slice(1)
  .filter(Boolean)
  .map((l) => l.split(','));
const PHUONG = UNITS.filter((u) => u[1] === 'phường').map((u) => u[0]!);

const addDays = (iso: string, n: number) => {
  const [y, m, d] = iso.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
};
const dmy = (iso: string) => {
  const [y, m, d] = iso.split('-').map(Number);
  return `${d}/${m}/${y}`;
};
const ddmmyyyy = (iso: string) => iso.split('-').reverse().join('/');

async function rpc<T>(request: APIRequestContext, name: string, input: unknown): Promise<T> {
  const res = await request.post(`/api/rpc/${name}`, { data: input });
  const body = (await res.json()) as { ok: boolean; result?: T; error?: { message: string } };
  if (!body.ok) throw new Error(`${name}: ${body.error?.message}`);
  return body.result as T;
}

async function shot(page: Page, name: string): Promise<void> {
  await page.waitForTimeout(300);
  // From the top: a full-page shot taken scrolled down paints the fixed header mid-page.
  const y = await page.evaluate(() => window.scrollY);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(SHOTS, `issue9-desk-${name}.png`), fullPage: true });
  await page.evaluate((v) => window.scrollTo(0, v), y);
}
async function shotBoth(page: Page, name: string): Promise<void> {
  await shot(page, `${name}-1366`);
  await page.setViewportSize({ width: 1024, height: 768 });
  await shot(page, `${name}-1024`);
  await page.setViewportSize({ width: 1366, height: 768 });
}

/** No stack trace or programmer's text on the page. */
async function expectNoTrace(page: Page): Promise<void> {
  const text = await page.locator('body').innerText();
  expect(text).not.toMatch(/\bat \S+ \(|\n\s+at |TypeError|ReferenceError|undefined|NaN|\[object Object\]/);
}

/** Type a date the Vietnamese way into a date field and leave it. */
async function typeDate(page: Page, testId: string, iso: string, inModal = false): Promise<void> {
  const input = page.getByTestId(testId);
  await input.click();
  await input.fill(ddmmyyyy(iso));
  // Escape closes the calendar (and would close a dialog: there, click beside the field instead).
  if (inModal) await page.getByRole('dialog').getByText('Bản mới thay bản cũ').click();
  else await page.keyboard.press('Escape');
  await input.blur();
}

test.describe.configure({ mode: 'serial' });

ownServer(52, 'cr-e2e-issue9-desk-');

const pageErrors: string[] = [];
test.beforeEach(async ({ page }) => {
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.addInitScript(() => {
    delete (window as { showSaveFilePicker?: unknown }).showSaveFilePicker;
  });
});
test.afterEach(() => {
  expect(pageErrors).toEqual([]);
});

let today = '';
let requestId = '';

test('the city creates a request for the phường: a past deadline is refused next to its field, then it is published', async ({ page }) => {
  await rpc(page.request, 'app.setup', { role: 'city' });
  today = (await rpc<{ today: string }>(page.request, 'app.info', {})).today;

  await page.goto('/#/city/requests');
  await expect(page.getByRole('tab', { name: 'Yêu cầu báo cáo' })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByTestId('requests-empty')).toBeVisible();
  await page.getByTestId('request-create').click();
  await expect(page.getByTestId('request-form')).toBeVisible();

  // The template: PCM, its latest version chosen with it.
  await page.getByTestId('form-template').click();
  await page.getByRole('option', { name: /^PCM — / }).click();
  await expect(page.getByTestId('form-version')).not.toHaveValue('');
  await page.getByTestId('form-ref-number').fill('1234/UBND-NVKTGS');
  await typeDate(page, 'form-ref-date', today);
  await page.getByTestId('form-ref-summary').fill('V/v báo cáo tình hình phổ cập, xóa mù chữ năm 2026');
  await page.getByTestId('form-title').fill('Báo cáo phổ cập, xóa mù chữ');

  // Addressees: by type, the phường.
  await page.getByText('Theo loại', { exact: true }).click();
  await expect(page.getByText('Hãy đánh dấu ít nhất một loại đơn vị.')).toBeVisible();
  await page.getByLabel(`Phường (${PHUONG.length})`).check();
  await expect(page.getByTestId('form-unit-count')).toContainText(`${PHUONG.length} đơn vị`);

  // The period: the first one the template offers.
  await page.getByTestId('form-period').click();
  await page.getByRole('option').first().click();

  // A deadline in the past: refused next to the field, in Vietnamese.
  await typeDate(page, 'form-due', addDays(today, -3));
  await expect(page.getByTestId('error-due')).toContainText('Hạn nộp đã qua');
  await expect(page.getByTestId('error-due')).toContainText('hãy chọn một hạn nộp từ hôm nay');

  // Ten days ahead, "trong ngày": the live sentence says the last day.
  const due = addDays(today, 10);
  await typeDate(page, 'form-due', due);
  await expect(page.getByTestId('error-due')).toHaveCount(0);
  await expect(page.getByTestId('form-deadline-sentence')).toHaveText(`chậm nhất trong ngày ${dmy(due)} — hạn cuối ngày ${dmy(due)}`);
  await page.getByText('trước ngày', { exact: true }).click();
  await expect(page.getByTestId('form-deadline-sentence')).toHaveText(`chậm nhất trước ngày ${dmy(due)} — hạn cuối ngày ${dmy(addDays(due, -1))}`);
  await page.getByText('trong ngày', { exact: true }).click();

  await page.getByTestId('form-department').fill('Sở Nội vụ');
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('form-addressee-line')).toHaveText('Kính gửi: UBND thành phố (qua Sở Nội vụ)');
  await page.getByTestId('form-instruction').fill('Các phường nộp qua phần mềm hoặc gửi tệp Excel về Sở Nội vụ.');

  // requests.check ran: the core's count and label, no problem left.
  await expect(page.getByTestId('form-unit-count')).toContainText(`${PHUONG.length}`);
  await expect(page.getByTestId('form-summary')).not.toContainText('Đang kiểm tra');
  await expect(page.getByTestId('form-problems')).toHaveCount(0);
  await expectNoTrace(page);
  await shotBoth(page, '02-form');

  await page.getByTestId('form-publish').click();
  await expect(page.getByTestId('form-confirm-text')).toContainText(`Yêu cầu sẽ được ký và gửi cho ${PHUONG.length} đơn vị`);
  await page.getByTestId('form-confirm').click();

  await expect(page.getByTestId('request-detail')).toBeVisible();
  requestId = (await page.getByTestId('request-detail').getAttribute('data-request')) ?? '';
  expect(requestId).toMatch(/^YC-\d{4}-\d{4}$/);
  await expect(page).toHaveURL(new RegExp(`#/city/requests/${requestId}$`));
  await expect(page.getByTestId('detail-edition')).toHaveText('Bản 1');
  await expect(page.getByTestId('detail-deadline')).toContainText(`chậm nhất trong ngày ${dmy(due)}`);
});

test('the list shows the request with its counts; the request file is a signed file', async ({ page }) => {
  await page.goto('/#/city/requests');
  const row = page.locator(`[data-request="${requestId}"]`);
  await expect(row).toContainText('Báo cáo phổ cập, xóa mù chữ');
  await expect(row).toContainText('Số 1234/UBND-NVKTGS');
  await expect(row).toContainText(`đã nộp 0/${PHUONG.length}`);
  await expect(row).toContainText('Đang mở');
  await expect(row).toContainText('Sở Nội vụ');
  // The search box finds it without accents, and hides it for another word.
  await page.getByTestId('requests-search').fill('xoa mu chu');
  await expect(row).toBeVisible();
  await shotBoth(page, '01-list');
  await page.getByTestId('requests-search').fill('khong co yeu cau nay');
  await expect(row).toHaveCount(0);
  await page.getByTestId('requests-search').fill('');
  await row.getByRole('button', { name: 'Báo cáo phổ cập, xóa mù chữ' }).click();
  await expect(page.getByTestId('request-detail')).toBeVisible();

  const d = page.waitForEvent('download');
  await page.getByTestId('request-export').click();
  const file = await d;
  expect(file.suggestedFilename()).toBe(`yeu-cau-${requestId}-lan-1.json`);
  const to = path.join(DIR, file.suggestedFilename());
  await file.saveAs(to);
  const signed = JSON.parse(readFileSync(to, 'utf8')) as { format: string; kind: string };
  expect(signed.format).toBe('bao-cao-xa/signed');
  expect(signed.kind).toBe('request');
  await expect(page.getByText(/gửi tệp này qua thư điện tử hoặc USB/i).first()).toBeVisible();
});

test('"Ra bản mới" with a later deadline makes edition 2; completeness and reminders list the addressed units only', async ({ page }) => {
  await page.goto(`/#/city/requests/${requestId}`);
  await page.getByTestId('request-amend').click();
  // The note is required.
  await page.getByTestId('amend-submit').click();
  await expect(page.getByText('Hãy ghi nội dung thay đổi')).toBeVisible();
  const later = addDays(today, 20);
  await typeDate(page, 'amend-due', later, true);
  await page.getByTestId('amend-note').fill(`Gia hạn đến ${dmy(later)}`);
  await page.getByTestId('amend-submit').click();
  await expect(page.getByTestId('detail-edition')).toHaveText('Bản 2');
  await expect(page.getByTestId('detail-deadline')).toContainText(`chậm nhất trong ngày ${dmy(later)}`);

  // Completeness: the phường, nobody else.
  const table = page.getByTestId('completeness-table');
  await expect(table.locator('tbody tr')).toHaveCount(PHUONG.length);
  const shown = await table.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-unit')));
  expect([...shown].sort()).toEqual([...PHUONG].sort());
  await expect(page.getByTestId('count-expected')).toContainText(String(PHUONG.length));
  await expectNoTrace(page);
  await shotBoth(page, '03-detail');

  // Editions: both, with the note.
  await page.getByTestId('detail-tab-editions').click();
  await expect(page.getByTestId('editions')).toContainText('Bản 1');
  await expect(page.getByTestId('editions')).toContainText(`Gia hạn đến ${dmy(later)}`);

  // Reminders: every addressed unit (none has submitted), each with how it is reached.
  await page.getByTestId('detail-tab-remind').click();
  const remind = page.getByTestId('remind-table');
  await expect(remind.locator('tbody tr')).toHaveCount(PHUONG.length);
  await expect(remind.locator('tbody tr').first()).toContainText(/qua mạng|chưa kết nối/);
  await expect(remind.locator('tbody tr').first()).toContainText('chưa có');
  await shotBoth(page, '04-remind');

  // The list says "Bản 2".
  await page.goto('/#/city/requests');
  await expect(page.locator(`[data-request="${requestId}"]`).getByTestId('request-edition')).toHaveText('Bản 2');
  await expectNoTrace(page);
});

test('a second request overlapping the first is refused by the check; names pasted are matched, the rest listed', async ({ page }) => {
  await page.goto('/#/city/requests/new');
  await page.getByTestId('form-template').click();
  await page.getByRole('option', { name: /^PCM — / }).click();
  await page.getByTestId('form-ref-number').fill('99/SNV');
  await typeDate(page, 'form-ref-date', today);
  await page.getByTestId('form-ref-summary').fill('V/v bổ sung');
  await page.getByTestId('form-title').fill('Bổ sung');
  await page.getByText('Danh sách', { exact: true }).click();
  await page.getByTestId('form-paste').fill('Phường Hồng Bàng\nhong an\n11560\nPhường Không Có');
  await page.getByTestId('form-paste-add').click();
  await expect(page.getByTestId('form-unmatched')).toContainText('Phường Không Có');
  await expect(page.getByTestId('form-unit-count')).toContainText('3 đơn vị');
  await page.getByTestId('form-period').click();
  await page.getByRole('option').first().click();
  await typeDate(page, 'form-due', addDays(today, 5));
  await page.getByTestId('form-department').fill('Sở Nội vụ');
  await page.keyboard.press('Escape');
  // The core's check: the open request for the same template and period already addresses these units.
  await expect(page.getByTestId('error-period')).toContainText(`Đã có yêu cầu ${requestId}`);
  await expect(page.getByTestId('form-publish')).toBeDisabled();
  await expectNoTrace(page);
  await shotBoth(page, '05-form-refused');
});

test('consolidation, a reminder, the missing list, the city key; withdrawing asks for a reason', async ({ page }) => {
  await page.goto(`/#/city/requests/${requestId}`);
  await page.getByTestId('detail-tab-consolidation').click();
  await expect(page.getByTestId('consolidation')).toBeVisible();
  await expect(page.getByTestId('cons-completeness').locator('[data-row="total"]')).toContainText(String(PHUONG.length));

  await page.getByTestId('detail-tab-remind').click();
  await page.getByTestId('remind-message').fill('Đề nghị các phường nộp báo cáo đúng hạn.');
  await page.getByTestId('remind-send').click();
  await expect(page.getByTestId('remind-result')).toBeVisible();
  await expectNoTrace(page);
  const d = page.waitForEvent('download');
  await page.getByTestId('remind-export').click();
  expect((await d).suggestedFilename()).toMatch(/\.xlsx$/);

  await page.getByTestId('city-key').click();
  await expect(page.getByTestId('city-key-fingerprint')).not.toBeEmpty();
  const k = page.waitForEvent('download');
  await page.getByTestId('city-key-download').click();
  const key = await k;
  expect(key.suggestedFilename()).toMatch(/\.pem$/);
  const to = path.join(DIR, key.suggestedFilename());
  await key.saveAs(to);
  expect(readFileSync(to, 'utf8')).toContain('BEGIN PUBLIC KEY');
  await page.keyboard.press('Escape');

  await page.getByTestId('request-withdraw').click();
  await page.getByTestId('withdraw-submit').click();
  await expect(page.getByText('Hãy ghi lý do thu hồi.')).toBeVisible();
  await page.getByTestId('withdraw-reason').fill('Đã có số liệu từ nguồn khác');
  await page.getByTestId('withdraw-submit').click();
  await expect(page.getByTestId('detail-withdrawn')).toContainText('Đã có số liệu từ nguồn khác');
  await expect(page.getByTestId('request-amend')).toBeDisabled();
  await page.goto('/#/city/requests');
  await expect(page.locator(`[data-request="${requestId}"]`)).toHaveCount(0);
  await page.getByText('Đã thu hồi', { exact: true }).click();
  await expect(page.locator(`[data-request="${requestId}"]`)).toContainText('Đã thu hồi');
});
