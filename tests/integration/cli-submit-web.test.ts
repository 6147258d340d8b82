import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, truncateSync, writeSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasStack, runCli, startWeb } from '../helpers/cli.js';
import { wholeDraftInput } from '../helpers/core.js';
import { loadResources } from '../../core/resources.js';
import { storageError } from '../../core/db.js';
import { resourcesDir, sampleReturn, sampleValues, tempDir } from '../helpers/sample.js';

let tmp: ReturnType<typeof tempDir>;
let ok: string;
let corrected: string;
beforeAll(() => {
  tmp = tempDir('cr-cli-submit-');
  ok = tmp.writeJson('ok.json', sampleReturn());
  const c = sampleReturn();
  c.values.staff.recruited = 2;
  corrected = tmp.writeJson('corrected.json', c);
});
afterAll(() => tmp.cleanup());

function revisions(db: string): { revision: number; hash: string }[] {
  const raw = new Database(db, { readonly: true });
  try {
    return raw.prepare('SELECT revision, hash FROM revisions ORDER BY revision').all() as { revision: number; hash: string }[];
  } finally {
    raw.close();
  }
}

describe('submit', () => {
  it('stores the next revision of a commune database, setting its unit when new', async () => {
    const db = tmp.file('commune.sqlite');
    const r1 = await runCli(['submit', '--db', db, '--from-json', ok]);
    expect(r1.code).toBe(0);
    expect(r1.stdout).toMatch(/Đã nộp lần 1 của báo cáo Đặc khu Bạch Long Vĩ, Quý II\/2026/);
    const same = await runCli(['submit', '--db', db, '--from-json', ok]);
    expect(same.code).toBe(1);
    expect(same.stderr).toMatch(/không có thay đổi nào so với lần nộp thứ 1/);
    const r2 = await runCli(['submit', '--db', db, '--from-json', corrected]);
    expect(r2.code).toBe(0);
    expect(r2.stdout).toMatch(/Đã nộp lần 2/);
    expect(revisions(db).map((r) => r.revision)).toEqual([1, 2]);
    const raw = new Database(db, { readonly: true });
    expect(raw.prepare(`SELECT key, value FROM settings WHERE key IN ('role','unit_code') ORDER BY key`).all()).toEqual([
      { key: 'role', value: 'commune' },
      { key: 'unit_code', value: '11948' },
    ]);
    raw.close();

    const other = await runCli(['submit', '--db', db, '--from-json', tmp.writeJson('other.json', { ...sampleReturn(), unit: '11560' })]);
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/unit: cơ sở dữ liệu này là của đơn vị 11948/);
  });

  it('refuses a return with errors or unexplained warnings, listing them', async () => {
    const db = tmp.file('refusing.sqlite');
    const b = sampleReturn();
    b.values.hq.surplus_decided = 3;
    b.values.vehicles.cars[0]!.plate = 'ABC';
    const r = await runCli(['submit', '--db', db, '--from-json', tmp.writeJson('bad.json', b)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Chưa nộp được báo cáo: còn 1 lỗi và 1 cảnh báo chưa có giải trình/);
    expect(r.stderr).toMatch(/hq\.surplus_decided: Biểu 03/);
    expect(r.stderr).toMatch(/vehicles\.plate_format:1/);
    expect(hasStack(r.stderr)).toBe(false);
    expect(revisions(db)).toEqual([]);
  });

  it('refuses a database from a newer app version and leaves it byte-identical', async () => {
    const db = tmp.file('newer.sqlite');
    expect((await runCli(['submit', '--db', db, '--from-json', ok])).code).toBe(0);
    const raw = new Database(db);
    raw.prepare(`INSERT INTO kysely_migration (name, timestamp) VALUES ('0042_next_version', '2031-01-01T00:00:00.000Z')`).run();
    raw.close(); // closing the last connection checkpoints the WAL
    const before = readFileSync(db);
    const r = await runCli(['submit', '--db', db, '--from-json', corrected]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/phiên bản ứng dụng mới hơn. Hãy cập nhật ứng dụng/);
    expect(hasStack(r.stderr)).toBe(false);
    expect(readFileSync(db).equals(before)).toBe(true);
    const web = await runCli(['web', '--db', db, '--port', '0']);
    expect(web.code).toBe(1);
    expect(web.stderr).toMatch(/Hãy cập nhật ứng dụng/);
    expect(readFileSync(db).equals(before)).toBe(true);
  });

  it('says the disk is full, in Vietnamese, and keeps what was saved', async (ctx) => {
    const small = tmp.file('small');
    mkdirSync(small);
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', small]).status === 0;
    if (!mounted) {
      console.log('SKIPPED full-disk test: cannot mount a small tmpfs here (needs root and mount permission).');
      ctx.skip();
    }
    try {
      const db = `${small}/commune.sqlite`;
      expect((await runCli(['submit', '--db', db, '--from-json', ok])).code).toBe(0);
      const filler = `${small}/filler`;
      const fd = openSync(filler, 'w');
      const block = Buffer.alloc(4096, 1);
      try {
        for (;;) writeSync(fd, block);
      } catch (e) {
        expect((e as { code?: string }).code).toBe('ENOSPC');
      } finally {
        closeSync(fd);
      }
      const full = await runCli(['submit', '--db', db, '--from-json', corrected]);
      expect(full.code).toBe(1);
      expect(full.stderr).toMatch(/Ổ đĩa đã đầy/);
      expect(hasStack(full.stderr)).toBe(false);
      const pkg = await runCli(['package', '--from-json', ok, '--out', `${small}/p.xlsx`]);
      expect(pkg.code).toBe(1);
      expect(pkg.stderr).toMatch(/Ổ đĩa đã đầy/);
      // A transaction SQLite rolled back itself on the full disk surfaces from the rollback after it:
      // still the full disk, said as such.
      const rollback = Object.assign(new Error('cannot rollback - no transaction is active'), { code: 'SQLITE_ERROR' });
      expect(storageError(rollback, db)).toMatchObject({ code: 'disk_full', message: expect.stringMatching(/Ổ đĩa đã đầy/) });
      expect(storageError(rollback, tmp.file('roomy.sqlite'))).toBe(rollback);
      truncateSync(filler, 0); // free the space again (a backup of the database is taken before the submit)
      expect(revisions(db).map((r) => r.revision)).toEqual([1]);
      const after = await runCli(['submit', '--db', db, '--from-json', corrected]);
      expect(after.code).toBe(0);
      expect(revisions(db).map((r) => r.revision)).toEqual([1, 2]);
    } finally {
      spawnSync('umount', [small]);
    }
  });
});

describe('web', () => {
  it('serves the app on 127.0.0.1 at the printed address (port 0 picks one) and stops cleanly', async () => {
    const web = await startWeb(['--db', tmp.file('web.sqlite'), '--port', '0']);
    try {
      expect(web.url).toMatch(/^http:\/\/127\.0\.0\.1:[1-9]\d*$/);
      const res = await fetch(`${web.url}/api/rpc/app.setup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ role: 'commune', unitCode: '11948' }) });
      expect(await res.json()).toMatchObject({ ok: true, result: { role: 'commune', unit: { code: '11948' } } });
      const bad = await fetch(`${web.url}/api/rpc/returns.open`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ template: 42 }) });
      expect(bad.status).toBe(400);
      const text = await bad.text();
      expect(text).toMatch(/Dữ liệu gửi lên không hợp lệ/);
      expect(hasStack(text)).toBe(false);
    } finally {
      expect(await web.stop()).toBe(0);
    }
  });

  it('loses nothing reported as saved when the process is killed', async () => {
    const db = tmp.file('crash.sqlite');
    const post = async (url: string, name: string, input: unknown) =>
      (await (await fetch(`${url}/api/rpc/${name}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(input) })).json()) as {
        ok: boolean;
        result: { returnId: number; asOf: Record<string, string>; values: Record<string, Record<string, unknown>>; draftVersion: number };
      };
    const web = await startWeb(['--db', db, '--port', '0']);
    let last = 0;
    try {
      await post(web.url, 'app.setup', { role: 'commune', unitCode: '11948' });
      const st = (await post(web.url, 'returns.open', { template: 'BC-CX', period: '2026-Q2' })).result;
      const v = sampleValues();
      const t = loadResources(resourcesDir).getTemplate('BC-CX', 1)!;
      let cur = { ...st, explanations: {} };
      for (let i = 1; i <= 40; i++) {
        v.unit_info.population = 1000 + i; // one keystroke
        const r = await post(web.url, 'returns.saveDraft', wholeDraftInput(t, cur, { values: v }));
        expect(r.ok).toBe(true);
        cur = { ...cur, values: structuredClone(v), draftVersion: r.result.draftVersion };
        last = 1000 + i;
      }
    } finally {
      await web.stop('SIGKILL');
    }
    const again = await startWeb(['--db', db, '--port', '0']);
    try {
      const st = (await post(again.url, 'returns.open', { template: 'BC-CX', period: '2026-Q2' })).result;
      expect(st.values.unit_info!.population).toBe(last);
      expect(st.draftVersion).toBe(40);
    } finally {
      expect(await again.stop()).toBe(0);
    }
  });
});
