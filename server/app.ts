import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import Fastify from 'fastify';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import type { Handlers } from '../shared/index.js';
import { AppError, contract, isCallName, toErrorShape } from '../shared/index.js';
import { checkInput, describeProblems } from '../core/inputs.js';

export interface ServerOptions {
  handlers: Handlers;
  /** The built renderer (vite build); default dist/renderer of this checkout. */
  rendererDir?: string;
  logger?: FastifyServerOptions['logger'];
  /** When true (the default), only requests addressed to 127.0.0.1/localhost are served (DNS rebinding). */
  loopbackOnly?: boolean;
}

export const DEFAULT_RENDERER_DIR = fileURLToPath(new URL('../dist/renderer', import.meta.url));

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
export async function buildServer(opts: ServerOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: opts.logger ?? false, bodyLimit: 32 * 1024 * 1024 });
  const loopbackOnly = opts.loopbackOnly ?? true;

  app.addHook('onRequest', async (req, reply) => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) reply.header(k, v);
    if (loopbackOnly) {
      const host = (req.headers.host ?? '').replace(/:\d+$/, '');
      if (!LOOPBACK_HOSTS.has(host))
        return reply.code(403).type('text/plain; charset=utf-8').send('Chỉ truy cập được từ chính máy này (http://127.0.0.1). Hãy mở đúng địa chỉ được in ra khi khởi động.');
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
        ? 'Dữ liệu gửi lên quá lớn. Hãy chọn tệp nhỏ hơn 20 MB.'
        : status < 500
          ? 'Yêu cầu không hợp lệ: nội dung gửi lên phải là JSON. Hãy tải lại trang rồi thử lại.'
          : toErrorShape(err).message;
    return reply.code(status).send({ ok: false, error: { code: status < 500 ? 'invalid_input' : 'internal', message } });
  });

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
      const result = await (opts.handlers[name] as (input: unknown) => unknown)(checked.data);
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
      return reply.code(404).send({ ok: false, error: { code: 'not_found', message: 'Không có địa chỉ này. Hãy tải lại trang.' } });
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply.code(405).type('text/plain; charset=utf-8').send('Phương thức không được hỗ trợ.');
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
