/**
 * A package on a template the intake does not know (issue 8: templates the city writes itself).
 *
 * The city publishes templates in its own database; the intake learns them when the city pushes
 * them (PUT /reference/templates with the city's credential) and otherwise does not wait for that:
 * a package whose identity sheet is complete is stored on its identity alone, and the receipt says
 * the content was not checked here (`templateChecked: false`, a Vietnamese `note`). The city checks
 * it in full when it pulls the package (its import refuses what does not read against the template,
 * and that refusal reaches the commune as the decision "refused").
 */
import type { PackageIdentity } from '../../core/xlsx/index.js';
import type { PackageReceipt } from './api.js';

/** The identity of a package read from its identity sheet only (no template needed). */
export async function identityWithoutTemplate(body: Buffer): Promise<{ identity: PackageIdentity; editedOutside: boolean }> {
  const [{ openPackage }, { readIdentity }] = await Promise.all([
    import('../../core/xlsx/fast-read.js'),
    import('../../core/xlsx/read.js'),
  ]);
  const id = readIdentity(openPackage(body));
  return {
    identity: {
      template: id.template!,
      templateVersion: Number(id.templateVersion),
      unit: id.unit!,
      period: id.period!,
      hash: id.hash ?? '',
      packageId: id.packageId ?? '',
      revision: Number(id.revision),
      createdAt: id.createdAt ?? '',
      submittedAt: id.submittedAt || null,
      submittedBy: id.submittedBy || null,
      appVersion: id.appVersion ?? '',
      ...(id.draft === '1' ? { draft: true } : {}),
    },
    // Whether cells were changed in Excel is known only against the template: the city's import says it.
    editedOutside: false,
  };
}

/** The sentence a receipt carries when the intake could not check the package against its template. */
export function uncheckedNote(template: string, version: number): string {
  return `Máy chủ đã nhận gói nhưng chưa có mẫu ${template} phiên bản ${version} nên chưa kiểm tra nội dung; Thành phố sẽ kiểm tra khi nhận gói về. Nếu gói có sai sót, đơn vị sẽ thấy lý do trong trạng thái gửi.`;
}

/** A receipt as the intake answers it: marked unchecked when the intake does not know the template. */
export function withTemplateCheck(r: PackageReceipt, known: boolean): PackageReceipt {
  return known ? r : { ...r, templateChecked: false, note: uncheckedNote(r.template, r.templateVersion) };
}
