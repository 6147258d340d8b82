import { existsSync, statSync, statfsSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Generated, Migration } from 'kysely';
import { Kysely, Migrator, SqliteDialect, sql } from 'kysely';
import { AppError } from '../shared/index.js';

/** The tables of one installation's database. JSON columns hold text. */
export interface DB {
  settings: { key: string; value: string };
  unit_list_versions: { version: string; source: string; loaded_at: string; is_current: number };
  /** first_period (0004_e_unit_lists): the first period the unit reports, set by the city in its list; null: not set. */
  units: {
    list_version: string; code: string; type: string; name: string; first_period: string | null;
    /** 0009_h_unit_attributes: the list's other columns as a JSON object of strings (Unit.attributes); null: none. */
    attributes_json: string | null;
  };
  returns: {
    id: Generated<number>;
    unit: string;
    period: string;
    template: string;
    template_version: number;
    values_json: string;
    explanations_json: string;
    as_of_json: string;
    draft_version: number;
    created_at: string;
    updated_at: string | null;
  };
  revisions: {
    id: Generated<number>;
    return_id: number;
    revision: number;
    package_id: string;
    template_version: number;
    values_json: string;
    explanations_json: string;
    as_of_json: string;
    hash: string;
    submitted_at: string;
    submitted_by: string;
    late: number;
    package: Buffer;
  };
  draft_backups: {
    id: Generated<number>;
    return_id: number;
    draft_version: number;
    values_json: string;
    explanations_json: string;
    as_of_json: string;
    reason: string;
    created_at: string;
  };
  // ---- the city role (0002_city) ----
  /** Every package the city imported, verbatim; content is immutable, only `standing` changes. */
  city_packages: {
    id: Generated<number>;
    package_id: string;
    template: string;
    template_version: number;
    unit: string;
    period: string;
    revision: number;
    /** stored: a revision of its return; pending: waiting for a conflict to be resolved; set_aside: lost a conflict. */
    standing: 'stored' | 'pending' | 'set_aside';
    hash: string;
    edited_outside: number;
    values_json: string;
    explanations_json: string;
    as_of_json: string;
    created_at: string | null;
    submitted_at: string | null;
    submitted_by: string | null;
    app_version: string | null;
    late: number;
    imported_at: string;
    file_name: string;
    file_bytes: Buffer;
    errors: number;
    warnings: number;
    /** The unit list current when the package was imported (a return keeps the version it was made with). */
    unit_list_version: string;
  };
  /** The city's decision on a package; none means received (đã nhận). */
  city_reviews: {
    package: number; decision: 'accepted' | 'returned'; reason: string | null; decided_at: string;
    /** (0010_i_requests) The city user who decided, when the city has users; null before or without. */
    decided_by: string | null;
  };
  /** Two different packages with the same revision: the incoming one waits for the clerk. */
  city_conflicts: {
    id: Generated<number>;
    existing: number;
    incoming: number;
    created_at: string;
    resolved_at: string | null;
    kept: 'existing' | 'incoming' | null;
  };
  /** The current revision (highest stored) of each return at the city. */
  city_current: { template: string; period: string; unit: string; package: number };
  // ---- delivery (0003_delivery) ----
  /** The commune's outbox: one row per submitted revision, queued in the transaction that froze it. */
  outbox: {
    package_id: string;
    return_id: number;
    revision: number;
    /** sent/accepted/returned come from the server (its receipt, then its status answers). */
    state: 'queued' | 'sending' | 'sent' | 'accepted' | 'returned';
    attempts: number;
    queued_at: string;
    /** The server's receivedAt (its clock). */
    sent_at: string | null;
    decided_at: string | null;
    /** The city's reason when it returned the package. */
    reason: string | null;
    /** Set when the server refused the package for good (Vietnamese); the sender no longer tries it. */
    error: string | null;
    error_code: string | null;
  };
  /** The city's review decisions waiting to be pushed to the intake (POST /api/v1/decisions). */
  city_decision_outbox: {
    package_id: string;
    decision: 'accepted' | 'returned';
    reason: string | null;
    decided_at: string;
    /** not_on_server: the intake does not hold the package (it came by email); pushed again if a pull brings it. */
    state: 'pending' | 'pushed' | 'not_on_server' | 'refused';
    attempts: number;
    error: string | null;
  };
  /** Packages the city pull has fetched and imported (or refused), so a resumed pull skips them. */
  city_pulled: { package_id: string; outcome: string; pulled_at: string };
  /** (0004_e_unit_lists) The unit list a period's completeness and consolidation use, pinned on first use. */
  city_period_lists: { template: string; period: string; list_version: string; pinned_at: string };
  /** (0005_a_draft_log) The units each draft version changed, so a save can name what others changed since its base. */
  draft_log: { return_id: number; draft_version: number; paths_json: string; saved_at: string };
  /**
   * (0006_f_pull_refused) Packages the city's pull fetched but could not import, kept with their bytes
   * and tried again on every pull; relay: the refusal (or its end, state imported) still to tell the intake.
   */
  city_pull_refused: {
    package_id: string;
    unit: string;
    period: string;
    revision: number;
    file_name: string;
    bytes: Buffer;
    reason: string;
    state: 'refused' | 'imported';
    refused_at: string;
    attempts: number;
    relay: 'pending' | 'pushed';
  };
  /** (0007_b_templates) Templates published by the city or received by a commune; id@version is unique. */
  templates: {
    id: string;
    version: number;
    /** The template data (canonical JSON). */
    data_json: string;
    /** The authoring workbook it was built from, when there is one. */
    source_bytes: Buffer | null;
    source: 'published' | 'received';
    published_at: string;
    /** sha256 of the canonical JSON of the template. */
    sha256: string;
  };
  /**
   * (0008_f_attachments) The bytes of file cells (a scanned decision, a signed page), once per sha256;
   * drafts and revisions reference them by their AttachmentRef. Never changed once stored.
   */
  attachments: { sha256: string; name: string; mime: string; size: number; bytes: Buffer; created_at: string };
  // ---- requests, reminders, users (0010_i_requests, issue 9) ----
  /**
   * Every edition of every request this installation issued (city) or received (commune), verbatim
   * as signed; never changed except seen_at (when the officer first saw it on the home list).
   */
  requests: {
    id: string;
    edition: number;
    template: string;
    template_version: number;
    period: string;
    state: 'open' | 'withdrawn';
    due: string;
    due_wording: 'trong' | 'truoc';
    department: string;
    /** The RequestEdition (shared/requests.ts) as JSON. */
    data_json: string;
    /** The signed file (core/requests/sign.ts) exactly as issued or received. */
    signed: Buffer;
    source: 'issued' | 'received';
    stored_at: string;
    seen_at: string | null;
  };
  /** The city's editions waiting to be pushed to the intake (and what the intake said). */
  request_push: {
    request_id: string;
    edition: number;
    state: 'pending' | 'pushed' | 'refused';
    attempts: number;
    error: string | null;
  };
  /** Reminders: sent by the city (direction sent) or received by a commune (direction received). */
  reminders: {
    id: string;
    request_id: string;
    unit: string;
    message: string;
    created_at: string;
    created_by: string | null;
    direction: 'sent' | 'received';
    /** City: pending (to push), pushed (the intake holds it), offline (the unit has no delivery: list it). */
    push_state: 'pending' | 'pushed' | 'offline' | null;
    seen_at: string | null;
  };
  /** City users (issue 9 item 4): a name, a department, a slow hash of the password. */
  users: {
    id: Generated<number>;
    name: string;
    department: string;
    is_admin: number;
    salt: Buffer;
    hash: Buffer;
    created_at: string;
    disabled_at: string | null;
    last_login_at: string | null;
  };
  /** Browser-mode sessions: the sha256 of the cookie's random id, never the id itself. */
  sessions: {
    id_hash: string;
    user_id: number;
    csrf: string;
    created_at: string;
    last_seen_at: string;
    address: string | null;
  };
}

const MIGRATION_TABLE = 'kysely_migration';

/** Versioned migrations, in order. Never edit a released one: add the next. */
export const migrations: Record<string, Migration> = {
  '0001_initial': {
    async up(db) {
      const statements = [
        sql`CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
        sql`CREATE TABLE unit_list_versions (
              version TEXT PRIMARY KEY, source TEXT NOT NULL, loaded_at TEXT NOT NULL,
              is_current INTEGER NOT NULL DEFAULT 0)`,
        sql`CREATE TABLE units (
              list_version TEXT NOT NULL REFERENCES unit_list_versions(version),
              code TEXT NOT NULL, type TEXT NOT NULL, name TEXT NOT NULL,
              PRIMARY KEY (list_version, code))`,
        sql`CREATE TABLE returns (
              id INTEGER PRIMARY KEY AUTOINCREMENT,
              unit TEXT NOT NULL, period TEXT NOT NULL, template TEXT NOT NULL, template_version INTEGER NOT NULL,
              values_json TEXT NOT NULL, explanations_json TEXT NOT NULL, as_of_json TEXT NOT NULL,
              draft_version INTEGER NOT NULL DEFAULT 0,
              created_at TEXT NOT NULL, updated_at TEXT,
              UNIQUE (unit, period, template))`,
        sql`CREATE TABLE revisions (
              id INTEGER PRIMARY KEY AUTOINCREMENT,
              return_id INTEGER NOT NULL REFERENCES returns(id),
              revision INTEGER NOT NULL CHECK (revision > 0),
              package_id TEXT NOT NULL UNIQUE,
              template_version INTEGER NOT NULL,
              values_json TEXT NOT NULL, explanations_json TEXT NOT NULL, as_of_json TEXT NOT NULL,
              hash TEXT NOT NULL, submitted_at TEXT NOT NULL, submitted_by TEXT NOT NULL,
              late INTEGER NOT NULL, package BLOB NOT NULL,
              UNIQUE (return_id, revision))`,
        // A submitted revision is a frozen snapshot.
        sql`CREATE TRIGGER revisions_no_update BEFORE UPDATE ON revisions
              BEGIN SELECT RAISE(ABORT, 'revisions are immutable'); END`,
        sql`CREATE TRIGGER revisions_no_delete BEFORE DELETE ON revisions
              BEGIN SELECT RAISE(ABORT, 'revisions are immutable'); END`,
        sql`CREATE TABLE draft_backups (
              id INTEGER PRIMARY KEY AUTOINCREMENT,
              return_id INTEGER NOT NULL REFERENCES returns(id),
              draft_version INTEGER NOT NULL,
              values_json TEXT NOT NULL, explanations_json TEXT NOT NULL, as_of_json TEXT NOT NULL,
              reason TEXT NOT NULL, created_at TEXT NOT NULL)`,
        sql`CREATE INDEX draft_backups_return ON draft_backups(return_id)`,
      ];
      for (const s of statements) await s.execute(db);
    },
  },
  '0002_city': {
    async up(db) {
      const content = [
        'package_id', 'template', 'template_version', 'unit', 'period', 'revision', 'hash', 'edited_outside',
        'values_json', 'explanations_json', 'as_of_json', 'created_at', 'submitted_at', 'submitted_by', 'app_version',
        'late', 'imported_at', 'file_name', 'file_bytes', 'errors', 'warnings', 'unit_list_version',
      ].join(', ');
      const statements = [
        sql`CREATE TABLE city_packages (
              id INTEGER PRIMARY KEY AUTOINCREMENT,
              package_id TEXT NOT NULL UNIQUE,
              template TEXT NOT NULL, template_version INTEGER NOT NULL,
              unit TEXT NOT NULL, period TEXT NOT NULL, revision INTEGER NOT NULL CHECK (revision > 0),
              standing TEXT NOT NULL CHECK (standing IN ('stored', 'pending', 'set_aside')),
              hash TEXT NOT NULL, edited_outside INTEGER NOT NULL,
              values_json TEXT NOT NULL, explanations_json TEXT NOT NULL, as_of_json TEXT NOT NULL,
              created_at TEXT, submitted_at TEXT, submitted_by TEXT, app_version TEXT,
              late INTEGER NOT NULL, imported_at TEXT NOT NULL, file_name TEXT NOT NULL, file_bytes BLOB NOT NULL,
              errors INTEGER NOT NULL, warnings INTEGER NOT NULL,
              unit_list_version TEXT NOT NULL REFERENCES unit_list_versions(version))`,
        // One stored package per revision of a return; pending and set-aside ones stay beside it.
        sql`CREATE UNIQUE INDEX city_packages_revision ON city_packages(template, period, unit, revision) WHERE standing = 'stored'`,
        sql`CREATE INDEX city_packages_return ON city_packages(template, period, unit)`,
        // What was received is never changed or deleted; only its standing moves (conflict resolution).
        sql.raw(`CREATE TRIGGER city_packages_no_update BEFORE UPDATE OF ${content} ON city_packages
              BEGIN SELECT RAISE(ABORT, 'city packages are immutable'); END`),
        sql`CREATE TRIGGER city_packages_no_delete BEFORE DELETE ON city_packages
              BEGIN SELECT RAISE(ABORT, 'city packages are immutable'); END`,
        sql`CREATE TABLE city_reviews (
              package INTEGER PRIMARY KEY REFERENCES city_packages(id),
              decision TEXT NOT NULL CHECK (decision IN ('accepted', 'returned')),
              reason TEXT, decided_at TEXT NOT NULL,
              CHECK (decision = 'accepted' OR length(trim(coalesce(reason, ''))) > 0))`,
        sql`CREATE TABLE city_conflicts (
              id INTEGER PRIMARY KEY AUTOINCREMENT,
              existing INTEGER NOT NULL REFERENCES city_packages(id),
              incoming INTEGER NOT NULL UNIQUE REFERENCES city_packages(id),
              created_at TEXT NOT NULL, resolved_at TEXT,
              kept TEXT CHECK (kept IN ('existing', 'incoming')))`,
        sql`CREATE TABLE city_current (
              template TEXT NOT NULL, period TEXT NOT NULL, unit TEXT NOT NULL,
              package INTEGER NOT NULL REFERENCES city_packages(id),
              PRIMARY KEY (template, period, unit))`,
      ];
      for (const s of statements) await s.execute(db);
    },
  },
  '0003_delivery': {
    async up(db) {
      const statements = [
        sql`CREATE TABLE outbox (
              package_id TEXT PRIMARY KEY REFERENCES revisions(package_id),
              return_id INTEGER NOT NULL REFERENCES returns(id),
              revision INTEGER NOT NULL,
              state TEXT NOT NULL CHECK (state IN ('queued', 'sending', 'sent', 'accepted', 'returned')),
              attempts INTEGER NOT NULL DEFAULT 0,
              queued_at TEXT NOT NULL,
              sent_at TEXT, decided_at TEXT, reason TEXT,
              error TEXT, error_code TEXT)`,
        sql`CREATE INDEX outbox_state ON outbox(state, queued_at)`,
        // Revisions submitted before delivery existed are queued too (the intake stores each once).
        sql`INSERT INTO outbox (package_id, return_id, revision, state, attempts, queued_at)
              SELECT package_id, return_id, revision, 'queued', 0, submitted_at FROM revisions ORDER BY id`,
        sql`CREATE TABLE city_decision_outbox (
              package_id TEXT PRIMARY KEY,
              decision TEXT NOT NULL CHECK (decision IN ('accepted', 'returned')),
              reason TEXT, decided_at TEXT NOT NULL,
              state TEXT NOT NULL CHECK (state IN ('pending', 'pushed', 'not_on_server', 'refused')),
              attempts INTEGER NOT NULL DEFAULT 0, error TEXT)`,
        sql`CREATE TABLE city_pulled (package_id TEXT PRIMARY KEY, outcome TEXT NOT NULL, pulled_at TEXT NOT NULL)`,
      ];
      for (const s of statements) await s.execute(db);
    },
  },
  '0004_e_unit_lists': {
    async up(db) {
      const statements = [
        // The first period a unit reports (optional column first_period of the city's list).
        sql`ALTER TABLE units ADD COLUMN first_period TEXT`,
        // The list a period is counted and consolidated with, pinned the first time the period is used.
        sql`CREATE TABLE city_period_lists (
              template TEXT NOT NULL, period TEXT NOT NULL,
              list_version TEXT NOT NULL REFERENCES unit_list_versions(version),
              pinned_at TEXT NOT NULL,
              PRIMARY KEY (template, period))`,
        // Periods already used keep the list of their first imported package.
        sql`INSERT INTO city_period_lists (template, period, list_version, pinned_at)
              SELECT p.template, p.period, p.unit_list_version, p.imported_at FROM city_packages p
               WHERE p.id = (SELECT min(q.id) FROM city_packages q WHERE q.template = p.template AND q.period = p.period)`,
      ];
      for (const s of statements) await s.execute(db);
    },
  },
  '0005_a_draft_log': {
    async up(db) {
      // Which units each draft version changed (issue 7): a save tells its window what others changed since its base.
      await sql`CREATE TABLE draft_log (
              return_id INTEGER NOT NULL REFERENCES returns(id),
              draft_version INTEGER NOT NULL,
              paths_json TEXT NOT NULL,
              saved_at TEXT NOT NULL,
              PRIMARY KEY (return_id, draft_version))`.execute(db);
    },
  },
  '0006_f_pull_refused': {
    async up(db) {
      // Issue 7 item 11: a package refused at the city's pull is kept and tried again, not left on the server.
      await sql`CREATE TABLE city_pull_refused (
              package_id TEXT PRIMARY KEY,
              unit TEXT NOT NULL, period TEXT NOT NULL, revision INTEGER NOT NULL,
              file_name TEXT NOT NULL, bytes BLOB NOT NULL, reason TEXT NOT NULL,
              state TEXT NOT NULL CHECK (state IN ('refused', 'imported')),
              refused_at TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 1,
              relay TEXT NOT NULL CHECK (relay IN ('pending', 'pushed')))`.execute(db);
    },
  },
  '0007_b_templates': {
    async up(db) {
      // Issue 8: templates the city publishes (and a commune receives), one row per id@version.
      await sql`CREATE TABLE templates (
              id TEXT NOT NULL, version INTEGER NOT NULL CHECK (version > 0),
              data_json TEXT NOT NULL, source_bytes BLOB,
              source TEXT NOT NULL CHECK (source IN ('published', 'received')),
              published_at TEXT NOT NULL, sha256 TEXT NOT NULL,
              PRIMARY KEY (id, version))`.execute(db);
    },
  },
  '0008_f_attachments': {
    async up(db) {
      // Issue 8 item 4: attachments kept with the revision, once per content (sha256).
      await sql`CREATE TABLE IF NOT EXISTS attachments (
              sha256 TEXT PRIMARY KEY, name TEXT NOT NULL, mime TEXT NOT NULL,
              size INTEGER NOT NULL, bytes BLOB NOT NULL, created_at TEXT NOT NULL)`.execute(db);
      // A revision's attachments never change: stored bytes are neither updated nor deleted.
      await sql`CREATE TRIGGER IF NOT EXISTS attachments_no_update BEFORE UPDATE ON attachments
              BEGIN SELECT RAISE(ABORT, 'attachments are immutable'); END`.execute(db);
      await sql`CREATE TRIGGER IF NOT EXISTS attachments_no_delete BEFORE DELETE ON attachments
              BEGIN SELECT RAISE(ABORT, 'attachments are immutable'); END`.execute(db);
    },
  },
  '0009_h_unit_attributes': {
    async up(db) {
      // Issue 8: the unit list's other columns (co_hdnd, …) as a JSON object, what appliesTo.attribute reads.
      await sql`ALTER TABLE units ADD COLUMN attributes_json TEXT`.execute(db);
    },
  },
  '0010_i_requests': {
    async up(db) {
      // Issue 9: requests and their editions, reminders, city users and their sessions.
      const statements = [
        sql`CREATE TABLE requests (
              id TEXT NOT NULL, edition INTEGER NOT NULL CHECK (edition > 0),
              template TEXT NOT NULL, template_version INTEGER NOT NULL, period TEXT NOT NULL,
              state TEXT NOT NULL CHECK (state IN ('open', 'withdrawn')),
              due TEXT NOT NULL, due_wording TEXT NOT NULL CHECK (due_wording IN ('trong', 'truoc')),
              department TEXT NOT NULL, data_json TEXT NOT NULL, signed BLOB NOT NULL,
              source TEXT NOT NULL CHECK (source IN ('issued', 'received')),
              stored_at TEXT NOT NULL, seen_at TEXT,
              PRIMARY KEY (id, edition))`,
        sql`CREATE INDEX requests_return ON requests(template, period)`,
        sql`CREATE TRIGGER requests_no_update BEFORE UPDATE OF id, edition, template, template_version, period, state, due,
              due_wording, department, data_json, signed, source, stored_at ON requests
              BEGIN SELECT RAISE(ABORT, 'request editions are immutable'); END`,
        sql`CREATE TRIGGER requests_no_delete BEFORE DELETE ON requests
              BEGIN SELECT RAISE(ABORT, 'request editions are immutable'); END`,
        sql`CREATE TABLE request_push (
              request_id TEXT NOT NULL, edition INTEGER NOT NULL,
              state TEXT NOT NULL CHECK (state IN ('pending', 'pushed', 'refused')),
              attempts INTEGER NOT NULL DEFAULT 0, error TEXT,
              PRIMARY KEY (request_id, edition))`,
        sql`CREATE TABLE reminders (
              id TEXT PRIMARY KEY, request_id TEXT NOT NULL, unit TEXT NOT NULL, message TEXT NOT NULL,
              created_at TEXT NOT NULL, created_by TEXT,
              direction TEXT NOT NULL CHECK (direction IN ('sent', 'received')),
              push_state TEXT CHECK (push_state IN ('pending', 'pushed', 'offline')),
              seen_at TEXT)`,
        sql`CREATE INDEX reminders_request ON reminders(request_id, unit)`,
        sql`CREATE TABLE users (
              id INTEGER PRIMARY KEY AUTOINCREMENT,
              name TEXT NOT NULL UNIQUE COLLATE NOCASE, department TEXT NOT NULL,
              is_admin INTEGER NOT NULL DEFAULT 0, salt BLOB NOT NULL, hash BLOB NOT NULL,
              created_at TEXT NOT NULL, disabled_at TEXT, last_login_at TEXT)`,
        sql`CREATE TABLE sessions (
              id_hash TEXT PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id),
              csrf TEXT NOT NULL, created_at TEXT NOT NULL, last_seen_at TEXT NOT NULL, address TEXT)`,
        sql`ALTER TABLE city_reviews ADD COLUMN decided_by TEXT`,
      ];
      for (const s of statements) await s.execute(db);
    },
  },
};

export interface OpenedDb {
  db: Kysely<DB>;
  /** The raw connection, for the backup API. */
  sqlite: Database.Database;
  /** True when this open created the file (nothing to back up yet). */
  created: boolean;
  close(): Promise<void>;
}

/** Our mark in the SQLite header (PRAGMA application_id): "CRHB", commune returns of Hải Phòng. */
export const APPLICATION_ID = 0x43524842;

const DB_NEWER =
  'Tệp dữ liệu này được tạo bởi một phiên bản ứng dụng mới hơn. Hãy cập nhật ứng dụng lên phiên bản mới nhất rồi mở lại; dữ liệu trong tệp chưa bị thay đổi.';
const notSqlite = (file: string) =>
  `Tệp "${file}" không phải là tệp cơ sở dữ liệu (có thể đã chọn nhầm một tệp khác). Hãy chọn đúng tệp dữ liệu của ứng dụng, ví dụ commune.sqlite; tệp chưa bị thay đổi.`;
const foreignDb = (file: string) =>
  `Tệp "${file}" là cơ sở dữ liệu của một chương trình khác, không phải của ứng dụng báo cáo này, nên ứng dụng không dùng nó. Hãy chọn đúng tệp dữ liệu của ứng dụng, hoặc chỉ một tên tệp mới để tạo cơ sở dữ liệu mới; tệp chưa bị thay đổi.`;
/** A damaged data file: said plainly, with the way out (a backup); the file is not written. */
export const damagedDb = (file: string) =>
  `Tệp dữ liệu "${file}" bị hỏng (kiểm tra tính toàn vẹn không đạt), nên ứng dụng không ghi thêm gì vào tệp này. ` +
  `Hãy khôi phục bản sao lưu gần nhất: trong ứng dụng chọn "Sao lưu", hoặc dùng lệnh "commune-returns backup list --db ${file}" rồi "commune-returns backup restore --db ${file} <tên bản sao lưu>". Tệp hỏng chưa bị thay đổi.`;

const sqliteCode = (e: unknown): string | undefined =>
  e && typeof e === 'object' && 'code' in e && typeof e.code === 'string' ? e.code : undefined;

/** PRAGMA quick_check of an open connection: 'ok' or the first problem (a damaged page may also throw). */
export function quickCheck(d: Database.Database): string {
  try {
    const rows = d.pragma('quick_check(5)', { simple: false }) as { quick_check: string }[];
    return rows.map((r) => r.quick_check).join('; ') || 'ok';
  } catch (e) {
    if (/^SQLITE_(CORRUPT|NOTADB)/.test(sqliteCode(e) ?? '')) return String((e as Error).message);
    throw e;
  }
}

/**
 * Look at an existing file without writing to it: refuses a file that is not SQLite, another
 * program's database (another application id, or tables that are not ours), a database whose
 * migrations this app does not know (made by a newer version) and a damaged one (quick_check).
 * Returns the names of the migrations already applied.
 */
function inspectExisting(dbPath: string, known: Record<string, Migration>): string[] {
  let ro: Database.Database | undefined;
  try {
    ro = new Database(dbPath, { readonly: true, fileMustExist: true, ...nativeBinding() });
    const appId = ro.pragma('application_id', { simple: true }) as number;
    if (appId !== 0 && appId !== APPLICATION_ID) throw new AppError('foreign_file', foreignDb(dbPath), { applicationId: appId });
    const tables = (ro.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`).all() as { name: string }[]).map((r) => r.name);
    const applied = tables.includes(MIGRATION_TABLE)
      ? (ro.prepare(`SELECT name FROM ${MIGRATION_TABLE} ORDER BY name`).all() as { name: string }[]).map((r) => r.name)
      : [];
    if (appId === 0 && tables.length > 0 && !applied.includes('0001_initial'))
      throw new AppError('foreign_file', foreignDb(dbPath), { tables: tables.slice(0, 20) });
    const unknown = applied.filter((n) => !(n in known));
    if (unknown.length) throw new AppError('db_newer', DB_NEWER, { unknownMigrations: unknown });
    const check = quickCheck(ro);
    if (check !== 'ok') throw new AppError('db_damaged', damagedDb(dbPath), { quickCheck: check });
    return applied;
  } catch (e) {
    if (e instanceof AppError) throw e;
    const code = sqliteCode(e);
    if (code === 'SQLITE_NOTADB') throw new AppError('corrupt_file', notSqlite(dbPath), undefined, { cause: e });
    if (code?.startsWith('SQLITE_CORRUPT')) throw new AppError('db_damaged', damagedDb(dbPath), undefined, { cause: e });
    throw storageError(e, dbPath);
  } finally {
    ro?.close();
  }
}

export const DISK_FULL =
  'Ổ đĩa đã đầy nên không lưu được. Hãy giải phóng dung lượng ổ đĩa rồi thử lại; dữ liệu đã lưu trước đó vẫn an toàn.';
export const DB_BUSY =
  'Tệp dữ liệu đang được một chương trình khác ghi (một cửa sổ ứng dụng khác hoặc một lệnh đang chạy) nên chưa lưu được. Hãy đợi một lát rồi thử lại; dữ liệu đã lưu vẫn an toàn.';

function lowOnSpace(dir: string): boolean {
  try {
    const s = statfsSync(dir);
    return s.bavail * s.bsize < 1024 * 1024;
  } catch {
    return false;
  }
}

/**
 * A storage failure as a person should hear it: SQLite reports a full disk as SQLITE_FULL, or
 * as a plain I/O error when even its journal cannot grow; the free space of the folder tells.
 * A database locked by another process past the busy timeout, and a page found damaged while
 * in use, get their own sentences too.
 */
export function storageError(e: unknown, dbPath: string): unknown {
  const code = sqliteCode(e);
  if (code === undefined) return e;
  // A transaction SQLite rolled back itself on a full disk surfaces as "cannot rollback - no
  // transaction is active" from the rollback that follows: the disk is the cause there too.
  const secondary = code === 'SQLITE_ERROR' && /cannot (rollback|commit)/i.test(e instanceof Error ? e.message : '');
  if (code === 'SQLITE_FULL' || code === 'ENOSPC' || ((/^SQLITE_(IOERR|CANTOPEN)/.test(code) || secondary) && lowOnSpace(path.dirname(path.resolve(dbPath)))))
    return new AppError('disk_full', DISK_FULL, undefined, { cause: e });
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_BUSY_SNAPSHOT' || code === 'SQLITE_LOCKED')
    return new AppError('db_busy', DB_BUSY, undefined, { cause: e });
  if (code.startsWith('SQLITE_CORRUPT')) return new AppError('db_damaged', damagedDb(dbPath), undefined, { cause: e });
  return e;
}

/** Copy the database with SQLite's backup API (consistent even while in use). */
export async function backupDatabase(sqlite: Database.Database, destination: string): Promise<void> {
  await sqlite.backup(destination);
}

function stamp(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

/**
 * Bring a connection's schema to the latest version: every pending migration and our application
 * id in one IMMEDIATE transaction, so two processes creating the same new file never interleave
 * (the second waits for the first, up to the busy timeout, then finds nothing left to do).
 */
export async function migrateConnection(sqlite: Database.Database, db: Kysely<DB>, known: Record<string, Migration> = migrations): Promise<void> {
  sqlite.exec('BEGIN IMMEDIATE');
  try {
    const migrator = new Migrator({ db, migrationTableName: MIGRATION_TABLE, provider: { getMigrations: async () => known } });
    const { error } = await migrator.migrateToLatest();
    if (error) throw error;
    if (sqlite.pragma('application_id', { simple: true }) !== APPLICATION_ID) sqlite.pragma(`application_id = ${APPLICATION_ID}`);
    sqlite.exec('COMMIT');
  } catch (e) {
    if (sqlite.inTransaction) sqlite.exec('ROLLBACK');
    throw e;
  }
}

/**
 * Open (or create) the database: checked first without writing (ours, not damaged, not newer),
 * then WAL, synchronous=FULL (a commit survives a power cut), foreign keys on, then migrate to
 * the latest version, backing up an existing file first.
 */
export async function openDatabase(
  dbPath: string,
  opts: { now?: () => Date; migrations?: Record<string, Migration> } = {},
): Promise<OpenedDb> {
  const known = opts.migrations ?? migrations;
  const dir = path.dirname(path.resolve(dbPath));
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new AppError('invalid_input', `Thư mục "${dir}" không tồn tại. Hãy tạo thư mục này hoặc chọn nơi lưu tệp dữ liệu khác.`);
  if (existsSync(dbPath) && statSync(dbPath).isDirectory())
    throw new AppError('invalid_input', `"${dbPath}" là một thư mục, không phải tệp dữ liệu. Hãy chỉ đường dẫn tới một tệp, ví dụ commune.sqlite.`);
  const existed = existsSync(dbPath) && statSync(dbPath).size > 0;
  const applied = existed ? inspectExisting(dbPath, known) : [];

  let sqlite: Database.Database;
  try {
    sqlite = new Database(dbPath, nativeBinding());
  } catch (e) {
    throw storageError(e, dbPath);
  }
  let db: Kysely<DB> | undefined;
  try {
    sqlite.pragma('busy_timeout = 10000');
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = FULL');
    sqlite.pragma('foreign_keys = ON');
    db = new Kysely<DB>({ dialect: new SqliteDialect({ database: sqlite }) });

    const pending = Object.keys(known).filter((n) => !applied.includes(n));
    if (existed && applied.length > 0 && pending.length > 0) {
      const now = (opts.now ?? (() => new Date()))();
      await backupDatabase(sqlite, `${dbPath}.before-${pending[0]}-${stamp(now)}.sqlite`);
    }
    await migrateConnection(sqlite, db, known);
    const kdb = db;
    return { db: kdb, sqlite, created: !existed, close: () => kdb.destroy() };
  } catch (e) {
    if (db) await db.destroy();
    else sqlite.close();
    throw storageError(e, dbPath);
  }
}

/**
 * In a development Electron run (`npm start` with Electron installed) the addon built for Node's
 * ABI cannot load; scripts/start.js builds one for Electron's ABI and names it here. Packaged
 * builds have better-sqlite3 rebuilt for Electron by electron-builder and need nothing.
 */
function nativeBinding(): { nativeBinding?: string } {
  const p = process.versions.electron ? process.env.COMMUNE_RETURNS_SQLITE_BINDING : undefined;
  return p ? { nativeBinding: p } : {};
}
