import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasStack, runCli } from '../helpers/cli.js';
import { sampleReturn, tempDir } from '../helpers/sample.js';

let tmp: ReturnType<typeof tempDir>;
let ok: string;
let bad: string;
beforeAll(() => {
  tmp = tempDir('cr-cli-');
  ok = tmp.writeJson('ok.json', sampleReturn());
  const b = sampleReturn();
  b.values.staff.nhdkct_leave_paid = 30; // error
  b.values.procedures.fields.ho_tich.done_late = 1.5; // fraction in a count
  b.values.vehicles.cars[0]!.plate = 'XYZ'; // warning
  bad = tmp.writeJson('bad.json', b);
});
afterAll(() => tmp.cleanup());

const clean = (r: { stdout: string; stderr: string }) => expect(hasStack(r.stdout + r.stderr)).toBe(false);

describe('validate', () => {
  it('exit 0 for a valid return', async () => {
    const r = await runCli(['validate', '--from-json', ok]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/hợp lệ, có thể nộp/);
  });

  it('--json lists errors and warnings with id, path and a Vietnamese message; exit 1', async () => {
    const r = await runCli(['validate', '--from-json', bad, '--json']);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { errors: { id: string; path: string; message: string }[]; warnings: { id: string; path: string; message: string }[] };
    expect(out.errors.map((e) => e.id).sort()).toEqual(['cell:procedures.fields.ho_tich.done_late', 'procedures.balance:ho_tich', 'staff.nhdkct_leave_paid']);
    const frac = out.errors.find((e) => e.id === 'cell:procedures.fields.ho_tich.done_late')!;
    expect(frac.path).toBe('procedures.fields.ho_tich.done_late');
    expect(frac.message).toMatch(/phải là số nguyên/);
    expect(out.errors.find((e) => e.id === 'procedures.balance:ho_tich')!.path).toBe('procedures.fields.ho_tich.received_total');
    expect(out.warnings).toEqual([expect.objectContaining({ id: 'vehicles.plate_format:1', path: 'vehicles.cars.0.plate', message: expect.stringMatching(/không giống biển số Việt Nam/) })]);
  });

  it('an explained warning passes', async () => {
    const r0 = sampleReturn();
    r0.values.vehicles.cars[0]!.plate = 'XYZ';
    r0.explanations = { 'vehicles.plate_format:1': 'Xe chuyên dùng, biển số tạm.' };
    const r = await runCli(['validate', '--from-json', tmp.writeJson('explained.json', r0)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/đã giải trình/);
  });

  it('refuses input that is not a return, naming the field; never a stack', async () => {
    const missing = await runCli(['validate', '--from-json', tmp.file('nope.json')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/Không tìm thấy tệp/);
    writeFileSync(tmp.file('notjson.json'), '{"template": "BC-CX",');
    const notJson = await runCli(['validate', '--from-json', tmp.file('notjson.json')]);
    expect(notJson.code).toBe(1);
    expect(notJson.stderr).toMatch(/không phải là JSON hợp lệ/);
    const shape = await runCli(['validate', '--from-json', tmp.writeJson('shape.json', { ...sampleReturn(), templateVersion: '1', period: undefined })]);
    expect(shape.code).toBe(1);
    expect(shape.stderr).toMatch(/templateVersion: phải là một số/);
    expect(shape.stderr).toMatch(/period: thiếu trường này/);
    const version = await runCli(['validate', '--from-json', tmp.writeJson('v9.json', { ...sampleReturn(), templateVersion: 9 })]);
    expect(version.code).toBe(1);
    expect(version.stderr).toMatch(/không có mẫu báo cáo "BC-CX" phiên bản 9/);
    const unit = await runCli(['validate', '--json', '--from-json', tmp.writeJson('unit.json', { ...sampleReturn(), unit: '00000' })]);
    expect(unit.code).toBe(1);
    expect(JSON.parse(unit.stdout).errors[0]).toMatchObject({ path: 'unit', message: expect.stringMatching(/không có trong danh sách đơn vị/) });
    for (const r of [missing, notJson, shape, version, unit]) clean(r);
  });
});

describe('usage errors exit 2 with Vietnamese hints', () => {
  it.each([
    [[], /Hãy chọn một lệnh/],
    [['frobnicate'], /Không có lệnh "frobnicate"/],
    [['validate'], /Thiếu tùy chọn bắt buộc --from-json/],
    [['validate', '--from-json', 'x.json', '--colour'], /Không có tùy chọn "--colour"/],
    [["read"], /Thiếu tham số <file.xlsx>/],
    [['web', '--db', 'x.sqlite', '--port', 'eighty'], /cổng phải là số từ 0 đến 65535/],
  ])('%j', async (args, message) => {
    const r = await runCli(args as string[]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/--help/);
    clean(r);
  });
  it('--help exits 0', async () => {
    const r = await runCli(['package', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--from-json/);
  });
});

describe('package and read', () => {
  it('writes one package to a file and reads it back with its identity', async () => {
    const out = tmp.file('one.xlsx');
    const w = await runCli(['package', '--from-json', ok, '--out', out]);
    expect(w.code).toBe(0);
    expect(w.stdout).toMatch(/Đã ghi gói báo cáo/);
    expect(readFileSync(out).subarray(0, 2).toString()).toBe('PK');
    const r = await runCli(['read', out]);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json).toMatchObject({ template: 'BC-CX', templateVersion: 1, unit: '11948', period: '2026-Q2', revision: 1 });
    expect(json.values.procedures.fields.ho_tich.new_online).toBe(140);
    expect(json.values.hq.sites[0].used_by).toEqual(['council_committee', 'one_stop']);
    expect(json.package).toMatchObject({ revision: 1, editedOutside: false, appVersion: expect.any(String) });
    expect(json.package.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(json.package.hash).toMatch(/^[0-9a-f]{64}$/);
    // the JSON read back is itself a valid input
    const back = await runCli(['read', out, '--out', tmp.file('back.json')]);
    expect(back.code).toBe(0);
    expect((await runCli(['validate', '--from-json', tmp.file('back.json')])).code).toBe(0);
  });

  it('writes several packages into a folder', async () => {
    const q1 = tmp.writeJson('q1.json', { ...sampleReturn(), period: '2026-Q1' });
    const r = await runCli(['package', '--from-json', ok, q1, '--out', tmp.file('out')]);
    expect(r.code).toBe(0);
    expect(readdirSync(tmp.file('out')).sort()).toEqual(['BC-CX_11948_2026-Q1_r1.xlsx', 'BC-CX_11948_2026-Q2_r1.xlsx']);
  });

  it('refuses to package a return with errors and writes nothing', async () => {
    const r = await runCli(['package', '--from-json', ok, bad, '--out', tmp.file('refused')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Chưa tạo gói nào/);
    expect(r.stderr).toMatch(/staff\.nhdkct_leave_paid: Biểu 02/);
    expect(existsSync(tmp.file('refused'))).toBe(false);
    clean(r);
  });

  it('refuses files that are not packages or are truncated', async () => {
    writeFileSync(tmp.file('text.xlsx'), 'not a workbook');
    const text = await runCli(['read', tmp.file('text.xlsx')]);
    expect(text.code).toBe(1);
    expect(text.stderr).toMatch(/^Lỗi: /);
    const whole = readFileSync(tmp.file('one.xlsx'));
    writeFileSync(tmp.file('cut.xlsx'), whole.subarray(0, Math.floor(whole.length / 2)));
    const cut = await runCli(['read', tmp.file('cut.xlsx')]);
    expect(cut.code).toBe(1);
    expect(cut.stderr).toMatch(/^Lỗi: /);
    const none = await runCli(['read', tmp.file('absent.xlsx')]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/Không tìm thấy tệp/);
    for (const r of [text, cut, none]) {
      clean(r);
      expect(r.stderr).not.toMatch(/Đã xảy ra lỗi không mong muốn/); // each gets its own reason
    }
  });
});
