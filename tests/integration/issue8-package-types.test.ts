/**
 * Issue 8, the Excel package for any template: the new cell types (long text, date, money, rate
 * with what it is of, file, hints), applicability to the unit, and shapes BC-CX does not have —
 * written, read back by both readers (the fast guarded one and ExcelJS) to the same values, and
 * through real LibreOffice (re-saved, printed to PDF).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Column, ReturnJson, Template, Unit, Values } from '../../shared/index.js';
import { normalizeValues, parseTemplate } from '../../shared/index.js';
import type { ReadResult } from '../../core/xlsx/index.js';
import { applicableOnly, readPackage, readPackageWithExcelJS, valuesHash, writePackage } from '../../core/xlsx/index.js';
import { readCellMap } from '../../core/xlsx/read.js';
import { draftFileName, packageFileName } from '../../core/packages.js';
import { FILE_A, FILE_B, UNIT_ALL, UNIT_XA, fullReturn, loadAllTypes, longText } from '../fixtures/templates/issue8-all-types.js';
import { meta } from '../fixtures/xlsx/sample.js';

const t = loadAllTypes();
const dir = mkdtempSync(join(tmpdir(), 'issue8-pkg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const root = fileURLToPath(new URL('../../', import.meta.url));

const known = (template: Template) => (id: string, version: number) =>
  id === template.id && version === template.version ? template : undefined;

/** Both readers on the same bytes must agree; returns the fast reader's result. */
async function readBoth(bytes: Uint8Array, template: Template = t): Promise<ReadResult> {
  const fast = await readPackage(bytes, known(template));
  const reference = await readPackageWithExcelJS(bytes, known(template));
  expect(fast).toStrictEqual(reference);
  return fast;
}

async function workbook(bytes: Uint8Array): Promise<ExcelJS.Workbook> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(bytes as unknown as ExcelJS.Buffer);
  return wb;
}
async function bytesOf(wb: ExcelJS.Workbook): Promise<Buffer> {
  return Buffer.from(await wb.xlsx.writeBuffer());
}
/** Where the package put a cell (from its own cell map). */
function where(wb: ExcelJS.Workbook, path: string): ExcelJS.Cell {
  const ref = readCellMap(wb).find((r) => r.kind === 'value' && r.key === path);
  if (!ref) throw new Error(`no input cell for ${path}`);
  return wb.getWorksheet(ref.sheet)!.getCell(ref.address);
}
/** The cell right of a label on a sheet (a field's value cell, found by what a person reads). */
function byLabel(ws: ExcelJS.Worksheet, label: string): { label: ExcelJS.Cell; value: ExcelJS.Cell } {
  let found: { label: ExcelJS.Cell; value: ExcelJS.Cell } | undefined;
  ws.eachRow((row) => {
    const first = row.getCell(1);
    const v = first.value;
    const text = v && typeof v === 'object' && 'richText' in v ? v.richText.map((r) => r.text).join('') : String(v ?? '');
    if (!found && text.split('\n')[0] === label) {
      const merged = [...Array(ws.columnCount).keys()].map((i) => row.getCell(i + 1)).find((c) => c.master !== first.master);
      found = { label: first, value: merged ?? first };
    }
  });
  if (!found) throw new Error(`no label "${label}" on ${ws.name}`);
  return found;
}
const plain = (v: ExcelJS.CellValue) =>
  v && typeof v === 'object' && 'richText' in v ? v.richText.map((r) => r.text).join('') : v;

const write = (ret: ReturnJson, unit: Unit, template: Template = t) => writePackage({ template, ret, unit, meta });

describe('issue 8: every new type through the package (a ward with a HĐND: everything applies)', () => {
  const ret = fullReturn(UNIT_ALL.code);
  let pkg: Buffer;
  let wb: ExcelJS.Workbook;
  beforeAll(async () => {
    pkg = await write(ret, UNIT_ALL);
    wb = await workbook(pkg);
  });

  it('reads back to the same values by both readers, not edited outside, nothing to say', async () => {
    const read = await readBoth(pkg);
    expect(read.ret.values).toStrictEqual(normalizeValues(t, ret.values));
    expect(read.editedOutside).toBe(false);
    expect(read.notes).toBeUndefined();
    expect((read.ret.values.chung as Values[string]).ngay_quyet_dinh).toBe('2025-07-01');
    expect((read.ret.values.chung as Values[string]).quyet_dinh).toStrictEqual(FILE_A);
    expect((read.ret.values.ket_qua as Values[string]).ket_qua).toBe(ret.values.ket_qua!.ket_qua);
  });

  it('a date is a real Excel date shown dd/mm/yyyy, accepting 1/1/1945 to 31/12/2100', () => {
    const c = where(wb, 'chung.ngay_quyet_dinh');
    expect(c.value).toBeInstanceOf(Date);
    expect((c.value as Date).toISOString().slice(0, 10)).toBe('2025-07-01');
    expect(c.numFmt).toMatch(/dd\/mm\/yyyy$/);
    expect(c.dataValidation).toMatchObject({ type: 'date', operator: 'between' });
    const [from, to] = c.dataValidation.formulae as unknown[];
    expect([from, to].map((d) => (d instanceof Date ? d.toISOString().slice(0, 10) : String(d)))).toStrictEqual([
      '1945-01-01',
      '2100-12-31',
    ]);
    expect(c.dataValidation.error).toContain('31/12/2026');
    expect(where(wb, 'ds.cong_trinh.0.ngay').value).toBeInstanceOf(Date);
  });

  it('money shows thousands separators and its unit in the label; a rate says what it is of; decimals as the item allows', () => {
    const ws = wb.getWorksheet('Biểu 01')!;
    const dong = byLabel(ws, 'Kinh phí đã chi (đồng)');
    expect(dong.value.value).toBe(1_500_000);
    expect(dong.value.numFmt).toMatch(/#,##0$/);
    const trieu = byLabel(ws, 'Dự toán được giao (triệu đồng)');
    expect(trieu.value.numFmt).toMatch(/#,##0\.00$/);
    expect(byLabel(ws, 'Tỷ lệ đúng hạn (%, trên tổng số hồ sơ đã giải quyết)').value.numFmt).toMatch(/0\.00%$/);
    // A money column's header says its unit; its total row sums it (with a cached total).
    const table = wb.getWorksheet('Biểu 02')!;
    let header = '';
    let total: unknown;
    table.eachRow((row) =>
      row.eachCell((c) => {
        if (String(c.value).startsWith('Nguyên giá (')) header ||= String(c.value);
        const v = c.value as ExcelJS.CellFormulaValue;
        if (v && typeof v === 'object' && 'formula' in v && /^SUM\(C/.test(v.formula)) total = v.result;
      }),
    );
    expect(header).toBe('Nguyên giá (triệu đồng)');
    expect(total).toBeCloseTo(4220.125, 6);
    // A decimal shows as many decimals as the item allows (3 here; 2 by default).
    const average: string[] = [];
    table.eachRow((row) =>
      row.eachCell((c) => {
        const v = c.value as ExcelJS.CellFormulaValue;
        if (v && typeof v === 'object' && 'formula' in v && /C\d+\/B\d+/.test(v.formula)) average.push(c.numFmt);
      }),
    );
    expect(average.length).toBe(4);
    for (const f of average) expect(f).toBe('[$-42A]#,##0.000');
    expect(byLabel(ws, 'Diện tích trụ sở (m²)').value.numFmt).toBe('[$-42A]#,##0.00');
  });

  it('a long text is wrapped over the whole width in rows tall enough to print it, and says its hint', () => {
    const c = where(wb, 'ket_qua.ket_qua');
    expect(c.alignment.wrapText).toBe(true);
    const ws = c.worksheet;
    const text = ret.values.ket_qua!.ket_qua as string;
    expect(c.value).toBe(text);
    // Merged over every column and over the rows its length needs (each at most 409 points).
    const merge = Object.values((ws as unknown as { _merges: Record<string, { model: { top: number; bottom: number; left: number; right: number } }> })._merges)
      .map((m) => m.model)
      .find((m) => m.top === Number(c.row) && m.left === 1)!;
    expect(merge.right).toBe(ws.columnCount);
    let height = 0;
    for (let r = merge.top; r <= merge.bottom; r++) {
      expect(ws.getRow(r).height).toBeLessThanOrEqual(409);
      height += ws.getRow(r).height;
    }
    const width = [...Array(ws.columnCount).keys()].reduce((a, i) => a + (ws.getColumn(i + 1).width ?? 0), 0);
    // At most ~1,45 characters per unit of width print on a line; every line at least 11 points high.
    const linesNeeded = text.split('\n').reduce((n, p) => n + Math.ceil(p.length / (width * 1.45)), 0);
    expect(height).toBeGreaterThanOrEqual(linesNeeded * 11 * 1.15);
    const label = byLabel(ws, '1. Kết quả đạt được').label;
    expect(String(plain(label.value))).toContain('Nêu các kết quả chính, có số liệu minh họa.');
    // A long text in a repeat row: wrapped, its row as tall as Excel allows at most.
    const m = where(wb, 'ds.cong_trinh.0.mo_ta');
    expect(m.alignment.wrapText).toBe(true);
    expect(m.worksheet.getRow(Number(m.row)).height).toBeGreaterThan(100);
    // A column's hint is a note on its header.
    let note = '';
    m.worksheet.eachRow((row) => row.eachCell((x) => (note ||= x.note ? JSON.stringify(x.note) : '')));
    expect(note).toContain('Nêu rõ sự cần thiết và nguồn vốn.');
  });

  it("a file cell shows the attachment's name and size and cannot be typed over", () => {
    const c = where(wb, 'chung.quyet_dinh');
    expect(c.value).toBe('quyet-dinh-thanh-lap.pdf (1,2 MB)');
    expect(c.protection?.locked ?? true).toBe(true); // locked is Excel's default (no protection element)
    expect(where(wb, 'chung.nguoi_lap').protection.locked).toBe(false);
    expect(where(wb, 'ds.cong_trinh.0.ho_so').value).toBe('ảnh hiện trạng.jpg (342 KB)');
    // The references travel in a hidden sheet, never shown.
    expect(wb.getWorksheet('_files')!.state).toBe('veryHidden');
  });
});

describe('issue 8: what does not apply to the unit (a commune without a HĐND)', () => {
  // The return holds values for what does not apply (entered before the unit list changed, say).
  const ret = fullReturn(UNIT_XA.code);
  let pkg: Buffer;
  let wb: ExcelJS.Workbook;
  beforeAll(async () => {
    pkg = await write(ret, UNIT_XA);
    wb = await workbook(pkg);
  });

  it('reads back without those items and sections, never an error, and is not "edited outside"', async () => {
    const read = await readBoth(pkg);
    const chung = read.ret.values.chung as Values[string];
    expect(chung.chu_tich_hdnd).toBeUndefined();
    expect(chung.kinh_phi_hdnd).toBeUndefined();
    expect(read.ret.values.hdnd).toBeUndefined();
    expect((read.ret.values.bang as Values[string]).to_dan_pho).toBeUndefined();
    expect(chung.nguoi_lap).toBe('Nguyễn Văn An');
    expect(read.ret.values).toStrictEqual(normalizeValues(t, applicableOnly(t, ret, UNIT_XA).values));
    expect(read.editedOutside).toBe(false);
    expect(read.identity.hash).toBe(valuesHash(t, ret, UNIT_XA));
    expect(read.identity.hash).not.toBe(valuesHash(t, ret));
    const paths = readCellMap(wb).map((r) => r.key);
    expect(paths).not.toContain('chung.chu_tich_hdnd');
    expect(paths.filter((p) => p.startsWith('hdnd') || p.startsWith('bang.to_dan_pho'))).toStrictEqual([]);
  });

  it('shows "Không áp dụng", greyed and locked', () => {
    const ws = wb.getWorksheet('Biểu 01')!;
    const text = byLabel(ws, 'Chủ tịch HĐND').value;
    expect(text.value).toBe('Không áp dụng');
    expect(text.protection?.locked ?? true).toBe(true);
    expect(text.fill).toMatchObject({ type: 'pattern', pattern: 'solid' });
    // A number cell holds 0 for the formulas that read it, and shows the words.
    const money = byLabel(ws, 'Kinh phí hoạt động của HĐND (đồng)').value;
    expect(money.value).toBe(0);
    expect(money.numFmt).toContain('"Không áp dụng"');
    const section = wb.getWorksheet('Biểu 04')!;
    const said: string[] = [];
    section.eachRow((row) => row.eachCell((c) => said.push(String(c.value))));
    expect(said).toContain('Biểu này không áp dụng cho Xã Thử Nghiệm.');
    expect(said.filter((s) => s === 'Số liệu tính đến ngày:')).toStrictEqual([]);
  });

  it('a value typed into an unlocked not-applicable cell in Excel is still ignored', async () => {
    const edited = await workbook(pkg);
    const c = byLabel(edited.getWorksheet('Biểu 01')!, 'Chủ tịch HĐND').value;
    c.value = 'Người gõ thêm';
    const read = await readBoth(await bytesOf(edited));
    expect((read.ret.values.chung as Values[string]).chu_tich_hdnd).toBeUndefined();
    expect(read.editedOutside).toBe(false);
  });
});

describe('issue 8: dates and files edited in Excel', () => {
  const ret = fullReturn(UNIT_ALL.code);
  let pkg: Buffer;
  beforeAll(async () => {
    pkg = await write(ret, UNIT_ALL);
  });

  it('a date typed as text "31/12/2026", a bare date serial or "5.1.2026" reads back as YYYY-MM-DD', async () => {
    const wb = await workbook(pkg);
    where(wb, 'chung.ngay_quyet_dinh').value = '31/12/2026';
    const serial = where(wb, 'ds.cong_trinh.0.ngay');
    serial.value = 46023; // 2026-01-01 as Excel counts days
    serial.numFmt = 'General';
    where(wb, 'ds.cong_trinh.1.ngay').value = '5.1.2026';
    where(wb, 'bang.tai_san.dat.ngay_dua_vao').value = 'năm ngoái';
    const read = await readBoth(await bytesOf(wb));
    const v = read.ret.values;
    expect((v.chung as Values[string]).ngay_quyet_dinh).toBe('2026-12-31');
    const rows = (v.ds as Values[string]).cong_trinh as Record<string, unknown>[];
    expect(rows[0]!.ngay).toBe('2026-01-01');
    expect(rows[1]!.ngay).toBe('2026-01-05');
    // Not a date: kept as typed, for validation to name.
    expect(((v.bang as Values[string]).tai_san as Record<string, Record<string, unknown>>).dat!.ngay_dua_vao).toBe('năm ngoái');
    expect(read.editedOutside).toBe(true);
  });

  it('attachment references round trip; a file cell changed or emptied in Excel is said, in Vietnamese', async () => {
    const same = await readBoth(pkg);
    expect((same.ret.values.chung as Values[string]).quyet_dinh).toStrictEqual(FILE_A);
    expect(((same.ret.values.ds as Values[string]).cong_trinh as Record<string, unknown>[])[0]!.ho_so).toStrictEqual(FILE_B);

    const wb = await workbook(pkg);
    where(wb, 'chung.quyet_dinh').value = 'quyet-dinh-moi.pdf';
    where(wb, 'ds.cong_trinh.0.ho_so').value = null;
    where(wb, 'ds.cong_trinh.1.ho_so').value = 'bien-ban.pdf';
    const read = await readBoth(await bytesOf(wb));
    expect(read.editedOutside).toBe(true);
    expect((read.ret.values.chung as Values[string]).quyet_dinh).toBe('quyet-dinh-moi.pdf');
    expect(((read.ret.values.ds as Values[string]).cong_trinh as Record<string, unknown>[])[0]!.ho_so).toBeUndefined();
    expect(read.notes).toStrictEqual([
      'Ô "Biểu 01, Bản chụp quyết định" đã bị sửa bên ngoài ứng dụng thành "quyet-dinh-moi.pdf" thay vì tệp "quyet-dinh-thanh-lap.pdf". Tệp đính kèm chỉ chọn, thay hoặc bỏ được trong ứng dụng: hãy sửa trong ứng dụng rồi lập lại gói.',
      'Ô "Biểu 03, Công trình 1, Hồ sơ kèm theo" đã bị xóa bên ngoài ứng dụng, nên tệp "ảnh hiện trạng.jpg" không được tính. Tệp đính kèm chỉ chọn, thay hoặc bỏ được trong ứng dụng: hãy sửa trong ứng dụng rồi lập lại gói.',
      'Ô "Biểu 03, Công trình 2, Hồ sơ kèm theo" ghi "bien-ban.pdf" nhưng gói không kèm tệp nào cho ô này. Tệp đính kèm chỉ chọn, thay hoặc bỏ được trong ứng dụng: hãy sửa trong ứng dụng rồi lập lại gói.',
    ]);
  });

  it("refuses a text longer than Excel's 32.767 characters a cell, in Vietnamese, before writing anything", async () => {
    const big = fullReturn(UNIT_ALL.code);
    big.values.ket_qua!.kho_khan = longText(33_000);
    await expect(write(big, UNIT_ALL)).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringMatching(/^Ô "Biểu 05, 2\. Khó khăn, vướng mắc" có [\d.]+ ký tự, quá giới hạn 32\.767 ký tự của một ô Excel/),
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Shapes BC-CX does not have

const label = (vi: string) => ({ vi });
function template(sections: Template['sections'], id = 'SHAPE'): Template {
  return parseTemplate({
    id,
    version: 1,
    title: label('Mẫu thử hình dạng'),
    receivingBody: label('UBND thành phố'),
    periodTypes: ['year'],
    deadlineDay: 15,
    sections,
    rules: [],
  });
}
function retOf(tpl: Template, values: Values): ReturnJson {
  return { template: tpl.id, templateVersion: 1, unit: UNIT_ALL.code, period: '2026', revision: 1, values, explanations: {}, asOf: {} };
}
async function roundTrip(tpl: Template, values: Values): Promise<ReadResult> {
  const ret = retOf(tpl, values);
  const read = await readBoth(await write(ret, UNIT_ALL, tpl), tpl);
  expect(read.ret.values).toStrictEqual(normalizeValues(tpl, values));
  expect(read.editedOutside).toBe(false);
  return read;
}

describe('issue 8: any shape of template', () => {
  it('one section with one long-text field', async () => {
    const tpl = template([
      { key: 'y_kien', code: 'Ý kiến', title: label('Ý kiến'), items: [{ kind: 'field', key: 'noi_dung', type: 'longtext', label: label('Nội dung') }] },
    ]);
    await roundTrip(tpl, { y_kien: { noi_dung: longText(8000) } });
    await roundTrip(tpl, {});
  });

  it('twelve sections without tables, every item optional, two with the same code', async () => {
    const sections = Array.from({ length: 12 }, (_, i) => ({
      key: `p${i + 1}`,
      code: i === 11 ? 'Phần 1' : `Phần ${i + 1}`,
      title: label(`Phần thứ ${i + 1}`),
      items: [
        { kind: 'field' as const, key: 'so', type: 'integer' as const, label: label('Số lượng') },
        { kind: 'field' as const, key: 'ngay', type: 'date' as const, label: label('Ngày') },
        { kind: 'field' as const, key: 'tien', type: 'money' as const, moneyUnit: 'trieu_dong' as const, label: label('Số tiền') },
      ],
    }));
    const tpl = template(sections);
    const values: Values = Object.fromEntries(
      sections.map((s, i) => [s.key, i % 3 === 0 ? {} : { so: i, ngay: `2026-0${(i % 9) + 1}-1${i % 9}`, tien: i * 1.5 }]),
    );
    const read = await roundTrip(tpl, values);
    const wb = await workbook(await write(retOf(tpl, values), UNIT_ALL, tpl));
    expect(wb.worksheets.filter((w) => w.state === 'visible').map((w) => w.name)).toStrictEqual([
      ...sections.slice(0, 11).map((s) => s.code),
      'Phần 1 (2)',
      'Giải trình',
    ]);
    expect(read.ret.values.p12).toStrictEqual({ so: 11, ngay: '2026-03-12', tien: 16.5 });
  });

  it('a table of 40 columns of every number type', async () => {
    const types = ['integer', 'decimal', 'money', 'text'] as const;
    const columns: Column[] = Array.from({ length: 40 }, (_, i) => ({
      key: `c${i + 1}`,
      type: types[i % 4]!,
      label: label(`Cột ${i + 1}`),
    }));
    const tpl = template([
      {
        key: 'rong',
        code: 'Bảng rộng',
        title: label('Bảng 40 cột'),
        items: [
          {
            kind: 'table',
            key: 'bang',
            label: label('Số liệu theo cột'),
            rowHeader: label('Chỉ tiêu'),
            rows: [{ key: 'a', label: label('Dòng A') }, { key: 'b', label: label('Dòng B') }],
            totalRow: { key: 'tong', label: label('Tổng') },
            columns,
          },
        ],
      },
    ]);
    const row = (k: number) =>
      Object.fromEntries(columns.map((c, i) => [c.key, c.type === 'text' ? `Ghi chú ${k}.${i}` : c.type === 'decimal' ? i + 0.25 : i * 1000 + k]));
    await roundTrip(tpl, { rong: { bang: { a: row(1), b: row(2) } } });
  });

  it('a repeat table with 200 rows', async () => {
    const tpl = template([
      {
        key: 'danh_sach',
        code: 'Danh sách',
        title: label('Danh sách dài'),
        items: [
          {
            kind: 'repeat',
            key: 'dong',
            label: label('Các dòng'),
            rowLabel: label('Dòng'),
            maxRows: 250,
            columns: [
              { key: 'ten', type: 'text', label: label('Tên') },
              { key: 'ngay', type: 'date', label: label('Ngày') },
              { key: 'tien', type: 'money', label: label('Số tiền') },
              { key: 'ghi_chu', type: 'longtext', label: label('Ghi chú') },
            ],
          },
        ],
      },
    ]);
    const rows = Array.from({ length: 200 }, (_, i) => ({
      ten: `Hộ số ${i + 1}`,
      ngay: `2026-${String((i % 12) + 1).padStart(2, '0')}-${String((i % 28) + 1).padStart(2, '0')}`,
      tien: (i + 1) * 100_000,
      ...(i % 10 === 0 ? { ghi_chu: longText(400) } : {}),
    }));
    const read = await roundTrip(tpl, { danh_sach: { dong: rows } });
    expect(((read.ret.values.danh_sach as Values[string]).dong as unknown[]).length).toBe(200);
  });
});

describe('issue 8: a repeat table that does not apply, read by a formula', () => {
  it('shows one greyed row saying so; the count of its rows reads an empty cell; reading back ignores it', async () => {
    const tpl = template([
      {
        key: 'to_dan_pho',
        code: 'Tổ dân phố',
        title: label('Tổ dân phố'),
        items: [
          { kind: 'field', key: 'ghi_chu', type: 'text', label: label('Ghi chú') },
          { kind: 'computed', key: 'so_to', type: 'integer', label: label('Số tổ đã kê khai'), expr: { count: 'to_dan_pho.to' } },
          {
            kind: 'repeat',
            key: 'to',
            label: label('Các tổ dân phố'),
            rowLabel: label('Tổ'),
            maxRows: 30,
            appliesTo: { unitTypes: ['phường'] },
            columns: [
              { key: 'ten', type: 'text', label: label('Tên tổ') },
              { key: 'so_ho', type: 'integer', label: label('Số hộ') },
            ],
          },
        ],
      },
    ]);
    const values: Values = { to_dan_pho: { ghi_chu: 'Xã không có tổ dân phố', to: [{ ten: 'Tổ 1', so_ho: 120 }] } };
    const ret = { ...retOf(tpl, values), unit: UNIT_XA.code };
    const pkg = await write(ret, UNIT_XA, tpl);
    const read = await readBoth(pkg, tpl);
    expect(read.ret.values).toStrictEqual({ to_dan_pho: { ghi_chu: 'Xã không có tổ dân phố' } });
    expect(read.editedOutside).toBe(false);
    const ws = (await workbook(pkg)).getWorksheet('Tổ dân phố')!;
    const shown: unknown[] = [];
    ws.eachRow((row) => row.eachCell((c) => shown.push(c.value)));
    expect(shown).toContain('Các tổ dân phố (không áp dụng cho đơn vị này)');
    expect(shown).toContain('Không áp dụng');
    // The count reads the one (empty) STT cell of the greyed row: 0 rows, not an error.
    const count = shown.find((x) => x && typeof x === 'object' && 'formula' in x) as ExcelJS.CellFormulaValue;
    const [, row] = /^COUNT\(\$A\$(\d+):\$A\$(\d+)\)$/.exec(count.formula)!;
    expect(ws.getCell(`A${row}`).value).toBeNull();
    expect(ws.getCell(`B${row}`).value).toBe('Không áp dụng');
    // Written for a ward, the same return's rows are inputs again.
    const ward = await readBoth(await write(retOf(tpl, values), UNIT_ALL, tpl), tpl);
    expect(ward.ret.values).toStrictEqual(values);
  });
});

describe('issue 8: the package has no key of one template in its code', () => {
  it('file names are built from any template id, unit code and period, safe on every file system', () => {
    expect(packageFileName({ id: 'TEST-ALL' }, '90001', '2026-H1', 2)).toBe('TEST-ALL_90001_2026-H1_r2.xlsx');
    expect(packageFileName({ id: 'PCM' }, 'HP/01:Á', '2026', 1)).toBe('PCM_HP-01-Á_2026_r1.xlsx');
    expect(draftFileName({ id: 'PCM' }, 'HP/01', '2026-H1', new Date('2026-05-10T03:00:00Z'))).toBe('PCM_HP-01_2026-H1_nhap_20260510-1000.xlsx');
  });

  it('core/xlsx (but the consolidation) and core/packages.ts name no BC-CX key, comments included', () => {
    const files = ['write.ts', 'layout.ts', 'read.ts', 'fast-read.ts', 'style.ts', 'index.ts', 'formula.ts', 'guard.ts']
      .map((f) => `core/xlsx/${f}`)
      .concat('core/packages.ts');
    const keys = /\b(unit_info|staff|hq|vehicles|procedures|site_count|cars)\b|BC-CX/;
    for (const f of files) {
      const text = readFileSync(join(root, f), 'utf8');
      expect(`${f}: ${keys.exec(text)?.[0] ?? ''}`).toBe(`${f}: `);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Through real LibreOffice

const SOFFICE = process.env.SOFFICE_PATH ?? '/usr/bin/soffice';
const available = existsSync(SOFFICE) && existsSync('/usr/bin/pdftoppm');
if (!available) console.warn(`issue8-package-types: LibreOffice tests skipped: no ${SOFFICE} or pdftoppm (install libreoffice-calc and poppler-utils).`);

function soffice(to: string, outDir: string, file: string): void {
  mkdirSync(outDir, { recursive: true });
  execFileSync(
    SOFFICE,
    [`-env:UserInstallation=file://${join(dir, 'profile')}`, '--headless', '--norestore', '--convert-to', to, '--outdir', outDir, file],
    { stdio: 'pipe', timeout: 180_000 },
  );
}

describe.skipIf(!available)('issue 8: the fixture package through LibreOffice', () => {
  for (const [name, unit] of [
    ['phuong', UNIT_ALL],
    ['xa', UNIT_XA],
  ] as const) {
    it(`${name}: re-saved by LibreOffice it reads back to the same values; printed, long texts are whole and dates and money formatted`, async () => {
      const ret = fullReturn(unit.code);
      const ours = await write(ret, unit);
      const src = join(dir, `${name}.xlsx`);
      writeFileSync(src, ours);
      const original = await readBoth(ours);

      soffice('xlsx', join(dir, 'resaved'), src);
      const resaved = await readBoth(readFileSync(join(dir, 'resaved', `${name}.xlsx`)));
      expect(resaved.ret).toStrictEqual(original.ret);
      expect(resaved.identity).toStrictEqual(original.identity);
      expect(resaved.editedOutside).toBe(false);
      expect(resaved.notes).toBeUndefined();

      soffice('pdf', join(dir, 'pdf'), src);
      const pdf = join(dir, 'pdf', `${name}.pdf`);
      const text = execFileSync('pdftotext', ['-layout', pdf, '-'], { encoding: 'utf8' });
      const squeezed = text.replace(/\s+/g, '');
      // Every line of every long answer is printed (no cell cut off).
      for (const long of [ret.values.ket_qua!.ket_qua, ret.values.ket_qua!.kien_nghi] as string[])
        for (const line of long.split('\n')) expect(squeezed).toContain(line.replace(/\s+/g, ''));
      for (const shown of ['01/07/2025', '20/06/2026', '31/12/2019', '1.500.000', '1.234,57', '3.500,125', '97,50%', 'quyet-dinh-thanh-lap.pdf (1,2 MB)'])
        expect(text).toContain(shown);
      if (unit === UNIT_XA) {
        expect(text).toContain('Không áp dụng');
        expect(text).toContain('Biểu này không áp dụng cho Xã Thử Nghiệm.');
        expect(text).not.toContain('Lê Văn Cường');
      } else expect(text).toContain('Lê Văn Cường');
      // The pages as images, to be looked at (tests/output/issue8-package/).
      const out = join(root, 'tests/output/issue8-package');
      mkdirSync(out, { recursive: true });
      for (const f of readdirSync(out).filter((f) => f.startsWith(`${name}-`))) rmSync(join(out, f));
      execFileSync('pdftoppm', ['-r', '70', '-png', pdf, join(out, name)], { stdio: 'pipe', timeout: 120_000 });
      expect(readdirSync(out).filter((f) => f.startsWith(`${name}-`) && f.endsWith('.png')).length).toBeGreaterThanOrEqual(6);
    }, 300_000);
  }
});
