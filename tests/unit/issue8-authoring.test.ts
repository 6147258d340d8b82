/**
 * Issue 8, the authoring format (engineer A): the expression language (parse ↔ print), the compiler's
 * refusals (each bad input named by sheet, row and column, in Vietnamese), and the round trips
 * template → sheets → template for BC-CX and for a template using every feature.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Expr, Template } from '../../shared/index.js';
import { foldText, parseTemplate } from '../../shared/index.js';
import type { Cell, SheetData } from '../../shared/template/authoring/index.js';
import {
  MAX_PROBLEMS,
  columnLetter,
  compileWorkbook,
  parseCondition,
  parseExpr,
  printExpr,
  templateToSheets,
} from '../../shared/template/authoring/index.js';
import { STARTER_EXAMPLE } from '../../core/templates/starter.js';
import { EVERY_FEATURE } from '../fixtures/templates/issue8-authoring-every-feature.js';

const plain = (x: unknown) => JSON.parse(JSON.stringify(x)) as unknown;
const ok = (text: string): Expr => {
  const r = parseExpr(text);
  if (!r.ok) throw new Error(r.error);
  return r.value;
};
const err = (text: string): string => {
  const r = parseExpr(text);
  if (r.ok) throw new Error(`${text} parsed`);
  return r.error;
};

describe('the expression language', () => {
  it('reads + - * / with precedence, parentheses and left association; a chain of + is one sum', () => {
    expect(ok('1 + 2 * 3')).toEqual({ sum: [1, { mul: [2, 3] }] });
    expect(ok('(1 + 2) * 3')).toEqual({ mul: [{ sum: [1, 2] }, 3] });
    expect(ok('${a.b} + ${c.d} + ${e.f}')).toEqual({ sum: [{ ref: 'a.b' }, { ref: 'c.d' }, { ref: 'e.f' }] });
    expect(ok('(${a.b} + ${c.d}) + ${e.f}')).toEqual({ sum: [{ sum: [{ ref: 'a.b' }, { ref: 'c.d' }] }, { ref: 'e.f' }] });
    expect(ok('10 - 4 - 3')).toEqual({ sub: [{ sub: [10, 4] }, 3] });
    expect(ok('10 - (4 - 3)')).toEqual({ sub: [10, { sub: [4, 3] }] });
    expect(ok('1 + 2 - 3')).toEqual({ sub: [{ sum: [1, 2] }, 3] });
    expect(ok('1 - 2 + 3')).toEqual({ sum: [{ sub: [1, 2] }, 3] });
    expect(ok('8 / 4 / 2')).toEqual({ div: [{ div: [8, 4] }, 2] });
    expect(ok('8 / (4 * 2)')).toEqual({ div: [8, { mul: [4, 2] }] });
    expect(ok('-2.5 * ${x}')).toEqual({ mul: [-2.5, { col: 'x' }] });
    expect(ok('-${a.b}')).toEqual({ sub: [0, { ref: 'a.b' }] });
  });

  it('reads the functions, with "," or ";" between arguments and straight or curly quotes', () => {
    expect(ok('max(0; ${v.norm} - ${v.in_use})')).toEqual(ok('max(0, ${v.norm} - ${v.in_use})'));
    expect(ok('max(0, ${v.norm} - ${v.in_use})')).toEqual({ max: [0, { sub: [{ ref: 'v.norm' }, { ref: 'v.in_use' }] }] });
    expect(ok('MIN(1, 2, 3)')).toEqual({ min: [1, 2, 3] });
    expect(ok('sum(${a.b})')).toEqual({ sum: [{ ref: 'a.b' }] });
    expect(ok('count(${h.sites})')).toEqual({ count: 'h.sites' });
    expect(ok('count(${v.cars}; status = “in_use”)')).toEqual({ count: 'v.cars', where: { column: 'status', equals: 'in_use' } });
    expect(ok('band(${u.area}, 150: "ge150", 100: "100_150", 80: "80_100", "lt80")')).toEqual({
      band: { ref: 'u.area' },
      bands: [{ atLeast: 150, value: 'ge150' }, { atLeast: 100, value: '100_150' }, { atLeast: 80, value: '80_100' }],
      else: 'lt80',
    });
    expect(ok('period_year()')).toEqual({ periodYear: true });
    expect(ok('${a.t.r.c} / ${c}')).toEqual({ div: [{ ref: 'a.t.r.c' }, { col: 'c' }] });
  });

  it('prints the canonical text, and reading what it prints gives the same expression (2,000 random trees)', () => {
    expect(printExpr(ok('${a.b}+${c.d}*(1-2)'))).toBe('${a.b} + ${c.d} * (1 - 2)');
    expect(printExpr(ok('1 - 2 + 3'))).toBe('1 - 2 + 3');
    expect(printExpr(ok('1 + (2 - 3)'))).toBe('1 + (2 - 3)');
    expect(printExpr(ok('max(1;2)'))).toBe('max(1, 2)');
    let seed = 7;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const leaf = (): Expr => [() => rnd(200) / 4 - 10, () => ({ ref: `s${rnd(3)}.i${rnd(3)}` }), () => ({ col: `c${rnd(3)}` }), () => ({ periodYear: true as const }), () => ({ count: 'r.p' })][rnd(5)]!();
    const tree = (d: number): Expr => {
      if (d === 0 || rnd(4) === 0) return leaf();
      const k = () => tree(d - 1);
      const list = () => Array.from({ length: 1 + rnd(3) }, k);
      switch (rnd(9)) {
        case 0: return { sum: list() };
        case 1: return { sub: [k(), k()] };
        case 2: return { mul: [k(), k()] };
        case 3: return { div: [k(), k()] };
        case 4: return { max: list() };
        case 5: return { min: list() };
        case 6: return { count: 'r.p', where: { column: 'c1', equals: `v ${rnd(9)}` } };
        case 7: return { band: k(), bands: [{ atLeast: rnd(100) - 5, value: 'x' }, { atLeast: -1.5, value: 'y z' }], else: 'w' };
        default: return { sum: [k(), k(), k()] };
      }
    };
    for (let i = 0; i < 2000; i++) {
      const e = tree(4);
      const text = printExpr(e);
      expect(parseExpr(text), text).toEqual({ ok: true, value: e });
    }
  });

  it('says where an expression is wrong, in Vietnamese, by character position', () => {
    expect(err('max(1, 2')).toBe("ký tự thứ 9: thiếu dấu ')'");
    expect(err('(${a.b} + 1')).toMatch(/^ký tự thứ 12: thiếu dấu '\)'/);
    expect(err('${a.b} + 1)')).toMatch(/^ký tự thứ 11: thừa dấu '\)'/);
    expect(err('${a.b} + foo(1)')).toMatch(/^ký tự thứ 10: không có hàm "foo"/);
    expect(err('1 +')).toMatch(/^ký tự thứ 4: công thức còn thiếu/);
    expect(err('${a.b')).toMatch(/^ký tự thứ 1: thiếu dấu '}'/);
    expect(err('${A.B}')).toMatch(/^ký tự thứ 1: .*không phải là mã ô/);
    expect(err('${a.b} * 0,5')).toMatch(/số thập phân viết bằng dấu chấm/);
    expect(err('count(5)')).toMatch(/^ký tự thứ 7: count\(…\) cần một bảng lặp/);
    expect(err('band(${a.b}, "x")')).toMatch(/band\(…\) cần ít nhất một ngưỡng/);
    expect(err('${a.b} # 2')).toMatch(/^ký tự thứ 8: không hiểu ký tự "#"/);
    expect(err('')).toMatch(/công thức để trống/);
  });

  it('reads a rule condition "<expr> <op> <expr>" (≤ ≥ accepted) and refuses one without a comparison', () => {
    expect(parseCondition('${a.b} <= ${c.d} + 1')).toEqual({ ok: true, value: { left: { ref: 'a.b' }, op: '<=', right: { sum: [{ ref: 'c.d' }, 1] } } });
    expect(parseCondition('${x} ≥ 0')).toEqual({ ok: true, value: { left: { col: 'x' }, op: '>=', right: 0 } });
    const r = parseCondition('${a.b} + 1');
    expect(r.ok ? '' : r.error).toMatch(/^ký tự thứ 11: thiếu phép so sánh/);
  });
});

// ---------------------------------------------------------------------------------------------
// The compiler's refusals, on the starter's example (two biểu, a list, a table, a rule, a consolidation)

const FORM = 'Biểu mẫu';
function sheets(): SheetData[] {
  return structuredClone(templateToSheets(STARTER_EXAMPLE));
}
function sheet(all: SheetData[], name: string): SheetData {
  return all.find((s) => s.name === name)!;
}
/** The place of a cell: the row whose key column holds `key`, the column headed `heading`. */
function at(all: SheetData[], name: string, key: string, heading: string): { row: number; column: string; set: (v: Cell) => void } {
  const s = sheet(all, name);
  const keyCol = s.rows[0]!.indexOf(name === 'Cài đặt' ? 'Thiết lập' : 'Mã');
  const r = s.rows.findIndex((row, i) => i > 0 && row[keyCol] === key);
  let c = s.rows[0]!.indexOf(heading);
  if (c < 0) {
    s.rows[0]!.push(heading);
    c = s.rows[0]!.length - 1;
  }
  if (r < 0) throw new Error(`no row ${key} on ${name}`);
  return { row: r + 1, column: columnLetter(c), set: (v) => (s.rows[r]![c] = v) };
}
function problemsOf(all: SheetData[]) {
  const r = compileWorkbook(all);
  expect(r.template).toBeUndefined();
  return r.problems;
}
const problem = (sheetName: string, row: number | undefined, column: string | undefined, message: RegExp) =>
  expect.objectContaining({ sheet: sheetName, ...(row ? { row } : {}), ...(column ? { column } : {}), message: expect.stringMatching(message) });

describe('the compiler refuses bad input, naming the sheet, row and column', () => {
  it('builds the starter example as it is', () => {
    expect(compileWorkbook(sheets())).toEqual({ template: parseTemplate(STARTER_EXAMPLE), problems: [] });
  });

  it('a missing sheet', () => {
    const all = sheets().filter((s) => s.name !== FORM);
    expect(problemsOf(all)).toContainEqual(problem(FORM, undefined, undefined, /^Sổ mẫu thiếu trang "Biểu mẫu"\. Hãy thêm/));
  });

  it('a missing column', () => {
    const all = sheets();
    const s = sheet(all, FORM);
    const c = s.rows[0]!.indexOf('Mã');
    s.rows = s.rows.map((r) => r.filter((_, i) => i !== c));
    expect(problemsOf(all)).toContainEqual(problem(FORM, 1, undefined, /thiếu cột "Mã"\. Hãy thêm cột này/));
  });

  it('an unknown (misspelt) heading; a column of the clerk\'s own notes is left alone', () => {
    const all = sheets();
    const s = sheet(all, FORM);
    s.rows[0]!.push('Bắt buột', 'Ghi chú của phòng');
    s.rows[2]!.push('có', 'hỏi lại số liệu');
    const letter = columnLetter(s.rows[0]!.length - 2);
    expect(problemsOf(all)).toEqual([problem(FORM, 1, letter, /^Không hiểu tiêu đề cột [A-Z]+ \("Bắt buột"\)\. Hãy dùng đúng tên cột: Loại, Mã, Nhãn/)]);
    s.rows[0]!.splice(-2, 1, 'Ghi chú');
    s.rows[2]!.splice(-2, 1, 'x');
    expect(compileWorkbook(all).problems).toEqual([]);
  });

  it('an unknown type', () => {
    const all = sheets();
    const cell = at(all, FORM, 'so_can_bo', 'Loại');
    cell.set('số nguyn');
    expect(cell).toMatchObject({ row: 3, column: 'A' });
    expect(problemsOf(all)).toContainEqual(problem(FORM, 3, 'A', /^Không hiểu loại "số nguyn"\. Loại ô: số nguyên, /));
  });

  it('a duplicate key (an item, a list value, a rule id)', () => {
    const all = sheets();
    const cell = at(all, FORM, 'kinh_phi', 'Mã');
    cell.set('so_can_bo');
    const list = sheet(all, 'Danh sách');
    list.rows[2]![1] = list.rows[1]![1]!;
    const rules = sheet(all, 'Kiểm tra');
    rules.rows.push([...rules.rows[1]!]);
    const p = problemsOf(all);
    expect(p).toContainEqual(problem(FORM, 4, 'B', /^Mã "so_can_bo" bị trùng trong biểu "thong_tin"/));
    expect(p).toContainEqual(problem('Danh sách', 3, 'B', /^Giá trị "tot" bị trùng trong danh sách "muc_do"/));
    expect(p).toContainEqual(problem('Kiểm tra', 3, 'A', /^Mã kiểm tra "ho_so\.da_giai_quyet" bị trùng/));
  });

  it('an expression that does not parse', () => {
    const all = sheets();
    const cell = at(all, FORM, 'ty_le', 'Công thức');
    cell.set('${da_giai_quyet} / (${tiep_nhan}');
    expect(problemsOf(all)).toContainEqual(problem(FORM, 17, cell.column, /^Công thức "\$\{da_giai_quyet\} \/ \(\$\{tiep_nhan\}" sai ở ký tự thứ 33: thiếu dấu '\)'/));
  });

  it('an expression or a rule that names an unknown item, row or column', () => {
    const all = sheets();
    const item = at(all, FORM, 'kinh_phi', 'Công thức');
    item.set('${thong_tin.khong_co} * 2');
    const col = at(all, FORM, 'ty_le', 'Công thức');
    col.set('${da_giai_quyet} / ${tiep_nhan_x}');
    const rule = at(all, 'Kiểm tra', 'ho_so.da_giai_quyet', 'Điều kiện');
    rule.set('${da_giai_quyet} <= ${ho_so.linh_vuc.khong_dong.tiep_nhan}');
    const p = problemsOf(all);
    expect(p).toContainEqual(problem(FORM, 4, item.column, /biểu "thong_tin" không có ô hoặc bảng mã "khong_co"/));
    expect(p).toContainEqual(problem(FORM, 17, col.column, /bảng "linh_vuc" không có cột "tiep_nhan_x"/));
    expect(p).toContainEqual(problem('Kiểm tra', 2, rule.column, /bảng "linh_vuc" không có dòng "khong_dong"/));
  });

  it('a circular calculation, between computed items and between computed columns', () => {
    const all = sheets();
    at(all, FORM, 'kinh_phi', 'Công thức').set('${thong_tin.so_can_bo} + 1');
    const first = at(all, FORM, 'so_can_bo', 'Công thức');
    first.set('${thong_tin.kinh_phi} * 2');
    const col = at(all, FORM, 'tiep_nhan', 'Công thức');
    col.set('${ty_le} * 100');
    const p = problemsOf(all);
    expect(p).toContainEqual(problem(FORM, 3, first.column, /^Công thức tính vòng tròn: thong_tin\.so_can_bo → thong_tin\.kinh_phi → thong_tin\.so_can_bo\./));
    expect(p).toContainEqual(problem(FORM, 15, col.column, /^Công thức tính vòng tròn: tiep_nhan → ty_le → tiep_nhan\./));
  });

  it('a choice list that is not defined', () => {
    const all = sheets();
    const cell = at(all, FORM, 'muc_do', 'Danh sách');
    cell.set('khong_co');
    expect(problemsOf(all)).toContainEqual(problem(FORM, 5, cell.column, /^Danh sách lựa chọn "khong_co" chưa có trên trang "Danh sách"/));
  });

  it('a formula-looking label (= + - @), wherever a person would read it', () => {
    const all = sheets();
    at(all, FORM, 'so_can_bo', 'Nhãn').set('=HYPERLINK("http://x","bấm")');
    sheet(all, 'Danh sách').rows[1]![2] = '@SUM(A1)';
    at(all, 'Kiểm tra', 'ho_so.da_giai_quyet', 'Thông báo').set('-Sai rồi');
    at(all, 'Cài đặt', 'Tên', 'Giá trị').set('+Báo cáo');
    const p = problemsOf(all);
    expect(p).toContainEqual(problem(FORM, 3, 'C', /bắt đầu bằng "=" như một công thức Excel.*Hãy bỏ ký tự "="/));
    expect(p).toContainEqual(problem('Danh sách', 2, 'C', /bắt đầu bằng "@"/));
    expect(p).toContainEqual(problem('Kiểm tra', 2, at(all, 'Kiểm tra', 'ho_so.da_giai_quyet', 'Thông báo').column, /bắt đầu bằng "-"/));
    expect(p).toContainEqual(problem('Cài đặt', 4, 'B', /bắt đầu bằng "\+"/));
  });

  it('a sheet of 100,000 rows, said so and not read', () => {
    const all = sheets();
    const s = sheet(all, FORM);
    for (let i = 0; i < 100_000; i++) s.rows.push(['số nguyên', `o_${i}`, `Ô ${i}`]);
    const r = compileWorkbook(all);
    expect(r.template).toBeUndefined();
    expect(r.problems).toEqual([problem(FORM, undefined, undefined, /^Trang "Biểu mẫu" có 100\.0\d\d dòng, quá số dòng tối đa của một trang \(5\.000\)/)]);
  });

  it('unbalanced begin and end rows', () => {
    const all = sheets();
    const s = sheet(all, FORM);
    const endTable = s.rows.findIndex((r) => r[0] === 'kết thúc bảng');
    s.rows.splice(endTable, 1);
    s.rows.push(['kết thúc biểu', 'thua']);
    const p = problemsOf(all);
    expect(p).toContainEqual(problem(FORM, 11, 'A', /^Bảng "linh_vuc" chưa có dòng kết thúc trước "kết thúc biểu" \(dòng 18\)/));
    expect(p).toContainEqual(problem(FORM, 19, 'A', /^Dòng "kết thúc biểu" này không có "bắt đầu biểu" tương ứng/));
  });

  it('a row outside any biểu, a table row outside a table, a column that does not belong to its row', () => {
    const all = sheets();
    const s = sheet(all, FORM);
    s.rows.splice(1, 0, ['số nguyên', 'ngoai', 'Ngoài biểu']);
    s.rows.push(['dòng', 'le', 'Dòng lẻ']);
    at(all, FORM, 'kinh_phi', 'Số dòng tối đa').set(5);
    const p = problemsOf(all);
    expect(p).toContainEqual(problem(FORM, 2, 'A', /^Ô này phải nằm trong một biểu/));
    expect(p).toContainEqual(problem(FORM, s.rows.length, 'A', /^Dòng loại "dòng" chỉ dùng trong một bảng/));
    expect(p).toContainEqual(problem(FORM, 5, undefined, /^Cột "Số dòng tối đa" không dùng cho dòng loại "tiền"/));
  });

  it('a signer that is not a text cell; a consolidation the model refuses, mapped back to its row in Vietnamese', () => {
    const all = sheets();
    at(all, 'Cài đặt', 'Người lập biểu', 'Giá trị').set('ho_so.linh_vuc');
    expect(problemsOf(all)).toContainEqual(problem('Cài đặt', 8, 'B', /^"ho_so\.linh_vuc" không phải là một ô chữ của mẫu nên không ghi được tên người lập biểu/));
    const other = sheets();
    const cons = at(other, 'Tổng hợp', 'so_can_bo', 'Ô');
    cons.set('thong_tin.ket_qua');
    expect(problemsOf(other)).toContainEqual(problem('Tổng hợp', cons.row, undefined, /^Mẫu chưa nhất quán ở "can_bo\.so_can_bo": thong_tin\.ket_qua không phải là ô số để cộng\. Hãy sửa/));
  });

  it(`never cuts the list silently: over ${MAX_PROBLEMS} problems, the rest are counted`, () => {
    const all = sheets();
    const s = sheet(all, FORM);
    const end = s.rows.findIndex((r) => r[0] === 'kết thúc biểu');
    for (let i = 0; i < 300; i++) s.rows.splice(end, 0, ['số lạ', `o_${i}`, `Ô ${i}`]);
    const p = problemsOf(all);
    expect(p).toHaveLength(MAX_PROBLEMS + 1);
    expect(p[MAX_PROBLEMS]!.message).toMatch(/^và 100 lỗi khác chưa liệt kê\. Hãy sửa các lỗi trên/);
  });
});

describe('round trips: template → sheets → the same template', () => {
  it('BC-CX, as it was before it became a workbook (tests/fixtures/templates/BC-CX.v1.expected.json)', () => {
    const expected = parseTemplate(JSON.parse(readFileSync(path.join(import.meta.dirname, '../fixtures/templates/BC-CX.v1.expected.json'), 'utf8')));
    const r = compileWorkbook(templateToSheets(expected));
    expect(r.problems).toEqual([]);
    expect(plain(r.template)).toEqual(plain(expected));
    // and the sheets are canonical: exporting the built template gives the same sheets
    expect(templateToSheets(r.template!)).toEqual(templateToSheets(expected));
  });

  it('a template using every feature of the schema', () => {
    const t: Template = parseTemplate(EVERY_FEATURE);
    const r = compileWorkbook(templateToSheets(t));
    expect(r.problems).toEqual([]);
    expect(plain(r.template)).toEqual(plain(EVERY_FEATURE));
  });

  it('reads English headings and words, numbers typed as text, and yes/no as x', () => {
    const en = templateToSheets(parseTemplate(STARTER_EXAMPLE)).map((s) => {
      if (s.name !== FORM) return s;
      const rows = s.rows.map((r) => [...r]);
      rows[0] = rows[0]!.map((h) => ({ Loại: 'type', Mã: 'name', Nhãn: 'label', 'Bắt buộc': 'required', 'Tối thiểu': 'min' })[String(h)] ?? h);
      for (const r of rows.slice(1)) {
        r[0] = ({ 'bắt đầu biểu': 'begin section', 'số nguyên': 'integer', 'kết thúc biểu': 'end section' })[String(r[0])] ?? r[0]!;
        if (r[3] === 'có') r[3] = 'x';
      }
      return { name: 'survey', rows };
    });
    expect(plain(compileWorkbook(en).template)).toEqual(plain(STARTER_EXAMPLE));
  });

  it('reads sheet names, headings and words typed without accents (no Vietnamese keyboard)', () => {
    const bare = templateToSheets(parseTemplate(STARTER_EXAMPLE)).map((s) => ({
      name: foldText(s.name),
      rows: s.rows.map((r, i) => (i === 0 || s.name !== 'Cài đặt' ? r.map((c, j) => (typeof c === 'string' && (i === 0 || j === 0 || (s.name === 'Biểu mẫu' && j === 0)) ? foldText(c) : c)) : [foldText(String(r[0])), r[1]!])),
    }));
    expect(bare.find((s) => s.name === 'bieu mau')!.rows[2]![0]).toBe('so nguyen');
    expect(compileWorkbook(bare).problems).toEqual([]);
    expect(plain(compileWorkbook(bare).template)).toEqual(plain(STARTER_EXAMPLE));
  });
});
