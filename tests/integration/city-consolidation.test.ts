import type ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Core } from '../../core/handlers.js';
import { call, openCore } from '../helpers/core.js';
import { tempDir } from '../helpers/sample.js';
import { CITY_FIGURES, CITY_PERIOD } from '../helpers/city-returns.js';
import { cityPackages } from '../helpers/city-packages.js';

let tmp: ReturnType<typeof tempDir>;
let core: Core;
let rows: unknown[][];
beforeAll(async () => {
  tmp = tempDir('cr-cons-');
  core = await openCore(tmp.file('city.sqlite'));
  const packages = await cityPackages();
  await core.city.importFiles(packages.map((p) => ({ name: p.fileName, bytes: p.bytes })), { dryRun: false });
  const file = await call(core, 'city.consolidation.export', { template: 'BC-CX', period: CITY_PERIOD });
  expect(file.fileName).toBe(`BC-CX_tong-hop_${CITY_PERIOD}.xlsx`);
  const { default: Excel } = await import('exceljs');
  const wb = new Excel.Workbook();
  await wb.xlsx.load(Buffer.from(file.data, 'base64') as unknown as ExcelJS.Buffer);
  const ws = wb.getWorksheet('Tổng hợp')!;
  // What a person sees: a formula's cached value (an empty cached value shows as 0), text as it is.
  const shown = (v: ExcelJS.CellValue): unknown => (v && typeof v === 'object' && 'formula' in v ? (v.result ?? 0) : v);
  rows = [];
  ws.eachRow((row) => rows.push((row.values as ExcelJS.CellValue[]).slice(1).map(shown)));
}, 180_000);
afterAll(async () => {
  await core.close();
  tmp.cleanup();
});

/** The numbers of the row after the header row that starts with these cells. */
function after(...header: string[]): unknown[] {
  const i = rows.findIndex((r) => header.every((h, k) => r[k] === h));
  expect(i, header.join(' | ')).toBeGreaterThanOrEqual(0);
  return rows[i + 1]!.slice(1);
}
/** The numbers of the row whose first cell is this label (the first such row after `from`). */
function row(label: string, from?: string): unknown[] {
  const start = from ? rows.findIndex((r) => r[0] === from) : 0;
  const r = rows.slice(start).find((x) => x[0] === label);
  expect(r, label).toBeDefined();
  return r!.slice(1);
}

describe('the consolidation workbook of the 114 packages shows the city figures', () => {
  it('completeness', () => {
    expect(row('Tổng cộng', 'Loại đơn vị')).toEqual([114, 114, 114, 0, 0, 0, 0]);
    expect(row('Xã', 'Loại đơn vị')[0]).toBe(CITY_FIGURES.by_type.xã);
    expect(row('Phường', 'Loại đơn vị')[0]).toBe(CITY_FIGURES.by_type.phường);
    expect(row('Đặc khu', 'Loại đơn vị')[0]).toBe(CITY_FIGURES.by_type['đặc khu']);
  });
  it('staff quota and present', () => {
    const s = CITY_FIGURES.staff_total;
    expect(row('Tổng cộng', 'Khối chính quyền')).toEqual([s.cbcc_quota, s.cbcc_present, s.vc_quota, s.vc_present]);
  });
  it('sites, plans, cars, one-stop bands', () => {
    const d = CITY_FIGURES.site_count_distribution;
    expect(after('Số trụ sở đang sử dụng', '1 trụ sở')).toEqual([d['1'], d['2'], d['3'], d['4'], d['5'], d['>5'], 114]);
    expect(row('Số trụ sở đang sử dụng')).toEqual([CITY_FIGURES.sites_total]);
    const p = CITY_FIGURES.plan;
    expect(after('Phương án')).toEqual([p.adequate, p.renovate, p.rebuild, 114]);
    const sh = CITY_FIGURES.shortfall_distribution;
    expect(after('Số xe còn thiếu so với định mức', 'Đủ định mức')).toEqual([sh['0'], sh['1'], sh['2'], 114]);
    expect(row('Số xe còn thiếu so với định mức')).toEqual([CITY_FIGURES.shortfall_total]);
    const b = CITY_FIGURES.bands;
    expect(after('Nhóm diện tích')).toEqual([b.ge150, b['100_150'], b['80_100'], b.lt80, 114]);
  });
});
