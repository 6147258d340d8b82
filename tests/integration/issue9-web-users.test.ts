/**
 * Issue 9 item 4, the browser mode of a city with users: a real server (buildServer) on a real
 * city database. Sign-in by name and password, one message for any wrong part, failures limited
 * per user name and per address, the CSRF header on every call, the Host check beyond loopback,
 * sessions in the database (they survive a restart; idle 12 h ends them), sign-out; and the
 * command line: `user add` from standard input, `web --host` refused without users.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import type { Core } from '../../core/handlers.js';
import { buildServer, listen } from '../../server/app.js';
import { CSRF_REFUSED, WRONG_USER } from '../../server/login.js';
import { call, openCore } from '../helpers/core.js';
import { BIN, runCli, startWeb } from '../helpers/cli.js';
import { repoRoot, tempDir } from '../helpers/sample.js';

let tmp: ReturnType<typeof tempDir> | undefined;
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
  tmp?.cleanup();
  tmp = undefined;
});

const PW = 'mật khẩu đủ dài 2026';
let clock = new Date('2026-06-10T03:00:00Z');

async function cityDb(name = 'city.sqlite'): Promise<string> {
  tmp ??= tempDir('issue9-web-users-');
  const file = tmp.file(name);
  const core = await openCore(file);
  await call(core, 'app.setup', { role: 'city' });
  await call(core, 'users.add', { name: 'Quản trị', department: 'Văn phòng UBND thành phố', password: PW });
  await call(core, 'users.add', { name: 'Lan', department: 'Sở Nội vụ', password: PW });
  await call(core, 'users.add', { name: 'Hùng', department: 'Sở Tài chính', password: PW });
  await core.close();
  return file;
}

async function serve(
  db: string,
  opts: { allowedHosts?: string[] } = {},
): Promise<{ url: string; stop: () => Promise<void> }> {
  const core: Core = await openCore(db, () => clock);
  const app: FastifyInstance = await buildServer({
    handlers: core.handlers,
    rendererDir: tmp!.file('no-renderer'),
    loopbackOnly: !opts.allowedHosts,
    users: core.users,
    allowedHosts: opts.allowedHosts,
  });
  const url = await listen(app, 0);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await app.close();
    await core.close();
  };
  closers.push(stop);
  return { url, stop };
}

const signIn = (url: string, name: string, password: string) =>
  fetch(`${url}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ name, password }).toString(),
    redirect: 'manual',
  });

async function cookieOf(url: string, name = 'Lan', password = PW): Promise<string> {
  const res = await signIn(url, name, password);
  expect(res.status).toBe(303);
  const set = res.headers.get('set-cookie')!;
  expect(set).toMatch(/HttpOnly/);
  expect(set).toMatch(/SameSite=Strict/);
  return set.split(';')[0]!;
}

const rpc = (url: string, name: string, cookie: string | null, csrf?: string, input: unknown = {}) =>
  fetch(`${url}/api/rpc/${name}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(cookie ? { cookie } : {}),
      ...(csrf !== undefined ? { 'x-csrf-token': csrf } : {}),
    },
    body: JSON.stringify(input),
  });

async function me(url: string, cookie: string) {
  const res = await rpc(url, 'auth.me', cookie);
  expect(res.status).toBe(200);
  return (
    (await res.json()) as {
      result: {
        user: { name: string; department: string; admin: boolean } | null;
        usersExist: boolean;
        csrf: string | null;
      };
    }
  ).result;
}

const errorOf = (html: string) => /<p class="error"[^>]*>([^<]*)<\/p>/.exec(html)?.[1];

/** A GET with a chosen Host header (fetch does not let us set it). */
function getWithHost(url: string, host: string, path = '/'): Promise<{ status: number; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path, method: 'GET', headers: { host } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('signing in', () => {
  it('every page and call needs a session (loopback too); the sign-in page asks for Tên đăng nhập and Mật khẩu', async () => {
    const { url } = await serve(await cityDb());
    const page = await fetch(`${url}/`, { redirect: 'manual' });
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/login');
    const call = await rpc(url, 'units.list', null);
    expect(call.status).toBe(401);
    expect(((await call.json()) as { error: { message: string } }).error.message).toContain('đăng nhập');
    const login = await (await fetch(`${url}/login`)).text();
    expect(login).toContain('<label for="name">Tên đăng nhập</label>');
    expect(login).toContain('<label for="password">Mật khẩu</label>');
  });

  it('a right name and password open a session: auth.me gives the user, the department and a CSRF token', async () => {
    const { url } = await serve(await cityDb());
    const cookie = await cookieOf(url, 'lan'); // names without case
    const m = await me(url, cookie);
    expect(m.user).toEqual({ name: 'Lan', department: 'Sở Nội vụ', admin: false });
    expect(m.usersExist).toBe(true);
    expect(m.csrf).toMatch(/^[\w-]{40,}$/);
    const page = await fetch(`${url}/`, { headers: { cookie }, redirect: 'manual' });
    expect(page.status).not.toBe(303);
  });

  it('a wrong password and a wrong name give the same status and the same sentence, never which part was wrong', async () => {
    const { url } = await serve(await cityDb());
    const wrongPassword = await signIn(url, 'Lan', 'sai mật khẩu 2026');
    const wrongName = await signIn(url, 'Không Có Ai', PW);
    expect(wrongPassword.status).toBe(401);
    expect(wrongName.status).toBe(401);
    const a = errorOf(await wrongPassword.text());
    const b = errorOf(await wrongName.text());
    expect(a).toBeTruthy();
    expect(a).toBe(b);
    expect(a).toContain('Tên đăng nhập hoặc mật khẩu không đúng');
    expect(WRONG_USER).toContain('Tên đăng nhập hoặc mật khẩu không đúng');
    expect(wrongPassword.headers.get('set-cookie')).toBeNull();
  });

  it('wrong tries are limited per user name: after 5, even the right password waits (429); another name still signs in', async () => {
    const { url } = await serve(await cityDb());
    for (let i = 0; i < 5; i++) expect((await signIn(url, 'Lan', `sai-${i}-mật-khẩu`)).status).toBe(401);
    const held = await signIn(url, 'LAN', PW);
    expect(held.status).toBe(429);
    expect(Number(held.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(errorOf(await held.text())).toContain('Hãy chờ khoảng');
    expect((await signIn(url, 'Hùng', PW)).status).toBe(303);
  });

  it('wrong tries are limited per address: 10 wrong names from one machine, then even a right one waits', async () => {
    const { url } = await serve(await cityDb());
    for (let i = 0; i < 10; i++) expect((await signIn(url, `người-${i}`, 'sai mật khẩu 2026')).status).toBe(401);
    expect((await signIn(url, 'Hùng', PW)).status).toBe(429);
  });

  it('a disabled user cannot sign in, and their open session ends', async () => {
    const { url } = await serve(await cityDb());
    const lan = await cookieOf(url, 'Lan');
    const admin = await cookieOf(url, 'Quản trị');
    const csrf = (await me(url, admin)).csrf!;
    expect((await rpc(url, 'users.disable', admin, csrf, { name: 'Lan', disabled: true })).status).toBe(200);
    expect((await rpc(url, 'units.list', lan, (await me(url, admin)).csrf!)).status).toBe(401);
    expect((await signIn(url, 'Lan', PW)).status).toBe(401);
  });
});

describe('CSRF', () => {
  it('a call without x-csrf-token, or with a wrong one, is refused with 403 and a Vietnamese sentence to reload; with it, it runs', async () => {
    const { url } = await serve(await cityDb());
    const cookie = await cookieOf(url, 'Quản trị');
    const { csrf } = await me(url, cookie);
    const missing = await rpc(url, 'users.list', cookie);
    expect(missing.status).toBe(403);
    const body = (await missing.json()) as { ok: boolean; error: { code: string; message: string } };
    expect(body).toEqual({ ok: false, error: { code: 'csrf', message: CSRF_REFUSED } });
    expect(body.error.message).toContain('tải lại trang');
    expect((await rpc(url, 'users.list', cookie, 'sai')).status).toBe(403);
    expect((await rpc(url, 'users.list', cookie, `${csrf!.slice(0, -1)}x`)).status).toBe(403);
    const ok = await rpc(url, 'users.list', cookie, csrf!);
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { result: unknown[] }).result).toHaveLength(3);
  });

  it('calls run as the signed-in user: the Sở Tài chính clerk gets not_found for BC-CX completeness, the Sở Nội vụ clerk gets it', async () => {
    const { url } = await serve(await cityDb());
    const hung = await cookieOf(url, 'Hùng');
    const lan = await cookieOf(url, 'Lan');
    const q = { template: 'BC-CX', period: '2026-Q2' };
    const refused = await rpc(url, 'city.completeness', hung, (await me(url, hung)).csrf!, q);
    expect(refused.status).toBe(404);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('not_found');
    expect((await rpc(url, 'city.completeness', lan, (await me(url, lan)).csrf!, q)).status).toBe(200);
    // A clerk cannot manage users.
    expect((await rpc(url, 'users.list', lan, (await me(url, lan)).csrf!)).status).toBe(422);
  });
});

describe('sessions', () => {
  it('a session survives a restart of the server (it is in the database); sign-out ends it', async () => {
    const db = await cityDb();
    const first = await serve(db);
    const cookie = await cookieOf(first.url, 'Lan');
    const { csrf } = await me(first.url, cookie);
    await first.stop();
    const second = await serve(db);
    const again = await me(second.url, cookie);
    expect(again.user?.name).toBe('Lan');
    expect(again.csrf).toBe(csrf);
    expect((await rpc(second.url, 'units.list', cookie, csrf!)).status).toBe(200);
    const out = await fetch(`${second.url}/logout`, { method: 'POST', headers: { cookie }, redirect: 'manual' });
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toBe('/login');
    expect(out.headers.get('set-cookie')).toMatch(/Max-Age=0/);
    expect((await rpc(second.url, 'units.list', cookie, csrf!)).status).toBe(401);
  });

  it('a session idle for more than 12 hours is closed', async () => {
    clock = new Date('2026-06-10T03:00:00Z');
    const { url } = await serve(await cityDb());
    const cookie = await cookieOf(url, 'Lan');
    clock = new Date('2026-06-10T14:00:00Z'); // 11 h later: still open (and touched)
    expect((await me(url, cookie)).user?.name).toBe('Lan');
    clock = new Date('2026-06-11T02:30:00Z'); // 12.5 h after the last use
    expect((await rpc(url, 'units.list', cookie, 'x')).status).toBe(401);
    clock = new Date('2026-06-10T03:00:00Z');
  });

  it('only the sha256 of the cookie is stored', async () => {
    const db = await cityDb();
    const { url, stop } = await serve(db);
    const cookie = await cookieOf(url, 'Lan');
    await stop();
    const core = await openCore(db);
    closers.push(() => core.close());
    const id = cookie.split('=')[1]!;
    const rows = (core.users as unknown as { check: (id: string) => unknown }).check(id);
    expect(rows).not.toBeNull();
    const Database = (await import('better-sqlite3')).default;
    const raw = new Database(db, { readonly: true });
    const stored = raw.prepare('SELECT id_hash FROM sessions').all() as { id_hash: string }[];
    raw.close();
    expect(stored.length).toBe(1);
    expect(stored[0]!.id_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(stored[0]!.id_hash).not.toContain(id);
  });
});

describe('beyond loopback: the Host check', () => {
  it("this machine's addresses and the --public-host names are served; any other Host is refused (403, Vietnamese)", async () => {
    const { url } = await serve(await cityDb(), { allowedHosts: ['192.0.2.10', 'thanhpho.local', 'fe80::1'] });
    const port = new URL(url).port;
    expect((await getWithHost(url, `thanhpho.local:${port}`, '/login')).status).toBe(200);
    expect((await getWithHost(url, `192.0.2.10:${port}`, '/login')).status).toBe(200);
    expect((await getWithHost(url, `[fe80::1]:${port}`, '/login')).status).toBe(200);
    expect((await getWithHost(url, `127.0.0.1:${port}`, '/login')).status).toBe(200);
    const evil = await getWithHost(url, `attacker.example:${port}`, '/login');
    expect(evil.status).toBe(403);
    expect(JSON.parse(evil.body).error.message).toContain('--public-host');
  });
});

function cliWithStdin(args: string[], stdin: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

describe('command line', () => {
  it('user add (password from standard input) makes a city database; users lists; web --host refuses a city without users and starts with them', async () => {
    tmp ??= tempDir('issue9-web-users-');
    const empty = tmp.file('empty-city.sqlite');
    const core = await openCore(empty);
    await call(core, 'app.setup', { role: 'city' });
    await core.close();
    const refused = await runCli(['web', '--db', empty, '--host', '0.0.0.0', '--port', '0']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('Hãy tạo người dùng trước: commune-returns user add --db');

    const db = tmp.file('cli-city.sqlite');
    const added = await cliWithStdin(
      ['user', 'add', '--db', db, '--name', 'Quản trị', '--department', 'Văn phòng UBND thành phố'],
      `${PW}\n`,
    );
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    expect(added.stdout).toContain('quản trị viên');
    const short = await cliWithStdin(
      ['user', 'add', '--db', db, '--name', 'Lan', '--department', 'Sở Nội vụ'],
      'ngắn\n',
    );
    expect(short.code).toBe(1);
    expect(short.stderr).toContain('ít nhất 8 ký tự');
    expect(
      (await cliWithStdin(['user', 'add', '--db', db, '--name', 'Lan', '--department', 'Sở Nội vụ'], `${PW}\n`)).code,
    ).toBe(0);
    const list = await runCli(['users', '--db', db]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/Lan\s+Sở Nội vụ\s+hoạt động\s+chưa/);
    expect(list.stdout).toMatch(/Quản trị\s+Văn phòng UBND thành phố\s+có\s+hoạt động/);

    const web = await startWeb(['--db', db, '--host', '0.0.0.0', '--port', '0', '--public-host', 'thanhpho.local']);
    try {
      const port = new URL(web.url).port;
      expect((await getWithHost(web.url, `thanhpho.local:${port}`, '/login')).status).toBe(200);
      expect((await getWithHost(web.url, `evil.example:${port}`, '/login')).status).toBe(403);
      const cookie = await cookieOf(web.url, 'Quản trị');
      expect((await me(web.url, cookie)).user?.admin).toBe(true);
    } finally {
      await web.stop();
    }
    const after = await runCli(['users', '--db', db, '--json']);
    expect(
      (JSON.parse(after.stdout) as { name: string; lastLoginAt: string | null }[]).find((u) => u.name === 'Quản trị')!
        .lastLoginAt,
    ).not.toBeNull();
  });
});
