/**
 * The login of the browser mode when it listens beyond loopback (`web --host 0.0.0.0` with a
 * password set at start): a small Vietnamese page at /login, the password compared as scrypt
 * hashes in constant time, a random session id in an HttpOnly SameSite=Strict cookie, failed
 * logins limited per client address. Every other page goes to /login without a session; every
 * /api route answers 401 in the app's error shape (the renderer then opens /login).
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { TokenBuckets } from './intake/rate-limit.js';

export interface WebLogin {
  salt: Buffer;
  hash: Buffer;
}

/** The smallest password accepted at start. */
export const MIN_PASSWORD_LENGTH = 8;
const KEY_LENGTH = 32;
const COOKIE = 'commune_returns_session';
/** A session unused this long is closed. */
const SESSION_IDLE_MS = 12 * 60 * 60 * 1000;
const MAX_SESSIONS = 1000;
/** Wrong passwords per address: 5 at once, then one every 30 s. */
const FAILURES = { capacity: 5, refillPerSecond: 1 / 30 };

function scryptHash(password: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFC'), salt, KEY_LENGTH, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** Hash the password given at start (the password itself is not kept). */
export async function createWebLogin(password: string): Promise<WebLogin> {
  const salt = randomBytes(16);
  return { salt, hash: await scryptHash(password, salt) };
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function loginPage(message: string | null): string {
  return `<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Đăng nhập — Báo cáo của UBND cấp xã</title>
<style>
body { font-family: system-ui, "Segoe UI", Roboto, Arial, sans-serif; background: #f1f3f5; color: #212529; margin: 0; }
main { max-width: 26rem; margin: 10vh auto; background: #fff; border: 1px solid #dee2e6; border-radius: 8px; padding: 2rem; }
h1 { font-size: 1.35rem; margin: 0 0 .5rem; }
p { line-height: 1.5; margin: 0 0 1rem; }
label { display: block; font-weight: 600; margin-bottom: .35rem; }
input { box-sizing: border-box; width: 100%; font-size: 1rem; padding: .55rem .7rem; border: 1px solid #ced4da; border-radius: 4px; }
button { margin-top: 1rem; width: 100%; font-size: 1rem; padding: .6rem; border: 0; border-radius: 4px; background: #1c7ed6; color: #fff; cursor: pointer; }
.error { color: #c92a2a; background: #fff5f5; border: 1px solid #ffc9c9; border-radius: 4px; padding: .6rem .75rem; margin: .75rem 0 0; }
</style></head>
<body><main>
<h1>Báo cáo của UBND cấp xã</h1>
<p>Ứng dụng này đang mở cho các máy khác trong mạng nên cần đăng nhập. Hãy nhập mật khẩu do người khởi động ứng dụng đặt.</p>
<form method="post" action="/login">
<label for="password">Mật khẩu</label>
<input id="password" name="password" type="password" autocomplete="current-password" required autofocus${message ? ' aria-describedby="login-error" aria-invalid="true"' : ''}>
${message ? `<p class="error" id="login-error" role="alert">${escapeHtml(message)}</p>` : ''}
<button type="submit">Đăng nhập</button>
</form>
</main></body></html>`;
}

const WRONG = 'Mật khẩu không đúng. Hãy nhập lại (chú ý chữ hoa, chữ thường và dấu tiếng Việt).';
const tooMany = (seconds: number) =>
  `Đã nhập sai mật khẩu quá nhiều lần từ máy này. Hãy chờ khoảng ${seconds} giây rồi nhập lại; nếu quên mật khẩu, hãy hỏi người khởi động ứng dụng.`;
const UNAUTHORIZED =
  'Chưa đăng nhập hoặc phiên đăng nhập đã hết hạn. Hãy đăng nhập lại bằng mật khẩu của ứng dụng; những gì đã lưu vẫn an toàn.';

function cookieOf(req: FastifyRequest): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === COOKIE) return part.slice(i + 1).trim();
  }
  return undefined;
}

const sendPage = (reply: FastifyReply, status: number, message: string | null) =>
  reply
    .code(status)
    .header('cache-control', 'no-store')
    // With no-referrer a browser posts the form with `Origin: null`, which the server's Origin check refuses.
    .header('referrer-policy', 'same-origin')
    .type('text/html; charset=utf-8')
    .send(loginPage(message));

/** Put the login in front of everything the server answers (call before the routes are added). */
export function registerLogin(app: FastifyInstance, login: WebLogin): void {
  const sessions = new Map<string, number>(); // id → last use (ms)
  const failures = new TokenBuckets(FAILURES);

  const valid = (id: string | undefined): boolean => {
    if (!id) return false;
    const last = sessions.get(id);
    if (last === undefined) return false;
    if (Date.now() - last > SESSION_IDLE_MS) {
      sessions.delete(id);
      return false;
    }
    sessions.set(id, Date.now());
    return true;
  };

  app.addHook('onRequest', async (req, reply) => {
    const path = req.url.split('?')[0]!;
    if (path === '/login' || path === '/logout') return;
    if (valid(cookieOf(req))) return;
    if (path.startsWith('/api/'))
      return reply
        .code(401)
        .type('application/json; charset=utf-8')
        .send({ ok: false, error: { code: 'unauthorized', message: UNAUTHORIZED } });
    return reply.code(303).header('location', '/login').send();
  });

  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) =>
    done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );

  app.get('/login', async (_req, reply) => sendPage(reply, 200, null));

  // Behind the session check: tells the page that a login is in use (it then offers "Đăng xuất").
  app.get('/api/session', async () => ({ ok: true, result: { login: true } }));

  app.post<{ Body: { password?: unknown } }>('/login', { bodyLimit: 4096 }, async (req, reply) => {
    const key = req.ip;
    // Held before hashing: guesses sent at once each hold a try, so they cannot all be checked.
    const wait = failures.hold(key);
    if (wait > 0) {
      req.log.warn({ ip: key }, 'login refused: too many wrong passwords');
      return sendPage(reply.header('retry-after', String(wait)), 429, tooMany(wait));
    }
    let right = false;
    try {
      const password = typeof req.body?.password === 'string' ? req.body.password : '';
      right = timingSafeEqual(await scryptHash(password, login.salt), login.hash);
    } finally {
      failures.release(key, !right);
    }
    if (!right) {
      req.log.warn({ ip: key }, 'login refused: wrong password');
      return sendPage(reply, 401, WRONG);
    }
    if (sessions.size >= MAX_SESSIONS) sessions.delete(sessions.keys().next().value!);
    const id = randomBytes(32).toString('base64url');
    sessions.set(id, Date.now());
    return reply
      .code(303)
      .header('set-cookie', `${COOKIE}=${id}; Path=/; HttpOnly; SameSite=Strict`)
      .header('location', '/')
      .send();
  });

  app.post('/logout', async (req, reply) => {
    const id = cookieOf(req);
    if (id) sessions.delete(id);
    return reply
      .code(303)
      .header('set-cookie', `${COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`)
      .header('location', '/login')
      .send();
  });
}
