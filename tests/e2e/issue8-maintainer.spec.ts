import { test, expect, type Page } from '@playwright/test';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { periodLabel } from '../../shared/periods.js';

/**
 * Engineer N (issue 8, second round): the app's name and the editor's header now that it serves
 * any report. On a real web server and a real SQLite file, a commune (Phường Thủy Nguyên):
 * - sees the app named "Báo cáo của UBND cấp xã" (window title and header), not "Báo cáo định kỳ";
 * - opens a PCM return and reads in the editor's header which template it is on, "PCM — Báo cáo tổ
 *   chức các phòng chuyên môn …", then the period and the unit; at 1024 px a long title gives way
 *   and the period and unit stay whole on screen; the full title with its version is on hover;
 * - opens a BC-CX return and reads "BC-CX — Báo cáo định kỳ của UBND cấp xã" there instead.
 * Screens: tests/output/screenshots/issue8-maintainer-*.png at 1366x768 and 1024x768.
 */

const SHOTS = path.resolve('tests/output/screenshots');
mkdirSync(SHOTS, { recursive: true });
const DIR = mkdtempSync(path.join(tmpdir(), 'n-e2e-maintainer-'));
const CLI = path.resolve('bin/commune-returns.js');
const UNIT = { code: '11560', name: 'Phường Thủy Nguyên' };

type Tpl = { id: string; version: number; title: { vi: string } };
function built(id: string): Tpl {
  const out = path.join(DIR, `${id}.json`);
  execFileSync(process.execPath, [CLI, 'template', 'build', path.resolve(`resources/templates/${id}.xlsx`), '--out', out]);
  return JSON.parse(readFileSync(out, 'utf8')) as Tpl;
}
const PCM = built('PCM');
const BCCX = built('BC-CX');

let proc: ChildProcess | undefined;
let base = '';

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  const port = Number(process.env.E2E_PORT ?? 47631) + 900;
  base = `http://127.0.0.1:${port}`;
  const db = path.join(mkdtempSync(path.join(tmpdir(), 'n-e2e-db-')), 'app.sqlite');
  proc = spawn(process.execPath, [CLI, 'web', '--db', db, '--port', String(port)], { stdio: 'pipe' });
  let output = '';
  proc.stdout?.on('data', (b: Buffer) => (output += b.toString()));
  proc.stderr?.on('data', (b: Buffer) => (output += b.toString()));
  for (let i = 0; ; i++) {
    if (proc.exitCode !== null) throw new Error(`the web server exited: ${output}`);
    try {
      if ((await fetch(`${base}/`)).ok) break;
    } catch {
      /* not up yet */
    }
    if (i > 600) throw new Error(`the web server did not start on ${base}: ${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const r = await fetch(`${base}/api/rpc/app.setup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ role: 'commune', unitCode: UNIT.code }),
  });
  expect(((await r.json()) as { ok: boolean }).ok).toBe(true);
});

test.afterAll(async () => {
  if (proc && proc.exitCode === null) {
    const exited = new Promise((r) => proc!.once('exit', r));
    proc.kill('SIGTERM');
    await exited;
  }
});

const pageErrors: string[] = [];
test.beforeEach(({ page }) => {
  page.on('pageerror', (e) => pageErrors.push(e.message));
});
test.afterEach(() => {
  expect(pageErrors).toEqual([]);
});

async function shot(page: Page, name: string): Promise<void> {
  await page.waitForTimeout(250); // let transitions settle so the picture shows the final state
  await page.screenshot({ path: path.join(SHOTS, `issue8-maintainer-${name}.png`) });
}

async function openFirstPeriod(page: Page, t: Tpl): Promise<string> {
  await page.goto(`${base}/#/periods`); // the periods list (the home is "Việc phải nộp", issue 9)
  const name = `${t.id} — ${t.title.vi}`;
  await page.getByTestId('template-choice').click();
  await page.getByRole('option', { name }).click();
  await expect(page.getByTestId('template-choice')).toHaveValue(name);
  const row = page.locator('[data-period]:not(.period-before-start)').first();
  const period = (await row.getAttribute('data-period'))!;
  await row.click();
  await expect(page).toHaveURL(new RegExp(`#/return/${period}$`));
  return period;
}

/** The element lies whole inside the viewport (not cut by the window's edge). */
async function expectOnScreen(page: Page, selector: string): Promise<void> {
  const box = await page.locator(selector).boundingBox();
  const width = page.viewportSize()!.width;
  expect(box).not.toBeNull();
  expect(box!.x).toBeGreaterThanOrEqual(0);
  expect(box!.x + box!.width).toBeLessThanOrEqual(width);
}

test('the app is named for any report of the UBND cấp xã, not for periodic returns alone', async ({ page }) => {
  await page.goto(`${base}/`);
  await expect(page).toHaveTitle('Báo cáo của UBND cấp xã — Hải Phòng');
  await expect(page.getByText('Báo cáo của UBND cấp xã', { exact: true })).toBeVisible();
  await expect(page.locator('body')).not.toContainText('Báo cáo định kỳ UBND cấp xã');
});

test('the editor header names the template of the open return, then its period and unit', async ({ page }) => {
  const period = await openFirstPeriod(page, PCM);
  const title = page.getByTestId('editor-title');
  const template = page.getByTestId('editor-template');
  expect(PCM.title.vi).toMatch(/^Báo cáo tổ chức các phòng chuyên môn/);
  await expect(template).toHaveText(`PCM — ${PCM.title.vi}`);
  await expect(template).toHaveAttribute('title', `Mẫu PCM, phiên bản ${PCM.version}: ${PCM.title.vi}`);
  await expect(title).toHaveText(`${periodLabel(period)} · ${UNIT.name}`);
  // The template is read first, right above the period and the unit.
  const above = (await template.boundingBox())!;
  const below = (await title.boundingBox())!;
  expect(above.y + above.height).toBeLessThanOrEqual(below.y + 1);
  // The section tabs (one component for the editor, the review and the preview) still show each biểu.
  await expect(page.locator('[data-section-tab]').first()).toBeVisible();
  await shot(page, 'editor-PCM-1366');

  // At 1024 px the period and the unit stay whole; the title may give way to an ellipsis.
  await page.setViewportSize({ width: 1024, height: 768 });
  await expect(template).toBeVisible();
  await expectOnScreen(page, '[data-testid="editor-template"]');
  await expectOnScreen(page, '[data-testid="editor-title"]');
  await expectOnScreen(page, '[data-testid="export-button"]');
  await shot(page, 'editor-PCM-1024');
  await page.setViewportSize({ width: 1366, height: 768 });

  const other = await openFirstPeriod(page, BCCX);
  await expect(page.getByTestId('editor-template')).toHaveText(`BC-CX — ${BCCX.title.vi}`);
  await expect(title).toHaveText(`${periodLabel(other)} · ${UNIT.name}`);
  await shot(page, 'editor-BC-CX-1366');
});
