/**
 * Issue 9 (followup): a request's completeness by its own addressees and deadline wording (the
 * edge minutes of "trong ngày" and "trước ngày" in Vietnam time), its consolidation restricted to
 * the units it addresses, reminders (online by the network pull, offline with contacts), the list
 * of units not submitted as a workbook, department scoping, and `consolidate --request`.
 * Real SQLite file, real packages (.xlsx) imported at the city, real workbooks read with ExcelJS,
 * LibreOffice printing the request's consolidation to PDF, the real command line.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Consolidation, ReturnJson, Unit } from '../../shared/index.js';
import { consolidate } from '../../shared/index.js';
import type { Core } from '../../core/handlers.js';
import { installCityKey } from '../../core/requests/sign.js';
import { runAsUser } from '../../core/users/context.js';
import { call, openCore } from '../helpers/core.js';
import { runCli } from '../helpers/cli.js';
import { repoRoot, tempDir } from '../helpers/sample.js';
import { haiphongUnits } from '../helpers/city-returns.js';
import { cityReturnOf, makePackage, template } from '../helpers/city-packages.js';

const SOFFICE = process.env.SOFFICE_PATH ?? '/usr/bin/soffice';
const OUT = path.join(repoRoot, 'tests/output/issue9-followup');

const all = haiphongUnits();
// Request A (as of 20/6/2026, "chậm nhất trong ngày 24/6/2026") addresses A1..A5; OUT1 is not addressed.
const [A1, A2, A3, A4, A5, OUT1, B1, B2] = all.slice(0, 8).map((u) => u.code) as [string, string, string, string, string, string, string, string];
const PERIOD_A = '2026-06-20';
// Request B (as of 21/6/2026, "chậm nhất trước ngày 27/6/2026") addresses B1, B2.
const PERIOD_B = '2026-06-21';
const unitOf = (code: string) => all.find((u) => u.code === code)!;

let tmp: ReturnType<typeof tempDir>;
let core: Core;
let sqlite: Database.Database;
let dbFile: string;
let idA: string;
let idB: string;
/** Codes in the order of the city's unit list (the order of completeness and consolidation rows). */
let orderA: (codes: string[]) => string[];
let orderB: (codes: string[]) => string[];

const retOf = (unit: string, period: string): ReturnJson => ({ ...cityReturnOf(unit), period });
async function importAt(unit: string, period: string, submittedAt: string): Promise<string> {
  const p = await makePackage(retOf(unit, period), { submittedAt });
  const [r] = await core.city.importFiles([{ name: p.fileName, bytes: p.bytes }], { dryRun: false, backup: false });
  expect(r!.outcome, r!.message).not.toBe('refused');
  return p.packageId;
}
const request = (over: Record<string, unknown>) =>
  call(core, 'requests.create', {
    template: 'BC-CX',
    templateVersion: 1,
    ref: { number: '1234/UBND-NVKTGS', date: '2026-06-12', summary: 'Rà soát tổ chức bộ máy, biên chế cấp xã' },
    title: 'Rà soát biên chế cấp xã',
    addressees: { kind: 'units', codes: [A1, A2, A3, A4, A5] },
    period: PERIOD_A,
    due: '2026-06-24',
    dueWording: 'trong',
    department: 'Sở Nội vụ',
    instruction: 'Số liệu tính đến ngày 20/6/2026.',
    ...over,
  } as Parameters<typeof call<'requests.create'>>[2]);

beforeAll(async () => {
  tmp = tempDir('cr-i9-followup-');
  dbFile = tmp.file('city.sqlite');
  core = await openCore(dbFile, () => new Date('2026-06-15T03:00:00Z'));
  await core.city.claimCity();
  sqlite = new Database(dbFile);
  sqlite.pragma('busy_timeout = 10000');
  installCityKey(sqlite, readFileSync(path.join(repoRoot, 'tests/fixtures/keys/city-private.pem'), 'utf8'));

  // The city's list with contacts for two units (column names in any case).
  const csv = readFileSync(path.join(repoRoot, 'resources/units/haiphong.csv'), 'utf8').replace(/^\uFEFF/, '').trim().split(/\r?\n/);
  const contacts: Record<string, [string, string]> = { [A4]: ['ubnd.a4@haiphong.gov.vn', ''], [A5]: ['', '0225 3841 555'] };
  const withContacts = [`${csv[0]},Email,DIEN_THOAI`, ...csv.slice(1).map((l) => `${l},${(contacts[l.split(',')[0]!] ?? ['', '']).join(',')}`)].join('\n');
  await core.city.importUnitList('haiphong-lien-he.csv', Buffer.from(withContacts + '\n'), {});

  const a = await request({});
  idA = a.id;
  expect([...a.units].sort()).toEqual([A1, A2, A3, A4, A5].sort());
  orderA = (codes) => all.map((u) => u.code).filter((c) => codes.includes(c));
  const b = await request({
      title: 'Báo cáo nhanh biên chế',
      addressees: { kind: 'units', codes: [B1, B2] },
      period: PERIOD_B,
      due: '2026-06-27',
      dueWording: 'truoc',
    department: 'Sở Nội vụ',
  });
  idB = b.id;
  orderB = (codes) => all.map((u) => u.code).filter((c) => codes.includes(c));

  // A1 at 23:59 on 24/6 in Vietnam (on time), A2 at 00:01 on 25/6 (late), A3 early then returned, A4 and A5 missing.
  await importAt(A1, PERIOD_A, '2026-06-24T16:59:00.000Z');
  await importAt(A2, PERIOD_A, '2026-06-24T17:01:00.000Z');
  await importAt(A3, PERIOD_A, '2026-06-20T02:00:00.000Z');
  await importAt(OUT1, PERIOD_A, '2026-06-21T02:00:00.000Z'); // not addressed: never counted nor summed
  await call(core, 'city.review.decide', { template: 'BC-CX', period: PERIOD_A, unit: A3, revision: 1, decision: 'returned', reason: 'Thiếu số liệu biên chế.' });
  // B: "trước ngày 27/6" ends on the 26th: B1 at 23:59 on 26/6 on time, B2 at 00:01 on 27/6 late.
  await importAt(B1, PERIOD_B, '2026-06-26T16:59:00.000Z');
  await importAt(B2, PERIOD_B, '2026-06-26T17:01:00.000Z');
  // A4 once delivered a package over the network (the pull recorded it): it is reachable online.
  const pulled = await importAt(A4, '2026-Q1', '2026-03-18T03:00:00.000Z');
  sqlite.prepare(`INSERT INTO city_pulled (package_id, outcome, pulled_at) VALUES (?, 'imported', ?)`).run(pulled, '2026-03-19T01:00:00.000Z');
}, 120_000);

afterAll(async () => {
  sqlite?.close();
  await core?.close();
  tmp?.cleanup();
});

describe('completeness by request', () => {
  it('narrows to the addressed units and counts lateness by "trong ngày 24/6" (the 24th included, Vietnam time)', async () => {
    const c = await call(core, 'requests.completeness', { id: idA });
    expect(c.rows.map((r) => r.unit.code)).toEqual(orderA([A1, A2, A3, A4, A5]));
    expect(c.unlisted).toEqual([]);
    const by = new Map(c.rows.map((r) => [r.unit.code, r]));
    expect([by.get(A1)!.state, by.get(A1)!.late]).toEqual(['received', false]);
    expect([by.get(A2)!.state, by.get(A2)!.late]).toEqual(['received', true]);
    expect([by.get(A3)!.state, by.get(A3)!.reason]).toEqual(['returned', 'Thiếu số liệu biên chế.']);
    expect([by.get(A4)!.state, by.get(A5)!.state]).toEqual(['missing', 'missing']);
    expect(c.deadline).toBe('2026-06-24');
    expect(c.counts).toEqual({ expected: 5, submitted: 3, on_time: 2, late: 1, missing: 2, accepted: 0, returned: 1 });
    expect(c.request).toMatchObject({ id: idA, deadlineText: 'chậm nhất trong ngày 24/6/2026', lastDay: '2026-06-24', addresseesLabel: '5 đơn vị', counts: c.counts });
  });

  it('counts "trước ngày 27/6" as ending on the 26th', async () => {
    const c = await call(core, 'requests.completeness', { id: idB });
    expect(c.deadline).toBe('2026-06-26');
    const late = new Map([[B1, false], [B2, true]]);
    expect(c.rows.map((r) => [r.unit.code, r.state, r.late])).toEqual(orderB([B1, B2]).map((code) => [code, 'received', late.get(code)]));
    expect(c.counts).toMatchObject({ expected: 2, submitted: 2, on_time: 1, late: 1 });
  });

  it('lists the same counts in requests.list (the counts issuing shows)', async () => {
    const list = await call(core, 'requests.list', {});
    const a = list.find((r) => r.id === idA)!;
    expect(a.counts).toEqual({ expected: 5, submitted: 3, on_time: 2, late: 1, missing: 2, accepted: 0, returned: 1 });
  });

  it('answers a clerk of another department "not found", and the department\'s clerk its request', async () => {
    const other = { id: 9, name: 'tc', department: 'Sở Tài chính', admin: false };
    await expect(runAsUser(other, () => core.handlers['requests.completeness']({ id: idA }))).rejects.toMatchObject({ code: 'not_found' });
    await expect(runAsUser(other, () => core.handlers['requests.remind']({ id: idA }))).rejects.toMatchObject({ code: 'not_found' });
    const own = { id: 10, name: 'nv', department: 'sở nội vụ', admin: false };
    const c = await runAsUser(own, () => core.handlers['requests.completeness']({ id: idA }));
    expect(c.counts.expected).toBe(5);
    await expect(call(core, 'requests.completeness', { id: 'YC-2026-9999' })).rejects.toMatchObject({ code: 'not_found' });
  });
});

describe('consolidation by request', () => {
  it('sums the addressed units only, late by the request deadline', async () => {
    const c = (await call(core, 'requests.consolidation', { id: idA })) as Consolidation;
    expect(c.rows.map((r) => r.code)).toEqual(orderA([A1, A2, A3, A4, A5]));
    expect(c.unlisted).toEqual([]);
    expect([c.request, c.unitListVersion]).toEqual([idA, expect.stringMatching(/^haiphong-lien-he/)]);
    expect(c.units).toMatchObject({ expected: 5, submitted: 3, late: 1, missing: 2, returned: 1 });
    // The same figures as consolidating A1 and A2 alone (A3 returned adds none; OUT1 is not addressed).
    const units: Unit[] = orderA([A1, A2, A3, A4, A5]).map(unitOf);
    const expected = consolidate(template, {
      period: PERIOD_A,
      units,
      returns: [
        { unit: A1, values: retOf(A1, PERIOD_A).values, state: 'received', submittedAt: '2026-06-24T16:59:00.000Z', late: false },
        { unit: A2, values: retOf(A2, PERIOD_A).values, state: 'received', submittedAt: '2026-06-24T17:01:00.000Z', late: true },
        { unit: A3, values: null, state: 'returned', submittedAt: '2026-06-20T02:00:00.000Z', late: false },
      ],
    });
    const blocks = (x: Consolidation) => Object.fromEntries(Object.entries(x).filter(([k]) => !['rows', 'units', 'unlisted', 'request', 'unitListVersion', 'currentUnitListVersion'].includes(k)));
    expect(blocks(c)).toEqual(blocks(expected));
    // The whole period at the city still holds OUT1: the request's figures differ from it.
    const whole = (await call(core, 'city.consolidation', { template: 'BC-CX', period: PERIOD_A })) as Consolidation;
    expect(whole.units.submitted).toBe(4);
    expect(JSON.stringify(blocks(whole))).not.toBe(JSON.stringify(blocks(c)));
  });

  it('writes the workbook titled with the request, and LibreOffice prints it', async () => {
    const f = await call(core, 'requests.consolidation.export', { id: idA });
    expect(f.fileName).toBe(`tong-hop-${idA}.xlsx`);
    const bytes = Buffer.from(f.data, 'base64');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(bytes as unknown as ExcelJS.Buffer);
    const summary = wb.worksheets[0]!;
    expect(String(summary.getCell('A5').value)).toContain(`Yêu cầu ${idA} — Số 1234/UBND-NVKTGS: Rà soát biên chế cấp xã`);
    expect(String(summary.getCell('A6').value)).toBe('Đơn vị tổng hợp: Sở Nội vụ');
    const sheet = wb.getWorksheet('Tình hình nộp')!;
    const codes: string[] = [];
    sheet.eachRow((row) => {
      const v = row.getCell(2).value;
      if (typeof v === 'string' && /^\d{5}$/.test(v)) codes.push(v);
    });
    expect(codes).toEqual(orderA([A1, A2, A3, A4, A5]));
    mkdirSync(OUT, { recursive: true });
    const xlsx = path.join(OUT, f.fileName);
    writeFileSync(xlsx, bytes);
    if (!existsSync(SOFFICE)) throw new Error(`LibreOffice is needed for this test: soffice not found at ${SOFFICE} (set SOFFICE_PATH).`);
    execFileSync(SOFFICE, [`-env:UserInstallation=file://${path.join(tmp.dir, 'lo')}`, '--headless', '--norestore', '--convert-to', 'pdf', '--outdir', OUT, xlsx], {
      stdio: 'pipe',
      timeout: 180_000,
    });
    expect(readFileSync(path.join(OUT, `tong-hop-${idA}.pdf`)).subarray(0, 5).toString()).toBe('%PDF-');
  }, 200_000);
});

describe('reminders', () => {
  it('lists the units not submitted (missing or returned) with how each is reached', async () => {
    const targets = await call(core, 'requests.remindTargets', { id: idA });
    const how = new Map<string, unknown[]>([
      [A3, [false, null, null]],
      [A4, [true, 'ubnd.a4@haiphong.gov.vn', null]],
      [A5, [false, null, '0225 3841 555']],
    ]);
    expect(targets.map((t) => [t.unit.code, t.online, t.email, t.phone])).toEqual(orderA([A3, A4, A5]).map((code) => [code, ...how.get(code)!]));
  });

  it('records one reminder per unit: pending for the online one, offline for the others, in Vietnamese', async () => {
    const r = await call(core, 'requests.remind', { id: idA });
    expect(r.online).toBe(1);
    expect(r.offline.map((t) => t.unit.code)).toEqual(orderA([A3, A5]));
    expect(r.message).toBe('Đã gửi nhắc qua mạng cho 1 đơn vị; 2 đơn vị chưa kết nối — danh sách kèm số điện thoại, thư điện tử để gọi hoặc gửi thư.');
    const rows = sqlite
      .prepare<[string], { unit: string; push_state: string; direction: string; message: string; created_by: string | null }>(
        'SELECT unit, push_state, direction, message, created_by FROM reminders WHERE request_id = ? ORDER BY unit',
      )
      .all(idA);
    expect(rows.map((x) => [x.unit, x.push_state, x.direction])).toEqual(
      [
        [A3, 'offline', 'sent'],
        [A4, 'pending', 'sent'],
        [A5, 'offline', 'sent'],
      ].sort((a, b) => a[0]!.localeCompare(b[0]!)),
    );
    const a4 = rows.find((x) => x.unit === A4)!;
    const name = unitOf(A4).name;
    expect(a4.message).toBe(
      `Đề nghị UBND ${name.charAt(0).toLocaleLowerCase('vi')}${name.slice(1)} gửi báo cáo Rà soát biên chế cấp xã (1234/UBND-NVKTGS) chậm nhất trong ngày 24/6/2026.`,
    );
    expect(a4.created_by).toBeNull();
  });

  it('sends a given message to given units, by the signed-in user, and refuses a unit not addressed', async () => {
    const me = { id: 3, name: 'Nguyễn Văn Nội', department: 'Sở Nội vụ', admin: false };
    const r = await runAsUser(me, () => core.handlers['requests.remind']({ id: idA, units: [A5], message: 'Đề nghị gửi ngay hôm nay.' }));
    expect([r.online, r.offline.length]).toEqual([0, 1]);
    const last = sqlite.prepare<[string, string], { message: string; created_by: string }>(
      'SELECT message, created_by FROM reminders WHERE request_id = ? AND unit = ? ORDER BY created_at DESC, rowid DESC LIMIT 1',
    ).get(idA, A5)!;
    expect(last).toEqual({ message: 'Đề nghị gửi ngay hôm nay.', created_by: 'Nguyễn Văn Nội' });
    await expect(call(core, 'requests.remind', { id: idA, units: [OUT1] })).rejects.toMatchObject({ code: 'invalid_input', message: expect.stringContaining(OUT1) });
  });

  it('refuses when every addressed unit has submitted', async () => {
    await expect(call(core, 'requests.remind', { id: idB })).rejects.toMatchObject({ code: 'refused', message: expect.stringMatching(/không có đơn vị nào cần nhắc/) });
  });

  it('writes the missing list as a workbook with contacts and the deadline', async () => {
    const f = await call(core, 'requests.missing.export', { id: idA });
    expect(f.fileName).toBe(`chua-nop-${idA}.xlsx`);
    const bytes = Buffer.from(f.data, 'base64');
    mkdirSync(OUT, { recursive: true });
    writeFileSync(path.join(OUT, f.fileName), bytes);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(bytes as unknown as ExcelJS.Buffer);
    const ws = wb.worksheets[0]!;
    expect(String(ws.getCell('A4').value)).toContain('RÀ SOÁT BIÊN CHẾ CẤP XÃ');
    expect(String(ws.getCell('A5').value)).toContain('chậm nhất trong ngày 24/6/2026');
    expect(String(ws.getCell('A5').value)).toContain(idA);
    const head = (ws.getRow(7).values as unknown[]).slice(1);
    expect(head).toEqual(['STT', 'Mã', 'Đơn vị', 'Loại', 'Trạng thái', 'Thư điện tử', 'Điện thoại']);
    const rows = [8, 9, 10].map((r) => (ws.getRow(r).values as unknown[]).slice(1));
    const line = new Map<string, unknown[]>([
      [A3, ['Bị trả lại', 'chưa có', 'chưa có']],
      [A4, ['Chưa nộp', 'ubnd.a4@haiphong.gov.vn', 'chưa có']],
      [A5, ['Chưa nộp', 'chưa có', '0225 3841 555']],
    ]);
    expect(rows).toEqual(orderA([A3, A4, A5]).map((code, i) => [i + 1, code, unitOf(code).name, unitOf(code).type, ...line.get(code)!]));
    expect(ws.getCell('A11').value).toBeNull();
  });
});

describe('command line', () => {
  it('consolidate --request writes the request consolidation workbook', async () => {
    await core.close();
    const out = tmp.file('th.xlsx');
    const r = await runCli(['consolidate', '--db', dbFile, '--request', idA, '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Đã ghi Biểu tổng hợp của yêu cầu ${idA}`);
    expect(r.stdout).toContain('3/5 đơn vị đã nộp');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(readFileSync(out) as unknown as ExcelJS.Buffer);
    expect(String(wb.worksheets[0]!.getCell('A5').value)).toContain(idA);
    const bad = await runCli(['consolidate', '--db', dbFile]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/thiếu --period .* hoặc --request/);
    core = await openCore(dbFile, () => new Date('2026-06-15T03:00:00Z'));
  }, 120_000);
});
