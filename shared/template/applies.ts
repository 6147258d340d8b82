import type { AppliesTo, Template } from './schema.js';

/** What a template's appliesTo reads of a unit: its type and the unit list's other columns. */
export interface UnitFacts {
  type: string;
  attributes?: Record<string, string>;
}

const YES = new Set(['1', 'có', 'co', 'x', 'true', 'yes', 'c']);

/** True when a unit-list cell means yes ("1", "có", "x", "true"; case and spaces ignored). */
export function isYes(v: string | undefined): boolean {
  return v !== undefined && YES.has(v.trim().toLowerCase());
}

/**
 * Whether an item or section applies to a unit (shared/template/schema.ts AppliesTo). Without an
 * appliesTo, or without a known unit (a preview, a file of no unit), it applies.
 */
export function appliesToUnit(a: AppliesTo | undefined, unit: UnitFacts | null | undefined): boolean {
  if (!a || !unit) return true;
  if (a.unitTypes && !a.unitTypes.includes(unit.type)) return false;
  if (a.attribute) {
    const v = unit.attributes?.[a.attribute];
    if (a.values) return v !== undefined && a.values.some((x) => x.trim().toLowerCase() === v.trim().toLowerCase());
    return isYes(v);
  }
  return true;
}

/**
 * The sections ("section") and items ("section.item") of a template that do not apply to a unit.
 * An item of a section that does not apply is not listed again: test a path with `isApplicable`.
 */
export function notApplicable(t: Template, unit: UnitFacts | null | undefined): Set<string> {
  const out = new Set<string>();
  if (!unit) return out;
  for (const s of t.sections) {
    if (!appliesToUnit(s.appliesTo, unit)) {
      out.add(s.key);
      continue;
    }
    for (const it of s.items) if (!appliesToUnit(it.appliesTo, unit)) out.add(`${s.key}.${it.key}`);
  }
  return out;
}

/** Whether a path (section, section.item or deeper) is outside the set notApplicable returned. */
export function isApplicable(skipped: Set<string>, path: string): boolean {
  if (!skipped.size) return true;
  const [s, i] = path.split('.');
  return !skipped.has(s!) && !(i !== undefined && skipped.has(`${s}.${i}`));
}

/** True when a template declares any appliesTo (a form that differs by unit). */
export function hasApplicability(t: Template): boolean {
  return t.sections.some((s) => s.appliesTo || s.items.some((i) => i.appliesTo));
}
