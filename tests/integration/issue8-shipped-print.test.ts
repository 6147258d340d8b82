/**
 * Engineer I (issue 8 item 5): the three templates shipped from the city's June 2026 letter (PCM,
 * TSC, PCPQ) printed as an official signs them. Each is sampled for Phường Thủy Nguyên (and PCM for
 * Đặc khu Bạch Long Vĩ), packaged and consolidated by the real command line, and printed through
 * real LibreOffice (xlsx → pdf, read back page by page with pdftotext):
 * - no signature block is cut by a page end (its heads, the "(Ký, …)" line and the names on one page);
 * - a money column says its unit once ("Nguyên giá (triệu đồng)", not twice);
 * - the Biểu tổng hợp is signed at "Hải Phòng, ngày …", not at the channel it came through.
 * The pages are also written as PNG under tests/output/issue8-print/ to be looked at.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const SOFFICE = process.env.SOFFICE_PATH ?? '/usr/bin/soffice';
const dir = mkdtempSync(path.join(tmpdir(), 'i-shipped-print-'));
const OUT = path.resolve('tests/output/issue8-print');
const PERIOD = '2026-H1';
const RETURNS = [
  ['PCM', '11560'],
  ['PCM', '11948'],
  ['TSC', '11560'],
  ['PCPQ', '11560'],
] as const;
// More units, so the consolidation has figures by unit type and a list of answers.
const MORE = ['11557', '11542', '11473', '11311'];

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(args: string[]): Promise<string> {
  const r = await runCli(args, { timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(`${args.join(' ')}: ${r.stderr || r.stdout}`);
  return r.stdout;
}

/** xlsx → pdf by LibreOffice; the text of each page (pdftotext keeps the layout). */
function printPages(xlsx: string): string[] {
  const pdfDir = path.join(dir, 'pdf');
  mkdirSync(pdfDir, { recursive: true });
  execFileSync(
    SOFFICE,
    [
      `-env:UserInstallation=file://${path.join(dir, 'profile')}`,
      '--headless',
      '--norestore',
      '--convert-to',
      'pdf',
      '--outdir',
      pdfDir,
      xlsx,
    ],
    { stdio: 'pipe', timeout: 180_000 },
  );
  const pdf = path.join(pdfDir, path.basename(xlsx).replace(/\.xlsx$/, '.pdf'));
  mkdirSync(OUT, { recursive: true });
  execFileSync('pdftoppm', ['-r', '70', '-png', pdf, path.join(OUT, path.basename(pdf, '.pdf'))]);
  return execFileSync('pdftotext', ['-layout', pdf, '-'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }).split(
    '\f',
  );
}

/** Each page that holds part of a signature block holds all of it. */
function signatureWhole(pages: string[], file: string): void {
  pages.forEach((p, i) => {
    const heads = /NGƯỜI LẬP BIỂU/.test(p);
    const sign = /\(Ký, ghi rõ họ tên\)/.test(p);
    const place = /ngày … tháng … năm …/.test(p);
    expect({ heads, sign }, `${file}, page ${i + 1}: the signature block is cut by the page end`).toEqual({
      heads: sign,
      sign,
    });
    if (place) expect(heads, `${file}, page ${i + 1}: the place and date without the signers`).toBe(true);
  });
}

const packages = new Map<string, string>();
let city = '';

beforeAll(async () => {
  const goi = path.join(dir, 'goi');
  mkdirSync(goi, { recursive: true });
  const jsons: string[] = [];
  for (const [id, unit] of [...RETURNS, ...MORE.flatMap((u) => ['PCM', 'TSC', 'PCPQ'].map((id) => [id, u] as const))]) {
    const out = path.join(dir, `${id}-${unit}.json`);
    await cli(['template', 'sample', id, '--unit', unit, '--period', PERIOD, '--seed', unit, '--out', out]);
    jsons.push(out);
  }
  await cli(['package', '--from-json', ...jsons, '--out', goi]);
  for (const f of readdirSync(goi)) packages.set(f, path.join(goi, f));
  city = path.join(dir, 'city.sqlite');
  await cli(['import', '--db', city, goi]);
}, 600_000);

describe.runIf(existsSync(SOFFICE))('the shipped templates printed through LibreOffice', () => {
  for (const [id, unit] of RETURNS)
    it(`${id} of ${unit}: every signature block whole on its page; money units said once`, async () => {
      const file = packages.get(`${id}_${unit}_${PERIOD}_r1.xlsx`)!;
      expect(file).toBeDefined();
      const pages = printPages(file);
      signatureWhole(pages, path.basename(file));
      const text = pages.join('\n');
      expect(text).not.toMatch(/\((triệu đồng|đồng)\)\s*\((triệu đồng|đồng)\)/);
      if (id === 'TSC') {
        const wb = new ExcelJS.Workbook();
        await wb.xlsx.readFile(file);
        const heads: string[] = [];
        wb.eachSheet((ws) =>
          ws.eachRow((r) =>
            r.eachCell((c) => void (String(c.text).startsWith('Nguyên giá') && heads.push(String(c.text)))),
          ),
        );
        expect(heads).toEqual(['Nguyên giá (triệu đồng)']);
      }
      // The signers' names are printed under their heads.
      expect(text).toMatch(/NGƯỜI LẬP BIỂU[\s\S]*\(Ký, ghi rõ họ tên\)/);
    }, 240_000);

  for (const id of ['PCM', 'TSC', 'PCPQ'])
    it(`the Biểu tổng hợp of ${id}: signed at "Hải Phòng, ngày …", every signature block whole`, async () => {
      const out = path.join(dir, `TH-${id}.xlsx`);
      await cli(['consolidate', '--db', city, '--period', PERIOD, '--template', id, '--out', out]);
      const pages = printPages(out);
      signatureWhole(pages, `TH-${id}.xlsx`);
      const text = pages.join('\n');
      expect(text).toMatch(/Hải Phòng, ngày … tháng … năm …/);
      expect(text).not.toMatch(/\(qua Sở [^)]*\), ngày/);
    }, 240_000);
});
