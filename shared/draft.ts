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
