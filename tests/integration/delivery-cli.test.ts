/**
 * The delivery commands of the real command line (node bin/commune-returns.js): `intake` (a real
 * server process), `intake token`, `send` and `pull`, with their exit codes and Vietnamese lines.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, hasStack, runCli } from '../helpers/cli.js';
import { startFlakyProxy } from '../helpers/flaky-proxy.js';
import { repoRoot, sampleReturn, tempDir } from '../helpers/sample.js';

let tmp: ReturnType<typeof tempDir>;
let server: { url: string; stop(): Promise<number | null> };

/** `intake --db … --port 0`, resolved once it prints its address. */
function startIntakeCli(args: string[]): Promise<typeof server> {
  const child = spawn(process.execPath, [BIN, 'intake', ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DATABASE_URL: '' },
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', () => undefined);
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`intake did not start: ${out}`)), 60_000);
    child.stdout.on('data', () => {
      const m = /đang chạy tại (http:\/\/127\.0\.0\.1:\d+)\/api\/v1/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      resolve({
        url: m[1]!,
        stop: () => {
          child.kill('SIGTERM');
          return exited;
        },
      });
    });
    void exited.then((code) => reject(new Error(`intake exited with ${code}: ${out}`)));
  });
}

const lastLine = (s: string) => s.trim().split('\n').at(-1)!.trim();
const clean = (r: { stdout: string; stderr: string }) => expect(hasStack(r.stdout + r.stderr)).toBe(false);

beforeAll(async () => {
  tmp = tempDir('cr-delivery-cli-');
  server = await startIntakeCli(['--db', tmp.file('server.sqlite'), '--port', '0']);
});
afterAll(async () => {
  expect(await server?.stop()).toBe(0);
  tmp?.cleanup();
});

describe('intake, send and pull', () => {
  it('a commune sends with a token issued on the command line; the city pulls and imports', async () => {
    const issued = await runCli(['intake', 'token', '--db', tmp.file('server.sqlite'), '--unit', '11948']);
    expect(issued.code, issued.stderr).toBe(0);
    expect(issued.stdout).toMatch(/Đã cấp mã truy cập cho Đặc khu Bạch Long Vĩ/);
    const token = lastLine(issued.stdout);
    expect(token).toMatch(/^hpx_\S{20,}$/);

    const db = tmp.file('commune.sqlite');
    expect((await runCli(['submit', '--db', db, '--from-json', tmp.writeJson('r.json', sampleReturn())])).code).toBe(0);
    const sent = await runCli(['send', '--db', db, '--server', server.url, '--token', token]);
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stdout).toMatch(/Quý II\/2026, lần nộp 1: đã gửi lúc \d\d\/\d\d\/\d{4} \d\d:\d\d\./);
    expect(sent.stdout).toMatch(/Không còn báo cáo nào chờ gửi/);
    clean(sent);
    // Nothing left: a second run is a no-op that still exits 0.
    expect((await runCli(['send', '--db', db, '--server', server.url, '--token', token])).code).toBe(0);

    const cityToken = lastLine((await runCli(['intake', 'token', '--db', tmp.file('server.sqlite'), '--city'])).stdout);
    const city = tmp.file('city.sqlite');
    const pulled = await runCli(['pull', '--db', city, '--server', server.url, '--token', cityToken]);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(pulled.stdout).toMatch(/BC-CX_11948_2026-Q2_r1\.xlsx\s+đã nhập\s+Đặc khu Bạch Long Vĩ\s+1/);
    expect(pulled.stdout).toMatch(/Đã lấy 1 gói mới từ máy chủ — đã nhập 1/);
    const again = await runCli(['pull', '--db', city, '--server', server.url, '--token', cityToken, '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ results: [], connection: { configured: true, lastError: null } });
  });

  it('send exits non-zero, saying what is left and why, when the server cannot be reached or refuses', async () => {
    const issued = await runCli(['intake', 'token', '--db', tmp.file('server.sqlite'), '--unit', '11948']);
    const token = lastLine(issued.stdout);
    const db = tmp.file('commune-2.sqlite');
    expect((await runCli(['submit', '--db', db, '--from-json', tmp.writeJson('r2.json', sampleReturn())])).code).toBe(
      0,
    );

    const gone = await startFlakyProxy(server.url);
    const nowhere = gone.url;
    await gone.close();
    const offline = await runCli(['send', '--db', db, '--server', nowhere, '--token', token]);
    expect(offline.code).toBe(1);
    expect(offline.stdout).toMatch(/Quý II\/2026, lần nộp 1: chờ gửi\./);
    expect(offline.stderr).toMatch(
      /Còn 1 báo cáo chưa gửi được\. Chưa kết nối được tới máy chủ thành phố.*Không cần làm gì/,
    );
    clean(offline);

    const other = lastLine(
      (await runCli(['intake', 'token', '--db', tmp.file('server.sqlite'), '--unit', '11311'])).stdout,
    );
    const refused = await runCli(['send', '--db', db, '--server', server.url, '--token', other]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /Còn 1 báo cáo chưa gửi được\. Máy chủ thành phố không nhận báo cáo Quý II\/2026, lần nộp 1\. Gói báo cáo này là của đơn vị mã 11948/,
    );
    clean(refused);

    const ok = await runCli(['send', '--db', db, '--server', `${server.url}/api/v1`, '--token', token]);
    expect(ok.code, ok.stderr).toBe(0);
  });

  it('refuses bad use with a Vietnamese sentence', async () => {
    const both = await runCli(['intake', 'token', '--db', tmp.file('server.sqlite')]);
    expect(both.code).toBe(1);
    expect(both.stderr).toMatch(/Hãy chọn đúng một trong hai: --unit <mã đơn vị>.*hoặc --city/);
    const missing = await runCli(['send', '--db', tmp.file('x.sqlite'), '--token', 'hpx_x']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/Thiếu tùy chọn bắt buộc --server/);
    const badUrl = await runCli(['send', '--db', tmp.file('x.sqlite'), '--server', 'may-chu', '--token', 'hpx_x']);
    expect(badUrl.code).toBe(1);
    expect(badUrl.stderr).toMatch(/--server: "may-chu" không phải địa chỉ máy chủ/);
    const empty = await runCli(['send', '--db', tmp.file('empty.sqlite'), '--server', server.url, '--token', 'hpx_x']);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toMatch(/chưa có đơn vị.*Hãy nộp báo cáo trước/);
    const cityDb = await runCli([
      'pull',
      '--db',
      tmp.file('commune.sqlite'),
      '--server',
      server.url,
      '--token',
      'hpx_x',
    ]);
    expect(cityDb.code).toBe(1);
    expect(cityDb.stderr).toMatch(/vai trò Xã, phường, đặc khu/);
    for (const r of [both, missing, badUrl, empty, cityDb]) clean(r);
  });
});
