/**
 * The commune outbox against a real intake server on 127.0.0.1 (SQLite), with real commune
 * databases and a fault-injecting TCP proxy: refusals that are not retried (403 another unit, 400
 * junk, 413 too large), a rejected token that stops the sender, connections cut after the server
 * stored a package, a restart in the middle of the queue, a commune clock days wrong, settings
 * files, and the same package posted twice at once.
 */
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Core } from '../../core/handlers.js';
import { IntakeClient, backoffDelay } from '../../core/delivery/index.js';
import { revokeToken } from '../../server/intake/index.js';
import { call } from '../helpers/core.js';
import type { FlakyProxy } from '../helpers/flaky-proxy.js';
import { startFlakyProxy } from '../helpers/flaky-proxy.js';
import type { TestIntake } from '../helpers/intake-server.js';
import { FAST, openCommune, openNode, startIntake, waitFor } from '../helpers/intake-server.js';
import { sampleReturn, sampleUnit, tempDir } from '../helpers/sample.js';

const A = sampleUnit.code; // Đặc khu Bạch Long Vĩ
const B = '11311';

let tmp: ReturnType<typeof tempDir>;
let intake: TestIntake;
let proxy: FlakyProxy | undefined;
const cores: Core[] = [];
beforeEach(async () => {
  tmp = tempDir('cr-delivery-');
  intake = await startIntake({ sqlitePath: tmp.file('intake.sqlite') });
});
afterEach(async () => {
  for (const c of cores.splice(0)) await c.close();
  await proxy?.close();
  proxy = undefined;
  await intake.close();
  tmp.cleanup();
});

/** A return of A for a period, with one figure changed so each revision differs. */
function ret(period = '2026-Q2', population = 1200) {
  const r = sampleReturn();
  r.values.unit_info.population = population;
  return { ...r, period };
}

async function commune(opts: Parameters<typeof openCommune>[2] = {}, file = 'c.sqlite'): Promise<Core> {
  const c = await openCommune(tmp.file(file), A, opts);
  cores.push(c);
  return c;
}
const status = (c: Core) => call(c, 'delivery.status', {});
const noStack = (s: string | null | undefined) => expect(s ?? '').not.toMatch(/\n\s+at |\.ts:\d+|node_modules|Error:/);

describe('settings', () => {
  it('checks the address and the token, keeps them, and refuses a token or a settings file of another unit', async () => {
    const c = await commune({ delivery: { ...FAST, autoStart: true } });
    expect((await status(c)).connection).toMatchObject({ configured: false, serverUrl: null, lastError: null });
    await expect(call(c, 'delivery.sendNow', {})).rejects.toMatchObject({
      code: 'not_configured',
      message: expect.stringMatching(/Cài đặt/),
    });

    const tokenB = await intake.unitToken(B);
    await expect(call(c, 'delivery.configure', { serverUrl: intake.url, token: tokenB })).rejects.toMatchObject({
      message: expect.stringMatching(/mã 11311.*không phải của Đặc khu Bạch Long Vĩ.*Hãy nhập đúng mã/),
    });
    await expect(
      call(c, 'delivery.configure', { serverUrl: intake.url, token: 'hpx_not-a-real-token-000' }),
    ).rejects.toMatchObject({
      message: expect.stringMatching(/Mã truy cập không đúng.*Hãy/),
    });
    await expect(
      call(c, 'delivery.configure', { serverUrl: intake.url, token: await intake.cityToken() }),
    ).rejects.toMatchObject({
      message: expect.stringMatching(/mã của thành phố.*Hãy nhập mã truy cập của đơn vị/),
    });
    // Something that answers but is not the intake.
    await expect(
      call(c, 'delivery.configure', { serverUrl: `${intake.url}/khac`, token: tokenB }),
    ).rejects.toMatchObject({
      message: expect.stringMatching(/không phải máy chủ tiếp nhận/),
    });
    expect((await status(c)).connection.configured).toBe(false);

    const file = (o: unknown) => ({
      file: { fileName: 'caidat.json', data: Buffer.from(JSON.stringify(o)).toString('base64') },
    });
    await expect(
      call(c, 'delivery.configure', file({ serverUrl: intake.url, token: tokenB, unit: B })),
    ).rejects.toMatchObject({
      message: expect.stringMatching(/Tệp cài đặt này là của .*mã 11311.*Hãy xin thành phố tệp cài đặt đúng/),
    });
    await expect(
      call(c, 'delivery.configure', { file: { fileName: 'x.json', data: Buffer.from('not json').toString('base64') } }),
    ).rejects.toMatchObject({ message: expect.stringMatching(/Tệp cài đặt không đúng/) });

    const tokenA = await intake.unitToken(A);
    const conn = await call(
      c,
      'delivery.configure',
      file({ serverUrl: `${intake.url}/api/v1/`, token: tokenA, unit: A }),
    );
    expect(conn).toMatchObject({ configured: true, serverUrl: intake.url, lastError: null });
    expect(Date.parse(conn.lastContactAt!)).toBeGreaterThan(Date.now() - 60_000);
    // The token is kept in the local database.
    const raw = new Database(tmp.file('c.sqlite'), { readonly: true });
    expect(raw.prepare(`SELECT value FROM settings WHERE key = 'delivery.token'`).get()).toEqual({ value: tokenA });
    raw.close();
  });

  it('keeps settings entered while offline and says so', async () => {
    const c = await commune();
    const closed = await startFlakyProxy(intake.url);
    const url = closed.url;
    await closed.close(); // nothing listens there now
    const conn = await call(c, 'delivery.configure', { serverUrl: url, token: await intake.unitToken(A) });
    expect(conn).toMatchObject({ configured: true, serverUrl: url, lastContactAt: null });
    expect(conn.lastError).toMatch(/Đã lưu cài đặt, nhưng chưa kết nối được.*tự kiểm tra và gửi khi có mạng/);
  });
});

describe('sending', () => {
  it('sends what is queued, in the background, and shows the server time of receipt', async () => {
    const c = await commune({ submit: [ret('2026-Q1', 1150), ret('2026-Q2', 1200)] });
    const before = await status(c);
    expect(before.items.map((i) => [i.period, i.revision, i.state])).toEqual([
      ['2026-Q2', 1, 'queued'],
      ['2026-Q1', 1, 'queued'],
    ]);
    await call(c, 'delivery.configure', { serverUrl: intake.url, token: await intake.unitToken(A) });
    const after = await waitFor('both sent', async () => {
      const s = await status(c);
      return s.items.every((i) => i.state === 'sent') && s;
    });
    expect(after.connection.lastError).toBeNull();
    for (const i of after.items) {
      expect(i.attempts).toBe(1);
      expect(Date.parse(i.sentAt!)).toBeGreaterThan(Date.now() - 60_000);
    }
    expect(await intake.count()).toBe(2);
  });

  it('a connection cut after the server stored the package: the retry gets 200 and nothing is stored twice', async () => {
    proxy = await startFlakyProxy(intake.url, {
      cutNext: [
        { direction: 'down', at: 0 },
        { direction: 'down', at: 40 },
      ],
    });
    const c = await commune({ delivery: { ...FAST, autoStart: false } });
    await c.delivery.useSettings({ serverUrl: proxy.url, token: await intake.unitToken(A) });
    const info = await c.submitReturnJson(ret());
    const first = await call(c, 'delivery.sendNow', {});
    expect(first.items[0]).toMatchObject({ state: 'queued', attempts: 1 });
    expect(first.connection.lastError).toMatch(/Không cần làm gì: ứng dụng sẽ tự gửi lại/);
    expect(await intake.count(info.packageId)).toBe(1); // stored, though the answer never arrived
    await call(c, 'delivery.sendNow', {}); // cut again, 40 bytes into the answer
    const third = await call(c, 'delivery.sendNow', {});
    expect(third.items[0]).toMatchObject({ state: 'sent', attempts: 3 });
    expect(third.connection.lastError).toBeNull();
    expect(await intake.count()).toBe(1);
    expect(proxy.stats().cut).toBe(2);
  });

  it('a package of another unit (403) is not retried and says why; a new token sends it', async () => {
    const c = await commune({ delivery: { ...FAST, autoStart: false }, submit: [ret()] });
    await c.delivery.useSettings({ serverUrl: intake.url, token: await intake.unitToken(B) });
    const s1 = await call(c, 'delivery.sendNow', {});
    expect(s1.items[0]).toMatchObject({ state: 'queued', attempts: 1 });
    expect(s1.items[0]!.error).toMatch(
      /không nhận báo cáo Quý II\/2026, lần nộp 1\. Gói báo cáo này là của đơn vị mã 11948.*mã 11311.*Hãy kiểm tra/,
    );
    expect(s1.connection.lastError).toBe(s1.items[0]!.error);
    noStack(s1.items[0]!.error);
    const s2 = await call(c, 'delivery.sendNow', {});
    expect(s2.items[0]!.attempts).toBe(1); // not tried again
    expect(await intake.count()).toBe(0);

    await call(c, 'delivery.configure', { serverUrl: intake.url, token: await intake.unitToken(A) });
    const s3 = await call(c, 'delivery.sendNow', {});
    expect(s3.items[0]).toMatchObject({ state: 'sent', attempts: 2, error: null });
    expect(s3.connection.lastError).toBeNull();
  });

  it('a revoked token (401) stops the sender and says to enter a new token', async () => {
    const c = await commune();
    const token = await intake.unitToken(A);
    await call(c, 'delivery.configure', { serverUrl: intake.url, token });
    await revokeToken(intake.db, token);
    await c.submitReturnJson(ret());
    const stopped = await waitFor('the token refusal', async () => {
      const s = await status(c);
      return s.connection.lastError ? s : undefined;
    });
    expect(stopped.connection.lastError).toMatch(/thu hồi.*Hãy liên hệ thành phố để được cấp mã mới.*ngừng gửi/);
    expect(stopped.connection.nextAttemptAt).toBeNull();
    const attempts = stopped.items[0]!.attempts;
    await new Promise((r) => setTimeout(r, 500)); // several backoff periods: no new attempt
    expect((await status(c)).items[0]).toMatchObject({ state: 'queued', attempts });

    await call(c, 'delivery.configure', { serverUrl: intake.url, token: await intake.unitToken(A) });
    await waitFor('sent with the new token', async () => (await status(c)).items[0]!.state === 'sent');
  });

  it('junk and oversized packages are refused once and not retried forever', async () => {
    await intake.close();
    intake = await startIntake({ sqlitePath: tmp.file('intake-small.sqlite') }, { maxBodyBytes: 8 * 1024 });
    const c = await commune({ delivery: { ...FAST, autoStart: false }, submit: [ret()] });
    // A revision whose stored package is junk (a damaged disk, say), queued like any other.
    const raw = new Database(tmp.file('c.sqlite'));
    const returnId = (raw.prepare(`SELECT id FROM returns`).get() as { id: number }).id;
    raw
      .prepare(
        `INSERT INTO revisions (return_id, revision, package_id, template_version, values_json, explanations_json, as_of_json, hash, submitted_at, submitted_by, late, package)
       VALUES (?, 2, 'junk-1', 1, '{}', '{}', '{}', 'h', '2026-05-11T00:00:00Z', 'x', 0, ?)`,
      )
      .run(returnId, randomBytes(2000));
    raw
      .prepare(
        `INSERT INTO outbox (package_id, return_id, revision, state, attempts, queued_at) VALUES ('junk-1', ?, 2, 'queued', 0, '2026-05-11T00:00:00Z')`,
      )
      .run(returnId);
    raw.close();
    await c.delivery.useSettings({ serverUrl: intake.url, token: await intake.unitToken(A) });
    const s = await call(c, 'delivery.sendNow', {});
    const junk = s.items.find((i) => i.packageId === 'junk-1');
    const big = s.items.find((i) => i.packageId !== 'junk-1');
    expect(junk).toMatchObject({ packageId: 'junk-1', attempts: 1 });
    expect(junk!.error).toMatch(/không phải tệp Excel.*hỏng.*email hoặc USB/);
    expect(big!.error).toMatch(/lớn hơn giới hạn 0?,?\d* MB.*email hoặc USB/);
    expect(s.connection.lastError).toMatch(/không nhận 2 báo cáo/);
    await call(c, 'delivery.sendNow', {});
    await call(c, 'delivery.sendNow', {});
    expect((await status(c)).items.map((i) => i.attempts)).toEqual([1, 1]);
    expect(await intake.count()).toBe(0);
  });

  it('a server that is down: waits with backoff, the queue survives a restart, and goes out once when it is back', async () => {
    proxy = await startFlakyProxy(intake.url, { cutUpAt: 0 }); // every connection reset at once
    let c = await commune({ submit: [ret('2026-Q1', 1150), ret('2026-Q2', 1200)] });
    await c.delivery.useSettings({ serverUrl: proxy.url, token: await intake.unitToken(A) });
    c.delivery.kick();
    // Between two attempts (during one, there is no next attempt to show).
    const waiting = await waitFor('a few failed attempts', async () => {
      const s = await status(c);
      return s.items.some((i) => i.attempts >= 2) && s.connection.nextAttemptAt !== null && s;
    });
    expect(waiting.connection.lastError).toMatch(/Chưa kết nối được tới máy chủ thành phố.*Không cần làm gì/);
    expect(waiting.connection.nextAttemptAt).not.toBeNull();
    expect(waiting.items.every((i) => i.state === 'queued' || i.state === 'sending')).toBe(true);
    await c.close();
    const failures = () => {
      const raw = new Database(tmp.file('c.sqlite'), { readonly: true });
      const row = raw.prepare(`SELECT value FROM settings WHERE key = 'delivery.state'`).get() as { value: string };
      raw.close();
      return (JSON.parse(row.value) as { failures: number }).failures;
    };
    expect(failures()).toBeGreaterThanOrEqual(2); // kept for the backoff after the restart
    cores.splice(cores.indexOf(c), 1);

    proxy.set({ cutUpAt: null });
    c = await openNode(tmp.file('c.sqlite'));
    cores.push(c);
    // Sent, and the attempt finished (the error of the earlier ones is cleared at its end).
    const done = await waitFor('all sent after the restart', async () => {
      const s = await status(c);
      return s.items.every((i) => i.state === 'sent') && s.connection.lastError === null && s;
    });
    expect(done.connection.lastError).toBeNull();
    expect(await intake.count()).toBe(2);
    await c.close();
    cores.splice(cores.indexOf(c), 1);
    expect(failures()).toBe(0); // reset by the success
  });

  it('backs off exponentially with full jitter, up to the cap, never under Retry-After', () => {
    const o = { baseDelayMs: 5_000, maxDelayMs: 30 * 60_000 };
    const top = (n: number) => backoffDelay(n, { ...o, random: () => 1 });
    expect([1, 2, 3, 4, 5, 6, 9, 10, 50].map(top)).toEqual([
      5_000, 10_000, 20_000, 40_000, 80_000, 160_000, 1_280_000, 1_800_000, 1_800_000,
    ]);
    expect(backoffDelay(3, { ...o, random: () => 0.5 })).toBe(10_000);
    expect(backoffDelay(3, { ...o, random: () => 0 })).toBe(50);
    expect(backoffDelay(1, { ...o, random: () => 0, retryAfterMs: 7_000 })).toBe(7_000);
  });

  it('a commune clock days wrong changes nothing: the times shown are the server’s', async () => {
    const wrong = new Date('2026-01-02T00:00:00Z'); // months behind
    const c = await commune({ now: () => wrong, submit: [ret()] });
    await call(c, 'delivery.configure', { serverUrl: intake.url, token: await intake.unitToken(A) });
    const s = await waitFor('sent, and the next poll for the decision planned', async () => {
      const x = await status(c);
      return x.items[0]!.state === 'sent' && x.connection.nextAttemptAt !== null && x;
    });
    const near = (iso: string | null) => expect(Math.abs(Date.parse(iso!) - Date.now())).toBeLessThan(60_000);
    near(s.connection.lastContactAt);
    near(s.items[0]!.sentAt);
    // Waiting for the city's decision: the next poll is shown on the server's clock too.
    near(s.connection.nextAttemptAt);
  });

  it('the same package posted twice at once is stored once (200 and 201)', async () => {
    const c = await commune({ delivery: { ...FAST, autoStart: false } });
    const info = await c.submitReturnJson(ret());
    const file = await call(c, 'package.export', {
      returnId: (await status(c)).items[0]!.returnId,
      revision: info.revision,
    });
    const bytes = Buffer.from(file.data, 'base64');
    const client = new IntakeClient(intake.url, await intake.unitToken(A));
    const answers = await Promise.all([1, 2, 3, 4].map(() => client.postPackage(bytes)));
    expect(answers.map((a) => a.ok && a.status).sort()).toEqual([200, 200, 200, 201]);
    expect(await intake.count(info.packageId)).toBe(1);
  });
});

describe('busy server and the city side', () => {
  it('429 too many requests: waits as the server says, then sends by itself', async () => {
    await intake.close();
    intake = await startIntake(
      { sqlitePath: tmp.file('intake-busy.sqlite') },
      { rateLimit: { capacity: 1, refillPerSecond: 1 } },
    );
    const c = await commune({ submit: [ret()] });
    const token = await intake.unitToken(A);
    expect((await new IntakeClient(intake.url, token).status([])).ok).toBe(true); // takes the only request allowed
    await c.delivery.useSettings({ serverUrl: intake.url, token });
    const waiting = await waitFor('the 429', async () => {
      const x = await status(c);
      return x.connection.lastError ? x : undefined;
    });
    expect(waiting.connection.lastError).toMatch(/quá nhiều yêu cầu.*ứng dụng sẽ tự gửi lại/);
    expect(waiting.items[0]).toMatchObject({ state: 'queued', error: null });
    await waitFor('sent after the wait', async () => (await status(c)).items[0]!.state === 'sent', 20_000);
    expect(await intake.count()).toBe(1);
  });

  it('the city pushes its decisions by itself; one on a package that came by email goes once the intake has it', async () => {
    const c = await commune({
      delivery: { ...FAST, autoStart: false },
      submit: [ret('2026-Q1', 1150), ret('2026-Q2', 1200)],
    });
    const items = (await status(c)).items;
    const q1 = items.find((i) => i.period === '2026-Q1')!;
    const q2 = items.find((i) => i.period === '2026-Q2')!;
    const city = await openNode(tmp.file('city.sqlite'));
    cores.push(city);
    await call(city, 'app.setup', { role: 'city' });
    // Q1 reaches the city by email (a file), before the commune sends it over the network.
    const file = await call(c, 'package.export', { returnId: q1.returnId, revision: 1 });
    await call(city, 'city.import', { files: [file], dryRun: false });
    await call(city, 'delivery.configure', { serverUrl: intake.url, token: await intake.cityToken() });
    const decide = (period: string, decision: 'accepted' | 'returned', reason?: string) =>
      call(city, 'city.review.decide', {
        template: 'BC-CX',
        period,
        unit: A,
        revision: 1,
        decision,
        ...(reason ? { reason } : {}),
      });
    await decide('2026-Q1', 'returned', 'Thiếu giải trình biểu 02.');
    const decisions = async () =>
      Number(
        (
          await intake.db.kysely
            .selectFrom('decisions')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    // The intake does not hold that package yet: nothing to push, and no error for the clerk.
    await new Promise((r) => setTimeout(r, 300));
    expect(await decisions()).toBe(0);
    expect((await status(city)).connection.lastError).toBeNull();

    await c.delivery.useSettings({ serverUrl: intake.url, token: await intake.unitToken(A) });
    expect((await call(c, 'delivery.sendNow', {})).items.every((i) => i.state === 'sent')).toBe(true);
    const pulled = await call(city, 'city.pull', {});
    expect(pulled.results.map((r) => [r.period, r.outcome]).sort()).toEqual([
      ['2026-Q1', 'duplicate'],
      ['2026-Q2', 'imported'],
    ]);
    expect(await decisions()).toBe(1); // the Q1 decision went with the pull
    await decide('2026-Q2', 'accepted');
    await waitFor('the Q2 decision pushed in the background', async () => (await decisions()) === 2);
    const back = await call(c, 'delivery.sendNow', {});
    expect(back.items.find((i) => i.packageId === q1.packageId)).toMatchObject({
      state: 'returned',
      reason: 'Thiếu giải trình biểu 02.',
    });
    expect(back.items.find((i) => i.packageId === q2.packageId)).toMatchObject({ state: 'accepted', reason: null });
  });
});
