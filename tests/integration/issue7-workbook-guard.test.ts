/**
 * Issue 7 item 12: every workbook the app opens goes through the package guard (core/xlsx/guard.ts),
 * the unit list's included; a unit-list CSV in the encodings Vietnamese Excel writes (UTF-16 with or
 * without a BOM, Windows-1258) is read, and one that cannot be read is refused naming its encoding.
 * Real .xlsx files (ExcelJS), bombs built by tests/helpers/hostile.ts, real SQLite files.
 */
import { afterEach, describe, expect, it } from 'vitest';
import ExcelJS from 'exceljs';
import type { Core } from '../../core/handlers.js';
import { readPackageWithExcelJS } from '../../core/xlsx/index.js';
import { call, openCore } from '../helpers/core.js';
import { tempDir } from '../helpers/sample.js';
import { partsOf, repeatedEntry, rezip } from '../helpers/hostile.js';
import { haiphongUnits } from '../helpers/city-returns.js';
import { asFile, template } from '../helpers/city-packages.js';

let tmp: ReturnType<typeof tempDir> | undefined;
let core: Core | undefined;
afterEach(async () => {
  await core?.close();
  core = undefined;
  tmp?.cleanup();
});
async function cityCore(): Promise<Core> {
  tmp = tempDir('i7-guard-');
  core = await openCore(tmp.file('city.sqlite'));
  await call(core, 'app.setup', { role: 'city' });
  return core;
}
const MB = 1024 * 1024;
const units = haiphongUnits();
const csvText = 'code,type,name\r\n' + units.map((u) => `${u.code},${u.type},${u.name}`).join('\r\n') + '\r\n';
const importList = (c: Core, fileName: string, bytes: Buffer) => call(c, 'units.import', { file: asFile({ fileName, bytes }) });

/** The five tone marks Windows-1258 writes as separate bytes. */
const TONES = ['\u0300', '\u0301', '\u0303', '\u0309', '\u0323'];

/** Vietnamese text in Windows-1258 (what Excel's "CSV (Comma delimited)" writes on a Vietnamese Windows): base letters and tone marks. */
function windows1258(text: string): Buffer {
  const decoder = new TextDecoder('windows-1258');
  const table = new Map<string, number>();
  for (let b = 0; b < 256; b++) table.set(decoder.decode(Uint8Array.of(b)), b);
  const out: number[] = [];
  for (const ch of text.normalize('NFC')) {
    if (table.has(ch)) {
      out.push(table.get(ch)!);
      continue;
    }
    // A letter with a tone: the letter without it (â, ê, ơ… are single bytes), then the tone mark.
    const d = [...ch.normalize('NFD')];
    const tones = d.filter((m) => TONES.includes(m));
    const base = d.filter((m) => !TONES.includes(m)).join('').normalize('NFC');
    if (!table.has(base) || tones.length !== 1) throw new Error(`no Windows-1258 form for ${ch}`);
    out.push(table.get(base)!, table.get(tones[0]!)!);
  }
  return Buffer.from(out);
}

async function unitListWorkbook(): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('Danh sách');
  ws.addRow(['code', 'type', 'name']);
  for (const u of units.slice(0, 5)) ws.addRow([u.code, u.type, u.name]);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

describe('the unit-list workbook goes through the guard', () => {
  it('a small workbook holding a 100 MB part is refused before it is expanded; the list is unchanged', async () => {
    const c = await cityCore();
    const good = await unitListWorkbook();
    const bomb = rezip(partsOf(good), { 'xl/media/image1.png': repeatedEntry('xl/media/image1.png', new Uint8Array(MB), 100) });
    expect(bomb.length).toBeLessThan(MB);
    await expect(call(c, 'units.import', { file: asFile({ fileName: 'danh-sach.xlsx', bytes: bomb }) })).rejects.toMatchObject({
      code: 'refused',
      message: expect.stringMatching(/Tệp Excel danh sách đơn vị có cấu trúc bất thường .* đã từ chối và không mở nó/),
      details: { reason: 'zip_bomb' },
    });
    // A worksheet that lies about its size is stopped while inflating.
    const sheet = partsOf(good)['xl/worksheets/sheet1.xml']!;
    const lying = repeatedEntry('xl/worksheets/sheet1.xml', ' '.repeat(64 * 1024), 64);
    const liar = rezip(partsOf(good), { 'xl/worksheets/sheet1.xml': { ...lying, size: sheet.length } });
    await expect(call(c, 'units.import', { file: asFile({ fileName: 'danh-sach.xlsx', bytes: liar }) })).rejects.toMatchObject({
      code: 'refused',
      details: { reason: 'zip_bomb_lying' },
    });
    await expect(call(c, 'units.import', { file: asFile({ fileName: 'danh-sach.xlsx', bytes: good.subarray(0, good.length - 40) }) })).rejects.toMatchObject({
      code: 'corrupt_file',
      message: expect.stringMatching(/Không đọc được tệp Excel danh sách đơn vị/),
    });
    expect(await call(c, 'units.versions', {})).toHaveLength(1);
    expect((await call(c, 'units.list', {})).units).toHaveLength(114);
    // The same workbook without the bomb is read.
    expect((await call(c, 'units.import', { file: asFile({ fileName: 'danh-sach.xlsx', bytes: good }), dryRun: true })).count).toBe(5);
  });

  it('the ExcelJS package reader goes through the guard too', async () => {
    const { readPackage } = await import('../../core/xlsx/index.js');
    const good = await unitListWorkbook();
    const bomb = rezip(partsOf(good), { 'xl/media/image1.png': repeatedEntry('xl/media/image1.png', new Uint8Array(MB), 100) });
    const get = (id: string, v: number) => (id === template.id && v === template.version ? template : undefined);
    for (const read of [readPackage, readPackageWithExcelJS])
      await expect(read(bomb, get)).rejects.toMatchObject({ code: 'refused', details: { reason: 'zip_bomb' } });
  });
});

describe('unit-list CSV encodings', () => {
  it('reads UTF-16 LE/BE (with or without a BOM) and Windows-1258 as the same 114 units', async () => {
    const c = await cityCore();
    const le = Buffer.from(csvText, 'utf16le');
    const be = Buffer.from(le).swap16();
    const files: [string, Buffer][] = [
      ['utf8-bom', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(csvText)])],
      ['utf16le-bom', Buffer.concat([Buffer.from([0xff, 0xfe]), le])],
      ['utf16be-bom', Buffer.concat([Buffer.from([0xfe, 0xff]), be])],
      ['utf16le', le],
      ['utf16be', be],
      ['windows-1258', windows1258(csvText)],
    ];
    for (const [name, bytes] of files) {
      const res = await importList(c, `${name}.csv`, bytes);
      expect({ name, count: res.count, added: res.added, removed: res.removed, renamed: res.renamed }).toEqual({ name, count: 114, added: [], removed: [], renamed: [] });
    }
    // The Windows-1258 file really is not UTF-8 and holds tone marks as separate bytes.
    expect(() => new TextDecoder('utf-8', { fatal: true }).decode(windows1258(csvText))).toThrow();
    expect(windows1258('Thủy')).toEqual(Buffer.from([0x54, 0x68, 0x75, 0xd2, 0x79]));
  });

  it('a file it cannot read is refused naming its encoding and saying to save it as CSV UTF-8', async () => {
    const c = await cityCore();
    // TCVN3 ("ABC" fonts): Vietnamese letters on bytes that are symbols in every Windows code page.
    const tcvn3 = Buffer.from([...Buffer.from('code,type,name\n1,x'), 0xb8, ...Buffer.from(',X'), 0xb8, 0x20, 0xb5, ...Buffer.from(' A\n')]);
    await expect(importList(c, 'tcvn3.csv', tcvn3)).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringMatching(/^Tệp đang ở bảng mã không phải UTF-8 \(có thể là TCVN3 hoặc VNI\).*lưu lại dưới dạng .*CSV UTF-8/),
    });
    // UTF-16 with a broken character (a lone surrogate).
    const broken = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('code,type,name\n1,xã,X', 'utf16le'), Buffer.from([0x00, 0xd8]), Buffer.from(' A\n', 'utf16le')]);
    await expect(importList(c, 'hong.csv', broken)).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringMatching(/^Tệp đang ở bảng mã UTF-16 LE .*CSV UTF-8/),
    });
    expect(await call(c, 'units.versions', {})).toHaveLength(1);
  });
});
