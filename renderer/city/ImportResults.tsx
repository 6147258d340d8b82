import { useState } from 'react';
import { Badge, Button, Group, Table, Text, Tooltip } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconPencilExclamation } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { ImportOutcome, ImportResult } from '../../shared/contract.js';
import type { Lang } from '../../shared/i18n.js';
import { formatNumber } from '../../shared/format.js';
import { periodLabel } from '../../shared/periods.js';
import { api, messageOf } from '../api.js';

export const OUTCOMES: ImportOutcome[] = ['imported', 'duplicate', 'superseded', 'history', 'conflict', 'refused'];
export const OUTCOME_COLOR: Record<ImportOutcome, string> = {
  imported: 'green',
  duplicate: 'gray',
  superseded: 'teal',
  history: 'indigo',
  conflict: 'orange',
  refused: 'red',
};

/** Whether a result is of the template the clerk is looking at (a package of another template is not "another period" of it). */
export function sameTemplate(r: Pick<ImportResult, 'template'>, template: string | null): boolean {
  return !r.template || !template || r.template === template;
}

/** A row of the results: the core's answer, plus what the clerk decided for a conflict. */
export type ResultRow = ImportResult & { resolved?: string };

export function OutcomeBadge({ r }: { r: ImportResult }) {
  const { t } = useTranslation();
  return (
    <Badge
      color={OUTCOME_COLOR[r.outcome]}
      variant={r.outcome === 'refused' ? 'filled' : 'light'}
      className="badge-wrap"
    >
      {t(`cityImport.outcome.${r.outcome}`, { n: r.supersededRevision ?? '?' })}
    </Badge>
  );
}

export function OutcomeCounts({ rows }: { rows: ImportResult[] }) {
  const { t } = useTranslation();
  return (
    <Group gap="xs" data-testid="outcome-counts">
      <Text size="sm" fw={600}>
        {t('cityImport.filesCount', { n: formatNumber(rows.length) })}
      </Text>
      {OUTCOMES.map((o) => {
        const n = rows.filter((r) => r.outcome === o).length;
        return (
          <Badge key={o} color={OUTCOME_COLOR[o]} variant={n ? 'light' : 'outline'} data-outcome-count={o} size="lg">
            {t(`cityImport.count.${o}`)}: {formatNumber(n)}
          </Badge>
        );
      })}
    </Group>
  );
}

/**
 * Split "archive.zip › folder/name.xlsx" into the file's own name and where it came from
 * ("archive.zip › folder"); a bare name ("pty.xlsx" chosen on its own) has no "from".
 */
export function splitFileName(file: string): { name: string; from: string } {
  const slash = file.lastIndexOf('/');
  const arrow = file.lastIndexOf(' › ');
  // Where the own name starts: after the last "/" or the last " › ", whichever comes later.
  const start = Math.max(slash + 1, arrow >= 0 ? arrow + 3 : 0);
  if (start === 0) return { name: file, from: '' };
  const from = file.slice(0, start).replace(/ › $/, '').replace(/\/$/, '');
  return { name: file.slice(start), from };
}

/** "archive.zip › folder/name.xlsx": the file's own name first, where it came from below it. */
function FileName({ file }: { file: string }) {
  const { name, from } = splitFileName(file);
  return (
    <>
      <Text size="sm" className="file-name">
        {name}
      </Text>
      {from && (
        <Text size="xs" c="dimmed" className="file-name">
          {from}
        </Text>
      )}
    </>
  );
}

/** The per-file result table of an import or a pull; conflicts are resolved from here. */
export function ImportResults({
  rows,
  lang,
  dryRun,
  onResolved,
  currentPeriod = null,
  currentTemplate = null,
}: {
  rows: ResultRow[];
  lang: Lang;
  dryRun: boolean;
  onResolved: (index: number, message: string) => void;
  /** The period the clerk is looking at: a package stored in another one is marked. */
  currentPeriod?: string | null;
  /** The template the clerk is looking at: a package of another one says its template, not "another period". */
  currentTemplate?: string | null;
}) {
  const { t } = useTranslation();
  const [busy, setBusy] = useState<number | null>(null);
  const resolve = async (i: number, conflictId: number, keep: 'existing' | 'incoming') => {
    setBusy(i);
    try {
      const r = await api.call('city.resolveConflict', { conflictId, keep });
      onResolved(i, r.message);
      notifications.show({ color: 'green', message: r.message });
    } catch (e) {
      notifications.show({ color: 'red', title: t('cityImport.resolveFailed'), message: messageOf(e) });
    } finally {
      setBusy(null);
    }
  };
  if (!rows.length) return null;
  // A zip may hold packages of several templates or versions: each row then says its template and version.
  const mixed =
    new Set(rows.flatMap((r) => (r.template ? [`${r.template}@${r.templateVersion ?? ''}`] : []))).size > 1 ||
    rows.some((r) => !sameTemplate(r, currentTemplate));
  return (
    <Table.ScrollContainer minWidth={900}>
      <Table withTableBorder striped verticalSpacing="xs" data-testid="import-results" className="results-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th w={40}>#</Table.Th>
            <Table.Th>{t('cityImport.file')}</Table.Th>
            <Table.Th>{t('cityImport.unit')}</Table.Th>
            <Table.Th>{t('cityImport.period')}</Table.Th>
            <Table.Th ta="right">{t('cityImport.revision')}</Table.Th>
            <Table.Th>{t('cityImport.outcomeCol')}</Table.Th>
            <Table.Th>{t('cityImport.details')}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((r, i) => (
            <Table.Tr key={`${i}-${r.file}`} data-result={r.outcome} data-file={r.file}>
              <Table.Td c="dimmed">{i + 1}</Table.Td>
              <Table.Td className="file-cell" miw={230}>
                <FileName file={r.file} />
              </Table.Td>
              <Table.Td>
                {r.unitName ?? r.unit ?? '—'}
                {r.unit && r.unitName && (
                  <Text span size="xs" c="dimmed">
                    {' '}
                    ({r.unit})
                  </Text>
                )}
              </Table.Td>
              <Table.Td style={{ whiteSpace: 'nowrap' }}>
                {r.period ? periodLabel(r.period, lang) : '—'}
                {mixed && r.template && (
                  <Text size="xs" c="dimmed" data-testid="result-template">
                    {t('cityImport.templateOf', { id: r.template, v: r.templateVersion ?? '' })}
                  </Text>
                )}
                {r.period && currentPeriod && r.period !== currentPeriod && sameTemplate(r, currentTemplate) && r.outcome !== 'refused' && r.outcome !== 'duplicate' && (
                  <Badge display="block" mt={2} color="orange" variant="light" size="sm" data-testid="other-period-badge">
                    {t('cityLoop.otherPeriodBadge')}
                  </Badge>
                )}
              </Table.Td>
              <Table.Td ta="right">{r.revision ?? '—'}</Table.Td>
              <Table.Td miw={150}>
                <Group gap={4}>
                  <OutcomeBadge r={r} />
                  {r.editedOutside && (
                    <Tooltip label={t('cityImport.editedOutsideHint')} multiline w={300}>
                      <Badge color="yellow" variant="light" leftSection={<IconPencilExclamation size={12} />}>
                        {t('review.editedOutside')}
                      </Badge>
                    </Tooltip>
                  )}
                </Group>
              </Table.Td>
              <Table.Td>
                <Text size="sm">{r.message}</Text>
                {(r.errors > 0 || r.warnings > 0) && r.outcome !== 'refused' && (
                  <Text size="xs" c="orange.9">
                    {t('cityImport.issues', { errors: r.errors, warnings: r.warnings })}
                  </Text>
                )}
                {r.outcome === 'conflict' && r.conflictId !== null && !dryRun && !r.resolved && (
                  <Group gap="xs" mt={6}>
                    <Button
                      size="compact-sm"
                      variant="default"
                      loading={busy === i}
                      onClick={() => void resolve(i, r.conflictId!, 'existing')}
                    >
                      {t('cityImport.keepExisting')}
                    </Button>
                    <Button
                      size="compact-sm"
                      variant="light"
                      color="orange"
                      loading={busy === i}
                      onClick={() => void resolve(i, r.conflictId!, 'incoming')}
                    >
                      {t('cityImport.keepIncoming')}
                    </Button>
                  </Group>
                )}
                {r.resolved && (
                  <Text size="sm" c="green.8" mt={4} data-testid="conflict-resolved">
                    {r.resolved}
                  </Text>
                )}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
