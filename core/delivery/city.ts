/**
 * The city side of delivery: the pull (new packages from the intake, imported through the same
 * import as files, so the result table is the same) and the push of the clerk's review decisions.
 *
 * The pull is resumable: a package is recorded in city_pulled right after its import committed
 * (imported or refused), and the server's cursor is saved after each page; an interrupted pull
 * starts again at the saved cursor and skips what it already recorded. A package imported but not
 * yet recorded (a crash in between) comes again as a "duplicate": nothing is stored twice.
 *
 * A package the import refuses (its unit is missing from the city's list, say) is not left behind
 * (issue 7 item 11): it is kept with its bytes in city_pull_refused, listed for the clerk with the
 * reason, tried again at the start of every pull (and on "Thử lại"), and its refusal is relayed to
 * the intake as the decision "refused", so the commune sees "Thành phố chưa nhận được: <lý do>";
 * once imported, "received" clears it there.
 */
import type Database from 'better-sqlite3';
import type { ImportResult } from '../../shared/index.js';
import type { IncomingFile, ImportOptions } from '../city/import.js';
import { packageFileName } from '../packages.js';
import { zipNameOf } from '../attachments/index.js';
import { openPackageArchive } from '../city/zip.js';
import type { Failure, IntakeClient } from './client.js';
import { isTokenProblem, isWait } from './outbox.js';
import { INVALID_ANSWER } from './messages.js';
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
  const keepRefused = sqlite.prepare<{
    package_id: string; unit: string; period: string; revision: number; file_name: string; bytes: Uint8Array; reason: string; at: string;
  }>(
    `INSERT INTO city_pull_refused (package_id, unit, period, revision, file_name, bytes, reason, state, refused_at, attempts, relay)
     VALUES (@package_id, @unit, @period, @revision, @file_name, @bytes, @reason, 'refused', @at, 1, 'pending')
     ON CONFLICT (package_id) DO UPDATE SET reason = excluded.reason, state = 'refused', refused_at = excluded.refused_at,
       attempts = attempts + 1, relay = CASE WHEN reason = excluded.reason AND state = 'refused' THEN relay ELSE 'pending' END`,
  );
  const refusedRows = sqlite.prepare<[], RefusedRow>(
    `SELECT package_id, unit, period, revision, file_name, reason, refused_at, attempts FROM city_pull_refused
      WHERE state = 'refused' ORDER BY refused_at, package_id`,
  );
  const refusedBytes = sqlite.prepare<[string], { bytes: Buffer }>(`SELECT bytes FROM city_pull_refused WHERE package_id = ?`);
  const refusedImported = sqlite.prepare<[string]>(
    `UPDATE city_pull_refused SET state = 'imported', relay = 'pending' WHERE package_id = ?`,
  );
  const relayPending = sqlite.prepare<[], { package_id: string; state: 'refused' | 'imported'; reason: string }>(
    `SELECT package_id, state, reason FROM city_pull_refused WHERE relay = 'pending' ORDER BY refused_at`,
  );
  const relayPushed = sqlite.prepare<[string]>(`UPDATE city_pull_refused SET relay = 'pushed' WHERE package_id = ?`);
  return {
    /** Keep a pulled package the import refused (or refused again), to list it and try it again. */
    keepRefused: (r: { packageId: string; unit: string; period: string; revision: number; fileName: string; bytes: Uint8Array; reason: string; at: string }) =>
      void keepRefused.run({
        package_id: r.packageId, unit: r.unit, period: r.period, revision: r.revision, file_name: r.fileName, bytes: r.bytes, reason: r.reason, at: r.at,
      }),
    /** The pulled packages still refused, oldest first. */
    refused: () => refusedRows.all(),
    refusedBytes: (packageId: string) => refusedBytes.get(packageId)?.bytes,
    refusedImported: (packageId: string) => void refusedImported.run(packageId),
    relayPending: () => relayPending.all(),
    relayPushed: (packageId: string) => void relayPushed.run(packageId),
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

export interface RefusedRow {
  package_id: string;
  unit: string;
  period: string;
  revision: number;
  file_name: string;
  reason: string;
  refused_at: string;
  attempts: number;
}

/**
 * The import of one pull (or one "Thử lại"): the database is backed up once, before the first
 * package, not before each (a pull of 114 packages made 114 copies, and the rolling backups then
 * kept only the last 10: the copy from before the pull was gone).
 */
function backedUpOnce(importFiles: PullDeps['importFiles']): PullDeps['importFiles'] {
  let first = true;
  return (files, opts) => {
    const backup = first && opts.backup !== false;
    if (!opts.dryRun) first = false;
    return importFiles(files, { ...opts, backup });
  };
}

/**
 * Import the kept refused packages again (the cause may be fixed: a unit list imported since).
 * Answers the results of those imported now; those still refused stay listed with their reason.
 */
export async function retryRefused(deps: Pick<PullDeps, 'queue' | 'importFiles' | 'now'>): Promise<ImportResult[]> {
  const d = { ...deps, importFiles: backedUpOnce(deps.importFiles) };
  const out: ImportResult[] = [];
  for (const r of d.queue.refused()) {
    const bytes = d.queue.refusedBytes(r.package_id);
    if (!bytes) continue;
    const [result] = await d.importFiles([{ name: r.file_name, bytes }], { dryRun: false });
    if (!result) continue;
    if (result.outcome === 'refused')
      d.queue.keepRefused({ packageId: r.package_id, unit: r.unit, period: r.period, revision: r.revision, fileName: r.file_name, bytes, reason: result.message, at: d.now().toISOString() });
    else {
      d.queue.refusedImported(r.package_id);
      d.queue.recordPulled(r.package_id, result.outcome, d.now().toISOString());
      out.push(result);
    }
  }
  return out;
}

export interface PullDeps {
  queue: DecisionQueue;
  state: DeliveryState;
  importFiles(files: Iterable<IncomingFile>, opts: ImportOptions): Promise<ImportResult[]>;
  now(): Date;
}

/** Push the pending decisions; stops at the first failure that concerns every call (wait or token). */
export async function pushDecisions(d: PullDeps, client: IntakeClient): Promise<Failure | null> {
  // The city's refusals of pulled packages (and their end) go first: the commune must learn them.
  for (const p of d.queue.relayPending()) {
    const res = await client.postDecision(
      p.state === 'refused' ? { packageId: p.package_id, state: 'refused', reason: p.reason } : { packageId: p.package_id, state: 'received' },
    );
    if (res.ok) {
      await d.state.contact(res.serverTime);
      d.queue.relayPushed(p.package_id);
      continue;
    }
    const f = res.failure;
    if (f.kind === 'answer') await d.state.contact(f.serverTime);
    if (f.kind === 'network' || isWait(f) || isTokenProblem(f)) return f;
    // An intake that does not know the package or this state: nothing more to tell it.
    d.queue.relayPushed(p.package_id);
  }
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

/** Whether pulled bytes are a package zip (an archive the import must open; a suspicious one too, to be refused there). */
function isPackageZip(bytes: Uint8Array): boolean {
  try {
    return !!openPackageArchive({ name: 'goi.zip', bytes });
  } catch {
    return true;
  }
}

/** Fetch what is new on the intake and import it; answers the results so far and the failure that stopped it. */
export async function pullPackages(
  d: PullDeps,
  client: IntakeClient,
  stopped: () => boolean,
): Promise<{ results: ImportResult[]; failure: Failure | null }> {
  d = { ...d, importFiles: backedUpOnce(d.importFiles) };
  // What was refused before is tried first: its cause may be fixed since.
  const results: ImportResult[] = await retryRefused(d);
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
      const xlsxName = packageFileName({ id: s.template }, s.unit, s.period, s.revision);
      // A package sent with its attachments is a .zip (the .xlsx and tep-dinh-kem/): named so, the import opens it.
      const file = { name: isPackageZip(got.value) ? zipNameOf(xlsxName) : xlsxName, bytes: got.value };
      const [result] = await d.importFiles([file], {
        dryRun: false,
        onResult: (r) => {
          // Kept before it is recorded as pulled: a refused package is never skipped unkept.
          if (r.outcome === 'refused')
            d.queue.keepRefused({
              packageId: s.packageId, unit: s.unit, period: s.period, revision: s.revision, fileName: file.name, bytes: got.value, reason: r.message, at: d.now().toISOString(),
            });
          d.queue.recordPulled(s.packageId, r.outcome, d.now().toISOString());
        },
      });
      if (result) results.push(result);
      d.queue.onServer(s.packageId);
    }
    if (page.value.more && (!page.value.packages.length || page.value.cursor === cursor)) {
      // "More" without a package or a new cursor: the intake never answers so (a hostile or broken
      // server would keep the pull asking for the same page for ever).
      return { results, failure: { kind: 'answer', status: 200, code: null, action: 'wait', message: INVALID_ANSWER, serverTime: page.serverTime, retryAfterMs: null } };
    }
    cursor = page.value.cursor;
    await d.state.setPullCursor(cursor);
    if (!page.value.more) return { results, failure: null };
  }
}
