import { randomUUID } from 'node:crypto';
import { createTemplateHandlers, latestOfEach } from './templates/handlers.js';
import type { TemplateRegistry } from './templates/registry.js';
import { createRegistry } from './templates/registry.js';
import type { Kysely, Selectable } from 'kysely';
import { sql } from 'kysely';
import type {
  AppInfo,
  Change,
  Handlers,
  Lang,
  PeriodRow,
  ReturnJson,
  ReturnState,
  RevisionInfo,
  Role,
  Template,
  Unit,
  Values,
} from '../shared/index.js';
import {
  AppError,
  canonicalJson,
  cellLabel,
  computeView,
  defaultPeriods,
  formatDateTime,
  inputColumns,
  isLate,
  lastDay,
  normalizeValues,
  parsePeriod,
  periodAllowed,
  periodDeadline,
  periodLabel,
  periodWindow,
  tx,
  unexplained,
  validate,
  cleanText,
  xmlSafeText,
  signerName,
  reportsFor,
} from '../shared/index.js';
import type { DraftChange } from '../shared/draft.js';
import { draftGet, draftLabel, draftPaths, draftSet, isDraftPath, mergeRepeatRows, sameDraftValue } from '../shared/draft.js';
import { findItem } from '../shared/template/model.js';
import type { SaveConflict } from '../shared/contract.js';
import type { DB } from './db.js';
import { backupDatabase, openDatabase, storageError } from './db.js';
import { backupsDir, createBackups } from './backups.js';
import { draftFileName, loadXlsx } from './packages.js';
import type { Resources, UnitList } from './resources.js';
import { loadResources } from './resources.js';
import type { City } from './city/handlers.js';
import { createCity } from './city/handlers.js';
import { attributesJson, unitOfRow } from './city/units.js';
import type { Delivery, DeliveryOptions } from './delivery/index.js';
import { createDelivery } from './delivery/index.js';
import { AttachmentStore, attachmentRefs, matchCarried, packageFile, refLabel } from './attachments/index.js';
import { createAttachmentHandlers } from './attachments/handlers.js';
import { createCityRequests } from './requests/city.js';
import { createCommuneRequests } from './requests/commune.js';
import type { RequestDeps } from './requests/deps.js';
import { createUserHandlers } from './users/handlers.js';
import type { CityAuth } from './users/sessions.js';
import { cityAuth } from './users/sessions.js';
import { guardAdminCalls, scopeCityCalls } from './users/scope.js';
import { revisionPackage } from './attachments/package.js';
import { ArchiveRefusal, openPackageArchive } from './city/zip.js';

export interface CoreOptions {
  dbPath: string;
  /** The folder holding templates/ and units/. */
  resourcesDir: string;
  appVersion: string;
  /** This PC's clock (tests give a wrong one: delivery shows the server's times, never this one). */
  now?: () => Date;
  /** The outbox sender and the city pull (core/delivery); its sender starts when delivery is configured. */
  delivery?: DeliveryOptions;
  /** Templates given as files for this run (command line --template), known beside the built-in and stored ones. */
  templates?: Template[];
}

export interface Core {
  handlers: Handlers;
  /** The shipped resources; getTemplate / latestTemplate read the registry (built-in and the database's templates). */
  resources: Resources;
  /** Every template this installation knows (core/templates/registry.ts). */
  templates: TemplateRegistry;
  /** Store a return given in its JSON form as the next submitted revision (command line `submit`). */
  submitReturnJson(ret: ReturnJson, submittedBy?: string): Promise<RevisionInfo>;
  /** The city role: import (streaming, for the command line), consolidation, unit lists. */
  city: City;
  /** Delivery over the network: settings, the outbox sender, the city pull (command line `send`, `pull`). */
  delivery: Delivery;
  /** A consistent copy of the database (SQLite backup API). */
  backup(destination: string): Promise<void>;
  /** City users' sign-in and sessions (issue 9), for the browser mode's server. */
  users: CityAuth;
  close(): Promise<void>;
}

/** What a return holds besides its key: the draft or a frozen revision. */
interface Content {
  values: Values;
  explanations: Record<string, string>;
  asOf: Record<string, string>;
}

type ReturnRow = Selectable<DB['returns']>;

const NOT_CONFIGURED =
  'Chưa chọn đơn vị báo cáo. Hãy hoàn tất bước thiết lập ban đầu (chọn vai trò "Xã, phường, đặc khu" và đơn vị của mình) rồi thử lại.';

/** Today's date in Vietnam (UTC+7), ISO. */
export function vietnamToday(d: Date): string {
  return new Date(d.getTime() + 7 * 3600_000).toISOString().slice(0, 10);
}

function cleanExplanations(e: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(e ?? {})) if (xmlSafeText(v).trim()) out[k] = xmlSafeText(v).trim();
  return out;
}

/** The content as it is frozen and compared: inputs only, empty explanations dropped. */
function frozenContent(t: Template, c: Content): Content {
  return { values: normalizeValues(t, c.values), explanations: cleanExplanations(c.explanations), asOf: { ...c.asOf } };
}

function sameContent(t: Template, a: Content, b: Content): boolean {
  return canonicalJson(frozenContent(t, a)) === canonicalJson(frozenContent(t, b));
}

/** Every input cell, explanation and as-of date that differs between two contents. */
export function diffContent(t: Template, before: Content, after: Content, lang: Lang = 'vi'): Change[] {
  const a = normalizeValues(t, before.values);
  const b = normalizeValues(t, after.values);
  const changes: Change[] = [];
  const same = (x: unknown, y: unknown) => canonicalJson(x ?? null) === canonicalJson(y ?? null);
  const cell = (path: string, x: unknown, y: unknown, label = cellLabel(t, path, lang)) => {
    if (!same(x, y)) changes.push({ path, label, before: x ?? null, after: y ?? null });
  };
  const at = (v: Values, s: string, i: string) => v[s]?.[i];
  for (const s of t.sections)
    for (const item of s.items) {
      const base = `${s.key}.${item.key}`;
      if (item.kind === 'field') cell(base, at(a, s.key, item.key), at(b, s.key, item.key));
      else if (item.kind === 'table') {
        const ta = (at(a, s.key, item.key) ?? {}) as Record<string, Record<string, unknown> | undefined>;
        const tb = (at(b, s.key, item.key) ?? {}) as Record<string, Record<string, unknown> | undefined>;
        for (const r of item.rows)
          for (const c of inputColumns(item)) cell(`${base}.${r.key}.${c.key}`, ta[r.key]?.[c.key], tb[r.key]?.[c.key]);
      } else if (item.kind === 'repeat') {
        const ra = (at(a, s.key, item.key) ?? []) as Record<string, unknown>[];
        const rb = (at(b, s.key, item.key) ?? []) as Record<string, unknown>[];
        for (let i = 0; i < Math.max(ra.length, rb.length); i++)
          for (const c of inputColumns(item)) cell(`${base}.${i}.${c.key}`, ra[i]?.[c.key], rb[i]?.[c.key]);
      }
    }
  for (const s of t.sections)
    cell(`asOf.${s.key}`, before.asOf[s.key], after.asOf[s.key], `${s.code}, ${lang === 'en' ? 'Data as of' : 'Số liệu tính đến ngày'}`);
  const ea = cleanExplanations(before.explanations);
  const eb = cleanExplanations(after.explanations);
  for (const id of [...new Set([...Object.keys(ea), ...Object.keys(eb)])].sort())
    cell(`explanations.${id}`, ea[id], eb[id], `${lang === 'en' ? 'Explanation' : 'Giải trình'} (${id})`);
  return changes;
}

/** Why a draft was kept, in Vietnamese (draft_backups.reason is a code: "import:<package id>:<file>", "restore:<id>:<time>"). */
function keptReason(reason: string): string {
  const imported = /^import:([^:]*)(?::(.*))?$/s.exec(reason);
  if (imported) return imported[2] ? `Trước khi nhập tệp ${imported[2]}` : `Trước khi nhập tệp (mã gói ${imported[1]})`;
  const restored = /^restore:\d+:(.*)$/s.exec(reason);
  if (restored) return `Trước khi khôi phục bản nháp lúc ${formatDateTime(restored[1])}`;
  if (reason === 'submit-json') return 'Trước khi nộp từ tệp JSON (dòng lệnh)';
  return 'Bản nháp được giữ lại trước một thay đổi';
}

function parseJson<T>(text: string): T {
  return JSON.parse(text) as T;
}

export async function createCore(opts: CoreOptions): Promise<Core> {
  const shipped = loadResources(opts.resourcesDir);
  const now = opts.now ?? (() => new Date());
  const opened = await openDatabase(opts.dbPath, { now });
  const db: Kysely<DB> = opened.db;
  // Templates: the built-in ones and those the city published (or a commune received), by id@version.
  const templates = createRegistry(shipped.templates, opened.sqlite, opts.templates);
  const resources: Resources = { ...shipped, getTemplate: templates.getTemplate, latestTemplate: templates.latestTemplate };
  // Backups beside the database (issue 7): before each submit and import, and once a day on open.
  const backups = createBackups({ sqlite: opened.sqlite, db, dbPath: opts.dbPath, now });
  // The bytes of file cells (issue 8 item 4), once per sha256; values hold their references.
  const attachments = new AttachmentStore(opened.sqlite, now);
  try {
    // Two processes creating one new database both seed: the later one finds the list (its read
    // snapshot may be stale at first: SQLITE_BUSY_SNAPSHOT, then it tries again).
    for (let attempt = 1; ; attempt++) {
      try {
        await seedUnitList(db, resources.shippedUnits, now());
        break;
      } catch (e) {
        const code = e && typeof e === 'object' && 'code' in e ? String(e.code) : '';
        if (!code.startsWith('SQLITE_BUSY') || attempt >= 20) throw e;
        // The other process holds the write lock (a deferred transaction that read first is told
        // BUSY at once rather than waiting): let it finish, then look again.
        await new Promise((r) => setTimeout(r, 25 * attempt));
      }
    }
    if (!opened.created) await backups.daily().catch((e: unknown) => console.warn('daily backup failed', e));
  } catch (e) {
    await opened.close();
    throw storageError(e, opts.dbPath);
  }

  // Submissions and imports run one at a time, so revision numbers and backups never race.
  let queue: Promise<unknown> = Promise.resolve();
  function serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = queue.then(fn, fn);
    queue = run.catch(() => undefined);
    return run;
  }

  // ---------- settings and reference data ----------
  async function settings(): Promise<{ role: Role | null; unitCode: string | null; lang: Lang; firstPeriod: string | null }> {
    const rows = await db.selectFrom('settings').selectAll().execute();
    const m = new Map(rows.map((r) => [r.key, r.value]));
    return {
      role: (m.get('role') as Role | undefined) ?? null,
      unitCode: m.get('unit_code') ?? null,
      lang: (m.get('lang') as Lang | undefined) ?? 'vi',
      firstPeriod: m.get('first_period') ?? null,
    };
  }
  /**
   * A commune's first period: the one confirmed at setup, else the one the unit list gives the
   * unit; null (every period expected) for an office set up before either existed.
   */
  async function firstPeriodOf(s: { unitCode: string | null; firstPeriod: string | null }): Promise<string | null> {
    if (s.firstPeriod) return s.firstPeriod;
    if (!s.unitCode) return null;
    const u = await db
      .selectFrom('units')
      .innerJoin('unit_list_versions as v', 'v.version', 'units.list_version')
      .select('first_period')
      .where('code', '=', s.unitCode)
      .where('v.is_current', '=', 1)
      .executeTakeFirst();
    return u?.first_period ?? null;
  }
  async function setSetting(key: string, value: string | null): Promise<void> {
    if (value === null) await db.deleteFrom('settings').where('key', '=', key).execute();
    else
      await db
        .insertInto('settings')
        .values({ key, value })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
        .execute();
  }
  async function currentUnitList(): Promise<{ version: string; units: Unit[] }> {
    const v = await db.selectFrom('unit_list_versions').select('version').where('is_current', '=', 1).executeTakeFirstOrThrow();
    const rows = await db
      .selectFrom('units')
      .select(['code', 'type', 'name', 'first_period', 'attributes_json'])
      .where('list_version', '=', v.version)
      .orderBy('name')
      .execute();
    const units: Unit[] = rows.map(unitOfRow);
    return { version: v.version, units };
  }
  /** A unit from the current list, or from an older list when it has since been merged or renamed. */
  async function findUnit(code: string): Promise<Unit | undefined> {
    const row = await db
      .selectFrom('units')
      .innerJoin('unit_list_versions as v', 'v.version', 'units.list_version')
      .select(['code', 'type', 'name', 'attributes_json'])
      .where('code', '=', code)
      .orderBy('v.is_current', 'desc')
      .orderBy('v.loaded_at', 'desc')
      .executeTakeFirst();
    return row && unitOfRow({ ...row, first_period: null });
  }
  async function unitOf(code: string): Promise<Unit> {
    return (await findUnit(code)) ?? { code, type: '', name: code };
  }
  function templateOf(id: string, version: number): Template {
    const t = resources.getTemplate(id, version);
    if (!t) throw new AppError('not_found', `Ứng dụng không có mẫu báo cáo ${id} phiên bản ${version}. Hãy cập nhật ứng dụng.`);
    return t;
  }
  function latestTemplate(id: string): Template {
    const t = resources.latestTemplate(id);
    if (!t) throw new AppError('not_found', `Ứng dụng không có mẫu báo cáo "${id}". Hãy chọn một mẫu trong danh sách.`);
    return t;
  }
  async function appInfo(): Promise<AppInfo> {
    const s = await settings();
    const list = await db.selectFrom('unit_list_versions').select('version').where('is_current', '=', 1).executeTakeFirstOrThrow();
    return {
      appVersion: opts.appVersion,
      role: s.role,
      unit: s.unitCode ? await unitOf(s.unitCode) : null,
      lang: s.lang,
      today: vietnamToday(now()),
      templates: latestOfEach(templates, s.lang).map((t) => ({ id: t.id, version: t.version, title: tx(t.title, s.lang) })),
      unitListVersion: list.version,
      firstPeriod: s.role === 'commune' ? await firstPeriodOf(s) : null,
      // Issue 9: who consolidates each standing report (the city home shows its tabs to that department).
      standing: resources.standing.map((x) => ({ template: x.template, department: x.department })),
    };
  }
  async function requireUnit(): Promise<Unit> {
    const s = await settings();
    if (s.role !== 'commune' || !s.unitCode) throw new AppError('not_configured', NOT_CONFIGURED);
    return unitOf(s.unitCode);
  }

  // ---------- returns ----------
  function contentOf(r: { values_json: string; explanations_json: string; as_of_json: string }): Content {
    return { values: parseJson(r.values_json), explanations: parseJson(r.explanations_json), asOf: parseJson(r.as_of_json) };
  }
  function checkPeriod(t: Template, code: string) {
    const p = parsePeriod(code);
    if (!p || !periodAllowed(t.periodTypes, p))
      throw new AppError('invalid_input', `Kỳ báo cáo "${code}" không hợp lệ cho mẫu ${t.id}. Hãy chọn một kỳ trong danh sách.`);
    return p;
  }
  function defaultAsOf(t: Template, period: string): Record<string, string> {
    const end = periodWindow(parsePeriod(period)!).end;
    return Object.fromEntries(t.sections.map((s) => [s.key, end]));
  }
  async function getReturn(id: number): Promise<ReturnRow> {
    const row = await db.selectFrom('returns').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new AppError('not_found', 'Không tìm thấy báo cáo này. Hãy mở lại danh sách kỳ báo cáo rồi chọn lại.');
    return row;
  }
  /** The return of (unit, period, template), created on first use. */
  async function ensureReturn(unit: string, period: string, t: Template): Promise<ReturnRow> {
    checkPeriod(t, period);
    const found = () =>
      db.selectFrom('returns').selectAll().where('unit', '=', unit).where('period', '=', period).where('template', '=', t.id).executeTakeFirst();
    const existing = await found();
    if (existing) return existing;
    await db
      .insertInto('returns')
      .values({
        unit,
        period,
        template: t.id,
        template_version: t.version,
        values_json: '{}',
        explanations_json: '{}',
        as_of_json: JSON.stringify(defaultAsOf(t, period)),
        draft_version: 0,
        created_at: now().toISOString(),
        updated_at: null,
      })
      .onConflict((oc) => oc.columns(['unit', 'period', 'template']).doNothing())
      .execute();
    return (await found())!;
  }
  const revisionColumns = [
    'revision',
    'package_id',
    'template_version',
    'values_json',
    'explanations_json',
    'as_of_json',
    'hash',
    'submitted_at',
    'submitted_by',
    'late',
  ] as const;
  async function revisionsOf(returnId: number) {
    return db.selectFrom('revisions').select(revisionColumns).where('return_id', '=', returnId).orderBy('revision').execute();
  }
  function revisionInfo(r: Awaited<ReturnType<typeof revisionsOf>>[number]): RevisionInfo {
    return {
      revision: r.revision,
      packageId: r.package_id,
      submittedAt: r.submitted_at,
      submittedBy: r.submitted_by,
      hash: r.hash,
      late: r.late === 1,
    };
  }
  /** The computed view of the same unit's latest submitted revision of an earlier period. */
  async function previousOf(row: ReturnRow): Promise<{ period: string; view: Values } | null> {
    const end = periodWindow(parsePeriod(row.period)!).end;
    const candidates = await db
      .selectFrom('revisions as v')
      .innerJoin('returns as r', 'r.id', 'v.return_id')
      .select(['r.period', 'v.revision', 'v.template_version', 'v.values_json'])
      .where('r.unit', '=', row.unit)
      .where('r.template', '=', row.template)
      .where('r.id', '!=', row.id)
      .execute();
    const earlier = candidates
      .map((c) => ({ ...c, p: parsePeriod(c.period) }))
      .filter((c) => c.p && periodWindow(c.p).end < end)
      .sort((a, b) => periodWindow(b.p!).end.localeCompare(periodWindow(a.p!).end) || b.revision - a.revision);
    const best = earlier[0];
    if (!best) return null;
    const t = resources.getTemplate(row.template, best.template_version) ?? templateOf(row.template, row.template_version);
    return { period: best.period, view: computeView(t, parseJson(best.values_json), best.p!.year) };
  }
  async function stateOf(row: ReturnRow): Promise<ReturnState> {
    const previous = await previousOf(row);
    const c = contentOf(row);
    return {
      returnId: row.id,
      template: row.template,
      templateVersion: row.template_version,
      unit: await unitOf(row.unit),
      period: row.period,
      values: c.values,
      explanations: c.explanations,
      asOf: c.asOf,
      draftVersion: row.draft_version,
      savedAt: row.updated_at,
      revisions: (await revisionsOf(row.id)).map(revisionInfo),
      previous: previous?.view ?? null,
      previousPeriod: previous?.period ?? null,
      request: await communeRequests.returnRequest(row.template, row.period),
    };
  }
  async function validateContent(row: ReturnRow, t: Template, c: Content, lang: Lang) {
    const unit = await unitOf(row.unit);
    const previous = await previousOf(row);
    return validate(t, c.values, {
      period: parsePeriod(row.period)!,
      unitType: unit.type || undefined,
      unit,
      previous: previous?.view,
      asOf: c.asOf,
      lang,
      explanations: c.explanations,
    });
  }
  /** Replace the draft, keeping the one it replaces in draft_backups. */
  async function replaceDraft(row: ReturnRow, next: Content, reason: string): Promise<ReturnRow> {
    const at = now().toISOString();
    await db.transaction().execute(async (trx) => {
      await trx
        .insertInto('draft_backups')
        .values({
          return_id: row.id,
          draft_version: row.draft_version,
          values_json: row.values_json,
          explanations_json: row.explanations_json,
          as_of_json: row.as_of_json,
          reason,
          created_at: at,
        })
        .execute();
      await trx
        .updateTable('returns')
        .set({
          values_json: JSON.stringify(next.values),
          explanations_json: JSON.stringify(next.explanations),
          as_of_json: JSON.stringify(next.asOf),
          draft_version: sql<number>`draft_version + 1`,
          updated_at: at,
        })
        .where('id', '=', row.id)
        .execute();
    });
    return getReturn(row.id);
  }

  /**
   * Issue 7: apply a save's changes as compare-and-set, in one IMMEDIATE transaction (so two
   * processes on one file cannot interleave), and tell the writer what others changed since its base.
   */
  function saveDraftChanges(returnId: number, baseVersion: number, changes: DraftChange[], lang: Lang) {
    const select = opened.sqlite.prepare<[number], ReturnRow>('SELECT * FROM returns WHERE id = ?');
    const run = opened.sqlite.transaction(() => {
      const row = select.get(returnId);
      if (!row) throw new AppError('not_found', 'Không tìm thấy báo cáo này. Hãy mở lại danh sách kỳ báo cáo rồi chọn lại.');
      const t = templateOf(row.template, row.template_version);
      let cur: Content = contentOf(row);
      const applied = new Set<string>();
      const conflicts: SaveConflict[] = [];
      const merged = new Set<string>();
      for (const c of changes) {
        if (!isDraftPath(t, c.path))
          throw new AppError('invalid_input', `Mẫu ${t.id} không có ô "${c.path}". Hãy tải lại màn hình rồi nhập lại; dữ liệu đã lưu không thay đổi.`);
        if (c.path.startsWith('explanations.') && c.after != null && (typeof c.after !== 'string' || c.after.length > 2000))
          throw new AppError('invalid_input', `Giải trình "${c.path.slice(13)}" phải là văn bản không quá 2000 ký tự. Hãy rút gọn rồi lưu lại.`);
        if (c.path.startsWith('asOf.') && c.after != null && !(typeof c.after === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(c.after)))
          throw new AppError('invalid_input', `Ngày "${draftLabel(t, c.path, lang)}" không hợp lệ. Hãy chọn lại ngày rồi lưu lại.`);
        const stored = draftGet(cur, c.path);
        if (sameDraftValue(stored, c.after)) continue;
        if (sameDraftValue(stored, c.before)) {
          cur = draftSet(cur, c.path, c.after);
          applied.add(c.path);
          continue;
        }
        // A repeat list changed by another writer too: its rows merged where unambiguous (a car added in each window).
        const item = findItem(t, c.path)?.item;
        const rows = item?.kind === 'repeat' ? mergeRepeatRows(c.before, c.after, stored, item.maxRows) : undefined;
        if (rows) {
          cur = draftSet(cur, c.path, rows);
          applied.add(c.path);
          merged.add(c.path);
        } else conflicts.push({ path: c.path, label: draftLabel(t, c.path, lang), mine: c.after ?? null, theirs: stored });
      }
      // What others changed since the writer's base; every unit when the log does not cover it.
      const logs = opened.sqlite
        .prepare<[number, number, number], { paths_json: string }>(
          'SELECT paths_json FROM draft_log WHERE return_id = ? AND draft_version > ? AND draft_version <= ?',
        )
        .all(row.id, baseVersion, row.draft_version);
      const complete = baseVersion <= row.draft_version && logs.length === row.draft_version - baseVersion;
      const changedSince = complete ? new Set(logs.flatMap((l) => parseJson<string[]>(l.paths_json))) : new Set(draftPaths(t, cur));
      // The writer knows its own cells: those written, already equal, or in conflict (reported above);
      // a merged list is not what it sent, so it is told the stored list.
      const own = new Set(changes.map((c) => c.path).filter((p) => !merged.has(p)));
      const others = [...new Set([...changedSince, ...merged])]
        .filter((p) => !own.has(p))
        .map((p) => ({ path: p, label: draftLabel(t, p, lang), value: draftGet(cur, p) }));
      if (!applied.size) return { savedAt: row.updated_at ?? now().toISOString(), draftVersion: row.draft_version, conflicts, others };
      const savedAt = now().toISOString();
      const version = row.draft_version + 1;
      opened.sqlite
        .prepare('UPDATE returns SET values_json = ?, explanations_json = ?, as_of_json = ?, draft_version = ?, updated_at = ? WHERE id = ?')
        .run(JSON.stringify(cur.values), JSON.stringify(cur.explanations), JSON.stringify(cur.asOf), version, savedAt, row.id);
      opened.sqlite
        .prepare('INSERT INTO draft_log (return_id, draft_version, paths_json, saved_at) VALUES (?, ?, ?, ?)')
        .run(row.id, version, JSON.stringify([...applied]), savedAt);
      // A window whose base is older than the kept log gets every cell back instead (see `complete`).
      if (version % 500 === 0)
        opened.sqlite.prepare('DELETE FROM draft_log WHERE return_id = ? AND draft_version <= ?').run(row.id, version - 2000);
      return { savedAt, draftVersion: version, conflicts, others };
    });
    return run.immediate();
  }

  /**
   * Two processes may submit the same return at once (revision numbers are chosen before the
   * write): the one whose revision was taken meanwhile submits again as the next revision.
   */
  async function submitRaced(returnId: number, submittedBy: string | undefined, content?: Content): Promise<RevisionInfo> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await submit(returnId, submittedBy, content);
      } catch (e) {
        const taken = e instanceof Error && 'code' in e && e.code === 'SQLITE_CONSTRAINT_UNIQUE' && /revisions\.return_id/.test(e.message);
        if (taken && attempt < 5) continue;
        const mapped = storageError(e, opts.dbPath);
        if (mapped instanceof AppError && mapped.code === 'disk_full')
          throw new AppError(
            'disk_full',
            'Ổ đĩa đã đầy nên chưa nộp được báo cáo. Chưa có gì được ghi dở: bản nháp vẫn giữ nguyên và các lần nộp trước không đổi. Hãy giải phóng dung lượng ổ đĩa (xóa bớt tệp không cần) rồi nộp lại.',
            undefined,
            { cause: e },
          );
        throw mapped;
      }
    }
  }

  async function submit(returnId: number, submittedBy: string | undefined, content?: Content): Promise<RevisionInfo> {
    const row = await getReturn(returnId);
    const t = templateOf(row.template, row.template_version);
    const draft = content ?? contentOf(row);
    const s = await settings();
    const { errors, warnings } = await validateContent(row, t, draft, s.lang);
    const missing = unexplained(warnings, draft.explanations);
    if (errors.length || missing.length) {
      const parts = [errors.length ? `${errors.length} lỗi` : '', missing.length ? `${missing.length} cảnh báo chưa có giải trình` : '']
        .filter(Boolean)
        .join(' và ');
      throw new AppError(
        'refused',
        `Chưa nộp được báo cáo: còn ${parts}. Hãy sửa các lỗi và ghi giải trình cho các cảnh báo (xem danh sách), rồi nộp lại.`,
        { errors, warnings: missing },
      );
    }
    const frozen = frozenContent(t, draft);
    const revisions = await revisionsOf(row.id);
    const last = revisions.at(-1);
    if (last && sameContent(t, frozen, contentOf(last)))
      throw new AppError(
        'refused',
        `Báo cáo không có thay đổi nào so với lần nộp thứ ${last.revision}. Không cần nộp lại; nếu cần gửi lại tệp, hãy xuất lại gói lần ${last.revision}.`,
      );
    // Every attachment the return references is here (its package carries them): refused before anything is kept.
    for (const { path, ref } of attachmentRefs(frozen.values)) attachments.require(ref, refLabel(t, path));
    const revision = (last?.revision ?? 0) + 1;
    const unit = await unitOf(row.unit);
    const submittedAt = now().toISOString();
    const by = cleanText(submittedBy ?? '').trim() || signerName(t, frozen.values, 'preparer') || unit.name;
    const packageId = randomUUID();
    const ret: ReturnJson = {
      template: t.id,
      templateVersion: t.version,
      unit: row.unit,
      period: row.period,
      revision,
      values: frozen.values,
      explanations: frozen.explanations,
      asOf: frozen.asOf,
    };
    const xlsx = await loadXlsx();
    const hash = xlsx.valuesHash(t, ret, unit); // as its package: without what does not apply to the unit
    // The request the return answers (issue 9): carried by the package, and its own deadline decides lateness.
    const request = await communeRequests.requestFor(row.template, row.period);
    const bytes = await xlsx.writePackage({
      template: t,
      ret,
      unit,
      meta: {
        packageId,
        revision,
        createdAt: submittedAt,
        submittedAt,
        submittedBy: by,
        appVersion: opts.appVersion,
        request: await communeRequests.packageRequest(row.template, row.period),
      },
    });
    // The file that leaves the office must read back to what was frozen.
    const check = await xlsx.readPackage(bytes, resources.getTemplate);
    if (check.identity.hash !== hash || check.identity.packageId !== packageId || check.editedOutside)
      throw new Error(`package ${packageId} does not read back to the frozen revision (hash ${check.identity.hash} ≠ ${hash})`);
    const late = isLate(submittedAt, request ? lastDay(request.due, request.dueWording) : periodDeadline(parsePeriod(row.period)!, t.deadlineDay));
    // A copy of the database as it was before this revision (restorable from "Sao lưu").
    await backups.auto('submit');
    // The frozen revision and its place in the outbox are written together.
    await db.transaction().execute(async (trx) => {
      await trx
        .insertInto('revisions')
        .values({
          return_id: row.id,
          revision,
          package_id: packageId,
          template_version: t.version,
          values_json: JSON.stringify(frozen.values),
          explanations_json: JSON.stringify(frozen.explanations),
          as_of_json: JSON.stringify(frozen.asOf),
          hash,
          submitted_at: submittedAt,
          submitted_by: by,
          late: late ? 1 : 0,
          package: bytes,
        })
        .execute();
      await trx
        .insertInto('outbox')
        .values({ package_id: packageId, return_id: row.id, revision, state: 'queued', attempts: 0, queued_at: submittedAt })
        .execute();
    });
    delivery.kick();
    return { revision, packageId, submittedAt, submittedBy: by, hash, late };
  }

  async function revisionContent(returnId: number, revision: number): Promise<Content> {
    const r = await db
      .selectFrom('revisions')
      .select(['values_json', 'explanations_json', 'as_of_json'])
      .where('return_id', '=', returnId)
      .where('revision', '=', revision)
      .executeTakeFirst();
    if (!r) throw new AppError('not_found', `Báo cáo này chưa có lần nộp thứ ${revision}. Hãy chọn một lần nộp trong lịch sử.`);
    return contentOf(r);
  }

  /** A package file read for the open return: refused (draft untouched) when it is another return's. */
  async function readForImport(row: ReturnRow, file: { fileName: string; data: string }) {
    const t = templateOf(row.template, row.template_version);
    const xlsx = await loadXlsx();
    // A package with attachments is a .zip: the .xlsx and `tep-dinh-kem/` beside it.
    const whole = Buffer.from(file.data, 'base64');
    let pkg: ReturnType<typeof openPackageArchive>;
    try {
      pkg = openPackageArchive({ name: file.fileName, bytes: whole });
    } catch (e) {
      if (e instanceof ArchiveRefusal) throw new AppError('refused', e.message);
      throw e;
    }
    const { ret, identity, editedOutside } = await xlsx.readPackage(pkg ? Buffer.from(pkg.bytes) : whole, resources.getTemplate);
    if (identity.template !== row.template || identity.templateVersion !== row.template_version || identity.unit !== row.unit || identity.period !== row.period) {
      const theirs = await unitOf(identity.unit);
      throw new AppError(
        'wrong_return',
        `Tệp "${file.fileName}" là báo cáo của ${theirs.name}, ${periodLabel(identity.period)}, mẫu ${identity.template} phiên bản ${identity.templateVersion}, ` +
          `không phải báo cáo đang mở (${(await unitOf(row.unit)).name}, ${periodLabel(row.period)}, mẫu ${row.template} phiên bản ${row.template_version}). ` +
          'Hãy mở đúng kỳ báo cáo rồi nhập lại tệp; dữ liệu đang soạn không thay đổi.',
      );
    }
    // Every attachment the file references: carried beside it (same content) or already stored here.
    const carried = matchCarried(
      attachmentRefs(ret.values),
      pkg?.attachments ?? [],
      (sha) => attachments.has(sha),
      (path) => refLabel(t, path),
      'Hãy chọn đúng tệp .zip do ứng dụng xuất (gồm gói .xlsx và thư mục tệp đính kèm); dữ liệu đang soạn không thay đổi.',
    );
    if ('refusal' in carried) throw new AppError('refused', carried.refusal);
    const before = contentOf(row);
    const next: Content = { values: ret.values, explanations: ret.explanations ?? {}, asOf: { ...before.asOf, ...(ret.asOf ?? {}) } };
    return { t, identity, editedOutside, next, carried: carried.keep };
  }

  /** The current draft as a workbook marked "BẢN NHÁP — CHƯA NỘP" on every sheet; the city refuses it. */
  async function exportDraft(row: ReturnRow): Promise<{ fileName: string; data: string }> {
    const t = templateOf(row.template, row.template_version);
    const c = frozenContent(t, contentOf(row));
    const last = (await revisionsOf(row.id)).at(-1);
    const at = now();
    const ret: ReturnJson = { template: t.id, templateVersion: t.version, unit: row.unit, period: row.period, values: c.values, explanations: c.explanations, asOf: c.asOf };
    const xlsx = await loadXlsx();
    const bytes = await xlsx.writePackage({
      template: t,
      ret,
      unit: await unitOf(row.unit),
      meta: {
        packageId: randomUUID(),
        revision: last?.revision ?? 0,
        createdAt: at.toISOString(),
        submittedAt: null,
        submittedBy: null,
        appVersion: opts.appVersion,
        draft: true,
        request: await communeRequests.packageRequest(row.template, row.period),
      },
    });
    // With attachments: a .zip of the draft workbook and its files.
    const out = packageFile(attachments, t, c.values, draftFileName({ id: row.template }, row.unit, row.period, at), bytes);
    return { fileName: out.fileName, data: Buffer.from(out.bytes).toString('base64') };
  }

  const city = createCity({
    db,
    sqlite: opened.sqlite,
    resources,
    appVersion: opts.appVersion,
    now,
    today: () => vietnamToday(now()),
    serial,
    backup: async () => void (await backups.auto('import')),
    settings,
    setRole: (role) => setSetting('role', role),
    findUnit,
    installUnitList: (list) => installUnitList(db, list, now()),
    diff: diffContent,
    pull: () => delivery.pull(),
    decided: () => delivery.kick(),
  });

  // Requests (issue 9): the city issues and signs them, a commune receives them and lists what it owes.
  const requestDeps: RequestDeps = {
    db,
    sqlite: opened.sqlite,
    resources,
    registry: templates,
    appVersion: opts.appVersion,
    now,
    today: () => vietnamToday(now()),
    settings,
    unitList: currentUnitList,
    findUnit,
    serial,
    city,
    kickDelivery: () => delivery.kick(),
  };
  const cityRequests = createCityRequests(requestDeps);
  const communeRequests = createCommuneRequests(requestDeps);

  const delivery: Delivery = createDelivery({
    db,
    sqlite: opened.sqlite,
    now,
    settings,
    unitName: async (code) => (await findUnit(code))?.name ?? `đơn vị mã ${code}`,
    importFiles: (files, o) => city.importFiles(files, o),
    claimCity: () => city.claimCity(),
    requests: communeRequests,
    options: opts.delivery,
  });

  const handlers: Handlers = {
    ...city.handlers,
    ...delivery.handlers,
    ...createTemplateHandlers({
      registry: templates,
      sqlite: opened.sqlite,
      appVersion: opts.appVersion,
      now,
      today: () => vietnamToday(now()),
      settings,
      unitList: currentUnitList,
      serial,
      receiveSigned: (bytes, fileName) => communeRequests.receiveSignedTemplate(bytes, fileName),
    }),
    ...createAttachmentHandlers(attachments),
    ...cityRequests.handlers,
    ...communeRequests.handlers,
    ...createUserHandlers(requestDeps),
    'backups.list': () => ({ folder: backupsDir(opts.dbPath), items: backups.list() }),
    'backups.create': () => serial(() => backups.auto('manual')),
    'backups.inspect': ({ name }) => backups.inspect(name),
    'backups.restore': ({ name }) => serial(() => backups.restore(name)),
    'app.info': () => appInfo(),
    'app.setup': async ({ role, unitCode, firstPeriod }) => {
      const code = unitCode?.trim() || null;
      if (role === 'commune' && !code)
        throw new AppError('invalid_input', 'Hãy chọn đơn vị (xã, phường, đặc khu) của mình trong danh sách rồi tiếp tục.');
      const unit = code ? (await currentUnitList()).units.find((u) => u.code === code) : undefined;
      if (code && !unit)
        throw new AppError('invalid_input', `Mã đơn vị "${code}" không có trong danh sách đơn vị hiện hành. Hãy chọn đơn vị trong danh sách.`);
      const first = firstPeriod?.trim() || null;
      if (first && !parsePeriod(first))
        throw new AppError('invalid_input', `Kỳ báo cáo đầu tiên "${first}" không hợp lệ. Hãy chọn một kỳ trong danh sách, ví dụ Quý III/2026.`);
      // The first period confirmed here, else the unit list's (kept so that a later list does not move it).
      const keep = role === 'commune' ? (first ?? unit?.firstPeriod ?? null) : null;
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom('settings').where('key', 'in', ['role', 'unit_code', 'first_period']).execute();
        await trx.insertInto('settings').values({ key: 'role', value: role }).execute();
        if (code) await trx.insertInto('settings').values({ key: 'unit_code', value: code }).execute();
        if (keep) await trx.insertInto('settings').values({ key: 'first_period', value: keep }).execute();
        // When the office started using the app: standing periods that ended before it are not owed on
        // its home list (requests.todo) unless it set a first period. Kept from the first setup.
        await trx.insertInto('settings').values({ key: 'set_up_at', value: now().toISOString() }).onConflict((oc) => oc.column('key').doNothing()).execute();
      });
      return appInfo();
    },
    'app.setLanguage': async ({ lang }) => {
      await setSetting('lang', lang);
      return appInfo();
    },
    'units.list': () => currentUnitList(),
    'templates.get': ({ id, version }) => templateOf(id, version),
    'periods.list': async ({ template }) => {
      const t = latestTemplate(template);
      const unit = await requireUnit();
      const s = await settings();
      const { lang } = s;
      const first = await firstPeriodOf(s);
      // Periods that end before the first period starts are not expected from this office.
      const beforeFirst = (p: NonNullable<ReturnType<typeof parsePeriod>>) => !reportsFor(first, p);
      const today = vietnamToday(now());
      const rows = await db.selectFrom('returns').selectAll().where('unit', '=', unit.code).where('template', '=', t.id).execute();
      const byPeriod = new Map(rows.map((r) => [r.period, r]));
      const codes = new Set(defaultPeriods(t.periodTypes, today).map((p) => p.code));
      for (const r of rows) if (parsePeriod(r.period)) codes.add(r.period);
      const periods = [...codes].map((c) => parsePeriod(c)!).sort((a, b) => periodWindow(b).end.localeCompare(periodWindow(a).end));
      const out: PeriodRow[] = [];
      for (const p of periods) {
        const win = periodWindow(p);
        const deadline = periodDeadline(p, t.deadlineDay);
        const row = byPeriod.get(p.code);
        const revisions = row ? await revisionsOf(row.id) : [];
        const last = revisions.at(-1);
        const hasDraft = !!row?.updated_at && (!last || !sameContent(templateOf(row.template, row.template_version), contentOf(row), contentOf(last)));
        out.push({
          code: p.code,
          label: periodLabel(p, lang),
          start: win.start,
          end: win.end,
          deadline,
          status: last
            ? 'submitted'
            : beforeFirst(p) && !row?.updated_at
              ? 'before_start'
              : today > deadline && !beforeFirst(p)
                ? 'overdue'
                : row?.updated_at
                  ? 'draft'
                  : 'not_started',
          hasDraft,
          revision: last?.revision ?? null,
          submittedAt: last?.submitted_at ?? null,
          updatedAt: row?.updated_at ?? null,
          late: last?.late === 1,
        });
      }
      return out;
    },
    'returns.open': async ({ template, period }) => {
      const unit = await requireUnit();
      const row = await ensureReturn(unit.code, period, latestTemplate(template));
      communeRequests.markSeen(row.template, row.period);
      return stateOf(row);
    },
    'returns.saveDraft': async ({ returnId, baseVersion, changes }) => {
      const { lang } = await settings();
      // A Kysely transaction of this process may be open across an await: start ours after it.
      while (opened.sqlite.inTransaction) await new Promise((r) => setTimeout(r, 2));
      return saveDraftChanges(returnId, baseVersion, changes, lang);
    },
    'returns.submit': ({ returnId, submittedBy }) => serial(() => submitRaced(returnId, submittedBy)),
    'returns.history': async ({ returnId }) => {
      await getReturn(returnId);
      return (await revisionsOf(returnId)).map(revisionInfo);
    },
    'returns.diff': async ({ returnId, from, to }) => {
      const row = await getReturn(returnId);
      const t = templateOf(row.template, row.template_version);
      const before = await revisionContent(returnId, from);
      const after = to === 'draft' ? contentOf(row) : await revisionContent(returnId, to);
      return diffContent(t, before, after, (await settings()).lang);
    },
    'package.export': async ({ returnId, revision, draft }) => {
      const row = await getReturn(returnId);
      if (draft) return exportDraft(row);
      if (revision === undefined)
        throw new AppError('invalid_input', 'Hãy chọn lần nộp cần xuất trong Lịch sử, hoặc xuất bản nháp (có đánh dấu BẢN NHÁP — CHƯA NỘP).');
      const r = await db
        .selectFrom('revisions')
        .select('package_id')
        .where('return_id', '=', returnId)
        .where('revision', '=', revision)
        .executeTakeFirst();
      if (!r) throw new AppError('not_found', `Báo cáo này chưa có lần nộp thứ ${revision}. Hãy nộp báo cáo trước rồi xuất gói.`);
      // The .xlsx package, or a .zip named like it with the attachments (tep-dinh-kem/).
      const out = await revisionPackage(db, r.package_id, resources.getTemplate);
      return { fileName: out.fileName, data: Buffer.from(out.bytes).toString('base64') };
    },
    'package.importPreview': async ({ returnId, file }) => {
      const row = await getReturn(returnId);
      const f = await readForImport(row, file);
      const lang = (await settings()).lang;
      const { errors, warnings } = await validateContent(row, f.t, f.next, lang);
      const latestRevision = (await revisionsOf(row.id)).at(-1)?.revision ?? null;
      const n = f.identity.revision;
      const fileRevision = !f.identity.draft && Number.isInteger(n) && n > 0 ? n : null;
      return {
        changes: diffContent(f.t, contentOf(row), f.next, lang),
        errors,
        warnings,
        editedOutside: f.editedOutside,
        fileRevision,
        fileDraft: !!f.identity.draft,
        latestRevision,
        older: fileRevision !== null && latestRevision !== null && fileRevision < latestRevision,
        draftVersion: row.draft_version,
      };
    },
    'package.import': ({ returnId, file, draftVersion }) =>
      serial(async () => {
        const row = await getReturn(returnId);
        const { t, identity, editedOutside, next, carried } = await readForImport(row, file);
        if (draftVersion !== undefined && draftVersion !== row.draft_version)
          throw new AppError(
            'refused',
            'Bản nháp đã thay đổi từ lúc xem trước (có thể ở một cửa sổ khác), nên tệp chưa được nhập. Hãy chọn lại tệp để xem các thay đổi so với bản nháp mới nhất.',
          );
        const before = contentOf(row);
        await backups.auto('import');
        for (const f of carried) attachments.put(f.ref, f.bytes);
        const updated = await replaceDraft(row, next, `import:${identity.packageId}:${file.fileName}`);
        const lang = (await settings()).lang;
        const { errors, warnings } = await validateContent(updated, t, next, lang);
        return { state: await stateOf(updated), changes: diffContent(t, before, next, lang), errors, warnings, editedOutside };
      }),
    'returns.drafts': async ({ returnId }) => {
      const row = await getReturn(returnId);
      const t = templateOf(row.template, row.template_version);
      const current = contentOf(row);
      const kept = await db.selectFrom('draft_backups').selectAll().where('return_id', '=', returnId).orderBy('id', 'desc').limit(100).execute();
      return kept.map((b) => ({ id: b.id, createdAt: b.created_at, reason: keptReason(b.reason), changes: diffContent(t, contentOf(b), current).length }));
    },
    'returns.restoreDraft': ({ returnId, backupId }) =>
      serial(async () => {
        const row = await getReturn(returnId);
        const b = await db.selectFrom('draft_backups').selectAll().where('id', '=', backupId).where('return_id', '=', returnId).executeTakeFirst();
        if (!b) throw new AppError('not_found', 'Không tìm thấy bản nháp đã lưu này. Hãy mở lại Lịch sử rồi chọn một bản trong danh sách.');
        return stateOf(await replaceDraft(row, contentOf(b), `restore:${b.id}:${b.created_at}`));
      }),
  };

  // Issue 9: a clerk sees the standing calls of their own department only (core/users/scope.ts).
  scopeCityCalls(handlers, { standing: resources.standing, sqlite: opened.sqlite });
  guardAdminCalls(handlers);

  // A full disk reaches a person as a disk-full sentence, whatever call met it.
  const guarded = <A extends unknown[], R>(fn: (...a: A) => Promise<R> | R) =>
    async (...a: A): Promise<R> => {
      try {
        return await fn(...a);
      } catch (e) {
        throw storageError(e, opts.dbPath);
      }
    };
  for (const name of Object.keys(handlers) as (keyof Handlers)[])
    (handlers as Record<string, unknown>)[name] = guarded(handlers[name] as (i: unknown) => unknown);

  await delivery.start();
  return {
    handlers,
    resources,
    templates,
    submitReturnJson: guarded((ret: ReturnJson, submittedBy?: string) =>
      serial(async () => {
        const t = templateOf(ret.template, ret.templateVersion);
        const s = await settings();
        if (s.role === 'city')
          throw new AppError('refused', 'Cơ sở dữ liệu này dùng cho vai trò Thành phố, không nộp báo cáo của xã. Hãy dùng cơ sở dữ liệu của đơn vị.');
        if (s.unitCode && s.unitCode !== ret.unit)
          throw new AppError(
            'refused',
            `unit: cơ sở dữ liệu này là của đơn vị ${s.unitCode} (${(await unitOf(s.unitCode)).name}), còn báo cáo là của đơn vị ${ret.unit}. Hãy dùng đúng cơ sở dữ liệu của đơn vị.`,
          );
        if (!s.role) await handlers['app.setup']({ role: 'commune', unitCode: ret.unit });
        const row = await ensureReturn(ret.unit, ret.period, t);
        if (row.template_version !== t.version)
          throw new AppError(
            'refused',
            `templateVersion: báo cáo ${ret.period} trong cơ sở dữ liệu dùng mẫu phiên bản ${row.template_version}, còn tệp JSON dùng phiên bản ${t.version}. Hãy dùng đúng phiên bản mẫu.`,
          );
        const current = contentOf(row);
        const content = { values: ret.values, explanations: ret.explanations ?? {}, asOf: { ...current.asOf, ...(ret.asOf ?? {}) } };
        await replaceDraft(row, content, 'submit-json');
        // This content, even if another process replaces the draft meanwhile.
        return submitRaced(row.id, submittedBy, content);
      })),
    city: {
      ...city,
      importFiles: guarded(city.importFiles),
      consolidation: guarded(city.consolidation),
      importUnitList: guarded(city.importUnitList),
      restoreUnitList: guarded(city.restoreUnitList),
      claimCity: guarded(city.claimCity),
    },
    delivery: {
      ...delivery,
      pull: guarded(delivery.pull),
      useSettings: guarded(delivery.useSettings),
    },
    backup: guarded((destination: string) => backupDatabase(opened.sqlite, destination)),
    users: cityAuth(opened.sqlite, now),
    close: async () => {
      await delivery.stop();
      await queue;
      await opened.close();
    },
  };
}

/**
 * Seed the unit list shipped with the app into a new database. In a database made before unit
 * lists had attributes (0009_h_unit_attributes), the lists loaded from the shipped file get the
 * shipped file's attributes (co_hdnd …) for the units it lists alike (same code, type and name).
 */
async function seedUnitList(db: Kysely<DB>, list: UnitList, at: Date): Promise<void> {
  const any = await db.selectFrom('unit_list_versions').select('version').executeTakeFirst();
  if (!any) return installUnitList(db, list, at);
  if (!list.units.some((u) => u.attributes)) return;
  const shipped = new Map(list.units.map((u) => [u.code, u]));
  const rows = await db
    .selectFrom('units')
    .innerJoin('unit_list_versions as v', 'v.version', 'units.list_version')
    .select(['units.list_version', 'code', 'type', 'name', 'attributes_json'])
    .where('v.source', '=', list.source)
    .execute();
  const bare = new Set(rows.map((r) => r.list_version));
  for (const r of rows) if (r.attributes_json) bare.delete(r.list_version);
  for (const r of rows) {
    const u = shipped.get(r.code);
    const attributes = u && u.type === r.type && u.name === r.name ? attributesJson(u) : null;
    if (attributes && bare.has(r.list_version))
      await db.updateTable('units').set({ attributes_json: attributes }).where('list_version', '=', r.list_version).where('code', '=', r.code).execute();
  }
}

/** Store a unit list version and make it the current one (the city can replace the list later). */
export async function installUnitList(db: Kysely<DB>, list: UnitList, at: Date): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const exists = await trx.selectFrom('unit_list_versions').select('version').where('version', '=', list.version).executeTakeFirst();
    if (!exists) {
      await trx
        .insertInto('unit_list_versions')
        .values({ version: list.version, source: list.source, loaded_at: at.toISOString(), is_current: 0 })
        .execute();
      for (const u of list.units)
        await trx
          .insertInto('units')
          .values({ list_version: list.version, code: u.code, type: u.type, name: u.name, first_period: u.firstPeriod ?? null, attributes_json: attributesJson(u) })
          .execute();
    }
    await trx.updateTable('unit_list_versions').set({ is_current: 0 }).execute();
    await trx.updateTable('unit_list_versions').set({ is_current: 1 }).where('version', '=', list.version).execute();
  });
}
