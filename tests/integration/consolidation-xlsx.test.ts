/**
 * The city's Biểu tổng hợp workbook: its cached values are the engine's figures (the city's real
 * figures for the generated Hải Phòng returns), every formula recomputed by real LibreOffice gives
 * the same value, missing units are rows, text from the returns is never a formula, and the
 * national list writes.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Consolidation, Figures, Unit } from '../../shared/index.js';
import { consolidate } from '../../shared/index.js';
import { SHEET_COMPLETENESS, SHEET_SUMMARY, SHEET_SUMMARY_WIDE, writeConsolidationWorkbook } from '../../core/xlsx/consolidation.js';
import { CITY_FIGURES, CITY_PERIOD, asSubmitted, cityReturns, haiphongUnits, randomReturns, vietnamUnits } from '../helpers/city-returns.js';
import { loadTemplate } from '../fixtures/xlsx/sample.js';
import { formulaResults, withoutCachedValues } from '../helpers/xlsx.js';

const SOFFICE = process.env.SOFFICE_PATH ?? '/usr/bin/soffice';
const hasSoffice = existsSync(SOFFICE);
if (!hasSoffice)
  console.warn(`consolidation-xlsx: LibreOffice checks skipped because soffice is not installed at ${SOFFICE} (install libreoffice-calc or set SOFFICE_PATH).`);

const t = loadTemplate();
const meta = { createdAt: '2026-07-01T02:30:00.000Z', appVersion: '0.1.0', unitListVersion: '2025-07-01' };
const dir = mkdtempSync(join(tmpdir(), 'cx-xlsx-'));
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

/** A cell as shown: the cached result of a formula. (ExcelJS reads a cached <v>0</v> back as no result: 0.) */
const shown = (v: ExcelJS.CellValue): unknown => (v && typeof v === 'object' && 'formula' in v ? (v.result ?? 0) : v);

/** The numbers of the table titled `title` on the summary: its rows (column A label → values of B…). */
function summaryTable(ws: ExcelJS.Worksheet, title: RegExp): Map<string, unknown[]> {
  let r = 1;
  while (r <= ws.rowCount && !title.test(String(shown(ws.getCell(r, 1).value) ?? ''))) r++;
  expect(r, `no table ${title} on the summary`).toBeLessThanOrEqual(ws.rowCount);
  const out = new Map<string, unknown[]>();
  // Skip the header (its cells are text), read rows until an empty line.
  r++;
  while (ws.getCell(r, 2).value !== null && typeof shown(ws.getCell(r, 2).value) === 'string') r++;
  // Data rows until the next title (merged over the row, so its column B reads as text) or an empty line.
  for (; r <= ws.rowCount && ws.getCell(r, 1).value !== null && ['number', 'string'].includes(typeof shown(ws.getCell(r, 2).value)) && ws.getCell(r, 2).master === ws.getCell(r, 2); r++) {
    const values: unknown[] = [];
    for (let c = 2; c <= ws.columnCount; c++) values.push(shown(ws.getCell(r, c).value));
    while (values.length && (values[values.length - 1] === null || values[values.length - 1] === undefined)) values.pop();
    out.set(String(shown(ws.getCell(r, 1).value)), values);
  }
  return out;
}

describe('the Biểu tổng hợp of the 114 Hải Phòng returns', () => {
  const units = haiphongUnits();
  const c = consolidate(t, { period: CITY_PERIOD, units, returns: asSubmitted(cityReturns()) });
  let data: Buffer;
  let wb: ExcelJS.Workbook;
  beforeAll(async () => {
    const t0 = performance.now();
    data = await writeConsolidationWorkbook(t, c, meta);
    console.log(`consolidation-xlsx: 114 units written in ${Math.round(performance.now() - t0)} ms`);
    wb = await load(data);
    writeFileSync(join(dir, 'city.xlsx'), data);
  });

  it('has the summary, the completeness sheet and one sheet (or part) per biểu, one row per unit, totals last', () => {
    expect(wb.worksheets.filter((w) => w.state === 'visible').map((w) => w.name)).toEqual([
      SHEET_SUMMARY, SHEET_SUMMARY_WIDE, SHEET_COMPLETENESS, 'Biểu 01', 'Biểu 02 (1)', 'Biểu 02 (2)', 'Biểu 03', 'Biểu 04', 'Biểu 05',
    ]);
    for (const ws of wb.worksheets.filter((w) => w.state === 'visible' && w.name !== SHEET_SUMMARY && w.name !== SHEET_SUMMARY_WIDE)) {
      const codes: string[] = [];
      let total = 0;
      ws.eachRow((row, r) => {
        const code = row.getCell(2).value;
        if (typeof code === 'string' && /^\d{5}$/.test(code)) codes.push(code);
        if (row.getCell(1).value === 'Tổng cộng' || String(row.getCell(1).value).startsWith('Tổng cộng')) total = r;
      });
      expect(codes, ws.name).toEqual(units.map((u) => u.code));
      expect(total, ws.name).toBeGreaterThan(0);
      // the totals come right after the last unit
      const lastUnit = [...Array(ws.rowCount).keys()].map((i) => i + 1).filter((r) => ws.getCell(r, 2).value === units[units.length - 1]!.code)[0]!;
      expect(total, ws.name).toBe(lastUnit + 1);
      expect(ws.views[0]).toMatchObject({ state: 'frozen' });
      expect(ws.pageSetup).toMatchObject({ paperSize: 9, orientation: 'landscape', fitToPage: true, fitToWidth: 1 });
      expect(ws.pageSetup.printTitlesRow).toMatch(/^\d+:\d+$/);
      expect(ws.getCell(1, 1).value).toBe('CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM');
      expect(ws.getCell(1, 1).font.name).toBe('Times New Roman');
      expect(ws.headerFooter.oddFooter).toContain('Quý II/2026');
      expect(ws.headerFooter.oddFooter).toContain('&P');
    }
  });

  it('shows the city figures (CITY_FIGURES) and the engine JSON as cached values', () => {
    const ws = wb.getWorksheet(SHEET_SUMMARY)!;
    expect(ws.getCell(4, 1).value).toBe('BIỂU TỔNG HỢP BÁO CÁO ĐỊNH KỲ CỦA UBND CẤP XÃ');
    const completeness = summaryTable(ws, /tình hình nộp báo cáo$/);
    expect(completeness.get('Tổng cộng')).toEqual([114, 114, 114, 0, 0, 0, 0]);
    expect(completeness.get('Xã')![0]).toBe(CITY_FIGURES.by_type['xã']);
    expect(completeness.get('Phường')![0]).toBe(CITY_FIGURES.by_type['phường']);
    expect(completeness.get('Đặc khu')![0]).toBe(CITY_FIGURES.by_type['đặc khu']);
    const dist = (o: Record<string, number>) => [...Object.values(o), Object.values(o).reduce((a, b) => a + b, 0)];
    expect(summaryTable(ws, /số trụ sở đang sử dụng$/).get('Số đơn vị')).toEqual(dist(CITY_FIGURES.site_count_distribution));
    expect(summaryTable(ws, /theo phương án$/).get('Số đơn vị')).toEqual(dist(CITY_FIGURES.plan));
    expect(summaryTable(ws, /số xe còn thiếu so với định mức$/).get('Số đơn vị')).toEqual(dist(CITY_FIGURES.shortfall_distribution));
    expect(summaryTable(ws, /nhóm diện tích/).get('Số đơn vị')).toEqual(dist(CITY_FIGURES.bands));
    const staff = summaryTable(ws, /Biên chế được giao và có mặt$/);
    expect(staff.get('Tổng cộng')).toEqual(Object.values(CITY_FIGURES.staff_total));
    const byClass = summaryTable(ws, /phân loại đơn vị hành chính$/);
    const bc = c.units.by_type_class as Record<string, Record<string, number>>;
    expect(byClass.get('Phường')).toEqual([...Object.values(bc['phường']!), c.units.by_type['phường']]);
    // the lists of single figures: sums over the units
    const lists = [...Array(ws.rowCount).keys()].map((i) => [shown(ws.getCell(i + 1, 1).value), shown(ws.getCell(i + 1, 2).value)]);
    const valueOf = (label: string) => lists.find(([l]) => l === label)?.[1];
    expect(valueOf('Số trụ sở đang sử dụng')).toBe(CITY_FIGURES.sites_total);
    expect(valueOf('Số xe còn thiếu so với định mức')).toBe(CITY_FIGURES.shortfall_total);
    expect(valueOf('Dân số (người)')).toBe(c.units.population);
    expect(valueOf('Diện tích tự nhiên (km²)')).toBe(c.units.area_km2);
    // procedures: sums per field, the total row, rates from the sums
    const p = c.procedures as Figures;
    // (too wide for the summary's page: on its second sheet)
    const table = summaryTable(wb.getWorksheet(SHEET_SUMMARY_WIDE)!, /Số hồ sơ theo lĩnh vực$/);
    const header = t.sections[4]!.items[0]!;
    if (header.kind !== 'table') throw new Error('Biểu 05 has its table first');
    const total = table.get('Tổng cộng')!;
    expect(total).toContain((p.total as Figures).received_total);
    expect(total).toContain(p.on_time_rate);
    expect(total).toContain(p.online_rate);
    expect(table.get('Hộ tịch')).toContain(((p.fields as Figures).ho_tich as Figures).new_online);
    // the departures matrix
    const dep = (c.staff as Figures).departures as Record<string, Record<string, number>>;
    expect(summaryTable(ws, /Nghỉ việc trong kỳ theo chính sách$/).get('Tổng cộng')).toEqual(Object.values(dep.total!));
  });

  it('writes totals as formulas (SUM, rates from the summed cells, COUNTIF) with the engine values cached', () => {
    const ws = wb.getWorksheet('Biểu 05')!;
    const totalRow = [...Array(ws.rowCount).keys()].map((i) => i + 1).find((r) => ws.getCell(r, 1).value === 'Tổng cộng')!;
    const cells = ws.getRow(totalRow).values as ExcelJS.CellValue[];
    const formulas = cells.filter((v): v is ExcelJS.CellFormulaValue => !!v && typeof v === 'object' && 'formula' in v);
    expect(formulas.some((f) => /^SUM\([A-Z]+\d+:[A-Z]+\d+\)$/.test(f.formula))).toBe(true);
    const rates = formulas.filter((f) => f.formula.startsWith('IF('));
    expect(rates.map((f) => f.result)).toEqual([(c.procedures as Figures).on_time_rate, (c.procedures as Figures).online_rate]);
    const s = wb.getWorksheet(SHEET_SUMMARY)!;
    const all = formulaResults(wb);
    expect([...all.keys()].filter((k) => k.startsWith(`${SHEET_SUMMARY}!`)).length).toBeGreaterThan(60);
    expect(JSON.stringify(s.getSheetValues())).toContain('COUNTIF');
  });

  it.skipIf(!hasSoffice)('every formula recomputed by LibreOffice equals its cached value; it prints on A4', async () => {
    writeFileSync(join(dir, 'stripped.xlsx'), await withoutCachedValues(data));
    convert('xlsx', join(dir, 'lo'), [join(dir, 'stripped.xlsx')]);
    const expected = formulaResults(wb);
    const recomputed = formulaResults(await load(readFileSync(join(dir, 'lo', 'stripped.xlsx'))));
    expect(expected.size).toBeGreaterThan(1000);
    const blank = (v: unknown) => (v === undefined || v === null || v === '' ? '' : v);
    const wrong: string[] = [];
    for (const [where, want] of expected) {
      const got = blank(recomputed.get(where));
      const ok = typeof want === 'number' ? typeof got === 'number' && Math.abs(got - want) < 1e-9 : got === blank(want);
      if (!ok) wrong.push(`${where}: cached ${JSON.stringify(want)}, LibreOffice ${JSON.stringify(got)}`);
    }
    expect(wrong.slice(0, 20)).toEqual([]);
    const stripped = formulaResults(await load(readFileSync(join(dir, 'stripped.xlsx'))));
    expect([...stripped.values()].filter((v) => typeof v === 'number').length).toBe(0);
    convert('pdf', join(dir, 'pdf'), [join(dir, 'city.xlsx')]);
    const pdf = readFileSync(join(dir, 'pdf', 'city.pdf')).toString('latin1');
    const boxes = [...pdf.matchAll(/\/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]/g)].map((m) => [Math.round(+m[1]!), Math.round(+m[2]!)]).filter(([w, h]) => w !== h);
    expect(boxes.length).toBeGreaterThan(8);
    expect(new Set(boxes.map((b) => b.join('x')))).toEqual(new Set(['842x595']));
  });
});

describe('missing units and text from the returns', () => {
  const hostile = ['=HYPERLINK("http://x","y")', '+1+2', '-3', '@SUM(A1)'];
  const units: Unit[] = haiphongUnits().slice(0, 12).map((u, i) => (i < hostile.length ? { ...u, name: hostile[i]! } : u));
  const returns = randomReturns(units, 5).filter((_, i) => i % 3 !== 1);
  const missing = units.filter((_, i) => i % 3 === 1).map((u) => u.code);
  const c: Consolidation = consolidate(t, { period: CITY_PERIOD, units, returns: asSubmitted(returns) });
  let data: Buffer;
  beforeAll(async () => {
    data = await writeConsolidationWorkbook(t, c, { ...meta, reasons: { [units[0]!.code]: '=1+1', [units[2]!.code]: '-Thiếu số liệu' } });
  });

  it('shows missing units as rows, state "Chưa nộp", with empty figures, and counts them', async () => {
    const wb = await load(data);
    for (const name of [SHEET_COMPLETENESS, 'Biểu 03', 'Biểu 05']) {
      const ws = wb.getWorksheet(name)!;
      const rows: Record<string, ExcelJS.CellValue[]> = {};
      ws.eachRow((row) => {
        const code = row.getCell(2).value;
        if (typeof code === 'string' && /^\d{5}$/.test(code)) rows[code] = (row.values as ExcelJS.CellValue[]).slice(1);
      });
      expect(Object.keys(rows)).toHaveLength(12);
      for (const code of missing) {
        expect(rows[code]![4]).toBe('Chưa nộp');
        expect(rows[code]!.slice(5).filter((v) => v !== null && v !== undefined && v !== '')).toEqual([]);
      }
    }
    const completeness = summaryTable(wb.getWorksheet(SHEET_SUMMARY)!, /tình hình nộp báo cáo$/).get('Tổng cộng');
    expect(completeness).toEqual([12, 8, 8, 0, 4, 0, 0]);
  });

  it('writes names and reasons that look like formulas as text, also after LibreOffice', async () => {
    const check = async (buf: Buffer) => {
      const wb = await load(buf);
      const ws = wb.getWorksheet(SHEET_COMPLETENESS)!;
      const names: unknown[] = [];
      const notes: unknown[] = [];
      ws.eachRow((row) => {
        if (typeof row.getCell(2).value === 'string' && /^\d{5}$/.test(row.getCell(2).value as string)) {
          names.push(row.getCell(3).value);
          notes.push(row.getCell(8).value);
        }
      });
      expect(names.slice(0, 4)).toEqual(hostile);
      expect(notes[0]).toBe('=1+1');
      expect(notes[2]).toBe('-Thiếu số liệu');
      for (const s of wb.worksheets)
        s.eachRow((row) =>
          row.eachCell((cell) => {
            const v = cell.value as ExcelJS.CellFormulaValue;
            if (v && typeof v === 'object' && 'formula' in v) expect(v.formula).not.toMatch(/HYPERLINK|^1\+1$|^1\+2$/);
          }),
        );
    };
    await check(data);
    if (!hasSoffice) return;
    writeFileSync(join(dir, 'hostile.xlsx'), data);
    convert('xlsx', join(dir, 'lo-hostile'), [join(dir, 'hostile.xlsx')]);
    await check(readFileSync(join(dir, 'lo-hostile', 'hostile.xlsx')));
  });
});

describe('the national list', () => {
  it('writes the 3,321 units with a subset of returns, one row each, totals equal to the engine', async () => {
    const all = vietnamUnits();
    const subset = all.filter((_, i) => i % 3 === 0);
    const c = consolidate(t, { period: CITY_PERIOD, units: all, returns: asSubmitted(randomReturns(subset, 42)) });
    const t0 = performance.now();
    const data = await writeConsolidationWorkbook(t, c, meta);
    console.log(`consolidation-xlsx: 3,321 units written in ${Math.round(performance.now() - t0)} ms (${(data.length / 1e6).toFixed(1)} MB)`);
    const wb = await load(data);
    const ws = wb.getWorksheet('Biểu 03')!;
    let units = 0;
    ws.eachRow((row) => {
      if (typeof row.getCell(2).value === 'string' && /^\d{5}$/.test(row.getCell(2).value as string)) units++;
    });
    expect(units).toBe(3321);
    const completeness = summaryTable(wb.getWorksheet(SHEET_SUMMARY)!, /tình hình nộp báo cáo$/).get('Tổng cộng');
    expect(completeness).toEqual([3321, subset.length, subset.length, 0, 3321 - subset.length, 0, 0]);
    const dist = summaryTable(wb.getWorksheet(SHEET_SUMMARY)!, /số trụ sở đang sử dụng$/).get('Số đơn vị');
    expect(dist).toEqual([...Object.values((c.hq as Figures).site_count_distribution as Figures), subset.length]);
  });
});
