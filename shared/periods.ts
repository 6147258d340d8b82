import dayjs from 'dayjs';
import type { Lang } from './i18n.js';

/**
 * Reporting periods (Nghị định 09/2019/NĐ-CP): 2026-M05, 2026-Q2, 2026-H1, 2026; and the as-of
 * date of an ad hoc request (issue 9): 2026-06-20, "số liệu tính đến ngày 20/6/2026".
 */
export type PeriodType = 'month' | 'quarter' | 'half' | 'year' | 'day';
export interface Period {
  code: string;
  type: PeriodType;
  year: number;
  index: number; // month 1–12, quarter 1–4, half 1–2, year 1; day: the day of the year (1–366)
}

const ROMAN = ['I', 'II', 'III', 'IV'];

export function parsePeriod(code: string): Period | null {
  let m = /^(\d{4})-M(0[1-9]|1[0-2])$/.exec(code);
  if (m) return { code, type: 'month', year: +m[1]!, index: +m[2]! };
  m = /^(\d{4})-Q([1-4])$/.exec(code);
  if (m) return { code, type: 'quarter', year: +m[1]!, index: +m[2]! };
  m = /^(\d{4})-H([12])$/.exec(code);
  if (m) return { code, type: 'half', year: +m[1]!, index: +m[2]! };
  m = /^(\d{4})$/.exec(code);
  if (m) return { code, type: 'year', year: +m[1]!, index: 1 };
  m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(code);
  if (m) {
    const t = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!);
    const d = new Date(t);
    if (d.getUTCFullYear() !== +m[1]! || d.getUTCMonth() !== +m[2]! - 1 || d.getUTCDate() !== +m[3]!) return null;
    return { code, type: 'day', year: +m[1]!, index: Math.round((t - Date.UTC(+m[1]!, 0, 1)) / 86_400_000) + 1 };
  }
  return null;
}

export function periodCode(type: PeriodType, year: number, index: number): string {
  if (type === 'day') return new Date(Date.UTC(year, 0, index)).toISOString().slice(0, 10);
  if (type === 'month') return `${year}-M${String(index).padStart(2, '0')}`;
  if (type === 'quarter') return `${year}-Q${index}`;
  if (type === 'half') return `${year}-H${index}`;
  return `${year}`;
}

/** The last month (1–12) of a period. */
function lastMonth(p: Period): number {
  if (p.type === 'month') return p.index;
  if (p.type === 'quarter') return p.index * 3;
  if (p.type === 'half') return p.index * 6;
  return 12;
}

const iso = (d: dayjs.Dayjs) => d.format('YYYY-MM-DD');

/** The data cut-off window (thời gian chốt số liệu), both ends included, as ISO dates. */
export function periodWindow(p: Period): { start: string; end: string } {
  // An as-of date: the data stand on that day (a request may give its own window, shared/requests.ts).
  if (p.type === 'day') return { start: p.code, end: p.code };
  const endMonth = lastMonth(p);
  const end = dayjs(new Date(Date.UTC(p.year, endMonth - 1, 14)));
  let firstMonth: number;
  if (p.type === 'month') firstMonth = p.index;
  else if (p.type === 'quarter') firstMonth = p.index * 3 - 2;
  else if (p.type === 'half') firstMonth = p.index === 1 ? 1 : 7;
  else firstMonth = 1;
  // 15th of the month before the first month (for H1 and the year: 15/12 of the previous year)
  const start = dayjs(new Date(Date.UTC(p.year, firstMonth - 2, 15)));
  return { start: iso(start), end: iso(end) };
}

/** Submission deadline: day `deadlineDay` of the period's last month. */
export function periodDeadline(p: Period, deadlineDay: number): string {
  // An as-of date has no standing deadline: its request gives one (shared/requests.ts lastDay).
  if (p.type === 'day') return p.code;
  return iso(dayjs(new Date(Date.UTC(p.year, lastMonth(p) - 1, deadlineDay))));
}

export function periodLabel(p: Period | string, lang: Lang = 'vi'): string {
  const q = typeof p === 'string' ? parsePeriod(p) : p;
  if (!q) return String(p);
  if (q.type === 'day') {
    const [y, mo, d] = q.code.split('-').map(Number);
    return lang === 'en' ? `As of ${d}/${mo}/${y}` : `Đến ngày ${d}/${mo}/${y}`;
  }
  if (lang === 'en') {
    if (q.type === 'month') return `Month ${q.index}/${q.year}`;
    if (q.type === 'quarter') return `Q${q.index} ${q.year}`;
    if (q.type === 'half') return `${q.index === 1 ? 'First' : 'Second'} half of ${q.year}`;
    return `Year ${q.year}`;
  }
  if (q.type === 'month') return `Tháng ${q.index}/${q.year}`;
  if (q.type === 'quarter') return `Quý ${ROMAN[q.index - 1]}/${q.year}`;
  if (q.type === 'half') return `6 tháng ${q.index === 1 ? 'đầu' : 'cuối'} năm ${q.year}`;
  return `Năm ${q.year}`;
}

/** The periods offered by default: every period of the template's types in the current and previous year, newest first. */
export function defaultPeriods(types: PeriodType[], todayIso: string): Period[] {
  const year = +todayIso.slice(0, 4);
  const out: Period[] = [];
  for (const y of [year, year - 1])
    for (const type of types) {
      const n = type === 'month' ? 12 : type === 'quarter' ? 4 : type === 'half' ? 2 : 1;
      for (let i = n; i >= 1; i--) out.push(parsePeriod(periodCode(type, y, i))!);
    }
  return out.sort((a, b) => (periodWindow(b).end < periodWindow(a).end ? -1 : 1));
}

export function isLate(submittedAtIso: string, deadlineIso: string): boolean {
  // The deadline day is included, in Vietnam's time (UTC+7).
  const local = dayjs(new Date(new Date(submittedAtIso).getTime() + 7 * 3600_000)).toISOString().slice(0, 10);
  return local > deadlineIso;
}

/**
 * Whether a unit whose first period is `first` (set by the city in the unit list) reports for `p`:
 * every period that does not end before the first one starts; every period when it has none.
 * The one rule for the commune's periods list and the city's completeness.
 */
export function reportsFor(first: string | null | undefined, p: Period | string): boolean {
  const f = first ? parsePeriod(first) : null;
  const q = typeof p === 'string' ? parsePeriod(p) : p;
  return !f || !q || periodWindow(q).end >= periodWindow(f).start;
}

/**
 * Whether a template of these period types can be filed for `p`: a period of one of its types, or
 * an as-of date (an ad hoc request may ask any template "as of" a day, shared/requests.ts).
 */
export function periodAllowed(types: readonly string[], p: Period): boolean {
  return p.type === 'day' || types.includes(p.type);
}
