/**
 * Review of issue 7, city side and servers ("city" reviewer): what a clerk or an attacker met after
 * the issue was closed, each with the test that failed before its fix.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import type { Core } from '../../core/handlers.js';
import { buildServer, listen } from '../../server/app.js';
import { createWebLogin } from '../../server/login.js';
import { call, openCore } from '../helpers/core.js';
import { resourcesDir, tempDir } from '../helpers/sample.js';
import { runCli } from '../helpers/cli.js';
import { cityReturns } from '../helpers/city-returns.js';
import { makePackage } from '../helpers/city-packages.js';
import { openCommune, openNode, startIntake } from '../helpers/intake-server.js';
import { sampleReturn, sampleUnit } from '../helpers/sample.js';

let tmp: ReturnType<typeof tempDir> | undefined;
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
  tmp?.cleanup();
  tmp = undefined;
});

async function startWithLogin(password: string): Promise<string> {
  tmp ??= tempDir();
  const core: Core = await openCore(tmp.file('c.sqlite'));
  const app: FastifyInstance = await buildServer({
    handlers: core.handlers,
    rendererDir: tmp.file('no-renderer'),
    loopbackOnly: false,
    login: await createWebLogin(password),
  });
  closers.push(
    () => core.close(),
    () => app.close(),
  );
  return listen(app, 0);
}

describe('web login: wrong passwords sent all at once are limited like one after another', () => {
  it('60 guesses in parallel: at most 5 are checked, the rest get 429; the right password still works afterwards once the wait is over', async () => {
    const url = await startWithLogin('mật-khẩu đủ dài 2026');
    const login = (password: string) =>
      fetch(`${url}/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ password }).toString(),
        redirect: 'manual',
      });
    // Before: every guess passed the check (peek) before any failure was counted (after scrypt): 60 × 401.
    const statuses = await Promise.all(Array.from({ length: 60 }, (_, i) => login(`sai-${i}`).then((r) => r.status)));
    const checked = statuses.filter((s) => s === 401).length;
    expect(checked).toBeLessThanOrEqual(5);
    expect(statuses.filter((s) => s === 429).length).toBe(60 - checked);
  });

  it('a right password among parallel requests is not counted as a failure', async () => {
    const url = await startWithLogin('mật-khẩu đủ dài 2026');
    const login = (password: string) =>
      fetch(`${url}/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ password }).toString(),
        redirect: 'manual',
      });
    const ok = await Promise.all(Array.from({ length: 4 }, () => login('mật-khẩu đủ dài 2026').then((r) => r.status)));
    expect(ok).toEqual([303, 303, 303, 303]);
    // Five wrong ones are still allowed after four right ones.
    for (let i = 0; i < 5; i++) expect((await login(`sai-${i}`)).status).toBe(401);
    expect((await login('sai-6')).status).toBe(429);
  });
});

describe('pull: one backup before the pull, not one per package', () => {
  it('pulling 12 packages makes one import backup, so the copy from before the pull is still there', async () => {
    tmp ??= tempDir();
    const intake = await startIntake({ sqlitePath: tmp.file('intake.sqlite') });
    closers.push(() => intake.close());
    for (const ret of cityReturns().slice(0, 12)) {
      const p = await makePackage(ret);
      const res = await fetch(`${intake.url}/api/v1/packages`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${await intake.unitToken(ret.unit)}`,
          'content-type': 'application/octet-stream',
        },
        body: new Uint8Array(p.bytes),
      });
      expect(res.status, await res.text()).toBeLessThan(300);
    }
    const city = await openNode(tmp.file('city.sqlite'), { delivery: { autoStart: false, requestTimeoutMs: 10_000 } });
    closers.push(() => city.close());
    await call(city, 'app.setup', { role: 'city' });
    await call(city, 'delivery.configure', { serverUrl: intake.url, token: await intake.cityToken() });
    const pulled = await call(city, 'city.pull', {});
    expect(pulled.results.filter((r) => r.outcome === 'imported')).toHaveLength(12);
    // Before: one verified copy of the whole database per package (12), pruned to the 10 most recent:
    // the copy from before the pull was gone, and a pull of 114 packages copied the database 114 times.
    const { items } = await call(city, 'backups.list', {});
    expect(items.filter((b) => b.reason === 'import')).toHaveLength(1);
    // A later pull with nothing new makes none.
    await call(city, 'city.pull', {});
    expect((await call(city, 'backups.list', {})).items.filter((b) => b.reason === 'import')).toHaveLength(1);
  }, 120_000);
});

describe('delivery: a Retry-After longer than a timer can wait', () => {
  it('a server answering 503 with Retry-After of 40 days is not asked again at once, over and over', async () => {
    tmp ??= tempDir();
    let requests = 0;
    const server = http.createServer((_req, res) => {
      requests++;
      res.writeHead(503, { 'retry-after': String(40 * 24 * 3600), 'content-type': 'text/plain' }).end('busy');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const commune = await openCommune(tmp.file('c.sqlite'), sampleUnit.code, {
      delivery: { baseDelayMs: 20, maxDelayMs: 60_000, startDelayMs: 10, pollIntervalMs: 150, requestTimeoutMs: 5_000 },
    });
    closers.push(() => commune.close());
    await commune.submitReturnJson({ ...sampleReturn(), period: '2026-Q2' });
    await call(commune, 'delivery.configure', { serverUrl: url, token: 'a-token-of-the-unit' });
    const after = requests;
    await new Promise((r) => setTimeout(r, 1500));
    // Before: 40 days overflow Node's timer (at most 24.8 days), which then fires after 1 ms:
    // the sender asked the server again and again without pause (hundreds of requests a second).
    expect(requests - after).toBeLessThanOrEqual(2);
    const status = await call(commune, 'delivery.status', {});
    expect(status.items[0]!.state).not.toBe('sent');
  }, 60_000);
});

describe('command line: a mistyped --db is not a new, empty database', () => {
  it('consolidate, conflicts, conflicts resolve, units export, and units restore refuse a file that does not exist, and create none', async () => {
    tmp ??= tempDir();
    const missing = tmp.file('thanh-pho-go-nham.sqlite');
    const runs = [
      ['consolidate', '--db', missing, '--period', '2026-Q2', '--out', tmp.file('tong-hop.xlsx')],
      ['conflicts', '--db', missing],
      ['conflicts', 'resolve', '--db', missing, '1', '--keep', 'existing'],
      ['units', 'export', '--db', missing, '--out', tmp.file('ds.csv')],
      ['units', 'restore', '--db', missing, 'haiphong', '--dry-run'],
    ];
    for (const args of runs) {
      const r = await runCli(args, { timeoutMs: 60_000 });
      // Before: a new empty database was created and the clerk read "0/114 đơn vị đã nộp" (with a
      // workbook of zeros), "Không có xung đột nào", the shipped list.
      expect(r.code, `${args.slice(0, 2).join(' ')}: ${r.stdout}${r.stderr}`).toBe(1);
      expect(r.stderr).toMatch(
        /Không tìm thấy tệp dữ liệu .*thanh-pho-go-nham\.sqlite.*Hãy kiểm tra lại đường dẫn sau --db/,
      );
      expect(existsSync(missing), args.join(' ')).toBe(false);
    }
    expect(existsSync(tmp.file('tong-hop.xlsx'))).toBe(false);
    // A mistyped period is refused too, not answered "Không có xung đột nào đang chờ xử lý".
    const db = tmp.file('city.sqlite');
    const core = await openCore(db);
    await call(core, 'app.setup', { role: 'city' });
    await core.close();
    const period = await runCli(['conflicts', '--db', db, '--period', '2026-Q9'], { timeoutMs: 60_000 });
    expect(period.code).toBe(1);
    expect(period.stderr).toMatch(/Kỳ báo cáo "2026-Q9" không hợp lệ/);
  }, 180_000);
});

describe('unit list preview: a change of first periods is shown, not "nothing changes"', () => {
  it('a list setting the first period of 5 units (and the shipped list dropping them again) lists those 5, in the core and the command line', async () => {
    tmp ??= tempDir();
    const shipped = readFileSync(path.join(resourcesDir, 'units/haiphong.csv'), 'utf8').trim().split(/\r?\n/);
    const withFirst =
      [`${shipped[0]},first_period`, ...shipped.slice(1).map((l, i) => `${l},${i < 5 ? '2027-Q1' : ''}`)].join('\n') + // the shipped columns (issue 8: co_hdnd too)
      '\n';
    const file = tmp.file('ky-dau-tien.csv');
    writeFileSync(file, withFirst);
    const db = tmp.file('city.sqlite');
    const core = await openCore(db);
    const preview = await core.city.importUnitList('ky-dau-tien.csv', Buffer.from(withFirst), { dryRun: true });
    // Before: added, removed and renamed empty and nothing else: "Không có đơn vị nào thay đổi",
    // while 5 units would no longer be expected before Quý I/2027.
    expect(preview.firstPeriods).toHaveLength(5);
    expect(preview.firstPeriods![0]).toMatchObject({ before: null, after: '2027-Q1' });
    await core.city.importUnitList('ky-dau-tien.csv', Buffer.from(withFirst));
    const back = await core.city.importUnitList('haiphong.csv', Buffer.from(shipped.join('\n') + '\n'), {
      dryRun: true,
    });
    expect(back.firstPeriods).toHaveLength(5);
    expect(back.firstPeriods![0]).toMatchObject({ before: '2027-Q1', after: null });
    await core.close();
    const cli = await runCli(
      ['units', 'import', '--db', db, path.join(resourcesDir, 'units/haiphong.csv'), '--dry-run'],
      { timeoutMs: 60_000 },
    );
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).not.toMatch(/Không có đơn vị nào thay đổi/);
    expect(cli.stdout).toMatch(/Đổi kỳ báo cáo đầu tiên 5: .*Quý I\/2027 → không đặt/);
  }, 120_000);
});

describe('pull: a listing that says "more" without moving on', () => {
  it('a server answering more: true with the same cursor and no package ends the pull with a Vietnamese sentence, not an endless loop', async () => {
    tmp ??= tempDir();
    let listings = 0;
    const server = http.createServer((req, res) => {
      const now = new Date().toISOString();
      if (req.url?.startsWith('/api/v1/packages?')) {
        listings++;
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ packages: [], cursor: '7', more: true, serverTime: now }));
      } else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, time: now }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const city = await openNode(tmp.file('city.sqlite'), { delivery: { autoStart: false, requestTimeoutMs: 5_000 } });
    closers.push(() => city.close());
    await call(city, 'app.setup', { role: 'city' });
    await call(city, 'delivery.configure', { serverUrl: url, token: 'a-token-of-the-city' }).catch(() => undefined);
    // Before: the pull asked for the same page for ever (the command line never returned).
    const pulled = await Promise.race([
      call(city, 'city.pull', {}),
      new Promise<'endless'>((r) => setTimeout(() => r('endless'), 15_000)),
    ]);
    expect(pulled, `${listings} listings`).not.toBe('endless');
    if (pulled === 'endless') return;
    expect(listings).toBeLessThan(5);
    expect(pulled.connection.lastError).toMatch(/trả lời không hợp lệ/);
  }, 60_000);
});

describe('a period is pinned to a list by its reports, not by a look at it', () => {
  it('looking at an empty Quý III/2026 before a merger list arrives does not keep Quý III on the old list', async () => {
    tmp ??= tempDir();
    const core = await openCore(tmp.file('city.sqlite'));
    closers.push(() => core.close());
    await call(core, 'app.setup', { role: 'city' });
    const q3 = { template: 'BC-CX', period: '2026-Q3' };
    // The clerk looks at the coming period (completeness, Biểu tổng hợp) while no report is in.
    expect((await call(core, 'city.completeness', q3)).counts.expected).toBe(114);
    await call(core, 'city.consolidation', q3);
    // Then the merger list arrives: two units become one.
    const shipped = readFileSync(path.join(resourcesDir, 'units/haiphong.csv'), 'utf8').trim().split(/\r?\n/);
    const merged = [shipped[0], ...shipped.slice(3), '99001,xã,Xã Hợp Nhất'].join('\n') + '\n';
    await core.city.importUnitList('sap-nhap.csv', Buffer.from(merged));
    // Before: Quý III stayed on the old list (114, the merged commune "not in the list"), only
    // because it had been looked at.
    const after = await call(core, 'city.completeness', q3);
    expect(after.counts.expected).toBe(113);
    expect(after.unitListVersion).toBe(after.currentUnitListVersion);
    // A period with reports keeps its list (issue 7 item 10): unchanged.
  });
});

describe('unit list with garbled Vietnamese (a UTF-8 CSV opened as ANSI in Excel and saved again)', () => {
  it('an .xlsx or a UTF-8 CSV holding "phÆ°á»ng" is refused with a sentence about the encoding and how to fix it', async () => {
    tmp ??= tempDir();
    const core = await openCore(tmp.file('city.sqlite'));
    closers.push(() => core.close());
    const shipped = readFileSync(path.join(resourcesDir, 'units/haiphong.csv'), 'utf8');
    // What Excel shows after reading UTF-8 bytes as Windows-1252/Latin-1.
    const garbled = Buffer.from(shipped, 'utf8').toString('latin1');
    const { default: ExcelJS } = await import('exceljs');
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('Sheet1');
    for (const line of garbled.trim().split(/\r?\n/)) ws.addRow(line.split(','));
    const xlsx = Buffer.from(await wb.xlsx.writeBuffer());
    for (const [name, bytes] of [
      ['danh-sach.xlsx', xlsx],
      ['danh-sach.csv', Buffer.from(garbled, 'utf8')],
    ] as const) {
      const refused = await core.city.importUnitList(name, bytes, { dryRun: true }).then(
        () => null,
        (e: Error) => e.message,
      );
      // Before: 114 lines of 'loại "phÆ°á»ng" không hợp lệ', nothing about the cause.
      expect(refused, name).toMatch(/lỗi mã|bảng mã/);
      expect(refused).toMatch(/phÆ°á»ng|Æ°/);
      expect(refused).toMatch(/UTF-8/);
      expect(refused).not.toMatch(/không hợp lệ \(chỉ dùng/);
    }
  });
});
