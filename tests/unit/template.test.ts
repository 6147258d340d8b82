import { describe, expect, it } from 'vitest';
import { cellLabel, computeView, fixedInputCells, normalizeValues, canonicalJson, parseTemplate, signerName } from '../../shared/index.js';
import { sampleValues, template } from './fixtures.js';

describe('template BC-CX v1', () => {
  it('has the five biểu with the keys of DOMAIN.md', () => {
    expect(template.sections.map((s) => s.key)).toEqual(['unit_info', 'staff', 'hq', 'vehicles', 'procedures']);
    const paths = new Set(fixedInputCells(template).map((c) => c.path));
    for (const p of [
      'unit_info.unit_class', 'unit_info.area_km2', 'unit_info.population', 'unit_info.one_stop_area_m2', 'unit_info.head',
      'staff.blocks.party_front.cbcc_quota', 'staff.blocks.government.vc_present', 'staff.nhdkct_leave_paid', 'staff.seconded_in',
      'staff.departures.nd170.nguoi_lao_dong', 'hq.plan', 'hq.surplus_decided', 'procedures.fields.khac.cross_boundary',
      'procedures.fields.ton_giao.pending_overdue',
    ])
      expect(paths, p).toContain(p);
    // computed cells are never input cells
    for (const p of ['procedures.fields.ho_tich.received_total', 'staff.blocks.party_front.cbcc_gap', 'unit_info.one_stop_area_band'])
      expect(paths.has(p), p).toBe(false);
    expect(template.sections.find((s) => s.key === 'procedures')!.items[0]).toMatchObject({ kind: 'table' });
  });

  it('refuses a template whose computed cell refers to an unknown cell', () => {
    const bad = structuredClone(template) as unknown as { sections: { items: { kind: string; expr?: unknown }[] }[] };
    bad.sections[3]!.items.find((i) => i.kind === 'computed')!.expr = { ref: 'vehicles.nothing_here' };
    expect(() => parseTemplate(bad)).toThrow(/unknown reference vehicles.nothing_here/);
  });

  it('refuses a template that is not of the schema', () => {
    expect(() => parseTemplate({ id: 'BC-CX', version: 0 })).toThrow();
  });

  it('names cells the way a person reads them', () => {
    expect(cellLabel(template, 'procedures.fields.ho_tich.done_early')).toBe('Biểu 05, Hộ tịch, Đã giải quyết — Trước hạn');
    expect(cellLabel(template, 'hq.sites.1.floor_m2')).toBe('Biểu 03, Trụ sở 2, Diện tích sàn (m²)');
    expect(cellLabel(template, 'staff.nhdkct_total')).toBe('Biểu 02, Người hoạt động không chuyên trách cấp xã');
    expect(cellLabel(template, 'staff.nhdkct_total', 'en')).toBe('Biểu 02, Part-time commune workers');
  });
});

describe('computation', () => {
  it('computes totals, rates, band, site count and shortfall of the DOMAIN example', () => {
    const v = computeView(template, sampleValues(), 2026) as Record<string, Record<string, any>>;
    const ho = v.procedures!.fields.ho_tich;
    expect(ho.received_total).toBe(177);
    expect(ho.done_total).toBe(171);
    expect(ho.pending_total).toBe(5);
    expect(ho.on_time_rate).toBeCloseTo(170 / 171, 12);
    expect(ho.online_rate).toBeCloseTo(140 / 175, 12);
    expect(v.procedures!.fields.chung_thuc.on_time_rate).toBeNull(); // nothing done: no rate, not 0
    expect(v.unit_info!.one_stop_area_band).toBe('80_100');
    expect(v.hq!.site_count).toBe(1);
    expect(v.vehicles!.cars_in_use).toBe(1);
    expect(v.vehicles!.shortfall).toBe(1);
    expect(v.staff!.blocks.total).toMatchObject({ cbcc_quota: 50, cbcc_present: 45, cbcc_gap: 5, vc_quota: 41, vc_present: 39, vc_gap: 2 });
    expect(v.staff!.departures.total).toMatchObject({ can_bo: 1, cong_chuc: 2, total: 3 });
    expect(v.staff!.departures.nd178_67.total).toBe(3);
  });

  it('computes the rates of the total row from the sums, never by averaging', () => {
    const values = sampleValues();
    (values.procedures!.fields as Record<string, object>).dat_dai = { new_online: 0, new_direct: 10, done_early: 0, done_on_time: 1, done_late: 9 };
    const v = computeView(template, values, 2026) as Record<string, Record<string, any>>;
    const total = v.procedures!.fields.total;
    expect(total.done_total).toBe(181);
    expect(total.on_time_rate).toBeCloseTo(171 / 181, 12); // the average of 170/171 and 1/10 would be 0.547
    expect(total.online_rate).toBeCloseTo(140 / 185, 12);
  });

  it('puts the one-stop area in its band at each threshold', () => {
    const band = (m2: number) => {
      const values = sampleValues();
      values.unit_info!.one_stop_area_m2 = m2;
      return computeView(template, values, 2026).unit_info!.one_stop_area_band;
    };
    expect([band(150), band(149.99), band(100), band(99.5), band(80), band(79.99)]).toEqual(['ge150', '100_150', '100_150', '80_100', '80_100', 'lt80']);
  });

  it('counts only cars in use and never reports a negative shortfall', () => {
    const values = sampleValues();
    values.vehicles!.cars = [
      { plate: '15A-012.34', status: 'in_use' }, { plate: '15A-012.35', status: 'broken' },
      { plate: '15A-012.36', status: 'in_use' }, { plate: '15A-012.37', status: 'in_use' },
    ];
    const v = computeView(template, values, 2026).vehicles!;
    expect(v.cars_in_use).toBe(3);
    expect(v.shortfall).toBe(0);
  });
});

describe('normalisation', () => {
  it('drops empties and computed cells so equal content gives equal JSON', () => {
    const a = sampleValues();
    const b = computeView(template, sampleValues(), 2026);
    (b.unit_info as Record<string, unknown>).preparer = '  Nguyễn Văn A ';
    (b.hq!.sites as Record<string, unknown>[])[0]!.used_by = ['one_stop', 'council_committee'];
    expect(canonicalJson(normalizeValues(template, b))).toBe(canonicalJson(normalizeValues(template, a)));
    expect(normalizeValues(template, a).staff).not.toHaveProperty('departures.nd154');
  });
});

describe('signers come from the template, not from code', () => {
  it('names the fields that hold the people who sign, and refuses a signer that is not a field', () => {
    const v = sampleValues();
    const path = template.signers!.preparer!.split('.') as [string, string];
    expect(signerName(template, v, 'preparer')).toBe(v[path[0]]![path[1]]);
    expect(signerName({ ...template, signers: undefined }, v, 'head')).toBe('');
    const raw = JSON.parse(JSON.stringify(template)) as { signers: { head: string } };
    raw.signers.head = `${template.sections[0]!.key}.no_such_field`;
    expect(() => parseTemplate(raw)).toThrow(/signers\.head: .* is not a field/);
  });
});
