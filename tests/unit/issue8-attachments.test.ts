/**
 * Issue 8 item 4, the pure parts: what a file is (by its first bytes, never its name), sizes the
 * Vietnamese way, safe names inside a package zip, the references of a return and their match with
 * the files carried beside a package.
 */
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { formatBytes, safeFileName, sniffMime } from '../../shared/attachments.js';
import { attachmentRefs, checkFile, matchCarried, packageZip, sha256Of } from '../../core/attachments/index.js';
import { openPackageArchive } from '../../core/city/zip.js';

const PDF = Buffer.from('%PDF-1.7\n%%EOF\n');
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
const JPG = Buffer.from([0xff, 0xd8, 0xff, 0xdb, 0, 1, 2]);

describe('attachments: kinds, sizes, names', () => {
  it('tells PDF, PNG and JPEG by their first bytes, and nothing else', () => {
    expect(sniffMime(PDF)).toBe('application/pdf');
    expect(sniffMime(PNG)).toBe('image/png');
    expect(sniffMime(JPG)).toBe('image/jpeg');
    expect(sniffMime(Buffer.from('MZ\x90\x00', 'latin1'))).toBeNull(); // a Windows program
    expect(sniffMime(Buffer.from('PK\x03\x04', 'latin1'))).toBeNull(); // a zip, a .docx
    expect(sniffMime(Buffer.from('%PD'))).toBeNull();
    expect(sniffMime(new Uint8Array(0))).toBeNull();
  });

  it('says sizes the Vietnamese way', () => {
    expect(formatBytes(850)).toBe('850 byte');
    expect(formatBytes(340 * 1024)).toBe('340 KB');
    expect(formatBytes(5 * 1024 * 1024)).toBe('5 MB');
    expect(formatBytes(6.2 * 1024 * 1024)).toBe('6,2 MB');
  });

  it('keeps a name without its folders or reserved characters', () => {
    expect(safeFileName('C:\\Quét\\Quyết định 12.pdf')).toBe('Quyết định 12.pdf');
    expect(safeFileName('../../etc/passwd')).toBe('passwd');
    expect(safeFileName('a:b?c*.png')).toBe('a_b_c_.png');
    expect(safeFileName('...')).toBe('tep');
  });

  it('refuses a file over the cap (default 5 MB, at most 20 MB), empty, or of another kind', () => {
    expect(checkFile(PDF, 'qd.pdf')).toMatchObject({ name: 'qd.pdf', mime: 'application/pdf', size: PDF.length, sha256: sha256Of(PDF) });
    expect(() => checkFile(Buffer.concat([PDF, Buffer.alloc(5 * 1024 * 1024)]), 'lon.pdf')).toThrow(/vượt mức cho phép 5 MB/);
    expect(() => checkFile(Buffer.concat([PDF, Buffer.alloc(21 * 1024 * 1024)]), 'lon.pdf', 50 * 1024 * 1024)).toThrow(/vượt mức cho phép 20 MB/);
    expect(() => checkFile(new Uint8Array(0), 'rong.pdf')).toThrow(/rỗng/);
    expect(() => checkFile(Buffer.from('MZ\x90\x00', 'latin1'), 'x.pdf')).toThrow(/không phải PDF, PNG hay JPG/);
  });
});

describe('attachments: references and the files beside a package', () => {
  const decision = checkFile(PDF, 'qd.pdf');
  const page = checkFile(PNG, 'trang.png');
  const values = { a: { qd: decision, n: 3 }, b: { rows: [{ f: page }, { f: null }] } };
  const label = (p: string) => `ô ${p}`;

  it('finds every reference with its path', () => {
    expect(attachmentRefs(values)).toEqual([
      { path: 'a.qd', ref: decision },
      { path: 'b.rows.0.f', ref: page },
    ]);
  });

  it('matches carried files by content; a different or missing file refuses, naming the cell and the file', () => {
    const ok = matchCarried(attachmentRefs(values), [{ name: 'qd.pdf', bytes: PDF }, { name: 'trang.png', bytes: PNG }], () => false, label);
    expect('keep' in ok && ok.keep.length).toBe(2);
    const swapped = matchCarried(attachmentRefs(values), [{ name: 'qd.pdf', bytes: Buffer.from('%PDF-1.7 other') }, { name: 'trang.png', bytes: PNG }], () => false, label);
    expect('refusal' in swapped && swapped.refusal).toMatch(/Tệp đính kèm "qd.pdf" của ô "ô a.qd" trong gói khác với tệp đã ghi khi nộp/);
    const missing = matchCarried(attachmentRefs(values), [{ name: 'qd.pdf', bytes: PDF }], () => false, label);
    expect('refusal' in missing && missing.refusal).toMatch(/Gói thiếu tệp đính kèm "trang.png" của ô "ô b.rows.0.f"/);
    // Already stored here: nothing needs to be carried.
    expect('keep' in matchCarried(attachmentRefs(values), [], () => true, label)).toBe(true);
  });

  it('a package zip opens into its workbook and attachments; two files of one name stay apart', () => {
    const other = checkFile(Buffer.from('%PDF-1.7 second'), 'qd.pdf');
    const zip = packageZip('BC_1_2026-Q2_r1.xlsx', Buffer.from('xlsx bytes'), [
      { ref: decision, bytes: PDF },
      { ref: other, bytes: Buffer.from('%PDF-1.7 second') },
    ]);
    const opened = openPackageArchive({ name: 'goi.zip', bytes: zip })!;
    expect(Buffer.from(opened.bytes).toString()).toBe('xlsx bytes');
    expect(opened.attachments!.map((a) => a.name).sort()).toEqual([`${other.sha256.slice(0, 8)}-qd.pdf`, 'qd.pdf']);
    // Not a package zip: a workbook, an archive of packages, not a zip at all.
    expect(openPackageArchive({ name: 'x.zip', bytes: zipSync({ 'a.xlsx': Buffer.from('1'), 'b.xlsx': Buffer.from('2') }) })).toBeNull();
    expect(openPackageArchive({ name: 'x.xlsx', bytes: Buffer.from('not a zip') })).toBeNull();
    // Paths that leave the folder do not make a package zip.
    expect(openPackageArchive({ name: 'x.zip', bytes: zipSync({ 'a.xlsx': Buffer.from('1'), 'tep-dinh-kem/../../b.pdf': PDF }) })).toBeNull();
  });
});
