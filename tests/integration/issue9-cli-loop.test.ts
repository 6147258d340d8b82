/**
 * Issue 9 "Command line", end to end (engineer "loop"): one realistic sequence, each command a
 * real process (node bin/commune-returns.js) on real SQLite files, the machine's clock (deadlines
 * set from today in Vietnam):
 *
 *   city:    user add (password on stdin) → city key export → request create (prints the id) → request export
 *   commune: trust --key → request import (a tampered copy exit 1 with the reason; the file exit 0)
 *            → requests --json → submit --request --out (the package file)
 *   city:    import → requests --json (counts) → consolidate --request
 *
 * The commune office is set up in-process (the app's first-start step; the command line has none).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import ExcelJS from 'exceljs';
import { afterAll, describe, expect, it } from 'vitest';
import type { RequestEdition, RequestSummary, TodoItem } from '../../shared/index.js';
import { openSignedFile } from '../../core/requests/sign.js';
import { sampleJson } from '../../core/templates/handlers.js';
import type { CliResult } from '../helpers/cli.js';
import { BIN, hasStack, runCli } from '../helpers/cli.js';
import { call, openCore } from '../helpers/core.js';
import { repoRoot, tempDir } from '../helpers/sample.js';

const tmp = tempDir('cr-i9-cli-loop-');
afterAll(() => tmp.cleanup());

const UNIT = '11948'; // Đặc khu Bạch Long Vĩ
const OTHER = '11557'; // Phường Thiên Hương: addressed, never files
/** An ISO date `days` from today in Vietnam. */
const inDays = (days: number) => new Date(Date.now() + 7 * 3600_000 + days * 86_400_000).toISOString().slice(0, 10);
const vn = (iso: string) => iso.split('-').map(Number).reverse().join('/');

/** The command line with `input` on its standard input (runCli gives none). */
function runWithStdin(args: string[], input: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

const ok = (r: CliResult) => {
  expect(r.stderr, r.stderr).toBe('');
  expect(r.code).toBe(0);
};

describe('the command line of issue 9, city → commune → city', { timeout: 300_000 }, () => {
  it('issues a request, the office receives it and files it, the city imports and consolidates it', async () => {
    const cityDb = tmp.file('city.sqlite');
    const communeDb = tmp.file('commune.sqlite');

    // City: the first administrator, the password from standard input.
    let r = await runWithStdin(
      ['user', 'add', '--db', cityDb, '--name', 'quantri', '--department', 'Sở Nội vụ', '--admin'],
      'mat-khau-du-dai\n',
    );
    ok(r);
    expect(r.stdout).toMatch(/quantri/);
    expect(r.stdout + r.stderr).not.toContain('mat-khau-du-dai');

    // The city's public key, for the office.
    const pem = tmp.file('khoa-thanh-pho.pem');
    r = await runCli(['city', 'key', 'export', '--db', cityDb, '--out', pem]);
    ok(r);
    const publicPem = readFileSync(pem, 'utf8');
    expect(publicPem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    const fingerprint = /[0-9A-F]{4}( [0-9A-F]{4}){3}/.exec(r.stdout)?.[0];
    expect(fingerprint).toBeTruthy();

    // The request: BC-CX as of today, two units, "trong ngày" ten days from now.
    const asOf = inDays(-1);
    const due = inDays(10);
    r = await runCli([
      'request',
      'create',
      '--db',
      cityDb,
      '--template',
      'BC-CX@1',
      '--ref',
      '1234/UBND-NVKTGS',
      '--ref-date',
      asOf,
      '--title',
      'Rà soát biên chế cấp xã',
      '--due',
      due,
      '--due-wording',
      'trong',
      '--units',
      `${UNIT},${OTHER}`,
      '--department',
      'Sở Nội vụ',
      '--as-of',
      asOf,
    ]);
    ok(r);
    expect(r.stdout).toMatch(/^YC-\d{4}-\d{4}\n$/);
    const id = r.stdout.trim();

    const requestFile = tmp.file(`yeu-cau-${id}-lan-1.json`);
    r = await runCli(['request', 'export', '--db', cityDb, '--id', id, '--out', requestFile]);
    ok(r);
    const { request } = openSignedFile(readFileSync(requestFile), publicPem, ['request']).payload as {
      request: RequestEdition;
    };
    expect(request).toMatchObject({ id, edition: 1, period: asOf, due, dueWording: 'trong', department: 'Sở Nội vụ' });
    expect([...request.units].sort()).toEqual([OTHER, UNIT].sort());

    // Commune: set up at first start (in-process), then trust the city's key.
    const setup = await openCore(communeDb);
    await call(setup, 'app.setup', { role: 'commune', unitCode: UNIT });
    const template = setup.resources.getTemplate('BC-CX', 1)!;
    const unit = (await call(setup, 'units.list', {})).units.find((u) => u.code === UNIT)!;
    await setup.close();
    r = await runCli(['trust', '--db', communeDb, '--key', pem]);
    ok(r);
    expect(r.stdout).toContain(`dấu vân tay ${fingerprint}`);

    // A copy with one byte of its signed content changed: exit 1 with the reason, nothing stored.
    const signed = JSON.parse(readFileSync(requestFile, 'utf8')) as { payload: string };
    const payload = Buffer.from(signed.payload, 'base64');
    payload[50] = payload[50]! ^ 0x01;
    const tampered = tmp.file('yeu-cau-sua.json');
    writeFileSync(tampered, JSON.stringify({ ...signed, payload: payload.toString('base64') }));
    r = await runCli(['request', 'import', '--db', communeDb, tampered]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /^Lỗi: Tệp này đã bị sửa sau khi Thành phố ký \(chữ ký không khớp nội dung\) nên không được nhận\./,
    );
    expect(hasStack(r.stderr)).toBe(false);

    r = await runCli(['request', 'import', '--db', communeDb, requestFile]);
    ok(r);
    expect(r.stdout).toBe(
      `Đã nhận yêu cầu ${id} "Rà soát biên chế cấp xã" (Số 1234/UBND-NVKTGS ngày ${vn(asOf).replace(/\b(\d)\b/g, '0$1')}), chậm nhất trong ngày ${vn(due)}. Yêu cầu đã có trong Việc phải nộp.\n`,
    );

    r = await runCli(['requests', '--db', communeDb, '--json']);
    ok(r);
    const todo = JSON.parse(r.stdout) as { items: TodoItem[]; done: TodoItem[] };
    const mine = todo.items.filter((i) => i.kind === 'request');
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({
      requestId: id,
      edition: 1,
      period: asOf,
      deadlineText: `chậm nhất trong ngày ${vn(due)}`,
      // 10 days (9 when midnight in Vietnam passed since the request was made).
      timeLeft: expect.stringMatching(/^còn (10|9) ngày$/),
      addressee: 'Kính gửi: UBND thành phố (qua Sở Nội vụ)',
      state: 'not_started',
    });

    // The return (the sample's figures), template and period left to the request; the package written beside.
    const { template: _t, templateVersion: _v, period: _p, ...ret } = sampleJson(template, unit, asOf, 5);
    const json = tmp.file('bao-cao.json');
    writeFileSync(json, JSON.stringify(ret));
    const pkgDir = tmp.dir;
    // Where the package cannot be written: refused before anything is submitted.
    r = await runCli([
      'submit',
      '--db',
      communeDb,
      '--from-json',
      json,
      '--request',
      id,
      '--out',
      tmp.file('khong-co/goi.xlsx'),
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Lỗi: --out: thư mục ".*khong-co" không tồn tại\. .*chưa nộp gì\.\n$/);
    r = await runCli([
      'submit',
      '--db',
      communeDb,
      '--from-json',
      json,
      '--request',
      id,
      '--by',
      'Nguyễn Văn An',
      '--out',
      pkgDir,
    ]);
    ok(r);
    expect(r.stdout).toMatch(
      /^Đã nộp lần 1 của báo cáo Đặc khu Bạch Long Vĩ, Đến ngày .*\. Mã gói: [0-9a-f-]{36}\nĐã ghi gói báo cáo: (.+\.xlsx)\n$/,
    );
    const pkg = /Đã ghi gói báo cáo: (.+\.xlsx)/.exec(r.stdout)![1]!;
    expect(existsSync(pkg)).toBe(true);
    // The package carries the request: "Kính gửi" and the reference on its first sheet, its id in the identity.
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(readFileSync(pkg) as unknown as ExcelJS.Buffer);
    expect(String(wb.worksheets[0]!.getCell(9, 1).value)).toBe('Kính gửi: UBND thành phố (qua Sở Nội vụ)');
    const identity = new Map<string, string>();
    wb.getWorksheet('_identity')?.eachRow((row) =>
      identity.set(String(row.getCell(1).value), String(row.getCell(2).value)),
    );
    expect(identity.get('requestId')).toBe(id);

    // City: import the package, then the request's counts and its consolidation.
    r = await runCli(['import', '--db', cityDb, pkg, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^\[1\] BC-CX_11948_.*_r1\.xlsx: đã nhập\n$/); // progress, one line per file
    expect(JSON.parse(r.stdout)).toMatchObject({ results: [{ outcome: 'imported', unit: UNIT, period: asOf }] });

    r = await runCli(['requests', '--db', cityDb, '--json']);
    ok(r);
    const list = JSON.parse(r.stdout) as RequestSummary[];
    expect(list.map((s) => [s.id, s.edition, s.state])).toEqual([[id, 1, 'open']]);
    expect(list[0]!.counts).toEqual({
      expected: 2,
      submitted: 1,
      on_time: 1,
      late: 0,
      missing: 1,
      accepted: 0,
      returned: 0,
    });

    const out = tmp.file('tong-hop.xlsx');
    r = await runCli(['consolidate', '--db', cityDb, '--request', id, '--out', out]);
    ok(r);
    expect(r.stdout).toContain(`Đã ghi Biểu tổng hợp của yêu cầu ${id}`);
    expect(r.stdout).toContain('1/2 đơn vị đã nộp');
    const th = new ExcelJS.Workbook();
    await th.xlsx.load(readFileSync(out) as unknown as ExcelJS.Buffer);
    expect(String(th.worksheets[0]!.getCell('A5').value)).toContain(
      `Yêu cầu ${id} — Số 1234/UBND-NVKTGS: Rà soát biên chế cấp xã`,
    );
    const codes: string[] = [];
    th.getWorksheet('Tình hình nộp')!.eachRow((row) => {
      const v = row.getCell(2).value;
      if (typeof v === 'string' && /^\d{5}$/.test(v)) codes.push(v);
    });
    expect(codes.sort()).toEqual([OTHER, UNIT].sort());
  });
});
