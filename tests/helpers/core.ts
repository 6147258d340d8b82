import type { CallName, Input, Output } from '../../shared/index.js';
import { contract } from '../../shared/index.js';
import type { Core } from '../../core/handlers.js';
import { createCore } from '../../core/handlers.js';
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
