/**
 * The city's intake server (issue 4): communes post their packages, the city pulls them and posts
 * its decisions back, communes read the decisions and the published template and unit list.
 * Since issue 9 the city also puts its signed request editions and reminders, and each unit reads
 * its own inbox of them (inbox.ts).
 * Every answer is JSON except a package download; every refusal is `{code, message, action,
 * serverTime}` with a Vietnamese message (api.ts, errors.ts).
 */
import Fastify from 'fastify';
import JSZip from 'jszip';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import type { Template } from '../../shared/index.js';
import { AppError, parsePeriod, parseTemplate, templateKey } from '../../shared/index.js';
import { loadXlsx, packageFileName } from '../../core/packages.js';
import { attachmentRefs, matchCarried, refLabel, zipNameOf } from '../../core/attachments/index.js';
import { ArchiveRefusal, openPackageArchive } from '../../core/city/zip.js';
import type { Resources } from '../../core/resources.js';
import { defaultResourcesDir, loadResources, parseUnitCsv, unitListVersion } from '../../core/resources.js';
import type { IntakeErrorBody, PackageReceipt, PackageSummary } from './api.js';
import {
  API_PREFIX,
  DecisionInputSchema,
  INBOX_PAGE,
  MAX_REMINDERS_PER_POST,
  RemindersInputSchema,
  SignedRequestFileSchema,
  SignedRequestRoutingSchema,
  XLSX_CONTENT_TYPE,
} from './api.js';
import { putReminders, putRequest, readInbox } from './inbox.js';
import type { IntakeDb } from './db.js';
import { IntakeError, refuse } from './errors.js';
import { identityWithoutTemplate, withTemplateCheck } from './unknown-template.js';
import { clientErrorHandler } from '../client-errors.js';
import type { RateLimitOptions } from './rate-limit.js';
import { DEFAULT_RATE_LIMIT, TokenBuckets } from './rate-limit.js';
import type { TokenInfo } from './tokens.js';
import { findToken, hashToken } from './tokens.js';
import {
  findByBytes,
  getPackageBytes,
  getPackageSummary,
  listPackages,
  publishTemplate,
  publishUnits,
  readReference,
  recordDecision,
  seedReference,
  sha256Hex,
  storePackage,
  unitStatus,
} from './store.js';

/** A package is a few hundred KB; a package zip carries its attachments (up to 20 MB each): 64 MB, still capped. */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024;
const DEFAULT_AUTH_FAILURE_LIMIT: RateLimitOptions = { capacity: 20, refillPerSecond: 0.2 };
const JSON_BODY_LIMIT = 1024 * 1024;
const MAX_STATUS_IDS = 500;
/** A signed request file carries its templates: a few hundred KB; 8 MB is far above, still capped. */
export const REQUEST_BODY_LIMIT = 8 * 1024 * 1024;
/** An inbox page stops adding request files past this many bytes (always one at least). */
const INBOX_PAGE_BYTES = 3 * 1024 * 1024;

/**
 * A workbook is a zip: refuse one whose entries declare more than `limit` bytes once unpacked,
 * before the workbook reader inflates them in memory. Anything that is not a zip is left to the
 * reader (which says "not an .xlsx").
 */
async function refuseZipBomb(body: Buffer, limit: number): Promise<void> {
  let zip: JSZip;
  try {
    zip = await JSZip.loadAsync(body, { checkCRC32: false });
  } catch {
    return;
  }
  let total = 0;
  zip.forEach((_path, file) => {
    total += (file as unknown as { _data?: { uncompressedSize?: number } })._data?.uncompressedSize ?? 0;
  });
  if (total > limit) throw refuse.unpackedTooLarge(limit);
}

export interface IntakeAppOptions {
  db: IntakeDb;
  /** Largest package accepted (bytes); default 64 MB (a package zip with its attachments). Bodies are read with this limit, never without. */
  maxBodyBytes?: number;
  /** Largest total size of the workbook's parts once unpacked (zip bomb guard); default 200 MB. */
  maxUnpackedBytes?: number;
  /** Token bucket per token (or per address without a token); false turns it off. */
  rateLimit?: RateLimitOptions | false;
  /**
   * Failed authentications (unknown or revoked token) per client address, whatever token was
   * guessed; once spent, the address gets 429 until it refills. Default 20 at once, then one per
   * 5 s; false turns it off.
   */
  authFailureLimit?: RateLimitOptions | false;
  logger?: FastifyServerOptions['logger'];
  /** Behind a reverse proxy (TLS), to take the client address from X-Forwarded-For. */
  trustProxy?: FastifyServerOptions['trustProxy'];
  /** Shipped templates and unit list (seed of the published reference data); default resources/. */
  resources?: Resources;
}

const now = () => new Date().toISOString();

function errorBody(e: IntakeError): IntakeErrorBody {
  return {
    code: e.code,
    message: e.message,
    action: e.action,
    serverTime: now(),
    ...(e.details === undefined ? {} : { details: e.details }),
  };
}

function receipt(s: PackageSummary, alreadyStored: boolean): PackageReceipt {
  return {
    packageId: s.packageId,
    unit: s.unit,
    period: s.period,
    template: s.template,
    templateVersion: s.templateVersion,
    revision: s.revision,
    receivedAt: s.receivedAt,
    alreadyStored,
    serverTime: now(),
  };
}

function bearer(req: FastifyRequest): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
}

export async function createIntakeApp(opts: IntakeAppOptions): Promise<FastifyInstance> {
  const { db } = opts;
  const maxBodyBytes = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const maxUnpackedBytes = opts.maxUnpackedBytes ?? 200 * 1024 * 1024;
  const resources = opts.resources ?? loadResources(defaultResourcesDir());
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: JSON_BODY_LIMIT,
    trustProxy: opts.trustProxy ?? false,
    // Fastify's own refusals (a malformed URL such as /%c0%ae, a request Node cannot parse) in the
    // intake's Vietnamese shape, not Fastify's English.
    frameworkErrors: (err, req, reply) => {
      req.log.info({ err }, 'intake request refused before routing');
      return (reply as FastifyReply)
        .code(400)
        .header('cache-control', 'no-store')
        .send(errorBody(refuse.invalidInput('địa chỉ yêu cầu có ký tự mã hoá sai nên máy chủ không đọc được')));
    },
    clientErrorHandler: clientErrorHandler((status, message) => ({
      code: 'invalid_input',
      message,
      action: 'act',
      serverTime: now(),
    })),
  });

  // ---- reference data: seed what the app ships, read what the city published --------------------
  await seedReference(db, resources);
  const templates = new Map<string, Template>(resources.templates);
  async function loadPublishedTemplates(): Promise<void> {
    for (const p of (await readReference(db)).templates) templates.set(templateKey(p), p.template);
  }
  await loadPublishedTemplates();
  const getTemplate = (id: string, version: number) => templates.get(templateKey({ id, version }));

  // ---- body parsers: the package as raw bytes (collected up to the route's limit), CSV as text ---
  app.addContentTypeParser([XLSX_CONTENT_TYPE, 'application/octet-stream'], { parseAs: 'buffer' }, (_req, body, done) =>
    done(null, body),
  );
  app.addContentTypeParser('text/csv', { parseAs: 'string' }, (_req, body, done) => done(null, body));

  // ---- refusals ---------------------------------------------------------------------------------
  app.setErrorHandler((err: FastifyError, req, reply) => {
    let e: IntakeError;
    if (err instanceof IntakeError) e = err;
    else if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') e = refuse.tooLarge(req.routeOptions.bodyLimit ?? maxBodyBytes);
    else if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') e = refuse.unsupportedMediaType();
    else if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500)
      e = refuse.invalidInput('nội dung gửi lên không đọc được (JSON hoặc độ dài không đúng)');
    else e = refuse.internal(err);
    if (e.status >= 500) req.log.error({ err }, 'intake request failed');
    else req.log.info({ code: e.code, cause: e.cause ?? (err === e ? undefined : err) }, 'intake request refused');
    // A refusal before the body was read: close the connection rather than take the rest of it.
    if (!req.raw.complete) void reply.header('connection', 'close');
    if (e.status === 401) void reply.header('www-authenticate', 'Bearer');
    const retryAfter = (e.details as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds;
    if (e.status === 429 && retryAfter) void reply.header('retry-after', String(retryAfter));
    return reply.code(e.status).send(errorBody(e));
  });
  app.setNotFoundHandler(() => {
    throw refuse.routeNotFound();
  });
  app.addHook('onSend', async (_req, reply, payload) => {
    void reply.header('cache-control', 'no-store');
    return payload;
  });

  // ---- rate limit, then the token ---------------------------------------------------------------
  if (opts.rateLimit !== false) {
    const buckets = new TokenBuckets(opts.rateLimit ?? DEFAULT_RATE_LIMIT);
    app.addHook('onRequest', async (req) => {
      if (req.url.startsWith(`${API_PREFIX}/health`)) return;
      const token = bearer(req);
      const wait = buckets.take(token ? `t:${hashToken(token).slice(0, 32)}` : `ip:${req.ip}`);
      if (wait > 0) throw refuse.rateLimited(wait);
    });
  }

  // Guessing tokens: each guess has a bucket of its own above, so failures count per address
  // (req.ip: the socket's address, or X-Forwarded-For only when trustProxy says so).
  const authFailures =
    opts.authFailureLimit === false ? null : new TokenBuckets(opts.authFailureLimit ?? DEFAULT_AUTH_FAILURE_LIMIT);
  const failedAuth = (req: FastifyRequest, e: IntakeError): IntakeError => {
    if (authFailures && authFailures.take(`ip:${req.ip}`) > 0) {
      req.log.warn({ ip: req.ip }, 'intake: too many failed authentications');
    }
    return e;
  };

  const tokenOf = new WeakMap<FastifyRequest, TokenInfo>();
  const auth = (need: 'unit' | 'city' | 'any') => async (req: FastifyRequest) => {
    const token = bearer(req);
    if (!token) throw refuse.tokenMissing();
    const blocked = authFailures?.peek(`ip:${req.ip}`) ?? 0;
    if (blocked > 0) throw refuse.tooManyFailedAuth(blocked);
    const info = await findToken(db, token);
    if (!info) throw failedAuth(req, refuse.tokenUnknown());
    if (info.revokedAt) throw failedAuth(req, refuse.tokenRevoked());
    if (need === 'city' && info.scope !== 'city') throw refuse.cityOnly();
    if (need === 'unit' && info.scope !== 'unit') throw refuse.unitOnly();
    tokenOf.set(req, info);
  };
  const who = (req: FastifyRequest): TokenInfo => tokenOf.get(req)!;

  // ---- reading a package ------------------------------------------------------------------------
  async function readIdentity(whole: Buffer) {
    await refuseZipBomb(whole, maxUnpackedBytes);
    // A package with attachments comes as a .zip: the workbook and `tep-dinh-kem/` beside it.
    let pkg: ReturnType<typeof openPackageArchive>;
    try {
      pkg = openPackageArchive({ name: 'goi.zip', bytes: whole });
    } catch (e) {
      if (e instanceof ArchiveRefusal) throw refuse.unpackedTooLarge(maxUnpackedBytes);
      throw e;
    }
    const body = pkg ? Buffer.from(pkg.bytes.buffer, pkg.bytes.byteOffset, pkg.bytes.byteLength) : whole;
    if (pkg) await refuseZipBomb(body, maxUnpackedBytes);
    const { readPackage } = await loadXlsx();
    let read: Awaited<ReturnType<typeof readPackage>> | undefined;
    let unchecked: Awaited<ReturnType<typeof identityWithoutTemplate>> | undefined;
    try {
      read = await readPackage(body, getTemplate);
    } catch (e) {
      if (e instanceof AppError && e.code === 'wrong_template') {
        await loadPublishedTemplates(); // published by another server process since start-up?
        try {
          read = await readPackage(body, getTemplate);
        } catch (e2) {
          // A template the city published but has not pushed here: stored on its identity, checked at the city (unknown-template.ts).
          if (e2 instanceof AppError && e2.code === 'wrong_template') unchecked = await identityWithoutTemplate(body).catch(() => undefined);
          if (!unchecked) {
            if (e2 instanceof AppError && e2.code === 'wrong_template') throw refuse.wrongTemplate(e2.message, e2);
            throw e2 instanceof AppError && e2.code === 'not_a_package' ? refuse.notPackage(e2) : refuse.corrupt(e2);
          }
        }
      } else throw e instanceof AppError && e.code === 'not_a_package' ? refuse.notPackage(e) : refuse.corrupt(e);
    }
    const id = read?.identity ?? unchecked!.identity;
    const packageId = id.packageId.trim();
    if (
      !packageId ||
      packageId.length > 200 ||
      !Number.isInteger(id.revision) ||
      id.revision < 1 ||
      !parsePeriod(id.period) ||
      !id.unit
    )
      throw refuse.notPackage(new Error(`incomplete identity: ${JSON.stringify(id)}`));
    if (!read) return { identity: { ...id, packageId }, editedOutside: false };
    // Every attachment the workbook references travels beside it, with the same content.
    const t = getTemplate(id.template, id.templateVersion);
    const carried = matchCarried(attachmentRefs(read.ret.values), pkg?.attachments ?? [], () => false, (path) => refLabel(t, path));
    if ('refusal' in carried) throw refuse.attachments(carried.refusal);
    return { identity: { ...id, packageId }, editedOutside: read.editedOutside };
  }

  // ---- routes -----------------------------------------------------------------------------------
  app.get(`${API_PREFIX}/health`, async (req, reply) => {
    try {
      await db.kysely.selectFrom('tokens').select('id').limit(1).execute();
      return { ok: true, time: now() };
    } catch (err) {
      req.log.error({ err }, 'intake store unreachable');
      return reply.code(503).send({ ok: false, time: now() });
    }
  });

  // Refuse another kind of body before reading it (no content type and no body: an empty post).
  const packageContentType = async (req: FastifyRequest) => {
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type && type !== XLSX_CONTENT_TYPE && type !== 'application/octet-stream') throw refuse.unsupportedMediaType();
  };

  app.post(
    `${API_PREFIX}/packages`,
    { bodyLimit: maxBodyBytes, onRequest: [auth('unit'), packageContentType] },
    async (req, reply) => {
      const token = who(req);
      const unit = token.unit!;
      const body = req.body;
      if (body === undefined || body === null || (Buffer.isBuffer(body) && body.length === 0)) throw refuse.emptyBody();
      if (!Buffer.isBuffer(body)) throw refuse.unsupportedMediaType();

      // A plain retry of bytes already stored: answer without reading the workbook again.
      const same = await findByBytes(db, sha256Hex(body));
      if (same) {
        if (same.unit !== unit) throw refuse.wrongUnit(same.unit, unit);
        return reply.code(200).send(withTemplateCheck(receipt(same, true), !!getTemplate(same.template, same.templateVersion)));
      }
      const { identity, editedOutside } = await readIdentity(body);
      if (identity.unit !== unit) throw refuse.wrongUnit(identity.unit, unit);
      const { stored, summary } = await storePackage(db, {
        packageId: identity.packageId,
        unit: identity.unit,
        period: identity.period,
        template: identity.template,
        templateVersion: identity.templateVersion,
        revision: identity.revision,
        hash: identity.hash,
        editedOutside,
        tokenId: token.id,
        data: body,
      });
      if (!stored && summary.unit !== unit) throw refuse.packageConflict(identity.packageId);
      if (stored)
        req.log.info(
          { packageId: summary.packageId, unit, period: summary.period, revision: summary.revision },
          'package stored',
        );
      return reply
        .code(stored ? 201 : 200)
        .send(withTemplateCheck(receipt(summary, !stored), !!getTemplate(summary.template, summary.templateVersion)));
    },
  );

  app.get<{ Querystring: { since?: string; limit?: string } }>(
    `${API_PREFIX}/packages`,
    { onRequest: auth('city') },
    async (req) => {
      const since = req.query.since ?? '';
      if (!/^\d{0,15}$/.test(since))
        throw refuse.invalidInput(`con trỏ "since" phải là giá trị "cursor" của lần lấy trước`);
      const limitText = req.query.limit ?? '100';
      const limit = Number(limitText);
      if (!/^\d+$/.test(limitText) || limit < 1 || limit > 500)
        throw refuse.invalidInput('"limit" phải là số từ 1 đến 500');
      const page = await listPackages(db, Number(since || 0), limit);
      return { packages: page.packages, cursor: String(page.cursor), more: page.more, serverTime: now() };
    },
  );

  app.get<{ Params: { id: string } }>(`${API_PREFIX}/packages/:id`, { onRequest: auth('city') }, async (req, reply) => {
    const found = await getPackageBytes(db, req.params.id);
    if (!found) throw refuse.packageNotFound(req.params.id);
    const s = found.summary;
    const xlsxName = packageFileName({ id: s.template }, s.unit, s.period, s.revision);
    const zipped = !!openPackageArchive({ name: xlsxName, bytes: found.data });
    const fileName = zipped ? zipNameOf(xlsxName) : xlsxName;
    return reply
      .header('content-type', zipped ? 'application/zip' : XLSX_CONTENT_TYPE)
      .header('content-disposition', `attachment; filename="${fileName.replace(/[^\w.-]/g, '_')}"`)
      .header('etag', `"${s.sha256}"`)
      .header('x-content-sha256', s.sha256)
      .header('x-received-at', s.receivedAt)
      .send(found.data);
  });

  app.post(`${API_PREFIX}/decisions`, { onRequest: auth('city') }, async (req) => {
    const parsed = DecisionInputSchema.safeParse(req.body ?? {});
    if (!parsed.success)
      throw refuse.invalidInput('cần {packageId, state: "accepted" hoặc "returned", reason}', {
        issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
      });
    const { packageId, state } = parsed.data;
    const reason = parsed.data.reason?.trim() || null;
    if (state === 'returned' && !reason)
      throw refuse.invalidInput('khi trả lại gói phải ghi lý do để đơn vị biết cần sửa gì');
    if (state === 'refused' && !reason)
      throw refuse.invalidInput('khi không nhận được gói phải ghi lý do để đơn vị biết');
    if (!(await getPackageSummary(db, packageId))) throw refuse.packageNotFound(packageId);
    const { decidedAt } = await recordDecision(db, { packageId, state, reason, tokenId: who(req).id });
    return { packageId, state, reason, decidedAt, serverTime: now() };
  });

  app.get<{ Querystring: { packages?: string } }>(`${API_PREFIX}/status`, { onRequest: auth('unit') }, async (req) => {
    const unit = who(req).unit!;
    const raw = req.query.packages;
    const ids =
      raw === undefined
        ? undefined
        : [
            ...new Set(
              raw
                .split(',')
                .map((s) => s.trim())
                .filter(Boolean),
            ),
          ];
    if (ids && ids.length > MAX_STATUS_IDS) throw refuse.invalidInput(`hỏi tối đa ${MAX_STATUS_IDS} gói một lần`);
    return { unit, packages: await unitStatus(db, unit, ids), serverTime: now() };
  });

  // ---- requests and reminders for the offices (issue 9) -----------------------------------------
  app.put(`${API_PREFIX}/requests`, { bodyLimit: REQUEST_BODY_LIMIT, onRequest: auth('city') }, async (req, reply) => {
    const file = SignedRequestFileSchema.safeParse(req.body ?? null);
    if (!file.success)
      throw refuse.invalidInput('cần tệp yêu cầu báo cáo do Thành phố ký (JSON, loại "request")', {
        issues: file.error.issues.slice(0, 20).map((i) => `${i.path.join('.')}: ${i.message}`),
      });
    let payload: unknown;
    try {
      payload = JSON.parse(Buffer.from(file.data.payload, 'base64').toString('utf8'));
    } catch {
      throw refuse.invalidInput('nội dung đã ký của tệp yêu cầu không đọc được');
    }
    const routing = SignedRequestRoutingSchema.safeParse(payload);
    if (!routing.success)
      throw refuse.invalidInput('tệp yêu cầu thiếu mã yêu cầu, lần ban hành hoặc danh sách đơn vị nhận', {
        issues: routing.error.issues.slice(0, 20).map((i) => `${i.path.join('.')}: ${i.message}`),
      });
    const { id, edition, units } = routing.data.request;
    // Kept as the city's app writes it (signFile), so the same file put again is the same content.
    const content = JSON.stringify(req.body, null, 1);
    const r = await putRequest(db, { requestId: id, edition, units, content });
    if (r.outcome === 'conflict') throw refuse.requestConflict(id, edition);
    if (r.outcome === 'stored') req.log.info({ requestId: id, edition, units: units.length, seq: r.seq }, 'request edition stored');
    return reply.code(r.outcome === 'stored' ? 201 : 200).send({
      requestId: id,
      edition,
      seq: r.seq,
      alreadyStored: r.outcome === 'same',
      receivedAt: r.receivedAt,
      serverTime: now(),
    });
  });

  app.post(`${API_PREFIX}/reminders`, { onRequest: auth('city') }, async (req) => {
    const parsed = RemindersInputSchema.safeParse(req.body ?? null);
    if (!parsed.success)
      throw refuse.invalidInput(
        `cần danh sách nhắc việc [{id, requestId, unit, message, createdAt}], từ 1 đến ${MAX_REMINDERS_PER_POST} mục một lần`,
        { issues: parsed.error.issues.slice(0, 20).map((i) => `${i.path.join('.')}: ${i.message}`) },
      );
    const stored = await putReminders(db, parsed.data);
    return { stored, serverTime: now() };
  });

  app.get<{ Querystring: { after?: string } }>(`${API_PREFIX}/inbox`, { onRequest: auth('unit') }, async (req) => {
    const after = req.query.after ?? '0';
    // seq is an integer column (PostgreSQL refuses a larger number than it holds).
    if (!/^\d{1,10}$/.test(after) || Number(after) > 2_147_483_647)
      throw refuse.invalidInput('con trỏ "after" phải là giá trị "next" của lần lấy trước');
    const page = await readInbox(db, who(req).unit!, Number(after), INBOX_PAGE, INBOX_PAGE_BYTES);
    return { ...page, serverTime: now() };
  });

  app.get(`${API_PREFIX}/reference`, { onRequest: auth('any') }, async (req, reply) => {
    const ref = await readReference(db);
    const etag = `"${ref.version}"`;
    void reply.header('etag', etag);
    if (req.headers['if-none-match'] === etag) return reply.code(304).send();
    return {
      version: ref.version,
      templates: ref.templates.map((t) => ({
        id: t.id,
        version: t.version,
        publishedAt: t.publishedAt,
        template: t.template,
      })),
      units: ref.units ?? { version: '', publishedAt: '', units: [] },
      serverTime: now(),
    };
  });

  app.put(`${API_PREFIX}/reference/templates`, { onRequest: auth('city') }, async (req) => {
    let t: Template;
    try {
      t = parseTemplate(req.body);
    } catch (e) {
      throw refuse.invalidInput('tệp mẫu không đúng cấu trúc mẫu báo cáo', {
        cause: e instanceof Error ? e.message.slice(0, 2000) : String(e),
      });
    }
    const result = await publishTemplate(db, t);
    if (result === 'conflict') throw refuse.versionExists(t.id, t.version);
    templates.set(templateKey(t), t);
    return { id: t.id, version: t.version, published: result === 'published', serverTime: now() };
  });

  app.put<{ Querystring: { name?: string } }>(
    `${API_PREFIX}/reference/units`,
    { bodyLimit: 5 * 1024 * 1024, onRequest: auth('city') },
    async (req) => {
      if (typeof req.body !== 'string')
        throw refuse.invalidInput('danh sách đơn vị phải gửi dạng CSV (text/csv) với các cột code,type,name');
      let units;
      try {
        units = parseUnitCsv(req.body);
      } catch (e) {
        throw refuse.invalidInput('danh sách đơn vị (CSV code,type,name) có dòng sai', {
          cause: e instanceof Error ? e.message.slice(0, 2000) : String(e),
        });
      }
      const name = (req.query.name ?? 'units').replace(/[^\w-]/g, '') || 'units';
      const version = unitListVersion(`${name}.csv`, req.body);
      await publishUnits(db, { version, units });
      return { version, count: units.length, serverTime: now() };
    },
  );

  return app;
}

/** Listen and return the base URL (http://host:port). */
export async function listenIntake(app: FastifyInstance, port: number, host = '127.0.0.1'): Promise<string> {
  await app.listen({ port, host });
  const addr = app.server.address();
  const actualPort = typeof addr === 'object' && addr ? addr.port : port;
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return `http://${shownHost}:${actualPort}`;
}
