/**
 * The guard in front of every package a clerk imports: a .xlsx is a zip of XML parts, and a file
 * received by email or USB may be broken or hostile. Before anything is parsed:
 * - the zip's central directory is read and checked (not a zip, truncated, too many parts, declared
 *   sizes and compression ratios over the limits: a zip bomb is refused before a byte is inflated);
 * - every part is inflated in small steps that stop as soon as the ACTUAL bytes exceed the declared
 *   size or a limit (a bomb that lies about its sizes is refused without being expanded);
 * - XML parts with a DOCTYPE or ENTITY declaration are refused (entity expansion, external entities);
 * - a worksheet that is too big or declares an absurd number of rows is refused.
 * Every refusal is an AppError with a Vietnamese message saying what to do; `details.reason` says which check.
 */
import zlib from 'node:zlib';
import { AppError } from '../../shared/index.js';

export const LIMITS = {
  /** The file itself (a package is about 40 KB). */
  maxFileBytes: 20 * 1024 * 1024,
  /** Parts in the zip (a package has about 25). */
  maxEntries: 500,
  /** All parts together once inflated, declared and actual. */
  maxTotalBytes: 50 * 1024 * 1024,
  /** One part once inflated. */
  maxEntryBytes: 20 * 1024 * 1024,
  /** Compression ratio allowed for a large part (XML compresses about 10:1; bombs 1000:1). */
  maxRatio: 200,
  /** The ratio is only checked for parts at least this large once inflated. */
  ratioFromBytes: 1024 * 1024,
  /** One worksheet part once inflated (a package sheet is about 25 KB). */
  maxSheetBytes: 5 * 1024 * 1024,
  /** Rows of a worksheet (a package sheet has about 60). */
  maxRows: 100_000,
};
export type Limits = typeof LIMITS;

export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflated. */
  method: number;
  flags: number;
  crc: number;
  compressedSize: number;
  /** The uncompressed size declared by the central directory. */
  size: number;
  localOffset: number;
}

const mb = (n: number) => `${(n / 1024 / 1024).toLocaleString('vi-VN', { maximumFractionDigits: 1 })} MB`;
const count = (n: number) => n.toLocaleString('vi-VN');
const RESEND =
  'Ứng dụng đã từ chối tệp và không mở nó. Hãy xóa tệp này và đề nghị đơn vị gửi lại đúng tệp gói báo cáo được xuất từ ứng dụng.';

export const GUARD_MESSAGES = {
  corrupt:
    'Không đọc được tệp: tệp không phải là tệp Excel (.xlsx) hoặc đã bị hỏng, thiếu dữ liệu (có thể do tải về hoặc sao chép chưa xong). Hãy lấy lại tệp gốc (hoặc xuất lại gói từ ứng dụng) rồi nhập lại.',
  oldXls:
    'Tệp này là tệp Excel cũ (.xls) hoặc tệp Excel đã đặt mật khẩu, ứng dụng chỉ đọc tệp .xlsx không đặt mật khẩu. Hãy dùng đúng tệp gói báo cáo .xlsx được xuất từ ứng dụng; nếu đã mở và sửa trong Excel, hãy bỏ mật khẩu và lưu lại với định dạng "Excel Workbook (*.xlsx)".',
  encrypted:
    'Tệp có phần dữ liệu được mã hóa (đặt mật khẩu) nên ứng dụng không đọc được. Hãy bỏ mật khẩu, lưu lại tệp với định dạng "Excel Workbook (*.xlsx)" rồi nhập lại, hoặc xuất lại gói từ ứng dụng.',
  fileTooBig: (size: number, max: number) =>
    `Tệp quá lớn (${mb(size)}, tối đa ${mb(max)}) nên không thể là gói báo cáo (một gói chỉ khoảng 40 KB). ${RESEND}`,
  tooManyEntries: (n: number, max: number) =>
    `Tệp có quá nhiều thành phần bên trong (${count(n)}, tối đa ${count(max)}) nên không phải là gói báo cáo và có thể là tệp độc hại. ${RESEND}`,
  bomb: (size: number, max: number) =>
    `Tệp khi giải nén sẽ lớn tới ${mb(size)} (tối đa ${mb(max)}): đây là tệp nén bất thường, có thể là tệp độc hại ("bom nén"). ${RESEND}`,
  ratio: (name: string, ratio: number, max: number) =>
    `Một thành phần của tệp (${name}) bị nén với tỷ lệ bất thường (${count(Math.round(ratio))}:1, tối đa ${max}:1): có thể là tệp độc hại ("bom nén"). ${RESEND}`,
  lying: (name: string) =>
    `Một thành phần của tệp (${name}) giải nén ra nhiều dữ liệu hơn kích thước tệp tự khai báo: tệp đã bị hỏng hoặc bị làm sai có chủ ý (có thể là tệp độc hại). Ứng dụng đã dừng giải nén. ${RESEND}`,
  entity: (name: string) =>
    `Tệp chứa khai báo DOCTYPE/ENTITY trong dữ liệu XML (${name}); tệp Excel, LibreOffice bình thường không có khai báo này và nó có thể được dùng để tấn công máy tính. ${RESEND}`,
  encoding: (name: string) =>
    `Tệp có phần dữ liệu (${name}) được ghi theo bảng mã mà ứng dụng không đọc (chỉ đọc UTF-8). Hãy mở tệp bằng Excel hoặc LibreOffice, lưu lại với định dạng "Excel Workbook (*.xlsx)" rồi nhập lại, hoặc xuất lại gói từ ứng dụng.`,
  sheetTooBig: (name: string, size: number, max: number) =>
    `Một trang tính của tệp (${name}) quá lớn (${mb(size)}, tối đa ${mb(max)}); một gói báo cáo chỉ có vài trăm ô. ${RESEND}`,
  tooManyRows: (name: string, rows: number, max: number) =>
    `Một trang tính của tệp (${name}) có tới ${count(rows)} dòng (tối đa ${count(max)}); một gói báo cáo chỉ có vài trăm dòng. ${RESEND}`,
};

const corrupt = (why: string, cause?: unknown) =>
  new AppError('corrupt_file', GUARD_MESSAGES.corrupt, { reason: why }, cause ? { cause } : undefined);
const refused = (reason: string, message: string) => new AppError('refused', message, { reason });

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_END = 0x06054b50;
const SIG_END64 = 0x06064b50;
const SIG_END64_LOCATOR = 0x07064b50;
const OLE = 0xe011cfd0; // d0 cf 11 e0 read little-endian: .xls and password-protected .xlsx

const utf8 = new TextDecoder('utf-8');
const latin1 = new TextDecoder('latin1');

/** A worksheet part by its name (where every writer puts them). */
export const isWorksheetPart = (name: string) => /(^|\/)worksheets\/[^/]+\.xml$/i.test(name);

/**
 * The entries of a zip from its central directory, refusing what is not a zip, truncated or
 * inconsistent (corrupt_file), and too many entries, declared sizes or ratios over the limits (refused).
 * Nothing is inflated here.
 */
export function inspectZip(bytes: Uint8Array, limits: Limits = LIMITS): ZipEntry[] {
  const n = bytes.length;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (n >= 4 && dv.getUint32(0, true) === OLE)
    throw new AppError('corrupt_file', GUARD_MESSAGES.oldXls, { reason: 'ole' });
  if (n < 22 || dv.getUint32(0, true) !== SIG_LOCAL) throw corrupt('not_zip');
  if (n > limits.maxFileBytes) throw refused('file_too_big', GUARD_MESSAGES.fileTooBig(n, limits.maxFileBytes));

  // End of central directory: the last 22 bytes, or earlier when the zip has a comment.
  let end = -1;
  for (let i = n - 22; i >= Math.max(0, n - 22 - 0xffff); i--)
    if (dv.getUint32(i, true) === SIG_END && i + 22 + dv.getUint16(i + 20, true) <= n) {
      end = i;
      break;
    }
  if (end < 0) throw corrupt('no_central_directory'); // truncated (or not a zip)
  let total = dv.getUint16(end + 10, true);
  let cdSize = dv.getUint32(end + 12, true);
  let cdOffset = dv.getUint32(end + 16, true);
  if (total === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    // Zip64: the locator sits just before the end record and points at the zip64 end record.
    const loc = end - 20;
    if (loc < 0 || dv.getUint32(loc, true) !== SIG_END64_LOCATOR) throw corrupt('bad_zip64');
    const rec = u64(dv, loc + 8);
    if (rec + 56 > n || dv.getUint32(rec, true) !== SIG_END64) throw corrupt('bad_zip64');
    total = u64(dv, rec + 32);
    cdSize = u64(dv, rec + 40);
    cdOffset = u64(dv, rec + 48);
  }
  if (total > limits.maxEntries)
    throw refused('too_many_entries', GUARD_MESSAGES.tooManyEntries(total, limits.maxEntries));
  if (cdOffset + cdSize > n) throw corrupt('central_directory_out_of_file');

  const entries: ZipEntry[] = [];
  const names = new Set<string>();
  let declared = 0;
  let p = cdOffset;
  for (let k = 0; k < total; k++) {
    if (p + 46 > n || dv.getUint32(p, true) !== SIG_CENTRAL) throw corrupt('bad_central_entry');
    const flags = dv.getUint16(p + 8, true);
    const method = dv.getUint16(p + 10, true);
    const crc = dv.getUint32(p + 16, true);
    let compressedSize = dv.getUint32(p + 20, true);
    let size = dv.getUint32(p + 24, true);
    const nameLen = dv.getUint16(p + 28, true);
    const extraLen = dv.getUint16(p + 30, true);
    const commentLen = dv.getUint16(p + 32, true);
    let localOffset = dv.getUint32(p + 42, true);
    const next = p + 46 + nameLen + extraLen + commentLen;
    if (next > n) throw corrupt('bad_central_entry');
    const name = (flags & 0x800 ? utf8 : latin1).decode(bytes.subarray(p + 46, p + 46 + nameLen));
    if (size === 0xffffffff || compressedSize === 0xffffffff || localOffset === 0xffffffff) {
      // Zip64 extra field: the 8-byte values of the fields that are 0xffffffff, in this order.
      let e = p + 46 + nameLen;
      const eEnd = e + extraLen;
      for (; e + 4 <= eEnd; e += 4 + dv.getUint16(e + 2, true)) {
        if (dv.getUint16(e, true) !== 1) continue;
        let q = e + 4;
        if (size === 0xffffffff) {
          size = u64(dv, q);
          q += 8;
        }
        if (compressedSize === 0xffffffff) {
          compressedSize = u64(dv, q);
          q += 8;
        }
        if (localOffset === 0xffffffff) localOffset = u64(dv, q);
        break;
      }
    }
    p = next;
    if (name.endsWith('/') && size === 0) continue; // a folder
    if (names.has(name)) throw corrupt('duplicate_entry');
    names.add(name);
    if (flags & 1) throw new AppError('corrupt_file', GUARD_MESSAGES.encrypted, { reason: 'encrypted' });
    if (method !== 0 && method !== 8) throw corrupt('unsupported_compression');
    if (method === 0 && size !== compressedSize) throw corrupt('stored_size_mismatch');
    if (isWorksheetPart(name) && size > limits.maxSheetBytes)
      throw refused('sheet_too_big', GUARD_MESSAGES.sheetTooBig(name, size, limits.maxSheetBytes));
    if (size > limits.maxEntryBytes) throw refused('zip_bomb', GUARD_MESSAGES.bomb(size, limits.maxEntryBytes));
    declared += size;
    if (declared > limits.maxTotalBytes) throw refused('zip_bomb', GUARD_MESSAGES.bomb(declared, limits.maxTotalBytes));
    if (size >= limits.ratioFromBytes && size / Math.max(1, compressedSize) > limits.maxRatio)
      throw refused('zip_bomb', GUARD_MESSAGES.ratio(name, size / Math.max(1, compressedSize), limits.maxRatio));
    entries.push({ name, method, flags, crc, compressedSize, size, localOffset });
  }
  return entries;
}

function u64(dv: DataView, at: number): number {
  return dv.getUint32(at, true) + dv.getUint32(at + 4, true) * 0x100000000;
}

/** The compressed bytes of an entry, found through its local header. */
function entryData(bytes: Uint8Array, e: ZipEntry): Uint8Array {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = e.localOffset;
  if (at + 30 > bytes.length || dv.getUint32(at, true) !== SIG_LOCAL) throw corrupt('bad_local_header');
  const start = at + 30 + dv.getUint16(at + 26, true) + dv.getUint16(at + 28, true);
  if (start + e.compressedSize > bytes.length) throw corrupt('truncated_entry');
  return bytes.subarray(start, start + e.compressedSize);
}

/**
 * Inflate one entry. zlib stops as soon as the bytes that come out exceed the declared size (its
 * output is produced and counted in small chunks), so a bomb that lies about its size is refused
 * after at most its declared size — which was checked against the limits — not after expanding.
 */
export function inflateEntry(bytes: Uint8Array, e: ZipEntry): Uint8Array {
  const data = entryData(bytes, e);
  let out: Uint8Array;
  if (e.method === 0) out = data;
  else {
    try {
      out = zlib.inflateRawSync(data, { maxOutputLength: Math.max(1, e.size) });
    } catch (x) {
      if ((x as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE')
        throw refused('zip_bomb_lying', GUARD_MESSAGES.lying(e.name));
      throw corrupt('bad_deflate', x);
    }
    if (out.length !== e.size) throw corrupt('size_mismatch');
  }
  if (typeof zlib.crc32 === 'function' && zlib.crc32(out) >>> 0 !== e.crc >>> 0) throw corrupt('bad_crc');
  return out;
}

const LT = 0x3c; // <
const DOCTYPE = [...'DOCTYPE'].map((c) => c.charCodeAt(0));
const ENTITY = [...'ENTITY'].map((c) => c.charCodeAt(0));
const startsWith = (b: Uint8Array, at: number, word: number[]) => word.every((c, i) => b[at + i] === c);
const isXmlPart = (name: string) => /\.(xml|rels|vml)$/i.test(name);

/** Refuse an XML part with a DOCTYPE or ENTITY declaration, or not in UTF-8 (so that the check above could be fooled). */
export function checkXml(name: string, b: Uint8Array): void {
  if (
    (b[0] === 0xff && b[1] === 0xfe) ||
    (b[0] === 0xfe && b[1] === 0xff) ||
    (b.length > 1 && (b[0] === 0 || b[1] === 0))
  )
    throw refused('xml_encoding', GUARD_MESSAGES.encoding(name));
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  for (let i = buf.indexOf('<!'); i >= 0; i = buf.indexOf('<!', i + 2))
    if (startsWith(b, i + 2, DOCTYPE) || startsWith(b, i + 2, ENTITY))
      throw refused('xml_entity', GUARD_MESSAGES.entity(name));
}

/** Refuse a worksheet whose declared dimension (at its start) or size is absurd, before it is parsed. */
export function checkSheet(name: string, b: Uint8Array, limits: Limits = LIMITS): void {
  if (b.length > limits.maxSheetBytes)
    throw refused('sheet_too_big', GUARD_MESSAGES.sheetTooBig(name, b.length, limits.maxSheetBytes));
  const head = latin1.decode(b.subarray(0, 4096));
  const m = /<(?:\w+:)?dimension\s+ref="[A-Za-z]*(\d*)(?::[A-Za-z]*(\d+))?"/.exec(head);
  const rows = m ? Math.max(Number(m[1] || 0), Number(m[2] || 0)) : 0;
  if (rows > limits.maxRows) throw refused('too_many_rows', GUARD_MESSAGES.tooManyRows(name, rows, limits.maxRows));
}

/** The row-count refusal, for the parser that counts rows as it goes. */
export const tooManyRows = (name: string, rows: number, limits: Limits = LIMITS) =>
  refused('too_many_rows', GUARD_MESSAGES.tooManyRows(name, rows, limits.maxRows));

/**
 * Open a zip under the guard: every entry checked and inflated within the limits, every XML part
 * free of DOCTYPE/ENTITY, every worksheet within its size and row count. Returns the parts by name.
 */
export function openZip(bytes: Uint8Array, limits: Limits = LIMITS): Map<string, Uint8Array> {
  const entries = inspectZip(bytes, limits);
  const parts = new Map<string, Uint8Array>();
  let actual = 0;
  for (const e of entries) {
    const b = inflateEntry(bytes, e);
    actual += b.length;
    if (actual > limits.maxTotalBytes) throw refused('zip_bomb', GUARD_MESSAGES.bomb(actual, limits.maxTotalBytes));
    if (isXmlPart(e.name) || b[0] === LT) checkXml(e.name, b);
    if (isWorksheetPart(e.name)) checkSheet(e.name, b, limits);
    parts.set(e.name, b);
  }
  return parts;
}
