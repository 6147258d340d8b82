/**
 * The HTTP client of the city's intake (/api/v1, shapes in shared/intake-api.ts) used by the
 * commune outbox and the city pull. Every request has a timeout and can be aborted (closing the
 * app); no call throws for a network or server problem: it answers a Failure the caller sorts
 * into "wait and retry" or "a person must act".
 */
import { createHash } from 'node:crypto';
import type { z } from 'zod';
import type {
  DecisionInput,
  Inbox,
  IntakeErrorCode,
  PackageList,
  PackageReceipt,
  ReminderInput,
  RequestReceipt,
} from '../../shared/intake-api.js';
import {
  API_PREFIX,
  DecisionSchema,
  HealthSchema,
  InboxSchema,
  RemindersReceiptSchema,
  RequestReceiptSchema,
  IntakeErrorSchema,
  PackageListSchema,
  PackageReceiptSchema,
  StatusSchema,
  XLSX_CONTENT_TYPE,
} from '../../shared/intake-api.js';
import { INVALID_ANSWER } from './messages.js';

export type Failure =
  /** No answer: refused, cut, timed out, DNS. Always "wait". */
  | { kind: 'network'; cause: unknown }
  /** The server answered with a refusal (or something that is not the intake's JSON). */
  | {
      kind: 'answer';
      status: number;
      code: IntakeErrorCode | null;
      action: 'wait' | 'act';
      /** The server's Vietnamese sentence, when it sent one. */
      message: string | null;
      serverTime: string | null;
      retryAfterMs: number | null;
    };

export type Result<T> =
  { ok: true; status: number; value: T; serverTime: string | null } | { ok: false; failure: Failure };

export interface ClientOptions {
  /** Aborts every request in flight (closing the app). */
  signal?: AbortSignal;
  /** Per request, for small answers. */
  timeoutMs?: number;
  /** An upload or download may take longer: timeout = timeoutMs + bytes / minBytesPerSecond. */
  minBytesPerSecond?: number;
  /** Bytes sent and received (bodies), for the status line and the benchmark. */
  onTraffic?(sent: number, received: number): void;
  /**
   * A stalled connection: no byte of the answer for this long (after the request was sent, at
   * minBytesPerSecond) → give up now (a "wait" failure, tried again later) rather than at the
   * overall deadline. Default 20 s.
   */
  idleTimeoutMs?: number;
  /** Largest JSON answer read (a hostile or impersonated server may send without end); default 4 MB. */
  maxJsonBytes?: number;
  /** Largest package the city pull downloads; default 64 MB (the intake's largest package: a zip with attachments). */
  maxPackageBytes?: number;
}

export const DEFAULT_MAX_JSON_BYTES = 4 * 1024 * 1024;
export const DEFAULT_MAX_PACKAGE_BYTES = 64 * 1024 * 1024;
/** An inbox page: up to ~3 MB of request files, or one of up to 8 MB (the intake's limit), as JSON. */
const INBOX_MAX_BYTES = 12 * 1024 * 1024;
/** A refusal's body: the intake's is a few hundred bytes. */
const MAX_REFUSAL_BYTES = 64 * 1024;

/** The server's answer is larger than any answer of the intake: not read further. */
class TooLarge extends Error {}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** `https://city.example/` or `…/api/v1` → `https://city.example` (what the settings keep). */
export function normalizeServerUrl(url: string): string {
  return url
    .trim()
    .replace(/\/+$/, '')
    .replace(/\/api\/v1$/i, '')
    .replace(/\/+$/, '');
}

export class IntakeClient {
  private readonly timeoutMs: number;
  private readonly minBytesPerSecond: number;
  private readonly idleTimeoutMs: number;
  private readonly maxJsonBytes: number;
  private readonly maxPackageBytes: number;
  constructor(
    readonly serverUrl: string,
    private readonly token: string,
    private readonly opts: ClientOptions = {},
  ) {
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.minBytesPerSecond = opts.minBytesPerSecond ?? 2_000;
    this.idleTimeoutMs = opts.idleTimeoutMs ?? 20_000;
    this.maxJsonBytes = opts.maxJsonBytes ?? DEFAULT_MAX_JSON_BYTES;
    this.maxPackageBytes = opts.maxPackageBytes ?? DEFAULT_MAX_PACKAGE_BYTES;
  }

  private signal(bytes: number, idle: AbortSignal): AbortSignal {
    const timeout = AbortSignal.timeout(this.timeoutMs + Math.ceil((bytes / this.minBytesPerSecond) * 1000));
    return AbortSignal.any([timeout, idle, ...(this.opts.signal ? [this.opts.signal] : [])]);
  }

  private async request<T>(
    path: string,
    init: {
      method?: string;
      body?: Uint8Array | string;
      type?: string;
      auth?: boolean;
      expectBytes?: number;
      /** Largest answer read (default: the JSON cap). */
      maxBytes?: number;
    },
    parse: (body: Buffer) => T,
  ): Promise<Result<T>> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (init.auth !== false) headers.authorization = `Bearer ${this.token}`;
    if (init.type) headers['content-type'] = init.type;
    const size = typeof init.body === 'string' ? Buffer.byteLength(init.body) : (init.body?.length ?? 0);
    // The idle timer: first the time to send the request, then reset by every part of the answer.
    const idle = new AbortController();
    let idleTimer: NodeJS.Timeout | undefined;
    const arm = (ms: number) => {
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => idle.abort(new Error(`no answer for ${ms} ms (stalled)`)), ms);
      idleTimer.unref?.();
    };
    arm(this.idleTimeoutMs + Math.ceil((size / this.minBytesPerSecond) * 1000));
    let res: Response;
    try {
      res = await fetch(`${this.serverUrl}${API_PREFIX}${path}`, {
        method: init.method ?? 'GET',
        headers,
        body: init.body as RequestInit['body'],
        signal: this.signal(size + (init.expectBytes ?? 0), idle.signal),
        redirect: 'error',
      });
    } catch (cause) {
      clearTimeout(idleTimer);
      return { ok: false, failure: { kind: 'network', cause } };
    }
    arm(this.idleTimeoutMs);
    try {
      if (res.ok) {
        const body = await readCapped(res, init.maxBytes ?? this.maxJsonBytes, () => arm(this.idleTimeoutMs));
        const value = parse(body);
        this.opts.onTraffic?.(size, body.length);
        return { ok: true, status: res.status, value, serverTime: serverTimeOf(value) };
      }
      const body = await readCapped(res, MAX_REFUSAL_BYTES, () => arm(this.idleTimeoutMs));
      this.opts.onTraffic?.(size, body.length);
      return { ok: false, failure: refusalOf(res, body.toString('utf8')) };
    } catch (cause) {
      // An answer larger than any the intake sends: not read further, and not "the network".
      if (cause instanceof TooLarge)
        return {
          ok: false,
          failure: {
            kind: 'answer',
            status: res.status,
            code: null,
            action: 'wait',
            message: INVALID_ANSWER,
            serverTime: null,
            retryAfterMs: null,
          },
        };
      // Cut while the answer was arriving, or an answer that is not what the intake sends.
      if (cause instanceof NotIntake)
        return {
          ok: false,
          failure: {
            kind: 'answer',
            status: res.status,
            code: null,
            action: 'act',
            message: null,
            serverTime: null,
            retryAfterMs: null,
          },
        };
      return { ok: false, failure: { kind: 'network', cause } };
    } finally {
      clearTimeout(idleTimer);
    }
  }

  /** GET /health (no token). */
  health(): Promise<Result<{ ok: boolean; time: string }>> {
    return this.request('/health', { auth: false }, json(HealthSchema));
  }

  /** POST /packages: 201 stored, 200 already stored (idempotent by package id); both are a receipt. */
  postPackage(bytes: Uint8Array, zipped = false): Promise<Result<PackageReceipt>> {
    return this.request(
      '/packages',
      // A package zip (the .xlsx with its attachments) is sent as plain bytes; the intake reads what it is.
      { method: 'POST', body: bytes, type: zipped ? 'application/octet-stream' : XLSX_CONTENT_TYPE },
      json(PackageReceiptSchema),
    );
  }

  /** GET /status?packages=… (unit token). */
  status(packageIds: string[]): Promise<Result<z.infer<typeof StatusSchema>>> {
    return this.request(`/status?packages=${packageIds.map(encodeURIComponent).join(',')}`, {}, json(StatusSchema));
  }

  /** GET /packages?since=&limit= (city token). */
  listPackages(since: string, limit: number): Promise<Result<PackageList>> {
    const q = new URLSearchParams({ since, limit: String(limit) });
    return this.request(`/packages?${q}`, {}, json(PackageListSchema));
  }

  /** GET /packages/:id (city token): the stored bytes, checked against the sha256 the server lists. */
  getPackage(packageId: string, expected: { sha256: string; size: number }): Promise<Result<Buffer>> {
    // Never more than the listing announced, nor more than the largest package.
    const maxBytes = Math.min(expected.size, this.maxPackageBytes);
    return this.request(`/packages/${encodeURIComponent(packageId)}`, { expectBytes: maxBytes, maxBytes }, (bytes) => {
      if (expected.size > this.maxPackageBytes)
        throw new TooLarge(`package ${packageId}: listed at ${expected.size} bytes`);
      if (bytes.length !== expected.size || sha256(bytes) !== expected.sha256)
        throw new Error(`package ${packageId}: got ${bytes.length} bytes, sha256 differs from the listing`);
      return bytes;
    });
  }

  /** POST /decisions (city token). */
  postDecision(d: DecisionInput): Promise<Result<z.infer<typeof DecisionSchema>>> {
    return this.request(
      '/decisions',
      { method: 'POST', body: JSON.stringify(d), type: 'application/json' },
      json(DecisionSchema),
    );
  }

  /** PUT /requests (city token): a signed request file's bytes; 201 stored, 200 already held. */
  putRequest(signed: Uint8Array): Promise<Result<RequestReceipt>> {
    return this.request('/requests', { method: 'PUT', body: signed, type: 'application/json' }, json(RequestReceiptSchema));
  }

  /** POST /reminders (city token): idempotent by reminder id. */
  postReminders(list: ReminderInput[]): Promise<Result<z.infer<typeof RemindersReceiptSchema>>> {
    return this.request(
      '/reminders',
      { method: 'POST', body: JSON.stringify(list), type: 'application/json' },
      json(RemindersReceiptSchema),
    );
  }

  /** GET /inbox?after= (unit token): request editions addressed to this unit and its reminders. */
  inbox(after: number): Promise<Result<Inbox>> {
    // A page carries signed request files (their templates inside): larger than other answers.
    return this.request(`/inbox?after=${after}`, { maxBytes: Math.max(this.maxJsonBytes, INBOX_MAX_BYTES) }, json(InboxSchema));
  }
}

class NotIntake extends Error {}

/**
 * The answer's body, read as it arrives and given up past `cap` bytes (announced or received), so
 * a server sending without end costs at most `cap` of memory. `progress` runs on every part.
 */
async function readCapped(res: Response, cap: number, progress: () => void): Promise<Buffer> {
  const announced = Number(res.headers.get('content-length') ?? NaN);
  if (announced > cap) {
    await res.body?.cancel().catch(() => undefined);
    throw new TooLarge(`answer of ${announced} bytes announced, at most ${cap} read`);
  }
  if (!res.body) return Buffer.alloc(0);
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    progress();
    total += value.byteLength;
    if (total > cap) {
      await reader.cancel().catch(() => undefined);
      throw new TooLarge(`answer larger than ${cap} bytes`);
    }
    parts.push(value);
  }
  return Buffer.concat(parts, total);
}

function json<S extends z.ZodType>(schema: S): (body: Buffer) => z.infer<S> {
  return (body) => {
    const text = body.toString('utf8');
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      throw new NotIntake(`not JSON: ${text.slice(0, 200)}`);
    }
    const parsed = schema.safeParse(data);
    if (!parsed.success) throw new NotIntake(`unexpected answer: ${text.slice(0, 200)}`);
    return parsed.data;
  };
}

function serverTimeOf(v: unknown): string | null {
  if (v && typeof v === 'object') {
    const o = v as { serverTime?: unknown; time?: unknown };
    if (typeof o.serverTime === 'string') return o.serverTime;
    if (typeof o.time === 'string') return o.time;
  }
  return null;
}

function refusalOf(res: Response, text: string): Failure {
  const retryAfter = Number(res.headers.get('retry-after'));
  const retryAfterMs = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : null;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const parsed = IntakeErrorSchema.safeParse(body);
  if (parsed.success)
    return {
      kind: 'answer',
      status: res.status,
      code: parsed.data.code,
      action: res.status === 429 || res.status >= 500 ? 'wait' : parsed.data.action,
      message: parsed.data.message,
      serverTime: parsed.data.serverTime,
      retryAfterMs,
    };
  // Not the intake's refusal: a proxy or gateway in between (502, 503, 504: wait), or an address
  // that is not the intake (anything else: a person must check the address).
  return {
    kind: 'answer',
    status: res.status,
    code: null,
    action: res.status === 429 || res.status >= 500 ? 'wait' : 'act',
    message: null,
    serverTime: null,
    retryAfterMs,
  };
}
