/**
 * Delivery figures (issue 4), printed, never asserted:
 * - bytes on the wire per delivered package against the package's size;
 * - time to deliver one package over a link of 64 kbit/s, 400 ms round trip and 5% loss (goal
 *   ≤ 10 s), emulated by the fault-injecting proxy (tests/helpers/flaky-proxy.ts): 8 000 B/s each
 *   way, 200 ms each way plus one round trip for each new connection, 5% of segments lost and
 *   retransmitted 600 ms later, and 5% of connections cut at random (the app retries with its own
 *   backoff). `tc netem` is not used: the kernel here has no netem qdisc;
 * - intake throughput with 100 concurrent uploads on loopback, on SQLite and on PostgreSQL.
 *
 * `benchDelivery(report)` is called by bench/run.ts; `node --import tsx bench/delivery.ts` runs it alone.
 */
import { pathToFileURL } from 'node:url';
import type { Core } from '../core/handlers.js';
import type { DeliveryOptions } from '../core/delivery/index.js';
import { IntakeClient } from '../core/delivery/index.js';
import { XLSX_CONTENT_TYPE } from '../shared/intake-api.js';
import { cityPackages } from '../tests/helpers/city-packages.js';
import { cityReturns } from '../tests/helpers/city-returns.js';
import type { FlakyProxy } from '../tests/helpers/flaky-proxy.js';
import { startFlakyProxy } from '../tests/helpers/flaky-proxy.js';
import type { TestIntake } from '../tests/helpers/intake-server.js';
import { openCommune, startIntake, waitFor } from '../tests/helpers/intake-server.js';
import { startPostgres } from '../tests/helpers/postgres.js';
import { tempDir } from '../tests/helpers/sample.js';

export type Report = (name: string, value: string, goal: string) => void;

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

/** The product's own retry timing (5 s base, 30 min cap), only without the 1 s start delay. */
const PRODUCT: DeliveryOptions = { startDelayMs: 0, pollIntervalMs: 60_000 };

async function sendOne(core: Core, ret = cityReturns()[0]!): Promise<number> {
  const { packageId } = await core.submitReturnJson(ret);
  const tSubmitted = performance.now();
  await waitFor(
    'delivery',
    async () =>
      (await core.handlers['delivery.status']({})).items.find((i) => i.packageId === packageId)?.state === 'sent',
    120_000,
  );
  return performance.now() - tSubmitted;
}

async function benchWire(report: Report, intake: TestIntake, proxy: FlakyProxy, dir: ReturnType<typeof tempDir>) {
  const [pkg] = await cityPackages();
  const client = new IntakeClient(proxy.url, await intake.unitToken(pkg!.unit));
  proxy.resetStats();
  const res = await client.postPackage(pkg!.bytes);
  if (!res.ok) throw new Error(`upload failed: ${JSON.stringify(res.failure)}`);
  const upload = proxy.stats();
  report(
    'Delivery: bytes on the wire per package (upload, plain HTTP)',
    `package ${kb(pkg!.bytes.length)}; sent ${kb(upload.up)} (${(upload.up / pkg!.bytes.length).toFixed(3)}×), received ${kb(upload.down)}`,
    '≈ package size (an .xlsx is already compressed)',
  );
  // A whole "Gửi ngay" of one new revision: upload + the status poll.
  const ret = cityReturns()[1]!;
  const core = await openCommune(dir.file('wire.sqlite'), ret.unit, { delivery: { autoStart: false } });
  try {
    await core.delivery.useSettings({ serverUrl: proxy.url, token: await intake.unitToken(ret.unit) });
    const { packageId } = await core.submitReturnJson(ret);
    proxy.resetStats();
    const s = await core.handlers['delivery.sendNow']({});
    const st = proxy.stats();
    const item = s.items.find((i) => i.packageId === packageId)!;
    const file = await core.handlers['package.export']({ returnId: item.returnId, revision: 1 });
    const size = Buffer.from(file.data, 'base64').length;
    report(
      'Delivery: bytes on the wire for one "Gửi ngay" (upload + status poll)',
      `${kb(st.up + st.down)} for a ${kb(size)} package (${((st.up + st.down) / size).toFixed(3)}×; ${st.connections} connection)`,
      '≈ package size',
    );
  } finally {
    await core.close();
  }
}

async function benchSlowLink(report: Report, intake: TestIntake, proxy: FlakyProxy, dir: ReturnType<typeof tempDir>) {
  proxy.set({
    bytesPerSecond: 8_000,
    delayMs: 200,
    handshakeMs: 400,
    lossRate: 0.05,
    retransmitMs: 600,
    cutFraction: 0.05,
    cutWindow: { up: 30_000, down: 500 },
    idleCloseMs: 30_000,
    seed: 64,
  });
  const returns = cityReturns().slice(10, 20);
  const times: number[] = [];
  let lost = 0;
  let cut = 0;
  for (const [i, ret] of returns.entries()) {
    const core = await openCommune(dir.file(`slow-${i}.sqlite`), ret.unit, { delivery: PRODUCT });
    try {
      await core.delivery.useSettings({ serverUrl: proxy.url, token: await intake.unitToken(ret.unit) });
      proxy.resetStats();
      times.push(await sendOne(core, ret));
      lost += proxy.stats().lostSegments;
      cut += proxy.stats().cut;
    } finally {
      await core.close();
    }
  }
  report(
    'Delivery: one package over 64 kbit/s, 400 ms RTT, 5% loss (submit → server receipt; median / p90 / max of 10)',
    `${sec(pct(times, 50))} / ${sec(pct(times, 90))} / ${sec(Math.max(...times))} (${lost} segments lost, ${cut} connections cut)`,
    '≤ 10 s',
  );
  proxy.set({ bytesPerSecond: null, delayMs: 0, handshakeMs: 0, lossRate: 0, cutFraction: 0, idleCloseMs: null });
}

async function benchThroughput(report: Report, intake: TestIntake, label: string) {
  const pkgs = (await cityPackages()).slice(0, 100);
  const tokens = await Promise.all(pkgs.map((p) => intake.unitToken(p.unit)));
  const post = (i: number) =>
    fetch(`${intake.url}/api/v1/packages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens[i]}`, 'content-type': XLSX_CONTENT_TYPE },
      body: new Uint8Array(pkgs[i]!.bytes),
    }).then(async (r) => {
      await r.arrayBuffer();
      return r.status;
    });
  // Warm up the server on 5 of them (their second post below is a 200).
  await Promise.all([0, 1, 2, 3, 4].map(post));
  const lat: number[] = [];
  const t0 = performance.now();
  const statuses = await Promise.all(
    pkgs.map(async (_p, i) => {
      const t = performance.now();
      const s = await post(i);
      lat.push(performance.now() - t);
      return s;
    }),
  );
  const wall = performance.now() - t0;
  const bytes = pkgs.reduce((n, p) => n + p.bytes.length, 0);
  const bad = statuses.filter((s) => s !== 201 && s !== 200).length;
  report(
    `Intake throughput, 100 concurrent uploads on loopback (${label})`,
    `${(100 / (wall / 1000)).toFixed(0)} packages/s, ${(bytes / 1024 / 1024 / (wall / 1000)).toFixed(1)} MB/s; ` +
      `latency p50 ${sec(pct(lat, 50))}, max ${sec(Math.max(...lat))}; stored ${await intake.count()}${bad ? `; ${bad} failed` : ''}`,
    'measure',
  );
}

export async function benchDelivery(report: Report): Promise<void> {
  const dir = tempDir('cr-bench-delivery-');
  try {
    const intake = await startIntake({ sqlitePath: dir.file('intake.sqlite') });
    const proxy = await startFlakyProxy(intake.url);
    try {
      await benchWire(report, intake, proxy, dir);
      await benchSlowLink(report, intake, proxy, dir);
    } finally {
      await proxy.close();
      await intake.close();
    }
    const fresh = await startIntake({ sqlitePath: dir.file('intake-throughput.sqlite') });
    try {
      await benchThroughput(report, fresh, 'SQLite');
    } finally {
      await fresh.close();
    }
    const pg = await startPostgres();
    if ('skip' in pg)
      report(
        'Intake throughput, 100 concurrent uploads on loopback (PostgreSQL)',
        `not measured: ${pg.skip}`,
        'measure',
      );
    else {
      try {
        const onPg = await startIntake({ databaseUrl: await pg.createDatabase('bench_delivery') });
        try {
          await benchThroughput(report, onPg, 'PostgreSQL');
        } finally {
          await onPg.close();
        }
      } finally {
        await pg.stop();
      }
    }
  } finally {
    dir.cleanup();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchDelivery((name, value, goal) => console.log(`${name}: ${value} (goal ${goal})`));
}
