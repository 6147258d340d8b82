import type { Unit } from './contract.js';
import { AppError } from './errors.js';
import { parsePeriod } from './periods.js';
import type { CompareOp, ConsolidationAggregate, ConsolidationGroup, Item, Section, TableItem, Template } from './template/schema.js';
import { hasApplicability, isApplicable, notApplicable } from './template/applies.js';
import type { Lang } from './i18n.js';
import { tx } from './i18n.js';
import type { Row, Values } from './template/model.js';
import { findItem, getPath, pathGetter } from './template/model.js';
import { computeView, fillComputedColumns, num } from './template/compute.js';

/**
 * The city's consolidation (Biểu tổng hợp) of one period: completeness over the expected units,
 * and the figures the template declares in its `consolidation` (see ConsolidationAggregate in
 * template/schema.ts), summed over the submitted returns. Pure: the caller (core) picks the
 * current revision of each unit and passes its input values and review state.
 */

import type { ReviewState, StateCounts, UnitState } from './unit-state.js';
import { countUnit, zeroCounts } from './unit-state.js';
export type { ReviewState, UnitState } from './unit-state.js';

export interface ConsolidationReturn {
  unit: string;
  /**
   * Input values of the revision whose figures count (shared/unit-state countedRevision); null when
   * every revision was returned: the unit counts as submitted (and returned) but adds no figures.
   */
  values: Values | null;
  /** The review of the current revision. */
  state: ReviewState;
  submittedAt: string;
  late: boolean;
  /**
   * The template version `values` were submitted on, when it is not the one consolidated (versions
   * mixed in a period): its items common with the consolidated version count, the others are left out.
   */
  template?: Template;
}

export interface ConsolidationInput {
  period: string;
  /** The expected units: the unit list the consolidation is made for. */
  units: Unit[];
  returns: ConsolidationReturn[];
}

/** One narrative answer of a `texts` aggregate: the unit and what it wrote. */
export interface TextAnswer {
  code: string;
  name: string;
  type: string;
  text: string;
}

/**
 * A tree of figures: numbers (null where a rate has a zero denominator), keyed as the template declares.
 * A `stats` figure names the units holding its minimum and maximum (unit codes, strings); a `texts`
 * figure holds the answers by unit code (read them in the unit list's order with textAnswers).
 */
export type Figures = { [key: string]: number | string | null | Figures };

/** What a `texts` aggregate gives: `n` units answered of the `of` units it applies to; the answers by unit code. */
export interface TextsFigure {
  n: number;
  of: number;
  answers: Record<string, string>;
}

/** The narrative answers of a `texts` figure, by unit in the unit list's order (empty answers left out). */
export function textAnswers(c: Pick<Consolidation, 'rows'>, figure: unknown): TextAnswer[] {
  const answers = (figure as Partial<TextsFigure> | null | undefined)?.answers;
  if (!answers || typeof answers !== 'object') return [];
  return c.rows.flatMap((r) => (typeof answers[r.code] === 'string' ? [{ code: r.code, name: r.name, type: r.type, text: answers[r.code]! }] : []));
}

/** What a `countWhere` aggregate gives: the units meeting the condition, of how many units it applies to. */
export interface CountWhereFigure {
  count: number;
  of: number;
  by_type?: Record<string, { count: number; of: number }>;
}

/** One row of a `stats` aggregate: over the `n` units with a value of the `of` units it applies to. */
export interface StatsRow {
  n: number;
  of: number;
  min: number | null;
  max: number | null;
  avg: number | null;
  /** Codes of the units holding the minimum and the maximum (the first in the unit list's order on a tie). */
  min_unit: string | null;
  max_unit: string | null;
}
export type StatsFigure = StatsRow & { by_type?: Record<string, StatsRow> };

/** The state counts (one definition: shared/unit-state.ts). */
export type Completeness = StateCounts;

export type UnitFigures = Completeness & {
  /** Submitted units by type (see consolidate). */
  by_type: Record<string, number>;
  /** Completeness of each unit type, over the expected units of that type. */
  completeness_by_type: Record<string, Completeness>;
  /**
   * Only for a template with appliesTo: for each aggregate (by its figure path), the number of units
   * whose figures count and to which the item applies (what its counts are "of").
   */
  applicable?: Record<string, number>;
  /**
   * Only when the period mixes template versions: for each aggregate (by its figure path) whose item
   * some counted units' versions do not have, how many counted units answered it and the first
   * version that has it ("trên N đơn vị nộp theo phiên bản 2").
   */
  versioned?: Record<string, VersionedFigure>;
} & Figures;

/** An aggregate over the units whose version has its item (see UnitFigures.versioned). */
export interface VersionedFigure {
  n: number;
  since: number;
  [k: string]: number;
}

export interface ConsolidationRow {
  code: string;
  name: string;
  type: string;
  state: UnitState;
  late: boolean | null;
  submittedAt: string | null;
  /** This unit's figures, the same tree as the totals (one-hot counts for distributions); null when missing. */
  figures: Figures | null;
  /** The template version of the revision whose figures count (of the current one when none counts); null when missing. */
  templateVersion: number | null;
}

export interface Consolidation {
  template: string;
  templateVersion: number;
  period: string;
  units: UnitFigures;
  /** One row per expected unit, in the unit list's order; the totals are the blocks themselves. */
  rows: ConsolidationRow[];
  /** Codes of returns for units that are not in the expected list (left out of every figure). */
  unlisted: string[];
  /** The template's other declared blocks: one per top-level group of its consolidation declaration. */
  [block: string]: Figures | UnitFigures | ConsolidationRow[] | string[] | string | number;
}

/** The unit types of the commune level, in the order the city reports them; other types in a list follow. */
export const UNIT_TYPES = ['xã', 'phường', 'đặc khu'] as const;

export function unitTypes(units: Unit[]): string[] {
  const out: string[] = [...UNIT_TYPES];
  for (const u of units) if (!out.includes(u.type)) out.push(u.type);
  return out;
}

export function consolidate(t: Template, input: ConsolidationInput): Consolidation {
  const period = parsePeriod(input.period);
  if (!period)
    throw new AppError('invalid_input', `Kỳ báo cáo "${input.period}" không hợp lệ. Hãy chọn một kỳ, ví dụ 2026-Q2.`);
  const declared = compileConsolidation(t);

  const expected = new Set(input.units.map((u) => u.code));
  const byUnit = new Map<string, ConsolidationReturn>();
  const unlisted: string[] = [];
  for (const r of input.returns) {
    if (byUnit.has(r.unit))
      throw new AppError('invalid_input', `Có hai báo cáo của đơn vị ${r.unit} trong cùng kỳ. Hãy chỉ chọn bản hiện hành của mỗi đơn vị.`);
    byUnit.set(r.unit, r);
    if (!expected.has(r.unit)) unlisted.push(r.unit);
  }

  const types = unitTypes(input.units);
  const all = zeroCounts();
  const perType: Record<string, Completeness> = Object.fromEntries(types.map((k) => [k, zeroCounts()]));
  const rows: ConsolidationRow[] = [];
  const counted: Counted[] = [];

  for (const unit of input.units) {
    const r = byUnit.get(unit.code);
    for (const c of [all, perType[unit.type]!]) countUnit(c, r ? r.state : 'missing', r ? r.late : null);
    if (!r) {
      rows.push({ ...pickUnit(unit), state: 'missing', late: null, submittedAt: null, figures: null, templateVersion: null });
      continue;
    }
    const own = r.template ?? t;
    if (!r.values) {
      // Submitted and returned, no revision whose figures count: see returnedWithoutFigures.
      rows.push({ ...pickUnit(unit), state: r.state, late: r.late, submittedAt: r.submittedAt, figures: null, templateVersion: own.version });
      continue;
    }
    // Per-unit computed cells (computed fields and columns, bands, table totals) come from computeView,
    // with the unit's own version; the items that version does not have are left out like items that do not apply.
    const skip = notApplicable(t, unit);
    const lacks = new Set(own.version !== t.version ? missingIn(t, own) : []);
    for (const path of lacks) skip.add(path);
    const one: Counted = { unit, view: computeView(own, r.values, period.year), skip, version: own.version, lacks };
    counted.push(one);
    rows.push({
      ...pickUnit(unit),
      state: r.state,
      late: r.late,
      submittedAt: r.submittedAt,
      figures: declared([one], types, period.year, true),
      templateVersion: own.version,
    });
  }

  const totals = declared(counted, types, period.year, false);
  const { units: declaredUnits, ...blocks } = totals;
  // by_type counts the units whose figures are counted, by type, so that it describes the same units as every other
  // figure of the consolidation (every declared sum, count and distribution is over the submitted
  // returns) and a count by option and unit type adds up to it. The expected units per type are in completeness_by_type.
  // A returned unit without a revision that counts is submitted but adds no figures: not in by_type.
  const byType = Object.fromEntries(types.map((k) => [k, counted.filter((x) => x.unit.type === k).length]));
  const versioned: Record<string, VersionedFigure> = {};
  if (counted.some((x) => x.version !== t.version))
    for (const a of declaredAggregates(t)) {
      const has = counted.filter((x) => !x.lacks.has(itemKey(a.source)));
      if (has.length === counted.length) continue;
      const answered = has.filter((x) => isApplicable(x.skip, a.source));
      versioned[a.figure] = { n: answered.length, since: Math.min(t.version, ...has.map((x) => x.version)) };
    }
  const units = {
    ...all,
    by_type: byType,
    completeness_by_type: perType,
    ...(isFigures(declaredUnits) ? declaredUnits : {}),
    ...(Object.keys(versioned).length ? { versioned } : {}),
    ...(hasApplicability(t)
      ? {
          applicable: Object.fromEntries(
            declaredAggregates(t).map((a) => [a.figure, counted.filter((x) => isApplicable(x.skip, a.source)).length]),
          ),
        }
      : {}),
  } as UnitFigures;
  return {
    template: t.id,
    templateVersion: t.version,
    period: period.code,
    units,
    ...blocks,
    rows,
    unlisted,
  } as Consolidation;
}

/**
 * The expected units counted as submitted and returned whose figures are left out (every revision
 * returned): named on the summary, on screen and in the workbook (shared/unit-state.ts).
 */
export function returnedWithoutFigures(c: Pick<Consolidation, 'rows'>): ConsolidationRow[] {
  return c.rows.filter((r) => r.state === 'returned' && r.figures === null);
}

/** The expected units whose figures come from an older version of the template than the one consolidated. */
export function olderVersionRows(c: Pick<Consolidation, 'rows' | 'templateVersion'>): ConsolidationRow[] {
  return c.rows.filter((r) => r.templateVersion !== null && r.templateVersion !== undefined && r.templateVersion < c.templateVersion);
}

/** What a figure over the units of newer versions is over: "trên 2 đơn vị nộp theo phiên bản 2". */
export function versionedNote(v: Pick<VersionedFigure, 'n' | 'since'>, latest: number): string {
  return `trên ${v.n} đơn vị nộp theo phiên bản ${v.since}${v.since < latest ? ' trở về sau' : ''}`;
}

/**
 * The sentence (summary, screen and workbook) naming the units whose figures come from an older
 * version, or '' when every unit reported on the consolidated one.
 */
export function olderVersionsNote(c: Pick<Consolidation, 'rows' | 'templateVersion'>): string {
  const older = olderVersionRows(c);
  if (!older.length) return '';
  const byVersion = new Map<number, string[]>();
  for (const r of older) byVersion.set(r.templateVersion!, [...(byVersion.get(r.templateVersion!) ?? []), r.name]);
  const lists = [...byVersion.entries()].sort((a, b) => a[0] - b[0]).map(([v, names]) => `(phiên bản ${v}): ${names.join(', ')}`);
  return (
    `${older.length} đơn vị nộp theo phiên bản cũ hơn ${lists.join('; ')}. ` +
    `Số liệu của các chỉ tiêu có ở cả hai phiên bản được cộng cho mọi đơn vị; chỉ tiêu chỉ có ở phiên bản ${c.templateVersion} ` +
    `được tính trên các đơn vị đã nộp theo phiên bản này (ghi rõ số đơn vị bên cạnh chỉ tiêu).`
  );
}

/** "section.item" of a path. */
function itemKey(path: string): string {
  return path.split('.').slice(0, 2).join('.');
}

/**
 * The items ("section.item") of template `t` that an older (or other) version `own` does not have,
 * or has as another kind or value type: its values for them are not counted as t's.
 */
function missingIn(t: Template, own: Template): string[] {
  const out: string[] = [];
  for (const s of t.sections)
    for (const it of s.items) {
      const o = own.sections.find((x) => x.key === s.key)?.items.find((x) => x.key === it.key);
      const type = (x: Item) => ('type' in x ? x.type : undefined);
      if (!o || o.kind !== it.kind || type(o) !== type(it)) out.push(`${s.key}.${it.key}`);
    }
  return out;
}

function pickUnit(u: Unit): Pick<ConsolidationRow, 'code' | 'name' | 'type'> {
  return { code: u.code, name: u.name, type: u.type };
}

function isFigures(v: unknown): v is Figures {
  return !!v && typeof v === 'object';
}

/** A number at a path of a tree of figures (e.g. "<block>.<name>_distribution.>5"), for the workbook and tests. */
export function figureAt(c: Consolidation | Figures, path: string): number | null {
  const v = getPath(c, path);
  return typeof v === 'number' ? v : null;
}

// ---------------------------------------------------------------------------------------------
// The engine: the template's declaration compiled once into functions over the counted units.

interface Counted {
  unit: Unit;
  view: Values;
  /** The sections and items that do not apply to this unit (shared/template/applies.ts), or that its version does not have. */
  skip: Set<string>;
  /** The template version of its values, and the items of the consolidated version it does not have. */
  version: number;
  lacks: Set<string>;
}

interface EvalState {
  counted: Counted[];
  /** A row of one unit (ConsolidationRow.figures): an item that does not apply to it gives null. */
  perUnit: boolean;
  types: string[];
  periodYear: number;
  /** Summed tables of this evaluation, by path (several aggregates read the same one). */
  tables: Map<string, Record<string, Row>>;
}

type Node = (s: EvalState) => number | null | Figures;

/**
 * Sum decimals without float noise (0.1 + 0.2 = 0.3), as compute does. Large sums (money in đồng:
 * hundreds of billions) keep 15 significant digits, since x × 10¹⁰ would pass 2⁵³.
 */
function clean(x: number): number {
  return Math.abs(x) < 1e5 ? Math.round(x * 1e10) / 1e10 : Number(x.toPrecision(15));
}

/** The kinds of aggregate, in the order of schema.ts. */
export const AGGREGATE_KINDS = ['sum', 'fromSums', 'countRows', 'countBy', 'distribution', 'countTrue', 'countWhere', 'stats', 'texts'] as const;
export type AggregateKind = (typeof AGGREGATE_KINDS)[number];

/** The kind of an aggregate of the declaration, or undefined for a group. */
export function aggregateKind(x: ConsolidationAggregate | ConsolidationGroup): AggregateKind | undefined {
  return AGGREGATE_KINDS.find((k) => typeof (x as Record<string, unknown>)[k] === 'string');
}

const isAggregate = (x: ConsolidationAggregate | ConsolidationGroup): x is ConsolidationAggregate => aggregateKind(x) !== undefined;

/** An aggregate of a template's declaration, with what it reads (for the screen and the workbook). */
export interface DeclaredAggregate {
  /** Path of its figure in the Consolidation ("<group>.<key>"). */
  figure: string;
  /** The declaration's group path ("" at the top) and key. */
  group: string;
  key: string;
  kind: AggregateKind;
  spec: ConsolidationAggregate;
  /** The template path it reads (section.item[.row[.column]]). */
  source: string;
  item: Item;
  section: Section;
}

/** Every aggregate of a template's consolidation declaration, in its order (those naming no item are left out). */
export function declaredAggregates(t: Template): DeclaredAggregate[] {
  const out: DeclaredAggregate[] = [];
  const walk = (g: ConsolidationGroup, at: string) => {
    for (const [key, spec] of Object.entries(g)) {
      const figure = at ? `${at}.${key}` : key;
      const kind = aggregateKind(spec);
      if (!kind) {
        walk(spec as ConsolidationGroup, figure);
        continue;
      }
      const source = (spec as Record<string, unknown>)[kind] as string;
      const found = findItem(t, source);
      if (found) out.push({ figure, group: at, key, kind, spec: spec as ConsolidationAggregate, source, item: found.item, section: found.section });
    }
  };
  walk(t.consolidation ?? {}, '');
  return out;
}

/** The label of an aggregate: its own `label`, else the label of the item (the table row and column) it reads. */
export function aggregateLabel(t: Template, a: Pick<DeclaredAggregate, 'spec' | 'source' | 'item'>, lang: Lang = 'vi'): string {
  if (a.spec.label) return tx(a.spec.label, lang);
  const item = a.item;
  if (item.kind !== 'table') return tx(item.label, lang);
  const [, , row, col] = a.source.split('.');
  const rowLabel = row === undefined ? '' : item.totalRow?.key === row ? tx(item.totalRow.label, lang) : tx(item.rows.find((r) => r.key === row)?.label, lang);
  const colLabel = col === undefined ? '' : tx(item.columns.find((c) => c.key === col)?.label, lang);
  return [tx(item.label, lang), rowLabel, colLabel].filter(Boolean).join(' — ');
}

/** The unit of an amount of money ("đồng", "triệu đồng"), or '' for another item. */
export function moneyUnitLabel(item: { type?: string; moneyUnit?: string }, lang: Lang = 'vi'): string {
  if (item.type !== 'money') return '';
  if (item.moneyUnit === 'trieu_dong') return lang === 'en' ? 'million VND' : 'triệu đồng';
  return lang === 'en' ? 'VND' : 'đồng';
}

/**
 * The name of a bucket of a distribution: its declared `bucketLabels` ("Đủ định mức", "Thiếu 1 xe"),
 * else the value ("2") or "Trên 5" for ">5".
 */
export function bucketName(spec: { buckets: string[]; bucketLabels?: { vi: string; en?: string }[] }, bucket: string, lang: Lang = 'vi'): string {
  const k = spec.buckets.indexOf(bucket);
  const own = k >= 0 ? spec.bucketLabels?.[k] : undefined;
  if (own) return tx(own, lang);
  return bucket.startsWith('>') ? `${lang === 'en' ? 'More than' : 'Trên'} ${bucket.slice(1)}` : bucket;
}

/** Whether a unit's value meets a countWhere condition (a multiple choice: "=" holds when it includes the value). */
export function meetsCondition(v: unknown, op: CompareOp, value: number | string | boolean): boolean {
  if (v === null || v === undefined || v === '') return false;
  if (Array.isArray(v)) {
    if (op !== '=' && op !== '!=') return false;
    return v.includes(value) === (op === '=');
  }
  if (typeof v !== typeof value) return false;
  if (typeof v === 'boolean') return op === '=' ? v === value : op === '!=' ? v !== value : false;
  const a = v as number | string;
  const b = value as number | string;
  switch (op) {
    case '=':
      return a === b;
    case '!=':
      return a !== b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
  }
}

/**
 * Compile the template's consolidation declaration. Throws (a packaging bug, like parseTemplate)
 * with every problem listed when it names something the template does not have.
 */
function compileConsolidation(t: Template): (counted: Counted[], types: string[], periodYear: number, perUnit: boolean) => Figures {
  const problems: string[] = [];
  const root = compileGroup(t, t.consolidation ?? {}, '', problems);
  if (problems.length)
    throw new Error(`Template ${t.id} v${t.version}: the consolidation declaration is inconsistent:\n` + problems.join('\n'));
  return (counted, types, periodYear, perUnit) => root({ counted, perUnit, types, periodYear, tables: new Map() }) as Figures;
}

/** The problems of a template's consolidation declaration (empty when it is consistent). */
export function checkConsolidation(t: Template): string[] {
  const problems: string[] = [];
  compileGroup(t, t.consolidation ?? {}, '', problems);
  return problems;
}

function compileGroup(t: Template, group: ConsolidationGroup, at: string, problems: string[]): Node {
  const children = Object.entries(group).map(([key, spec]) => {
    const where = at ? `${at}.${key}` : key;
    return [key, isAggregate(spec) ? compileAggregate(t, spec, where, problems) : compileGroup(t, spec, where, problems)] as const;
  });
  return (s) => {
    const out: Figures = {};
    for (const [key, node] of children) out[key] = node(s);
    return out;
  };
}

/**
 * An aggregate over the units it applies to (appliesTo of its section and item, with the unit's type
 * and attributes): the others are not counted; on a row of one unit to which it does not apply, null.
 */
function compileAggregate(t: Template, spec: ConsolidationAggregate, where: string, problems: string[]): Node {
  const inner = compileAggregateOver(t, spec, where, problems);
  const kind = aggregateKind(spec)!;
  const source = (spec as Record<string, unknown>)[kind] as string;
  return (s) => {
    const counted = s.counted.filter((c) => isApplicable(c.skip, source));
    if (counted.length === s.counted.length) return inner(s);
    if (s.perUnit) return null;
    return inner({ ...s, counted });
  };
}

function compileAggregateOver(t: Template, spec: ConsolidationAggregate, where: string, problems: string[]): Node {
  const fail = (msg: string): Node => {
    problems.push(`${where}: ${msg}`);
    return () => null;
  };
  const path = 'sum' in spec ? spec.sum : 'fromSums' in spec ? spec.fromSums : 'countRows' in spec ? spec.countRows
    : 'countBy' in spec ? spec.countBy : 'distribution' in spec ? spec.distribution : 'countTrue' in spec ? spec.countTrue
    : 'countWhere' in spec ? spec.countWhere : 'stats' in spec ? spec.stats : spec.texts;
  const found = findItem(t, path);
  if (!found) return fail(`unknown item ${path}`);
  const item = found.item;
  const parts = path.split('.');
  const get = pathGetter(path);
  const value = (c: Counted) => get(c.view);

  if ('sum' in spec) {
    if (item.kind === 'table') return compileTableSum(item, parts, spec, fail);
    if (parts.length !== 2 || !isScalar(item, ['integer', 'decimal', 'money'])) return fail(`${path} is not a number to sum`);
    return (s) => s.counted.reduce((a, c) => clean(a + (num(value(c)) ?? 0)), 0);
  }
  if ('fromSums' in spec) {
    if (item.kind !== 'table' || parts.length !== 4) return fail(`${path} is not a table cell`);
    const col = item.columns.find((c) => c.key === parts[3]);
    if (!col?.expr) return fail(`${path} is not a computed column`);
    if (!tableRowKeys(item).includes(parts[2]!)) return fail(`${path}: unknown row ${parts[2]}`);
    return (s) => num(summedTable(item, parts.slice(0, 2).join('.'), s)[parts[2]!]![col.key]);
  }
  if ('countRows' in spec) {
    if (item.kind !== 'repeat' || parts.length !== 2) return fail(`${path} is not a repeating table`);
    return (s) => s.counted.reduce((a, c) => a + (Array.isArray(value(c)) ? (value(c) as unknown[]).length : 0), 0);
  }
  if ('countBy' in spec) {
    if (parts.length !== 2 || !isScalar(item, ['enum']) || !('options' in item) || !item.options?.length)
      return fail(`${path} is not a choice with options`);
    const options = item.options.map((o) => o.value);
    const count = (list: Counted[]) => {
      const out: Record<string, number> = Object.fromEntries(options.map((o) => [o, 0]));
      for (const c of list) {
        const v = value(c);
        if (typeof v === 'string' && v in out) out[v]!++;
      }
      return out;
    };
    if (!spec.byUnitType) return (s) => count(s.counted);
    return (s) => Object.fromEntries(s.types.map((ty) => [ty, count(s.counted.filter((c) => c.unit.type === ty))]));
  }
  if ('distribution' in spec) {
    if (parts.length !== 2 || !isScalar(item, ['integer'])) return fail(`${path} is not an integer`);
    if (spec.bucketLabels && spec.bucketLabels.length !== spec.buckets.length)
      return fail(`${spec.bucketLabels.length} bucket labels for ${spec.buckets.length} buckets`);
    const buckets = spec.buckets.map((b) => ({ key: b, above: b.startsWith('>'), n: Number(b.replace('>', '')) }));
    // A value that falls in no bucket (e.g. a zero that validation refuses) is not counted.
    return (s) => {
      const out: Record<string, number> = Object.fromEntries(buckets.map((b) => [b.key, 0]));
      for (const c of s.counted) {
        const v = num(value(c));
        if (v === null) continue;
        const b = buckets.find((x) => (x.above ? v > x.n : v === x.n));
        if (b) out[b.key]!++;
      }
      return out;
    };
  }
  if ('countWhere' in spec) {
    if (parts.length !== 2 || (item.kind !== 'field' && item.kind !== 'computed') || item.type === 'file' || item.type === 'longtext')
      return fail(`${path} is not a field to count units by`);
    const { op, value: target } = spec;
    const numeric = ['integer', 'decimal', 'money', 'rate'].includes(item.type);
    if (numeric !== (typeof target === 'number')) return fail(`${path}: the value ${JSON.stringify(target)} is not of the field's type`);
    if (typeof target === 'boolean' && op !== '=' && op !== '!=') return fail(`${path}: a yes/no is compared with = or != only`);
    const count = (list: Counted[]) => ({ count: list.filter((c) => meetsCondition(value(c), op, target)).length, of: list.length });
    if (!spec.byUnitType) return (s) => count(s.counted);
    return (s) => ({
      ...count(s.counted),
      by_type: Object.fromEntries(s.types.map((ty) => [ty, count(s.counted.filter((c) => c.unit.type === ty))])),
    });
  }
  if ('stats' in spec) {
    if (parts.length !== 2 || !isScalar(item, ['integer', 'decimal', 'money', 'rate'])) return fail(`${path} is not a number`);
    const stats = (list: Counted[]): StatsRow => {
      const out: StatsRow = { n: 0, of: list.length, min: null, max: null, avg: null, min_unit: null, max_unit: null };
      let sum = 0;
      for (const c of list) {
        const v = num(value(c));
        if (v === null) continue;
        out.n++;
        sum += v;
        if (out.min === null || v < out.min) [out.min, out.min_unit] = [v, c.unit.code];
        if (out.max === null || v > out.max) [out.max, out.max_unit] = [v, c.unit.code];
      }
      if (out.n) out.avg = clean(sum / out.n);
      return out;
    };
    if (!spec.byUnitType) return (s) => ({ ...stats(s.counted) }) as unknown as Figures;
    return (s) =>
      ({
        ...stats(s.counted),
        by_type: Object.fromEntries(s.types.map((ty) => [ty, stats(s.counted.filter((c) => c.unit.type === ty))])),
      }) as unknown as Figures;
  }
  if ('texts' in spec) {
    if (parts.length !== 2 || !isScalar(item, ['text', 'longtext'])) return fail(`${path} is not a text to list`);
    return (s) => {
      const answers: Record<string, string> = {};
      for (const c of s.counted) {
        const v = value(c);
        if (typeof v === 'string' && v.trim()) answers[c.unit.code] = v.trim();
      }
      return { n: Object.keys(answers).length, of: s.counted.length, answers } satisfies TextsFigure as unknown as Figures;
    };
  }
  if (parts.length !== 2 || !isScalar(item, ['boolean'])) return fail(`${path} is not a yes/no field`);
  return (s) => s.counted.filter((c) => value(c) === true).length;
}

/** The value types a sum adds up (a rate is computed from the sums, never summed). */
export const SUMMABLE: readonly string[] = ['integer', 'decimal', 'money'];

function isScalar(item: Item, types: string[]): boolean {
  return (item.kind === 'field' || item.kind === 'computed') && types.includes(item.type);
}

function tableRowKeys(item: TableItem): string[] {
  return [...item.rows.map((r) => r.key), ...(item.totalRow ? [item.totalRow.key] : [])];
}

/** Sums of table columns: a whole table ({row: {column}}), one row ({column}) or one cell. Rates are never summed. */
function compileTableSum(
  item: TableItem,
  parts: string[],
  spec: { columns?: string[]; totalRow?: boolean },
  fail: (msg: string) => Node,
): Node {
  const tablePath = parts.slice(0, 2).join('.');
  // Money columns are summed column by column: an amount in đồng and one in triệu đồng are never added together.
  const summable = item.columns.filter((c) => SUMMABLE.includes(c.type)).map((c) => c.key);
  const columns = spec.columns ?? summable;
  const bad = columns.filter((c) => !summable.includes(c));
  if (bad.length) return fail(`${bad.join(', ')} ${bad.length > 1 ? 'are' : 'is'} not a summable column of ${tablePath}`);
  const pick = (row: Row): Figures => {
    const out: Figures = {};
    for (const c of columns) out[c] = num(row[c]) ?? 0;
    return out;
  };
  if (parts.length === 2) {
    const rows = spec.totalRow === false ? item.rows.map((r) => r.key) : tableRowKeys(item);
    return (s) => {
      const table = summedTable(item, tablePath, s);
      return Object.fromEntries(rows.map((r) => [r, pick(table[r]!)]));
    };
  }
  const row = parts[2]!;
  if (!tableRowKeys(item).includes(row)) return fail(`unknown row ${row} of ${tablePath}`);
  if (parts.length === 3) return (s) => pick(summedTable(item, tablePath, s)[row]!);
  const col = parts[3]!;
  if (parts.length > 4 || !summable.includes(col)) return fail(`${col} is not a summable column of ${tablePath}`);
  return (s) => num(summedTable(item, tablePath, s)[row]![col]) ?? 0;
}

/**
 * A table summed over the counted units: input columns added up row by row, the total row the
 * sum of the rows, and computed columns evaluated by the template's own expressions on those sums
 * (so a rate is computed from the summed counts, never averaged).
 */
function summedTable(item: TableItem, tablePath: string, s: EvalState): Record<string, Row> {
  const cached = s.tables.get(tablePath);
  if (cached) return cached;
  const inputs = item.columns.filter((c) => !c.expr && SUMMABLE.includes(c.type));
  const keys = item.totalRow ? [...item.rows.map((r) => r.key), item.totalRow.key] : item.rows.map((r) => r.key);
  const table: Record<string, Row> = {};
  if (s.counted.length === 1) {
    // One unit (a row of the per-unit sheets): its computed view already holds this table, every
    // row with its computed columns and the total row (readers take an empty cell as 0).
    const src = getPath(s.counted[0]!.view, tablePath) as Record<string, Row | undefined> | undefined;
    for (const key of keys) table[key] = src?.[key] ?? {};
  } else {
    for (const key of item.rows.map((r) => r.key)) table[key] = Object.fromEntries(inputs.map((c) => [c.key, 0]));
    for (const u of s.counted) {
      const src = getPath(u.view, tablePath) as Record<string, Row | undefined> | undefined;
      if (!src) continue;
      for (const r of item.rows) {
        const from = src[r.key];
        if (!from) continue;
        const to = table[r.key]!;
        for (const c of inputs) {
          const v = num(from[c.key]);
          if (v !== null) to[c.key] = (to[c.key] as number) + v;
        }
      }
    }
    const total: Row = Object.fromEntries(inputs.map((c) => [c.key, 0]));
    for (const r of item.rows) {
      const row = table[r.key]!;
      for (const c of inputs) {
        row[c.key] = clean(row[c.key] as number);
        total[c.key] = (total[c.key] as number) + (row[c.key] as number);
      }
    }
    for (const c of inputs) total[c.key] = clean(total[c.key] as number);
    if (item.totalRow) table[item.totalRow.key] = total;
    for (const key of keys) fillComputedColumns(item.columns, table[key]!, {}, s.periodYear);
  }
  s.tables.set(tablePath, table);
  return table;
}
