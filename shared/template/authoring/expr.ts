/**
 * The expression language of the authoring workbook: text ↔ the template's Expr (schema.ts).
 * Parsed by a small recursive-descent parser, never evaluated here and never eval'd.
 *
 *   numbers           12, 0.5, -3           ('.' is the decimal mark)
 *   references        ${section.item}, ${section.table.row.column}; ${column} is a column of the same row
 *   operators         + - * /  with the usual precedence and parentheses (a + b + c is one sum)
 *   functions         sum(…), max(…), min(…), count(${section.repeat}), count(${section.repeat}, column = "value"),
 *                     band(${x}, 150: "ge150", 100: "100_150", "lt80"), period_year()
 *   conditions        <expr> <op> <expr> with op one of <= < = >= >  (≤ ≥ accepted)
 * ';' is accepted wherever ',' separates arguments (Excel set to Vietnamese uses ';').
 * Printing gives the canonical text: parse(print(e)) deep-equals e.
 */
import type { Expr } from '../schema.js';
import { exprLeaves } from '../model.js';

export type CompareOp = '<=' | '<' | '=' | '>=' | '>';
export interface Condition {
  left: Expr;
  op: CompareOp;
  right: Expr;
}
export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string; position: number };

type Tok =
  | { t: 'num'; v: number; p: number; text: string }
  | { t: 'ref'; v: string; p: number }
  | { t: 'str'; v: string; p: number }
  | { t: 'id'; v: string; p: number }
  | { t: 'op'; v: string; p: number }
  | { t: 'end'; p: number };

class SyntaxProblem extends Error {
  constructor(
    readonly position: number,
    message: string,
  ) {
    super(`ký tự thứ ${position}: ${message}`);
  }
}

const FUNCTIONS = ['sum', 'max', 'min', 'count', 'band', 'period_year'];

/** The longest formula or condition read (a template's longest is a few hundred characters): work stays small. */
export const MAX_EXPR_LENGTH = 2000;
/** The deepest nesting of parentheses and functions read: a deeper one would only overflow the stack. */
export const MAX_EXPR_DEPTH = 50;
/** The deepest expression tree kept (a - b - c - … nests one level a step): a template's JSON stays shallow enough to be received. */
export const MAX_EXPR_TREE_DEPTH = 60;

/** How deeply an expression nests (a number or a reference is 1). */
export function exprDepth(e: Expr): number {
  if (typeof e === 'number' || 'ref' in e || 'col' in e || 'count' in e || 'periodYear' in e) return 1;
  const parts = 'sum' in e ? e.sum : 'sub' in e ? e.sub : 'mul' in e ? e.mul : 'div' in e ? e.div : 'max' in e ? e.max : 'min' in e ? e.min : 'band' in e ? [e.band] : [];
  return 1 + Math.max(0, ...parts.map(exprDepth));
}
const TOO_DEEP = `có quá nhiều phép tính lồng hoặc nối nhau (trừ, nhân, chia liên tiếp; tối đa ${MAX_EXPR_TREE_DEPTH} lớp); hãy chia thành nhiều ô tính hoặc dùng sum(…)`;

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    const p = i + 1;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '$') {
      if (src[i + 1] !== '{') throw new SyntaxProblem(p, "sau dấu '$' phải là '{', ví dụ ${bieu.o}");
      const close = src.indexOf('}', i + 2);
      if (close < 0) throw new SyntaxProblem(p, "thiếu dấu '}' đóng tham chiếu ô ${…}");
      const name = src.slice(i + 2, close).trim();
      if (!/^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$/.test(name))
        throw new SyntaxProblem(p, `"\${${name}}" không phải là mã ô (chỉ gồm chữ thường không dấu, số, dấu '_' và dấu '.')`);
      out.push({ t: 'ref', v: name, p });
      i = close + 1;
      continue;
    }
    const num = /^\d+(\.\d+)?([eE][+-]?\d+)?/.exec(src.slice(i));
    if (num) {
      out.push({ t: 'num', v: Number(num[0]), p, text: num[0] });
      i += num[0].length;
      continue;
    }
    if (c === '"' || c === '“' || c === '”') {
      let j = i + 1;
      while (j < src.length && !'"“”'.includes(src[j]!)) j++;
      if (j >= src.length) throw new SyntaxProblem(p, 'thiếu dấu ngoặc kép đóng chuỗi chữ');
      out.push({ t: 'str', v: src.slice(i + 1, j), p });
      i = j + 1;
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
    if (id) {
      out.push({ t: 'id', v: id[0], p });
      i += id[0].length;
      continue;
    }
    const two = src.slice(i, i + 2);
    if (two === '<=' || two === '>=' || two === '<>' || two === '!=') {
      out.push({ t: 'op', v: two, p });
      i += 2;
      continue;
    }
    const one = c === '≤' ? '<=' : c === '≥' ? '>=' : c === '×' ? '*' : c === '÷' ? '/' : c === '−' || c === '–' ? '-' : c;
    if ('+-*/(),;:<>='.includes(one)) {
      out.push({ t: 'op', v: one === ';' ? ',' : one, p });
      i++;
      continue;
    }
    throw new SyntaxProblem(p, `không hiểu ký tự "${c}"`);
  }
  out.push({ t: 'end', p: src.length + 1 });
  return out;
}

class Parser {
  private i = 0;
  private depth = 0;
  constructor(private toks: Tok[]) {}
  /** One level deeper (a parenthesis or a function's arguments), refused past MAX_EXPR_DEPTH. */
  nested<T>(at: number, f: () => T): T {
    if (++this.depth > MAX_EXPR_DEPTH)
      throw new SyntaxProblem(at, `lồng quá ${MAX_EXPR_DEPTH} lớp ngoặc hoặc hàm; hãy viết gọn lại hoặc chia thành nhiều ô tính`);
    try {
      return f();
    } finally {
      this.depth--;
    }
  }
  peek(): Tok {
    return this.toks[this.i]!;
  }
  next(): Tok {
    return this.toks[this.i++]!;
  }
  isOp(v: string): boolean {
    const t = this.peek();
    return t.t === 'op' && t.v === v;
  }
  expectOp(v: string, what: string): void {
    const t = this.peek();
    if (t.t === 'op' && t.v === v) {
      this.i++;
      return;
    }
    throw new SyntaxProblem(t.p, `thiếu ${what}`);
  }
  additive(): Expr {
    let left = this.multiplicative();
    let open: Expr[] | undefined;
    for (;;) {
      if (this.isOp('+')) {
        this.i++;
        const right = this.multiplicative();
        if (open) open.push(right);
        else {
          open = [left, right];
          left = { sum: open };
        }
      } else if (this.isOp('-')) {
        this.i++;
        left = { sub: [left, this.multiplicative()] };
        open = undefined;
      } else return left;
    }
  }
  multiplicative(): Expr {
    let left = this.unary();
    for (;;) {
      if (this.isOp('*')) {
        this.i++;
        left = { mul: [left, this.unary()] };
      } else if (this.isOp('/')) {
        this.i++;
        left = { div: [left, this.unary()] };
      } else return left;
    }
  }
  unary(): Expr {
    if (this.isOp('-')) {
      this.i++;
      const t = this.peek();
      if (t.t === 'num') {
        this.i++;
        return -t.v;
      }
      return { sub: [0, this.primary()] };
    }
    return this.primary();
  }
  number(): number {
    let sign = 1;
    if (this.isOp('-')) {
      this.i++;
      sign = -1;
    }
    const t = this.peek();
    if (t.t !== 'num') throw new SyntaxProblem(t.p, 'thiếu một số');
    this.i++;
    return sign * t.v;
  }
  string(what: string): string {
    const t = this.peek();
    if (t.t === 'str') {
      this.i++;
      return t.v;
    }
    if (t.t === 'num') {
      this.i++;
      return t.text;
    }
    throw new SyntaxProblem(t.p, `thiếu ${what} trong ngoặc kép, ví dụ "gia_tri"`);
  }
  primary(): Expr {
    const t = this.next();
    if (t.t === 'num') return t.v;
    if (t.t === 'ref') return t.v.includes('.') ? { ref: t.v } : { col: t.v };
    if (t.t === 'op' && t.v === '(')
      return this.nested(t.p, () => {
        const e = this.additive();
        this.expectOp(')', "dấu ')'");
        return e;
      });
    if (t.t === 'id') {
      const name = t.v.toLowerCase();
      if (!FUNCTIONS.includes(name))
        throw new SyntaxProblem(t.p, `không có hàm "${t.v}" (các hàm dùng được: ${FUNCTIONS.join(', ')}); một ô phải viết là \${mã}`);
      this.expectOp('(', `dấu '(' sau tên hàm ${name}`);
      return this.nested(t.p, () => this.call(name, t.p));
    }
    if (t.t === 'end') throw new SyntaxProblem(t.p, 'công thức còn thiếu: cần một số, một ô ${…} hoặc một hàm');
    if (t.t === 'str') throw new SyntaxProblem(t.p, 'chuỗi chữ trong ngoặc kép chỉ dùng trong count(…) và band(…)');
    throw new SyntaxProblem(t.p, `không hiểu "${t.v}" ở đây: cần một số, một ô \${…} hoặc một hàm`);
  }
  list(): Expr[] {
    const out = [this.additive()];
    while (this.isOp(',')) {
      this.i++;
      out.push(this.additive());
    }
    this.expectOp(')', "dấu ')'");
    return out;
  }
  call(name: string, at: number): Expr {
    if (name === 'period_year') {
      this.expectOp(')', "dấu ')' (period_year() không có đối số)");
      return { periodYear: true };
    }
    if (name === 'sum') return { sum: this.list() };
    if (name === 'max') return { max: this.list() };
    if (name === 'min') return { min: this.list() };
    if (name === 'count') {
      const r = this.next();
      if (r.t !== 'ref' || !r.v.includes('.'))
        throw new SyntaxProblem(r.p, 'count(…) cần một bảng lặp, ví dụ count(${bieu.bang_lap})');
      let where: { column: string; equals: string } | undefined;
      if (this.isOp(',')) {
        this.i++;
        const c = this.next();
        const column = c.t === 'id' || (c.t === 'ref' && !c.v.includes('.')) ? c.v : undefined;
        if (!column) throw new SyntaxProblem(c.p, 'sau dấu phẩy trong count(…) cần tên cột, ví dụ count(${bieu.bang_lap}, tinh_trang = "dang_dung")');
        this.expectOp('=', "dấu '=' sau tên cột");
        where = { column, equals: this.string('giá trị') };
      }
      this.expectOp(')', "dấu ')'");
      return where ? { count: r.v, where } : { count: r.v };
    }
    // band
    const band = this.additive();
    const bands: { atLeast: number; value: string }[] = [];
    for (;;) {
      this.expectOp(',', 'dấu phẩy giữa các đối số của band(…)');
      const save = this.i;
      const t = this.peek();
      if (t.t === 'str') {
        this.i++;
        if (!bands.length) throw new SyntaxProblem(at, 'band(…) cần ít nhất một ngưỡng "số: giá trị" trước giá trị còn lại');
        this.expectOp(')', "dấu ')'");
        return { band, bands, else: t.v };
      }
      this.i = save;
      const atLeast = this.number();
      this.expectOp(':', "dấu ':' giữa ngưỡng và giá trị, ví dụ 150: \"tu150\"");
      bands.push({ atLeast, value: this.string('giá trị') });
    }
  }
}

function run<T>(text: string, f: (p: Parser) => T): ParseResult<T> {
  if (text.length > MAX_EXPR_LENGTH)
    return {
      ok: false,
      error: `ký tự thứ ${MAX_EXPR_LENGTH + 1}: dài ${text.length.toLocaleString('vi-VN')} ký tự, quá ${MAX_EXPR_LENGTH.toLocaleString('vi-VN')} ký tự cho phép; hãy chia thành nhiều ô tính`,
      position: MAX_EXPR_LENGTH + 1,
    };
  try {
    const p = new Parser(tokenize(text));
    const value = f(p);
    const t = p.peek();
    if (t.t !== 'end')
      throw new SyntaxProblem(t.p, t.t === 'op' && t.v === ')' ? "thừa dấu ')'"
        : t.t === 'op' && t.v === ',' ? 'dấu phẩy chỉ dùng giữa các đối số của một hàm; số thập phân viết bằng dấu chấm (ví dụ 0.5)'
        : `không hiểu phần còn lại "${clip(text.slice(t.p - 1))}"`);
    return { ok: true, value };
  } catch (e) {
    if (e instanceof SyntaxProblem) return { ok: false, error: e.message, position: e.position };
    throw e;
  }
}

/** Parse an expression (a computed item's or column's formula). */
export function parseExpr(text: string): ParseResult<Expr> {
  if (!text.trim()) return { ok: false, error: 'ký tự thứ 1: công thức để trống', position: 1 };
  const r = run(text, (p) => p.additive());
  return r.ok && exprDepth(r.value) > MAX_EXPR_TREE_DEPTH ? { ok: false, error: `ký tự thứ 1: ${TOO_DEEP}`, position: 1 } : r;
}

/** A text quoted in a message, cut to 60 characters. */
export function clip(s: string, n = 60): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}

const OPS: Record<string, CompareOp> = { '<=': '<=', '<': '<', '=': '=', '>=': '>=', '>': '>' };

/** Parse a rule's condition "<expr> <op> <expr>". */
export function parseCondition(text: string): ParseResult<Condition> {
  if (!text.trim()) return { ok: false, error: 'ký tự thứ 1: điều kiện để trống', position: 1 };
  const r = run(text, (p) => {
    const left = p.additive();
    const t = p.next();
    const op = t.t === 'op' ? OPS[t.v] : undefined;
    if (!op) throw new SyntaxProblem(t.p, 'thiếu phép so sánh (<=, <, =, >=, >) giữa hai vế của điều kiện');
    return { left, op, right: p.additive() };
  });
  return r.ok && Math.max(exprDepth(r.value.left), exprDepth(r.value.right)) > MAX_EXPR_TREE_DEPTH
    ? { ok: false, error: `ký tự thứ 1: ${TOO_DEEP}`, position: 1 }
    : r;
}

const str = (s: string) => `"${s}"`;
const num = (n: number) => String(n);

/** The canonical text of an expression. */
export function printExpr(e: Expr): string {
  if (typeof e === 'number') return num(e);
  if ('ref' in e) return `\${${e.ref}}`;
  if ('col' in e) return `\${${e.col}}`;
  if ('sum' in e) {
    if (e.sum.length < 2) return `sum(${e.sum.map(printExpr).join(', ')})`;
    // a - b + c reads as (a - b) + c: only a later difference, or a nested sum, needs parentheses.
    return e.sum.map((x, i) => (isSum(x) || (i > 0 && isSub(x)) ? `(${printExpr(x)})` : printExpr(x))).join(' + ');
  }
  if ('sub' in e) {
    const [a, b] = e.sub;
    return `${printExpr(a)} - ${isAdditive(b) ? `(${printExpr(b)})` : printExpr(b)}`;
  }
  if ('mul' in e || 'div' in e) {
    const [a, b] = 'mul' in e ? e.mul : e.div;
    const op = 'mul' in e ? ' * ' : ' / ';
    const left = isAdditive(a) ? `(${printExpr(a)})` : printExpr(a);
    const right = isAdditive(b) || isMultiplicative(b) ? `(${printExpr(b)})` : printExpr(b);
    return left + op + right;
  }
  if ('max' in e) return `max(${e.max.map(printExpr).join(', ')})`;
  if ('min' in e) return `min(${e.min.map(printExpr).join(', ')})`;
  if ('count' in e) return e.where ? `count(\${${e.count}}, ${e.where.column} = ${str(e.where.equals)})` : `count(\${${e.count}})`;
  if ('band' in e) return `band(${[printExpr(e.band), ...e.bands.map((b) => `${num(b.atLeast)}: ${str(b.value)}`), str(e.else)].join(', ')})`;
  return 'period_year()';
}

const isSum = (x: Expr) => typeof x === 'object' && 'sum' in x && x.sum.length >= 2;
const isSub = (x: Expr) => typeof x === 'object' && 'sub' in x;
const isAdditive = (x: Expr) => isSum(x) || isSub(x);
const isMultiplicative = (x: Expr) => typeof x === 'object' && ('mul' in x || 'div' in x);

export function printCondition(c: Condition): string {
  return `${printExpr(c.left)} ${c.op} ${printExpr(c.right)}`;
}

/** Every reference of an expression: paths (${a.b…}), columns (${c}) and counted repeats. */
export function exprRefs(e: Expr): { refs: string[]; cols: string[]; counts: { path: string; column?: string }[] } {
  const out = { refs: [] as string[], cols: [] as string[], counts: [] as { path: string; column?: string }[] };
  for (const x of exprLeaves(e)) {
    if ('ref' in x) out.refs.push(x.ref);
    else if ('col' in x) out.cols.push(x.col);
    else out.counts.push({ path: x.count, ...(x.where ? { column: x.where.column } : {}) });
  }
  return out;
}
