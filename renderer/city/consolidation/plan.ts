/**
 * How the Biểu tổng hợp of any template is laid out on screen, from its `consolidation` declaration
 * only: the blocks (one per top-level group), the pieces of each block, and the per-unit columns.
 */
import type { DeclaredAggregate } from '../../../shared/consolidate.js';
import { SUMMABLE, aggregateLabel, declaredAggregates } from '../../../shared/consolidate.js';
import type { Lang } from '../../../shared/i18n.js';
import { tx } from '../../../shared/i18n.js';
import type { Column, TableItem, Template } from '../../../shared/template/schema.js';

export type Piece =
  /** Single figures: sums, counts of rows, counts of units (yes, a condition), rates from sums. */
  | { kind: 'pairs'; aggs: DeclaredAggregate[] }
  /** A summed table, with the row sums (its total row) and rates of the same table declared beside it. */
  | { kind: 'table'; agg: DeclaredAggregate; item: TableItem; rowSums: DeclaredAggregate[]; columns: Column[] }
  | { kind: 'countBy' | 'distribution' | 'countWhereByType' | 'stats' | 'texts'; agg: DeclaredAggregate };

export interface BlockPlan {
  key: string;
  title: string;
  pieces: Piece[];
}

const parts = (a: DeclaredAggregate) => a.source.split('.');

/** The blocks of the summary: one per top-level group of the declaration, in its order. */
export function planBlocks(t: Template, lang: Lang): BlockPlan[] {
  const aggs = declaredAggregates(t);
  const tops: string[] = [];
  for (const a of aggs) {
    const top = a.figure.split('.')[0]!;
    if (!tops.includes(top)) tops.push(top);
  }
  const used = new Set<string>();
  return tops.map((top) => {
    const mine = aggs.filter((a) => a.figure === top || a.figure.startsWith(`${top}.`));
    const title = blockTitle(t, top, mine, lang, used);
    used.add(title);
    return { key: top, title, pieces: planPieces(mine) };
  });
}

/**
 * A group's title: the title of the section it reads from (the section of the same key, else the one
 * all its aggregates read); when two groups would have the same title, the second adds its first label.
 */
function blockTitle(t: Template, key: string, mine: DeclaredAggregate[], lang: Lang, used: Set<string>): string {
  const sections = [...new Set(mine.map((a) => a.section.key))];
  const section = t.sections.find((s) => s.key === key) ?? (sections.length === 1 ? mine[0]!.section : undefined);
  const base = section ? tx(section.title, lang) : mine.length === 1 ? aggregateLabel(t, mine[0]!, lang) : key;
  if (!used.has(base) || !mine.length) return base;
  return `${base} — ${aggregateLabel(t, mine[0]!, lang)}`;
}

function planPieces(mine: DeclaredAggregate[]): Piece[] {
  const out: Piece[] = [];
  const done = new Set<DeclaredAggregate>();
  // The block's single figures in one list at its top, then its tables and lists in the declaration's order.
  const pairs: DeclaredAggregate[] = [];
  const pair = (a: DeclaredAggregate) => pairs.push(a);
  for (const a of mine) {
    if (done.has(a)) continue;
    done.add(a);
    const p = parts(a);
    switch (a.kind) {
      case 'sum':
        if (a.item.kind === 'table' && p.length <= 3) {
          const item = a.item;
          const tablePath = p.slice(0, 2).join('.');
          const same = (x: DeclaredAggregate) => !done.has(x) && x.source.startsWith(`${tablePath}.`);
          // Beside a whole table: its row sums (the total row when the table leaves it out) and its rates.
          const rowSums = p.length === 2 ? mine.filter((x) => same(x) && x.kind === 'sum' && parts(x).length === 3) : [];
          const rates = p.length === 2 ? mine.filter((x) => same(x) && x.kind === 'fromSums') : [];
          for (const x of [...rowSums, ...rates]) done.add(x);
          const spec = a.spec as { columns?: string[] };
          const keys = new Set(spec.columns ?? item.columns.filter((c) => SUMMABLE.includes(c.type)).map((c) => c.key));
          for (const r of rowSums) for (const k of (r.spec as { columns?: string[] }).columns ?? []) keys.add(k);
          const rateKeys = new Set(rates.map((r) => parts(r)[3]!));
          const columns = item.columns.filter(
            (c) => keys.has(c.key) || rateKeys.has(c.key) || (!spec.columns && c.type === 'rate' && !!c.expr),
          );
          out.push({ kind: 'table', agg: a, item, rowSums, columns });
        } else pair(a);
        break;
      case 'countBy':
      case 'distribution':
      case 'stats':
      case 'texts':
        out.push({ kind: a.kind, agg: a });
        break;
      case 'countWhere':
        if ((a.spec as { byUnitType?: boolean }).byUnitType) out.push({ kind: 'countWhereByType', agg: a });
        else pair(a);
        break;
      default:
        pair(a);
    }
  }
  return pairs.length ? [{ kind: 'pairs', aggs: pairs }, ...out] : out;
}

/** A piece shown at half width beside another (short lists); tables and lists take the whole width. */
export function isNarrow(p: Piece): boolean {
  if (p.kind === 'pairs' || p.kind === 'distribution') return true;
  return p.kind === 'countBy' && !(p.agg.spec as { byUnitType?: boolean }).byUnitType;
}

/** What a unit's figure shows in a per-unit column, and the total at the bottom. */
export interface UnitColPlan {
  key: string;
  agg: DeclaredAggregate;
  /** Path of the figure in a unit's figures and in the Consolidation. */
  figure: string;
  /** The column of a table row or cell it reads, if any. */
  column?: Column;
  table?: TableItem;
  show: 'number' | 'rate' | 'option' | 'yesNo' | 'meets' | 'bucket' | 'value';
}

/**
 * The per-unit columns of one section: one per single figure, the columns of a summed row (its
 * computed totals when the row is wide), option labels for counts by option, yes/no for counts of yes.
 */
export function unitColumns(t: Template, sectionKey: string): UnitColPlan[] {
  const aggs = declaredAggregates(t).filter((a) => a.section.key === sectionKey);
  const sums = new Set(aggs.filter((a) => a.kind === 'sum' && parts(a).length === 2).map((a) => a.source));
  const out: UnitColPlan[] = [];
  for (const a of aggs) {
    const p = parts(a);
    switch (a.kind) {
      case 'sum': {
        if (a.item.kind !== 'table') {
          out.push({ key: a.figure, agg: a, figure: a.figure, show: 'number' });
          break;
        }
        const item = a.item;
        const spec = a.spec as { columns?: string[]; totalRow?: boolean };
        if (p.length === 4) {
          out.push({ key: a.figure, agg: a, figure: a.figure, column: item.columns.find((c) => c.key === p[3]), table: item, show: 'number' });
          break;
        }
        // A whole table shows its total row (a table without one, or leaving it out, is on the summary only).
        const rowKey = p.length === 3 ? p[2]! : spec.totalRow !== false ? item.totalRow?.key : undefined;
        if (!rowKey) break;
        const base = p.length === 3 ? a.figure : `${a.figure}.${rowKey}`;
        let cols = item.columns.filter((c) => (spec.columns ? spec.columns.includes(c.key) : SUMMABLE.includes(c.type)));
        // A wide row shows its computed totals only.
        if (cols.length > 6 && cols.some((c) => c.expr)) cols = cols.filter((c) => c.expr);
        for (const c of cols) out.push({ key: `${base}.${c.key}`, agg: a, figure: `${base}.${c.key}`, column: c, table: item, show: 'number' });
        break;
      }
      case 'fromSums': {
        const item = a.item as TableItem;
        out.push({ key: a.figure, agg: a, figure: a.figure, column: item.columns.find((c) => c.key === p[3]), table: item, show: 'rate' });
        break;
      }
      case 'countRows':
        out.push({ key: a.figure, agg: a, figure: a.figure, show: 'number' });
        break;
      case 'countBy':
        out.push({ key: a.figure, agg: a, figure: a.figure, show: 'option' });
        break;
      case 'countTrue':
        out.push({ key: a.figure, agg: a, figure: a.figure, show: 'yesNo' });
        break;
      case 'countWhere':
        out.push({ key: a.figure, agg: a, figure: a.figure, show: 'meets' });
        break;
      case 'distribution':
        if (!sums.has(a.source)) out.push({ key: a.figure, agg: a, figure: a.figure, show: 'bucket' });
        break;
      case 'stats':
        if (!sums.has(a.source)) out.push({ key: a.figure, agg: a, figure: `${a.figure}.min`, show: 'value' });
        break;
      case 'texts':
        break;
    }
  }
  // One column per figure (a stats and a sum of the same item show the value once).
  return out.filter((c, i) => out.findIndex((x) => x.key === c.key) === i);
}
