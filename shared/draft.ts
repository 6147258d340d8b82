import type { Lang } from './i18n.js';
import type { Template } from './template/schema.js';
import type { Values } from './template/model.js';
import { cellLabel, findItem, getPath, inputColumns, setPath } from './template/model.js';
import { canonicalJson } from './template/normalize.js';

/**
 * The units a draft save compares and writes (issue 7): concurrent writers never erase each other.
 *
 * A path names one unit:
 *  - a field: `section.field`; a table cell: `section.table.row.column`;
 *  - a repeat list as a whole: `section.repeat` (its rows have no identity of their own: adding,
 *    removing or moving a row shifts every index after it, so the list is compared whole);
 *  - a section's as-of date: `asOf.section`; an explanation: `explanations.<id>`.
 * Empty ('' / null / missing / []) is one value: null.
 */
export interface DraftContent {
  values: Values;
  explanations: Record<string, string>;
  asOf: Record<string, string>;
}

export interface DraftChange {
  path: string;
  before: unknown;
  after: unknown;
}

const AS_OF = 'asOf.';
const EXPLANATION = 'explanations.';

function norm(v: unknown): unknown {
  if (v === undefined || v === null || v === '') return null;
  if (Array.isArray(v) && v.length === 0) return null;
  return v;
}

/** The value of one unit, empty as null. */
export function draftGet(d: DraftContent, path: string): unknown {
  if (path.startsWith(AS_OF)) return norm(d.asOf[path.slice(AS_OF.length)]);
  if (path.startsWith(EXPLANATION)) return norm(d.explanations[path.slice(EXPLANATION.length)]);
  return norm(getPath(d.values, path));
}

/** A copy of the content with one unit set (null removes it). */
export function draftSet<D extends DraftContent>(d: D, path: string, value: unknown): D {
  const v = norm(value);
  if (path.startsWith(AS_OF) || path.startsWith(EXPLANATION)) {
    const asOf = path.startsWith(AS_OF);
    const key = path.slice(asOf ? AS_OF.length : EXPLANATION.length);
    const next = { ...(asOf ? d.asOf : d.explanations) };
    if (v === null) delete next[key];
    else next[key] = String(v);
    return asOf ? { ...d, asOf: next } : { ...d, explanations: next };
  }
  return { ...d, values: setPath(d.values, path, v === null ? undefined : v) };
}

export function sameDraftValue(a: unknown, b: unknown): boolean {
  return canonicalJson(norm(a)) === canonicalJson(norm(b));
}

/** Every unit path of the template, plus the explanations present in any of the given contents. */
export function draftPaths(t: Template, ...contents: DraftContent[]): string[] {
  const out: string[] = [];
  for (const s of t.sections)
    for (const item of s.items) {
      const base = `${s.key}.${item.key}`;
      if (item.kind === 'field' || item.kind === 'repeat') out.push(base);
      else if (item.kind === 'table')
        for (const r of item.rows) for (const c of inputColumns(item)) out.push(`${base}.${r.key}.${c.key}`);
    }
  for (const s of t.sections) out.push(`${AS_OF}${s.key}`);
  const ids = new Set<string>();
  for (const c of contents) for (const id of Object.keys(c.explanations ?? {})) ids.add(id);
  for (const id of [...ids].sort()) out.push(`${EXPLANATION}${id}`);
  return out;
}

/** Whether a path names a unit a save may write: a template input, an as-of date or an explanation. */
export function isDraftPath(t: Template, path: string): boolean {
  if (path.startsWith(EXPLANATION)) return path.length > EXPLANATION.length;
  if (path.startsWith(AS_OF)) return t.sections.some((s) => `${AS_OF}${s.key}` === path);
  const found = findItem(t, path);
  if (!found) return false;
  const parts = path.split('.');
  const { item } = found;
  if (item.kind === 'field' || item.kind === 'repeat') return parts.length === 2;
  if (item.kind === 'table')
    return parts.length === 4 && item.rows.some((r) => r.key === parts[2]) && inputColumns(item).some((c) => c.key === parts[3]);
  return false;
}

/** The units that differ between two contents, as changes a save sends. */
export function draftChanges(t: Template, before: DraftContent, after: DraftContent): DraftChange[] {
  const out: DraftChange[] = [];
  for (const path of draftPaths(t, before, after)) {
    const a = draftGet(before, path);
    const b = draftGet(after, path);
    if (!sameDraftValue(a, b)) out.push({ path, before: a, after: b });
  }
  return out;
}

/** A person-readable name of a unit: "Biểu 01, Dân số (người)". */
export function draftLabel(t: Template, path: string, lang: Lang = 'vi'): string {
  if (path.startsWith(AS_OF)) {
    const s = t.sections.find((x) => `${AS_OF}${x.key}` === path);
    return `${s?.code ?? path.slice(AS_OF.length)}, ${lang === 'en' ? 'Data as of' : 'Số liệu tính đến ngày'}`;
  }
  if (path.startsWith(EXPLANATION)) return `${lang === 'en' ? 'Explanation' : 'Giải trình'} (${path.slice(EXPLANATION.length)})`;
  return cellLabel(t, path, lang);
}

type Row = Record<string, unknown>;

/**
 * Two windows changed one repeat list (a car added in each): its rows have no identity, so the list
 * is merged row by row where that is unambiguous. `before` is the list this writer started from,
 * `after` its list, `stored` the list saved meanwhile by another writer. The rows this writer
 * removed (or changed: a changed row is the old row removed and the new one added) must still be in
 * the stored list, untouched, and the rows it kept must be in their old order (a move is not
 * merged); its new rows go right after the row they follow in its list (before the row they
 * precede when they open it; first in a list that had none), so they keep their place. A row both writers added alike is
 * kept once. Anything else (both changed the same row, a move, a list past `maxRows`) is undefined:
 * a conflict for the person to decide.
 */
export function mergeRepeatRows(before: unknown, after: unknown, stored: unknown, maxRows: number): Row[] | undefined {
  const list = (v: unknown): Row[] | undefined => (v == null ? [] : Array.isArray(v) ? (v as Row[]) : undefined);
  const b = list(norm(before));
  const a = list(norm(after));
  const s = list(norm(stored));
  if (!b || !a || !s) return undefined;
  const key = (r: Row) => canonicalJson(r ?? null);
  const bag = (rows: Row[]) => {
    const m = new Map<string, number>();
    for (const r of rows) m.set(key(r), (m.get(key(r)) ?? 0) + 1);
    return m;
  };
  const take = (m: Map<string, number>, k: string) => {
    const n = m.get(k) ?? 0;
    if (n > 0) m.set(k, n - 1);
    return n > 0;
  };
  // Rows of `after` that were in `before` (kept), the rest added; rows of `before` not kept, removed.
  const inBefore = bag(b);
  const kept: boolean[] = a.map((r) => take(inBefore, key(r)));
  const removed = inBefore;
  // Kept rows in their old order: `before` without the removed rows, in sequence.
  const left = bag([]);
  for (const [k, n] of removed) left.set(k, n);
  const keptOrder = b.filter((r) => !take(left, key(r))).map(key);
  const keptNow = a.filter((_, i) => kept[i]).map(key);
  if (keptOrder.join('\n') !== keptNow.join('\n')) return undefined;
  // What the other writer added (the same row added by both is kept once).
  const theirsAdded = bag(s);
  for (const r of b) take(theirsAdded, key(r));
  const out = [...s];
  for (const [k, n] of removed)
    for (let i = 0; i < n; i++) {
      const at = out.findIndex((r) => key(r) === k);
      if (at < 0) return undefined;
      out.splice(at, 1);
    }
  let anchor: string | null = null;
  let offset = 0; // new rows already put after the anchor: several in a row stay in order
  for (const [i, row] of a.entries()) {
    const k = key(row);
    if (kept[i]) {
      anchor = k;
      offset = 0;
      continue;
    }
    if (take(theirsAdded, k)) continue;
    // After the kept row it follows; without one, before the kept row that follows it, or first. Its
    // place stays where it can, so the window still typing in it keeps its cursor on its own row.
    const next = anchor === null ? a.find((_, j) => j > i && kept[j]) : undefined;
    const ref = anchor ?? (next ? key(next) : null);
    let at = offset;
    if (ref !== null) {
      const found = out.findIndex((r) => key(r) === ref);
      if (found < 0) return undefined;
      at = anchor === null ? found : found + 1 + offset;
    }
    out.splice(at, 0, row);
    offset++;
  }
  return out.length > maxRows ? undefined : out;
}
