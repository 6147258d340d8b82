import { findItem } from '../../shared/template/model.js';
import type { Issue } from '../../shared/template/rules.js';
import type { Template } from '../../shared/template/schema.js';

/** What the section form needs to know about issues: those to show inline, by place. */
export interface IssueIndex {
  /** Issues to show at an exact cell or item path. */
  at(path: string): Issue[];
  /** Issues to show under a table or repeat row (any cell of the row, or the row itself). */
  row(rowPath: string): Issue[];
  /** The worst severity of the issues pointing at a cell. */
  severity(cell: string): Issue['severity'] | undefined;
}

const EMPTY: Issue[] = [];

/**
 * Places issues where the section form shows them: at a cell or item path, under a table or repeat
 * row, and the worst severity per cell. One index for the editor, the city's review and the
 * template preview. `skip` leaves an issue out of the index (the editor hides required cells the
 * person has not reached yet).
 */
export function indexIssues(template: Template | null | undefined, issues: Issue[], skip?: (i: Issue) => boolean): IssueIndex {
  const at = new Map<string, Issue[]>();
  const row = new Map<string, Issue[]>();
  const sev = new Map<string, Issue['severity']>();
  const add = (m: Map<string, Issue[]>, k: string, i: Issue) => m.set(k, [...(m.get(k) ?? []), i]);
  for (const i of issues) {
    if (skip?.(i)) continue;
    if (i.severity === 'error' || !sev.has(i.cell)) sev.set(i.cell, i.severity);
    if (i.id.startsWith('asof:')) {
      add(at, `asof:${i.section}`, i);
      continue;
    }
    const parts = i.cell.split('.');
    const found = template ? findItem(template, i.cell) : undefined;
    if (found && (found.item.kind === 'table' || found.item.kind === 'repeat') && parts.length >= 3)
      add(row, parts.slice(0, 3).join('.'), i);
    else add(at, i.cell, i);
  }
  return { at: (k) => at.get(k) ?? EMPTY, row: (k) => row.get(k) ?? EMPTY, severity: (c) => sev.get(c) };
}
