import type { Template } from './schema.js';
import type { Row, Values } from './model.js';
import { xmlSafeText } from '../text.js';

function isEmpty(v: unknown): boolean {
  return v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0);
}

/**
 * The values of a return as the template knows them: only input cells (computed cells dropped),
 * empty cells and empty table rows left out, texts trimmed and XML-safe (shared/text.ts), multi-choices in template order.
 * Two returns with the same content normalise to the same JSON, whatever their source
 * (the form, a JSON file, a workbook read back).
 */
export function normalizeValues(t: Template, values: Values): Values {
  const out: Values = {};
  for (const s of t.sections) {
    const src = values[s.key] ?? {};
    const dst: Record<string, unknown> = {};
    for (const item of s.items) {
      const v = src[item.key];
      if (item.kind === 'field') {
        const x = cleanCell(v, item.type, item.options);
        if (!isEmpty(x)) dst[item.key] = x;
      } else if (item.kind === 'table') {
        const tv = (v && typeof v === 'object' ? v : {}) as Record<string, Row | undefined>;
        const table: Record<string, Row> = {};
        for (const r of item.rows) {
          const row: Row = {};
          for (const c of item.columns) {
            if (c.expr) continue;
            const x = cleanCell(tv[r.key]?.[c.key], c.type, c.options);
            if (!isEmpty(x)) row[c.key] = x;
          }
          if (Object.keys(row).length) table[r.key] = row;
        }
        if (Object.keys(table).length) dst[item.key] = table;
      } else if (item.kind === 'repeat') {
        const rows = Array.isArray(v) ? (v as unknown[]) : [];
        const list: Row[] = [];
        for (const r of rows) {
          const row: Row = {};
          for (const c of item.columns) {
            if (c.expr) continue;
            const x = cleanCell((r as Row | null)?.[c.key], c.type, c.options);
            if (!isEmpty(x)) row[c.key] = x;
          }
          if (Object.keys(row).length) list.push(row);
        }
        if (list.length) dst[item.key] = list;
      }
    }
    if (Object.keys(dst).length) out[s.key] = dst;
  }
  return out;
}

function cleanCell(v: unknown, type: string, options?: { value: string }[]): unknown {
  if (typeof v === 'string') {
    const s = xmlSafeText(v).trim();
    return s === '' ? undefined : s;
  }
  if (type === 'file' && v && typeof v === 'object' && !Array.isArray(v)) {
    // An attachment is its reference only: name, size, type and hash, whatever else came with it.
    const { name, size, mime, sha256 } = v as Record<string, unknown>;
    return { name, size, mime, sha256 };
  }
  if (type === 'multi' && Array.isArray(v)) {
    const order = (options ?? []).map((o) => o.value);
    const uniq = [...new Set(v.map((x) => (typeof x === 'string' ? x.trim() : x)))];
    return uniq.sort((a, b) => order.indexOf(a as string) - order.indexOf(b as string));
  }
  return v;
}

/** JSON with object keys sorted at every level: the input of the package hash. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}
