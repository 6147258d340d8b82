import type { Kysely } from 'kysely';
import type { Template } from '../../shared/template/schema.js';
import { AppError } from '../../shared/errors.js';
import type { DB } from '../db.js';
import { packageFileName } from '../packages.js';
import { attachmentRefs, packageZip, refLabel, zipNameOf } from './index.js';
import type { AttachmentRef } from '../../shared/template/schema.js';

/**
 * A submitted revision's package as it leaves the commune (Save As, the outbox): its .xlsx alone, or,
 * when it references attachments, a .zip named like the package with the .xlsx and `tep-dinh-kem/`.
 */
export async function revisionPackage(
  db: Kysely<DB>,
  packageId: string,
  getTemplate?: (id: string, version: number) => Template | undefined,
): Promise<{ fileName: string; bytes: Uint8Array; zipped: boolean }> {
  const r = await db
    .selectFrom('revisions as v')
    .innerJoin('returns as r', 'r.id', 'v.return_id')
    .select(['v.package', 'v.values_json', 'v.revision', 'v.template_version', 'r.template', 'r.unit', 'r.period'])
    .where('v.package_id', '=', packageId)
    .executeTakeFirstOrThrow();
  const xlsxName = packageFileName({ id: r.template }, r.unit, r.period, r.revision);
  const refs = attachmentRefs(JSON.parse(r.values_json));
  if (!refs.length) return { fileName: xlsxName, bytes: r.package, zipped: false };
  const t = getTemplate?.(r.template, r.template_version);
  const files: { ref: AttachmentRef; bytes: Uint8Array }[] = [];
  for (const { path, ref } of refs) {
    if (files.some((f) => f.ref.sha256 === ref.sha256)) continue;
    const row = await db.selectFrom('attachments').select('bytes').where('sha256', '=', ref.sha256).executeTakeFirst();
    if (!row)
      throw new AppError(
        'not_found',
        `Không tìm thấy tệp đính kèm "${ref.name}" của ô "${refLabel(t, path)}" trong cơ sở dữ liệu nên chưa lập được gói. Hãy khôi phục bản sao lưu gần nhất hoặc liên hệ hỗ trợ.`,
      );
    files.push({ ref, bytes: row.bytes });
  }
  return { fileName: zipNameOf(xlsxName), bytes: packageZip(xlsxName, r.package, files), zipped: true };
}
