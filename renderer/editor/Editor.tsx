import { memo, useCallback, useDeferredValue, useEffect, useMemo, useRef, useState } from 'react';
import { flushSync } from 'react-dom';
import { Alert, Button, FileButton, Group, Loader, Tabs, Text, Tooltip } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import {
  IconAlertCircle,
  IconArrowLeft,
  IconCloudCheck,
  IconCloudUpload,
  IconDownload,
  IconFileImport,
  IconHistory,
  IconPrinter,
  IconSend,
} from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { AppInfo, Change, ReturnState, RevisionInfo } from '../../shared/contract.js';
import type { Lang } from '../../shared/i18n.js';
import { tx } from '../../shared/i18n.js';
import { formatDateTime } from '../../shared/format.js';
import { parsePeriod, periodLabel, periodWindow } from '../../shared/periods.js';
import { computeView } from '../../shared/template/compute.js';
import type { Row, Values } from '../../shared/template/model.js';
import { cellLabel, findItem, getPath, setPath, signerName } from '../../shared/template/model.js';
import type { Issue } from '../../shared/template/rules.js';
import { unexplained, validate } from '../../shared/template/rules.js';
import { notApplicable } from '../../shared/template/applies.js';
import type { Template } from '../../shared/template/schema.js';
import { api, ApiError, detailMessages, messageOf, printPage, readFileBase64, setUnloading, setUnsavedWork } from '../api.js';
import { exportFile } from '../exportFile.js';
import { HistoryDrawer, ImportDialog, SubmitDialog, type ImportOutcome } from './dialogs.js';
import {
  DraftDiffersBanner,
  DraftOutputDialog,
  ImportPreviewDialog,
  KeptDrafts,
  type PendingImport,
} from './draftDialogs.js';
import { IssueSummary } from './IssueSummary.js';
import { cleanDraft } from './clean.js';
import { focusEdge, focusPath, handleGridKey } from './nav.js';
import { PrintView } from './PrintView.js';
import { SaveQueue, type SaveStatus } from './SaveQueue.js';
import { withBase, type DraftBase } from './draftSync.js';
import { useDraftSync } from './useDraftSync.js';
import { ConflictIndicator, ConflictNotice, conflictValue } from './ConflictNotice.js';
import { SectionForm, type IssueIndex } from './SectionForm.js';
import { indexIssues } from './issueIndex.js';
import { SectionTab } from './SectionTab.js';
import { DeliveryBadge, SendNowButton, itemOf, useDelivery } from '../delivery/Delivery.js';

interface Draft {
  values: Values;
  explanations: Record<string, string>;
  asOf: Record<string, string>;
  /** What this window last knew to be stored (issue 7): a save sends only the differences from it. */
  base?: DraftBase;
}

const EMPTY: Issue[] = [];
const NO_VALUES: Values[string] = {};

/**
 * The biểu's form, drawn again only when its own props change: a save-status tick, a dialog or a
 * badge re-renders the editor without walking the form's 500 cells (issue 8, speed).
 */
const MemoSectionForm = memo(SectionForm);

function isEmptyValue(v: unknown): boolean {
  return v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0);
}

function sameStatus(a: SaveStatus, b: SaveStatus): boolean {
  const at = (s: SaveStatus) => ('at' in s ? s.at : null);
  const message = (s: SaveStatus) => ('message' in s ? s.message : null);
  return a.kind === b.kind && at(a) === at(b) && message(a) === message(b);
}

function formatTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Asia/Ho_Chi_Minh',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hour12: false,
  }).format(d);
}

function SaveIndicator({ status, onRetry }: { status: SaveStatus; onRetry: () => void }) {
  const { t } = useTranslation();
  if (status.kind === 'saving')
    return (
      <Group gap={6} wrap="nowrap" data-testid="save-status" data-state="saving">
        <Loader size={14} />
        <Text size="sm">{t('save.saving')}</Text>
      </Group>
    );
  if (status.kind === 'error')
    return (
      <Group gap={6} wrap="nowrap" data-testid="save-status" data-state="error">
        <IconAlertCircle size={18} color="var(--mantine-color-red-7)" />
        <Text size="sm" fw={600} c="red.8">
          {t('save.failedShort')}
        </Text>
        <Button size="compact-xs" color="red" variant="light" onClick={onRetry}>
          {t('save.retry')}
        </Button>
      </Group>
    );
  return (
    <Group gap={6} wrap="nowrap" data-testid="save-status" data-state={status.kind}>
      <IconCloudCheck size={18} color="var(--mantine-color-green-7)" />
      <Text size="sm" c="green.9">
        {status.kind === 'saved' || status.at
          ? t('save.saved', { time: formatTime(status.kind === 'saved' ? status.at : status.at!) })
          : t('save.nothing')}
      </Text>
    </Group>
  );
}

/** A return of one period: the five biểu from the template, saved on every change. */
export function Editor({
  template,
  info,
  period: code,
  onBack,
  backHome = false,
}: {
  template: Template;
  info: AppInfo;
  period: string;
  onBack: () => void;
  /** Back goes to the commune's home, "Việc phải nộp" (the return was opened there), not to the periods list. */
  backHome?: boolean;
}) {
  const { t } = useTranslation();
  const backText = backHome ? t('editor.backHome') : t('editor.back');
  const lang = info.lang as Lang;
  const period = useMemo(() => parsePeriod(code), [code]);
  const win = useMemo(() => (period ? periodWindow(period) : { start: '', end: '' }), [period]);
  const [state, setState] = useState<ReturnState | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [draft, setDraft] = useState<Draft | null>(null);
  const baseline = useRef<Draft | null>(null);
  const [status, setStatus] = useState<SaveStatus>({ kind: 'idle', at: null });
  // The queue says "saving" on every keystroke: the editor is drawn again only when what it shows changes (issue 8, speed).
  const setStatusIfChanged = useCallback((s: SaveStatus) => setStatus((old) => (sameStatus(old, s) ? old : s)), []);
  const queue = useRef<SaveQueue<Draft & { returnId: number }> | null>(null);
  const [tab, setTab] = useState<string>(template.sections[0]!.key);
  const [touched, setTouched] = useState<Set<string>>(() => new Set());
  const [showAll, setShowAll] = useState(false);
  const [summaryOpen, setSummaryOpen] = useState(false);
  const [submitOpen, setSubmitOpen] = useState(0); // 0: closed; otherwise the dialog's key (fresh state each time)
  const [historyOpen, setHistoryOpen] = useState(0);
  const [printing, setPrinting] = useState<{ stamp: string; draft?: boolean } | null>(null);
  const [importOutcome, setImportOutcome] = useState<ImportOutcome | null>(null);
  // Issue 7: how the draft differs from the last submitted revision; export/print while it does; import preview.
  const [drift, setDrift] = useState<{ revision: number; changes: Change[] } | null>(null);
  const [output, setOutput] = useState<{ mode: 'export' | 'print'; changes: number } | null>(null);
  const [submitThen, setSubmitThen] = useState<'export' | 'print' | null>(null);
  const [pendingImport, setPendingImport] = useState<PendingImport | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const formRef = useRef<HTMLDivElement>(null);
  const delivery = useDelivery();

  const adopt = useCallback(
    (s: ReturnState, markSaved: boolean) => {
      const asOf: Record<string, string> = {};
      for (const sec of template.sections) asOf[sec.key] = s.asOf[sec.key] ?? win.end;
      const d: Draft = withBase({ values: s.values, explanations: s.explanations, asOf }, s.draftVersion);
      if (markSaved) baseline.current = d;
      setState(s);
      // An old draft may hold characters saved before the one text rule: clean them (then saved as a change) and say where.
      const cleaned = cleanDraft(d, template);
      setDraft(cleaned.draft);
      const places = [
        ...cleaned.cells.map((c) => cellLabel(template, c, lang)),
        ...cleaned.explanations.map((id) => t('form.cleanedExplanation', { id })),
      ];
      if (places.length)
        notifications.show({
          color: 'yellow',
          autoClose: false,
          title: t('form.cleanedTitle'),
          message: <span data-cleaned-notice>{t('form.cleanedText', { count: places.length, where: places.join('; ') })}</span>,
        });
    },
    [template, win.end, lang, t],
  );

  // The queue's sender is useDraftSync's (set below, once the draft's ref exists).
  const sendRef = useRef<(p: Draft & { returnId: number }) => Promise<{ savedAt: string | null }>>(async () => ({
    savedAt: null,
  }));
  // Open the return and start its save queue.
  useEffect(() => {
    if (!period) return;
    let cancelled = false;
    api
      .call('returns.open', { template: template.id, period: code })
      .then((s) => {
        if (cancelled) return;
        queue.current?.dispose();
        queue.current = new SaveQueue(
          (p) => sendRef.current(p),
          setStatusIfChanged,
          (e) => messageOf(e),
          s.savedAt,
        );
        setStatus({ kind: 'idle', at: s.savedAt });
        adopt(s, true);
      })
      .catch((e) => !cancelled && setLoadError(messageOf(e)));
    return () => {
      cancelled = true;
      const q = queue.current;
      if (q)
        void q
          .flush()
          .catch(() => undefined)
          .finally(() => q.dispose());
    };
  }, [template.id, code, period, adopt, setStatusIfChanged]);

  // Every change of the draft is saved (debounced, serialized, never dropped).
  const scheduled = useRef<Draft | null>(null);
  const returnId = state?.returnId;
  useEffect(() => {
    if (!draft || returnId === undefined || draft === baseline.current || draft === scheduled.current) return;
    const last = scheduled.current;
    scheduled.current = draft;
    // A save's answer moves only the draft's base (the queue rebases what waits): nothing new to save.
    if (last && last.values === draft.values && last.explanations === draft.explanations && last.asOf === draft.asOf) return;
    queue.current?.schedule({ returnId, ...draft });
  }, [draft, returnId]);

  // Whether the saved draft differs from the last submitted revision (asked again after each save).
  const lastRevision = state?.revisions.reduce((a, r) => Math.max(a, r.revision), 0) || null;
  const savedAt = status.kind === 'saved' || status.kind === 'idle' ? status.at : null;
  const draftVersion = state?.draftVersion;
  useEffect(() => {
    if (returnId === undefined || lastRevision === null) return;
    let cancelled = false;
    api
      .call('returns.diff', { returnId, from: lastRevision, to: 'draft' })
      .then((changes) => !cancelled && setDrift({ revision: lastRevision, changes }))
      .catch(() => undefined);
    return () => {
      cancelled = true;
    };
  }, [returnId, lastRevision, savedAt, draftVersion]);

  // Flush when the window loses focus, is hidden or closes.
  const statusRef = useRef(status);
  const draftRef = useRef(draft);
  useEffect(() => {
    statusRef.current = status;
    draftRef.current = draft;
  });
  // Other windows' saves of this return: merged in, or offered as conflicts (issue 7).
  const rebasePending = useCallback((fn: (p: Draft & { returnId: number }) => Draft & { returnId: number }) => {
    queue.current?.rebase(fn);
  }, []);
  const sync = useDraftSync(template, returnId, draftRef, setDraft, rebasePending);
  useEffect(() => {
    sendRef.current = sync.send;
  }, [sync.send]);
  const conflictIssues: Issue[] = useMemo(
    () =>
      sync.conflicts.map((c) => {
        const asOf = c.path.startsWith('asOf.');
        const section = asOf ? c.path.slice(5) : c.path.split('.')[0]!;
        return {
          id: asOf ? `asof:conflict:${section}` : `conflict:${c.path}`,
          severity: 'error' as const,
          path: c.path,
          cell: c.path,
          section,
          message: t('sync.cellNote', { mine: conflictValue(t, template, lang, c.path, c.mine), theirs: conflictValue(t, template, lang, c.path, c.theirs) }),
        };
      }),
    [sync.conflicts, t, template, lang],
  );
  useEffect(() => {
    const flush = () => void queue.current?.flush().catch(() => undefined);
    const onVisibility = () => document.visibilityState === 'hidden' && flush();
    const onBeforeUnload = (e: BeforeUnloadEvent) => {
      setUnloading(true);
      setTimeout(() => setUnloading(false), 3000);
      flush();
      if (statusRef.current.kind === 'error') e.preventDefault();
    };
    window.addEventListener('blur', flush);
    window.addEventListener('pagehide', flush);
    window.addEventListener('online', flush);
    document.addEventListener('visibilitychange', onVisibility);
    window.addEventListener('beforeunload', onBeforeUnload);
    return () => {
      window.removeEventListener('blur', flush);
      window.removeEventListener('pagehide', flush);
      window.removeEventListener('online', flush);
      document.removeEventListener('visibilitychange', onVisibility);
      window.removeEventListener('beforeunload', onBeforeUnload);
    };
  }, []);
  // A lost session (browser mode with a login) does not take the page away while values wait to be saved.
  useEffect(() => {
    setUnsavedWork(() => !!queue.current?.dirty);
    return () => setUnsavedWork(null);
  }, []);

  const onCell = useCallback((path: string, value: unknown) => {
    setDraft((d) => (d ? { ...d, values: setPath(d.values, path, value) } : d));
  }, []);
  const onBlur = useCallback((path: string) => {
    setTouched((s) => (s.has(path) ? s : new Set(s).add(path)));
  }, []);
  const onExplain = useCallback((id: string, text: string) => {
    setDraft((d) => {
      if (!d) return d;
      const explanations = { ...d.explanations };
      if (text) explanations[id] = text;
      else delete explanations[id];
      return { ...d, explanations };
    });
  }, []);
  const onAsOf = useCallback((section: string, iso: string | null) => {
    setDraft((d) => {
      if (!d || !iso) return d;
      return { ...d, asOf: { ...d.asOf, [section]: iso.slice(0, 10) } };
    });
  }, []);
  const onRows = useCallback((path: string, rows: Row[], focus?: { row: number; what: 'first' | 'up' | 'down' }) => {
    // Rendered at once, so that the focus is in the new row before the next key arrives.
    flushSync(() => setDraft((d) => (d ? { ...d, values: setPath(d.values, path, rows) } : d)));
    const root = formRef.current;
    if (!focus || !root) return;
    if (focus.what === 'first') focusPath(root, [`${path}.${focus.row}`]);
    else {
      const btn = root.querySelector<HTMLButtonElement>(`[data-row-action="${path}.${focus.row}.${focus.what}"]`);
      if (btn && !btn.disabled) btn.focus();
      else focusPath(root, [`${path}.${focus.row}`]);
    }
  }, []);
  const onRemoveRow = useCallback(
    (path: string, index: number) => {
      const before = (getPath(draftRef.current?.values, path) as Row[] | undefined) ?? [];
      setDraft((d) => {
        if (!d) return d;
        const rows = (getPath(d.values, path) as Row[] | undefined) ?? [];
        return {
          ...d,
          values: setPath(
            d.values,
            path,
            rows.filter((_, i) => i !== index),
          ),
        };
      });
      const found = findItem(template, path);
      const rowLabel = found && found.item.kind === 'repeat' ? tx(found.item.rowLabel, lang) : '';
      const id = `removed-${path}-${Date.now()}`;
      notifications.show({
        id,
        color: 'gray',
        autoClose: 8000,
        message: (
          <Group justify="space-between" wrap="nowrap">
            <Text size="sm">{t('form.removed', { what: `${rowLabel} ${index + 1}` })}</Text>
            <Button
              size="compact-xs"
              variant="light"
              onClick={() => {
                const restore = before;
                setDraft((d) => (d ? { ...d, values: setPath(d.values, path, restore) } : d));
                notifications.hide(id);
              }}
            >
              {t('form.undo')}
            </Button>
          </Group>
        ),
      });
    },
    [template, lang, t],
  );

  // Computation and validation on every change, deferred (issue 8, speed): a keystroke draws the
  // typed cell at once, and the computed cells and errors follow in a render React may interrupt.
  const checked = useDeferredValue(draft);
  const checkedValues = checked?.values;
  const checkedAsOf = checked?.asOf;
  const checkedExplanations = checked?.explanations;
  const view = useMemo(
    () => (checkedValues && period ? computeView(template, checkedValues, period.year) : {}),
    [template, checkedValues, period],
  );
  const result = useMemo(
    () =>
      checkedValues && period
        ? validate(template, checkedValues, {
            period,
            unitType: state?.unit.type ?? info.unit?.type,
            unit: state?.unit ?? info.unit ?? undefined,
            previous: state?.previous ?? undefined,
            asOf: checkedAsOf,
            lang,
            view,
            explanations: checkedExplanations,
          })
        : { errors: EMPTY, warnings: EMPTY },
    [template, checkedValues, checkedAsOf, checkedExplanations, period, state, info.unit, lang, view],
  );
  // Sections and items that do not apply to this unit (by its type and the unit list's attributes): hidden in the form.
  const unitFacts = state?.unit ?? info.unit;
  const skipped = useMemo(() => notApplicable(template, unitFacts), [template, unitFacts]);
  const unexplainedList = useMemo(
    () => unexplained(result.warnings, checkedExplanations),
    [result.warnings, checkedExplanations],
  );
  const unexplainedIds = useMemo(() => new Set(unexplainedList.map((w) => w.id)), [unexplainedList]);

  const index: IssueIndex = useMemo(
    () =>
      // A required cell still empty is flagged only once the person has been there (or asked to see all).
      indexIssues(
        template,
        [...conflictIssues, ...result.errors, ...result.warnings],
        (i) => i.id === `cell:${i.cell}` && isEmptyValue(getPath(checkedValues, i.cell)) && !showAll && !touched.has(i.cell),
      ),
    [result, checkedValues, showAll, touched, template, conflictIssues],
  );

  const blocked = result.errors.length > 0 || unexplainedList.length > 0;
  const blockedReason = blocked
    ? t('submit.blocked', {
        what: [
          result.errors.length ? t('summary.errors', { count: result.errors.length }) : '',
          unexplainedList.length ? t('summary.unexplained', { count: unexplainedList.length }) : '',
        ]
          .filter(Boolean)
          .join(t('common.and')),
      })
    : null;

  const jump = useCallback((i: Issue) => {
    flushSync(() => {
      setTab(i.section);
      setShowAll(true);
    });
    if (!formRef.current) return;
    const target = i.id.startsWith('asof:') ? `asof:${i.section}` : i.cell;
    focusPath(formRef.current, [target, i.path]);
  }, []);

  const onEdge = useCallback(
    (dir: 1 | -1) => {
      const keys = template.sections.map((s) => s.key);
      const next = keys[keys.indexOf(tab) + dir];
      if (!next) return;
      flushSync(() => setTab(next));
      if (formRef.current) focusEdge(formRef.current, dir === 1 ? 'first' : 'last');
    },
    [tab, template],
  );

  const flushNow = async (): Promise<boolean> => {
    try {
      await queue.current?.flush();
      return true;
    } catch {
      return false;
    }
  };

  const doExport = async (revision: number) => {
    setBusy(t('toolbar.exporting'));
    await exportFile(t, () => api.call('package.export', { returnId: state!.returnId, revision }));
    setBusy(null);
  };

  const doExportDraft = async () => {
    setBusy(t('toolbar.exporting'));
    await exportFile(t, () => api.call('package.export', { returnId: state!.returnId, draft: true }));
    setBusy(null);
  };

  /** The saved draft's differences from the last revision; null when there is no revision (or it cannot be told). */
  const differences = async (): Promise<Change[] | null> => {
    const last = state?.revisions.reduce((a, r) => Math.max(a, r.revision), 0);
    if (!state || !last) return null;
    await flushNow();
    return api.call('returns.diff', { returnId: state.returnId, from: last, to: 'draft' }).catch(() => null);
  };

  /**
   * Export and print are made from what is stored: this window's changes are saved first and what
   * other windows saved is taken in. A change not saved (a failing save) stops them, with the reason:
   * otherwise the stored draft may equal the last revision and the page would be stamped with that
   * revision while showing the unsaved figures.
   */
  const savedForOutput = async (): Promise<boolean> => {
    if (!(await flushNow())) {
      notifications.show({ id: 'output-not-saved', color: 'red', title: t('draftOut.notSavedTitle'), message: t('draftOut.notSaved') });
      return false;
    }
    await sync.check();
    return true;
  };

  // Export: the last revision when the draft is the same; otherwise submit first or a marked draft.
  const startExport = async () => {
    if (!state || !(await savedForOutput())) return;
    const changes = await differences();
    const last = state.revisions.reduce((a, r) => Math.max(a, r.revision), 0);
    if (changes && changes.length === 0 && last) return doExport(last);
    setOutput({ mode: 'export', changes: changes?.length ?? 0 });
  };

  // The file is shown first (what would change); the draft changes only on confirmation.
  const resetImportInput = useRef<() => void>(null);
  const doImport = async (file: File | null) => {
    resetImportInput.current?.(); // the same file can be chosen again after "Không nhập"
    if (!file || !state) return;
    setBusy(t('toolbar.importing'));
    try {
      await flushNow();
      const data = await readFileBase64(file);
      const preview = await api.call('package.importPreview', {
        returnId: state.returnId,
        file: { fileName: file.name, data },
      });
      setPendingImport({ fileName: file.name, data, preview });
    } catch (e) {
      setImportOutcome({ fileName: file.name, failure: { message: messageOf(e), details: detailMessages(e) } });
    } finally {
      setBusy(null);
    }
  };

  const applyImport = async (p: PendingImport) => {
    const r = await api.call('package.import', {
      returnId: state!.returnId,
      file: { fileName: p.fileName, data: p.data },
      draftVersion: p.preview.draftVersion,
    });
    adopt(r.state, true);
    setShowAll(true);
    setPendingImport(null);
    setImportOutcome({
      fileName: p.fileName,
      changes: r.changes,
      errors: r.errors,
      warnings: r.warnings,
      editedOutside: r.editedOutside,
    });
  };

  const printRevision = (r: RevisionInfo) =>
    setPrinting({
      stamp: t('print.revision', { n: r.revision, id: r.packageId, at: formatDateTime(r.submittedAt) }),
    });
  const printDraft = () =>
    setPrinting({ stamp: t('print.draft', { at: formatDateTime(new Date().toISOString()) }), draft: true });

  const doSubmit = async (by: string): Promise<RevisionInfo> => {
    if (!(await flushNow())) throw new ApiError({ code: 'not_saved', message: t('submit.notSaved') });
    const rev = await api.call('returns.submit', { returnId: state!.returnId, ...(by ? { submittedBy: by } : {}) });
    const revisions = await api
      .call('returns.history', { returnId: state!.returnId })
      .catch(() => [...state!.revisions, rev]);
    setState((s) => (s ? { ...s, revisions } : s));
    void delivery.refresh(); // the new revision is queued for delivery
    return rev;
  };

  // Print: the last revision when the draft is the same; otherwise submit first or a marked draft.
  const startPrint = async () => {
    if (!state || !(await savedForOutput())) return;
    const latest = state.revisions.reduce<RevisionInfo | null>((a, r) => (!a || r.revision > a.revision ? r : a), null);
    const changes = await differences();
    if (latest && changes && changes.length === 0) return printRevision(latest);
    setOutput({ mode: 'print', changes: changes?.length ?? 0 });
  };

  if (!period)
    return (
      <Alert color="red" m="md">
        {t('editor.badPeriod', { code })}
      </Alert>
    );
  if (loadError)
    return (
      <Alert color="red" icon={<IconAlertCircle />} m="md" role="alert" title={t('editor.openFailed')}>
        <Text>{loadError}</Text>
        <Button mt="sm" variant="light" onClick={onBack}>
          {backText}
        </Button>
      </Alert>
    );
  if (!state || !draft)
    return (
      <Group m="md">
        <Loader size="sm" />
        <Text>{t('editor.opening')}</Text>
      </Group>
    );

  const latest = state.revisions.reduce<RevisionInfo | null>((a, r) => (!a || r.revision > a.revision ? r : a), null);
  const periodName = periodLabel(code, lang);

  if (printing)
    return (
      <div className="print-screen">
        <Group className="no-print print-toolbar" justify="space-between" px="md" py="xs">
          <Button variant="default" leftSection={<IconArrowLeft size={16} />} onClick={() => setPrinting(null)}>
            {t('print.back')}
          </Button>
          <Text size="sm" c="dimmed">
            {t('print.hint')}
          </Text>
          <Button leftSection={<IconPrinter size={16} />} onClick={printPage} data-testid="print-now">
            {t('print.print')}
          </Button>
        </Group>
        <PrintView
          template={template}
          view={view}
          unit={state.unit}
          period={code}
          asOf={draft.asOf}
          today={info.today}
          stamp={printing.stamp}
          draft={printing.draft}
          warnings={result.warnings}
          explanations={draft.explanations}
          request={state.request ?? null}
        />
      </div>
    );

  const submitClick = (then: 'export' | 'print' | null = null) => {
    if (blocked) {
      setShowAll(true);
      setSummaryOpen(true);
      notifications.show({ color: 'red', title: t('submit.blockedTitle'), message: blockedReason });
    } else {
      setSubmitThen(then);
      setSubmitOpen((n) => n + 1);
    }
  };

  return (
    <div className="editor">
    {/* The tabs hold only the header: the form is outside their context, which changes on every
        render of the editor and would make React walk the form's 500 cells (issue 8, speed). */}
    <Tabs id="editor" value={tab} onChange={(v) => v && setTab(v)} className="editor-tabs">
      <div className="editor-sticky no-print">
        <div className="editor-toolbar">
          <Group gap="xs" wrap="nowrap" style={{ minWidth: 0 }}>
            <Tooltip label={backText}>
              <Button
                variant="subtle"
                size="compact-sm"
                px={6}
                onClick={() => void flushNow().then(onBack)}
                aria-label={backText}
              >
                <IconArrowLeft size={18} />
              </Button>
            </Tooltip>
            <div style={{ minWidth: 0 }}>
              {/* Which template this return is on (with several, a person must see which report is open),
                  above its period and unit; a long title gives way, its whole text and version on hover. */}
              <Text
                size="xs"
                fw={600}
                c="blue.8"
                lh={1.2}
                truncate
                data-testid="editor-template"
                title={t('editor.templateOf', { id: template.id, n: template.version, title: tx(template.title, lang) })}
              >
                {template.id} — {tx(template.title, lang)}
              </Text>
              {state.request && (
                // Issue 9: the request this return answers, its document and deadline as the city wrote them.
                <Text
                  size="xs"
                  c="orange.9"
                  lh={1.2}
                  truncate
                  data-testid="editor-request"
                  title={`${state.request.title}\n${state.request.refLine}: ${state.request.summary}\n${state.request.addressee}\n${state.request.deadlineText}`}
                >
                  {t('todo.editor.request', {
                    title: state.request.title,
                    ref: state.request.refLine,
                    deadline: state.request.deadlineText,
                  })}
                </Text>
              )}
              <Text fw={700} size="md" lh={1.2} data-testid="editor-title">
                {periodName} · {state.unit.name}
              </Text>
              <Group gap={6} wrap="nowrap">
                <Text size="xs" c="dimmed" truncate>
                  {latest
                    ? t('editor.lastRevision', { n: latest.revision, at: formatDateTime(latest.submittedAt) })
                    : t('editor.notSubmitted')}
                </Text>
                <DeliveryBadge item={itemOf(delivery.status, code, latest?.revision ?? null)} />
                <SendNowButton size="compact-xs" offerSetup={false} period={code} />
              </Group>
            </div>
          </Group>
          {sync.conflicts.length > 0 && (status.kind === 'saved' || status.kind === 'idle') ? (
            <ConflictIndicator count={sync.conflicts.length} />
          ) : (
            <SaveIndicator status={status} onRetry={() => void flushNow()} />
          )}
          <Group gap={6} wrap="nowrap">
            {busy && (
              <Group gap={4} wrap="nowrap">
                <Loader size={14} />
                <Text size="xs">{busy}</Text>
              </Group>
            )}
            <FileButton
              resetRef={resetImportInput}
              onChange={(f) => void doImport(f)}
              accept=".xlsx,.zip,application/zip,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            >
              {(props) => (
                <Button
                  {...props}
                  size="xs"
                  variant="default"
                  leftSection={<IconFileImport size={16} />}
                  data-testid="import-button"
                >
                  {t('toolbar.import')}
                </Button>
              )}
            </FileButton>
            <Button
              size="xs"
              variant="default"
              leftSection={<IconHistory size={16} />}
              onClick={() => setHistoryOpen((n) => n + 1)}
            >
              {t('toolbar.history')}
            </Button>
            <Button
              size="xs"
              variant="default"
              leftSection={<IconPrinter size={16} />}
              onClick={() => void startPrint()}
            >
              {t('toolbar.print')}
            </Button>
            <Button
              size="xs"
              variant="default"
              leftSection={<IconDownload size={16} />}
              onClick={() => void startExport()}
              data-testid="export-button"
            >
              {t('toolbar.export')}
            </Button>
            <Button
              size="xs"
              color={blocked ? 'gray' : 'blue'}
              leftSection={blocked ? <IconSend size={16} /> : <IconCloudUpload size={16} />}
              aria-describedby={blocked ? 'blocked-reason' : undefined}
              data-blocked={blocked}
              data-testid="submit-button"
              onClick={() => submitClick()}
            >
              {t('toolbar.submit')}
            </Button>
          </Group>
        </div>
        {status.kind === 'error' && (
          <Alert color="red" radius={0} py={6} icon={<IconAlertCircle />} role="alert" data-testid="save-error">
            {t('save.error', { reason: status.message })}
          </Alert>
        )}
        <ConflictNotice conflicts={sync.conflicts} onResolve={sync.resolve} template={template} lang={lang} />
        {drift && drift.revision === latest?.revision && drift.changes.length > 0 && (
          <DraftDiffersBanner
            revision={drift.revision}
            changes={drift.changes}
            blocked={blocked}
            template={template}
            lang={lang}
            onSubmit={() => submitClick()}
          />
        )}
        <IssueSummary
          sections={template.sections}
          errors={result.errors}
          warnings={result.warnings}
          unexplainedIds={unexplainedIds}
          open={summaryOpen}
          onToggle={() => setSummaryOpen((o) => !o)}
          onJump={jump}
          blockedReason={blockedReason}
        />
        <Tabs.List className="no-print">
          {template.sections.map((s) => (
            <SectionTab key={s.key} section={s} lang={lang} errors={result.errors} warnings={result.warnings} />
          ))}
        </Tabs.List>
      </div>
    </Tabs>
      {template.sections.filter((s) => s.key === tab).map((s) => (
        <div key={s.key} role="tabpanel" id={`editor-panel-${s.key}`} aria-labelledby={`editor-tab-${s.key}`}>
          <div
            ref={formRef}
            className="form-root"
            onKeyDown={(e) => handleGridKey(e, onEdge)}
          >
            <MemoSectionForm
              section={s}
              lang={lang}
              values={(draft.values[s.key] as Values[string] | undefined) ?? NO_VALUES}
              view={view}
              periodYear={period.year}
              issues={index}
              explanations={draft.explanations}
              asOf={draft.asOf[s.key]}
              window={win}
              onCell={onCell}
              onBlur={onBlur}
              onExplain={onExplain}
              onAsOf={onAsOf}
              onRows={onRows}
              onRemoveRow={onRemoveRow}
              skipped={skipped}
              unitName={(state?.unit ?? info.unit)?.name}
              returnId={state?.returnId}
            />
          </div>
        </div>
      ))}
      <SubmitDialog
        key={`submit-${submitOpen}`}
        opened={submitOpen > 0}
        onClose={() => setSubmitOpen(0)}
        periodName={periodName}
        unitName={state.unit.name}
        nextRevision={(latest?.revision ?? 0) + 1}
        defaultName={signerName(template, draft.values, 'preparer')}
        onSubmit={doSubmit}
        onExport={(n) => void doExport(n)}
        then={submitThen}
        onPrint={(r) => {
          setSubmitOpen(0);
          printRevision(r);
        }}
      />
      <HistoryDrawer
        key={`history-${historyOpen}`}
        opened={historyOpen > 0}
        onClose={() => setHistoryOpen(0)}
        returnId={state.returnId}
        revisions={state.revisions}
        template={template}
        lang={lang}
        onExport={(n) => void doExport(n)}
      >
        <KeptDrafts
          returnId={state.returnId}
          onRestored={(s, k) => {
            adopt(s, true);
            notifications.show({
              color: 'green',
              title: t('keptDrafts.restoredTitle'),
              message: t('keptDrafts.restored', { at: formatDateTime(k.createdAt) }),
            });
          }}
        />
      </HistoryDrawer>
      <DraftOutputDialog
        mode={output?.mode ?? null}
        onClose={() => setOutput(null)}
        latest={latest?.revision ?? null}
        changes={output?.changes ?? 0}
        blockedReason={blockedReason}
        onSubmitFirst={() => {
          const mode = output?.mode ?? null;
          setOutput(null);
          submitClick(mode);
        }}
        onDraft={() => {
          const mode = output?.mode;
          setOutput(null);
          if (mode === 'print') printDraft();
          else void doExportDraft();
        }}
        onOldRevision={(n) => {
          setOutput(null);
          void doExport(n);
        }}
      />
      <ImportPreviewDialog
        pending={pendingImport}
        onCancel={() => setPendingImport(null)}
        onApply={applyImport}
        template={template}
        lang={lang}
      />
      <ImportDialog outcome={importOutcome} onClose={() => setImportOutcome(null)} template={template} lang={lang} />
    </div>
  );
}
