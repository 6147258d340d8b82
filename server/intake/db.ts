/**
 * The intake store: one Kysely code path over SQLite (better-sqlite3, WAL; the default, one file,
 * nothing to install) or PostgreSQL (when a database URL is given; driver `pg`, loaded on demand).
 * Times are ISO strings from the server's clock; the package bytes are kept verbatim.
 */
import Database from 'better-sqlite3';
import type { ColumnType, Generated, Migration, MigrationProvider } from 'kysely';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';

export interface PackagesTable {
  /** Arrival order: the cursor of the city's pull. */
  seq: Generated<number>;
  package_id: string;
  unit: string;
  period: string;
  template: string;
  template_version: number;
  revision: number;
  /** The values hash written in the package's identity. */
  hash: string;
  /** sha256 hex of `data`. */
  sha256: string;
  size: number;
  /** 1 when the values hash does not match the visible cells (edited in Excel). */
  edited_outside: number;
  received_at: string;
  token_id: string;
  data: ColumnType<Buffer, Buffer | Uint8Array, never>;
}

export interface TokensTable {
  id: string;
  scope: 'unit' | 'city';
  unit: string | null;
  /** sha256 hex of the token; the token itself is never stored. */
  hash: string;
  label: string | null;
  created_at: string;
  revoked_at: string | null;
}

export interface DecisionsTable {
  package_id: string;
  /** refused: the city could not import the package yet (issue 7 item 11). */
  state: 'accepted' | 'returned' | 'refused';
  reason: string | null;
  decided_at: string;
  token_id: string;
}

/** Published reference data: `template:<id>:<version>` (template JSON) and `units` (Unit[] JSON). */
export interface ReferenceTable {
  name: string;
  kind: 'template' | 'units';
  version: string;
  content: string;
  published_at: string;
}

/**
 * (0002_requests, issue 9) Request editions the city put, verbatim, for the addressed units' inbox.
 * `seq` shares one arrival order with reminders (the inbox cursor), given under the insert lock.
 */
export interface RequestsTable {
  seq: number;
  request_id: string;
  edition: number;
  /** The addressed unit codes (JSON array), read from the signed payload's request.units. */
  units_json: string;
  /** The signed file's text. */
  content: string;
  received_at: string;
}

/** (0002_requests) Reminders the city sent to one unit each; idempotent by id. */
export interface RemindersTable {
  seq: number;
  id: string;
  request_id: string;
  unit: string;
  message: string;
  created_at: string;
  received_at: string;
}

export interface IntakeTables {
  requests: RequestsTable;
  reminders: RemindersTable;
  packages: PackagesTable;
  tokens: TokensTable;
  decisions: DecisionsTable;
  reference: ReferenceTable;
}

export type IntakeDialect = 'sqlite' | 'postgres';

export interface IntakeDb {
  kysely: Kysely<IntakeTables>;
  dialect: IntakeDialect;
  /** Where the data lives, for logs and the start-up line (no password). */
  describe: string;
  close(): Promise<void>;
}

export type IntakeDbOptions = { sqlitePath: string } | { databaseUrl: string };

function migrations(dialect: IntakeDialect): Record<string, Migration> {
  const blob = dialect === 'postgres' ? 'bytea' : 'blob';
  return {
    '0001_init': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('packages')
          .addColumn('seq', dialect === 'postgres' ? 'serial' : 'integer', (c) =>
            dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
          )
          .addColumn('package_id', 'text', (c) => c.notNull().unique())
          .addColumn('unit', 'text', (c) => c.notNull())
          .addColumn('period', 'text', (c) => c.notNull())
          .addColumn('template', 'text', (c) => c.notNull())
          .addColumn('template_version', 'integer', (c) => c.notNull())
          .addColumn('revision', 'integer', (c) => c.notNull())
          .addColumn('hash', 'text', (c) => c.notNull())
          .addColumn('sha256', 'text', (c) => c.notNull())
          .addColumn('size', 'integer', (c) => c.notNull())
          .addColumn('edited_outside', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('received_at', 'text', (c) => c.notNull())
          .addColumn('token_id', 'text', (c) => c.notNull())
          .addColumn('data', blob, (c) => c.notNull())
          .execute();
        await db.schema.createIndex('packages_unit').on('packages').columns(['unit', 'seq']).execute();
        await db.schema.createIndex('packages_sha256').on('packages').column('sha256').execute();

        await db.schema
          .createTable('tokens')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('scope', 'text', (c) => c.notNull())
          .addColumn('unit', 'text')
          .addColumn('hash', 'text', (c) => c.notNull().unique())
          .addColumn('label', 'text')
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('revoked_at', 'text')
          .execute();

        await db.schema
          .createTable('decisions')
          .addColumn('package_id', 'text', (c) => c.primaryKey().references('packages.package_id'))
          .addColumn('state', 'text', (c) => c.notNull())
          .addColumn('reason', 'text')
          .addColumn('decided_at', 'text', (c) => c.notNull())
          .addColumn('token_id', 'text', (c) => c.notNull())
          .execute();

        await db.schema
          .createTable('reference')
          .addColumn('name', 'text', (c) => c.primaryKey())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('version', 'text', (c) => c.notNull())
          .addColumn('content', 'text', (c) => c.notNull())
          .addColumn('published_at', 'text', (c) => c.notNull())
          .execute();
      },
    },
    '0002_requests': {
      // Issue 9: request editions and reminders for the offices' inbox. One arrival order (seq)
      // across both tables, given under the insert lock (store.ts nextInboxSeq), so one cursor reads both.
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('requests')
          .addColumn('seq', 'integer', (c) => c.primaryKey())
          .addColumn('request_id', 'text', (c) => c.notNull())
          .addColumn('edition', 'integer', (c) => c.notNull())
          .addColumn('units_json', 'text', (c) => c.notNull())
          .addColumn('content', 'text', (c) => c.notNull())
          .addColumn('received_at', 'text', (c) => c.notNull())
          .addUniqueConstraint('requests_edition', ['request_id', 'edition'])
          .execute();
        await db.schema
          .createTable('reminders')
          .addColumn('seq', 'integer', (c) => c.primaryKey())
          .addColumn('id', 'text', (c) => c.notNull().unique())
          .addColumn('request_id', 'text', (c) => c.notNull())
          .addColumn('unit', 'text', (c) => c.notNull())
          .addColumn('message', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addColumn('received_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('reminders_unit').on('reminders').columns(['unit', 'seq']).execute();
      },
    },
  };
}

/** The minimal surface of the `pg` module used here (its CommonJS default export). */
interface PgModule {
  Pool: new (config: { connectionString: string; max?: number }) => {
    connect(): Promise<unknown>;
    end(): Promise<void>;
    on(event: 'error', listener: (err: Error) => void): unknown;
  };
}

async function loadPg(): Promise<PgModule> {
  let mod: { default?: PgModule } & Partial<PgModule>;
  try {
    mod = (await import('pg')) as unknown as { default?: PgModule } & Partial<PgModule>;
  } catch (e) {
    throw new Error('PostgreSQL needs the "pg" package (npm install pg); it is not installed.', { cause: e });
  }
  return (mod.default ?? mod) as PgModule;
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return `PostgreSQL ${u.toString()}`;
  } catch {
    return 'PostgreSQL';
  }
}

async function migrate(db: Kysely<IntakeTables>, dialect: IntakeDialect): Promise<void> {
  const provider: MigrationProvider = { getMigrations: async () => migrations(dialect) };
  const migrator = new Migrator({
    db,
    provider,
    migrationTableName: 'intake_migration',
    migrationLockTableName: 'intake_migration_lock',
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new Error(`Intake database migration failed${failed ? ` at ${failed}` : ''}: ${String(error)}`, {
      cause: error,
    });
  }
}

/** Open (and create or migrate) the intake store. */
export async function openIntakeDb(opts: IntakeDbOptions): Promise<IntakeDb> {
  let kysely: Kysely<IntakeTables>;
  let dialect: IntakeDialect;
  let describe: string;
  if ('databaseUrl' in opts) {
    const pg = await loadPg();
    const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: 10 });
    // An idle client losing its connection (server restart) must not crash the process.
    pool.on('error', () => undefined);
    kysely = new Kysely<IntakeTables>({ dialect: new PostgresDialect({ pool: pool as never }) });
    dialect = 'postgres';
    describe = redactUrl(opts.databaseUrl);
  } else {
    const sqlite = new Database(opts.sqlitePath);
    sqlite.pragma('journal_mode = WAL');
    // A 201 promises the package is kept: FULL syncs every commit, even in WAL mode.
    sqlite.pragma('synchronous = FULL');
    sqlite.pragma('busy_timeout = 10000');
    sqlite.pragma('foreign_keys = ON');
    kysely = new Kysely<IntakeTables>({ dialect: new SqliteDialect({ database: sqlite }) });
    dialect = 'sqlite';
    describe = `SQLite ${opts.sqlitePath}`;
  }
  try {
    await migrate(kysely, dialect);
  } catch (e) {
    await kysely.destroy().catch(() => undefined);
    throw e;
  }
  return { kysely, dialect, describe, close: () => kysely.destroy() };
}

/**
 * Run `fn` in a transaction that holds the package-insert lock. On PostgreSQL, serial values are
 * taken before commit, so two concurrent inserts can commit out of order and a pull that already
 * read the higher one would skip the lower one for ever; the transaction-scoped advisory lock makes
 * arrival order equal commit order. SQLite has a single writer already.
 */
export function withInsertLock<T>(
  db: IntakeDb,
  fn: (trx: Kysely<IntakeTables>) => Promise<T>,
  lock: number = PACKAGE_INSERT_LOCK,
): Promise<T> {
  return db.kysely.transaction().execute(async (trx) => {
    if (db.dialect === 'postgres') await sql`select pg_advisory_xact_lock(${lock})`.execute(trx);
    return fn(trx);
  });
}

const PACKAGE_INSERT_LOCK = 740_411_001;
/** The inbox's (requests and reminders) insert lock: its seq is given under it, so commit order = seq order. */
export const INBOX_INSERT_LOCK = 740_411_002;
