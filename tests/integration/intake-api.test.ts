/**
 * The intake server over real HTTP on 127.0.0.1, with real packages (.xlsx written by the app),
 * against SQLite and against a real PostgreSQL cluster started from Debian's binaries.
 */
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import ExcelJS from 'exceljs';
import JSZip from 'jszip';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ReturnJson, Unit } from '../../shared/index.js';
import { defaultResourcesDir, loadResources } from '../../core/resources.js';
import { writePackage } from '../../core/xlsx/index.js';
import type { IntakeDb, IntakeDbOptions, RateLimitOptions } from '../../server/intake/index.js';
import {
  XLSX_CONTENT_TYPE,
  createIntakeApp,
  intakeRevokeCommand,
  intakeTokenCommand,
  intakeTokenList,
  issueToken,
  listenIntake,
  openIntakeDb,
  revokeToken,
} from '../../server/intake/index.js';
import type { PgCluster } from '../helpers/postgres.js';
import { postgresSkipReason, startPostgres } from '../helpers/postgres.js';
import { sampleReturn, sampleUnit, tempDir } from '../helpers/sample.js';

const resources = loadResources(defaultResourcesDir());
const template = resources.getTemplate('BC-CX', 1)!;
const otherUnit: Unit = resources.shippedUnits.units.find((u) => u.code !== sampleUnit.code && u.type === 'xã')!;

async function makePackage(
  unit: Unit,
  packageId: string,
  revision: number,
  createdAt = '2026-06-25T08:00:00.000Z',
): Promise<Buffer> {
  const ret: ReturnJson = { ...sampleReturn(), unit: unit.code, revision };
  return writePackage({
    template,
    ret,
    unit,
    meta: { packageId, revision, createdAt, submittedAt: createdAt, submittedBy: null, appVersion: '0.1.0' },
  });
}
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

const pkgs = {} as Record<'a1' | 'a1Resaved' | 'a2' | 'b1' | 'b2' | 'plainXlsx' | 'plainZip', Buffer>;
beforeAll(async () => {
  pkgs.a1 = await makePackage(sampleUnit, 'pkg-a1', 1);
  // The same package id written again (another creation time): other bytes, same package.
  pkgs.a1Resaved = await makePackage(sampleUnit, 'pkg-a1', 1, '2026-06-26T09:00:00.000Z');
  pkgs.a2 = await makePackage(sampleUnit, 'pkg-a2', 2);
  pkgs.b1 = await makePackage(otherUnit, 'pkg-b1', 1);
  pkgs.b2 = await makePackage(otherUnit, 'pkg-b2', 2);
  const wb = new ExcelJS.Workbook();
  wb.addWorksheet('Sheet1').getCell('A1').value = 'Báo cáo tự lập';
  pkgs.plainXlsx = Buffer.from(await wb.xlsx.writeBuffer());
  const zip = new JSZip();
  zip.file('readme.txt', 'not a workbook');
  pkgs.plainZip = await zip.generateAsync({ type: 'nodebuffer' });
});

// ---- which databases ------------------------------------------------------------------------------
const pgSkip = await postgresSkipReason();
if (pgSkip) console.warn(pgSkip);

// ---- HTTP helpers --------------------------------------------------------------------------------
interface Answer {
  status: number;
  headers: Headers;
  json: Record<string, unknown> & { code?: string; message?: string; action?: string; serverTime?: string };
  text: string;
}
async function call(
  url: string,
  opts: {
    method?: string;
    token?: string;
    body?: Uint8Array | string;
    type?: string;
    headers?: Record<string, string>;
  } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.type) headers['content-type'] = opts.type;
  const body = opts.body as RequestInit['body'];
  const res = await fetch(url, { method: opts.method ?? (opts.body === undefined ? 'GET' : 'POST'), headers, body });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    json = {};
  }
  return { status: res.status, headers: res.headers, json: json as Answer['json'], text };
}

/** A refusal: the status, the code, a Vietnamese message that says what to do, no stack trace. */
function expectRefusal(a: Answer, status: number, code: string | string[]): void {
  expect(a.status, a.text).toBe(status);
  expect(Array.isArray(code) ? code : [code]).toContain(a.json.code);
  expect(a.json.message).toMatch(/Hãy|hãy/);
  expect(['wait', 'act']).toContain(a.json.action);
  expect(Date.parse(a.json.serverTime!)).not.toBeNaN();
  expect(a.text).not.toMatch(/\n\s+at |\.ts:\d+|node_modules/);
}

/**
 * Post `total` bytes with node:http, in chunks, pausing between them, and stop as soon as an answer
 * arrives. Returns the answer and how many bytes were written by then.
 */
function slowPost(
  url: string,
  token: string,
  total: number,
  opts: { chunked?: boolean },
): Promise<{ status: number; body: string; sent: number }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = {
      authorization: `Bearer ${token}`,
      'content-type': XLSX_CONTENT_TYPE,
    };
    if (!opts.chunked) headers['content-length'] = total;
    const req = http.request(url, { method: 'POST', headers });
    let sent = 0;
    let answered = false;
    req.on('response', (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), sent }));
      res.on('error', reject);
    });
    req.on('error', (e) => {
      // The server closes the connection after refusing; writes after that fail. Only a failure
      // before any answer is a test failure.
      if (!answered) setTimeout(() => !answered && reject(e), 2000);
    });
    const chunk = Buffer.alloc(256 * 1024, 7);
    const pump = () => {
      if (answered || req.destroyed) return;
      if (sent >= total) return void req.end();
      const n = Math.min(chunk.length, total - sent);
      sent += n;
      const more = req.write(chunk.subarray(0, n));
      const next = () => setTimeout(pump, 15);
      if (more) next();
      else req.once('drain', next);
    };
    pump();
  });
}

// ---- the tests, once per database ----------------------------------------------------------------
for (const kind of ['sqlite', 'postgres'] as const) {
  describe.skipIf(kind === 'postgres' && pgSkip)(`intake API on ${kind}`, () => {
    let cluster: PgCluster | undefined;
    let dbCount = 0;
    let tmp: ReturnType<typeof tempDir>;

    beforeAll(async () => {
      tmp = tempDir('cr-intake-');
      if (kind === 'postgres') {
        const c = await startPostgres();
        if ('skip' in c) throw new Error(c.skip);
        cluster = c;
      }
    });
    afterAll(async () => {
      await cluster?.stop();
      tmp?.cleanup();
    });

    async function freshStore(): Promise<IntakeDbOptions> {
      dbCount += 1;
      return kind === 'postgres'
        ? { databaseUrl: await cluster!.createDatabase(`intake_${dbCount}`) }
        : { sqlitePath: tmp.file(`intake-${dbCount}.sqlite`) };
    }

    interface Server {
      url: string;
      api: string;
      db: IntakeDb;
      app: FastifyInstance;
      unitA: string;
      unitB: string;
      city: string;
      count(): Promise<number>;
    }
    let server: Server | undefined;
    afterEach(async () => {
      await server?.app.close();
      await server?.db.close();
      server = undefined;
    });

    async function start(
      opts: { rateLimit?: RateLimitOptions | false; maxBodyBytes?: number; maxUnpackedBytes?: number } = {},
    ): Promise<Server> {
      const db = await openIntakeDb(await freshStore());
      const app = await createIntakeApp({
        db,
        resources,
        ...opts,
        rateLimit: opts.rateLimit ?? false,
      });
      const url = await listenIntake(app, 0);
      const unitA = (await issueToken(db, { unit: sampleUnit.code }, 'test A')).token;
      const unitB = (await issueToken(db, { unit: otherUnit.code }, 'test B')).token;
      const city = (await issueToken(db, { city: true }, 'city')).token;
      const count = async () =>
        Number(
          (
            await db.kysely
              .selectFrom('packages')
              .select((eb) => eb.fn.countAll().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        );
      server = { url, api: `${url}/api/v1`, db, app, unitA, unitB, city, count };
      return server;
    }

    const postPackage = (s: Server, body: Uint8Array, token = s.unitA, type: string = XLSX_CONTENT_TYPE) =>
      call(`${s.api}/packages`, { token, body, type });

    it('stores a package: 201 with its identity and the server time, then 200 for the same package', async () => {
      const s = await start();
      const first = await postPackage(s, pkgs.a1);
      expect(first.status, first.text).toBe(201);
      expect(first.json).toMatchObject({
        packageId: 'pkg-a1',
        unit: sampleUnit.code,
        period: '2026-Q2',
        revision: 1,
        template: 'BC-CX',
        templateVersion: 1,
        alreadyStored: false,
      });
      // receivedAt is the server's clock, not the package's createdAt.
      expect(Math.abs(Date.parse(first.json.receivedAt as string) - Date.now())).toBeLessThan(10 * 60_000);

      const again = await postPackage(s, pkgs.a1, s.unitA, 'application/octet-stream');
      expect(again.status, again.text).toBe(200);
      expect(again.json).toMatchObject({ packageId: 'pkg-a1', alreadyStored: true, receivedAt: first.json.receivedAt });

      // Other bytes carrying the same package id (saved again): still the one record.
      const resaved = await postPackage(s, pkgs.a1Resaved);
      expect(resaved.status, resaved.text).toBe(200);
      expect(resaved.json).toMatchObject({ packageId: 'pkg-a1', alreadyStored: true });
      expect(await s.count()).toBe(1);
    });

    it('20 concurrent posts of one package store exactly one record', async () => {
      const s = await start();
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) => postPackage(s, i % 2 ? pkgs.a1 : pkgs.a1Resaved)),
      );
      const statuses = answers.map((a) => a.status).sort();
      expect(
        statuses.filter((x) => x === 201),
        JSON.stringify(statuses),
      ).toHaveLength(1);
      expect(statuses.filter((x) => x === 200)).toHaveLength(19);
      expect(new Set(answers.map((a) => a.json.receivedAt)).size).toBe(1);
      expect(await s.count()).toBe(1);
    });

    it('401 without a token, with an unknown token, with a revoked token; 403 with the wrong kind of token', async () => {
      const s = await start();
      const none = await postPackage(s, pkgs.a1, '');
      expectRefusal(none, 401, 'token_missing');
      expect(none.headers.get('www-authenticate')).toBe('Bearer');
      expectRefusal(
        await call(`${s.api}/packages`, {
          body: pkgs.a1,
          type: XLSX_CONTENT_TYPE,
          headers: { authorization: 'Basic YTpi' },
        }),
        401,
        'token_missing',
      );
      expectRefusal(
        await postPackage(s, pkgs.a1, `hpx_${randomBytes(32).toString('base64url')}`),
        401,
        'token_unknown',
      );

      const extra = await issueToken(s.db, { unit: sampleUnit.code }, 'old PC');
      expect(await revokeToken(s.db, extra.info.id)).toBe(true);
      const revoked = await postPackage(s, pkgs.a1, extra.token);
      expectRefusal(revoked, 401, 'token_revoked');
      expect(revoked.json.message).toMatch(/thu hồi/);
      expect(await s.count()).toBe(0);

      // Only the token stops working: the unit's other token still does.
      expect((await postPackage(s, pkgs.a1)).status).toBe(201);
      // A city token cannot post packages; a unit token cannot pull or decide.
      expectRefusal(await postPackage(s, pkgs.a2, s.city), 403, 'forbidden');
      expectRefusal(await call(`${s.api}/packages`, { token: s.unitA }), 403, 'forbidden');
      expectRefusal(await call(`${s.api}/packages/pkg-a1`, { token: s.unitA }), 403, 'forbidden');
      expectRefusal(
        await call(`${s.api}/decisions`, {
          token: s.unitA,
          body: JSON.stringify({ packageId: 'pkg-a1', state: 'accepted' }),
          type: 'application/json',
        }),
        403,
        'forbidden',
      );
    });

    it("403 for a package of another unit than the token's, stored nowhere", async () => {
      const s = await start();
      const a = await postPackage(s, pkgs.b1, s.unitA);
      expectRefusal(a, 403, 'wrong_unit');
      expect(a.json.message).toContain(otherUnit.code);
      expect(await s.count()).toBe(0);
      // B's own package with A's token after B stored it: still refused (the fast path checks the unit too).
      expect((await postPackage(s, pkgs.b1, s.unitB)).status).toBe(201);
      expectRefusal(await postPackage(s, pkgs.b1, s.unitA), 403, 'wrong_unit');
      expect(await s.count()).toBe(1);
    });

    it('400 for junk, a zip or a workbook that is not a package, and an empty body; 415 for another content type', async () => {
      const s = await start();
      const junk = await postPackage(s, randomBytes(5000));
      expectRefusal(junk, 400, 'corrupt_file');
      expect(junk.json.message).toMatch(/xuất lại gói/);
      expectRefusal(await postPackage(s, pkgs.plainZip), 400, ['corrupt_file', 'not_a_package']);
      const workbook = await postPackage(s, pkgs.plainXlsx);
      expectRefusal(workbook, 400, 'not_a_package');
      expect(workbook.json.message).toMatch(/không phải là gói báo cáo/);
      // A truncated package (a transfer cut short and posted anyway).
      expectRefusal(await postPackage(s, pkgs.a1.subarray(0, Math.floor(pkgs.a1.length / 2))), 400, 'corrupt_file');
      expectRefusal(await call(`${s.api}/packages`, { token: s.unitA, method: 'POST' }), 400, 'empty_body');
      expectRefusal(await postPackage(s, new Uint8Array(0)), 400, 'empty_body');
      expectRefusal(await postPackage(s, pkgs.a1, s.unitA, 'application/json'), 415, 'unsupported_media_type');
      expect(await s.count()).toBe(0);
    });

    it('413 over the size limit, answered before the upload finishes (declared length and chunked)', async () => {
      const s = await start();
      // The default limit is 64 MB since issue 8 (a package zip carries attachments of up to 20 MB each).
      const declared = await slowPost(`${s.api}/packages`, s.unitA, 65 * 1024 * 1024, {});
      expect(declared.status, declared.body).toBe(413);
      const body = JSON.parse(declared.body) as { code: string; message: string; action: string };
      expect(body.code).toBe('too_large');
      expect(body.message).toMatch(/64 MB/);
      expect(declared.sent).toBeLessThan(65 * 1024 * 1024);

      // Without a declared length the server counts while reading and stops at the limit.
      const total = 100 * 1024 * 1024;
      const chunked = await slowPost(`${s.api}/packages`, s.unitA, total, { chunked: true });
      expect(chunked.status, chunked.body).toBe(413);
      expect(chunked.sent).toBeLessThan(total);
      expect(await s.count()).toBe(0);
      // The server still works.
      expect((await postPackage(s, pkgs.a1)).status).toBe(201);
    });

    it('a smaller configured limit applies, and a zip that unpacks too large is refused before reading it', async () => {
      const s = await start({ maxBodyBytes: pkgs.a1.length - 1, maxUnpackedBytes: 4 * 1024 * 1024 });
      expectRefusal(await postPackage(s, pkgs.a1), 413, 'too_large');
      const zip = new JSZip();
      zip.file('xl/workbook.xml', Buffer.alloc(8 * 1024 * 1024, 0x20));
      const bomb = await zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' });
      expect(bomb.length).toBeLessThan(pkgs.a1.length);
      const refused = await postPackage(s, bomb);
      expectRefusal(refused, 413, 'too_large');
      expect(refused.json.message).toMatch(/giải nén/);
      expect(await s.count()).toBe(0);
    });

    it('the token commands: a token printed on the last line works, an unknown unit is refused, a revoked one stops', async () => {
      const store = await freshStore();
      const args = 'databaseUrl' in store ? { databaseUrl: store.databaseUrl } : { dbPath: store.sqlitePath };
      const lines: string[] = [];
      const issued = await intakeTokenCommand({
        ...args,
        unit: sampleUnit.code,
        label: 'PC văn phòng',
        print: (l) => lines.push(l),
      });
      expect(lines.at(-1)).toBe(issued.token);
      expect(lines.join('\n')).toContain(sampleUnit.name);
      await expect(intakeTokenCommand({ ...args, unit: '00000', print: () => undefined })).rejects.toMatchObject({
        code: 'invalid_input',
        message: expect.stringMatching(/Hãy kiểm tra lại mã đơn vị/),
      });
      await expect(
        intakeTokenCommand({ ...args, unit: '11948', city: true, print: () => undefined }),
      ).rejects.toMatchObject({ code: 'invalid_input' });
      const city = await intakeTokenCommand({ ...args, city: true, print: () => undefined });

      const db = await openIntakeDb(store);
      const app = await createIntakeApp({ db, resources, rateLimit: false });
      try {
        const api = `${await listenIntake(app, 0)}/api/v1`;
        expect(
          (await call(`${api}/packages`, { token: issued.token, body: pkgs.a1, type: XLSX_CONTENT_TYPE })).status,
        ).toBe(201);
        expect((await call(`${api}/packages`, { token: city.token })).status).toBe(200);
        const listed = await intakeTokenList(args);
        expect(listed.map((t) => t.scope).sort()).toEqual(['city', 'unit']);
        expect(JSON.stringify(listed)).not.toContain(issued.token);
        await intakeRevokeCommand({ ...args, token: issued.info.id, print: () => undefined });
        expectRefusal(await call(`${api}/status`, { token: issued.token }), 401, 'token_revoked');
        await expect(intakeRevokeCommand({ ...args, token: 'nope', print: () => undefined })).rejects.toMatchObject({
          code: 'not_found',
        });
      } finally {
        await app.close();
        await db.close();
      }
    });

    it('429 when one token floods the server; other tokens and the health check still answer', async () => {
      const s = await start({ rateLimit: { capacity: 5, refillPerSecond: 0.01 } });
      const answers: Answer[] = [];
      for (let i = 0; i < 8; i++) answers.push(await call(`${s.api}/reference`, { token: s.unitA }));
      expect(answers.slice(0, 5).map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
      for (const a of answers.slice(5)) {
        expectRefusal(a, 429, 'rate_limited');
        expect(a.json.action).toBe('wait');
        expect(Number(a.headers.get('retry-after'))).toBeGreaterThan(0);
      }
      expect((await call(`${s.api}/reference`, { token: s.unitB })).status).toBe(200);
      expect((await call(`${s.api}/health`)).status).toBe(200);
      // Requests without a token are limited per address.
      const anon = await Promise.all(Array.from({ length: 8 }, () => call(`${s.api}/reference`)));
      expect(anon.filter((a) => a.status === 429).length).toBeGreaterThan(0);
    });

    it('the city lists new packages with a cursor and downloads the bytes verbatim', async () => {
      const s = await start();
      expect((await postPackage(s, pkgs.a1)).status).toBe(201);
      expect((await postPackage(s, pkgs.b1, s.unitB)).status).toBe(201);
      expect((await postPackage(s, pkgs.a2)).status).toBe(201);

      const list = await call(`${s.api}/packages`, { token: s.city });
      expect(list.status, list.text).toBe(200);
      const page = list.json as unknown as {
        packages: { packageId: string; unit: string; sha256: string; size: number; revision: number }[];
        cursor: string;
        more: boolean;
      };
      expect(page.packages.map((p) => p.packageId)).toEqual(['pkg-a1', 'pkg-b1', 'pkg-a2']);
      expect(page.packages[1]).toMatchObject({
        unit: otherUnit.code,
        sha256: sha(pkgs.b1),
        size: pkgs.b1.length,
        revision: 1,
      });
      expect(page.more).toBe(false);

      const nothing = await call(`${s.api}/packages?since=${page.cursor}`, { token: s.city });
      expect(nothing.json).toMatchObject({ packages: [], cursor: page.cursor, more: false });
      expect((await postPackage(s, pkgs.b2, s.unitB)).status).toBe(201);
      expect((await postPackage(s, pkgs.a1)).status).toBe(200); // a retry is not new
      const next = await call(`${s.api}/packages?since=${page.cursor}`, { token: s.city });
      expect((next.json.packages as { packageId: string }[]).map((p) => p.packageId)).toEqual(['pkg-b2']);

      const firstTwo = await call(`${s.api}/packages?limit=2`, { token: s.city });
      expect(firstTwo.json.more).toBe(true);
      const rest = await call(`${s.api}/packages?since=${firstTwo.json.cursor as string}&limit=2`, { token: s.city });
      expect((rest.json.packages as { packageId: string }[]).map((p) => p.packageId)).toEqual(['pkg-a2', 'pkg-b2']);

      for (const [id, bytes] of [
        ['pkg-a1', pkgs.a1],
        ['pkg-b1', pkgs.b1],
        ['pkg-a2', pkgs.a2],
        ['pkg-b2', pkgs.b2],
      ] as const) {
        const res = await fetch(`${s.api}/packages/${id}`, { headers: { authorization: `Bearer ${s.city}` } });
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toBe(XLSX_CONTENT_TYPE);
        const got = new Uint8Array(await res.arrayBuffer());
        expect(sha(got)).toBe(sha(bytes));
        expect(res.headers.get('x-content-sha256')).toBe(sha(bytes));
      }
      expectRefusal(await call(`${s.api}/packages/nope`, { token: s.city }), 404, 'not_found');
      expectRefusal(await call(`${s.api}/packages?since=abc`, { token: s.city }), 400, 'invalid_input');
    });

    it("the city's decisions reach the unit's status, with the server time; units see only their own", async () => {
      const s = await start();
      expect((await postPackage(s, pkgs.a1)).status).toBe(201);
      expect((await postPackage(s, pkgs.a2)).status).toBe(201);
      expect((await postPackage(s, pkgs.b1, s.unitB)).status).toBe(201);

      const before = await call(`${s.api}/status?packages=pkg-a1,pkg-a2,pkg-never`, { token: s.unitA });
      expect(before.status, before.text).toBe(200);
      expect((before.json.packages as { state: string }[]).map((p) => p.state)).toEqual([
        'received',
        'received',
        'unknown',
      ]);

      const json = (v: unknown) => ({ token: s.city, body: JSON.stringify(v), type: 'application/json' });
      const ok = await call(`${s.api}/decisions`, json({ packageId: 'pkg-a1', state: 'accepted' }));
      expect(ok.status, ok.text).toBe(200);
      const reason = 'Biểu 05: số hồ sơ tiếp nhận của lĩnh vực Hộ tịch chưa khớp sổ theo dõi, đề nghị kiểm tra lại.';
      expect((await call(`${s.api}/decisions`, json({ packageId: 'pkg-a2', state: 'returned', reason }))).status).toBe(
        200,
      );
      expectRefusal(
        await call(`${s.api}/decisions`, json({ packageId: 'pkg-b1', state: 'returned' })),
        400,
        'invalid_input',
      );
      expectRefusal(
        await call(`${s.api}/decisions`, json({ packageId: 'pkg-zzz', state: 'accepted' })),
        404,
        'not_found',
      );
      expectRefusal(
        await call(`${s.api}/decisions`, json({ packageId: 'pkg-a1', state: 'maybe' })),
        400,
        'invalid_input',
      );
      expectRefusal(
        await call(`${s.api}/decisions`, { token: s.city, body: '{not json', type: 'application/json' }),
        400,
        'invalid_input',
      );

      const after = await call(`${s.api}/status?packages=pkg-a1,pkg-a2`, { token: s.unitA });
      const [a1, a2] = after.json.packages as {
        packageId: string;
        state: string;
        reason: string | null;
        decidedAt: string | null;
        receivedAt: string;
      }[];
      expect(a1).toMatchObject({ packageId: 'pkg-a1', state: 'accepted', reason: null });
      expect(a2).toMatchObject({ packageId: 'pkg-a2', state: 'returned', reason });
      expect(Date.parse(a2!.decidedAt!)).toBeGreaterThanOrEqual(Date.parse(a2!.receivedAt));
      expect(Math.abs(Date.parse(after.json.serverTime!) - Date.now())).toBeLessThan(10 * 60_000);

      // Without a list: the unit's packages. Another unit sees nothing of A's.
      const all = await call(`${s.api}/status`, { token: s.unitA });
      expect((all.json.packages as { packageId: string }[]).map((p) => p.packageId).sort()).toEqual([
        'pkg-a1',
        'pkg-a2',
      ]);
      const spy = await call(`${s.api}/status?packages=pkg-a2`, { token: s.unitB });
      expect(spy.json.packages).toEqual([
        { packageId: 'pkg-a2', state: 'unknown', receivedAt: null, decidedAt: null, reason: null },
      ]);

      // A later decision replaces the earlier one.
      expect((await call(`${s.api}/decisions`, json({ packageId: 'pkg-a2', state: 'accepted' }))).status).toBe(200);
      const final = await call(`${s.api}/status?packages=pkg-a2`, { token: s.unitA });
      expect(final.json.packages).toMatchObject([{ state: 'accepted', reason: null }]);
    });

    it('relays the template and unit list to any token, with an ETag; the city publishes a new unit list', async () => {
      const s = await start();
      expectRefusal(await call(`${s.api}/reference`), 401, 'token_missing');
      const ref = await call(`${s.api}/reference`, { token: s.unitA });
      expect(ref.status).toBe(200);
      const body = ref.json as unknown as {
        version: string;
        templates: { id: string; version: number; template: { id: string } }[];
        units: { version: string; units: Unit[] };
      };
      expect(body.templates.map((t) => `${t.id}@${t.version}`)).toContain('BC-CX@1');
      expect(body.templates[0]!.template.id).toBe('BC-CX');
      expect(body.units.units).toHaveLength(114);
      const etag = ref.headers.get('etag')!;
      expect((await call(`${s.api}/reference`, { token: s.city, headers: { 'if-none-match': etag } })).status).toBe(
        304,
      );

      const csv = 'code,type,name\n11948,đặc khu,Đặc khu Bạch Long Vĩ\n99999,xã,Xã Mới Sáp Nhập\n';
      expectRefusal(
        await call(`${s.api}/reference/units`, { method: 'PUT', token: s.unitA, body: csv, type: 'text/csv' }),
        403,
        'forbidden',
      );
      expectRefusal(
        await call(`${s.api}/reference/units`, {
          method: 'PUT',
          token: s.city,
          body: 'code,type,name\n,,\n',
          type: 'text/csv',
        }),
        400,
        'invalid_input',
      );
      const put = await call(`${s.api}/reference/units?name=haiphong`, {
        method: 'PUT',
        token: s.city,
        body: csv,
        type: 'text/csv',
      });
      expect(put.status, put.text).toBe(200);
      expect(put.json).toMatchObject({ count: 2 });
      const newer = await call(`${s.api}/reference`, { token: s.unitA, headers: { 'if-none-match': etag } });
      expect(newer.status).toBe(200);
      expect((newer.json.units as { version: string; units: Unit[] }).units.map((u) => u.code)).toEqual([
        '11948',
        '99999',
      ]);

      // Publishing the shipped template again is a no-op; other content under the same version is refused.
      expect(
        (
          await call(`${s.api}/reference/templates`, {
            method: 'PUT',
            token: s.city,
            body: JSON.stringify(template),
            type: 'application/json',
          })
        ).json,
      ).toMatchObject({ published: false });
      const changed = { ...template, deadlineDay: template.deadlineDay === 20 ? 25 : 20 };
      expectRefusal(
        await call(`${s.api}/reference/templates`, {
          method: 'PUT',
          token: s.city,
          body: JSON.stringify(changed),
          type: 'application/json',
        }),
        409,
        'version_exists',
      );
    });

    it('health answers without a token; unknown addresses get a Vietnamese 404', async () => {
      const s = await start();
      const h = await call(`${s.api}/health`);
      expect(h.status).toBe(200);
      expect(h.json.ok).toBe(true);
      expect(Date.parse(h.json.time as string)).not.toBeNaN();
      expectRefusal(await call(`${s.api}/nothing-here`, { token: s.unitA }), 404, 'not_found');
    });
  });
}
