import { formatNumber } from './format.js';
import type { AttachmentRef } from './template/schema.js';

/** Attachments (a scanned decision, a signed page): what both sides agree on. Pure, no Node. */

/** One file's cap when the item does not say (`maxBytes`): 5 MB. */
export const DEFAULT_MAX_BYTES = 5 * 1024 * 1024;
/** The most an item may allow for one file: 20 MB. */
export const MAX_MAX_BYTES = 20 * 1024 * 1024;
/** The folder of a zip package that holds the attachments, beside the .xlsx package. */
export const ATTACHMENT_DIR = 'tep-dinh-kem';

export type AttachmentMime = AttachmentRef['mime'];

/** The kind of a file by its first bytes (never by its name): PDF, PNG or JPEG, otherwise null. */
export function sniffMime(bytes: Uint8Array): AttachmentMime | null {
  const b = bytes;
  if (b.length >= 5 && b[0] === 0x25 && b[1] === 0x50 && b[2] === 0x44 && b[3] === 0x46 && b[4] === 0x2d) return 'application/pdf';
  if (
    b.length >= 8 &&
    b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47 &&
    b[4] === 0x0d && b[5] === 0x0a && b[6] === 0x1a && b[7] === 0x0a
  )
    return 'image/png';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg';
  return null;
}

/** A size the Vietnamese way: "850 byte", "340 KB", "6,2 MB". */
export function formatBytes(n: number): string {
  if (n < 1024) return `${formatNumber(n, 0)} byte`;
  if (n < 1024 * 1024) return `${formatNumber(Math.round(n / 1024), 0)} KB`;
  return `${formatNumber(Math.round((n / (1024 * 1024)) * 10) / 10, 1)} MB`;
}

/** A file name safe inside a zip folder and on any disk: no path, no control or reserved characters. */
export function safeFileName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex
  const clean = base.replace(/[\u0000-\u001f<>:"|?*]/g, '_').replace(/^\.+/, '').trim();
  return (clean || 'tep').slice(0, 200);
}
