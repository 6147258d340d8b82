/**
 * Import of the communes' packages at the city: one function used by the handler, the command line
 * and (later) the network pull. Files come one at a time (an archive is expanded here, a folder by
 * the caller); every package is imported in its own transaction, entirely or not at all.
 *
 * Outcomes: imported | duplicate (same package id already here) | superseded (a higher revision
 * becomes current) | history (a lower revision arriving late) | conflict (same revision, another
 * package: kept pending for the clerk) | refused (with the Vietnamese reason and what to do).
 * A dry run gives the same table from the same code inside a transaction that is rolled back.
 */
import type { ImportResult, Issue, ReturnJson, Template, Unit, Values } from '../../shared/index.js';
import { AppError, cellLabel, computeView, formatDateTime, isLate, parsePeriod, periodAllowed, periodDeadline, periodLabel, periodWindow, validate } from '../../shared/index.js';
import type { PackageIdentity } from '../xlsx/index.js';
import { loadXlsx } from '../packages.js';
import type { CityStore, PackageRow } from './store.js';
import { shownUnitCodes } from './visible-unit.js';
import type { IncomingFile } from './zip.js';
import type { CarriedFile } from '../attachments/index.js';
import { AttachmentStore, attachmentRefs, matchCarried, refLabel } from '../attachments/index.js';
import { ArchiveRefusal, ZIP_LIMITS, expandArchive, looksLikeZipArchive } from './zip.js';

export type { IncomingFile } from './zip.js';

export interface ImportContext {
  store: CityStore;
  getTemplate(id: string, version: number): Template | undefined;
  /** The current unit list, read once per import. */
  unitList(): Promise<{ version: string; units: Unit[] }>;
  now(): Date;
  /** Where the cause of an unexpected failure goes (the clerk sees a Vietnamese sentence). */
  log?(message: string, cause: unknown): void;
}

export interface ImportOptions {
  dryRun: boolean;
  /** False: no backup before this import (a pull backs up once before its first package). */
  backup?: boolean;
  /** Called after each file, in order (a progress line, a progress bar). */
  onResult?(result: ImportResult, index: number): void;
}

/** A package read and checked without the database. */
interface Parsed {
  file: string;
  bytes: Uint8Array;
  ret: ReturnJson;
  identity: PackageIdentity;
  editedOutside: boolean;
  template: Template;
  unit: Unit | undefined;
  /** Set when the package must be refused, unless it turns out to be a duplicate. */
  refusal: string | null;
  /** The files carried beside the workbook (a package zip), checked against the references when stored. */
  attachments?: CarriedFile[];
}

type Item = { parsed: Parsed } | { result: ImportResult };

const MAX_LISTED_ERRORS = 3;

/** Where a conflict waits until the clerk resolves it (issue 7 item 8): the same words everywhere. */
const CONFLICT_WHERE =
  'xung đột được giữ trong danh sách "Xung đột chờ xử lý" ở mục Tình hình nộp và trên trang duyệt báo cáo của đơn vị: hãy so sánh hai gói ở đó rồi chọn giữ gói đã có hoặc gói mới.';

function blank(file: string): ImportResult {
  return {
    file,
    outcome: 'refused',
    message: '',
    unit: null,
    unitName: null,
    period: null,
    revision: null,
    packageId: null,
    supersededRevision: null,
    conflictId: null,
    editedOutside: false,
    errors: 0,
    warnings: 0,
  };
}

function refused(file: string, message: string, p?: Parsed, errors = 0): ImportResult {
  return { ...blank(file), ...(p ? known(p) : {}), outcome: 'refused', message, errors };
}

function known(p: Parsed): Partial<ImportResult> {
  const revision = Number.isInteger(p.identity.revision) && p.identity.revision > 0 ? p.identity.revision : null;
  return {
    unit: p.identity.unit,
    unitName: p.unit?.name ?? null,
    period: p.identity.period,
    revision,
    packageId: p.identity.packageId || null,
    editedOutside: p.editedOutside,
    template: p.identity.template || null,
    templateVersion: p.identity.templateVersion || null,
  };
}

function who(p: Pick<Parsed, 'identity' | 'unit'>): string {
  const name = p.unit?.name ?? `đơn vị mã ${p.identity.unit}`;
  const period = parsePeriod(p.identity.period) ? periodLabel(p.identity.period) : p.identity.period;
  return `${name}, ${period}`;
}

/**
 * A package on a template (or a version of it) the city does not have: the city publishes its
 * templates, so it says to publish it (Mẫu báo cáo) or receive its file first, then import again.
 */
function unknownTemplate(e: AppError): string {
  const d = e.details as { template?: string; version?: number; known?: number[] } | undefined;
  if (!d?.template || !Array.isArray(d.known)) return e.message;
  const what = `Hãy công bố mẫu này (thẻ "Mẫu báo cáo" → mở tệp mẫu → Công bố) hoặc nhận tệp mẫu từ nơi đã soạn, rồi nhập lại gói.`;
  if (!d.known.length) return `Thành phố chưa có mẫu báo cáo ${d.template} mà tệp này được lập theo (phiên bản ${d.version}). ${what}`;
  if (d.version !== undefined && d.version > Math.max(...d.known))
    return `Thành phố mới có mẫu ${d.template} phiên bản ${d.known.join(', ')}; tệp này được lập theo phiên bản ${d.version}. ${what}`;
  return e.message;
}

/** Read one file as a package and check what needs no database. */
async function parse(file: IncomingFile, ctx: ImportContext, units: Map<string, Unit>): Promise<Item> {
  const xlsx = await loadXlsx();
  let read: Awaited<ReturnType<typeof xlsx.readPackage>>;
  try {
    read = await xlsx.readPackage(file.bytes, ctx.getTemplate);
  } catch (e) {
    if (e instanceof AppError && e.code === 'wrong_template') return { result: refused(file.name, unknownTemplate(e)) };
    if (e instanceof AppError) return { result: refused(file.name, e.message) };
    ctx.log?.(`import: ${file.name} could not be read`, e);
    return {
      result: refused(
        file.name,
        'Không đọc được tệp: tệp bị hỏng hoặc không phải gói báo cáo (.xlsx) do ứng dụng lập. Hãy yêu cầu đơn vị gửi lại tệp gói gốc rồi nhập lại.',
      ),
    };
  }
  const { ret, identity, editedOutside } = read;
  if (identity.draft)
    return {
      result: refused(
        file.name,
        'Không nhận tệp này: đây là bản nháp chưa nộp ("BẢN NHÁP — CHƯA NỘP"), không phải gói của một lần nộp. Hãy đề nghị đơn vị nộp báo cáo trong ứng dụng rồi gửi gói của lần nộp đó.',
      ),
    };
  const template = ctx.getTemplate(identity.template, identity.templateVersion)!;
  const unit = units.get(identity.unit);
  const parsed: Parsed = { file: file.name, bytes: file.bytes, ret, identity, editedOutside, template, unit, refusal: null, attachments: file.attachments };
  parsed.refusal = checkIdentity(parsed, units, file.bytes);
  return { parsed };
}

function checkIdentity(p: Parsed, units: Map<string, Unit>, bytes: Uint8Array): string | null {
  const { identity, template: t } = p;
  const period = parsePeriod(identity.period);
  if (!identity.packageId || !Number.isInteger(identity.revision) || identity.revision < 1 || !period)
    return 'Phần thông tin nhận dạng của gói bị hỏng (thiếu mã gói, lần nộp hoặc kỳ báo cáo). Hãy yêu cầu đơn vị xuất lại gói từ ứng dụng rồi gửi lại.';
  if (!periodAllowed(t.periodTypes, period))
    return `Kỳ báo cáo "${identity.period}" không dùng cho mẫu ${t.id}. Hãy yêu cầu đơn vị lập báo cáo đúng kỳ rồi gửi lại gói.`;
  if (!p.unit)
    return (
      `Mã đơn vị ${identity.unit} không có trong danh sách đơn vị hiện hành. ` +
      'Nếu đơn vị mới được thành lập hoặc đổi mã, hãy cập nhật danh mục đơn vị trước (Danh mục đơn vị → Thay danh mục từ tệp…) rồi nhập lại; nếu không, hãy hỏi lại đơn vị đã gửi tệp.'
    );
  const shown = shownUnitCodes(bytes).filter((c) => c !== identity.unit);
  if (shown.length) {
    const other = units.get(shown[0]!);
    return (
      `Thông tin nhận dạng của gói ghi là báo cáo của ${p.unit.name} (mã ${identity.unit}), nhưng các trang của tệp ghi đơn vị ` +
      `${other ? `${other.name} (mã ${shown[0]})` : `mã ${shown[0]}`}. Tệp có thể đã bị sửa hoặc ghép nhầm; hãy yêu cầu đơn vị xuất lại gói từ ứng dụng rồi gửi lại.`
    );
  }
  return null;
}

/** The computed view of the unit's current return of the latest earlier period, for the change rule. */
function previousView(store: CityStore, t: Template, unit: string, period: string, getTemplate: ImportContext['getTemplate']): Values | undefined {
  const end = periodWindow(parsePeriod(period)!).end;
  let best: { row: PackageRow; end: string; year: number } | undefined;
  for (const row of store.currentOfUnit(t.id, unit)) {
    const p = parsePeriod(row.period);
    if (!p) continue;
    const e = periodWindow(p).end;
    if (e < end && (!best || e > best.end)) best = { row, end: e, year: p.year };
  }
  if (!best) return undefined;
  const pt = getTemplate(t.id, best.row.template_version) ?? t;
  return computeView(pt, JSON.parse(best.row.values_json) as Values, best.year);
}

/** Check a package against the shared rules, as the commune's app did before sending it. */
export function validatePackage(
  store: CityStore,
  t: Template,
  args: { unit: string; unitType: string; period: string; values: Values; asOf: Record<string, string>; attributes?: Record<string, string> },
  getTemplate: ImportContext['getTemplate'],
): { errors: Issue[]; warnings: Issue[] } {
  return validate(t, args.values, {
    period: parsePeriod(args.period)!,
    unitType: args.unitType || undefined,
    unit: args.unitType ? { type: args.unitType, attributes: args.attributes } : undefined,
    previous: previousView(store, t, args.unit, args.period, getTemplate),
    asOf: args.asOf,
    lang: 'vi',
  });
}

/** Decide the outcome of one parsed package and store it: synchronous, run inside a transaction. */
function storeOne(p: Parsed, ctx: ImportContext, unitListVersion: string, keepBytes: boolean): ImportResult {
  const { store } = ctx;
  const { identity, ret, template: t } = p;
  const base = { ...blank(p.file), ...known(p) };

  const dup = store.findByPackageId(identity.packageId);
  if (dup) {
    const rev = `lần nộp ${dup.revision} của ${who(p)}`;
    if (dup.standing === 'pending') {
      const c = store.conflictOfIncoming(dup.id);
      return {
        ...base,
        outcome: 'duplicate',
        conflictId: c?.id ?? null,
        message: `Gói này (${rev}) đã được nhập trước đây và đang chờ xử lý xung đột. Không có gì thay đổi; ${CONFLICT_WHERE}`,
      };
    }
    return {
      ...base,
      outcome: 'duplicate',
      message:
        dup.standing === 'set_aside'
          ? `Gói này (${rev}) đã được nhập trước đây và đã bị loại khi xử lý xung đột. Không có gì thay đổi.`
          : `Gói này (${rev}) đã được nhập trước đây. Không có gì thay đổi.`,
    };
  }
  if (p.refusal) return { ...base, outcome: 'refused', message: p.refusal };

  // Attachments (file cells): every reference needs its file, carried in the package zip or already stored.
  const attachments = new AttachmentStore(store.sqlite, ctx.now);
  const carried = matchCarried(attachmentRefs(ret.values), p.attachments ?? [], (sha) => attachments.has(sha), (path) => refLabel(t, path));
  if ('refusal' in carried) return { ...base, outcome: 'refused', message: carried.refusal };

  const { errors, warnings } = validatePackage(
    store,
    t,
    { unit: identity.unit, unitType: p.unit!.type, attributes: p.unit!.attributes, period: identity.period, values: ret.values, asOf: ret.asOf ?? {} },
    ctx.getTemplate,
  );
  if (errors.length) {
    // Each error names the cell to fix; a rule's own sentence gets the cell's name after it.
    const listed = errors
      .slice(0, MAX_LISTED_ERRORS)
      .map((e) => (e.id.startsWith('cell:') ? e.message : `${e.message.replace(/\.$/, '')} (ô cần sửa: ${cellLabel(t, e.cell)}).`))
      .join(' ');
    const more = errors.length > MAX_LISTED_ERRORS ? ` (và ${errors.length - MAX_LISTED_ERRORS} lỗi khác)` : '';
    return {
      ...base,
      outcome: 'refused',
      errors: errors.length,
      message: `Số liệu trong gói có ${errors.length} lỗi nên không nhận: ${listed}${more} Hãy báo đơn vị sửa các lỗi này rồi nộp lại gói mới.`,
    };
  }

  const importedAt = ctx.now().toISOString();
  const period = parsePeriod(identity.period)!;
  const late = isLate(identity.submittedAt ?? importedAt, periodDeadline(period, t.deadlineDay));
  const stored = store.revisions(t.id, identity.period, identity.unit);
  const same = stored.find((r) => r.revision === identity.revision);
  const top = stored[0];
  const row = {
    package_id: identity.packageId,
    template: t.id,
    template_version: t.version,
    unit: identity.unit,
    period: identity.period,
    revision: identity.revision,
    standing: same ? ('pending' as const) : ('stored' as const),
    hash: identity.hash,
    edited_outside: p.editedOutside ? 1 : 0,
    values_json: JSON.stringify(ret.values),
    explanations_json: JSON.stringify(ret.explanations ?? {}),
    as_of_json: JSON.stringify(ret.asOf ?? {}),
    created_at: identity.createdAt || null,
    submitted_at: identity.submittedAt,
    submitted_by: identity.submittedBy,
    app_version: identity.appVersion || null,
    late: late ? 1 : 0,
    imported_at: importedAt,
    file_name: p.file,
    file_bytes: keepBytes ? p.bytes : new Uint8Array(0),
    errors: 0,
    warnings: warnings.length,
    unit_list_version: unitListVersion,
  };
  const id = store.insert(row);
  for (const f of carried.keep) attachments.put(f.ref, f.bytes);
  const result = { ...base, warnings: warnings.length };
  const note =
    (p.editedOutside ? ' Lưu ý: tệp đã bị sửa bên ngoài ứng dụng; số liệu được lấy theo các ô trong tệp và đã được kiểm tra như mọi gói khác.' : '') +
    (warnings.length ? ` Có ${warnings.length} cảnh báo, xem khi duyệt báo cáo.` : '');
  if (same) {
    const conflictId = store.addConflict(same.id, id, importedAt);
    return {
      ...result,
      outcome: 'conflict',
      conflictId,
      message:
        `Đã có một gói khác cũng là lần nộp ${identity.revision} của ${who(p)} (nhập lúc ${formatDateTime(same.imported_at)}). ` +
        `Gói mới được giữ lại chờ xử lý; ${CONFLICT_WHERE}` + note,
    };
  }
  store.refreshCurrent(t.id, identity.period, identity.unit);
  if (!top) return { ...result, outcome: 'imported', message: `Đã nhập lần nộp ${identity.revision} của ${who(p)}.${note}` };
  if (identity.revision > top.revision)
    return {
      ...result,
      outcome: 'superseded',
      supersededRevision: top.revision,
      message: `Đã nhập lần nộp ${identity.revision} của ${who(p)}, thay cho lần nộp ${top.revision} làm bản hiện hành.${note}`,
    };
  return {
    ...result,
    outcome: 'history',
    message: `Đã lưu lần nộp ${identity.revision} của ${who(p)} vào lịch sử: đã có lần nộp ${top.revision} mới hơn nên bản hiện hành không đổi.${note}`,
  };
}

/** The files, with archives expanded into their entries (or one refusal for a bad archive). */
async function* items(files: Iterable<IncomingFile> | AsyncIterable<IncomingFile>, ctx: ImportContext, units: Map<string, Unit>): AsyncGenerator<Item> {
  for await (const file of files) {
    if (!looksLikeZipArchive(file.name)) {
      yield await parse(file, ctx, units);
      continue;
    }
    let entries: ReturnType<typeof expandArchive>;
    try {
      entries = expandArchive(file, ZIP_LIMITS);
      // The archive is inspected (and refused) before its first entry is handed out.
      let next = entries.next();
      if (next.done) continue;
      for (;;) {
        const item = next.value;
        yield 'refusal' in item ? { result: refused(item.name, item.refusal) } : await parse(item.file, ctx, units);
        next = entries.next();
        if (next.done) break;
      }
    } catch (e) {
      if (!(e instanceof ArchiveRefusal)) throw e;
      yield { result: refused(file.name, e.message) };
    }
  }
}

class DryRunRollback extends Error {}

/** Import files; answers one result per package (or per refused file), in order. */
export async function importPackages(
  ctx: ImportContext,
  files: Iterable<IncomingFile> | AsyncIterable<IncomingFile>,
  opts: ImportOptions,
): Promise<ImportResult[]> {
  const list = await ctx.unitList();
  const units = new Map(list.units.map((u) => [u.code, u]));
  const { sqlite } = ctx.store;
  if (sqlite.inTransaction) throw new Error('importPackages: the connection is already inside a transaction');
  const results: ImportResult[] = [];
  const emit = (r: ImportResult) => {
    results.push(r);
    opts.onResult?.(r, results.length - 1);
  };

  if (!opts.dryRun) {
    const storeTx = sqlite.transaction((p: Parsed) => storeOne(p, ctx, list.version, true));
    for await (const item of items(files, ctx, units)) emit('result' in item ? item.result : storeTx(item.parsed));
    return results;
  }

  // Dry run: read everything first (the bytes are not kept), then the same decisions inside one
  // transaction that is rolled back; nothing else can run on the connection in between.
  const queue: Item[] = [];
  for await (const item of items(files, ctx, units)) queue.push('parsed' in item ? { parsed: { ...item.parsed, bytes: new Uint8Array(0) } } : item);
  const step = sqlite.transaction((p: Parsed) => storeOne(p, ctx, list.version, false));
  try {
    sqlite.transaction(() => {
      for (const item of queue) emit('result' in item ? item.result : step(item.parsed));
      throw new DryRunRollback();
    })();
  } catch (e) {
    if (!(e instanceof DryRunRollback)) throw e;
  }
  return results;
}
