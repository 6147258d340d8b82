/**
 * Read a package back. The visible cells are the truth: every input cell listed in the
 * package's cell map is read and converted by the template's type for that cell.
 *
 * What is read goes through a CellSource: the fast guarded reader (fast-read.ts, used by
 * readPackage) and the ExcelJS workbook (the reference the tests compare it with) both give one.
 */
import ExcelJS from 'exceljs';
import type { AttachmentRef, Column, Template, Values } from '../../shared/index.js';
import { AppError, AttachmentRefSchema, cellLabel, findItem, foldText, isNumericType, parseDate, tx, xmlSafeText } from '../../shared/index.js';
import { GUARD_MESSAGES, openZip } from './guard.js';
import { SHEET_CELLS, SHEET_FILES, SHEET_IDENTITY } from './layout.js';
import { PACKAGE_FORMAT, fileCellText } from './write.js';

type Spec = Pick<Column, 'type' | 'options'>;

export const MESSAGES = {
  corrupt: GUARD_MESSAGES.corrupt,
  oldXls: GUARD_MESSAGES.oldXls,
  notPackage:
    'Tệp Excel này không phải là gói báo cáo do ứng dụng lập (không có phần thông tin nhận dạng của gói). Hãy dùng tệp được xuất bằng chức năng "Xuất gói báo cáo" của ứng dụng, không dùng tệp tự lập hoặc đã sao chép sang sổ tính khác.',
  missingSheet: (name: string) =>
    `Tệp thiếu trang "${name}" (có thể trang đã bị xóa hoặc đổi tên trong Excel). Hãy đặt lại đúng tên trang hoặc dùng lại tệp gốc rồi nhập lại.`,
};

/**
 * The cells of a workbook as the package reader needs them. Values are "plain": what a cell shows
 * (formula results, rich text joined, errors as their text), numbers in date formats as Dates.
 */
export interface CellSource {
  /** The rows of a sheet that have a value, each the texts of its cells from column A; undefined when there is no such sheet. */
  rows(sheet: string): string[][] | undefined;
  /** The plain value of one cell (undefined when empty); a missing sheet is a corrupt_file error. */
  value(sheet: string, address: string): unknown;
}

/** The plain value of a cell: formula results, rich text and hyperlinks reduced to what is shown. */
export function plainValue(v: ExcelJS.CellValue): unknown {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'string') return xmlSafeText(v); // the one text rule (shared/text.ts): as the writer wrote it
  if (typeof v !== 'object' || v instanceof Date) return v;
  if ('formula' in v || 'sharedFormula' in v)
    return plainValue((v as ExcelJS.CellFormulaValue).result as ExcelJS.CellValue);
  if ('richText' in v) return xmlSafeText(v.richText.map((p) => p.text).join(''));
  if ('text' in v && typeof v.text === 'string') return xmlSafeText(v.text);
  if ('error' in v) return String(v.error);
  return undefined;
}

const isoDate = (d: Date) => d.toISOString().slice(0, 10);

/**
 * A date cell as "YYYY-MM-DD": a Date (a date cell), an Excel date serial (a date whose format was
 * lost), or a date typed as text the Vietnamese way ("31/12/2026", also with "-" or "."), or ISO.
 * Anything else is kept as it is (validation reports it).
 */
export function dateValue(v: unknown): unknown {
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? undefined : isoDate(v);
  if (typeof v === 'number')
    return Number.isFinite(v) && v >= 1 && v < 2958466 ? isoDate(new Date(Math.round((v - 25569) * 86400000))) : v;
  if (typeof v !== 'string') return v;
  const s = v.trim();
  return parseDate(s) ?? s;
}

/** An option key from its Vietnamese label (accents and case ignored), or from the key itself. */
function optionKey(spec: Spec, text: string): string {
  const opts = spec.options ?? [];
  const exact = opts.find((o) => tx(o.label) === text) ?? opts.find((o) => o.value === text);
  if (exact) return exact.value;
  const f = foldText(text);
  return opts.find((o) => foldText(tx(o.label)) === f || foldText(o.value) === f)?.value ?? text;
}

/** A cell's value as the template's type wants it. Anything that does not fit is kept as it is, so validation reports it. */
export function convert(spec: Spec, raw: unknown): unknown {
  if (raw === undefined || raw === null) return undefined;
  if (spec.type === 'date') return typeof raw === 'string' && raw.trim() === '' ? undefined : dateValue(raw);
  const v = raw instanceof Date ? isoDate(raw) : raw;
  if (typeof v === 'string' && v.trim() === '') return undefined;
  if (isNumericType(spec.type) || spec.type === 'money') return typeof v === 'string' ? v.trim() : v;
  switch (spec.type) {
    case 'text':
    case 'longtext':
      return typeof v === 'string' ? v : String(v);
    case 'boolean': {
      if (typeof v === 'boolean') return v;
      const f = foldText(String(v));
      if (f === 'co' || f === 'true') return true;
      if (f === 'khong' || f === 'false') return false;
      return String(v).trim();
    }
    case 'enum':
      return optionKey(spec, String(v).trim());
    case 'multi':
      return String(v)
        .split(';')
        .map((x) => x.trim())
        .filter(Boolean)
        .map((x) => optionKey(spec, x));
    default:
      return v;
  }
}

const MAX_MAPPED_CELLS = 50_000;

export interface CellRef {
  kind: string;
  key: string;
  sheet: string;
  address: string;
}

/**
 * The whole workbook through ExcelJS: the reference reader the tests compare the fast one with.
 * Like every workbook the app opens, it first goes through the guard (guard.ts: sizes, ratios,
 * DOCTYPE/ENTITY), so ExcelJS never expands a bomb; readPackage uses the guarded fast reader.
 */
export async function loadWorkbook(data: Uint8Array): Promise<ExcelJS.Workbook> {
  const b = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (b.length >= 4 && b.readUInt32BE(0) === 0xd0cf11e0) throw new AppError('corrupt_file', MESSAGES.oldXls);
  if (b.length < 4 || b.readUInt32LE(0) !== 0x04034b50) throw new AppError('corrupt_file', MESSAGES.corrupt);
  openZip(b);
  const wb = new ExcelJS.Workbook();
  try {
    await wb.xlsx.load(b as unknown as ExcelJS.Buffer);
  } catch (e) {
    throw new AppError('corrupt_file', MESSAGES.corrupt, undefined, { cause: e });
  }
  return wb;
}

/** A plain value as the text of a row cell. */
export const cellText = (p: unknown): string =>
  p === undefined ? '' : p instanceof Date ? p.toISOString() : String(p);

function rows(ws: ExcelJS.Worksheet): string[][] {
  const out: string[][] = [];
  ws.eachRow((row) => {
    out.push((row.values as ExcelJS.CellValue[]).slice(1).map((x) => cellText(plainValue(x))));
  });
  return out;
}

/** An ExcelJS workbook as a CellSource (the reference reader). */
export function excelJsSource(wb: ExcelJS.Workbook): CellSource {
  const sheets = new Map<string, ExcelJS.Worksheet>();
  return {
    rows: (name) => {
      const ws = wb.getWorksheet(name);
      return ws ? rows(ws) : undefined;
    },
    value: (name, address) => {
      let ws = sheets.get(name);
      if (!ws) {
        ws = wb.getWorksheet(name);
        if (!ws) throw new AppError('corrupt_file', MESSAGES.missingSheet(name));
        sheets.set(name, ws);
      }
      return plainValue(ws.getCell(address).value);
    },
  };
}

const asSource = (x: CellSource | ExcelJS.Workbook): CellSource =>
  x instanceof ExcelJS.Workbook ? excelJsSource(x) : x;

/** The identity key/values, or a not_a_package error. */
export function readIdentity(wb: CellSource | ExcelJS.Workbook): Record<string, string> {
  const list = asSource(wb).rows(SHEET_IDENTITY);
  if (!list) throw new AppError('not_a_package', MESSAGES.notPackage);
  const id: Record<string, string> = {};
  for (const [k, v] of list.slice(1)) if (k) id[k] = v ?? '';
  if (id.format !== PACKAGE_FORMAT || !id.template || !id.templateVersion || !id.unit || !id.period)
    throw new AppError('not_a_package', MESSAGES.notPackage);
  return id;
}

export function readCellMap(wb: CellSource | ExcelJS.Workbook): CellRef[] {
  const list = asSource(wb).rows(SHEET_CELLS);
  if (!list) throw new AppError('not_a_package', MESSAGES.notPackage);
  let bySheet: unknown;
  try {
    bySheet = JSON.parse(list.map((r) => r[0] ?? '').join(''));
  } catch (e) {
    throw new AppError('not_a_package', MESSAGES.notPackage, undefined, { cause: e });
  }
  const out: CellRef[] = [];
  if (!bySheet || typeof bySheet !== 'object') throw new AppError('not_a_package', MESSAGES.notPackage);
  for (const [sheet, list] of Object.entries(bySheet as Record<string, unknown>)) {
    if (!Array.isArray(list)) continue;
    for (const e of list) {
      if (!Array.isArray(e) || e.length !== 3 || !e.every((x) => typeof x === 'string')) continue;
      const [kind, key, address] = e as [string, string, string];
      if (/^[A-Z]{1,3}\d{1,7}$/.test(address)) out.push({ kind, key, sheet, address });
    }
  }
  // A package has a few hundred input cells; a map of more is not ours (and would only cost time).
  if (out.length > MAX_MAPPED_CELLS) throw new AppError('not_a_package', MESSAGES.notPackage);
  return out;
}

/** Read the input cells of the map into values, explanations and as-of dates. */
export function readCells(
  wb: CellSource | ExcelJS.Workbook,
  t: Template,
  map: CellRef[],
): { values: Values; explanations: Record<string, string>; asOf: Record<string, unknown>; notes: string[] } {
  const values: Values = {};
  const explanations: Record<string, string> = {};
  const asOf: Record<string, unknown> = {};
  const notes: string[] = [];
  const src = asSource(wb);
  const files = readFiles(src);
  const cell = (r: CellRef) => src.value(r.sheet, r.address);
  /** A cell by its column's type; a file cell through the attachments the package lists. */
  const read = (spec: Spec, r: CellRef): unknown =>
    spec.type === 'file' ? fileValue(t, r.key, cell(r), files.get(r.key), notes) : convert(spec, cell(r));
  for (const r of map) {
    if (r.kind === 'asOf') {
      if (t.sections.some((s) => s.key === r.key)) asOf[r.key] = cell(r);
      continue;
    }
    if (r.kind === 'explanation') {
      const v = cell(r);
      if (v !== undefined && String(v).trim()) explanations[r.key] = String(v).trim();
      continue;
    }
    if (r.kind !== 'value') continue;
    const found = findItem(t, r.key);
    if (!found) continue;
    const { section, item } = found;
    const parts = r.key.split('.');
    const sv = (values[section.key] ??= {});
    if (item.kind === 'field' && parts.length === 2) {
      const v = read(item, r);
      if (v !== undefined) sv[item.key] = v;
    } else if (item.kind === 'table' && parts.length === 4) {
      const row = item.rows.find((x) => x.key === parts[2]);
      const col = item.columns.find((c) => c.key === parts[3] && !c.expr);
      if (!row || !col) continue;
      const v = read(col, r);
      if (v === undefined) continue;
      const table = (sv[item.key] ??= {}) as Record<string, Record<string, unknown>>;
      (table[row.key] ??= {})[col.key] = v;
    } else if (item.kind === 'repeat' && parts.length === 4 && /^\d{1,4}$/.test(parts[2]!)) {
      const col = item.columns.find((c) => c.key === parts[3] && !c.expr);
      if (!col) continue;
      const v = read(col, r);
      const list = (sv[item.key] ??= []) as (Record<string, unknown> | undefined)[];
      const i = Number(parts[2]);
      // Every slot is kept in place; blank rows (also in the middle) are dropped when normalised, so nothing typed is lost.
      while (list.length <= i) list.push({});
      if (v !== undefined) list[i]![col.key] = v;
    }
  }
  return { values, explanations, asOf, notes };
}

/** An attachment a package lists, and what its cell showed when the package was written. */
interface ListedFile {
  ref: AttachmentRef;
  shown: string;
}

/** The attachments a package lists by cell path (hidden sheet "_files"; none in a package without file cells). */
export function readFiles(src: CellSource): Map<string, ListedFile> {
  const out = new Map<string, ListedFile>();
  for (const [path, name, size, mime, sha256, shown] of (src.rows(SHEET_FILES) ?? []).slice(1)) {
    const ref = AttachmentRefSchema.safeParse({ name, size: Number(size), mime, sha256 });
    if (path && ref.success) out.set(path, { ref: ref.data, shown: shown || fileCellText(ref.data) });
  }
  return out;
}

/**
 * A file cell: the attachment the package lists for it when the cell still shows it. A cell changed
 * or emptied in Excel cannot change an attachment (its bytes travel beside the workbook): that is
 * said in `notes`; an emptied cell has no file, a changed one keeps the text (validation refuses it).
 */
function fileValue(t: Template, path: string, raw: unknown, listed: ListedFile | undefined, notes: string[]): unknown {
  const shown = raw === undefined || raw === null ? '' : String(raw instanceof Date ? isoDate(raw) : raw).trim();
  const ref = listed?.ref;
  if (ref && shown === listed.shown.trim()) return ref;
  if (!ref && !shown) return undefined;
  const where = `Ô "${cellLabel(t, path)}"`;
  const todo = 'Tệp đính kèm chỉ chọn, thay hoặc bỏ được trong ứng dụng: hãy sửa trong ứng dụng rồi lập lại gói.';
  if (ref && !shown) notes.push(`${where} đã bị xóa bên ngoài ứng dụng, nên tệp "${ref.name}" không được tính. ${todo}`);
  else if (ref) notes.push(`${where} đã bị sửa bên ngoài ứng dụng thành "${shown}" thay vì tệp "${ref.name}". ${todo}`);
  else notes.push(`${where} ghi "${shown}" nhưng gói không kèm tệp nào cho ô này. ${todo}`);
  return shown || undefined;
}
