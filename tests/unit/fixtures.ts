import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseTemplate, parsePeriod, type Values } from '../../shared/index.js';

export const template = parseTemplate(
  JSON.parse(readFileSync(path.join(import.meta.dirname, '../../resources/templates/BC-CX.v1.json'), 'utf8')),
);
export const q2 = parsePeriod('2026-Q2')!;

/** The example return of DOMAIN.md, plus what makes it complete. */
export function sampleValues(): Values {
  return structuredClone({
    unit_info: {
      unit_class: 'III', area_km2: 23.2, population: 31200, former_district_seat: false, coastal_or_island: true,
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
        ho_tich: { carried_over: 2, new_online: 140, new_direct: 35, done_early: 120, done_on_time: 50, done_late: 1, pending_in_time: 5, returned_withdrawn: 1, digitised: 170, e_result: 160 },
      },
    },
  });
}
