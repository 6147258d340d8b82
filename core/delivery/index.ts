/**
 * Delivery (issue 4), the `deliveryContract` of shared/contract.ts: the connection settings, the
 * commune's outbox with its background sender, the city's pull and decision push.
 *
 * The background sender runs on timers, outside any request: it posts what is queued, reads the
 * city's decisions, and after a "wait" failure (no network, busy server) tries again with
 * exponential backoff and full jitter (base 5 s, cap 30 min), reset on success. A rejected token
 * stops it until a new one is entered. Its state lives in SQLite, so it resumes after a restart.
 *
 * Issue 9 (requests.ts): the city's cycle also puts its request editions and reminders on the
 * intake; a commune's cycle reads its inbox after sending (and every inboxIntervalMs when idle).
 */
import type Database from 'better-sqlite3';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Handlers, ImportResult, Output, Role } from '../../shared/index.js';
import { AppError } from '../../shared/index.js';
import type { DB } from '../db.js';
import type { IncomingFile, ImportOptions } from '../city/import.js';
import type { Failure } from './client.js';
import { IntakeClient, normalizeServerUrl } from './client.js';
import { decisionQueue, pullPackages, pushDecisions } from './city.js';
import {
  CITY_TOKEN_ON_COMMUNE,
  NOT_CONFIGURED,
  NOT_INTAKE,
  UNIT_TOKEN_ON_CITY,
  connectionMessage,
} from './messages.js';
import type { CycleOutcome } from './outbox.js';
import { isTokenProblem, isWait, outbox } from './outbox.js';
import type { DeliveryConfig } from './state.js';
import { deliveryState } from './state.js';
import type { CommuneRequests } from '../requests/commune.js';
import { inboxState, pullInbox, pushRequests, requestPushQueue } from './requests.js';

export { decisionQueue } from './city.js';
export type { DecisionQueue } from './city.js';
export { IntakeClient, normalizeServerUrl } from './client.js';

export interface DeliveryOptions {
  /** Start the background sender when delivery is configured (default true; the command line says false). */
  autoStart?: boolean;
  /** Backoff after a "wait" failure: a random delay in [0, min(maxDelayMs, baseDelayMs · 2^(n−1))]. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** How often to ask for the city's decisions while some packages wait for one. */
  pollIntervalMs?: number;
  /** Delay before the first attempt after start or after something new was queued. */
  startDelayMs?: number;
  /** Per request; uploads and downloads get more time by their size (minBytesPerSecond). */
  requestTimeoutMs?: number;
  minBytesPerSecond?: number;
  /** Give up on a connection that carries no byte of the answer for this long (default 20 s). */
  idleTimeoutMs?: number;
  /** The jitter's random source (tests). */
  random?: () => number;
  /**
   * A commune with nothing to send or to wait for still asks its inbox (new requests, reminders)
   * this often (default 15 min); every other connection reads it too.
   */
  inboxIntervalMs?: number;
}

export interface DeliveryDeps {
  db: Kysely<DB>;
  sqlite: Database.Database;
  /** This PC's clock (it may be days wrong: only used to estimate the server's clock). */
  now(): Date;
  settings(): Promise<{ role: Role | null; unitCode: string | null }>;
  unitName(code: string): Promise<string>;
  importFiles(files: Iterable<IncomingFile>, opts: ImportOptions): Promise<ImportResult[]>;
  claimCity(): Promise<void>;
  /** A commune's requests (issue 9): what its inbox brings is handed to them. */
  requests?: Pick<CommuneRequests, 'receiveSigned' | 'receiveReminder'>;
  options?: DeliveryOptions;
  log?(message: string, cause?: unknown): void;
}

type Connection = Output<'delivery.status'>['connection'];

export interface Delivery {
  handlers: Pick<Handlers, 'delivery.status' | 'delivery.configure' | 'delivery.sendNow'>;
  /** city.pull: fetch and import what is new, push the decisions. */
  pull(): Promise<Output<'city.pull'>>;
  /** Keep an address and token without checking them now (the command line's --server/--token). */
  useSettings(c: DeliveryConfig): Promise<void>;
  /** Something new to send (a submitted revision, a review decision). */
  kick(): void;
  /** Start the background sender if delivery is configured (createCore does, unless autoStart is false). */
  start(): Promise<void>;
  /** Stop the sender and wait for the attempt in flight (aborted). */
  stop(): Promise<void>;
}

/**
 * The wait before the next attempt after `failures` consecutive "wait" failures: exponential
 * backoff with full jitter, a random delay in [0, min(max, base · 2^(failures − 1))], never less
 * than the server's Retry-After (429; itself at most the longest wait) and never a busy loop (50 ms at least).
 */
export function backoffDelay(
  failures: number,
  o: { baseDelayMs: number; maxDelayMs: number; random: () => number; retryAfterMs?: number | null },
): number {
  const ceiling = Math.min(o.maxDelayMs, o.baseDelayMs * 2 ** Math.min(Math.max(0, failures - 1), 30));
  // A Retry-After beyond the longest wait is not obeyed further: a timer of more than 24.8 days
  // fires at once in Node, and a server (hostile or misconfigured) must not stop delivery for weeks.
  const retryAfter = Math.min(o.retryAfterMs ?? 0, Math.max(o.maxDelayMs, 50));
  return Math.max(Math.round(o.random() * ceiling), retryAfter, 50);
}

const SettingsFileSchema = z.object({
  serverUrl: z.string().url().max(500),
  token: z.string().min(10).max(500),
  unit: z.string().max(50).optional(),
});

const SETTINGS_FILE =
  'Tệp cài đặt không đúng: cần một tệp JSON do thành phố cấp, có "serverUrl" (địa chỉ máy chủ) và "token" (mã truy cập). Hãy xin lại tệp cài đặt của thành phố, hoặc nhập địa chỉ và mã bằng tay.';

export function createDelivery(deps: DeliveryDeps): Delivery {
  const o = deps.options ?? {};
  const base = o.baseDelayMs ?? 5_000;
  const cap = o.maxDelayMs ?? 30 * 60_000;
  const pollEvery = o.pollIntervalMs ?? 5 * 60_000;
  const startDelay = o.startDelayMs ?? 1_000;
  const random = o.random ?? Math.random;
  const state = deliveryState(deps.db, deps.now);
  const box = outbox(deps.db, state);
  const queue = decisionQueue(deps.sqlite);
  const pullDeps = { queue, state, importFiles: deps.importFiles, now: deps.now };
  const requestQueue = requestPushQueue(deps.sqlite);
  const inbox = inboxState(deps.db);
  const inboxEvery = o.inboxIntervalMs ?? 15 * 60_000;
  const pushDeps = { queue: requestQueue, state, log: deps.log };
  /** The city's decisions, then its request editions and reminders. */
  const pushAll = async (client: IntakeClient): Promise<Failure | null> =>
    (await pushDecisions(pullDeps, client)) ?? (await pushRequests(pushDeps, client));

  const abort = new AbortController();
  let stopped = false;
  let started = false;
  let timer: NodeJS.Timeout | undefined;
  let dueAt: number | undefined; // performance.now() of the next attempt
  let chain: Promise<unknown> = Promise.resolve();

  const clientFor = (c: DeliveryConfig) =>
    new IntakeClient(c.serverUrl, c.token, {
      signal: abort.signal,
      timeoutMs: o.requestTimeoutMs,
      minBytesPerSecond: o.minBytesPerSecond,
      idleTimeoutMs: o.idleTimeoutMs,
    });

  /** One thing at a time on the connection: background cycles, "Gửi ngay", pulls. */
  function exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = chain.then(fn, fn);
    chain = run.catch(() => undefined);
    return run;
  }

  async function connection(): Promise<Connection> {
    const c = await state.config();
    const s = await state.read();
    let nextAttemptAt: string | null = null;
    if (c && dueAt !== undefined)
      nextAttemptAt = new Date((await state.serverNow()) + Math.max(0, dueAt - performance.now())).toISOString();
    return {
      configured: !!c,
      serverUrl: c?.serverUrl ?? null,
      lastContactAt: s.lastContactAt,
      lastError: c ? s.lastError : null,
      nextAttemptAt,
    };
  }

  async function role(): Promise<{ role: Role; unitCode: string | null }> {
    const s = await deps.settings();
    if (!s.role)
      throw new AppError(
        'not_configured',
        'Chưa chọn vai trò của máy này. Hãy hoàn tất bước thiết lập ban đầu (chọn đơn vị của mình, hoặc vai trò Thành phố) rồi cài đặt gửi báo cáo.',
      );
    return { role: s.role, unitCode: s.unitCode };
  }

  /** The sentence for the end of a cycle: the failure that stopped it, else the packages refused for good. */
  async function finish(failure: Failure | null, refused: string[], isCity: boolean): Promise<void> {
    const s = await state.read();
    if (failure && isTokenProblem(failure)) {
      const msg =
        failure.kind === 'answer' && failure.status === 403
          ? isCity
            ? UNIT_TOKEN_ON_CITY
            : CITY_TOKEN_ON_COMMUNE
          : connectionMessage(failure);
      await state.update({ authFailed: true, lastError: msg });
    } else if (failure) {
      await state.update({
        failures: isWait(failure) ? s.failures + 1 : s.failures,
        lastError: connectionMessage(failure),
      });
    } else {
      const lastError =
        refused.length === 0
          ? null
          : refused.length === 1
            ? refused[0]!
            : `Máy chủ thành phố không nhận ${refused.length} báo cáo (xem lý do ở từng báo cáo). ${refused[0]}`;
      await state.update({ failures: 0, authFailed: false, lastError });
    }
  }

  // ---- one attempt --------------------------------------------------------------------------
  async function cycle(explicit: boolean): Promise<CycleOutcome | null> {
    const c = await state.config();
    const s = await deps.settings();
    if (!c || !s.role) return null;
    if ((await state.read()).authFailed && !explicit) return null;
    const client = clientFor(c);
    if (s.role === 'commune') {
      const out = await box.cycle(client, () => stopped);
      // After sending: what the city sent this office (requests, reminders).
      if (!out.failure && !stopped && deps.requests) {
        const got = await pullInbox({ db: deps.db, state, requests: deps.requests, log: deps.log }, client, () => stopped);
        out.failure = got.failure;
        out.inbox = true;
      }
      if (!stopped) await finish(out.failure, out.refused, false);
      return out;
    }
    const failure = await pushAll(client);
    if (!stopped) await finish(failure, [], true);
    return { failure, remaining: queue.pending().length + requestQueue.remaining(), awaiting: 0, refused: [] };
  }

  // ---- the background sender ----------------------------------------------------------------
  function schedule(ms: number | null): void {
    if (timer) clearTimeout(timer);
    timer = undefined;
    dueAt = undefined;
    if (ms === null || stopped || !started) return;
    dueAt = performance.now() + ms;
    timer = setTimeout(() => void tick(), ms);
    timer.unref?.();
  }

  async function backoff(retryAfterMs: number | null): Promise<number> {
    const { failures } = await state.read();
    return backoffDelay(failures, { baseDelayMs: base, maxDelayMs: cap, random, retryAfterMs });
  }

  async function next(out: CycleOutcome | null): Promise<number | null> {
    if (!out) return null; // not configured, or the token was rejected: wait for new settings
    if (out.failure)
      return isTokenProblem(out.failure)
        ? null
        : backoff(out.failure.kind === 'answer' ? out.failure.retryAfterMs : null);
    if (out.remaining > 0) return startDelay;
    if (out.awaiting > 0) return Math.min(pollEvery, out.inbox ? inboxEvery : pollEvery);
    return out.inbox ? inboxEvery : null;
  }

  async function tick(): Promise<void> {
    // dueAt stays (now past) while the attempt runs: the status says "trying now", not "nothing planned".
    timer = undefined;
    try {
      const out = await exclusive(() => cycle(false));
      if (!stopped) schedule(await next(out));
    } catch (e) {
      if (stopped) return;
      deps.log?.('delivery: background attempt failed', e);
      schedule(await backoff(null).catch(() => cap));
    }
  }

  async function start(): Promise<void> {
    if (stopped) return;
    await box.resetSending();
    started = true;
    if (await state.config()) schedule(startDelay);
  }

  // ---- settings -----------------------------------------------------------------------------
  function parseSettingsFile(data: string): z.infer<typeof SettingsFileSchema> {
    const text = Buffer.from(data, 'base64')
      .toString('utf8')
      .replace(/^\uFEFF/, '');
    if (text.length > 64 * 1024) throw new AppError('invalid_input', SETTINGS_FILE);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new AppError('invalid_input', SETTINGS_FILE);
    }
    const parsed = SettingsFileSchema.safeParse(json);
    if (!parsed.success) throw new AppError('invalid_input', SETTINGS_FILE);
    return parsed.data;
  }

  /** Keep new settings; after any attempt in flight, so its outcome does not overwrite them. */
  function saveAndRestart(c: DeliveryConfig, lastError: string | null): Promise<void> {
    return exclusive(async () => {
      const before = await state.config();
      await state.saveConfig(c);
      await state.update({ authFailed: false, failures: 0, lastError });
      if (!before || before.token !== c.token || before.serverUrl !== c.serverUrl) {
        await box.clearTokenRefusals();
        if (before?.serverUrl !== c.serverUrl) {
          await state.setPullCursor('');
          await inbox.reset();
        }
      }
      if (started) schedule(startDelay);
    });
  }

  const refuse = (message: string) => new AppError('invalid_input', message);

  async function configure(input: Parameters<Handlers['delivery.configure']>[0]): Promise<Connection> {
    const who = await role();
    let serverUrl: string;
    let token: string;
    if ('file' in input) {
      const f = parseSettingsFile(input.file.data);
      const unit = f.unit?.trim();
      if (who.role === 'commune' && unit && unit !== who.unitCode)
        throw refuse(
          `Tệp cài đặt này là của ${await deps.unitName(unit)} (mã ${unit}), không phải của ${await deps.unitName(who.unitCode ?? '')}. ` +
            'Hãy xin thành phố tệp cài đặt đúng của đơn vị mình; cài đặt cũ (nếu có) không thay đổi.',
        );
      if (who.role === 'city' && unit && !/^(city|thanh-?pho|thành phố)$/i.test(unit))
        throw refuse(
          `Tệp cài đặt này là của ${await deps.unitName(unit)} (mã ${unit}), không dùng cho Thành phố. Hãy dùng tệp cài đặt (hoặc mã truy cập) của thành phố.`,
        );
      serverUrl = f.serverUrl;
      token = f.token;
    } else ({ serverUrl, token } = input);
    serverUrl = normalizeServerUrl(serverUrl);
    token = token.trim();
    if (!/^https?:\/\/[^/\s]+/i.test(serverUrl))
      throw refuse(
        'Địa chỉ máy chủ phải bắt đầu bằng http:// hoặc https://, ví dụ https://baocao.haiphong.gov.vn. Hãy nhập lại địa chỉ do thành phố cung cấp.',
      );

    // Check it: the intake answers, and the token is one it knows, of this unit (or of the city).
    const client = new IntakeClient(serverUrl, token, {
      signal: abort.signal,
      timeoutMs: Math.min(o.requestTimeoutMs ?? 15_000, 15_000),
      idleTimeoutMs: o.idleTimeoutMs,
    });
    const offline = `Đã lưu cài đặt, nhưng chưa kết nối được tới máy chủ ${serverUrl} để kiểm tra. Nếu máy đang có mạng, hãy kiểm tra lại địa chỉ; nếu không, ứng dụng sẽ tự kiểm tra và gửi khi có mạng.`;
    const health = await client.health();
    if (!health.ok) {
      if (isWait(health.failure)) {
        await saveAndRestart(
          { serverUrl, token },
          health.failure.kind === 'network' ? offline : connectionMessage(health.failure),
        );
        return connection();
      }
      throw refuse(
        `Địa chỉ ${serverUrl} không phải máy chủ tiếp nhận báo cáo của thành phố. ${NOT_INTAKE} Cài đặt cũ (nếu có) không thay đổi.`,
      );
    }
    await state.contact(health.serverTime);
    const check =
      who.role === 'commune'
        ? await client.status([]).then((r) => (r.ok ? { ok: true as const, unit: r.value.unit } : r))
        : await client.listPackages('', 1).then((r) => (r.ok ? { ok: true as const, unit: null } : r));
    if (!check.ok) {
      const f = check.failure;
      if (isWait(f)) {
        await saveAndRestart({ serverUrl, token }, f.kind === 'network' ? offline : connectionMessage(f));
        return connection();
      }
      if (f.kind === 'answer' && f.status === 403)
        throw refuse(who.role === 'commune' ? CITY_TOKEN_ON_COMMUNE : UNIT_TOKEN_ON_CITY);
      throw refuse(`${connectionMessage(f).replace(/ Ứng dụng ngừng gửi.*$/, '')} Cài đặt cũ (nếu có) không thay đổi.`);
    }
    if (who.role === 'commune' && check.unit !== who.unitCode)
      throw refuse(
        `Mã truy cập này là của ${await deps.unitName(check.unit ?? '')} (mã ${check.unit}), không phải của ${await deps.unitName(who.unitCode ?? '')}. ` +
          'Hãy nhập đúng mã truy cập của đơn vị mình; cài đặt cũ (nếu có) không thay đổi.',
      );
    await saveAndRestart({ serverUrl, token }, null);
    if (!started && o.autoStart !== false) await start();
    return connection();
  }

  async function status(): Promise<Output<'delivery.status'>> {
    const s = await deps.settings();
    if (s.role !== 'commune') return { connection: await connection(), items: [] };
    const got = await inbox.read();
    return {
      connection: await connection(),
      items: await box.items(),
      ...(got.received > 0 ? { inbox: { received: got.received, at: got.at, message: `Đã nhận ${got.received} yêu cầu mới` } } : {}),
    };
  }

  const handlers: Delivery['handlers'] = {
    'delivery.status': () => status(),
    'delivery.configure': (input) => configure(input),
    'delivery.sendNow': async () => {
      await role();
      if (!(await state.config())) throw new AppError('not_configured', NOT_CONFIGURED);
      const out = await exclusive(() => cycle(true));
      if (started && !stopped) schedule(await next(out));
      return status();
    },
  };

  async function pull(): Promise<Output<'city.pull'>> {
    await deps.claimCity();
    const c = await state.config();
    if (!c) throw new AppError('not_configured', NOT_CONFIGURED);
    return exclusive(async () => {
      const client = clientFor(c);
      let failure = await pushAll(client);
      let results: ImportResult[] = [];
      if (!failure) ({ results, failure } = await pullPackages(pullDeps, client, () => stopped));
      if (!failure) failure = await pushAll(client);
      if (!stopped) await finish(failure, [], true);
      return { connection: await connection(), results };
    });
  }

  return {
    handlers,
    pull,
    async useSettings(c) {
      const serverUrl = normalizeServerUrl(c.serverUrl);
      const before = await state.config();
      if (before?.serverUrl === serverUrl && before.token === c.token.trim()) return;
      await saveAndRestart({ serverUrl, token: c.token.trim() }, null);
    },
    kick() {
      if (!started || stopped) return;
      void state
        .read()
        .then((s) => {
          if (!s.authFailed) schedule(Math.min(startDelay, 200));
        })
        .catch(() => undefined);
    },
    start: () => (o.autoStart === false ? Promise.resolve() : start()),
    async stop() {
      stopped = true;
      schedule(null);
      abort.abort();
      await chain.catch(() => undefined);
    },
  };
}
