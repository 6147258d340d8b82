/**
 * For the delivery tests: a real intake server on 127.0.0.1 (SQLite file or a database of a test
 * PostgreSQL cluster), commune and city cores on real SQLite files with a fast backoff, and a
 * small `waitFor`.
 */
import type { FastifyInstance } from 'fastify';
import type { ReturnJson } from '../../shared/index.js';
import type { Core, CoreOptions } from '../../core/handlers.js';
import { createCore } from '../../core/handlers.js';
import type { DeliveryOptions } from '../../core/delivery/index.js';
import type { IntakeAppOptions, IntakeDb, IntakeDbOptions } from '../../server/intake/index.js';
import { createIntakeApp, issueToken, listenIntake, openIntakeDb } from '../../server/intake/index.js';
import { resourcesDir } from './sample.js';

export interface TestIntake {
  url: string;
  db: IntakeDb;
  app: FastifyInstance;
  unitToken(unit: string): Promise<string>;
  cityToken(): Promise<string>;
  /** Stored packages (all, or of one package id). */
  count(packageId?: string): Promise<number>;
  close(): Promise<void>;
}

export async function startIntake(
  store: IntakeDbOptions,
  opts: Omit<IntakeAppOptions, 'db'> = {},
  port = 0,
): Promise<TestIntake> {
  const db = await openIntakeDb(store);
  const app = await createIntakeApp({ db, rateLimit: false, ...opts });
  const url = await listenIntake(app, port);
  return {
    url,
    db,
    app,
    unitToken: async (unit) => (await issueToken(db, { unit })).token,
    cityToken: async () => (await issueToken(db, { city: true })).token,
    async count(packageId) {
      let q = db.kysely.selectFrom('packages').select((eb) => eb.fn.countAll().as('n'));
      if (packageId) q = q.where('package_id', '=', packageId);
      return Number((await q.executeTakeFirstOrThrow()).n);
    },
    async close() {
      await app.close();
      await db.close();
    },
  };
}

/** Backoff and polling in milliseconds, so the tests wait for retries without sleeping long. */
export const FAST: DeliveryOptions = {
  baseDelayMs: 20,
  maxDelayMs: 300,
  startDelayMs: 10,
  pollIntervalMs: 150,
  requestTimeoutMs: 5_000,
};

export async function openNode(
  dbPath: string,
  opts: { now?: () => Date; delivery?: DeliveryOptions } = {},
): Promise<Core> {
  const o: CoreOptions = {
    dbPath,
    resourcesDir,
    appVersion: '0.1.0-test',
    now: opts.now,
    delivery: opts.delivery ?? FAST,
  };
  return createCore(o);
}

/** A commune database of `unit` (role chosen) with its returns submitted. */
export async function openCommune(
  dbPath: string,
  unit: string,
  opts: { now?: () => Date; delivery?: DeliveryOptions; submit?: ReturnJson[] } = {},
): Promise<Core> {
  const core = await openNode(dbPath, opts);
  await core.handlers['app.setup']({ role: 'commune', unitCode: unit });
  for (const r of opts.submit ?? []) await core.submitReturnJson(r);
  return core;
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false | null>,
  timeoutMs = 30_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 40));
  }
}
