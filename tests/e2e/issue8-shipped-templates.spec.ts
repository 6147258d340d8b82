import { test, expect, type Locator, type Page } from '@playwright/test';
import ExcelJS from 'exceljs';
import JSZip from 'jszip';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { formatNumber, formatRate } from '../../shared/format.js';
import { periodLabel } from '../../shared/periods.js';

/**
 * Engineer I (issue 8 item 5): the three templates shipped from the city's June 2026 letter, PCM
 * (phòng chuyên môn, to Sở Nội vụ), TSC (trụ sở, tài sản công, to Sở Tài chính) and PCPQ (phân cấp,
 * ủy quyền, difficulties and proposals), each taken end to end in the browser mode on real servers
 * and real SQLite files:
 * - as a commune (Phường Thủy Nguyên, which has a HĐND; for PCM also Đặc khu Bạch Long Vĩ, which has
 *   none): choose the template, open a period, type every value of `template sample` into the real
 *   inputs (numbers, dd/mm/yyyy dates, money, long text, options, repeat rows) and attach a real PDF
 *   to every file cell that applies, see no error, submit, print, export the .zip;
 * - as the city: import the .zip files through the import screen, see them in completeness, open the
 *   review, and read on the Biểu tổng hợp the figures this file computes from the values it typed
 *   (a sum, a countWhere "N/M đơn vị", a stats min/max naming the unit, a narrative answer by unit),
 *   then download the consolidation workbook.
 * Screens: tests/output/screenshots/issue8-shipped-<TEMPLATE>-*.png at 1366x768 and 1024x768.
 */

const SHOTS = path.resolve('tests/output/screenshots');
mkdirSync(SHOTS, { recursive: true });
const DIR = mkdtempSync(path.join(tmpdir(), 'i-e2e-shipped-'));
const CLI = path.resolve('bin/commune-returns.js');

type Json = Record<string, unknown>;
type Spec = { key: string; type?: string; kind?: string; columns?: Spec[] };
type Tpl = { id: string; title: { vi: string }; sections: { key: string; items: Spec[] }[] };
type Sample = { values: Record<string, Record<string, unknown>> };

const THUY_NGUYEN = { code: '11560', name: 'Phường Thủy Nguyên' }; // co_hdnd = 1
const BACH_LONG_VI = { code: '11948', name: 'Đặc khu Bạch Long Vĩ' }; // co_hdnd = 0

function cli(...args: string[]): string {
  return execFileSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
}

const templates: Record<string, Tpl> = {};
for (const id of ['PCM', 'TSC', 'PCPQ']) {
  const out = path.join(DIR, `${id}.json`);
  cli('template', 'build', path.resolve(`resources/templates/${id}.xlsx`), '--out', out);
  templates[id] = JSON.parse(readFileSync(out, 'utf8')) as Tpl;
}

function sample(id: string, unit: string, period: string, seed: number): Sample {
  const out = path.join(DIR, `${id}-${unit}-${period}.json`);
  cli('template', 'sample', id, '--unit', unit, '--period', period, '--seed', String(seed), '--out', out);
  return JSON.parse(readFileSync(out, 'utf8')) as Sample;
}

/** A one-page PDF, small and real; each file its own (the package carries files by content). */
const pdf = (name: string): Buffer =>
  Buffer.from(
    `%PDF-1.4\n% ${name}\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n` +
      '3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n',
    'latin1',
  );

// ── Servers: two communes and the city, each on a database of its own ─────────────────────────

type Server = { base: string; proc: ChildProcess };
const servers: Server[] = [];

/**
 * A copy of the built renderer taken whole: every asset index.html names is there (another spec
 * may be rebuilding dist/renderer at this moment; then wait and copy again).
 */
async function rendererCopy(): Promise<string> {
  const to = path.join(DIR, 'renderer');
  for (let i = 0; ; i++) {
    rmSync(to, { recursive: true, force: true });
    try {
      // The build playwright.config.ts made: RENDERER_DIR when set (as vite.config.ts and the server read it).
      cpSync(path.resolve(process.env.RENDERER_DIR || 'dist/renderer'), to, { recursive: true });
      const html = readFileSync(path.join(to, 'index.html'), 'utf8');
      const assets = [...html.matchAll(/(?:src|href)="(?:\.?\/)?(assets\/[^"]+)"/g)].map((m) => m[1]!);
      if (assets.length > 0 && assets.every((a) => existsSync(path.join(to, a)))) return to;
    } catch {
      /* being rebuilt */
    }
    if (i > 60) throw new Error('the built renderer (dist/renderer) stayed incomplete');
    await new Promise((r) => setTimeout(r, 2_000));
  }
}

let renderer = '';

async function startServer(offset: number, prefix: string): Promise<string> {
  const port = Number(process.env.E2E_PORT ?? 47631) + 200 + offset;
  const base = `http://127.0.0.1:${port}`;
  const db = path.join(mkdtempSync(path.join(tmpdir(), prefix)), 'app.sqlite');
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', 'tests/e2e/issue8-shipped-server.ts', db, String(port), renderer],
    { stdio: 'pipe' },
  );
  let output = '';
  proc.stdout?.on('data', (b: Buffer) => (output += b.toString()));
  proc.stderr?.on('data', (b: Buffer) => (output += b.toString()));
  servers.push({ base, proc });
  for (let i = 0; i < 600; i++) {
    if (proc.exitCode !== null) throw new Error(`the web server ${prefix} exited: ${output}`);
    try {
      if ((await fetch(`${base}/`)).ok) return base;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the web server ${prefix} did not start on ${base}: ${output}`);
}

async function rpc(base: string, name: string, data: unknown): Promise<unknown> {
  const r = await fetch(`${base}/api/rpc/${name}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(data),
  });
  const body = (await r.json()) as { ok: boolean; result: unknown; error?: { message: string } };
  if (!body.ok) throw new Error(`${name}: ${body.error?.message}`);
  return body.result;
}

let hdndBase = '';
let blvBase = '';
let cityBase = '';

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  renderer = await rendererCopy();
  hdndBase = await startServer(30, 'i-e2e-thuy-nguyen-');
  blvBase = await startServer(31, 'i-e2e-bach-long-vi-');
  cityBase = await startServer(32, 'i-e2e-city-');
  await rpc(hdndBase, 'app.setup', { role: 'commune', unitCode: THUY_NGUYEN.code });
  await rpc(blvBase, 'app.setup', { role: 'commune', unitCode: BACH_LONG_VI.code });
  await rpc(cityBase, 'app.setup', { role: 'city' });
});

test.afterAll(async () => {
  for (const s of servers)
    if (s.proc.exitCode === null) {
      const exited = new Promise((r) => s.proc.once('exit', r));
      s.proc.kill('SIGTERM');
      await exited;
    }
});

const pageErrors: string[] = [];
test.beforeEach(async ({ page }) => {
  // Files are saved by the browser's download (the save dialog cannot be answered headless).
  await page.addInitScript(() => {
    delete (window as { showSaveFilePicker?: unknown }).showSaveFilePicker;
  });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') console.log(`[browser ${m.type()}] ${m.text()}`);
  });
});
test.afterEach(() => {
  expect(pageErrors).toEqual([]);
});

// ── Helpers ───────────────────────────────────────────────────────────────────────────────────

async function shot(page: Page, name: string): Promise<void> {
  await page.waitForTimeout(250); // let transitions settle so the picture shows the final state
  const y = await page.evaluate(() => window.scrollY);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(SHOTS, `issue8-shipped-${name}.png`), fullPage: true });
  await page.evaluate((v) => window.scrollTo(0, v), y);
}

async function shotBoth(page: Page, name: string): Promise<void> {
  await shot(page, `${name}-1366`);
  await page.setViewportSize({ width: 1024, height: 768 });
  await shot(page, `${name}-1024`);
  await page.setViewportSize({ width: 1366, height: 768 });
}

async function expectNoTrace(page: Page): Promise<void> {
  const text = await page.locator('body').innerText();
  expect(text).not.toMatch(
    /\bat \S+ \(|\n\s+at |TypeError|ReferenceError|undefined|NaN|\[object Object\]|lỗi không mong muốn/,
  );
}

async function download(page: Page, click: () => Promise<void>): Promise<string> {
  const d = page.waitForEvent('download');
  await click();
  const file = await d;
  const to = path.join(DIR, file.suggestedFilename());
  await file.saveAs(to);
  return to;
}

/**
 * Go to a page of the app. The built renderer is shared by every spec run in this tree and may be
 * rebuilt under us (index.html naming assets just replaced): then the page is loaded again.
 */
async function open(page: Page, url: string): Promise<void> {
  for (let i = 0; ; i++) {
    await page.goto(url);
    try {
      await expect(page.locator('#root button').first()).toBeVisible({ timeout: 15_000 });
      return;
    } catch (e) {
      if (i >= 4) throw e;
      await page.waitForTimeout(5_000);
    }
  }
}

async function chooseTemplate(page: Page, id: string): Promise<void> {
  const name = `${id} — ${templates[id]!.title.vi}`;
  await page.getByTestId('template-choice').click();
  await page.getByRole('option', { name }).click();
  await expect(page.getByTestId('template-choice')).toHaveValue(name);
}

/** What a person types for a value of this type: Vietnamese numbers, dd/mm/yyyy dates. */
function typed(type: string, v: unknown): string {
  if (type === 'date') {
    const [y, m, d] = String(v).split('-');
    return `${d}/${m}/${y}`;
  }
  if (typeof v === 'number') return String(v).replace('.', ',');
  return String(v);
}

async function enter(page: Page, target: Locator, type: string, v: unknown): Promise<void> {
  if (type === 'enum') {
    await target.selectOption(String(v));
    await target.press('Tab');
    return;
  }
  if (type === 'boolean') {
    await target.selectOption(v ? 'true' : 'false');
    await target.press('Tab');
    return;
  }
  await target.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.type(typed(type, v));
  await page.keyboard.press('Tab');
  if (type === 'date') await expect(target).toHaveValue(typed(type, v));
}

const cell = (page: Page, p: string): Locator => page.locator(`[data-cell="${p}"]`);

const attached: string[] = [];

async function attach(page: Page, p: string, name: string): Promise<void> {
  const chooser = page.waitForEvent('filechooser');
  await cell(page, p)
    .getByRole('button', { name: /Chọn tệp/ })
    .click();
  await (await chooser).setFiles({ name, mimeType: 'application/pdf', buffer: pdf(name) });
  attached.push(name);
  await expect(cell(page, p)).toContainText(name);
}

/**
 * Fill a return through the form: every value of the sample typed into its cell, section by
 * section (tab by tab), repeat rows added with "Thêm dòng", and a PDF attached to every file cell.
 */
async function fillForm(page: Page, t: Tpl, values: Sample['values']): Promise<void> {
  for (const section of t.sections) {
    const tab = page.locator(`[data-section-tab="${section.key}"]`);
    await tab.click();
    const sv = values[section.key] ?? {};
    for (const item of section.items) {
      const v = sv[item.key];
      const base = `${section.key}.${item.key}`;
      if (item.kind === 'field') {
        if (item.type === 'file') {
          if ((await cell(page, base).count()) > 0) await attach(page, base, `${item.key}.pdf`);
        } else if (v !== undefined) await enter(page, cell(page, base), item.type!, v);
      } else if (item.kind === 'table') {
        const rows = (v ?? {}) as Record<string, Json>;
        for (const [rowKey, row] of Object.entries(rows))
          for (const [col, cv] of Object.entries(row)) {
            const c = item.columns!.find((x) => x.key === col)!;
            await enter(page, cell(page, `${base}.${rowKey}.${col}`), c.type!, cv);
          }
        for (const c of item.columns!.filter((x) => x.type === 'file'))
          for (const rowKey of Object.keys(rows))
            if ((await cell(page, `${base}.${rowKey}.${c.key}`).count()) > 0)
              await attach(page, `${base}.${rowKey}.${c.key}`, `${rowKey}.pdf`);
      } else if (item.kind === 'repeat') {
        const rows = (v ?? []) as Json[];
        for (const [i, row] of rows.entries()) {
          await page.locator(`[data-add-row="${base}"]`).click();
          for (const [col, cv] of Object.entries(row)) {
            const c = item.columns!.find((x) => x.key === col)!;
            await enter(page, cell(page, `${base}.${i}.${col}`), c.type!, cv);
          }
        }
      }
    }
  }
  await expect(page.getByTestId('save-status')).toHaveAttribute('data-state', 'saved', { timeout: 15_000 });
}

/** The commune's whole turn: choose, open the period, fill, check, submit, print, export. */
async function commune(
  page: Page,
  base: string,
  id: string,
  unit: { code: string; name: string },
  seed: number,
  edit?: (v: Sample['values']) => void,
): Promise<{ file: string; period: string; values: Sample['values'] }> {
  const t = templates[id]!;
  await open(page, `${base}/#/periods`); // the periods list (the home is "Việc phải nộp", issue 9)
  await expect(page.getByText(`${unit.name} · mã ${unit.code}`)).toBeVisible();
  await chooseTemplate(page, id);
  await expect(page.getByRole('heading', { name: t.title.vi })).toBeVisible();
  const row = page.locator('[data-period]:not(.period-before-start)').first();
  const period = (await row.getAttribute('data-period'))!;
  await row.click();
  await expect(page).toHaveURL(new RegExp(`#/return/${period}$`));
  const s = sample(id, unit.code, period, seed);
  attached.length = 0;
  edit?.(s.values);
  await fillForm(page, t, s.values);

  // No error anywhere: no cell marked, nothing blocking the submission.
  await expect(page.getByText('không có lỗi, không có cảnh báo.')).toBeVisible();
  await expect(page.locator('[aria-invalid="true"]')).toHaveCount(0);
  await expect(page.locator('[data-issue]')).toHaveCount(0);
  await page.locator(`[data-section-tab="${t.sections[0]!.key}"]`).click();
  await expectNoTrace(page);
  const tag = `${id}-${unit.code}`;
  await shotBoth(page, `${tag}-01-form`);

  await page.getByTestId('submit-button').click();
  const dialog = page.getByRole('dialog');
  await dialog.getByTestId('confirm-submit').click();
  await expect(dialog.getByTestId('submit-done')).toContainText('Đã nộp lần 1', { timeout: 30_000 });
  await dialog.getByRole('button', { name: 'Đóng' }).click();
  await expect(dialog).toHaveCount(0);

  // The submitted revision leaves as a .zip: the workbook and the PDFs attached to it.
  const file = await download(page, () => page.getByTestId('export-button').click());
  expect(path.basename(file)).toBe(`${id}_${unit.code}_${period}_r1.zip`);
  const zip = await JSZip.loadAsync(readFileSync(file));
  const inZip = Object.keys(zip.files).filter((f) => !zip.files[f]!.dir);
  expect(inZip.filter((f) => f.endsWith('.xlsx'))).toHaveLength(1);
  expect(
    inZip
      .filter((f) => f.endsWith('.pdf'))
      .map((f) => path.basename(f))
      .sort(),
  ).toEqual([...attached].sort());

  // The print of the submitted revision: every section, the long texts whole.
  await page.getByRole('button', { name: 'In', exact: true }).click();
  const print = page.getByTestId('print-view');
  await expect(print).toBeVisible();
  await expect(print).toContainText(unit.name);
  // Signed where the unit is, as in the Excel package: "Thủy Nguyên, ngày …", not the city.
  await expect(print.locator('.ps-date').first()).toContainText(
    `${unit.name.replace(/^(Phường|Xã|Đặc khu) /, '')}, ngày`,
  );
  await expectNoTrace(page);
  const cut = await print
    .locator('[data-print-value]')
    .evaluateAll((els) =>
      els
        .filter((el) => el.scrollHeight > el.clientHeight + 1 || el.scrollWidth > el.clientWidth + 1)
        .map((el) => el.getAttribute('data-print-value')),
    );
  expect(cut).toEqual([]);
  await shotBoth(page, `${tag}-02-print`);
  // Each printed biểu as it goes to paper.
  await page.emulateMedia({ media: 'print' });
  const pages = print.locator('.print-page');
  for (let i = 0; i < (await pages.count()); i++)
    await pages.nth(i).screenshot({ path: path.join(SHOTS, `issue8-shipped-${tag}-03-print-page-${i + 1}.png`) });
  await page.emulateMedia({ media: 'screen' });
  await page.getByRole('button', { name: 'Quay lại biểu mẫu' }).click();

  return { file, period, values: s.values };
}

/** The city's turn for one template: import, completeness, review, the Biểu tổng hợp. */
async function city(
  page: Page,
  id: string,
  period: string,
  files: string[],
  units: { code: string; name: string }[],
): Promise<void> {
  await open(page, `${cityBase}/#/city/import`);
  await chooseTemplate(page, id);
  await page.getByTestId('import-files').setInputFiles(files);
  await expect(page.locator('[data-outcome-count="imported"]')).toContainText(`Đã nhập: ${files.length}`, {
    timeout: 60_000,
  });
  await expectNoTrace(page);
  await shot(page, `${id}-city-01-imported-1366`);

  await page.getByRole('tab', { name: 'Tình hình nộp' }).click();
  const periodChoice = page.getByTestId('city-period');
  if ((await periodChoice.inputValue()) !== periodLabel(period)) {
    await periodChoice.click();
    await page.getByRole('option', { name: periodLabel(period) }).click();
  }
  for (const u of units) {
    await expect(page.locator(`[data-unit="${u.code}"]`).first()).toBeVisible({ timeout: 30_000 });
    await expect(page.locator(`[data-unit="${u.code}"]`).first()).not.toHaveAttribute('data-state', 'missing');
  }
  await shotBoth(page, `${id}-city-02-completeness`);

  await open(page, `${cityBase}/#/city/review/${period}/${units[0]!.code}`);
  await expect(page.getByTestId('review-title')).toContainText(units[0]!.name);
  await expectNoTrace(page);
  await shotBoth(page, `${id}-city-03-review`);

  await open(page, `${cityBase}/#/city/consolidation`);
  await expect(page.getByTestId('consolidation')).toBeVisible({ timeout: 30_000 });
}

/** A figure of the Biểu tổng hợp: its own block, or its row among the block's figures. */
const fig = (page: Page, figure: string): Locator =>
  page.locator(`[data-testid="cons-${figure.replace(/\./g, '-')}"], tr[data-figure="${figure}"]`);

const num = (v: unknown): number => (typeof v === 'number' ? v : 0);

// ── The tests ─────────────────────────────────────────────────────────────────────────────────

const done: Record<string, { period: string; files: string[]; values: Sample['values'][] }> = {};

test('PCM as a commune with a HĐND and as Bạch Long Vĩ without: filled, checked, submitted, printed, exported', async ({
  page,
}) => {
  test.setTimeout(300_000);
  const a = await commune(page, hdndBase, 'PCM', THUY_NGUYEN, 1);
  // Bạch Long Vĩ: no HĐND (Biểu 02 does not apply, Biểu 02A does) and no deputy director yet.
  const b = await commune(page, blvBase, 'PCM', BACH_LONG_VI, 2, (v) => {
    expect(v.nghi_quyet).toBeUndefined();
    expect(v.khong_hdnd).toBeDefined();
    v.trung_tam!.pho_giam_doc = [];
    (v.to_chuc!.don_vi as Record<string, Json>).trung_tam!.so_cap_pho = 0; // the rule: deputies = rows listed
  });
  expect(b.period).toBe(a.period);
  done.PCM = { period: a.period, files: [a.file, b.file], values: [a.values, b.values] };
});

test('TSC as a commune: repeat rows with options, money, surplus premises, proposals', async ({ page }) => {
  test.setTimeout(300_000);
  const a = await commune(page, hdndBase, 'TSC', THUY_NGUYEN, 3);
  done.TSC = { period: a.period, files: [a.file], values: [a.values] };
});

test('PCPQ as a commune: the task table, rows of obstacles, four narrative answers', async ({ page }) => {
  test.setTimeout(300_000);
  const a = await commune(page, hdndBase, 'PCPQ', THUY_NGUYEN, 4);
  done.PCPQ = { period: a.period, files: [a.file], values: [a.values] };
});

test('PCM at the city: imported, complete, reviewed; the Biểu tổng hợp equals the figures typed', async ({ page }) => {
  test.setTimeout(300_000);
  const d = done.PCM!;
  await city(page, 'PCM', d.period, d.files, [THUY_NGUYEN, BACH_LONG_VI]);
  const [a, b] = d.values as [Sample['values'], Sample['values']];
  const staff = (v: Sample['values']) =>
    Object.values(v.to_chuc!.don_vi as Record<string, Json>).reduce((s, r) => s + num(r.so_nguoi), 0);
  // sum: staff of the offices and the centre over both units
  await expect(fig(page, 'to_chuc.don_vi')).toContainText(formatNumber(staff(a) + staff(b)));
  // countWhere: units without a deputy director of the centre (Bạch Long Vĩ listed none)
  const none = [a, b].filter((v) => (v.trung_tam!.pho_giam_doc as Json[]).length === 0).length;
  await expect(fig(page, 'trung_tam.khong_co_pho')).toContainText(`${none}/2 đơn vị`);
  // stats: the smallest and the largest staff, each with its unit
  const stats = fig(page, 'to_chuc.so_nguoi');
  const [lo, hi] = staff(a) < staff(b) ? [THUY_NGUYEN, BACH_LONG_VI] : [BACH_LONG_VI, THUY_NGUYEN];
  await expect(stats).toContainText(formatNumber(Math.min(staff(a), staff(b))));
  await expect(stats).toContainText(formatNumber(Math.max(staff(a), staff(b))));
  await expect(stats).toContainText(lo.name);
  await expect(stats).toContainText(hi.name);
  // texts: each unit's difficulties, by unit
  const texts = fig(page, 'kien_nghi.kho_khan');
  await expect(texts.locator(`[data-unit="${BACH_LONG_VI.code}"]`)).toContainText(
    String(b.kien_nghi!.kho_khan).slice(0, 60),
  );
  await expect(texts.locator(`[data-unit="${THUY_NGUYEN.code}"]`)).toContainText(
    String(a.kien_nghi!.kho_khan).slice(0, 60),
  );
  await consolidationEnd(page, 'PCM', formatNumber(staff(a) + staff(b)));
});

test('TSC at the city: the Biểu tổng hợp equals the figures typed', async ({ page }) => {
  test.setTimeout(300_000);
  const d = done.TSC!;
  await city(page, 'TSC', d.period, d.files, [THUY_NGUYEN]);
  const v = d.values[0]!;
  const buildings = (v.tru_so!.co_so as Json[]).length;
  await expect(fig(page, 'tru_so.so_tru_so')).toContainText(formatNumber(buildings));
  await expect(fig(page, 'tru_so.kinh_phi')).toContainText(formatNumber(num(v.tru_so!.kinh_phi_sua_chua)));
  const surplus = Object.values(v.doi_du!.nhom as Record<string, Json>).reduce((s, r) => s + num(r.so_co_so), 0);
  await expect(fig(page, 'doi_du.co_doi_du')).toContainText(`${surplus > 0 ? 1 : 0}/1 đơn vị`);
  await expect(fig(page, 'doi_du.nhom')).toContainText(formatNumber(surplus));
  await expect(fig(page, 'tru_so.so_tru_so_theo_loai')).toContainText(THUY_NGUYEN.name);
  await expect(fig(page, 'kien_nghi.kho_khan').locator(`[data-unit="${THUY_NGUYEN.code}"]`)).toContainText(
    String(v.kien_nghi!.kho_khan).slice(0, 60),
  );
  await consolidationEnd(page, 'TSC', formatNumber(buildings));
});

test('PCPQ at the city: the Biểu tổng hợp equals the figures typed', async ({ page }) => {
  test.setTimeout(300_000);
  const d = done.PCPQ!;
  await city(page, 'PCPQ', d.period, d.files, [THUY_NGUYEN]);
  const v = d.values[0]!;
  const rows = Object.values(v.nhiem_vu!.nhom as Record<string, Json>);
  const given = rows.reduce((s, r) => s + num(r.duoc_giao), 0);
  const doneTasks = rows.reduce((s, r) => s + num(r.da_thuc_hien), 0);
  const stuck = rows.reduce((s, r) => s + num(r.vuong_mac), 0);
  await expect(fig(page, 'nhiem_vu.nhom')).toContainText(formatNumber(given));
  await expect(fig(page, 'nhiem_vu.co_vuong_mac')).toContainText(`${stuck > 0 ? 1 : 0}/1 đơn vị`);
  // stats of a rate: one unit with figures, its rate as min and max, shown as a percentage as in the workbook.
  await expect(fig(page, 'nhiem_vu.ty_le_don_vi').locator('tr[data-row="total"]')).toContainText('1/1');
  await expect(fig(page, 'nhiem_vu.ty_le_don_vi').locator('tr[data-row="total"]')).toContainText(formatRate(doneTasks / given));
  await expect(fig(page, 'nhiem_vu.ty_le_don_vi')).toContainText(THUY_NGUYEN.name);
  await expect(fig(page, 'danh_gia.cach_lam_hay').locator(`[data-unit="${THUY_NGUYEN.code}"]`)).toContainText(
    String(v.danh_gia!.cach_lam_hay).slice(0, 60),
  );
  await consolidationEnd(page, 'PCPQ', formatNumber(given), doneTasks / given);
});

/** Screens of the Biểu tổng hợp, and its workbook downloaded and holding the figure. */
async function consolidationEnd(page: Page, id: string, figure: string, rate?: number): Promise<void> {
  await expectNoTrace(page);
  await shotBoth(page, `${id}-city-04-consolidation`);
  const file = await download(page, () => page.getByTestId('export-consolidation').click());
  expect(path.basename(file)).toMatch(/\.xlsx$/);
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(file);
  const all: string[] = [];
  wb.eachSheet((ws) =>
    ws.eachRow((r) =>
      r.eachCell((c) => all.push(typeof c.value === 'number' ? formatNumber(c.value) : String(c.text))),
    ),
  );
  expect(all).toContain(figure);
  // A rate in the workbook is a number formatted as a percentage: the rate computed from the typed values.
  if (rate !== undefined) {
    const rates: number[] = [];
    wb.eachSheet((ws) =>
      ws.eachRow((r) =>
        r.eachCell((c) => {
          const v = typeof c.value === 'number' ? c.value : (c.value as { result?: unknown } | null)?.result;
          if (typeof v === 'number' && /%/.test(c.numFmt ?? '')) rates.push(v);
        }),
      ),
    );
    expect(rates.some((v) => Math.abs(v - rate) < 1e-9)).toBe(true);
  }
}
