import { test, expect, type APIRequestContext, type Locator, type Page } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { parseTemplate } from '../../shared/index.js';
import { createRegistry } from '../../core/templates/registry.js';
import { ownServer } from './own-server.js';
import { signedTemplateFile } from '../helpers/city-key.js';

/**
 * Issue 8 item 4 in the browser mode (real server, real SQLite, Chromium): a commune attaches a
 * scanned decision (PDF) and a signed page (PNG) to the file cells of a template it received
 * (tests/fixtures/templates/issue8-attachments.json), reached by the keyboard; a file too big and an
 * .exe renamed .pdf are refused next to the cell in Vietnamese; after a reload the files are still
 * there and "Xem" opens them. The submitted revision leaves as a .zip, the city imports it, and its
 * review screen shows the file cells with "Xem" so a clerk opens the signed page.
 */

const SHOTS = path.resolve('tests/output/screenshots');
mkdirSync(SHOTS, { recursive: true });
async function shot(page: Page, name: string): Promise<void> {
  await page.waitForTimeout(250); // let transitions settle so the picture shows the final state
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

const FIXTURE = path.resolve('tests/fixtures/templates/issue8-attachments.json');
const TEMPLATE = 'DK-TEP';
const PERIOD = `${new Date().getFullYear()}-Q3`;
const UNIT = '11560'; // Phường Thủy Nguyên

function pdf(): Buffer {
  return Buffer.from(
    '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n' +
      '3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n',
    'latin1',
  );
}
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

const cell = (page: Page, p: string): Locator => page.locator(`[data-cell="${p}"]`);

async function rpc<T>(request: APIRequestContext, name: string, input: unknown, base = ''): Promise<T> {
  const res = await request.post(`${base}/api/rpc/${name}`, { data: input });
  const body = (await res.json()) as { ok: boolean; result?: T; error?: { message: string } };
  if (!body.ok) throw new Error(`${name}: ${body.error?.message}`);
  return body.result as T;
}

async function expectSaved(page: Page): Promise<void> {
  await expect(page.getByTestId('save-status')).toHaveAttribute('data-state', 'saved', { timeout: 15_000 });
}

/** Choose a file for a file cell with the keyboard: focus "Chọn tệp…", press Enter, pick the file. */
async function choose(page: Page, label: RegExp, file: { name: string; mimeType: string; buffer: Buffer }): Promise<void> {
  const chooser = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: label }).focus();
  await page.keyboard.press('Enter');
  await (await chooser).setFiles(file);
}

test.describe.configure({ mode: 'serial' });

// The commune: a database of its own that received the template with the file cells.
ownServer(23, 'cr-e2e-issue8-attachments-');

const pageErrors: string[] = [];
test.beforeEach(async ({ page }) => {
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.addInitScript((id) => window.localStorage.setItem('commune-returns.template', id), TEMPLATE);
});
test.afterEach(() => {
  expect(pageErrors).toEqual([]);
});

test.beforeAll(async ({ request }) => {
  await rpc(request, 'app.setup', { role: 'commune', unitCode: UNIT });
  // Signed by the city: a commune receives no other template file (issue 9).
  await rpc(request, 'templates.receive', { file: signedTemplateFile([JSON.parse(readFileSync(FIXTURE, 'utf8'))], 'issue8-attachments.json') });
});

let zip: { fileName: string; data: string } | undefined;

test('a commune attaches a PDF and a PNG by the keyboard; refusals are said next to the cell; after a reload they are still there', async ({
  page,
  request,
}) => {
  await page.goto(`/#/return/${PERIOD}`);
  await cell(page, 'van_ban.so_quyet_dinh').click();
  await page.keyboard.type('15/QĐ-UBND');
  await page.keyboard.press('Tab');
  await cell(page, 'van_ban.so_can_bo').click();
  await page.keyboard.type('23');
  await page.keyboard.press('Tab');

  const decision = cell(page, 'van_ban.quyet_dinh');
  const signed = cell(page, 'van_ban.trang_ky');
  await expect(decision).toContainText('Chưa có tệp đính kèm.');
  await expect(decision).toContainText('Tệp PDF, PNG hoặc JPG, tối đa 5 MB.');
  await expect(signed).toContainText('tối đa 2 MB');

  await choose(page, /Chọn tệp.*Bản quét quyết định/, { name: 'quyet-dinh-15.pdf', mimeType: 'application/pdf', buffer: pdf() });
  await expect(decision).toContainText(`quyet-dinh-15.pdf (${pdf().length} byte)`);

  // Too big for the signed page (2 MB): the size and the cap, next to the cell; nothing attached.
  await choose(page, /Chọn tệp.*Trang có chữ ký và dấu/, {
    name: 'trang-ky-lon.png',
    mimeType: 'image/png',
    buffer: Buffer.concat([PNG, Buffer.alloc(3 * 1024 * 1024)]),
  });
  await expect(signed.getByRole('alert')).toHaveText(
    'Tệp này nặng 3 MB, vượt mức cho phép 2 MB nên chưa được đính kèm. Hãy quét lại với độ phân giải thấp hơn hoặc nén tệp rồi chọn lại.',
  );
  await expect(signed).toContainText('Chưa có tệp đính kèm.');
  await shot(page, 'issue8-attachments-01-too-big');

  // A program renamed .pdf: refused by its first bytes.
  await choose(page, /Chọn tệp.*Trang có chữ ký và dấu/, {
    name: 'trang-ky.pdf',
    mimeType: 'application/pdf',
    buffer: Buffer.concat([Buffer.from('MZ\x90\x00', 'latin1'), Buffer.alloc(4096, 1)]),
  });
  await expect(signed.getByRole('alert')).toHaveText(
    'Tệp "trang-ky.pdf" không phải PDF, PNG hay JPG nên chưa được đính kèm. Hãy chọn bản quét dạng PDF, PNG hoặc JPG.',
  );
  await shot(page, 'issue8-attachments-02-wrong-kind');

  await choose(page, /Chọn tệp.*Trang có chữ ký và dấu/, { name: 'trang-ky.png', mimeType: 'image/png', buffer: PNG });
  await expect(signed).toContainText(`trang-ky.png (${PNG.length} byte)`);
  await expect(signed.getByRole('alert')).toHaveCount(0);
  await expectSaved(page);
  await shot(page, 'issue8-attachments-03-attached-1366');

  // Reload: both files are still there, and "Xem" opens one.
  await page.reload();
  await expect(decision).toContainText('quyet-dinh-15.pdf');
  await expect(signed).toContainText('trang-ky.png');
  const popup = page.waitForEvent('popup');
  await signed.getByRole('button', { name: 'Xem' }).click();
  const opened = await popup;
  expect(opened.url()).toMatch(/^blob:/);
  await opened.close();

  // "Bỏ tệp" clears the cell; choosing again brings the file back.
  await signed.getByRole('button', { name: 'Bỏ tệp' }).click();
  await expect(signed).toContainText('Chưa có tệp đính kèm.');
  await choose(page, /Chọn tệp.*Trang có chữ ký và dấu/, { name: 'trang-ky.png', mimeType: 'image/png', buffer: PNG });
  await expect(signed).toContainText('trang-ky.png');
  await expectSaved(page);

  await page.setViewportSize({ width: 1024, height: 768 });
  await shot(page, 'issue8-attachments-04-attached-1024');

  // Submitted, the revision's package leaves as a .zip with its attachments.
  const state = await rpc<{ returnId: number }>(request, 'returns.open', { template: TEMPLATE, period: PERIOD });
  await rpc(request, 'returns.submit', { returnId: state.returnId, submittedBy: 'Nguyễn Thị Hoa' });
  zip = await rpc(request, 'package.export', { returnId: state.returnId, revision: 1 });
  expect(zip!.fileName).toBe(`${TEMPLATE}_${UNIT}_${PERIOD}_r1.zip`);
});

test('the city imports the .zip; its review shows the file cells with "Xem" and opens the signed page', async ({ page, request }) => {
  expect(zip).toBeDefined();
  // The city: another server on a database of its own, which published the template.
  const port = Number(process.env.E2E_PORT ?? 47631) + 200 + 23 + 100;
  const base = `http://127.0.0.1:${port}`;
  const db = path.join(mkdtempSync(path.join(tmpdir(), 'cr-e2e-issue8-att-city-')), 'city.sqlite');
  let server: ChildProcess | undefined;
  let output = '';
  try {
    server = spawn(process.execPath, ['bin/commune-returns.js', 'web', '--db', db, '--port', String(port)], { stdio: 'pipe' });
    server.stdout?.on('data', (b: Buffer) => (output += b.toString()));
    server.stderr?.on('data', (b: Buffer) => (output += b.toString()));
    for (let i = 0; ; i++) {
      if (server.exitCode !== null || i > 600) throw new Error(`the city server did not start: ${output}`);
      try {
        if ((await fetch(`${base}/`)).ok) break;
      } catch {
        /* not up yet */
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    await rpc(request, 'app.setup', { role: 'city' }, base);
    // The template, as the city published it (its registry row).
    const sqlite = new Database(db);
    try {
      createRegistry(new Map(), sqlite).store(parseTemplate(JSON.parse(readFileSync(FIXTURE, 'utf8'))), { source: 'published', at: new Date().toISOString() });
    } finally {
      sqlite.close();
    }
    const imported = await rpc<{ results: { outcome: string; message: string }[] }>(request, 'city.import', { files: [zip], dryRun: false }, base);
    expect(imported.results.map((r) => r.outcome)).toEqual(['imported']);

    await page.goto(`${base}/#/city/review/${PERIOD}/${UNIT}`);
    const decision = page.locator('[data-value="van_ban.quyet_dinh"]');
    const signed = page.locator('[data-value="van_ban.trang_ky"]');
    await expect(decision).toContainText(`quyet-dinh-15.pdf (${pdf().length} byte)`);
    await expect(signed).toContainText(`trang-ky.png (${PNG.length} byte)`);
    await expect(signed.getByRole('button', { name: 'Chọn tệp…' })).toHaveCount(0);
    await shot(page, 'issue8-attachments-05-city-review');
    const popup = page.waitForEvent('popup');
    await signed.getByRole('button', { name: 'Xem' }).click();
    const opened = await popup;
    expect(opened.url()).toMatch(/^blob:/);
    await opened.close();
  } finally {
    if (server && server.exitCode === null) {
      const exited = new Promise((r) => server!.once('exit', r));
      server.kill('SIGTERM');
      await exited;
    }
  }
});
