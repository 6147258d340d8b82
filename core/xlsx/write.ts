/**
 * Render the package workbook from the layout plan: headings, bordered tables, formulas with
 * cached values, protection, data validation, print setup, explanations and identity.
 */
import ExcelJS from 'exceljs';
import type {
  AttachmentRef,
  Column,
  ComputedItem,
  FieldItem,
  Issue,
  Period,
  ReturnJson,
  Template,
  Unit,
  Values,
} from '../../shared/index.js';
import {
  AppError,
  AttachmentRefSchema,
  LONGTEXT_MAX,
  cellLabel,
  computeView,
  formatBytes,
  formatDate,
  formatDateTime,
  formatNumber,
  isApplicable,
  moneyUnitLabel,
  notApplicable,
  parsePeriod,
  periodLabel,
  periodWindow,
  tx,
  validate,
  xmlSafeText,
} from '../../shared/index.js';
import type { FormulaContext } from './formula.js';
import { optionLabel, toFormula } from './formula.js';
import type { FieldsBlock, Pos, RepeatBlock, SheetPlan, TableBlock, WorkbookPlan } from './layout.js';
import {
  HEAD,
  SHEET_CELLS,
  SHEET_EXPLANATIONS,
  SHEET_FILES,
  SHEET_IDENTITY,
  SHEET_LISTS,
  planWorkbook,
  signatureSplit,
} from './layout.js';
import {
  BORDER,
  CENTER,
  FONT,
  GREY,
  HEADER_FILL,
  LEFT,
  MARGINS,
  RIGHT,
  VI,
  addr,
  blockTitle,
  colLetter,
  escapeText,
  fitPage,
  font,
  heightFor,
  lines,
  longLines,
  merge,
  naFormat,
  numFmt,
  quoteSheet,
  sheetTitle,
  signatureHeads,
} from './style.js';

/** Re-exported for the readers and tests that import them from here. */
export { FONT, colLetter, escapeText };

/** Marker of our packages in the identity sheet. */
export const PACKAGE_FORMAT = 'commune-returns-package/1';
/** What a copy of an unsubmitted draft says on every sheet and every printed page (issue 7). */
export const DRAFT_MARK = 'BẢN NHÁP — CHƯA NỘP';
/**
 * Sheets are protected WITHOUT a password: the protection keeps people from overwriting
 * headings and formulas by mistake, not from deliberate edits (the hash flags those anyway).
 */
const PROTECTION: Partial<ExcelJS.WorksheetProtection> = {
  selectLockedCells: true,
  selectUnlockedCells: true,
  formatColumns: true,
  formatRows: true,
};
const MULTI_SEPARATOR = '; ';
/** What a cell, item or section that does not apply to the unit shows. */
export const NOT_APPLICABLE = 'Không áp dụng';
/** Excel keeps at most this many characters in a cell. */
export const EXCEL_CELL_MAX = 32767;
/** The dates a date cell accepts in Excel (the app's own check is shared/template/rules.ts). */
const DATE_RANGE: [string, string] = ['1945-01-01', '2100-12-31'];


export interface InputRef {
  kind: 'value' | 'asOf' | 'explanation';
  key: string;
  sheet: string;
  address: string;
}

export interface RenderArgs {
  template: Template;
  ret: ReturnJson;
  unit: Unit;
  identity: Record<string, string>;
  /** The request the return answers (issue 9): "Kính gửi" and "Thực hiện" under the heading. */
  request?: { refLine: string; summary: string; addressee: string };
}

type Spec = Pick<
  Column,
  | 'type'
  | 'min'
  | 'minExclusive'
  | 'maxLength'
  | 'options'
  | 'signed'
  | 'year'
  | 'decimals'
  | 'label'
  | 'moneyUnit'
  | 'rateOf'
  | 'hint'
>;

/** The shown text of an attachment in its cell: "quyet-dinh.pdf (1,2 MB)" (the reader compares it). */
export const fileCellText = (ref: Pick<AttachmentRef, 'name' | 'size'>) => `${ref.name} (${formatBytes(ref.size)})`;

/** A cell's label with what its figure is in: "(đồng)", "(triệu đồng)", and what a rate is of. */
export function specLabel(spec: Pick<Column, 'type' | 'label' | 'moneyUnit' | 'rateOf'>): string {
  const label = tx(spec.label);
  if (spec.type === 'money') return `${label} (${moneyUnitLabel(spec)})`;
  if (spec.type === 'rate' && spec.rateOf) {
    const of = tx(spec.rateOf);
    return `${label} (%, ${/^(trên|so với|của)\s/iu.test(of) ? of : `trên ${of}`})`;
  }
  return label;
}

/** A label with its help text as a second, smaller line (printed with it). */
function withHint(label: string, hint: string | undefined, bold = false): ExcelJS.CellValue {
  if (!hint) return label;
  return {
    richText: [
      { text: label, font: font({ bold }) },
      { text: `\n${hint}`, font: font({ italic: true, size: 9, color: { argb: 'FF595959' } }) },
    ],
  };
}



export async function renderWorkbook(args: RenderArgs): Promise<{ buffer: Buffer; inputs: InputRef[] }> {
  const { template: t, ret, unit } = args;
  const period = parsePeriod(ret.period)!;
  const values = ret.values;
  const plan = planWorkbook(t, values, unit);
  const view = computeView(t, values, period.year);
  const wb = new ExcelJS.Workbook();
  wb.creator = 'commune-returns';
  wb.title = `${tx(t.title)} — ${unit.name} — ${periodLabel(period)}`;
  wb.calcProperties = { fullCalcOnLoad: true };
  const inputs: InputRef[] = [];
  const files: [string, AttachmentRef][] = [];
  const lists = new ListSheet();

  const ctxBase = (sheet: string): FormulaContext => ({
    template: t,
    periodYear: period.year,
    ref: (path) => refTo(plan, sheet, path),
    repeatColumn: (path, column) => {
      const first = plan.cells.get(`${path}.0.${column}`);
      const slots = findRepeat(plan, path)!.slots;
      if (!first) throw new Error(`no column ${column} in ${path}`);
      return rangeRef(sheet, first, first.row + slots - 1, first.col);
    },
    repeatRows: (path) => {
      const b = findRepeat(plan, path)!;
      const p = plan.cells.get(`${path}.0.${b.item.columns[0]!.key}`)!;
      return rangeRef(sheet, { ...p, col: 1 }, p.row + b.slots - 1, 1);
    },
  });

  for (const sp of plan.sheets) {
    const ws = addSheet(wb, sp.name, sp.widths, sp.landscape, args.identity, t);
    const n = sp.widths.length;
    heading(ws, sp.widths, `${sp.section.code.toUpperCase()}. ${tx(sp.section.title).toUpperCase()}`, t, unit, period, args.request);
    if (sp.na)
      // A section that does not apply to the unit: said under the title; no date, no inputs.
      merge(ws, HEAD.asOf, 1, HEAD.asOf, n, `Biểu này không áp dụng cho ${unit.name}.`, {
        font: font({ italic: true, bold: true, color: { argb: 'FF595959' } }),
        alignment: CENTER,
      });
    else asOfCell(ws, sp, ret.asOf?.[sp.section.key] ?? periodWindow(period).end, period, inputs);

    const fctx = ctxBase(sp.name);
    const writeInput = (pos: Pos, spec: Spec, value: unknown, key: string) => {
      const c = ws.getCell(pos.row, pos.col);
      const shown = cellValue(spec, value);
      if (typeof shown === 'string' && shown.length > EXCEL_CELL_MAX)
        throw new AppError(
          'invalid_input',
          `Ô "${cellLabel(t, key)}" có ${formatNumber(shown.length)} ký tự, quá giới hạn ${formatNumber(EXCEL_CELL_MAX)} ký tự của một ô Excel, nên không lập được gói. Hãy viết ngắn lại nội dung ô này (số liệu đã lưu không thay đổi) rồi lập gói lại.`,
        );
      setInput(c, spec, value, lists);
      if (spec.type === 'file') {
        const ref = AttachmentRefSchema.safeParse(value);
        if (ref.success) files.push([key, ref.data]);
      }
      inputs.push({ kind: 'value', key, sheet: sp.name, address: addr(pos.row, pos.col) });
    };

    for (const block of sp.blocks) {
      if (block.kind === 'fields') fieldsBlock(ws, sp, block, n, values, view, fctx, writeInput);
      else if (block.kind === 'table') tableBlock(ws, sp, block, values, view, fctx, writeInput);
      else repeatBlock(ws, sp, block, values, writeInput);
    }
    signature(ws, sp.widths, sp.signatureTop, unit, plan, sp.name, view, t.signers);
    if (sp.printTitles) ws.pageSetup.printTitlesRow = `${sp.printTitles[0]}:${sp.printTitles[1]}`;
    ws.pageSetup.printArea = `A1:${addr(sp.signatureTop + 8, n)}`;
    fitPage(ws, sp.widths, sp.signatureTop + 8, sp.landscape, { from: sp.signatureTop, to: sp.signatureTop + 7 });
    await ws.protect('', PROTECTION);
  }

  await explanationsSheet(wb, t, ret, unit, period, inputs, args.identity, plan, view);
  await lists.write(wb);
  if (files.length)
    await keyValueSheet(wb, SHEET_FILES, [
      ['path', 'name', 'size', 'mime', 'sha256', 'shown'],
      ...files.map(([path, f]) => [path, f.name, String(f.size), f.mime, f.sha256, fileCellText(f)]),
    ]);
  await keyValueSheet(wb, SHEET_IDENTITY, [['key', 'value'], ...Object.entries(args.identity)]);
  await keyValueSheet(
    wb,
    SHEET_CELLS,
    cellMapChunks(inputs).map((c) => [c]),
  );
  for (const ws of wb.worksheets) escapeTexts(ws);
  // Fast compression: the file is a little larger, written in a fraction of the time.
  const options = {
    zip: { compression: 'DEFLATE', compressionOptions: { level: 1 } },
  } as unknown as Partial<ExcelJS.XlsxWriteOptions>;
  const buffer = Buffer.from(await wb.xlsx.writeBuffer(options));
  return { buffer, inputs };
}


/** "Số liệu tính đến ngày" and its date, an input cell (a date of the period). */
function asOfCell(ws: ExcelJS.Worksheet, sp: SheetPlan, asOfIso: string, period: Period, inputs: InputRef[]): void {
  const n = sp.widths.length;
  merge(ws, HEAD.asOf, 1, HEAD.asOf, signatureSplit(sp.widths), 'Số liệu tính đến ngày:', {
    font: font({ italic: true }),
    alignment: { horizontal: 'right', vertical: 'middle' },
  });
  // Merged over the right half so that the date never shows as ### in a narrow column.
  if (sp.asOf.col < n) ws.mergeCells(sp.asOf.row, sp.asOf.col, sp.asOf.row, n);
  const d = ws.getCell(sp.asOf.row, sp.asOf.col);
  d.value = /^\d{4}-\d{2}-\d{2}$/.test(asOfIso) ? new Date(`${asOfIso}T00:00:00Z`) : asOfIso;
  d.numFmt = `${VI}dd/mm/yyyy`;
  d.font = font({ italic: true, bold: true });
  d.alignment = { horizontal: 'left', vertical: 'middle' };
  d.protection = { locked: false };
  const win = periodWindow(period);
  d.dataValidation = {
    type: 'date',
    operator: 'between',
    allowBlank: true,
    showErrorMessage: true,
    formulae: [new Date(`${win.start}T00:00:00Z`), new Date(`${win.end}T00:00:00Z`)],
    errorTitle: 'Ngày không hợp lệ',
    error: `Hãy nhập một ngày trong kỳ báo cáo, từ ${formatDate(win.start)} đến ${formatDate(win.end)} (dạng ngày/tháng/năm).`,
  };
  inputs.push({ kind: 'asOf', key: sp.section.key, sheet: sp.name, address: addr(sp.asOf.row, sp.asOf.col) });
}

/** Every text of the workbook: no character XML 1.0 forbids (shared/text.ts), underscores escaped. */
function escapeTexts(ws: ExcelJS.Worksheet): void {
  ws.eachRow((row) =>
    row.eachCell((c) => {
      const v = c.value;
      const safe = (s: string) => escapeText(xmlSafeText(s));
      if (typeof v === 'string') {
        if (safe(v) !== v) c.value = safe(v);
      } else if (v && typeof v === 'object' && 'richText' in v)
        c.value = { richText: v.richText.map((r) => ({ ...r, text: safe(r.text) })) };
      else if (v && typeof v === 'object' && 'formula' in v && typeof v.result === 'string' && safe(v.result) !== v.result)
        c.value = { ...v, result: safe(v.result) } as ExcelJS.CellFormulaValue;
    }),
  );
}

function refTo(plan: WorkbookPlan, sheet: string, path: string): string {
  const p = plan.cells.get(path);
  if (!p) throw new Error(`no cell for ${path}`);
  return p.sheet === sheet ? addr(p.row, p.col) : `${quoteSheet(p.sheet)}!${addr(p.row, p.col)}`;
}
function rangeRef(sheet: string, first: Pos, lastRow: number, col: number): string {
  const r = `$${colLetter(col)}$${first.row}:$${colLetter(col)}$${lastRow}`;
  return first.sheet === sheet ? r : `${quoteSheet(first.sheet)}!${r}`;
}
function findRepeat(plan: WorkbookPlan, path: string): RepeatBlock | undefined {
  for (const s of plan.sheets)
    for (const b of s.blocks) if (b.kind === 'repeat' && `${s.section.key}.${b.item.key}` === path) return b;
  return undefined;
}

function addSheet(
  wb: ExcelJS.Workbook,
  name: string,
  widths: number[],
  landscape: boolean,
  identity: Record<string, string>,
  t: Template,
): ExcelJS.Worksheet {
  const ws = wb.addWorksheet(name, {
    views: [{ showGridLines: false }],
    pageSetup: {
      paperSize: 9,
      orientation: landscape ? 'landscape' : 'portrait',
      fitToPage: true,
      fitToWidth: 1,
      fitToHeight: 0,
      horizontalCentered: true,
      margins: MARGINS,
    },
  });
  ws.columns = widths.map((w) => ({ width: w, style: { font: font() } }));
  const esc = (s: string) => s.replace(/&/g, '&&');
  if (identity.draft === '1') {
    // A draft: the mark on every printed page (header and footer) and in the sheet itself (row 3, free under the motto).
    const based = identity.basedOnRevision && identity.basedOnRevision !== '0' ? ` · soạn sau lần nộp ${identity.basedOnRevision}` : '';
    ws.headerFooter.oddHeader = `&C&"${FONT},Bold"&14${DRAFT_MARK}`;
    ws.headerFooter.oddFooter =
      `&L&"${FONT},Bold"&8${esc(`${DRAFT_MARK} · Mẫu ${t.id} phiên bản ${t.version}${based} · xuất lúc ${formatDateTime(identity.createdAt)}`)}` +
      `&R&"${FONT},Italic"&8Trang &P/&N`;
    merge(ws, 3, 1, 3, widths.length, `${DRAFT_MARK} — không dùng để ký, gửi hoặc nộp`, {
      font: font({ bold: true, size: 14, color: { argb: 'FFC00000' } }),
      alignment: CENTER,
    });
    ws.getRow(3).height = 22;
    return ws;
  }
  ws.headerFooter.oddFooter =
    `&L&"${FONT},Italic"&8${esc(`Mẫu ${t.id} phiên bản ${t.version} · lần nộp ${identity.revision} · mã gói ${identity.packageId}`)}` +
    `&R&"${FONT},Italic"&8Trang &P/&N`;
  return ws;
}


function heading(
  ws: ExcelJS.Worksheet,
  widths: number[],
  title: string,
  t: Template,
  unit: Unit,
  period: Period,
  request?: RenderArgs['request'],
): void {
  const n = widths.length;
  sheetTitle(ws, HEAD, widths, title, `${tx(t.title)} — Kỳ báo cáo: ${periodLabel(period)}`);
  const unitLine = `Đơn vị báo cáo: ${unit.name} (mã đơn vị ${unit.code})`;
  merge(ws, HEAD.unit, 1, HEAD.unit, n, unitLine, { font: font({ size: 12 }), alignment: LEFT });
  // A return answering a request (issue 9): to whom, and which letter it carries out (the spacer row under it).
  merge(ws, HEAD.receiver, 1, HEAD.receiver, n, request ? request.addressee : `Đơn vị nhận báo cáo: ${tx(t.receivingBody)}`, {
    font: font({ size: 12 }),
    alignment: LEFT,
  });
  if (request) {
    const text = `Thực hiện: ${request.refLine} — ${request.summary}`;
    merge(ws, HEAD.receiver + 1, 1, HEAD.receiver + 1, n, text, { font: font({ size: 11, italic: true }), alignment: { ...LEFT, wrapText: true } });
    // A long summary wraps: the row grows to show it (about one character per width unit).
    const perLine = Math.max(20, widths.reduce((a, w) => a + w, 0));
    ws.getRow(HEAD.receiver + 1).height = Math.min(6, Math.ceil(text.length / perLine)) * 15;
  }
}

/** The value of an input cell as it is shown in Excel: numbers as numbers, options as their Vietnamese labels. */
function cellValue(spec: Spec, value: unknown): ExcelJS.CellValue {
  if (value === null || value === undefined || value === '') return null;
  const label = (v: string) => tx(spec.options?.find((o) => o.value === v)?.label) || v;
  switch (spec.type) {
    case 'boolean':
      return value === true ? 'Có' : value === false ? 'Không' : String(value);
    case 'enum':
      return typeof value === 'string' ? label(value) : String(value);
    case 'multi':
      return Array.isArray(value) ? value.map((v) => label(String(v))).join(MULTI_SEPARATOR) : String(value);
    case 'text':
    case 'longtext':
      return typeof value === 'string' ? value : String(value);
    case 'date':
      // A real Excel date (shown dd/mm/yyyy); anything that is not a date is shown as it is.
      return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`))
        ? new Date(`${value}T00:00:00Z`)
        : String(value);
    case 'file': {
      const ref = AttachmentRefSchema.safeParse(value);
      return ref.success ? fileCellText(ref.data) : typeof value === 'string' ? value : JSON.stringify(value);
    }
    default:
      // Numbers stay numbers; anything else (text typed where a number belongs) stays text, never a formula.
      return typeof value === 'number' ? value : typeof value === 'string' ? value : String(value);
  }
}

const VALIDATION_TITLE = 'Giá trị không hợp lệ';

const validations = new WeakMap<Spec, ExcelJS.DataValidation | undefined>();

function validationFor(spec: Spec, lists: ListSheet): ExcelJS.DataValidation | undefined {
  if (!validations.has(spec) || spec.type === 'enum' || spec.type === 'boolean')
    validations.set(spec, makeValidation(spec, lists));
  return validations.get(spec);
}

function makeValidation(spec: Spec, lists: ListSheet): ExcelJS.DataValidation | undefined {
  const base = { allowBlank: true, showErrorMessage: true, errorStyle: 'stop', errorTitle: VALIDATION_TITLE };
  const min = spec.min ?? 0;
  switch (spec.type) {
    case 'integer':
      if (spec.year)
        return {
          ...base,
          type: 'whole',
          operator: 'between',
          formulae: [min, 2100],
          error: `Hãy nhập năm (số nguyên) từ ${min} đến 2100, ví dụ 2015.`,
        };
      if (spec.signed) return undefined;
      return spec.minExclusive
        ? {
            ...base,
            type: 'whole',
            operator: 'greaterThan',
            formulae: [min],
            error: `Hãy nhập số nguyên lớn hơn ${min}, không có phần thập phân.`,
          }
        : {
            ...base,
            type: 'whole',
            operator: 'greaterThanOrEqual',
            formulae: [min],
            error: `Hãy nhập số nguyên từ ${min} trở lên, không có phần thập phân.`,
          };
    case 'decimal':
      return spec.minExclusive
        ? {
            ...base,
            type: 'decimal',
            operator: 'greaterThan',
            formulae: [min],
            error: `Hãy nhập số lớn hơn ${min}, tối đa ${spec.decimals ?? 2} chữ số thập phân.`,
          }
        : {
            ...base,
            type: 'decimal',
            operator: 'greaterThanOrEqual',
            formulae: [min],
            error: `Hãy nhập số từ ${min} trở lên, tối đa ${spec.decimals ?? 2} chữ số thập phân.`,
          };
    case 'enum':
      return {
        ...base,
        type: 'list',
        formulae: [lists.range((spec.options ?? []).map((o) => tx(o.label)))],
        error: 'Hãy chọn một giá trị trong danh sách.',
      };
    case 'boolean':
      return { ...base, type: 'list', formulae: [lists.range(['Có', 'Không'])], error: 'Hãy chọn "Có" hoặc "Không".' };
    case 'longtext': {
      const max = Math.min(spec.maxLength ?? LONGTEXT_MAX, EXCEL_CELL_MAX);
      return {
        ...base,
        type: 'textLength',
        operator: 'lessThanOrEqual',
        formulae: [max],
        error: `Nội dung dài quá ${formatNumber(max)} ký tự. Hãy viết ngắn lại.`,
      };
    }
    case 'date':
      return {
        ...base,
        type: 'date',
        operator: 'between',
        formulae: DATE_RANGE.map((d) => new Date(`${d}T00:00:00Z`)),
        errorTitle: 'Ngày không hợp lệ',
        error: `Hãy nhập một ngày dạng ngày/tháng/năm, từ ${formatDate(DATE_RANGE[0])} đến ${formatDate(DATE_RANGE[1])}, ví dụ 31/12/2026.`,
      };
    case 'money': {
      const dong = (spec.moneyUnit ?? 'dong') === 'dong';
      const d = spec.decimals ?? 3;
      return {
        ...base,
        type: dong ? 'whole' : 'decimal',
        operator: 'greaterThanOrEqual',
        formulae: [min],
        error: dong
          ? `Hãy nhập số tiền bằng đồng, là số nguyên từ ${formatNumber(min)} trở lên, ví dụ 1500000.`
          : `Hãy nhập số tiền bằng triệu đồng, từ ${formatNumber(min)} trở lên, tối đa ${d} chữ số thập phân, ví dụ 12,5.`,
      };
    }
    case 'text':
      return spec.maxLength
        ? {
            ...base,
            type: 'textLength',
            operator: 'lessThanOrEqual',
            formulae: [spec.maxLength],
            error: `Nội dung dài quá ${spec.maxLength} ký tự. Hãy viết ngắn lại.`,
          }
        : undefined;
    case 'multi':
      return {
        ...base,
        type: 'textLength',
        operator: 'lessThanOrEqual',
        formulae: [1000],
        error: 'Nội dung quá dài.',
        showInputMessage: true,
        promptTitle: 'Chọn một hoặc nhiều',
        prompt: `Ghi các lựa chọn, ngăn cách bằng dấu chấm phẩy (;): ${multiHint(spec)}`.slice(0, 255),
      };
    default:
      return undefined;
  }
}
const multiHint = (spec: Spec) => (spec.options ?? []).map((o) => tx(o.label)).join(MULTI_SEPARATOR);

function setInput(c: ExcelJS.Cell, spec: Spec, value: unknown, lists: ListSheet): void {
  c.value = cellValue(spec, value);
  const fmt = numFmt(spec);
  if (fmt) c.numFmt = fmt;
  c.protection = { locked: false };
  c.border = BORDER;
  const wrap = spec.type === 'text' || spec.type === 'multi' || spec.type === 'enum' || spec.type === 'file';
  c.alignment =
    spec.type === 'longtext'
      ? { horizontal: 'left', vertical: 'top', wrapText: true, indent: 1 }
      : wrap
        ? LEFT
        : spec.type === 'boolean' || spec.type === 'date'
          ? { vertical: 'middle', horizontal: 'center' }
          : RIGHT;
  c.font = font();
  if (spec.type === 'file') {
    // The attachment travels beside the workbook; its cell says which file it is and cannot be typed over.
    c.protection = { locked: true };
    c.fill = GREY;
    c.note = {
      texts: [{ text: 'Tệp đính kèm: chỉ chọn, thay hoặc bỏ được trong ứng dụng; tệp được gửi kèm theo gói báo cáo.' }],
    };
    return;
  }
  const dv = validationFor(spec, lists);
  if (dv) c.dataValidation = dv;
}

function setComputed(
  c: ExcelJS.Cell,
  spec: Pick<Column, 'type' | 'signed' | 'year' | 'options'>,
  formula: string,
  result: unknown,
  bold = false,
): void {
  let shown: unknown = result;
  if (typeof result === 'string') shown = tx(spec.options?.find((o) => o.value === result)?.label) || result;
  if (/^-?\d+(\.\d+)?$/.test(formula)) c.value = Number(formula);
  else
    c.value = {
      formula,
      result: shown === null || shown === undefined ? '' : (shown as number | string),
    } as ExcelJS.CellFormulaValue;
  const fmt = numFmt(spec);
  if (fmt && fmt !== '@') c.numFmt = fmt;
  c.fill = GREY;
  c.border = BORDER;
  c.font = font({ bold });
  c.alignment = spec.type === 'enum' ? LEFT : RIGHT;
}

type WriteInput = (pos: Pos, spec: Spec, value: unknown, key: string) => void;

function fieldsBlock(
  ws: ExcelJS.Worksheet,
  sp: SheetPlan,
  b: FieldsBlock,
  n: number,
  values: Values,
  view: Values,
  fctx: FormulaContext,
  writeInput: WriteInput,
): void {
  const head = { font: font({ bold: true }), alignment: CENTER, border: BORDER, fill: HEADER_FILL };
  if (b.rows.every((r) => r.valueRows)) merge(ws, b.headerRow, 1, b.headerRow, n, 'Nội dung', head);
  else {
    merge(ws, b.headerRow, 1, b.headerRow, b.labelTo, 'Chỉ tiêu', head);
    merge(ws, b.headerRow, b.valueFrom, b.headerRow, n, 'Số liệu', head);
  }
  const labelWidth = sp.widths.slice(0, b.labelTo).reduce((a, x) => a + x, 0);
  const valueWidth = sp.widths.slice(b.valueFrom - 1).reduce((a, x) => a + x, 0);
  const fullWidth = labelWidth + valueWidth;
  for (const { item, row, valueRows, rowHeight, na } of b.rows) {
    const label = specLabel(item) + (item.kind === 'field' && item.required && !na ? ' (*)' : '');
    const hint = tx(item.hint);
    const path = `${sp.section.key}.${item.key}`;
    if (valueRows) {
      // A long text: its label over the whole width, the answer under it over as many rows as it needs.
      merge(ws, row, 1, row, n, withHint(label, hint, true), { font: font({ bold: true }), alignment: LEFT, border: BORDER });
      ws.getRow(row).height = heightFor(lines(label, fullWidth, 11, true) + (hint ? lines(hint, fullWidth, 9) : 0));
      ws.mergeCells(row + 1, 1, row + valueRows, n);
      for (let r = row + 1; r <= row + valueRows; r++) {
        ws.getRow(r).height = rowHeight!;
        for (let c = 1; c <= n; c++) ws.getCell(r, c).border = BORDER;
      }
      writeInput({ sheet: sp.name, row: row + 1, col: 1 }, item as FieldItem, values[sp.section.key]?.[item.key], path);
      continue;
    }
    merge(ws, row, 1, row, b.labelTo, withHint(label, hint), { font: font(), alignment: LEFT, border: BORDER });
    if (b.valueFrom < n) ws.mergeCells(row, b.valueFrom, row, n);
    for (let c = b.valueFrom + 1; c <= n; c++) ws.getCell(row, c).border = BORDER;
    const pos = { sheet: sp.name, row, col: b.valueFrom };
    const shownValue = item.kind === 'field' && !na ? shownText(item, values[sp.section.key]?.[item.key]) : '';
    ws.getRow(row).height = heightFor(
      Math.max(lines(label, labelWidth) + (hint ? lines(hint, labelWidth, 9) : 0), lines(shownValue, valueWidth)),
    );
    if (na) notApplicableCell(ws.getCell(row, b.valueFrom), item, NOT_APPLICABLE);
    else if (item.kind === 'field') writeInput(pos, item as FieldItem, values[sp.section.key]?.[item.key], path);
    else {
      const bandLabel = (v: string) => optionLabel(fctx.template, path, undefined, v);
      setComputed(
        ws.getCell(row, b.valueFrom),
        item as ComputedItem,
        toFormula(item.expr, fctx, bandLabel),
        view[sp.section.key]?.[item.key],
      );
    }
  }
}

/** The text a value shows in its cell (for row heights). */
function shownText(spec: Spec, value: unknown): string {
  const v = cellValue(spec, value);
  if (v === null) return '';
  if (v instanceof Date) return formatDate(v.toISOString().slice(0, 10));
  if (typeof v === 'number') return spec.type === 'money' ? `${formatNumber(v, spec.decimals ?? 3)}` : String(v);
  return String(v);
}

/**
 * A cell that does not apply to the unit: greyed, locked, not an input. A number cell holds 0 (what
 * the formulas that read it count) shown as the text; any other cell holds the text.
 */
function notApplicableCell(c: ExcelJS.Cell, spec: Pick<Column, 'type'>, shown: string): void {
  const numeric = spec.type === 'integer' || spec.type === 'decimal' || spec.type === 'rate' || spec.type === 'money';
  c.value = numeric ? 0 : shown;
  if (numeric) c.numFmt = naFormat(shown);
  c.fill = GREY;
  c.border = BORDER;
  c.font = font({ italic: true, color: { argb: 'FF595959' } });
  c.alignment = { horizontal: 'center', vertical: 'middle', wrapText: true };
  c.protection = { locked: true };
}

function tableHeader(
  ws: ExcelJS.Worksheet,
  widths: number[],
  top: number,
  headerRows: number,
  codeRow: number,
  first: string,
  cols: { key: string; label: string }[],
  groups: { label: string; columns: string[] }[],
): void {
  const head = { font: font({ bold: true }), alignment: CENTER, border: BORDER, fill: HEADER_FILL };
  const bottom = top + headerRows - 1;
  merge(ws, top, 1, bottom, 1, first, head);
  let tallest = lines(first, widths[0]!, 11, true) / headerRows;
  let tallestGroup = 1;
  cols.forEach((c, i) => {
    const col = i + 2;
    const group = groups.find((g) => g.columns.includes(c.key));
    if (group && headerRows === 2) {
      if (group.columns[0] === c.key) {
        const span = group.columns.length;
        merge(ws, top, col, top, col + span - 1, group.label, head);
        const w = widths.slice(col - 1, col - 1 + span).reduce((a, x) => a + x, 0);
        tallestGroup = Math.max(tallestGroup, lines(group.label, w, 11, true));
      }
      merge(ws, bottom, col, bottom, col, c.label, head);
      tallest = Math.max(tallest, lines(c.label, widths[col - 1]!, 11, true));
    } else {
      merge(ws, top, col, bottom, col, c.label, head);
      tallest = Math.max(tallest, lines(c.label, widths[col - 1]!, 11, true) / headerRows);
    }
  });
  if (headerRows === 2) ws.getRow(top).height = heightFor(tallestGroup);
  ws.getRow(bottom).height = heightFor(Math.ceil(tallest));
  const code = { font: font({ italic: true, size: 9 }), alignment: CENTER, border: BORDER };
  merge(ws, codeRow, 1, codeRow, 1, 'A', code);
  cols.forEach((_, i) => merge(ws, codeRow, i + 2, codeRow, i + 2, String(i + 1), code));
  ws.getRow(codeRow).height = 14;
}

function tableBlock(
  ws: ExcelJS.Worksheet,
  sp: SheetPlan,
  b: TableBlock,
  values: Values,
  view: Values,
  fctx: FormulaContext,
  writeInput: WriteInput,
): void {
  const item = b.item;
  const base = `${sp.section.key}.${item.key}`;
  blockTitle(ws, b.titleRow, sp.widths.length, tx(item.label) + (b.na ? ` (${NOT_APPLICABLE.toLowerCase()} cho đơn vị này)` : ''));
  tableHeader(
    ws,
    sp.widths,
    b.headerTop,
    b.headerRows,
    b.codeRow,
    tx(item.rowHeader),
    b.columns.map((c) => ({ key: c.key, label: specLabel(c) })),
    (item.groups ?? []).map((g) => ({ label: tx(g.label), columns: g.columns })),
  );
  // A column's label sits in the header's bottom row under a group, else in its top row (merged down).
  hintNotes(ws, (c) => (item.groups?.some((g) => g.columns.includes(c.key)) ? b.codeRow - 1 : b.headerTop), b.columns);
  const src = (values[sp.section.key]?.[item.key] ?? {}) as Record<string, Record<string, unknown> | undefined>;
  const computed = (view[sp.section.key]?.[item.key] ?? {}) as Record<string, Record<string, unknown>>;
  const rowHead = sp.widths[0]!;
  for (const r of b.rows) {
    merge(ws, r.row, 1, r.row, 1, r.label, { font: font(), alignment: LEFT, border: BORDER });
    // As tall as its label or its longest text needs.
    const texts = b.na
      ? []
      : b.columns.map((c, i) => {
          const v = src[r.key]?.[c.key];
          if (c.expr || typeof v !== 'string') return 1;
          return (c.type === 'longtext' ? longLines : lines)(v, sp.widths[i + 1]!);
        });
    ws.getRow(r.row).height = heightFor(Math.max(lines(r.label, rowHead), ...texts));
    b.columns.forEach((c, i) => {
      const pos = { sheet: sp.name, row: r.row, col: i + 2 };
      if (b.na) notApplicableCell(ws.getCell(r.row, i + 2), c, '–');
      else if (!c.expr) writeInput(pos, c, src[r.key]?.[c.key], `${base}.${r.key}.${c.key}`);
      else {
        const col = (key: string) => addr(r.row, b.columns.findIndex((x) => x.key === key) + 2);
        setComputed(ws.getCell(r.row, i + 2), c, toFormula(c.expr, { ...fctx, col }), computed[r.key]?.[c.key]);
      }
    });
  }
  if (b.totalRow && item.totalRow) {
    const tr = b.totalRow;
    const first = b.rows[0]!.row;
    const last = b.rows[b.rows.length - 1]!.row;
    merge(ws, tr, 1, tr, 1, tx(item.totalRow.label), {
      font: font({ bold: true }),
      alignment: CENTER,
      border: BORDER,
      fill: GREY,
    });
    const totals = computed[item.totalRow.key] ?? {};
    b.columns.forEach((c, i) => {
      const cell = ws.getCell(tr, i + 2);
      const col = (key: string) => addr(tr, b.columns.findIndex((x) => x.key === key) + 2);
      if (b.na) notApplicableCell(cell, c, '–');
      else if (c.expr) setComputed(cell, c, toFormula(c.expr, { ...fctx, col }), totals[c.key], true);
      else if (c.type === 'integer' || c.type === 'decimal' || c.type === 'money')
        setComputed(cell, c, `SUM(${colLetter(i + 2)}${first}:${colLetter(i + 2)}${last})`, totals[c.key], true);
      else merge(ws, tr, i + 2, tr, i + 2, null, { border: BORDER, fill: GREY });
    });
  }
}

/** Help texts of table columns as notes on their header cells (with what else a column needs said). */
function hintNotes(
  ws: ExcelJS.Worksheet,
  row: (c: Column) => number,
  columns: Column[],
  more: (c: Column) => string = () => '',
): void {
  columns.forEach((c, i) => {
    const text = [tx(c.hint), more(c)].filter(Boolean).join('\n');
    if (text) ws.getCell(row(c), i + 2).note = { texts: [{ text }] };
  });
}

function repeatBlock(
  ws: ExcelJS.Worksheet,
  sp: SheetPlan,
  b: RepeatBlock,
  values: Values,
  writeInput: WriteInput,
): void {
  const item = b.item;
  const base = `${sp.section.key}.${item.key}`;
  blockTitle(ws, b.titleRow, sp.widths.length, tx(item.label) + (b.na ? ` (${NOT_APPLICABLE.toLowerCase()} cho đơn vị này)` : ''));
  const cols = item.columns.map((c) => ({ key: c.key, label: specLabel(c) }));
  tableHeader(ws, sp.widths, b.headerRow, 1, b.codeRow, 'STT', cols, []);
  hintNotes(ws, () => b.headerRow, item.columns, (c) =>
    c.type === 'multi'
      ? `Có thể chọn nhiều: ghi các lựa chọn, ngăn cách bằng dấu chấm phẩy (;). Các lựa chọn: ${multiHint(c)}.`
      : '',
  );
  const last = colLetter(item.columns.length + 1);
  if (b.na) {
    // One greyed row says it; the cells stay empty for the formulas that count the rows.
    merge(ws, b.firstRow, 1, b.firstRow, 1, null, { border: BORDER, fill: GREY });
    notApplicableCell(ws.getCell(b.firstRow, 2), { type: 'text' }, NOT_APPLICABLE);
    if (item.columns.length > 1) ws.mergeCells(b.firstRow, 2, b.firstRow, item.columns.length + 1);
    return;
  }
  const rows = (Array.isArray(values[sp.section.key]?.[item.key]) ? values[sp.section.key]![item.key] : []) as (Record<
    string,
    unknown
  > | null)[];
  for (let k = 0; k < b.slots; k++) {
    const r = b.firstRow + k;
    const row = rows[k] ?? {};
    const filled = item.columns.some((c) => cellValue(c, row?.[c.key]) !== null);
    const stt = ws.getCell(r, 1);
    // The STT shows on filled rows only, so COUNT over this column counts the rows (template `count`).
    stt.value = {
      formula: `IF(COUNTA(B${r}:${last}${r})=0,"",${k + 1})`,
      result: filled ? k + 1 : '',
    } as ExcelJS.CellFormulaValue;
    stt.font = font();
    stt.alignment = { horizontal: 'center', vertical: 'middle' };
    stt.border = BORDER;
    let tallest = 1;
    item.columns.forEach((c, i) => {
      writeInput({ sheet: sp.name, row: r, col: i + 2 }, c, row?.[c.key], `${base}.${k}.${c.key}`);
      const shown = cellValue(c, row?.[c.key]);
      if (typeof shown === 'string')
        tallest = Math.max(tallest, (c.type === 'longtext' ? longLines : lines)(shown, sp.widths[i + 1]!));
    });
    if (tallest > 1) ws.getRow(r).height = heightFor(tallest);
  }
}

function signature(
  ws: ExcelJS.Worksheet,
  widths: number[],
  top: number,
  unit: Unit,
  plan: WorkbookPlan,
  sheet: string,
  view: Values,
  signers: Template['signers'],
): void {
  const n = widths.length;
  const split = signatureSplit(widths);
  const place = unit.name.replace(new RegExp(`^${unit.type}\\s+`, 'iu'), '') || '…';
  signatureHeads(ws, top, split, n, place);
  const center = { horizontal: 'center', vertical: 'middle' } as const;
  const nameRow = top + 7;
  // The signers' names, from the fields the template names for them (a formula, so an edit shows).
  const name = (path: string | undefined, c1: number, c2: number) => {
    const cell = merge(ws, nameRow, c1, nameRow, c2, null, { font: font({ bold: true, size: 12 }), alignment: center });
    if (!path || !plan.cells.has(path) || !isApplicable(notApplicable(plan.template, unit), path)) return;
    const [s, k] = path.split('.') as [string, string];
    const v = view[s]?.[k];
    cell.value = {
      formula: `""&${refTo(plan, sheet, path)}`,
      result: typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v),
    } as ExcelJS.CellFormulaValue;
  };
  name(signers?.preparer, 1, split);
  name(signers?.head, split + 1, n);
}

async function explanationsSheet(
  wb: ExcelJS.Workbook,
  t: Template,
  ret: ReturnJson,
  unit: Unit,
  period: Period,
  inputs: InputRef[],
  identity: Record<string, string>,
  plan: WorkbookPlan,
  view: Values,
): Promise<void> {
  const widths = [6, 10, 28, 62, 52];
  const ws = addSheet(wb, SHEET_EXPLANATIONS, widths, true, identity, t);
  heading(ws, widths, 'GIẢI TRÌNH CÁC CẢNH BÁO', t, unit, period);
  let warnings: Issue[] = [];
  try {
    warnings = validate(t, ret.values, { period, unitType: unit.type, unit, asOf: ret.asOf }).warnings;
  } catch {
    warnings = []; // the messages are a courtesy; the explanations below are what travels
  }
  const explanations = ret.explanations ?? {};
  const ids = [
    ...new Set([...warnings.map((w) => w.id), ...Object.keys(explanations).filter((k) => explanations[k]?.trim())]),
  ];
  const top = HEAD.firstBlock;
  tableHeader(
    ws,
    widths,
    top,
    1,
    top + 1,
    'STT',
    [
      { key: 'section', label: 'Biểu' },
      { key: 'id', label: 'Mã kiểm tra' },
      { key: 'message', label: 'Nội dung cảnh báo' },
      { key: 'text', label: 'Giải trình của đơn vị' },
    ],
    [],
  );
  let row = top + 2;
  if (!ids.length) {
    merge(ws, row, 1, row, 5, 'Không có cảnh báo cần giải trình.', {
      font: font({ italic: true }),
      alignment: CENTER,
      border: BORDER,
    });
    row++;
  }
  ids.forEach((id, i) => {
    const w = warnings.find((x) => x.id === id);
    // The section: of the warning, else of the cell the id names (e.g. "change_from_previous:<section>.<field>"), else of the rule.
    const sectionKey =
      w?.section ??
      [id.split(':')[1], id].map((x) => x?.split('.')[0]).find((k) => t.sections.some((s) => s.key === k)) ??
      '';
    const code = t.sections.find((s) => s.key === sectionKey)?.code ?? '';
    const message = w?.message ?? fallbackMessage(t, id);
    const text = explanations[id] ?? '';
    const cells: ExcelJS.CellValue[] = [i + 1, code, id, message];
    cells.forEach((v, c) =>
      merge(ws, row, c + 1, row, c + 1, v, {
        font: font({ size: c === 2 ? 9 : 11 }),
        alignment: c < 2 ? CENTER : LEFT,
        border: BORDER,
      }),
    );
    const e = ws.getCell(row, 5);
    e.value = text || null; // plain text, never a formula
    e.numFmt = '@';
    e.protection = { locked: false };
    e.border = BORDER;
    e.font = font();
    e.alignment = LEFT;
    e.dataValidation = {
      type: 'textLength',
      operator: 'lessThanOrEqual',
      formulae: [2000],
      allowBlank: true,
      showErrorMessage: true,
      errorTitle: VALIDATION_TITLE,
      error: 'Giải trình dài quá 2.000 ký tự. Hãy viết ngắn lại.',
    };
    ws.getRow(row).height = heightFor(
      Math.max(lines(message, widths[3]!), lines(text, widths[4]!), lines(id, widths[2]! * 1.2)),
    );
    inputs.push({ kind: 'explanation', key: id, sheet: SHEET_EXPLANATIONS, address: addr(row, 5) });
    row++;
  });
  signature(ws, widths, row + 1, unit, plan, SHEET_EXPLANATIONS, view, t.signers);
  ws.pageSetup.printArea = `A1:E${row + 9}`;
  fitPage(ws, widths, row + 9, true);
  ws.pageSetup.printTitlesRow = `${top}:${top + 1}`;
  await ws.protect('', PROTECTION);
}

/** What a warning is about when it cannot be recomputed here (the change from the previous return needs that return). */
function fallbackMessage(t: Template, id: string): string {
  const [ruleId, detail] = id.split(':') as [string, string | undefined];
  const rule = t.rules.find((r) => r.id === ruleId);
  if (rule?.check === 'changeFromPrevious' && detail)
    return `${cellLabel(t, detail)}: thay đổi hơn ${Math.round(rule.threshold * 100)}% so với báo cáo kỳ trước.`;
  return '—';
}

/** The option lists of enum and yes/no cells, on a hidden sheet (labels may contain commas, so no inline lists). */
class ListSheet {
  private known = new Map<string, { labels: string[]; range: string }>();
  range(labels: string[]): string {
    const key = JSON.stringify(labels);
    let r = this.known.get(key);
    if (!r) {
      const col = colLetter(this.known.size + 1);
      r = { labels, range: `${quoteSheet(SHEET_LISTS)}!$${col}$1:$${col}$${Math.max(1, labels.length)}` };
      this.known.set(key, r);
    }
    return r.range;
  }
  /** Add the sheet after the visible ones. */
  async write(wb: ExcelJS.Workbook): Promise<void> {
    const ws = wb.addWorksheet(SHEET_LISTS, { state: 'hidden' });
    [...this.known.values()].forEach((l, c) =>
      l.labels.forEach((label, i) => (ws.getCell(i + 1, c + 1).value = label)),
    );
    await ws.protect('', PROTECTION);
  }
}

/**
 * The input cell map as JSON ({sheet: [[kind, key, address], …]}), cut into pieces that fit in a
 * cell (Excel keeps at most 32.767 characters per cell), one piece per row of column A.
 */
function cellMapChunks(inputs: InputRef[]): string[] {
  const bySheet: Record<string, [string, string, string][]> = {};
  for (const i of inputs) (bySheet[i.sheet] ??= []).push([i.kind, i.key, i.address]);
  const json = JSON.stringify(bySheet);
  const out: string[] = [];
  for (let i = 0; i < json.length; i += CELL_MAP_CHUNK) out.push(json.slice(i, i + CELL_MAP_CHUNK));
  return out;
}
export const CELL_MAP_CHUNK = 30000;

async function keyValueSheet(wb: ExcelJS.Workbook, name: string, rows: string[][]): Promise<void> {
  const ws = wb.addWorksheet(name, { state: 'veryHidden' });
  for (const r of rows) {
    const row = ws.addRow(r);
    row.eachCell((c) => (c.numFmt = '@'));
  }
  await ws.protect('', PROTECTION);
}
