import Database from 'better-sqlite3';
import ExcelJS from 'exceljs';
import { afterEach, describe, expect, it } from 'vitest';
import type { Core } from '../../core/handlers.js';
import { getPath, normalizeValues } from '../../shared/index.js';
import { readPackage } from '../../core/xlsx/index.js';
import { call, inputsOf, openCore, saveWhole } from '../helpers/core.js';
import { sampleReturn, sampleValues, tempDir } from '../helpers/sample.js';

let tmp: ReturnType<typeof tempDir>;
let core: Core | undefined;
afterEach(async () => {
  await core?.close();
  core = undefined;
  tmp?.cleanup();
});

/** Vietnam 2026-05-10 unless told otherwise. */
let clock = new Date('2026-05-10T03:00:00Z');
async function commune(): Promise<Core> {
  tmp = tempDir();
  clock = new Date('2026-05-10T03:00:00Z');
  core = await openCore(tmp.file('c.sqlite'), () => clock);
  await call(core, 'app.setup', { role: 'commune', unitCode: '11948' });
  return core;
}

async function draft(c: Core, period: string, values = sampleReturn().values, explanations: Record<string, string> = {}) {
  const st = await call(c, 'returns.open', { template: 'BC-CX', period });
  await saveWhole(c, period, { values, explanations });
  return st.returnId;
}

describe('submission and revisions', () => {
  it('accepts a warning once it is explained, freezes revision 1 and stores its package', async () => {
    const c = await commune();
    const v = sampleValues();
    v.staff.blocks.government.cbcc_present = 35; // over quota: a warning
    const id = await draft(c, '2026-Q2', v);
    await expect(call(c, 'returns.submit', { returnId: id })).rejects.toMatchObject({ code: 'refused' });
    await saveWhole(c, '2026-Q2', { values: v, explanations: { 'staff.present_over_quota:government': 'Tiếp nhận 5 công chức từ huyện cũ.' } });
    const r1 = await call(c, 'returns.submit', { returnId: id, submittedBy: 'Nguyễn Văn A' });
    expect(r1).toMatchObject({ revision: 1, submittedBy: 'Nguyễn Văn A', late: false });
    expect(r1.packageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(r1.hash).toMatch(/^[0-9a-f]{64}$/);

    const file = await call(c, 'package.export', { returnId: id, revision: 1 });
    expect(file.fileName).toBe('BC-CX_11948_2026-Q2_r1.xlsx');
    const again = await call(c, 'package.export', { returnId: id, revision: 1 });
    expect(again.data).toBe(file.data); // every export of a revision is the same file
    const back = await readPackage(Buffer.from(file.data, 'base64'), (tid, ver) => c.resources.getTemplate(tid, ver));
    expect(back.identity).toMatchObject({ packageId: r1.packageId, revision: 1, unit: '11948', period: '2026-Q2', hash: r1.hash });
    expect(back.editedOutside).toBe(false);
    expect(back.ret.explanations).toEqual({ 'staff.present_over_quota:government': 'Tiếp nhận 5 công chức từ huyện cũ.' });
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.from(file.data, 'base64') as unknown as ArrayBuffer);
    expect(wb.worksheets.length).toBeGreaterThanOrEqual(5);

    const rows = await call(c, 'periods.list', { template: 'BC-CX' });
    expect(rows.find((r) => r.code === '2026-Q2')).toMatchObject({ status: 'submitted', revision: 1, hasDraft: false, late: false });
    await expect(call(c, 'returns.submit', { returnId: id })).rejects.toMatchObject({ code: 'refused', message: expect.stringMatching(/không có thay đổi/) });
  });

  it('makes revision 2 after a correction, keeps history and tells what changed', async () => {
    const c = await commune();
    const id = await draft(c, '2026-Q2');
    const r1 = await call(c, 'returns.submit', { returnId: id });
    expect(r1.submittedBy).toBe('Nguyễn Văn A'); // the preparer by default
    const st = await call(c, 'returns.open', { template: 'BC-CX', period: '2026-Q2' });
    const v = sampleValues();
    expect(inputsOf(v)).toEqual(st.values);
    v.procedures.fields.ho_tich.new_online = 141;
    v.procedures.fields.ho_tich.done_on_time = 51;
    v.vehicles.cars.push({ plate: '15A-999.99', seats: 16, year_made: 2020, year_in_use: 2021, status: 'broken' });
    await saveWhole(c, '2026-Q2', { values: v });
    expect((await call(c, 'periods.list', { template: 'BC-CX' })).find((r) => r.code === '2026-Q2')).toMatchObject({ status: 'submitted', revision: 1, hasDraft: true });

    const draftDiff = await call(c, 'returns.diff', { returnId: id, from: 1, to: 'draft' });
    expect(draftDiff.map((d) => d.path)).toEqual([
      'vehicles.cars.1.plate', 'vehicles.cars.1.seats', 'vehicles.cars.1.year_made', 'vehicles.cars.1.year_in_use', 'vehicles.cars.1.status',
      'procedures.fields.ho_tich.new_online', 'procedures.fields.ho_tich.done_on_time',
    ]);
    expect(draftDiff.find((d) => d.path === 'procedures.fields.ho_tich.new_online')).toEqual({
      path: 'procedures.fields.ho_tich.new_online', label: 'Biểu 05, Hộ tịch, Số hồ sơ nhận giải quyết — Mới: trực tuyến', before: 140, after: 141,
    });
    expect(draftDiff[0]).toMatchObject({ label: 'Biểu 04, Xe 2, Biển kiểm soát', before: null, after: '15A-999.99' });

    clock = new Date('2026-06-20T16:59:00Z'); // 23:59 on the deadline day in Vietnam: still on time
    const r2 = await call(c, 'returns.submit', { returnId: id });
    expect(r2).toMatchObject({ revision: 2, late: false });
    expect(r2.packageId).not.toBe(r1.packageId);
    const history = await call(c, 'returns.history', { returnId: id });
    expect(history.map((h) => h.revision)).toEqual([1, 2]);
    expect(history[0]).toEqual(r1);
    expect((await call(c, 'returns.diff', { returnId: id, from: 1, to: 2 })).map((d) => d.path)).toEqual(draftDiff.map((d) => d.path));
    expect(await call(c, 'returns.diff', { returnId: id, from: 2, to: 'draft' })).toEqual([]);
    expect((await call(c, 'package.export', { returnId: id, revision: 2 })).fileName).toBe('BC-CX_11948_2026-Q2_r2.xlsx');
    await expect(call(c, 'package.export', { returnId: id, revision: 3 })).rejects.toMatchObject({ code: 'not_found' });
  });

  it('marks a submission after the deadline as late and lets the next period compare with it', async () => {
    const c = await commune();
    const id = await draft(c, '2026-Q1');
    const r = await call(c, 'returns.submit', { returnId: id });
    expect(r.late).toBe(true); // deadline 20/03/2026, today 10/05/2026
    expect((await call(c, 'periods.list', { template: 'BC-CX' })).find((p) => p.code === '2026-Q1')).toMatchObject({ status: 'submitted', late: true });
    const q2 = await call(c, 'returns.open', { template: 'BC-CX', period: '2026-Q2' });
    expect(q2.previousPeriod).toBe('2026-Q1');
    expect(getPath(q2.previous, 'procedures.fields.total.received_total')).toBe(177);
    const v = sampleValues();
    v.unit_info.population = 2000; // +66.7% from the previous quarter
    await saveWhole(c, '2026-Q2', { values: v });
    await expect(call(c, 'returns.submit', { returnId: q2.returnId })).rejects.toMatchObject({
      details: { warnings: [expect.objectContaining({ id: 'change_from_previous:unit_info.population' })] },
    });
  });

  it('keeps revisions immutable and the stored package bytes unchanged after reopening', async () => {
    const c = await commune();
    const id = await draft(c, '2026-Q2');
    await call(c, 'returns.submit', { returnId: id });
    const before = (await call(c, 'package.export', { returnId: id, revision: 1 })).data;
    await c.close();
    core = await openCore(tmp.file('c.sqlite'));
    expect((await call(core, 'package.export', { returnId: id, revision: 1 })).data).toBe(before);
    const raw = new Database(tmp.file('c.sqlite'));
    expect(() => raw.prepare('UPDATE revisions SET values_json = ?').run('{}')).toThrow(/immutable/);
    raw.close();
  });
});

describe('package import', () => {
  it('replaces the draft with the file, backs up the old draft and reports the changes', async () => {
    const c = await commune();
    const id = await draft(c, '2026-Q2');
    await call(c, 'returns.submit', { returnId: id });
    const file = await call(c, 'package.export', { returnId: id, revision: 1 });
    const st = await call(c, 'returns.open', { template: 'BC-CX', period: '2026-Q2' });
    const typed = sampleValues();
    typed.staff.recruited = 3;
    typed.staff.nhdkct_leave_paid = 99; // an error typed in the draft
    await saveWhole(c, '2026-Q2', { values: typed });

    const res = await call(c, 'package.import', { returnId: id, file });
    expect(res.editedOutside).toBe(false);
    expect(res.errors).toEqual([]);
    expect(res.changes.map((ch) => [ch.path, ch.before, ch.after])).toEqual([
      ['staff.nhdkct_leave_paid', 99, 12],
      ['staff.recruited', 3, 0],
    ]);
    expect(res.state.values).toEqual(normalizeValues(c.resources.getTemplate('BC-CX', 1)!, sampleReturn().values));
    expect(res.state.draftVersion).toBe(st.draftVersion + 2);
    const raw = new Database(tmp.file('c.sqlite'), { readonly: true });
    const backup = raw.prepare('SELECT values_json, reason FROM draft_backups WHERE return_id = ?').all(id) as { values_json: string; reason: string }[];
    raw.close();
    expect(backup).toHaveLength(1);
    expect(JSON.parse(backup[0]!.values_json).staff.recruited).toBe(3);
    expect(backup[0]!.reason).toMatch(/^import:/);
  });

  it('refuses a package of another period, and a file that is not a package, leaving the draft as it was', async () => {
    const c = await commune();
    const q1 = await draft(c, '2026-Q1');
    await call(c, 'returns.submit', { returnId: q1 });
    const file = await call(c, 'package.export', { returnId: q1, revision: 1 });
    const v = sampleValues();
    v.staff.recruited = 7;
    const q2 = await draft(c, '2026-Q2', v);
    const err = await call(c, 'package.import', { returnId: q2, file }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'wrong_return' });
    expect((err as Error).message).toMatch(/Quý I\/2026.*không phải báo cáo đang mở.*Quý II\/2026.*dữ liệu đang soạn không thay đổi/);
    await expect(call(c, 'package.import', { returnId: q2, file: { fileName: 'notes.xlsx', data: Buffer.from('hello').toString('base64') } })).rejects.toMatchObject({
      code: expect.stringMatching(/corrupt_file|not_a_package/),
    });
    const st = await call(c, 'returns.open', { template: 'BC-CX', period: '2026-Q2' });
    expect(getPath(st.values, 'staff.recruited')).toBe(7);
    expect(st.draftVersion).toBe(1);
  });
});
