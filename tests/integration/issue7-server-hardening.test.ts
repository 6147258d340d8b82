/**
 * Issue 7, items 15–17: the two servers (browser mode and the city's intake) under hostile input,
 * on real HTTP servers on 127.0.0.1: token guessing limited per address (15), Fastify's own
 * refusals answered in the app's Vietnamese error shape (16), and the browser mode beyond loopback
 * only with a password and a login (17).
 */
import http from 'node:http';
import { writeFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import type { Core } from '../../core/handlers.js';
import { buildServer, listen } from '../../server/app.js';
import type { IntakeDb } from '../../server/intake/index.js';
import { createIntakeApp, issueToken, listenIntake, openIntakeDb } from '../../server/intake/index.js';
import { runCli, startWeb } from '../helpers/cli.js';
import { openCore } from '../helpers/core.js';
import { tempDir } from '../helpers/sample.js';

let tmp: ReturnType<typeof tempDir> | undefined;
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
  tmp?.cleanup();
  tmp = undefined;
});

async function startBrowserServer(): Promise<string> {
  tmp ??= tempDir();
  const core: Core = await openCore(tmp.file('c.sqlite'));
  const app: FastifyInstance = await buildServer({ handlers: core.handlers, rendererDir: tmp.file('no-renderer') });
  closers.push(
    () => core.close(),
    () => app.close(),
  );
  return listen(app, 0);
}

async function startIntakeServer(opts: { trustProxy?: boolean } = {}): Promise<{ url: string; db: IntakeDb }> {
  tmp ??= tempDir();
  const db = await openIntakeDb({ sqlitePath: tmp.file('intake.sqlite') });
  const app = await createIntakeApp({ db, trustProxy: opts.trustProxy });
  closers.push(
    () => db.close(),
    () => app.close(),
  );
  return { url: await listenIntake(app, 0), db };
}

/** A raw request (the path is sent exactly as written, no URL normalisation). */
function raw(
  url: string,
  opts: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: u.hostname, port: u.port, method: opts.method ?? 'GET', path: opts.path, headers: opts.headers },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

const VIETNAMESE = /[ạảãáàâấầẩẫậăắằẳẵặđêếềểễệôốồổỗộơớờởỡợưứừửữựíìỉĩịúùủũụýỳỷỹỵéèẻẽẹóòỏõọ]/i;

/** The browser mode's error shape: {ok:false, error:{code, message}} with a Vietnamese sentence. */
function expectAppShape(text: string): { code: string; message: string } {
  const body = JSON.parse(text) as { ok: boolean; error: { code: string; message: string } };
  expect(body.ok).toBe(false);
  expect(body.error.message).toMatch(VIETNAMESE);
  expect(body.error.message).toMatch(/Hãy /);
  expect(text).not.toMatch(/Bad Request|Not Found|statusCode|FST_|\n\s+at /);
  return body.error;
}

/** The intake's error shape: {code, message, action, serverTime}. */
function expectIntakeShape(text: string): { code: string; message: string; action: string } {
  const body = JSON.parse(text) as { code: string; message: string; action: string; serverTime: string };
  expect(body.message).toMatch(VIETNAMESE);
  expect(body.action).toMatch(/^(wait|act)$/);
  expect(typeof body.serverTime).toBe('string');
  expect(text).not.toMatch(/Bad Request|Not Found|statusCode|FST_|\n\s+at /);
  return body;
}

describe('item 16: every answer of both servers uses the Vietnamese error shape', () => {
  it('browser mode: malformed URL, unknown route, bad JSON, body too large, wrong content type', async () => {
    const url = await startBrowserServer();
    for (const path of ['/%c0%ae', '/api/%c0%ae', '/api/rpc/%c0%ae']) {
      const r = await raw(url, { path });
      expect(r.status, path).toBe(400);
      expect(r.headers['content-type']).toMatch(/application\/json/);
      expectAppShape(r.text);
    }
    const notFound = await raw(url, { path: '/api/nothing-here' });
    expect(notFound.status).toBe(404);
    expectAppShape(notFound.text);
    const badJson = await raw(url, {
      method: 'POST',
      path: '/api/rpc/app.info',
      headers: { 'content-type': 'application/json' },
      body: '{"not json',
    });
    expect(badJson.status).toBe(400);
    expectAppShape(badJson.text);
    const tooLarge = await raw(url, {
      method: 'POST',
      path: '/api/rpc/app.info',
      headers: { 'content-type': 'application/json' },
      body: Buffer.alloc(33 * 1024 * 1024, 0x20),
    });
    expect(tooLarge.status).toBe(413);
    expectAppShape(tooLarge.text);
    const wrongType = await raw(url, {
      method: 'POST',
      path: '/api/rpc/app.info',
      headers: { 'content-type': 'application/xml' },
      body: '<a/>',
    });
    expect(wrongType.status).toBe(415);
    expectAppShape(wrongType.text);
    const wrongMethod = await raw(url, { method: 'DELETE', path: '/something' });
    expect(wrongMethod.status).toBe(405);
    expectAppShape(wrongMethod.text);
  });

  it('intake: malformed URL, unknown route, bad JSON, wrong content type', async () => {
    const { url, db } = await startIntakeServer();
    const city = (await issueToken(db, { city: true })).token;
    for (const path of ['/%c0%ae', '/api/v1/%c0%ae', '/api/v1/packages/%c0%ae']) {
      const r = await raw(url, { path, headers: { authorization: `Bearer ${city}` } });
      expect(r.status, path).toBe(400);
      expect(r.headers['content-type']).toMatch(/application\/json/);
      expect(expectIntakeShape(r.text).code).toBe('invalid_input');
    }
    const badJson = await raw(url, {
      method: 'POST',
      path: '/api/v1/decisions',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${city}` },
      body: '{"not json',
    });
    expect(badJson.status).toBe(400);
    expectIntakeShape(badJson.text);
    const wrongType = await raw(url, {
      method: 'POST',
      path: '/api/v1/decisions',
      headers: { 'content-type': 'application/xml', authorization: `Bearer ${city}` },
      body: '<a/>',
    });
    expect(wrongType.status).toBe(415);
    expectIntakeShape(wrongType.text);
  });
});

describe('item 15: failed authentications are limited per client address', () => {
  it('12,000 guessed tokens from one address meet 429 with Retry-After long before the end', async () => {
    const { url } = await startIntakeServer();
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    closers.push(async () => agent.destroy());
    const guess = (i: number) =>
      new Promise<{ status: number; retryAfter?: string; text: string }>((resolve, reject) => {
        const u = new URL(url);
        const req = http.request(
          {
            agent,
            host: u.hostname,
            port: u.port,
            path: '/api/v1/status',
            // A different forwarded address on every guess: ignored, the server does not trust a proxy.
            headers: {
              authorization: `Bearer guess-${i}-${'x'.repeat(20)}`,
              'x-forwarded-for': `10.0.${i % 250}.${i % 7}`,
            },
          },
          (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (d: string) => (text += d));
            res.on('end', () =>
              resolve({
                status: res.statusCode ?? 0,
                retryAfter: res.headers['retry-after'] as string | undefined,
                text,
              }),
            );
          },
        );
        req.on('error', reject);
        req.end();
      });
    let first429: number | null = null;
    let answer: { status: number; retryAfter?: string; text: string } | null = null;
    for (let i = 0; i < 12_000 && first429 === null; i += 8) {
      const batch = await Promise.all(Array.from({ length: 8 }, (_, k) => guess(i + k)));
      const at = batch.findIndex((b) => b.status === 429);
      if (at >= 0) {
        first429 = i + at;
        answer = batch[at]!;
      } else for (const b of batch) expect(b.status).toBe(401);
    }
    expect(first429, 'no 429 in 12,000 guesses').not.toBeNull();
    expect(first429!).toBeLessThan(200);
    expect(Number(answer!.retryAfter)).toBeGreaterThan(0);
    const body = expectIntakeShape(answer!.text);
    expect(body.code).toBe('rate_limited');
    expect(body.message).toMatch(/mã truy cập/);
  });
});

describe('item 15 behind a trusted proxy', () => {
  it('with trustProxy the address is the forwarded one: one office guessing does not lock out another', async () => {
    const { url, db } = await startIntakeServer({ trustProxy: true });
    const good = (await issueToken(db, { unit: '11948' })).token;
    const from = (address: string, token: string) =>
      raw(url, { path: '/api/v1/status', headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': address } });
    let limited = false;
    for (let i = 0; i < 200 && !limited; i++)
      limited = (await from('203.0.113.7', `guess-${i}-xxxxxxxxxxxx`)).status === 429;
    expect(limited).toBe(true);
    // The guesser is still refused, even with a right token; another address is served.
    expect((await from('203.0.113.7', good)).status).toBe(429);
    expect((await from('198.51.100.20', good)).status).toBe(200);
  });
});

describe('item 17: the browser mode beyond loopback needs a password and a login', () => {
  it('web --host 0.0.0.0 without a password exits 2 and says how to set one', async () => {
    tmp ??= tempDir();
    const r = await runCli(['web', '--db', tmp.file('w.sqlite'), '--port', '0', '--host', '0.0.0.0'], {
      timeoutMs: 30_000,
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--password-file/);
    expect(r.stderr).toMatch(/COMMUNE_RETURNS_WEB_PASSWORD/);
    expect(r.stderr).toMatch(/127\.0\.0\.1/);
    expect(r.stdout).not.toMatch(/Mở trình duyệt tại/);
  });

  it('with a password: 401 without a session, the login works, wrong passwords are limited', async () => {
    tmp ??= tempDir();
    const pwFile = tmp.file('pw.txt');
    writeFileSync(pwFile, 'mật-khẩu đủ dài 2026\n');
    const web = await startWeb([
      '--db',
      tmp.file('w.sqlite'),
      '--port',
      '0',
      '--host',
      '0.0.0.0',
      '--password-file',
      pwFile,
    ]);
    closers.push(() => web.stop());
    // Bound to every address, reached only through 127.0.0.1.
    const url = web.url;
    const rpc = (cookie?: string) =>
      fetch(`${url}/api/rpc/app.info`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
        body: '{}',
      });
    const denied = await rpc();
    expect(denied.status).toBe(401);
    expect(expectAppShape(await denied.text()).code).toBe('unauthorized');
    // The login page: a small Vietnamese page served by the server.
    const page = await fetch(`${url}/login`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toMatch(/Đăng nhập/);
    expect(html).toMatch(/Mật khẩu/);
    // A page of the app without a session goes to the login page.
    const home = await fetch(`${url}/`, { redirect: 'manual' });
    expect(home.status).toBe(303);
    expect(home.headers.get('location')).toMatch(/^\/login/);

    const login = (password: string) =>
      fetch(`${url}/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ password }).toString(),
        redirect: 'manual',
      });
    const wrong = await login('sai');
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toMatch(/Mật khẩu không đúng/);
    expect(wrong.headers.get('set-cookie')).toBeNull();

    const ok = await login('mật-khẩu đủ dài 2026');
    expect(ok.status).toBe(303);
    const setCookie = ok.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Strict/i);
    const cookie = setCookie.split(';')[0]!;
    expect(cookie).toMatch(/=[A-Za-z0-9_-]{32,}$/);
    const allowed = await rpc(cookie);
    expect(allowed.status).toBe(200);
    expect(((await allowed.json()) as { ok: boolean }).ok).toBe(true);
    // A made-up session is no session.
    expect((await rpc(cookie.replace(/=.*/, '=' + 'A'.repeat(43)))).status).toBe(401);

    // Wrong passwords from one address: limited (429 with Retry-After), the right one too while limited.
    let limited: Response | null = null;
    for (let i = 0; i < 100 && !limited; i++) {
      const r = await login(`sai-${i}`);
      if (r.status === 429) limited = r;
      else expect(r.status).toBe(401);
    }
    expect(limited, 'no 429 in 100 wrong passwords').not.toBeNull();
    expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await limited!.text()).toMatch(/Đã nhập sai mật khẩu quá nhiều lần/);
    // The session already open keeps working.
    expect((await rpc(cookie)).status).toBe(200);
  });

  it('loopback stays as it was: no login, the Host check on', async () => {
    tmp ??= tempDir();
    const web = await startWeb(['--db', tmp.file('w.sqlite'), '--port', '0']);
    closers.push(() => web.stop());
    const r = await fetch(`${web.url}/api/rpc/app.info`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(r.status).toBe(200);
    const u = new URL(web.url);
    const rebound = await raw(web.url, {
      path: '/api/rpc/app.info',
      method: 'POST',
      headers: { host: `evil.example:${u.port}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(rebound.status).toBe(403);
  });
});
