/**
 * The Excel package (DOMAIN.md "The Excel package"): one workbook per submitted revision,
 * laid out by walking the template, and read back with the visible cells as the truth.
 *
 * Sheets: one per section (named by its code), "Giải trình" (explanations of warnings), and
 * hidden ones: "_lists" (option lists for data validation), "_identity" (key/value: template,
 * version, unit, period, revision, package id, times, app version, hash), "_cells" (the map of
 * every input cell: kind, key/path, sheet, address) and, when the return has attachments, "_files"
 * (path, name, size, mime, sha256 of each: the bytes travel beside the workbook). Plain text cells
 * in hidden sheets survive Excel and LibreOffice round trips.
 *
 * A package is written for one unit: what does not apply to it (appliesTo, by its type and the unit
 * list's attributes) shows "Không áp dụng", is no input cell, and is left out of the values and the hash.
 */
import { createHash } from 'node:crypto';
import type { ReturnJson, Template, Unit, UnitFacts, Values } from '../../shared/index.js';
import {
  AppError,
  canonicalJson,
  isApplicable,
  normalizeValues,
  notApplicable,
  parsePeriod,
  periodWindow,
  xmlSafeText,
} from '../../shared/index.js';
import { openPackage } from './fast-read.js';
import type { CellSource } from './read.js';
import { dateValue, excelJsSource, loadWorkbook, readCellMap, readCells, readIdentity } from './read.js';
import { PACKAGE_FORMAT, renderWorkbook } from './write.js';

export interface PackageMeta {
  packageId: string;
  revision: number;
  createdAt: string;
  submittedAt: string | null;
  submittedBy: string | null;
  appVersion: string;
  /**
   * A copy of the draft, not a submitted revision (issue 7): every sheet says "BẢN NHÁP — CHƯA NỘP"
   * and the city refuses the file. `revision` is then the last submitted one it was edited from (0: none).
   */
  draft?: boolean;
  /** The request the return answers (issue 9): shown under the heading ("Kính gửi", "Thực hiện") and kept in the identity. */
  request?: PackageRequest;
}
/** What a package says of the request it answers. */
export interface PackageRequest {
  id: string;
  edition: number;
  /** "Số 1234/UBND-NVKTGS ngày 10/06/2026". */
  refLine: string;
  summary: string;
  /** "Kính gửi: UBND thành phố (qua Sở Tài chính)". */
  addressee: string;
}
export interface PackageIdentity extends Omit<PackageMeta, 'request'> {
  /** The request the package answers (packages made before issue 9, and standing reports: absent). */
  request?: { id: string; edition: number };
  template: string;
  templateVersion: number;
  unit: string;
  period: string;
  hash: string;
}

function cleanTexts(t: Template, m: Record<string, string> | undefined, sectionsOnly: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(m ?? {})) {
    const s = typeof v === 'string' ? xmlSafeText(v).trim() : ''; // the one text rule (shared/text.ts), as written
    if (!s) continue;
    if (sectionsOnly && !t.sections.some((x) => x.key === k)) continue;
    out[k] = s;
  }
  return out;
}

/**
 * The values and as-of dates of a return without what does not apply to the unit (a section or
 * item whose appliesTo excludes it): what its package shows and carries.
 */
export function applicableOnly<R extends { values: Values; asOf?: Record<string, string> }>(
  t: Template,
  ret: R,
  unit: UnitFacts | null | undefined,
): R {
  const skipped = notApplicable(t, unit);
  if (!skipped.size) return ret;
  const values: Values = {};
  for (const [s, items] of Object.entries(ret.values ?? {})) {
    if (!isApplicable(skipped, s) || !items || typeof items !== 'object') continue;
    values[s] = Object.fromEntries(Object.entries(items).filter(([k]) => isApplicable(skipped, `${s}.${k}`)));
  }
  const asOf = ret.asOf && Object.fromEntries(Object.entries(ret.asOf).filter(([s]) => isApplicable(skipped, s)));
  return { ...ret, values, ...(asOf ? { asOf } : {}) };
}

/**
 * sha256 hex (node:crypto) of canonicalJson({values: normalizeValues(t, values), explanations, asOf}),
 * where explanations are trimmed with empty ones dropped and asOf keeps the template's sections.
 * With a unit, what does not apply to it is left out first (as its package does).
 */
export function valuesHash(
  t: Template,
  given: { values: Values; explanations?: Record<string, string>; asOf?: Record<string, string> },
  unit?: UnitFacts | null,
): string {
  const ret = applicableOnly(t, given, unit);
  const body = {
    values: normalizeValues(t, ret.values ?? {}),
    explanations: cleanTexts(t, ret.explanations, false),
    asOf: cleanTexts(t, ret.asOf, true),
  };
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

export async function writePackage(args: {
  template: Template;
  ret: ReturnJson;
  unit: Unit;
  meta: PackageMeta;
}): Promise<Buffer> {
  const { template: t, unit, meta } = args;
  const ret = applicableOnly(t, args.ret, unit);
  if (ret.template !== t.id || ret.templateVersion !== t.version)
    throw new AppError(
      'invalid_input',
      `Báo cáo được lập theo mẫu ${ret.template} phiên bản ${ret.templateVersion}, không khớp mẫu ${t.id} phiên bản ${t.version}. Hãy chọn đúng mẫu của báo cáo.`,
    );
  if (ret.unit !== unit.code)
    throw new AppError(
      'invalid_input',
      `Báo cáo này của đơn vị mã ${ret.unit}, không phải của ${unit.name} (mã ${unit.code}). Hãy chọn đúng đơn vị của báo cáo.`,
    );
  if (!parsePeriod(ret.period))
    throw new AppError(
      'invalid_input',
      `Kỳ báo cáo "${ret.period}" không hợp lệ. Hãy ghi kỳ theo dạng 2026-Q2 (quý), 2026-M05 (tháng), 2026-H1 (6 tháng) hoặc 2026 (năm).`,
    );
  const identity: Record<string, string> = {
    format: PACKAGE_FORMAT,
    template: t.id,
    templateVersion: String(t.version),
    unit: unit.code,
    unitName: unit.name,
    period: ret.period,
    revision: meta.draft ? '' : String(ret.revision ?? meta.revision),
    ...(meta.draft ? { draft: '1', basedOnRevision: String(meta.revision) } : {}),
    packageId: meta.packageId,
    createdAt: meta.createdAt,
    submittedAt: meta.submittedAt ?? '',
    submittedBy: meta.submittedBy ?? '',
    appVersion: meta.appVersion,
    hash: valuesHash(t, ret),
    // The as-of dates as given, to tell an explicit date from the default shown on the sheet.
    asOf: JSON.stringify(cleanTexts(t, ret.asOf, true)),
    ...(meta.request ? { requestId: meta.request.id, requestEdition: String(meta.request.edition) } : {}),
  };
  const { buffer } = await renderWorkbook({ template: t, ret, unit, identity, request: meta.request });
  return buffer;
}

/** The template versions this app knows for an id (for the wrong_template message). */
function knownVersions(id: string, getTemplate: (id: string, version: number) => Template | undefined): number[] {
  const out: number[] = [];
  for (let v = 1; v <= 50; v++) if (getTemplate(id, v)) out.push(v);
  return out;
}

function wrongTemplate(id: string, version: number, known: number[]): AppError {
  // details: what the file names and what this app knows (the city's import says to publish or receive it).
  const details = { template: id, version, known };
  if (!known.length)
    return new AppError(
      'wrong_template',
      `Tệp được lập theo mẫu ${id} phiên bản ${version}, ứng dụng này không có mẫu ${id}. Hãy kiểm tra lại tệp hoặc cập nhật ứng dụng.`,
      details,
    );
  const list = known.join(', ');
  return version > Math.max(...known)
    ? new AppError(
        'wrong_template',
        `Tệp được lập theo mẫu ${id} phiên bản ${version}, ứng dụng này chỉ đọc phiên bản ${list}. Hãy cập nhật ứng dụng.`,
        details,
      )
    : new AppError(
        'wrong_template',
        `Tệp được lập theo mẫu ${id} phiên bản ${version}, ứng dụng này chỉ đọc phiên bản ${list}. Hãy lập lại báo cáo theo mẫu phiên bản ${Math.max(...known)}.`,
        details,
      );
}

function toIsoDate(v: unknown): string | null {
  const d = dateValue(v);
  return typeof d === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(d) ? d : null;
}

export interface ReadResult {
  ret: ReturnJson;
  identity: PackageIdentity;
  editedOutside: boolean;
  /**
   * What a person should know about the file beyond its values, in Vietnamese sentences (an
   * attachment's cell changed or emptied in Excel). Absent when there is nothing to say.
   */
  notes?: string[];
}
type GetTemplate = (id: string, version: number) => Template | undefined;

/**
 * Read a package: the file is opened under the guard (hostile or broken files are refused with a
 * Vietnamese reason before anything is parsed), then only the parts needed are parsed (fast-read.ts).
 */
export async function readPackage(data: Uint8Array, getTemplate: GetTemplate): Promise<ReadResult> {
  return readPackageFrom(openPackage(data), getTemplate);
}

/** The same read through ExcelJS, unguarded: the reference the fast reader is tested against. */
export async function readPackageWithExcelJS(data: Uint8Array, getTemplate: GetTemplate): Promise<ReadResult> {
  return readPackageFrom(excelJsSource(await loadWorkbook(data)), getTemplate);
}

/** A return and its identity from the cells of a package (whichever reader gives them). */
export function readPackageFrom(wb: CellSource, getTemplate: GetTemplate): ReadResult {
  const id = readIdentity(wb);
  const version = Number(id.templateVersion);
  const t = Number.isInteger(version) ? getTemplate(id.template!, version) : undefined;
  if (!t) throw wrongTemplate(id.template!, version, knownVersions(id.template!, getTemplate));
  const map = readCellMap(wb);
  const { values, explanations, asOf: shown, notes } = readCells(wb, t, map);

  // As-of dates: what the sheet shows, except the default date of a section that had none.
  const period = parsePeriod(id.period!);
  const defaultAsOf = period ? periodWindow(period).end : '';
  let given: Record<string, string>;
  try {
    given = JSON.parse(id.asOf || '{}') as Record<string, string>;
  } catch {
    given = {};
  }
  const asOf: Record<string, string> = {};
  for (const [section, raw] of Object.entries(shown)) {
    const iso = toIsoDate(raw);
    if (!iso) continue;
    if (given[section] !== undefined || iso !== defaultAsOf) asOf[section] = iso;
  }

  const revision = Number(id.revision);
  const identity: PackageIdentity = {
    template: t.id,
    templateVersion: t.version,
    unit: id.unit!,
    period: id.period!,
    hash: id.hash ?? '',
    packageId: id.packageId ?? '',
    revision,
    createdAt: id.createdAt ?? '',
    submittedAt: id.submittedAt || null,
    submittedBy: id.submittedBy || null,
    appVersion: id.appVersion ?? '',
    ...(id.draft === '1' ? { draft: true } : {}),
    ...(id.requestId && Number.isInteger(Number(id.requestEdition)) ? { request: { id: id.requestId, edition: Number(id.requestEdition) } } : {}),
  };
  const ret: ReturnJson = {
    template: t.id,
    templateVersion: t.version,
    unit: identity.unit,
    period: identity.period,
    ...(Number.isInteger(revision) && revision > 0 ? { revision } : {}),
    values: normalizeValues(t, values),
    explanations,
    asOf,
  };
  return {
    ret,
    identity,
    editedOutside: valuesHash(t, ret) !== identity.hash,
    ...(notes.length ? { notes } : {}),
  };
}
