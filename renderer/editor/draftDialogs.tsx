/**
 * Issue 7 items 2 and 3: the draft is never exported or printed as if it were submitted, and a
 * file is shown before it replaces the draft; every kept draft can be restored.
 */
import { useEffect, useState } from 'react';
import { Alert, Button, Group, Loader, Modal, Stack, Table, Text } from '@mantine/core';
import {
  IconAlertCircle,
  IconAlertTriangle,
  IconCloudUpload,
  IconFileAlert,
  IconInfoCircle,
  IconRestore,
} from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { Change, ImportPreview, KeptDraft, ReturnState } from '../../shared/contract.js';
import type { Lang } from '../../shared/i18n.js';
import { formatDateTime } from '../../shared/format.js';
import type { Template } from '../../shared/template/schema.js';
import { api, messageOf } from '../api.js';
import { ChangesTable } from './dialogs.js';

/** The banner over the form while the draft differs from the last submitted revision. */
export function DraftDiffersBanner({
  revision,
  changes,
  blocked,
  template,
  lang,
  onSubmit,
}: {
  revision: number;
  changes: Change[];
  blocked: boolean;
  template: Template;
  lang: Lang;
  onSubmit: () => void;
}) {
  const { t } = useTranslation();
  const [open, setOpen] = useState(false);
  return (
    <Alert
      color="orange"
      radius={0}
      py={6}
      icon={<IconFileAlert />}
      data-testid="draft-differs"
      title={t('draftBanner.title', { n: revision })}
    >
      <Group justify="space-between" wrap="nowrap" align="flex-start" gap="sm">
        <Text size="sm">{t('draftBanner.text', { n: revision, next: revision + 1, count: changes.length })}</Text>
        <Group gap={6} wrap="nowrap">
          <Button
            size="compact-sm"
            variant="white"
            color="orange"
            onClick={() => setOpen(true)}
            data-testid="draft-differs-show"
          >
            {t('draftBanner.show')}
          </Button>
          <Button
            size="compact-sm"
            color="orange"
            leftSection={<IconCloudUpload size={14} />}
            onClick={onSubmit}
            data-blocked={blocked}
          >
            {t('draftBanner.submit', { next: revision + 1 })}
          </Button>
        </Group>
      </Group>
      <Modal
        opened={open}
        onClose={() => setOpen(false)}
        title={t('draftBanner.diffTitle', { n: revision })}
        size="xl"
        centered
      >
        <Stack data-testid="draft-differs-table">
          <Text size="sm" c="dimmed">
            {t('draftBanner.diffCaption', { n: revision })}
          </Text>
          <ChangesTable changes={changes} template={template} lang={lang} />
          <Group justify="flex-end">
            <Button onClick={() => setOpen(false)} data-autofocus>
              {t('common.close')}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Alert>
  );
}

/**
 * Export or print while the draft is not what was last submitted: submit first (the usual way),
 * or a copy marked "BẢN NHÁP — CHƯA NỘP".
 */
export function DraftOutputDialog({
  mode,
  onClose,
  latest,
  changes,
  blockedReason,
  onSubmitFirst,
  onDraft,
  onOldRevision,
}: {
  mode: 'export' | 'print' | null;
  onClose: () => void;
  latest: number | null;
  changes: number;
  blockedReason: string | null;
  onSubmitFirst: () => void;
  onDraft: () => void;
  onOldRevision: (n: number) => void;
}) {
  const { t } = useTranslation();
  const next = (latest ?? 0) + 1;
  const print = mode === 'print';
  return (
    <Modal
      opened={mode !== null}
      onClose={onClose}
      title={t(print ? 'draftOut.printTitle' : 'draftOut.exportTitle')}
      size="lg"
      centered
    >
      <Stack data-testid="draft-output">
        <Alert color="orange" icon={<IconAlertTriangle />}>
          {latest ? t('draftOut.differs', { n: latest, count: changes }) : t('draftOut.notSubmitted')}
        </Alert>
        <div>
          <Button
            fullWidth
            leftSection={<IconCloudUpload size={16} />}
            onClick={onSubmitFirst}
            disabled={!!blockedReason}
            data-testid="draft-output-submit"
            data-autofocus
          >
            {t(print ? 'draftOut.submitPrint' : 'draftOut.submitExport', { next })}
          </Button>
          <Text size="sm" c={blockedReason ? 'red.8' : 'dimmed'} mt={4}>
            {blockedReason ?? t('draftOut.submitHint', { next })}
          </Text>
        </div>
        <div>
          <Button fullWidth variant="default" color="orange" onClick={onDraft} data-testid="draft-output-draft">
            {t(print ? 'draftOut.draftPrint' : 'draftOut.draftExport')}
          </Button>
          <Text size="sm" c="dimmed" mt={4}>
            {t('draftOut.draftHint')}
          </Text>
        </div>
        {latest !== null && !print && (
          <Button
            variant="subtle"
            size="compact-sm"
            onClick={() => onOldRevision(latest)}
            data-testid="draft-output-old"
          >
            {t('draftOut.oldExport', { n: latest })}
          </Button>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {t('common.cancel')}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

export interface PendingImport {
  fileName: string;
  data: string;
  preview: ImportPreview;
}

/** What an import would change, before anything changes; applied only on confirmation. */
export function ImportPreviewDialog({
  pending,
  onCancel,
  onApply,
  template,
  lang,
}: {
  pending: PendingImport | null;
  onCancel: () => void;
  onApply: (p: PendingImport) => Promise<void>;
  template: Template;
  lang: Lang;
}) {
  const { t } = useTranslation();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const p = pending?.preview;
  const apply = async () => {
    if (!pending) return;
    setBusy(true);
    setError(null);
    try {
      await onApply(pending);
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };
  const issues = p ? [...p.errors, ...p.warnings] : [];
  return (
    <Modal opened={!!pending} onClose={onCancel} title={t('importPreview.title')} size="xl" centered>
      {pending && p && (
        <Stack data-testid="import-preview">
          <Text size="sm">
            {t('import.file')}: <b>{pending.fileName}</b>
            {' · '}
            {p.fileDraft
              ? t('importPreview.draftFile')
              : p.fileRevision !== null
                ? t('importPreview.fileRevision', { n: p.fileRevision })
                : ''}
          </Text>
          {p.older && (
            <Alert color="red" icon={<IconAlertTriangle />} data-testid="import-older" role="alert">
              {t('importPreview.older', { file: p.fileRevision, latest: p.latestRevision })}
            </Alert>
          )}
          {p.editedOutside && (
            <Alert color="orange" icon={<IconAlertTriangle />} data-testid="edited-outside">
              {t('import.editedOutside')}
            </Alert>
          )}
          <Alert color={p.changes.length ? 'blue' : 'gray'} icon={<IconInfoCircle />}>
            {p.changes.length ? t('importPreview.changes', { count: p.changes.length }) : t('importPreview.noChange')}
          </Alert>
          {p.changes.length > 0 && <ChangesTable changes={p.changes} template={template} lang={lang} />}
          {issues.length > 0 && (
            <div>
              <Text fw={600} size="sm">
                {t('importPreview.issues', { errors: p.errors.length, warnings: p.warnings.length })}
              </Text>
              <ul className="plain-list">
                {issues.map((i) => (
                  <li key={`${i.severity}-${i.id}`} className={`import-${i.severity}`}>
                    {i.message}
                  </li>
                ))}
              </ul>
            </div>
          )}
          {error && (
            <Alert color="red" icon={<IconAlertCircle />} role="alert" data-testid="import-apply-error">
              {error}
            </Alert>
          )}
          {p.changes.length > 0 && (
            <Text size="sm" c="dimmed">
              {t('importPreview.undoHint')}
            </Text>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={onCancel} data-autofocus data-testid="import-cancel">
              {t('importPreview.cancel')}
            </Button>
            {p.changes.length > 0 && (
              <Button
                color={p.older ? 'red' : 'blue'}
                loading={busy}
                onClick={() => void apply()}
                data-testid="import-apply"
              >
                {t('importPreview.apply')}
              </Button>
            )}
          </Group>
        </Stack>
      )}
    </Modal>
  );
}

/** The drafts kept before imports and restores; restoring one keeps the current draft in turn. */
export function KeptDrafts({
  returnId,
  onRestored,
}: {
  returnId: number;
  onRestored: (state: ReturnState, kept: KeptDraft) => void;
}) {
  const { t } = useTranslation();
  const [kept, setKept] = useState<KeptDraft[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<number | null>(null);
  const [round, setRound] = useState(0);
  useEffect(() => {
    let cancelled = false;
    api
      .call('returns.drafts', { returnId })
      .then((k) => !cancelled && setKept(k))
      .catch((e) => !cancelled && setError(messageOf(e)));
    return () => {
      cancelled = true;
    };
  }, [returnId, round]);
  const restore = async (k: KeptDraft) => {
    setBusy(k.id);
    setError(null);
    try {
      const state = await api.call('returns.restoreDraft', { returnId, backupId: k.id });
      onRestored(state, k);
      setRound((r) => r + 1);
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(null);
    }
  };
  return (
    <Stack gap="xs" data-testid="kept-drafts">
      <Text fw={600}>{t('keptDrafts.title')}</Text>
      <Text size="sm" c="dimmed">
        {t('keptDrafts.hint')}
      </Text>
      {error && (
        <Alert color="red" icon={<IconAlertCircle />} role="alert">
          {error}
        </Alert>
      )}
      {kept === null && !error && <Loader size="sm" />}
      {kept?.length === 0 && (
        <Text size="sm" c="dimmed">
          {t('keptDrafts.empty')}
        </Text>
      )}
      {kept && kept.length > 0 && (
        <Table withTableBorder striped data-testid="kept-drafts-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('keptDrafts.when')}</Table.Th>
              <Table.Th>{t('keptDrafts.reason')}</Table.Th>
              <Table.Th>{t('keptDrafts.changes')}</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {kept.map((k) => (
              <Table.Tr key={k.id} data-kept={k.id}>
                <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDateTime(k.createdAt)}</Table.Td>
                <Table.Td style={{ wordBreak: 'break-word' }}>{k.reason}</Table.Td>
                <Table.Td style={{ whiteSpace: 'nowrap' }}>
                  {k.changes ? t('keptDrafts.count', { count: k.changes }) : t('keptDrafts.same')}
                </Table.Td>
                <Table.Td>
                  <Button
                    size="compact-xs"
                    variant="light"
                    leftSection={<IconRestore size={13} />}
                    loading={busy === k.id}
                    disabled={busy !== null || k.changes === 0}
                    onClick={() => void restore(k)}
                  >
                    {t('keptDrafts.restore')}
                  </Button>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}
