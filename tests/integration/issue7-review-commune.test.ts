import { afterEach, describe, expect, it } from 'vitest';
import type { Core } from '../../core/handlers.js';
import { mergeAnswer, withBase } from '../../renderer/editor/draftSync.js';
import { runCli } from '../helpers/cli.js';
import { call, openCore } from '../helpers/core.js';
import { tempDir } from '../helpers/sample.js';

/**
 * Review of issue 7 (commune side), on a real SQLite file.
 * - Two windows each add a car (or one adds a car while the other fills in another car's seats):
 *   both rows are kept; before, the later window was asked to choose between "1 dòng" and "1 dòng"
 *   and either answer lost one of the cars.
 * - A window whose base is newer than the stored draft (a backup was restored while it was open)
 *   takes the stored version as its base again, so it does not miss later saves of other windows.
 * - A window open on Quý III while a backup made before Quý III was restored: its report's id went
 *   to the next report opened (Quý IV), and the window's saves were written into Quý IV. Ids are
 *   never given twice now; the old window is told its report is not found.
 */

let tmp: ReturnType<typeof tempDir>;
let core: Core | undefined;
afterEach(async () => {
  await core?.close();
  core = undefined;
  tmp?.cleanup();
});

async function commune(): Promise<Core> {
  tmp = tempDir();
  core = await openCore(tmp.file('c.sqlite'));
  await call(core, 'app.setup', { role: 'commune', unitCode: '11948' });
  return core;
}
const open = (c: Core) => call(c, 'returns.open', { template: 'BC-CX', period: '2026-Q2' });

const X = { plate: '15A-111.11', seats: 7, year_made: 2015, year_in_use: 2016, status: 'in_use' };
const Y = { plate: '15A-222.22', seats: 5, year_made: 2018, year_in_use: 2018, status: 'in_use' };
const Z = { plate: '15A-333.33', seats: 16, year_made: 2010, year_in_use: 2011, status: 'broken' };

describe('repeat rows changed in two windows', () => {
  it('keeps the car each window added, and tells the later window the merged list', async () => {
    const c = await commune();
    const st = await open(c);
    const a = await call(c, 'returns.saveDraft', { returnId: st.returnId, baseVersion: 0, changes: [{ path: 'vehicles.cars', before: null, after: [X] }] });
    expect(a.conflicts).toEqual([]);
    const b = await call(c, 'returns.saveDraft', { returnId: st.returnId, baseVersion: 0, changes: [{ path: 'vehicles.cars', before: null, after: [Y] }] });
    expect(b.conflicts).toEqual([]);
    expect(b.others).toEqual([{ path: 'vehicles.cars', label: expect.stringContaining('Danh sách xe ô tô'), value: [Y, X] }]);
    // The later window's car keeps its row (the first), so its cursor stays on its own car.
    expect((await open(c)).values.vehicles).toEqual({ cars: [Y, X] });
  });

  it('keeps a row edited in one window and a row added or removed in the other, in their places', async () => {
    const c = await commune();
    const st = await open(c);
    await call(c, 'returns.saveDraft', { returnId: st.returnId, baseVersion: 0, changes: [{ path: 'vehicles.cars', before: null, after: [X, Y] }] });
    // Window A (base 1) adds Z at the end; window B (base 1) corrects the seats of the first car.
    await call(c, 'returns.saveDraft', { returnId: st.returnId, baseVersion: 1, changes: [{ path: 'vehicles.cars', before: [X, Y], after: [X, Y, Z] }] });
    const x2 = { ...X, seats: 9 };
    const b = await call(c, 'returns.saveDraft', { returnId: st.returnId, baseVersion: 1, changes: [{ path: 'vehicles.cars', before: [X, Y], after: [x2, Y] }] });
    expect(b.conflicts).toEqual([]);
    expect((await open(c)).values.vehicles).toEqual({ cars: [x2, Y, Z] });
    // Window A (still on [X, Y, Z] as base) removes Y.
    const a = await call(c, 'returns.saveDraft', { returnId: st.returnId, baseVersion: 2, changes: [{ path: 'vehicles.cars', before: [X, Y, Z], after: [X, Z] }] });
    expect(a.conflicts).toEqual([]);
    expect((await open(c)).values.vehicles).toEqual({ cars: [x2, Z] });
  });

  it('puts the car added after the same row in both windows after it, the later window’s first', async () => {
    const c = await commune();
    const st = await open(c);
    await call(c, 'returns.saveDraft', { returnId: st.returnId, baseVersion: 0, changes: [{ path: 'vehicles.cars', before: null, after: [X] }] });
    await call(c, 'returns.saveDraft', { returnId: st.returnId, baseVersion: 1, changes: [{ path: 'vehicles.cars', before: [X], after: [X, Z] }] });
    const b = await call(c, 'returns.saveDraft', { returnId: st.returnId, baseVersion: 1, changes: [{ path: 'vehicles.cars', before: [X], after: [X, Y] }] });
    expect(b.conflicts).toEqual([]);
    expect((await open(c)).values.vehicles).toEqual({ cars: [X, Y, Z] });
    // The same car added in both windows is kept once.
    const again = await call(c, 'returns.saveDraft', { returnId: st.returnId, baseVersion: 1, changes: [{ path: 'vehicles.cars', before: [X], after: [X, Z] }] });
    expect(again.conflicts).toEqual([]);
    expect((await open(c)).values.vehicles).toEqual({ cars: [X, Y, Z] });
  });

  it('still asks when both windows changed the same row, or one moved rows, and writes nothing of it', async () => {
    const c = await commune();
    const st = await open(c);
    await call(c, 'returns.saveDraft', { returnId: st.returnId, baseVersion: 0, changes: [{ path: 'vehicles.cars', before: null, after: [X, Y] }] });
    await call(c, 'returns.saveDraft', { returnId: st.returnId, baseVersion: 1, changes: [{ path: 'vehicles.cars', before: [X, Y], after: [X, { ...Y, seats: 4 }] }] });
    const removed = await call(c, 'returns.saveDraft', { returnId: st.returnId, baseVersion: 1, changes: [{ path: 'vehicles.cars', before: [X, Y], after: [X] }] });
    expect(removed.conflicts.map((x) => x.path)).toEqual(['vehicles.cars']);
    const moved = await call(c, 'returns.saveDraft', { returnId: st.returnId, baseVersion: 1, changes: [{ path: 'vehicles.cars', before: [X, Y], after: [Y, X] }] });
    expect(moved.conflicts.map((x) => x.path)).toEqual(['vehicles.cars']);
    expect((await open(c)).values.vehicles).toEqual({ cars: [X, { ...Y, seats: 4 }] });
  });

  it('shows the merged list in the window that sent its own', () => {
    const d = withBase({ values: { vehicles: { cars: [Y] } }, explanations: {}, asOf: {} }, 0);
    const sent = [{ path: 'vehicles.cars', before: null, after: [Y] }];
    const m = mergeAnswer(d, sent, {
      savedAt: '2026-06-20T01:00:00.000Z',
      draftVersion: 2,
      conflicts: [],
      others: [{ path: 'vehicles.cars', label: 'Biểu 04, Danh sách xe ô tô', value: [X, Y] }],
    });
    expect(m.conflicts).toEqual([]);
    expect(m.draft.values).toEqual({ vehicles: { cars: [X, Y] } });
    expect(m.draft.base.values).toEqual({ vehicles: { cars: [X, Y] } });
  });
});

describe('a window open while a backup is restored', () => {
  it('takes the stored draft version as its base when the stored one is older than its own', () => {
    // The window's base was version 9; the restored file is at version 3 and another window then
    // saves versions 4..9: with the window still at 9, the save at 9 would never reach it.
    const d = withBase({ values: { unit_info: { population: 100 } }, explanations: {}, asOf: {} }, 9);
    const m = mergeAnswer(d, [], { savedAt: '2026-06-20T01:00:00.000Z', draftVersion: 3, conflicts: [], others: [] });
    expect(m.draft.base.version).toBe(3);
  });

  it('does not miss what another window saved at its old version number after the restore', async () => {
    const c = await commune();
    const st = await open(c);
    const save = (base: number, path: string, before: unknown, after: unknown) =>
      call(c, 'returns.saveDraft', { returnId: st.returnId, baseVersion: base, changes: [{ path, before, after }] });
    await save(0, 'unit_info.population', null, 1000);
    const backup = await call(c, 'backups.create', {});
    for (let i = 1; i <= 4; i++) await save(i, 'unit_info.population', 1000 + i - 1, 1000 + i);
    // Window B opened now: the draft is at version 5.
    const opened = await open(c);
    let b = withBase({ values: opened.values, explanations: opened.explanations, asOf: opened.asOf }, opened.draftVersion);
    expect(b.base.version).toBe(5);
    await call(c, 'backups.restore', { name: backup.name });
    // Window A (after the restore, at version 1) saves versions 2..5; B checks after each.
    let v = (await open(c)).draftVersion;
    expect(v).toBe(1);
    for (let i = 0; i < 4; i++) {
      const r = await save(v, 'unit_info.preparer', i === 0 ? null : `Người ${i - 1}`, `Người ${i}`);
      v = r.draftVersion;
      const check = await call(c, 'returns.saveDraft', { returnId: st.returnId, baseVersion: b.base.version, changes: [] });
      b = mergeAnswer(b, [], check).draft;
    }
    expect(v).toBe(5);
    expect(b.values.unit_info).toMatchObject({ preparer: 'Người 3' });
  });
});

describe('ids after a restore', () => {
  const restoreBoth = [
    ['from the Sao lưu screen (app open)', async (c: Core, _db: string, name: string) => void (await call(c, 'backups.restore', { name }))],
    ['from the command line', async (_c: Core, db: string, name: string) => expect((await runCli(['backup', 'restore', '--db', db, name])).code).toBe(0)],
  ] as const;
  for (const [how, restore] of restoreBoth)
    it(`never gives the id of a report created after the backup to another period (${how})`, async () => {
      const c = await commune();
      await open(c);
      const backup = await call(c, 'backups.create', {});
      // A window opens Quý III (created after the backup) and types in it.
      const q3 = await call(c, 'returns.open', { template: 'BC-CX', period: '2026-Q3' });
      await call(c, 'returns.saveDraft', { returnId: q3.returnId, baseVersion: 0, changes: [{ path: 'unit_info.population', before: null, after: 5000 }] });
      await restore(c, tmp.file('c.sqlite'), backup.name);
      // Another window opens Quý IV; the Quý III window keeps saving with its report's id.
      const q4 = await call(c, 'returns.open', { template: 'BC-CX', period: '2026-Q4' });
      expect(q4.returnId).not.toBe(q3.returnId);
      await expect(
        call(c, 'returns.saveDraft', { returnId: q3.returnId, baseVersion: 1, changes: [{ path: 'unit_info.preparer', before: null, after: 'Người lập Quý III' }] }),
      ).rejects.toMatchObject({ code: 'not_found' });
      expect((await call(c, 'returns.open', { template: 'BC-CX', period: '2026-Q4' })).values).toEqual({});
    });
});
