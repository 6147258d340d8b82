/**
 * Issue 8 "Bad input", second round (engineer J), with real files and real databases: an authoring
 * workbook edited in Excel (merged cells, a hidden sheet, formulas) still builds; files that are not
 * one (.xls, .ods and .csv made by LibreOffice and renamed .xlsx, a password-protected workbook, a
 * workbook of 50 MB) are refused in Vietnamese and nothing is stored; BC-CX published again from a
 * workbook becomes version 2 beside the built-in version 1; a commune refuses hostile template files
 * (prototype keys, huge arrays, absurd versions, the same id@version with other content) and stores
 * nothing; the command line names what is wrong and never prints a stack.
 */
import { execFileSync } from 'node:child_process';
import { createPrivateKey, randomBytes, sign } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import ExcelJS from 'exceljs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Template } from '../../shared/index.js';
import { AppError } from '../../shared/index.js';
import type { Core } from '../../core/handlers.js';
import { signFile } from '../../core/requests/sign.js';
import { MAX_TEMPLATE_JSON_BYTES, MAX_TEMPLATE_JSON_DEPTH } from '../../core/templates/files.js';
import { writeStarterWorkbook } from '../../core/templates/starter.js';
import { buildTemplateFromWorkbook, writeAuthoringWorkbook } from '../../core/templates/workbook.js';
import { hasStack, runCli } from '../helpers/cli.js';
import { call, openCore } from '../helpers/core.js';
import { tempDir } from '../helpers/sample.js';

const SOFFICE = process.env.SOFFICE_PATH ?? '/usr/bin/soffice';
const tmp = tempDir('cr-i8-attacks-');
afterAll(() => tmp.cleanup());
const open: Core[] = [];
afterEach(async () => {
  for (const c of open.splice(0)) await c.close().catch(() => undefined);
});
async function core(name: string, role: 'city' | 'commune'): Promise<Core> {
  const c = await openCore(tmp.file(name));
  open.push(c);
  await call(c, 'app.setup', role === 'city' ? { role } : { role, unitCode: '11948' });
  return c;
}
const file = (bytes: Uint8Array, fileName: string) => ({ fileName, data: Buffer.from(bytes).toString('base64') });
/** Since issue 9 a commune receives templates only as files the city signed (the fixture key matches the shipped public key). */
const CITY_KEY = {
  publicPem: readFileSync(path.join(import.meta.dirname, '..', '..', 'resources', 'keys', 'city-public.pem'), 'utf8'),
  privatePem: readFileSync(path.join(import.meta.dirname, '..', 'fixtures', 'keys', 'city-private.pem'), 'utf8'),
};
/** A signed template file whose payload holds `text` byte for byte (a payload nested 20,000 levels cannot go through JSON.stringify). */
function signed(text: string, fileName: string) {
  const payload = Buffer.from(`{"templates":[${text}]}`, 'utf8');
  const shape = JSON.parse(signFile('template', {}, CITY_KEY).toString('utf8')) as Record<string, string>;
  const signature = sign(null, payload, createPrivateKey(CITY_KEY.privatePem)).toString('base64');
  return file(Buffer.from(JSON.stringify({ ...shape, payload: payload.toString('base64'), signature })), fileName);
}
/** The rows of the templates table, as stored. */
const storedRows = (db: string) => {
  const d = new Database(tmp.file(db), { readonly: true });
  try {
    return d.prepare('SELECT id, version, sha256 FROM templates ORDER BY id, version').all();
  } finally {
    d.close();
  }
};
async function refusal(p: Promise<unknown>): Promise<AppError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(AppError);
  expect((e as AppError).message).not.toMatch(/\n\s+at |Error:|undefined/);
  return e as AppError;
}

/** The cell of the starter's sheet at this row, in the column with this heading. */
function cellAt(ws: ExcelJS.Worksheet, heading: string, row: number): ExcelJS.Cell {
  let col = 0;
  ws.getRow(1).eachCell((c, n) => {
    if (c.value === heading) col = n;
  });
  if (!col) throw new Error(`no column ${heading}`);
  return ws.getRow(row).getCell(col);
}
const letterOf = (c: ExcelJS.Cell) => c.address.replace(/\d+$/, '');

/** The template with one more computed item whose formula nests 20,000 levels (it overflowed the stack of the schema check). */
function deeplyNested(t: Template): string {
  let e = '1';
  for (let i = 0; i < 20_000; i++) e = `{"sum":[${e},1]}`;
  const s0 = t.sections[0]!;
  const withDeep = { ...t, sections: [{ ...s0, items: [...s0.items, { kind: 'computed', key: 'sau', label: { vi: 'Sâu' }, type: 'integer', expr: '__E__' }] }, ...t.sections.slice(1)] };
  return JSON.stringify(withDeep).replace('"__E__"', e);
}

let starter: Buffer;
beforeAll(async () => {
  starter = await writeStarterWorkbook();
});

describe('a workbook edited in Excel', () => {
  it('merged cells, a hidden sheet of the clerk\'s own, a hidden settings sheet and formulas with their results still build the same template', async () => {
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(starter as unknown as ExcelJS.Buffer);
    const form = wb.getWorksheet('Biểu mẫu')!;
    form.mergeCells('L3:N3'); // a hint spread over three columns
    form.getCell('B3').value = { formula: '"so_"&"can_bo"', result: 'so_can_bo' } as ExcelJS.CellFormulaValue;
    const draft = wb.addWorksheet('Nháp');
    draft.state = 'hidden';
    draft.getCell('A1').value = 'ghi chép riêng';
    wb.getWorksheet('Cài đặt')!.state = 'hidden';
    const edited = await buildTemplateFromWorkbook(Buffer.from(await wb.xlsx.writeBuffer()));
    expect(edited.problems).toEqual([]);
    expect(edited.template).toEqual((await buildTemplateFromWorkbook(starter)).template);
  });
});

describe('files that are not an authoring workbook: refused in Vietnamese, nothing stored', () => {
  /** The starter converted by LibreOffice to another format, renamed .xlsx. */
  function converted(filter: string, ext: string): Buffer {
    const src = tmp.file('starter.xlsx');
    writeFileSync(src, starter);
    const out = tmp.file(`conv-${ext}`);
    mkdirSync(out, { recursive: true });
    execFileSync(SOFFICE, [`-env:UserInstallation=file://${tmp.file('lo-profile')}`, '--headless', '--norestore', '--convert-to', `${ext}:${filter}`, '--outdir', out, src], {
      stdio: 'pipe',
      timeout: 120_000,
    });
    const renamed = path.join(out, 'mau.xlsx');
    copyFileSync(path.join(out, `starter.${ext}`), renamed);
    return readFileSync(renamed);
  }

  it('.xls, .ods and .csv renamed .xlsx, a password-protected workbook, a workbook of 50 MB, an empty file', async () => {
    const city = await core('city-files.sqlite', 'city');
    const before = storedRows('city-files.sqlite');
    const protectedXlsx = Buffer.concat([Buffer.from('d0cf11e0a1b11ae1', 'hex'), Buffer.alloc(504), Buffer.from('EncryptionInfo\0EncryptedPackage', 'utf16le'), Buffer.alloc(4096)]);
    const big = new ExcelJS.Workbook();
    await big.xlsx.load(starter as unknown as ExcelJS.Buffer);
    big.getWorksheet('Biểu mẫu')!.addImage(big.addImage({ buffer: randomBytes(50 * 1024 * 1024) as unknown as ExcelJS.Buffer, extension: 'png' }), 'P2:Q3');
    const cases: [string, Buffer, RegExp][] = [
      ['xls', converted('MS Excel 97', 'xls'), /^Tệp này là tệp Excel cũ \(\.xls\) hoặc đã đặt mật khẩu; .*lưu lại với định dạng "Excel Workbook \(\*\.xlsx\)"/],
      ['ods', converted('calc8', 'ods'), /^Không đọc được tệp: tệp không phải là sổ Excel \(\.xlsx\).*lưu lại với định dạng "Excel Workbook/],
      ['csv', converted('Text - txt - csv (StarCalc):44,34,76', 'csv'), /^Không đọc được tệp: tệp không phải là sổ Excel \(\.xlsx\)/],
      ['password', protectedXlsx, /^Tệp này là tệp Excel cũ \(\.xls\) hoặc đã đặt mật khẩu/],
      ['50 MB', Buffer.from(await big.xlsx.writeBuffer()), /^Tệp quá lớn để là một sổ mẫu báo cáo/],
      ['empty', Buffer.alloc(0), /^Không đọc được tệp/],
    ];
    for (const [name, bytes, message] of cases) {
      const check = await refusal(call(city, 'templates.check', { file: file(bytes, 'mau.xlsx') }));
      expect(check.message, name).toMatch(message);
      const publish = await refusal(call(city, 'templates.publish', { file: file(bytes, 'mau.xlsx') }));
      expect(publish.message, name).toMatch(message);
    }
    expect(storedRows('city-files.sqlite')).toEqual(before);
  });

  it('a workbook with mistakes is refused at publish with its first place named, and nothing is stored', async () => {
    const city = await core('city-bad.sqlite', 'city');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(starter as unknown as ExcelJS.Buffer);
    const form = wb.getWorksheet('Biểu mẫu')!;
    const formula = cellAt(form, 'Công thức', 3);
    formula.value = '('.repeat(10_000) + '1' + ')'.repeat(10_000);
    cellAt(form, 'Nhãn', 4).value = 'Kinh phí\u202e đã dùng';
    const e = await refusal(call(city, 'templates.publish', { file: file(Buffer.from(await wb.xlsx.writeBuffer()), 'mau.xlsx') }));
    expect(e.message).toMatch(
      /^Chưa công bố: mẫu còn 2 lỗi \(trang tính "Biểu mẫu", dòng 4, cột C: Ô có ký tự ẩn hoặc ký tự điều khiển \(U\+202E\).* và 1 lỗi khác\)\. Hãy sửa từng lỗi theo trang tính, dòng và cột đã nêu rồi thử lại; chưa có gì thay đổi\.$/,
    );
    expect((e.details as { problems: unknown[] }).problems).toContainEqual(
      expect.objectContaining({ sheet: 'Biểu mẫu', row: 3, column: letterOf(formula), message: expect.stringMatching(/^Công thức "\({60}…" sai ở ký tự thứ 2001: dài 20\.001 ký tự/) }),
    );
    expect(storedRows('city-bad.sqlite')).toEqual([]);
  });
});

describe('an id that collides with a built-in', () => {
  it('BC-CX changed in a workbook publishes as BC-CX version 2; the built-in version 1 stays; the same again is refused', async () => {
    const city = await core('city-bccx.sqlite', 'city');
    const bc = city.templates.getTemplate('BC-CX', 1)!;
    const changed: Template = { ...structuredClone(bc), title: { vi: 'Báo cáo định kỳ (sửa đổi năm 2026)' } };
    // The unchanged BC-CX is refused: it is the built-in version 1, nothing to publish.
    const same = await refusal(call(city, 'templates.publish', { file: file(await writeAuthoringWorkbook(bc), 'BC-CX.xlsx') }));
    expect(same.message).toMatch(/^Mẫu BC-CX đã là phiên bản 1 với đúng nội dung này/);
    expect(storedRows('city-bccx.sqlite')).toEqual([]);
    const wb = await writeAuthoringWorkbook(changed);
    const r = await call(city, 'templates.publish', { file: file(wb, 'BC-CX.xlsx') });
    expect(r).toMatchObject({ id: 'BC-CX', version: 2 });
    expect(r.message).toMatch(/Tệp ghi phiên bản 1; ứng dụng đánh số phiên bản 2/);
    expect(city.templates.getTemplate('BC-CX', 1)).toEqual(bc);
    const list = await call(city, 'templates.list', {});
    expect(list.filter((t) => t.id === 'BC-CX').map((t) => [t.version, t.source])).toEqual([
      [2, 'published'],
      [1, 'builtin'],
    ]);
    // The changed one again: it is version 2 already.
    const again = await refusal(call(city, 'templates.publish', { file: file(wb, 'BC-CX.xlsx') }));
    expect(again.message).toMatch(/^Mẫu BC-CX đã là phiên bản 2 với đúng nội dung này/);
    expect(storedRows('city-bccx.sqlite')).toHaveLength(1);
  });
});

describe('a commune receives a hostile template file', () => {
  it('prototype keys, a formula nested 20,000 levels, a 3 MB array, duplicate period types, a version of a billion, an id of 500 characters: refused, nothing stored, nothing polluted', async () => {
    const commune = await core('commune-hostile.sqlite', 'commune');
    const base = structuredClone(commune.templates.getTemplate('BC-CX', 1)!);
    const t = { ...base, id: 'BC-TN' };
    const cases: [string, string, RegExp][] = [
      ['proto', JSON.stringify(t).replace('{', '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted2":true}},'), /Khóa không được nhận dạng: "__proto__", "constructor"/],
      ['nested proto', JSON.stringify({ ...t, sections: [JSON.parse(JSON.stringify(t.sections[0]).replace('{', '{"__proto__":{"polluted3":true},')), ...t.sections.slice(1)] }), /Mục "sections\.0": Khóa không được nhận dạng: "__proto__"/],
      ['3 MB', JSON.stringify({ ...t, periodTypes: Array(400_000).fill('quarter') }), new RegExp(`lớn 3(,\\d)? MB, quá ${MAX_TEMPLATE_JSON_BYTES / 1024 / 1024} MB cho phép`)],
      ['duplicates', JSON.stringify({ ...t, periodTypes: Array(1000).fill('quarter') }), /Một loại kỳ báo cáo bị ghi nhiều lần trong "periodTypes"/],
      ['version', JSON.stringify({ ...t, version: 1e9 }), /Phiên bản 1000000000 quá lớn: phiên bản là số thứ tự lần công bố, từ 1 đến 9\.999/],
      ['id', JSON.stringify({ ...t, id: 'X'.repeat(500) }), /Mã mẫu dài 500 ký tự, quá 40 ký tự cho phép/],
      ['20,000 levels', deeplyNested(t), new RegExp(`lồng nhau quá ${MAX_TEMPLATE_JSON_DEPTH} lớp, điều một mẫu báo cáo không bao giờ có`)],
    ];
    // Unsigned, whatever it holds: refused (issue 9), not even read.
    for (const text of [JSON.stringify(t), '{"id": "BC-TN", ']) {
      const e = await refusal(call(commune, 'templates.receive', { file: file(Buffer.from(text), 'mau.json') }));
      expect(e.message).toMatch(/^Mẫu báo cáo phải là tệp do Thành phố ký/);
    }
    // Signed by the city, and hostile all the same: the template model refuses it.
    for (const [name, text, message] of cases) {
      const e = await refusal(call(commune, 'templates.receive', { file: signed(text, 'mau.json') }));
      expect(e.message, name).toMatch(/^Chưa nhận mẫu: mẫu còn \d+ lỗi \(tệp "mau\.json": /);
      expect(e.message, name).toMatch(message);
      expect(e.message, name).toMatch(/chưa có gì thay đổi\.$/);
    }
    const probe = {} as Record<string, unknown>;
    expect([probe.polluted, probe.polluted2, probe.polluted3]).toEqual([undefined, undefined, undefined]);
    expect(storedRows('commune-hostile.sqlite')).toEqual([]);
  });

  it('the same id@version twice: identical is a no-op, different content is refused and the first stays', async () => {
    const commune = await core('commune-twice.sqlite', 'commune');
    const t: Template = { ...structuredClone(commune.templates.getTemplate('BC-CX', 1)!), id: 'BC-TN', title: { vi: 'Báo cáo thử' } };
    await call(commune, 'templates.receive', { file: signed(JSON.stringify(t), 'BC-TN.json') });
    const first = storedRows('commune-twice.sqlite');
    const same = await call(commune, 'templates.receive', { file: signed(JSON.stringify(t), 'BC-TN.json') });
    expect(same.message).toMatch(/giống hệt tệp này; không có gì thay đổi\./);
    const other = { ...t, title: { vi: 'Báo cáo thử (đã bị sửa)' } };
    const e = await refusal(call(commune, 'templates.receive', { file: signed(JSON.stringify(other), 'BC-TN-sua.json') }));
    expect(e.message).toMatch(/^Ứng dụng đã có mẫu BC-TN phiên bản 1 nhưng nội dung khác với tệp "BC-TN-sua\.json", nên chưa nhận tệp này\./);
    expect(storedRows('commune-twice.sqlite')).toEqual(first);
    expect(commune.templates.getTemplate('BC-TN', 1)!.title).toEqual({ vi: 'Báo cáo thử' });
  });
});

describe('the template command line with wrong arguments', () => {
  it('an unknown subcommand lists the template subcommands; a broken workbook exits 1 naming sheet, row and column; no stack anywhere', async () => {
    const r1 = await runCli(['template', 'frobnicate']);
    expect(r1.code).toBe(2);
    expect(r1.stderr).toMatch(/Không có lệnh "frobnicate"\. Các lệnh: build, export, sample, publish\./);

    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(starter as unknown as ExcelJS.Buffer);
    wb.getWorksheet('Cài đặt')!.getCell('B3').value = '1.000';
    const formula = cellAt(wb.getWorksheet('Biểu mẫu')!, 'Công thức', 3);
    formula.value = 'max('.repeat(80) + '1' + ')'.repeat(80);
    const bad = tmp.file('bad.xlsx');
    writeFileSync(bad, Buffer.from(await wb.xlsx.writeBuffer()));
    const r2 = await runCli(['template', 'build', bad]);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toMatch(/còn 2 lỗi/);
    expect(r2.stderr).toMatch(/- trang tính "Cài đặt", dòng 3, cột B: Phiên bản "1\.000" phải là một số nguyên từ 1 đến 9\.999\./);
    expect(r2.stderr).toMatch(new RegExp(`- trang tính "Biểu mẫu", dòng 3, cột ${letterOf(formula)}: Công thức "max\\(max\\(.*lồng quá 50 lớp ngoặc hoặc hàm`));

    const xls = tmp.file('renamed.xlsx');
    writeFileSync(xls, Buffer.from('Loại,Mã,Nhãn\nsố nguyên,a,b\n'));
    const r3 = await runCli(['template', 'publish', '--db', tmp.file('cli-city.sqlite'), xls]);
    expect(r3.code).toBe(1);
    expect(r3.stderr).toMatch(/^Lỗi: Không đọc được tệp: tệp không phải là sổ Excel \(\.xlsx\)/);

    const r4 = await runCli(['template', 'export', 'BC-CX@abc', '--out', tmp.file('x.xlsx')]);
    expect(r4.code).toBe(1);
    expect(r4.stderr).toMatch(/"BC-CX@abc" không phải mã mẫu/);
    for (const r of [r1, r2, r3, r4]) expect(hasStack(r.stdout + r.stderr)).toBe(false);
  });
});
