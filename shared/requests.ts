/**
 * Requests (yêu cầu báo cáo, issue 9): what the city asks, of whom, by when, through which
 * department. A request is data, like a template: one schema, pure functions for its deadline
 * wording, time left, addressee line and addressed units. Its editions are signed by the city
 * (core/requests/sign.ts) and travel as a file or through the intake.
 *
 * The return a request asks for is keyed like any return: (unit, period, template). The period is
 * the request's reporting period (2026-H1) or its as-of date (2026-06-20, a 'day' period). At most
 * one open request covers a (template, period) for a unit, so a return belongs to one request.
 */
import { z } from 'zod';
import { formatDate } from './format.js';
import type { Lang } from './i18n.js';
import { parsePeriod, periodLabel, periodWindow } from './periods.js';
import type { Unit } from './contract.js';

const IsoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

/** Has a letter or a digit: a text of spaces or invisible characters (U+200B…) is empty to a reader. */
export const hasVisibleText = (s: string): boolean => /[\p{L}\p{N}]/u.test(s);
/** A trimmed text a person must fill in, of at most `max` characters, with something visible in it. */
export const visibleText = (max: number) =>
  z.string().trim().min(1).max(max).refine(hasVisibleText, { message: 'không có chữ hay số nào. Hãy điền nội dung' });

/** "trong ngày 24/6" includes the 24th; "trước ngày 27/6" ends on the 26th (DOMAIN.md). */
export const DueWordingSchema = z.enum(['trong', 'truoc']);
export type DueWording = z.infer<typeof DueWordingSchema>;

/** Whom a request addresses: every unit, units of some types, a list of codes, or by a unit-list attribute. */
export const AddresseesSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('all') }).strict(),
  z.object({ kind: z.literal('types'), types: z.array(z.string().min(1).max(40)).min(1).max(10) }).strict(),
  z.object({ kind: z.literal('units'), codes: z.array(z.string().regex(/^\d{5}$/)).min(1).max(5000) }).strict(),
  z
    .object({ kind: z.literal('attribute'), attribute: z.string().min(1).max(60), values: z.array(z.string().max(200)).min(1).max(50) })
    .strict(),
]);
export type Addressees = z.infer<typeof AddresseesSchema>;

/** The reference document the request implements: "Công văn số 1234/UBND-NVKTGS ngày 10/6/2026 về …". */
export const RequestRefSchema = z
  .object({
    /** Số hiệu: "1234/UBND-NVKTGS". */
    number: visibleText(120),
    /** Ngày ban hành. */
    date: IsoDate,
    /** Trích yếu. */
    summary: visibleText(1000),
  })
  .strict();
export type RequestRef = z.infer<typeof RequestRefSchema>;

/** What the city fills in to create a request (and, changed, to amend it). */
export const RequestInputSchema = z
  .object({
    template: z.string().min(1).max(60),
    templateVersion: z.number().int().positive(),
    ref: RequestRefSchema,
    /** A short title shown in lists: "Rà soát, sắp xếp trụ sở, tài sản công". */
    title: visibleText(300),
    addressees: AddresseesSchema,
    /** The reporting period (2026-H1) or the as-of date (2026-06-20). */
    period: z.string().min(4).max(10),
    /** The data window (thời gian chốt số liệu) when the request sets one; else the period's own. */
    window: z.object({ start: IsoDate, end: IsoDate }).strict().optional(),
    due: IsoDate,
    dueWording: DueWordingSchema,
    /** The consolidating department: "Sở Nội vụ". */
    department: visibleText(200),
    /** Whom the answer is addressed to; default "UBND thành phố". */
    recipient: z.string().trim().min(1).max(200).optional(),
    /** A short instruction (hướng dẫn) shown to the office. */
    instruction: z.string().max(4000).optional(),
  })
  .strict();
export type RequestInput = z.infer<typeof RequestInputSchema>;

export const RequestStateSchema = z.enum(['open', 'withdrawn']);

/**
 * One edition of a request, exactly as signed. Edition 1 is the request as published; a later
 * edition (a later deadline, more units, withdrawal) replaces it for everyone who receives it.
 */
export const RequestEditionSchema = RequestInputSchema.extend({
  /** Stable across editions: "YC-2026-0007". */
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/),
  edition: z.number().int().positive(),
  state: RequestStateSchema,
  /** The addressed unit codes, resolved from `addressees` with the city's unit list when signed. */
  units: z.array(z.string().regex(/^\d{5}$/)).max(5000),
  /** The unit list version the codes were resolved with. */
  unitListVersion: z.string().max(200),
  /** When this edition was issued (ISO timestamp, the city's clock). */
  issuedAt: z.string().min(10).max(40),
  /** Who issued it at the city (user name), when known. */
  issuedBy: z.string().max(200).optional(),
  /** What this edition changed, in the city's words ("Gia hạn đến 30/6/2026"). */
  note: z.string().max(1000).optional(),
}).strict();
export type RequestEdition = z.infer<typeof RequestEditionSchema>;

/** The standing reports that repeat without a request (resources/requests/standing.json). */
export const StandingScheduleSchema = z
  .object({
    template: z.string().min(1),
    /** Which of the template's period types repeat: quarter. */
    periodType: z.enum(['month', 'quarter', 'half', 'year']),
    department: z.string().min(1),
    recipient: z.string().optional(),
    /** The basis shown on the office's list: "Nghị định 09/2019/NĐ-CP". */
    basis: z.string().optional(),
  })
  .strict();
export type StandingSchedule = z.infer<typeof StandingScheduleSchema>;

export const DEFAULT_RECIPIENT = 'UBND thành phố';

/** The last day a return is on time, ISO: the due day itself ("trong ngày") or the day before ("trước ngày"). */
export function lastDay(due: string, wording: DueWording): string {
  if (wording === 'trong') return due;
  const [y, m, d] = due.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d - 1)).toISOString().slice(0, 10);
}

/** "chậm nhất trong ngày 24/6/2026" / "chậm nhất trước ngày 27/6/2026", as the letter wrote it. */
export function deadlineText(due: string, wording: DueWording, lang: Lang = 'vi'): string {
  const [y, m, d] = due.split('-').map(Number);
  if (lang === 'en') return wording === 'trong' ? `by the end of ${d}/${m}/${y}` : `before ${d}/${m}/${y}`;
  return `chậm nhất ${wording === 'trong' ? 'trong' : 'trước'} ngày ${d}/${m}/${y}`;
}

/** Whole days from `today` to `day` (both ISO dates); negative when `day` has passed. */
export function daysBetween(today: string, day: string): number {
  const t = (s: string) => {
    const [y, m, d] = s.split('-').map(Number) as [number, number, number];
    return Date.UTC(y, m - 1, d);
  };
  return Math.round((t(day) - t(today)) / 86_400_000);
}

/** "còn 3 ngày", "hạn hôm nay", "quá hạn 2 ngày": the time left to a last day, seen on `today`. */
export function timeLeft(last: string, today: string, lang: Lang = 'vi'): { days: number; text: string; tone: 'ok' | 'soon' | 'today' | 'overdue' } {
  const days = daysBetween(today, last);
  if (lang === 'en') {
    if (days > 0) return { days, text: `${days} day${days === 1 ? '' : 's'} left`, tone: days <= 3 ? 'soon' : 'ok' };
    if (days === 0) return { days, text: 'due today', tone: 'today' };
    return { days, text: `${-days} day${days === -1 ? '' : 's'} overdue`, tone: 'overdue' };
  }
  if (days > 0) return { days, text: `còn ${days} ngày`, tone: days <= 3 ? 'soon' : 'ok' };
  if (days === 0) return { days, text: 'hạn hôm nay', tone: 'today' };
  return { days, text: `quá hạn ${-days} ngày`, tone: 'overdue' };
}

/** "Kính gửi: UBND thành phố (qua Sở Tài chính)". */
export function addresseeLine(r: { recipient?: string; department: string }, lang: Lang = 'vi'): string {
  const to = r.recipient?.trim() || DEFAULT_RECIPIENT;
  return lang === 'en' ? `To: ${to} (through ${r.department})` : `Kính gửi: ${to} (qua ${r.department})`;
}

/** "Công văn số 1234/UBND-NVKTGS ngày 10/06/2026". */
export function refLine(ref: RequestRef): string {
  return `Số ${ref.number} ngày ${formatDate(ref.date)}`;
}

/** The data window of a request: its own, else its period's. */
export function requestWindow(r: Pick<RequestInput, 'period' | 'window'>): { start: string; end: string } | null {
  if (r.window) return r.window;
  const p = parsePeriod(r.period);
  return p ? periodWindow(p) : null;
}

/** What the request's period reads as: "6 tháng đầu năm 2026", "Đến ngày 20/6/2026". */
export function requestPeriodLabel(r: Pick<RequestInput, 'period'>, lang: Lang = 'vi'): string {
  return periodLabel(r.period, lang);
}

const fold = (s: string) => s.normalize('NFC').trim().toLocaleLowerCase('vi');

/** The codes of the units a request addresses, from a unit list (in the list's order). */
export function resolveAddressees(a: Addressees, units: readonly Unit[]): string[] {
  if (a.kind === 'all') return units.map((u) => u.code);
  if (a.kind === 'types') {
    const types = new Set(a.types.map(fold));
    return units.filter((u) => types.has(fold(u.type))).map((u) => u.code);
  }
  if (a.kind === 'units') {
    const codes = new Set(a.codes);
    return units.filter((u) => codes.has(u.code)).map((u) => u.code);
  }
  const values = new Set(a.values.map(fold));
  return units.filter((u) => values.has(fold(u.attributes?.[a.attribute] ?? ''))).map((u) => u.code);
}

/** Whether an edition addresses a unit (by the codes it was signed with). */
export function isAddressed(r: Pick<RequestEdition, 'units'>, unitCode: string): boolean {
  return r.units.includes(unitCode);
}

/** Same department, whatever the spacing or case: "Sở Nội vụ" = "sở nội vụ ". */
export function sameDepartment(a: string | null | undefined, b: string | null | undefined): boolean {
  return !!a && !!b && fold(a).replace(/\s+/g, ' ') === fold(b).replace(/\s+/g, ' ');
}

/** Departments offered when a request is created or a user added (free text is allowed). */
export const KNOWN_DEPARTMENTS = [
  'Sở Nội vụ',
  'Sở Tài chính',
  'Sở Tư pháp',
  'Sở Xây dựng',
  'Sở Nông nghiệp và Môi trường',
  'Sở Công Thương',
  'Sở Giáo dục và Đào tạo',
  'Sở Y tế',
  'Sở Văn hóa, Thể thao và Du lịch',
  'Sở Khoa học và Công nghệ',
  'Sở Dân tộc và Tôn giáo',
  'Văn phòng UBND thành phố',
  'Thanh tra thành phố',
] as const;
