/**
 * Replacing the unit list: a CSV (papaparse) or XLSX (ExcelJS) with the columns code, type, name
 * and optionally first_period (the first period the unit reports); every other column (co_hdnd,
 * co_bqlda, the national list's province_code …) is kept as the unit's attributes, by the column's
 * name without accents ("Có HĐND" → co_hdnd): what a template's appliesTo.attribute reads. The list
 * is checked and compared with the current list.
 * A workbook is opened under the package guard (core/xlsx/guard.ts) before ExcelJS reads it; a CSV
 * is read in the encoding Vietnamese Excel saves it in (UTF-8, UTF-16, Windows-1258).
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import type ExcelJS from 'exceljs';
import Papa from 'papaparse';
import type { Unit } from '../../shared/index.js';
import { AppError, foldText, parsePeriod } from '../../shared/index.js';
import { UNIT_TYPES } from '../../shared/consolidate.js';
import { openZip } from '../xlsx/guard.js';
import { attributeKey, attributesOf } from '../resources.js';

const MAX_UNITS = 20_000;
const MAX_BYTES = 20 * 1024 * 1024;
const MAX_LISTED = 10;

/** Header names a person may use, folded (no accents, lower case). */
const HEADERS: Record<'code' | 'type' | 'name' | 'first', string[]> = {
  code: ['code', 'ma', 'ma don vi', 'ma dvhc'],
  type: ['type', 'loai', 'cap', 'loai don vi'],
  name: ['name', 'ten', 'ten don vi', 'ten dvhc'],
  first: ['first_period', 'first period', 'ky dau tien', 'ky bao cao dau tien'],
};

function refuse(message: string, problems: string[] = []): AppError {
  const listed = problems.slice(0, MAX_LISTED);
  const more = problems.length > MAX_LISTED ? ` (và ${problems.length - MAX_LISTED} chỗ khác)` : '';
  return new AppError('invalid_input', listed.length ? `${message} ${listed.join('; ')}${more}.` : message, { problems });
}

function columnsOf(header: string[]): Record<'code' | 'type' | 'name' | 'first', number> {
  const folded = header.map((h) => foldText(String(h ?? '').trim()));
  const find = (k: keyof typeof HEADERS) => folded.findIndex((h) => HEADERS[k].includes(h));
  const cols = { code: find('code'), type: find('type'), name: find('name'), first: find('first') };
  const missing = (['code', 'type', 'name'] as const).filter((k) => cols[k] < 0);
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
  // Vietnamese text already garbled inside the file (a UTF-8 CSV opened in Excel as ANSI, then saved
  // as .xlsx or CSV): say so, rather than "missing columns" or "type not valid" on every row.
  const garbled = (line: number, cells: string[]) => {
    const bad = cells.find((c) => !plausible(c));
    if (bad !== undefined)
      throw new AppError(
        'invalid_input',
        `Chữ tiếng Việt trong tệp đã bị lỗi mã (dòng ${line}: "${bad.slice(0, 60)}"), thường do tệp CSV UTF-8 được mở thẳng bằng Excel (đọc sai bảng mã) rồi lưu lại. Hãy lấy lại tệp gốc và mở bằng Excel qua Dữ liệu > Từ văn bản/CSV, chọn bảng mã UTF-8 (hoặc dùng tệp tải về từ màn hình Danh mục đơn vị), lưu lại rồi nhập lại.`,
        { encoding: 'garbled', line },
      );
  };
  garbled(firstLine, rows[0]!.map((c) => String(c ?? '')));
  const cols = columnsOf(rows[0]!);
  const known = new Set<number>([cols.code, cols.type, cols.name, cols.first]);
  const header = rows[0]!.map((h) => String(h ?? '').normalize('NFC').trim());
  const extra = header.map((h, i) => ({ h, i })).filter(({ h, i }) => !known.has(i) && attributeKey(h));
  const names = new Map<string, string>();
  for (const { h } of extra) {
    const key = attributeKey(h)!;
    const other = names.get(key);
    if (other !== undefined)
      throw refuse(`Danh sách đơn vị có hai cột cùng tên "${other}" và "${h}" (đều là ${key}). Hãy đổi tên hoặc bỏ một cột rồi nhập lại.`);
    names.set(key, h);
  }
  const units: Unit[] = [];
  const problems: string[] = [];
  const seen = new Map<string, number>();
  rows.slice(1).forEach((r, i) => {
    const line = firstLine + i + 1;
    const cell = (k: keyof typeof cols) => String(r[cols[k]] ?? '').normalize('NFC').trim();
    const code = cell('code');
    const rawType = cell('type');
    const name = cell('name');
    const first = cols.first >= 0 ? cell('first') : '';
    garbled(line, [code, rawType, name, first]);
    if (!code && !rawType && !name) return;
    if (!code || !rawType || !name) return problems.push(`dòng ${line}: thiếu ${[!code && 'mã', !rawType && 'loại', !name && 'tên'].filter(Boolean).join(', ')}`);
    if (!/^[0-9A-Za-z._-]{1,20}$/.test(code)) return problems.push(`dòng ${line}: mã "${code}" chỉ được gồm chữ số hoặc chữ cái, tối đa 20 ký tự`);
    const type = normalType(rawType);
    if (!type) return problems.push(`dòng ${line}: loại "${rawType}" không hợp lệ (chỉ dùng: ${UNIT_TYPES.join(', ')})`);
    if (name.length > 200) return problems.push(`dòng ${line}: tên dài quá 200 ký tự`);
    if (first && !parsePeriod(first))
      return problems.push(`dòng ${line}: kỳ báo cáo đầu tiên "${first}" không hợp lệ (viết như 2026-Q3 cho Quý III/2026)`);
    const before = seen.get(code);
    if (before !== undefined) return problems.push(`dòng ${line}: mã ${code} trùng với dòng ${before}`);
    seen.set(code, line);
    const cells = extra.map(({ h, i }): [string, string] => [h, String(r[i] ?? '')]);
    garbled(line, cells.map(([, v]) => v));
    const attributes = attributesOf(cells);
    units.push({ code, type, name, ...(first ? { firstPeriod: first } : {}), ...(attributes ? { attributes } : {}) });
  });
  if (problems.length) throw refuse('Danh sách đơn vị có lỗi, chưa nhập:', problems);
  if (!units.length) throw refuse('Tệp danh sách đơn vị không có đơn vị nào. Hãy chọn đúng tệp.');
  if (units.length > MAX_UNITS) throw refuse(`Danh sách có ${units.length} đơn vị, nhiều hơn mức cho phép ${MAX_UNITS}. Hãy kiểm tra lại tệp.`);
  return units;
}

/** Does a decoded text look like Vietnamese (or plain) text: no replacement or control characters, Latin letters only? */
function plausible(text: string): boolean {
  // C0/C1 controls (but tab and line ends), U+FFFD and Latin-1 symbols (¡…¿: what TCVN3 or VNI bytes become) are not in a unit list.
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || (c >= 0x7f && c <= 0x9f) || (c >= 0xa1 && c <= 0xbf) || c === 0xfffd) return false;
  }
  const letters = text.match(/\p{L}/gu) ?? [];
  const latin = text.match(/\p{Script=Latin}/gu) ?? [];
  return letters.length === latin.length;
}

const resave = (encoding: string) =>
  `Tệp đang ở bảng mã ${encoding} nên ứng dụng không đọc đúng được chữ tiếng Việt. Hãy mở tệp bằng Excel hoặc LibreOffice và lưu lại dưới dạng "CSV UTF-8 (phân cách bằng dấu phẩy)" (CSV UTF-8), rồi nhập lại.`;

/**
 * The text of a CSV in the encodings Vietnamese Excel writes: UTF-8 (with or without BOM),
 * UTF-16 (Unicode text, with a BOM, or recognised by its NUL bytes) and Windows-1258 (CSV in the
 * Vietnamese ANSI code page). A file that reads as none of them plausibly is refused, naming its encoding.
 */
export function decodeCsv(bytes: Uint8Array): { text: string; encoding: string } {
  const b = bytes;
  const decode = (label: string, from = 0) => new TextDecoder(label, { fatal: true }).decode(b.subarray(from));
  const attempt = (label: string, name: string, from = 0) => {
    let text: string;
    try {
      text = decode(label, from);
    } catch (e) {
      throw new AppError('invalid_input', resave(name), { encoding: name }, { cause: e });
    }
    if (!plausible(text)) throw new AppError('invalid_input', resave(name), { encoding: name });
    return { text: text.normalize('NFC'), encoding: name };
  };
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return attempt('utf-8', 'UTF-8', 3);
  if (b[0] === 0xff && b[1] === 0xfe) return attempt('utf-16le', 'UTF-16 LE', 2);
  if (b[0] === 0xfe && b[1] === 0xff) return attempt('utf-16be', 'UTF-16 BE', 2);
  // UTF-16 without a BOM: ASCII characters have a NUL byte beside them (odd bytes: LE, even bytes: BE).
  const sample = b.subarray(0, Math.min(b.length, 4096));
  let evenNul = 0;
  let oddNul = 0;
  for (let i = 0; i < sample.length; i++)
    if (sample[i] === 0) {
      if (i % 2) oddNul++;
      else evenNul++;
    }
  const half = sample.length / 2;
  if (oddNul > half * 0.3 && evenNul < half * 0.05) return attempt('utf-16le', 'UTF-16 LE');
  if (evenNul > half * 0.3 && oddNul < half * 0.05) return attempt('utf-16be', 'UTF-16 BE');
  if (evenNul + oddNul > 0) throw new AppError('invalid_input', resave('nhị phân hoặc không rõ (có ký tự NUL)'), { encoding: 'binary' });
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(b).normalize('NFC'), encoding: 'UTF-8' };
  } catch {
    // Not UTF-8: Excel's "CSV (Comma delimited)" on a Vietnamese Windows writes Windows-1258.
  }
  const text = new TextDecoder('windows-1258').decode(b);
  if (!plausible(text))
    throw new AppError('invalid_input', resave('không phải UTF-8 (có thể là TCVN3 hoặc VNI)'), { encoding: 'unknown' });
  return { text: text.normalize('NFC'), encoding: 'Windows-1258' };
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

/** The guard's refusal said for a unit list (its own messages speak of report packages). */
function guardRefusal(e: AppError): AppError {
  const reason = (e.details as { reason?: string } | undefined)?.reason ?? 'guard';
  const message =
    e.code === 'corrupt_file'
      ? 'Không đọc được tệp Excel danh sách đơn vị (tệp hỏng, chưa tải xong, đặt mật khẩu hoặc không phải .xlsx). Hãy mở tệp bằng Excel hoặc LibreOffice, lưu lại dạng "Excel Workbook (*.xlsx)" hoặc CSV UTF-8 rồi nhập lại.'
      : 'Tệp Excel danh sách đơn vị có cấu trúc bất thường (quá lớn khi giải nén, quá nhiều dòng hoặc có khai báo không được phép) nên ứng dụng đã từ chối và không mở nó. Một danh sách đơn vị chỉ có vài nghìn dòng: hãy mở tệp gốc bằng Excel hoặc LibreOffice, chép các cột mã, loại, tên sang một tệp mới, lưu dạng .xlsx hoặc CSV UTF-8 rồi nhập lại.';
  return new AppError(e.code, message, { reason }, { cause: e });
}

async function parseXlsx(bytes: Buffer): Promise<Unit[]> {
  // The same guard as packages: sizes, ratios and actual inflated bytes checked before ExcelJS sees the file.
  try {
    openZip(bytes);
  } catch (e) {
    if (e instanceof AppError) throw guardRefusal(e);
    throw e;
  }
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
  else if (ext === '.csv' || ext === '.txt' || ext === '') units = parseCsv(decodeCsv(bytes).text);
  else throw refuse(`Tệp "${fileName}" không phải danh sách đơn vị dạng .csv hoặc .xlsx. Hãy chọn đúng tệp.`);
  const base = path.basename(fileName).replace(/\.(csv|xlsx|txt)$/i, '') || 'units';
  return { version: `${base}-${createHash('sha256').update(bytes).digest('hex').slice(0, 8)}`, source: path.basename(fileName), units };
}

/** More than this share of the current units disappearing asks the clerk again (see askAgainOf). */
export const ASK_AGAIN_SHARE = 0.1;

/**
 * The sentence asking again when more than a tenth of the current units would disappear. A tenth:
 * a reorganisation merges a few units at a time (one merger removes 2–3 of 114), while a wrong file
 * (one province instead of the nation, a test list of one row) removes most of them.
 */
export function askAgainOf(currentCount: number, removed: number): string | null {
  if (!currentCount || removed <= currentCount * ASK_AGAIN_SHARE) return null;
  const pct = Math.round((removed / currentCount) * 100);
  return `Danh sách mới sẽ bỏ ${removed.toLocaleString('vi-VN')} trong ${currentCount.toLocaleString('vi-VN')} đơn vị hiện có (${pct}%). Thường chỉ vài đơn vị thay đổi mỗi lần sắp xếp lại; hãy kiểm tra chắc chắn đây là đúng tệp danh sách của cả thành phố. Nếu đúng, hãy xác nhận thêm một lần nữa để thay danh sách (các kỳ đã dùng vẫn giữ danh sách cũ).`;
}

/** The attribute columns of a list, in the order they first appear. */
export function attributeNames(units: Unit[]): string[] {
  const out = new Set<string>();
  for (const u of units) for (const k of Object.keys(u.attributes ?? {})) out.add(k);
  return [...out];
}

/**
 * A unit list as CSV: UTF-8 with a BOM (Excel then reads the Vietnamese names right), columns
 * code,type,name,first_period and then one per attribute (co_hdnd, …), so it imports back the same.
 */
export function unitListCsv(units: Unit[]): Buffer {
  const attrs = attributeNames(units);
  const text = Papa.unparse(
    {
      fields: ['code', 'type', 'name', 'first_period', ...attrs],
      data: units.map((u) => [u.code, u.type, u.name, u.firstPeriod ?? '', ...attrs.map((a) => u.attributes?.[a] ?? '')]),
    },
    { newline: '\r\n' },
  );
  return Buffer.from('\uFEFF' + text + '\r\n', 'utf8');
}

export interface UnitListChanges {
  added: Unit[];
  removed: Unit[];
  renamed: { code: string; before: string; after: string }[];
  /** Units kept whose first period (the first period the city expects them) is set, moved or cleared. */
  firstPeriods: { code: string; name: string; before: string | null; after: string | null }[];
  /** Units kept whose attributes (the list's other columns) change; null: none. */
  attributes: { code: string; name: string; before: Record<string, string> | null; after: Record<string, string> | null }[];
}

const sameAttributes = (a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean => {
  const ka = Object.keys(a ?? {});
  return ka.length === Object.keys(b ?? {}).length && ka.every((k) => a![k] === b?.[k]);
};

export function compareUnitLists(before: Unit[], after: Unit[]): UnitListChanges {
  const old = new Map(before.map((u) => [u.code, u]));
  const next = new Map(after.map((u) => [u.code, u]));
  return {
    added: after.filter((u) => !old.has(u.code)),
    removed: before.filter((u) => !next.has(u.code)),
    renamed: after
      .filter((u) => old.has(u.code) && (old.get(u.code)!.name !== u.name || old.get(u.code)!.type !== u.type))
      .map((u) => ({ code: u.code, before: old.get(u.code)!.name, after: u.name })),
    firstPeriods: after
      .filter((u) => old.has(u.code) && (old.get(u.code)!.firstPeriod ?? null) !== (u.firstPeriod ?? null))
      .map((u) => ({ code: u.code, name: u.name, before: old.get(u.code)!.firstPeriod ?? null, after: u.firstPeriod ?? null })),
    attributes: after
      .filter((u) => old.has(u.code) && !sameAttributes(old.get(u.code)!.attributes, u.attributes))
      .map((u) => ({ code: u.code, name: u.name, before: old.get(u.code)!.attributes ?? null, after: u.attributes ?? null })),
  };
}

/** A unit as stored (columns first_period, attributes_json) as the contract has it (firstPeriod and attributes only when set). */
export function unitOfRow({
  first_period,
  attributes_json,
  ...u
}: Unit & { first_period: string | null; attributes_json?: string | null }): Unit {
  let attributes: Record<string, string> | undefined;
  if (attributes_json) {
    const parsed = JSON.parse(attributes_json) as Record<string, string>;
    if (Object.keys(parsed).length) attributes = parsed;
  }
  return { ...u, ...(first_period ? { firstPeriod: first_period } : {}), ...(attributes ? { attributes } : {}) };
}

/** A unit's attributes as stored (attributes_json): a JSON object, or null when it has none. */
export const attributesJson = (u: Unit): string | null =>
  u.attributes && Object.keys(u.attributes).length ? JSON.stringify(u.attributes) : null;
