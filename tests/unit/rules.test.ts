import { describe, expect, it } from 'vitest';
import { computeView, parsePeriod, unexplained, validate, type Values } from '../../shared/index.js';
import { q2, sampleValues, template } from './fixtures.js';

const check = (values: Values, extra: Partial<Parameters<typeof validate>[2]> = {}) =>
  validate(template, values, { period: q2, unitType: 'xã', ...extra });
const ids = (issues: { id: string }[]) => issues.map((i) => i.id);

describe('a complete, consistent return', () => {
  it('has no errors and no warnings', () => {
    const r = check(sampleValues());
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
  });
});

describe('cell types from the template', () => {
  it('refuses a negative count, a fraction, text and a missing required value, naming the cell', () => {
    const v = sampleValues();
    v.staff!.nhdkct_total = -3;
    v.staff!.recruited = 1.5;
    (v.procedures!.fields as any).ho_tich.new_postal = 'mười';
    delete v.unit_info!.head;
    const r = check(v);
    const byCell = Object.fromEntries(r.errors.map((e) => [e.cell, e.message]));
    expect(byCell['staff.nhdkct_total']).toBe('Biểu 02, Người hoạt động không chuyên trách cấp xã: không được là số âm. Hãy nhập số từ 0 trở lên.');
    expect(byCell['staff.recruited']).toContain('phải là số nguyên');
    expect(byCell['procedures.fields.ho_tich.new_postal']).toContain('"mười" không phải là số');
    expect(byCell['unit_info.head']).toBe('Biểu 01, Thủ trưởng đơn vị: chưa nhập. Hãy nhập giá trị cho ô này.');
  });

  it('requires area and population above zero and at most 2 decimals', () => {
    const v = sampleValues();
    v.unit_info!.area_km2 = 0;
    v.unit_info!.one_stop_area_m2 = 95.125;
    const r = check(v);
    expect(r.errors.find((e) => e.cell === 'unit_info.area_km2')?.message).toContain('phải lớn hơn 0');
    expect(r.errors.find((e) => e.cell === 'unit_info.one_stop_area_m2')?.message).toContain('tối đa 2 chữ số thập phân');
  });

  it('refuses an option that is not in the list and a yes/no that is not boolean', () => {
    const v = sampleValues();
    v.hq!.plan = 'demolish';
    v.unit_info!.coastal_or_island = 'có';
    const r = check(v);
    expect(r.errors.find((e) => e.cell === 'hq.plan')?.message).toContain('Cần cải tạo, sửa chữa, mở rộng');
    expect(r.errors.find((e) => e.cell === 'unit_info.coastal_or_island')?.message).toContain('Có hoặc Không');
  });

  it('checks cells of repeat rows', () => {
    const v = sampleValues();
    (v.hq!.sites as any[]).push({ name: 'Nhà văn hóa', floor_m2: 0 });
    const r = check(v);
    expect(r.errors.map((e) => e.cell)).toEqual(expect.arrayContaining(['hq.sites.1.origin', 'hq.sites.1.floor_m2', 'hq.sites.1.condition']));
  });

  it('refuses an as-of date outside the period window', () => {
    const r = check(sampleValues(), { asOf: { staff: '2026-06-30', hq: '2026-06-14' } });
    expect(ids(r.errors)).toEqual(['asof:staff']);
    expect(r.errors[0]!.message).toContain('15/03/2026 – 14/06/2026');
  });
});

describe('the rules of DOMAIN.md', () => {
  it('nhdkct: paid ≤ approved ≤ total', () => {
    const v = sampleValues();
    v.staff!.nhdkct_leave_approved = 30;
    v.staff!.nhdkct_leave_paid = 31;
    const r = check(v);
    expect(ids(r.errors).sort()).toEqual(['staff.nhdkct_leave_approved', 'staff.nhdkct_leave_paid']);
    expect(r.errors.find((e) => e.id === 'staff.nhdkct_leave_paid')!.message).toBe(
      'Biểu 02, Số đã chi trả chế độ (31) không được lớn hơn số đã phê duyệt nghỉ việc (30). Hãy kiểm tra lại hai ô này.',
    );
  });

  it('at least one site, and a warning above five', () => {
    const v = sampleValues();
    v.hq!.sites = [];
    expect(ids(check(v).errors)).toContain('hq.sites_required');
    v.hq!.sites = Array.from({ length: 6 }, (_, i) => ({ name: `Trụ sở ${i + 1}`, origin: 'other', land_m2: 100, floor_m2: 80, condition: 'good' }));
    const r = check(v);
    expect(ids(r.errors)).not.toContain('hq.sites_required');
    expect(ids(r.warnings)).toEqual(['hq.many_sites']);
  });

  it('surplus decided ≤ surplus sites', () => {
    const v = sampleValues();
    v.hq!.surplus_decided = 2;
    expect(ids(check(v).errors)).toEqual(['hq.surplus_decided']);
  });

  it('plates are unique within the return, whatever their punctuation', () => {
    const v = sampleValues();
    (v.vehicles!.cars as any[]).push({ plate: '15a 01234', seats: 5, year_made: 2016, year_in_use: 2016, status: 'broken' });
    const r = check(v);
    expect(ids(r.errors)).toEqual(['vehicles.plate_unique:2']);
    expect(r.errors[0]!.message).toContain('xe 1, 2');
  });

  it('a plate that does not look Vietnamese is a warning', () => {
    const v = sampleValues();
    (v.vehicles!.cars as any[])[0].plate = 'ABC-123';
    const r = check(v);
    expect(ids(r.warnings)).toEqual(['vehicles.plate_format:1']);
    for (const ok of ['15A-012.34', '15A01234', '29LD-123.45', '15A-1234']) {
      (v.vehicles!.cars as any[])[0].plate = ok;
      expect(ids(check(v).warnings), ok).toEqual([]);
    }
  });

  it('year made ≤ year in use ≤ the period year', () => {
    const v = sampleValues();
    Object.assign((v.vehicles!.cars as any[])[0], { year_made: 2016, year_in_use: 2015 });
    expect(ids(check(v).errors)).toEqual(['vehicles.year_order:1']);
    Object.assign((v.vehicles!.cars as any[])[0], { year_made: 2026, year_in_use: 2027 });
    const r = check(v);
    expect(ids(r.errors)).toEqual(['vehicles.year_in_use_future:1']);
    expect(r.errors[0]!.message).toContain('(2027)');
    expect(r.errors[0]!.message).toContain('(2026)');
  });

  it('each procedure row balances: received = done + pending + returned', () => {
    const v = sampleValues();
    (v.procedures!.fields as any).ho_tich.done_late = 2;
    const r = check(v);
    expect(ids(r.errors)).toEqual(['procedures.balance:ho_tich']);
    expect(r.errors[0]).toMatchObject({ path: 'procedures.fields.ho_tich.received_total', cell: 'procedures.fields.ho_tich.received_total', row: 'procedures.fields.ho_tich' });
    expect(r.errors[0]!.message).toBe(
      'Biểu 05, Hộ tịch: tổng số hồ sơ nhận (177) phải bằng đã giải quyết + đang giải quyết + trả lại, rút hồ sơ (178). Hãy sửa các ô của dòng này cho khớp.',
    );
  });

  it('digitised, paid online, cross-boundary ≤ received; e-result ≤ done', () => {
    const v = sampleValues();
    Object.assign((v.procedures!.fields as any).ho_tich, { digitised: 178, paid_online: 178, cross_boundary: 178, e_result: 172 });
    expect(ids(check(v).errors).sort()).toEqual(['procedures.cross_boundary:ho_tich', 'procedures.digitised:ho_tich', 'procedures.e_result:ho_tich', 'procedures.paid_online:ho_tich']);
  });

  it('present above quota is a warning per block and kind', () => {
    const v = sampleValues();
    Object.assign((v.staff!.blocks as any).government, { cbcc_present: 31, vc_present: 41 });
    const r = check(v);
    expect(r.errors).toEqual([]);
    expect(ids(r.warnings).sort()).toEqual(['staff.present_over_quota:government', 'staff.vc_present_over_quota:government']);
  });

  it('area and population far outside the usual range of the unit type are warnings; đặc khu has no range', () => {
    const v = sampleValues();
    v.unit_info!.area_km2 = 3.2;
    v.unit_info!.population = 1200;
    expect(ids(check(v).warnings).sort()).toEqual(['unit_info.area_range', 'unit_info.population_range']);
    expect(ids(check(v, { unitType: 'phường' }).warnings)).toEqual(['unit_info.area_range', 'unit_info.population_range']);
    expect(check(v, { unitType: 'đặc khu' }).warnings).toEqual([]);
    v.unit_info!.area_km2 = 40;
    v.unit_info!.population = 150000;
    expect(ids(check(v, { unitType: 'phường' }).warnings)).toEqual([]);
  });

  it('a total that moved more than 50% from the previous return is a warning', () => {
    const before = sampleValues();
    const previous = computeView(template, before, 2026);
    const v = sampleValues();
    (v.procedures!.fields as any).ho_tich.new_online = 400;
    (v.procedures!.fields as any).ho_tich.done_on_time = 310;
    const r = check(v, { previous });
    expect(r.errors).toEqual([]);
    expect(ids(r.warnings).sort()).toEqual(['change_from_previous:procedures.fields.total.done_total', 'change_from_previous:procedures.fields.total.received_total']);
    expect(r.warnings.find((w) => w.id.endsWith('received_total'))!.message).toContain('437 thay đổi +146,89% so với báo cáo kỳ trước (177)');
    expect(check(sampleValues(), { previous }).warnings).toEqual([]);
  });

  it('warnings need an explanation, errors do not take one', () => {
    const v = sampleValues();
    v.hq!.sites = Array.from({ length: 6 }, (_, i) => ({ name: `T${i}`, origin: 'other', land_m2: 1, floor_m2: 1, condition: 'good' }));
    const { warnings } = check(v);
    expect(unexplained(warnings, {})).toHaveLength(1);
    expect(unexplained(warnings, { 'hq.many_sites': '   ' })).toHaveLength(1);
    expect(unexplained(warnings, { 'hq.many_sites': 'Sáp nhập 3 xã, chưa bố trí lại trụ sở.' })).toHaveLength(0);
  });

  it('speaks English when asked', () => {
    const v = sampleValues();
    v.hq!.surplus_decided = 2;
    expect(validate(template, v, { period: parsePeriod('2026-Q2')!, lang: 'en' }).errors[0]!.message).toBe(
      'Biểu 03, Premises with a decision (2) cannot exceed surplus premises (1).',
    );
  });
});

describe('unit types in messages', () => {
  it('names the unit type in the language of the message', () => {
    const v = sampleValues();
    v.unit_info!.area_km2 = 3.2;
    const en = validate(template, v, { period: q2, unitType: 'phường', lang: 'en' }).warnings[0]!.message;
    expect(en).toContain('for a ward (5–55 km²)');
    const vi = validate(template, v, { period: q2, unitType: 'phường' }).warnings[0]!.message;
    expect(vi).toContain('của phường (5–55 km²)');
  });
});
