import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { Migration } from 'kysely';
import { sql } from 'kysely';
import { AppError } from '../../shared/index.js';
import { migrations, openDatabase } from '../../core/db.js';
import { loadResources, parseUnitCsv, unitListVersion } from '../../core/resources.js';
import { call, openCore } from '../helpers/core.js';
import { resourcesDir, tempDir } from '../helpers/sample.js';

let tmp: ReturnType<typeof tempDir>;
afterEach(() => tmp?.cleanup());

describe('resources', () => {
  it('loads the template by id and version and the unit list with a content version', () => {
    const r = loadResources(resourcesDir);
    expect(r.getTemplate('BC-CX', 1)?.sections.map((s) => s.key)).toEqual(['unit_info', 'staff', 'hq', 'vehicles', 'procedures']);
    expect(r.getTemplate('BC-CX', 2)).toBeUndefined();
    expect(r.latestTemplate('BC-CX')?.version).toBe(1);
    expect(r.shippedUnits.units).toHaveLength(114);
    expect(r.shippedUnits.version).toMatch(/^haiphong-[0-9a-f]{8}$/);
    const counts = r.shippedUnits.units.reduce<Record<string, number>>((a, u) => ({ ...a, [u.type]: (a[u.type] ?? 0) + 1 }), {});
    expect(counts).toEqual({ xã: 67, phường: 45, 'đặc khu': 2 });
  });
  it('refuses a unit list with missing or repeated codes', () => {
    expect(() => parseUnitCsv('code,type,name\n1,xã,A\n1,xã,B\n')).toThrow(/repeated/);
    expect(() => parseUnitCsv('code,type,name\n1,,A\n')).toThrow(/line 2/);
    expect(unitListVersion('x/haiphong.csv', 'a')).toBe(unitListVersion('haiphong.csv', 'a'));
  });
});

describe('database', () => {
  it('creates the file in WAL mode with foreign keys and seeds the unit list once', async () => {
    tmp = tempDir();
    const db = tmp.file('c.sqlite');
    const core = await openCore(db);
    const info = await call(core, 'app.info', {});
    expect(info.role).toBeNull();
    expect(info.unitListVersion).toMatch(/^haiphong-/);
    const units = await call(core, 'units.list', {});
    expect(units.units).toHaveLength(114);
    await core.close();
    const raw = new Database(db, { readonly: true });
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(raw.prepare('SELECT count(*) AS n FROM unit_list_versions').get()).toEqual({ n: 1 });
    raw.close();
    const again = await openCore(db);
    expect((await call(again, 'units.list', {})).version).toBe(units.version);
    await again.close();
  });

  it('refuses a database from a newer app and leaves the file byte-identical', async () => {
    tmp = tempDir();
    const db = tmp.file('c.sqlite');
    const core = await openCore(db);
    await call(core, 'app.setup', { role: 'commune', unitCode: '11948' });
    await core.close();
    const raw = new Database(db);
    raw.prepare(`INSERT INTO kysely_migration (name, timestamp) VALUES ('0099_from_the_future', '2030-01-01T00:00:00.000Z')`).run();
    raw.pragma('wal_checkpoint(TRUNCATE)');
    raw.close();
    const before = readFileSync(db);
    const err = await openCore(db).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('db_newer');
    expect((err as AppError).message).toMatch(/cập nhật ứng dụng/);
    expect(readFileSync(db).equals(before)).toBe(true);
  });

  it('refuses a file that is not a database without touching it', async () => {
    tmp = tempDir();
    const db = tmp.file('notes.sqlite');
    writeFileSync(db, 'this is not sqlite, just a text file that someone renamed'.repeat(20));
    const before = readFileSync(db);
    await expect(openCore(db)).rejects.toMatchObject({ code: 'corrupt_file' });
    expect(readFileSync(db).equals(before)).toBe(true);
  });

  it('backs up the database with the backup API', async () => {
    tmp = tempDir();
    const core = await openCore(tmp.file('c.sqlite'));
    await call(core, 'app.setup', { role: 'commune', unitCode: '11948' });
    await core.backup(tmp.file('backup.sqlite'));
    await core.close();
    expect(existsSync(tmp.file('backup.sqlite'))).toBe(true);
    const copy = await openCore(tmp.file('backup.sqlite'));
    expect((await call(copy, 'app.info', {})).unit?.code).toBe('11948');
    await copy.close();
  });

  it('keeps submitted revisions immutable at the database level', async () => {
    tmp = tempDir();
    const db = tmp.file('c.sqlite');
    await (await openCore(db)).close();
    const raw = new Database(db);
    raw.prepare(`INSERT INTO returns (unit, period, template, template_version, values_json, explanations_json, as_of_json, created_at) VALUES ('1','2026-Q2','BC-CX',1,'{}','{}','{}','x')`).run();
    raw.prepare(`INSERT INTO revisions (return_id, revision, package_id, template_version, values_json, explanations_json, as_of_json, hash, submitted_at, submitted_by, late, package) VALUES (1,1,'p',1,'{}','{}','{}','h','t','b',0,x'00')`).run();
    expect(() => raw.prepare(`UPDATE revisions SET hash = 'other'`).run()).toThrow(/immutable/);
    expect(() => raw.prepare(`DELETE FROM revisions`).run()).toThrow(/immutable/);
    expect(() => raw.prepare(`INSERT INTO revisions (return_id, revision, package_id, template_version, values_json, explanations_json, as_of_json, hash, submitted_at, submitted_by, late, package) VALUES (99,1,'q',1,'{}','{}','{}','h','t','b',0,x'00')`).run()).toThrow(/FOREIGN KEY/);
    raw.close();
  });
});

describe('migrations', () => {
  it('backs up an existing database before applying a newer migration, and keeps its data', async () => {
    tmp = tempDir();
    const db = tmp.file('c.sqlite');
    const core = await openCore(db);
    await call(core, 'app.setup', { role: 'commune', unitCode: '11948' });
    await core.close();
    const next: Record<string, Migration> = {
      ...migrations,
      '9999_test_column': {
        async up(k) {
          await sql`ALTER TABLE settings ADD COLUMN note TEXT`.execute(k);
        },
      },
    };
    const opened = await openDatabase(db, { migrations: next, now: () => new Date('2026-05-10T03:00:00Z') });
    await opened.close();
    const backup = tmp.file('c.sqlite.before-9999_test_column-20260510T030000Z.sqlite');
    expect(existsSync(backup)).toBe(true);
    const old = new Database(backup, { readonly: true });
    expect((old.prepare('SELECT name FROM kysely_migration').all() as { name: string }[]).map((r) => r.name)).toEqual(Object.keys(migrations).sort());
    expect(old.prepare(`SELECT value FROM settings WHERE key = 'unit_code'`).get()).toEqual({ value: '11948' });
    old.close();
    // This app (without 9999) now refuses the migrated file as newer.
    await expect(openCore(db)).rejects.toMatchObject({ code: 'db_newer' });
  });

  it('refuses a missing folder with a Vietnamese sentence', async () => {
    tmp = tempDir();
    await expect(openCore(tmp.file('no/such/dir/c.sqlite'))).rejects.toMatchObject({ code: 'invalid_input', message: expect.stringMatching(/không tồn tại/) });
  });
});
