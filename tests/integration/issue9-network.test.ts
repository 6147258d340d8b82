/**
 * Issue 9, distribution through the intake: the city's request editions and reminders are put on
 * the intake by its delivery cycle, and each commune's sender reads its inbox after sending its
 * outbox. A real intake on 127.0.0.1 (SQLite, and a PostgreSQL cluster the test starts), real
 * city and commune databases, the fixture city key (its public key is the one shipped to offices),
 * and the proxy that cuts half the connections.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestEdition, RequestInput } from '../../shared/index.js';
import { AppError, isAddressed } from '../../shared/index.js';
import type { Core } from '../../core/handlers.js';
import { openDatabase } from '../../core/db.js';
import type { OpenedDb } from '../../core/db.js';
import { createDelivery } from '../../core/delivery/index.js';
import type { Delivery } from '../../core/delivery/index.js';
import { IntakeClient } from '../../core/delivery/client.js';
import { pullInbox } from '../../core/delivery/requests.js';
import { deliveryState } from '../../core/delivery/state.js';
import { installCityKey, openSignedFile, signFile } from '../../core/requests/sign.js';
import { requestStore } from '../../core/requests/store.js';
import { call } from '../helpers/core.js';
import { haiphongUnits } from '../helpers/city-returns.js';
import { startFlakyProxy } from '../helpers/flaky-proxy.js';
import type { PgCluster } from '../helpers/postgres.js';
import { postgresSkipReason, startPostgres } from '../helpers/postgres.js';
import type { TestIntake } from '../helpers/intake-server.js';
import { FAST, openCommune, openNode, startIntake, waitFor } from '../helpers/intake-server.js';
import { repoRoot, resourcesDir, tempDir } from '../helpers/sample.js';

const pgSkip = await postgresSkipReason();
if (pgSkip) console.warn(pgSkip);

const PRIVATE_PEM = readFileSync(path.join(repoRoot, 'tests/fixtures/keys/city-private.pem'), 'utf8');
const SHIPPED_PEM = readFileSync(path.join(resourcesDir, 'keys/city-public.pem'), 'utf8');

const units = haiphongUnits();
const [A, B, C] = [units[0]!.code, units[1]!.code, units[2]!.code];
const NOT_BUILT = /đang (được )?xây dựng/;

const INPUT: RequestInput = {
  template: 'BC-CX',
  templateVersion: 1,
  ref: { number: '1234/UBND-NVKTGS', date: '2026-12-01', summary: 'Rà soát số liệu cán bộ, công chức cấp xã' },
  title: 'Rà soát số liệu cán bộ, công chức cấp xã',
  addressees: { kind: 'units', codes: [A, B] },
  period: '2026-12-20',
  due: '2027-01-15',
  dueWording: 'trong',
  department: 'Sở Nội vụ',
  instruction: 'Số liệu tính đến ngày 20/12/2026.',
};

/** A signed edition as the city signs it (the file route and the fallback before "issuing" lands). */
function signedEdition(city: Core, e: RequestEdition): Buffer {
  const key = { privatePem: PRIVATE_PEM, publicPem: SHIPPED_PEM };
  return signFile('request', { request: e, templates: [city.resources.getTemplate(e.template, e.templateVersion)] }, key);
}

function edition(over: Partial<RequestEdition> = {}): RequestEdition {
  return {
    ...INPUT,
    id: 'YC-2026-0001',
    edition: 1,
    state: 'open',
    units: [A, B],
    unitListVersion: 'haiphong.csv',
    issuedAt: new Date().toISOString(),
    ...over,
  };
}

/**
 * The city publishes: through requests.create / requests.amend when "issuing" has landed;
 * otherwise the edition is stored and queued for the intake as issuing does (requests + request_push).
 */
async function publish(city: Core, cityDb: string, amend?: { id: string; due: string; note: string }): Promise<RequestEdition> {
  try {
    return amend ? await call(city, 'requests.amend', amend) : await call(city, 'requests.create', INPUT);
  } catch (e) {
    if (!(e instanceof AppError && NOT_BUILT.test(e.message))) throw e;
  }
  const sqlite = new Database(cityDb);
  try {
    const store = requestStore(sqlite);
    const prev = amend ? store.latest(amend.id)!.edition : undefined;
    const e = prev ? { ...prev, edition: prev.edition + 1, due: amend!.due, note: amend!.note, issuedAt: new Date().toISOString() } : edition();
    sqlite.transaction(() => {
      store.add(e, signedEdition(city, e), 'issued', new Date().toISOString());
      sqlite.prepare(`INSERT INTO request_push (request_id, edition, state, attempts) VALUES (?, ?, 'pending', 0)`).run(e.id, e.edition);
    })();
    return e;
  } finally {
    sqlite.close();
  }
}

/** Reminders as the follow-up queues them for the intake (direction sent, push_state pending). */
function queueReminders(cityDb: string, list: { id: string; requestId: string; unit: string; message: string }[]): void {
  const sqlite = new Database(cityDb);
  try {
    const ins = sqlite.prepare(
      `INSERT INTO reminders (id, request_id, unit, message, created_at, created_by, direction, push_state)
       VALUES (?, ?, ?, ?, ?, NULL, 'sent', 'pending')`,
    );
    sqlite.transaction(() => list.forEach((r) => ins.run(r.id, r.requestId, r.unit, r.message, new Date().toISOString())))();
  } finally {
    sqlite.close();
  }
}

function cityRows(cityDb: string) {
  const sqlite = new Database(cityDb, { readonly: true });
  try {
    return {
      push: sqlite.prepare('SELECT request_id, edition, state, error FROM request_push ORDER BY edition').all(),
      reminders: sqlite.prepare(`SELECT id, push_state FROM reminders WHERE direction = 'sent' ORDER BY id`).all(),
    };
  } finally {
    sqlite.close();
  }
}

/** The city: role, the fixture key, delivery through `url` with a city token. */
async function openCity(file: string, intake: TestIntake, url: string): Promise<Core> {
  const city = await openNode(file, { delivery: { ...FAST, autoStart: false } });
  await call(city, 'app.setup', { role: 'city' });
  const sqlite = new Database(file);
  installCityKey(sqlite, PRIVATE_PEM);
  sqlite.close();
  await call(city, 'delivery.configure', { serverUrl: url, token: await intake.cityToken() });
  return city;
}

/** Until a delivery cycle ends without a problem (the proxy cuts: "Không cần làm gì", tried again). */
async function sendUntilClean(core: Core, what: string): Promise<void> {
  for (let round = 0; ; round++) {
    const s = await call(core, 'delivery.sendNow', {});
    if (!s.connection.lastError) return;
    expect(s.connection.lastError, what).toMatch(/Không cần làm gì|tự gửi lại/);
    expect(round, `${what}: rounds`).toBeLessThan(60);
  }
}

const api = (intake: { url: string }, token: string, p: string, init: RequestInit = {}) =>
  fetch(`${intake.url}/api/v1${p}`, { ...init, headers: { authorization: `Bearer ${token}`, ...(init.headers ?? {}) } });

for (const kind of ['sqlite', 'postgres'] as const) {
  describe.skipIf(kind === 'postgres' && !!pgSkip)(`issue 9 network, intake on ${kind}`, () => {
    let tmp: ReturnType<typeof tempDir>;
    let cluster: PgCluster | undefined;
    let dbN = 0;
    const store = async () =>
      kind === 'postgres' ? { databaseUrl: await cluster!.createDatabase(`issue9_net_${++dbN}`) } : { sqlitePath: tmp.file(`intake-${++dbN}.sqlite`) };
    beforeAll(async () => {
      tmp = tempDir('cr-issue9-net-');
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

    it('the intake: PUT /requests idempotent (409 on other content), reminders by id, each unit reads only its own inbox', async () => {
      const intake = await startIntake(await store());
      const city = await openNode(tmp.file(`api-city-${kind}.sqlite`), { delivery: { ...FAST, autoStart: false } });
      try {
        const cityToken = await intake.cityToken();
        const [ta, tb, tc] = [await intake.unitToken(A), await intake.unitToken(B), await intake.unitToken(C)];
        const e1 = signedEdition(city, edition());
        const put = (token: string, body: Buffer | string) =>
          api(intake, token, '/requests', { method: 'PUT', body: typeof body === 'string' ? body : new Uint8Array(body), headers: { 'content-type': 'application/json' } });

        const first = await put(cityToken, e1);
        expect(first.status).toBe(201);
        expect(await first.json()).toMatchObject({ requestId: 'YC-2026-0001', edition: 1, alreadyStored: false });
        const again = await put(cityToken, e1);
        expect(again.status).toBe(200);
        expect(await again.json()).toMatchObject({ alreadyStored: true });
        // Another content under the same id and edition: refused, in Vietnamese, nothing replaced.
        const other = signedEdition(city, edition({ due: '2027-02-01' }));
        const conflict = await put(cityToken, other);
        expect(conflict.status).toBe(409);
        const cb = (await conflict.json()) as { code: string; message: string; action: string };
        expect(cb).toMatchObject({ code: 'request_conflict', action: 'act' });
        expect(cb.message).toMatch(/YC-2026-0001 lần ban hành 1 với nội dung khác/);
        // A unit token cannot put; garbage is refused with the intake's Vietnamese shape.
        expect((await put(ta, e1)).status).toBe(403);
        const bad = await put(cityToken, '{"format":"x"}');
        expect(bad.status).toBe(400);
        expect(((await bad.json()) as { message: string }).message).toMatch(/^Yêu cầu không hợp lệ: cần tệp yêu cầu báo cáo/);
        const noUnits = JSON.parse(e1.toString('utf8')) as { payload: string };
        noUnits.payload = Buffer.from(JSON.stringify({ request: { id: 'YC-2026-0009', edition: 1 } })).toString('base64');
        expect((await put(cityToken, JSON.stringify(noUnits))).status).toBe(400);
        // Too large: the request route's own limit.
        expect((await put(cityToken, Buffer.alloc(9 * 1024 * 1024, 0x20))).status).toBe(413);

        // A second edition (withdrawal) reaches the same units; one for C alone.
        const e2 = signedEdition(city, edition({ edition: 2, state: 'withdrawn', note: 'Thu hồi' }));
        expect((await put(cityToken, e2)).status).toBe(201);
        const forC = signedEdition(city, edition({ id: 'YC-2026-0002', units: [C] }));
        expect((await put(cityToken, forC)).status).toBe(201);

        // Reminders: 60 for A (two pages with the requests), one for B; posted twice, stored once.
        const reminders = [
          ...Array.from({ length: 60 }, (_, i) => ({ id: `R-A-${i}`, requestId: 'YC-2026-0001', unit: A, message: `Nhắc lần ${i}`, createdAt: '2026-12-05T01:00:00.000Z' })),
          { id: 'R-B-0', requestId: 'YC-2026-0001', unit: B, message: 'Đề nghị nộp báo cáo', createdAt: '2026-12-05T01:00:00.000Z' },
        ];
        const post = (token: string, body: unknown) =>
          api(intake, token, '/reminders', { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
        expect(await (await post(cityToken, reminders)).json()).toMatchObject({ stored: 61 });
        expect(await (await post(cityToken, reminders)).json()).toMatchObject({ stored: 0 });
        expect((await post(tb, reminders)).status).toBe(403);
        expect((await post(cityToken, [{ id: 'x', requestId: 'y', unit: 'abc', message: 'm', createdAt: '2026-12-05T01:00:00Z' }])).status).toBe(400);

        type Page = { items: { seq: number; kind: string; content?: string; id?: string; requestId?: string; message?: string }[]; next: number; more: boolean };
        const readAll = async (token: string) => {
          const items: Page['items'] = [];
          let after = 0;
          let pages = 0;
          for (;;) {
            const res = await api(intake, token, `/inbox?after=${after}`);
            expect(res.status).toBe(200);
            const page = (await res.json()) as Page;
            expect(page.items.length).toBeLessThanOrEqual(50);
            items.push(...page.items);
            pages++;
            after = page.next;
            if (!page.more) return { items, pages };
          }
        };
        const a = await readAll(ta);
        expect(a.pages).toBe(2);
        expect(a.items.filter((i) => i.kind === 'request').map((i) => i.content)).toEqual([e1.toString('utf8'), e2.toString('utf8')]);
        expect(a.items.filter((i) => i.kind === 'reminder').map((i) => i.id)).toEqual(reminders.slice(0, 60).map((r) => r.id));
        // Arrival order, no seq twice.
        const seqs = a.items.map((i) => i.seq);
        expect([...seqs].sort((x, y) => x - y)).toEqual(seqs);
        expect(new Set(seqs).size).toBe(seqs.length);
        const b = await readAll(tb);
        expect(b.items.map((i) => i.kind === 'request' ? `${JSON.parse(Buffer.from((JSON.parse(i.content!) as { payload: string }).payload, 'base64').toString()).request.id}` : i.id)).toEqual([
          'YC-2026-0001',
          'YC-2026-0001',
          'R-B-0',
        ]);
        // C: only the request addressed to it; never A's or B's reminders.
        const c = await readAll(tc);
        expect(c.items).toHaveLength(1);
        expect(c.items[0]!.content).toBe(forC.toString('utf8'));
        // After the last item: nothing; a bad cursor and a city token are refused.
        const tail = (await (await api(intake, ta, `/inbox?after=${a.items.at(-1)!.seq}`)).json()) as Page;
        expect(tail).toMatchObject({ items: [], more: false, next: a.items.at(-1)!.seq });
        expect((await api(intake, ta, '/inbox?after=-1')).status).toBe(400);
        expect((await api(intake, ta, '/inbox?after=99999999999')).status).toBe(400);
        expect((await api(intake, cityToken, '/inbox')).status).toBe(403);
      } finally {
        await city.close();
        await intake.close();
      }
    }, 60_000);

    it('city push and commune pull through a link that cuts half the connections: every item exactly once, the cursor resumes', async () => {
      const intake = await startIntake(await store());
      const proxy = await startFlakyProxy(intake.url, {
        cutFraction: 0.5,
        seed: kind === 'sqlite' ? 21 : 22,
        cutWindow: { up: 2_000, down: 400 },
        idleCloseMs: 50,
      });
      const cityFile = tmp.file(`push-city-${kind}.sqlite`);
      let city: Core | undefined;
      const communes: { unit: string; opened: OpenedDb; delivery: Delivery; got: { kind: string; bytes?: Buffer; id?: string }[] }[] = [];
      try {
        city = await openCity(cityFile, intake, proxy.url);
        const e1 = await publish(city, cityFile);
        queueReminders(cityFile, [
          { id: 'N-1', requestId: e1.id, unit: A, message: 'Đề nghị xã nộp báo cáo trước hạn.' },
          { id: 'N-2', requestId: e1.id, unit: B, message: 'Đề nghị phường nộp báo cáo.' },
        ]);
        await sendUntilClean(city, 'city push');
        let rows = cityRows(cityFile);
        expect(rows.push).toEqual([{ request_id: e1.id, edition: 1, state: 'pushed', error: null }]);
        expect(rows.reminders).toEqual([
          { id: 'N-1', push_state: 'pushed' },
          { id: 'N-2', push_state: 'pushed' },
        ]);
        // The amended edition is pushed on the next cycle.
        const e2 = await publish(city, cityFile, { id: e1.id, due: '2027-01-31', note: 'Gia hạn đến 31/01/2027' });
        expect(e2.edition).toBe(2);
        await sendUntilClean(city, 'city push of edition 2');
        rows = cityRows(cityFile);
        expect((rows.push as { state: string }[]).map((p) => p.state)).toEqual(['pushed', 'pushed']);
        const count = async (table: 'requests' | 'reminders') =>
          Number((await intake.db.kysely.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
        expect(await count('requests')).toBe(2);
        expect(await count('reminders')).toBe(2);

        // Three communes (A and B addressed, C not), each with the real delivery over its own
        // database; what the inbox brings is recorded (the commune's receiving is its own test).
        for (const unit of [A, B, C]) {
          const opened = await openDatabase(tmp.file(`push-commune-${unit}-${kind}.sqlite`));
          const got: { kind: string; bytes?: Buffer; id?: string }[] = [];
          const delivery = createDelivery({
            db: opened.db,
            sqlite: opened.sqlite,
            now: () => new Date(),
            settings: async () => ({ role: 'commune', unitCode: unit }),
            unitName: async (code) => `đơn vị ${code}`,
            importFiles: async () => [],
            claimCity: async () => undefined,
            requests: {
              receiveSigned: async (bytes, via) => {
                expect(via).toBe('network');
                // What the office verifies: the city's signature, and that it is addressed to it.
                const { payload } = openSignedFile(bytes, SHIPPED_PEM, ['request']);
                const e = (payload as { request: RequestEdition }).request;
                if (!isAddressed(e, unit)) throw new AppError('refused', 'Yêu cầu này không gửi cho đơn vị này.');
                got.push({ kind: 'request', bytes });
                return { outcome: e.edition === 1 ? 'received' : 'updated', requestId: e.id, edition: e.edition, message: '' };
              },
              receiveReminder: async (r) => void got.push({ kind: 'reminder', id: r.id }),
            },
            options: { ...FAST, autoStart: false },
          });
          await delivery.useSettings({ serverUrl: proxy.url, token: await intake.unitToken(unit) });
          communes.push({ unit, opened, delivery, got });
        }
        const connect = async (d: Delivery) => {
          for (let round = 0; ; round++) {
            const s = await d.handlers['delivery.sendNow']({});
            if (!s.connection.lastError) return;
            expect(s.connection.lastError).toMatch(/Không cần làm gì|tự gửi lại/);
            expect(round).toBeLessThan(60);
          }
        };
        for (const c of communes) await connect(c.delivery);
        const [ca, cb, cc] = communes;
        const signed1 = new Database(cityFile, { readonly: true });
        const bytesOf = (ed: number) =>
          (signed1.prepare('SELECT signed FROM requests WHERE id = ? AND edition = ?').get(e1.id, ed) as { signed: Buffer }).signed;
        // Exactly once each, the city's signed bytes as issued, in order.
        expect(ca!.got.map((g) => g.kind === 'request' ? g.bytes!.equals(bytesOf(g === ca!.got[0] ? 1 : 2)) : g.id)).toEqual([true, 'N-1', true]);
        expect(cb!.got.map((g) => (g.kind === 'request' ? g.bytes!.equals(bytesOf(g === cb!.got[0] ? 1 : 2)) : g.id))).toEqual([true, 'N-2', true]);
        signed1.close();
        expect(cc!.got).toEqual([]);
        const statusA = await ca!.delivery.handlers['delivery.status']({});
        expect(statusA.inbox).toMatchObject({ received: 2, message: 'Đã nhận 2 yêu cầu mới' });
        expect((await cc!.delivery.handlers['delivery.status']({})).inbox).toBeUndefined();

        // Nothing again on the next connection: the cursor was kept.
        proxy.set({ cutFraction: 0 });
        await connect(ca!.delivery);
        expect(ca!.got).toHaveLength(3);
        // A new reminder after the cursor arrives alone.
        queueReminders(cityFile, [{ id: 'N-3', requestId: e1.id, unit: A, message: 'Nhắc lần 2.' }]);
        await sendUntilClean(city, 'city push of a reminder');
        await connect(ca!.delivery);
        expect(ca!.got.map((g) => g.id ?? g.kind)).toEqual(['request', 'N-1', 'request', 'N-3']);

        // The link did cut, and still nothing was stored twice.
        const st = proxy.stats();
        expect(st.cut).toBeGreaterThan(0);
        expect(await count('requests')).toBe(2);
        expect(await count('reminders')).toBe(3);
        console.log(`[${kind}] proxy: ${st.connections} connections, ${st.cut} cut (${st.cutUp} in requests, ${st.cutDown} in answers)`);
      } finally {
        for (const c of communes) {
          await c.delivery.stop();
          await c.opened.close();
        }
        await city?.close();
        await proxy.close();
        await intake.close();
      }
    }, 240_000);
  });
}

describe('the commune inbox pull', () => {
  it('a refused item is skipped and the cursor moves on; a failure that is not the item keeps the cursor', async () => {
    const tmp = tempDir('cr-issue9-inbox-');
    const intake = await startIntake({ sqlitePath: tmp.file('intake.sqlite') });
    const opened = await openDatabase(tmp.file('commune.sqlite'));
    try {
      const city = await openNode(tmp.file('city.sqlite'), { delivery: { ...FAST, autoStart: false } });
      const cityToken = await intake.cityToken();
      for (const [i, over] of [{}, { id: 'YC-2026-0002' }, { id: 'YC-2026-0003' }].entries()) {
        const res = await api(intake, cityToken, '/requests', {
          method: 'PUT',
          body: new Uint8Array(signedEdition(city, edition(over))),
          headers: { 'content-type': 'application/json' },
        });
        expect(res.status, `edition ${i}`).toBe(201);
      }
      await city.close();
      const client = new IntakeClient(intake.url, await intake.unitToken(A));
      const state = deliveryState(opened.db, () => new Date());
      const seen: string[] = [];
      let failOnce = true;
      const requests = {
        receiveSigned: async (bytes: Buffer) => {
          const id = ((openSignedFile(bytes, SHIPPED_PEM).payload as { request: RequestEdition }).request).id;
          seen.push(id);
          if (id === 'YC-2026-0001') throw new AppError('refused', 'Tệp này đã bị sửa sau khi Thành phố ký.');
          if (id === 'YC-2026-0003' && failOnce) {
            failOnce = false;
            throw new Error('SQLITE_FULL: database or disk is full');
          }
          return { outcome: 'received' as const, requestId: id, edition: 1, message: '' };
        },
        receiveReminder: async () => undefined,
      };
      const first = await pullInbox({ db: opened.db, state, requests }, client, () => false);
      expect(first.failure).toMatchObject({ kind: 'answer', action: 'wait' });
      expect(first.failure!.kind === 'answer' && first.failure!.message).toMatch(/^Đã nhận yêu cầu mới từ Thành phố nhưng chưa lưu được vào máy này\..*tự nhận lại/);
      expect(first.received).toBe(1);
      expect(seen).toEqual(['YC-2026-0001', 'YC-2026-0002', 'YC-2026-0003']);
      const cursor = opened.sqlite.prepare(`SELECT value FROM settings WHERE key = 'inbox_cursor'`).get() as { value: string };
      expect(Number(cursor.value)).toBe(2);
      const second = await pullInbox({ db: opened.db, state, requests }, client, () => false);
      expect(second).toEqual({ failure: null, received: 1 });
      expect(seen).toEqual(['YC-2026-0001', 'YC-2026-0002', 'YC-2026-0003', 'YC-2026-0003']);
    } finally {
      await opened.close();
      await intake.close();
      tmp.cleanup();
    }
  }, 60_000);
});

/** The whole loop with real cores, once the commune's receiving (core/requests/commune.ts) is built. */
describe('issue 9 network with real city and commune cores', async () => {
  const probeDir = tempDir('cr-issue9-probe-');
  const probe = await openCommune(probeDir.file('probe.sqlite'), A, { delivery: { ...FAST, autoStart: false } });
  let reason: string | undefined;
  try {
    await call(probe, 'requests.receive', { file: { fileName: 'x.json', data: Buffer.from('{}').toString('base64') } });
  } catch (e) {
    if (e instanceof AppError && NOT_BUILT.test(e.message)) reason = 'the commune does not receive requests yet (core/requests/commune.ts is a placeholder)';
  }
  await probe.close();
  probeDir.cleanup();
  if (reason) console.warn(`issue9-network: real-core case skipped: ${reason}`);

  it.skipIf(!!reason)('city → intake (cut link) → two addressed communes hold the request and their reminders, the third nothing; the amended edition arrives', async () => {
    const tmp = tempDir('cr-issue9-cores-');
    const intake = await startIntake({ sqlitePath: tmp.file('intake.sqlite') });
    const proxy = await startFlakyProxy(intake.url, { cutFraction: 0.5, seed: 31, cutWindow: { up: 2_000, down: 400 }, idleCloseMs: 50 });
    const cityFile = tmp.file('city.sqlite');
    const cores: Core[] = [];
    try {
      const city = await openCity(cityFile, intake, proxy.url);
      cores.push(city);
      const communes: Record<string, Core> = {};
      for (const unit of [A, B, C]) {
        const c = await openCommune(tmp.file(`commune-${unit}.sqlite`), unit, { delivery: { ...FAST, autoStart: false } });
        cores.push(c);
        communes[unit] = c;
        await call(c, 'delivery.configure', { serverUrl: proxy.url, token: await intake.unitToken(unit) });
      }
      const e1 = await publish(city, cityFile);
      queueReminders(cityFile, [{ id: 'M-1', requestId: e1.id, unit: A, message: 'Đề nghị nộp báo cáo đúng hạn.' }]);
      await sendUntilClean(city, 'city push');
      for (const unit of [A, B, C]) await sendUntilClean(communes[unit]!, `commune ${unit}`);
      const held = (unit: string) => {
        const s = new Database(tmp.file(`commune-${unit}.sqlite`), { readonly: true });
        try {
          return {
            editions: s.prepare('SELECT id, edition FROM requests ORDER BY id, edition').all(),
            reminders: s.prepare(`SELECT id FROM reminders WHERE direction = 'received' ORDER BY id`).all(),
          };
        } finally {
          s.close();
        }
      };
      expect(held(A)).toEqual({ editions: [{ id: e1.id, edition: 1 }], reminders: [{ id: 'M-1' }] });
      expect(held(B)).toEqual({ editions: [{ id: e1.id, edition: 1 }], reminders: [] });
      expect(held(C)).toEqual({ editions: [], reminders: [] });
      const todoA = await call(communes[A]!, 'requests.todo', {});
      expect(JSON.stringify(todoA)).toContain(e1.id);
      expect(JSON.stringify(await call(communes[C]!, 'requests.todo', {}))).not.toContain(e1.id);

      await publish(city, cityFile, { id: e1.id, due: '2027-01-31', note: 'Gia hạn đến 31/01/2027' });
      await sendUntilClean(city, 'city push of edition 2');
      for (const unit of [A, B, C]) await sendUntilClean(communes[unit]!, `commune ${unit}, edition 2`);
      expect(held(A).editions).toEqual([{ id: e1.id, edition: 1 }, { id: e1.id, edition: 2 }]);
      expect(held(B).editions).toEqual([{ id: e1.id, edition: 1 }, { id: e1.id, edition: 2 }]);
      expect(held(C).editions).toEqual([]);

      // A withdrawal is a last edition: it reaches the same units.
      await call(city, 'requests.withdraw', { id: e1.id, reason: 'Đã có số liệu từ nguồn khác' });
      await sendUntilClean(city, 'city push of the withdrawal');
      for (const unit of [A, B, C]) await sendUntilClean(communes[unit]!, `commune ${unit}, withdrawal`);
      expect(held(A).editions).toEqual([1, 2, 3].map((edition) => ({ id: e1.id, edition })));
      expect(held(B).editions).toEqual([1, 2, 3].map((edition) => ({ id: e1.id, edition })));
      expect(held(C).editions).toEqual([]);
      // No longer owed: the withdrawn request leaves the office's list.
      expect(JSON.stringify((await call(communes[A]!, 'requests.todo', {})).items)).not.toContain(e1.id);
      await waitFor('the proxy to have cut', async () => proxy.stats().cut > 0, 1_000);
    } finally {
      for (const c of cores) await c.close().catch(() => undefined);
      await proxy.close();
      await intake.close();
      tmp.cleanup();
    }
  }, 240_000);
});
