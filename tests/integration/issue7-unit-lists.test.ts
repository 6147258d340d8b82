/**
 * Issue 7 item 10: replacing the unit list is previewed, asked again when most units would
 * disappear, every version can be downloaded (CSV, UTF-8 with BOM) and restored, and a period keeps
 * the list it was first used with (its totals do not move after a merger and a rename) until the
 * clerk moves it. Real SQLite files, real packages, the real command line.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { Core } from '../../core/handlers.js';
import { call, openCore } from '../helpers/core.js';
import { tempDir } from '../helpers/sample.js';
import { runCli } from '../helpers/cli.js';
import { CITY_PERIOD, haiphongUnits } from '../helpers/city-returns.js';
import { asFile, cityReturnOf, makePackage } from '../helpers/city-packages.js';

let tmp: ReturnType<typeof tempDir> | undefined;
let core: Core | undefined;
afterEach(async () => {
  await core?.close();
  core = undefined;
  tmp?.cleanup();
});
async function cityCore(): Promise<Core> {
  tmp = tempDir('i7-units-');
  core = await openCore(tmp.file('city.sqlite'));
  await call(core, 'app.setup', { role: 'city' });
  return core;
}
const q = { template: 'BC-CX', period: CITY_PERIOD };
const csv = (rows: string[][]) => Buffer.from(rows.map((r) => r.join(',')).join('\n') + '\n');
const file = (fileName: string, bytes: Buffer) => asFile({ fileName, bytes });
const hp = haiphongUnits();
const header = ['code', 'type', 'name'];

describe('replacing the unit list', () => {
  it('a one-row list: the preview changes nothing, the import is asked again, then done; any version downloads and restores', async () => {
    const c = await cityCore();
    const shipped = (await call(c, 'units.versions', {}))[0]!;
    const one = csv([header, ['11948', 'đặc khu', 'Đặc khu Bạch Long Vĩ']]);

    // Preview: what would change, nothing changed.
    const preview = await call(c, 'units.import', { file: file('mot-dong.csv', one), dryRun: true });
    expect(preview).toMatchObject({ dryRun: true, count: 1, currentCount: 114, currentVersion: shipped.version, added: [] });
    expect(preview.removed).toHaveLength(113);
    expect(preview.askAgain).toMatch(/bỏ 113 trong 114 đơn vị hiện có \(99%\)/);
    expect(await call(c, 'units.versions', {})).toHaveLength(1);
    expect((await call(c, 'units.list', {})).units).toHaveLength(114);

    // Without the second confirmation: refused in plain words, nothing changed.
    await expect(call(c, 'units.import', { file: file('mot-dong.csv', one) })).rejects.toMatchObject({
      code: 'refused',
      message: expect.stringMatching(/hãy xác nhận thêm một lần nữa/),
    });
    expect((await call(c, 'units.list', {})).units).toHaveLength(114);

    // Confirmed again: done.
    const done = await call(c, 'units.import', { file: file('mot-dong.csv', one), confirmRemovals: true });
    expect(done).toMatchObject({ dryRun: false, count: 1 });
    expect((await call(c, 'units.list', {})).units).toHaveLength(1);

    // The shipped version downloads as CSV, UTF-8 with a BOM, all 114 units with Vietnamese names intact.
    const exported = await call(c, 'units.export', { version: shipped.version });
    expect(exported.fileName).toBe(`danh-sach-don-vi_${shipped.version}.csv`);
    const bytes = Buffer.from(exported.data, 'base64');
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = bytes.toString('utf8').slice(1).trimEnd().split('\r\n');
    expect(lines[0]).toBe('code,type,name,first_period,co_hdnd'); // with the shipped list's attribute column (issue 8)
    expect(lines).toHaveLength(115);
    expect(lines).toContain(`${hp[0]!.code},${hp[0]!.type},${hp[0]!.name},,1`);
    // …and reads back as a list equal to it.
    const back = await call(c, 'units.import', { file: file('tai-ve.csv', bytes), dryRun: true });
    expect(back).toMatchObject({ count: 114, added: expect.any(Array), renamed: [] });
    expect(back.added).toHaveLength(113);

    // Restore: a preview, then a new version equal to the shipped one becomes current.
    const restorePreview = await call(c, 'units.restore', { version: shipped.version, dryRun: true });
    expect(restorePreview).toMatchObject({ dryRun: true, count: 114, askAgain: null });
    expect(restorePreview.added).toHaveLength(113);
    const restored = await call(c, 'units.restore', { version: shipped.version });
    expect(restored.version).toBe(`${shipped.version}-khoi-phuc-1`);
    const versions = await call(c, 'units.versions', {});
    expect(versions.map((v) => [v.version, v.count, v.current])).toEqual([
      [shipped.version, 114, false],
      [done.version, 1, false],
      [restored.version, 114, true],
    ]);
    const again = Buffer.from((await call(c, 'units.export', {})).data, 'base64');
    expect(again.toString('utf8')).toBe(bytes.toString('utf8'));
    await expect(call(c, 'units.restore', { version: 'khong-co' })).rejects.toMatchObject({ code: 'not_found', message: expect.stringMatching(/Không có phiên bản/) });
  });

  it('a period keeps its list: after a merger and a rename the totals of Quý II/2026 do not change until the clerk moves the period', async () => {
    const c = await cityCore();
    const [a, b, renamed, ...others] = hp;
    const submitting = [a!, b!, renamed!, ...others.slice(0, 3)];
    const files = await Promise.all(submitting.map(async (u) => (await makePackage(cityReturnOf(u.code))).bytes));
    const results = await c.city.importFiles(
      files.map((bytes, i) => ({ name: `${submitting[i]!.code}.xlsx`, bytes })),
      { dryRun: false },
    );
    expect(results.map((r) => r.outcome)).toEqual(submitting.map(() => 'imported'));
    const before = (await call(c, 'city.consolidation', q)) as Record<string, unknown>;
    const completenessBefore = await call(c, 'city.completeness', q);
    expect(completenessBefore.counts).toMatchObject({ expected: 114, submitted: 6 });

    // One merger (a and b into a new commune) and one rename.
    const next = [
      header,
      ...hp.filter((u) => u !== a && u !== b).map((u) => [u.code, u.type, u === renamed ? `${u.name} (tên mới)` : u.name]),
      ['99001', 'xã', 'Xã Hợp Nhất'],
    ];
    const res = await call(c, 'units.import', { file: file('hai-phong-sap-nhap.csv', csv(next)) });
    expect(res.count).toBe(113);

    const after = (await call(c, 'city.consolidation', q)) as Record<string, unknown>;
    expect({ ...after, currentUnitListVersion: undefined }).toEqual({ ...before, currentUnitListVersion: undefined });
    expect(res.askAgain).toBeNull();
    expect(after).toMatchObject({ unitListVersion: completenessBefore.unitListVersion, currentUnitListVersion: res.version });
    const completeness = await call(c, 'city.completeness', q);
    expect(completeness.counts).toEqual(completenessBefore.counts);
    expect(completeness).toMatchObject({ unitListVersion: completenessBefore.unitListVersion, currentUnitListVersion: res.version, unlisted: [] });
    const workbook = await call(c, 'city.consolidation.export', q);
    expect(workbook.data.length).toBeGreaterThan(1000);
    // A period used for the first time after the change takes the new list.
    expect((await call(c, 'city.completeness', { ...q, period: '2026-Q3' })).counts.expected).toBe(113);
    const periods = await call(c, 'city.periods', { template: 'BC-CX' });
    expect(periods.find((p) => p.code === CITY_PERIOD)).toMatchObject({ expected: 114, submitted: 6 });

    // The clerk moves the period to the current list: the merged units' returns are shown apart.
    const moved = await call(c, 'city.periodList.useCurrent', q);
    expect(moved.message).toMatch(/Từ nay Quý II\/2026 dùng danh sách đơn vị hiện hành/);
    const now = await call(c, 'city.completeness', q);
    expect(now.counts).toMatchObject({ expected: 113, submitted: 4 });
    expect(now.unlisted.map((r) => r.unit.code).sort()).toEqual([a!.code, b!.code].sort());
    expect(now.rows.find((r) => r.unit.code === renamed!.code)!.unit.name).toBe(`${renamed!.name} (tên mới)`);
  });

  it('the command line: units import --dry-run, --yes; units export --version; units restore', async () => {
    tmp = tempDir('i7-units-cli-');
    const db = tmp.file('city.sqlite');
    const one = tmp.file('mot-dong.csv');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(one, csv([header, ['11948', 'đặc khu', 'Đặc khu Bạch Long Vĩ']]));
    const first = await runCli(['units', 'import', '--db', db, one, '--dry-run']);
    expect(first.stdout).toMatch(/Chạy thử, chưa thay đổi gì/);
    expect(first.stdout).toMatch(/Bỏ 113:/);
    expect(first.code).toBe(0);
    const refused = await runCli(['units', 'import', '--db', db, one]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/hãy chạy lại lệnh với --yes/);
    const versions0 = JSON.parse((await runCli(['units', 'import', '--db', db, one, '--dry-run', '--json'])).stdout) as { currentVersion: string };
    const yes = await runCli(['units', 'import', '--db', db, one, '--yes']);
    expect(yes.code).toBe(0);
    expect(yes.stdout).toMatch(/nay là danh sách hiện hành/);
    const out = tmp.file('cu.csv');
    const exp = await runCli(['units', 'export', '--db', db, '--version', versions0.currentVersion, '--out', out]);
    expect(exp.code).toBe(0);
    expect(readFileSync(out, 'utf8').split('\r\n')).toHaveLength(116);
    const restore = await runCli(['units', 'restore', '--db', db, versions0.currentVersion]);
    expect(restore.code).toBe(0);
    expect(restore.stdout).toMatch(/\(114 đơn vị\), nay là danh sách hiện hành/);
  });
});

describe('the first period the city sets in the list (item 7, city side)', () => {
  it('a unit whose first period comes later is not expected before it, unless it sent a report all the same', async () => {
    const c = await cityCore();
    // Two units start reporting only in 2026-Q3; one of them sends a Q2 report anyway.
    const late = new Set([hp[0]!.code, hp[1]!.code]);
    const rows = hp.map((u) => [u.code, u.type, `"${u.name}"`, late.has(u.code) ? '2026-Q3' : '']);
    await call(c, 'units.import', { file: file('tu-quy-3.csv', csv([[...header, 'first_period'], ...rows])) });
    const sent = await makePackage(cityReturnOf(hp[1]!.code));
    await call(c, 'city.import', { files: [asFile(sent)], dryRun: false });

    const q2 = await call(c, 'city.completeness', q);
    expect(q2.counts).toMatchObject({ expected: 113, submitted: 1, missing: 112 });
    expect(q2.rows.map((r) => r.unit.code)).not.toContain(hp[0]!.code);
    expect(q2.rows.find((r) => r.unit.code === hp[1]!.code)?.state).toBe('received');
    const consolidation = (await call(c, 'city.consolidation', q)) as { units: { expected: number; submitted: number } };
    expect(consolidation.units).toMatchObject({ expected: 113, submitted: 1 });
    const periods = await call(c, 'city.periods', { template: 'BC-CX' });
    expect(periods.find((p) => p.code === '2026-Q2')).toMatchObject({ expected: 113, submitted: 1 });
    expect(periods.find((p) => p.code === '2026-Q3')?.expected).toBe(114);

    const q3 = await call(c, 'city.completeness', { template: 'BC-CX', period: '2026-Q3' });
    expect(q3.counts.expected).toBe(114);
  });
});
