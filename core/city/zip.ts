/**
 * Expanding a .zip archive of packages (fflate), guarded against zip bombs: the declared sizes,
 * the number of entries and the compression ratio are checked before anything is expanded, then
 * the actual expanded sizes are counted in a first streaming pass that keeps nothing, so a lying
 * archive is refused as a whole before any package in it is parsed. The second pass hands the
 * entries out one at a time (memory does not grow with the number of entries).
 */
import path from 'node:path';
import { Unzip, UnzipInflate, unzipSync } from 'fflate';
import type { UnzipFile } from 'fflate';
import type { CarriedFile } from '../attachments/index.js';
import { ATTACHMENT_DIR } from '../attachments/index.js';

export interface IncomingFile {
  /** The name shown to the clerk ("archive.zip › inner/name.xlsx" for an entry of an archive). */
  name: string;
  bytes: Uint8Array;
  /** A package sent as a .zip with its attachments (`tep-dinh-kem/`): the files beside the .xlsx in `bytes`. */
  attachments?: CarriedFile[];
}

export const ZIP_LIMITS = {
  maxArchiveBytes: 1024 * 1024 * 1024,
  maxEntries: 10_000,
  /**
   * A package is about 40 KB; a workbook of a few MB is already suspicious. But a package zip inside an
   * archive of packages carries its attachments (up to 20 MB each): 64 MB per entry.
   */
  maxEntryBytes: 64 * 1024 * 1024,
  maxTotalBytes: 2 * 1024 * 1024 * 1024,
  /** Packages are already compressed (ratio ≈ 1); a bomb is near 1000. Checked for entries above 1 MB. */
  maxRatio: 100,
};
export type ZipLimits = typeof ZIP_LIMITS;

/** Why an archive was refused: a Vietnamese sentence that says what to do. */
export class ArchiveRefusal extends Error {}

const BOMB =
  'Tệp nén có kích thước giải nén bất thường (nghi là "bom nén" làm treo máy) nên không được mở. Hãy yêu cầu đơn vị gửi lại các tệp gói báo cáo .xlsx, hoặc nén lại các tệp gói bằng công cụ nén thông thường.';
const CORRUPT =
  'Tệp nén (.zip) bị hỏng hoặc không phải tệp nén (có thể do tải về hoặc sao chép chưa xong). Hãy lấy lại tệp gốc rồi nhập lại.';

export function looksLikeZipArchive(name: string): boolean {
  return /\.zip$/i.test(name);
}

/** A workbook sent with a .zip name is still a workbook: its entries say so. */
function isWorkbook(names: string[]): boolean {
  return names.includes('[Content_Types].xml') && names.includes('xl/workbook.xml');
}

/** Entries an archiver or an OS adds that are not meant as files of the clerk. */
function isNoise(name: string): boolean {
  const base = path.posix.basename(name);
  return name.endsWith('/') || name.startsWith('__MACOSX/') || base.startsWith('.') || /^(thumbs\.db|desktop\.ini)$/i.test(base);
}

interface Entry {
  name: string;
  declared: number;
}

/**
 * A package with attachments: one .xlsx and the folder `tep-dinh-kem/` beside it (at the root or in one
 * folder); answers the workbook's entry name, or null for any other archive.
 */
function packageWorkbook(entries: Entry[]): string | null {
  const books = entries.filter((e) => /\.xlsx$/i.test(e.name) && !e.name.includes(`${ATTACHMENT_DIR}/`));
  if (books.length !== 1) return null;
  const dir = path.posix.dirname(books[0]!.name);
  const folder = `${dir === '.' ? '' : `${dir}/`}${ATTACHMENT_DIR}/`;
  const others = entries.filter((e) => e !== books[0]);
  return others.length > 0 && others.every((e) => e.name.startsWith(folder) && !e.name.slice(folder.length).includes('/')) ? books[0]!.name : null;
}

/** Expand a package zip (checked sizes first) into its workbook and the attachments beside it. */
function packageOf(archive: IncomingFile, entries: Entry[], book: string, limits: ZipLimits): IncomingFile {
  checkActualSizes(archive.bytes, new Map(entries.map((e) => [e.name, e.declared])), limits);
  const files = new Map<string, Uint8Array>();
  const slices = stream(archive.bytes, (file) => {
    if (isNoise(file.name)) return null;
    const chunks: Uint8Array[] = [];
    return (chunk, final) => {
      chunks.push(chunk);
      if (final) files.set(file.name, concat(chunks));
    };
  });
  for (const _ of slices);
  const attachments = [...files].filter(([n]) => n !== book).map(([n, bytes]) => ({ name: path.posix.basename(n), bytes }));
  return { name: archive.name, bytes: files.get(book) ?? new Uint8Array(0), attachments };
}

/** Read the central directory only (nothing is expanded) and check what it declares. */
function inspect(bytes: Uint8Array, limits: ZipLimits): { entries: Entry[]; workbook: boolean } {
  if (bytes.length > limits.maxArchiveBytes) throw new ArchiveRefusal(BOMB);
  const entries: Entry[] = [];
  const names: string[] = [];
  let total = 0;
  try {
    unzipSync(bytes, {
      filter: (f) => {
        names.push(f.name);
        if (names.length > limits.maxEntries) throw new ArchiveRefusal(BOMB);
        if (isNoise(f.name)) return false;
        total += f.originalSize;
        const ratio = f.originalSize / Math.max(f.size, 1);
        if (f.originalSize > limits.maxEntryBytes || total > limits.maxTotalBytes || (f.originalSize > 1024 * 1024 && ratio > limits.maxRatio))
          throw new ArchiveRefusal(BOMB);
        entries.push({ name: f.name, declared: f.originalSize });
        return false;
      },
    });
  } catch (e) {
    if (e instanceof ArchiveRefusal) throw e;
    throw new ArchiveRefusal(CORRUPT, { cause: e });
  }
  return { entries, workbook: isWorkbook(names) };
}

/**
 * Stream through the archive in small slices (so one slice of input expands to at most a few
 * MB), calling `visit` for every entry; a returned sink receives the expanded chunks. A generator
 * that pauses after each slice, so the caller can hand out what the slice completed.
 */
function* stream(bytes: Uint8Array, visit: (file: UnzipFile) => ((chunk: Uint8Array, final: boolean) => void) | null): Generator<void> {
  const SLICE = 16 * 1024;
  let failure: unknown;
  const unzip = new Unzip((file) => {
    const sink = visit(file);
    if (!sink) return;
    file.ondata = (err, chunk, final) => {
      if (failure) return;
      if (err) failure = err;
      else
        try {
          sink(chunk, final);
        } catch (e) {
          failure = e;
          file.terminate();
        }
    };
    file.start();
  });
  unzip.register(UnzipInflate);
  for (let at = 0; at < bytes.length; at += SLICE) {
    const end = Math.min(at + SLICE, bytes.length);
    try {
      unzip.push(bytes.subarray(at, end), end === bytes.length);
    } catch (e) {
      failure ??= e;
    }
    if (failure) throw failure instanceof ArchiveRefusal ? failure : new ArchiveRefusal(CORRUPT, { cause: failure });
    yield;
  }
}

/** Count the actual expanded size of every entry against what the archive declares; keep nothing. */
function checkActualSizes(bytes: Uint8Array, declared: Map<string, number>, limits: ZipLimits): void {
  let total = 0;
  const slices = stream(bytes, (file) => {
    if (isNoise(file.name)) return null;
    const max = Math.min(declared.get(file.name) ?? 0, limits.maxEntryBytes);
    let size = 0;
    return (chunk) => {
      size += chunk.length;
      total += chunk.length;
      if (size > max || total > limits.maxTotalBytes) throw new ArchiveRefusal(BOMB);
    };
  });
  for (const _ of slices);
}

export type ArchiveItem = { file: IncomingFile } | { name: string; refusal: string };

/**
 * The packages inside an archive, one at a time. Throws ArchiveRefusal (before yielding anything)
 * when the archive is corrupt or a bomb. An archive that is in fact a workbook is yielded as is.
 */
export function* expandArchive(archive: IncomingFile, limits: ZipLimits = ZIP_LIMITS): Generator<ArchiveItem> {
  const { entries, workbook } = inspect(archive.bytes, limits);
  if (workbook) {
    yield { file: archive };
    return;
  }
  const book = packageWorkbook(entries);
  if (book) {
    yield { file: packageOf(archive, entries, book, limits) };
    return;
  }
  if (!entries.length)
    throw new ArchiveRefusal('Tệp nén không chứa tệp nào. Hãy kiểm tra lại tệp nén, hoặc chọn trực tiếp các tệp gói báo cáo .xlsx.');
  checkActualSizes(archive.bytes, new Map(entries.map((e) => [e.name, e.declared])), limits);

  const queue: ArchiveItem[] = [];
  const label = (name: string) => `${archive.name} › ${name}`;
  const slices = stream(archive.bytes, (file) => {
    if (isNoise(file.name)) return null;
    const nested = looksLikeZipArchive(file.name);
    const chunks: Uint8Array[] = [];
    return (chunk, final) => {
      chunks.push(chunk);
      if (!final) return;
      const inner = { name: label(file.name), bytes: concat(chunks) };
      // A package zip (a package with its attachments) inside an archive of packages is opened; any other archive is not.
      const pkg = nested ? innerPackage(inner, limits) : null;
      if (nested && !pkg)
        queue.push({
          name: inner.name,
          refusal: 'Tệp nén nằm trong một tệp nén khác không được mở. Hãy giải nén tệp ngoài rồi chọn tệp nén bên trong.',
        });
      else queue.push({ file: pkg ?? inner });
    };
  });
  for (const _ of slices) while (queue.length) yield queue.shift()!;
}

/**
 * A package with its attachments (the .xlsx and `tep-dinh-kem/`) sent as one .zip, expanded; null when
 * the bytes are anything else (a workbook, an archive of packages, not a zip). Throws ArchiveRefusal for a bomb.
 */
export function openPackageArchive(file: IncomingFile, limits: ZipLimits = ZIP_LIMITS): IncomingFile | null {
  if (file.bytes[0] !== 0x50 || file.bytes[1] !== 0x4b) return null;
  let seen: { entries: Entry[]; workbook: boolean };
  try {
    seen = inspect(file.bytes, limits);
  } catch (e) {
    if (e instanceof ArchiveRefusal && e.message === BOMB) throw e;
    return null;
  }
  const book = seen.workbook ? null : packageWorkbook(seen.entries);
  return book ? packageOf(file, seen.entries, book, limits) : null;
}

/** A package zip inside an archive of packages, expanded; null for any other inner archive. */
function innerPackage(inner: IncomingFile, limits: ZipLimits): IncomingFile | null {
  try {
    const { entries, workbook } = inspect(inner.bytes, limits);
    const book = workbook ? null : packageWorkbook(entries);
    return book ? packageOf(inner, entries, book, limits) : null;
  } catch (e) {
    if (e instanceof ArchiveRefusal) return null;
    throw e;
  }
}

function concat(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(chunks.reduce((a, c) => a + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
