/**
 * Engineer G (issue 8): the consolidation fixture template (tests/fixtures/templates/issue8-consolidation.json)
 * over the 114 units of resources/units/haiphong.csv, with seeded generated values. Some values are
 * written for units an item does not apply to (they must be left out), some answers are empty.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseTemplate, type Template, type Unit, type Values } from '../../shared/index.js';
import type { ConsolidationReturn } from '../../shared/consolidate.js';
import { haiphongUnits, seeded } from './city-returns.js';

export const FIXTURE_PATH = path.join(import.meta.dirname, '../fixtures/templates/issue8-consolidation.json');
export const fixtureTemplate = (): Template => parseTemplate(JSON.parse(readFileSync(FIXTURE_PATH, 'utf8')));
export const PERIOD = '2026-Q2';

/** The Hải Phòng units, every fifth without a HĐND (unit-list attribute co_hdnd). */
export function unitsWithAttributes(): Unit[] {
  return haiphongUnits().map((u, i) => ({ ...u, attributes: { co_hdnd: i % 5 === 4 ? '0' : '1' } }));
}

const OPTIONS = ['loai_1', 'loai_2', 'loai_3'];
const PHRASES = [
  'Hoàn thành sắp xếp tổ dân phố đúng tiến độ; bộ phận một cửa vận hành ổn định, không có hồ sơ quá hạn.',
  'Trụ sở làm việc xuống cấp, thiếu phòng họp; đề nghị thành phố bố trí kinh phí sửa chữa trong năm 2026.',
  'Thiếu công chức chuyên ngành địa chính – xây dựng; việc bàn giao hồ sơ đất đai từ huyện cũ còn chậm.',
  'Đề nghị Sở Nội vụ hướng dẫn cụ thể việc bố trí cán bộ không chuyên trách dôi dư sau sắp xếp.',
  'Hạ tầng số chưa đồng bộ, đường truyền chập chờn làm chậm việc tiếp nhận hồ sơ trực tuyến.',
];

/** Values of one unit's return (index i in the unit list). */
export function valuesFor(i: number, unit: Unit, seed = 8): Values {
  const r = seeded(seed * 1000 + i);
  const int = (a: number, b: number) => a + Math.floor(r() * (b - a + 1));
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)]!;
  const ke1 = int(500, 20000);
  const ke2 = int(0, 5000);
  const v: Values = {
    chung: {
      dien_tich: Math.round((5 + r() * 115) * 100) / 100,
      dan_so: int(8000, 90000),
      xep_loai: pick(OPTIONS),
      so_tru_so: int(1, 5),
      co_mot_cua: r() < 0.7,
      ...(i % 7 === 3 ? {} : { ngay_kien_toan: `2026-0${int(3, 6)}-${String(int(1, 28)).padStart(2, '0')}` }),
    },
    tai_chinh: {
      kinh_phi: int(100, 5000) * 1_000_000 + int(0, 999) * 1000,
      du_toan: Math.round((200 + r() * 9800) * 10) / 10,
      // Written for every unit: for a unit without a HĐND it must be left out.
      hdnd_ky_hop: int(1, 6),
      von: {
        ngan_sach_tp: { so_du_an: int(0, 6), ke_hoach: ke1, giai_ngan: Math.round(ke1 * r()) },
        ngan_sach_xa: { so_du_an: int(0, 3), ke_hoach: ke2, giai_ngan: Math.round(ke2 * r()) },
      },
      du_an: Array.from({ length: int(0, 3) }, (_, k) => ({ ten: `Dự án ${k + 1} của ${unit.name}`, von: int(1000, 90000) })),
    },
    // Written for every unit: only wards (phường) count.
    dac_thu: { to_dan_pho: int(10, 60) },
    kien_nghi: {
      ket_qua: i % 9 === 0 ? '' : `${pick(PHRASES)}\n${pick(PHRASES)}`,
      kho_khan: i % 2 === 0 ? pick(PHRASES) : '   ',
      ...(i % 3 === 0 ? { de_xuat: `${unit.name}: ${pick(PHRASES)}` } : {}),
    },
  };
  return v;
}

/** The returns: every unit but every 11th (missing); unit index 5 returned without a revision that counts. */
export function fixtureReturns(units: Unit[]): ConsolidationReturn[] {
  return units.flatMap((u, i) => {
    if (i % 11 === 10) return [];
    const returned = i === 5;
    return [
      {
        unit: u.code,
        values: returned ? null : valuesFor(i, u),
        state: returned ? ('returned' as const) : ('received' as const),
        submittedAt: '2026-07-10T03:00:00.000Z',
        late: i % 13 === 0,
      },
    ];
  });
}
