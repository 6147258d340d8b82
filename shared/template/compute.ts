import type { Column, Expr, Template } from './schema.js';
import type { Row, Values } from './model.js';

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

type Compiled = (ctx: EvalContext) => Scalar;
const compiled = new WeakMap<object, Compiled>();

/** Navigate a dotted path given as parts (split once, when the expression is compiled). */
function at(obj: unknown, parts: string[]): unknown {
  let cur = obj;
  for (const p of parts) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

/** An expression turned into a function once (cached per expression object of the template). */
function compile(e: Expr): Compiled {
  if (typeof e === 'number') return () => e;
  const hit = compiled.get(e);
  if (hit) return hit;
  let f: Compiled;
  if ('ref' in e) {
    const parts = e.ref.split('.');
    f = (ctx) => {
      const v = at(ctx.view, parts);
      return typeof v === 'string' ? v : num(v);
    };
  } else if ('col' in e) {
    const col = e.col;
    f = (ctx) => num(ctx.row?.[col]);
  } else if ('sum' in e) {
    const xs = e.sum.map(compile);
    f = (ctx) => {
      let a = 0;
      for (const x of xs) a += n0(x(ctx));
      return clean(a);
    };
  } else if ('sub' in e) {
    const [a, b] = e.sub.map(compile) as [Compiled, Compiled];
    f = (ctx) => clean(n0(a(ctx)) - n0(b(ctx)));
  } else if ('mul' in e) {
    const [a, b] = e.mul.map(compile) as [Compiled, Compiled];
    f = (ctx) => clean(n0(a(ctx)) * n0(b(ctx)));
  } else if ('div' in e) {
    const [a, b] = e.div.map(compile) as [Compiled, Compiled];
    f = (ctx) => {
      const d = n0(b(ctx));
      return d === 0 ? null : n0(a(ctx)) / d;
    };
  } else if ('max' in e) {
    const xs = e.max.map(compile);
    f = (ctx) => Math.max(...xs.map((x) => n0(x(ctx))));
  } else if ('min' in e) {
    const xs = e.min.map(compile);
    f = (ctx) => Math.min(...xs.map((x) => n0(x(ctx))));
  } else if ('count' in e) {
    const parts = e.count.split('.');
    const w = e.where;
    f = (ctx) => {
      const rows = at(ctx.view, parts);
      if (!Array.isArray(rows)) return 0;
      return w ? rows.filter((r) => (r as Row | undefined)?.[w.column] === w.equals).length : rows.length;
    };
  } else if ('band' in e) {
    const v = compile(e.band);
    const { bands } = e;
    const otherwise = e.else;
    f = (ctx) => {
      const x = v(ctx);
      if (typeof x !== 'number') return null;
      for (const b of bands) if (x >= b.atLeast) return b.value;
      return otherwise;
    };
  } else if ('periodYear' in e) f = (ctx) => ctx.periodYear;
  else f = () => null;
  compiled.set(e, f);
  return f;
}

export function evaluate(e: Expr, ctx: EvalContext): Scalar {
  return compile(e)(ctx);
}

function columnRefs(e: Expr, out: Set<string>): Set<string> {
  if (typeof e === 'number') return out;
  if ('col' in e) out.add(e.col);
  else if ('sum' in e) e.sum.forEach((x) => columnRefs(x, out));
  else if ('sub' in e) e.sub.forEach((x) => columnRefs(x, out));
  else if ('mul' in e) e.mul.forEach((x) => columnRefs(x, out));
  else if ('div' in e) e.div.forEach((x) => columnRefs(x, out));
  else if ('max' in e) e.max.forEach((x) => columnRefs(x, out));
  else if ('min' in e) e.min.forEach((x) => columnRefs(x, out));
  else if ('band' in e) columnRefs(e.band, out);
  return out;
}

const computedOrder = new WeakMap<Column[], Column[]>();
/** The computed columns of a table, each after the computed columns it reads (cached per table). */
function orderedComputedColumns(columns: Column[]): Column[] {
  let order = computedOrder.get(columns);
  if (order) return order;
  const computed = columns.filter((c) => c.expr);
  const byKey = new Map(computed.map((c) => [c.key, c]));
  const done = new Set<string>();
  order = [];
  const visit = (c: Column, path: Set<string>) => {
    if (done.has(c.key)) return;
    if (path.has(c.key)) throw new Error(`computed column ${c.key} depends on itself`);
    path.add(c.key);
    for (const dep of columnRefs(c.expr!, new Set())) {
      const d = byKey.get(dep);
      if (d) visit(d, path);
    }
    done.add(c.key);
    order!.push(c);
  };
  for (const c of computed) visit(c, new Set());
  computedOrder.set(columns, order);
  return order;
}

/** Fill the computed columns of one table row, in dependency order, in place. */
export function fillComputedColumns(columns: Column[], row: Row, view: Values, periodYear: number): Row {
  const ctx: EvalContext = { view, row, periodYear };
  for (const c of orderedComputedColumns(columns)) row[c.key] = evaluate(c.expr!, ctx);
  return row;
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
        const fill = (row: Row): Row => fillComputedColumns(item.columns, row, view, periodYear);
        for (const r of item.rows) table[r.key] = fill({ ...(src[r.key] ?? {}) });
        if (item.totalRow) {
          const total: Row = {};
          for (const c of item.columns)
            if (!c.expr && (c.type === 'integer' || c.type === 'decimal' || c.type === 'money'))
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
