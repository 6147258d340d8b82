/**
 * A sample return for any template (issue 8, `template sample`, previews): plausible values that
 * pass validate() for a unit and period, deterministic for a seed. Values are drawn by type (the
 * template says nothing more), then every rule the draw breaks is repaired by solving it for one
 * of the input cells it reads (a rule is, in practice, linear in each cell: a sum, a difference,
 * a comparison), a few rounds, until validate() finds nothing.
 *
 * Decisions: cells that do not apply to the unit stay empty; repeating tables get 1–3 rows; an
 * optional file cell stays empty and a required one gets SAMPLE_ATTACHMENT, the reference of a blank
 * one-page PDF whose bytes are SAMPLE_PDF (a caller that submits the sample stores them).
 */
import type { Lang } from '../i18n.js';
import { tx } from '../i18n.js';
import type { Period } from '../periods.js';
import { parsePeriod, periodWindow } from '../periods.js';
import type { UnitFacts } from './applies.js';
import { isApplicable, notApplicable } from './applies.js';
import { computeView, evaluate, fillComputedColumns, num } from './compute.js';
import type { Row, Values } from './model.js';
import { findItem, getPath } from './model.js';
import type { Issue } from './rules.js';
import { validate } from './rules.js';
import type { AttachmentRef, Column, Expr, Rule, Template } from './schema.js';

export interface SampleOptions {
  /** The unit the return is for (its type and attributes choose what applies); none: everything applies. */
  unit?: UnitFacts;
  /** A period code of one of the template's period types, e.g. 2026-Q2. */
  period: string;
  seed?: number;
}

/**
 * The file a required file cell gets in a sample: a one-page blank PDF (200 bytes, text only). A
 * caller that submits or packages the sample stores SAMPLE_PDF's bytes (latin-1) in the attachment store.
 */
export const SAMPLE_PDF =
  '%PDF-1.4\n1 0 obj <</Type/Catalog/Pages 2 0 R>> endobj\n2 0 obj <</Type/Pages/Kids[3 0 R]/Count 1>> endobj\n' +
  '3 0 obj <</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n';
/** The reference of SAMPLE_PDF (its size and sha256). */
export const SAMPLE_ATTACHMENT: AttachmentRef = {
  name: 'tep-dinh-kem-mau.pdf',
  size: 200,
  mime: 'application/pdf',
  sha256: '9e683023534cce34475688193922431cfc4992f1bfb1b914d82c7e176e863acb',
};

/** mulberry32: a tiny seeded PRNG, [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAMES = ['Nguyễn Văn An', 'Trần Thị Bình', 'Lê Minh Châu', 'Phạm Thu Hà', 'Hoàng Đức Long', 'Vũ Thị Mai', 'Đặng Quốc Hùng', 'Bùi Thanh Hương'];
const SENTENCES = [
  'Đơn vị đã triển khai đầy đủ các nhiệm vụ được giao trong kỳ, bảo đảm đúng tiến độ và chất lượng.',
  'Bộ phận một cửa tiếp nhận và trả kết quả đúng hạn, người dân đánh giá hài lòng.',
  'Còn khó khăn về trụ sở làm việc và trang thiết bị sau khi sắp xếp đơn vị hành chính.',
  'Đội ngũ cán bộ, công chức còn thiếu so với định biên, một số vị trí phải kiêm nhiệm.',
  'Đề nghị thành phố hỗ trợ kinh phí sửa chữa trụ sở và bổ sung biên chế công chức chuyên môn.',
  'Phần mềm dùng chung đôi khi gián đoạn, ảnh hưởng đến việc giải quyết hồ sơ trực tuyến.',
  'Đơn vị đã tổ chức tập huấn chuyển đổi số cho cán bộ thôn, tổ dân phố.',
  'Cách làm hay: phân công cán bộ hướng dẫn người cao tuổi nộp hồ sơ trực tuyến ngay tại bộ phận một cửa.',
];

type Rand = () => number;
const int = (r: Rand, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const round = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;
const pad = (n: number) => String(n).padStart(2, '0');

function addDays(iso: string, days: number): string {
  const d = new Date(`${iso}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

/** The smallest value a numeric cell accepts and its step. */
function numberSpec(c: Column): { low: number; step: number; integer: boolean } {
  const integer = c.type === 'integer' || (c.type === 'money' && (c.moneyUnit ?? 'dong') === 'dong');
  const decimals = c.type === 'decimal' ? (c.decimals ?? 2) : c.type === 'money' ? Math.min(c.decimals ?? 1, 3) : c.type === 'rate' ? 4 : 0;
  const step = integer ? 1 : 10 ** -decimals;
  const min = c.min ?? 0;
  return { low: c.minExclusive ? min + step : min, step, integer };
}

/** A plausible value of one input cell. `n`: the row number in a repeating table (texts differ). */
function draw(c: Column, r: Rand, p: Period, lang: Lang, n: number): unknown {
  switch (c.type) {
    case 'integer': {
      const { low } = numberSpec(c);
      if (c.year) return Math.max(low, p.year - int(r, 0, 20));
      return low + int(r, 0, 40);
    }
    case 'decimal':
    case 'rate': {
      const { low, step } = numberSpec(c);
      const d = Math.round(-Math.log10(step));
      return round(low + r() * (c.type === 'rate' ? 1 : 200), d) || low + step;
    }
    case 'money':
      return (c.moneyUnit ?? 'dong') === 'dong' ? int(r, 1, 500) * 100_000 : round(1 + r() * 500, Math.min(c.decimals ?? 1, 3));
    case 'boolean':
      return r() < 0.5;
    case 'enum':
      return c.options?.length ? pick(r, c.options).value : undefined;
    case 'multi': {
      const opts = c.options ?? [];
      const chosen = opts.filter(() => r() < 0.5).map((o) => o.value);
      return chosen.length ? chosen : opts.length ? [pick(r, opts).value] : undefined;
    }
    case 'date': {
      const win = periodWindow(p);
      const days = Math.round((Date.parse(win.end) - Date.parse(win.start)) / 86_400_000);
      return addDays(win.start, int(r, 0, days));
    }
    case 'longtext': {
      const k = int(r, 2, 3);
      const text = Array.from({ length: k }, () => pick(r, SENTENCES)).join(' ');
      return c.maxLength ? text.slice(0, c.maxLength).trim() : text;
    }
    case 'text':
      return cut(drawText(c, r, lang, n), c.maxLength);
    case 'file':
      return c.required ? { ...SAMPLE_ATTACHMENT } : undefined;
  }
}

function cut(s: string, max: number | undefined): string {
  return max && s.length > max ? s.slice(0, max).trim() : s;
}

/** A text: the placeholder with its digits drawn again (a plate "15A-012.34" stays a plate), a name, a phone, or the label numbered. */
function drawText(c: Column, r: Rand, lang: Lang, n: number): string {
  if (c.placeholder && /\d/.test(c.placeholder)) return c.placeholder.replace(/\d/g, () => String(int(r, 0, 9)));
  const label = tx(c.label, lang);
  if (/điện thoại|phone/i.test(label)) return `0225 3${int(r, 100, 999)} ${int(r, 100, 999)}`;
  if (/họ (và )?tên|người|thủ trưởng|chủ tịch|name of/i.test(label)) return pick(r, NAMES);
  return `${label.replace(/\s*\(.*\)\s*$/, '')} ${n + 1}`;
}

/** One settable input cell a rule reads. */
interface Var {
  get(): unknown;
  set(v: unknown): void;
  column: Column;
}

export function sampleReturn(t: Template, o: SampleOptions): Values {
  const p = parsePeriod(o.period);
  if (!p) throw new Error(`not a period: ${o.period}`);
  const r = mulberry32(o.seed ?? 1);
  const lang: Lang = 'vi';
  const skipped = notApplicable(t, o.unit);
  const values: Values = {};

  // 1. Draw every applicable input cell.
  for (const s of t.sections) {
    if (!isApplicable(skipped, s.key)) continue;
    const sv: Record<string, unknown> = {};
    for (const item of s.items) {
      if (!isApplicable(skipped, `${s.key}.${item.key}`)) continue;
      if (item.kind === 'field') {
        const v = draw(item, r, p, lang, 0);
        if (v !== undefined) sv[item.key] = v;
      } else if (item.kind === 'table') {
        const tv: Record<string, Row> = {};
        for (const row of item.rows) {
          const rv: Row = {};
          for (const c of item.columns) if (!c.expr) {
            const v = draw(c, r, p, lang, 0);
            if (v !== undefined) rv[c.key] = v;
          }
          tv[row.key] = rv;
        }
        sv[item.key] = tv;
      } else if (item.kind === 'repeat') {
        const rows: Row[] = [];
        const n = int(r, 1, Math.min(3, item.maxRows));
        for (let i = 0; i < n; i++) {
          const rv: Row = {};
          for (const c of item.columns) if (!c.expr) {
            const v = draw(c, r, p, lang, i);
            if (v !== undefined) rv[c.key] = v;
          }
          rows.push(rv);
        }
        sv[item.key] = rows;
      }
    }
    values[s.key] = sv;
  }

  // 2. Repair what the rules find, a few rounds.
  const check = () => validate(t, values, { period: p, unitType: o.unit?.type, unit: o.unit, lang });
  for (let round = 0; round < 40; round++) {
    const { errors, warnings } = check();
    const issues = [...errors, ...warnings];
    if (!issues.length) break;
    let changed = false;
    for (const issue of issues) if (repair(t, values, issue, p, r, o.unit?.type)) changed = true;
    if (!changed) break;
  }
  return values;
}

/** The rule an issue came from (its id is the rule's id, or the rule's id and the row). */
function ruleOf(t: Template, issue: Issue): Rule | undefined {
  return t.rules.find((x) => issue.id === x.id || issue.id.startsWith(`${x.id}:`));
}

function repair(t: Template, values: Values, issue: Issue, p: Period, r: Rand, unitType: string | undefined): boolean {
  const rule = ruleOf(t, issue);
  if (!rule) return false;
  switch (rule.check) {
    case 'compare':
      return solveCompare(t, values, rule, issue, p, r);
    case 'rangeByUnitType': {
      const v = cellVar(t, values, rule.target);
      const range = unitType ? rule.ranges[unitType] : undefined;
      if (!v || !range) return false;
      const { step } = numberSpec(v.column);
      v.set(snap(range[0] + r() * (range[1] - range[0]), step, range[0], range[1]));
      return true;
    }
    case 'unique':
    case 'pattern': {
      const v = cellVar(t, values, issue.path);
      if (!v || v.column.type !== 'text') return false;
      const rows = (getPath(values, rule.table) as Row[] | undefined) ?? [];
      const taken = new Set(rows.map((x) => String(x[rule.column] ?? '').toUpperCase()));
      for (let i = 0; i < 20; i++) {
        const s = cut(drawText(v.column, r, 'vi', int(r, 1, 99)), v.column.maxLength);
        if (taken.has(s.toUpperCase())) continue;
        if (rule.check === 'pattern' && !new RegExp(rule.pattern).test(s.toUpperCase())) continue;
        v.set(s);
        return true;
      }
      return false;
    }
    default:
      return false;
  }
}

function snap(x: number, step: number, lo: number, hi: number): number {
  const d = Math.max(0, Math.round(-Math.log10(step)));
  const v = round(Math.round(x / step) * step, d);
  return Math.min(hi, Math.max(lo, v));
}

/** The input cell at a path (section.field, section.table.row.column, section.repeat.i.column). */
function cellVar(t: Template, values: Values, path: string): Var | undefined {
  const found = findItem(t, path);
  if (!found) return undefined;
  const { section, item } = found;
  const parts = path.split('.');
  const sv = (values[section.key] ??= {});
  if (item.kind === 'field') return { column: item, get: () => sv[item.key], set: (v) => (sv[item.key] = v) };
  if (item.kind !== 'table' && item.kind !== 'repeat') return undefined;
  const column = item.columns.find((c) => c.key === parts[3]);
  if (!column || column.expr || parts[2] === undefined) return undefined;
  const container = sv[item.key] as Record<string, Row> | Row[] | undefined;
  const row = Array.isArray(container) ? container[Number(parts[2])] : container?.[parts[2]];
  if (!row) return undefined;
  return { column, get: () => row[column.key], set: (v) => (row[column.key] = v) };
}

/** The input cells an expression reads, through computed columns and computed items. */
function varsOf(t: Template, values: Values, e: Expr, row: Row | undefined, columns: Column[] | undefined, out: Var[], depth = 0): void {
  if (typeof e === 'number' || depth > 20) return;
  if ('col' in e) {
    const c = columns?.find((x) => x.key === e.col);
    if (!c || !row) return;
    if (c.expr) varsOf(t, values, c.expr, row, columns, out, depth + 1);
    else out.push({ column: c, get: () => row[c.key], set: (v) => (row[c.key] = v) });
  } else if ('ref' in e) {
    const found = findItem(t, e.ref);
    if (!found) return;
    const { item } = found;
    if (item.kind === 'computed') varsOf(t, values, item.expr, undefined, undefined, out, depth + 1);
    else if (item.kind === 'table') {
      const parts = e.ref.split('.');
      const c = item.columns.find((x) => x.key === parts[3]);
      const tv = values[found.section.key]?.[item.key] as Record<string, Row> | undefined;
      const rowOf = tv?.[parts[2] ?? ''];
      if (c?.expr && rowOf) varsOf(t, values, c.expr, rowOf, item.columns, out, depth + 1);
      else {
        const v = cellVar(t, values, e.ref);
        if (v) out.push(v);
      }
    } else {
      const v = cellVar(t, values, e.ref);
      if (v) out.push(v);
    }
  } else if ('sum' in e) e.sum.forEach((x) => varsOf(t, values, x, row, columns, out, depth + 1));
  else if ('sub' in e) e.sub.forEach((x) => varsOf(t, values, x, row, columns, out, depth + 1));
  else if ('mul' in e) e.mul.forEach((x) => varsOf(t, values, x, row, columns, out, depth + 1));
  else if ('div' in e) e.div.forEach((x) => varsOf(t, values, x, row, columns, out, depth + 1));
  else if ('max' in e) e.max.forEach((x) => varsOf(t, values, x, row, columns, out, depth + 1));
  else if ('min' in e) e.min.forEach((x) => varsOf(t, values, x, row, columns, out, depth + 1));
  else if ('band' in e) varsOf(t, values, e.band, row, columns, out, depth + 1);
}

/** Whether an expression reads only its row's cells (no reference to another item, no count). */
function rowLocal(e: Expr): boolean {
  if (typeof e === 'number') return true;
  if ('col' in e || 'periodYear' in e) return true;
  if ('sum' in e) return e.sum.every(rowLocal);
  if ('sub' in e) return e.sub.every(rowLocal);
  if ('mul' in e) return e.mul.every(rowLocal);
  if ('div' in e) return e.div.every(rowLocal);
  if ('max' in e) return e.max.every(rowLocal);
  if ('min' in e) return e.min.every(rowLocal);
  if ('band' in e) return rowLocal(e.band);
  return false;
}

/**
 * Make a failing comparison hold by changing one input cell it reads: the rule's target first,
 * then the others in reading order. The difference left − right is taken as linear in that cell
 * (measured at two values), solved, rounded to the cell's step, and kept only if the cell accepts it.
 */
function solveCompare(t: Template, values: Values, rule: Extract<Rule, { check: 'compare' }>, issue: Issue, p: Period, r: Rand): boolean {
  let row: Row | undefined;
  let columns: Column[] | undefined;
  if (rule.forEachRow) {
    const found = findItem(t, rule.forEachRow);
    if (!found || (found.item.kind !== 'table' && found.item.kind !== 'repeat')) return false;
    columns = found.item.columns;
    const key = issue.row?.split('.')[2] ?? issue.path.split('.')[2];
    const container = values[found.section.key]?.[found.item.key] as Record<string, Row> | Row[] | undefined;
    row = Array.isArray(container) ? container[Number(key)] : container?.[key ?? ''];
    if (!row) return false;
  }
  const vars: Var[] = [];
  const target = rule.forEachRow ? columns?.find((c) => c.key === rule.target) : undefined;
  if (target && row && !target.expr) {
    const rr = row;
    vars.push({ column: target, get: () => rr[target.key], set: (v) => (rr[target.key] = v) });
  } else if (!rule.forEachRow && rule.target) {
    const v = cellVar(t, values, rule.target);
    if (v) vars.push(v);
  }
  varsOf(t, values, rule.left, row, columns, vars);
  varsOf(t, values, rule.right, row, columns, vars);

  // A row rule whose expressions and computed columns read only the row: the row alone is computed,
  // not the whole return (issue 8, speed: the city's preview draws 114 samples).
  const rowOnly = !!row && !!columns && rowLocal(rule.left) && rowLocal(rule.right) && columns.every((c) => !c.expr || rowLocal(c.expr));
  const isTable = rowOnly && findItem(t, rule.forEachRow!)?.item.kind === 'table';
  const diff = (): number | null => {
    if (rowOnly) {
      const vrow = isTable ? fillComputedColumns(columns!, { ...row! }, {}, p.year) : { ...row! };
      const ctx = { view: {}, row: vrow, periodYear: p.year };
      const l = num(evaluate(rule.left, ctx));
      const rt = num(evaluate(rule.right, ctx));
      return l === null || rt === null ? null : l - rt;
    }
    const view = computeView(t, values, p.year);
    // The row of the view (computed columns filled) that matches the values' row.
    let vrow: Row | undefined;
    if (rule.forEachRow && row) {
      const found = findItem(t, rule.forEachRow)!;
      const vc = view[found.section.key]?.[found.item.key] as Record<string, Row> | Row[] | undefined;
      const key = issue.row?.split('.')[2] ?? issue.path.split('.')[2] ?? '';
      vrow = Array.isArray(vc) ? vc[Number(key)] : vc?.[key];
    }
    const ctx = { view, row: vrow, periodYear: p.year };
    const l = num(evaluate(rule.left, ctx));
    const rt = num(evaluate(rule.right, ctx));
    return l === null || rt === null ? null : l - rt;
  };
  const holds = (d: number) => {
    const eps = 1e-9;
    switch (rule.op) {
      case '<=': return d <= eps;
      case '<': return d < -eps;
      case '=': return Math.abs(d) <= eps;
      case '>=': return d >= -eps;
      case '>': return d > eps;
    }
  };
  for (const v of vars) {
    const before = v.get();
    const x0 = num(before);
    if (x0 === null || !['integer', 'decimal', 'money'].includes(v.column.type)) continue;
    const f0 = diff();
    if (f0 === null) return false;
    if (holds(f0)) return true;
    v.set(x0 + 1);
    const f1 = diff();
    v.set(before);
    if (f1 === null) continue;
    const slope = f1 - f0;
    if (Math.abs(slope) < 1e-12) continue;
    const { low, step } = numberSpec(v.column);
    const exact = x0 - f0 / slope;
    // Which side of `exact` the cell must be on: f = f0 + slope (x - x0).
    const wantBelowDiff = rule.op === '<=' || rule.op === '<';
    const cellBelow = wantBelowDiff === slope > 0; // true: x ≤ exact
    const strict = rule.op === '<' || rule.op === '>';
    let x: number;
    if (rule.op === '=') x = Math.round(exact / step) * step;
    else if (cellBelow) {
      const hi = Math.floor((exact - (strict ? step : 0)) / step + 1e-9) * step;
      x = hi >= low ? low + Math.floor(r() * ((hi - low) / step + 1)) * step : hi;
    } else x = Math.ceil((exact + (strict ? step : 0)) / step - 1e-9) * step;
    x = round(x, Math.max(0, Math.round(-Math.log10(step))));
    if (x < low || (v.column.year && x > p.year)) continue;
    v.set(x);
    const f = diff();
    if (f !== null && holds(f)) return true;
    v.set(before);
  }
  return false;
}
