/**
 * Issue 7, item 6: the database is checked on open, ours, backed up and restorable; a full disk,
 * two processes submitting at once and two processes creating one database each get their own
 * Vietnamese sentence. Real SQLite files, real processes, a real (tiny) tmpfs for the full disk.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../shared/index.js';
import { APPLICATION_ID } from '../../core/backups.js';
import { hasStack, runCli } from '../helpers/cli.js';
import { call, openCore } from '../helpers/core.js';
import { repoRoot, sampleReturn, sampleValues, tempDir } from '../helpers/sample.js';
import { makePackage } from '../helpers/city-packages.js';

let tmp: ReturnType<typeof tempDir>;
let ok: string;
let corrected: string;
beforeAll(() => {
  tmp = tempDir('cr-issue7-db-');
  ok = tmp.writeJson('ok.json', sampleReturn());
  const c = sampleReturn();
  c.values.staff.recruited = 2;
  corrected = tmp.writeJson('corrected.json', c);
});
afterAll(() => tmp.cleanup());

const GENERIC = /lỗi không mong muốn/;

function raw<T>(db: string, fn: (d: Database.Database) => T): T {
  const d = new Database(db, { readonly: true, fileMustExist: true });
  try {
    return fn(d);
  } finally {
    d.close();
  }
}
const revisions = (db: string) =>
  raw(db, (d) =>
    (d.prepare('SELECT revision FROM revisions ORDER BY revision').all() as { revision: number }[]).map(
      (r) => r.revision,
    ),
  );
const quickCheck = (db: string) => raw(db, (d) => d.pragma('quick_check', { simple: true }));
const backupsOf = (db: string) => {
  const dir = path.join(path.dirname(db), 'backups');
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.startsWith(`${path.basename(db)}.`))
        .sort()
    : [];
};

/** Overwrite the b-tree header of a table's root page: a real damaged data page. */
function damagePage(db: string, table: string): void {
  const { root, size } = raw(db, (d) => ({
    root: (d.prepare('SELECT rootpage FROM sqlite_master WHERE name = ?').get(table) as { rootpage: number }).rootpage,
    size: d.pragma('page_size', { simple: true }) as number,
  }));
  const fd = openSync(db, 'r+');
  writeSync(fd, Buffer.alloc(64, 0xa5), 0, 64, (root - 1) * size + 8);
  closeSync(fd);
}

describe('checking the file on open', () => {
  it('refuses a damaged database in Vietnamese and never writes to it', async () => {
    const db = tmp.file('damaged.sqlite');
    expect((await runCli(['submit', '--db', db, '--from-json', ok])).code).toBe(0);
    damagePage(db, 'revisions');
    const before = readFileSync(db);
    const r = await runCli(['submit', '--db', db, '--from-json', corrected]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Tệp dữ liệu .* bị hỏng/);
    expect(r.stderr).toMatch(/khôi phục .*bản sao lưu/);
    expect(r.stderr).not.toMatch(/vẫn an toàn/);
    expect(r.stderr).not.toMatch(GENERIC);
    expect(hasStack(r.stderr)).toBe(false);
    expect(readFileSync(db).equals(before)).toBe(true);
    // Reading a WAL database may leave an empty -wal beside it; nothing is written into it.
    expect(existsSync(`${db}-wal`) ? statSync(`${db}-wal`).size : 0).toBe(0);
  });

  it('refuses another program’s SQLite file and a non-SQLite file, untouched', async () => {
    const foreignId = tmp.file('other-app.sqlite');
    const d1 = new Database(foreignId);
    d1.pragma('application_id = 1234567');
    d1.exec('CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT)');
    d1.close();
    const foreignTables = tmp.file('accounts.sqlite');
    const d2 = new Database(foreignTables);
    d2.exec(
      `CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers (name) VALUES ('Công ty A')`,
    );
    d2.close();
    const text = tmp.file('notes.sqlite');
    writeFileSync(text, 'Đây là một tệp văn bản, không phải cơ sở dữ liệu.\n'.repeat(200));
    for (const [file, sentence] of [
      [foreignId, /của một chương trình khác/],
      [foreignTables, /của một chương trình khác/],
      [text, /không phải là tệp cơ sở dữ liệu/],
    ] as const) {
      const before = readFileSync(file);
      const r = await runCli(['submit', '--db', file, '--from-json', ok]);
      expect(r.code, file).toBe(1);
      expect(r.stderr).toMatch(sentence);
      expect(r.stderr).toMatch(/tệp chưa bị thay đổi/);
      expect(hasStack(r.stderr)).toBe(false);
      expect(readFileSync(file).equals(before), file).toBe(true);
      expect(existsSync(`${file}-wal`)).toBe(false);
    }
  });

  it('marks a new database and a database of today’s version with our application id', async () => {
    const fresh = tmp.file('fresh.sqlite');
    const core = await openCore(fresh);
    await core.close();
    expect(raw(fresh, (d) => d.pragma('application_id', { simple: true }))).toBe(APPLICATION_ID);
    // A database written before the application id existed: our tables, id 0.
    const old = new Database(fresh);
    old.pragma('application_id = 0');
    old.close();
    const again = await openCore(fresh);
    expect((await call(again, 'units.list', {})).units.length).toBeGreaterThan(100);
    await again.close();
    expect(raw(fresh, (d) => d.pragma('application_id', { simple: true }))).toBe(APPLICATION_ID);
  });
});

describe('rolling backups', () => {
  it('backs up before each submit, each import and once a day, verified and bounded', async () => {
    const db = tmp.file('rolling.sqlite');
    let now = new Date('2026-05-10T03:00:00Z');
    const core = await openCore(db, () => now);
    expect(backupsOf(db)).toEqual([]); // a new file: nothing to keep yet
    await core.submitReturnJson(sampleReturn());
    const st = await call(core, 'returns.open', { template: 'BC-CX', period: '2026-Q2' });
    expect(backupsOf(db).filter((f) => f.endsWith('.submit.sqlite'))).toHaveLength(1);
    const exported = await call(core, 'package.export', { returnId: st.returnId, revision: 1 });
    await call(core, 'package.import', {
      returnId: st.returnId,
      file: { fileName: exported.fileName, data: exported.data },
    });
    expect(backupsOf(db).filter((f) => f.endsWith('.import.sqlite'))).toHaveLength(1);
    const listed = await call(core, 'backups.list', {});
    expect(listed.items.map((b) => b.reason).sort()).toEqual(['import', 'submit']);
    await core.close();

    // Once a day on open: twice on one day makes one.
    now = new Date('2026-05-11T03:00:00Z');
    for (let i = 0; i < 2; i++) await (await openCore(db, () => now)).close();
    expect(backupsOf(db).filter((f) => f.endsWith('.daily.sqlite'))).toHaveLength(1);

    // Twenty days, three manual backups a day: ten recent + one per day for fourteen days.
    for (let day = 12; day < 32; day++) {
      now = new Date(`2026-05-${String(day).padStart(2, '0')}T03:00:00Z`);
      const c = await openCore(db, () => now);
      for (let k = 0; k < 3; k++) {
        now = new Date(now.getTime() + 60_000);
        await call(c, 'backups.create', {});
      }
      await c.close();
    }
    const kept = backupsOf(db);
    expect(kept.length).toBeLessThanOrEqual(10 + 14);
    expect(kept.length).toBeGreaterThanOrEqual(14);
    const days = new Set(kept.map((f) => /\.(\d{8})T/.exec(f)![1]));
    expect([...days].sort()[0]).toBe('20260518'); // 14 days back from 31 May
    for (const f of kept) expect(quickCheck(path.join(tmp.dir, 'backups', f))).toBe('ok');
    expect(readdirSync(path.join(tmp.dir, 'backups')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('backs up the city database before an import', async () => {
    const db = tmp.file('city-rolling.sqlite');
    const core = await openCore(db);
    const pkg = await makePackage(sampleReturn());
    await call(core, 'city.import', {
      files: [{ fileName: pkg.fileName, data: pkg.bytes.toString('base64') }],
      dryRun: false,
    });
    expect(backupsOf(db).filter((f) => f.endsWith('.import.sqlite'))).toHaveLength(1);
    await core.close();
  });
});

describe('restore from the app', () => {
  it('restores into the open database (it reads the restored data at once) and refuses names not in the list', async () => {
    const db = tmp.file('restore-live.sqlite');
    const core = await openCore(db);
    try {
      await core.submitReturnJson(sampleReturn());
      const c = sampleReturn();
      c.values.staff.recruited = 2;
      await core.submitReturnJson(c);
      const { items } = await call(core, 'backups.list', {});
      const beforeR2 = items.find((b) => b.reason === 'submit')!; // newest first: made just before revision 2
      const r = await call(core, 'backups.restore', { name: beforeR2.name });
      expect(r.restored.name).toBe(beforeR2.name);
      expect(r.safety.reason).toBe('before-restore');
      const st = await call(core, 'returns.open', { template: 'BC-CX', period: '2026-Q2' });
      expect(st.revisions.map((x) => x.revision)).toEqual([1]);
      // The safety copy brings revision 2 back.
      await call(core, 'backups.restore', { name: r.safety.name });
      expect(
        (await call(core, 'returns.open', { template: 'BC-CX', period: '2026-Q2' })).revisions.map((x) => x.revision),
      ).toEqual([1, 2]);
      for (const name of ['../restore-live.sqlite', 'khong-co.sqlite'])
        await expect(call(core, 'backups.restore', { name })).rejects.toMatchObject({
          code: 'not_found',
          message: expect.stringMatching(/Không có bản sao lưu/),
        });
    } finally {
      await core.close();
    }
    expect(quickCheck(db)).toBe('ok');
  });
});

describe('restore from the command line', () => {
  it('lists, creates and restores a backup, keeping the current file first', async () => {
    const db = tmp.file('restore-cli.sqlite');
    expect((await runCli(['submit', '--db', db, '--from-json', ok])).code).toBe(0);
    const made = await runCli(['backup', 'create', '--db', db]);
    expect(made.code).toBe(0);
    expect(made.stdout).toMatch(/Đã tạo bản sao lưu/);
    expect((await runCli(['submit', '--db', db, '--from-json', corrected])).code).toBe(0);
    expect(revisions(db)).toEqual([1, 2]);
    const list = await runCli(['backup', 'list', '--db', db]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/Tạo thủ công/);
    expect(list.stdout).toMatch(/Trước khi nộp báo cáo/);
    const manual = backupsOf(db).find((f) => f.endsWith('.manual.sqlite'))!;
    const r = await runCli(['backup', 'restore', '--db', db, manual]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Đã khôi phục/);
    // What the restore took away is said, with where it still is.
    expect(r.stdout).toMatch(/Chú ý: 1 lần nộp sau thời điểm sao lưu không còn .*Quý II\/2026 — lần nộp 2, nộp lúc/);
    expect(revisions(db)).toEqual([1]);
    expect(backupsOf(db).some((f) => f.endsWith('.before-restore.sqlite'))).toBe(true);
    // The file restored over is kept: restoring it brings revision 2 back.
    const safety = backupsOf(db).find((f) => f.endsWith('.before-restore.sqlite'))!;
    expect((await runCli(['backup', 'restore', '--db', db, safety])).code).toBe(0);
    expect(revisions(db)).toEqual([1, 2]);

    const missing = await runCli(['backup', 'restore', '--db', db, 'khong-co.sqlite']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/Không có bản sao lưu/);
    expect((await runCli(['backup', 'restore', '--db', db])).code).toBe(2);
  });

  it('restores a damaged database from its latest backup', async () => {
    const db = tmp.file('restore-damaged.sqlite');
    expect((await runCli(['submit', '--db', db, '--from-json', ok])).code).toBe(0);
    expect((await runCli(['backup', 'create', '--db', db])).code).toBe(0);
    damagePage(db, 'revisions');
    const name = backupsOf(db).find((f) => f.endsWith('.manual.sqlite'))!;
    const r = await runCli(['backup', 'restore', '--db', db, name]);
    expect(r.code).toBe(0);
    expect(quickCheck(db)).toBe('ok');
    expect(revisions(db)).toEqual([1]);
    expect((await runCli(['submit', '--db', db, '--from-json', corrected])).code).toBe(0);
  });
});

describe('failures with their own sentence', () => {
  it('a full disk during submit: a disk-full sentence, nothing half-written, the draft intact', async (ctx) => {
    const small = tmp.file('tiny');
    mkdirSync(small);
    if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', small]).status !== 0) {
      console.log('SKIPPED full-disk test: cannot mount a small tmpfs here (needs root and mount permission).');
      ctx.skip();
    }
    try {
      const db = path.join(small, 'commune.sqlite');
      const core = await openCore(db);
      try {
        await core.submitReturnJson(sampleReturn());
        const st = await call(core, 'returns.open', { template: 'BC-CX', period: '2026-Q2' });
        const values = sampleValues();
        values.staff.recruited = 4;
        await call(core, 'returns.saveDraft', {
          returnId: st.returnId,
          baseVersion: st.draftVersion,
          changes: [{ path: 'staff.recruited', before: 0, after: 4 }],
        });
        const fd = openSync(path.join(small, 'filler'), 'w');
        try {
          for (;;) writeSync(fd, Buffer.alloc(4096, 1));
        } catch (e) {
          expect((e as { code?: string }).code).toBe('ENOSPC');
        } finally {
          closeSync(fd);
        }
        const err = await call(core, 'returns.submit', { returnId: st.returnId }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(AppError);
        expect((err as AppError).code).toBe('disk_full');
        expect((err as AppError).message).toMatch(/Ổ đĩa đã đầy/);
        expect((err as AppError).message).toMatch(/bản nháp/);
        const again = await call(core, 'returns.open', { template: 'BC-CX', period: '2026-Q2' });
        expect(again.values).toEqual(values);
        expect(again.revisions.map((r) => r.revision)).toEqual([1]);
      } finally {
        await core.close();
      }
      expect(quickCheck(db)).toBe('ok');
      expect(readdirSync(path.join(small, 'backups')).filter((f) => !f.endsWith('.sqlite'))).toEqual([]);
    } finally {
      spawnSync('umount', [small]);
    }
  });

  const WORKER = path.join(repoRoot, 'tests', 'helpers', 'issue7-db-worker.ts');
  type Answer = { ok: true; result: unknown } | { ok: false; error: { code: string; message: string }; raw: string };
  function worker(args: string[]): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', WORKER, ...args], {
        cwd: repoRoot,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('error', reject);
      child.on('close', () => {
        const line = out.trim().split('\n').at(-1);
        if (!line) reject(new Error(`worker printed nothing: ${err}`));
        else resolve(JSON.parse(line) as Answer);
      });
    });
  }
  const started = (db: string) => new Promise((r) => setTimeout(r, 2500)).then(() => db);

  it('two processes submitting at once: both become revisions, in order, never a corrupt state', async () => {
    for (let round = 0; round < 3; round++) {
      const db = tmp.file(`race-submit-${round}.sqlite`);
      expect((await runCli(['submit', '--db', db, '--from-json', ok])).code).toBe(0);
      const a = sampleReturn();
      a.values.staff.recruited = 5 + round;
      const b = sampleReturn();
      b.values.staff.transferred_in = 7 + round;
      const go = tmp.file(`go-submit-${round}`);
      const runs = [
        worker(['submit', db, go, tmp.writeJson(`a-${round}.json`, a)]),
        worker(['submit', db, go, tmp.writeJson(`b-${round}.json`, b)]),
      ];
      await started(db);
      writeFileSync(go, '');
      const answers = await Promise.all(runs);
      for (const x of answers) expect(x, JSON.stringify(x)).toMatchObject({ ok: true });
      expect(revisions(db)).toEqual([1, 2, 3]);
      expect(quickCheck(db)).toBe('ok');
      const values = raw(db, (d) =>
        (d.prepare('SELECT values_json FROM revisions WHERE revision > 1').all() as { values_json: string }[]).map(
          (r) => JSON.parse(r.values_json) as ReturnType<typeof sampleValues>,
        ),
      );
      expect(values.map((v) => v.staff.recruited).sort()).toEqual([0, 5 + round]);
      expect(values.map((v) => v.staff.transferred_in).sort()).toEqual([1, 7 + round]);
    }
  });

  it('two processes creating one new database: both open it, one schema, one unit list', async () => {
    for (let round = 0; round < 3; round++) {
      const db = tmp.file(`race-create-${round}.sqlite`);
      const go = tmp.file(`go-create-${round}`);
      const runs = [worker(['create', db, go]), worker(['create', db, go])];
      await started(db);
      writeFileSync(go, '');
      const answers = await Promise.all(runs);
      for (const x of answers) expect(x, JSON.stringify(x)).toMatchObject({ ok: true });
      expect(quickCheck(db)).toBe('ok');
      expect(raw(db, (d) => d.prepare('SELECT count(*) AS n FROM unit_list_versions').get())).toEqual({ n: 1 });
      expect(raw(db, (d) => d.pragma('application_id', { simple: true }))).toBe(APPLICATION_ID);
    }
  });
});
