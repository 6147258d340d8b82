/**
 * Issue 9 "Command line", the city side (engineer "issuing"): request create / export / amend /
 * withdraw, requests, city key export / import, each run as a child process
 * (node bin/commune-returns.js), with the failure exits. The clock is the machine's: deadlines are
 * set relative to today in Vietnam.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestEdition, RequestSummary } from '../../shared/index.js';
import { fingerprintOf, keyIdOf, openSignedFile } from '../../core/requests/sign.js';
import { hasStack, runCli } from '../helpers/cli.js';
import { repoRoot, tempDir } from '../helpers/sample.js';

let tmp: ReturnType<typeof tempDir>;
beforeAll(() => {
  tmp = tempDir('cr-i9-issuing-cli-');
});
afterAll(() => tmp.cleanup());

const clean = (r: { stdout: string; stderr: string }) => expect(hasStack(r.stdout + r.stderr)).toBe(false);
/** An ISO date `days` from today in Vietnam. */
const inDays = (days: number) => new Date(Date.now() + 7 * 3600_000 + days * 86_400_000).toISOString().slice(0, 10);
const vn = (iso: string) => iso.split('-').map(Number).reverse().join('/');

const create = (db: string, extra: string[] = [], due = inDays(20)) =>
  runCli([
    'request',
    'create',
    '--db',
    db,
    '--template',
    'TSC',
    '--ref',
    '1234/UBND-NVKTGS',
    '--title',
    'Rà soát trụ sở, tài sản công',
    '--due',
    due,
    '--due-wording',
    'trong',
    '--department',
    'Sở Tài chính',
    '--period',
    '2026-H2',
    ...extra,
  ]);

// Each test spawns the command line several times (a few seconds each on a busy machine).
describe('request create, export, amend, withdraw', { timeout: 240_000 }, () => {
  it('create prints only the id; export writes a file that verifies with the exported city key; amend and withdraw make editions', async () => {
    const db = tmp.file('city.sqlite');
    let r = await create(db, ['--units', 'xã,đặc khu']);
    expect(r.code, r.stderr).toBe(0);
    clean(r);
    const year = inDays(0).slice(0, 4);
    expect(r.stdout).toBe(`YC-${year}-0001\n`);
    const id = r.stdout.trim();

    // --period (set by create()) and --as-of together: refused, saying to give one of them.
    r = await create(db, ['--units', '11948,11560', '--as-of', inDays(0)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Hãy cho đúng một trong hai: --period/);

    const pem = tmp.file('city.pem');
    r = await runCli(['city', 'key', 'export', '--db', db, '--out', pem]);
    expect(r.code, r.stderr).toBe(0);
    const publicPem = readFileSync(pem, 'utf8');
    expect(publicPem).toMatch(/^-----BEGIN PUBLIC KEY-----\n[\s\S]+-----END PUBLIC KEY-----\n$/);
    expect(r.stdout).toContain(fingerprintOf(publicPem));

    const out = tmp.file('yeu-cau.json');
    r = await runCli(['request', 'export', '--db', db, '--id', id, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const opened = openSignedFile(readFileSync(out), publicPem, ['request']);
    const { request, templates } = opened.payload as { request: RequestEdition; templates: { id: string }[] };
    expect(request).toMatchObject({
      id,
      edition: 1,
      template: 'TSC',
      period: '2026-H2',
      department: 'Sở Tài chính',
      addressees: { kind: 'types', types: ['xã', 'đặc khu'] },
    });
    expect(request.units).toHaveLength(69);
    expect(request.ref).toEqual({
      number: '1234/UBND-NVKTGS',
      date: inDays(0),
      summary: 'Rà soát trụ sở, tài sản công',
    });
    expect(templates.map((t) => t.id)).toEqual(['TSC']);

    // Amend: a later deadline and the phường too.
    r = await runCli([
      'request',
      'amend',
      '--db',
      db,
      '--id',
      id,
      '--due',
      inDays(30),
      '--add-units',
      'phường',
      '--note',
      'Gia hạn, thêm các phường',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Đã ra bản 2 của yêu cầu ${id} (114 đơn vị`);
    // An earlier deadline: refused with the reason.
    r = await runCli(['request', 'amend', '--db', db, '--id', id, '--due', inDays(25), '--note', 'Rút ngắn']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/sớm hơn hạn hiện tại.*Bản mới chỉ được gia hạn/);
    clean(r);

    r = await runCli(['requests', '--db', db]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(
        `${id}\\s+Rà soát trụ sở, tài sản công\\s+chậm nhất trong ngày ${vn(inDays(30))}\\s+Sở Tài chính\\s+0/114\\s+0\\s+114`,
      ),
    );
    r = await runCli(['requests', '--db', db, '--json']);
    const list = JSON.parse(r.stdout) as RequestSummary[];
    expect(list.map((s) => [s.id, s.edition, s.counts.expected])).toEqual([[id, 2, 114]]);

    r = await runCli(['request', 'withdraw', '--db', db, '--id', id, '--reason', 'Đã có số liệu']);
    expect(r.code, r.stderr).toBe(0);
    r = await runCli(['request', 'export', '--db', db, '--id', id, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect((openSignedFile(readFileSync(out), publicPem).payload as { request: RequestEdition }).request).toMatchObject(
      { edition: 3, state: 'withdrawn', note: 'Đã có số liệu' },
    );
    r = await runCli(['requests', '--db', db, '--json']);
    expect(JSON.parse(r.stdout)).toEqual([]);
  });

  it('a past deadline, an unknown template, bad units exit 1 with a Vietnamese reason; a missing option exits 2', async () => {
    const db = tmp.file('refusals.sqlite');
    let r = await create(db, ['--units', 'all'], inDays(-1));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^Lỗi: Chưa ra được yêu cầu: Hạn nộp .* đã qua \(hôm nay là .*\)\. Hãy chọn hạn nộp từ hôm nay trở đi\./,
    );
    expect(r.stdout).toBe('');
    clean(r);
    r = await runCli([
      'request',
      'create',
      '--db',
      db,
      '--template',
      'BC-XX',
      '--ref',
      '1',
      '--title',
      't',
      '--due',
      inDays(5),
      '--due-wording',
      'trong',
      '--units',
      'all',
      '--department',
      'Sở Nội vụ',
      '--period',
      '2026',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/không có mẫu báo cáo "BC-XX"/);
    r = await create(db, ['--units', 'co_hdnd=có']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /Không đơn vị nào có co_hdnd = "có"\. Hãy dùng một giá trị có trong danh sách đơn vị: 1, 0/,
    );
    r = await create(db, ['--units', '1194']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/mã đơn vị 1194 không đúng/);
    r = await create(db, ['--units', 'all', '--due-wording', 'sau']);
    expect(r.code).toBe(1);
    r = await runCli(['request', 'create', '--db', db, '--template', 'TSC']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Thiếu tùy chọn bắt buộc/);
    // Nothing was issued.
    r = await runCli(['requests', '--db', db, '--json']);
    expect(JSON.parse(r.stdout)).toEqual([]);
  });

  it('city key import installs the given private key: files then verify with the matching public key', async () => {
    const db = tmp.file('keyed.sqlite');
    const priv = `${repoRoot}/tests/fixtures/keys/city-private.pem`;
    const shipped = readFileSync(`${repoRoot}/resources/keys/city-public.pem`, 'utf8');
    let r = await runCli(['city', 'key', 'import', '--db', db, '--in', priv]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(fingerprintOf(shipped));
    r = await create(db, ['--units', '11948']);
    expect(r.code, r.stderr).toBe(0);
    const out = tmp.file('keyed.json');
    r = await runCli(['request', 'export', '--db', db, '--id', r.stdout.trim(), '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(openSignedFile(readFileSync(out), shipped).keyId).toBe(keyIdOf(shipped));
    // Not a key: refused.
    r = await runCli(['city', 'key', 'import', '--db', db, '--in', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Tệp khóa bí mật không đúng/);
  });

  it('refuses the city commands on a commune database', async () => {
    const db = tmp.file('commune.sqlite');
    const { openCore, call } = await import('../helpers/core.js');
    const c = await openCore(db);
    await call(c, 'app.setup', { role: 'commune', unitCode: '11948' });
    await c.close();
    const r = await create(db, ['--units', 'all']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/chỉ Thành phố ra yêu cầu báo cáo/);
    clean(r);
    // `requests` on a commune database: what the office owes (cli/commune-requests.ts), not the city's list.
    const owes = await runCli(['requests', '--db', db, '--json']);
    expect(owes.code, owes.stderr).toBe(0);
    expect(Array.isArray(JSON.parse(owes.stdout))).toBe(false);
  });
});
