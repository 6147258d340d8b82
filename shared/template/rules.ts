import type { Lang } from '../i18n.js';
import { fill, tx } from '../i18n.js';
import { formatDate, formatNumber, formatRate } from '../format.js';
import type { Period } from '../periods.js';
import { periodWindow } from '../periods.js';
import type { Column, Expr, FieldItem, Rule, Template } from './schema.js';
import type { Row, Values } from './model.js';
import { cellLabel, exprLeaves, findItem, getPath } from './model.js';
import { computeView, evaluate, num } from './compute.js';
import { textProblem } from '../text.js';
import type { UnitFacts } from './applies.js';
import { isApplicable, notApplicable } from './applies.js';
import { AttachmentRefSchema } from './schema.js';
import { DEFAULT_MAX_BYTES } from '../attachments.js';

export type Severity = 'error' | 'warning';
export interface Issue {
  /** Stable key of this finding; the key of its explanation in `explanations`. */
  id: string;
  severity: Severity;
  /**
   * The cell to fix (section.repeat.0.column, section.table.row.column, section.field), for every
   * check and every rule; a whole table (section.repeat) only when the rule is about the table itself.
   */
  path: string;
  /** The same cell (kept for callers that read `cell`). */
  cell: string;
  /** The table or repeat row the cell is in (section.table.row, section.repeat.0), when it is in one. */
  row?: string;
  section: string;
  message: string;
}
export interface ValidationResult {
  errors: Issue[];
  warnings: Issue[];
}
export interface ValidationContext {
  period: Period;
  unitType?: string; // xã, phường, đặc khu
  /** The computed view of the same unit's previous return, for the change rule. */
  previous?: Values;
  asOf?: Record<string, string>;
  lang?: Lang;
  /** computeView of the same values, when the caller has it already (the form computes it for display). */
  view?: Values;
  /** The explanations (giải trình), checked for characters that must not be saved. */
  explanations?: Record<string, string>;
  /**
   * The unit the return is of (type and the unit list's attributes): sections and items whose
   * appliesTo excludes it are neither required nor checked, and a rule reading them is skipped.
   * Absent (a preview, a file of no known unit): everything applies.
   */
  unit?: UnitFacts;
}

/** A long text's length limit when the template sets none. */
export const LONGTEXT_MAX = 4000;
/** A file cell's size limit when the template sets none (5 MB). */
export const FILE_MAX_BYTES = DEFAULT_MAX_BYTES;
/** The years a date cell accepts. */
export const DATE_YEARS: [number, number] = [1900, 2100];

const MSG = {
  required: { vi: '{cell}: chưa nhập. Hãy nhập giá trị cho ô này.', en: '{cell}: missing. Enter a value.' },
  not_a_number: { vi: '{cell}: "{value}" không phải là số. Hãy nhập một số, ví dụ 1.234 hoặc 12,5.', en: '{cell}: "{value}" is not a number. Enter a number such as 1,234 or 12.5.' },
  not_integer: { vi: '{cell}: phải là số nguyên (không có phần thập phân). Hãy nhập lại, ví dụ 12.', en: '{cell}: must be a whole number. Enter e.g. 12.' },
  negative: { vi: '{cell}: không được là số âm. Hãy nhập số từ 0 trở lên.', en: '{cell}: cannot be negative. Enter 0 or more.' },
  not_positive: { vi: '{cell}: phải lớn hơn {min}. Hãy nhập lại.', en: '{cell}: must be greater than {min}.' },
  below_min: { vi: '{cell}: phải từ {min} trở lên. Hãy nhập lại.', en: '{cell}: must be at least {min}.' },
  too_many_decimals: { vi: '{cell}: chỉ được tối đa {decimals} chữ số thập phân. Hãy làm tròn, ví dụ 12,25.', en: '{cell}: at most {decimals} decimals. Round it, e.g. 12.25.' },
  bad_option: { vi: '{cell}: "{value}" không có trong danh sách. Hãy chọn một trong: {options}.', en: '{cell}: "{value}" is not in the list. Choose one of: {options}.' },
  bad_boolean: { vi: '{cell}: hãy chọn Có hoặc Không.', en: '{cell}: choose Yes or No.' },
  too_long: { vi: '{cell}: dài quá {max} ký tự. Hãy viết ngắn lại.', en: '{cell}: longer than {max} characters. Shorten it.' },
  too_many_rows: { vi: '{cell}: nhiều nhất {max} dòng. Hãy bỏ bớt dòng.', en: '{cell}: at most {max} rows.' },
  bad_char: { vi: '{cell}: có {name} ({code}) không được phép trong báo cáo. Hãy xóa ký tự đó (hoặc gõ lại nội dung ô) rồi lưu lại.', en: '{cell}: contains {name} ({code}), which a report cannot hold. Delete it (or retype the cell) and save again.' },
  bad_char_explanation: { vi: 'Giải trình cho cảnh báo "{cell}": có {name} ({code}) không được phép trong báo cáo. Hãy xóa ký tự đó (hoặc gõ lại giải trình) rồi lưu lại.', en: 'Explanation of the warning "{cell}": contains {name} ({code}), which a report cannot hold. Delete it (or retype the explanation) and save again.' },
  bad_date: { vi: '{cell}: "{value}" không phải là một ngày có thật. Hãy nhập ngày theo dạng ngày/tháng/năm, ví dụ 31/12/2026.', en: '{cell}: "{value}" is not a real date. Enter it as day/month/year, e.g. 31/12/2026.' },
  date_year: { vi: '{cell}: năm {year} không hợp lý. Hãy nhập ngày từ năm {min} đến năm {max}, ví dụ 31/12/2026.', en: '{cell}: the year {year} is not plausible. Enter a date between {min} and {max}, e.g. 31/12/2026.' },
  money_not_number: { vi: '{cell}: "{value}" không phải là số tiền. Hãy nhập số tiền bằng {unit}, ví dụ {example}.', en: '{cell}: "{value}" is not an amount. Enter an amount in {unit}, e.g. {example}.' },
  money_negative: { vi: '{cell}: số tiền không được âm. Hãy nhập số tiền bằng {unit}, từ 0 trở lên.', en: '{cell}: an amount cannot be negative. Enter 0 or more, in {unit}.' },
  money_whole: { vi: '{cell}: số tiền tính bằng đồng phải là số nguyên (không có phần lẻ). Hãy nhập lại, ví dụ 1.500.000 đồng.', en: '{cell}: an amount in đồng must be a whole number. Enter e.g. 1,500,000 đồng.' },
  money_decimals: { vi: '{cell}: số tiền tính bằng triệu đồng chỉ được tối đa {decimals} chữ số thập phân. Hãy làm tròn, ví dụ 12,5 triệu đồng.', en: '{cell}: an amount in million đồng has at most {decimals} decimals. Round it, e.g. 12.5 million đồng.' },
  bad_file: { vi: '{cell}: tệp đính kèm không đọc được. Hãy đính kèm lại tệp (PDF, PNG hoặc JPEG).', en: '{cell}: the attachment cannot be read. Attach the file again (PDF, PNG or JPEG).' },
  file_type: { vi: '{cell}: tệp "{name}" không phải PDF, PNG hoặc JPEG. Hãy đính kèm bản quét dạng PDF hoặc ảnh.', en: '{cell}: the file "{name}" is not a PDF, PNG or JPEG. Attach a scan as PDF or an image.' },
  file_too_big: { vi: '{cell}: tệp "{name}" nặng {size} MB, quá mức cho phép {max} MB. Hãy quét lại với độ phân giải thấp hơn hoặc nén tệp rồi đính kèm lại.', en: '{cell}: the file "{name}" is {size} MB, over the {max} MB limit. Scan it at a lower resolution or compress it, then attach it again.' },
  as_of_outside: { vi: '{section}: ngày "số liệu tính đến" {date} nằm ngoài kỳ báo cáo ({start} – {end}). Hãy chọn một ngày trong kỳ.', en: '{section}: the as-of date {date} is outside the period ({start} – {end}). Choose a date within the period.' },
};

const MONEY_UNIT = {
  dong: { vi: 'đồng', en: 'đồng', example: { vi: '1.500.000', en: '1,500,000' } },
  trieu_dong: { vi: 'triệu đồng', en: 'million đồng', example: { vi: '12,5', en: '12.5' } },
};
/** Bytes as megabytes with at most one decimal, the Vietnamese way: 5242880 → "5", 7340032 → "7". */
export function megabytes(bytes: number, lang: Lang = 'vi'): string {
  const mb = Math.ceil((bytes / (1024 * 1024)) * 10) / 10;
  return lang === 'vi' ? formatNumber(mb, 1) : String(mb);
}

/** Check one input cell against its declared type. */
export function checkCell(
  spec: Pick<Column, 'type' | 'required' | 'min' | 'minExclusive' | 'decimals' | 'options' | 'maxLength' | 'moneyUnit' | 'maxBytes'>,
  value: unknown,
  lang: Lang,
): { key: keyof typeof MSG; params: Record<string, string | number> } | null {
  if (typeof value === 'string') {
    const bad = textProblem(value);
    if (bad) return { key: 'bad_char', params: { ...bad } };
  }
  const empty = value === null || value === undefined || value === '' || (Array.isArray(value) && value.length === 0);
  if (empty) return spec.required ? { key: 'required', params: {} } : null;
  switch (spec.type) {
    case 'integer':
    case 'decimal': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return { key: 'not_a_number', params: { value: String(value) } };
      if (spec.type === 'integer' && !Number.isInteger(value)) return { key: 'not_integer', params: {} };
      const min = spec.min ?? 0;
      if (spec.minExclusive && value <= min) return { key: 'not_positive', params: { min: formatNumber(min) } };
      if (value < min) return min === 0 ? { key: 'negative', params: {} } : { key: 'below_min', params: { min: String(min) } };
      if (spec.type === 'decimal') {
        const d = spec.decimals ?? 2;
        if (Math.abs(Math.round(value * 10 ** d) - value * 10 ** d) > 1e-6) return { key: 'too_many_decimals', params: { decimals: d } };
      }
      return null;
    }
    case 'boolean':
      return typeof value === 'boolean' ? null : { key: 'bad_boolean', params: {} };
    case 'enum':
    case 'multi': {
      const opts = spec.options ?? [];
      const list = spec.type === 'multi' ? (Array.isArray(value) ? value : [value]) : [value];
      const bad = list.find((v) => !opts.some((o) => o.value === v));
      if (bad !== undefined || (spec.type === 'enum' && Array.isArray(value)))
        return { key: 'bad_option', params: { value: String(bad ?? value), options: opts.map((o) => tx(o.label, lang)).join(', ') } };
      return null;
    }
    case 'text':
      if (typeof value !== 'string') return { key: 'not_a_number', params: { value: String(value) } };
      if (spec.maxLength && value.length > spec.maxLength) return { key: 'too_long', params: { max: spec.maxLength } };
      return null;
    case 'longtext': {
      if (typeof value !== 'string') return { key: 'not_a_number', params: { value: String(value) } };
      const max = spec.maxLength ?? LONGTEXT_MAX;
      return value.length > max ? { key: 'too_long', params: { max: formatNumber(max) } } : null;
    }
    case 'date': {
      const m = typeof value === 'string' ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(value) : null;
      const shown = typeof value === 'string' ? formatDate(value) : String(value);
      if (!m) return { key: 'bad_date', params: { value: shown } };
      const d = new Date(`${value as string}T00:00:00Z`);
      if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== value) return { key: 'bad_date', params: { value: shown } };
      const year = Number(m[1]);
      if (year < DATE_YEARS[0] || year > DATE_YEARS[1]) return { key: 'date_year', params: { year, min: DATE_YEARS[0], max: DATE_YEARS[1] } };
      return null;
    }
    case 'money': {
      const u = MONEY_UNIT[spec.moneyUnit ?? 'dong'];
      const unit = u[lang];
      if (typeof value !== 'number' || !Number.isFinite(value))
        return { key: 'money_not_number', params: { value: String(value), unit, example: `${u.example[lang]} ${unit}` } };
      if (value < (spec.min ?? 0)) return { key: 'money_negative', params: { unit } };
      if ((spec.moneyUnit ?? 'dong') === 'dong') return Number.isInteger(value) ? null : { key: 'money_whole', params: {} };
      const d = spec.decimals ?? 3;
      if (Math.abs(Math.round(value * 10 ** d) - value * 10 ** d) > 1e-6) return { key: 'money_decimals', params: { decimals: d } };
      return null;
    }
    case 'file': {
      const raw = value as { name?: unknown; mime?: unknown } | null;
      const name = typeof raw?.name === 'string' ? raw.name : '';
      const ref = AttachmentRefSchema.safeParse(value);
      if (!ref.success) {
        const onlyMime = typeof raw === 'object' && ref.error.issues.every((i) => i.path[0] === 'mime');
        return onlyMime && name ? { key: 'file_type', params: { name } } : { key: 'bad_file', params: {} };
      }
      const max = spec.maxBytes ?? FILE_MAX_BYTES;
      if (ref.data.size > max)
        return { key: 'file_too_big', params: { name: ref.data.name, size: megabytes(ref.data.size, lang), max: megabytes(max, lang) } };
      return null;
    }
    default:
      return null;
  }
}

function compare(a: number, op: string, b: number): boolean {
  const eps = 1e-9;
  switch (op) {
    case '<=': return a <= b + eps;
    case '<': return a < b - eps;
    case '=': return Math.abs(a - b) <= eps;
    case '>=': return a >= b - eps;
    case '>': return a > b + eps;
    default: return true;
  }
}

/** True when an expression reads at least one cell that is empty or not a number (the rule is then left to the type checks). */
function readsEmpty(e: Expr, view: Values, row?: Row): boolean {
  if (typeof e === 'number') return false;
  if ('ref' in e) return num(getPath(view, e.ref)) === null;
  if ('col' in e) return num(row?.[e.col]) === null;
  if ('sub' in e) return e.sub.some((x) => readsEmpty(x, view, row));
  if ('mul' in e) return e.mul.some((x) => readsEmpty(x, view, row));
  if ('div' in e) return e.div.some((x) => readsEmpty(x, view, row));
  return false; // sums, counts, max/min treat empty as 0 (omitted cells count as 0)
}

const UNIT_TYPES_EN: Record<string, string> = { xã: 'commune', phường: 'ward', 'đặc khu': 'special zone' };
/** The unit type as a word of the language: "phường" stays Vietnamese in Vietnamese, "ward" in English. */
export function unitTypeName(type: string, lang: Lang): string {
  return lang === 'en' ? (UNIT_TYPES_EN[type] ?? type) : type;
}

export function plateKey(s: string): string {
  return s.toUpperCase().replace(/[\s.-]/g, '');
}

/** Validate a return's values against its template: type checks from the template, then its rules. */
export function validate(t: Template, values: Values, ctx: ValidationContext): ValidationResult {
  const lang = ctx.lang ?? 'vi';
  const view = ctx.view ?? computeView(t, values, ctx.period.year);
  const errors: Issue[] = [];
  const warnings: Issue[] = [];
  /** Every issue names the cell to fix; `row` is the table or repeat row that cell is in, if any. */
  const push = (severity: Severity, id: string, cell: string, message: string, row?: string) =>
    (severity === 'error' ? errors : warnings).push({
      id, severity, path: cell, cell, ...(row ? { row } : {}), section: cell.split('.')[0]!, message,
    });
  const rowOf = (cell: string) => {
    const kind = findItem(t, cell)?.item.kind;
    return (kind === 'table' || kind === 'repeat') && cell.split('.').length >= 4 ? cell.split('.').slice(0, 3).join('.') : undefined;
  };
  const typeIssue = (path: string, spec: Parameters<typeof checkCell>[0], value: unknown) => {
    const bad = checkCell(spec, value, lang);
    if (bad) push('error', `cell:${path}`, path, fill(tx(MSG[bad.key], lang), { cell: cellLabel(t, path, lang), ...bad.params }), rowOf(path));
  };

  // Sections and items that do not apply to the unit: not required, not checked, their rules skipped.
  const skipped = notApplicable(t, ctx.unit);
  const applies = (path: string) => isApplicable(skipped, path);

  // 1. Types, required cells, row limits — all derived from the template.
  for (const s of t.sections) {
    if (!applies(s.key)) continue;
    const sv = values[s.key] ?? {};
    for (const item of s.items) {
      const base = `${s.key}.${item.key}`;
      if (!applies(base)) continue;
      if (item.kind === 'field') typeIssue(base, { ...item, min: item.min } as FieldItem, sv[item.key]);
      else if (item.kind === 'table') {
        const tv = (sv[item.key] ?? {}) as Record<string, Row | undefined>;
        for (const r of item.rows)
          for (const c of item.columns) if (!c.expr) typeIssue(`${base}.${r.key}.${c.key}`, c, tv[r.key]?.[c.key]);
      } else if (item.kind === 'repeat') {
        const rows = Array.isArray(sv[item.key]) ? (sv[item.key] as Row[]) : [];
        if (rows.length > item.maxRows)
          push('error', `cell:${base}`, base, fill(tx(MSG.too_many_rows, lang), { cell: cellLabel(t, base, lang), max: item.maxRows }));
        rows.forEach((row, i) => {
          for (const c of item.columns) if (!c.expr) typeIssue(`${base}.${i}.${c.key}`, c, row?.[c.key]);
        });
      }
    }
  }
  // As-of dates within the period's window.
  const win = periodWindow(ctx.period);
  for (const [sk, date] of Object.entries(ctx.asOf ?? {})) {
    const section = t.sections.find((s) => s.key === sk);
    if (section && applies(sk) && (date < win.start || date > win.end))
      push('error', `asof:${sk}`, sk, fill(tx(MSG.as_of_outside, lang), {
        section: `${section.code} ${tx(section.title, lang)}`, date: formatDate(date), start: formatDate(win.start), end: formatDate(win.end),
      }));
  }

  // 2. The template's rules.
  for (const rule of t.rules) if (ruleReads(rule).every(applies)) applyRule(rule);

  function applyRule(rule: Rule): void {
    const msg = tx(rule.message, lang);
    switch (rule.check) {
      case 'compare': {
        if (rule.forEachRow) {
          const [sk, ik] = rule.forEachRow.split('.') as [string, string];
          const item = t.sections.find((s) => s.key === sk)?.items.find((i) => i.key === ik);
          if (!item || (item.kind !== 'table' && item.kind !== 'repeat')) return;
          const keys = item.kind === 'table' ? item.rows.map((r) => r.key) : ((view[sk]![ik] as Row[]) ?? []).map((_, i) => String(i));
          const container = view[sk]![ik] as Record<string, Row> | Row[];
          for (const key of keys) {
            const row = (Array.isArray(container) ? container[Number(key)] : container[key]) ?? {};
            if (readsEmpty(rule.left, view, row) || readsEmpty(rule.right, view, row)) continue;
            const l = evaluate(rule.left, { view, row, periodYear: ctx.period.year });
            const r = evaluate(rule.right, { view, row, periodYear: ctx.period.year });
            if (typeof l !== 'number' || typeof r !== 'number' || compare(l, rule.op, r)) continue;
            const rowPath = `${rule.forEachRow}.${key}`;
            const rowName = item.kind === 'table'
              ? tx(item.rows.find((x) => x.key === key)!.label, lang)
              : `${tx(item.rowLabel, lang)} ${Number(key) + 1}`;
            const year = 'year' in (item.columns.find((c) => c.key === ruleCell(rule)) ?? {});
            const show = (v: number) => (year ? String(v) : formatNumber(v, 2));
            push(rule.severity, `${rule.id}:${item.kind === 'table' ? key : Number(key) + 1}`, `${rowPath}.${ruleCell(rule)}`,
              `${t.sections.find((s) => s.key === sk)!.code}, ` + fill(msg, { row: rowName, left: show(l), right: show(r) }), rowPath);
          }
        } else {
          if (readsEmpty(rule.left, view) || readsEmpty(rule.right, view)) return;
          const l = evaluate(rule.left, { view, periodYear: ctx.period.year });
          const r = evaluate(rule.right, { view, periodYear: ctx.period.year });
          if (typeof l !== 'number' || typeof r !== 'number' || compare(l, rule.op, r)) return;
          const cell = ruleCell(rule);
          const section = t.sections.find((s) => s.key === cell.split('.')[0])!;
          push(rule.severity, rule.id, cell, `${section.code}, ` + fill(msg, { left: formatNumber(l, 2), right: formatNumber(r, 2) }));
        }
        return;
      }
      case 'unique':
      case 'pattern': {
        const rows = (getPath(view, rule.table) as Row[] | undefined) ?? [];
        const [sk] = rule.table.split('.') as [string];
        const code = t.sections.find((s) => s.key === sk)!.code;
        const rowLabel = (() => {
          const f = t.sections.find((s) => s.key === sk)!.items.find((i) => `${sk}.${i.key}` === rule.table);
          return f && f.kind === 'repeat' ? tx(f.rowLabel, lang) : '';
        })();
        if (rule.check === 'unique') {
          const seen = new Map<string, number[]>();
          rows.forEach((r, i) => {
            const v = r?.[rule.column];
            if (typeof v === 'string' && v.trim()) seen.set(plateKey(v), [...(seen.get(plateKey(v)) ?? []), i]);
          });
          for (const [, idx] of seen)
            if (idx.length > 1) {
              const value = String(rows[idx[0]!]![rule.column]);
              for (const i of idx.slice(1))
                push(rule.severity, `${rule.id}:${i + 1}`, `${rule.table}.${i}.${rule.column}`,
                  `${code}, ` + fill(msg, { value, rows: idx.map((x) => x + 1).join(', ') }), `${rule.table}.${i}`);
            }
        } else {
          const re = new RegExp(rule.pattern);
          rows.forEach((r, i) => {
            const v = r?.[rule.column];
            if (typeof v === 'string' && v.trim() && !re.test(v.trim().toUpperCase()))
              push(rule.severity, `${rule.id}:${i + 1}`, `${rule.table}.${i}.${rule.column}`,
                `${code}, ` + fill(msg, { row: `${rowLabel} ${i + 1}`, value: v }), `${rule.table}.${i}`);
          });
        }
        return;
      }
      case 'rangeByUnitType': {
        const range = ctx.unitType ? rule.ranges[ctx.unitType] : undefined;
        const v = num(getPath(view, rule.target));
        if (!range || v === null || (v >= range[0] && v <= range[1])) return;
        const code = t.sections.find((s) => s.key === rule.target.split('.')[0])!.code;
        push(rule.severity, rule.id, rule.target, `${code}, ` + fill(msg, {
          value: formatNumber(v, 2), type: unitTypeName(ctx.unitType!, lang), min: formatNumber(range[0]), max: formatNumber(range[1]),
        }));
        return;
      }
      case 'changeFromPrevious': {
        if (!ctx.previous) return;
        for (const p of rule.paths) {
          if (!applies(p)) continue;
          const now = num(getPath(view, p));
          const before = num(getPath(ctx.previous, p));
          if (now === null || before === null || before === 0) continue;
          const change = (now - before) / before;
          if (Math.abs(change) <= rule.threshold) continue;
          push(rule.severity, `${rule.id}:${p}`, p, fill(msg, {
            label: cellLabel(t, p, lang), value: formatNumber(now, 2), previous: formatNumber(before, 2),
            change: `${change > 0 ? '+' : ''}${formatRate(change)}`,
          }));
        }
        return;
      }
    }
  }

  // 3. Explanations (giải trình): the same text rule as the cells; the issue sits at its warning's cell.
  for (const [id, text] of Object.entries(ctx.explanations ?? {})) {
    const bad = typeof text === 'string' ? textProblem(text) : null;
    if (!bad) continue;
    const w = warnings.find((x) => x.id === id);
    const cell = w?.cell ?? `explanations.${id}`;
    push('error', `explain:${id}`, cell, fill(tx(MSG.bad_char_explanation, lang), { cell: w ? cellLabel(t, w.cell, lang) : id, ...bad }), w?.row);
  }
  return { errors, warnings };
}

/**
 * The cell a rule is about (what a person must change): its `target` (a column of the row for a
 * rule on every row, a path otherwise); without one, the last input cell the rule reads.
 */
export function ruleCell(rule: Extract<Rule, { check: 'compare' }>): string {
  if (rule.target) return rule.target;
  const last = [...exprLeaves(rule.left), ...exprLeaves(rule.right)].at(-1);
  if (!last) return rule.id;
  return 'ref' in last ? last.ref : 'col' in last ? last.col : last.count;
}

/**
 * The paths a rule reads or names (cells, tables, rows): a rule any of which does not apply to the
 * unit is skipped. A changeFromPrevious rule lists none: each of its paths is skipped on its own.
 */
export function ruleReads(rule: Rule): string[] {
  const out: string[] = [];
  const walk = (e: Expr): void => {
    for (const leaf of exprLeaves(e)) {
      if ('ref' in leaf) out.push(leaf.ref);
      else if ('count' in leaf) out.push(leaf.count);
    }
  };
  switch (rule.check) {
    case 'compare':
      if (rule.forEachRow) out.push(rule.forEachRow);
      if (rule.target && !rule.forEachRow) out.push(rule.target);
      walk(rule.left);
      walk(rule.right);
      break;
    case 'unique':
    case 'pattern':
      out.push(rule.table);
      break;
    case 'rangeByUnitType':
      out.push(rule.target);
      break;
    case 'changeFromPrevious':
      break;
  }
  return out;
}

/** Warnings that still lack an explanation (giải trình). */
export function unexplained(warnings: Issue[], explanations: Record<string, string> | undefined): Issue[] {
  return warnings.filter((w) => !explanations?.[w.id]?.trim());
}

