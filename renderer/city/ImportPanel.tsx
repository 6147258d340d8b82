import { useCallback, useEffect, useRef, useState } from 'react';
import type { DragEvent } from 'react';
import { Alert, Button, Card, Group, Progress, Stack, Switch, Text, Title } from '@mantine/core';
import {
  IconAlertTriangle,
  IconCalendarEvent,
  IconCloudDownload,
  IconFileZip,
  IconFiles,
  IconFolderOpen,
  IconInfoCircle,
  IconRefresh,
} from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { ImportResult, Output } from '../../shared/contract.js';
import type { Lang } from '../../shared/i18n.js';
import { formatDateTime, formatNumber } from '../../shared/format.js';
import { periodLabel } from '../../shared/periods.js';
import { api, messageOf, readFileBase64 } from '../api.js';
import { useDelivery } from '../delivery/Delivery.js';
import { ImportResults, OutcomeCounts, sameTemplate, type ResultRow } from './ImportResults.js';

type PullRefusedRow = Output<'city.pullRefused'>[number];

/** A file to import with the name the clerk knows it by (its path inside a picked or dropped folder). */
interface Picked {
  name: string;
  file: File;
}

/** Bigger files would not fit the transport (base64 in one request); the clerk is told what to do instead. */
const MAX_BYTES = 20 * 1024 * 1024;

const isHidden = (name: string) =>
  name.split('/').some((part) => part.startsWith('.')) || /(^|\/)(thumbs\.db|desktop\.ini)$/i.test(name);

function pickedOf(list: FileList | File[] | null): Picked[] {
  return Array.from(list ?? []).map((file) => ({ name: file.webkitRelativePath || file.name, file }));
}

/**
 * Everything under dropped files and folders (DataTransferItem.webkitGetAsEntry, folders read to the
 * end); null when the drop carries no entries (then its plain file list is used).
 */
async function droppedFiles(items: DataTransferItemList): Promise<Picked[] | null> {
  const entries = Array.from(items)
    .filter((i) => i.kind === 'file')
    .map((i) => i.webkitGetAsEntry?.())
    .filter((e): e is FileSystemEntry => !!e);
  if (!entries.length) return null;
  const out: Picked[] = [];
  const walk = async (entry: FileSystemEntry, prefix: string): Promise<void> => {
    if (entry.isFile) {
      const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
      out.push({ name: prefix + file.name, file });
    } else if (entry.isDirectory) {
      const reader = (entry as FileSystemDirectoryEntry).createReader();
      for (;;) {
        const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
        if (!batch.length) break;
        for (const child of batch) await walk(child, `${prefix}${entry.name}/`);
      }
    }
  };
  for (const e of entries) await walk(e, '');
  return out;
}

function refusal(file: string, message: string): ImportResult {
  return {
    file,
    outcome: 'refused',
    message,
    unit: null,
    unitName: null,
    period: null,
    revision: null,
    packageId: null,
    supersededRevision: null,
    conflictId: null,
    editedOutside: false,
    errors: 0,
    warnings: 0,
  };
}

/** Outcomes that stored the package (it now counts in its period, or waits there as a conflict). */
const STORED: ImportResult['outcome'][] = ['imported', 'superseded', 'history', 'conflict'];

/**
 * Issue 7 item 13: the periods, other than the one the clerk is looking at, that packages just
 * stored went to, with how many packages each.
 */
function otherPeriods(rows: ImportResult[], current: string | null, template: string | null): { period: string; n: number }[] {
  const out = new Map<string, number>();
  for (const r of rows)
    if (r.period && r.period !== current && STORED.includes(r.outcome) && sameTemplate(r, template)) out.set(r.period, (out.get(r.period) ?? 0) + 1);
  return [...out].map(([period, n]) => ({ period, n })).sort((a, b) => b.period.localeCompare(a.period));
}

/** Packages the pull fetched but could not import (issue 7 item 11): the reason, and "Thử lại". */
function PullRefused({
  list,
  lang,
  busy,
  onRetry,
}: {
  list: PullRefusedRow[];
  lang: Lang;
  busy: boolean;
  onRetry: () => void;
}) {
  const { t } = useTranslation();
  if (!list.length) return null;
  return (
    <Card withBorder padding="sm" data-testid="pull-refused">
      <Group justify="space-between" align="flex-start" mb="xs" wrap="nowrap">
        <div>
          <Title order={4} size="h5">
            {t('cityLoop.refusedTitle', { n: list.length })}
          </Title>
          <Text size="sm" c="dimmed">
            {t('cityLoop.refusedIntro')}
          </Text>
        </div>
        <Button
          variant="light"
          leftSection={<IconRefresh size={16} />}
          loading={busy}
          onClick={onRetry}
          style={{ flexShrink: 0 }}
          data-testid="pull-refused-retry"
        >
          {t('cityLoop.retry')}
        </Button>
      </Group>
      <Stack gap={6}>
        {list.map((r) => (
          <div key={r.packageId} data-package={r.packageId}>
            <Text size="sm" fw={600}>
              {t('cityLoop.refusedRow', { unit: r.unit, period: periodLabel(r.period, lang), n: r.revision })}
            </Text>
            <Text size="sm" c="red.8">
              {r.reason}
            </Text>
            <Text size="xs" c="dimmed">
              {t('cityLoop.refusedAt', { at: formatDateTime(r.refusedAt), n: r.attempts })}
            </Text>
          </div>
        ))}
      </Stack>
    </Card>
  );
}

/** Import packages: files, a folder or .zip archives, dropped or picked; a dry run stores nothing. */
export function ImportPanel({
  lang,
  onImported,
  period = null,
  onOpenPeriod,
  template = null,
}: {
  lang: Lang;
  onImported: () => void;
  /** The period the clerk is looking at (the period picker of the other tabs). */
  period?: string | null;
  /** The template the clerk is looking at (the template choice above the tabs). */
  template?: string | null;
  /** Open another period's completeness (a package just went there). */
  onOpenPeriod?: (period: string) => void;
}) {
  const { t } = useTranslation();
  const [refused, setRefused] = useState<PullRefusedRow[]>([]);
  const [retrying, setRetrying] = useState(false);
  const loadRefused = useCallback(() => {
    api
      .call('city.pullRefused', {})
      .then(setRefused)
      .catch(() => setRefused([]));
  }, []);
  useEffect(loadRefused, [loadRefused]);
  const delivery = useDelivery();
  const [dryRun, setDryRun] = useState(false);
  const [rows, setRows] = useState<ResultRow[]>([]);
  const [ranDry, setRanDry] = useState(false);
  const [progress, setProgress] = useState<{ done: number; total: number; current: string } | null>(null);
  const [skipped, setSkipped] = useState(0);
  const [dragging, setDragging] = useState(false);
  const [pulling, setPulling] = useState(false);
  const [pullNote, setPullNote] = useState<{ color: string; text: string } | null>(null);
  const filesRef = useRef<HTMLInputElement>(null);
  const folderRef = useRef<HTMLInputElement>(null);
  const running = progress !== null;

  const run = async (picked: Picked[]) => {
    const visible = picked.filter((p) => !isHidden(p.name));
    setSkipped(picked.length - visible.length);
    if (!visible.length) return;
    visible.sort((a, b) => a.name.localeCompare(b.name, 'vi'));
    const dry = dryRun;
    setRanDry(dry);
    setRows([]);
    setPullNote(null);
    const out: ResultRow[] = [];
    for (let i = 0; i < visible.length; i++) {
      const { name, file } = visible[i]!;
      setProgress({ done: i, total: visible.length, current: name });
      let results: ImportResult[];
      if (file.size > MAX_BYTES)
        results = [refusal(name, t('cityImport.tooBig', { mb: formatNumber(file.size / 1048576, 1) }))];
      else
        try {
          const data = await readFileBase64(file);
          results = (await api.call('city.import', { files: [{ fileName: name.slice(-260), data }], dryRun: dry }))
            .results;
        } catch (e) {
          results = [refusal(name, messageOf(e))];
        }
      out.push(...results);
      setRows([...out]);
    }
    setProgress(null);
    if (!dry) onImported();
  };

  const pull = async () => {
    setPulling(true);
    setPullNote(null);
    try {
      const r = await api.call('city.pull', {});
      delivery.adoptConnection(r.connection);
      setRanDry(false);
      setRows(r.results);
      setPullNote(
        r.results.length
          ? { color: 'green', text: t('cityImport.pulled', { n: r.results.length }) }
          : { color: 'blue', text: t('cityImport.pulledNothing') },
      );
      if (r.results.length) onImported();
    } catch (e) {
      setPullNote({ color: 'red', text: messageOf(e) });
    } finally {
      setPulling(false);
      loadRefused();
    }
  };

  const retryRefused = async () => {
    setRetrying(true);
    setPullNote(null);
    try {
      const r = await api.call('city.pullRefused.retry', {});
      setRanDry(false);
      setRows(r.results);
      setPullNote(
        r.results.length
          ? { color: 'green', text: t('cityLoop.retryDone', { n: r.results.length }) }
          : { color: 'orange', text: t('cityLoop.retryNone') },
      );
      if (r.results.length) onImported();
    } catch (e) {
      setPullNote({ color: 'red', text: messageOf(e) });
    } finally {
      setRetrying(false);
      loadRefused();
    }
  };
  const elsewhere = ranDry ? [] : otherPeriods(rows, period, template);

  const onDrop = async (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    if (running) return;
    const items = e.dataTransfer.items;
    const files = pickedOf(e.dataTransfer.files); // read now: the drop's data is gone after this handler
    const picked = (items?.length ? await droppedFiles(items) : null) ?? files;
    await run(picked);
  };

  return (
    <Stack>
      <Card withBorder padding="md">
        <Stack gap="sm">
          <Group justify="space-between" align="flex-start">
            <div>
              <Title order={3} size="h4">
                {t('cityImport.title')}
              </Title>
              <Text size="sm" c="dimmed">
                {t('cityImport.intro')}
              </Text>
            </div>
            <Button
              variant="light"
              leftSection={<IconCloudDownload size={18} />}
              onClick={() => void pull()}
              loading={pulling}
              disabled={running}
              data-testid="city-pull"
            >
              {t('cityImport.pull')}
            </Button>
          </Group>
          <div
            className={`drop-zone ${dragging ? 'drop-zone-active' : ''}`}
            data-testid="drop-zone"
            onDragOver={(e) => {
              e.preventDefault();
              e.dataTransfer.dropEffect = 'copy';
              setDragging(true);
            }}
            onDragLeave={() => setDragging(false)}
            onDrop={(e) => void onDrop(e)}
          >
            <Text fw={600}>{t('cityImport.drop')}</Text>
            <Text size="sm" c="dimmed" mb="sm">
              {t('cityImport.dropHint')}
            </Text>
            <Group justify="center" gap="sm">
              <Button
                leftSection={<IconFiles size={18} />}
                onClick={() => filesRef.current?.click()}
                disabled={running}
              >
                {t('cityImport.pickFiles')}
              </Button>
              <Button
                variant="default"
                leftSection={<IconFolderOpen size={18} />}
                onClick={() => folderRef.current?.click()}
                disabled={running}
              >
                {t('cityImport.pickFolder')}
              </Button>
            </Group>
            <input
              ref={filesRef}
              type="file"
              multiple
              hidden
              accept=".xlsx,.zip,application/zip,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
              data-testid="import-files"
              onChange={(e) => {
                const picked = pickedOf(e.currentTarget.files);
                e.currentTarget.value = '';
                void run(picked);
              }}
            />
            <input
              ref={(el) => {
                folderRef.current = el;
                el?.setAttribute('webkitdirectory', '');
              }}
              type="file"
              multiple
              hidden
              data-testid="import-folder"
              onChange={(e) => {
                const picked = pickedOf(e.currentTarget.files);
                e.currentTarget.value = '';
                void run(picked);
              }}
            />
          </div>
          <Group justify="space-between">
            <Switch
              checked={dryRun}
              onChange={(e) => setDryRun(e.currentTarget.checked)}
              label={t('cityImport.dryRun')}
              description={t('cityImport.dryRunHint')}
              disabled={running}
              data-testid="dry-run"
            />
            <Group gap={6}>
              <IconFileZip size={16} color="var(--mantine-color-dimmed)" aria-hidden />
              <Text size="xs" c="dimmed">
                {t('cityImport.atomic')}
              </Text>
            </Group>
          </Group>
        </Stack>
      </Card>

      {progress && (
        <Card withBorder padding="sm" data-testid="import-progress">
          <Group justify="space-between" mb={6} wrap="nowrap">
            <Text size="sm" fw={600}>
              {t('cityImport.progress', { done: progress.done, total: progress.total })}
            </Text>
            <Text size="sm" c="dimmed" truncate="start" maw="60%">
              {progress.current}
            </Text>
          </Group>
          <Progress value={(progress.done / progress.total) * 100} size="lg" striped animated />
        </Card>
      )}
      {pullNote && (
        <Alert color={pullNote.color} icon={<IconInfoCircle />} data-testid="pull-note">
          {pullNote.text}
        </Alert>
      )}
      <PullRefused list={refused} lang={lang} busy={retrying} onRetry={() => void retryRefused()} />
      {elsewhere.length > 0 && !running && (
        <Alert color="orange" icon={<IconCalendarEvent />} data-testid="other-period" title={t('cityLoop.otherPeriodTitle')}>
          <Stack gap={6}>
            {elsewhere.map((o) => (
              <Group key={o.period} justify="space-between" gap="sm" wrap="wrap">
                <Text size="sm">
                  {period
                    ? t('cityLoop.otherPeriod', { count: o.n, period: periodLabel(o.period, lang), current: periodLabel(period, lang) })
                    : t('cityLoop.otherPeriodNoCurrent', { count: o.n, period: periodLabel(o.period, lang) })}
                </Text>
                {onOpenPeriod && (
                  <Button size="compact-sm" variant="light" color="orange" onClick={() => onOpenPeriod(o.period)} data-testid="open-period">
                    {t('cityLoop.openPeriod', { period: periodLabel(o.period, lang) })}
                  </Button>
                )}
              </Group>
            ))}
          </Stack>
        </Alert>
      )}
      {skipped > 0 && (
        <Text size="xs" c="dimmed">
          {t('cityImport.skippedHidden', { n: skipped })}
        </Text>
      )}
      {rows.length > 0 && (
        <Stack gap="xs">
          {ranDry && (
            <Alert color="yellow" icon={<IconAlertTriangle />} data-testid="dry-run-note">
              {t('cityImport.dryRunDone')}
            </Alert>
          )}
          <OutcomeCounts rows={rows} />
          <ImportResults
            rows={rows}
            lang={lang}
            dryRun={ranDry}
            currentPeriod={ranDry ? null : period}
            currentTemplate={template}
            onResolved={(i, message) => {
              setRows((rs) => rs.map((r, j) => (j === i ? { ...r, resolved: message } : r)));
              onImported();
            }}
          />
        </Stack>
      )}
    </Stack>
  );
}
