/**
 * Issue 8, the authoring workbook as a file (engineer A): written with ExcelJS, re-saved through
 * LibreOffice and built again into the same template (BC-CX and the every-feature template); the
 * shipped BC-CX.xlsx is today's BC-CX; the starter builds and carries its notes; hostile and broken
 * files (a zip bomb, a 100,000-row sheet, not an xlsx) are refused with a Vietnamese message.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, describe, expect, it } from 'vitest';
import type { Template } from '../../shared/index.js';
import { AppError, parseTemplate } from '../../shared/index.js';
import { loadTemplates } from '../../core/resources.js';
import { buildTemplateFromWorkbook, readAuthoringWorkbook, writeAuthoringWorkbook } from '../../core/templates/workbook.js';
import { STARTER_EXAMPLE, writeStarterWorkbook } from '../../core/templates/starter.js';
import { partsOf, repeatedEntry, rezip } from '../helpers/hostile.js';
import { repoRoot, resourcesDir } from '../helpers/sample.js';
import { EVERY_FEATURE } from '../fixtures/templates/issue8-authoring-every-feature.js';

const SOFFICE = process.env.SOFFICE_PATH ?? '/usr/bin/soffice';
const dir = mkdtempSync(path.join(tmpdir(), 'cr-issue8-authoring-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const plain = (x: unknown) => JSON.parse(JSON.stringify(x)) as unknown;
const expected = parseTemplate(JSON.parse(readFileSync(path.join(repoRoot, 'tests/fixtures/templates/BC-CX.v1.expected.json'), 'utf8')));

/** Open and save the workbook in LibreOffice (as a clerk who edits it there would), returning the re-saved bytes. */
function resaveInLibreOffice(name: string, bytes: Buffer): Buffer {
  const src = path.join(dir, 'in', `${name}.xlsx`);
  const out = path.join(dir, 'out');
  mkdirSync(path.dirname(src), { recursive: true });
  mkdirSync(out, { recursive: true });
  writeFileSync(src, bytes);
  execFileSync(SOFFICE, [`-env:UserInstallation=file://${path.join(dir, 'profile')}`, '--headless', '--norestore', '--convert-to', 'xlsx:Calc MS Excel 2007 XML', '--outdir', out, src], {
    stdio: 'pipe',
    timeout: 120_000,
  });
  const resaved = readFileSync(path.join(out, `${name}.xlsx`));
  expect(resaved.equals(bytes)).toBe(false); // really another writer's file
  return resaved;
}

async function refusal(p: Promise<unknown>): Promise<AppError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(AppError);
  return e as AppError;
}

describe('issue 8: the authoring workbook as a file', () => {
  it('the shipped resources/templates/BC-CX.xlsx builds into today\'s BC-CX (the JSON it replaced)', () => {
    const templates = loadTemplates(path.join(resourcesDir, 'templates'));
    expect(plain(templates.get('BC-CX@1'))).toEqual(plain(expected));
  });

  it('a broken built-in workbook stops the app from loading its templates (a packaging bug), naming the problem', async () => {
    const templates = path.join(dir, 'broken-templates');
    mkdirSync(templates, { recursive: true });
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load((await writeAuthoringWorkbook(expected)) as unknown as ExcelJS.Buffer);
    wb.getWorksheet('Biểu mẫu')!.getCell('A3').value = 'số nguyn';
    writeFileSync(path.join(templates, 'BC-CX.xlsx'), Buffer.from(await wb.xlsx.writeBuffer()));
    expect(() => loadTemplates(templates)).toThrow(/Invalid template file .*BC-CX\.xlsx: Biểu mẫu row 3 column A: Không hiểu loại "số nguyn"/);
  });

  it.each([
    ['BC-CX', expected],
    ['every-feature', parseTemplate(EVERY_FEATURE)],
  ] as [string, Template][])('%s: written with ExcelJS, re-saved by LibreOffice, built again into the same template', async (name, t) => {
    const written = await writeAuthoringWorkbook(t);
    const direct = await buildTemplateFromWorkbook(written);
    expect(direct.problems).toEqual([]);
    expect(plain(direct.template)).toEqual(plain(t));
    const resaved = resaveInLibreOffice(name, written);
    const again = await buildTemplateFromWorkbook(resaved);
    expect(again.problems).toEqual([]);
    expect(plain(again.template)).toEqual(plain(t));
  });

  it('the workbook is styled for a clerk: heading bold and frozen, a note on every heading, wide text columns', async () => {
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load((await writeAuthoringWorkbook(expected)) as unknown as ExcelJS.Buffer);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['Cài đặt', 'Biểu mẫu', 'Danh sách', 'Kiểm tra', 'Tổng hợp']);
    for (const ws of wb.worksheets) {
      expect(ws.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
      ws.getRow(1).eachCell((c) => {
        expect(c.font?.bold, `${ws.name} ${c.address}`).toBe(true);
        expect(c.note, `${ws.name} ${c.address}`).toBeTruthy();
      });
    }
    const form = wb.getWorksheet('Biểu mẫu')!;
    const label = (form.getRow(1).values as unknown[]).indexOf('Nhãn');
    expect(form.getColumn(label).width).toBeGreaterThanOrEqual(40);
  });

  it('the starter builds as it is, has a note in every heading cell, greyed examples and a "Hướng dẫn" sheet', async () => {
    const bytes = await writeStarterWorkbook();
    const built = await buildTemplateFromWorkbook(bytes);
    expect(built.problems).toEqual([]);
    expect(plain(built.template)).toEqual(plain(STARTER_EXAMPLE));
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(bytes as unknown as ExcelJS.Buffer);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['Cài đặt', 'Biểu mẫu', 'Danh sách', 'Kiểm tra', 'Tổng hợp', 'Hướng dẫn']);
    const form = wb.getWorksheet('Biểu mẫu')!;
    const headings = (form.getRow(1).values as unknown[]).filter(Boolean);
    expect(headings.length).toBeGreaterThanOrEqual(28); // every column of the format, used or not
    form.getRow(1).eachCell((c) => expect(c.note, c.address).toBeTruthy());
    expect(form.getCell('A2').font).toMatchObject({ italic: true, color: { argb: 'FF808080' } });
    const guide = wb.getWorksheet('Hướng dẫn')!;
    const text = guide.getColumn(2).values.join('\n');
    for (const word of ['số nguyên', 'đoạn văn', 'tiền', 'tệp', '${mã_biểu.mã_ô}', 'count(', 'band(', 'period_year()'])
      expect(text).toContain(word);
  });

  it('a zip bomb is refused before it is expanded, with a Vietnamese message', async () => {
    const parts = partsOf(await writeAuthoringWorkbook(expected));
    const zeros = new Uint8Array(1024 * 1024);
    const bomb = rezip(parts, { 'xl/media/big.bin': repeatedEntry('xl/media/big.bin', zeros, 300) });
    const e = await refusal(buildTemplateFromWorkbook(bomb));
    expect(e.code).toBe('refused');
    expect(e.message).toMatch(/^Tệp khi giải nén sẽ lớn bất thường \(có thể là tệp độc hại, "bom nén"\).*Hãy dùng đúng sổ mẫu báo cáo/);
  });

  it('a sheet of 100,000 rows is refused, naming the sheet and the cap', async () => {
    const parts = partsOf(await writeAuthoringWorkbook(expected));
    const rows: string[] = [];
    for (let r = 1; r <= 100_000; r++) rows.push(`<row r="${r}"><c r="A${r}"><v>${r}</v></c></row>`);
    const sheet = `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>${rows.join('')}</sheetData></worksheet>`;
    const big = rezip(parts, { 'xl/worksheets/sheet2.xml': sheet });
    const built = await buildTemplateFromWorkbook(big);
    expect(built.template).toBeUndefined();
    expect(built.problems).toEqual([{ sheet: 'Biểu mẫu', message: expect.stringMatching(/^Trang "Biểu mẫu" có hơn 5\.000 dòng \(tối đa 5\.000 dòng một trang\).*Hãy xóa các dòng thừa/) }]);
    const e = await refusal(readAuthoringWorkbook(big));
    expect(e).toMatchObject({ code: 'refused', details: { reason: 'too_many_rows', sheet: 'Biểu mẫu' } });

    // The same made by Excel's way of writing (ExcelJS: a dimension and styled rows): refused too, in Vietnamese.
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load((await writeAuthoringWorkbook(expected)) as unknown as ExcelJS.Buffer);
    const form = wb.getWorksheet('Biểu mẫu')!;
    for (let r = 200; r <= 100_000; r++) form.getCell(`B${r}`).value = r;
    const clerk = Buffer.from(await wb.xlsx.writeBuffer());
    const e2 = await refusal(buildTemplateFromWorkbook(clerk)).catch(() => undefined);
    const problems = e2 ? [e2.message] : (await buildTemplateFromWorkbook(clerk)).problems.map((p) => p.message);
    expect(problems.join('\n')).toMatch(/5\.000 dòng/);
  });

  it('a file that is not an xlsx (or an old .xls) is refused with what to do', async () => {
    const e = await refusal(buildTemplateFromWorkbook(Buffer.from('Mã mẫu,Phiên bản\nBC-X,1\n')));
    expect(e.code).toBe('corrupt_file');
    expect(e.message).toMatch(/^Không đọc được tệp: tệp không phải là sổ Excel \(\.xlsx\).*Hãy mở tệp bằng Excel hoặc LibreOffice, lưu lại/);
    const ole = Buffer.alloc(4096);
    Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]).copy(ole);
    const e2 = await refusal(buildTemplateFromWorkbook(ole));
    expect(e2.message).toMatch(/^Tệp này là tệp Excel cũ \(\.xls\)/);
  });
});
