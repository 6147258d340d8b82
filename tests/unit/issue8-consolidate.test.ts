/**
 * Engineer G (issue 8): the consolidation of any template. The fixture declares every aggregate kind
 * and items that apply to some units only; the expected figures are computed here, independently,
 * from the generated values over the 114 units of Hải Phòng.
 */
import { describe, expect, it } from 'vitest';
import type { Unit, Values } from '../../shared/index.js';
import {
  aggregateLabel, checkConsolidation, consolidate, declaredAggregates, figureAt, moneyUnitLabel, textAnswers,
  type CountWhereFigure, type StatsFigure, type TextsFigure,
} from '../../shared/consolidate.js';
import { PERIOD, fixtureReturns, fixtureTemplate, unitsWithAttributes } from '../helpers/issue8-consolidation-data.js';

const t = fixtureTemplate();
const units = unitsWithAttributes();
const returns = fixtureReturns(units);
const c = consolidate(t, { period: PERIOD, units, returns });

// The independent side: the units whose figures count, with their values.
const byCode = new Map(returns.map((r) => [r.unit, r]));
const counted: { unit: Unit; v: Values }[] = units.flatMap((u) => {
  const r = byCode.get(u.code);
  return r?.values ? [{ unit: u, v: r.values }] : [];
});
const val = (x: { v: Values }, s: string, k: string) => (x.v[s] as Record<string, unknown>)[k];
const hasHdnd = (u: Unit) => u.attributes?.co_hdnd === '1';
const TYPES = ['xã', 'phường', 'đặc khu'];

describe('the fixture', () => {
  it('declares every aggregate kind and is consistent', () => {
    expect(checkConsolidation(t)).toEqual([]);
    expect(new Set(declaredAggregates(t).map((a) => a.kind))).toEqual(
      new Set(['sum', 'fromSums', 'countRows', 'countBy', 'distribution', 'countTrue', 'countWhere', 'stats', 'texts']),
    );
    expect(counted.length).toBe(114 - 10 - 1); // every 11th missing, one returned
  });
});

describe('consolidation of any template over the 114 units', () => {
  it('sums numbers and money, each amount in its own unit', () => {
    const sum = (s: string, k: string, list = counted) => list.reduce((a, x) => a + ((val(x, s, k) as number) ?? 0), 0);
    expect(figureAt(c, 'chung.dien_tich')).toBeCloseTo(sum('chung', 'dien_tich'), 6);
    expect(figureAt(c, 'chung.dan_so')).toBe(sum('chung', 'dan_so'));
    expect(figureAt(c, 'tai_chinh.kinh_phi')).toBe(sum('tai_chinh', 'kinh_phi'));
    expect(figureAt(c, 'tai_chinh.du_toan')).toBeCloseTo(sum('tai_chinh', 'du_toan'), 6);
    const money = declaredAggregates(t).filter((a) => a.kind === 'sum' && a.item.kind === 'field' && a.item.type === 'money');
    expect(money.map((a) => [a.figure, moneyUnitLabel(a.item as { type: string; moneyUnit?: string })])).toEqual([
      ['tai_chinh.kinh_phi', 'đồng'],
      ['tai_chinh.du_toan', 'triệu đồng'],
    ]);
    // a summed table of money with its total row and a rate computed from the sums
    const rows = ['ngan_sach_tp', 'ngan_sach_xa'] as const;
    const tbl = (x: { v: Values }) => val(x, 'tai_chinh', 'von') as Record<string, Record<string, number>>;
    let totalPlan = 0;
    let totalPaid = 0;
    for (const row of rows) {
      const plan = counted.reduce((a, x) => a + tbl(x)[row]!.ke_hoach!, 0);
      const paid = counted.reduce((a, x) => a + tbl(x)[row]!.giai_ngan!, 0);
      totalPlan += plan;
      totalPaid += paid;
      expect(figureAt(c, `tai_chinh.von.${row}.ke_hoach`)).toBe(plan);
      expect(figureAt(c, `tai_chinh.von.${row}.giai_ngan`)).toBe(paid);
    }
    expect(figureAt(c, 'tai_chinh.von.tong.ke_hoach')).toBe(totalPlan);
    expect(figureAt(c, 'tai_chinh.ty_le_giai_ngan')).toBeCloseTo(totalPaid / totalPlan, 9);
    expect(figureAt(c, 'tai_chinh.du_an')).toBe(counted.reduce((a, x) => a + (val(x, 'tai_chinh', 'du_an') as unknown[]).length, 0));
  });

  it('leaves out units an item does not apply to: by unit-list attribute and by unit type', () => {
    const hdnd = counted.filter((x) => hasHdnd(x.unit));
    expect(hdnd.length).toBeLessThan(counted.length);
    expect(figureAt(c, 'tai_chinh.hdnd_ky_hop')).toBe(hdnd.reduce((a, x) => a + (val(x, 'tai_chinh', 'hdnd_ky_hop') as number), 0));
    expect(c['tai_chinh'] && (c.tai_chinh as Record<string, unknown>).hdnd_du_4).toEqual({
      count: hdnd.filter((x) => (val(x, 'tai_chinh', 'hdnd_ky_hop') as number) >= 4).length,
      of: hdnd.length,
    });
    const wards = counted.filter((x) => x.unit.type === 'phường');
    expect(figureAt(c, 'dac_thu.to_dan_pho')).toBe(wards.reduce((a, x) => a + (val(x, 'dac_thu', 'to_dan_pho') as number), 0));
    const st = (c.dac_thu as Record<string, unknown>).to_dan_pho_stats as StatsFigure;
    expect([st.n, st.of]).toEqual([wards.length, wards.length]);
    // what each count is of, for the screen and the workbook
    expect(c.units.applicable?.['tai_chinh.hdnd_ky_hop']).toBe(hdnd.length);
    expect(c.units.applicable?.['dac_thu.to_dan_pho']).toBe(wards.length);
    expect(c.units.applicable?.['chung.dan_so']).toBe(counted.length);
    // a unit's own row: null where the item does not apply to it, the value where it does
    const noHdnd = c.rows.find((r) => r.figures && !hasHdnd(units.find((u) => u.code === r.code)!))!;
    expect(figureAt(noHdnd.figures!, 'tai_chinh.hdnd_ky_hop')).toBeNull();
    expect(getPathOf(noHdnd.figures, 'tai_chinh.hdnd_du_4')).toBeNull();
    const ward = c.rows.find((r) => r.figures && r.type === 'phường')!;
    expect(figureAt(ward.figures!, 'dac_thu.to_dan_pho')).toBe(
      (byCode.get(ward.code)!.values!.dac_thu as Record<string, number>).to_dan_pho,
    );
  });

  it('counts units meeting a condition, of how many units, by unit type', () => {
    const big = (c.chung as Record<string, unknown>).dan_so_lon as CountWhereFigure;
    const isBig = (x: { v: Values }) => (val(x, 'chung', 'dan_so') as number) >= 50000;
    expect(big.count).toBe(counted.filter(isBig).length);
    expect(big.of).toBe(counted.length);
    for (const ty of TYPES) {
      const of = counted.filter((x) => x.unit.type === ty);
      expect([ty, big.by_type![ty]]).toEqual([ty, { count: of.filter(isBig).length, of: of.length }]);
    }
    // an enum equal to an option, a date before a day (a unit without the date is not counted as meeting it)
    expect((c.chung as Record<string, unknown>).loai_1).toEqual({
      count: counted.filter((x) => val(x, 'chung', 'xep_loai') === 'loai_1').length,
      of: counted.length,
    });
    const early = counted.filter((x) => typeof val(x, 'chung', 'ngay_kien_toan') === 'string' && (val(x, 'chung', 'ngay_kien_toan') as string) < '2026-05-01');
    expect(((c.chung as Record<string, unknown>).kien_toan_som as CountWhereFigure).count).toBe(early.length);
    // per unit: one-hot
    expect(c.rows.filter((r) => r.figures).reduce((a, r) => a + (getPathOf(r.figures, 'chung.dan_so_lon.count') as number), 0)).toBe(big.count);
  });

  it('gives minimum, maximum and average by unit type, and which unit holds them', () => {
    const st = (c.chung as Record<string, unknown>).dien_tich_stats as StatsFigure;
    const check = (list: typeof counted, row: Omit<StatsFigure, 'by_type'>) => {
      const vs = list.map((x) => val(x, 'chung', 'dien_tich') as number);
      const min = Math.min(...vs);
      const max = Math.max(...vs);
      expect(row.n).toBe(list.length);
      expect(row.min).toBe(min);
      expect(row.max).toBe(max);
      expect(row.avg).toBeCloseTo(vs.reduce((a, b) => a + b, 0) / vs.length, 8);
      expect(row.min_unit).toBe(list[vs.indexOf(min)]!.unit.code);
      expect(row.max_unit).toBe(list[vs.indexOf(max)]!.unit.code);
    };
    check(counted, st);
    for (const ty of TYPES) check(counted.filter((x) => x.unit.type === ty), st.by_type![ty]!);
    // money stats stay in the item's unit (triệu đồng): the same numbers as entered
    const du = (c.tai_chinh as Record<string, unknown>).du_toan_stats as StatsFigure;
    expect(du.max).toBe(Math.max(...counted.map((x) => val(x, 'tai_chinh', 'du_toan') as number)));
  });

  it('lists the narrative answers by unit in the unit list order, empty answers left out', () => {
    for (const k of ['ket_qua', 'kho_khan', 'de_xuat']) {
      const fig = (c.kien_nghi as Record<string, unknown>)[k] as TextsFigure;
      const expected = counted
        .map((x) => ({ code: x.unit.code, name: x.unit.name, type: x.unit.type, text: String(val(x, 'kien_nghi', k) ?? '').trim() }))
        .filter((a) => a.text);
      expect(textAnswers(c, fig)).toEqual(expected);
      expect([fig.n, fig.of]).toEqual([expected.length, counted.length]);
      expect(expected.length).toBeGreaterThan(10);
      expect(expected.length).toBeLessThan(counted.length);
    }
  });

  it('keeps the distributions, counts by option and yes counts as before', () => {
    const ch = c.chung as Record<string, Record<string, unknown>>;
    const trs = counted.map((x) => val(x, 'chung', 'so_tru_so') as number);
    expect(ch.tru_so).toEqual({ '1': trs.filter((x) => x === 1).length, '2': trs.filter((x) => x === 2).length, '3': trs.filter((x) => x === 3).length, '>3': trs.filter((x) => x > 3).length });
    expect((c.chung as Record<string, unknown>).mot_cua).toBe(counted.filter((x) => val(x, 'chung', 'co_mot_cua') === true).length);
    const byType = ch.xep_loai as Record<string, Record<string, number>>;
    for (const ty of TYPES)
      for (const o of ['loai_1', 'loai_2', 'loai_3'])
        expect(byType[ty]![o]).toBe(counted.filter((x) => x.unit.type === ty && val(x, 'chung', 'xep_loai') === o).length);
  });

  it('labels every aggregate from its declaration or the item it reads', () => {
    const labels = Object.fromEntries(declaredAggregates(t).map((a) => [a.figure, aggregateLabel(t, a)]));
    expect(labels['chung.dan_so_lon']).toBe('Số đơn vị có từ 50.000 dân trở lên');
    expect(labels['chung.dien_tich_stats']).toBe('Diện tích tự nhiên (km²)');
    expect(labels['tai_chinh.ty_le_giai_ngan']).toBe('Vốn đầu tư công — Tổng cộng — Tỷ lệ giải ngân');
    expect(labels['kien_nghi.de_xuat']).toBe('Đề xuất, kiến nghị của các đơn vị');
  });

  it('refuses a declaration that does not fit the item', () => {
    const bad = structuredClone(t);
    bad.consolidation = {
      x: {
        a: { countWhere: 'chung.dan_so', op: '>', value: 'nhiều' },
        b: { stats: 'kien_nghi.ket_qua' },
        c: { texts: 'chung.dan_so' },
        d: { countWhere: 'chung.co_mot_cua', op: '>', value: true },
      },
    };
    expect(checkConsolidation(bad)).toHaveLength(4);
    expect(() => consolidate(bad, { period: PERIOD, units, returns })).toThrow(/inconsistent/);
  });
});

function getPathOf(f: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), f);
}
