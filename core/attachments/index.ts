/**
 * Attachments of file cells (issue 8 item 4): a scanned decision or a signed page, PDF, PNG or JPEG,
 * size-capped, checked by its first bytes. The bytes are kept once per sha256 in the `attachments`
 * table (commune and city); drafts and revisions hold only the AttachmentRef {name, size, mime, sha256}.
 * A package with attachments travels as a .zip: the .xlsx package beside a folder `tep-dinh-kem/`.
 */
import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import { zipSync } from 'fflate';
import { ATTACHMENT_DIR, DEFAULT_MAX_BYTES, MAX_MAX_BYTES, formatBytes, safeFileName, sniffMime } from '../../shared/attachments.js';
import { AppError } from '../../shared/errors.js';
import { AttachmentRefSchema } from '../../shared/template/schema.js';
import type { AttachmentRef, Template } from '../../shared/template/schema.js';
import { cellLabel } from '../../shared/template/model.js';

export { ATTACHMENT_DIR } from '../../shared/attachments.js';

/** A file carried beside a package (an entry of `tep-dinh-kem/` in a package zip). */
export interface CarriedFile {
  name: string;
  bytes: Uint8Array;
}

export function sha256Of(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The reference of a file a person chose; refused (AppError, nothing stored) when too big or not a PDF, PNG or JPEG. */
export function checkFile(bytes: Uint8Array, fileName: string, maxBytes?: number): AttachmentRef {
  const cap = Math.min(maxBytes ?? DEFAULT_MAX_BYTES, MAX_MAX_BYTES);
  const name = safeFileName(fileName);
  if (bytes.length > cap)
    throw new AppError(
      'refused',
      `Tệp "${name}" nặng ${formatBytes(bytes.length)}, vượt mức cho phép ${formatBytes(cap)} nên chưa được đính kèm. Hãy quét lại với độ phân giải thấp hơn hoặc nén tệp rồi chọn lại.`,
    );
  if (!bytes.length) throw new AppError('invalid_input', `Tệp "${name}" rỗng (0 byte) nên chưa được đính kèm. Hãy chọn lại đúng tệp bản quét.`);
  const mime = sniffMime(bytes);
  if (!mime)
    throw new AppError(
      'refused',
      `Tệp "${name}" không phải PDF, PNG hay JPG (theo nội dung tệp, không theo tên) nên chưa được đính kèm. Hãy chọn bản quét dạng PDF, PNG hoặc JPG.`,
    );
  return { name, size: bytes.length, mime, sha256: sha256Of(bytes) };
}

/** Whether a value is an attachment reference (a file cell's value). */
export function isAttachmentRef(v: unknown): v is AttachmentRef {
  return AttachmentRefSchema.safeParse(v).success;
}

export interface RefAt {
  /** The cell's path in the values (section.item, section.table.row.column, section.repeat.index.column). */
  path: string;
  ref: AttachmentRef;
}

/** Every attachment reference in a return's values, with the path of its cell. */
export function attachmentRefs(values: unknown): RefAt[] {
  const out: RefAt[] = [];
  const walk = (v: unknown, path: string[]) => {
    if (isAttachmentRef(v)) out.push({ path: path.join('.'), ref: v });
    else if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, String(i)]));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
  };
  walk(values, []);
  return out;
}

/** The cell's name for a person ("Biểu 09, Quyết định giao chỉ tiêu"); the path when the template cannot name it. */
export function refLabel(t: Template | undefined, path: string): string {
  if (!t) return path;
  try {
    return cellLabel(t, path) || path;
  } catch {
    return path;
  }
}

/** The stored attachments of one database (commune or city), through its better-sqlite3 connection (synchronous, so usable inside an import's transaction). */
export class AttachmentStore {
  constructor(
    private readonly sqlite: Database.Database,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Store bytes a person chose: checked (size, kind) then kept once per sha256. */
  add(bytes: Uint8Array, fileName: string, maxBytes?: number): AttachmentRef {
    const ref = checkFile(bytes, fileName, maxBytes);
    this.put(ref, bytes);
    return ref;
  }

  /** Keep bytes already checked against their reference (same content is kept once). */
  put(ref: AttachmentRef, bytes: Uint8Array): void {
    this.sqlite
      .prepare('INSERT OR IGNORE INTO attachments (sha256, name, mime, size, bytes, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(ref.sha256, ref.name, ref.mime, ref.size, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), this.now().toISOString());
  }

  has(sha256: string): boolean {
    return !!this.sqlite.prepare('SELECT 1 FROM attachments WHERE sha256 = ?').get(sha256);
  }

  get(sha256: string): { name: string; mime: AttachmentRef['mime']; bytes: Buffer } | undefined {
    const row = this.sqlite.prepare('SELECT name, mime, bytes FROM attachments WHERE sha256 = ?').get(sha256) as
      | { name: string; mime: AttachmentRef['mime']; bytes: Buffer }
      | undefined;
    return row;
  }

  /** The bytes of a reference, or a refusal that names the cell and the file. */
  require(ref: AttachmentRef, cell: string): Buffer {
    const row = this.get(ref.sha256);
    if (!row)
      throw new AppError(
        'not_found',
        `Không tìm thấy tệp đính kèm "${ref.name}" của ô "${cell}" trong cơ sở dữ liệu. Hãy mở báo cáo, chọn lại tệp cho ô này rồi thử lại.`,
      );
    return row.bytes;
  }
}

/** The names of the attachments inside a package zip: the reference's name, made unique when two files share one. */
function entryNames(refs: AttachmentRef[]): Map<string, string> {
  const bySha = new Map<string, string>();
  const used = new Set<string>();
  for (const r of refs) {
    if (bySha.has(r.sha256)) continue;
    let name = safeFileName(r.name);
    if (used.has(name.toLowerCase())) name = `${r.sha256.slice(0, 8)}-${name}`;
    used.add(name.toLowerCase());
    bySha.set(r.sha256, name);
  }
  return bySha;
}

/** A package with attachments as one .zip: `<package>.xlsx` and `tep-dinh-kem/<name>` for each file. */
export function packageZip(xlsxName: string, xlsx: Uint8Array, files: { ref: AttachmentRef; bytes: Uint8Array }[]): Uint8Array {
  const names = entryNames(files.map((f) => f.ref));
  // A fixed time on every entry: the same revision always makes the same bytes (a retried upload is recognised).
  const mtime = new Date(2000, 0, 1);
  const entries: Record<string, [Uint8Array, { level: 0 | 6; mtime: Date }]> = { [xlsxName]: [xlsx, { level: 0, mtime }] };
  // PDF, PNG and JPEG are compressed already: stored as they are.
  for (const f of files) entries[`${ATTACHMENT_DIR}/${names.get(f.ref.sha256)!}`] = [f.bytes, { level: 0, mtime }];
  return zipSync(entries);
}

/** The zip's name for a package's .xlsx name. */
export function zipNameOf(xlsxName: string): string {
  return xlsxName.replace(/\.xlsx$/i, '') + '.zip';
}

/**
 * Match a package's references with the files carried beside it (and those already stored):
 * every reference needs a file of the same content. Answers the files to keep, or the refusal
 * sentence naming the cell and the file.
 */
export function matchCarried(
  refs: RefAt[],
  carried: CarriedFile[],
  stored: (sha256: string) => boolean,
  label: (path: string) => string,
  /** What to do, ending the refusal sentence (default: ask the unit for the app's .zip again). */
  todo?: string,
): { keep: { ref: AttachmentRef; bytes: Uint8Array }[] } | { refusal: string } {
  const bySha = new Map<string, Uint8Array>();
  const byName = new Map<string, Uint8Array>();
  for (const f of carried) {
    bySha.set(sha256Of(f.bytes), f.bytes);
    const base = f.name.split('/').pop()!;
    byName.set(base.toLowerCase(), f.bytes);
  }
  const keep = new Map<string, { ref: AttachmentRef; bytes: Uint8Array }>();
  for (const { path, ref } of refs) {
    const bytes = bySha.get(ref.sha256);
    if (bytes) {
      if (bytes.length !== ref.size || sniffMime(bytes) !== ref.mime)
        return { refusal: differs(ref, label(path), todo) };
      keep.set(ref.sha256, { ref, bytes });
      continue;
    }
    const named = byName.get(safeFileName(ref.name).toLowerCase()) ?? byName.get(`${ref.sha256.slice(0, 8)}-${safeFileName(ref.name)}`.toLowerCase());
    if (named) return { refusal: differs(ref, label(path), todo) };
    if (stored(ref.sha256)) continue;
    return {
      refusal:
        `Gói thiếu tệp đính kèm "${ref.name}" của ô "${label(path)}" nên không được nhận; không có gì được lưu. ` +
        (todo ?? `Hãy gửi tệp .zip do ứng dụng xuất (gồm gói .xlsx và thư mục ${ATTACHMENT_DIR}), không chỉ riêng tệp .xlsx.`),
    };
  }
  return { keep: [...keep.values()] };
}

function differs(ref: AttachmentRef, cell: string, todo?: string): string {
  return (
    `Tệp đính kèm "${ref.name}" của ô "${cell}" trong gói khác với tệp đã ghi khi nộp (có thể đã bị thay hoặc hỏng) nên gói không được nhận; không có gì được lưu. ` +
    (todo ?? 'Hãy yêu cầu đơn vị xuất lại gói .zip từ ứng dụng rồi gửi lại.')
  );
}

/**
 * A package as it leaves the app (export to a file, the outbox): the .xlsx alone when the return has no
 * attachment, else a .zip named like the package holding the .xlsx and `tep-dinh-kem/`.
 */
export function packageFile(
  store: AttachmentStore,
  t: Template | undefined,
  values: unknown,
  xlsxName: string,
  xlsx: Uint8Array,
): { fileName: string; bytes: Uint8Array; zipped: boolean } {
  const refs = attachmentRefs(values);
  if (!refs.length) return { fileName: xlsxName, bytes: xlsx, zipped: false };
  const files = new Map<string, { ref: AttachmentRef; bytes: Uint8Array }>();
  for (const { path, ref } of refs) if (!files.has(ref.sha256)) files.set(ref.sha256, { ref, bytes: store.require(ref, refLabel(t, path)) });
  return { fileName: zipNameOf(xlsxName), bytes: packageZip(xlsxName, xlsx, [...files.values()]), zipped: true };
}
