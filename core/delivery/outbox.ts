/**
 * The commune's outbox: every submitted revision is queued (in the transaction that froze it) and
 * posted as its stored package bytes. The intake is idempotent by package id, so a retry after a
 * connection cut (even one cut after the server stored the package) stores nothing twice: 200 and
 * 201 are both "sent". The city's decisions come back through GET /status.
 */
import type { Kysely, UpdateObject } from 'kysely';
import { sql } from 'kysely';
import type { z } from 'zod';
import type { OutboxItemSchema } from '../../shared/index.js';
import type { DB } from '../db.js';
import type { Failure, IntakeClient } from './client.js';
import { itemRefusal } from './messages.js';
import { revisionPackage } from '../attachments/package.js';
import type { DeliveryState } from './state.js';

export type OutboxItem = z.infer<typeof OutboxItemSchema>;

/** Refusals that concern the package itself: a new token or address does not change them. */
const PACKAGE_REFUSALS = [
  'corrupt_file',
  'not_a_package',
  'wrong_template',
  'too_large',
  'empty_body',
  'package_conflict',
  'unsupported_media_type',
];

/**
 * `error_code` of a queued package whose last upload got no answer (cut, timed out, the app
 * closed): the server may hold it, so the next attempt asks its status before uploading it again.
 */
const ANSWER_LOST = 'answer_lost';

/** 401, or a city token used to send (403 forbidden): the token is the problem, not the package. */
export const isTokenProblem = (f: Failure): boolean =>
  f.kind === 'answer' && (f.status === 401 || (f.status === 403 && f.code === 'forbidden'));
/** Try again later: no answer, a busy server, too many requests. */
export const isWait = (f: Failure): boolean => f.kind === 'network' || f.action === 'wait';

export interface CycleOutcome {
  /** The failure that ended the cycle early (wait or token); null when it ran to the end. */
  failure: Failure | null;
  /** Items still waiting to be sent (not refused for good). */
  remaining: number;
  /** Items sent and waiting for the city's decision. */
  awaiting: number;
  /** Items the server refused for good, with their sentences. */
  refused: string[];
  /** The cycle read the commune's inbox (so the sender asks it again later, issue 9). */
  inbox?: boolean;
}

const STATUS_BATCH = 100;
const STATUS_WATCH = 300;

export function outbox(db: Kysely<DB>, state: DeliveryState) {
  async function items(): Promise<OutboxItem[]> {
    const rows = await db
      .selectFrom('outbox as o')
      .innerJoin('returns as r', 'r.id', 'o.return_id')
      .select([
        'o.package_id',
        'o.return_id',
        'o.revision',
        'o.state',
        'o.attempts',
        'o.sent_at',
        'o.decided_at',
        'o.reason',
        'o.error',
        'r.period',
      ])
      .orderBy('o.queued_at', 'desc')
      .orderBy('o.revision', 'desc')
      .execute();
    return rows.map((r) => ({
      returnId: r.return_id,
      period: r.period,
      revision: r.revision,
      packageId: r.package_id,
      state: r.state,
      attempts: r.attempts,
      sentAt: r.sent_at,
      decidedAt: r.decided_at,
      reason: r.state === 'sent' ? null : r.reason,
      error: r.error,
      // A reason on a sent package is the city's refusal to import it (see poll).
      cityRefusal: r.state === 'sent' ? r.reason : null,
    }));
  }

  async function counts(): Promise<{ remaining: number; awaiting: number; refused: string[] }> {
    const rows = await db
      .selectFrom('outbox')
      .select(['state', 'error'])
      .where('state', 'in', ['queued', 'sending', 'sent'])
      .execute();
    return {
      remaining: rows.filter((r) => r.state !== 'sent' && !r.error).length,
      awaiting: rows.filter((r) => r.state === 'sent').length,
      refused: rows.filter((r) => r.error).map((r) => r.error!),
    };
  }

  const setState = (packageId: string, patch: UpdateObject<DB, 'outbox'>) =>
    db.updateTable('outbox').set(patch).where('package_id', '=', packageId).execute();

  /** Post every queued package once, in the order they were submitted, then read the decisions. */
  async function cycle(client: IntakeClient, stopped: () => boolean): Promise<CycleOutcome> {
    const queued = await db
      .selectFrom('outbox as o')
      .innerJoin('returns as r', 'r.id', 'o.return_id')
      .select(['o.package_id', 'o.revision', 'o.error_code', 'r.period'])
      .where('o.state', 'in', ['queued', 'sending'])
      .where('o.error', 'is', null)
      .orderBy('o.queued_at')
      .orderBy('o.revision')
      .execute();
    let failure: Failure | null = null;
    for (const item of queued) {
      if (stopped()) break;
      if (item.error_code === ANSWER_LOST) {
        // The last upload got no answer: the server may have stored it. Ask before uploading
        // the whole package again (the question counts as an attempt).
        const known = await client.status([item.package_id]);
        if (!known.ok && (isWait(known.failure) || isTokenProblem(known.failure))) {
          if (known.failure.kind === 'answer') await state.contact(known.failure.serverTime);
          await setState(item.package_id, { state: 'queued', attempts: sql<number>`attempts + 1` });
          failure = known.failure;
          break;
        }
        const held = known.ok ? known.value.packages.find((p) => p.packageId === item.package_id) : undefined;
        if (known.ok) await state.contact(known.serverTime);
        if (held && held.state !== 'unknown') {
          // Stored already: sent (the poll below reads the city's decision).
          await setState(item.package_id, {
            state: 'sent',
            attempts: sql<number>`attempts + 1`,
            sent_at: held.receivedAt,
            error: null,
            error_code: null,
          });
          continue;
        }
      }
      await setState(item.package_id, { state: 'sending', attempts: sql<number>`attempts + 1` });
      // The .xlsx package, or the .zip of it with its attachments.
      const { bytes, zipped } = await revisionPackage(db, item.package_id);
      const res = await client.postPackage(bytes, zipped);
      if (res.ok) {
        await state.contact(res.serverTime);
        await setState(item.package_id, {
          state: 'sent',
          sent_at: res.value.receivedAt,
          error: null,
          error_code: null,
        });
        continue;
      }
      const f = res.failure;
      if (f.kind === 'answer') await state.contact(f.serverTime);
      if (f.kind === 'network' || isTokenProblem(f) || isWait(f)) {
        // No answer at all: the package may be stored (ask its status next time); an answer: it is not.
        await setState(item.package_id, { state: 'queued', error_code: f.kind === 'network' ? ANSWER_LOST : null });
        failure = f;
        break;
      }
      // Refused for good (400 invalid, 403 another unit, 413 too large, …): stop trying this one.
      await setState(item.package_id, {
        state: 'queued',
        error: itemRefusal(item.period, item.revision, f),
        error_code: f.code ?? String(f.status),
      });
    }
    if (!failure && !stopped()) failure = await poll(client);
    return { failure, ...(await counts()) };
  }

  /** GET /status for the packages sent: received, accepted, returned (with the city's reason). */
  async function poll(client: IntakeClient): Promise<Failure | null> {
    const watched = await db
      .selectFrom('outbox')
      .select(['package_id', 'state'])
      .where('state', 'in', ['sent', 'accepted', 'returned'])
      .orderBy('queued_at', 'desc')
      .limit(STATUS_WATCH)
      .execute();
    for (let i = 0; i < watched.length; i += STATUS_BATCH) {
      const res = await client.status(watched.slice(i, i + STATUS_BATCH).map((w) => w.package_id));
      if (!res.ok) {
        if (res.failure.kind === 'answer') await state.contact(res.failure.serverTime);
        return res.failure;
      }
      await state.contact(res.serverTime);
      for (const p of res.value.packages) {
        if (p.state === 'unknown') {
          // The server does not hold it (restored from an older backup?): send it again.
          await setState(p.packageId, { state: 'queued', sent_at: null });
          continue;
        }
        // refused: the city fetched it but could not import it yet (issue 7 item 11): still sent,
        // with the city's reason kept until the city imports it.
        await setState(p.packageId, {
          state: p.state === 'received' || p.state === 'refused' ? 'sent' : p.state,
          sent_at: p.receivedAt,
          decided_at: p.state === 'refused' ? null : p.decidedAt,
          reason: p.state === 'returned' || p.state === 'refused' ? p.reason : null,
        });
      }
    }
    return null;
  }

  return {
    items,
    counts,
    cycle,
    /** After a restart: an attempt cut by the exit is simply queued again. */
    async resetSending(): Promise<void> {
      // Its answer never came: ask the status before uploading it again.
      await db
        .updateTable('outbox')
        .set({ state: 'queued', error_code: ANSWER_LOST })
        .where('state', '=', 'sending')
        .where('error', 'is', null)
        .execute();
    },
    /** A new token or address: try again the packages refused because of the token or the unit. */
    async clearTokenRefusals(): Promise<void> {
      await db
        .updateTable('outbox')
        .set({ error: null, error_code: null })
        .where('error', 'is not', null)
        .where((eb) => eb.or([eb('error_code', 'is', null), eb('error_code', 'not in', PACKAGE_REFUSALS)]))
        .execute();
    },
  };
}

export type Outbox = ReturnType<typeof outbox>;
