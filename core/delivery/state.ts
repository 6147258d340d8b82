/**
 * The connection as the app remembers it (settings table): the server address and token, the
 * last contact (the server's clock), the last problem as a Vietnamese sentence, the consecutive
 * failures (for the backoff) and whether the token was rejected. Times shown to a person are the
 * server's: the commune PC's clock may be days wrong.
 */
import type { Kysely } from 'kysely';
import type { DB } from '../db.js';

export interface DeliveryConfig {
  serverUrl: string;
  token: string;
}

export interface ConnectionState {
  /** The server's clock at its last answer. */
  lastContactAt: string | null;
  /** Server clock − this PC's clock (`now()`), at the last answer. */
  clockOffsetMs: number | null;
  lastError: string | null;
  /** Consecutive attempts that met a "wait" failure (network, busy server). */
  failures: number;
  /** The server rejected the token (401): the background sender stops until a new one is entered. */
  authFailed: boolean;
}

const KEYS = {
  url: 'delivery.server_url',
  token: 'delivery.token',
  state: 'delivery.state',
  cursor: 'delivery.pull_cursor',
} as const;
const EMPTY: ConnectionState = {
  lastContactAt: null,
  clockOffsetMs: null,
  lastError: null,
  failures: 0,
  authFailed: false,
};

export function deliveryState(db: Kysely<DB>, now: () => Date) {
  async function get(key: string): Promise<string | undefined> {
    return (await db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst())?.value;
  }
  async function set(key: string, value: string): Promise<void> {
    await db
      .insertInto('settings')
      .values({ key, value })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
      .execute();
  }
  let updates: Promise<unknown> = Promise.resolve();
  // The server's clock against this process's monotonic clock, from the last answer.
  let lastAnswer: { server: number; mono: number } | undefined;

  const state = {
    async config(): Promise<DeliveryConfig | null> {
      const [serverUrl, token] = await Promise.all([get(KEYS.url), get(KEYS.token)]);
      return serverUrl && token ? { serverUrl, token } : null;
    },
    async saveConfig(c: DeliveryConfig): Promise<void> {
      await db.transaction().execute(async (trx) => {
        for (const [key, value] of [
          [KEYS.url, c.serverUrl],
          [KEYS.token, c.token],
        ] as const)
          await trx
            .insertInto('settings')
            .values({ key, value })
            .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
            .execute();
      });
    },
    async read(): Promise<ConnectionState> {
      const raw = await get(KEYS.state);
      if (!raw) return { ...EMPTY };
      try {
        return { ...EMPTY, ...(JSON.parse(raw) as Partial<ConnectionState>) };
      } catch {
        return { ...EMPTY };
      }
    },
    /** Read, change and write the state, one change at a time (no update lost between two awaits). */
    update(patch: Partial<ConnectionState>): Promise<ConnectionState> {
      const run = updates.then(async () => {
        const next = { ...(await state.read()), ...patch };
        await set(KEYS.state, JSON.stringify(next));
        return next;
      });
      updates = run.catch(() => undefined);
      return run;
    },
    /** The server answered (any answer): remember its clock. */
    async contact(serverTime: string | null): Promise<void> {
      const t = serverTime ? Date.parse(serverTime) : NaN;
      if (Number.isNaN(t)) return;
      lastAnswer = { server: t, mono: performance.now() };
      await state.update({ lastContactAt: new Date(t).toISOString(), clockOffsetMs: t - now().getTime() });
    },
    /** Our best estimate of the server's clock now. */
    async serverNow(): Promise<number> {
      if (lastAnswer) return lastAnswer.server + (performance.now() - lastAnswer.mono);
      const { clockOffsetMs } = await state.read();
      return now().getTime() + (clockOffsetMs ?? 0);
    },
    async pullCursor(): Promise<string> {
      return (await get(KEYS.cursor)) ?? '';
    },
    async setPullCursor(cursor: string): Promise<void> {
      await set(KEYS.cursor, cursor);
    },
  };
  return state;
}

export type DeliveryState = ReturnType<typeof deliveryState>;
