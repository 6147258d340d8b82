import { afterEach, describe, expect, it } from 'vitest';
import type { Core } from '../../core/handlers.js';
import type { SaveConflict } from '../../shared/contract.js';
import { draftSet } from '../../shared/draft.js';
import { SaveQueue } from '../../renderer/editor/SaveQueue.js';
import { mergeAnswer, pendingChanges, withBase, type SyncedDraft } from '../../renderer/editor/draftSync.js';
import { call, openCore } from '../helpers/core.js';
import { tempDir } from '../helpers/sample.js';

/**
 * Issue 7, item 1, the editor's side: one window typing fast (a keystroke while the previous save
 * is on its way) never reports a conflict with itself, and takes in other windows' cells without
 * sending them back. The editor's save queue and merge, against a core on a real SQLite file.
 */

let tmp: ReturnType<typeof tempDir>;
let core: Core | undefined;
afterEach(async () => {
  await core?.close();
  core = undefined;
  tmp?.cleanup();
});

type Payload = SyncedDraft & { returnId: number };

async function windowOn(c: Core) {
  const st = await call(c, 'returns.open', { template: 'BC-CX', period: '2026-Q2' });
  const t = c.resources.getTemplate('BC-CX', 1)!;
  const w = {
    draft: withBase({ values: st.values, explanations: st.explanations, asOf: st.asOf }, st.draftVersion) as SyncedDraft,
    conflicts: [] as SaveConflict[],
    duringRequest: null as (() => void) | null,
    queue: null as unknown as SaveQueue<Payload>,
    type(path: string, value: unknown) {
      w.draft = draftSet(w.draft, path, value);
      w.queue.schedule({ ...w.draft, returnId: st.returnId });
    },
  };
  // The sender of useDraftSync: this window's changes, then the answer merged into the draft and the waiting payload.
  w.queue = new SaveQueue<Payload>(
    async (p) => {
      const typed = w.duringRequest;
      w.duringRequest = null;
      typed?.();
      const changes = pendingChanges(t, p);
      if (!changes.length) return { savedAt: null };
      const r = await call(c, 'returns.saveDraft', { returnId: p.returnId, baseVersion: p.base!.version, changes });
      w.draft = mergeAnswer(w.draft, changes, r).draft;
      w.queue.rebase((x) => mergeAnswer(x, changes, r).draft);
      w.conflicts.push(...r.conflicts);
      return { savedAt: r.savedAt };
    },
    () => undefined,
    String,
    null,
    0,
  );
  return w;
}

describe('the editor save queue', () => {
  it('does not conflict with itself when a keystroke comes while the previous save is on its way', async () => {
    tmp = tempDir();
    core = await openCore(tmp.file('c.sqlite'));
    await call(core, 'app.setup', { role: 'commune', unitCode: '11948' });
    const w = await windowOn(core);
    w.type('staff.nhdkct_leave_paid', 1);
    w.duringRequest = () => w.type('staff.nhdkct_leave_paid', 12);
    await w.queue.flush();
    expect(w.conflicts).toEqual([]);
    const st = await call(core, 'returns.open', { template: 'BC-CX', period: '2026-Q2' });
    expect(st.values.staff).toEqual({ nhdkct_leave_paid: 12 });
    w.queue.dispose();
  });

  it("takes another window's cell while a keystroke waits, and does not send the old value back", async () => {
    tmp = tempDir();
    core = await openCore(tmp.file('c.sqlite'));
    await call(core, 'app.setup', { role: 'commune', unitCode: '11948' });
    const a = await windowOn(core);
    const b = await windowOn(core);
    a.type('unit_info.population', 12000);
    await a.queue.flush();
    // B types one cell; while its save is on its way it types another.
    b.type('unit_info.preparer', 'Trần');
    b.duringRequest = () => b.type('unit_info.preparer', 'Trần Thị Bình');
    await b.queue.flush();
    expect(b.conflicts).toEqual([]);
    expect(b.draft.values.unit_info).toEqual({ population: 12000, preparer: 'Trần Thị Bình' });
    const st = await call(core, 'returns.open', { template: 'BC-CX', period: '2026-Q2' });
    expect(st.values.unit_info).toEqual({ population: 12000, preparer: 'Trần Thị Bình' });
    a.queue.dispose();
    b.queue.dispose();
  });
});
