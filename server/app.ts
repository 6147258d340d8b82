import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import Fastify from 'fastify';
import type { FastifyInstance, FastifyReply, FastifyServerOptions } from 'fastify';
import type { Handlers } from '../shared/index.js';
import { AppError, contract, isCallName, toErrorShape } from '../shared/index.js';
import { checkInput, describeProblems } from '../core/inputs.js';
import { clientErrorHandler } from './client-errors.js';
import type { CityAuth } from '../core/users/sessions.js';
import { runAsUser } from '../core/users/context.js';
import type { WebLogin } from './login.js';
import { registerLogin, sessionOf } from './login.js';

export interface ServerOptions {
  handlers: Handlers;
  /** The built renderer (vite build); default dist/renderer of this checkout. */
  rendererDir?: string;
  logger?: FastifyServerOptions['logger'];
  /** When true (the default), only requests addressed to 127.0.0.1/localhost are served (DNS rebinding). */
  loopbackOnly?: boolean;
  /**
   * A login (password set at start) in front of every page and call: required when the server
   * listens beyond loopback (`web --host 0.0.0.0`), see login.ts.
   */
  login?: WebLogin;
  /**
   * The city's users (core/users/sessions.ts, issue 9): on a city database with at least one user,
   * every page and call needs a signed-in user (loopback too) and each call runs as that user.
   */
  users?: CityAuth;
  /**
   * Beyond loopback: the Host names this server answers to (this machine's addresses, loopback,
   * names given with --public-host); any other Host is refused (DNS rebinding). Unset: no check.
   */
  allowedHosts?: readonly string[];
}

/** The host of a Host header without its port, lower case: "192.168.1.5", "[fe80::1]", "thanhpho.local". */
export function hostOf(header: string | undefined): string {
  const h = (header ?? '').trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  return h.replace(/:\d+$/, '');
}

/** How an address is written in a Host header: IPv6 in brackets. */
export const hostForm = (address: string) => (address.includes(':') && !address.startsWith('[') ? `[${address.toLowerCase()}]` : address.toLowerCase());

/** The built renderer; RENDERER_DIR names another build (see vite.config.ts). */
export const DEFAULT_RENDERER_DIR = process.env.RENDERER_DIR || fileURLToPath(new URL('../dist/renderer', import.meta.url));

/** The Content-Security-Policy of every page: only our own scripts; inline styles for Mantine. */
export const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
};

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>Chưa có giao diện</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 3em auto">
<h1>Giao diện ứng dụng chưa được dựng</h1>
<p>Máy chủ đang chạy nhưng chưa có giao diện. Hãy chạy lệnh <code>npm run build:renderer</code> trong thư mục ứng dụng, rồi tải lại trang này.</p>
</body></html>`;

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

function statusOf(code: string): number {
  if (code === 'invalid_input') return 400;
  if (code === 'not_found') return 404;
  if (code === 'internal') return 500;
  if (code === 'disk_full') return 507;
  return 422;
}

/**
 * The HTTP transport of the contract: POST /api/rpc/<name> with the input as JSON; the answer is
 * always JSON, `{ ok: true, result }` or `{ ok: false, error: { code, message, details? } }`.
 */
/** The error shape of this server: `{ ok: false, error: { code, message } }`. */
const refusal = (code: string, message: string) => ({ ok: false as const, error: { code, message } });
const sendRefusal = (reply: FastifyReply, status: number, code: string, message: string) =>
  reply.code(status).type('application/json; charset=utf-8').send(refusal(code, message));

const BAD_URL =
  'Địa chỉ yêu cầu không hợp lệ (có ký tự mã hoá sai) nên máy chủ không đọc được. Hãy mở lại đúng địa chỉ được in ra khi khởi động.';

export async function buildServer(opts: ServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: 32 * 1024 * 1024,
    // Fastify's own refusals (a malformed URL, a request Node cannot parse) in our shape, not its English.
    frameworkErrors: (err, req, reply) => {
      req.log.info({ err }, 'request refused before routing');
      for (const [k, v] of Object.entries(SECURITY_HEADERS)) reply.header(k, v);
      return sendRefusal(reply, 400, 'invalid_input', BAD_URL);
    },
    clientErrorHandler: clientErrorHandler((_status, message) => refusal('invalid_input', message)),
  });
  const loopbackOnly = opts.loopbackOnly ?? true;
  const allowed = opts.allowedHosts ? new Set([...LOOPBACK_HOSTS, ...opts.allowedHosts.map(hostForm)]) : null;

  app.addHook('onRequest', async (req, reply) => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) reply.header(k, v);
    if (loopbackOnly) {
      const host = (req.headers.host ?? '').replace(/:\d+$/, '');
      if (!LOOPBACK_HOSTS.has(host))
        return sendRefusal(reply, 403, 'forbidden', 'Chỉ truy cập được từ chính máy này (http://127.0.0.1). Hãy mở đúng địa chỉ được in ra khi khởi động.');
    } else if (allowed && !allowed.has(hostOf(req.headers.host))) {
      req.log.warn({ host: req.headers.host }, 'request refused: unknown Host');
      return sendRefusal(
        reply,
        403,
        'forbidden',
        'Máy chủ không nhận địa chỉ (tên máy) đã dùng để mở trang. Hãy mở bằng địa chỉ IP của máy chạy ứng dụng trong mạng nội bộ, hoặc nhờ người quản lý thêm tên này bằng --public-host khi khởi động.',
      );
    }
    const origin = req.headers.origin;
    if (req.method !== 'GET' && req.method !== 'HEAD' && origin && origin !== `http://${req.headers.host}`)
      return reply.code(403).send({ ok: false, error: { code: 'invalid_input', message: 'Yêu cầu từ trang web khác bị từ chối. Hãy dùng ứng dụng tại địa chỉ được in ra khi khởi động.' } });
  });

  app.setErrorHandler((err, req, reply) => {
    // Errors before a handler runs: a body that is not JSON, too large, wrong content type…
    req.log.warn({ err }, 'request refused');
    const code = (err as { statusCode?: unknown }).statusCode;
    const status = typeof code === 'number' && code >= 400 && code < 500 ? code : 500;
    const message =
      status === 413
        ? 'Dữ liệu gửi lên quá lớn (trên 32 MB). Hãy chọn ít tệp hơn trong một lần, hoặc tệp nhỏ hơn.'
        : status === 415
          ? 'Yêu cầu không hợp lệ: nội dung gửi lên phải là JSON (application/json). Hãy tải lại trang rồi thử lại.'
          : status < 500
            ? 'Yêu cầu không hợp lệ: nội dung gửi lên phải là JSON. Hãy tải lại trang rồi thử lại.'
            : toErrorShape(err).message;
    return sendRefusal(reply, status, status < 500 ? 'invalid_input' : 'internal', message);
  });

  if (opts.login || opts.users) registerLogin(app, opts.login, opts.users);

  app.post<{ Params: { name: string } }>('/api/rpc/:name', async (req, reply) => {
    const { name } = req.params;
    if (!isCallName(name))
      return reply.code(404).send({ ok: false, error: { code: 'not_found', message: `Không có chức năng "${name}". Hãy tải lại trang hoặc cập nhật ứng dụng.` } });
    const checked = checkInput(contract[name].input, req.body ?? {});
    if (!checked.ok)
      return reply.code(400).send({
        ok: false,
        error: { code: 'invalid_input', message: `Dữ liệu gửi lên không hợp lệ (${describeProblems(checked.problems)}). Hãy kiểm tra lại rồi thử lại.`, details: { problems: checked.problems } },
      });
    try {
      // The call runs as the signed-in city user (core/users/context.ts), when there is one.
      const session = sessionOf(req);
      const result = await runAsUser(session?.user ?? null, () => (opts.handlers[name] as (input: unknown) => unknown)(checked.data), session?.csrf ?? null);
      return reply.send({ ok: true, result });
    } catch (e) {
      const error = toErrorShape(e);
      if (e instanceof AppError) req.log.info({ err: e, call: name }, 'call refused');
      else req.log.error({ err: e, call: name }, 'call failed');
      return reply.code(statusOf(error.code)).send({ ok: false, error });
    }
  });

  const rendererDir = opts.rendererDir ?? DEFAULT_RENDERER_DIR;
  const built = existsSync(path.join(rendererDir, 'index.html'));
  if (built) await app.register(fastifyStatic, { root: rendererDir, prefix: '/', wildcard: false, index: ['index.html'] });
  app.setNotFoundHandler((req, reply) => {
    if (req.url.startsWith('/api/'))
      return sendRefusal(reply, 404, 'not_found', 'Không có địa chỉ này. Hãy tải lại trang.');
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return sendRefusal(reply, 405, 'invalid_input', 'Máy chủ không nhận kiểu yêu cầu này ở địa chỉ này. Hãy mở ứng dụng tại địa chỉ được in ra khi khởi động.');
    if (!built) return reply.code(503).type('text/html; charset=utf-8').send(NOT_BUILT_PAGE);
    return reply.sendFile('index.html'); // client-side routes
  });
  return app;
}

/** Start listening; `port` 0 picks a free one. Returns the address to open. */
export async function listen(app: FastifyInstance, port: number, host = '127.0.0.1'): Promise<string> {
  await app.listen({ port, host });
  const addr = app.server.address();
  const actualPort = addr && typeof addr === 'object' ? addr.port : port;
  return `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}`;
}
