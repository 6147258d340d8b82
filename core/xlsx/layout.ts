/**
 * Where everything goes in the workbook, found by walking the template: one sheet per section,
 * its columns and widths, and the position of every block (field list, table, repeat table) and
 * of every cell of the return. The writer renders this plan; the cell map stored in the package
 * comes from it, so reading back never guesses positions.
 */
import type {
  Column,
  ComputedItem,
  FieldItem,
  RepeatItem,
  Section,
  TableItem,
  Template,
  UnitFacts,
  Values,
} from '../../shared/index.js';
import { isApplicable, notApplicable, tx } from '../../shared/index.js';
import { MAX_ROW_HEIGHT, heightFor, longLines } from './style.js';

export const SHEET_IDENTITY = '_identity';
export const SHEET_CELLS = '_cells';
export const SHEET_LISTS = '_lists';
/** The attachments the file cells name (path, name, size, mime, sha256): the bytes travel beside the workbook. */
export const SHEET_FILES = '_files';

export const SHEET_EXPLANATIONS = 'Giải trình';

export interface Pos {
  sheet: string;
  row: number;
  col: number;
}

export interface FieldsBlock {
  kind: 'fields';
  headerRow: number;
  /**
   * One row per item. A long text takes the label row over the whole width and, under it, its value
   * over the whole width and `valueRows` rows (a row is at most 409 points high; a long answer spans
   * several). `na`: the item does not apply to the unit (shown "Không áp dụng", locked, not an input).
   */
  rows: { item: FieldItem | ComputedItem; row: number; valueRows?: number; rowHeight?: number; na?: boolean }[];
  labelTo: number; // label spans columns 1..labelTo
  valueFrom: number; // value spans valueFrom..ncols
}
export interface TableBlock {
  kind: 'table';
  item: TableItem;
  titleRow: number;
  headerTop: number;
  headerRows: 1 | 2;
  codeRow: number;
  /** Columns in sheet order (grouped columns adjacent), from sheet column 2. */
  columns: Column[];
  rows: { key: string; label: string; row: number }[];
  totalRow?: number;
  /** The table does not apply to the unit: every cell shows a dash, greyed and locked. */
  na?: boolean;
}
export interface RepeatBlock {
  kind: 'repeat';
  item: RepeatItem;
  titleRow: number;
  headerRow: number;
  codeRow: number;
  firstRow: number;
  slots: number;
  /** The repeat table does not apply to the unit: one greyed row saying so. */
  na?: boolean;
}
export type Block = FieldsBlock | TableBlock | RepeatBlock;

export interface SheetPlan {
  section: Section;
  /** The whole section does not apply to the unit (every block is shown as not applicable). */
  na?: boolean;
  name: string;
  widths: number[]; // by column, index 0 = column A
  landscape: boolean;
  asOf: Pos;
  blocks: Block[];
  signatureTop: number;
  printTitles?: [number, number];
}

export interface WorkbookPlan {
  template: Template;
  sheets: SheetPlan[];
  /** Every cell of the return by path: inputs, computed items, computed columns and total rows. */
  cells: Map<string, Pos>;
}

/** Heading rows of every biểu sheet (1-based). */
export const HEAD = {
  national: 1,
  motto: 2,
  title: 4,
  report: 5,
  asOf: 6,
  unit: 8,
  receiver: 9,
  firstBlock: 11,
} as const;

const isWide = (c: Column) =>
  c.type === 'text' || c.type === 'longtext' || c.type === 'enum' || c.type === 'multi' || c.type === 'file';

/** The default width (in Excel character units) of a column by its type. */
function columnWidth(c: Column, compact: boolean): number {
  if (c.width) return c.width;
  switch (c.type) {
    case 'text':
      return 24;
    case 'longtext':
      return 40;
    case 'file':
      return 28;
    case 'date':
      return 12;
    case 'money':
      return compact ? 12 : 15;
    case 'enum':
      return 18;
    case 'multi':
      return 30;
    case 'boolean':
      return 10;
    case 'rate':
      return compact ? 9 : 11;
    case 'decimal':
      return compact ? 10 : 12;
    default:
      return compact ? 9 : 11;
  }
}

/** Table columns in sheet order: the columns of a group next to each other, at the place of the group's first column. */
export function orderedColumns(item: TableItem): Column[] {
  const out: Column[] = [];
  const done = new Set<string>();
  for (const c of item.columns) {
    if (done.has(c.key)) continue;
    const group = item.groups?.find((g) => g.columns.includes(c.key));
    const keys = group ? group.columns : [c.key];
    for (const k of keys) {
      const col = item.columns.find((x) => x.key === k);
      if (col && !done.has(k)) {
        out.push(col);
        done.add(k);
      }
    }
  }
  return out;
}

/**
 * Rows of a repeat table on the sheet: the filled rows plus blank ones to add rows in Excel
 * (at least 10 and 5 spare, at most the template's maximum, so the printed form stays short),
 * never fewer than the rows there are.
 */
export function repeatSlots(item: RepeatItem, rows: number): number {
  return Math.max(rows, Math.min(item.maxRows, Math.max(10, rows + 5)));
}

/**
 * Lay the workbook out for one unit: its facts (type, unit-list attributes) decide which sections
 * and items apply (shared/template/applies.ts); without them everything applies.
 */
export function planWorkbook(t: Template, values: Values, unit?: UnitFacts | null): WorkbookPlan {
  const cells = new Map<string, Pos>();
  const sheets: SheetPlan[] = [];
  const skipped = notApplicable(t, unit);
  const names = new Set<string>([SHEET_EXPLANATIONS, SHEET_IDENTITY, SHEET_CELLS, SHEET_LISTS, SHEET_FILES].map((n) => n.toLowerCase()));
  for (const section of t.sections) {
    const name = uniqueName(sheetName(section), names);
    const sectionNa = !isApplicable(skipped, section.key);
    // 1. Columns and widths: every item claims its columns; the widest claim wins.
    let ncols = 2;
    const widths: number[] = [];
    const claim = (i: number, w: number) => (widths[i] = Math.max(widths[i] ?? 0, w));
    const fieldItems = section.items.filter(
      (i): i is FieldItem | ComputedItem => i.kind === 'field' || i.kind === 'computed',
    );
    for (const item of section.items) {
      if (item.kind === 'table') {
        const cols = orderedColumns(item);
        const compact = cols.length > 8;
        ncols = Math.max(ncols, cols.length + 1);
        claim(0, compact ? 26 : 34);
        cols.forEach((c, i) => claim(i + 1, columnWidth(c, compact)));
      } else if (item.kind === 'repeat') {
        ncols = Math.max(ncols, item.columns.length + 1);
        claim(0, 5);
        item.columns.forEach((c, i) => claim(i + 1, columnWidth(c, false)));
      }
    }
    if (ncols === 2 && section.items.every((i) => i.kind === 'field' || i.kind === 'computed')) {
      claim(0, 62);
      claim(1, 30);
    }
    for (let i = 0; i < ncols; i++) widths[i] = widths[i] || 12;
    // The value column(s) of a field list: from the right until wide enough for its widest value.
    const minValue = fieldItems.some((f) => isWide(f as Column)) ? 28 : 16;
    let valueFrom = ncols;
    let valueWidth = widths[ncols - 1]!;
    while (valueWidth < minValue && valueFrom > 2) valueWidth += widths[--valueFrom - 1]!;
    const labelWidth = widths.slice(0, valueFrom - 1).reduce((a, b) => a + b, 0);
    if (fieldItems.length && labelWidth < 46) widths[0] = widths[0]! + 46 - labelWidth;

    // 2. Rows.
    let row: number = HEAD.firstBlock;
    const blocks: Block[] = [];
    let printTitles: [number, number] | undefined;
    let longest = 0;
    for (let i = 0; i < section.items.length; i++) {
      const item = section.items[i]!;
      const base = `${section.key}.${item.key}`;
      if (item.kind === 'field' || item.kind === 'computed') {
        const block: FieldsBlock = { kind: 'fields', headerRow: row++, rows: [], labelTo: valueFrom - 1, valueFrom };
        const fullWidth = widths.slice(0, ncols).reduce((a, b) => a + b, 0);
        for (; i < section.items.length; i++) {
          const it = section.items[i]!;
          if (it.kind !== 'field' && it.kind !== 'computed') break;
          const path = `${section.key}.${it.key}`;
          const na = !isApplicable(skipped, path);
          if (it.kind === 'field' && it.type === 'longtext' && !na) {
            // The answer under its label, over the whole width, in as many rows as it needs to print whole.
            const v = values[section.key]?.[it.key];
            const height = heightFor(Math.max(3, longLines(typeof v === 'string' ? v : '', fullWidth)), 11, Infinity);
            const valueRows = Math.max(1, Math.ceil(height / (MAX_ROW_HEIGHT - 9)));
            block.rows.push({ item: it, row, valueRows, rowHeight: height / valueRows });
            cells.set(path, { sheet: name, row: row + 1, col: 1 });
            row += 1 + valueRows;
            continue;
          }
          block.rows.push({ item: it, row, ...(na ? { na } : {}) });
          cells.set(path, { sheet: name, row, col: valueFrom });
          row++;
        }
        i--;
        blocks.push(block);
      } else if (item.kind === 'table') {
        const columns = orderedColumns(item);
        const headerRows = item.groups?.length ? 2 : 1;
        const block: TableBlock = {
          kind: 'table',
          item,
          titleRow: row,
          headerTop: row + 1,
          headerRows,
          codeRow: row + 1 + headerRows,
          columns,
          rows: [],
          ...(isApplicable(skipped, base) ? {} : { na: true }),
        };
        row = block.codeRow + 1;
        const rowKeys = [...item.rows.map((r) => ({ key: r.key, label: tx(r.label) }))];
        for (const r of rowKeys) {
          block.rows.push({ ...r, row });
          columns.forEach((c, ci) => cells.set(`${base}.${r.key}.${c.key}`, { sheet: name, row, col: ci + 2 }));
          row++;
        }
        if (item.totalRow) {
          block.totalRow = row;
          columns.forEach((c, ci) =>
            cells.set(`${base}.${item.totalRow!.key}.${c.key}`, { sheet: name, row, col: ci + 2 }),
          );
          row++;
        }
        if (item.rows.length > longest) {
          longest = item.rows.length;
          printTitles = [block.headerTop, block.codeRow];
        }
        blocks.push(block);
      } else {
        const list = values[section.key]?.[item.key];
        const na = !isApplicable(skipped, base);
        const slots = na ? 1 : repeatSlots(item, Array.isArray(list) ? list.length : 0);
        const block: RepeatBlock = {
          kind: 'repeat',
          item,
          titleRow: row,
          headerRow: row + 1,
          codeRow: row + 2,
          firstRow: row + 3,
          slots,
          ...(na ? { na } : {}),
        };
        for (let k = 0; k < slots; k++)
          item.columns.forEach((c, ci) =>
            cells.set(`${base}.${k}.${c.key}`, { sheet: name, row: block.firstRow + k, col: ci + 2 }),
          );
        row = block.firstRow + slots;
        if (slots > longest) {
          longest = slots;
          printTitles = [block.headerRow, block.codeRow];
        }
        blocks.push(block);
      }
      row++; // a blank row between blocks
    }
    const total = widths.reduce((a, b) => a + b, 0);
    sheets.push({
      section,
      ...(sectionNa ? { na: true } : {}),
      name,
      widths,
      landscape: total > 100,
      blocks,
      signatureTop: row,
      asOf: { sheet: name, row: HEAD.asOf, col: signatureSplit(widths) + 1 },
      printTitles: longest > 15 ? printTitles : undefined,
    });
  }
  return { template: t, sheets, cells };
}

/** The sheet name of a section: its code, within Excel's rules for sheet names (no \ / ? * [ ] :, no quote at either end, 31 characters). */
export function sheetName(section: Section): string {
  const clean = (s: string) => s.replace(/[\\/?*[\]:]/g, ' ').trim().slice(0, 31).replace(/^'+|'+$/g, '').trim();
  return clean(section.code) || clean(section.key);
}

/** A sheet name not yet taken (Excel compares them without case): "Biểu", "Biểu (2)", … */
function uniqueName(name: string, taken: Set<string>): string {
  let out = name;
  for (let k = 2; taken.has(out.toLowerCase()); k++) out = `${name.slice(0, 31 - ` (${k})`.length)} (${k})`;
  taken.add(out.toLowerCase());
  return out;
}

/** The last column of the left half of a sheet (signature block, as-of line). */
export function signatureSplit(widths: number[]): number {
  const total = widths.reduce((a, b) => a + b, 0);
  let acc = 0;
  for (let i = 0; i < widths.length; i++) {
    acc += widths[i]!;
    if (acc >= total / 2)
      return Math.max(1, Math.min(i + (acc - total / 2 > widths[i]! / 2 ? 0 : 1), widths.length - 1));
  }
  return 1;
}
