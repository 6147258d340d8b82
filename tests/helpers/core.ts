import type { CallName, Input, Output, ReturnState, Template } from '../../shared/index.js';
import { draftChanges } from '../../shared/draft.js';
import { contract, normalizeValues } from '../../shared/index.js';
import type { Core } from '../../core/handlers.js';
import { createCore } from '../../core/handlers.js';
import { loadResources } from '../../core/resources.js';
import { resourcesDir } from './sample.js';

/** A core on a real SQLite file; `now` is fixed unless given (2026-05-10 10:00 in Vietnam). */
export async function openCore(dbPath: string, now?: () => Date): Promise<Core> {
  return createCore({ dbPath, resourcesDir, appVersion: '0.1.0-test', now: now ?? (() => new Date('2026-05-10T03:00:00Z')) });
}

/** Call a handler the way a transport does: input checked, output checked against the contract. */
export async function call<N extends CallName>(core: Core, name: N, input: Input<N>): Promise<Output<N>> {
  const parsed = contract[name].input.parse(input);
  const out = await (core.handlers[name] as (i: unknown) => unknown)(parsed);
  return contract[name].output.parse(out) as Output<N>;
}

/**
 * Save a whole draft the way a window does since issue 7: the changes from the stored draft
 * (read afresh) to `next`, at the stored version. Explanations default to none, as-of dates to the stored ones.
 */
export async function saveWhole(
  core: Core,
  period: string,
  next: { values: Record<string, Record<string, unknown>>; explanations?: Record<string, string>; asOf?: Record<string, string> },
  template = 'BC-CX',
): Promise<Output<'returns.saveDraft'>> {
  const cur = await call(core, 'returns.open', { template, period });
  return call(core, 'returns.saveDraft', wholeDraftInput(core.resources.getTemplate(cur.template, cur.templateVersion)!, cur, next));
}

/** The returns.saveDraft input that turns the stored draft `cur` (as returns.open gave it) into `next`. */
export function wholeDraftInput(
  t: Template,
  cur: Pick<ReturnState, 'returnId' | 'draftVersion' | 'values' | 'explanations' | 'asOf'>,
  next: { values: Record<string, Record<string, unknown>>; explanations?: Record<string, string>; asOf?: Record<string, string> },
): Input<'returns.saveDraft'> {
  const changes = draftChanges(t, cur, { values: next.values, explanations: next.explanations ?? {}, asOf: next.asOf ?? cur.asOf });
  return { returnId: cur.returnId, baseVersion: cur.draftVersion, changes };
}

/** A draft's inputs as stored and compared (empties dropped): saves since issue 7 store no empty table rows. */
export function inputsOf(values: Record<string, Record<string, unknown>>): Record<string, Record<string, unknown>> {
  return normalizeValues(loadResources(resourcesDir).getTemplate('BC-CX', 1)!, values);
}
