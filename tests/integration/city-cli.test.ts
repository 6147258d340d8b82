import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImportResult } from '../../shared/index.js';
import { hasStack, runCli } from '../helpers/cli.js';
import { resourcesDir, sampleReturn, tempDir } from '../helpers/sample.js';
import { CITY_FIGURES, CITY_PERIOD } from '../helpers/city-returns.js';
import { cityPackageDir } from '../helpers/city-packages.js';

let tmp: ReturnType<typeof tempDir>;
let packagesDir: string;
beforeAll(async () => {
  tmp = tempDir('cr-city-cli-');
  packagesDir = await cityPackageDir();
}, 180_000);
afterAll(() => tmp.cleanup());

const clean = (r: { stdout: string; stderr: string }) => expect(hasStack(r.stdout + r.stderr)).toBe(false);

describe('import and consolidate', () => {
  it('imports a folder (--json), then the same again changes nothing; consolidate --json - shows the city figures', async () => {
    const db = tmp.file('city.sqlite');
    const dry = await runCli(['import', '--db', db, packagesDir, '--dry-run', '--json']);
    expect(dry.code).toBe(0);
    const dryOut = JSON.parse(dry.stdout) as { dryRun: boolean; results: ImportResult[] };
    expect(dryOut.dryRun).toBe(true);
    expect(dryOut.results.filter((r) => r.outcome === 'imported')).toHaveLength(114);

    const first = await runCli(['import', '--db', db, packagesDir, '--json']);
    expect(first.code).toBe(0);
    const out = JSON.parse(first.stdout) as { results: ImportResult[] };
    expect(out.results).toHaveLength(114);
    expect(out.results.map(({ outcome, ...r }) => ({ ...r, outcome }))).toEqual(dryOut.results);
    expect(first.stderr.trim().split('\n')).toHaveLength(114);
    expect(first.stderr).toMatch(/^\[1\] BC-CX_\d+_2026-Q2_r1\.xlsx: đã nhập$/m);

    const again = await runCli(['import', '--db', db, packagesDir]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^Tệp +Kết quả +Đơn vị +Lần nộp$/m);
    expect(again.stdout).toMatch(/114 gói — đã nhập 0, thay bản cũ 0, lưu lịch sử 0, trùng 114, xung đột 0, từ chối 0\./);

    const cons = await runCli(['consolidate', '--db', db, '--period', CITY_PERIOD, '--json', '-']);
    expect(cons.code).toBe(0);
    const c = JSON.parse(cons.stdout);
    expect(Object.keys(c)).toEqual(expect.arrayContaining(['template', 'templateVersion', 'period', 'units', 'staff', 'hq', 'vehicles', 'procedures', 'one_stop']));
    expect(Object.keys(c.units)).toEqual(
      expect.arrayContaining(['expected', 'submitted', 'on_time', 'late', 'missing', 'accepted', 'returned', 'by_type', 'by_type_class', 'area_km2', 'population']),
    );
    expect(c.units.by_type).toEqual(CITY_FIGURES.by_type);
    expect(c.hq.site_count_distribution).toEqual(CITY_FIGURES.site_count_distribution);
    expect(c.hq.plan).toEqual(CITY_FIGURES.plan);
    expect(c.vehicles).toMatchObject({ shortfall_total: CITY_FIGURES.shortfall_total, shortfall_distribution: CITY_FIGURES.shortfall_distribution });
    expect(c.one_stop.bands).toEqual(CITY_FIGURES.bands);
    expect(c.staff.blocks.total).toEqual(CITY_FIGURES.staff_total);
    expect(Object.keys(c.procedures)).toEqual(expect.arrayContaining(['fields', 'total', 'on_time_rate', 'online_rate']));

    const xlsx = tmp.file('tong-hop.xlsx');
    const written = await runCli(['consolidate', '--db', db, '--period', CITY_PERIOD, '--out', xlsx, '--json', tmp.file('tong-hop.json')]);
    expect(written.code).toBe(0);
    expect(written.stdout).toMatch(/Đã ghi Biểu tổng hợp: /);
    expect(readFileSync(xlsx).subarray(0, 2).toString()).toBe('PK');
    expect(JSON.parse(readFileSync(tmp.file('tong-hop.json'), 'utf8'))).toEqual(c);
    for (const r of [dry, first, again, cons, written]) clean(r);
  });

  it('a zip with a refused file: the others are imported, exit 1, the reason in Vietnamese', async () => {
    const db = tmp.file('city2.sqlite');
    const dir = tmp.file('mixed');
    mkdirSync(dir);
    copyFileSync(path.join(packagesDir, 'BC-CX_10507_2026-Q2_r1.xlsx'), path.join(dir, 'a.xlsx'));
    writeFileSync(path.join(dir, 'b.xlsx'), 'không phải gói');
    writeFileSync(path.join(dir, 'ghi-chu.txt'), 'bỏ qua');
    const r = await runCli(['import', '--db', db, dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/a\.xlsx +đã nhập/);
    expect(r.stdout).toMatch(/b\.xlsx +từ chối/);
    expect(r.stdout).toMatch(/Không đọc được tệp/);
    expect(r.stdout).not.toMatch(/ghi-chu/);
    const consolidated = await runCli(['consolidate', '--db', db, '--period', CITY_PERIOD]);
    expect(consolidated.code).toBe(0);
    expect(consolidated.stdout).toMatch(/1\/114 đơn vị đã nộp/);
    for (const x of [r, consolidated]) clean(x);
  });
});

describe('units import and refusals', () => {
  it('replaces the unit list; a bad list exits 1', async () => {
    const db = tmp.file('units.sqlite');
    const ok = await runCli(['units', 'import', '--db', db, path.join(resourcesDir, 'units/vietnam.csv'), '--json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ count: 3321, version: expect.stringMatching(/^vietnam-/) });
    // From the national list to one city drops most units: confirmed with --yes (issue 7 item 10).
    const text = await runCli(['units', 'import', '--db', db, path.join(resourcesDir, 'units/haiphong.csv'), '--yes']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/Đã nhập danh sách đơn vị phiên bản haiphong-[0-9a-f]{8} \(114 đơn vị\)/);
    expect(text.stdout).toMatch(/Bỏ \d+: /);
    writeFileSync(tmp.file('bad.csv'), 'code,type,name\n1,huyện,Huyện A\n');
    const bad = await runCli(['units', 'import', '--db', db, tmp.file('bad.csv')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/Lỗi: Danh sách đơn vị có lỗi, chưa nhập: dòng 2: loại "huyện" không hợp lệ/);
    for (const x of [ok, text, bad]) clean(x);
  });

  it("refuses to import into a commune's database; usage errors exit 2", async () => {
    const communeDb = tmp.file('commune.sqlite');
    const submitted = await runCli(['submit', '--db', communeDb, '--from-json', tmp.writeJson('ok.json', sampleReturn())]);
    expect(submitted.code).toBe(0);
    const r = await runCli(['import', '--db', communeDb, packagesDir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/vai trò Xã, phường, đặc khu.*Hãy dùng/);
    const missing = await runCli(['import', '--db', tmp.file('x.sqlite'), tmp.file('no-such-folder')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/Không tìm thấy ".*no-such-folder"/);
    expect(existsSync(tmp.file('x.sqlite'))).toBe(false);
    const usage = await runCli(['import', packagesDir]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/Thiếu tùy chọn bắt buộc --db/);
    const period = await runCli(['consolidate', '--db', tmp.file('y.sqlite')]);
    expect(period.code).toBe(2);
    expect(period.stderr).toMatch(/--period/);
    for (const x of [r, missing, usage, period]) clean(x);
  });
});
