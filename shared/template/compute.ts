import type { Expr, Template } from './schema.js';
import type { Row, Values } from './model.js';
import { getPath } from './model.js';

export type Scalar = number | string | null;

export interface EvalContext {
  view: Values;
  row?: Row;
  periodYear: number;
}

/** A number for computation, or null when the cell is empty or not a number. */
export function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function n0(v: Scalar): number {
  return typeof v === 'number' ? v : 0;
}

/** Round to 10 decimals to keep sums of decimals such as 0.1 + 0.2 exact for display and compare. */
function clean(x: number): number {
  return Math.round(x * 1e10) / 1e10;
}

export function evaluate(e: Expr, ctx: EvalContext): Scalar {
  if (typeof e === 'number') return e;
  if ('ref' in e) {
    const v = getPath(ctx.view, e.ref);
    return typeof v === 'string' ? v : num(v);
  }
  if ('col' in e) return num(ctx.row?.[e.col]);
  if ('sum' in e) return clean(e.sum.reduce((a: number, x) => a + n0(evaluate(x, ctx)), 0));
  if ('sub' in e) return clean(n0(evaluate(e.sub[0], ctx)) - n0(evaluate(e.sub[1], ctx)));
  if ('div' in e) {
    const d = n0(evaluate(e.div[1], ctx));
    return d === 0 ? null : n0(evaluate(e.div[0], ctx)) / d;
  }
  if ('max' in e) return Math.max(...e.max.map((x) => n0(evaluate(x, ctx))));
  if ('min' in e) return Math.min(...e.min.map((x) => n0(evaluate(x, ctx))));
  if ('count' in e) {
    const rows = getPath(ctx.view, e.count);
    if (!Array.isArray(rows)) return 0;
    const w = e.where;
    return w ? rows.filter((r) => (r as Row | undefined)?.[w.column] === w.equals).length : rows.length;
  }
  if ('band' in e) {
    const v = evaluate(e.band, ctx);
    if (typeof v !== 'number') return null;
    for (const b of e.bands) if (v >= b.atLeast) return b.value;
    return e.else;
  }
  if ('periodYear' in e) return ctx.periodYear;
  return null;
}

/**
 * The values of a return with every computed cell filled in: computed items, computed table
 * columns, and the total row of each table (inputs summed, computed columns evaluated on the
 * sums, so a rate in the total row is computed from the summed counts, never averaged).
 */
export function computeView(t: Template, values: Values, periodYear: number): Values {
  const view: Values = {};
  for (const s of t.sections) view[s.key] = { ...(values[s.key] ?? {}) };
  const ctx: EvalContext = { view, periodYear };
  for (const s of t.sections) {
    const sv = view[s.key]!;
    for (const item of s.items) {
      if (item.kind === 'computed') sv[item.key] = evaluate(item.expr, ctx);
      else if (item.kind === 'table') {
        const src = (sv[item.key] ?? {}) as Record<string, Row | undefined>;
        const table: Record<string, Row> = {};
        const computedCols = item.columns.filter((c) => c.expr);
        const fill = (row: Row): Row => {
          for (let pass = 0; pass < computedCols.length; pass++)
            for (const c of computedCols) row[c.key] = evaluate(c.expr!, { ...ctx, row });
          return row;
        };
        for (const r of item.rows) table[r.key] = fill({ ...(src[r.key] ?? {}) });
        if (item.totalRow) {
          const total: Row = {};
          for (const c of item.columns)
            if (!c.expr && (c.type === 'integer' || c.type === 'decimal'))
              total[c.key] = clean(item.rows.reduce((a, r) => a + (num(table[r.key]![c.key]) ?? 0), 0));
          table[item.totalRow.key] = fill(total);
        }
        sv[item.key] = table;
      } else if (item.kind === 'repeat') {
        const rows = sv[item.key];
        sv[item.key] = Array.isArray(rows) ? rows.map((r) => ({ ...(r as Row) })) : [];
      }
    }
  }
  return view;
}
