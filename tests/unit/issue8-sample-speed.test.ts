/**
 * Issue 8, speed of the city's consolidation preview (engineer M): sampleReturn repairs a failing
 * row rule by computing that row alone when the rule and the table's computed columns read only the
 * row, and the whole return otherwise. Both paths give values that pass validate().
 */
import { describe, expect, it } from 'vitest';
import { parsePeriod, parseTemplate, validate } from '../../shared/index.js';
import type { Template } from '../../shared/index.js';
import { sampleReturn } from '../../shared/template/sample.js';
import { largeTemplate } from '../../bench/editor.js';

const PERIOD = '2026-Q2';
const unit = { code: '11948', type: 'phường', name: 'Phường Hồng Bàng' };

function check(t: Template, seed: number) {
  const values = sampleReturn(t, { unit, period: PERIOD, seed });
  const { errors, warnings } = validate(t, values, { period: parsePeriod(PERIOD)!, unitType: unit.type, unit, lang: 'vi' });
  return { values, errors, warnings };
}

/** A table whose rows must keep a rate ≤ 100 % (row-local) and stay under a field of the biểu (not row-local). */
function mixedTemplate(): Template {
  return parseTemplate({
    id: 'THU-MAU',
    version: 1,
    title: { vi: 'Mẫu thử sửa số liệu mẫu' },
    receivingBody: { vi: 'Văn phòng UBND thành phố' },
    periodTypes: ['quarter'],
    deadlineDay: 15,
    sections: [
      {
        key: 's',
        code: 'Biểu 01',
        title: { vi: 'Biểu thử' },
        items: [
          { kind: 'field', key: 'tran', type: 'integer', label: { vi: 'Mức trần mỗi dòng' } },
          {
            kind: 'table',
            key: 'bang',
            label: { vi: 'Bảng' },
            rowHeader: { vi: 'Dòng' },
            rows: Array.from({ length: 30 }, (_, i) => ({ key: `d${i + 1}`, label: { vi: `Dòng ${i + 1}` } })),
            columns: [
              { key: 'tong', type: 'integer', label: { vi: 'Tổng' } },
              { key: 'dat', type: 'integer', label: { vi: 'Đạt' } },
              { key: 'ty_le', type: 'rate', label: { vi: 'Tỷ lệ đạt' }, expr: { div: [{ col: 'dat' }, { col: 'tong' }] } },
            ],
          },
        ],
      },
    ],
    rules: [
      {
        id: 's.dat_le_tong',
        severity: 'error',
        check: 'compare',
        forEachRow: 's.bang',
        left: { col: 'ty_le' },
        op: '<=',
        right: 1,
        message: { vi: '{row}: tỷ lệ đạt lớn hơn 100%.' },
      },
      {
        id: 's.tong_le_tran',
        severity: 'error',
        check: 'compare',
        forEachRow: 's.bang',
        left: { col: 'tong' },
        op: '<=',
        right: { ref: 's.tran' },
        message: { vi: '{row}: tổng ({left}) vượt mức trần ({right}).' },
      },
    ],
  });
}

describe('sampleReturn repairs row rules quickly and still correctly', () => {
  it('a 500-cell biểu whose row rule reads only the row: every row holds, no error, for several seeds', () => {
    const t = largeTemplate();
    for (const seed of [1, 2, 3]) {
      const { values, errors } = check(t, seed);
      expect(errors.map((e) => e.message)).toEqual([]);
      const rows = values.bieu_1!.bang as Record<string, Record<string, number>>;
      for (const r of Object.values(rows)) expect(r.dung_han).toBeLessThanOrEqual(r.giai_quyet!);
    }
  });

  it('a row rule through a computed rate (row-local) and one against a field of the biểu (whole return): both hold', () => {
    const t = mixedTemplate();
    for (const seed of [1, 2, 3, 4]) {
      const { values, errors } = check(t, seed);
      expect(errors.map((e) => e.message)).toEqual([]);
      const tran = values.s!.tran as number;
      for (const r of Object.values(values.s!.bang as Record<string, Record<string, number>>)) {
        if (r.tong! > 0) expect(r.dat).toBeLessThanOrEqual(r.tong!); // a rate of nothing is not computed
        expect(r.tong).toBeLessThanOrEqual(tran);
      }
    }
  });

  it('is deterministic for a seed', () => {
    const t = mixedTemplate();
    expect(check(t, 7).values).toEqual(check(t, 7).values);
  });
});
