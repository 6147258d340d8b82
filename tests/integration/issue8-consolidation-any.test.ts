/**
 * Engineer G (issue 8): the Biểu tổng hợp workbook of any template. The fixture (every aggregate kind,
 * items for some units only) over the 114 units of Hải Phòng: the workbook's figures are the engine's,
 * counts read "N of M", statistics by unit type name their units, the narrative answers are listed by
 * unit on their own sheet; LibreOffice recomputes every formula to the same value and prints on A4.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consolidate, textAnswers, type CountWhereFigure, type StatsFigure } from '../../shared/consolidate.js';
import { SHEET_SUMMARY, SHEET_TEXTS, writeConsolidationWorkbook } from '../../core/xlsx/consolidation.js';
import { formulaResults, withoutCachedValues } from '../helpers/xlsx.js';
import { PERIOD, fixtureReturns, fixtureTemplate, unitsWithAttributes } from '../helpers/issue8-consolidation-data.js';

const SOFFICE = process.env.SOFFICE_PATH ?? '/usr/bin/soffice';
if (!existsSync(SOFFICE)) throw new Error(`LibreOffice is needed for this test: soffice not found at ${SOFFICE} (set SOFFICE_PATH).`);

const t = fixtureTemplate();
const units = unitsWithAttributes();
const c = consolidate(t, { period: PERIOD, units, returns: fixtureReturns(units) });
const meta = { createdAt: '2026-07-21T02:30:00.000Z', appVersion: '0.1.0', unitListVersion: '2025-07-01' };
const dir = mkdtempSync(join(tmpdir(), 'g-cons-'));
const KEEP = join(import.meta.dirname, '../output/issue8-consolidation');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function convert(to: string, outDir: string, files: string[]): void {
  mkdirSync(outDir, { recursive: true });
  execFileSync(SOFFICE, [`-env:UserInstallation=file://${join(dir, 'profile')}`, '--headless', '--norestore', '--convert-to', to, '--outdir', outDir, ...files], {
    stdio: 'pipe',
    timeout: 180_000,
  });
}
async function load(data: Buffer): Promise<ExcelJS.Workbook> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(data as unknown as ExcelJS.Buffer);
  return wb;
}
const shown = (v: ExcelJS.CellValue): unknown => (v && typeof v === 'object' && 'formula' in v ? (v.result ?? 0) : v);

/** The rows of the summary table whose title matches: label → the values of columns B… */
function table(ws: ExcelJS.Worksheet, title: RegExp): Map<string, unknown[]> {
  let r = 1;
  while (r <= ws.rowCount && !title.test(String(shown(ws.getCell(r, 1).value) ?? ''))) r++;
  expect(r, `no table ${title}`).toBeLessThanOrEqual(ws.rowCount);
  r += 2; // title, header
  const out = new Map<string, unknown[]>();
  for (; r <= ws.rowCount && ws.getCell(r, 1).value !== null && ws.getCell(r, 2).master === ws.getCell(r, 2); r++) {
    const values: unknown[] = [];
    for (let k = 2; k <= ws.columnCount; k++) values.push(shown(ws.getCell(r, k).value));
    while (values.length && (values[values.length - 1] === null || values[values.length - 1] === undefined)) values.pop();
    out.set(String(shown(ws.getCell(r, 1).value)), values);
  }
  return out;
}
const typeTitle = (ty: string) => ty.charAt(0).toLocaleUpperCase('vi') + ty.slice(1);
const names = new Map(units.map((u) => [u.code, u.name]));

describe('the Biểu tổng hợp workbook of a template with every aggregate kind', () => {
  let data: Buffer;
  let wb: ExcelJS.Workbook;
  beforeAll(async () => {
    data = await writeConsolidationWorkbook(t, c, meta);
    wb = await load(data);
    mkdirSync(KEEP, { recursive: true });
    writeFileSync(join(KEEP, 'tong-hop.xlsx'), data);
  });

  it('has the summary, completeness, one sheet per biểu with figures, and the answers by unit', () => {
    expect(wb.worksheets.filter((w) => w.state !== 'veryHidden').map((w) => w.name)).toEqual([
      SHEET_SUMMARY, 'Tình hình nộp', 'Biểu 01', 'Biểu 02', 'Biểu 03', SHEET_TEXTS,
    ]);
  });

  it('writes counts of units meeting a condition as N of M, by unit type, with the share', () => {
    const s = wb.getWorksheet(SHEET_SUMMARY)!;
    const f = (c.chung as Record<string, unknown>).dan_so_lon as CountWhereFigure;
    const m = table(s, /Số đơn vị có từ 50\.000 dân trở lên/);
    for (const ty of ['xã', 'phường', 'đặc khu']) {
      const b = f.by_type![ty]!;
      expect([ty, m.get(typeTitle(ty))!.slice(0, 2)]).toEqual([ty, [b.count, b.of]]);
    }
    expect(m.get('Tổng cộng')!.slice(0, 2)).toEqual([f.count, f.of]);
    expect(m.get('Tổng cộng')![2]).toBeCloseTo(f.count / f.of, 9);
    // applies to units with a HĐND only: "of" is fewer than the counted units
    const h = (c.tai_chinh as Record<string, unknown>).hdnd_du_4 as CountWhereFigure;
    expect(table(s, /Hội đồng nhân dân từ 4 kỳ/).get('Số đơn vị')!.slice(0, 2)).toEqual([h.count, h.of]);
    expect(h.of).toBeLessThan(f.of);
  });

  it('writes minimum, maximum and average by unit type with the unit holding each', () => {
    const s = wb.getWorksheet(SHEET_SUMMARY)!;
    const st = (c.chung as Record<string, unknown>).dien_tich_stats as StatsFigure;
    const m = table(s, /^\d+\. Diện tích tự nhiên \(km²\): nhỏ nhất/);
    for (const [label, row] of [...['xã', 'phường', 'đặc khu'].map((ty) => [typeTitle(ty), st.by_type![ty]!] as const), ['Tất cả đơn vị', st] as const]) {
      const got = m.get(label)!;
      expect([label, got[0], got[1], got[2], got[3], got[4], got[5]]).toEqual([
        label, row.n, row.of, row.min, names.get(row.min_unit!), row.max, names.get(row.max_unit!),
      ]);
      expect(got[6]).toBeCloseTo(row.avg!, 9);
    }
  });

  it('lists the narrative answers by unit, wrapped, and marks units an item does not apply to', () => {
    const ws = wb.getWorksheet(SHEET_TEXTS)!;
    const texts: string[] = [];
    ws.eachRow((row) => {
      const v = row.getCell(5).value;
      if (typeof v === 'string' && names.has(String(row.getCell(2).value))) texts.push(v);
    });
    const expected = ['ket_qua', 'kho_khan', 'de_xuat'].flatMap((k) => textAnswers(c, (c.kien_nghi as Record<string, unknown>)[k]).map((a) => a.text));
    expect(texts).toEqual(expected);
    const first = textAnswers(c, (c.kien_nghi as Record<string, unknown>).ket_qua)[0]!;
    let found: ExcelJS.Row | undefined;
    ws.eachRow((row) => {
      if (!found && row.getCell(5).value === first.text) found = row;
    });
    expect(found!.getCell(3).value).toBe(first.name);
    expect(found!.getCell(5).alignment?.wrapText).toBe(true);
    // Biểu 02: a unit without a HĐND reads "Không áp dụng" in the column of the HĐND sessions
    const b2 = wb.getWorksheet('Biểu 02')!;
    const noHdnd = units.find((u, i) => u.attributes!.co_hdnd === '0' && c.rows[i]!.figures)!;
    let row: ExcelJS.Row | undefined;
    b2.eachRow((r) => {
      if (r.getCell(2).value === noHdnd.code) row = r;
    });
    expect((row!.values as ExcelJS.CellValue[]).includes('Không áp dụng')).toBe(true);
  });

  it('is recomputed by LibreOffice to the same values, and prints on A4 landscape', async () => {
    writeFileSync(join(dir, 'stripped.xlsx'), await withoutCachedValues(data));
    convert('xlsx', join(dir, 'lo'), [join(dir, 'stripped.xlsx')]);
    const expected = formulaResults(wb);
    const recomputed = formulaResults(await load(readFileSync(join(dir, 'lo', 'stripped.xlsx'))));
    expect(expected.size).toBeGreaterThan(100);
    const blank = (v: unknown) => (v === undefined || v === null || v === '' ? '' : v);
    const wrong: string[] = [];
    for (const [where, want] of expected) {
      const got = blank(recomputed.get(where));
      const ok = typeof want === 'number' ? typeof got === 'number' && Math.abs(got - want) < 1e-6 * Math.max(1, Math.abs(want)) : got === blank(want);
      if (!ok) wrong.push(`${where}: cached ${JSON.stringify(want)}, LibreOffice ${JSON.stringify(got)}`);
    }
    expect(wrong.slice(0, 20)).toEqual([]);
    // the figures of the re-saved workbook read back equal the engine's
    const lo = await load(readFileSync(join(dir, 'lo', 'stripped.xlsx')));
    const st = (c.chung as Record<string, unknown>).dien_tich_stats as StatsFigure;
    const m = table(lo.getWorksheet(SHEET_SUMMARY)!, /^\d+\. Diện tích tự nhiên \(km²\): nhỏ nhất/);
    expect(m.get('Tất cả đơn vị')!.slice(0, 3)).toEqual([st.n, st.of, st.min]);
    convert('pdf', join(dir, 'pdf'), [join(KEEP, 'tong-hop.xlsx')]);
    const pdfPath = join(dir, 'pdf', 'tong-hop.pdf');
    writeFileSync(join(KEEP, 'tong-hop.pdf'), readFileSync(pdfPath));
    const pdf = readFileSync(pdfPath).toString('latin1');
    const boxes = [...pdf.matchAll(/\/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]/g)].map((x) => `${Math.round(+x[1]!)}x${Math.round(+x[2]!)}`);
    expect(boxes.length).toBeGreaterThan(6);
    expect(new Set(boxes)).toEqual(new Set(['842x595']));
    expect(readdirSync(join(dir, 'pdf'))).toContain('tong-hop.pdf');
  });
});
