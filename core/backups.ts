/**
 * Automatic rolling backups of the database (issue 7, item 6), with SQLite's backup API: a
 * consistent copy even while the app writes. They live in `backups/` beside the database, named
 * `<file>.<UTC time>[-n].<reason>.sqlite`, each verified (quick_check) before it is kept.
 * Kept: the 10 most recent, and the newest of each of the last 14 days.
 */
import { copyFileSync, existsSync, linkSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Kysely } from 'kysely';
import type { BackupInfo, BackupReason } from '../shared/index.js';
import { AppError, formatDateTime, periodLabel } from '../shared/index.js';
import type { DB } from './db.js';
import { APPLICATION_ID, damagedDb, migrateConnection, quickCheck, storageError } from './db.js';

export { APPLICATION_ID };

export const KEEP_RECENT = 10;
export const KEEP_DAYS = 14;
const REASONS: readonly BackupReason[] = ['submit', 'import', 'daily', 'manual', 'before-restore'];

export function backupsDir(dbPath: string): string {
  return path.join(path.dirname(path.resolve(dbPath)), 'backups');
}

function stampOf(d: Date): string {
  return d.toISOString().replace(/[-:.]/g, '');
}
/** 20260510T030000123Z → 2026-05-10T03:00:00.123Z */
function isoOf(stamp: string): string {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z$/.exec(stamp)!;
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${m[7]}Z`;
}
/** The day in Vietnam (UTC+7) of a moment, ISO. */
function vnDay(iso: string): string {
  return new Date(new Date(iso).getTime() + 7 * 3600_000).toISOString().slice(0, 10);
}

interface Parsed extends BackupInfo {
  seq: number;
}

function parseName(dbPath: string, name: string): Parsed | null {
  const base = path.basename(dbPath);
  if (!name.startsWith(`${base}.`)) return null;
  const m = /^(\d{8}T\d{9}Z)(?:-(\d+))?\.([a-z-]+)\.sqlite$/.exec(name.slice(base.length + 1));
  if (!m || !REASONS.includes(m[3] as BackupReason)) return null;
  return { name, createdAt: isoOf(m[1]!), reason: m[3] as BackupReason, size: 0, seq: Number(m[2] ?? 0) };
}

function listParsed(dbPath: string): Parsed[] {
  const dir = backupsDir(dbPath);
  if (!existsSync(dir)) return [];
  const out: Parsed[] = [];
  for (const name of readdirSync(dir)) {
    const p = parseName(dbPath, name);
    if (!p) continue;
    try {
      p.size = statSync(path.join(dir, name)).size;
    } catch {
      continue; // removed meanwhile (pruned by another process)
    }
    out.push(p);
  }
  return out.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.seq - a.seq);
}

/** The backups of a database, newest first. */
export function listBackups(dbPath: string): BackupInfo[] {
  return listParsed(dbPath).map(({ name, createdAt, reason, size }) => ({ name, createdAt, reason, size }));
}

/** Remove what the rule does not keep: the 10 most recent, and the newest of each of the last 14 days. */
export function pruneBackups(dbPath: string, at: Date, protect?: string): void {
  const all = listParsed(dbPath);
  const keep = new Set(all.slice(0, KEEP_RECENT).map((b) => b.name));
  if (protect) keep.add(protect);
  const today = vnDay(at.toISOString());
  const oldest = new Date(new Date(`${today}T00:00:00Z`).getTime() - (KEEP_DAYS - 1) * 86_400_000)
    .toISOString()
    .slice(0, 10);
  const seenDays = new Set<string>();
  for (const b of all) {
    const day = vnDay(b.createdAt);
    if (day < oldest || seenDays.has(day)) continue;
    seenDays.add(day);
    keep.add(b.name);
  }
  for (const b of all) if (!keep.has(b.name)) rmSync(path.join(backupsDir(dbPath), b.name), { force: true });
}

/** Open a copy read-write, make it a single self-contained file (no WAL) and check it. */
function verifyCopy(file: string, source: string): void {
  const d = new Database(file, { fileMustExist: true });
  try {
    d.pragma('journal_mode = DELETE');
    const check = quickCheck(d);
    if (check !== 'ok') throw new AppError('db_damaged', damagedDb(source), { quickCheck: check });
  } finally {
    d.close();
  }
}

/** Check a backup before it replaces the database: ours, readable and whole. */
function checkBackup(file: string, name: string): void {
  let d: Database.Database | undefined;
  try {
    d = new Database(file, { readonly: true, fileMustExist: true });
    const id = d.pragma('application_id', { simple: true }) as number;
    const check = quickCheck(d);
    if (id !== APPLICATION_ID || check !== 'ok')
      throw new AppError(
        'refused',
        `Bản sao lưu "${name}" bị hỏng hoặc không phải của ứng dụng này nên không khôi phục được. Hãy chọn một bản sao lưu khác; dữ liệu hiện tại chưa bị thay đổi.`,
        { quickCheck: check, applicationId: id },
      );
  } catch (e) {
    if (e instanceof AppError) throw e;
    throw new AppError(
      'refused',
      `Không đọc được bản sao lưu "${name}". Hãy chọn một bản sao lưu khác; dữ liệu hiện tại chưa bị thay đổi.`,
      undefined,
      { cause: e },
    );
  } finally {
    d?.close();
  }
}

function uniqueName(dbPath: string, at: Date, reason: BackupReason): string {
  const dir = backupsDir(dbPath);
  const base = `${path.basename(dbPath)}.${stampOf(at)}`;
  for (let n = 0; ; n++) {
    const name = `${base}${n ? `-${n}` : ''}.${reason}.sqlite`;
    if (!existsSync(path.join(dir, name)) && !existsSync(path.join(dir, `${name}.tmp`))) return name;
  }
}

/**
 * Write one backup of an open database: the backup API into a temp file, verified, then renamed
 * into place and older ones pruned. A failure leaves no partial file and says why in Vietnamese
 * (a full disk, a damaged database).
 */
export async function createBackup(
  sqlite: Database.Database,
  dbPath: string,
  reason: BackupReason,
  at: Date,
  protect?: string,
): Promise<BackupInfo> {
  const dir = backupsDir(dbPath);
  let tmp: string | undefined;
  try {
    mkdirSync(dir, { recursive: true });
    // The temp file is this process's own (two processes may back up the same database in the
    // same second); the final name is taken with link(), which fails if another process took it.
    tmp = path.join(dir, `${uniqueName(dbPath, at, reason)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
    await sqlite.backup(tmp);
    verifyCopy(tmp, dbPath);
    let name = uniqueName(dbPath, at, reason);
    for (let tries = 0; ; tries++) {
      try {
        linkSync(tmp, path.join(dir, name));
        rmSync(tmp, { force: true });
        break;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EEXIST' && tries < 50) {
          name = uniqueName(dbPath, at, reason);
          continue;
        }
        if (code === 'EEXIST') throw e;
        // A file system without hard links (FAT on a USB stick): a plain rename, as before.
        renameSync(tmp, path.join(dir, name));
        break;
      }
    }
    tmp = undefined;
    pruneBackups(dbPath, at, protect);
    return { name, createdAt: at.toISOString(), reason, size: statSync(path.join(dir, name)).size };
  } catch (e) {
    if (tmp) for (const f of [tmp, `${tmp}-journal`, `${tmp}-wal`, `${tmp}-shm`]) rmSync(f, { force: true });
    throw storageError(e, path.join(dir, 'x'));
  }
}

function backupPath(dbPath: string, name: string): string {
  if (!parseName(dbPath, name) || !existsSync(path.join(backupsDir(dbPath), name)))
    throw new AppError(
      'not_found',
      `Không có bản sao lưu "${name}" của tệp dữ liệu này. Hãy chọn một bản trong danh sách sao lưu (lệnh "backup list" hoặc màn hình "Sao lưu").`,
    );
  return path.join(backupsDir(dbPath), name);
}

/** The package ids a database holds: submitted revisions (commune) and received packages (city). */
function packageIds(d: Database.Database): { revisions: Set<string>; packages: Set<string> } {
  const ids = (q: string) => {
    try {
      return new Set(d.prepare<[], { id: string }>(q).all().map((r) => r.id));
    } catch {
      return new Set<string>(); // a table the backup's schema has not yet
    }
  };
  return { revisions: ids('SELECT package_id AS id FROM revisions'), packages: ids('SELECT package_id AS id FROM city_packages') };
}

/**
 * What restoring a backup would take away from the database in use: the revisions submitted and
 * the packages received since it was made. A revision the city may already hold must not vanish
 * unnoticed: its number would be given again to a different submission.
 */
export function inspectBackup(sqlite: Database.Database, dbPath: string, name: string): { revisionsSince: string[]; packagesSince: number } {
  const file = backupPath(dbPath, name);
  checkBackup(file, name);
  const src = new Database(file, { readonly: true, fileMustExist: true });
  let old: ReturnType<typeof packageIds>;
  try {
    old = packageIds(src);
  } finally {
    src.close();
  }
  const rows = sqlite
    .prepare<[], { id: string; period: string; revision: number; submitted_at: string }>(
      `SELECT v.package_id AS id, r.period, v.revision, v.submitted_at FROM revisions v JOIN returns r ON r.id = v.return_id ORDER BY v.submitted_at`,
    )
    .all();
  const revisionsSince = rows
    .filter((r) => !old.revisions.has(r.id))
    .map((r) => `${periodLabel(r.period)} — lần nộp ${r.revision}, nộp lúc ${formatDateTime(r.submitted_at)}`);
  const packagesSince = [...packageIds(sqlite).packages].filter((id) => !old.packages.has(id)).length;
  return { revisionsSince, packagesSince };
}

/** The AUTOINCREMENT counters of a database (table → last id given). */
function sequences(sqlite: Database.Database): Map<string, number> {
  try {
    return new Map(sqlite.prepare<[], { name: string; seq: number }>('SELECT name, seq FROM sqlite_sequence').all().map((r) => [r.name, r.seq]));
  } catch {
    return new Map(); // no AUTOINCREMENT table yet
  }
}

/**
 * After a restore, ids are never given again: a window still open on a report created after the
 * backup keeps its report's id, and that id must not come back as another period's report (its
 * saves would then write there). Each counter goes back up to what it was before the restore.
 */
function keepSequences(sqlite: Database.Database, before: Map<string, number>): void {
  const now = sequences(sqlite);
  const tables = new Set(sqlite.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'").all().map((r) => r.name));
  const update = sqlite.prepare('UPDATE sqlite_sequence SET seq = ? WHERE name = ?');
  const insert = sqlite.prepare('INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)');
  sqlite.transaction(() => {
    for (const [name, seq] of before) {
      if (!tables.has(name)) continue;
      const cur = now.get(name);
      if (cur === undefined) insert.run(name, seq);
      else if (cur < seq) update.run(seq, name);
    }
  })();
}

/**
 * Restore while the app has the database open (browser mode, Electron): the backup API copies the
 * backup into the live file under SQLite's locks, so every connection sees the restored content;
 * the schema is then brought up to date. The current content is backed up first.
 */
export async function restoreLive(
  sqlite: Database.Database,
  db: Kysely<DB>,
  dbPath: string,
  name: string,
  at: Date,
): Promise<{ restored: BackupInfo; safety: BackupInfo }> {
  const file = backupPath(dbPath, name);
  checkBackup(file, name);
  const restored = listBackups(dbPath).find((b) => b.name === name)!;
  const safety = await createBackup(sqlite, dbPath, 'before-restore', at, name);
  const ids = sequences(sqlite);
  const src = new Database(file, { readonly: true, fileMustExist: true });
  try {
    await src.backup(dbPath);
  } catch (e) {
    throw storageError(e, dbPath);
  } finally {
    src.close();
  }
  await migrateConnection(sqlite, db);
  keepSequences(sqlite, ids);
  return { restored, safety };
}

/**
 * Restore with nothing open (the command line): works on a damaged database too. The current
 * file is kept first: as a verified backup when it is whole, otherwise copied as it is
 * (`…damaged.sqlite-bad`, not offered for restore) so nothing is lost.
 */
export async function restoreClosed(
  dbPath: string,
  name: string,
  at: Date,
): Promise<{ restored: BackupInfo; safety: string | null; revisionsSince: string[] }> {
  const file = backupPath(dbPath, name);
  checkBackup(file, name);
  const restored = listBackups(dbPath).find((b) => b.name === name)!;
  let safety: string | null = null;
  let revisionsSince: string[] = [];
  let whole = false;
  let ids = new Map<string, number>();
  if (existsSync(dbPath)) {
    let cur: Database.Database | undefined;
    try {
      cur = new Database(dbPath, { fileMustExist: true });
      cur.pragma('busy_timeout = 10000');
      whole = quickCheck(cur) === 'ok' && cur.pragma('application_id', { simple: true }) === APPLICATION_ID;
      if (whole) {
        revisionsSince = inspectBackup(cur, dbPath, name).revisionsSince;
        safety = (await createBackup(cur, dbPath, 'before-restore', at, name)).name;
        ids = sequences(cur);
      }
    } catch (e) {
      if (e instanceof AppError && e.code !== 'db_damaged') throw e;
      whole = false;
    } finally {
      cur?.close();
    }
    if (!whole) {
      safety = `${path.basename(dbPath)}.${stampOf(at)}.damaged.sqlite-bad`;
      mkdirSync(backupsDir(dbPath), { recursive: true });
      try {
        copyFileSync(dbPath, path.join(backupsDir(dbPath), safety));
        if (existsSync(`${dbPath}-wal`)) copyFileSync(`${dbPath}-wal`, path.join(backupsDir(dbPath), `${safety}-wal`));
      } catch (e) {
        throw storageError(e, dbPath);
      }
    }
  }
  const src = new Database(file, { readonly: true, fileMustExist: true });
  try {
    if (whole) {
      // Under SQLite's locks: a running app sees the restored content.
      await src.backup(dbPath);
      const restoredDb = new Database(dbPath, { fileMustExist: true });
      try {
        restoredDb.pragma('busy_timeout = 10000');
        keepSequences(restoredDb, ids);
      } finally {
        restoredDb.close();
      }
    } else {
      const tmp = `${dbPath}.restoring`;
      await src.backup(tmp);
      for (const f of [`${dbPath}-wal`, `${dbPath}-shm`]) rmSync(f, { force: true });
      renameSync(tmp, dbPath);
    }
  } catch (e) {
    rmSync(`${dbPath}.restoring`, { force: true });
    throw storageError(e, dbPath);
  } finally {
    src.close();
  }
  return { restored, safety, revisionsSince };
}

export interface Backups {
  /** A backup before a write that matters (submit, import), or by hand. */
  auto(reason: BackupReason): Promise<BackupInfo>;
  /** Once a day on open: nothing when today already has a backup. */
  daily(): Promise<void>;
  list(): BackupInfo[];
  inspect(name: string): { revisionsSince: string[]; packagesSince: number };
  restore(name: string): Promise<{ restored: BackupInfo; safety: BackupInfo }>;
}

export function createBackups(deps: {
  sqlite: Database.Database;
  db: Kysely<DB>;
  dbPath: string;
  now: () => Date;
}): Backups {
  const { sqlite, db, dbPath, now } = deps;
  return {
    auto: (reason) => createBackup(sqlite, dbPath, reason, now()),
    daily: async () => {
      const today = vnDay(now().toISOString());
      if (listBackups(dbPath).some((b) => vnDay(b.createdAt) === today)) return;
      await createBackup(sqlite, dbPath, 'daily', now());
    },
    list: () => listBackups(dbPath),
    inspect: (name) => inspectBackup(sqlite, dbPath, name),
    restore: (name) => restoreLive(sqlite, db, dbPath, name, now()),
  };
}
