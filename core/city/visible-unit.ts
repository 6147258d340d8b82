/**
 * The unit a package shows to a person: every biểu's heading reads
 * "Đơn vị báo cáo: <name> (mã đơn vị <code>)" (core/xlsx/write.ts). On import the visible cells
 * are the truth, so a package whose identity names one unit while its sheets show another is
 * refused. The headings are found among the workbook's shared strings, which Excel, LibreOffice
 * and ExcelJS all write; only that one part of the (already read and guarded) file is expanded.
 *
 * TODO(core/xlsx owner): readPackage could return the unit its headings show; this then goes.
 */
import { strFromU8, unzipSync } from 'fflate';

const SHARED_STRINGS = 'xl/sharedStrings.xml';
const MAX_BYTES = 20 * 1024 * 1024;

/** The unit codes shown in the package's headings (empty when none can be found). */
export function shownUnitCodes(xlsx: Uint8Array): string[] {
  let part: Uint8Array | undefined;
  try {
    part = unzipSync(xlsx, {
      filter: (f) => f.name === SHARED_STRINGS && f.originalSize <= MAX_BYTES && f.originalSize <= 1000 * Math.max(f.size, 1),
    })[SHARED_STRINGS];
  } catch {
    return [];
  }
  if (!part) return [];
  const text = strFromU8(part);
  const codes = new Set<string>();
  const MARK = 'Đơn vị báo cáo:';
  for (let at = text.indexOf(MARK); at >= 0; at = text.indexOf(MARK, at + MARK.length)) {
    // The rest of this shared string, its rich-text runs joined.
    const end = text.indexOf('</si>', at);
    const plain = text.slice(at, end < 0 ? undefined : end).replace(/<[^>]*>/g, '');
    const m = /\(mã đơn vị\s+([^)\s]+)\s*\)/.exec(plain);
    if (m) codes.add(m[1]!.replace(/&amp;/g, '&'));
  }
  return [...codes];
}
