/**
 * The city part of the contract (shared/contract.ts `cityContract`): import, conflicts, periods,
 * completeness, review, consolidation and unit lists. createCore (core/handlers.ts) builds it with
 * the pieces it already has (settings, unit lists, the diff of two contents).
 */
import type Database from 'better-sqlite3';
import type { Kysely } from 'kysely';
import type { Change, CityConflict, CompletenessRow, Handlers, Output, ImportResult, Lang, Role, Template, Unit, Values } from '../../shared/index.js';
import type { Consolidation, ConsolidationReturn } from '../../shared/consolidate.js';
import { cellLabel, findItem } from '../../shared/template/model.js';
import { AppError, consolidate, countStates, countedRevision, defaultPeriods, isLate, parsePeriod, periodAllowed, periodDeadline, periodLabel, periodWindow, reportsFor } from '../../shared/index.js';
import type { DB } from '../db.js';
import type { Resources, UnitList } from '../resources.js';
import type { IncomingFile, ImportOptions } from './import.js';
import { importPackages, validatePackage } from './import.js';
import type { ReviewedRow } from './store.js';
import { cityStore } from './store.js';
import { currentUser } from '../users/context.js';
import { askAgainOf, attributeNames, compareUnitLists, parseUnitListFile, unitListCsv, unitOfRow } from './units.js';
import { decisionQueue, retryRefused } from '../delivery/city.js';

export type CityCallName = Extract<keyof Handlers, `city.${string}` | 'units.import' | 'units.versions' | 'units.export' | 'units.restore'>;
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
  /** A verified backup of the database before an import (core/backups.ts, issue 7). */
  backup?(reason: 'import'): Promise<void>;
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
  /** The consolidation of a period (shared/consolidate) from the stored packages; `scope` narrows it to a request (issue 9). */
  consolidation(template: string, period: string, scope?: ConsolidationScope): Promise<Consolidation>;
  /** Replace the unit list from a CSV or XLSX file (dryRun: only the preview; confirmRemovals: asked again and confirmed). */
  importUnitList(fileName: string, bytes: Buffer, opts?: UnitListOptions): Promise<Output<'units.import'>>;
  /** Restore an earlier unit list version as a new current version (dryRun, confirmRemovals as for an import). */
  restoreUnitList(version: string, opts: UnitListOptions): Promise<Output<'units.restore'>>;
  /** A new database used for the city takes the city role; a commune's database is refused. */
  claimCity(): Promise<void>;
  /** Row counts of the city tables (tests, diagnostics). */
  counts(): Record<string, number>;
}

/**
 * A request's consolidation (issue 9, core/requests/followup.ts): only the units it addresses (a
 * unit outside them is neither expected nor summed), on time or late by its own last day.
 */
export interface ConsolidationScope {
  units?: readonly string[];
  /** The last day on time (ISO, inclusive, Vietnam time): replaces the standing deadline's lateness. */
  lastDay?: string;
}

export interface UnitListOptions {
  dryRun?: boolean;
  confirmRemovals?: boolean;
}

const COMMUNE_DB =
  'Cơ sở dữ liệu này đang dùng cho vai trò Xã, phường, đặc khu, không dùng để tổng hợp của Thành phố. Hãy dùng (hoặc tạo mới) một tệp cơ sở dữ liệu riêng cho Thành phố.';

/** Whether a template has the cell of a change's path (explanations and as-of dates are always comparable). */
function hasCell(t: Template, path: string): boolean {
  if (path.startsWith('explanations.')) return true;
  if (path.startsWith('asOf.')) return t.sections.some((s) => `asOf.${s.key}` === path);
  const found = findItem(t, path);
  if (!found) return false;
  const [, , row, col] = path.split('.');
  const item = found.item;
  if (item.kind === 'table') return item.rows.some((r) => r.key === row) && item.columns.some((c) => c.key === col);
  if (item.kind === 'repeat') return item.columns.some((c) => c.key === col);
  return true;
}

export function createCity(deps: CityDeps): City {
  const store = cityStore(deps.sqlite);
  const decisions = decisionQueue(deps.sqlite);
  const { resources } = deps;
  const listVersion = deps.sqlite.prepare<[], { version: string }>(`SELECT version FROM unit_list_versions WHERE is_current = 1`);
  // The units of a list in the order of its file (the order of every consolidation table).
  const listUnitRows = deps.sqlite.prepare<[string], Unit & { first_period: string | null; attributes_json: string | null }>(
    `SELECT code, type, name, first_period, attributes_json FROM units WHERE list_version = ? ORDER BY rowid`,
  );
  const listUnits = {
    all: (version: string): Unit[] =>
      listUnitRows.all(version).map(unitOfRow),
  };
  const versions = deps.sqlite.prepare<[], { version: string; source: string; loaded_at: string; is_current: number; count: number }>(
    `SELECT v.version, v.source, v.loaded_at, v.is_current, (SELECT count(*) FROM units u WHERE u.list_version = v.version) AS count
       FROM unit_list_versions v ORDER BY v.loaded_at, v.rowid`,
  );
  const versionRow = deps.sqlite.prepare<[string], { version: string; source: string }>(`SELECT version, source FROM unit_list_versions WHERE version = ?`);
  const pinnedOf = deps.sqlite.prepare<[string, string], { list_version: string }>(
    `SELECT list_version FROM city_period_lists WHERE template = ? AND period = ?`,
  );
  const pin = deps.sqlite.prepare<[string, string, string, string]>(
    `INSERT INTO city_period_lists (template, period, list_version, pinned_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (template, period) DO UPDATE SET list_version = excluded.list_version, pinned_at = excluded.pinned_at`,
  );
  // A period used by an import keeps the list of its first imported package (the list it was made with).
  // One package at a time, by its id (an index), in import order: the first one of a period pins it.
  const pinImported = deps.sqlite.prepare<[string]>(
    `INSERT OR IGNORE INTO city_period_lists (template, period, list_version, pinned_at)
       SELECT template, period, unit_list_version, imported_at FROM city_packages WHERE package_id = ?`,
  );
  const versionNames = deps.sqlite.prepare<[], { version: string }>(`SELECT version FROM unit_list_versions`);
  const hasPackages = deps.sqlite.prepare<[string, string], { one: number }>(`SELECT 1 AS one FROM city_packages WHERE template = ? AND period = ? LIMIT 1`);
  const currentUnits = deps.sqlite.prepare<[string], { period: string; unit: string }>(`SELECT period, unit FROM city_current WHERE template = ?`);

  function unitList(): { version: string; units: Unit[] } {
    const v = listVersion.get();
    if (!v) throw new Error('no current unit list');
    return { version: v.version, units: listUnits.all(v.version) };
  }
  /**
   * The unit list of a period: the one pinned when its first report was imported (or, for reports
   * imported before pins existed, when it was first viewed), so that a later merger or rename does
   * not change its completeness and totals. A period without any report is not pinned by a look at
   * it: it takes the current list until reports come. `use` pins the current list when nothing is pinned yet.
   */
  function periodList(template: string, period: string, use: boolean): { version: string; units: Unit[] } {
    const pinned = pinnedOf.get(template, period);
    const list = pinned ? { version: pinned.list_version, units: listUnits.all(pinned.list_version) } : unitList();
    if (!pinned && use && hasPackages.get(template, period)) pin.run(template, period, list.version, deps.now().toISOString());
    // A unit whose first period (set by the city in the list) comes later is not expected yet,
    // unless it sent a report all the same.
    if (!list.units.some((u) => u.firstPeriod && !reportsIn(u, period))) return list;
    const sent = new Set(store.currentOfPeriod(template, period).map((r) => r.unit));
    return { version: list.version, units: list.units.filter((u) => reportsIn(u, period) || sent.has(u.code)) };
  }
  const reportsIn = (u: Unit, period: string) => reportsFor(u.firstPeriod, period);
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
    if (!p || !periodAllowed(t.periodTypes, p))
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

  /**
   * The changes from revision a to b, each cell labelled from its own version when they were
   * submitted on different versions: a label that changed names the old one, an item only one
   * version has says so.
   */
  function diffAcross(a: ReviewedRow, b: ReviewedRow, lang: Lang): Change[] {
    const tb = templateOf(b.template, b.template_version);
    if (a.template_version === b.template_version) return deps.diff(tb, content(a), content(b), lang);
    const ta = templateOf(a.template, a.template_version);
    const only = (v: number) => (lang === 'en' ? ` (only in version ${v})` : ` (chỉ có ở phiên bản ${v})`);
    const inA = new Map(deps.diff(ta, content(a), content(b), lang).map((c) => [c.path, c]));
    const inB = deps.diff(tb, content(a), content(b), lang);
    const out: Change[] = inB.map((c) => {
      const before = inA.get(c.path);
      if (!hasCell(ta, c.path)) return { ...c, label: c.label + only(tb.version) };
      const old = before?.label ?? cellLabel(ta, c.path, lang);
      if (old === c.label) return c;
      const own = old.slice(old.indexOf(', ') + 2);
      return { ...c, label: `${c.label} (${lang === 'en' ? 'version' : 'phiên bản'} ${ta.version}: ${own})` };
    });
    for (const c of inA.values()) if (!hasCell(tb, c.path)) out.push({ ...c, label: c.label + only(ta.version) });
    return out;
  }

  async function importFiles(files: Iterable<IncomingFile> | AsyncIterable<IncomingFile>, opts: ImportOptions): Promise<ImportResult[]> {
    return deps.serial(async () => {
      if (!opts.dryRun) await claimCity();
      if (!opts.dryRun && opts.backup !== false) await deps.backup?.('import');
      else if ((await deps.settings()).role === 'commune') throw new AppError('refused', COMMUNE_DB);
      const results = await importPackages(
        { store, getTemplate: resources.getTemplate, unitList: async () => unitList(), now: deps.now, log: deps.log },
        files,
        opts,
      );
      if (!opts.dryRun) for (const r of results) if (r.packageId && r.outcome !== 'refused') pinImported.run(r.packageId);
      return results;
    });
  }

  /** The conflicts waiting for the clerk, of a template (issue 7 item 8). */
  async function openConflicts(template: string, period?: string, unit?: string): Promise<CityConflict[]> {
    const lang = (await deps.settings()).lang;
    const out: CityConflict[] = [];
    for (const c of store.openConflicts(template)) {
      if ((period && c.period !== period) || (unit && c.unit !== unit)) continue;
      const a = store.get(c.existing)!;
      const b = store.get(c.incoming)!;
      const side = (r: ReviewedRow) => ({
        packageId: r.package_id,
        fileName: r.file_name,
        importedAt: r.imported_at,
        submittedAt: r.submitted_at,
        submittedBy: r.submitted_by,
        editedOutside: r.edited_outside === 1,
        late: r.late === 1,
      });
      out.push({
        id: c.id,
        template,
        unit: c.unit,
        unitName: (await unitOf(c.unit)).name,
        period: c.period,
        revision: c.revision,
        createdAt: c.created_at,
        existing: side(a),
        incoming: side(b),
        changes: diffAcross(a, b, lang),
      });
    }
    return out;
  }

  function completenessRow(unit: Unit, r: ReviewedRow | undefined, conflicts = 0): CompletenessRow {
    if (!r)
      return { unit, state: 'missing', revision: null, submittedAt: null, late: false, editedOutside: false, errors: 0, warnings: 0, reason: null, conflicts };
    return {
      conflicts,
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

  async function consolidation(template: string, period: string, scope: ConsolidationScope = {}): Promise<Consolidation> {
    const t = latestTemplate(template);
    checkPeriod(t, period);
    const only = scope.units ? new Set(scope.units) : null;
    const full = periodList(t.id, period, true);
    const list = only ? { ...full, units: full.units.filter((u) => only.has(u.code)) } : full;
    const byUnit = new Map<string, ReviewedRow[]>();
    for (const r of store.revisionsOfPeriod(t.id, period)) {
      if (only && !only.has(r.unit)) continue;
      const l = byUnit.get(r.unit);
      if (l) l.push(r);
      else byUnit.set(r.unit, [r]);
    }
    const returns: ConsolidationReturn[] = [];
    for (const [unit, revs] of byUnit) {
      // One definition of the states and of the figures that count (shared/unit-state.ts): the state
      // is the current revision's; a unit whose every revision was returned is submitted and
      // returned, without figures.
      const current = revs[0]!;
      const counted = countedRevision(revs);
      // Versions mixed in a period: the figures are read with the version they were submitted on.
      const own = counted ?? current;
      returns.push({
        unit,
        values: counted ? (JSON.parse(counted.values_json) as Values) : null,
        state: current.review,
        submittedAt: submittedAt(current),
        late: scope.lastDay ? isLate(submittedAt(current), scope.lastDay) : current.late === 1,
        ...(own.template_version !== t.version ? { template: templateOf(own.template, own.template_version) } : {}),
      });
    }
    return consolidate(t, { period, units: list.units, returns });
  }

  /**
   * Make a list current after comparing it with the current one. A dry run only says what would
   * change; more than a tenth of the units disappearing is refused until confirmed again.
   */
  async function replaceList(list: UnitList, opts: UnitListOptions): Promise<Output<'units.import'>> {
    return deps.serial(async () => {
      const before = unitList();
      const changes = compareUnitLists(before.units, list.units);
      const askAgain = askAgainOf(before.units.length, changes.removed.length);
      const out = {
        version: list.version,
        count: list.units.length,
        ...changes,
        currentVersion: before.version,
        currentCount: before.units.length,
        askAgain,
      };
      if (opts.dryRun) return { ...out, dryRun: true };
      if (askAgain && !opts.confirmRemovals) throw new AppError('refused', askAgain, { reason: 'confirm_removals', removed: changes.removed.length, currentCount: before.units.length });
      await deps.installUnitList(list);
      const { role } = await deps.settings();
      if (!role) await deps.setRole('city');
      return { ...out, dryRun: false };
    });
  }

  async function importUnitList(fileName: string, bytes: Buffer, opts: UnitListOptions = {}): Promise<Output<'units.import'>> {
    return replaceList(await parseUnitListFile(fileName, bytes), opts);
  }

  function knownVersion(version: string): { version: string; source: string } {
    const v = versionRow.get(version);
    if (!v)
      throw new AppError('not_found', `Không có phiên bản danh sách đơn vị "${version}". Hãy chọn một phiên bản trong danh sách các phiên bản đã nhập.`);
    return v;
  }

  /** Restore an earlier version: a new version equal to it becomes current (history is never rewritten). */
  async function restoreUnitList(version: string, opts: UnitListOptions): Promise<Output<'units.restore'>> {
    const old = knownVersion(version);
    const base = old.version.replace(/-khoi-phuc-\d+$/, '');
    const taken = new Set(versionNames.all().map((v) => v.version));
    let n = 1;
    while (taken.has(`${base}-khoi-phuc-${n}`)) n++;
    return replaceList({ version: `${base}-khoi-phuc-${n}`, source: `khôi phục ${old.version}`, units: listUnits.all(old.version) }, opts);
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
        if (!c)
          throw new AppError(
            'not_found',
            `Không tìm thấy xung đột số ${conflictId}. Hãy xem danh sách xung đột đang chờ (mục Tình hình nộp, hoặc lệnh "conflicts") rồi chọn lại.`,
          );
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
    'city.conflicts': async ({ template, period, unit }) => {
      const t = latestTemplate(template);
      if (period) checkPeriod(t, period); // a mistyped period is not "no conflict"
      return openConflicts(t.id, period, unit);
    },
    'city.periods': async ({ template }) => {
      const t = latestTemplate(template);
      // Each period counts against the units completeness expects of it (periodList), so the two agree.
      const expected = new Map<string, Set<string>>();
      const expectedIn = (period: string) => {
        let codes = expected.get(period);
        if (!codes) expected.set(period, (codes = new Set(periodList(t.id, period, false).units.map((u) => u.code))));
        return codes;
      };
      const submitted = new Map<string, number>();
      for (const r of currentUnits.all(t.id)) if (expectedIn(r.period).has(r.unit)) submitted.set(r.period, (submitted.get(r.period) ?? 0) + 1);
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
          expected: expectedIn(p.code).size,
        }));
    },
    'city.completeness': async ({ template, period }) => {
      const t = latestTemplate(template);
      const p = checkPeriod(t, period);
      const list = periodList(t.id, period, true);
      const current = new Map(store.currentOfPeriod(t.id, period).map((r) => [r.unit, r]));
      const conflicts = new Map<string, number>();
      for (const c of store.openConflicts(t.id)) if (c.period === period) conflicts.set(c.unit, (conflicts.get(c.unit) ?? 0) + 1);
      const rows = list.units.map((u) => completenessRow(u, current.get(u.code), conflicts.get(u.code)));
      const listed = new Set(list.units.map((u) => u.code));
      const unlisted: CompletenessRow[] = [];
      for (const [code, r] of current) if (!listed.has(code)) unlisted.push(completenessRow(await unitOf(code), r, conflicts.get(code)));
      return {
        unitListVersion: list.version,
        currentUnitListVersion: unitList().version,
        deadline: periodDeadline(p, t.deadlineDay),
        counts: countStates(rows),
        conflicts: [...conflicts.values()].reduce((a, b) => a + b, 0),
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
        { unit, unitType: u.type, attributes: u.attributes, period, values: c.values, asOf: c.asOf },
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
            ...(r.decided_by ? { decidedBy: r.decided_by } : {}),
            editedOutside: r.edited_outside === 1,
            late: r.late === 1,
            templateVersion: r.template_version,
          })),
      };
    },
    'city.review.decide': ({ template, period, unit, revision, decision, reason }) => {
      // Who decides (issue 9): the signed-in city user, read before the write queue.
      const by = currentUser()?.name ?? null;
      return deps.serial(async () => {
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
          store.decide(r.id, decision, kept, at, by);
          decisions.queue(r.package_id, decision, kept, at);
        })();
        deps.decided?.();
        const what = `lần nộp ${revision} của ${u.name}, ${periodLabel(period)}`;
        return {
          message: decision === 'accepted' ? `Đã tiếp nhận ${what}.` : `Đã trả lại ${what} để chỉnh sửa. Lý do: ${why}`,
        };
      });
    },
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
      return diffAcross(a, b, (await deps.settings()).lang);
    },
    'city.pull': () => deps.pull(),
    'city.pullRefused': async () =>
      decisions.refused().map((r) => ({
        packageId: r.package_id,
        unit: r.unit,
        period: r.period,
        revision: r.revision,
        fileName: r.file_name,
        reason: r.reason,
        refusedAt: r.refused_at,
        attempts: r.attempts,
      })),
    'city.pullRefused.retry': async () => {
      const results = await retryRefused({ queue: decisions, importFiles, now: deps.now });
      deps.decided?.(); // the end of a refusal (or its new reason) goes to the intake
      return { results };
    },
    // The list the period is counted with, and the current one (the screen offers to move the period).
    'city.consolidation': async ({ template, period }) => ({
      ...(await consolidation(template, period)),
      unitListVersion: periodList(latestTemplate(template).id, period, true).version,
      currentUnitListVersion: unitList().version,
    }),
    'city.consolidation.export': async ({ template, period }) => {
      const t = latestTemplate(template);
      const c = await consolidation(template, period);
      const reasons: Record<string, string> = {};
      for (const r of store.currentOfPeriod(t.id, period)) if (r.review === 'returned' && r.reason) reasons[r.unit] = r.reason;
      const { writeConsolidationWorkbook } = await import('../xlsx/consolidation.js');
      const bytes = await writeConsolidationWorkbook(t, c, {
        createdAt: deps.now().toISOString(),
        appVersion: deps.appVersion,
        unitListVersion: periodList(t.id, period, true).version,
        reasons,
      });
      return { fileName: `${t.id}_tong-hop_${c.period}.xlsx`, data: bytes.toString('base64') };
    },
    'units.import': ({ file, dryRun, confirmRemovals }) => importUnitList(file.fileName, Buffer.from(file.data, 'base64'), { dryRun, confirmRemovals }),
    'units.versions': () =>
      versions.all().map((v) => ({
        version: v.version,
        importedAt: v.loaded_at,
        count: v.count,
        current: v.is_current === 1,
        source: v.source,
        attributes: attributeNames(listUnits.all(v.version)),
      })),
    'units.export': ({ version }) => {
      const v = version ? knownVersion(version).version : unitList().version;
      return { fileName: `danh-sach-don-vi_${v}.csv`, data: unitListCsv(listUnits.all(v)).toString('base64') };
    },
    'units.restore': ({ version, dryRun, confirmRemovals }) => restoreUnitList(version, { dryRun, confirmRemovals }),
    'city.periodList.useCurrent': ({ template, period }) =>
      deps.serial(async () => {
        const t = latestTemplate(template);
        checkPeriod(t, period);
        const before = periodList(t.id, period, false).version;
        const current = unitList();
        pin.run(t.id, period, current.version, deps.now().toISOString());
        const label = periodLabel(period, (await deps.settings()).lang);
        return {
          unitListVersion: current.version,
          message:
            before === current.version
              ? `${label} đã dùng danh sách đơn vị hiện hành (${current.version}). Không có gì thay đổi.`
              : `Từ nay ${label} dùng danh sách đơn vị hiện hành ${current.version} (${current.units.length} đơn vị) thay cho ${before}: tỷ lệ đầy đủ và số liệu tổng hợp được tính lại theo danh sách này.`,
        };
      }),
  };

  return { handlers, importFiles, consolidation, importUnitList, restoreUnitList, claimCity: () => deps.serial(claimCity), counts: () => store.counts() };
}
