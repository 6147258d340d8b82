import { useState, type ReactNode } from 'react';
import {
  Alert,
  Badge,
  Button,
  Code,
  Drawer,
  Group,
  Loader,
  Modal,
  NativeSelect,
  Stack,
  Table,
  Text,
  TextInput,
} from '@mantine/core';
import {
  IconAlertCircle,
  IconAlertTriangle,
  IconCircleCheck,
  IconDownload,
  IconInfoCircle,
  IconPrinter,
} from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { Change, RevisionInfo } from '../../shared/contract.js';
import type { Lang } from '../../shared/i18n.js';
import { formatDateTime } from '../../shared/format.js';
import type { Issue } from '../../shared/template/rules.js';
import type { Template } from '../../shared/template/schema.js';
import { api, messageOf } from '../api.js';
import { showValue, specAt } from './display.js';

/** The table of changes between two versions of a return (a diff or what an import brought). */
export function ChangesTable({ changes, template, lang }: { changes: Change[]; template: Template; lang: Lang }) {
  const { t } = useTranslation();
  const show = (v: unknown, path: string) => {
    const s = showValue(v, specAt(template, path), lang);
    return s === '' ? (
      <Text span c="dimmed" fs="italic">
        {t('diff.empty')}
      </Text>
    ) : (
      s
    );
  };
  if (!changes.length)
    return (
      <Text c="dimmed" data-testid="no-changes">
        {t('diff.none')}
      </Text>
    );
  return (
    <Table withTableBorder striped className="changes-table" data-testid="changes-table">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>{t('diff.cell')}</Table.Th>
          <Table.Th ta="right">{t('diff.before')}</Table.Th>
          <Table.Th ta="right">{t('diff.after')}</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {changes.map((c) => (
          <Table.Tr key={c.path} data-change={c.path}>
            <Table.Td>{c.label}</Table.Td>
            <Table.Td ta="right">{show(c.before, c.path)}</Table.Td>
            <Table.Td ta="right" fw={600}>
              {show(c.after, c.path)}
            </Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

export function SubmitDialog({
  opened,
  onClose,
  periodName,
  unitName,
  nextRevision,
  defaultName,
  onSubmit,
  onExport,
  then = null,
  onPrint,
}: {
  opened: boolean;
  onClose: () => void;
  periodName: string;
  unitName: string;
  nextRevision: number;
  defaultName: string;
  onSubmit: (by: string) => Promise<RevisionInfo>;
  onExport: (revision: number) => void;
  /** Opened from "Xuất tệp Excel" or "In" (issue 7): once submitted, offer that for the new revision. */
  then?: 'export' | 'print' | null;
  onPrint?: (revision: RevisionInfo) => void;
}) {
  const { t } = useTranslation();
  const [by, setBy] = useState(defaultName);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<RevisionInfo | null>(null);
  const submit = async () => {
    setBusy(true);
    setError(null);
    try {
      setDone(await onSubmit(by.trim()));
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal
      opened={opened}
      onClose={onClose}
      title={done ? t('submit.doneTitle') : t('submit.title')}
      size="lg"
      centered
    >
      {done ? (
        <Stack data-testid="submit-done">
          <Alert color="green" icon={<IconCircleCheck />}>
            <Text fw={600}>{t('submit.done', { n: done.revision, period: periodName })}</Text>
            <Text size="sm" mt={4}>
              {t('submit.packageId')}: <Code data-testid="package-id">{done.packageId}</Code>
            </Text>
            <Text size="sm">
              {t('submit.at', { at: formatDateTime(done.submittedAt), by: done.submittedBy || '—' })}
            </Text>
            {done.late && (
              <Text size="sm" c="orange.9" mt={4}>
                {t('submit.late')}
              </Text>
            )}
          </Alert>
          <Text size="sm">{t('submit.next')}</Text>
          <Group justify="flex-end">
            {then === 'print' && onPrint ? (
              <Button
                leftSection={<IconPrinter size={16} />}
                onClick={() => onPrint(done)}
                data-testid="submit-then-print"
              >
                {t('submit.thenPrint', { n: done.revision })}
              </Button>
            ) : (
              <Button
                variant={then === 'export' ? 'filled' : 'light'}
                leftSection={<IconDownload size={16} />}
                onClick={() => onExport(done.revision)}
                data-testid="submit-then-export"
              >
                {then === 'export' ? t('submit.thenExport', { n: done.revision }) : t('toolbar.export')}
              </Button>
            )}
            <Button variant={then ? 'default' : 'filled'} onClick={onClose} data-autofocus>
              {t('common.close')}
            </Button>
          </Group>
        </Stack>
      ) : (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void submit();
          }}
        >
          <Stack>
            <Text>{t('submit.confirm', { period: periodName, unit: unitName, n: nextRevision })}</Text>
            <Text size="sm" c="dimmed">
              {t('submit.explain')}
            </Text>
            <TextInput
              label={t('submit.by')}
              value={by}
              onChange={(e) => setBy(e.currentTarget.value)}
              maxLength={100}
              data-autofocus
            />
            {error && (
              <Alert color="red" icon={<IconAlertCircle />} role="alert">
                {error}
              </Alert>
            )}
            <Group justify="flex-end">
              <Button variant="default" onClick={onClose}>
                {t('common.cancel')}
              </Button>
              <Button type="submit" loading={busy} data-testid="confirm-submit">
                {t('submit.confirmButton', { n: nextRevision })}
              </Button>
            </Group>
          </Stack>
        </form>
      )}
    </Modal>
  );
}

export function HistoryDrawer({
  opened,
  onClose,
  returnId,
  revisions,
  template,
  lang,
  onExport,
  children,
}: {
  opened: boolean;
  onClose: () => void;
  returnId: number;
  revisions: RevisionInfo[];
  template: Template;
  lang: Lang;
  onExport: (revision: number) => void;
  /** Shown under the revisions (the kept drafts). */
  children?: ReactNode;
}) {
  const { t } = useTranslation();
  const sorted = [...revisions].sort((a, b) => b.revision - a.revision);
  const latest = sorted[0]?.revision;
  // The editor remounts this drawer each time it opens (key), so these start fresh.
  const [from, setFrom] = useState<string>(latest === undefined ? '' : String(latest > 1 ? latest - 1 : latest));
  const [to, setTo] = useState<string>(latest !== undefined && latest > 1 ? String(latest) : 'draft');
  const [changes, setChanges] = useState<Change[] | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const compare = async () => {
    setBusy(true);
    setError(null);
    try {
      setChanges(
        await api.call('returns.diff', { returnId, from: Number(from), to: to === 'draft' ? 'draft' : Number(to) }),
      );
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };

  const revOptions = sorted.map((r) => ({
    value: String(r.revision),
    label: t('history.revision', { n: r.revision }),
  }));
  return (
    <Drawer
      opened={opened}
      onClose={onClose}
      position="right"
      size="xl"
      title={<Text fw={700}>{t('history.title')}</Text>}
    >
      <Stack>
        {sorted.length === 0 ? (
          <Alert icon={<IconInfoCircle />} color="blue">
            {t('history.empty')}
          </Alert>
        ) : (
          <>
            <Table withTableBorder striped data-testid="history-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('history.rev')}</Table.Th>
                  <Table.Th>{t('history.when')}</Table.Th>
                  <Table.Th>{t('history.who')}</Table.Th>
                  <Table.Th>{t('history.package')}</Table.Th>
                  <Table.Th />
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {sorted.map((r) => (
                  <Table.Tr key={r.revision} data-revision={r.revision}>
                    <Table.Td>
                      <Group gap={4}>
                        <Text fw={600}>{r.revision}</Text>
                        {r.late && (
                          <Badge size="xs" color="orange" variant="light">
                            {t('status.late')}
                          </Badge>
                        )}
                      </Group>
                    </Table.Td>
                    <Table.Td>{formatDateTime(r.submittedAt)}</Table.Td>
                    <Table.Td>{r.submittedBy || '—'}</Table.Td>
                    <Table.Td>
                      <Code className="package-id">{r.packageId}</Code>
                    </Table.Td>
                    <Table.Td>
                      <Button
                        size="compact-xs"
                        variant="light"
                        leftSection={<IconDownload size={13} />}
                        onClick={() => onExport(r.revision)}
                      >
                        {t('history.export')}
                      </Button>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
            <Text fw={600}>{t('history.compareTitle')}</Text>
            <Group align="flex-end" gap="sm">
              <NativeSelect
                label={t('history.from')}
                data={revOptions}
                value={from}
                onChange={(e) => {
                  setFrom(e.currentTarget.value);
                  setChanges(null);
                }}
                data-testid="diff-from"
              />
              <NativeSelect
                label={t('history.to')}
                data={[{ value: 'draft', label: t('history.draft') }, ...revOptions]}
                value={to}
                onChange={(e) => {
                  setTo(e.currentTarget.value);
                  setChanges(null);
                }}
                data-testid="diff-to"
              />
              <Button onClick={() => void compare()} loading={busy} data-testid="diff-run">
                {t('history.compare')}
              </Button>
            </Group>
            {error && (
              <Alert color="red" icon={<IconAlertCircle />} role="alert">
                {error}
              </Alert>
            )}
            {changes && (
              <>
                <Text size="sm" c="dimmed" data-testid="diff-caption">
                  {t('history.caption', {
                    from: t('history.revision', { n: from }),
                    to: to === 'draft' ? t('history.draft') : t('history.revision', { n: to }),
                  })}
                </Text>
                <ChangesTable changes={changes} template={template} lang={lang} />
              </>
            )}
          </>
        )}
        {children}
      </Stack>
    </Drawer>
  );
}

export interface ImportOutcome {
  fileName: string;
  changes?: Change[];
  errors?: Issue[];
  warnings?: Issue[];
  editedOutside?: boolean;
  failure?: { message: string; details: string[] };
}

export function ImportDialog({
  outcome,
  onClose,
  template,
  lang,
}: {
  outcome: ImportOutcome | null;
  onClose: () => void;
  template: Template;
  lang: Lang;
}) {
  const { t } = useTranslation();
  return (
    <Modal opened={!!outcome} onClose={onClose} title={t('import.title')} size="xl" centered>
      {outcome && (
        <Stack data-testid="import-result">
          <Text size="sm">
            {t('import.file')}: <b>{outcome.fileName}</b>
          </Text>
          {outcome.failure ? (
            <Alert
              color="red"
              icon={<IconAlertCircle />}
              title={t('import.refused')}
              role="alert"
              data-testid="import-error"
            >
              <Text>{outcome.failure.message}</Text>
              {outcome.failure.details.length > 0 && (
                <ul className="plain-list">
                  {outcome.failure.details.map((d, i) => (
                    <li key={i}>{d}</li>
                  ))}
                </ul>
              )}
            </Alert>
          ) : (
            <>
              <Alert color="green" icon={<IconCircleCheck />}>
                {outcome.changes?.length
                  ? t('import.doneChanges', { count: outcome.changes.length })
                  : t('import.doneNoChange')}
              </Alert>
              {outcome.editedOutside && (
                <Alert color="orange" icon={<IconAlertTriangle />} data-testid="edited-outside">
                  {t('import.editedOutside')}
                </Alert>
              )}
              {outcome.changes && outcome.changes.length > 0 && (
                <ChangesTable changes={outcome.changes} template={template} lang={lang} />
              )}
              {outcome.errors?.length || outcome.warnings?.length ? (
                <div>
                  <Text fw={600} size="sm">
                    {t('import.issues', {
                      errors: outcome.errors?.length ?? 0,
                      warnings: outcome.warnings?.length ?? 0,
                    })}
                  </Text>
                  <ul className="plain-list">
                    {[...(outcome.errors ?? []), ...(outcome.warnings ?? [])].map((i) => (
                      <li key={`${i.severity}-${i.id}`} className={`import-${i.severity}`}>
                        {i.message}
                      </li>
                    ))}
                  </ul>
                </div>
              ) : null}
            </>
          )}
          <Group justify="flex-end">
            <Button onClick={onClose} data-autofocus>
              {t('common.close')}
            </Button>
          </Group>
        </Stack>
      )}
    </Modal>
  );
}

export function Busy({ label }: { label: string }) {
  return (
    <Group gap="xs">
      <Loader size="xs" />
      <Text size="sm">{label}</Text>
    </Group>
  );
}
