import { describe, expect, it } from 'vitest';
import { parseDate, parseMoney } from '../../shared/format.js';

/**
 * Issue 8, second round (engineer K): dates and money as a commune officer types them.
 * Before this round, "01-07-2026", "1.7.26" or "01072026" were refused as "not a real date", and
 * "12 triệu" or "1.234.567 đồng" as "not an amount", although each says exactly one value.
 */
describe('a date typed the ways people type it', () => {
  it.each([
    ['1/7/2026'], ['01/07/2026'], ['01-07-2026'], ['1-7-2026'], ['1.7.2026'], ['1.7.26'], ['01/07/26'],
    ['1 7 2026'], ['01072026'], ['010726'], ['2026-07-01'], ['2026/7/1'], ['Ngày 1 tháng 7 năm 2026'],
    [' 1/7/2026\u00a0'],
  ])('%s is the 1st of July 2026', (typed) => {
    expect(parseDate(typed)).toBe('2026-07-01');
  });

  it('day first, always: 2/3/2026 is the 2nd of March', () => {
    expect(parseDate('2/3/2026')).toBe('2026-03-02');
    expect(parseDate('12.03.26')).toBe('2026-03-12');
  });

  it.each([['31/02/2026'], ['29-02-2025'], ['1/13/2026'], ['1/7/2'], ['1/7/202'], ['32072026'], ['abc'], ['']])(
    '%s is not a date',
    (typed) => {
      expect(parseDate(typed)).toBeNull();
    },
  );
});

describe('money typed the ways people write it', () => {
  it.each<[string, number]>([
    ['1.234.567', 1234567],
    ['1234567', 1234567],
    ['1.234.567 đồng', 1234567],
    ['1.234.567đ', 1234567],
    ['1,5 triệu', 1500000],
    ['12 triệu', 12000000],
    ['12 triệu đồng', 12000000],
    ['12tr', 12000000],
    ['1,15 triệu', 1150000],
    ['1,5 tỷ', 1500000000],
    ['500 nghìn', 500000],
  ])('%s in a cell in đồng is %d', (typed, dong) => {
    expect(parseMoney(typed, 'dong')).toEqual({ ok: true, value: dong });
  });

  it.each<[string, number]>([
    ['12,5', 12.5],
    ['12 triệu', 12],
    ['1,5 triệu', 1.5],
    ['1,5 tỷ', 1500],
    ['2.500.000 đồng', 2.5],
  ])('%s in a cell in triệu đồng is %d', (typed, trieu) => {
    expect(parseMoney(typed, 'trieu_dong')).toEqual({ ok: true, value: trieu });
  });

  it('what is not an amount stays refused; empty is no value', () => {
    for (const bad of ['abc', 'triệu', 'mười triệu', '1,2,3 triệu', '12 t']) expect(parseMoney(bad).ok, bad).toBe(false);
    expect(parseMoney('')).toEqual({ ok: true, value: null });
  });
});
