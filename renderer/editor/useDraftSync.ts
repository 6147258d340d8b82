import { useCallback, useEffect, useRef, useState, type Dispatch, type RefObject, type SetStateAction } from 'react';
import { notifications } from '@mantine/notifications';
import { useTranslation } from 'react-i18next';
import type { DraftChange } from '../../shared/draft.js';
import { draftSet } from '../../shared/draft.js';
import type { Template } from '../../shared/template/schema.js';
import { api } from '../api.js';
import { mergeAnswer, pendingChanges, type Conflict, type SaveAnswer, type SyncedDraft } from './draftSync.js';

/**
 * Issue 7: the editor's link to the stored draft when several windows edit it.
 * - `send` is the save queue's sender: only this window's changes, each with the value it started from;
 * - every open tab of the same return hears of a save (BroadcastChannel per return) and fetches
 *   what changed; a window also checks when it gets focus or becomes visible again (another
 *   process, an old tab after a restart);
 * - a cell another window saved first is a conflict: the window shows the stored value and offers
 *   the person's value back (`resolve`).
 */
export function useDraftSync<D extends SyncedDraft>(
  template: Template,
  returnId: number | undefined,
  draftRef: RefObject<D | null>,
  setDraft: Dispatch<SetStateAction<D | null>>,
  /** Apply the same merge to the payload waiting in the save queue, so it is not sent on an old base. */
  rebasePending: (fn: <P extends D>(p: P) => P) => void,
) {
  const { t } = useTranslation();
  const [conflicts, setConflicts] = useState<Conflict[]>([]);
  const channel = useRef<BroadcastChannel | null>(null);

  const apply = useCallback(
    (sent: DraftChange[], r: SaveAnswer) => {
      const cur = draftRef.current;
      if (!cur) return;
      const m = mergeAnswer(cur, sent, r);
      setDraft((d) => (d ? mergeAnswer(d, sent, r).draft : d));
      rebasePending((p) => mergeAnswer(p, sent, r).draft);
      setConflicts((list) => {
        const fresh = new Map(m.conflicts.map((c) => [c.path, c]));
        const others = new Map(r.others.map((o) => [o.path, o.value]));
        const kept = list
          .filter((c) => !fresh.has(c.path))
          .map((c) => (others.has(c.path) ? { ...c, theirs: others.get(c.path) } : c));
        return fresh.size || others.size ? [...kept, ...fresh.values()] : list;
      });
      if (m.taken)
        notifications.show({ id: 'sync-merged', color: 'blue', autoClose: 5000, message: t('sync.merged', { count: m.taken }) });
    },
    [draftRef, setDraft, rebasePending, t],
  );

  const send = useCallback(
    async (p: D & { returnId: number }): Promise<{ savedAt: string | null }> => {
      const changes = pendingChanges(template, p);
      if (!changes.length || !p.base) return { savedAt: null };
      const r = await api.call('returns.saveDraft', { returnId: p.returnId, baseVersion: p.base.version, changes });
      apply(changes, r);
      if (r.conflicts.length < changes.length) channel.current?.postMessage({ draftVersion: r.draftVersion });
      return { savedAt: r.savedAt };
    },
    [template, apply],
  );

  /** Fetch what others saved since this window's base, and merge it in. */
  const check = useCallback(async () => {
    const d = draftRef.current;
    if (!d?.base || returnId === undefined) return;
    try {
      apply([], await api.call('returns.saveDraft', { returnId, baseVersion: d.base.version, changes: [] }));
    } catch {
      // Nothing lost: the next save or check fetches the same changes, and a failing save says so.
    }
  }, [draftRef, returnId, apply]);

  useEffect(() => {
    if (returnId === undefined) return;
    const ch = typeof BroadcastChannel === 'function' ? new BroadcastChannel(`commune-returns:return:${returnId}`) : null;
    channel.current = ch;
    if (ch) ch.onmessage = () => void check();
    const onFocus = () => void check();
    const onVisibility = () => {
      if (document.visibilityState === 'visible') void check();
    };
    window.addEventListener('focus', onFocus);
    document.addEventListener('visibilitychange', onVisibility);
    return () => {
      window.removeEventListener('focus', onFocus);
      document.removeEventListener('visibilitychange', onVisibility);
      ch?.close();
      if (channel.current === ch) channel.current = null;
    };
  }, [returnId, check]);

  const resolve = useCallback(
    (c: Conflict, keep: 'mine' | 'theirs') => {
      setConflicts((list) => list.filter((x) => x.path !== c.path));
      // Keeping mine is a new change on top of the stored value: the save names that value as `before`.
      if (keep === 'mine') setDraft((d) => (d ? draftSet(d, c.path, c.mine) : d));
    },
    [setDraft],
  );

  return { conflicts, send, check, resolve, clearConflicts: () => setConflicts([]) };
}
