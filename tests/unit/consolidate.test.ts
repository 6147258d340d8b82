import { describe, expect, it } from 'vitest';
import { AppError, parseTemplate, validate, type ReturnJson, type Template, type Unit } from '../../shared/index.js';
import { checkConsolidation, consolidate, figureAt, type Consolidation, type Figures } from '../../shared/consolidate.js';
import {
  CITY_FIGURES, CITY_PERIOD, asSubmitted, cityReturns, haiphongUnits, randomReturns, vietnamUnits,
} from '../helpers/city-returns.js';
import { q2, template } from './fixtures.js';

const units = haiphongUnits();
const returns = cityReturns();
const city = (r = asSubmitted(returns), list: Unit[] = units): Consolidation =>
  consolidate(template, { period: CITY_PERIOD, units: list, returns: r });
const block = (c: Consolidation, key: string) => c[key] as Figures;
const rows = (r: ReturnJson, key: string) => (r.values.procedures!.fields as Record<string, Record<string, number | undefined>>)[key] ?? {};

describe('the generated Hải Phòng returns', () => {
  it('are 114 complete returns of BC-CX v1 for 2026-Q2 that pass validation without errors or warnings', () => {
    expect(returns).toHaveLength(114);
    const typeOf = new Map(units.map((u) => [u.code, u.type]));
    for (const r of returns) {
      expect([r.template, r.templateVersion, r.period]).toEqual(['BC-CX', 1, '2026-Q2']);
      const v = validate(template, r.values, { period: q2, unitType: typeOf.get(r.unit) });
      expect({ unit: r.unit, errors: v.errors, warnings: v.warnings }).toEqual({ unit: r.unit, errors: [], warnings: [] });
    }
  });

  it('are the same on every call (seeded)', () => {
    expect(cityReturns()).toEqual(returns);
  });
});

describe('consolidation of the city returns', () => {
  const c = city();

  it('has exactly the keys of the issue', () => {
    expect(Object.keys(c)).toEqual(['template', 'templateVersion', 'period', 'units', 'staff', 'hq', 'vehicles', 'procedures', 'one_stop', 'rows', 'unlisted']);
    expect(Object.keys(c.units)).toEqual([
      'expected', 'submitted', 'on_time', 'late', 'missing', 'accepted', 'returned', 'by_type', 'completeness_by_type', 'by_type_class', 'area_km2', 'population',
    ]);
    expect(Object.keys(block(c, 'staff'))).toEqual([
      'blocks', 'nhdkct_total', 'nhdkct_leave_approved', 'nhdkct_leave_paid', 'recruited', 'transferred_in', 'transferred_out', 'seconded_in', 'departures',
    ]);
    expect(Object.keys(block(c, 'staff').blocks as Figures)).toEqual(['party_front', 'government', 'total']);
    expect(Object.keys((block(c, 'staff').blocks as Figures).total as Figures)).toEqual(['cbcc_quota', 'cbcc_present', 'vc_quota', 'vc_present']);
    expect(Object.keys(block(c, 'staff').departures as Figures)).toEqual(['nd178_67', 'nd154', 'nd170', 'total']);
    expect(Object.keys((block(c, 'staff').departures as Figures).nd154 as Figures)).toEqual(['can_bo', 'cong_chuc', 'vien_chuc', 'nguoi_lao_dong', 'total']);
    expect(Object.keys(block(c, 'hq'))).toEqual(['sites_total', 'site_count_distribution', 'plan', 'surplus_sites', 'surplus_decided']);
    expect(Object.keys(block(c, 'vehicles'))).toEqual(['cars_total', 'cars_in_use', 'shortfall_total', 'shortfall_distribution']);
    expect(Object.keys(block(c, 'procedures'))).toEqual(['fields', 'total', 'on_time_rate', 'online_rate']);
    const fields = block(c, 'procedures').fields as Figures;
    expect(Object.keys(fields)).toEqual(template.sections[4]!.items[0]!.kind === 'table' ? template.sections[4]!.items[0]!.rows.map((r) => r.key) : []);
    const inputCols = ['carried_over', 'new_online', 'new_direct', 'new_postal', 'done_early', 'done_on_time', 'done_late', 'pending_in_time', 'pending_overdue',
      'returned_withdrawn', 'digitised', 'e_result', 'paid_online', 'cross_boundary'];
    for (const row of [fields.ho_tich, block(c, 'procedures').total] as Figures[])
      expect(Object.keys(row).sort()).toEqual([...inputCols, 'received_total', 'done_total', 'pending_total'].sort());
    expect(Object.keys(block(c, 'one_stop'))).toEqual(['bands', 'equipped']);
  });

  it('shows the city figures of DOMAIN.md', () => {
    expect(c).toMatchObject({ template: 'BC-CX', templateVersion: 1, period: '2026-Q2' });
    expect(c.units).toMatchObject({ expected: 114, submitted: 114, on_time: 114, late: 0, missing: 0, accepted: 0, returned: 0 });
    expect(c.units.by_type).toEqual({ xã: 67, phường: 45, 'đặc khu': 2 });
    expect(block(c, 'hq')).toMatchObject({
      sites_total: 227,
      site_count_distribution: { '1': 23, '2': 74, '3': 13, '4': 3, '5': 1, '>5': 0 },
      plan: { adequate: 25, renovate: 81, rebuild: 8 },
    });
    const v = block(c, 'vehicles');
    expect((v.shortfall_distribution as Figures)['0']).toBe(7);
    expect(114 - ((v.shortfall_distribution as Figures)['0'] as number)).toBe(107);
    expect(v.shortfall_total).toBe(124);
    expect(block(c, 'one_stop').bands).toEqual({ ge150: 64, '100_150': 23, '80_100': 6, lt80: 21 });
    expect(figureAt(c, 'staff.blocks.total')).toBeNull(); // a row, not a number
    expect((block(c, 'staff').blocks as Figures).total).toEqual({ cbcc_quota: 9669, cbcc_present: 8343, vc_quota: 52640, vc_present: 48326 });
    // the helper's constants are the same figures
    expect(block(c, 'hq').site_count_distribution).toEqual(CITY_FIGURES.site_count_distribution);
    expect(v.shortfall_distribution).toEqual(CITY_FIGURES.shortfall_distribution);
  });

  it('counts units by type and class, and sums area and population, over the returns', () => {
    const byTypeClass = c.units.by_type_class as Record<string, Record<string, number>>;
    expect(Object.keys(byTypeClass)).toEqual(['xã', 'phường', 'đặc khu']);
    for (const [type, n] of Object.entries(c.units.by_type))
      expect(Object.values(byTypeClass[type]!).reduce((a, b) => a + b, 0)).toBe(n);
    const typeOf = new Map(units.map((u) => [u.code, u.type]));
    const phuongII = returns.filter((r) => typeOf.get(r.unit) === 'phường' && r.values.unit_info!.unit_class === 'II').length;
    expect(byTypeClass['phường']!.II).toBe(phuongII);
    const area = returns.reduce((a, r) => a + (r.values.unit_info!.area_km2 as number) * 100, 0) / 100;
    expect(c.units.area_km2).toBeCloseTo(area, 6);
    expect(Math.round((c.units.area_km2 as number) * 100)).toBe(Math.round(area * 100)); // no float noise
    expect(c.units.population).toBe(returns.reduce((a, r) => a + (r.values.unit_info!.population as number), 0));
  });

  it('sums procedures, cars and departures as a clerk would from the raw returns, rates from the sums', () => {
    const p = block(c, 'procedures');
    const raw = (field: string | null, col: string) =>
      returns.reduce((a, r) => a + (field ? (rows(r, field)[col] ?? 0) : Object.keys(r.values.procedures!.fields as object).reduce((b, f) => b + (rows(r, f)[col] ?? 0), 0)), 0);
    expect((p.fields as Figures).dat_dai).toMatchObject({ new_online: raw('dat_dai', 'new_online'), done_late: raw('dat_dai', 'done_late') });
    const total = p.total as Record<string, number>;
    const received = raw(null, 'carried_over') + raw(null, 'new_online') + raw(null, 'new_direct') + raw(null, 'new_postal');
    expect(total.received_total).toBe(received);
    expect(total.received_total).toBe(total.done_total! + total.pending_total! + total.returned_withdrawn!);
    expect(p.on_time_rate).toBe((raw(null, 'done_early') + raw(null, 'done_on_time')) / total.done_total!);
    expect(p.online_rate).toBe(raw(null, 'new_online') / (raw(null, 'new_online') + raw(null, 'new_direct') + raw(null, 'new_postal')));
    const cars = returns.flatMap((r) => r.values.vehicles!.cars as { status: string }[]);
    expect(block(c, 'vehicles')).toMatchObject({ cars_total: cars.length, cars_in_use: cars.filter((x) => x.status === 'in_use').length });
    const dep = (block(c, 'staff').departures as Record<string, Record<string, number>>);
    expect(dep.total!.total).toBe(dep.nd178_67!.total! + dep.nd154!.total! + dep.nd170!.total!);
    expect(dep.total!.can_bo).toBe(returns.reduce((a, r) => a + ((r.values.staff!.departures as Record<string, Record<string, number>>).nd178_67!.can_bo ?? 0)
      + ((r.values.staff!.departures as Record<string, Record<string, number>>).nd154!.can_bo ?? 0), 0));
    expect(block(c, 'one_stop').equipped).toBe(returns.filter((r) => r.values.unit_info!.one_stop_equipped === true).length);
  });

  it('has one row per unit of the list, in its order, whose figures add up to the totals', () => {
    expect(c.rows.map((r) => r.code)).toEqual(units.map((u) => u.code));
    expect(c.rows[0]).toMatchObject({ code: units[0]!.code, name: units[0]!.name, type: units[0]!.type, state: 'received', late: false });
    // every figure except the rates is the sum of the rows' figures
    const leaves = (f: Figures, at = ''): string[] =>
      Object.entries(f).flatMap(([k, v]) => (v && typeof v === 'object' ? leaves(v, `${at}${k}.`) : [`${at}${k}`]));
    const paths = leaves(c.rows[0]!.figures!).filter((p) => !p.endsWith('_rate'));
    expect(paths.length).toBeGreaterThan(300);
    for (const path of paths)
      expect([path, c.rows.reduce((a, r) => Math.round((a + figureAt(r.figures!, path)!) * 100) / 100, 0)]).toEqual([path, figureAt(c, path)]);
    // per-unit computed cells come from the template: the unit's own site count, shortfall and band
    const row = c.rows.find((r) => r.code === returns[5]!.unit)!;
    expect(figureAt(row.figures!, 'hq.sites_total')).toBe((returns[5]!.values.hq!.sites as unknown[]).length);
  });
});

describe('completeness', () => {
  it('counts missing units over the expected list, by type, and leaves them out of the figures', () => {
    const typeOf = new Map(units.map((u) => [u.code, u.type]));
    const drop = new Set([
      ...units.filter((u) => u.type === 'xã').slice(0, 2), ...units.filter((u) => u.type === 'phường').slice(0, 2), units.find((u) => u.type === 'đặc khu')!,
    ].map((u) => u.code));
    const kept = returns.filter((r) => !drop.has(r.unit));
    const c = city(asSubmitted(kept));
    expect(c.units).toMatchObject({ expected: 114, submitted: 109, missing: 5, on_time: 109 });
    expect(c.units.by_type).toEqual({ xã: 65, phường: 43, 'đặc khu': 1 });
    expect(c.units.completeness_by_type['đặc khu']).toEqual({ expected: 2, submitted: 1, on_time: 1, late: 0, missing: 1, accepted: 0, returned: 0 });
    expect(c.units.completeness_by_type['xã']).toMatchObject({ expected: 67, submitted: 65, missing: 2 });
    const missingRows = c.rows.filter((r) => r.state === 'missing');
    expect(missingRows.map((r) => r.code).sort()).toEqual([...drop].sort());
    expect(missingRows.every((r) => r.figures === null && r.late === null && r.submittedAt === null)).toBe(true);
    expect(c.rows).toHaveLength(114);
    const dist = block(c, 'hq').site_count_distribution as Record<string, number>;
    expect(Object.values(dist).reduce((a, b) => a + b, 0)).toBe(109);
    expect(block(c, 'hq').sites_total).toBe(kept.reduce((a, r) => a + (r.values.hq!.sites as unknown[]).length, 0));
    expect(kept.every((r) => typeOf.has(r.unit))).toBe(true);
  });

  it('counts a returned return as submitted (and its figures), but in `returned`; accepted and late likewise', () => {
    const [a, b, d, ret, late1, late2] = returns.map((r) => r.unit);
    const c = city(asSubmitted(returns, (r) =>
      r.unit === ret ? { state: 'returned' } : [a, b, d].includes(r.unit) ? { state: 'accepted' } : [late1, late2].includes(r.unit) ? { late: true, submittedAt: '2026-06-25T03:00:00.000Z' } : {},
    ));
    expect(c.units).toMatchObject({ expected: 114, submitted: 114, missing: 0, accepted: 3, returned: 1, late: 2, on_time: 112 });
    expect(block(c, 'hq').sites_total).toBe(227);
    expect(c.rows.find((r) => r.code === ret)).toMatchObject({ state: 'returned', late: false });
    expect(c.rows.find((r) => r.code === late1)).toMatchObject({ state: 'received', late: true, submittedAt: '2026-06-25T03:00:00.000Z' });
    const type = units.find((u) => u.code === ret)!.type;
    expect(c.units.completeness_by_type[type]!.returned).toBe(1);
  });

  it('lists returns of units outside the list apart, and refuses two returns of one unit or a bad period', () => {
    const stranger = { ...returns[0]!, unit: '99999' };
    const c = city(asSubmitted([...returns.slice(1), stranger]));
    expect(c.unlisted).toEqual(['99999']);
    expect(c.units).toMatchObject({ submitted: 113, missing: 1 });
    expect(() => city(asSubmitted([...returns, returns[3]!]))).toThrow(AppError);
    expect(() => city(asSubmitted([...returns, returns[3]!]))).toThrow(/hai báo cáo của đơn vị/);
    expect(() => consolidate(template, { period: '2026-Q5', units, returns: [] })).toThrow(/không hợp lệ/);
  });
});

describe('rates', () => {
  // Unit A: 100 done, all on time, all online. Unit B: 10 done, all late, all in person.
  // Averaging the units' rates would give 50%; the rate of the sums is 100 / 110.
  const two = units.slice(0, 2);
  const base = randomReturns(two, 7);
  const withProcedures = (r: ReturnJson, ho_tich: Record<string, number>): ReturnJson => ({
    ...r, values: { ...r.values, procedures: { fields: { ho_tich } } },
  });
  const A = withProcedures(base[0]!, { new_online: 100, done_early: 60, done_on_time: 40 });
  const B = withProcedures(base[1]!, { new_direct: 10, done_late: 10 });

  it('are computed from the summed counts, never averaged', () => {
    const c = consolidate(template, { period: CITY_PERIOD, units: two, returns: asSubmitted([A, B]) });
    const p = block(c, 'procedures');
    expect(p.on_time_rate).toBe(100 / 110);
    expect(p.on_time_rate).not.toBe(0.5);
    expect(p.online_rate).toBe(100 / 110);
    expect(c.rows.map((r) => figureAt(r.figures!, 'procedures.on_time_rate'))).toEqual([1, 0]);
    expect(validate(template, A.values, { period: q2, unitType: two[0]!.type }).errors).toEqual([]);
    expect(validate(template, B.values, { period: q2, unitType: two[1]!.type }).errors).toEqual([]);
  });

  it('are null when nothing was done or received', () => {
    const empty = withProcedures(base[0]!, {});
    const c = consolidate(template, { period: CITY_PERIOD, units: two, returns: asSubmitted([empty]) });
    expect(block(c, 'procedures')).toMatchObject({ on_time_rate: null, online_rate: null });
    expect((block(c, 'procedures').total as Figures).received_total).toBe(0);
  });
});

describe('a province-sized list', () => {
  it('works the same for the 3,321 units of the national list', () => {
    const all = vietnamUnits();
    expect(all).toHaveLength(3321);
    const subset = all.filter((_, i) => i % 9 === 0);
    const rs = randomReturns(subset, 42);
    for (const r of rs.slice(0, 60)) {
      const u = subset.find((x) => x.code === r.unit)!;
      const v = validate(template, r.values, { period: q2, unitType: u.type });
      expect({ unit: r.unit, errors: v.errors, warnings: v.warnings }).toEqual({ unit: r.unit, errors: [], warnings: [] });
    }
    const c = consolidate(template, { period: CITY_PERIOD, units: all, returns: asSubmitted(rs) });
    expect(c.units).toMatchObject({ expected: 3321, submitted: subset.length, missing: 3321 - subset.length });
    const count = (list: Unit[], type: string) => list.filter((u) => u.type === type).length;
    expect(c.units.by_type).toEqual({ xã: count(subset, 'xã'), phường: count(subset, 'phường'), 'đặc khu': count(subset, 'đặc khu') });
    expect(Object.fromEntries(Object.entries(c.units.completeness_by_type).map(([k, v]) => [k, v.expected]))).toEqual({ xã: 2621, phường: 687, 'đặc khu': 13 });
    for (const [type, v] of Object.entries(c.units.completeness_by_type)) expect(v.missing).toBe(count(all, type) - count(subset, type));
    expect(c.rows).toHaveLength(3321);
    expect(c.rows.filter((r) => r.state !== 'missing').map((r) => r.code)).toEqual(subset.map((u) => u.code));
    const dist = block(c, 'hq').site_count_distribution as Record<string, number>;
    expect(Object.values(dist).reduce((a, b) => a + b, 0)).toBe(subset.length);
    expect(block(c, 'hq').sites_total).toBe(rs.reduce((a, r) => a + (r.values.hq!.sites as unknown[]).length, 0));
  });
});

describe('the declaration in the template', () => {
  it('is consistent for BC-CX v1', () => {
    expect(checkConsolidation(template)).toEqual([]);
  });

  it('decides what is aggregated: another declaration gives other figures from the same returns', () => {
    const t: Template = parseTemplate({
      ...structuredClone(template),
      consolidation: {
        custom: {
          rebuild_or_not: { countBy: 'hq.plan' },
          ho_tich_done: { sum: 'procedures.fields.ho_tich.done_total' },
          ho_tich: { sum: 'procedures.fields.ho_tich', columns: ['done_late'] },
          coastal: { countTrue: 'unit_info.coastal_or_island' },
          cars_in_use: { distribution: 'vehicles.cars_in_use', buckets: ['0', '1', '>1'] },
          gap: { sum: 'staff.blocks.total.cbcc_gap' },
        },
      },
    });
    const c = consolidate(t, { period: CITY_PERIOD, units, returns: asSubmitted(returns) });
    expect(Object.keys(c)).toEqual(['template', 'templateVersion', 'period', 'units', 'custom', 'rows', 'unlisted']);
    const custom = block(c, 'custom');
    expect(custom.rebuild_or_not).toEqual({ adequate: 25, renovate: 81, rebuild: 8 });
    const doneTotal = returns.reduce((a, r) => a + (rows(r, 'ho_tich').done_early ?? 0) + (rows(r, 'ho_tich').done_on_time ?? 0) + (rows(r, 'ho_tich').done_late ?? 0), 0);
    expect(custom.ho_tich_done).toBe(doneTotal);
    expect(custom.ho_tich).toEqual({ done_late: returns.reduce((a, r) => a + (rows(r, 'ho_tich').done_late ?? 0), 0) });
    expect(custom.coastal).toBe(returns.filter((r) => r.values.unit_info!.coastal_or_island === true).length);
    expect(custom.cars_in_use).toEqual({ '0': 17, '1': 90, '>1': 7 });
    expect(custom.gap).toBe(9669 - 8343);
  });

  it('without a declaration, gives completeness only', () => {
    const bare: Partial<Template> = structuredClone(template);
    delete bare.consolidation;
    const c = consolidate(parseTemplate(bare), { period: CITY_PERIOD, units, returns: asSubmitted(returns.slice(0, 10)) });
    expect(Object.keys(c)).toEqual(['template', 'templateVersion', 'period', 'units', 'rows', 'unlisted']);
    expect(c.units).toMatchObject({ expected: 114, submitted: 10, missing: 104 });
    expect(c.rows[0]!.figures).toEqual({});
  });

  it('refuses a declaration that names what the template does not have, listing every problem', () => {
    const bad = {
      ...structuredClone(template),
      consolidation: {
        a: { sum: 'hq.nothing' },
        b: { sum: 'procedures.fields.total.on_time_rate' },
        c: { countBy: 'unit_info.area_km2' },
        d: { distribution: 'hq.plan', buckets: ['1'] },
        e: { fromSums: 'procedures.fields.total.done_early' },
        f: { sum: 'staff.blocks', columns: ['cbcc_quota', 'nope'] },
      },
    };
    // parseTemplate refuses it when the template loads, listing every problem
    expect(() => parseTemplate(bad)).toThrow(/^Template BC-CX v1 is inconsistent:\na: [^]*\nb: [^]*\nc: [^]*\nd: [^]*\ne: [^]*\nf: /);
    const t = bad as unknown as typeof template;
    const problems = checkConsolidation(t);
    expect(problems.map((p) => p.split(':')[0])).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(() => consolidate(t, { period: CITY_PERIOD, units, returns: [] })).toThrow(/consolidation declaration is inconsistent/);
  });

  it('refuses a malformed declaration when the template is parsed', () => {
    expect(() => parseTemplate({ ...structuredClone(template), consolidation: { a: { sum: 3 } } })).toThrow();
    expect(() => parseTemplate({ ...structuredClone(template), consolidation: { a: { distribution: 'hq.site_count', buckets: ['many'] } } })).toThrow();
  });
});
