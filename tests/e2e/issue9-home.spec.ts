import { test, expect, type APIRequestContext, type Page } from '@playwright/test';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { signFile } from '../../core/requests/sign.js';
import type { RequestEdition } from '../../shared/requests.js';
import { ownServer } from './own-server.js';

/**
 * Issue 9, the commune's home (engineer "home"): "Việc phải nộp" on a fresh commune (Phường Hồng
 * Bàng) shows the standing BC-CX quarter; a request file signed with the city's key (the fixture
 * private key of the shipped public key) is received through "Nhận yêu cầu từ tệp" and appears with
 * the time left and the addressee line; an amended edition dropped on the window shows "Mới cập
 * nhật"; the return is opened from the list with the keyboard, filled, submitted and printed with
 * the request's reference and addressee; back home it is "Đã nộp lần 1"; a tampered file is refused
 * with the Vietnamese reason, an Excel package dropped is explained, not swallowed; the delivery
 * settings show the trusted city key and refuse a wrong key file next to it.
 */

const SHOTS = path.resolve('tests/output/screenshots');
mkdirSync(SHOTS, { recursive: true });

const UNITS = readFileSync(path.resolve('resources/units/haiphong.csv'), 'utf8').split(/\r?\n/);
const codeOf = (name: string) => UNITS.find((l) => l.split(',')[2] === name)!.split(',')[0]!;
const HONG_BANG = codeOf('Phường Hồng Bàng');

const KEY = {
  publicPem: readFileSync(path.resolve('resources/keys/city-public.pem'), 'utf8'),
  privatePem: readFileSync(path.resolve('tests/fixtures/keys/city-private.pem'), 'utf8'),
};

/** A small template the request carries (the office has not got it): one required figure. */
const TEMPLATE = {
  id: 'YC-TRUSO',
  version: 1,
  title: { vi: 'Rà soát trụ sở, tài sản công', en: 'Review of public offices and assets' },
  receivingBody: { vi: 'UBND thành phố Hải Phòng (qua Sở Tài chính)' },
  periodTypes: ['half'],
  deadlineDay: 20,
  rules: [],
  sections: [
    {
      key: 'tru_so',
      code: 'Biểu 01',
      title: { vi: 'Trụ sở làm việc' },
      items: [
        { kind: 'field', key: 'so_tru_so', label: { vi: 'Số trụ sở đang sử dụng' }, type: 'integer', required: true },
        { kind: 'field', key: 'so_du_thua', label: { vi: 'Số trụ sở dôi dư' }, type: 'integer' },
      ],
    },
  ],
};

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

test.describe.configure({ mode: 'serial' });

const own = ownServer(50, 'cr-e2e-issue9-home-');

const pageErrors: string[] = [];
test.beforeEach(({ page }) => {
  page.on('pageerror', (e) => pageErrors.push(e.message));
});
test.afterEach(() => {
  expect(pageErrors).toEqual([]);
});

let today = '';
let asOf = '';
let files: { first: Buffer; second: Buffer; tampered: Buffer } = { first: Buffer.alloc(0), second: Buffer.alloc(0), tampered: Buffer.alloc(0) };

test.beforeAll(async ({ request }) => {
  // Set up as an office does on its first start: its unit and the first period it reports (this quarter).
  const now = new Date(Date.now() + 7 * 3600_000).toISOString().slice(0, 10);
  const quarter = `${now.slice(0, 4)}-Q${Math.ceil(Number(now.slice(5, 7)) / 3)}`;
  const info = await rpc<{ today: string; unitListVersion: string }>(request, 'app.setup', {
    role: 'commune',
    unitCode: HONG_BANG,
    firstPeriod: quarter,
  });
  today = info.today;
  asOf = addDays(today, -7);
  const edition1: RequestEdition = {
    id: `YC-${today.slice(0, 4)}-0007`,
    edition: 1,
    state: 'open',
    template: TEMPLATE.id,
    templateVersion: 1,
    ref: {
      number: '1234/UBND-NVKTGS',
      date: addDays(today, -3),
      summary: 'Rà soát, sắp xếp trụ sở làm việc, tài sản công sau sắp xếp đơn vị hành chính',
    },
    title: 'Rà soát trụ sở, tài sản công',
    addressees: { kind: 'units', codes: [HONG_BANG] },
    period: asOf,
    due: addDays(today, 10),
    dueWording: 'trong',
    department: 'Sở Tài chính',
    instruction: 'Mỗi trụ sở ghi một dòng; số liệu tính đến ngày chốt.',
    units: [HONG_BANG],
    unitListVersion: info.unitListVersion,
    issuedAt: new Date().toISOString(),
    issuedBy: 'Sở Tài chính',
  };
  const edition2: RequestEdition = {
    ...edition1,
    edition: 2,
    due: addDays(today, 20),
    note: `Gia hạn đến ${dmy(addDays(today, 20))}`,
    issuedAt: new Date().toISOString(),
  };
  files = {
    first: signFile('request', { request: edition1, templates: [TEMPLATE] }, KEY),
    second: signFile('request', { request: edition2, templates: [TEMPLATE] }, KEY),
    tampered: (() => {
      // One figure changed after signing (the deadline moved by a day): the signature no longer holds.
      const f = JSON.parse(signFile('request', { request: { ...edition2, edition: 3 }, templates: [TEMPLATE] }, KEY).toString('utf8')) as {
        payload: string;
      };
      const payload = Buffer.from(f.payload, 'base64').toString('utf8').replace(addDays(today, 20), addDays(today, 21));
      return Buffer.from(JSON.stringify({ ...f, payload: Buffer.from(payload, 'utf8').toString('base64') }), 'utf8');
    })(),
  };
  expect(own.db).toContain('issue9-home');
});

const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SHOTS, `issue9-home-${name}.png`) });
const requestItem = (page: Page) => page.getByTestId('todo-list').locator('[data-testid="todo-item"][data-kind="request"]');

/** Drop a file on the window as Explorer does: a DataTransfer holding it, dragover then drop. */
async function dropFile(page: Page, name: string, bytes: Buffer, mime: string): Promise<void> {
  await page.evaluate(
    ({ name, data, mime }) => {
      const bin = atob(data);
      const buf = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) buf[i] = bin.charCodeAt(i);
      const dt = new DataTransfer();
      dt.items.add(new File([buf], name, { type: mime }));
      const target = document.querySelector('[data-testid="todo-screen"]') ?? document.body;
      target.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
      target.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    },
    { name, data: bytes.toString('base64'), mime },
  );
}

async function pickFile(page: Page, name: string, bytes: Buffer): Promise<void> {
  const chooser = page.waitForEvent('filechooser');
  await page.getByTestId('receive-request').click();
  await (await chooser).setFiles({ name, mimeType: 'application/json', buffer: bytes });
}

test('Việc phải nộp: receive a request by file and by drop, file it from the list, refuse a tampered file', async ({ page }) => {
  await page.setViewportSize({ width: 1366, height: 768 });
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Việc phải nộp' })).toBeVisible();

  // The standing BC-CX quarter is there without any request; no request yet.
  const standing = page.getByTestId('todo-list').locator('[data-testid="todo-item"][data-kind="standing"][data-template="BC-CX"]');
  await expect(standing.first()).toBeVisible();
  await expect(standing.first()).toContainText('Kính gửi: UBND thành phố (qua Sở Nội vụ)');
  await expect(requestItem(page)).toHaveCount(0);
  await shot(page, '01-home-standing-1366');

  // ── A request file through "Nhận yêu cầu từ tệp"
  await pickFile(page, 'yeu-cau-YC-0007-lan-1.json', files.first);
  await expect(page.locator('[data-testid="receive-message"][data-outcome="received"]')).toBeVisible();
  const item = requestItem(page);
  await expect(item).toHaveCount(1);
  await expect(item.getByTestId('todo-title')).toHaveText('Rà soát trụ sở, tài sản công');
  await expect(item.getByTestId('todo-template')).toContainText(`YC-TRUSO — Rà soát trụ sở, tài sản công · Đến ngày ${dmy(asOf)}`);
  await expect(item.getByTestId('todo-ref')).toHaveText(
    `Thực hiện văn bản số 1234/UBND-NVKTGS ngày ${ddmmyyyy(addDays(today, -3))}: Rà soát, sắp xếp trụ sở làm việc, tài sản công sau sắp xếp đơn vị hành chính`,
  );
  await expect(item.getByTestId('todo-addressee')).toHaveText('Kính gửi: UBND thành phố (qua Sở Tài chính)');
  await expect(item.getByTestId('todo-deadline')).toHaveText(`Hạn nộp: chậm nhất trong ngày ${dmy(addDays(today, 10))}`);
  await expect(item.getByTestId('todo-time-left')).toHaveText('còn 10 ngày');
  await expect(item.getByTestId('todo-state')).toHaveText('Chưa làm');
  await expect(item.getByTestId('todo-amended')).toHaveCount(0);

  // ── The amended edition dropped on the window
  await dropFile(page, 'yeu-cau-YC-0007-lan-2.json', files.second, 'application/json');
  await expect(page.locator('[data-testid="receive-message"][data-outcome="updated"]')).toBeVisible();
  await expect(item.getByTestId('todo-amended')).toHaveText(`Mới cập nhật: Gia hạn đến ${dmy(addDays(today, 20))}`);
  await expect(item.getByTestId('todo-time-left')).toHaveText('còn 20 ngày');
  await expect(item.getByTestId('todo-deadline')).toHaveText(`Hạn nộp: chậm nhất trong ngày ${dmy(addDays(today, 20))}`);
  // The same file again: nothing new, said in a neutral note.
  await dropFile(page, 'yeu-cau-YC-0007-lan-2.json', files.second, 'application/json');
  await expect(page.locator('[data-testid="receive-message"][data-outcome="unchanged"]')).toBeVisible();
  await shot(page, '02-home-request-1366');
  await page.setViewportSize({ width: 1024, height: 768 });
  const open = item.getByTestId('todo-open');
  const box = (await open.boundingBox())!;
  expect(box.x + box.width).toBeLessThanOrEqual(1024);
  await shot(page, '03-home-request-1024');
  await page.setViewportSize({ width: 1366, height: 768 });

  // ── An Excel package dropped is not swallowed: it is a report, imported from its return.
  await dropFile(page, 'bao-cao-quy-3.xlsx', Buffer.from('PK\u0003\u0004'), 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
  await expect(page.locator('[data-testid="receive-message"][data-outcome="package"]')).toContainText('Nhập từ tệp Excel');

  // ── Open it with the keyboard: the button is reachable by Tab, Enter opens.
  await expect(open).toHaveText('Làm báo cáo');
  await open.focus();
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('Tab');
  await expect(open).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(new RegExp(`#/return/${asOf}$`));
  await expect(page.getByTestId('editor-template')).toContainText('YC-TRUSO — Rà soát trụ sở, tài sản công');
  await expect(page.getByTestId('editor-request')).toHaveText(
    `Theo yêu cầu: Rà soát trụ sở, tài sản công · chậm nhất trong ngày ${dmy(addDays(today, 20))} · Số 1234/UBND-NVKTGS ngày ${ddmmyyyy(addDays(today, -3))}`,
  );
  const cell = page.locator('[data-cell="tru_so.so_tru_so"]');
  await cell.click();
  await page.keyboard.type('3');
  await page.keyboard.press('Tab');
  await expect(page.getByTestId('save-status')).toHaveAttribute('data-state', 'saved', { timeout: 15_000 });
  await shot(page, '04-editor-request-1366');

  await page.getByTestId('submit-button').click();
  const dialog = page.getByRole('dialog');
  const by = dialog.getByLabel('Người nộp');
  if (!(await by.inputValue())) await by.fill('Nguyễn Thị Bình');
  await dialog.getByTestId('confirm-submit').click();
  await expect(dialog.getByTestId('submit-done')).toContainText('Đã nộp lần 1');
  await dialog.getByRole('button', { name: 'Đóng' }).click();

  // ── The printed form carries the request's reference and addressee at its head.
  await page.getByRole('button', { name: 'In', exact: true }).click();
  const print = page.getByTestId('print-view');
  await expect(print.getByTestId('print-request-addressee')).toHaveText('Kính gửi: UBND thành phố (qua Sở Tài chính)');
  await expect(print.getByTestId('print-request-ref')).toHaveText(
    `Thực hiện văn bản số 1234/UBND-NVKTGS ngày ${ddmmyyyy(addDays(today, -3))}: Rà soát, sắp xếp trụ sở làm việc, tài sản công sau sắp xếp đơn vị hành chính`,
  );
  await page.emulateMedia({ media: 'print' });
  await shot(page, '05-print-1366');
  await page.setViewportSize({ width: 1024, height: 768 });
  await shot(page, '06-print-1024');
  await page.emulateMedia({ media: 'screen' });
  await page.setViewportSize({ width: 1366, height: 768 });
  await page.getByRole('button', { name: /Quay lại/ }).first().click();

  // ── Back home: no longer owed; under "Đã nộp" (collapsed by default) as "Đã nộp lần 1".
  await page.getByRole('button', { name: 'Về Việc phải nộp' }).click();
  await expect(page.getByRole('heading', { name: 'Việc phải nộp' })).toBeVisible();
  await expect(requestItem(page)).toHaveCount(0);
  const toggle = page.getByTestId('todo-done-toggle');
  await expect(toggle).toHaveText('Đã nộp (1)');
  await expect(toggle).toHaveAttribute('aria-expanded', 'false');
  await expect(page.getByTestId('todo-done')).not.toBeVisible();
  await toggle.click();
  const done = page.getByTestId('todo-done').locator('[data-testid="todo-item"][data-kind="request"]');
  await expect(done.getByTestId('todo-state')).toHaveText('Đã nộp lần 1');
  await expect(done.getByTestId('todo-open')).toHaveText('Mở');
  await shot(page, '07-home-done-1366');

  // ── A file altered after signing: refused, with the reason, nothing changes.
  for (const close of await page.locator('.mantine-Notification-root button').all()) await close.click();
  await expect(page.locator('.mantine-Notification-root')).toHaveCount(0);
  await pickFile(page, 'yeu-cau-YC-0007-lan-3.json', files.tampered);
  const refusal = page.locator('[data-testid="receive-message"][data-outcome="refused"]');
  await expect(refusal).toContainText('đã bị sửa sau khi Thành phố ký');
  await expect(done.getByTestId('todo-state')).toHaveText('Đã nộp lần 1');
  await expect(page.locator('.mantine-Notification-root').last()).toBeInViewport({ ratio: 1 });
  await page.waitForTimeout(500); // the notification's slide-in, for the picture only
  await shot(page, '08-refused-1366');
  await page.setViewportSize({ width: 1024, height: 768 });
  await shot(page, '09-refused-1024');
});

test('the delivery settings show the trusted city key and refuse a wrong key file next to it', async ({ page }) => {
  await page.setViewportSize({ width: 1366, height: 768 });
  await page.goto('/');
  await page.getByTestId('connection-indicator').click();
  const key = page.getByTestId('trusted-key');
  await expect(key.getByTestId('trusted-key-fingerprint')).toHaveText(/^[0-9A-F]{4}( [0-9A-F]{4}){3}$/);
  await expect(key.getByTestId('trusted-key-source')).toHaveText('(kèm theo ứng dụng)');
  const chooser = page.waitForEvent('filechooser');
  await key.getByTestId('trusted-key-change').click();
  await (await chooser).setFiles({ name: 'khoa-sai.pem', mimeType: 'application/x-pem-file', buffer: Buffer.from('không phải khóa') });
  await expect(key.getByTestId('trusted-key-error')).toContainText('Tệp khóa công khai của Thành phố không đúng');
  await expect(key.getByTestId('trusted-key-source')).toHaveText('(kèm theo ứng dụng)');
  await shot(page, '10-trusted-key-1366');
});
