/**
 * Issue 8 "Bad input", second round (engineer J): the authoring workbook as a real clerk edits it
 * (columns moved, headings retyped, blank rows, sheets reordered, yes/no and numbers typed every
 * way) still builds the same template; and what a careless or hostile author writes (ambiguous
 * numbers "1.000", Vietnamese or 200-character keys, 10,000-deep or 1 MB formulas, invisible and
 * control characters, Excel error values, self-comparing rules, a sum of a long text, absurd
 * versions, widths and lengths) is refused with its sheet, row and column and what to do, in a
 * Vietnamese sentence, without a crash.
 */
import { describe, expect, it } from 'vitest';
import type { AuthoringProblem } from '../../shared/index.js';
import { parseTemplate } from '../../shared/index.js';
import type { Cell, SheetData } from '../../shared/template/authoring/index.js';
import {
  MAX_EXPR_DEPTH,
  MAX_EXPR_LENGTH,
  MAX_EXPR_TREE_DEPTH,
  MAX_SHEET_ROWS,
  columnLetter,
  compileWorkbook,
  parseExpr,
  templateToSheets,
} from '../../shared/template/authoring/index.js';
import { STARTER_EXAMPLE } from '../../core/templates/starter.js';

const FORM = 'Biểu mẫu';
const SETTINGS = 'Cài đặt';
const plain = (x: unknown) => JSON.parse(JSON.stringify(x)) as unknown;
const expected = plain(parseTemplate(STARTER_EXAMPLE));

function sheets(): SheetData[] {
  return structuredClone(templateToSheets(STARTER_EXAMPLE));
}
function sheet(all: SheetData[], name: string): SheetData {
  return all.find((s) => s.name === name)!;
}
/** Set the cell of the row whose key (or setting name) is `key`, in the column headed `heading` (added when missing); its Excel place. */
function set(all: SheetData[], name: string, key: string, heading: string, v: Cell): { row: number; column: string } {
  const s = sheet(all, name);
  const keyCol = s.rows[0]!.indexOf(name === SETTINGS ? 'Thiết lập' : 'Mã');
  const r = s.rows.findIndex((row, i) => i > 0 && row[keyCol] === key);
  if (r < 0) throw new Error(`no row ${key} on ${name}`);
  let c = s.rows[0]!.indexOf(heading);
  if (c < 0) {
    s.rows[0]!.push(heading);
    c = s.rows[0]!.length - 1;
  }
  s.rows[r]![c] = v;
  return { row: r + 1, column: columnLetter(c) };
}
/** A computed integer "tinh" added after so_can_bo (Excel row 4) with this formula in "Công thức" (column K). */
function withFormula(all: SheetData[], formula: string): { row: number; column: string } {
  const s = sheet(all, FORM);
  const c = s.rows[0]!.indexOf('Công thức');
  const row: Cell[] = ['số nguyên', 'tinh', 'Ô tính thử'];
  row[c] = formula;
  s.rows.splice(3, 0, row);
  return { row: 4, column: columnLetter(c) };
}

/** Refused, with every problem a Vietnamese sentence that names a sheet and says what to do; the problems. */
function refused(all: SheetData[]): AuthoringProblem[] {
  const r = compileWorkbook(all);
  expect(r.template).toBeUndefined();
  expect(r.problems.length).toBeGreaterThan(0);
  for (const p of r.problems) {
    expect(p.sheet).not.toBe('');
    expect(p.message).toMatch(/[ạảãàáâầấậẩẫăằắặẳẵđèéẹẻẽêềếệểễìíịỉĩòóọỏõôồốộổỗơờớợởỡùúụủũưừứựửữỳýỵỷỹ]/i);
    expect(p.message).toMatch(/[.)]$/);
    expect(p.message).toMatch(/Hãy|hãy|cần|phải|chỉ/);
    expect(p.message).not.toMatch(/\bat \w+ \(|Error:|undefined|\[object/);
    expect(p.message.length).toBeLessThan(800);
  }
  return r.problems;
}
const problem = (sheetName: string, row: number, column: string | undefined, message: RegExp) =>
  expect.objectContaining({ sheet: sheetName, row, ...(column ? { column } : {}), message: expect.stringMatching(message) });

describe('a clerk edits the starter in Excel: what a person would do still builds the same template', () => {
  it('columns reordered, headings in capitals with spaces and in decomposed Unicode (NFD), an own notes column', () => {
    const all = sheets();
    const s = sheet(all, FORM);
    const width = s.rows[0]!.length;
    s.rows = s.rows.map((r) => {
      const c = Array.from({ length: width }, (_, i) => r[i] ?? null);
      return [c[2]!, c[0]!, ...c.slice(3).reverse(), c[1]!];
    });
    s.rows[0] = s.rows[0]!.map((h) => (typeof h === 'string' ? `  ${h.toUpperCase().normalize('NFD')} ` : h));
    s.rows[0]!.push('Ghi chú của phòng');
    s.rows[3]!.push('hỏi lại Sở Nội vụ');
    expect(compileWorkbook(all)).toEqual({ template: expected, problems: [] });
  });

  it('blank rows in the middle, sheets in another order and renamed in other case, settings without the heading row', () => {
    const all = sheets();
    sheet(all, FORM).rows.splice(5, 0, [], [null, null, null], ['', '  ']);
    sheet(all, SETTINGS).rows.shift();
    sheet(all, 'Danh sách').name = '  DANH SÁCH ';
    sheet(all, 'Tổng hợp').name = 'tong hop';
    all.reverse();
    expect(plain(compileWorkbook(all).template)).toEqual(expected);
  });

  it('yes/no typed as TRUE (a boolean cell), "Có", "X"; numbers typed as text "0", "0,5" where a decimal may be', () => {
    const all = sheets();
    set(all, FORM, 'so_can_bo', 'Bắt buộc', true);
    set(all, FORM, 'muc_do', 'Bắt buộc', 'Có');
    set(all, FORM, 'nguoi_lap', 'Bắt buộc', 'X');
    set(all, FORM, 'so_can_bo', 'Tối thiểu', '0');
    set(all, FORM, 'kinh_phi', 'Tối thiểu', '0,5');
    set(all, SETTINGS, 'Hạn nộp ngày', 'Giá trị', ' 20 ');
    const r = compileWorkbook(all);
    expect(r.problems).toEqual([]);
    const items = r.template!.sections[0]!.items as { key: string; required?: boolean; min?: number }[];
    expect(items.find((i) => i.key === 'kinh_phi')!.min).toBe(0.5);
    expect(items.filter((i) => i.required).map((i) => i.key)).toEqual(['so_can_bo', 'muc_do', 'nguoi_lap', 'thu_truong']);
  });

  it('the same key in two biểu is allowed (a path names its biểu); in one biểu it is refused', () => {
    const all = sheets();
    const s = sheet(all, FORM);
    s.rows.splice(s.rows.findIndex((r) => r[1] === 'ho_so') + 1, 0, ['số nguyên', 'so_can_bo', 'Số cán bộ phụ trách hồ sơ']);
    const ok = compileWorkbook(all);
    expect(ok.problems).toEqual([]);
    expect(ok.template!.sections[1]!.items[0]!.key).toBe('so_can_bo');
    s.rows.splice(3, 0, ['chữ', 'so_can_bo', 'Trùng mã']);
    expect(refused(all)).toContainEqual(problem(FORM, 4, 'B', /^Mã "so_can_bo" bị trùng trong biểu "thong_tin"/));
  });
});

describe('bad input is refused with the place and what to do', () => {
  it('a renamed sheet or an unknown extra column is named', () => {
    const a = sheets();
    sheet(a, FORM).name = 'Biểu mẫu (2)';
    expect(refused(a)).toContainEqual(expect.objectContaining({ sheet: FORM, message: expect.stringMatching(/^Sổ mẫu thiếu trang "Biểu mẫu"/) }));
    const b = sheets();
    const s = sheet(b, FORM);
    s.rows[0]!.push('Người phụ trách');
    expect(refused(b)).toEqual([problem(FORM, 1, columnLetter(s.rows[0]!.length - 1), /Không hiểu tiêu đề cột [A-Z]+ \("Người phụ trách"\)/)]);
  });

  it('numbers typed with a thousands separator ("1.000", "2,500") are never guessed', () => {
    const all = sheets();
    const v = set(all, SETTINGS, 'Phiên bản', 'Giá trị', '1.000');
    const m = set(all, FORM, 'so_can_bo', 'Tối thiểu', '2,500');
    const l = set(all, FORM, 'nguoi_lap', 'Độ dài tối đa', '1.000');
    const p = refused(all);
    expect(p).toContainEqual(problem(SETTINGS, v.row, v.column, /^Phiên bản "1\.000" phải là một số nguyên từ 1 đến 9\.999.*có thể hiểu là một nghìn hoặc là một phẩy/));
    expect(p).toContainEqual(problem(FORM, m.row, m.column, /"2,500" không đúng.*viết số không có dấu ngăn cách hàng nghìn \(ví dụ 1000\)/));
    expect(p).toContainEqual(problem(FORM, l.row, l.column, /"1\.000" không đúng: ở đây cần một số nguyên từ 1 đến 100000\./));
  });

  it.each([
    ['abc', /^Phiên bản "abc" phải là một số nguyên từ 1 đến 9\.999/],
    [-1, /^Phiên bản "-1" phải là một số nguyên từ 1 đến 9\.999/],
    [1e9, /^Phiên bản "1000000000" phải là một số nguyên từ 1 đến 9\.999/],
    ['1e300', /^Phiên bản "1e300" phải là một số nguyên/],
    [1.5, /^Phiên bản "1\.5" phải là một số nguyên/],
  ] as [Cell, RegExp][])('a version of %s in the settings', (value, message) => {
    const all = sheets();
    const at = set(all, SETTINGS, 'Phiên bản', 'Giá trị', value);
    expect(refused(all)).toEqual([problem(SETTINGS, at.row, at.column, message)]);
  });

  it('a template id of 5,000 characters; an id colliding with a built-in compiles (publishing makes it a new version)', () => {
    const all = sheets();
    const at = set(all, SETTINGS, 'Mã mẫu', 'Giá trị', 'A'.repeat(5000));
    expect(refused(all)).toEqual([problem(SETTINGS, at.row, at.column, /^Mã mẫu dài 5000 ký tự, quá 40 ký tự cho phép\. Hãy đặt mã ngắn gọn/)]);
    const b = sheets();
    set(b, SETTINGS, 'Mã mẫu', 'Giá trị', 'BC-CX');
    expect(compileWorkbook(b).template?.id).toBe('BC-CX');
  });

  it('keys in Vietnamese ("số_cuộc"), of 200 characters, with a zero-width space', () => {
    for (const [key, message] of [
      ['số_cuộc', /^Mã "số_cuộc" không hợp lệ: chỉ dùng chữ thường không dấu/],
      ['a'.repeat(200), /^Mã "a{30}…" dài 200 ký tự, quá 64 ký tự cho phép/],
      ['so\u200bcan_bo', /^Ô có ký tự ẩn hoặc ký tự điều khiển \(U\+200B\)/],
    ] as [string, RegExp][]) {
      const all = sheets();
      const at = set(all, FORM, 'kinh_phi', 'Mã', key);
      expect(refused(all)).toContainEqual(problem(FORM, at.row, at.column, message));
    }
  });

  it('invisible, control and reordering characters in labels: NUL, right-to-left override, a lone surrogate, a BOM, a zero-width space before "="', () => {
    for (const [label, code] of [
      ['Số cán\u0000 bộ', '0000'],
      ['Số \u202ecán bộ', '202E'],
      ['Số cán bộ \ud800', 'D800'],
      ['\ufeffSố cán bộ', 'FEFF'],
      ['\u200b=HYPERLINK("http://x")', '200B'],
      ['Số\u2066 cán bộ', '2066'],
    ]) {
      const all = sheets();
      const at = set(all, FORM, 'so_can_bo', 'Nhãn', label!);
      expect(refused(all)).toContainEqual(problem(FORM, at.row, at.column, new RegExp(`^Ô có ký tự ẩn hoặc ký tự điều khiển \\(U\\+${code}\\).*Hãy xóa nội dung ô rồi gõ lại bằng tay\\.$`)));
    }
  });

  it('a label that looks like a formula once trimmed (spaces, a non-breaking space) is refused', () => {
    for (const label of ['  =HYPERLINK("http://x")', '\u00a0+84 912', '\t@SUM(A1)']) {
      const all = sheets();
      const at = set(all, FORM, 'so_can_bo', 'Nhãn', label);
      expect(refused(all)).toEqual([problem(FORM, at.row, at.column, /bắt đầu bằng "[=+@]" như một công thức Excel/)]);
    }
  });

  it('an Excel error value (#REF!, #N/A, …) where a value should be', () => {
    const all = sheets();
    const a = set(all, FORM, 'so_can_bo', 'Nhãn', '#REF!');
    const b = set(all, FORM, 'kinh_phi', 'Gợi ý', '#N/A');
    const p = refused(all);
    expect(p).toContainEqual(problem(FORM, a.row, a.column, /^Ô hiện lỗi công thức Excel "#REF!" thay cho giá trị\. Hãy sửa công thức/));
    expect(p).toContainEqual(problem(FORM, b.row, b.column, /^Ô hiện lỗi công thức Excel "#N\/A"/));
  });

  it(`a formula 10,000 levels deep, one ${MAX_EXPR_DEPTH + 10} levels deep, and one of 1 MB: refused without overflowing the stack, the quote cut short`, () => {
    const deep = '('.repeat(10_000) + '${thong_tin.so_can_bo}' + ')'.repeat(10_000);
    const nested = 'max('.repeat(MAX_EXPR_DEPTH + 10) + '1' + ')'.repeat(MAX_EXPR_DEPTH + 10);
    const mega = Array(50_000).fill('${thong_tin.so_can_bo}').join(' + ').slice(0, 1_000_000);
    expect(nested.length).toBeLessThan(MAX_EXPR_LENGTH);
    for (const [formula, message] of [
      [deep, /^Công thức "\({60}…" sai ở ký tự thứ 2001: dài 20\.022 ký tự, quá 2\.000 ký tự cho phép; hãy chia thành nhiều ô tính\./],
      [nested, /^Công thức "max\(max\(.{52}…" sai ở ký tự thứ \d+: lồng quá 50 lớp ngoặc hoặc hàm; hãy viết gọn lại/],
      [mega, /^Công thức "\$\{thong_tin\.so_can_bo\} \+ .{35}…" sai ở ký tự thứ 2001: dài (999\.999|1\.000\.000) ký tự/],
    ] as [string, RegExp][]) {
      const all = sheets();
      const at = withFormula(all, formula);
      expect(refused(all)).toEqual([problem(FORM, at.row, at.column, message)]);
    }
    // The parser itself: the same limits, no exception.
    expect(parseExpr('('.repeat(100_000)).ok).toBe(false);
    expect(parseExpr('-'.repeat(1000) + '1').ok).toBe(false);
    const r = parseExpr(`${'('.repeat(MAX_EXPR_DEPTH)}1${')'.repeat(MAX_EXPR_DEPTH)}`);
    expect(r).toEqual({ ok: true, value: 1 });
  });

  it(`a chain of ${MAX_EXPR_TREE_DEPTH + 40} subtractions (no parentheses, short enough) is refused: its tree would be too deep for a commune to receive; a long sum is fine`, () => {
    const all = sheets();
    const at = withFormula(all, '${thong_tin.so_can_bo}' + ' - 1'.repeat(MAX_EXPR_TREE_DEPTH + 40));
    expect(refused(all)).toEqual([problem(FORM, at.row, at.column, /sai ở ký tự thứ 1: có quá nhiều phép tính lồng hoặc nối nhau \(trừ, nhân, chia liên tiếp; tối đa 60 lớp\)/)]);
    expect(parseExpr(Array(80).fill('${a.b}').join(' + ')).ok).toBe(true);
    expect(parseExpr(Array(80).fill('2').join(' * ')).ok).toBe(false);
  });

  it('a computed cell using itself, and a rule comparing a cell with itself', () => {
    const a = sheets();
    const at = withFormula(a, '${thong_tin.tinh} + 1');
    expect(refused(a)).toEqual([problem(FORM, at.row, at.column, /^Công thức tính vòng tròn: thong_tin\.tinh → thong_tin\.tinh/)]);
    const b = sheets();
    const rules = sheet(b, 'Kiểm tra');
    rules.rows.push(['tu_so_sanh', 'lỗi', 'so sánh', null, 'thong_tin.so_can_bo', '${thong_tin.so_can_bo} <= ${thong_tin.so_can_bo}', 'Số cán bộ sai. Hãy sửa.']);
    expect(refused(b)).toEqual([problem('Kiểm tra', rules.rows.length, 'F', /so sánh một vế với chính nó nên luôn đúng hoặc luôn sai/)]);
  });

  it('a consolidation row summing a long text, or listing the opinions of a number: the row and the cell column named, with what each way of counting takes', () => {
    for (const [aggregate, path, detail] of [
      ['tổng', 'thong_tin.ket_qua', /thong_tin\.ket_qua không phải là ô số để cộng\. Hãy sửa ô hoặc cách tính của dòng này: "tổng"/],
      ['danh sách ý kiến', 'thong_tin.so_can_bo', /thong_tin\.so_can_bo không phải là ô chữ hoặc đoạn văn\. Hãy sửa ô hoặc cách tính/],
      ['nhỏ nhất-lớn nhất-trung bình', 'thong_tin.muc_do', /không phải là ô số\. Hãy sửa ô hoặc cách tính/],
    ] as [string, string, RegExp][]) {
      const all = sheets();
      const s = sheet(all, 'Tổng hợp');
      s.rows.push([null, 'thu', aggregate, path]);
      expect(refused(all)).toEqual([problem('Tổng hợp', s.rows.length, 'D', detail)]);
    }
  });

  it('absurd sizes: a width of 1e9, a text length of 1e12, a repeating table of a billion rows', () => {
    const all = sheets();
    const w = set(all, FORM, 'so_can_bo', 'Độ rộng', 1e9);
    const l = set(all, FORM, 'nguoi_lap', 'Độ dài tối đa', 1e12);
    const s = sheet(all, FORM);
    const end = s.rows.findIndex((r, i) => i > 0 && r[0] === 'kết thúc biểu');
    const maxCol = s.rows[0]!.indexOf('Nhãn dòng');
    const begin: Cell[] = ['bắt đầu bảng lặp', 'tru_so', 'Các trụ sở'];
    begin[maxCol] = 'Trụ sở';
    s.rows.splice(end, 0, begin, ['chữ', 'dia_chi', 'Địa chỉ'], ['kết thúc bảng lặp', 'tru_so']);
    const m = set(all, FORM, 'tru_so', 'Số dòng tối đa', 1e9);
    const p = refused(all);
    expect(p).toContainEqual(problem(FORM, w.row, w.column, /^"1000000000" không đúng: ở đây cần một số từ 1 đến 255\./));
    expect(p).toContainEqual(problem(FORM, l.row, l.column, /^"1000000000000" không đúng: ở đây cần một số nguyên từ 1 đến 100000\./));
    expect(p).toContainEqual(problem(FORM, m.row, m.column, /^"1000000000" không đúng: ở đây cần một số nguyên từ 1 đến 10000\./));
  });

  it(`${(MAX_SHEET_ROWS - 10).toLocaleString('en')} choice lists build; a list sheet over ${MAX_SHEET_ROWS.toLocaleString('en')} rows is refused by name`, () => {
    const all = sheets();
    const lists = sheet(all, 'Danh sách');
    for (let i = 0; lists.rows.length < MAX_SHEET_ROWS; i++) lists.rows.push([`ds_${i}`, 'a', 'Lựa chọn A']);
    expect(compileWorkbook(all).problems).toEqual([]);
    lists.rows.push(['ds_x', 'a', 'Lựa chọn A']);
    expect(refused(all)).toContainEqual(expect.objectContaining({ sheet: 'Danh sách', message: expect.stringMatching(/^Trang "Danh sách" có 5\.001 dòng, quá số dòng tối đa/) }));
  });
});
