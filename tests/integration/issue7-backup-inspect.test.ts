/**
 * Issue 7, item 6 (found in review): restoring a backup must not make submitted revisions vanish
 * unnoticed — their numbers would be given again to other submissions the city then sees as
 * conflicts. Before the restore, the app lists what would be taken away. Real SQLite files, the
 * real command line for the submissions.
 */
import { afterEach, expect, it } from 'vitest';
import type { Core } from '../../core/handlers.js';
import { call, openCore } from '../helpers/core.js';
import { runCli } from '../helpers/cli.js';
import { sampleReturn, tempDir } from '../helpers/sample.js';

let tmp: ReturnType<typeof tempDir> | undefined;
let core: Core | undefined;
afterEach(async () => {
  await core?.close();
  core = undefined;
  tmp?.cleanup();
});

it('lists the revisions submitted since a backup before it is restored, and nothing for the newest', async () => {
  tmp = tempDir('i7-backup-inspect-');
  const db = tmp.file('commune.sqlite');
  const first = sampleReturn();
  const second = sampleReturn();
  second.values.staff.recruited = 4;
  for (const r of [first, second]) {
    const out = await runCli(['submit', '--db', db, '--from-json', tmp.writeJson(`r${r.values.staff.recruited}.json`, r)]);
    expect(out.code, out.stderr).toBe(0);
  }
  core = await openCore(db);
  const submits = (await call(core, 'backups.list', {})).items.filter((b) => b.reason === 'submit').sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  expect(submits).toHaveLength(2);

  // The backup made just before revision 2: restoring it takes revision 2 away.
  const beforeSecond = await call(core, 'backups.inspect', { name: submits[1]!.name });
  expect(beforeSecond.revisionsSince).toHaveLength(1);
  expect(beforeSecond.revisionsSince[0]).toMatch(/^Quý II\/2026 — lần nộp 2, nộp lúc \d{2}\/\d{2}\/\d{4} \d{2}:\d{2}$/);
  expect(beforeSecond.packagesSince).toBe(0);
  // The one before revision 1: both.
  const beforeFirst = await call(core, 'backups.inspect', { name: submits[0]!.name });
  expect(beforeFirst.revisionsSince.map((l) => l.split(',')[0])).toEqual(['Quý II/2026 — lần nộp 1', 'Quý II/2026 — lần nộp 2']);
  // A backup made now: nothing would be lost.
  const now = await call(core, 'backups.create', {});
  expect(await call(core, 'backups.inspect', { name: now.name })).toEqual({ revisionsSince: [], packagesSince: 0 });
  // A name that is not a backup of this file: the Vietnamese refusal, not a crash.
  await expect(call(core, 'backups.inspect', { name: '../commune.sqlite' })).rejects.toMatchObject({ code: 'not_found' });
});
