import { useCallback, useEffect, useState } from 'react';
import { Alert, Badge, Button, Container, Group, Loader, Modal, Stack, Table, Text, Title } from '@mantine/core';
import { IconCircleCheck, IconDatabaseExport, IconRestore } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { BackupInfo } from '../../shared/contract.js';
import { RetryAlert } from '../RetryAlert.js';
import { api, messageOf } from '../api.js';

const REASON_COLOR: Record<BackupInfo['reason'], string> = {
  submit: 'green',
  import: 'blue',
  daily: 'gray',
  manual: 'violet',
  'before-restore': 'orange',
};

/** dd/mm/yyyy hh:mm:ss in Vietnam: backups minutes apart need their seconds. */
function formatDateTime(iso: string): string {
  const p = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Asia/Ho_Chi_Minh',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(new Date(iso))
      .map((x) => [x.type, x.value]),
  );
  return `${p.day}/${p.month}/${p.year} ${p.hour}:${p.minute}:${p.second}`;
}

function sizeOf(bytes: number): string {
  return bytes >= 1024 * 1024
    ? `${(bytes / 1024 / 1024).toFixed(1).replace('.', ',')} MB`
    : `${Math.max(1, Math.round(bytes / 1024))} KB`;
}

/**
 * "Sao lưu": the automatic backups of this installation's database (before each submit and
 * import, once a day), a backup made now, and restoring one after a confirmation. The current
 * content is backed up first; the app then reads the restored database without a restart.
 */
export function Backups({ onRestored }: { onRestored: () => void }) {
  const { t } = useTranslation();
  const [items, setItems] = useState<BackupInfo[] | null>(null);
  const [folder, setFolder] = useState('');
  const [failure, setFailure] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [asking, setAsking] = useState<BackupInfo | null>(null);
  const [done, setDone] = useState<string | null>(null);
  // What restoring the backup being confirmed would take away (revisions submitted, packages received since).
  const [since, setSince] = useState<{ name: string; revisionsSince: string[]; packagesSince: number } | null>(null);
  useEffect(() => {
    if (!asking) return;
    let live = true;
    api
      .call('backups.inspect', { name: asking.name })
      .then((r) => live && setSince({ name: asking.name, ...r }))
      .catch((e: unknown) => live && setActionError(messageOf(e)));
    return () => {
      live = false;
    };
  }, [asking]);
  const lost = since && asking && since.name === asking.name ? since : null;

  const load = useCallback(() => {
    api
      .call('backups.list', {})
      .then((r) => {
        setFailure(null);
        setItems(r.items);
        setFolder(r.folder);
      })
      .catch((e: unknown) => setFailure(messageOf(e)));
  }, []);
  useEffect(load, [load]);

  const create = async () => {
    setBusy(true);
    setActionError(null);
    setDone(null);
    try {
      const b = await api.call('backups.create', {});
      setDone(t('backups.created', { time: formatDateTime(b.createdAt) }));
      load();
    } catch (e) {
      setActionError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };

  const restore = async (b: BackupInfo) => {
    setBusy(true);
    setActionError(null);
    setDone(null);
    try {
      const r = await api.call('backups.restore', { name: b.name });
      setAsking(null);
      setDone(
        t('backups.restored', {
          time: formatDateTime(r.restored.createdAt),
          safety: formatDateTime(r.safety.createdAt),
        }),
      );
      load();
      onRestored();
    } catch (e) {
      setActionError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Container size="lg" py="md" data-testid="backups-screen">
      <Group justify="space-between" align="flex-start" mb="xs" wrap="wrap">
        <div style={{ maxWidth: 720 }}>
          <Title order={2} size="h3">
            {t('backups.title')}
          </Title>
          <Text c="dimmed" size="sm">
            {t('backups.intro')}
          </Text>
          {folder && (
            <Text c="dimmed" size="xs" mt={4}>
              {t('backups.folder', { folder })}
            </Text>
          )}
        </div>
        <Button
          leftSection={<IconDatabaseExport size={18} />}
          onClick={() => void create()}
          loading={busy && !asking}
          disabled={busy}
        >
          {t('backups.createNow')}
        </Button>
      </Group>

      {done && (
        <Alert color="green" icon={<IconCircleCheck />} mb="sm" role="status" data-testid="backups-done">
          {done}
        </Alert>
      )}
      {actionError && !asking && (
        <Alert color="red" mb="sm" role="alert">
          {actionError}
        </Alert>
      )}
      {failure && <RetryAlert message={failure} onRetry={load} mb="sm" />}
      {!items && !failure && <Loader size="sm" />}
      {items && items.length === 0 && <Text>{t('backups.none')}</Text>}
      {items && items.length > 0 && (
        <Table striped highlightOnHover verticalSpacing="xs" data-testid="backups-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('backups.when')}</Table.Th>
              <Table.Th>{t('backups.reason')}</Table.Th>
              <Table.Th>{t('backups.size')}</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {items.map((b) => (
              <Table.Tr key={b.name} data-backup={b.name}>
                <Table.Td>{formatDateTime(b.createdAt)}</Table.Td>
                <Table.Td>
                  <Badge color={REASON_COLOR[b.reason]} variant="light">
                    {t(`backups.reasons.${b.reason}`)}
                  </Badge>
                </Table.Td>
                <Table.Td>{sizeOf(b.size)}</Table.Td>
                <Table.Td style={{ textAlign: 'right' }}>
                  <Button
                    size="xs"
                    variant="light"
                    leftSection={<IconRestore size={16} />}
                    onClick={() => setAsking(b)}
                    disabled={busy}
                  >
                    {t('backups.restore')}
                  </Button>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}

      <Modal
        opened={asking !== null}
        onClose={() => !busy && setAsking(null)}
        title={t('backups.confirmTitle')}
        size="lg"
        centered
      >
        {asking && (
          <Stack gap="sm">
            <Text>
              {t('backups.confirmBody', {
                time: formatDateTime(asking.createdAt),
                reason: t(`backups.reasons.${asking.reason}`),
              })}
            </Text>
            {!lost && <Loader size="sm" aria-label={t('backups.inspecting')} />}
            {lost && lost.revisionsSince.length > 0 && (
              <Alert color="red" title={t('backups.revisionsSinceTitle', { count: lost.revisionsSince.length })} data-testid="backups-revisions-since">
                <Stack gap={4}>
                  {lost.revisionsSince.map((line) => (
                    <Text size="sm" key={line}>
                      {line}
                    </Text>
                  ))}
                  <Text size="sm">{t('backups.revisionsSinceAdvice')}</Text>
                </Stack>
              </Alert>
            )}
            {lost && lost.packagesSince > 0 && (
              <Alert color="red" data-testid="backups-packages-since">
                {t('backups.packagesSince', { count: lost.packagesSince })}
              </Alert>
            )}
            <Text size="sm" c="dimmed">
              {t('backups.confirmSafety')}
            </Text>
            {actionError && (
              <Alert color="red" role="alert">
                {actionError}
              </Alert>
            )}
            <Group justify="flex-end">
              <Button variant="default" onClick={() => setAsking(null)} disabled={busy}>
                {t('common.cancel')}
              </Button>
              <Button color="orange" onClick={() => void restore(asking)} loading={busy} disabled={!lost} data-testid="backups-confirm">
                {t('backups.confirm')}
              </Button>
            </Group>
          </Stack>
        )}
      </Modal>
    </Container>
  );
}
