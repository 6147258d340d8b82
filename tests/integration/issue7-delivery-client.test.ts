/**
 * Issue 7, item 14: the delivery client against hostile and broken servers on 127.0.0.1 — an
 * answer without end is capped while it streams (memory bounded, a Vietnamese "the server's answer
 * was not valid", not "network"); a server that stalls mid-answer is given up after the idle time,
 * not the overall deadline; after an upload whose answer was lost the client asks the package's
 * status and does not upload it again.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Core } from '../../core/handlers.js';
import { IntakeClient } from '../../core/delivery/index.js';
import { call } from '../helpers/core.js';
import type { TestIntake } from '../helpers/intake-server.js';
import { FAST, openCommune, startIntake, waitFor } from '../helpers/intake-server.js';
import { sampleReturn, sampleUnit, tempDir } from '../helpers/sample.js';

const GiB = 1024 * 1024 * 1024;
const VIETNAMESE = /[ạảãáàâấầẩẫậăắằẳẵặđêếềểễệôốồổỗộơớờởỡợưứừửữựíìỉĩịúùủũụýỳỷỹỵéèẻẽẹóòỏõọ]/i;

const servers: http.Server[] = [];
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

async function serve(handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Streams `total` bytes of a JSON-looking body as fast as the client reads, without holding them. */
function endless(res: http.ServerResponse, status: number, total: number): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  chunk[0] = 0x5b; // "["
  let sent = 0;
  const pump = () => {
    while (sent < total && !res.destroyed) {
      sent += chunk.length;
      if (!res.write(chunk)) return void res.once('drain', pump);
    }
    if (!res.destroyed) res.end();
  };
  res.on('close', () => (sent = total));
  pump();
}

/** The highest resident memory seen while `fn` runs (sampled). */
async function peakRss<T>(fn: () => Promise<T>): Promise<{ value: T; growth: number }> {
  const before = process.memoryUsage().rss;
  let peak = before;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
  try {
    const value = await fn();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { value, growth: peak - before };
  } finally {
    clearInterval(timer);
  }
}

describe('item 14: answers are capped while they stream', () => {
  it('a server answering 1 GiB to a JSON call: capped, memory bounded, "not valid" in Vietnamese', async () => {
    const url = await serve((_req, res) => endless(res, 200, GiB));
    const client = new IntakeClient(url, 'a-token-of-the-unit', { timeoutMs: 120_000 });
    const { value: r, growth } = await peakRss(() => client.status(['pkg-1']));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.failure.kind).toBe('answer');
    if (r.failure.kind !== 'answer') return;
    expect(r.failure.message).toMatch(VIETNAMESE);
    expect(r.failure.message).toMatch(/trả lời không hợp lệ/);
    expect(r.failure.message).not.toMatch(/mạng/);
    expect(growth).toBeLessThan(128 * 1024 * 1024);
  });

  it('the commune is told in Vietnamese that the server answered wrongly, not that the network failed', async () => {
    const url = await serve((_req, res) => endless(res, 200, GiB));
    const tmp = tempDir('cr-g-hostile-');
    const core = await openCommune(tmp.file('c.sqlite'), sampleUnit.code, { delivery: { ...FAST, autoStart: false } });
    cleanups.push(async () => {
      await core.close();
      tmp.cleanup();
    });
    const connection = await call(core, 'delivery.configure', { serverUrl: url, token: 'a-token-of-the-unit' });
    expect(connection.lastError).toMatch(/trả lời không hợp lệ/);
    expect(connection.lastError).toMatch(/kiểm tra lại địa chỉ máy chủ/);
    expect(connection.lastError).not.toMatch(/Chưa kết nối được|mạng chập chờn/);
  });

  it('a refusal of 1 GiB and a package download of 1 GiB are capped too', async () => {
    const url = await serve((req, res) => endless(res, req.url?.includes('/packages/') ? 200 : 503, GiB));
    const client = new IntakeClient(url, 'a-token-of-the-city', { timeoutMs: 120_000 });
    const { value: refused, growth: g1 } = await peakRss(() =>
      client.postDecision({ packageId: 'p', state: 'accepted' }),
    );
    expect(refused).toMatchObject({ ok: false, failure: { kind: 'answer', action: 'wait' } });
    expect(!refused.ok && refused.failure.kind === 'answer' && refused.failure.message).toMatch(/trả lời không hợp lệ/);
    // The listing said 5 000 bytes: no more is read.
    const { value: got, growth: g2 } = await peakRss(() =>
      client.getPackage('p', { sha256: '0'.repeat(64), size: 5_000 }),
    );
    expect(got).toMatchObject({ ok: false, failure: { kind: 'answer' } });
    expect(!got.ok && got.failure.kind === 'answer' && got.failure.message).toMatch(/trả lời không hợp lệ/);
    expect(Math.max(g1, g2)).toBeLessThan(128 * 1024 * 1024);
  });
});

describe('item 14: a stalled connection is given up after the idle time', () => {
  it('headers and a few bytes, then nothing: a network failure long before the overall deadline', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '400' });
      res.write('{"unit":"11948","packages":[');
      // …and nothing more, the connection stays open.
    });
    // Overall deadline 10 minutes; the test's own limit (20 s) fails if the client waits for it.
    const client = new IntakeClient(url, 'a-token-of-the-unit', { timeoutMs: 600_000, idleTimeoutMs: 500 });
    const r = await client.status(['pkg-1']);
    expect(r).toMatchObject({ ok: false, failure: { kind: 'network' } });
  }, 20_000);

  it('a request read but never answered: given up after the idle time too', async () => {
    const url = await serve((req) => req.resume());
    const client = new IntakeClient(url, 'a-token-of-the-unit', { timeoutMs: 600_000, idleTimeoutMs: 500 });
    const r = await client.health();
    expect(r).toMatchObject({ ok: false, failure: { kind: 'network' } });
  }, 20_000);
});

describe('item 14: after a lost answer the status is asked before uploading again', () => {
  let tmp: ReturnType<typeof tempDir>;
  let intake: TestIntake;
  let core: Core;

  it('the first upload is stored but its answer lost: one upload only, the package ends "sent"', async () => {
    tmp = tempDir('cr-g-lost-');
    intake = await startIntake({ sqlitePath: tmp.file('intake.sqlite') });
    cleanups.push(async () => {
      await core?.close();
      await intake.close();
      tmp.cleanup();
    });
    // An HTTP proxy in front of the intake that logs every request and loses the answer of the
    // first package upload (the intake has read and stored it).
    const upstream = new URL(intake.url);
    const seen: string[] = [];
    let lost = false;
    const url = await serve((req, res) => {
      const line = `${req.method} ${req.url?.split('?')[0]}`;
      seen.push(line);
      const up = http.request(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          if (line === 'POST /api/v1/packages' && !lost) {
            lost = true;
            answer.resume();
            answer.on('end', () => res.socket?.destroy());
            return;
          }
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      up.on('error', () => res.socket?.destroy());
      req.pipe(up);
    });

    core = await openCommune(tmp.file('c.sqlite'), sampleUnit.code, { delivery: { ...FAST, autoStart: true } });
    await core.submitReturnJson({ ...sampleReturn(), period: '2026-Q2' });
    await call(core, 'delivery.configure', { serverUrl: url, token: await intake.unitToken(sampleUnit.code) });
    const sent = await waitFor('the package sent', async () => {
      const s = await call(core, 'delivery.status', {});
      return s.items.find((i) => i.state === 'sent') ?? null;
    });
    expect(sent.sentAt).not.toBeNull();
    expect(lost).toBe(true);
    expect(await intake.count()).toBe(1);
    const uploads = seen.filter((l) => l === 'POST /api/v1/packages');
    expect(uploads, seen.join('\n')).toHaveLength(1);
    const firstUpload = seen.indexOf('POST /api/v1/packages');
    expect(seen.slice(firstUpload + 1)[0]).toBe('GET /api/v1/status');
  });
});
