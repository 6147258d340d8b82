import { cleanLine, cleanText, cleanTexts } from '../../shared/text.js';
import type { Values } from '../../shared/template/model.js';
import type { Template } from '../../shared/template/schema.js';
import { specAt } from './display.js';

/**
 * An opened draft through the one text rule (shared/text.ts): an old draft may hold characters
 * saved before the rule (a vertical tab pasted from Word, NUL, …). Returns the cleaned draft and
 * the places that changed: cell paths, and the ids of explanations. Cells are one line (a line
 * break becomes a space), but for the template's long texts; explanations keep their line breaks.
 */
export function cleanDraft<D extends { values: Values; explanations: Record<string, string> }>(
  d: D,
  template?: Template,
): { draft: D; cells: string[]; explanations: string[] } {
  const long = (path: string) => !!template && specAt(template, path)?.type === 'longtext';
  const v = cleanTexts(d.values, (s, path) => (long(path) ? cleanText(s) : cleanLine(s)));
  const e = cleanTexts(d.explanations);
  if (!v.changed.length && !e.changed.length) return { draft: d, cells: [], explanations: [] };
  return { draft: { ...d, values: v.value, explanations: e.value }, cells: v.changed, explanations: e.changed };
}
