/**
 * The city part of the contract (shared/contract.ts `cityContract`): import, conflicts, periods,
 * completeness, review, consolidation and unit lists. createCore (core/handlers.ts) builds it with
 * the pieces it already has (settings, unit lists, the diff of two contents).
 */
import type Database from 'better-sqlite3';
import type { Kysely } from 'kysely';
import type { Change, CompletenessRow, Handlers, Output, ImportResult, Lang, Role, Template, Unit, Values } from '../../shared/index.js';
import type { Consolidation, ConsolidationReturn } from '../../shared/consolidate.js';
import { AppError, consolidate, defaultPeriods, parsePeriod, periodDeadline, periodLabel, periodWindow } from '../../shared/index.js';
import type { DB } from '../db.js';
import type { Resources, UnitList } from '../resources.js';
import type { IncomingFile, ImportOptions } from './import.js';
import { importPackages, validatePackage } from './import.js';
import type { ReviewedRow } from './store.js';
import { cityStore } from './store.js';
import { compareUnitLists, parseUnitListFile } from './units.js';
import { decisionQueue } from '../delivery/city.js';

export type CityCallName = Extract<keyof Handlers, `city.${string}` | 'units.import' | 'units.versions'>;
export type CityHandlers = Pick<Handlers, CityCallName>;

interface Content {
  values: Values;
  explanations: Record<string, string>;
  asOf: Record<string, string>;
}

export interface CityDeps {
  db: Kysely<DB>;
  sqlite: Database.Database;
  resources: Resources;
  appVersion: string;
  now(): Date;
  today(): string;
  /** Writes run one at a time (the core's queue). */
  serial<T>(fn: () => Promise<T>): Promise<T>;
  settings(): Promise<{ role: Role | null; lang: Lang }>;
  setRole(role: Role): Promise<void>;
  findUnit(code: string): Promise<Unit | undefined>;
  installUnitList(list: UnitList): Promise<void>;
  diff(t: Template, before: Content, after: Content, lang: Lang): Change[];
  /** city.pull: the delivery module's pull (core/delivery), bound by createCore. */
  pull(): Promise<Output<'city.pull'>>;
  /** A review decision was recorded and queued for the intake: push it when the network allows. */
  decided?(): void;
  log?(message: string, cause: unknown): void;
}

export interface City {
  handlers: CityHandlers;
  /** The import used by the handler, the command line and the network pull. */
  importFiles(files: Iterable<IncomingFile> | AsyncIterable<IncomingFile>, opts: ImportOptions): Promise<ImportResult[]>;
  /** The consolidation of a period (shared/consolidate) from the stored packages. */
  consolidation(template: string, period: string): Promise<Consolidation>;
  /** Replace the unit list from a CSV or XLSX file. */
  importUnitList(fileName: string, bytes: Buffer): Promise<Output<'units.import'>>;
  /** A new database used for the city takes the city role; a commune's database is refused. */
  claimCity(): Promise<void>;
  /** Row counts of the city tables (tests, diagnostics). */
  counts(): Record<string, number>;
}

const COMMUNE_DB =
  'Cơ sở dữ liệu này đang dùng cho vai trò Xã, phường, đặc khu, không dùng để tổng hợp của Thành phố. Hãy dùng (hoặc tạo mới) một tệp cơ sở dữ liệu riêng cho Thành phố.';

export function createCity(deps: CityDeps): City {
  const store = cityStore(deps.sqlite);
  const decisions = decisionQueue(deps.sqlite);
  const { resources } = deps;
  const listVersion = deps.sqlite.prepare<[], { version: string }>(`SELECT version FROM unit_list_versions WHERE is_current = 1`);
  // The units of a list in the order of its file (the order of every consolidation table).
  const listUnits = deps.sqlite.prepare<[string], Unit>(`SELECT code, type, name FROM units WHERE list_version = ? ORDER BY rowid`);
  const versions = deps.sqlite.prepare<[], { version: string; loaded_at: string; is_current: number; count: number }>(
    `SELECT v.version, v.loaded_at, v.is_current, (SELECT count(*) FROM units u WHERE u.list_version = v.version) AS count
       FROM unit_list_versions v ORDER BY v.loaded_at, v.rowid`,
  );
  const currentUnits = deps.sqlite.prepare<[string], { period: string; unit: string }>(`SELECT period, unit FROM city_current WHERE template = ?`);

  function unitList(): { version: string; units: Unit[] } {
    const v = listVersion.get();
    if (!v) throw new Error('no current unit list');
    return { version: v.version, units: listUnits.all(v.version) };
  }
  function latestTemplate(id: string): Template {
    const t = resources.latestTemplate(id);
    if (!t) throw new AppError('not_found', `Ứng dụng không có mẫu báo cáo "${id}". Hãy chọn một mẫu trong danh sách.`);
    return t;
  }
  function templateOf(id: string, version: number): Template {
    const t = resources.getTemplate(id, version);
    if (!t) throw new AppError('not_found', `Ứng dụng không có mẫu báo cáo ${id} phiên bản ${version}. Hãy cập nhật ứng dụng.`);
    return t;
  }
  function checkPeriod(t: Template, code: string) {
    const p = parsePeriod(code);
    if (!p || !t.periodTypes.includes(p.type))
      throw new AppError('invalid_input', `Kỳ báo cáo "${code}" không hợp lệ cho mẫu ${t.id}. Hãy chọn một kỳ, ví dụ 2026-Q2.`);
    return p;
  }
  async function unitOf(code: string): Promise<Unit> {
    return (await deps.findUnit(code)) ?? { code, type: '', name: code };
  }
  /** A new database used for the city takes the city role; a commune's database is refused. */
  async function claimCity(): Promise<void> {
    const { role } = await deps.settings();
    if (role === 'commune') throw new AppError('refused', COMMUNE_DB);
    if (!role) await deps.setRole('city');
  }
  const content = (r: ReviewedRow): Content => ({
    values: JSON.parse(r.values_json) as Values,
    explanations: JSON.parse(r.explanations_json) as Record<string, string>,
    asOf: JSON.parse(r.as_of_json) as Record<string, string>,
  });
  const submittedAt = (r: ReviewedRow) => r.submitted_at ?? r.imported_at;

  async function importFiles(files: Iterable<IncomingFile> | AsyncIterable<IncomingFile>, opts: ImportOptions): Promise<ImportResult[]> {
    return deps.serial(async () => {
      if (!opts.dryRun) await claimCity();
      else if ((await deps.settings()).role === 'commune') throw new AppError('refused', COMMUNE_DB);
      return importPackages(
        { store, getTemplate: resources.getTemplate, unitList: async () => unitList(), now: deps.now, log: deps.log },
        files,
        opts,
      );
    });
  }

  function completenessRow(unit: Unit, r: ReviewedRow | undefined): CompletenessRow {
    if (!r)
      return { unit, state: 'missing', revision: null, submittedAt: null, late: false, editedOutside: false, errors: 0, warnings: 0, reason: null };
    return {
      unit,
      state: r.review,
      revision: r.revision,
      submittedAt: submittedAt(r),
      late: r.late === 1,
      editedOutside: r.edited_outside === 1,
      errors: r.errors,
      warnings: r.warnings,
      reason: r.review === 'returned' ? r.reason : null,
    };
  }

  async function consolidation(template: string, period: string): Promise<Consolidation> {
    const t = latestTemplate(template);
    checkPeriod(t, period);
    const list = unitList();
    const byUnit = new Map<string, ReviewedRow[]>();
    for (const r of store.revisionsOfPeriod(t.id, period)) {
      const l = byUnit.get(r.unit);
      if (l) l.push(r);
      else byUnit.set(r.unit, [r]);
    }
    const returns: ConsolidationReturn[] = [];
    for (const [unit, revs] of byUnit) {
      // The state is the current revision's; the figures come from the highest revision that is
      // received or accepted (a returned revision does not count). A unit whose every revision
      // was returned has nothing that counts and is left out (it shows as missing).
      const current = revs[0]!;
      const counted = revs.find((r) => r.review !== 'returned');
      if (!counted) continue;
      returns.push({ unit, values: JSON.parse(counted.values_json) as Values, state: current.review, submittedAt: submittedAt(current), late: current.late === 1 });
    }
    return consolidate(t, { period, units: list.units, returns });
  }

  async function importUnitList(fileName: string, bytes: Buffer): Promise<Output<'units.import'>> {
    const parsed = await parseUnitListFile(fileName, bytes);
    return deps.serial(async () => {
      const before = unitList();
      await deps.installUnitList(parsed);
      const { role } = await deps.settings();
      if (!role) await deps.setRole('city');
      return { version: parsed.version, count: parsed.units.length, ...compareUnitLists(before.units, parsed.units) };
    });
  }

  const handlers: CityHandlers = {
    'city.import': async ({ files, dryRun }) => ({
      results: await importFiles(
        files.map((f) => ({ name: f.fileName, bytes: Buffer.from(f.data, 'base64') })),
        { dryRun },
      ),
    }),
    'city.resolveConflict': ({ conflictId, keep }) =>
      deps.serial(async () => {
        const c = store.conflict(conflictId);
        if (!c) throw new AppError('not_found', 'Không tìm thấy xung đột này. Hãy tải lại kết quả nhập rồi chọn lại.');
        const incoming = store.get(c.incoming)!;
        const name = `lần nộp ${incoming.revision} của ${(await unitOf(incoming.unit)).name}, ${periodLabel(incoming.period)}`;
        if (c.kept)
          return { message: `Xung đột về ${name} đã được xử lý trước đây (giữ ${c.kept === 'incoming' ? 'gói mới' : 'gói đã có'}). Không có gì thay đổi.` };
        const at = deps.now().toISOString();
        deps.sqlite.transaction(() => {
          if (keep === 'incoming') {
            store.setStanding(c.existing, 'set_aside');
            store.setStanding(c.incoming, 'stored');
            store.repointConflicts(c.existing, c.incoming);
          } else store.setStanding(c.incoming, 'set_aside');
          store.resolveConflict(c.id, keep, at);
          store.refreshCurrent(incoming.template, incoming.period, incoming.unit);
        })();
        return {
          message:
            keep === 'incoming'
              ? `Đã giữ gói mới cho ${name}; gói cũ được lưu riêng và không còn được tính.`
              : `Đã giữ gói đã có cho ${name}; gói mới được lưu riêng và không được tính.`,
        };
      }),
    'city.periods': async ({ template }) => {
      const t = latestTemplate(template);
      const list = unitList();
      const listed = new Set(list.units.map((u) => u.code));
      const submitted = new Map<string, number>();
      for (const r of currentUnits.all(t.id)) if (listed.has(r.unit)) submitted.set(r.period, (submitted.get(r.period) ?? 0) + 1);
      const codes = new Set(defaultPeriods(t.periodTypes, deps.today()).map((p) => p.code));
      for (const p of store.periods(t.id)) if (parsePeriod(p)) codes.add(p);
      const lang = (await deps.settings()).lang;
      return [...codes]
        .map((c) => parsePeriod(c)!)
        .sort((a, b) => periodWindow(b).end.localeCompare(periodWindow(a).end))
        .map((p) => ({
          code: p.code,
          label: periodLabel(p, lang),
          deadline: periodDeadline(p, t.deadlineDay),
          submitted: submitted.get(p.code) ?? 0,
          expected: list.units.length,
        }));
    },
    'city.completeness': async ({ template, period }) => {
      const t = latestTemplate(template);
      const p = checkPeriod(t, period);
      const list = unitList();
      const current = new Map(store.currentOfPeriod(t.id, period).map((r) => [r.unit, r]));
      const rows = list.units.map((u) => completenessRow(u, current.get(u.code)));
      const listed = new Set(list.units.map((u) => u.code));
      const unlisted: CompletenessRow[] = [];
      for (const [code, r] of current) if (!listed.has(code)) unlisted.push(completenessRow(await unitOf(code), r));
      const submitted = rows.filter((r) => r.state !== 'missing');
      return {
        unitListVersion: list.version,
        deadline: periodDeadline(p, t.deadlineDay),
        counts: {
          expected: rows.length,
          submitted: submitted.length,
          on_time: submitted.filter((r) => !r.late).length,
          late: submitted.filter((r) => r.late).length,
          missing: rows.length - submitted.length,
          accepted: rows.filter((r) => r.state === 'accepted').length,
          returned: rows.filter((r) => r.state === 'returned').length,
        },
        rows,
        unlisted,
      };
    },
    'city.review.get': async ({ template, period, unit }) => {
      const t0 = latestTemplate(template);
      checkPeriod(t0, period);
      const revs = store.revisions(t0.id, period, unit);
      const u = await unitOf(unit);
      const current = revs[0];
      if (!current)
        throw new AppError('not_found', `${u.name} chưa có báo cáo ${periodLabel(period)} nào được nhập. Hãy nhập gói báo cáo của đơn vị trước.`);
      const t = templateOf(current.template, current.template_version);
      const c = content(current);
      const { errors, warnings } = validatePackage(
        store,
        t,
        { unit, unitType: u.type, period, values: c.values, asOf: c.asOf },
        resources.getTemplate,
      );
      return {
        unit: u,
        templateVersion: t.version,
        period,
        revision: current.revision,
        ...c,
        errors,
        warnings,
        revisions: revs
          .slice()
          .reverse()
          .map((r) => ({
            revision: r.revision,
            packageId: r.package_id,
            submittedAt: r.submitted_at,
            importedAt: r.imported_at,
            current: r.id === current.id,
            review: r.review,
            reason: r.reason,
            decidedAt: r.decided_at,
            editedOutside: r.edited_outside === 1,
            late: r.late === 1,
          })),
      };
    },
    'city.review.decide': ({ template, period, unit, revision, decision, reason }) =>
      deps.serial(async () => {
        const t = latestTemplate(template);
        checkPeriod(t, period);
        const u = await unitOf(unit);
        const r = store.revision(t.id, period, unit, revision);
        if (!r)
          throw new AppError('not_found', `${u.name} không có lần nộp ${revision} của ${periodLabel(period)}. Hãy chọn một lần nộp trong danh sách.`);
        const why = reason?.trim() || null;
        if (decision === 'returned' && !why)
          throw new AppError('invalid_input', 'Hãy ghi lý do trả lại để đơn vị biết cần sửa gì, rồi bấm Trả lại.');
        const at = deps.now().toISOString();
        const kept = decision === 'returned' ? why : null;
        // The decision and its push to the intake (for the commune's status) are recorded together.
        deps.sqlite.transaction(() => {
          store.decide(r.id, decision, kept, at);
          decisions.queue(r.package_id, decision, kept, at);
        })();
        deps.decided?.();
        const what = `lần nộp ${revision} của ${u.name}, ${periodLabel(period)}`;
        return {
          message: decision === 'accepted' ? `Đã tiếp nhận ${what}.` : `Đã trả lại ${what} để chỉnh sửa. Lý do: ${why}`,
        };
      }),
    'city.review.diff': async ({ template, period, unit, from, to }) => {
      const t0 = latestTemplate(template);
      checkPeriod(t0, period);
      const get = async (n: number) => {
        const r = store.revision(t0.id, period, unit, n);
        if (!r)
          throw new AppError('not_found', `${(await unitOf(unit)).name} không có lần nộp ${n} của ${periodLabel(period)}. Hãy chọn một lần nộp trong danh sách.`);
        return r;
      };
      const a = await get(from);
      const b = await get(to);
      return deps.diff(templateOf(b.template, b.template_version), content(a), content(b), (await deps.settings()).lang);
    },
    'city.pull': () => deps.pull(),
    'city.consolidation': ({ template, period }) => consolidation(template, period),
    'city.consolidation.export': async ({ template, period }) => {
      const t = latestTemplate(template);
      const c = await consolidation(template, period);
      const reasons: Record<string, string> = {};
      for (const r of store.currentOfPeriod(t.id, period)) if (r.review === 'returned' && r.reason) reasons[r.unit] = r.reason;
      const { writeConsolidationWorkbook } = await import('../xlsx/consolidation.js');
      const bytes = await writeConsolidationWorkbook(t, c, {
        createdAt: deps.now().toISOString(),
        appVersion: deps.appVersion,
        unitListVersion: unitList().version,
        reasons,
      });
      return { fileName: `${t.id}_tong-hop_${c.period}.xlsx`, data: bytes.toString('base64') };
    },
    'units.import': ({ file }) => importUnitList(file.fileName, Buffer.from(file.data, 'base64')),
    'units.versions': () =>
      versions.all().map((v) => ({ version: v.version, importedAt: v.loaded_at, count: v.count, current: v.is_current === 1 })),
  };

  return { handlers, importFiles, consolidation, importUnitList, claimCity: () => deps.serial(claimCity), counts: () => store.counts() };
}
