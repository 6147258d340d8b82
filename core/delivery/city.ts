/**
 * The city side of delivery: the pull (new packages from the intake, imported through the same
 * import as files, so the result table is the same) and the push of the clerk's review decisions.
 *
 * The pull is resumable: a package is recorded in city_pulled right after its import committed
 * (imported or refused), and the server's cursor is saved after each page; an interrupted pull
 * starts again at the saved cursor and skips what it already recorded. A package imported but not
 * yet recorded (a crash in between) comes again as a "duplicate": nothing is stored twice.
 */
import type Database from 'better-sqlite3';
import type { ImportResult } from '../../shared/index.js';
import type { IncomingFile, ImportOptions } from '../city/import.js';
import { packageFileName } from '../packages.js';
import type { Failure, IntakeClient } from './client.js';
import { isTokenProblem, isWait } from './outbox.js';
import type { DeliveryState } from './state.js';

const PAGE = 50;

/** Raw statements on the city's connection (synchronous, so they join the caller's transaction). */
export function decisionQueue(sqlite: Database.Database) {
  const upsert = sqlite.prepare<[string, 'accepted' | 'returned', string | null, string]>(
    `INSERT INTO city_decision_outbox (package_id, decision, reason, decided_at, state, attempts)
     VALUES (?, ?, ?, ?, 'pending', 0)
     ON CONFLICT (package_id) DO UPDATE SET decision = excluded.decision, reason = excluded.reason,
       decided_at = excluded.decided_at, state = 'pending', error = NULL`,
  );
  const pending = sqlite.prepare<[], { package_id: string; decision: 'accepted' | 'returned'; reason: string | null }>(
    `SELECT package_id, decision, reason FROM city_decision_outbox WHERE state = 'pending' ORDER BY decided_at`,
  );
  const mark = sqlite.prepare<[string, string | null, string]>(
    `UPDATE city_decision_outbox SET state = ?, error = ?, attempts = attempts + 1 WHERE package_id = ?`,
  );
  const onServer = sqlite.prepare<[string]>(
    `UPDATE city_decision_outbox SET state = 'pending' WHERE package_id = ? AND state = 'not_on_server'`,
  );
  const pulled = sqlite.prepare<[string], { outcome: string }>(`SELECT outcome FROM city_pulled WHERE package_id = ?`);
  const recordPulled = sqlite.prepare<[string, string, string]>(
    `INSERT INTO city_pulled (package_id, outcome, pulled_at) VALUES (?, ?, ?)
     ON CONFLICT (package_id) DO UPDATE SET outcome = excluded.outcome, pulled_at = excluded.pulled_at`,
  );
  return {
    /** Queue (or replace) the decision on a package; call inside the transaction that records it. */
    queue: (packageId: string, decision: 'accepted' | 'returned', reason: string | null, decidedAt: string) =>
      void upsert.run(packageId, decision, reason, decidedAt),
    pending: () => pending.all(),
    mark: (packageId: string, s: 'pushed' | 'not_on_server' | 'refused', error: string | null = null) =>
      void mark.run(s, error, packageId),
    /** The intake holds this package after all: push its decision (if any) again. */
    onServer: (packageId: string) => void onServer.run(packageId),
    wasPulled: (packageId: string) => pulled.get(packageId) !== undefined,
    recordPulled: (packageId: string, outcome: string, at: string) => void recordPulled.run(packageId, outcome, at),
  };
}

export type DecisionQueue = ReturnType<typeof decisionQueue>;

export interface PullDeps {
  queue: DecisionQueue;
  state: DeliveryState;
  importFiles(files: Iterable<IncomingFile>, opts: ImportOptions): Promise<ImportResult[]>;
  now(): Date;
}

/** Push the pending decisions; stops at the first failure that concerns every call (wait or token). */
export async function pushDecisions(d: PullDeps, client: IntakeClient): Promise<Failure | null> {
  for (const p of d.queue.pending()) {
    const res = await client.postDecision({
      packageId: p.package_id,
      state: p.decision,
      ...(p.reason ? { reason: p.reason } : {}),
    });
    if (res.ok) {
      await d.state.contact(res.serverTime);
      d.queue.mark(p.package_id, 'pushed');
      continue;
    }
    const f = res.failure;
    if (f.kind === 'answer') await d.state.contact(f.serverTime);
    if (f.kind === 'network' || isWait(f) || isTokenProblem(f)) return f;
    // 404: the intake does not hold this package (it came by email or USB); 400: refused for good.
    d.queue.mark(p.package_id, f.status === 404 ? 'not_on_server' : 'refused', f.message);
  }
  return null;
}

/** Fetch what is new on the intake and import it; answers the results so far and the failure that stopped it. */
export async function pullPackages(
  d: PullDeps,
  client: IntakeClient,
  stopped: () => boolean,
): Promise<{ results: ImportResult[]; failure: Failure | null }> {
  const results: ImportResult[] = [];
  let cursor = await d.state.pullCursor();
  for (;;) {
    if (stopped()) return { results, failure: { kind: 'network', cause: new Error('stopped') } };
    const page = await client.listPackages(cursor, PAGE);
    if (!page.ok) {
      if (page.failure.kind === 'answer') await d.state.contact(page.failure.serverTime);
      return { results, failure: page.failure };
    }
    await d.state.contact(page.serverTime);
    for (const s of page.value.packages) {
      if (d.queue.wasPulled(s.packageId)) continue;
      const got = await client.getPackage(s.packageId, s);
      if (!got.ok) return { results, failure: got.failure };
      const file = { name: packageFileName({ id: s.template }, s.unit, s.period, s.revision), bytes: got.value };
      const [result] = await d.importFiles([file], {
        dryRun: false,
        onResult: (r) => d.queue.recordPulled(s.packageId, r.outcome, d.now().toISOString()),
      });
      if (result) results.push(result);
      d.queue.onServer(s.packageId);
    }
    cursor = page.value.cursor;
    await d.state.setPullCursor(cursor);
    if (!page.value.more) return { results, failure: null };
  }
}
