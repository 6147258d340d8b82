/**
 * The compiler of the authoring workbook (docs/authoring.md): sheets of plain cells → a Template,
 * or the list of problems, each with its sheet, Excel row and column letter and what to do, in
 * Vietnamese. Nothing here evaluates anything: expressions go through expr.ts.
 */
import type { AuthoringProblem } from '../../contract.js';
import type {
  AppliesTo,
  Column,
  ConsolidationAggregate,
  ConsolidationGroup,
  Expr,
  Item,
  RepeatItem,
  Rule,
  Section,
  TableItem,
  Template,
  ValueType,
} from '../schema.js';
import { TemplateSchema } from '../schema.js';
import { parseTemplate } from '../model.js';
import { clip, exprRefs, parseCondition, parseExpr, printExpr } from './expr.js';
import type { ColumnSpec, SheetSpec } from './format.js';
import {
  AGGREGATES,
  CHECKS,
  CHOICE_COLUMNS,
  CONSOLIDATION_COLUMNS,
  FORM_COLUMNS,
  MONEY_UNITS,
  PERIOD_TYPES,
  RULE_COLUMNS,
  SETTINGS,
  SEVERITIES,
  SHEETS,
  STRUCTURE,
  VALUE_TYPES,
  columnLetter,
  fold,
  lookup,
  norm,
  pick,
  yesNo,
} from './format.js';
import type { Cell, SheetData } from './types.js';

/** Rows read from one sheet at most (a template has a few hundred). */
export const MAX_SHEET_ROWS = 5000;
/** Problems listed at most; the rest are counted in a last line. */
export const MAX_PROBLEMS = 200;

const KEY = /^[a-z][a-z0-9_]*$/;
/** The longest key, template id and version (a key is typed in formulas; a version counts publications). */
export const MAX_KEY_LENGTH = 64;
export const MAX_ID_LENGTH = 40;
export const MAX_VERSION = 9999;
/** Characters a person cannot see or that reorder the text around them, and those no .xlsx can hold (a superset of shared/text.ts textProblem). */
// eslint-disable-next-line no-control-regex -- this rule is about control characters
const HIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** A cell showing an Excel error instead of a value (a broken formula). */
const EXCEL_ERROR = /^#(NULL!|DIV\/0!|VALUE!|REF!|NAME\?|NUM!|N\/A|SPILL!|CALC!|FIELD!|BLOCKED!|CONNECT!|BUSY!|UNKNOWN!|GETTING_DATA)$/i;
/** "1.000" or "2,500": a thousands separator in Vietnamese, a decimal mark in English; never guessed. */
const GROUPED = /^-?[1-9]\d{0,2}([.,]\d{3})+$/;
const PATH = /^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$/;
const FORMULA_LIKE = /^[=+\-@]/;
const KEY_HELP = 'chỉ dùng chữ thường không dấu, số và dấu "_", bắt đầu bằng một chữ (ví dụ so_ho_so)';

interface Loc {
  sheet: string;
  row: number;
  column?: string;
}
type Text = { vi: string; en?: string };

/** A sheet's rows read through its heading row: cells by column key, with their places. */
class Table<K extends string> {
  readonly rows: { row: number; get: (k: K) => Cell; has: (k: K) => boolean; loc: (k?: K) => Loc; filled: K[] }[] = [];
  private index = new Map<K, number>();
  constructor(
    readonly sheet: string,
    data: Cell[][],
    specs: readonly ColumnSpec<K>[],
    required: K[],
    private out: Problems,
  ) {
    const header = data[0] ?? [];
    const unknown: string[] = [];
    header.forEach((h, i) => {
      const text = cellText(h);
      if (!text) return;
      const spec = pick(specs, (s) => [s.heading, ...s.aliases], text);
      // The clerk's own columns ("Ghi chú …", "# …") are left alone; any other unknown heading is
      // probably a misspelt one, whose values would otherwise be lost without a word.
      if (!spec && /^(ghi chu|note|#)/.test(fold(text))) return;
      if (!spec) unknown.push(`${columnLetter(i)} ("${text}")`);
      else if (this.index.has(spec.key))
        out.add({ sheet, row: 1, column: columnLetter(i) }, `Cột "${text}" bị lặp lại (đã có ở cột ${columnLetter(this.index.get(spec.key)!)}). Hãy xóa một trong hai cột.`);
      else this.index.set(spec.key, i);
    });
    if (unknown.length)
      out.add(
        { sheet, row: 1, ...(unknown.length === 1 ? { column: unknown[0]!.split(' ')[0] } : {}) },
        `Không hiểu tiêu đề cột ${unknown.join(', ')}. Hãy dùng đúng tên cột: ${specs.map((s) => s.heading).join(', ')} (một cột ghi chú riêng thì đặt tên bắt đầu bằng "Ghi chú").`,
      );
    for (const k of required)
      if (!this.index.has(k)) {
        const spec = specs.find((s) => s.key === k)!;
        out.add({ sheet, row: 1 }, `Trang "${sheet}" thiếu cột "${spec.heading}". Hãy thêm cột này vào dòng tiêu đề (dòng 1).`);
      }
    for (let r = 1; r < data.length; r++) {
      const cells = data[r] ?? [];
      if (!cells.some((c) => cellText(c) !== '')) continue;
      const get = (k: K): Cell => {
        const i = this.index.get(k);
        return i === undefined ? null : (cells[i] ?? null);
      };
      const filled = [...this.index.keys()].filter((k) => cellText(get(k)) !== '');
      this.rows.push({
        row: r + 1,
        get,
        has: (k) => cellText(get(k)) !== '',
        loc: (k) => ({ sheet, row: r + 1, ...(k !== undefined && this.index.has(k) ? { column: columnLetter(this.index.get(k)!) } : {}) }),
        filled,
      });
    }
  }
  heading(k: K, specs: readonly ColumnSpec<K>[]): string {
    return specs.find((s) => s.key === k)!.heading;
  }
}
type Row<K extends string> = Table<K>['rows'][number];

class Problems {
  readonly list: AuthoringProblem[] = [];
  add(loc: Partial<Loc> & { sheet: string }, message: string): void {
    this.list.push({ sheet: loc.sheet, ...(loc.row ? { row: loc.row } : {}), ...(loc.column ? { column: loc.column } : {}), message });
  }
}

export function cellText(c: Cell | undefined): string {
  if (c === null || c === undefined) return '';
  if (typeof c === 'boolean') return c ? 'có' : 'không';
  if (typeof c === 'number') return String(c);
  return c.trim();
}

function findSheet(sheets: SheetData[], spec: SheetSpec): SheetData | undefined {
  const names = [spec.name, ...spec.aliases];
  return sheets.find((s) => names.some((n) => norm(n) === norm(s.name))) ?? sheets.find((s) => names.some((n) => fold(n) === fold(s.name)));
}

/** Compile an authoring workbook's sheets into a template. No template when there is any problem. */
export function compileWorkbook(sheets: SheetData[]): { template?: Template; problems: AuthoringProblem[] } {
  const out = new Problems();
  strangeCells(sheets, out);
  const c = new Compiler(sheets, out);
  const template = c.run();
  const problems = out.list;
  if (problems.length > MAX_PROBLEMS) {
    const rest = problems.length - MAX_PROBLEMS;
    const first = problems[MAX_PROBLEMS]!;
    return {
      problems: [
        ...problems.slice(0, MAX_PROBLEMS),
        { sheet: first.sheet, message: `và ${rest.toLocaleString('vi-VN')} lỗi khác chưa liệt kê. Hãy sửa các lỗi trên rồi kiểm tra lại để xem tiếp.` },
      ],
    };
  }
  return problems.length || !template ? { problems } : { template, problems: [] };
}

/** Cells of the authoring sheets holding invisible or control characters, or an Excel error instead of a value. */
function strangeCells(sheets: SheetData[], out: Problems): void {
  const specs = [SHEETS.settings, SHEETS.form, SHEETS.choices, SHEETS.rules, SHEETS.consolidation];
  for (const spec of specs) {
    const s = findSheet(sheets, spec);
    if (!s || s.rows.length > MAX_SHEET_ROWS) continue;
    s.rows.forEach((cells, r) =>
      cells.forEach((c, i) => {
        if (typeof c !== 'string') return;
        const loc = { sheet: s.name, row: r + 1, column: columnLetter(i) };
        const hidden = HIDDEN.exec(c);
        if (hidden) {
          const code = `U+${(hidden[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
          out.add(
            loc,
            `Ô có ký tự ẩn hoặc ký tự điều khiển (${code}) không nhìn thấy được, thường do chép từ trang web, Word hoặc tin nhắn; nó làm mã, nhãn hoặc công thức khác với những gì hiện ra. Hãy xóa nội dung ô rồi gõ lại bằng tay.`,
          );
        } else if (EXCEL_ERROR.test(c.trim()))
          out.add(loc, `Ô hiện lỗi công thức Excel "${c.trim()}" thay cho giá trị. Hãy sửa công thức của ô hoặc gõ thẳng giá trị vào ô.`);
      }),
    );
  }
}

/** What to add when a number was typed with a thousands separator ("1.000"). */
export function numberHint(text: string): string {
  return GROUPED.test(text.trim().replace(/\s/g, ''))
    ? ` Số "${text.trim()}" có thể hiểu là một nghìn hoặc là một phẩy: hãy viết số không có dấu ngăn cách hàng nghìn (ví dụ 1000), phần thập phân sau dấu chấm hoặc dấu phẩy (ví dụ 0.5 hoặc 0,5).`
    : '';
}

interface Pending {
  text: string;
  loc: Loc;
  section: string;
  scope?: TableItem | RepeatItem;
  set: (e: Expr) => void;
  /** The item or column this formula belongs to (for cycles). */
  owner?: { kind: 'item'; path: string } | { kind: 'col'; table: string; key: string };
}

class Compiler {
  private where = new Map<object, Loc>();
  private sections: Section[] = [];
  private pending: Pending[] = [];
  private listUses: { name: string; loc: Loc; set: (o: { value: string; label: Text }[]) => void }[] = [];
  private itemRows = new Map<string, Loc>();

  constructor(
    private sheets: SheetData[],
    private out: Problems,
  ) {}

  private sheet(spec: SheetSpec, required: boolean): SheetData | undefined {
    const s = findSheet(this.sheets, spec);
    if (!s) {
      if (required)
        this.out.add({ sheet: spec.name }, `Sổ mẫu thiếu trang "${spec.name}". Hãy thêm trang này (có thể chép từ mẫu trống của ứng dụng, nút "Tải mẫu trống").`);
      return undefined;
    }
    if (s.rows.length > MAX_SHEET_ROWS) {
      this.out.add(
        { sheet: s.name },
        `Trang "${s.name}" có ${s.rows.length.toLocaleString('vi-VN')} dòng, quá số dòng tối đa của một trang (${MAX_SHEET_ROWS.toLocaleString('vi-VN')}). Một mẫu báo cáo chỉ có vài trăm dòng: hãy xóa các dòng thừa (có thể đã lỡ điền xuống hết trang) rồi kiểm tra lại.`,
      );
      return undefined;
    }
    return s;
  }

  run(): Template | undefined {
    const settings = this.settings();
    const lists = this.choices();
    this.form();
    // Without the biểu, every reference elsewhere would be a problem too: say only what is wrong.
    if (!this.sections.length) return undefined;
    for (const use of this.listUses) {
      const options = lists.get(use.name);
      if (!options)
        this.out.add(use.loc, `Danh sách lựa chọn "${use.name}" chưa có trên trang "${SHEETS.choices.name}". Hãy thêm các lựa chọn của danh sách này hoặc sửa lại tên danh sách.`);
      else use.set(options);
    }
    this.expressions();
    this.checkSigners(settings?.signers, settings?.signerLocs ?? {});
    const rules = this.rules();
    const consolidation = this.consolidation();
    if (this.out.list.length || !settings) return undefined;
    const candidate: Template = {
      id: settings.id,
      version: settings.version,
      title: settings.title,
      receivingBody: settings.receivingBody,
      periodTypes: settings.periodTypes,
      deadlineDay: settings.deadlineDay,
      ...(settings.signers ? { signers: settings.signers } : {}),
      sections: this.sections,
      rules,
      ...(consolidation ? { consolidation } : {}),
    };
    return this.check(candidate, settings.signerLocs);
  }

  // ----- settings

  private settings():
    | (Pick<Template, 'id' | 'version' | 'title' | 'receivingBody' | 'periodTypes' | 'deadlineDay' | 'signers'> & { signerLocs: Record<string, Loc> })
    | undefined {
    const s = this.sheet(SHEETS.settings, true);
    if (!s) return undefined;
    const values = new Map<string, { text: string; loc: Loc }>();
    s.rows.forEach((r, i) => {
      const name = cellText(r[0]);
      if (!name) return;
      const spec = pick(SETTINGS, (x) => [x.heading, ...x.aliases], name);
      if (i === 0 && !spec) return; // the heading row (a sheet may also start with its first setting)
      if (!spec) {
        this.out.add({ sheet: s.name, row: i + 1, column: 'A' }, `Không hiểu thiết lập "${name}". Các thiết lập: ${SETTINGS.map((x) => x.heading).join(', ')}.`);
        return;
      }
      if (values.has(spec.key)) {
        this.out.add({ sheet: s.name, row: i + 1, column: 'A' }, `Thiết lập "${spec.heading}" bị ghi hai lần. Hãy giữ một dòng.`);
        return;
      }
      if (typeof r[1] !== 'number') this.formulaLike(cellText(r[1]), { sheet: s.name, row: i + 1, column: 'B' });
      values.set(spec.key, { text: cellText(r[1]), loc: { sheet: s.name, row: i + 1, column: 'B' } });
    });
    const need = (k: (typeof SETTINGS)[number]['key']): { text: string; loc: Loc } | undefined => {
      const v = values.get(k);
      if (!v?.text) {
        const spec = SETTINGS.find((x) => x.key === k)!;
        this.out.add(v ? v.loc : { sheet: s.name }, `Chưa ghi "${spec.heading}" trên trang "${s.name}". ${spec.note}`);
        return undefined;
      }
      return v;
    };
    const id = need('id');
    if (id && !/^[A-Z0-9-]+$/.test(id.text)) this.out.add(id.loc, `Mã mẫu "${clip(id.text)}" chỉ được gồm chữ in hoa không dấu, số và dấu "-" (ví dụ BC-NV-01).`);
    else if (id && id.text.length > MAX_ID_LENGTH)
      this.out.add(id.loc, `Mã mẫu dài ${id.text.length} ký tự, quá ${MAX_ID_LENGTH} ký tự cho phép. Hãy đặt mã ngắn gọn (ví dụ BC-NV-01).`);
    const version = need('version');
    const v = version ? toNumber(version.text) : undefined;
    if (version && (v === undefined || !Number.isInteger(v) || v < 1 || v > MAX_VERSION))
      this.out.add(
        version.loc,
        `Phiên bản "${clip(version.text)}" phải là một số nguyên từ 1 đến ${MAX_VERSION.toLocaleString('vi-VN')}. Hãy ghi 1 cho mẫu mới; khi công bố, ứng dụng tự đánh số phiên bản tiếp theo.${numberHint(version.text)}`,
      );
    const title = need('title');
    const body = need('body');
    const periods = need('periods');
    const periodTypes: Template['periodTypes'] = [];
    if (periods)
      for (const w of splitList(periods.text)) {
        const p = lookup(PERIOD_TYPES, w);
        if (!p) this.out.add(periods.loc, `Không hiểu loại kỳ "${w}". Hãy ghi một hoặc nhiều loại trong: tháng, quý, 6 tháng, năm (cách nhau bằng dấu phẩy).`);
        else if (!periodTypes.includes(p)) periodTypes.push(p);
      }
    const deadline = need('deadline');
    const d = deadline ? toNumber(deadline.text) : undefined;
    if (deadline && (d === undefined || !Number.isInteger(d) || d < 1 || d > 28))
      this.out.add(deadline.loc, `Hạn nộp "${clip(deadline.text)}" phải là một ngày trong tháng, từ 1 đến 28.${numberHint(deadline.text)}`);
    const signers: Template['signers'] = {};
    const signerLocs: Record<string, Loc> = {};
    for (const [k, who] of [['preparer', 'preparer'], ['head', 'head']] as const) {
      const x = values.get(k);
      if (!x?.text) continue;
      if (!PATH.test(x.text)) this.out.add(x.loc, `"${x.text}" không phải là một ô: hãy ghi mã_biểu.mã_ô, ví dụ thong_tin.nguoi_lap.`);
      signers[who] = x.text;
      signerLocs[who] = x.loc;
    }
    if (!id || !version || !title || !body || !periods || !deadline || v === undefined || d === undefined) return undefined;
    const tx = (vi: { text: string }, en?: { text: string }): Text => (en?.text ? { vi: vi.text, en: en.text } : { vi: vi.text });
    return {
      id: id.text,
      version: v,
      title: tx(title, values.get('titleEn')),
      receivingBody: tx(body, values.get('bodyEn')),
      periodTypes,
      deadlineDay: d,
      ...(Object.keys(signers).length ? { signers } : {}),
      signerLocs,
    };
  }

  private checkSigners(signers: Template['signers'], locs: Record<string, Loc>): void {
    for (const [who, path] of Object.entries(signers ?? {})) {
      const [sk, ik] = path.split('.');
      const item = this.sections.find((s) => s.key === sk)?.items.find((i) => i.key === ik);
      if (!item || path.split('.').length !== 2 || item.kind !== 'field' || (item.type !== 'text' && item.type !== 'longtext'))
        this.out.add(
          locs[who] ?? { sheet: SHEETS.settings.name },
          `"${path}" không phải là một ô chữ của mẫu nên không ghi được tên ${who === 'head' ? 'thủ trưởng' : 'người lập biểu'}. Hãy ghi mã_biểu.mã_ô của ô chữ (loại "chữ") ghi tên người ký, hoặc để trống.`,
        );
    }
  }

  // ----- choices

  private choices(): Map<string, { value: string; label: Text }[]> {
    const lists = new Map<string, { value: string; label: Text }[]>();
    const s = this.sheet(SHEETS.choices, false);
    if (!s) return lists;
    const t = new Table(s.name, s.rows, CHOICE_COLUMNS, ['list', 'value', 'label'], this.out);
    for (const r of t.rows) {
      const name = cellText(r.get('list'));
      const value = cellText(r.get('value'));
      if (!name) {
        this.out.add(r.loc('list'), 'Chưa ghi tên danh sách của lựa chọn này. Hãy ghi tên danh sách (như ở cột "Danh sách" của trang "Biểu mẫu").');
        continue;
      }
      if (!value) {
        this.out.add(r.loc('value'), `Lựa chọn của danh sách "${name}" chưa có giá trị. Hãy ghi giá trị (ví dụ I, dang_dung).`);
        continue;
      }
      const label = this.text(r, 'label', 'labelEn', 'nhãn của lựa chọn');
      const list = lists.get(name) ?? [];
      if (list.some((o) => o.value === value)) {
        this.out.add(r.loc('value'), `Giá trị "${value}" bị trùng trong danh sách "${name}". Mỗi giá trị chỉ ghi một lần trong một danh sách.`);
        continue;
      }
      if (label) list.push({ value, label });
      lists.set(name, list);
    }
    return lists;
  }

  // ----- form

  private text<K extends string>(r: Row<K>, vi: K, en: K | undefined, what: string, required = true): Text | undefined {
    const v = cellText(r.get(vi));
    if (!v) {
      if (required) this.out.add(r.loc(vi), `Chưa ghi ${what}. Hãy ghi chữ hiện cho người nhập.`);
      return undefined;
    }
    this.formulaLike(v, r.loc(vi));
    const e = en ? cellText(r.get(en)) : '';
    if (e) this.formulaLike(e, r.loc(en));
    return e ? { vi: v, en: e } : { vi: v };
  }

  private formulaLike(text: string, loc: Loc): void {
    if (FORMULA_LIKE.test(text))
      this.out.add(
        loc,
        `Chữ "${text.length > 40 ? `${text.slice(0, 40)}…` : text}" bắt đầu bằng "${text[0]}" như một công thức Excel; khi in ra tệp Excel nó có thể bị chạy như công thức. Hãy bỏ ký tự "${text[0]}" ở đầu (hoặc thêm chữ trước nó).`,
      );
  }

  private key<K extends string>(r: Row<K>, k: K, what: string): string | undefined {
    const v = cellText(r.get(k));
    if (!v) {
      this.out.add(r.loc(k), `Chưa ghi mã của ${what}. Hãy ghi mã: ${KEY_HELP}.`);
      return undefined;
    }
    if (!KEY.test(v)) {
      this.out.add(r.loc(k), `Mã "${clip(v)}" không hợp lệ: ${KEY_HELP}.`);
      return undefined;
    }
    if (v.length > MAX_KEY_LENGTH) {
      this.out.add(r.loc(k), `Mã "${clip(v, 30)}" dài ${v.length} ký tự, quá ${MAX_KEY_LENGTH} ký tự cho phép. Hãy đặt mã ngắn gọn (ví dụ so_ho_so).`);
      return undefined;
    }
    return v;
  }

  private form(): void {
    const s = this.sheet(SHEETS.form, true);
    if (!s) return;
    const t = new Table(s.name, s.rows, FORM_COLUMNS, ['type', 'key', 'label'], this.out);
    if (this.out.list.some((p) => p.sheet === s.name && p.row === 1 && p.message.includes('thiếu cột'))) return;
    let section: { s: Section; loc: Loc; keys: Set<string> } | undefined;
    let box:
      | { kind: 'table'; item: TableItem; loc: Loc; cols: Set<string>; rows: Set<string>; groups: Map<string, { label: Text; columns: string[] }> }
      | { kind: 'repeat'; item: RepeatItem; loc: Loc; cols: Set<string> }
      | undefined;
    const structureName = (w: keyof typeof STRUCTURE) => STRUCTURE[w][0];
    const closeBox = () => {
      if (!box || !section) return;
      if (box.kind === 'table') {
        if (!box.item.rows.length) this.out.add(box.loc, `Bảng "${box.item.key}" chưa có dòng nào. Hãy thêm các dòng loại "dòng" giữa "bắt đầu bảng" và "kết thúc bảng".`);
        if (box.groups.size) box.item.groups = [...box.groups.values()];
        // The schema's order: rows, total row, groups, columns.
        const { kind, key, label, rowHeader, rows, totalRow, groups, columns, appliesTo } = box.item;
        const ordered: TableItem = {
          kind, key, label, rowHeader, rows,
          ...(totalRow ? { totalRow } : {}),
          ...(groups ? { groups } : {}),
          columns,
          ...(appliesTo ? { appliesTo } : {}),
        };
        section.s.items[section.s.items.indexOf(box.item)] = ordered;
        this.where.set(ordered, box.loc);
        for (const p of this.pending) if (p.scope === box.item) p.scope = ordered;
      }
      if (!box.item.columns.length)
        this.out.add(box.loc, `${box.kind === 'table' ? 'Bảng' : 'Bảng lặp'} "${box.item.key}" chưa có cột nào. Hãy thêm các dòng loại ô (số nguyên, chữ, …) làm cột.`);
      box = undefined;
    };
    const closeSection = () => {
      if (!section) return;
      if (!section.s.items.length) this.out.add(section.loc, `Biểu "${section.s.key}" chưa có ô nào. Hãy thêm ô giữa "bắt đầu biểu" và "kết thúc biểu", hoặc xóa biểu.`);
      else this.sections.push(section.s);
      section = undefined;
    };
    const sectionKeys = new Set<string>();

    for (const r of t.rows) {
      const typeText = cellText(r.get('type'));
      if (!typeText) {
        this.out.add(r.loc('type'), 'Dòng này chưa ghi loại. Hãy ghi loại của dòng (ví dụ "số nguyên", "bắt đầu biểu") hoặc xóa dòng.');
        continue;
      }
      const structure = lookup(STRUCTURE, typeText);
      const valueType = structure ? undefined : lookup(VALUE_TYPES, typeText);
      if (!structure && !valueType) {
        this.out.add(
          r.loc('type'),
          `Không hiểu loại "${typeText}". Loại ô: ${Object.values(VALUE_TYPES).map((w) => w[0]).join(', ')}; dòng cấu trúc: ${Object.values(STRUCTURE).map((w) => w[0]).join(', ')}.`,
        );
        continue;
      }
      const context = structure ?? (box ? 'column' : 'item');
      this.allowed(r, context, t);
      switch (structure) {
        case 'beginSection': {
          if (box) {
            this.out.add(box.loc, `${box.kind === 'table' ? 'Bảng' : 'Bảng lặp'} "${box.item.key}" chưa có dòng "${box.kind === 'table' ? structureName('endTable') : structureName('endRepeat')}". Hãy thêm dòng này sau cột cuối của bảng.`);
            closeBox();
          }
          if (section) {
            this.out.add(section.loc, `Biểu "${section.s.key}" chưa có dòng "${structureName('endSection')}" trước khi bắt đầu biểu khác (dòng ${r.row}). Hãy thêm dòng "${structureName('endSection')}".`);
            closeSection();
          }
          const key = this.key(r, 'key', 'biểu');
          const title = this.text(r, 'label', 'labelEn', 'tên biểu');
          const code = cellText(r.get('code'));
          if (!code) this.out.add(r.loc('code'), 'Chưa ghi ký hiệu của biểu (ví dụ "Biểu 01"). Hãy ghi ở cột "Ký hiệu".');
          if (key && sectionKeys.has(key)) this.out.add(r.loc('key'), `Mã biểu "${key}" bị trùng với một biểu ở trên. Mỗi biểu cần một mã riêng.`);
          if (key) sectionKeys.add(key);
          const appliesTo = this.appliesTo(r);
          const sec: Section = { key: key ?? '_', code, title: title ?? { vi: '_' }, items: [], ...(appliesTo ? { appliesTo } : {}) };
          this.where.set(sec, r.loc());
          section = { s: sec, loc: r.loc('type'), keys: new Set() };
          break;
        }
        case 'endSection':
          if (box) {
            this.out.add(box.loc, `${box.kind === 'table' ? 'Bảng' : 'Bảng lặp'} "${box.item.key}" chưa có dòng kết thúc trước "${structureName('endSection')}" (dòng ${r.row}). Hãy thêm dòng "${box.kind === 'table' ? structureName('endTable') : structureName('endRepeat')}".`);
            closeBox();
          }
          if (!section) this.out.add(r.loc('type'), `Dòng "${structureName('endSection')}" này không có "${structureName('beginSection')}" tương ứng ở trên. Hãy xóa dòng hoặc thêm dòng bắt đầu biểu.`);
          closeSection();
          break;
        case 'beginTable':
        case 'beginRepeat': {
          if (!section) {
            this.out.add(r.loc('type'), `Bảng phải nằm trong một biểu. Hãy thêm dòng "${structureName('beginSection')}" ở trên.`);
            continue;
          }
          if (box) {
            this.out.add(r.loc('type'), `Không đặt bảng trong bảng: bảng "${box.item.key}" (dòng ${box.loc.row}) chưa kết thúc. Hãy thêm dòng kết thúc của bảng đó trước dòng này.`);
            closeBox();
          }
          const key = this.key(r, 'key', 'bảng');
          const label = this.text(r, 'label', 'labelEn', 'tên bảng');
          const rowLabel = this.text(r, 'rowLabel', 'rowLabelEn', structure === 'beginTable' ? 'nhãn dòng (tiêu đề cột tên dòng, ví dụ "Lĩnh vực")' : 'nhãn dòng (tên một dòng, ví dụ "Trụ sở")');
          if (key) this.uniqueItem(section, key, r.loc('key'));
          const appliesTo = this.appliesTo(r);
          const base = { key: key ?? '_', label: label ?? { vi: '_' } };
          if (structure === 'beginTable') {
            const item: TableItem = { kind: 'table', ...base, rowHeader: rowLabel ?? { vi: '_' }, rows: [], columns: [], ...(appliesTo ? { appliesTo } : {}) };
            section.s.items.push(item);
            box = { kind: 'table', item, loc: r.loc('type'), cols: new Set(), rows: new Set(), groups: new Map() };
          } else {
            const maxRows = this.number(r, 'maxRows', { integer: true, min: 1, max: 10_000 });
            if (maxRows === undefined && !r.has('maxRows')) this.out.add(r.loc('maxRows'), 'Chưa ghi số dòng tối đa của bảng lặp. Hãy ghi một số nguyên, ví dụ 30.');
            const item: RepeatItem = { kind: 'repeat', ...base, rowLabel: rowLabel ?? { vi: '_' }, maxRows: maxRows ?? 1, columns: [], ...(appliesTo ? { appliesTo } : {}) };
            section.s.items.push(item);
            box = { kind: 'repeat', item, loc: r.loc('type'), cols: new Set() };
          }
          this.itemRows.set(`${section.s.key}.${base.key}`, r.loc('key'));
          this.where.set(section.s.items[section.s.items.length - 1]!, r.loc());
          break;
        }
        case 'endTable':
        case 'endRepeat': {
          const want = structure === 'endTable' ? 'table' : 'repeat';
          if (!box) this.out.add(r.loc('type'), `Dòng "${typeText}" này không có dòng bắt đầu tương ứng ở trên. Hãy xóa dòng hoặc thêm dòng "${want === 'table' ? structureName('beginTable') : structureName('beginRepeat')}".`);
          else if (box.kind !== want)
            this.out.add(r.loc('type'), `Dòng "${typeText}" không khớp: đang mở ${box.kind === 'table' ? 'bảng' : 'bảng lặp'} "${box.item.key}" (dòng ${box.loc.row}). Hãy ghi "${box.kind === 'table' ? structureName('endTable') : structureName('endRepeat')}".`);
          closeBox();
          break;
        }
        case 'row':
        case 'totalRow': {
          if (!box || box.kind !== 'table') {
            this.out.add(r.loc('type'), `Dòng loại "${typeText}" chỉ dùng trong một bảng (giữa "${structureName('beginTable')}" và "${structureName('endTable')}").`);
            continue;
          }
          const key = this.key(r, 'key', 'dòng');
          const label = this.text(r, 'label', 'labelEn', 'tên dòng');
          if (!key || !label) continue;
          if (box.rows.has(key)) {
            this.out.add(r.loc('key'), `Mã dòng "${key}" bị trùng trong bảng "${box.item.key}". Mỗi dòng cần một mã riêng.`);
            continue;
          }
          box.rows.add(key);
          if (structure === 'row') box.item.rows.push({ key, label });
          else if (box.item.totalRow) this.out.add(r.loc('type'), `Bảng "${box.item.key}" đã có dòng tổng. Một bảng chỉ có một dòng tổng.`);
          else box.item.totalRow = { key, label };
          break;
        }
        default: {
          if (!section) {
            this.out.add(r.loc('type'), `Ô này phải nằm trong một biểu. Hãy thêm dòng "${structureName('beginSection')}" ở trên.`);
            continue;
          }
          const built = this.cell(r, valueType!, section.s.key, box?.item);
          if (!built) continue;
          if (box) {
            if (box.cols.has(built.key)) {
              this.out.add(r.loc('key'), `Mã cột "${built.key}" bị trùng trong bảng "${box.item.key}". Mỗi cột cần một mã riêng.`);
              continue;
            }
            box.cols.add(built.key);
            box.item.columns.push(built.cell);
            this.where.set(built.cell, r.loc());
            if (box.kind === 'table' && r.has('group')) {
              const g = this.text(r, 'group', 'groupEn', 'nhóm cột')!;
              const found = box.groups.get(g.vi) ?? { label: g, columns: [] };
              found.columns.push(built.key);
              box.groups.set(g.vi, found);
            }
          } else {
            this.uniqueItem(section, built.key, r.loc('key'));
            const appliesTo = this.appliesTo(r);
            const item = (built.cell.expr !== undefined ? { kind: 'computed', ...built.cell, ...(appliesTo ? { appliesTo } : {}) } : { kind: 'field', ...built.cell, ...(appliesTo ? { appliesTo } : {}) }) as Item;
            section.s.items.push(item);
            this.where.set(item, r.loc());
            this.itemRows.set(`${section.s.key}.${built.key}`, r.loc('key'));
          }
          built.bind(section.s.items[section.s.items.length - 1]!, box ? undefined : `${section.s.key}.${built.key}`);
        }
      }
    }
    if (box) {
      this.out.add(box.loc, `${box.kind === 'table' ? 'Bảng' : 'Bảng lặp'} "${box.item.key}" chưa có dòng kết thúc. Hãy thêm dòng "${box.kind === 'table' ? structureName('endTable') : structureName('endRepeat')}" sau cột cuối của bảng.`);
      closeBox();
    }
    if (section) {
      this.out.add(section.loc, `Biểu "${section.s.key}" chưa có dòng "${structureName('endSection')}". Hãy thêm dòng này sau ô cuối của biểu.`);
      closeSection();
    }
    if (!this.sections.length && !this.out.list.some((p) => p.sheet === s.name))
      this.out.add({ sheet: s.name }, `Trang "${s.name}" chưa có biểu nào. Hãy thêm ít nhất một biểu (dòng "${structureName('beginSection')}", các ô, dòng "${structureName('endSection')}").`);
  }

  private uniqueItem(section: { s: Section; keys: Set<string> }, key: string, loc: Loc): void {
    if (section.keys.has(key)) this.out.add(loc, `Mã "${key}" bị trùng trong biểu "${section.s.key}". Mỗi ô, bảng trong một biểu cần một mã riêng.`);
    section.keys.add(key);
  }

  /** Which columns a row of this kind may fill: anything else is a mistake named to the clerk. */
  private allowed(r: Row<(typeof FORM_COLUMNS)[number]['key']>, context: string, t: Table<(typeof FORM_COLUMNS)[number]['key']>): void {
    const common = ['type', 'key', 'label', 'labelEn'];
    const cellCols = ['required', 'min', 'decimals', 'maxLength', 'list', 'formula', 'hint', 'hintEn', 'placeholder', 'moneyUnit', 'rateOf', 'rateOfEn', 'maxBytes', 'width', 'year', 'signed'];
    const applies = ['unitTypes', 'attribute'];
    const allowed: Record<string, string[]> = {
      beginSection: [...common, 'code', ...applies],
      endSection: ['type', 'key', 'label', 'labelEn'],
      endTable: ['type', 'key', 'label', 'labelEn'],
      endRepeat: ['type', 'key', 'label', 'labelEn'],
      beginTable: [...common, 'rowLabel', 'rowLabelEn', ...applies],
      beginRepeat: [...common, 'rowLabel', 'rowLabelEn', 'maxRows', ...applies],
      row: common,
      totalRow: common,
      item: [...common, ...cellCols, ...applies],
      column: [...common, ...cellCols, 'group', 'groupEn'],
    };
    for (const k of r.filled)
      if (!allowed[context]!.includes(k))
        this.out.add(
          r.loc(k),
          `Cột "${t.heading(k, FORM_COLUMNS)}" không dùng cho dòng loại "${cellText(r.get('type'))}"${context === 'column' && applies.includes(k) ? ' (một cột của bảng áp dụng như cả bảng: hãy ghi ở dòng bắt đầu bảng)' : ''}. Hãy xóa ô này.`,
        );
  }

  private number<K extends string>(r: Row<K>, k: K, o: { integer?: boolean; positive?: boolean; min?: number; max?: number } = {}): number | undefined {
    const raw = r.get(k);
    const text = cellText(raw);
    if (!text) return undefined;
    const n = typeof raw === 'number' ? raw : toNumber(text);
    const bad =
      n === undefined || (o.integer && !Number.isInteger(n)) || (o.positive && n <= 0) || (o.min !== undefined && n < o.min) || (o.max !== undefined && n > o.max);
    if (bad) {
      const want = [o.integer ? 'một số nguyên' : 'một số', o.positive ? 'lớn hơn 0' : '', o.min !== undefined && o.max !== undefined ? `từ ${o.min} đến ${o.max}` : ''].filter(Boolean).join(' ');
      this.out.add(r.loc(k), `"${clip(text)}" không đúng: ở đây cần ${want}.${numberHint(text)}`);
      return undefined;
    }
    return n;
  }

  private bool<K extends string>(r: Row<K>, k: K): boolean | undefined {
    const text = cellText(r.get(k));
    if (!text) return undefined;
    const b = yesNo(text);
    if (b === undefined) this.out.add(r.loc(k), `"${text}" không đúng: hãy ghi "có" hoặc "không" (hoặc để trống).`);
    return b;
  }

  private appliesTo(r: Row<(typeof FORM_COLUMNS)[number]['key']>): AppliesTo | undefined {
    const out: AppliesTo = {};
    const types = cellText(r.get('unitTypes'));
    if (types) {
      const list = splitList(types);
      if (list.some((x) => FORMULA_LIKE.test(x))) this.formulaLike(types, r.loc('unitTypes'));
      out.unitTypes = list;
    }
    const attr = cellText(r.get('attribute'));
    if (attr) {
      const m = /^([^=]+?)\s*(?:=\s*(.+))?$/.exec(attr)!;
      const name = m[1]!.trim();
      if (!KEY.test(name)) this.out.add(r.loc('attribute'), `"${name}" không phải là tên một cột của danh sách đơn vị: ${KEY_HELP} (ví dụ co_hdnd).`);
      out.attribute = name;
      if (m[2] !== undefined) {
        const values = splitList(m[2]).map(unquote);
        if (!values.length) this.out.add(r.loc('attribute'), `Sau dấu "=" cần các giá trị, ví dụ ${name} = "mien_nui", "hai_dao".`);
        else out.values = values;
      }
    }
    return types || attr ? out : undefined;
  }

  /** A value cell (an item or a column) from a form row. */
  private cell(
    r: Row<(typeof FORM_COLUMNS)[number]['key']>,
    type: ValueType,
    sectionKey: string,
    scope: TableItem | RepeatItem | undefined,
  ): { key: string; cell: Column; bind: (owner: Item, path?: string) => void } | undefined {
    const key = this.key(r, 'key', scope ? 'cột' : 'ô');
    const label = this.text(r, 'label', 'labelEn', scope ? 'tên cột' : 'tên ô');
    if (!key || !label) return undefined;
    const c: Column = { key, label, type };
    let owner: Item | undefined;
    const target = () => (scope || !owner ? c : (owner as unknown as Column));
    const required = this.bool(r, 'required');
    if (required !== undefined) c.required = required;
    const minText = cellText(r.get('min'));
    if (minText) {
      const m = /^(>=|≥|>)?\s*(.+)$/.exec(minText)!;
      const n = toNumber(m[2]!);
      if (n === undefined) this.out.add(r.loc('min'), `"${clip(minText)}" không đúng: hãy ghi một số (ví dụ 0) hoặc "> 0" nếu phải lớn hơn hẳn.${numberHint(m[2]!)}`);
      else {
        c.min = n;
        if (m[1] === '>') c.minExclusive = true;
        else if (m[1]) c.minExclusive = false;
      }
    }
    const decimals = this.number(r, 'decimals', { integer: true, min: 0, max: 6 });
    if (decimals !== undefined) c.decimals = decimals;
    const maxLength = this.number(r, 'maxLength', { integer: true, min: 1, max: 100_000 });
    if (maxLength !== undefined) c.maxLength = maxLength;
    const listName = cellText(r.get('list'));
    if (type === 'enum' || type === 'multi') {
      if (!listName) this.out.add(r.loc('list'), `Ô "${key}" là ô chọn nhưng chưa ghi danh sách lựa chọn. Hãy ghi tên một danh sách của trang "${SHEETS.choices.name}".`);
      else this.listUses.push({ name: listName, loc: r.loc('list'), set: (o) => (target().options = o) });
    } else if (listName) this.out.add(r.loc('list'), `Chỉ ô "chọn một" hoặc "chọn nhiều" mới có danh sách lựa chọn. Hãy xóa ô này hoặc đổi loại.`);
    const signed = this.bool(r, 'signed');
    if (signed !== undefined) c.signed = signed;
    const year = this.bool(r, 'year');
    if (year !== undefined) c.year = year;
    const placeholder = cellText(r.get('placeholder'));
    if (placeholder) {
      this.formulaLike(placeholder, r.loc('placeholder'));
      c.placeholder = placeholder;
    }
    const width = this.number(r, 'width', { min: 1, max: 255 });
    if (width !== undefined) c.width = width;
    const formula = cellText(r.get('formula'));
    const moneyText = cellText(r.get('moneyUnit'));
    if (moneyText) {
      const u = lookup(MONEY_UNITS, moneyText);
      if (!u) this.out.add(r.loc('moneyUnit'), `Không hiểu đơn vị tiền "${moneyText}": hãy ghi "đồng" hoặc "triệu đồng".`);
      else c.moneyUnit = u;
    }
    const rateOf = this.text(r, 'rateOf', 'rateOfEn', '', false);
    if (rateOf) c.rateOf = rateOf;
    const maxBytesText = cellText(r.get('maxBytes'));
    if (maxBytesText) {
      const b = parseBytes(maxBytesText);
      if (b === undefined || b > 20 * 1024 * 1024)
        this.out.add(r.loc('maxBytes'), `Dung lượng "${maxBytesText}" không đúng: hãy ghi ví dụ "5 MB" (tối đa 20 MB).`);
      else c.maxBytes = b;
    }
    const hint = this.text(r, 'hint', 'hintEn', '', false);
    if (hint) c.hint = hint;
    // An item is a copy of the cell made once its row is read: options and formulas land on it.
    if (formula)
      this.pending.push({
        text: formula,
        loc: r.loc('formula'),
        section: sectionKey,
        scope,
        set: (e) => {
          target().expr = e;
        },
        owner: scope ? { kind: 'col', table: `${sectionKey}.${scope.key}`, key } : { kind: 'item', path: `${sectionKey}.${key}` },
      });
    if (formula) c.expr = 0; // placeholder: replaced once every item is known (the formula may name items below)
    return {
      key,
      cell: c,
      bind: (o) => {
        owner = o;
      },
    };
  }

  // ----- expressions

  /** A reference's problem, or undefined when it names a cell of the template. */
  private refProblem(path: string): string | undefined {
    const parts = path.split('.');
    const section = this.sections.find((s) => s.key === parts[0]);
    if (!section) return `\${${path}}: không có biểu mã "${parts[0]}".`;
    const item = section.items.find((i) => i.key === parts[1]);
    if (!item) return `\${${path}}: biểu "${parts[0]}" không có ô hoặc bảng mã "${parts[1]}".`;
    if (parts.length === 2) return undefined;
    if (item.kind !== 'table') return `\${${path}}: "${parts[0]}.${parts[1]}" không phải là bảng nên không có dòng, cột.`;
    if (parts.length !== 4) return `\${${path}}: một ô của bảng viết là \${biểu.bảng.dòng.cột}.`;
    if (!item.rows.some((x) => x.key === parts[2]) && item.totalRow?.key !== parts[2]) return `\${${path}}: bảng "${parts[1]}" không có dòng "${parts[2]}".`;
    if (!item.columns.some((x) => x.key === parts[3])) return `\${${path}}: bảng "${parts[1]}" không có cột "${parts[3]}".`;
    return undefined;
  }

  /** Problems of an expression's references, in Vietnamese. */
  private checkRefs(e: Expr, scope: TableItem | RepeatItem | undefined, loc: Loc): boolean {
    const { refs, cols, counts } = exprRefs(e);
    let ok = true;
    const fail = (m: string) => {
      ok = false;
      this.out.add(loc, `${m} Hãy sửa lại tên ô trong công thức (mã_biểu.mã_ô, đúng như cột "Mã" của trang "${SHEETS.form.name}").`);
    };
    for (const p of refs) {
      const m = this.refProblem(p);
      if (m) fail(m);
    }
    for (const c of cols) {
      if (!scope) fail(`\${${c}} (không có dấu chấm) là một cột của cùng dòng, chỉ dùng trong công thức của một cột bảng hoặc kiểm tra "mỗi dòng của".`);
      else if (!scope.columns.some((x) => x.key === c)) fail(`\${${c}}: bảng "${scope.key}" không có cột "${c}".`);
    }
    for (const c of counts) {
      const [sk, ik] = c.path.split('.');
      const item = this.sections.find((s) => s.key === sk)?.items.find((i) => i.key === ik);
      if (!item || c.path.split('.').length !== 2) fail(`count(\${${c.path}}): không có bảng lặp này.`);
      else if (item.kind !== 'repeat') fail(`count(\${${c.path}}): "${c.path}" không phải là bảng lặp.`);
      else if (c.column && !item.columns.some((x) => x.key === c.column)) fail(`count(\${${c.path}}, ${c.column} = …): bảng lặp không có cột "${c.column}".`);
    }
    return ok;
  }

  private expressions(): void {
    const deps = new Map<string, { refs: string[]; loc: Loc }>();
    for (const p of this.pending) {
      const parsed = parseExpr(p.text);
      if (!parsed.ok) {
        this.out.add(p.loc, `Công thức "${clip(p.text)}" sai ở ${parsed.error}. Xem cách viết công thức ở trang "${SHEETS.guide.name}".`);
        continue;
      }
      if (!this.checkRefs(parsed.value, p.scope, p.loc)) continue;
      p.set(parsed.value);
      const r = exprRefs(parsed.value);
      if (p.owner?.kind === 'item') deps.set(p.owner.path, { refs: r.refs.map((x) => x.split('.').slice(0, 2).join('.')), loc: p.loc });
      else if (p.owner) deps.set(`${p.owner.table}#${p.owner.key}`, { refs: r.cols.map((x) => `${p.owner?.kind === 'col' ? p.owner.table : ''}#${x}`), loc: p.loc });
    }
    // Circular calculations: a computed item (or column) that reads itself through others.
    const state = new Map<string, 1 | 2>();
    const reported = new Set<string>();
    const visit = (n: string, stack: string[]): void => {
      if (state.get(n) === 2) return;
      if (state.get(n) === 1) {
        const cycle = stack.slice(stack.indexOf(n));
        const id = [...cycle].sort().join(',');
        if (reported.has(id)) return;
        reported.add(id);
        const show = (x: string) => (x.includes('#') ? x.split('#')[1]! : x);
        this.out.add(
          deps.get(cycle[0]!)!.loc,
          `Công thức tính vòng tròn: ${[...cycle, n].map(show).join(' → ')}. Một ô tính không được (trực tiếp hay gián tiếp) dùng chính nó; hãy sửa công thức của một trong các ô này.`,
        );
        return;
      }
      const d = deps.get(n);
      if (!d) return;
      state.set(n, 1);
      for (const x of d.refs) if (deps.has(x)) visit(x, [...stack, n]);
      state.set(n, 2);
    };
    for (const n of deps.keys()) visit(n, []);
  }

  // ----- rules

  private rules(): Rule[] {
    const s = this.sheet(SHEETS.rules, false);
    const out: Rule[] = [];
    if (!s) return out;
    const t = new Table(s.name, s.rows, RULE_COLUMNS, ['id', 'severity', 'check', 'message'], this.out);
    const ids = new Set<string>();
    for (const r of t.rows) {
      const id = cellText(r.get('id'));
      if (!/^[a-z][a-z0-9_.]*$/.test(id)) {
        this.out.add(r.loc('id'), id ? `Mã kiểm tra "${id}" không hợp lệ: chỉ dùng chữ thường không dấu, số, "_" và ".", bắt đầu bằng một chữ.` : 'Chưa ghi mã của kiểm tra. Hãy ghi một mã, ví dụ bieu_02.da_chi.');
        continue;
      }
      if (ids.has(id)) {
        this.out.add(r.loc('id'), `Mã kiểm tra "${id}" bị trùng với một kiểm tra ở trên. Mỗi kiểm tra cần một mã riêng.`);
        continue;
      }
      ids.add(id);
      const sevText = cellText(r.get('severity'));
      const severity = lookup(SEVERITIES, sevText);
      if (!severity) this.out.add(r.loc('severity'), `Không hiểu mức độ "${sevText}": hãy ghi "lỗi" hoặc "cảnh báo".`);
      const checkText = cellText(r.get('check'));
      const check = lookup(CHECKS, checkText);
      if (!check) this.out.add(r.loc('check'), `Không hiểu loại kiểm tra "${checkText}": hãy ghi một trong: ${Object.values(CHECKS).map((w) => w[0]).join(', ')}.`);
      const message = this.text(r, 'message', 'messageEn', 'thông báo (câu báo cho người nhập điều gì sai và cần làm gì)');
      if (!severity || !check || !message) continue;
      const base = { id, severity, message };
      const used: Record<typeof check, string[]> = {
        compare: ['forEachRow', 'target', 'condition'],
        unique: ['forEachRow', 'target'],
        pattern: ['forEachRow', 'target', 'pattern'],
        rangeByUnitType: ['target', 'ranges'],
        changeFromPrevious: ['threshold', 'paths'],
      };
      for (const k of r.filled)
        if (!['id', 'severity', 'check', 'message', 'messageEn', ...used[check]].includes(k))
          this.out.add(r.loc(k), `Cột "${t.heading(k, RULE_COLUMNS)}" không dùng cho loại kiểm tra "${checkText}". Hãy xóa ô này.`);
      const forEachRow = cellText(r.get('forEachRow'));
      const target = cellText(r.get('target'));
      const scopeOf = (path: string): TableItem | RepeatItem | undefined => {
        const [sk, ik] = path.split('.');
        const item = this.sections.find((x) => x.key === sk)?.items.find((i) => i.key === ik);
        if (!item || path.split('.').length !== 2 || (item.kind !== 'table' && item.kind !== 'repeat')) {
          this.out.add(r.loc('forEachRow'), `"${path}" không phải là một bảng của mẫu: hãy ghi mã_biểu.mã_bảng.`);
          return undefined;
        }
        return item;
      };
      const needCell = (k: 'target', what: string) => {
        if (!target) this.out.add(r.loc(k), `Chưa ghi ${what} ở cột "${t.heading(k, RULE_COLUMNS)}".`);
        return target;
      };
      if (check === 'compare') {
        const scope = forEachRow ? scopeOf(forEachRow) : undefined;
        if (forEachRow && !scope) continue;
        const cond = parseCondition(cellText(r.get('condition')));
        if (!cond.ok) {
          this.out.add(r.loc('condition'), `Điều kiện "${clip(cellText(r.get('condition')))}" sai ở ${cond.error}. Điều kiện viết là: vế trái, phép so sánh (<=, <, =, >=, >), vế phải.`);
          continue;
        }
        const okL = this.checkRefs(cond.value.left, scope, r.loc('condition'));
        const okR = this.checkRefs(cond.value.right, scope, r.loc('condition'));
        if (!okL || !okR) continue;
        if (printExpr(cond.value.left) === printExpr(cond.value.right)) {
          this.out.add(
            r.loc('condition'),
            `Điều kiện "${clip(cellText(r.get('condition')))}" so sánh một vế với chính nó nên luôn đúng hoặc luôn sai, không kiểm tra được gì. Hãy so sánh hai ô khác nhau (ví dụ \${bieu.da_giai_quyet} <= \${bieu.tiep_nhan}).`,
          );
          continue;
        }
        if (target) {
          if (scope && !scope.columns.some((c) => c.key === target)) {
            this.out.add(r.loc('target'), `Bảng "${forEachRow}" không có cột "${target}". Ô cần sửa của kiểm tra từng dòng là mã một cột của bảng.`);
            continue;
          }
          if (!scope && !this.known(target)) {
            this.out.add(r.loc('target'), `"${target}" không phải là một ô của mẫu: hãy ghi mã_biểu.mã_ô.`);
            continue;
          }
        }
        const rule: Rule = {
          ...base,
          check: 'compare',
          ...(forEachRow ? { forEachRow } : {}),
          ...(target ? { target } : {}),
          left: cond.value.left,
          op: cond.value.op,
          right: cond.value.right,
        };
        out.push(rule);
        this.where.set(rule, r.loc());
      } else if (check === 'unique' || check === 'pattern') {
        if (!forEachRow) {
          this.out.add(r.loc('forEachRow'), `Kiểm tra "${checkText}" cần bảng ở cột "${t.heading('forEachRow', RULE_COLUMNS)}" (mã_biểu.mã_bảng).`);
          continue;
        }
        const scope = scopeOf(forEachRow);
        const column = needCell('target', 'cột cần kiểm tra');
        if (!scope || !column) continue;
        if (!scope.columns.some((c) => c.key === column)) {
          this.out.add(r.loc('target'), `Bảng "${forEachRow}" không có cột "${column}".`);
          continue;
        }
        if (check === 'unique') out.push({ ...base, check, table: forEachRow, column });
        else {
          const pattern = cellText(r.get('pattern'));
          try {
            if (!pattern) throw new Error('empty');
            new RegExp(pattern);
          } catch {
            this.out.add(r.loc('pattern'), pattern ? `Mẫu "${pattern}" không phải là một biểu thức chính quy đúng. Hãy sửa lại.` : 'Chưa ghi mẫu (biểu thức chính quy) mà chữ trong ô phải khớp.');
            continue;
          }
          out.push({ ...base, check, table: forEachRow, column, pattern });
        }
        this.where.set(out[out.length - 1]!, r.loc());
      } else if (check === 'rangeByUnitType') {
        const path = needCell('target', 'ô cần kiểm tra (mã_biểu.mã_ô)');
        if (!path) continue;
        if (!this.known(path)) {
          this.out.add(r.loc('target'), `"${path}" không phải là một ô của mẫu: hãy ghi mã_biểu.mã_ô.`);
          continue;
        }
        const ranges = parseRanges(cellText(r.get('ranges')));
        if (!ranges) {
          this.out.add(r.loc('ranges'), `Khoảng "${cellText(r.get('ranges'))}" không đúng: hãy ghi theo mẫu "xã: 16 đến 56; phường: 5 đến 55".`);
          continue;
        }
        out.push({ ...base, check, target: path, ranges });
        this.where.set(out[out.length - 1]!, r.loc());
      } else {
        const thText = cellText(r.get('threshold'));
        const threshold = thText.endsWith('%') ? mapNum(toNumber(thText.slice(0, -1)), (x) => x / 100) : typeof r.get('threshold') === 'number' ? (r.get('threshold') as number) : toNumber(thText);
        if (threshold === undefined || threshold <= 0) {
          this.out.add(r.loc('threshold'), `Ngưỡng "${thText}" không đúng: hãy ghi một số lớn hơn 0, ví dụ 0.5 hoặc 50%.`);
          continue;
        }
        const paths = splitList(cellText(r.get('paths')));
        if (!paths.length) {
          this.out.add(r.loc('paths'), 'Chưa ghi các ô cần so với kỳ trước (mã_biểu.mã_ô, cách nhau bằng dấu phẩy).');
          continue;
        }
        const bad = paths.filter((p) => !PATH.test(p) || this.refProblem(p) !== undefined);
        if (bad.length) {
          this.out.add(r.loc('paths'), `Không có ô ${bad.map((b) => `"${b}"`).join(', ')} trong mẫu. Hãy ghi mã_biểu.mã_ô (ô của bảng: mã_biểu.mã_bảng.dòng.cột).`);
          continue;
        }
        out.push({ ...base, check, threshold, paths });
        this.where.set(out[out.length - 1]!, r.loc());
      }
    }
    return out;
  }

  private known(path: string): boolean {
    return PATH.test(path) && this.refProblem(path.split('.').slice(0, 2).join('.')) === undefined;
  }

  // ----- consolidation

  private consolidation(): ConsolidationGroup | undefined {
    const s = this.sheet(SHEETS.consolidation, false);
    if (!s) return undefined;
    const t = new Table(s.name, s.rows, CONSOLIDATION_COLUMNS, ['key', 'aggregate', 'path'], this.out);
    if (!t.rows.length) return undefined;
    const root: ConsolidationGroup = {};
    for (const r of t.rows) {
      const groupText = cellText(r.get('group'));
      const key = cellText(r.get('key'));
      if (!key || key.includes('.')) {
        this.out.add(r.loc('key'), key ? `Mã "${key}" không được có dấu chấm (nhóm con ghi ở cột "Nhóm").` : 'Chưa ghi mã của chỉ tiêu tổng hợp.');
        continue;
      }
      let group = root;
      let bad = false;
      for (const g of groupText ? groupText.split('.').map((x) => x.trim()) : []) {
        const next = group[g];
        if (!g) bad = true;
        else if (next === undefined) group = group[g] = {};
        else if (isAggregate(next)) bad = true;
        else group = next;
        if (bad) break;
      }
      if (bad) {
        this.out.add(r.loc('group'), `Nhóm "${groupText}" không đúng: tên nhóm không để trống và không trùng mã một chỉ tiêu.`);
        continue;
      }
      if (group[key] !== undefined) {
        this.out.add(r.loc('key'), `Mã "${key}" bị trùng trong nhóm "${groupText || '(ngoài nhóm)'}". Mỗi chỉ tiêu, nhóm con cần một mã riêng.`);
        continue;
      }
      const aggText = cellText(r.get('aggregate'));
      const kind = lookup(AGGREGATES, aggText);
      if (!kind) {
        this.out.add(r.loc('aggregate'), `Không hiểu cách tính "${aggText}": hãy ghi một trong: ${Object.values(AGGREGATES).map((w) => w[0]).join(', ')}.`);
        continue;
      }
      const path = cellText(r.get('path'));
      if (!PATH.test(path) || this.refProblem(path.split('.').slice(0, 2).join('.'))) {
        this.out.add(r.loc('path'), `"${path}" không phải là một ô của mẫu: hãy ghi mã_biểu.mã_ô (bảng: mã_biểu.mã_bảng, một ô của bảng: mã_biểu.mã_bảng.dòng.cột).`);
        continue;
      }
      const used: Record<typeof kind, string[]> = {
        sum: ['columns', 'totalRow'],
        fromSums: [],
        countRows: [],
        countBy: ['byUnitType'],
        distribution: ['buckets', 'bucketLabels', 'bucketLabelsEn'],
        countTrue: [],
        countWhere: ['condition', 'byUnitType'],
        stats: ['byUnitType'],
        texts: [],
      };
      for (const k of r.filled)
        if (!['group', 'key', 'aggregate', 'path', 'label', 'labelEn', ...used[kind]].includes(k))
          this.out.add(r.loc(k), `Cột "${t.heading(k, CONSOLIDATION_COLUMNS)}" không dùng cho cách tính "${aggText}". Hãy xóa ô này.`);
      const label = this.text(r, 'label', 'labelEn', '', false);
      const byUnitType = this.bool(r, 'byUnitType');
      let spec: ConsolidationAggregate;
      if (kind === 'sum') {
        const columns = splitList(cellText(r.get('columns')));
        const totalRow = this.bool(r, 'totalRow');
        spec = { sum: path, ...(columns.length ? { columns } : {}), ...(totalRow !== undefined ? { totalRow } : {}) };
      } else if (kind === 'distribution') {
        const buckets = splitList(cellText(r.get('buckets'))).map((b) => b.replace(/\s+/g, ''));
        if (!buckets.length || buckets.some((b) => !/^>?\d+$/.test(b))) {
          this.out.add(r.loc('buckets'), `Khoảng "${cellText(r.get('buckets'))}" không đúng: hãy ghi các số nguyên, cách nhau bằng dấu phẩy, số cuối có thể là ">n" (ví dụ 1, 2, 3, >3).`);
          continue;
        }
        const names = (k: 'bucketLabels' | 'bucketLabelsEn') => (cellText(r.get(k)) ? cellText(r.get(k)).split(';').map((x) => x.trim()) : []);
        const vi = names('bucketLabels');
        const enNames = names('bucketLabelsEn');
        if ((vi.length && vi.length !== buckets.length) || vi.some((x) => !x)) {
          this.out.add(r.loc('bucketLabels'), `Có ${buckets.length} khoảng nhưng ${vi.length} tên khoảng: hãy ghi đúng một tên cho mỗi khoảng, cách nhau bằng dấu chấm phẩy.`);
          continue;
        }
        if (enNames.length && (!vi.length || enNames.length !== buckets.length)) {
          this.out.add(r.loc('bucketLabelsEn'), `Có ${buckets.length} khoảng nhưng ${enNames.length} tên tiếng Anh: hãy ghi tên tiếng Việt của mọi khoảng, và tên tiếng Anh (nếu có) cho đúng từng khoảng.`);
          continue;
        }
        spec = {
          distribution: path,
          buckets,
          ...(vi.length ? { bucketLabels: vi.map((x, k) => (enNames[k] ? { vi: x, en: enNames[k] } : { vi: x })) } : {}),
        };
      } else if (kind === 'countWhere') {
        const cond = parseWhere(cellText(r.get('condition')));
        if (!cond) {
          this.out.add(r.loc('condition'), `Điều kiện "${cellText(r.get('condition'))}" không đúng: hãy ghi phép so sánh và giá trị, ví dụ "> 0", "= có", "= \\"loai_1\\"".`);
          continue;
        }
        spec = { countWhere: path, op: cond.op, value: cond.value, ...(byUnitType !== undefined ? { byUnitType } : {}) };
      } else if (kind === 'countBy' || kind === 'stats') spec = { [kind]: path, ...(byUnitType !== undefined ? { byUnitType } : {}) } as ConsolidationAggregate;
      else spec = { [kind]: path } as unknown as ConsolidationAggregate;
      if (label) spec.label = label;
      group[key] = spec;
      this.where.set(spec, r.loc('path'));
    }
    return root;
  }

  // ----- the final check: the schema and the model's cross-checks, mapped back to rows

  private check(candidate: Template, signerLocs: Record<string, Loc>): Template | undefined {
    const parsed = TemplateSchema.safeParse(candidate);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        let cur: unknown = candidate;
        let loc: Loc | undefined;
        for (const p of issue.path) {
          if (cur && typeof cur === 'object') {
            loc = this.where.get(cur) ?? loc;
            cur = (cur as Record<string | number, unknown>)[p as string | number];
          }
        }
        if (cur && typeof cur === 'object') loc = this.where.get(cur) ?? loc;
        this.out.add(loc ?? { sheet: SHEETS.form.name }, `Giá trị không hợp lệ (${issue.path.join('.')}): ${issue.message}. Hãy sửa lại ô này theo ghi chú ở tiêu đề cột.`);
      }
      return undefined;
    }
    try {
      return parseTemplate(parsed.data);
    } catch (e) {
      const lines = (e instanceof Error ? e.message : String(e)).split('\n').slice(1);
      for (const line of lines) {
        const where = line.split(':')[0]!;
        const loc = this.locate(candidate, where, signerLocs);
        const what =
          loc.sheet === SHEETS.consolidation.name
            ? 'Hãy sửa ô hoặc cách tính của dòng này: "tổng", "tính từ tổng" và "nhỏ nhất-lớn nhất-trung bình" chỉ dùng cho ô số; "danh sách ý kiến" cho ô chữ hoặc đoạn văn; "đếm theo lựa chọn" cho ô chọn một.'
            : 'Hãy sửa lại dòng này.';
        this.out.add(loc, `Mẫu chưa nhất quán ở "${where}": ${inVietnamese(line.slice(where.length + 1).trim())}. ${what}`);
      }
      return undefined;
    }
  }

  private locate(t: Template, where: string, signerLocs: Record<string, Loc>): Partial<Loc> & { sheet: string } {
    if (where.startsWith('signers.')) return signerLocs[where.slice(8)] ?? { sheet: SHEETS.settings.name };
    const rule = t.rules.find((r) => r.id === where);
    if (rule) return this.where.get(rule) ?? { sheet: SHEETS.rules.name };
    const item = this.itemRows.get(where.split('.').slice(0, 2).join('.'));
    if (item) return item;
    let g: ConsolidationGroup | ConsolidationAggregate | undefined = t.consolidation;
    for (const k of where.split('.')) g = g && !isAggregate(g) ? (g as ConsolidationGroup)[k] : undefined;
    if (g && this.where.get(g)) return this.where.get(g)!;
    return { sheet: SHEETS.form.name };
  }
}

/** The model's and the consolidation's checks speak English (for programmers): their usual sentences in Vietnamese. */
const DETAILS: [RegExp, string][] = [
  [/^unknown item (\S+)$/, 'không có ô $1'],
  [/^unknown reference (\S+)$/, 'không có ô $1'],
  [/^unknown (?:cell|table|column) (\S+)$/, 'không có $1'],
  [/^(\S+) is not a number to sum$/, '$1 không phải là ô số để cộng'],
  [/^(\S+) is not a table cell$/, '$1 không phải là một ô của bảng'],
  [/^(\S+) is not a computed column$/, '$1 không phải là cột tính'],
  [/^(\S+): unknown row (\S+)$/, '$1: bảng không có dòng $2'],
  [/^(\S+) is not a repeating table$/, '$1 không phải là bảng lặp'],
  [/^(\S+) is not a choice with options$/, '$1 không phải là ô "chọn một" có danh sách lựa chọn'],
  [/^(\S+) is not an integer$/, '$1 không phải là ô số nguyên'],
  [/^(\S+) is not a number$/, '$1 không phải là ô số'],
  [/^(\S+) is not a field to count units by$/, '$1 không phải là ô dùng để đếm đơn vị'],
  [/^(\S+): the value (.+) is not of the field's type$/, '$1: giá trị $2 không cùng kiểu với ô'],
  [/^(\S+): a yes\/no is compared with = or != only$/, '$1: ô có/không chỉ so sánh bằng "=" hoặc "!="'],
  [/^(\S+) is not a text to list$/, '$1 không phải là ô chữ hoặc đoạn văn'],
  [/^(\S+) is not a yes\/no field$/, '$1 không phải là ô có/không'],
  [/^(.+) (?:are|is) not a summable column of (\S+)$/, '$1 không phải là cột số cộng được của bảng $2'],
  [/^unknown row (\S+) of (\S+)$/, 'bảng $2 không có dòng $1'],
  [/^enum without options$/, 'ô chọn chưa có lựa chọn'],
];
/** The model's consistency message in Vietnamese (its English words mapped; an unknown one kept). */
export function inVietnamese(detail: string): string {
  for (const [re, vi] of DETAILS) if (re.test(detail)) return detail.replace(re, vi);
  return detail;
}

function isAggregate(x: ConsolidationGroup | ConsolidationAggregate): x is ConsolidationAggregate {
  return ['sum', 'fromSums', 'countRows', 'countBy', 'distribution', 'countTrue', 'countWhere', 'stats', 'texts'].some(
    (k) => typeof (x as Record<string, unknown>)[k] === 'string',
  );
}

/** A number from a cell's text ('.' or a lone ',' as the decimal mark). */
export function toNumber(text: string): number | undefined {
  const t = text.trim().replace(/\s/g, '');
  if (GROUPED.test(t)) return undefined;
  const s = /^-?\d+,\d+$/.test(t) ? t.replace(',', '.') : t;
  if (!/^-?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(s)) return undefined;
  return Number(s);
}
const mapNum = (n: number | undefined, f: (x: number) => number) => (n === undefined ? undefined : f(n));

/** "a, b; c" or one a line → ["a", "b", "c"]. */
export function splitList(text: string): string[] {
  return text
    .split(/[,;\n]/)
    .map((x) => x.trim())
    .filter(Boolean);
}
const unquote = (s: string) => s.replace(/^["“”](.*)["“”]$/, '$1');

/** "5 MB", "500 KB", "1048576" → bytes. */
export function parseBytes(text: string): number | undefined {
  const m = /^(\d+(?:[.,]\d+)?)\s*(kb|mb|b)?$/i.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]!.replace(',', '.'));
  const mult = m[2]?.toLowerCase() === 'mb' ? 1024 * 1024 : m[2]?.toLowerCase() === 'kb' ? 1024 : 1;
  const b = Math.round(n * mult);
  return b > 0 ? b : undefined;
}

/** "xã: 16 đến 56; phường: 5 đến 55" → { xã: [16, 56], phường: [5, 55] }. */
export function parseRanges(text: string): Record<string, [number, number]> | undefined {
  const parts = text.split(/[;\n]/).map((x) => x.trim()).filter(Boolean);
  if (!parts.length) return undefined;
  const out: Record<string, [number, number]> = {};
  for (const p of parts) {
    const m = /^(.+?):\s*(-?\d+(?:\.\d+)?)\s*(?:đến|\.\.|–|-)\s*(-?\d+(?:\.\d+)?)$/.exec(p);
    if (!m) return undefined;
    out[m[1]!.trim()] = [Number(m[2]), Number(m[3])];
  }
  return out;
}

/** "> 0", "= có", '= "loai_1"', "!= 3" → the consolidation's countWhere condition. */
export function parseWhere(text: string): { op: '<=' | '<' | '=' | '!=' | '>=' | '>'; value: number | string | boolean } | undefined {
  const m = /^(<=|>=|!=|<>|≠|≤|≥|<|>|=)\s*(.+)$/.exec(text.trim());
  if (!m) return undefined;
  const op = ({ '<>': '!=', '≠': '!=', '≤': '<=', '≥': '>=' } as Record<string, string>)[m[1]!] ?? m[1]!;
  const raw = m[2]!.trim();
  const quoted = /^["“”](.*)["“”]$/.exec(raw);
  const value = quoted ? quoted[1]! : toNumber(raw) ?? yesNo(raw);
  if (value === undefined) return undefined;
  return { op: op as '<=' | '<' | '=' | '!=' | '>=' | '>', value };
}
