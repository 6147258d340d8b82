/**
 * The template's expressions (shared/template/schema.ts `Expr`) as Excel formulas, so that a
 * computed cell in the package is a live formula that Excel and LibreOffice recompute, and
 * whose cached value is the one shared/computeView gives.
 */
import type { Expr, Template } from '../../shared/index.js';
import { findItem, tx } from '../../shared/index.js';

export interface FormulaContext {
  template: Template;
  /** The address of a cell in the current row (computed table columns and total rows). */
  col?: (key: string) => string;
  /** The address of any cell of the return by path (section.item[.row.col]), with a sheet prefix when needed. */
  ref: (path: string) => string;
  /** The address range of one column of a repeat table (e.g. 'Biểu 04'!F14:F33). */
  repeatColumn: (path: string, column: string) => string;
  /** The range of the STT column of a repeat table: it holds a number exactly on the rows that are filled. */
  repeatRows: (path: string) => string;
  periodYear: number;
}

/** A string literal in a formula. */
export function quoteText(s: string): string {
  return `"${s.replace(/"/g, '""')}"`;
}

/** The Vietnamese label of an option of a table column or item, or the value itself. */
export function optionLabel(t: Template, path: string, column: string | undefined, value: string): string {
  const found = findItem(t, path);
  if (!found) return value;
  const { item } = found;
  const options =
    (item.kind === 'table' || item.kind === 'repeat') && column
      ? item.columns.find((c) => c.key === column)?.options
      : item.kind === 'field' || item.kind === 'computed'
        ? item.options
        : undefined;
  const o = options?.find((x) => x.value === value);
  return o ? tx(o.label) : value;
}

const CELL = /^(?:'[^']+'!)?\$?([A-Z]+)\$?(\d+)$/;

function colNumber(letters: string): number {
  let n = 0;
  for (const ch of letters) n = n * 26 + ch.charCodeAt(0) - 64;
  return n;
}

/** SUM arguments, with a run of adjacent cells of one row written as a range (SUM(C5:F5)). */
function sumArgs(parts: string[]): string {
  const cells = parts.map((p) => CELL.exec(p));
  if (parts.length > 1 && cells.every((m) => m)) {
    const prefix = (p: string) => (p.includes('!') ? p.slice(0, p.indexOf('!') + 1) : '');
    const rows = new Set(cells.map((m) => m![2]));
    const cols = cells.map((m) => colNumber(m![1]!));
    const samePrefix = new Set(parts.map(prefix)).size === 1;
    const adjacent = cols.every((c, i) => i === 0 || c === cols[i - 1]! + 1);
    if (rows.size === 1 && samePrefix && adjacent)
      return `${parts[0]}:${parts[parts.length - 1]!.replace(/^'[^']+'!/, '')}`;
  }
  return parts.join(',');
}

/** The Excel formula (without '=') of an expression. `bandLabel` gives the text shown for a band value. */
export function toFormula(e: Expr, ctx: FormulaContext, bandLabel: (value: string) => string = (v) => v): string {
  const f = (x: Expr): string => toFormula(x, ctx, bandLabel);
  if (typeof e === 'number') return String(e);
  if ('ref' in e) return ctx.ref(e.ref);
  if ('col' in e) {
    if (!ctx.col) throw new Error(`column reference ${e.col} outside a table row`);
    return ctx.col(e.col);
  }
  if ('sum' in e) return `SUM(${sumArgs(e.sum.map(f))})`;
  if ('sub' in e) {
    const r = e.sub[1];
    const right = f(r);
    const bare = typeof r === 'number' ? r >= 0 : !('sub' in r);
    return `${f(e.sub[0])}-${bare ? right : `(${right})`}`;
  }
  if ('div' in e) {
    const num = f(e.div[0]);
    const den = f(e.div[1]);
    return `IF(N(${den})=0,"",${num}/${den})`;
  }
  if ('max' in e) return `MAX(${e.max.map(f).join(',')})`;
  if ('min' in e) return `MIN(${e.min.map(f).join(',')})`;
  if ('count' in e) {
    if (!e.where) return `COUNT(${ctx.repeatRows(e.count)})`;
    const label = optionLabel(ctx.template, e.count, e.where.column, e.where.equals);
    return `COUNTIF(${ctx.repeatColumn(e.count, e.where.column)},${quoteText(label)})`;
  }
  if ('band' in e) {
    const x = f(e.band);
    let out = quoteText(bandLabel(e.else));
    for (let i = e.bands.length - 1; i >= 0; i--) {
      const b = e.bands[i]!;
      out = `IF(${x}>=${b.atLeast},${quoteText(bandLabel(b.value))},${out})`;
    }
    return `IF(ISNUMBER(${x}),${out},"")`;
  }
  if ('periodYear' in e) return String(ctx.periodYear);
  throw new Error(`unknown expression ${JSON.stringify(e)}`);
}
