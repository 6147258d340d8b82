/**
 * Requests and reminders through the intake (issue 9).
 *
 * City: on every delivery cycle (and pull), the editions waiting in request_push are put to the
 * intake as their signed bytes, and the reminders waiting (push_state 'pending') are posted;
 * both are idempotent on the intake, so a retry after a cut answer stores nothing twice. An
 * edition the intake refuses for good is marked 'refused' with its reason.
 *
 * Commune: after sending its outbox, the sender reads its inbox after the cursor kept in settings
 * ('inbox_cursor'), page by page, and hands every request edition to the commune's requests
 * (which verify the city's signature and the addressee) and every reminder to its reminders. An
 * item refused there (altered, another key, not addressed) is logged and skipped; the cursor moves
 * after each item, so a cut connection resumes where it stopped.
 */
import type Database from 'better-sqlite3';
import type { Kysely } from 'kysely';
import { AppError, toErrorShape } from '../../shared/index.js';
import type { ReminderInput } from '../../shared/intake-api.js';
import type { CommuneRequests } from '../requests/commune.js';
import type { DB } from '../db.js';
import type { Failure, IntakeClient } from './client.js';
import { INVALID_ANSWER } from './messages.js';
import { isTokenProblem, isWait } from './outbox.js';
import type { DeliveryState } from './state.js';

const REMINDER_BATCH = 100;

/** The city's editions and reminders waiting for the intake (raw statements on the city's connection). */
export function requestPushQueue(sqlite: Database.Database) {
  const pending = sqlite.prepare<[], { request_id: string; edition: number; signed: Buffer }>(
    `SELECT p.request_id, p.edition, r.signed FROM request_push p
       JOIN requests r ON r.id = p.request_id AND r.edition = p.edition
      WHERE p.state = 'pending' ORDER BY r.stored_at, p.request_id, p.edition`,
  );
  const mark = sqlite.prepare<[string, string | null, string, number]>(
    `UPDATE request_push SET state = ?, error = ?, attempts = attempts + 1 WHERE request_id = ? AND edition = ?`,
  );
  const tried = sqlite.prepare<[string, number]>(
    `UPDATE request_push SET attempts = attempts + 1 WHERE request_id = ? AND edition = ?`,
  );
  const reminders = sqlite.prepare<[], { id: string; request_id: string; unit: string; message: string; created_at: string }>(
    `SELECT id, request_id, unit, message, created_at FROM reminders
      WHERE direction = 'sent' AND push_state = 'pending' ORDER BY created_at, id`,
  );
  const markReminder = sqlite.prepare<[string, string]>(`UPDATE reminders SET push_state = ? WHERE id = ?`);
  const counts = sqlite.prepare<[], { n: number }>(
    `SELECT (SELECT count(*) FROM request_push WHERE state = 'pending')
          + (SELECT count(*) FROM reminders WHERE direction = 'sent' AND push_state = 'pending') AS n`,
  );
  return {
    pendingEditions: () => pending.all(),
    mark: (requestId: string, edition: number, state: 'pushed' | 'refused', error: string | null = null) =>
      void mark.run(state, error, requestId, edition),
    tried: (requestId: string, edition: number) => void tried.run(requestId, edition),
    pendingReminders: () => reminders.all(),
    markReminders: (ids: string[], state: 'pushed' | 'offline') =>
      sqlite.transaction(() => ids.forEach((id) => markReminder.run(state, id)))(),
    /** Editions and reminders still to push. */
    remaining: () => counts.get()?.n ?? 0,
  };
}

export type RequestPushQueue = ReturnType<typeof requestPushQueue>;

/** Push the pending editions, then the pending reminders; stops at a failure that concerns every call. */
export async function pushRequests(
  d: { queue: RequestPushQueue; state: DeliveryState; log?(message: string, cause?: unknown): void },
  client: IntakeClient,
): Promise<Failure | null> {
  for (const p of d.queue.pendingEditions()) {
    const res = await client.putRequest(p.signed);
    if (res.ok) {
      await d.state.contact(res.serverTime);
      d.queue.mark(p.request_id, p.edition, 'pushed');
      continue;
    }
    const f = res.failure;
    if (f.kind === 'answer') await d.state.contact(f.serverTime);
    if (f.kind === 'network' || isWait(f) || isTokenProblem(f)) {
      d.queue.tried(p.request_id, p.edition);
      return f;
    }
    // Refused for good (another content under this edition, a file the intake cannot read).
    const why =
      f.message ??
      'Máy chủ tiếp nhận trả lời không đúng như máy chủ của Thành phố. Hãy kiểm tra địa chỉ máy chủ trong phần Cài đặt; trong lúc chờ, hãy gửi tệp yêu cầu qua email hoặc USB.';
    d.queue.mark(p.request_id, p.edition, 'refused', why);
    d.log?.(`delivery: request ${p.request_id} edition ${p.edition} refused by the intake (${f.status})`, f.message);
  }
  const reminders = d.queue.pendingReminders();
  for (let i = 0; i < reminders.length; i += REMINDER_BATCH) {
    const batch = reminders.slice(i, i + REMINDER_BATCH);
    const list: ReminderInput[] = batch.map((r) => ({
      id: r.id,
      requestId: r.request_id,
      unit: r.unit,
      message: r.message,
      createdAt: r.created_at,
    }));
    const res = await client.postReminders(list);
    if (res.ok) {
      await d.state.contact(res.serverTime);
      d.queue.markReminders(
        batch.map((r) => r.id),
        'pushed',
      );
      continue;
    }
    const f = res.failure;
    if (f.kind === 'answer') await d.state.contact(f.serverTime);
    if (f.kind === 'network' || isWait(f) || isTokenProblem(f)) return f;
    // Refused for good: these reach their offices only by the contact list (email, phone).
    d.queue.markReminders(
      batch.map((r) => r.id),
      'offline',
    );
    d.log?.(`delivery: ${batch.length} reminders refused by the intake (${f.status})`, f.message);
  }
  return null;
}

// ---- the commune's inbox ----------------------------------------------------------------------

const CURSOR = 'inbox_cursor';
const INBOX_STATE = 'inbox_state';

export interface InboxState {
  /** New request editions (received or updated) brought by the last pull that brought any. */
  received: number;
  /** When (the server's clock) that pull ran. */
  at: string | null;
}

async function getSetting(db: Kysely<DB>, key: string): Promise<string | undefined> {
  return (await db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst())?.value;
}
async function putSetting(db: Kysely<DB>, key: string, value: string): Promise<void> {
  await db
    .insertInto('settings')
    .values({ key, value })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
    .execute();
}

export function inboxState(db: Kysely<DB>) {
  return {
    async cursor(): Promise<number> {
      const v = Number(await getSetting(db, CURSOR));
      return Number.isInteger(v) && v > 0 ? v : 0;
    },
    setCursor: (n: number) => putSetting(db, CURSOR, String(n)),
    /** Another intake: its arrival order is another; read it from the start (receiving is idempotent). */
    reset: () => putSetting(db, CURSOR, '0'),
    async read(): Promise<InboxState> {
      try {
        return { received: 0, at: null, ...(JSON.parse((await getSetting(db, INBOX_STATE)) ?? '{}') as Partial<InboxState>) };
      } catch {
        return { received: 0, at: null };
      }
    },
    write: (s: InboxState) => putSetting(db, INBOX_STATE, JSON.stringify(s)),
  };
}

export type InboxStore = ReturnType<typeof inboxState>;

/** A refusal of the item itself (altered, another key, not addressed, older): skip it, never retry. */
const ITEM_REFUSALS: readonly string[] = ['refused', 'invalid_input', 'not_found', 'wrong_template', 'corrupt_file', 'not_a_package', 'wrong_return'];
function refusedItem(e: unknown): boolean {
  return e instanceof AppError && ITEM_REFUSALS.includes(e.code);
}

/** Not the item's fault (the disk, a busy database): the cursor stays, tried again on the next cycle. */
function notStored(e: unknown): Failure {
  return {
    kind: 'answer',
    status: 0,
    code: null,
    action: 'wait',
    message: `Đã nhận yêu cầu mới từ Thành phố nhưng chưa lưu được vào máy này. ${toErrorShape(e).message} Ứng dụng sẽ tự nhận lại ở lần kết nối sau.`,
    serverTime: null,
    retryAfterMs: null,
  };
}

/**
 * Read the inbox after the kept cursor until it is empty. Answers the failure that stopped it
 * (the cursor stays at the last item handled) and how many new editions arrived.
 */
export async function pullInbox(
  d: {
    db: Kysely<DB>;
    state: DeliveryState;
    requests: Pick<CommuneRequests, 'receiveSigned' | 'receiveReminder'>;
    log?(message: string, cause?: unknown): void;
  },
  client: IntakeClient,
  stopped: () => boolean,
): Promise<{ failure: Failure | null; received: number }> {
  const store = inboxState(d.db);
  let cursor = await store.cursor();
  let received = 0;
  let serverTime: string | null = null;
  const done = async (failure: Failure | null) => {
    if (received > 0) await store.write({ received, at: serverTime });
    return { failure, received };
  };
  for (;;) {
    if (stopped()) return done({ kind: 'network', cause: new Error('stopped') });
    const page = await client.inbox(cursor);
    if (!page.ok) {
      const f = page.failure;
      if (f.kind === 'answer') await d.state.contact(f.serverTime);
      // An intake from before issue 9 has no inbox: nothing to receive, not a problem to show.
      if (f.kind === 'answer' && f.status === 404 && f.code === 'not_found') return done(null);
      return done(f);
    }
    await d.state.contact(page.serverTime);
    serverTime = page.serverTime;
    const before = cursor;
    for (const item of page.value.items) {
      if (item.seq <= cursor) continue;
      try {
        if (item.kind === 'request') {
          const r = await d.requests.receiveSigned(Buffer.from(item.content, 'utf8'), 'network');
          if (r.outcome === 'received' || r.outcome === 'updated') received++;
        } else
          await d.requests.receiveReminder({
            id: item.id,
            requestId: item.requestId,
            message: item.message,
            sentAt: item.createdAt,
          });
      } catch (e) {
        if (!refusedItem(e)) {
          // Not the item's fault (the disk, a bug): keep the cursor, try again on the next cycle.
          d.log?.(`delivery: inbox item ${item.seq} could not be stored; tried again later`, e);
          return done(notStored(e));
        }
        d.log?.(`delivery: inbox item ${item.seq} (${item.kind}) refused and skipped: ${(e as Error).message}`);
      }
      cursor = item.seq;
      await store.setCursor(cursor);
    }
    if (page.value.next > cursor) {
      cursor = page.value.next;
      await store.setCursor(cursor);
    }
    if (!page.value.more) return done(null);
    // "More" without moving the cursor: the intake never answers so (a broken or hostile server
    // would keep the pull asking for the same page for ever).
    if (cursor <= before)
      return done({ kind: 'answer', status: 200, code: null, action: 'wait', message: INVALID_ANSWER, serverTime: page.serverTime, retryAfterMs: null });
  }
}
