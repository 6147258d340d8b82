/**
 * Generated, valid returns of template BC-CX v1 for the consolidation tests and benchmarks.
 *
 * cityReturns(): the 114 units of resources/units/haiphong.csv for 2026-Q2, whose consolidation is
 * the city's real figures of DOMAIN.md (CITY_FIGURES). randomReturns(units): plausible returns for
 * any unit list (e.g. the national one). Both are deterministic (seeded) and every return passes
 * shared validate with the unit's type without errors or warnings.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Papa from 'papaparse';
import type { ReturnJson, Unit, Values } from '../../shared/index.js';
import type { ConsolidationReturn } from '../../shared/consolidate.js';

export const CITY_PERIOD = '2026-Q2';
const PERIOD_YEAR = 2026;

/** The city's figures for 2025–2026 (DOMAIN.md, "The city's consolidation"). */
export const CITY_FIGURES = {
  expected: 114,
  by_type: { xã: 67, phường: 45, 'đặc khu': 2 },
  /** 23 units use 1 site, 74 use 2, 13 use 3, 3 use 4, 1 uses 5. */
  site_count_distribution: { '1': 23, '2': 74, '3': 13, '4': 3, '5': 1, '>5': 0 },
  /** 23·1 + 74·2 + 13·3 + 3·4 + 1·5 */
  sites_total: 227,
  plan: { adequate: 25, renovate: 81, rebuild: 8 },
  /** 7 meet the norm; the other 107 are short 124 cars: x short 2 and y short 1 with x + y = 107, 2x + y = 124. */
  shortfall_distribution: { '0': 7, '1': 90, '2': 17 },
  shortfall_total: 124,
  bands: { ge150: 64, '100_150': 23, '80_100': 6, lt80: 21 },
  /** Summed over both blocks: 9.669 cán bộ, công chức and 52.640 viên chức assigned; 8.343 and 48.326 present. */
  staff_total: { cbcc_quota: 9669, cbcc_present: 8343, vc_quota: 52640, vc_present: 48326 },
} as const;

// ---------------------------------------------------------------------------------------------
// Unit lists

const UNITS_DIR = path.join(import.meta.dirname, '../../resources/units');

function readUnits(file: string): Unit[] {
  const parsed = Papa.parse<Record<string, string>>(readFileSync(path.join(UNITS_DIR, file), 'utf8'), {
    header: true,
    skipEmptyLines: true,
  });
  return parsed.data.map((r) => ({ code: r.code!, type: r.type!, name: r.name! }));
}

export const haiphongUnits = (): Unit[] => readUnits('haiphong.csv');
export const vietnamUnits = (): Unit[] => readUnits('vietnam.csv');

// ---------------------------------------------------------------------------------------------
// Seeded randomness

export type Rng = () => number;

/** mulberry32: a small, good-enough seeded generator. */
export function seeded(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}
const between = (rng: Rng, lo: number, hi: number) => lo + (hi - lo) * rng();
const int = (rng: Rng, lo: number, hi: number) => Math.floor(between(rng, lo, hi + 1));
const round1 = (x: number) => Math.round(x * 10) / 10;
const round2 = (x: number) => Math.round(x * 100) / 100;
function pick<T>(rng: Rng, list: readonly T[]): T {
  return list[Math.floor(rng() * list.length)]!;
}
function shuffle<T>(rng: Rng, list: T[]): T[] {
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [list[i], list[j]] = [list[j]!, list[i]!];
  }
  return list;
}
/** A list of category values with the given counts, in a seeded random order. */
function dealt<K extends string>(rng: Rng, counts: Record<K, number>): K[] {
  return shuffle(rng, (Object.entries(counts) as [K, number][]).flatMap(([k, n]) => Array<K>(n).fill(k)));
}

/** Split an integer total in proportion to weights (largest remainder): the parts add up exactly. */
export function allocate(total: number, weights: number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (total * w) / sum);
  const parts = exact.map(Math.floor);
  let left = total - parts.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => ({ i, r: x - Math.floor(x) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of order) {
    if (left-- <= 0) break;
    parts[i]!++;
  }
  return parts;
}

// ---------------------------------------------------------------------------------------------
// One return from a profile

type Plan = 'adequate' | 'renovate' | 'rebuild';
type Band = 'ge150' | '100_150' | '80_100' | 'lt80';
interface Block {
  cbcc_quota: number;
  cbcc_present: number;
  vc_quota: number;
  vc_present: number;
}
/** What a unit's return must show for the consolidation; the rest is filled in plausibly. */
export interface Profile {
  sites: number;
  plan: Plan;
  shortfall: 0 | 1 | 2;
  band: Band;
  staff: { party_front: Block; government: Block };
}

const PROCEDURE_VOLUME: Record<string, [number, number]> = {
  // new applications per quarter for a unit of about 40.000 people
  ho_tich: [250, 900], chung_thuc: [600, 2600], dat_dai: [60, 320], xay_dung: [5, 60], kinh_doanh: [10, 120],
  bao_tro_xa_hoi: [20, 160], nguoi_co_cong: [5, 40], giao_duc: [0, 20], y_te: [0, 15], van_hoa: [0, 15],
  nong_nghiep_moi_truong: [5, 60], ton_giao: [0, 3], khac: [0, 30],
};

function procedureRow(rng: Rng, lo: number, hi: number, scale: number): Record<string, number> {
  const fresh = Math.round(between(rng, lo, hi) * scale);
  const new_online = Math.round(fresh * between(rng, 0.35, 0.9));
  const new_postal = Math.round((fresh - new_online) * between(rng, 0, 0.05));
  const new_direct = fresh - new_online - new_postal;
  const carried_over = Math.round(fresh * between(rng, 0, 0.06));
  const received = carried_over + fresh;
  const returned_withdrawn = Math.round(received * between(rng, 0, 0.015));
  const pending = Math.round(received * between(rng, 0, 0.08));
  const pending_overdue = Math.round(pending * between(rng, 0, 0.15));
  const done = received - returned_withdrawn - pending;
  const done_late = Math.round(done * between(rng, 0, 0.03));
  const done_early = Math.round((done - done_late) * between(rng, 0.5, 0.85));
  return {
    carried_over, new_online, new_direct, new_postal,
    done_early, done_on_time: done - done_late - done_early, done_late,
    pending_in_time: pending - pending_overdue, pending_overdue, returned_withdrawn,
    digitised: Math.round(received * between(rng, 0.6, 1)),
    e_result: Math.round(done * between(rng, 0.5, 1)),
    paid_online: Math.round(received * between(rng, 0, 0.4)),
    cross_boundary: Math.round(received * between(rng, 0, 0.15)),
  };
}

const FAMILY = ['Nguyễn', 'Trần', 'Lê', 'Phạm', 'Hoàng', 'Vũ', 'Đặng', 'Bùi', 'Đỗ', 'Ngô'];
const MIDDLE = ['Văn', 'Thị', 'Đức', 'Minh', 'Thu', 'Hữu', 'Thanh', 'Quang'];
const GIVEN = ['An', 'Bình', 'Cường', 'Dung', 'Hà', 'Hải', 'Hùng', 'Lan', 'Long', 'Mai', 'Nam', 'Phương', 'Sơn', 'Thảo', 'Tuấn'];
const person = (rng: Rng) => `${pick(rng, FAMILY)} ${pick(rng, MIDDLE)} ${pick(rng, GIVEN)}`;

/** Area and population within the type's usual range (DOMAIN.md rules), so no warning is raised. */
function sizeOf(rng: Rng, unit: Unit): { area_km2: number; population: number } {
  if (unit.type === 'xã') return { area_km2: round2(between(rng, 16.5, 48)), population: int(rng, 21000, 45000) };
  if (unit.type === 'phường') return { area_km2: round2(between(rng, 5.2, 40)), population: int(rng, 17000, 95000) };
  // Đặc khu (island special zones) have no usual range in the rules; Bạch Long Vĩ is about 3 km².
  if (/Bạch Long Vĩ/.test(unit.name)) return { area_km2: 3.07, population: int(rng, 900, 1400) };
  return { area_km2: round2(between(rng, 30, 290)), population: int(rng, 8000, 50000) };
}

function oneStopArea(rng: Rng, band: Band): number {
  const range: Record<Band, [number, number]> = { ge150: [150, 420], '100_150': [100, 149.9], '80_100': [80, 99.9], lt80: [35, 79.9] };
  const [lo, hi] = range[band];
  return Math.min(hi, round1(between(rng, lo, hi)));
}

/** Plates unique over the whole generated set: Hải Phòng series 15A/15C (and 16A of the old numbering). */
function plateMaker(rng: Rng): () => string {
  let n = int(rng, 1000, 5000);
  return () => {
    n += int(rng, 1, 37);
    const digits = String(n).padStart(5, '0');
    return `${pick(rng, ['15A', '15C', '16A'])}-${digits.slice(0, 3)}.${digits.slice(3)}`;
  };
}

export function makeReturn(unit: Unit, p: Profile, rng: Rng, plate: () => string, period = CITY_PERIOD): ReturnJson {
  const size = sizeOf(rng, unit);
  const scale = size.population / 40000;
  const formerDistrict = rng() < 0.12;
  const head = person(rng);

  const conditions = (): string[] => {
    const c = Array.from({ length: p.sites }, () =>
      p.plan === 'adequate' ? 'good' : p.plan === 'renovate' ? pick(rng, ['good', 'degraded', 'degraded']) : pick(rng, ['degraded', 'unsafe']),
    );
    if (p.plan === 'renovate' && !c.includes('degraded')) c[0] = 'degraded';
    if (p.plan === 'rebuild' && !c.includes('unsafe')) c[0] = 'unsafe';
    return c;
  };
  const cond = conditions();
  const users = [['council_committee'], ['party'], ['front'], ['one_stop']];
  const sites = Array.from({ length: p.sites }, (_, i) => ({
    name: i === 0 ? `Trụ sở UBND ${unit.name}` : `Trụ sở ${i + 1}, thôn ${int(rng, 1, 12)}, ${unit.name}`,
    origin: i === 0 && formerDistrict ? 'former_district' : pick(rng, ['former_commune', 'former_commune', 'other']),
    land_m2: round1(between(rng, 800, 6000)),
    floor_m2: round1(between(rng, 250, 2400)),
    condition: cond[i]!,
    // the bodies spread over the sites (with one site it houses all); a fifth site houses the front's associations
    used_by: users.filter((_, k) => k % p.sites === i).flat().concat(i >= users.length ? ['front'] : []),
  }));
  const surplus = int(rng, 0, 3);

  const inUse = p.shortfall === 0 ? 2 : 2 - p.shortfall;
  const extra = rng() < 0.35 ? 1 : 0; // a broken car or one awaiting disposal
  const cars = Array.from({ length: inUse + extra }, (_, i) => {
    const year_made = int(rng, 2006, 2024);
    return {
      plate: plate(), seats: pick(rng, [4, 5, 7, 7, 16]), year_made,
      year_in_use: Math.min(PERIOD_YEAR, year_made + int(rng, 0, 1)),
      status: i < inUse ? 'in_use' : pick(rng, ['broken', 'disposal']),
    };
  });

  const nhdkct_total = int(rng, 12, 60);
  const approved = int(rng, 0, nhdkct_total);
  const values: Values = {
    unit_info: {
      unit_class: unit.type === 'phường' ? pick(rng, ['I', 'I', 'II', 'II', 'III']) : pick(rng, ['I', 'II', 'II', 'III', 'III']),
      ...size,
      former_district_seat: formerDistrict,
      coastal_or_island: unit.type === 'đặc khu' || rng() < 0.15,
      one_stop_area_m2: oneStopArea(rng, p.band),
      one_stop_equipped: rng() < 0.85,
      preparer: person(rng),
      preparer_phone: `0225 ${int(rng, 3000, 3999)} ${String(int(rng, 0, 999)).padStart(3, '0')}`,
      head,
    },
    staff: {
      blocks: p.staff,
      nhdkct_total, nhdkct_leave_approved: approved, nhdkct_leave_paid: int(rng, 0, approved),
      recruited: int(rng, 0, 3), transferred_in: int(rng, 0, 5), transferred_out: int(rng, 0, 4), seconded_in: int(rng, 0, 2),
      departures: {
        nd178_67: { can_bo: int(rng, 0, 4), cong_chuc: int(rng, 0, 5), vien_chuc: int(rng, 0, 3), nguoi_lao_dong: int(rng, 0, 2) },
        nd154: rng() < 0.5 ? {} : { can_bo: int(rng, 0, 2), cong_chuc: int(rng, 0, 2) },
        nd170: rng() < 0.7 ? {} : { vien_chuc: int(rng, 1, 3) },
      },
    },
    hq: { sites, plan: p.plan, surplus_sites: surplus, surplus_decided: int(rng, 0, surplus) },
    vehicles: { cars },
    procedures: {
      fields: Object.fromEntries(Object.entries(PROCEDURE_VOLUME).map(([k, [lo, hi]]) => [k, procedureRow(rng, lo, hi, scale)])),
    },
  };
  return { template: 'BC-CX', templateVersion: 1, unit: unit.code, period, revision: 1, values };
}

// ---------------------------------------------------------------------------------------------
// Staff: blocks whose sums are given, present never above the quota

/** Split each unit's quota into the two blocks and choose present counts that add up to the targets. */
function staffBlocks(rng: Rng, weights: number[], totals: Block): Profile['staff'][] {
  const n = weights.length;
  const cbcc = allocate(totals.cbcc_quota, weights.map((w) => w * between(rng, 0.85, 1.15)));
  const vc = allocate(totals.vc_quota, weights.map((w) => w * between(rng, 0.7, 1.3)));
  const cells = (quota: number[], partyShare: () => number) =>
    quota.flatMap((q) => {
      const pf = Math.round(q * partyShare());
      return [pf, q - pf];
    });
  const cbccQuota = cells(cbcc, () => between(rng, 0.3, 0.4)); // [pf0, gov0, pf1, gov1, …]
  const vcQuota = cells(vc, () => between(rng, 0, 0.01)); // viên chức work almost all in the government block
  // Present in proportion to quota × a fill rate drawn from [lo, 1] with a mean just above target/quota,
  // so the scale stays below 1 and no cell exceeds its quota.
  const present = (quota: number[], target: number) => {
    const lo = (2 * target) / quota.reduce((a, b) => a + b, 0) - 1 + 0.04;
    return allocate(target, quota.map((q) => q * between(rng, lo, 1)));
  };
  const cbccPresent = present(cbccQuota, totals.cbcc_present);
  const vcPresent = present(vcQuota, totals.vc_present);
  const block = (i: number): Block => ({
    cbcc_quota: cbccQuota[i]!, cbcc_present: cbccPresent[i]!, vc_quota: vcQuota[i]!, vc_present: vcPresent[i]!,
  });
  const out = Array.from({ length: n }, (_, u) => ({ party_front: block(2 * u), government: block(2 * u + 1) }));
  for (const s of out)
    for (const b of [s.party_front, s.government])
      if (b.cbcc_present > b.cbcc_quota || b.vc_present > b.vc_quota) throw new Error('generated staff present above quota');
  return out;
}

// ---------------------------------------------------------------------------------------------
// The sets

/** The 114 returns of Hải Phòng whose consolidation is CITY_FIGURES. */
export function cityReturns(): ReturnJson[] {
  const units = haiphongUnits();
  const rng = seeded(20260630);
  const n = units.length;
  if (n !== CITY_FIGURES.expected) throw new Error(`haiphong.csv has ${n} units, expected ${CITY_FIGURES.expected}`);
  const sites = dealt(rng, CITY_FIGURES.site_count_distribution).map(Number);
  const plans = dealt(rng, CITY_FIGURES.plan);
  const shortfalls = dealt(rng, CITY_FIGURES.shortfall_distribution).map(Number) as (0 | 1 | 2)[];
  const bands = dealt(rng, CITY_FIGURES.bands);
  // Larger units have more staff: weight by type (đặc khu Bạch Long Vĩ is tiny).
  const weights = units.map((u) => (u.type === 'phường' ? 1.1 : u.type === 'xã' ? 1 : /Bạch Long Vĩ/.test(u.name) ? 0.25 : 0.9));
  const staff = staffBlocks(rng, weights, CITY_FIGURES.staff_total);
  const plate = plateMaker(rng);
  return units.map((u, i) =>
    makeReturn(u, { sites: sites[i]!, plan: plans[i]!, shortfall: shortfalls[i]!, band: bands[i]!, staff: staff[i]! }, rng, plate),
  );
}

/** Plausible returns for any list of units (e.g. part of the national list), deterministic for a seed. */
export function randomReturns(units: Unit[], seed = 1, period = CITY_PERIOD): ReturnJson[] {
  const rng = seeded(seed);
  const plate = plateMaker(rng);
  const weights = units.map(() => between(rng, 0.8, 1.2));
  const cbcc = Math.round(85 * units.length);
  const vc = Math.round(460 * units.length);
  const staff = staffBlocks(rng, weights, {
    cbcc_quota: cbcc, cbcc_present: Math.round(cbcc * 0.86), vc_quota: vc, vc_present: Math.round(vc * 0.92),
  });
  return units.map((u, i) =>
    makeReturn(u, {
      sites: pick(rng, [1, 1, 2, 2, 2, 2, 2, 3, 3, 4]),
      plan: pick(rng, ['adequate', 'renovate', 'renovate', 'renovate', 'rebuild'] as const),
      shortfall: pick(rng, [0, 1, 1, 1, 2] as const),
      band: pick(rng, ['ge150', 'ge150', '100_150', '80_100', 'lt80'] as const),
      staff: staff[i]!,
    }, rng, plate, period),
  );
}

/** Returns as the consolidation receives them: received on time unless told otherwise. */
export function asSubmitted(
  returns: ReturnJson[],
  state: (r: ReturnJson) => Partial<Pick<ConsolidationReturn, 'state' | 'late' | 'submittedAt'>> = () => ({}),
): ConsolidationReturn[] {
  return returns.map((r) => ({
    unit: r.unit, values: r.values, state: 'received', submittedAt: '2026-06-18T03:00:00.000Z', late: false, ...state(r),
  }));
}
