import type { Output } from '../../shared/contract.js';
import type { DraftChange, DraftContent } from '../../shared/draft.js';
import { draftChanges, draftGet, draftSet, sameDraftValue } from '../../shared/draft.js';
import type { Template } from '../../shared/template/schema.js';

/**
 * Issue 7: a window's draft carries its base, what it last knew to be stored (and at which draft
 * version). What the window sends is only the difference base → draft, each cell with the value
 * it started from, so a save never touches a cell this window did not change.
 */
export interface DraftBase extends DraftContent {
  version: number;
}
export interface SyncedDraft extends DraftContent {
  base?: DraftBase;
}
export interface Conflict {
  path: string;
  label: string;
  mine: unknown;
  theirs: unknown;
}
export type SaveAnswer = Output<'returns.saveDraft'>;

/** A draft as opened (or imported): what is stored, based on itself. */
export function withBase<D extends DraftContent>(d: D, version: number): D & { base: DraftBase } {
  return { ...d, base: { values: d.values, explanations: d.explanations, asOf: d.asOf, version } };
}

/** What this window changed and has not saved yet. */
export function pendingChanges(t: Template, d: SyncedDraft): DraftChange[] {
  return d.base ? draftChanges(t, d.base, d) : [];
}

function content(d: DraftContent): DraftContent {
  return { values: d.values, explanations: d.explanations, asOf: d.asOf };
}

/**
 * Merge a save's answer into the window's latest draft: the cells written become the base; the
 * cells others changed are taken unless this window changed them too (then its own value stays on
 * its old base, so saving it is a conflict, never a silent overwrite); a conflicting cell shows
 * the stored value, and the window's value is offered back (`conflicts`).
 */
export function mergeAnswer<D extends SyncedDraft>(
  d: D,
  sent: DraftChange[],
  r: SaveAnswer,
): { draft: D; conflicts: Conflict[]; taken: number } {
  if (!d.base) return { draft: d, conflicts: [], taken: 0 };
  let draft = content(d);
  let base: DraftContent = content(d.base);
  const inConflict = new Set(r.conflicts.map((c) => c.path));
  for (const c of sent) if (!inConflict.has(c.path)) base = draftSet(base, c.path, c.after);
  let taken = 0;
  for (const o of r.others) {
    const edited = !sameDraftValue(draftGet(draft, o.path), draftGet(base, o.path));
    if (!edited || sameDraftValue(draftGet(draft, o.path), o.value)) {
      if (!sameDraftValue(draftGet(draft, o.path), o.value)) taken++;
      draft = draftSet(draft, o.path, o.value);
      base = draftSet(base, o.path, o.value);
    }
  }
  const conflicts: Conflict[] = [];
  for (const c of r.conflicts) {
    const now = draftGet(draft, c.path);
    conflicts.push({ path: c.path, label: c.label, mine: sameDraftValue(now, c.theirs) ? c.mine : now, theirs: c.theirs });
    draft = draftSet(draft, c.path, c.theirs);
    base = draftSet(base, c.path, c.theirs);
  }
  // The answer's version, even when lower than the window's: the stored draft went back (a backup
  // was restored) or an earlier answer came late; either way the next check fetches from there.
  const version = r.draftVersion;
  return { draft: { ...d, ...draft, base: { ...base, version } }, conflicts, taken };
}
