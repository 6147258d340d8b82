/**
 * The offices' inbox on the intake (issue 9): request editions the city put (signed files, kept
 * verbatim, routed by the addressed units read from their payload) and reminders to one unit each.
 * Both share one arrival order, `seq`, given under the inbox insert lock, so a unit's cursor reads
 * both and never skips a row committed late.
 */
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { InboxItem, ReminderInput } from './api.js';
import type { IntakeDb, IntakeTables } from './db.js';
import { INBOX_INSERT_LOCK, withInsertLock } from './db.js';

async function nextSeq(trx: Kysely<IntakeTables>): Promise<number> {
  const r = await sql<{ m: number | string | null }>`
    select max(m) as m from (select max(seq) as m from requests union all select max(seq) as m from reminders) t`.execute(trx);
  return Number(r.rows[0]?.m ?? 0) + 1;
}

export interface PutRequest {
  requestId: string;
  edition: number;
  units: string[];
  content: string;
}

/**
 * Store a request edition once: `stored` the first time, `same` when the edition is held with the
 * same content, `conflict` when it is held with another.
 */
export async function putRequest(
  db: IntakeDb,
  r: PutRequest,
): Promise<{ outcome: 'stored' | 'same' | 'conflict'; seq: number; receivedAt: string }> {
  return withInsertLock(
    db,
    async (trx) => {
      const held = await trx
        .selectFrom('requests')
        .select(['seq', 'content', 'received_at'])
        .where('request_id', '=', r.requestId)
        .where('edition', '=', r.edition)
        .executeTakeFirst();
      if (held)
        return { outcome: held.content === r.content ? 'same' : 'conflict', seq: Number(held.seq), receivedAt: held.received_at };
      const seq = await nextSeq(trx);
      const receivedAt = new Date().toISOString();
      await trx
        .insertInto('requests')
        .values({
          seq,
          request_id: r.requestId,
          edition: r.edition,
          units_json: JSON.stringify(r.units),
          content: r.content,
          received_at: receivedAt,
        })
        .execute();
      return { outcome: 'stored', seq, receivedAt };
    },
    INBOX_INSERT_LOCK,
  );
}

/** Store reminders; one already held (by id) is left as it is. Answers how many were stored now. */
export async function putReminders(db: IntakeDb, list: ReminderInput[]): Promise<number> {
  return withInsertLock(
    db,
    async (trx) => {
      const ids = [...new Set(list.map((r) => r.id))];
      const held = new Set(
        (await trx.selectFrom('reminders').select('id').where('id', 'in', ids).execute()).map((r) => r.id),
      );
      let seq = await nextSeq(trx);
      let stored = 0;
      const receivedAt = new Date().toISOString();
      for (const r of list) {
        if (held.has(r.id)) continue;
        held.add(r.id);
        await trx
          .insertInto('reminders')
          .values({
            seq: seq++,
            id: r.id,
            request_id: r.requestId,
            unit: r.unit,
            message: r.message,
            created_at: r.createdAt,
            received_at: receivedAt,
          })
          .execute();
        stored++;
      }
      return stored;
    },
    INBOX_INSERT_LOCK,
  );
}

/**
 * A unit's inbox after `after`: at most `limit` items in arrival order, and fewer when their
 * content passes `maxBytes` (always at least one, so a large edition never blocks the cursor).
 */
export async function readInbox(
  db: IntakeDb,
  unit: string,
  after: number,
  limit: number,
  maxBytes: number,
): Promise<{ items: InboxItem[]; next: number; more: boolean }> {
  if (!/^\d{5}$/.test(unit)) return { items: [], next: after, more: false };
  // The codes are five digits, quoted in the JSON array: an exact match, in both dialects.
  const requests = await db.kysely
    .selectFrom('requests')
    .select(['seq', 'content'])
    .where('seq', '>', after)
    .where('units_json', 'like', `%"${unit}"%`)
    .orderBy('seq')
    .limit(limit + 1)
    .execute();
  const reminders = await db.kysely
    .selectFrom('reminders')
    .select(['seq', 'id', 'request_id', 'message', 'created_at'])
    .where('unit', '=', unit)
    .where('seq', '>', after)
    .orderBy('seq')
    .limit(limit + 1)
    .execute();
  const all: InboxItem[] = [
    ...requests.map((r): InboxItem => ({ seq: Number(r.seq), kind: 'request', content: r.content })),
    ...reminders.map(
      (r): InboxItem => ({
        seq: Number(r.seq),
        kind: 'reminder',
        id: r.id,
        requestId: r.request_id,
        message: r.message,
        createdAt: r.created_at,
      }),
    ),
  ].sort((a, b) => a.seq - b.seq);
  const items: InboxItem[] = [];
  let bytes = 0;
  for (const item of all) {
    const size = item.kind === 'request' ? item.content.length : item.message.length + 200;
    if (items.length >= limit || (items.length > 0 && bytes + size > maxBytes)) break;
    items.push(item);
    bytes += size;
  }
  return {
    items,
    next: items.length ? items[items.length - 1]!.seq : after,
    more: items.length < all.length,
  };
}
