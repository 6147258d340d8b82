import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ReturnJson } from '../../shared/index.js';

export const repoRoot = path.resolve(import.meta.dirname, '..', '..');
export const resourcesDir = path.join(repoRoot, 'resources');
/** Đặc khu Bạch Long Vĩ: no usual area/population range applies to a đặc khu. */
export const sampleUnit = { code: '11948', type: 'đặc khu', name: 'Đặc khu Bạch Long Vĩ' };

/** A complete, valid return of BC-CX v1 (the example of DOMAIN.md): no errors, no warnings. */
/** The values of the sample, typed as written so tests can change one cell. */
export function sampleValues() {
  return {
    unit_info: {
      unit_class: 'III', area_km2: 3.2, population: 1200, former_district_seat: false, coastal_or_island: true,
      one_stop_area_m2: 95, one_stop_equipped: true, preparer: 'Nguyễn Văn A', preparer_phone: '0225 3123 456', head: 'Trần Thị B',
    },
    staff: {
      blocks: {
        party_front: { cbcc_quota: 20, cbcc_present: 18, vc_quota: 1, vc_present: 1 },
        government: { cbcc_quota: 30, cbcc_present: 27, vc_quota: 40, vc_present: 38 },
      },
      nhdkct_total: 25, nhdkct_leave_approved: 12, nhdkct_leave_paid: 12,
      recruited: 0, transferred_in: 1, transferred_out: 0, seconded_in: 0,
      departures: { nd178_67: { can_bo: 1, cong_chuc: 2 }, nd154: {}, nd170: {} },
    },
    hq: {
      sites: [{ name: 'Trụ sở UBND, thôn 1', origin: 'former_commune', land_m2: 1500, floor_m2: 620, condition: 'degraded', used_by: ['council_committee', 'one_stop'] }],
      plan: 'renovate', surplus_sites: 1, surplus_decided: 0,
    },
    vehicles: { cars: [{ plate: '15A-012.34', seats: 7, year_made: 2014, year_in_use: 2015, status: 'in_use' }] },
    procedures: {
      fields: {
        ho_tich: { carried_over: 2, new_online: 140, new_direct: 35, done_early: 120, done_on_time: 50, done_late: 1, pending_in_time: 5, returned_withdrawn: 1, digitised: 170, e_result: 160 } as Record<string, number>,
      },
    },
  };
}
export type SampleValues = ReturnType<typeof sampleValues>;

/** A complete, valid return of BC-CX v1 (the example of DOMAIN.md): no errors, no warnings. */
export function sampleReturn(values: SampleValues = sampleValues()): ReturnJson & { values: SampleValues } {
  return { template: 'BC-CX', templateVersion: 1, unit: '11948', period: '2026-Q2', values, explanations: {} };
}

/** A fresh temp folder; `cleanup()` removes it (call it in afterEach/afterAll). */
export function tempDir(prefix = 'cr-test-'): { dir: string; file: (name: string) => string; writeJson: (name: string, v: unknown) => string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  const file = (name: string) => path.join(dir, name);
  return {
    dir,
    file,
    writeJson: (name, v) => {
      writeFileSync(file(name), JSON.stringify(v, null, 2));
      return file(name);
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
