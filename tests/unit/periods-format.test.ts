import { describe, expect, it } from 'vitest';
import {
  defaultPeriods, formatDate, formatNumber, formatRate, isLate, matchesQuery, parseDate, parseNumber, parsePeriod,
  periodDeadline, periodLabel, periodWindow,
} from '../../shared/index.js';

describe('periods (Nghị định 09/2019)', () => {
  it('parses the four notations and nothing else', () => {
    expect(parsePeriod('2026-M05')).toMatchObject({ type: 'month', year: 2026, index: 5 });
    expect(parsePeriod('2026-Q2')).toMatchObject({ type: 'quarter', index: 2 });
    expect(parsePeriod('2026-H1')).toMatchObject({ type: 'half', index: 1 });
    expect(parsePeriod('2026')).toMatchObject({ type: 'year' });
    for (const bad of ['2026-Q5', '2026-M13', '2026-M5', '26-Q1', '2026-H3', '']) expect(parsePeriod(bad), bad).toBeNull();
  });

  it('has the cut-off windows of the decree', () => {
    expect(periodWindow(parsePeriod('2026-M05')!)).toEqual({ start: '2026-04-15', end: '2026-05-14' });
    expect(periodWindow(parsePeriod('2026-M01')!)).toEqual({ start: '2025-12-15', end: '2026-01-14' });
    expect(periodWindow(parsePeriod('2026-Q1')!)).toEqual({ start: '2025-12-15', end: '2026-03-14' });
    expect(periodWindow(parsePeriod('2026-Q2')!)).toEqual({ start: '2026-03-15', end: '2026-06-14' });
    expect(periodWindow(parsePeriod('2026-H1')!)).toEqual({ start: '2025-12-15', end: '2026-06-14' });
    expect(periodWindow(parsePeriod('2026')!)).toEqual({ start: '2025-12-15', end: '2026-12-14' });
  });

  it('has the deadline on day 20 of the last month, and lateness in Vietnam time', () => {
    expect(periodDeadline(parsePeriod('2026-Q2')!, 20)).toBe('2026-06-20');
    expect(periodDeadline(parsePeriod('2026')!, 20)).toBe('2026-12-20');
    expect(isLate('2026-06-20T16:59:00Z', '2026-06-20')).toBe(false); // 23:59 on the 20th in Hải Phòng
    expect(isLate('2026-06-20T17:01:00Z', '2026-06-20')).toBe(true); // 00:01 on the 21st
  });

  it('labels periods in Vietnamese', () => {
    expect(periodLabel('2026-Q2')).toBe('Quý II/2026');
    expect(periodLabel('2026-M05')).toBe('Tháng 5/2026');
    expect(periodLabel('2026-H1')).toBe('6 tháng đầu năm 2026');
    expect(periodLabel('2026')).toBe('Năm 2026');
    expect(periodLabel('2026-Q4', 'en')).toBe('Q4 2026');
  });

  it('offers the quarters of the current and previous year, newest first', () => {
    expect(defaultPeriods(['quarter'], '2026-11-21').map((p) => p.code)).toEqual([
      '2026-Q4', '2026-Q3', '2026-Q2', '2026-Q1', '2025-Q4', '2025-Q3', '2025-Q2', '2025-Q1',
    ]);
  });
});

describe('Vietnamese numbers and dates', () => {
  it('formats numbers, rates and dates', () => {
    expect(formatNumber(1234567)).toBe('1.234.567');
    expect(formatNumber(12.5)).toBe('12,5');
    expect(formatNumber(0)).toBe('0');
    expect(formatNumber(null)).toBe('');
    expect(formatRate(0.97853)).toBe('97,85%');
    expect(formatRate(1)).toBe('100%');
    expect(formatDate('2026-06-14')).toBe('14/06/2026');
  });

  it('reads numbers typed the Vietnamese way', () => {
    expect(parseNumber('1.234.567')).toEqual({ ok: true, value: 1234567 });
    expect(parseNumber('12,5')).toEqual({ ok: true, value: 12.5 });
    expect(parseNumber('1.234,75')).toEqual({ ok: true, value: 1234.75 });
    expect(parseNumber(' 42 ')).toEqual({ ok: true, value: 42 });
    expect(parseNumber('3.2')).toEqual({ ok: true, value: 3.2 });
    expect(parseNumber('-3')).toEqual({ ok: true, value: -3 });
    expect(parseNumber('')).toEqual({ ok: true, value: null });
    for (const bad of ['abc', '1,2,3', '12a', '1.23.4', '--1']) expect(parseNumber(bad).ok, bad).toBe(false);
  });

  it('reads dates as dd/mm/yyyy and refuses impossible ones', () => {
    expect(parseDate('14/6/2026')).toBe('2026-06-14');
    expect(parseDate('31/02/2026')).toBeNull();
    expect(parseDate('2026-06-14')).toBe('2026-06-14');
  });

  it('searches unit names without accents', () => {
    expect(matchesQuery('Phường Hồng Bàng', 'hong bang')).toBe(true);
    expect(matchesQuery('Đặc khu Bạch Long Vĩ', 'dac khu bach long')).toBe(true);
    expect(matchesQuery('Phường Hồng An', 'hong bang')).toBe(false);
  });
});
