/** Vietnamese number and date formats: 1.234.567 · 12,5 · 97,85% · 14/06/2026. */

const intFmt = new Intl.NumberFormat('vi-VN', { maximumFractionDigits: 0 });
const decFmts = new Map<number, Intl.NumberFormat>();

export function formatNumber(v: number | null | undefined, maxDecimals = 2): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '';
  if (maxDecimals === 0) return intFmt.format(v);
  let f = decFmts.get(maxDecimals);
  if (!f) {
    f = new Intl.NumberFormat('vi-VN', { maximumFractionDigits: maxDecimals });
    decFmts.set(maxDecimals, f);
  }
  return f.format(v);
}

/** A fraction as a Vietnamese percentage with two decimals: 0.9785 → "97,85%". */
export function formatRate(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '';
  return `${formatNumber(Math.round(v * 10000) / 100, 2)}%`;
}

export type ParsedNumber = { ok: true; value: number | null } | { ok: false; reason: 'not_a_number' };

/**
 * Parse a number typed the Vietnamese way. "1.234.567" → 1234567, "12,5" → 12.5,
 * "1.234,5" → 1234.5. A lone dot that is not a thousands separator ("3.2") is read as a
 * decimal point, since people also type that. Empty text is null.
 */
export function parseNumber(text: string): ParsedNumber {
  const s = text.replace(/[\s\u00a0]/g, '');
  if (s === '') return { ok: true, value: null };
  let normal: string;
  if (/^[+-]?\d{1,3}(\.\d{3})+(,\d+)?$/.test(s)) normal = s.replace(/\./g, '').replace(',', '.');
  else if (/^[+-]?\d+(,\d+)?$/.test(s)) normal = s.replace(',', '.');
  else if (/^[+-]?\d*\.\d+$/.test(s) || /^[+-]?\d+\.?$/.test(s)) normal = s;
  else return { ok: false, reason: 'not_a_number' };
  const value = Number(normal);
  return Number.isFinite(value) ? { ok: true, value } : { ok: false, reason: 'not_a_number' };
}

/** ISO date (YYYY-MM-DD) → dd/mm/yyyy. */
export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '';
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso);
  return m ? `${m[3]}/${m[2]}/${m[1]}` : iso;
}

/** ISO timestamp → "dd/mm/yyyy HH:mm" in the given time zone (default Asia/Ho_Chi_Minh). */
export function formatDateTime(iso: string | null | undefined, timeZone = 'Asia/Ho_Chi_Minh'): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false,
  }).formatToParts(d);
  const g = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return `${g('day')}/${g('month')}/${g('year')} ${g('hour')}:${g('minute')}`;
}

/**
 * A date as a person types it → ISO, or null when it is not a real date. Day first, as in Vietnam:
 * 1/7/2026, 01-07-2026, 1.7.26, 1 7 2026, 01072026 (ddmmyyyy) or 010726, "ngày 1 tháng 7 năm 2026";
 * also 2026-07-01 and 2026/7/1. A two-digit year is in this century (26 → 2026).
 */
export function parseDate(text: string): string | null {
  const s = text.replace(/\u00a0/g, ' ').trim().toLowerCase();
  let m = /^ngày\s*(\d{1,2})\s*tháng\s*(\d{1,2})\s*năm\s*(\d{4})$/.exec(s);
  if (!m) m = /^(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4}|\d{2})$/.exec(s) ?? /^(\d{1,2}) +(\d{1,2}) +(\d{4}|\d{2})$/.exec(s);
  if (!m) m = /^(\d{2})(\d{2})(\d{4}|\d{2})$/.exec(s);
  if (m) {
    const y = m[3]!.length === 2 ? `20${m[3]}` : m[3]!;
    const iso = `${y}-${m[2]!.padStart(2, '0')}-${m[1]!.padStart(2, '0')}`;
    return isValidIso(iso) ? iso : null;
  }
  const iso = /^(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})$/.exec(s);
  if (!iso) return null;
  const v = `${iso[1]}-${iso[2]!.padStart(2, '0')}-${iso[3]!.padStart(2, '0')}`;
  return isValidIso(v) ? v : null;
}

function isValidIso(iso: string): boolean {
  const d = new Date(`${iso}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === iso;
}

/** An amount of money with its unit: 1500000 → "1.500.000 đồng"; 12.5 in triệu đồng → "12,5 triệu đồng". */
export function formatMoney(v: number | null | undefined, unit: 'dong' | 'trieu_dong' = 'dong', decimals = 3): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '';
  return unit === 'trieu_dong' ? `${formatNumber(v, decimals)} triệu đồng` : `${formatNumber(v, 0)} đồng`;
}

/** Words a person adds after an amount, and what each multiplies by (in đồng). */
const MONEY_WORDS: [RegExp, number][] = [
  [/(tỷ|tỉ|ty)\s*(đồng|dong|đ)?$/, 1e9],
  [/(triệu|trieu|tr)\s*(đồng|dong|đ)?$/, 1e6],
  [/(nghìn|ngàn|nghin|ngan|k)\s*(đồng|dong|đ)?$/, 1e3],
  [/(đồng|dong|vnđ|vnd|đ)$/, 1],
];

/**
 * An amount typed the way people write money, in the cell's unit: "1.234.567", "1234567",
 * "1.234.567 đồng", "12 triệu", "1,5 tỷ", "500 nghìn". A number with no word is in the cell's unit;
 * a number with a word is converted (12 triệu is 12.000.000 in a cell in đồng, 12 in triệu đồng).
 */
export function parseMoney(text: string, unit: 'dong' | 'trieu_dong' = 'dong'): ParsedNumber {
  const s = text.replace(/\u00a0/g, ' ').trim().toLowerCase().normalize('NFC');
  for (const [word, mult] of MONEY_WORDS) {
    const m = word.exec(s);
    if (!m) continue;
    const n = parseNumber(s.slice(0, m.index));
    if (!n.ok || n.value === null) return { ok: false, reason: 'not_a_number' };
    const dong = n.value * mult;
    const value = unit === 'trieu_dong' ? dong / 1e6 : dong;
    // 1,15 × 1.000.000 is 1149999.9999999998 in binary: round away what only the arithmetic added.
    return { ok: true, value: Math.round(value * 1e6) / 1e6 };
  }
  return parseNumber(s);
}
