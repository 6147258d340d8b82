/**
 * The login of the browser mode, in two kinds:
 * - a CITY database with users (issue 9): every page and call needs a signed-in city user (name and
 *   password, core/users), loopback included; sessions live in the database (core/users/sessions.ts),
 *   each /api/rpc call carries the session's CSRF token in x-csrf-token (auth.me exempt: it gives the
 *   token to the page); wrong sign-ins are limited per user name and per address.
 * - otherwise, beyond loopback (`web --host 0.0.0.0` with a password set at start, a commune): one
 *   password compared as scrypt hashes in constant time, sessions in memory, failures limited per address.
 * Both: a small Vietnamese page at /login, a random session id in an HttpOnly SameSite=Strict
 * cookie; every other page goes to /login without a session; every /api route answers 401 in the
 * app's error shape (the renderer then opens /login).
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CheckedSession, CityAuth } from '../core/users/sessions.js';
import { foldName } from '../core/users/sessions.js';
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
/** City users: wrong sign-ins per user name (whether it exists or not): 5 at once, then one every 30 s. */
export const USER_FAILURES = { capacity: 5, refillPerSecond: 1 / 30 };
/** City users: wrong sign-ins per address (several names tried from one machine): 10 at once, then one every 30 s. */
export const ADDRESS_FAILURES = { capacity: 10, refillPerSecond: 1 / 30 };
/** The header every call of a signed-in city user carries (auth.me gives its value). */
export const CSRF_HEADER = 'x-csrf-token';

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

export function loginPage(message: string | null, users: { name: string } | null = null): string {
  const invalid = message ? ' aria-describedby="login-error" aria-invalid="true"' : '';
  const intro = users
    ? 'Hãy đăng nhập bằng tên đăng nhập và mật khẩu do quản trị viên của Thành phố cấp cho bạn.'
    : 'Ứng dụng này đang mở cho các máy khác trong mạng nên cần đăng nhập. Hãy nhập mật khẩu do người khởi động ứng dụng đặt.';
  const nameField = users
    ? `<label for="name">Tên đăng nhập</label>
<input id="name" name="name" type="text" autocomplete="username" autocapitalize="off" spellcheck="false" required${users.name ? '' : ' autofocus'} value="${escapeHtml(users.name)}"${invalid}>
`
    : '';
  const focusPassword = !users || !!users.name;
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
input + label { margin-top: .9rem; }
button { margin-top: 1rem; width: 100%; font-size: 1rem; padding: .6rem; border: 0; border-radius: 4px; background: #1c7ed6; color: #fff; cursor: pointer; }
.error { color: #c92a2a; background: #fff5f5; border: 1px solid #ffc9c9; border-radius: 4px; padding: .6rem .75rem; margin: .75rem 0 0; }
</style></head>
<body><main>
<h1>Báo cáo của UBND cấp xã</h1>
<p>${intro}</p>
<form method="post" action="/login">
${nameField}<label for="password">Mật khẩu</label>
<input id="password" name="password" type="password" autocomplete="current-password" required${focusPassword ? ' autofocus' : ''}${invalid}>
${message ? `<p class="error" id="login-error" role="alert">${escapeHtml(message)}</p>` : ''}
<button type="submit">Đăng nhập</button>
</form>
</main></body></html>`;
}

const WRONG = 'Mật khẩu không đúng. Hãy nhập lại (chú ý chữ hoa, chữ thường và dấu tiếng Việt).';
/** One sentence for any wrong part (name, password, a locked account): never which part was wrong. */
export const WRONG_USER =
  'Tên đăng nhập hoặc mật khẩu không đúng. Hãy nhập lại (chú ý chữ hoa, chữ thường và dấu tiếng Việt); nếu quên mật khẩu, hãy nhờ quản trị viên đặt lại.';
const tooMany = (seconds: number) =>
  `Đã nhập sai mật khẩu quá nhiều lần từ máy này. Hãy chờ khoảng ${seconds} giây rồi nhập lại; nếu quên mật khẩu, hãy hỏi người khởi động ứng dụng.`;
export const tooManyUser = (seconds: number) =>
  `Đã đăng nhập sai quá nhiều lần. Hãy chờ khoảng ${seconds} giây rồi nhập lại; nếu quên mật khẩu, hãy nhờ quản trị viên đặt lại.`;
const UNAUTHORIZED =
  'Chưa đăng nhập hoặc phiên đăng nhập đã hết hạn. Hãy đăng nhập lại bằng mật khẩu của ứng dụng; những gì đã lưu vẫn an toàn.';
const UNAUTHORIZED_USER =
  'Chưa đăng nhập hoặc phiên đăng nhập đã hết hạn. Hãy đăng nhập lại bằng tên và mật khẩu của mình; những gì đã lưu vẫn an toàn.';
const FORM_TOO_LARGE =
  'Tên đăng nhập hoặc mật khẩu quá dài (có lẽ đã dán nhầm một đoạn văn bản). Hãy xóa đi rồi gõ lại tên và mật khẩu của mình.';
const SIGN_IN_FAILED =
  'Máy chủ gặp lỗi khi kiểm tra đăng nhập; những gì đã lưu vẫn an toàn. Hãy thử lại sau ít phút; nếu vẫn lỗi, hãy báo người quản lý máy chủ.';
const FORM_UNREADABLE = 'Máy chủ không đọc được nội dung đăng nhập đã gửi. Hãy tải lại trang đăng nhập (phím F5) rồi nhập lại.';
export const CSRF_REFUSED =
  'Trang này đã cũ nên yêu cầu bị từ chối (thiếu hoặc sai mã bảo vệ phiên làm việc). Hãy tải lại trang (phím F5) rồi làm lại; những gì đã lưu vẫn an toàn.';

function cookieOf(req: FastifyRequest): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === COOKIE) return part.slice(i + 1).trim();
  }
  return undefined;
}

const sendPage = (reply: FastifyReply, status: number, message: string | null, users: { name: string } | null = null) =>
  reply
    .code(status)
    .header('cache-control', 'no-store')
    // With no-referrer a browser posts the form with `Origin: null`, which the server's Origin check refuses.
    .header('referrer-policy', 'same-origin')
    .type('text/html; charset=utf-8')
    .send(loginPage(message, users));

const sessions = new WeakMap<FastifyRequest, CheckedSession>();
/** The city user's session of a request (set by the login hook), or undefined. */
export function sessionOf(req: FastifyRequest): CheckedSession | undefined {
  return sessions.get(req);
}

const sameToken = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

const unauthorized = (reply: FastifyReply, message: string) =>
  reply
    .code(401)
    .type('application/json; charset=utf-8')
    .send({ ok: false, error: { code: 'unauthorized', message } });

/**
 * Put the login in front of everything the server answers (call before the routes are added).
 * `login`: the one password set at start (beyond loopback); `users`: the city's users, required
 * whenever the database is a city database with at least one user (checked on every request, so
 * the first administrator created at first start takes effect at once).
 */
export function registerLogin(app: FastifyInstance, login: WebLogin | undefined, users?: CityAuth): void {
  const memory = new Map<string, number>(); // password mode: id → last use (ms)
  const failures = new TokenBuckets(FAILURES);
  const byName = new TokenBuckets(USER_FAILURES);
  const byAddress = new TokenBuckets(ADDRESS_FAILURES);
  const usersMode = () => !!users && users.required();

  const valid = (id: string | undefined): boolean => {
    if (!id) return false;
    const last = memory.get(id);
    if (last === undefined) return false;
    if (Date.now() - last > SESSION_IDLE_MS) {
      memory.delete(id);
      return false;
    }
    memory.set(id, Date.now());
    return true;
  };

  app.addHook('onRequest', async (req, reply) => {
    const path = req.url.split('?')[0]!;
    if (path === '/login' || path === '/logout') return;
    if (usersMode()) {
      const s = users!.check(cookieOf(req));
      if (!s) {
        if (path.startsWith('/api/')) return unauthorized(reply, UNAUTHORIZED_USER);
        return reply.code(303).header('location', '/login').send();
      }
      if (req.method === 'POST' && path.startsWith('/api/rpc/') && path !== '/api/rpc/auth.me') {
        const sent = req.headers[CSRF_HEADER];
        if (typeof sent !== 'string' || !sameToken(sent, s.csrf)) {
          req.log.warn({ ip: req.ip, path }, 'call refused: missing or wrong CSRF token');
          return reply
            .code(403)
            .type('application/json; charset=utf-8')
            .send({ ok: false, error: { code: 'csrf', message: CSRF_REFUSED } });
        }
      }
      sessions.set(req, s);
      return;
    }
    if (!login) return;
    if (valid(cookieOf(req))) return;
    if (path.startsWith('/api/')) return unauthorized(reply, UNAUTHORIZED);
    return reply.code(303).header('location', '/login').send();
  });

  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) =>
    done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );

  app.get('/login', async (_req, reply) => {
    if (usersMode()) return sendPage(reply, 200, null, { name: '' });
    if (!login) return reply.code(303).header('location', '/').send();
    return sendPage(reply, 200, null);
  });

  // Behind the session check: tells the page that a login is in use (it then offers "Đăng xuất").
  app.get('/api/session', async () => ({ ok: true, result: { login: usersMode() || !!login } }));

  const signedIn = (reply: FastifyReply, id: string) =>
    reply
      .code(303)
      .header('set-cookie', `${COOKIE}=${id}; Path=/; HttpOnly; SameSite=Strict`)
      .header('location', '/')
      .send();

  // A form too large or unreadable (a long text pasted as the password): the sign-in page again with
  // what to do, not the JSON refusal of the calls (a browser would show it raw).
  const loginErrorHandler = (err: { statusCode?: number }, req: FastifyRequest, reply: FastifyReply) => {
    const code = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (code === 500) req.log.error({ ip: req.ip, err }, 'sign-in failed');
    else req.log.warn({ ip: req.ip, err }, 'sign-in form refused');
    const message = code === 413 ? FORM_TOO_LARGE : code === 500 ? SIGN_IN_FAILED : FORM_UNREADABLE;
    return sendPage(reply, code === 413 ? 413 : code === 500 ? 500 : 400, message, usersMode() ? { name: '' } : null);
  };

  app.post<{ Body: { name?: unknown; password?: unknown } }>('/login', { bodyLimit: 4096, errorHandler: loginErrorHandler }, async (req, reply) => {
    const password = typeof req.body?.password === 'string' ? req.body.password : '';
    if (usersMode()) {
      const name = typeof req.body?.name === 'string' ? req.body.name.slice(0, 200) : '';
      const nameKey = `name:${foldName(name)}`;
      const addressKey = `ip:${req.ip}`;
      // Both held before hashing: guesses sent at once each hold a try, so they cannot all be checked.
      const waitName = byName.hold(nameKey);
      const waitAddress = waitName > 0 ? 0 : byAddress.hold(addressKey);
      if (waitName > 0 || waitAddress > 0) {
        if (waitName === 0) byName.release(nameKey, false);
        const wait = Math.max(waitName, waitAddress);
        req.log.warn({ ip: req.ip, name }, 'sign-in refused: too many wrong tries');
        return sendPage(reply.header('retry-after', String(wait)), 429, tooManyUser(wait), { name });
      }
      let user = null;
      try {
        user = await users!.verify(name, password);
      } finally {
        byName.release(nameKey, !user);
        byAddress.release(addressKey, !user);
      }
      if (!user) {
        req.log.warn({ ip: req.ip, name }, 'sign-in refused: wrong name or password');
        return sendPage(reply, 401, WRONG_USER, { name });
      }
      const opened = users!.open(user, req.ip);
      req.log.info({ ip: req.ip, user: user.name }, 'signed in');
      return signedIn(reply, opened.id);
    }
    if (!login) return reply.code(303).header('location', '/').send();
    const key = req.ip;
    // Held before hashing: guesses sent at once each hold a try, so they cannot all be checked.
    const wait = failures.hold(key);
    if (wait > 0) {
      req.log.warn({ ip: key }, 'login refused: too many wrong passwords');
      return sendPage(reply.header('retry-after', String(wait)), 429, tooMany(wait));
    }
    let right = false;
    try {
      right = timingSafeEqual(await scryptHash(password, login.salt), login.hash);
    } finally {
      failures.release(key, !right);
    }
    if (!right) {
      req.log.warn({ ip: key }, 'login refused: wrong password');
      return sendPage(reply, 401, WRONG);
    }
    if (memory.size >= MAX_SESSIONS) memory.delete(memory.keys().next().value!);
    const id = randomBytes(32).toString('base64url');
    memory.set(id, Date.now());
    return signedIn(reply, id);
  });

  app.post('/logout', async (req, reply) => {
    const id = cookieOf(req);
    if (id) {
      memory.delete(id);
      users?.end(id);
    }
    return reply
      .code(303)
      .header('set-cookie', `${COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`)
      .header('location', '/login')
      .send();
  });
}
