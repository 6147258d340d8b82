/**
 * The city's Biểu tổng hợp of one period as a workbook (DOMAIN.md "The city's consolidation"):
 * - "Tổng hợp": completeness, then for each biểu the figures the template's consolidation
 *   declaration adds up (sums, matrices, distributions, rates computed from the sums);
 * - "Tình hình nộp": one row per expected unit with its state, timeliness and submission time;
 * - one sheet per biểu (split in parts when it is too wide to print) with ONE ROW PER UNIT and the
 *   totals last, as formulas (SUM over the unit rows, rates over the summed cells, COUNTIF for
 *   yes/no), with the engine's numbers as cached values.
 * - "Nội dung theo đơn vị": the narrative answers (texts aggregates) listed by unit, wrapped, printable.
 * The summary's cells are formulas over those sheets (COUNTIF/COUNTIFS for counts of units,
 * distributions and counts meeting a condition "N/M", MIN/MAX/AVERAGE(IFS) for statistics by unit
 * type, references to the totals), so the workbook stays consistent when recomputed.
 * Everything is laid out by walking the template and its `consolidation` declaration, as
 * shared/consolidate.ts does; labels come from the template. Same look as the commune package
 * (style.ts).
 */
import ExcelJS from 'exceljs';
import type {
  Column,
  Consolidation,
  ConsolidationRow,
  Expr,
  DeclaredAggregate,
  Figures,
  Item,
  Section,
  TableItem,
  Template,
  UnitState,
} from '../../shared/index.js';
import {
  aggregateKind,
  aggregateLabel,
  declaredAggregates,
  evaluate,
  findItem,
  formatDateTime,
  formatNumber,
  getPath,
  moneyUnitLabel,
  parsePeriod,
  periodLabel,
  returnedFiguresNote,
  returnedWithoutFigures,
  olderVersionsNote,
  versionedNote,
  bucketName,
  textAnswers,
  tx,
} from '../../shared/index.js';
import { quoteText, toFormula } from './formula.js';
import { orderedColumns, signatureSplit } from './layout.js';
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
  blockTitle,
  colLetter,
  escapeText,
  font,
  heightFor,
  lines,
  merge,
  numFmt,
  quoteSheet,
  sheetTitle,
  signatureHeads,
} from './style.js';

export interface ConsolidationWorkbookMeta {
  createdAt: string;
  appVersion: string;
  unitListVersion: string;
  /** Optional notes per unit code (e.g. the reason a return was sent back), shown on "Tình hình nộp". */
  reasons?: Record<string, string>;
  /**
   * The request the consolidation answers (issue 9): its line ("Yêu cầu YC-2026-0001 — Số 1234/UBND-NVKTGS: <title>")
   * heads every sheet under the title, and its consolidating department replaces the template's receiving body.
   */
  request?: { line: string; receivingBody?: string };
}

export const CONSOLIDATION_FORMAT = 'city-consolidation/1';
export const SHEET_SUMMARY = 'Tổng hợp';
/** The summary's tables too wide for its page (a table of many columns). */
export const SHEET_SUMMARY_WIDE = 'Tổng hợp (tiếp)';
export const SHEET_COMPLETENESS = 'Tình hình nộp';
export const SHEET_TEXTS = 'Nội dung theo đơn vị';
const NA = 'Không áp dụng';

export const STATE_LABELS: Record<UnitState, string> = {
  missing: 'Chưa nộp',
  received: 'Đã nhận',
  accepted: 'Đã tiếp nhận',
  returned: 'Trả lại để chỉnh sửa',
};
const ON_TIME = 'Đúng hạn';
const LATE = 'Quá hạn';
const YES = 'Có';
const NO = 'Không';
/** Data columns of one unit sheet at most; a biểu with more is split in parts (it must print readably on A4). */
const MAX_DATA_COLUMNS = 20;
/** A whole table is spread over the unit rows only when it takes at most this many columns. */
const MAX_TABLE_COLUMNS = 24;

// ---------------------------------------------------------------------------------------------
// Values and cells

type Num = number | null;
interface Cached {
  formula?: string;
  value: number | string | null;
}

const cap = (s: string) => s.charAt(0).toLocaleUpperCase('vi') + s.slice(1);
const lower = (s: string) => s.charAt(0).toLocaleLowerCase('vi') + s.slice(1);
const typeLabel = (type: string) => cap(type);
/** A COUNTIF criterion that matches exactly this text (no wildcards, no operators). */
const exactly = (label: string) => quoteText(`=${label.replace(/[~*?]/g, '~$&')}`);
const text = (s: string) => (s.includes('_') ? escapeText(s) : s);

function numberAt(f: Figures | null | undefined, path: string): Num {
  const v = f ? getPath(f, path) : undefined;
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}
/** numberAt with the path split once (it runs for every unit and column). */
function numberGetter(path: string): (f: Figures | null | undefined) => Num {
  const keys = path.split('.');
  return (f) => {
    let v: unknown = f;
    for (const k of keys) {
      if (!v || typeof v !== 'object') return null;
      v = (v as Record<string, unknown>)[k];
    }
    return typeof v === 'number' && Number.isFinite(v) ? v : null;
  };
}

/** Characters a number takes when shown with its format (1.234.567; 12,50; 97,85%). */
function shownLength(v: unknown, kind: ColKind): number {
  if (typeof v === 'string') return v.length;
  if (typeof v !== 'number') return 0;
  if (kind === 'rate') return 7;
  const digits = String(Math.trunc(Math.abs(v))).length;
  return digits + Math.floor((digits - 1) / 3) + (v < 0 ? 1 : 0) + (kind === 'decimal' ? 3 : 0);
}

// ---------------------------------------------------------------------------------------------
// The declaration, walked

/** An aggregate of the declaration (figure path, spec, the template path and item it reads). */
type Aggregate = DeclaredAggregate;

function aggregates(t: Template): Aggregate[] {
  return declaredAggregates(t);
}

const summable = (c: Column) => c.type === 'integer' || c.type === 'decimal' || c.type === 'money';
/** A header with the unit of its money ("Dự toán (triệu đồng)"). */
const withUnit = (label: string, item: { type?: string; moneyUnit?: string }) => {
  const unit = moneyUnitLabel(item);
  return unit ? `${label} (${unit})` : label;
};
function optionsOf(item: Item): { value: string; label: string }[] {
  const o = 'options' in item ? item.options : undefined;
  return (o ?? []).map((x) => ({ value: x.value, label: tx(x.label) }));
}

// ---------------------------------------------------------------------------------------------
// Unit sheets: columns

type ColKind = 'integer' | 'decimal' | 'rate' | 'text';

interface DataCol {
  heads: string[];
  kind: ColKind;
  /** The cell key of a table cell it holds (e.g. "<section>.<table>.total.<column>"), for formulas over a row. */
  cellKey?: string;
  /** The template expression of a computed column, evaluated over the same row. */
  expr?: Expr;
  /** Where this unit's value is in its figures (and the total in the Consolidation). */
  figure?: string;
  /** The value of a unit (for choices and yes/no). */
  value?: (row: ConsolidationRow) => number | string | null;
  /** The total at the bottom: SUM, a formula over the total row (rates), COUNTIF of "Có", or nothing. */
  total: 'sum' | 'expr' | 'yes' | 'none';
  /** Template paths whose per-unit value this column holds (for distributions and COUNTIF in the summary). */
  holds: string[];
  /** Option labels for a choice column (the summary counts them). */
  width?: number;
  /** The figure of the aggregate it comes from: null in a unit's figures means "does not apply to it". */
  agg?: string;
}

interface UnitSheet {
  name: string;
  title: string;
  section: Section | null;
  cols: DataCol[];
  depth: number;
  headerTop: number;
  codeRow: number;
  first: number;
  last: number;
  totalRow: number;
  /** Extra fixed columns after the unit's identity (the completeness sheet). */
  extra: FixedCol[];
}

interface FixedCol {
  head: string;
  width: number;
  value: (row: ConsolidationRow) => ExcelJS.CellValue;
  numFmt?: string;
  align?: Partial<ExcelJS.Alignment>;
}

const HEAD = { national: 1, title: 4, period: 5, body: 6, note: 7, top: 9 } as const;

/** The data columns an aggregate puts on the unit sheets ([] when it is shown on the summary only). */
function columnsOf(a: Aggregate, t: Template, aggs: Aggregate[]): DataCol[] {
  const { spec, item } = a;
  const label = tx(item.label);
  if ('sum' in spec) {
    if (item.kind === 'table') return tableColumns(a, item, spec);
    return [{ heads: [withUnit(label, item as { type?: string })], kind: kindOf(item), figure: a.figure, total: 'sum', holds: [a.source] }];
  }
  if ('countWhere' in spec)
    return [
      {
        heads: [aggregateLabel(t, a)],
        kind: 'text',
        value: (r) => (r.figures ? (numberAt(r.figures, `${a.figure}.count`) ? YES : NO) : null),
        figure: `${a.figure}.count`,
        total: 'yes',
        holds: [`where:${a.figure}`],
      },
    ];
  if ('stats' in spec) {
    // The value of each unit, unless a sum of the same item already shows it.
    if (aggs.some((x) => x.kind === 'sum' && x.source === a.source)) return [];
    return [{ heads: [withUnit(tx(item.label), item as { type?: string })], kind: kindOf(item), figure: `${a.figure}.min`, total: 'none', holds: [a.source] }];
  }
  if ('texts' in spec) return [];
  if ('countRows' in spec) {
    const row = item.kind === 'repeat' ? tx(item.rowLabel) : '';
    return [{ heads: [row ? `Số ${lower(row)}` : label], kind: 'integer', figure: a.figure, total: 'sum', holds: [] }];
  }
  if ('countTrue' in spec)
    return [
      {
        heads: [label],
        kind: 'text',
        value: (r) => (r.figures ? (numberAt(r.figures, a.figure) ? YES : NO) : null),
        figure: a.figure,
        total: 'yes',
        holds: [a.source],
      },
    ];
  if ('countBy' in spec) {
    const options = optionsOf(item);
    return [
      {
        heads: [label],
        kind: 'text',
        value: (r) => {
          const f = r.figures ? getPath(r.figures, spec.byUnitType ? `${a.figure}.${r.type}` : a.figure) : null;
          const hit = f && typeof f === 'object' ? Object.entries(f).find(([, n]) => n === 1)?.[0] : undefined;
          return hit === undefined ? null : (options.find((o) => o.value === hit)?.label ?? hit);
        },
        total: 'none',
        holds: [a.source],
        width: Math.min(34, Math.max(10, ...options.map((o) => o.label.length + 2))),
      },
    ];
  }
  if ('fromSums' in spec) {
    const parts = a.source.split('.');
    const table = item as TableItem;
    const col = table.columns.find((c) => c.key === parts[3])!;
    return [
      {
        heads: rowHeads(table, parts[2]!, col),
        kind: 'rate',
        cellKey: a.source,
        expr: col.expr,
        figure: a.figure,
        total: 'expr',
        holds: [],
      },
    ];
  }
  // distribution: counted over the column of the same value (added by the sum of it when declared)
  void t;
  return [];
}

function kindOf(item: Item | Column): ColKind {
  const type = (item as { type?: string }).type;
  if (type === 'money') return (item as { moneyUnit?: string }).moneyUnit === 'trieu_dong' ? 'decimal' : 'integer';
  return type === 'decimal' ? 'decimal' : type === 'rate' ? 'rate' : type === 'integer' ? 'integer' : 'text';
}

function rowLabelOf(table: TableItem, key: string): string {
  if (table.totalRow?.key === key) return tx(table.totalRow.label);
  return tx(table.rows.find((r) => r.key === key)?.label) || key;
}

/** Header labels of a column of one table row: table — row, the column group, the column. */
function rowHeads(table: TableItem, rowKey: string, col: Column): string[] {
  const group = table.groups?.find((g) => g.columns.includes(col.key));
  return [`${tx(table.label)} — ${rowLabelOf(table, rowKey)}`, ...(group && group.columns.length > 1 ? [tx(group.label)] : []), withUnit(tx(col.label), col)];
}

function declaredColumns(table: TableItem, spec: { columns?: string[] }): Column[] {
  const keys = spec.columns ?? table.columns.filter(summable).map((c) => c.key);
  return orderedColumns(table).filter((c) => keys.includes(c.key));
}

function tableColumns(a: Aggregate, table: TableItem, spec: { columns?: string[]; totalRow?: boolean }): DataCol[] {
  const parts = a.source.split('.');
  const cols = declaredColumns(table, spec);
  const dataCol = (rowKey: string, c: Column, figure: string, heads: string[]): DataCol => ({
    heads,
    kind: kindOf(c),
    cellKey: `${parts[0]}.${parts[1]}.${rowKey}.${c.key}`,
    expr: c.expr,
    figure,
    total: 'sum',
    holds: [],
  });
  if (parts.length === 4) {
    const c = table.columns.find((x) => x.key === parts[3])!;
    return [dataCol(parts[2]!, c, a.figure, [tx(table.label), rowLabelOf(table, parts[2]!), withUnit(tx(c.label), c)])];
  }
  if (parts.length === 3) return cols.map((c) => dataCol(parts[2]!, c, `${a.figure}.${c.key}`, rowHeads(table, parts[2]!, c)));
  // A whole table: its rows side by side (the total row is their sum, shown on the summary).
  if (table.rows.length * cols.length > MAX_TABLE_COLUMNS) return [];
  return table.rows.flatMap((r) =>
    cols.map((c) => {
      const group = table.groups?.find((g) => g.columns.includes(c.key));
      const heads = [tx(table.label), tx(r.label), ...(group && group.columns.length > 1 ? [tx(group.label)] : []), withUnit(tx(c.label), c)];
      return dataCol(r.key, c, `${a.figure}.${r.key}.${c.key}`, heads);
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// The workbook

interface Ctx {
  t: Template;
  c: Consolidation;
  meta: ConsolidationWorkbookMeta;
  periodText: string;
  footer: string;
  place: string;
  types: string[];
  sheets: UnitSheet[];
  completeness: UnitSheet;
  /** The range of answers of each texts aggregate on the "Nội dung theo đơn vị" sheet, by figure. */
  texts: Map<string, string>;
}

export async function writeConsolidationWorkbook(
  template: Template,
  consolidation: Consolidation,
  meta: ConsolidationWorkbookMeta,
): Promise<Buffer> {
  const t = template;
  const c = consolidation;
  const period = parsePeriod(c.period);
  const periodText = period ? periodLabel(period) : c.period;
  const esc = (s: string) => s.replace(/&/g, '&&');
  const ctx: Ctx = {
    t,
    c,
    meta,
    periodText,
    footer: `&L&"${FONT},Italic"&8${esc(`Biểu tổng hợp ${t.id} phiên bản ${t.version} · Kỳ báo cáo: ${periodText} · danh sách đơn vị ${meta.unitListVersion}`)}&R&"${FONT},Italic"&8Trang &P/&N`,
    // "UBND thành phố Hải Phòng (qua Sở Nội vụ)" signs at "Hải Phòng": the place, not the channel.
    place: tx(t.receivingBody).replace(/^(ủy ban nhân dân|ubnd)\s+(thành phố|tỉnh)\s+/iu, '').replace(/\s*\([^)]*\)\s*$/u, '') || '…',
    types: Object.keys(c.units.completeness_by_type),
    sheets: [],
    completeness: null as unknown as UnitSheet,
    texts: new Map(),
  };
  const n = c.rows.length;

  // 1. Plan: the completeness sheet and the unit sheets of every biểu, so that the summary can point at them.
  const layout = (name: string, title: string, section: Section | null, cols: DataCol[], extra: FixedCol[]): UnitSheet => {
    const depth = Math.max(1, ...cols.map((x) => x.heads.length));
    const headerTop = HEAD.top;
    const codeRow = headerTop + depth;
    return { name, title, section, cols, depth, headerTop, codeRow, first: codeRow + 1, last: codeRow + n, totalRow: codeRow + n + 1, extra };
  };
  ctx.completeness = layout(SHEET_COMPLETENESS, 'TÌNH HÌNH NỘP BÁO CÁO CỦA CÁC ĐƠN VỊ', null, [], [
    { head: 'Thời hạn nộp', width: 11, value: (r) => (r.late === null ? null : r.late ? LATE : ON_TIME), align: CENTER },
    {
      head: 'Thời điểm nộp',
      width: 17,
      // Shown in Vietnam's time (UTC+7): Excel dates have no time zone.
      value: (r) => (r.submittedAt && !Number.isNaN(Date.parse(r.submittedAt)) ? new Date(Date.parse(r.submittedAt) + 7 * 3600_000) : null),
      numFmt: `${VI}dd/mm/yyyy hh:mm`,
      align: CENTER,
    },
    { head: 'Ghi chú', width: 36, value: (r) => (meta.reasons?.[r.code] ? text(meta.reasons[r.code]!) : null), numFmt: '@', align: LEFT },
  ]);
  const aggs = aggregates(t);
  for (const section of t.sections) {
    const mine = aggs.filter((a) => a.section.key === section.key);
    const parts: DataCol[][] = [[]];
    const byHolds = new Map<string, DataCol>();
    for (const a of mine) {
      let cols = columnsOf(a, t, mine);
      for (const col of cols) col.agg ??= a.figure;
      // A distribution counts units over the column that holds the same value; make one when no sum made it.
      if ('distribution' in a.spec && !byHolds.has(a.source) && a.spec.buckets.every((b) => !b.startsWith('>'))) {
        const spec = a.spec;
        cols = [
          {
            heads: [tx(a.item.label)],
            kind: 'integer',
            value: (r) => {
              const hit = spec.buckets.find((b) => numberAt(r.figures, `${a.figure}.${b}`) === 1);
              return hit === undefined ? null : Number(hit);
            },
            total: 'none',
            holds: [a.source],
          },
        ];
      }
      for (const col of cols) for (const h of col.holds) if (!byHolds.has(h)) byHolds.set(h, col);
      if (!cols.length) continue;
      const current = parts[parts.length - 1]!;
      if (current.length && current.length + cols.length > MAX_DATA_COLUMNS) parts.push([...cols]);
      else current.push(...cols);
    }
    const title = `${section.code.toUpperCase()}. ${tx(section.title).toUpperCase()}`;
    parts.forEach((cols, i) => {
      if (!cols.length) return;
      const name = (parts.length > 1 ? `${section.code} (${i + 1})` : section.code).replace(/[\\/?*[\]:]/g, ' ').slice(0, 31);
      ctx.sheets.push(layout(name, parts.length > 1 ? `${title} (PHẦN ${i + 1})` : title, section, cols, []));
    });
  }

  // 2. Write.
  const wb = new ExcelJS.Workbook();
  wb.creator = 'commune-returns';
  wb.title = `Biểu tổng hợp ${tx(t.title)} — ${periodText}${meta.request ? ` — ${meta.request.line}` : ''}`;
  wb.created = new Date(meta.createdAt);
  wb.calcProperties = { fullCalcOnLoad: true };
  const summary = addSheet(wb, SHEET_SUMMARY, ctx);
  const summaryWide = addSheet(wb, SHEET_SUMMARY_WIDE, ctx);
  writeUnitSheet(wb, ctx, ctx.completeness);
  for (const s of ctx.sheets) writeUnitSheet(wb, ctx, s);
  writeTextsSheet(wb, ctx, aggs);
  writeSummary(summary, summaryWide, ctx, aggs);
  const id = wb.addWorksheet('_identity', { state: 'veryHidden' });
  for (const [k, v] of Object.entries({
    format: CONSOLIDATION_FORMAT,
    template: t.id,
    templateVersion: String(t.version),
    period: c.period,
    createdAt: meta.createdAt,
    appVersion: meta.appVersion,
    unitListVersion: meta.unitListVersion,
  }))
    id.addRow([k, text(v)]);
  const options = { zip: { compression: 'DEFLATE', compressionOptions: { level: 1 } } } as unknown as Partial<ExcelJS.XlsxWriteOptions>;
  return Buffer.from(await wb.xlsx.writeBuffer(options));
}

function addSheet(wb: ExcelJS.Workbook, name: string, ctx: Ctx, frozen?: { x: number; y: number }): ExcelJS.Worksheet {
  const ws = wb.addWorksheet(name, {
    views: [frozen ? { state: 'frozen', xSplit: frozen.x, ySplit: frozen.y, showGridLines: false } : { showGridLines: false }],
    pageSetup: {
      paperSize: 9,
      orientation: 'landscape',
      fitToPage: true,
      fitToWidth: 1,
      fitToHeight: 0,
      horizontalCentered: true,
      margins: MARGINS,
    },
  });
  ws.headerFooter.oddFooter = ctx.footer;
  return ws;
}

/** Title lines under the national heading, over columns 1..n. */
function titleLines(ws: ExcelJS.Worksheet, ctx: Ctx, n: number, widths: number[], title: string): void {
  const rows = { national: HEAD.national, title: HEAD.title, report: HEAD.period };
  const request = ctx.meta.request;
  sheetTitle(ws, rows, widths, title, request ? `${request.line} — Kỳ báo cáo: ${ctx.periodText}` : `${tx(ctx.t.title)} — Kỳ báo cáo: ${ctx.periodText}`);
  if (request) ws.getRow(HEAD.period).height = heightFor(lines(`${request.line} — Kỳ báo cáo: ${ctx.periodText}`, widths.reduce((a, b) => a + b, 0), 12), 12);
  merge(ws, HEAD.body, 1, HEAD.body, n, `Đơn vị tổng hợp: ${request?.receivingBody ?? tx(ctx.t.receivingBody)}`, { font: font({ size: 12 }), alignment: CENTER });
  merge(
    ws,
    HEAD.note,
    1,
    HEAD.note,
    n,
    `Lập lúc ${formatDateTime(ctx.meta.createdAt)} · Mẫu ${ctx.t.id} phiên bản ${ctx.t.version} · Danh sách đơn vị: ${text(ctx.meta.unitListVersion)} (${ctx.c.units.expected} đơn vị)`,
    { font: font({ italic: true, size: 10 }), alignment: CENTER },
  );
}

function signatureBlock(ws: ExcelJS.Worksheet, ctx: Ctx, widths: number[], top: number): number {
  const split = signatureSplit(widths);
  signatureHeads(ws, top, split, widths.length, ctx.place);
  return top + 8;
}

// ---------------------------------------------------------------------------------------------
// A unit sheet: one row per expected unit, totals last

const ID_HEADS = ['STT', 'Mã đơn vị', 'Tên đơn vị', 'Loại', 'Tình trạng'];
const ID_COLS = ID_HEADS.length;

function colOf(s: UnitSheet, col: DataCol): number {
  return ID_COLS + s.extra.length + s.cols.indexOf(col) + 1;
}
function rangeOf(s: UnitSheet, col: number): string {
  return `${quoteSheet(s.name)}!$${colLetter(col)}$${s.first}:$${colLetter(col)}$${s.last}`;
}
function totalRef(s: UnitSheet, col: DataCol): string {
  return `${quoteSheet(s.name)}!${colLetter(colOf(s, col))}${s.totalRow}`;
}

/** A unit's value for a data column (what the engine gives, or the column's own reading of it). */
function unitValues(col: DataCol, rows: ConsolidationRow[]): (number | string | null)[] {
  // A unit the item does not apply to (appliesTo): "Không áp dụng", left out of every count and sum.
  const na = (r: ConsolidationRow) => !!col.agg && getPath(r.figures, col.agg) === null && col.kind !== 'rate';
  if (col.value) return rows.map((r) => (r.figures ? (na(r) ? NA : col.value!(r)) : null));
  if (!col.figure) return rows.map(() => null);
  const get = numberGetter(col.figure);
  return rows.map((r) => (r.figures ? (na(r) ? NA : get(r.figures)) : null));
}
function totalValue(col: DataCol, ctx: Ctx): number | null {
  return col.figure ? numberAt(ctx.c as unknown as Figures, col.figure) : null;
}

/** The formula of a computed column over one sheet row, or undefined when a column it needs is not on the sheet. */
function rowFormula(s: UnitSheet, col: DataCol, row: number | string, ctx: Ctx): string | undefined {
  if (!col.expr || !col.cellKey) return undefined;
  const prefix = col.cellKey.split('.').slice(0, 3).join('.');
  const byKey = new Map(s.cols.filter((x) => x.cellKey?.startsWith(`${prefix}.`)).map((x) => [x.cellKey!.slice(prefix.length + 1), x]));
  try {
    return toFormula(col.expr, {
      template: ctx.t,
      periodYear: 0,
      col: (key) => {
        const x = byKey.get(key);
        if (!x) throw new Error(`no column ${key}`);
        return `${colLetter(colOf(s, x))}${row}`;
      },
      ref: () => {
        throw new Error('no references');
      },
      repeatColumn: () => {
        throw new Error('no repeat');
      },
      repeatRows: () => {
        throw new Error('no repeat');
      },
    });
  } catch {
    return undefined;
  }
}

function writeUnitSheet(wb: ExcelJS.Workbook, ctx: Ctx, s: UnitSheet): void {
  const rows = ctx.c.rows;
  const values = s.cols.map((col) => unitValues(col, rows));
  const nameWidth = Math.min(34, Math.max(16, ...rows.map((r) => r.name.length + 2)));
  const dataWidths = s.cols.map((col) => {
    if (col.width) return col.width;
    let w = shownLength(totalValue(col, ctx), col.kind);
    for (const v of values[s.cols.indexOf(col)]!) w = Math.max(w, shownLength(v, col.kind));
    const word = Math.max(...col.heads[col.heads.length - 1]!.split(/\s+/).map((x) => x.length));
    return Math.max(8, Math.min(16, Math.max(w + 3, word + 2)));
  });
  const widths = [5, 9, nameWidth, 9, 20, ...s.extra.map((x) => x.width), ...dataWidths];
  const n = widths.length;
  const ws = addSheet(wb, s.name, ctx, { x: 3, y: s.codeRow });
  ws.columns = widths.map((w) => ({ width: w }));
  titleLines(ws, ctx, n, widths, s.title);

  // Header: the id columns down the whole depth, the data columns as a tree of merged group headers.
  const head = { font: font({ bold: true, size: 10 }), alignment: CENTER, border: BORDER, fill: HEADER_FILL };
  const bottom = s.headerTop + s.depth - 1;
  const need = Array.from({ length: s.depth }, () => 1);
  const fixed = [...ID_HEADS, ...s.extra.map((x) => x.head)];
  fixed.forEach((h, i) => {
    merge(ws, s.headerTop, i + 1, bottom, i + 1, h, head);
    need[s.depth - 1] = Math.max(need[s.depth - 1]!, lines(h, widths[i]!, 10, true) - (s.depth - 1));
  });
  const base = fixed.length;
  for (let level = 0; level < s.depth; level++) {
    for (let i = 0; i < s.cols.length; ) {
      const col = s.cols[i]!;
      const last = col.heads.length - 1;
      if (level > last) {
        i++;
        continue;
      }
      let j = i;
      if (level < last) {
        const key = JSON.stringify(col.heads.slice(0, level + 1));
        while (j + 1 < s.cols.length && s.cols[j + 1]!.heads.length - 1 > level && JSON.stringify(s.cols[j + 1]!.heads.slice(0, level + 1)) === key) j++;
      }
      const r2 = level === last ? bottom : s.headerTop + level;
      merge(ws, s.headerTop + level, base + i + 1, r2, base + j + 1, col.heads[level]!, head);
      const w = widths.slice(base + i, base + j + 1).reduce((a, x) => a + x, 0);
      const span = r2 - (s.headerTop + level) + 1;
      need[level] = Math.max(need[level]!, Math.ceil(lines(col.heads[level]!, w, 10, true) / span));
      i = j + 1;
    }
  }
  need.forEach((k, l) => (ws.getRow(s.headerTop + l).height = heightFor(k, 10)));
  const code = { font: font({ italic: true, size: 9 }), alignment: CENTER, border: BORDER };
  for (let i = 1; i <= n; i++) merge(ws, s.codeRow, i, s.codeRow, i, i <= base ? String.fromCharCode(64 + i) : String(i - base), code);
  ws.getRow(s.codeRow).height = 14;

  // Unit rows. One style object per column: ExcelJS writes shared style objects once.
  const st = (o: Partial<ExcelJS.Style>): Partial<ExcelJS.Style> => ({ font: font({ size: 11 }), border: BORDER, ...o });
  const idStyles = [
    st({ alignment: { horizontal: 'center', vertical: 'middle' } }),
    st({ alignment: { horizontal: 'center', vertical: 'middle' }, numFmt: '@' }),
    st({ alignment: { horizontal: 'left', vertical: 'middle', indent: 1 }, numFmt: '@' }),
    st({ alignment: { horizontal: 'left', vertical: 'middle', indent: 1 }, numFmt: '@' }),
    st({ alignment: { horizontal: 'left', vertical: 'middle', indent: 1 }, numFmt: '@' }),
  ];
  const missingStyle = st({ alignment: { horizontal: 'left', vertical: 'middle', indent: 1 }, numFmt: '@', font: font({ italic: true, color: { argb: 'FFC00000' } }) });
  const extraStyles = s.extra.map((x) => st({ alignment: x.align ?? LEFT, ...(x.numFmt ? { numFmt: x.numFmt } : {}) }));
  const fmtOf = (col: DataCol) => (col.kind === 'text' ? '@' : numFmt({ type: col.kind }));
  const dataStyles = s.cols.map((col) =>
    st({ alignment: col.kind === 'text' ? { horizontal: 'left', vertical: 'middle', indent: 1 } : RIGHT, numFmt: fmtOf(col) }),
  );
  const computedStyles = s.cols.map((col) => ({ ...dataStyles[s.cols.indexOf(col)]!, fill: GREY }));
  // A computed column's formula is the same on every row but the row number: made once, split at the row.
  const formulas = s.cols.map((col) => {
    const f = col.expr ? rowFormula(s, col, '\u0000', ctx) : undefined;
    if (!f) return undefined;
    const pieces = f.split('\u0000');
    return (r: number) => pieces.join(String(r));
  });
  rows.forEach((u, k) => {
    const r = s.first + k;
    const row = ws.getRow(r);
    const ids: ExcelJS.CellValue[] = [k + 1, text(u.code), text(u.name), typeLabel(u.type), STATE_LABELS[u.state]];
    ids.forEach((v, i) => {
      const cell = row.getCell(i + 1);
      cell.value = v;
      cell.style = i === 4 && u.state === 'missing' ? missingStyle : idStyles[i]!;
    });
    s.extra.forEach((x, i) => {
      const cell = row.getCell(ID_COLS + i + 1);
      cell.value = x.value(u);
      cell.style = extraStyles[i]!;
    });
    s.cols.forEach((col, i) => {
      const cell = row.getCell(base + i + 1);
      const v = values[i]![k]!;
      const f = u.figures ? formulas[i]?.(r) : undefined;
      if (f) {
        cell.value = { formula: f, result: v ?? '' } as ExcelJS.CellFormulaValue;
        cell.style = computedStyles[i]!;
      } else {
        cell.value = typeof v === 'string' ? text(v) : v;
        cell.style = dataStyles[i]!;
      }
    });
  });

  // Totals last: formulas over the unit rows, cached with the engine's totals.
  const tr = s.totalRow;
  const totalFill = { font: font({ bold: true }), border: BORDER, fill: GREY };
  merge(ws, tr, 1, tr, base, s.cols.length ? 'Tổng cộng' : `Tổng cộng: ${rows.length} đơn vị`, { ...totalFill, alignment: CENTER });
  s.cols.forEach((col, i) => {
    const c = base + i + 1;
    const cell = ws.getCell(tr, c);
    const range = `${colLetter(c)}${s.first}:${colLetter(c)}${s.last}`;
    let v: Cached = { value: null };
    if (col.total === 'sum') v = { formula: `SUM(${range})`, value: totalValue(col, ctx) ?? 0 };
    else if (col.total === 'yes') v = { formula: `COUNTIF(${range},${exactly(YES)})`, value: totalValue(col, ctx) ?? 0 };
    else if (col.total === 'expr') {
      const f = rowFormula(s, col, tr, ctx);
      v = f ? { formula: f, value: totalValue(col, ctx) } : { value: totalValue(col, ctx) };
    }
    cell.value = v.formula ? ({ formula: v.formula, result: v.value ?? '' } as ExcelJS.CellFormulaValue) : v.value;
    cell.style = { ...totalFill, alignment: col.kind === 'text' ? CENTER : RIGHT, ...(col.kind === 'text' ? {} : { numFmt: fmtOf(col) }) };
  });
  const last = signatureBlock(ws, ctx, widths, tr + 2);
  ws.pageSetup.printTitlesRow = `${s.headerTop}:${s.codeRow}`;
  ws.pageSetup.printArea = `A1:${colLetter(n)}${last}`;
}

// ---------------------------------------------------------------------------------------------
// The summary sheet

interface SCell extends Cached {
  kind: ColKind;
  bold?: boolean;
}
interface Matrix {
  title: string;
  rowHeader: string;
  columns: { label: string; group?: string }[];
  rows: { label: string; cells: SCell[]; total?: boolean }[];
}

function writeSummary(ws: ExcelJS.Worksheet, wideSheet: ExcelJS.Worksheet | undefined, ctx: Ctx, aggs: Aggregate[]): void {
  const { c } = ctx;
  const blocks: SummaryBlock[] = [];
  const roman = ['I', 'II', 'III', 'IV', 'V', 'VI', 'VII', 'VIII', 'IX', 'X', 'XI', 'XII'];
  let part = 0;
  let sub = 0;
  const partTitle = (s: string) => {
    blocks.push({ part: `${roman[part++] ?? part}. ${s.toUpperCase()}` });
    sub = 0;
  };
  const titled = (m: Matrix) => blocks.push({ matrix: { ...m, title: `${++sub}. ${m.title}` } });

  // I. Completeness, over the "Tình hình nộp" sheet.
  partTitle('Tình hình nộp báo cáo');
  const cs = ctx.completeness;
  const typeR = rangeOf(cs, 4);
  const stateR = rangeOf(cs, 5);
  const timeR = rangeOf(cs, ID_COLS + 1);
  const keys = ['expected', 'submitted', 'on_time', 'late', 'missing', 'accepted', 'returned'] as const;
  const heads = ['Số đơn vị phải báo cáo', 'Đã nộp', 'Nộp đúng hạn', 'Nộp quá hạn', 'Chưa nộp', 'Đã tiếp nhận', 'Trả lại để chỉnh sửa'];
  const crit = (type: string, k: (typeof keys)[number]): string => {
    const ty = `${typeR},${exactly(typeLabel(type))}`;
    switch (k) {
      case 'expected':
        return `COUNTIFS(${ty})`;
      case 'submitted':
        return `COUNTIFS(${ty})-COUNTIFS(${ty},${stateR},${exactly(STATE_LABELS.missing)})`;
      case 'on_time':
        return `COUNTIFS(${ty},${timeR},${exactly(ON_TIME)})`;
      case 'late':
        return `COUNTIFS(${ty},${timeR},${exactly(LATE)})`;
      case 'missing':
        return `COUNTIFS(${ty},${stateR},${exactly(STATE_LABELS.missing)})`;
      case 'accepted':
        return `COUNTIFS(${ty},${stateR},${exactly(STATE_LABELS.accepted)})`;
      case 'returned':
        return `COUNTIFS(${ty},${stateR},${exactly(STATE_LABELS.returned)})`;
    }
  };
  titled({
    title: 'Số đơn vị theo tình hình nộp báo cáo',
    rowHeader: 'Loại đơn vị',
    columns: heads.map((label) => ({ label })),
    rows: [
      ...ctx.types.map((type) => ({
        label: typeLabel(type),
        cells: keys.map((k) => ({ kind: 'integer' as const, formula: crit(type, k), value: c.units.completeness_by_type[type]![k] })),
      })),
      { label: 'Tổng cộng', total: true, cells: keys.map((k) => ({ kind: 'integer' as const, value: c.units[k], formula: 'SUM' })) },
    ],
  });
  if (c.unlisted.length)
    blocks.push({
      note: `Báo cáo của đơn vị không có trong danh sách (không tính vào số liệu): ${c.unlisted.map(text).join(', ')}.`,
    });
  // Issue 7 item 9: a returned report is submitted; its figures are not added (shared/unit-state.ts).
  const withoutFigures = returnedWithoutFigures(c);
  if (withoutFigures.length) blocks.push({ note: returnedFiguresNote(withoutFigures.map((r) => text(r.name))) });
  // Versions mixed in the period: the units on an older version are named (shared/consolidate.ts).
  const older = olderVersionsNote(c);
  if (older) blocks.push({ note: text(older) });

  // Then each biểu: what the declaration adds up for it, in the declaration's order.
  for (const section of ctx.t.sections) {
    const mine = aggs.filter((a) => a.section.key === section.key);
    if (!mine.length) continue;
    partTitle(`${section.code}. ${tx(section.title)}`);
    const done = new Set<Aggregate>();
    let list: Matrix | null = null;
    const flush = () => {
      if (list) titled(list);
      list = null;
    };
    for (const a of mine) {
      if (done.has(a)) continue;
      done.add(a);
      const single = scalarCell(a, ctx);
      if (single) {
        list ??= { title: 'Các chỉ tiêu tổng hợp', rowHeader: 'Chỉ tiêu', columns: [{ label: 'Số liệu' }], rows: [] };
        list.rows.push({ label: single.label, cells: [single.cell] });
        continue;
      }
      flush();
      const m = aggregateMatrix(a, mine, done, ctx);
      if (m) titled(versioned(a, ctx) ? { ...m, title: `${m.title} (${versioned(a, ctx)})` } : m);
    }
    flush();
  }

  // Tables wider than WIDE_TABLE columns (a table of many columns per row) go to a sheet of their
  // own, so that the summary prints at a readable size instead of shrinking to the widest table.
  const narrow: SummaryBlock[] = [];
  const wide: SummaryBlock[] = [];
  let currentPart: SummaryBlock | undefined;
  let partShownWide = false;
  for (const b of blocks) {
    if (b.part) {
      currentPart = b;
      partShownWide = false;
      narrow.push(b);
    } else if (b.matrix && b.matrix.columns.length > WIDE_TABLE) {
      if (currentPart && !partShownWide) wide.push(currentPart);
      partShownWide = true;
      wide.push(b);
    } else narrow.push(b);
  }
  // A part whose every table moved has nothing left on the summary.
  const kept = narrow.filter((b, k) => !b.part || (narrow[k + 1] && !narrow[k + 1]!.part));
  const title = `BIỂU TỔNG HỢP ${tx(ctx.t.title).toUpperCase()}`;
  layoutSummary(ws, ctx, kept, title);
  if (wide.length) layoutSummary(wideSheet!, ctx, wide, `${title} (TIẾP THEO)`);
  else if (wideSheet) ws.workbook.removeWorksheet(wideSheet.id);
}

type SummaryBlock = { part?: string; matrix?: Matrix; note?: string };
/** A summary table with more number columns than this goes to the summary's second sheet. */
const WIDE_TABLE = 8;

/** Lay blocks out on a summary sheet: column A for labels, then as many number columns as its widest table. */
function layoutSummary(ws: ExcelJS.Worksheet, ctx: Ctx, blocks: SummaryBlock[], title: string): void {
  const ncols = 1 + Math.max(...blocks.map((b) => b.matrix?.columns.length ?? 0));
  const widths = [40, ...Array.from({ length: ncols - 1 }, (_, i) => {
    let w = 10;
    for (const b of blocks)
      for (const r of b.matrix?.rows ?? []) {
        const cell = r.cells[i];
        if (cell) w = Math.max(w, shownLength(cell.value, cell.kind) + 3);
      }
    return Math.min(16, w);
  })];
  ws.columns = widths.map((w) => ({ width: w }));
  const total = widths.reduce((a, b) => a + b, 0);
  titleLines(ws, ctx, ncols, widths, title);
  let row = HEAD.top;
  const head = { font: font({ bold: true }), alignment: CENTER, border: BORDER, fill: HEADER_FILL };
  for (const b of blocks) {
    if (b.part) {
      row++;
      blockTitle(ws, row, ncols, b.part);
      ws.getRow(row).height = 20;
      row++;
      continue;
    }
    if (b.note) {
      merge(ws, row, 1, row, ncols, b.note, { font: font({ italic: true }), alignment: LEFT });
      ws.getRow(row).height = heightFor(lines(b.note, total));
      row++;
      continue;
    }
    const m = b.matrix!;
    merge(ws, row, 1, row, ncols, m.title, { font: font({ bold: true, italic: true }), alignment: { vertical: 'middle', wrapText: true } });
    ws.getRow(row).height = heightFor(lines(m.title, total, 11, true));
    row++;
    const grouped = m.columns.some((x) => x.group);
    const top = row;
    const bottom = row + (grouped ? 1 : 0);
    merge(ws, top, 1, bottom, 1, m.rowHeader, head);
    let tallTop = 1;
    let tall = 1;
    for (let i = 0; i < m.columns.length; ) {
      const col = m.columns[i]!;
      let j = i;
      if (col.group) while (j + 1 < m.columns.length && m.columns[j + 1]!.group === col.group) j++;
      if (col.group && grouped) {
        merge(ws, top, i + 2, top, j + 2, col.group, head);
        tallTop = Math.max(tallTop, lines(col.group, widths.slice(i + 1, j + 2).reduce((a, x) => a + x, 0), 11, true));
        for (let k = i; k <= j; k++) {
          merge(ws, bottom, k + 2, bottom, k + 2, m.columns[k]!.label, head);
          tall = Math.max(tall, lines(m.columns[k]!.label, widths[k + 1]!, 11, true));
        }
      } else
        for (let k = i; k <= j; k++) {
          merge(ws, top, k + 2, bottom, k + 2, m.columns[k]!.label, head);
          tall = Math.max(tall, Math.ceil(lines(m.columns[k]!.label, widths[k + 1]!, 11, true) / (bottom - top + 1)));
        }
      i = j + 1;
    }
    if (grouped) ws.getRow(top).height = heightFor(tallTop);
    ws.getRow(bottom).height = heightFor(tall);
    row = bottom + 1;
    const firstRow = row;
    for (const r of m.rows) {
      merge(ws, row, 1, row, 1, r.label, { font: font({ bold: r.total }), alignment: r.total ? CENTER : LEFT, border: BORDER, ...(r.total ? { fill: GREY } : {}) });
      // Text cells (the unit names of statistics) wrap in their column.
      const tallest = Math.max(
        lines(r.label, widths[0]!),
        ...r.cells.map((cell, i) => (cell.kind === 'text' && typeof cell.value === 'string' ? lines(cell.value, widths[i + 1]! - 2, 11, !!r.total) : 1)),
      );
      ws.getRow(row).height = heightFor(tallest);
      r.cells.forEach((cell, i) => {
        const x = ws.getCell(row, i + 2);
        const letter = colLetter(i + 2);
        let formula = cell.formula;
        if (formula === 'SUM') formula = `SUM(${letter}${firstRow}:${letter}${row - 1})`;
        else if (formula?.includes('{row}')) formula = formula.replace(/\{row\}/g, String(row)).replace(/\{col:(\d+)\}/g, (_, k: string) => colLetter(Number(k) + 2));
        x.value = formula ? ({ formula, result: cell.value ?? '' } as ExcelJS.CellFormulaValue) : cell.value;
        x.style = {
          font: font({ bold: r.total }),
          border: BORDER,
          alignment: cell.kind === 'text' ? { ...LEFT, wrapText: true } : RIGHT,
          ...(cell.kind === 'text' ? {} : { numFmt: numFmt({ type: cell.kind }) }),
          ...(r.total || formula ? { fill: GREY } : {}),
        };
      });
      row++;
    }
  }
  const last = signatureBlock(ws, ctx, widths, row + 1);
  ws.pageSetup.printArea = `A1:${colLetter(ncols)}${last}`;
}

/** A single figure of the summary's list (a sum, a count of rows, of yes): a reference to a unit sheet's total. */
function scalarCell(a: Aggregate, ctx: Ctx): { label: string; cell: SCell } | undefined {
  const { spec, item } = a;
  const one = 'countRows' in spec || 'countTrue' in spec || ('sum' in spec && item.kind !== 'table') || ('sum' in spec && a.source.split('.').length === 4);
  if (!one) return undefined;
  const value = numberAt(ctx.c as unknown as Figures, a.figure);
  const found = findColumn(ctx, (col) => col.figure === a.figure);
  let label = withUnit(tx(item.label), item as { type?: string });
  if ('countTrue' in spec) label = `Số đơn vị ${lower(label)}`;
  if ('countRows' in spec && item.kind === 'repeat') label = `Số ${lower(tx(item.rowLabel))} (${lower(tx(item.label))})`;
  if ('sum' in spec && item.kind === 'table') {
    const p = a.source.split('.');
    const col = item.columns.find((x) => x.key === p[3]);
    label = `${tx(item.label)} — ${rowLabelOf(item, p[2]!)}: ${lower(tx(col?.label))}`;
  }
  if (spec.label) label = aggregateLabel(ctx.t, a);
  if (versioned(a, ctx)) label = `${label} (${versioned(a, ctx)})`;
  const kind: ColKind = 'countRows' in spec || 'countTrue' in spec ? 'integer' : kindOf(item.kind === 'table' ? item.columns.find((x) => x.key === a.source.split('.')[3])! : item);
  return { label, cell: { kind, value, ...(found ? { formula: totalRef(found.sheet, found.col) } : {}) } };
}

/** "trên N đơn vị nộp theo phiên bản 2" for a figure some units' version does not have, else ''. */
function versioned(a: Aggregate, ctx: Ctx): string {
  const v = ctx.c.units.versioned?.[a.figure];
  return v ? versionedNote(v, ctx.c.templateVersion) : '';
}

function findColumn(ctx: Ctx, test: (col: DataCol) => boolean): { sheet: UnitSheet; col: DataCol } | undefined {
  for (const sheet of ctx.sheets) for (const col of sheet.cols) if (test(col)) return { sheet, col };
  return undefined;
}

/** Distributions, counts by option, and tables of the summary. */
function aggregateMatrix(a: Aggregate, siblings: Aggregate[], done: Set<Aggregate>, ctx: Ctx): Matrix | undefined {
  const { spec, item } = a;
  const c = ctx.c as unknown as Figures;
  const held = findColumn(ctx, (col) => col.holds.includes(a.source));
  const range = held ? rangeOf(held.sheet, colOf(held.sheet, held.col)) : undefined;
  const label = tx(item.label);
  const totalCol = { label: 'Tổng số' };
  const rowSum = (k: number): SCell => ({ kind: 'integer', formula: `SUM({col:0}{row}:{col:${k - 1}}{row})`, value: null });

  if ('distribution' in spec) {
    const values = spec.buckets.map((b) => numberAt(c, `${a.figure}.${b}`) ?? 0);
    const cells: SCell[] = spec.buckets.map((b, i) => ({
      kind: 'integer',
      value: values[i]!,
      ...(range ? { formula: `COUNTIF(${range},${b.startsWith('>') ? quoteText(b) : b})` } : {}),
    }));
    return {
      title: `Số đơn vị theo ${lower(label)}`,
      rowHeader: label,
      columns: [...spec.buckets.map((b) => ({ label: bucketName(spec, b) })), totalCol],
      rows: [{ label: 'Số đơn vị', cells: [...cells, { ...rowSum(cells.length), value: values.reduce((x, y) => x + y, 0) }] }],
    };
  }
  if ('countBy' in spec) {
    const options = optionsOf(item);
    let title = `Số đơn vị theo ${lower(label)}`;
    // A computed band names what it bands ("Nhóm diện tích" of "Diện tích Trung tâm …").
    if (item.kind === 'computed' && typeof item.expr === 'object' && 'band' in item.expr && typeof item.expr.band === 'object' && 'ref' in item.expr.band) {
      const of = findItem(ctx.t, item.expr.band.ref);
      if (of) title += ` (${lower(tx(of.item.label))})`;
    }
    const typeCol = held ? rangeOf(held.sheet, 4) : undefined;
    const row = (type: string | null) => {
      const counts = options.map((o) => numberAt(c, type === null ? `${a.figure}.${o.value}` : `${a.figure}.${type}.${o.value}`) ?? 0);
      const cells: SCell[] = options.map((o, i) => ({
        kind: 'integer',
        value: counts[i]!,
        ...(range
          ? {
              formula:
                type === null
                  ? `COUNTIF(${range},${exactly(o.label)})`
                  : `COUNTIFS(${typeCol},${exactly(typeLabel(type))},${range},${exactly(o.label)})`,
            }
          : {}),
      }));
      return [...cells, { ...rowSum(cells.length), value: counts.reduce((x, y) => x + y, 0) }];
    };
    if (!spec.byUnitType)
      return { title, rowHeader: label, columns: [...options.map((o) => ({ label: o.label })), totalCol], rows: [{ label: 'Số đơn vị', cells: row(null) }] };
    const types = Object.keys((getPath(c, a.figure) as Figures | undefined) ?? {});
    return {
      title: `Số đơn vị theo loại và ${lower(label)}`,
      rowHeader: 'Loại đơn vị',
      columns: [...options.map((o) => ({ label: o.label })), totalCol],
      rows: [
        ...types.map((ty) => ({ label: typeLabel(ty), cells: row(ty) })),
        {
          label: 'Tổng cộng',
          total: true,
          cells: [...options, null].map((o, i) => ({
            kind: 'integer' as const,
            formula: 'SUM',
            value: types.reduce((x, ty) => x + (i < options.length ? (numberAt(c, `${a.figure}.${ty}.${o!.value}`) ?? 0) : options.reduce((y, p) => y + (numberAt(c, `${a.figure}.${ty}.${p.value}`) ?? 0), 0)), 0),
          })),
        },
      ],
    };
  }
  if ('sum' in spec && item.kind === 'table') return tableMatrix(a, item, siblings, done, ctx);
  if ('countWhere' in spec) return countWhereMatrix(a, ctx);
  if ('stats' in spec) return statsMatrix(a, ctx);
  if ('texts' in spec) {
    const f = getPath(c, a.figure) as { n?: number; of?: number } | undefined;
    const range = ctx.texts.get(a.figure);
    return {
      title: `${aggregateLabel(ctx.t, a)} (danh sách tại trang "${SHEET_TEXTS}")`,
      rowHeader: 'Chỉ tiêu',
      columns: [{ label: 'Số đơn vị có nội dung' }, { label: 'Số đơn vị phải trả lời' }],
      rows: [
        {
          label: 'Số đơn vị',
          cells: [
            { kind: 'integer', value: f?.n ?? 0, ...(range ? { formula: `COUNTA(${range})` } : {}) },
            { kind: 'integer', value: f?.of ?? 0 },
          ],
        },
      ],
    };
  }
  if ('fromSums' in spec) {
    const value = numberAt(c, a.figure);
    return { title: label, rowHeader: 'Chỉ tiêu', columns: [{ label: 'Số liệu' }], rows: [{ label, cells: [{ kind: 'rate', value }] }] };
  }
  return undefined;
}

/**
 * A table of the template summed over the units, with the other declared figures of the same table
 * (its total row, rates computed from the sums): cells point at the unit sheets' totals when the
 * table is spread there, the total row adds the rows up, computed columns use the template's formulas.
 */
function tableMatrix(a: Aggregate, table: TableItem, siblings: Aggregate[], done: Set<Aggregate>, ctx: Ctx): Matrix {
  const c = ctx.c as unknown as Figures;
  const tablePath = a.source;
  const spec = a.spec as { columns?: string[]; totalRow?: boolean };
  const related = siblings.filter((s) => s !== a && !done.has(s) && s.source.startsWith(`${tablePath}.`) && s.source.split('.').length <= 4);
  const rowSums = related.filter((s) => 'sum' in s.spec && s.source.split('.').length === 3);
  const rates = related.filter((s) => 'fromSums' in s.spec);
  for (const s of [...rowSums, ...rates]) done.add(s);
  const colKeys = new Set(declaredColumns(table, spec).map((x) => x.key));
  for (const s of rowSums) for (const col of declaredColumns(table, s.spec as { columns?: string[] })) colKeys.add(col.key);
  const rateKeys = new Set(rates.map((r) => r.source.split('.')[3]!));
  for (const k of rateKeys) colKeys.add(k);
  const columns = orderedColumns(table).filter((x) => colKeys.has(x.key));
  const hasTotal = !!table.totalRow && (spec.totalRow !== false || rowSums.some((s) => s.source.split('.')[2] === table.totalRow!.key));
  const rowKeys = [...table.rows.map((r) => r.key), ...(hasTotal ? [table.totalRow!.key] : [])];

  /** The summed row as figures: the declared numbers, and computed columns evaluated on them. */
  const summed = (rowKey: string): Record<string, number | null> => {
    const out: Record<string, number | null> = {};
    const isTotal = rowKey === table.totalRow?.key;
    const from = isTotal && spec.totalRow === false ? rowSums.find((s) => s.source.split('.')[2] === rowKey)?.figure : `${a.figure}.${rowKey}`;
    for (const col of columns) if (summable(col)) out[col.key] = from ? numberAt(c, `${from}.${col.key}`) : null;
    for (const col of columns)
      if (col.expr && !summable(col)) {
        const rate = rates.find((r) => r.source === `${tablePath}.${rowKey}.${col.key}`);
        const v = rate ? numberAt(c, rate.figure) : evaluate(col.expr, { view: {}, row: out, periodYear: 0 });
        out[col.key] = typeof v === 'number' && Number.isFinite(v) ? v : null;
      }
    return out;
  };
  const addrOf = (key: string) => `{col:${columns.findIndex((x) => x.key === key)}}{row}`;
  const rows = rowKeys.map((rowKey) => {
    const isTotal = rowKey === table.totalRow?.key;
    const values = summed(rowKey);
    const cells: SCell[] = columns.map((col) => {
      const value = values[col.key] ?? null;
      const kind = kindOf(col);
      if (col.expr) {
        try {
          const formula = toFormula(col.expr, {
            template: ctx.t,
            periodYear: 0,
            col: (key) => {
              if (!columns.some((x) => x.key === key)) throw new Error(key);
              return addrOf(key);
            },
            ref: () => {
              throw new Error('ref');
            },
            repeatColumn: () => {
              throw new Error('repeat');
            },
            repeatRows: () => {
              throw new Error('repeat');
            },
          });
          return { kind, value, formula };
        } catch {
          // a column it needs is not shown: the value
        }
      }
      if (isTotal && summable(col)) return { kind, value, formula: 'SUM' };
      const held = findColumn(ctx, (x) => x.cellKey === `${tablePath}.${rowKey}.${col.key}`);
      return { kind, value, ...(held ? { formula: totalRef(held.sheet, held.col) } : {}) };
    });
    return { label: rowLabelOf(table, rowKey), cells, total: isTotal };
  });
  return {
    title: tx(table.label),
    rowHeader: tx(table.rowHeader),
    columns: columns.map((col) => {
      const group = table.groups?.find((g) => g.columns.includes(col.key) && g.columns.filter((k) => colKeys.has(k)).length > 1);
      return { label: tx(col.label), ...(group ? { group: tx(group.label) } : {}) };
    }),
    rows,
  };
}

/** The unit types of the summary's rows, as the unit sheets spell them in their "Loại" column. */
function typeRows(ctx: Ctx): string[] {
  return ctx.types.filter((ty) => (ctx.c.units.completeness_by_type[ty]?.expected ?? 0) > 0);
}

/**
 * Units meeting a condition, of the units it applies to ("55/114"): COUNTIF(S) of "Có" and of "Có" or
 * "Không" over the unit sheet's column (a unit it does not apply to shows "Không áp dụng"), and the share.
 */
function countWhereMatrix(a: Aggregate, ctx: Ctx): Matrix {
  const c = ctx.c as unknown as Figures;
  const held = findColumn(ctx, (col) => col.holds.includes(`where:${a.figure}`));
  const range = held ? rangeOf(held.sheet, colOf(held.sheet, held.col)) : undefined;
  const typeCol = held ? rangeOf(held.sheet, 4) : undefined;
  const byType = (a.spec as { byUnitType?: boolean }).byUnitType;
  const share: SCell = { kind: 'rate', formula: 'IF({col:1}{row}>0,{col:0}{row}/{col:1}{row},0)', value: null };
  const row = (type: string | null): SCell[] => {
    const f = getPath(c, type === null ? a.figure : `${a.figure}.by_type.${type}`) as { count?: number; of?: number } | undefined;
    const count = f?.count ?? 0;
    const of = f?.of ?? 0;
    const by = type === null ? '' : `${typeCol},${exactly(typeLabel(type))},`;
    const countIf = (v: string) => (type === null ? `COUNTIF(${range},${exactly(v)})` : `COUNTIFS(${by}${range},${exactly(v)})`);
    return [
      { kind: 'integer', value: count, ...(range ? { formula: countIf(YES) } : {}) },
      { kind: 'integer', value: of, ...(range ? { formula: `${countIf(YES)}+${countIf(NO)}` } : {}) },
      { ...share, value: of ? count / of : 0 },
    ];
  };
  const columns = [{ label: 'Số đơn vị đạt' }, { label: 'Trên số đơn vị' }, { label: 'Tỷ lệ' }];
  const title = `${aggregateLabel(ctx.t, a)} (số đơn vị đạt / số đơn vị được tính)`;
  if (!byType) return { title, rowHeader: 'Chỉ tiêu', columns, rows: [{ label: 'Số đơn vị', cells: row(null) }] };
  const total = row(null);
  return {
    title,
    rowHeader: 'Loại đơn vị',
    columns,
    rows: [
      ...typeRows(ctx).map((ty) => ({ label: typeLabel(ty), cells: row(ty) })),
      { label: 'Tổng cộng', total: true, cells: [{ ...total[0]!, formula: 'SUM' }, { ...total[1]!, formula: 'SUM' }, total[2]!] },
    ],
  };
}

/**
 * Minimum, maximum and average over the units with a value (by unit type when declared), with the
 * unit holding each: MIN/MAX/AVERAGE (MINIFS/MAXIFS/AVERAGEIFS by type) over the unit sheet's column.
 */
function statsMatrix(a: Aggregate, ctx: Ctx): Matrix {
  const c = ctx.c as unknown as Figures;
  const held = findColumn(ctx, (col) => col.holds.includes(a.source) && col.kind !== 'text');
  const range = held ? rangeOf(held.sheet, colOf(held.sheet, held.col)) : undefined;
  const typeCol = held ? rangeOf(held.sheet, 4) : undefined;
  const kind = kindOf(a.item);
  const names = new Map(ctx.c.rows.map((r) => [r.code, r.name]));
  const row = (type: string | null): SCell[] => {
    const f = getPath(c, type === null ? a.figure : `${a.figure}.by_type.${type}`) as Record<string, number | string | null> | undefined;
    const num = (k: string) => (typeof f?.[k] === 'number' ? (f[k] as number) : null);
    const unit = (k: string) => (typeof f?.[k] === 'string' ? text(names.get(f[k] as string) ?? (f[k] as string)) : null);
    const n = num('n') ?? 0;
    const crit = type === null ? '' : `${typeCol},${exactly(typeLabel(type))}`;
    const f1 = (fn: 'MIN' | 'MAX' | 'AVERAGE') =>
      // MINIFS and MAXIFS are written with their file prefix (Excel 2019 functions); AVERAGEIFS needs none.
      range && n ? { formula: type === null ? `${fn}(${range})` : `${fn === 'AVERAGE' ? '' : '_xlfn.'}${fn}IFS(${range},${crit})` } : {};
    return [
      {
        kind: 'integer',
        value: n,
        ...(range ? { formula: type === null ? `COUNT(${range})` : `SUMPRODUCT((${typeCol}=${quoteText(typeLabel(type))})*ISNUMBER(${range}))` } : {}),
      },
      { kind: 'integer', value: num('of') ?? 0 },
      { kind, value: num('min'), ...f1('MIN') },
      { kind: 'text', value: unit('min_unit') },
      { kind, value: num('max'), ...f1('MAX') },
      { kind: 'text', value: unit('max_unit') },
      { kind: kind === 'integer' ? 'decimal' : kind, value: num('avg'), ...f1('AVERAGE') },
    ];
  };
  const byType = (a.spec as { byUnitType?: boolean }).byUnitType;
  return {
    title: `${withUnit(aggregateLabel(ctx.t, a), a.item as { type?: string })}: nhỏ nhất, lớn nhất, trung bình`,
    rowHeader: byType ? 'Loại đơn vị' : 'Chỉ tiêu',
    columns: [
      { label: 'Số đơn vị có số liệu' },
      { label: 'Trên số đơn vị' },
      { label: 'Nhỏ nhất' },
      { label: 'Đơn vị có giá trị nhỏ nhất' },
      { label: 'Lớn nhất' },
      { label: 'Đơn vị có giá trị lớn nhất' },
      { label: 'Trung bình' },
    ],
    rows: [
      ...(byType ? typeRows(ctx).map((ty) => ({ label: typeLabel(ty), cells: row(ty) })) : []),
      { label: byType ? 'Tất cả đơn vị' : 'Các đơn vị', total: !!byType, cells: row(null) },
    ],
  };
}

/**
 * "Nội dung theo đơn vị": for each texts aggregate, its answers by unit in the unit list's order,
 * wrapped in a wide column, printable on A4 landscape (empty answers left out).
 */
function writeTextsSheet(wb: ExcelJS.Workbook, ctx: Ctx, aggs: Aggregate[]): void {
  const list = aggs.filter((a) => aggregateKind(a.spec) === 'texts');
  if (!list.length) return;
  const ws = addSheet(wb, SHEET_TEXTS, ctx);
  const widths = [6, 10, 26, 10, 92];
  ws.columns = widths.map((w) => ({ width: w }));
  titleLines(ws, ctx, widths.length, widths, 'NỘI DUNG THEO ĐƠN VỊ');
  const head = { font: font({ bold: true, size: 10 }), alignment: CENTER, border: BORDER, fill: HEADER_FILL };
  const cellStyle = (align: Partial<ExcelJS.Alignment>): Partial<ExcelJS.Style> => ({
    font: font({ size: 11 }),
    border: BORDER,
    alignment: { vertical: 'top', wrapText: true, ...align },
    numFmt: '@',
  });
  const left = cellStyle({ horizontal: 'left' });
  const center = cellStyle({ horizontal: 'center' });
  let row = HEAD.top;
  list.forEach((a, k) => {
    const f = getPath(ctx.c, a.figure) as { n?: number; of?: number } | undefined;
    const answers = textAnswers(ctx.c, f);
    const title = `${k + 1}. ${a.section.code} — ${aggregateLabel(ctx.t, a)} (${formatNumber(answers.length)}/${formatNumber(f?.of ?? 0)} đơn vị có nội dung)`;
    blockTitle(ws, row, widths.length, title);
    ws.getRow(row).height = heightFor(lines(title, widths.reduce((x, y) => x + y, 0), 12, true));
    row++;
    ['STT', 'Mã đơn vị', 'Tên đơn vị', 'Loại', 'Nội dung'].forEach((h, i) => merge(ws, row, i + 1, row, i + 1, h, head));
    ws.getRow(row).height = 18;
    row++;
    const first = row;
    if (!answers.length) {
      merge(ws, row, 1, row, widths.length, 'Chưa đơn vị nào có nội dung.', { font: font({ italic: true }), alignment: LEFT, border: BORDER });
      row++;
    }
    answers.forEach((x, i) => {
      const r = ws.getRow(row);
      const values: ExcelJS.CellValue[] = [i + 1, text(x.code), text(x.name), typeLabel(x.type), text(x.text)];
      values.forEach((v, j) => {
        const cell = r.getCell(j + 1);
        cell.value = v;
        cell.style = j === 0 || j === 1 || j === 3 ? center : left;
      });
      r.height = heightFor(Math.max(lines(x.text, widths[4]!), lines(x.name, widths[2]!)));
      row++;
    });
    if (answers.length) ctx.texts.set(a.figure, `${quoteSheet(SHEET_TEXTS)}!$E$${first}:$E$${row - 1}`);
    row++;
  });
  const last = signatureBlock(ws, ctx, widths, row);
  ws.pageSetup.printArea = `A1:E${last}`;
}
