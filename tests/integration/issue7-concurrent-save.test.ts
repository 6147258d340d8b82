import { afterEach, describe, expect, it } from 'vitest';
import type { Core } from '../../core/handlers.js';
import { call, openCore } from '../helpers/core.js';
import { tempDir } from '../helpers/sample.js';

/**
 * Issue 7, item 1: two windows (or an old tab after a restart) saving the same return on a real
 * SQLite file. A save names the cells it changes and the version it started from; a cell a writer
 * did not change is never touched by it; the same cell changed by two writers is a conflict for
 * the later one, who is shown the other value.
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

describe('concurrent draft saves', () => {
  it('keeps both writers when they change different cells from the same version', async () => {
    const c = await commune();
    const st = await open(c);
    // Tab A types Dân số, tab B types Người lập biểu; both opened at version 0.
    const a = await call(c, 'returns.saveDraft', {
      returnId: st.returnId,
      baseVersion: st.draftVersion,
      changes: [{ path: 'unit_info.population', before: null, after: 12000 }],
    });
    expect(a.conflicts).toEqual([]);
    const b = await call(c, 'returns.saveDraft', {
      returnId: st.returnId,
      baseVersion: st.draftVersion,
      changes: [{ path: 'unit_info.preparer', before: null, after: 'Trần Thị Bình' }],
    });
    expect(b.conflicts).toEqual([]);
    expect(b.draftVersion).toBe(2);
    // B learns what A wrote since its base, to merge it into its window.
    expect(b.others).toEqual([{ path: 'unit_info.population', label: 'Biểu 01, Dân số (người)', value: 12000 }]);
    const again = await open(c);
    expect(again.values.unit_info).toEqual({ population: 12000, preparer: 'Trần Thị Bình' });
  });

  it('gives the later writer of the same cell a conflict with the other value, and writes nothing of it', async () => {
    const c = await commune();
    const st = await open(c);
    await call(c, 'returns.saveDraft', {
      returnId: st.returnId,
      baseVersion: 0,
      changes: [{ path: 'unit_info.population', before: null, after: 12000 }],
    });
    const late = await call(c, 'returns.saveDraft', {
      returnId: st.returnId,
      baseVersion: 0,
      changes: [
        { path: 'unit_info.population', before: null, after: 9000 },
        { path: 'explanations.x', before: null, after: 'Lý do' },
      ],
    });
    expect(late.conflicts).toEqual([
      { path: 'unit_info.population', label: 'Biểu 01, Dân số (người)', mine: 9000, theirs: 12000 },
    ]);
    const now = await open(c);
    expect(now.values.unit_info).toEqual({ population: 12000 });
    expect(now.explanations).toEqual({ x: 'Lý do' });
    // Choosing "keep mine" re-saves with the other value as `before`: then it is written.
    const keep = await call(c, 'returns.saveDraft', {
      returnId: st.returnId,
      baseVersion: late.draftVersion,
      changes: [{ path: 'unit_info.population', before: 12000, after: 9000 }],
    });
    expect(keep.conflicts).toEqual([]);
    expect((await open(c)).values.unit_info).toEqual({ population: 9000 });
  });

  it('lets an old retry after a restart erase nothing', async () => {
    const c = await commune();
    const st = await open(c);
    await call(c, 'returns.saveDraft', {
      returnId: st.returnId,
      baseVersion: 0,
      changes: [
        { path: 'unit_info.population', before: null, after: 12000 },
        { path: 'asOf.staff', before: '2026-06-14', after: '2026-06-01' },
      ],
    });
    await c.close();
    core = await openCore(tmp.file('c.sqlite'));
    const fresh = await open(core);
    await call(core, 'returns.saveDraft', {
      returnId: fresh.returnId,
      baseVersion: fresh.draftVersion,
      changes: [
        { path: 'unit_info.population', before: 12000, after: 12500 },
        { path: 'unit_info.preparer', before: null, after: 'Trần Thị Bình' },
      ],
    });
    // The old tab, opened before the restart, retries the save it had queued then.
    const retry = await call(core, 'returns.saveDraft', {
      returnId: st.returnId,
      baseVersion: 0,
      changes: [
        { path: 'unit_info.population', before: null, after: 12000 },
        { path: 'asOf.staff', before: '2026-06-14', after: '2026-06-01' },
      ],
    });
    expect(retry.conflicts).toEqual([{ path: 'unit_info.population', label: 'Biểu 01, Dân số (người)', mine: 12000, theirs: 12500 }]);
    const after = await open(core);
    expect(after.values.unit_info).toEqual({ population: 12500, preparer: 'Trần Thị Bình' });
    expect(after.asOf.staff).toBe('2026-06-01');
    expect(after.draftVersion).toBe(fresh.draftVersion + 1);
    // The retry learns everything it missed, so its window shows what is stored.
    expect(retry.others.map((o) => o.path).sort()).toEqual(['unit_info.preparer']);
  });

  it('gives a conflict when two writers change the same row of a repeat list, and refuses a path the template does not have', async () => {
    const c = await commune();
    const st = await open(c);
    const first = [{ plate: '15A-123.45' }];
    await call(c, 'returns.saveDraft', { returnId: st.returnId, baseVersion: 0, changes: [{ path: 'vehicles.cars', before: null, after: first }] });
    const cars = [{ plate: '15A-123.45', seats: 7 }];
    await call(c, 'returns.saveDraft', { returnId: st.returnId, baseVersion: 1, changes: [{ path: 'vehicles.cars', before: first, after: cars }] });
    const other = await call(c, 'returns.saveDraft', {
      returnId: st.returnId,
      baseVersion: 1,
      changes: [{ path: 'vehicles.cars', before: first, after: [{ plate: '15A-123.45', seats: 5 }] }],
    });
    expect(other.conflicts).toMatchObject([{ path: 'vehicles.cars', mine: [{ plate: '15A-123.45', seats: 5 }], theirs: cars }]);
    await expect(
      call(c, 'returns.saveDraft', { returnId: st.returnId, baseVersion: 2, changes: [{ path: 'unit_info.nope', before: null, after: 1 }] }),
    ).rejects.toMatchObject({ code: 'invalid_input', message: expect.stringMatching(/không có ô "unit_info.nope"/) });
    expect((await open(c)).values.vehicles).toEqual({ cars });
  });
});
