/**
 * Replacing the unit list: a CSV (papaparse) or XLSX (ExcelJS) with the columns code, type, name
 * (other columns, like the national list's province_code and province, are ignored), checked and
 * compared with the current list.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import type ExcelJS from 'exceljs';
import Papa from 'papaparse';
import type { Unit } from '../../shared/index.js';
import { AppError, foldText } from '../../shared/index.js';
import { UNIT_TYPES } from '../../shared/consolidate.js';

const MAX_UNITS = 20_000;
const MAX_BYTES = 20 * 1024 * 1024;
const MAX_LISTED = 10;

/** Header names a person may use, folded (no accents, lower case). */
const HEADERS: Record<'code' | 'type' | 'name', string[]> = {
  code: ['code', 'ma', 'ma don vi', 'ma dvhc'],
  type: ['type', 'loai', 'cap', 'loai don vi'],
  name: ['name', 'ten', 'ten don vi', 'ten dvhc'],
};

function refuse(message: string, problems: string[] = []): AppError {
  const listed = problems.slice(0, MAX_LISTED);
  const more = problems.length > MAX_LISTED ? ` (và ${problems.length - MAX_LISTED} chỗ khác)` : '';
  return new AppError('invalid_input', listed.length ? `${message} ${listed.join('; ')}${more}.` : message, { problems });
}

function columnsOf(header: string[]): Record<'code' | 'type' | 'name', number> {
  const folded = header.map((h) => foldText(String(h ?? '').trim()));
  const find = (k: 'code' | 'type' | 'name') => folded.findIndex((h) => HEADERS[k].includes(h));
  const cols = { code: find('code'), type: find('type'), name: find('name') };
  const missing = (Object.keys(cols) as (keyof typeof cols)[]).filter((k) => cols[k] < 0);
  if (missing.length)
    throw refuse(
      `Danh sách đơn vị thiếu cột ${missing.join(', ')}. Dòng đầu tiên phải là tên cột: code (mã), type (loại: xã, phường, đặc khu), name (tên); hãy sửa tệp rồi nhập lại.`,
    );
  return cols;
}

/** The type as the lists write it: xã, phường, đặc khu (case and Unicode form ignored). */
function normalType(raw: string): string | null {
  const t = raw.normalize('NFC').trim().toLowerCase();
  return (UNIT_TYPES as readonly string[]).includes(t) ? t : null;
}

function checkRows(rows: string[][], firstLine: number): Unit[] {
  if (!rows.length) throw refuse('Tệp danh sách đơn vị trống. Hãy chọn tệp có dòng tên cột và các dòng đơn vị.');
  const cols = columnsOf(rows[0]!);
  const units: Unit[] = [];
  const problems: string[] = [];
  const seen = new Map<string, number>();
  rows.slice(1).forEach((r, i) => {
    const line = firstLine + i + 1;
    const cell = (k: keyof typeof cols) => String(r[cols[k]] ?? '').normalize('NFC').trim();
    const code = cell('code');
    const rawType = cell('type');
    const name = cell('name');
    if (!code && !rawType && !name) return;
    if (!code || !rawType || !name) return problems.push(`dòng ${line}: thiếu ${[!code && 'mã', !rawType && 'loại', !name && 'tên'].filter(Boolean).join(', ')}`);
    if (!/^[0-9A-Za-z._-]{1,20}$/.test(code)) return problems.push(`dòng ${line}: mã "${code}" chỉ được gồm chữ số hoặc chữ cái, tối đa 20 ký tự`);
    const type = normalType(rawType);
    if (!type) return problems.push(`dòng ${line}: loại "${rawType}" không hợp lệ (chỉ dùng: ${UNIT_TYPES.join(', ')})`);
    if (name.length > 200) return problems.push(`dòng ${line}: tên dài quá 200 ký tự`);
    const before = seen.get(code);
    if (before !== undefined) return problems.push(`dòng ${line}: mã ${code} trùng với dòng ${before}`);
    seen.set(code, line);
    units.push({ code, type, name });
  });
  if (problems.length) throw refuse('Danh sách đơn vị có lỗi, chưa nhập:', problems);
  if (!units.length) throw refuse('Tệp danh sách đơn vị không có đơn vị nào. Hãy chọn đúng tệp.');
  if (units.length > MAX_UNITS) throw refuse(`Danh sách có ${units.length} đơn vị, nhiều hơn mức cho phép ${MAX_UNITS}. Hãy kiểm tra lại tệp.`);
  return units;
}

function parseCsv(text: string): Unit[] {
  const parsed = Papa.parse<string[]>(text.replace(/^\uFEFF/, ''), { skipEmptyLines: 'greedy' });
  const bad = parsed.errors.filter((e) => e.type !== 'Delimiter');
  if (bad.length) throw refuse('Tệp CSV danh sách đơn vị không đúng định dạng:', bad.map((e) => `dòng ${(e.row ?? 0) + 1}: ${e.message}`));
  return checkRows(parsed.data, 1);
}

/** What a cell shows: formula results, rich text and hyperlinks reduced to their text. */
function cellText(v: ExcelJS.CellValue): string {
  if (v === null || v === undefined) return '';
  if (v instanceof Date) return v.toISOString().slice(0, 10);
  if (typeof v !== 'object') return String(v);
  if ('result' in v) return cellText(v.result as ExcelJS.CellValue);
  if ('richText' in v) return v.richText.map((p) => p.text).join('');
  if ('text' in v && typeof v.text === 'string') return v.text;
  return '';
}

async function parseXlsx(bytes: Buffer): Promise<Unit[]> {
  const { default: Excel } = await import('exceljs');
  const wb = new Excel.Workbook();
  try {
    await wb.xlsx.load(bytes as unknown as ExcelJS.Buffer);
  } catch (e) {
    throw new AppError('invalid_input', 'Không đọc được tệp Excel danh sách đơn vị (tệp hỏng hoặc không phải .xlsx). Hãy lưu lại tệp dạng .xlsx hoặc .csv rồi nhập lại.', undefined, { cause: e });
  }
  const ws = wb.worksheets.find((w) => w.state === 'visible' && w.actualRowCount > 0);
  if (!ws) throw refuse('Tệp Excel danh sách đơn vị không có dữ liệu. Hãy chọn đúng tệp.');
  if (ws.actualRowCount > MAX_UNITS + 1) throw refuse(`Tệp có hơn ${MAX_UNITS} dòng, nhiều hơn mức cho phép. Hãy kiểm tra lại tệp.`);
  const rows: string[][] = [];
  let first = 0;
  ws.eachRow({ includeEmpty: false }, (row, n) => {
    if (!first) first = n;
    rows.push((row.values as ExcelJS.CellValue[]).slice(1).map(cellText));
  });
  return checkRows(rows, first);
}

export interface ParsedUnitList {
  version: string;
  source: string;
  units: Unit[];
}

/** Parse and check an uploaded unit list. The version is its base name and the start of its sha256. */
export async function parseUnitListFile(fileName: string, bytes: Buffer): Promise<ParsedUnitList> {
  if (bytes.length > MAX_BYTES) throw refuse('Tệp danh sách đơn vị quá lớn (trên 20 MB). Hãy kiểm tra lại tệp.');
  const ext = path.extname(fileName).toLowerCase();
  const isZip = bytes.length >= 4 && bytes.readUInt32LE(0) === 0x04034b50;
  let units: Unit[];
  if (ext === '.xlsx' || isZip) units = await parseXlsx(bytes);
  else if (ext === '.csv' || ext === '.txt' || ext === '') units = parseCsv(bytes.toString('utf8'));
  else throw refuse(`Tệp "${fileName}" không phải danh sách đơn vị dạng .csv hoặc .xlsx. Hãy chọn đúng tệp.`);
  const base = path.basename(fileName).replace(/\.(csv|xlsx|txt)$/i, '') || 'units';
  return { version: `${base}-${createHash('sha256').update(bytes).digest('hex').slice(0, 8)}`, source: path.basename(fileName), units };
}

export interface UnitListChanges {
  added: Unit[];
  removed: Unit[];
  renamed: { code: string; before: string; after: string }[];
}

export function compareUnitLists(before: Unit[], after: Unit[]): UnitListChanges {
  const old = new Map(before.map((u) => [u.code, u]));
  const next = new Map(after.map((u) => [u.code, u]));
  return {
    added: after.filter((u) => !old.has(u.code)),
    removed: before.filter((u) => !next.has(u.code)),
    renamed: after
      .filter((u) => old.has(u.code) && (old.get(u.code)!.name !== u.name || old.get(u.code)!.type !== u.type))
      .map((u) => ({ code: u.code, before: old.get(u.code)!.name, after: u.name })),
  };
}
