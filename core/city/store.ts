/**
 * The city's storage (migration 0002_city) through prepared statements on the raw connection:
 * imported packages (verbatim and immutable), review decisions, pending conflicts and the current
 * revision of each return. Every method is synchronous, so a caller's transaction cannot be
 * interleaved with anything else on the connection.
 */
import type Database from 'better-sqlite3';
import type { Selectable } from 'kysely';
import type { DB } from '../db.js';

export type Standing = 'stored' | 'pending' | 'set_aside';
export type Review = 'received' | 'accepted' | 'returned';

/** A package row without its bytes. */
export type PackageRow = Omit<Selectable<DB['city_packages']>, 'file_bytes'>;

/** A package row with its review. */
export interface ReviewedRow extends PackageRow {
  review: Review;
  reason: string | null;
  decided_at: string | null;
  /** The city user who decided (issue 9), when the city has users. */
  decided_by: string | null;
}

export type NewPackage = Omit<PackageRow, 'id'> & { file_bytes: Uint8Array };

export type ConflictRow = Selectable<DB['city_conflicts']>;

const COLUMNS = `p.id, p.package_id, p.template, p.template_version, p.unit, p.period, p.revision, p.standing, p.hash,
  p.edited_outside, p.values_json, p.explanations_json, p.as_of_json, p.created_at, p.submitted_at, p.submitted_by,
  p.app_version, p.late, p.imported_at, p.file_name, p.errors, p.warnings, p.unit_list_version`;
const REVIEWED = `${COLUMNS}, coalesce(r.decision, 'received') AS review, r.reason, r.decided_at, r.decided_by
  FROM city_packages p LEFT JOIN city_reviews r ON r.package = p.id`;

export type CityStore = ReturnType<typeof cityStore>;

export function cityStore(sqlite: Database.Database) {
  const q = {
    byPackageId: sqlite.prepare<[string], PackageRow>(`SELECT ${COLUMNS} FROM city_packages p WHERE p.package_id = ?`),
    byId: sqlite.prepare<[number], ReviewedRow>(`SELECT ${REVIEWED} WHERE p.id = ?`),
    stored: sqlite.prepare<[string, string, string], ReviewedRow>(
      `SELECT ${REVIEWED} WHERE p.template = ? AND p.period = ? AND p.unit = ? AND p.standing = 'stored' ORDER BY p.revision DESC`,
    ),
    storedRevision: sqlite.prepare<[string, string, string, number], ReviewedRow>(
      `SELECT ${REVIEWED} WHERE p.template = ? AND p.period = ? AND p.unit = ? AND p.revision = ? AND p.standing = 'stored'`,
    ),
    storedOfPeriod: sqlite.prepare<[string, string], ReviewedRow>(
      `SELECT ${REVIEWED} WHERE p.template = ? AND p.period = ? AND p.standing = 'stored' ORDER BY p.unit, p.revision DESC`,
    ),
    currentOfUnit: sqlite.prepare<[string, string], ReviewedRow & { cur_period: string }>(
      `SELECT ${REVIEWED} JOIN city_current c ON c.package = p.id WHERE c.template = ? AND c.unit = ?`,
    ),
    insert: sqlite.prepare<NewPackage>(
      `INSERT INTO city_packages (package_id, template, template_version, unit, period, revision, standing, hash, edited_outside,
         values_json, explanations_json, as_of_json, created_at, submitted_at, submitted_by, app_version, late, imported_at,
         file_name, file_bytes, errors, warnings, unit_list_version)
       VALUES (@package_id, @template, @template_version, @unit, @period, @revision, @standing, @hash, @edited_outside,
         @values_json, @explanations_json, @as_of_json, @created_at, @submitted_at, @submitted_by, @app_version, @late, @imported_at,
         @file_name, @file_bytes, @errors, @warnings, @unit_list_version)`,
    ),
    setStanding: sqlite.prepare<[Standing, number]>(`UPDATE city_packages SET standing = ? WHERE id = ?`),
    highestStored: sqlite.prepare<[string, string, string], { id: number }>(
      `SELECT id FROM city_packages WHERE template = ? AND period = ? AND unit = ? AND standing = 'stored' ORDER BY revision DESC LIMIT 1`,
    ),
    setCurrent: sqlite.prepare<[string, string, string, number]>(
      `INSERT INTO city_current (template, period, unit, package) VALUES (?, ?, ?, ?)
       ON CONFLICT (template, period, unit) DO UPDATE SET package = excluded.package`,
    ),
    currentOfPeriod: sqlite.prepare<[string, string], ReviewedRow>(
      `SELECT ${REVIEWED} JOIN city_current c ON c.package = p.id WHERE c.template = ? AND c.period = ?`,
    ),
    periods: sqlite.prepare<[string], { period: string }>(`SELECT DISTINCT period FROM city_current WHERE template = ?`),
    insertConflict: sqlite.prepare<[number, number, string]>(
      `INSERT INTO city_conflicts (existing, incoming, created_at) VALUES (?, ?, ?)`,
    ),
    conflict: sqlite.prepare<[number], ConflictRow>(`SELECT * FROM city_conflicts WHERE id = ?`),
    conflictOfIncoming: sqlite.prepare<[number], ConflictRow>(`SELECT * FROM city_conflicts WHERE incoming = ?`),
    resolveConflict: sqlite.prepare<[string, 'existing' | 'incoming', number]>(
      `UPDATE city_conflicts SET resolved_at = ?, kept = ? WHERE id = ?`,
    ),
    repointConflicts: sqlite.prepare<[number, number]>(
      `UPDATE city_conflicts SET existing = ? WHERE existing = ? AND resolved_at IS NULL`,
    ),
    decide: sqlite.prepare<[number, 'accepted' | 'returned', string | null, string, string | null]>(
      `INSERT INTO city_reviews (package, decision, reason, decided_at, decided_by) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (package) DO UPDATE SET decision = excluded.decision, reason = excluded.reason, decided_at = excluded.decided_at,
         decided_by = excluded.decided_by`,
    ),
    openConflicts: sqlite.prepare<[string], ConflictRow & { unit: string; period: string; revision: number }>(
      `SELECT c.*, p.unit, p.period, p.revision FROM city_conflicts c JOIN city_packages p ON p.id = c.incoming
        WHERE c.resolved_at IS NULL AND p.template = ? ORDER BY p.period, p.unit, c.id`,
    ),
    counts: sqlite.prepare<[], Record<string, number>>(
      `SELECT (SELECT count(*) FROM city_packages) AS packages, (SELECT count(*) FROM city_reviews) AS reviews,
              (SELECT count(*) FROM city_conflicts) AS conflicts, (SELECT count(*) FROM city_current) AS current`,
    ),
  };

  return {
    sqlite,
    findByPackageId: (packageId: string) => q.byPackageId.get(packageId),
    get: (id: number) => q.byId.get(id),
    /** Stored revisions of a return, highest first. */
    revisions: (template: string, period: string, unit: string) => q.stored.all(template, period, unit),
    revision: (template: string, period: string, unit: string, revision: number) => q.storedRevision.get(template, period, unit, revision),
    /** Stored revisions of every return of a period, by unit, highest revision first. */
    revisionsOfPeriod: (template: string, period: string) => q.storedOfPeriod.all(template, period),
    /** The current revision of each return of a unit (every period), for the change rule. */
    currentOfUnit: (template: string, unit: string) => q.currentOfUnit.all(template, unit),
    currentOfPeriod: (template: string, period: string) => q.currentOfPeriod.all(template, period),
    periods: (template: string) => q.periods.all(template).map((r) => r.period),
    insert: (p: NewPackage): number => Number(q.insert.run(p).lastInsertRowid),
    setStanding: (id: number, standing: Standing) => q.setStanding.run(standing, id),
    /** Point the return at its highest stored revision. */
    refreshCurrent: (template: string, period: string, unit: string) => {
      const top = q.highestStored.get(template, period, unit);
      if (top) q.setCurrent.run(template, period, unit, top.id);
    },
    addConflict: (existing: number, incoming: number, at: string): number => Number(q.insertConflict.run(existing, incoming, at).lastInsertRowid),
    conflict: (id: number) => q.conflict.get(id),
    conflictOfIncoming: (incoming: number) => q.conflictOfIncoming.get(incoming),
    resolveConflict: (id: number, kept: 'existing' | 'incoming', at: string) => q.resolveConflict.run(at, kept, id),
    /** Pending conflicts against a package that lost now wait against its replacement. */
    repointConflicts: (from: number, to: number) => q.repointConflicts.run(to, from),
    decide: (pkg: number, decision: 'accepted' | 'returned', reason: string | null, at: string, by: string | null = null) =>
      q.decide.run(pkg, decision, reason, at, by),
    /** Conflicts waiting for the clerk (issue 7 item 8), with the return they concern. */
    openConflicts: (template: string) => q.openConflicts.all(template),
    counts: () => q.counts.get()!,
  };
}
