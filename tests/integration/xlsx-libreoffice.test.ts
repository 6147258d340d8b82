/**
 * The package through real LibreOffice: re-saved as .xlsx it reads back the same, its formulas
 * recomputed by LibreOffice equal our cached values, and it prints one A4 page per sheet.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReturnJson } from '../../shared/index.js';
import { normalizeValues } from '../../shared/index.js';
import { readPackage, valuesHash, writePackage } from '../../core/xlsx/index.js';
import { loadTemplate, loadUnit, meta, sampleReturn, templates } from '../fixtures/xlsx/sample.js';
import { formulaResults as formulaResultsOf, withoutCachedValues } from '../helpers/xlsx.js';

const SOFFICE = process.env.SOFFICE_PATH ?? '/usr/bin/soffice';
const available = existsSync(SOFFICE);
if (!available)
  console.warn(
    `xlsx-libreoffice: skipped because LibreOffice is not installed at ${SOFFICE} (install libreoffice-calc or set SOFFICE_PATH).`,
  );

const t = loadTemplate();
const unit = loadUnit('11948');
const dir = mkdtempSync(join(tmpdir(), 'xlsx-lo-'));
const profile = `file://${join(dir, 'profile')}`;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function convert(to: string, outDir: string, files: string[]): void {
  mkdirSync(outDir, { recursive: true });
  execFileSync(
    SOFFICE,
    [`-env:UserInstallation=${profile}`, '--headless', '--norestore', '--convert-to', to, '--outdir', outDir, ...files],
    {
      stdio: 'pipe',
      timeout: 120_000,
    },
  );
}

function fullReturn(): ReturnJson {
  const ret = sampleReturn();
  ret.values.hq!.sites = [
    ...(ret.values.hq!.sites as object[]),
    {
      name: '=Nhà văn hóa thôn 2 (kho_x1_ và _x000A_)',
      origin: 'other',
      land_m2: 820.5,
      floor_m2: 310.25,
      condition: 'good',
      used_by: ['party', 'front'],
    },
  ];
  (ret.values.procedures!.fields as Record<string, unknown>).dat_dai = {
    carried_over: 10,
    new_direct: 20,
    done_on_time: 25,
    pending_overdue: 5,
  };
  (ret.values.staff!.blocks as Record<string, Record<string, number>>).government!.cbcc_present = 31;
  ret.explanations = {
    'staff.present_over_quota:government': 'Có 1 công chức được điều động về, chờ giao bổ sung biên chế.',
  };
  ret.asOf = { staff: '2026-06-10' };
  return ret;
}

/** Every formula cell of a workbook: sheet!address → cached result. */
async function formulaResults(data: Buffer): Promise<Map<string, unknown>> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(data as unknown as ExcelJS.Buffer);
  return formulaResultsOf(wb);
}

describe.skipIf(!available)('Excel package through LibreOffice', () => {
  const ret = fullReturn();
  let ours: Buffer;
  beforeAll(async () => {
    ours = await writePackage({ template: t, ret, unit, meta });
    writeFileSync(join(dir, 'package.xlsx'), ours);
    writeFileSync(join(dir, 'stripped.xlsx'), await withoutCachedValues(ours));
    // One LibreOffice run re-saves both files as .xlsx.
    convert('xlsx', join(dir, 'lo'), [join(dir, 'package.xlsx'), join(dir, 'stripped.xlsx')]);
  });

  it('a package re-saved by LibreOffice reads back with the same values and identity', async () => {
    const back = await readPackage(readFileSync(join(dir, 'lo', 'package.xlsx')), templates(t));
    expect(back.ret.values).toEqual(normalizeValues(t, ret.values));
    expect(back.ret.explanations).toEqual(ret.explanations);
    expect(back.ret.asOf).toEqual(ret.asOf);
    expect(back.identity).toEqual({
      ...meta,
      template: 'BC-CX',
      templateVersion: 1,
      unit: '11948',
      period: '2026-Q2',
      hash: valuesHash(t, ret),
    });
    expect(back.editedOutside).toBe(false);
  });

  it('formulas recomputed by LibreOffice equal the cached values we wrote', async () => {
    const expected = await formulaResults(ours);
    const recomputed = await formulaResults(readFileSync(join(dir, 'lo', 'stripped.xlsx')));
    expect(expected.size).toBeGreaterThan(100);
    const blank = (v: unknown) => (v === undefined || v === null || v === '' ? '' : v);
    const wrong: string[] = [];
    for (const [where, want] of expected) {
      const got = blank(recomputed.get(where));
      const ok =
        typeof want === 'number' ? typeof got === 'number' && Math.abs(got - want) < 1e-9 : got === blank(want);
      if (!ok) wrong.push(`${where}: expected ${JSON.stringify(want)}, LibreOffice ${JSON.stringify(got)}`);
    }
    expect(wrong).toEqual([]);
    // The stripped file really had no values: LibreOffice computed them.
    const stripped = await formulaResults(readFileSync(join(dir, 'stripped.xlsx')));
    expect([...stripped.values()].filter((v) => typeof v === 'number').length).toBe(0);
  });

  it('prints one A4 page per sheet', async () => {
    convert('pdf', join(dir, 'pdf'), [join(dir, 'package.xlsx')]);
    const pdf = readFileSync(join(dir, 'pdf', 'package.pdf')).toString('latin1');
    const pages = pdf.match(/\/Type\s*\/Page[^s]/g)?.length ?? 0;
    expect(pages).toBe(t.sections.length + 1);
    // A4: 595 × 842 points, portrait or landscape (the page tree's own box is the square that holds both).
    const boxes = [...pdf.matchAll(/\/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]/g)]
      .map((m) => [Math.round(+m[1]!), Math.round(+m[2]!)])
      .filter(([w, h]) => w !== h)
      .map((b) => b.sort((x, y) => x - y).join('x'));
    expect(boxes.length).toBe(pages);
    expect(new Set(boxes)).toEqual(new Set(['595x842']));
  });
});
