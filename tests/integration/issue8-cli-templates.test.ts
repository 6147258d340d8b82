/**
 * Issue 8 "Command line" (engineer B): template build / export / sample / publish, templates, and
 * --template / --db on package, read, validate, submit, import and consolidate, each run as a
 * child process (node bin/commune-returns.js), with the failure exits.
 */
import { readFileSync } from 'node:fs';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReturnJson, Template } from '../../shared/index.js';
import { canonicalJson } from '../../shared/index.js';
import { loadResources } from '../../core/resources.js';
import { hasStack, runCli } from '../helpers/cli.js';
import { resourcesDir, tempDir } from '../helpers/sample.js';

let tmp: ReturnType<typeof tempDir>;
const bccx = loadResources(resourcesDir).getTemplate('BC-CX', 1)!;
const ID = 'BC-TN';
let v1File: string;
let v2File: string;
let v2AsPublished: string;
let badFile: string;
beforeAll(() => {
  tmp = tempDir('cr-i8-cli-');
  const v1: Template = { ...structuredClone(bccx), id: ID, version: 1, title: { vi: 'Báo cáo thử nghiệm' } };
  const v2: Template = structuredClone(v1);
  v2.sections[0]!.items.push({ kind: 'field', key: 'ghi_chu', type: 'longtext', label: { vi: 'Ghi chú thêm' } });
  v1File = tmp.writeJson('v1.json', v1);
  v2File = tmp.writeJson('v2.json', v2); // says version 1: the city numbers it 2
  v2AsPublished = tmp.writeJson('v2-published.json', { ...v2, version: 2 });
  badFile = tmp.writeJson('bad.json', { ...v1, id: 'bc-tn' });
});
afterAll(() => tmp.cleanup());

const clean = (r: { stdout: string; stderr: string }) => expect(hasStack(r.stdout + r.stderr)).toBe(false);
const json = <T>(file: string) => JSON.parse(readFileSync(file, 'utf8')) as T;

describe('template build and export', () => {
  it('export BC-CX → build gives BC-CX back; a broken workbook exits 1 naming sheet, row and column; unknown template exits 1', async () => {
    const wb = tmp.file('bccx.xlsx');
    let r = await runCli(['template', 'export', 'BC-CX', '--out', wb]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Đã ghi sổ mẫu BC-CX/);
    const out = tmp.file('bccx.json');
    r = await runCli(['template', 'build', wb, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Sổ mẫu hợp lệ: mẫu BC-CX .* phiên bản 1/);
    expect(canonicalJson(json(out))).toBe(canonicalJson(bccx));

    // An unknown type in one cell: refused with its place.
    const book = new ExcelJS.Workbook();
    await book.xlsx.readFile(wb);
    let place = '';
    for (const ws of book.worksheets) {
      ws.eachRow((row) =>
        row.eachCell((cell) => {
          // The type of the first decimal item (a Vietnamese type name, or its English alias).
          if (!place && (cell.value === 'số thập phân' || cell.value === 'decimal')) {
            cell.value = 'kiểu lạ';
            place = `${ws.name}|${cell.row}|${cell.address.replace(/\d+$/, '')}`;
          }
        }),
      );
    }
    expect(place).not.toBe('');
    const broken = tmp.file('broken.xlsx');
    await book.xlsx.writeFile(broken);
    r = await runCli(['template', 'build', broken]);
    expect(r.code).toBe(1);
    const [sheet, row, col] = place.split('|');
    expect(r.stderr).toContain(`trang tính "${sheet}", dòng ${row}, cột ${col}:`);
    clean(r);

    r = await runCli(['template', 'export', 'BC-CX@9', '--out', tmp.file('x.xlsx')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Không có mẫu báo cáo BC-CX phiên bản 9/);
    r = await runCli(['template', 'export', 'BC-CX']);
    expect(r.code).toBe(2);
    r = await runCli(['template', 'build', tmp.file('khong-co.xlsx')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Không tìm thấy tệp/);
    clean(r);
   }, 240_000);
});

describe('template sample', () => {
  it('writes a return that validates, packages and reads back; a wrong unit, period or seed exits 1', async () => {
    const s = tmp.file('sample.json');
    let r = await runCli(['template', 'sample', 'BC-CX', '--unit', '11948', '--period', '2026-Q2', '--seed', '4', '--out', s]);
    expect(r.code, r.stderr).toBe(0);
    const ret = json<ReturnJson>(s);
    expect(ret).toMatchObject({ template: 'BC-CX', templateVersion: 1, unit: '11948', period: '2026-Q2' });
    r = await runCli(['validate', '--from-json', s]);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/hợp lệ, có thể nộp/);
    const s2 = tmp.file('sample2.json');
    await runCli(['template', 'sample', 'BC-CX', '--unit', '11948', '--period', '2026-Q2', '--seed', '4', '--out', s2]);
    expect(readFileSync(s2, 'utf8')).toBe(readFileSync(s, 'utf8'));

    for (const args of [['--unit', '00000'], ['--period', '2026-M05'], ['--seed', 'abc']]) {
      r = await runCli(['template', 'sample', 'BC-CX', ...args, '--out', tmp.file('no.json')]);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(/^Lỗi: --(unit|period|seed)/);
      clean(r);
    }
   }, 240_000);
});

describe('publish, list and the return commands on a published template', () => {
  it('publish v1, v2, refusals; templates lists them; --db and --template find the template for every return command', async () => {
    const city = tmp.file('city.sqlite');
    let r = await runCli(['template', 'publish', '--db', city, v1File]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Đã công bố mẫu BC-TN "Báo cáo thử nghiệm" phiên bản 1\./);
    r = await runCli(['template', 'publish', '--db', city, v2File]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/phiên bản 2\..*Tệp ghi phiên bản 1/);
    r = await runCli(['template', 'publish', '--db', city, v2File]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/đã là phiên bản 2/);
    r = await runCli(['template', 'publish', '--db', city, badFile]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Mã mẫu "bc-tn" không hợp lệ/);
    clean(r);
    r = await runCli(['template', 'publish', v1File]);
    expect(r.code).toBe(2);

    r = await runCli(['templates', '--db', city, '--json']);
    expect(r.code).toBe(0);
    const list = JSON.parse(r.stdout) as { id: string; version: number; source: string }[];
    const mine = list.filter((t) => t.id === 'BC-CX' || t.id === ID);
    expect(mine.map((t) => `${t.id}@${t.version}:${t.source}`)).toEqual(['BC-CX@1:builtin', 'BC-TN@2:published', 'BC-TN@1:published']);
    expect(list[0]!.id).toBe('BC-CX');
    r = await runCli(['templates', '--db', city]);
    expect(r.stdout).toMatch(/BC-TN@2 {2}Báo cáo thử nghiệm {2}\(đã công bố/);
    r = await runCli(['templates', '--db', tmp.file('khong-co.sqlite')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Không tìm thấy tệp dữ liệu/);

    // A sample of the published v2, found with --db.
    const s = tmp.file('tn.json');
    r = await runCli(['template', 'sample', 'BC-TN', '--db', city, '--unit', '11948', '--period', '2026-Q2', '--out', s]);
    expect(r.code, r.stderr).toBe(0);
    expect(json<ReturnJson>(s).templateVersion).toBe(2);
    r = await runCli(['template', 'sample', 'BC-TN@1', '--db', city, '--out', tmp.file('tn1.json')]);
    expect(r.code, r.stderr).toBe(0);
    expect(json<ReturnJson>(tmp.file('tn1.json')).templateVersion).toBe(1);

    // validate: unknown without --db or --template; found with either.
    r = await runCli(['validate', '--from-json', s]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/BC-TN/);
    clean(r);
    r = await runCli(['validate', '--from-json', s, '--db', city]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    r = await runCli(['validate', '--from-json', s, '--template', v2AsPublished]);
    expect(r.code, r.stderr + r.stdout).toBe(0);

    // package and read with the template file or the database.
    const pkg = tmp.file('tn.xlsx');
    r = await runCli(['package', '--from-json', s, '--template', v2AsPublished, '--out', pkg]);
    expect(r.code, r.stderr).toBe(0);
    r = await runCli(['read', pkg]);
    expect(r.code).toBe(1);
    r = await runCli(['read', pkg, '--db', city]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ template: ID, templateVersion: 2, unit: '11948' });
    r = await runCli(['read', pkg, '--template', v2AsPublished]);
    expect(r.code, r.stderr).toBe(0);

    // submit at a commune with --template; import and consolidate at the city.
    const commune = tmp.file('commune.sqlite');
    r = await runCli(['submit', '--db', commune, '--from-json', s, '--template', v2AsPublished]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Đã nộp lần 1/);
    r = await runCli(['import', '--db', city, pkg]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/đã nhập 1/);
    r = await runCli(['consolidate', '--db', city, '--template', ID, '--period', '2026-Q2', '--json', '-']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ template: ID, templateVersion: 2, units: { submitted: 1 } });

    // A second city that never published it: import and consolidate with --template.
    const other = tmp.file('city2.sqlite');
    r = await runCli(['import', '--db', other, pkg]);
    expect(r.code).toBe(1);
    r = await runCli(['import', '--db', other, pkg, '--template', v2AsPublished]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const out = tmp.file('tong-hop.xlsx');
    r = await runCli(['consolidate', '--db', other, '--template', v2AsPublished, '--period', '2026-Q2', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const book = new ExcelJS.Workbook();
    await book.xlsx.readFile(out);
    expect(book.worksheets.length).toBeGreaterThan(1);
    clean(r);
  }, 480_000);
});
