import type { Lang } from '../i18n.js';
import { tx } from '../i18n.js';
import type { Column, Expr, Item, RepeatItem, Section, TableItem, Template } from './schema.js';
import { TemplateSchema } from './schema.js';
import { checkConsolidation } from '../consolidate.js';

/** The values of a return: section → item → value | table rows | repeat rows. */
export type Values = Record<string, Record<string, unknown>>;
export type Row = Record<string, unknown>;

/** Parse and cross-check a template data file. Throws with a readable list of problems. */
export function parseTemplate(data: unknown): Template {
  const t = TemplateSchema.parse(data);
  const problems: string[] = [];
  const known = new Set<string>();
  for (const s of t.sections)
    for (const it of s.items) {
      known.add(`${s.key}.${it.key}`);
      if (it.kind === 'table') {
        const cols = new Set(it.columns.map((c) => c.key));
        for (const g of it.groups ?? [])
          for (const c of g.columns) if (!cols.has(c)) problems.push(`${s.key}.${it.key}: group names unknown column ${c}`);
        for (const c of it.columns) if (c.expr) checkExpr(c.expr, `${s.key}.${it.key}.${c.key}`, cols);
      }
      if ((it.kind === 'field' || it.kind === 'computed') && (it.type === 'enum' || it.type === 'multi') && !it.options?.length)
        problems.push(`${s.key}.${it.key}: enum without options`);
    }
  for (const s of t.sections) for (const it of s.items) if (it.kind === 'computed') checkExpr(it.expr, `${s.key}.${it.key}`);
  for (const r of t.rules) {
    if (r.check === 'compare' && !r.forEachRow) {
      checkExpr(r.left, r.id);
      checkExpr(r.right, r.id);
    }
    // Every rule names the cell to fix: it must be a cell of the template.
    if (r.check === 'compare' && r.forEachRow && r.target) {
      const found = findItem(t, r.forEachRow);
      const cols = found && (found.item.kind === 'table' || found.item.kind === 'repeat') ? found.item.columns : [];
      if (!cols.some((c) => c.key === r.target)) problems.push(`${r.id}: target ${r.target} is not a column of ${r.forEachRow}`);
    }
    const cells =
      r.check === 'unique' || r.check === 'pattern' ? [r.table]
      : r.check === 'changeFromPrevious' ? r.paths
      : r.check === 'compare' ? [r.forEachRow ?? r.target]
      : [r.target];
    for (const cell of cells)
      if (cell && !known.has(cell.split('.').slice(0, 2).join('.'))) problems.push(`${r.id}: unknown cell ${cell}`);
  }
  function checkExpr(e: Expr, where: string, cols?: Set<string>): void {
    if (typeof e === 'number') return;
    if ('ref' in e) {
      const head = e.ref.split('.').slice(0, 2).join('.');
      if (!known.has(head)) problems.push(`${where}: unknown reference ${e.ref}`);
    } else if ('col' in e) {
      if (cols && !cols.has(e.col)) problems.push(`${where}: unknown column ${e.col}`);
    } else if ('sum' in e) e.sum.forEach((x) => checkExpr(x, where, cols));
    else if ('sub' in e) e.sub.forEach((x) => checkExpr(x, where, cols));
    else if ('mul' in e) e.mul.forEach((x) => checkExpr(x, where, cols));
    else if ('div' in e) e.div.forEach((x) => checkExpr(x, where, cols));
    else if ('max' in e) e.max.forEach((x) => checkExpr(x, where, cols));
    else if ('min' in e) e.min.forEach((x) => checkExpr(x, where, cols));
    else if ('band' in e) checkExpr(e.band, where, cols);
    else if ('count' in e && !known.has(e.count)) problems.push(`${where}: unknown table ${e.count}`);
  }
  for (const [who, path] of Object.entries(t.signers ?? {}))
    if (path && findItem(t, path)?.item.kind !== 'field') problems.push(`signers.${who}: ${path} is not a field`);
  problems.push(...checkConsolidation(t));
  if (problems.length) throw new Error(`Template ${t.id} v${t.version} is inconsistent:\n` + problems.join('\n'));
  return t;
}

/** The name a signer's field holds in these values (the template's `signers`), '' when none. */
export function signerName(t: Template, values: Values, who: 'preparer' | 'head'): string {
  const path = t.signers?.[who];
  const v = path ? getPath(values, path) : undefined;
  return typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);
}

export function templateKey(t: Pick<Template, 'id' | 'version'>): string {
  return `${t.id}@${t.version}`;
}

export function findItem(t: Template, path: string): { section: Section; item: Item } | undefined {
  const [sk, ik] = path.split('.');
  const section = t.sections.find((x) => x.key === sk);
  const item = section?.items.find((x) => x.key === ik);
  return section && item ? { section, item } : undefined;
}

export function inputColumns(item: TableItem | RepeatItem): Column[] {
  return item.columns.filter((c) => !c.expr);
}

export function isNumericType(type: string): boolean {
  return type === 'integer' || type === 'decimal' || type === 'rate';
}

/** An input cell of a return, for every use that walks the template (diff, Excel, validation). */
export interface InputCell {
  path: string; // section.item[.row.col] — repeat rows use the index
  section: Section;
  item: Item;
  column?: Column;
  rowKey?: string;
  rowIndex?: number;
}

/** The input cells of fixed items and fixed tables (repeat tables depend on the values). */
export function fixedInputCells(t: Template): InputCell[] {
  const out: InputCell[] = [];
  for (const section of t.sections)
    for (const item of section.items) {
      if (item.kind === 'field') out.push({ path: `${section.key}.${item.key}`, section, item });
      else if (item.kind === 'table')
        for (const row of item.rows)
          for (const column of inputColumns(item))
            out.push({ path: `${section.key}.${item.key}.${row.key}.${column.key}`, section, item, column, rowKey: row.key });
    }
  return out;
}

/** A person-readable name of a cell: "Biểu 05, Hộ tịch, Đã giải quyết — Trước hạn". */
export function cellLabel(t: Template, path: string, lang: Lang = 'vi'): string {
  const parts = path.split('.');
  const found = findItem(t, path);
  if (!found) return path;
  const { section, item } = found;
  const head = `${section.code}`;
  if (item.kind === 'field' || item.kind === 'computed') return `${head}, ${tx(item.label, lang)}`;
  if (item.kind === 'table') {
    const row = parts[2];
    const rowLabel = item.totalRow && row === item.totalRow.key ? tx(item.totalRow.label, lang) : tx(item.rows.find((r) => r.key === row)?.label, lang);
    const col = item.columns.find((c) => c.key === parts[3]);
    if (!col) return `${head}, ${rowLabel || tx(item.label, lang)}`;
    const group = item.groups?.find((g) => g.columns.includes(col.key));
    return `${head}, ${rowLabel}, ${group ? `${tx(group.label, lang)} — ` : ''}${tx(col.label, lang)}`;
  }
  const idx = parts[2] !== undefined ? Number(parts[2]) : NaN;
  const col = item.columns.find((c) => c.key === parts[3]);
  const rowName = Number.isFinite(idx) ? `${tx(item.rowLabel, lang)} ${idx + 1}` : tx(item.label, lang);
  return `${head}, ${rowName}${col ? `, ${tx(col.label, lang)}` : ''}`;
}

/** A getter for one path, split once: for loops over many returns. */
export function pathGetter(path: string): (obj: unknown) => unknown {
  const parts = path.split('.');
  return (obj) => {
    let cur = obj;
    for (const p of parts) {
      if (cur === null || typeof cur !== 'object') return undefined;
      cur = (cur as Record<string, unknown>)[p];
    }
    return cur;
  };
}

export function getPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const p of path.split('.')) {
    if (cur === null || cur === undefined) return undefined;
    if (Array.isArray(cur)) cur = cur[Number(p)];
    else if (typeof cur === 'object') cur = (cur as Record<string, unknown>)[p];
    else return undefined;
  }
  return cur;
}

/** Return a copy of obj with the value at path set (objects and arrays created as needed). */
export function setPath<T>(obj: T, path: string, value: unknown): T {
  const parts = path.split('.');
  const root: Record<string, unknown> | unknown[] = Array.isArray(obj) ? [...obj] : { ...(obj as object) };
  let cur: Record<string, unknown> | unknown[] = root;
  for (let i = 0; i < parts.length - 1; i++) {
    const k = parts[i]!;
    const nextIsIndex = /^\d+$/.test(parts[i + 1]!);
    const existing = (cur as Record<string, unknown>)[k];
    const copy: Record<string, unknown> | unknown[] = Array.isArray(existing)
      ? [...existing]
      : existing && typeof existing === 'object'
        ? { ...(existing as object) }
        : nextIsIndex
          ? []
          : {};
    (cur as Record<string, unknown>)[k] = copy;
    cur = copy;
  }
  const last = parts[parts.length - 1]!;
  if (value === undefined) {
    if (Array.isArray(cur)) cur[Number(last)] = undefined;
    else delete (cur as Record<string, unknown>)[last];
  } else (cur as Record<string, unknown>)[last] = value;
  return root as T;
}

/** A leaf of an expression that names something: a path, a column of the row, or a counted repeat. */
export type ExprLeaf = { ref: string } | { col: string } | { count: string; where?: { column: string; equals: string } };

/** The leaves of an expression that name something, in reading order (numbers and period_year() name nothing). */
export function exprLeaves(e: Expr): ExprLeaf[] {
  const out: ExprLeaf[] = [];
  const walk = (x: Expr): void => {
    if (typeof x === 'number') return;
    if ('ref' in x || 'col' in x || 'count' in x) out.push(x);
    else if ('sum' in x) x.sum.forEach(walk);
    else if ('sub' in x) x.sub.forEach(walk);
    else if ('mul' in x) x.mul.forEach(walk);
    else if ('div' in x) x.div.forEach(walk);
    else if ('max' in x) x.max.forEach(walk);
    else if ('min' in x) x.min.forEach(walk);
    else if ('band' in x) walk(x.band);
  };
  walk(e);
  return out;
}
