/**
 * Issue 9 under attack (engineer "attacker"): files, requests and sign-ins no other test sends.
 * The rule each attack checks: bad input gets a Vietnamese message that says what to do, what the
 * office or the city already saved stays as it was, never a stack trace or the generic "unexpected
 * error" where the cause is known, no hang, no crash of the server.
 *
 * Real parts: SQLite files in a temp dir, the real command line, real HTTP servers on 127.0.0.x
 * (other loopback addresses stand for other machines of the LAN), signatures by the fixture city key.
 */
import { spawn } from 'node:child_process';
import { createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import { closeSync, ftruncateSync, openSync } from 'node:fs';
import http from 'node:http';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { RequestEdition, Template } from '../../shared/index.js';
import { sampleReturn } from '../../shared/template/sample.js';
import type { Core } from '../../core/handlers.js';
import { generateCityKey, keyIdOf, signFile } from '../../core/requests/sign.js';
import { requestStore } from '../../core/requests/store.js';
import { buildServer, listen } from '../../server/app.js';
import { CITY_KEY } from '../helpers/city-key.js';
import { BIN, runCli } from '../helpers/cli.js';
import { call, openCore, saveWhole } from '../helpers/core.js';
import { startIntake } from '../helpers/intake-server.js';
import { tempDir } from '../helpers/sample.js';

const UNIT = '11948'; // Đặc khu Bạch Long Vĩ
const PW = 'mật khẩu đủ dài 2026';

let tmp: ReturnType<typeof tempDir> | undefined;
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
  tmp?.cleanup();
  tmp = undefined;
});

async function core(name: string): Promise<Core> {
  tmp ??= tempDir('issue9-attacks-');
  const c = await openCore(tmp.file(name));
  closers.push(() => c.close());
  return c;
}

async function commune(name = 'commune.sqlite'): Promise<Core> {
  const c = await core(name);
  await call(c, 'app.setup', { role: 'commune', unitCode: UNIT });
  return c;
}

function edition(over: Partial<RequestEdition> = {}): RequestEdition {
  return {
    id: 'YC-2026-0001',
    edition: 1,
    state: 'open',
    template: 'BC-CX',
    templateVersion: 1,
    ref: { number: '1234/UBND-NVKTGS', date: '2026-05-02', summary: 'Rà soát số liệu' },
    title: 'Rà soát số liệu',
    addressees: { kind: 'units', codes: [UNIT] },
    units: [UNIT],
    unitListVersion: 'haiphong-2025',
    period: '2026-Q2',
    due: '2026-05-20',
    dueWording: 'trong',
    department: 'Sở Nội vụ',
    issuedAt: '2026-05-02T02:00:00Z',
    ...over,
  };
}

const asFile = (bytes: Buffer, fileName = 'yeu-cau.json') => ({ fileName, data: bytes.toString('base64') });
const requestFile = (e: RequestEdition, templates: Template[] = []) => signFile('request', { request: e, templates }, CITY_KEY);

/** A signed file over exactly these payload bytes (JSON.stringify cannot even write some of them). */
function signRaw(kind: string, payloadText: string): Buffer {
  const bytes = Buffer.from(payloadText, 'utf8');
  return Buffer.from(
    JSON.stringify({
      format: 'bao-cao-xa/signed',
      version: 1,
      kind,
      keyId: keyIdOf(CITY_KEY.publicPem),
      payload: bytes.toString('base64'),
      signature: sign(null, bytes, createPrivateKey(CITY_KEY.privatePem)).toString('base64'),
    }),
  );
}

/** The refusal of a call: its code and message (fails the test when the call succeeds). */
async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    const err = e as { code?: string; message: string };
    return { code: err.code ?? 'none', message: err.message };
  }
  throw new Error('the call was not refused');
}

/** A Vietnamese sentence that says what to do; not the generic one, no stack trace. */
function expectHelpful(message: string) {
  expect(message).toMatch(/[Hh]ãy /);
  expect(message).not.toMatch(/không mong muốn|\n\s+at |Error:/);
}

/** The office's BC-CX draft, typed before anything arrives: nothing received may change it. */
async function typeDraft(c: Core): Promise<unknown> {
  const t = c.resources.latestTemplate('BC-CX')!;
  await saveWhole(c, '2026-Q1', { values: sampleReturn(t, { unit: { type: 'đặc khu' }, period: '2026-Q1', seed: 3 }) });
  return (await call(c, 'returns.open', { template: 'BC-CX', period: '2026-Q1' })).values;
}

const requestLines = async (c: Core) => (await call(c, 'requests.todo', {})).items.filter((i) => i.kind === 'request');

describe('signed files at an office', () => {
  it('malformed files are refused with a reason and what to do; nothing the office typed changes', async () => {
    const c = await commune();
    const draft = await typeDraft(c);
    const valid = JSON.parse(requestFile(edition()).toString()) as Record<string, unknown>;
    const hostile: [string, Buffer][] = [
      ['not JSON', Buffer.from('Kính gửi UBND')],
      ['JSON null', Buffer.from('null')],
      ['a million nested arrays', Buffer.from('['.repeat(1e6) + ']'.repeat(1e6))],
      ['a signature of garbage', Buffer.from(JSON.stringify({ ...valid, signature: '%%%%' }))],
      ['a key id that is an object', Buffer.from(JSON.stringify({ ...valid, keyId: { a: 1 }, signature: 'AAAA' }))],
      ['signed by another key', signFile('request', { request: edition() }, generateCityKey())],
      ['a signed request nested a million deep', signRaw('request', `{"request":${'['.repeat(1e6)}${']'.repeat(1e6)}}`)],
      ['a template nested 100 000 deep', signRaw('template', `{"templates":[${'{"a":'.repeat(1e5)}1${'}'.repeat(1e5)}]}`)],
      ['edition 0', requestFile(edition({ edition: 0 }))],
      ['id ../../x', requestFile(edition({ id: '../../x' }))],
      ['a million units', requestFile(edition({ units: Array.from({ length: 1e6 }, () => UNIT) }))],
      ['units not five digits', requestFile(edition({ units: [UNIT, '1194'] }))],
      ['a template failing the template schema', requestFile(edition({ template: 'X' }), [{ id: 'X', version: 1 } as unknown as Template])],
      ['a reminder kind', signFile('reminder', { request: edition() }, CITY_KEY)],
      ['a request for template version 7 without it', requestFile(edition({ templateVersion: 7 }))],
      ['17 MB of spaces', Buffer.alloc(17 * 1024 * 1024, 0x20)],
    ];
    for (const [label, bytes] of hostile) {
      const r = await refusal(call(c, 'requests.receive', { file: asFile(bytes) }));
      expect([label, ['refused', 'invalid_input'].includes(r.code)]).toEqual([label, true]);
      expectHelpful(r.message);
    }
    expect(await requestLines(c)).toEqual([]);
    expect((await call(c, 'returns.open', { template: 'BC-CX', period: '2026-Q1' })).values).toEqual(draft);
  });

  it('a valid signature over impossible content (a 30 February, a period that is none or not the template’s) is refused, never listed', async () => {
    const c = await commune();
    const impossible: [Partial<RequestEdition>, RegExp][] = [
      [{ id: 'YC-2026-0002', due: '2026-02-30', period: '2026-Q1' }, /hạn nộp "2026-02-30" không phải một ngày có thật/],
      [{ id: 'YC-2026-0003', period: '../../x' }, /kỳ báo cáo "..\/..\/x"/],
      [{ id: 'YC-2026-0004', period: '2026-Q5' }, /kỳ báo cáo "2026-Q5"/],
      [{ id: 'YC-2026-0005', period: '2026-M03' }, /không phải kỳ của mẫu BC-CX \(mẫu lập theo quý\)/],
      [{ id: 'YC-2026-0006', ref: { number: '1', date: '2026-13-45', summary: 'x' } }, /ngày văn bản "2026-13-45"/],
      [{ id: 'YC-2026-0007', window: { start: '2026-99-01', end: '2026-00-00' } }, /thời gian chốt số liệu/],
    ];
    for (const [over, why] of impossible) {
      const r = await refusal(call(c, 'requests.receive', { file: asFile(requestFile(edition(over))) }));
      expect(r.code).toBe('refused');
      expect(r.message).toContain(`Tệp yêu cầu ${over.id}`);
      expect(r.message).toMatch(why);
      expectHelpful(r.message);
    }
    expect(await requestLines(c)).toEqual([]);
    // The same request with real content is received.
    expect((await call(c, 'requests.receive', { file: asFile(requestFile(edition())) })).outcome).toBe('received');
    expect((await requestLines(c)).map((i) => i.requestId)).toEqual(['YC-2026-0001']);
  });

  it('a file saved again by a Windows editor (a byte-order mark, CRLF line ends) is the same signed file: received', async () => {
    const c = await commune();
    const text = requestFile(edition()).toString('utf8').replace(/\n/g, '\r\n');
    const r = await call(c, 'requests.receive', { file: asFile(Buffer.from(`\uFEFF${text}`, 'utf8')) });
    expect(r).toMatchObject({ outcome: 'received', requestId: 'YC-2026-0001' });
  });

  it('the same file received three times at once: one edition stored, the others "unchanged"', async () => {
    const c = await commune();
    const bytes = requestFile(edition());
    const outcomes = await Promise.all([1, 2, 3].map(() => call(c, 'requests.receive', { file: asFile(bytes) })));
    expect(outcomes.map((o) => o.outcome).sort()).toEqual(['received', 'unchanged', 'unchanged']);
    expect((await call(c, 'requests.get', { id: 'YC-2026-0001' })).editions).toHaveLength(1);
  });

  it('a request file on the city database is refused with where to receive it', async () => {
    const city = await core('city.sqlite');
    await call(city, 'app.setup', { role: 'city' });
    const r = await refusal(call(city, 'requests.receive', { file: asFile(requestFile(edition())) }));
    expect(r.message).toContain('Hãy nhận tệp ở máy của xã');
  });
});

describe('the trusted city key', () => {
  it('an empty, binary or RSA file is refused and the old key stays; a PRIVATE key is refused, not kept, and the office told to warn the city', async () => {
    const c = await commune();
    const before = await call(c, 'trust.get', {});
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    for (const pem of ['', '\u0000\u0001\u00ff', rsa]) {
      const r = await refusal(call(c, 'trust.set', { file: { fileName: 'khoa.pem', data: Buffer.from(pem).toString('base64') } }));
      expect(r.code).toBe('invalid_input');
      expectHelpful(r.message);
    }
    const leaked = await refusal(call(c, 'trust.set', { file: { fileName: 'khoa.pem', data: Buffer.from(CITY_KEY.privatePem).toString('base64') } }));
    expect(leaked.message).toContain('khóa BÍ MẬT');
    expect(leaked.message).toContain('báo ngay cho Thành phố');
    expect(await call(c, 'trust.get', {})).toEqual(before);
  });

  it('after the key is replaced, a file signed by the old key is refused as signed by another key', async () => {
    const c = await commune();
    const next = generateCityKey();
    await call(c, 'trust.set', { file: { fileName: 'khoa.pem', data: Buffer.from(next.publicPem).toString('base64') } });
    const r = await refusal(call(c, 'requests.receive', { file: asFile(requestFile(edition())) }));
    expect(r.message).toContain('được ký bằng một khóa khác');
    expect((await call(c, 'requests.receive', { file: asFile(signFile('request', { request: edition(), templates: [] }, next)) })).outcome).toBe('received');
  });

  it('request import of a 700 MB file says it is far too large, without reading it (not "unexpected error")', async () => {
    const c = await commune();
    await c.close();
    const big = tmp!.file('yeu-cau-lon.json');
    const fd = openSync(big, 'w');
    ftruncateSync(fd, 700 * 1024 * 1024); // sparse: costs no disk
    closeSync(fd);
    const r = await runCli(['request', 'import', '--db', tmp!.file('commune.sqlite'), big], { timeoutMs: 120_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('quá 16 MB của một tệp yêu cầu báo cáo');
    expect(r.stderr).not.toMatch(/không mong muốn|Chi tiết kỹ thuật/);
    // A "key" of 1 MB is no key file either; the trusted key stays.
    const key = tmp!.file('khoa.pem');
    const kd = openSync(key, 'w');
    ftruncateSync(kd, 1024 * 1024);
    closeSync(kd);
    const t = await runCli(['trust', '--db', tmp!.file('commune.sqlite'), '--key', key]);
    expect(t.code).toBe(1);
    expect(t.stderr).toContain('quá lớn để là một tệp khóa công khai');
    expect((await runCli(['trust', '--db', tmp!.file('commune.sqlite')])).stdout).toContain('khóa cài sẵn theo ứng dụng');
  }, 180_000);
});

describe('requests at the city', () => {
  async function city(): Promise<Core> {
    const c = await core('city.sqlite');
    await call(c, 'app.setup', { role: 'city' });
    return c;
  }
  const input = {
    template: 'BC-CX',
    templateVersion: 1,
    ref: { number: '1/UBND', date: '2026-05-02', summary: 'Rà soát' },
    title: 'Rà soát',
    addressees: { kind: 'all' as const },
    period: '2026-Q2',
    due: '2026-06-20',
    dueWording: 'trong' as const,
    department: 'Sở Nội vụ',
  };

  it('5,000 unknown codes, an attribute the list lacks: refused with what to fix, nothing stored', async () => {
    const c = await city();
    const codes = Array.from({ length: 5000 }, (_, i) => String(20000 + i));
    const many = await refusal(call(c, 'requests.create', { ...input, addressees: { kind: 'units', codes } }));
    expect(many.message).toMatch(/Mã đơn vị 20000, 20001, .* và 4990 mã khác không có trong danh sách đơn vị/);
    const attr = await refusal(call(c, 'requests.create', { ...input, addressees: { kind: 'attribute', attribute: 'khong_co', values: ['x'] } }));
    expect(attr.message).toContain('không có cột "khong_co"');
    expect(await call(c, 'requests.list', { includeWithdrawn: true })).toEqual([]);
  });

  it('amend, withdraw and amend sent at once: run one after the other, the editions stay in order, the late amend refused', async () => {
    const c = await city();
    const { id } = await call(c, 'requests.create', input);
    const results = await Promise.allSettled([
      call(c, 'requests.amend', { id, due: '2026-06-30', note: 'Gia hạn' }),
      call(c, 'requests.withdraw', { id, reason: 'Không cần nữa' }),
      call(c, 'requests.amend', { id, due: '2026-07-30', note: 'Gia hạn lần 2' }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    expect(String((results[2] as PromiseRejectedResult).reason.message)).toContain('đã được rút');
    const { editions } = await call(c, 'requests.get', { id });
    expect(editions.map((e) => [e.edition, e.state])).toEqual([
      [1, 'open'],
      [2, 'open'],
      [3, 'withdrawn'],
    ]);
  });

  it('request create/amend/withdraw on the command line check what the other ways check: a 400-character title or a blank department is refused, never stored', async () => {
    const c = await city();
    await c.close();
    const db = tmp!.file('city.sqlite');
    const create = (title: string, department: string) =>
      runCli(['request', 'create', '--db', db, '--template', 'BC-CX', '--ref', '1/UBND', '--title', title, '--due', '2027-06-20', '--due-wording', 'trong', '--units', 'all', '--department', department, '--period', '2027-Q2']);
    const bad = await create('a'.repeat(400), '   ');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--title: .*300/);
    expect(bad.stderr).toContain('--department');
    expect(bad.stderr).not.toMatch(/không mong muốn|Chi tiết kỹ thuật/);
    const ok = await create('Rà soát', 'Sở Nội vụ');
    expect(ok.code).toBe(0);
    const id = ok.stdout.trim();
    const amend = await runCli(['request', 'amend', '--db', db, '--id', id, '--due', '2027-06-30', '--note', 'x'.repeat(2000)]);
    expect(amend.code).toBe(1);
    expect(amend.stderr).toContain('--note');
    const withdraw = await runCli(['request', 'withdraw', '--db', db, '--id', id, '--reason', '   ']);
    expect(withdraw.code).toBe(1);
    expect(withdraw.stderr).toContain('--reason');
    // The city's list still reads (a stored edition the schema refuses would break every reading).
    const list = await runCli(['requests', '--db', db, '--json']);
    expect(list.code).toBe(0);
    expect((JSON.parse(list.stdout) as { id: string; title: string }[]).map((r) => [r.id, r.title])).toEqual([[id, 'Rà soát']]);
  }, 120_000);

  it('request numbers past 9999 keep counting (YC-2026-10000, then 10001), not a duplicate id', async () => {
    const c = await city();
    // The 9999th request of the year, withdrawn (so it overlaps nothing), written as the city stores it.
    const sqlite = new Database(tmp!.file('city.sqlite'));
    const e = edition({ id: 'YC-2026-9999', state: 'withdrawn', edition: 1 });
    requestStore(sqlite).add(e, requestFile(e), 'issued', '2026-05-01T00:00:00Z');
    sqlite.close();
    expect((await call(c, 'requests.create', input)).id).toBe('YC-2026-10000');
    expect((await call(c, 'requests.create', { ...input, period: '2026-Q3', due: '2026-09-20' })).id).toBe('YC-2026-10001');
  });
});

// ---------- sign-in over HTTP ----------

interface Answer {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

/** One HTTP request from a given local address (127.0.0.x: another machine of the LAN for the server). */
function send(url: string, p: string, o: { method?: string; body?: string; headers?: Record<string, string>; from?: string } = {}): Promise<Answer> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const r = http.request(
      { host: u.hostname, port: u.port, path: p, method: o.method ?? 'POST', localAddress: o.from, headers: o.headers ?? {} },
      (res) => {
        let b = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (b += d));
        res.on('end', () => resolve({ status: res.statusCode!, body: b, headers: res.headers }));
      },
    );
    r.on('error', reject);
    r.end(o.body);
  });
}

const form = (name: string, password: string) => new URLSearchParams({ name, password }).toString();
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const signIn = (url: string, name: string, password: string, from?: string, headers: Record<string, string> = {}) =>
  send(url, '/login', { body: form(name, password), headers: { ...FORM, ...headers }, from });
const cookieOf = (a: Answer) => String(a.headers['set-cookie']?.[0] ?? '').split(';')[0]!;

async function cityServer(): Promise<string> {
  const c = await core('city.sqlite');
  await call(c, 'app.setup', { role: 'city' });
  await call(c, 'users.add', { name: 'Quản trị', department: 'Văn phòng UBND thành phố', password: PW });
  await call(c, 'users.add', { name: 'Lan', department: 'Sở Nội vụ', password: PW });
  const app = await buildServer({ handlers: c.handlers, rendererDir: tmp!.file('no-renderer'), users: c.users, loopbackOnly: false, allowedHosts: [] });
  const url = await listen(app, 0);
  closers.push(() => app.close());
  return url;
}

/** The command line with `stdin` on its standard input (a password). */
function cliWithStdin(args: string[], stdin: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

describe('users on the command line', () => {
  it('user add with a blank name or department, or a name no sign-in can type, is refused before a password is asked; nobody is added', async () => {
    const c = await core('city.sqlite');
    await call(c, 'app.setup', { role: 'city' });
    await c.close();
    const db = tmp!.file('city.sqlite');
    const blank = await cliWithStdin(['user', 'add', '--db', db, '--name', '   ', '--department', '   ', '--admin'], `${PW}\n`);
    expect(blank.code).toBe(1);
    expect(blank.stderr).toContain('--name');
    expect(blank.stderr).toContain('--department');
    const long = await cliWithStdin(['user', 'add', '--db', db, '--name', 'a'.repeat(300), '--department', 'Sở Nội vụ'], `${PW}\n`);
    expect(long.code).toBe(1);
    expect(long.stderr).toMatch(/--name: .*100/);
    const longPassword = await cliWithStdin(['user', 'add', '--db', db, '--name', 'Lan', '--department', 'Sở Nội vụ'], `${'x'.repeat(300)}\n`);
    expect(longPassword.code).toBe(1);
    expect(longPassword.stderr).toContain('mật khẩu');
    const sqlite = new Database(db, { readonly: true });
    expect(sqlite.prepare('SELECT count(*) AS n FROM users').get()).toEqual({ n: 0 });
    sqlite.close();
  }, 120_000);
});

describe('sign-in', () => {
  it('a password of 10,000 characters: the sign-in page again with what to do, not a JSON refusal about 32 MB', async () => {
    const url = await cityServer();
    const r = await signIn(url, 'Lan', 'x'.repeat(10_000));
    expect(r.status).toBe(413);
    expect(r.headers['content-type']).toMatch(/text\/html/);
    expect(r.body).toContain('Tên đăng nhập hoặc mật khẩu quá dài');
    expect(r.body).toContain('<form method="post" action="/login">');
    expect(r.body).not.toContain('32 MB');
    expect(r.headers['set-cookie']).toBeUndefined();
    // A body that says JSON and is not: the page again, saying to reload it.
    const broken = await send(url, '/login', { body: '{"name": "Lan", ', headers: { 'content-type': 'application/json' } });
    expect(broken.status).toBe(400);
    expect(broken.body).toContain('Hãy tải lại trang đăng nhập');
  });

  it('wrong passwords for one name from many machines are limited by the name: a sixth machine waits, even with the right password', async () => {
    const url = await cityServer();
    for (let i = 0; i < 5; i++) expect((await signIn(url, 'Lan', `sai ${i} mật khẩu`, `127.0.0.${10 + i}`)).status).toBe(401);
    const held = await signIn(url, 'lan ', PW, '127.0.0.99');
    expect(held.status).toBe(429);
    expect(held.body).toContain('Hãy chờ khoảng');
    // The name typed is shown back on the page, escaped.
    const xss = await signIn(url, '"><script>alert(1)</script>', 'sai mật khẩu', '127.0.0.98');
    expect(xss.status).toBe(401);
    expect(xss.body).not.toContain('<script>alert(1)');
    expect(xss.body).toContain('&quot;&gt;&lt;script&gt;');
    // Another name from that machine is not held.
    expect((await signIn(url, 'Quản trị', PW, '127.0.0.99')).status).toBe(303);
  });

  it('a cookie the server never issued opens nothing, and signing in with it gives a new one (no fixation)', async () => {
    const url = await cityServer();
    const planted = 'commune_returns_session=ke-tan-cong-dat-san';
    expect((await send(url, '/api/rpc/auth.me', { body: '{}', headers: { 'content-type': 'application/json', cookie: planted } })).status).toBe(401);
    const r = await signIn(url, 'Lan', PW, undefined, { cookie: planted });
    expect(r.status).toBe(303);
    expect(cookieOf(r)).not.toBe(planted);
    expect((await send(url, '/api/rpc/auth.me', { body: '{}', headers: { 'content-type': 'application/json', cookie: planted } })).status).toBe(401);
  });

  it('the CSRF token of another session is refused; a GET to /api/rpc is not a call', async () => {
    const url = await cityServer();
    const lan = cookieOf(await signIn(url, 'Lan', PW));
    const admin = cookieOf(await signIn(url, 'Quản trị', PW));
    const me = async (cookie: string) =>
      (JSON.parse((await send(url, '/api/rpc/auth.me', { body: '{}', headers: { 'content-type': 'application/json', cookie } })).body) as { result: { csrf: string } })
        .result.csrf;
    const adminCsrf = await me(admin);
    const crossed = await send(url, '/api/rpc/users.list', { body: '{}', headers: { 'content-type': 'application/json', cookie: lan, 'x-csrf-token': adminCsrf } });
    expect(crossed.status).toBe(403);
    expect(crossed.body).toContain('tải lại trang');
    const get = await send(url, '/api/rpc/users.list', { method: 'GET', headers: { cookie: admin } });
    expect(get.status).toBe(404);
    expect(JSON.parse(get.body)).toMatchObject({ ok: false, error: { code: 'not_found' } });
  });
});

describe('the intake inbox and its requests', () => {
  it('bad cursors, the wrong token for each route and a units list over 5,000 are refused in Vietnamese; the server keeps answering', async () => {
    tmp ??= tempDir('issue9-attacks-');
    const intake = await startIntake({ sqlitePath: tmp.file('intake.sqlite') });
    closers.push(() => intake.close());
    const city = await intake.cityToken();
    const unit = await intake.unitToken(UNIT);
    const api = (token: string, p: string, init: RequestInit = {}) =>
      fetch(`${intake.url}/api/v1${p}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });
    const refusals: [string, Response][] = [
      ['after=abc', await api(unit, '/inbox?after=abc')],
      ['after=1e20', await api(unit, '/inbox?after=1e20')],
      ['after twice', await api(unit, '/inbox?after=1&after=2')],
      ['a city token on the inbox', await api(city, '/inbox')],
      ['a unit token putting a request', await api(unit, '/requests', { method: 'PUT', body: requestFile(edition()).toString() })],
      [
        '5,001 units',
        await api(city, '/requests', {
          method: 'PUT',
          body: signFile('request', { request: { ...edition(), units: Array.from({ length: 5001 }, (_, i) => String(10000 + i)) } }, CITY_KEY).toString(),
        }),
      ],
      ['9 MB', await api(city, '/requests', { method: 'PUT', body: JSON.stringify({ x: 'a'.repeat(9e6) }) })],
    ];
    for (const [label, res] of refusals) {
      expect([label, res.status >= 400 && res.status < 500]).toEqual([label, true]);
      const body = (await res.json()) as { message: string };
      expectHelpful(body.message);
    }
    // Still serving: the unit's inbox is empty and readable.
    const page = (await (await api(unit, '/inbox?after=0')).json()) as { items: unknown[] };
    expect(page.items).toEqual([]);
  });
});
