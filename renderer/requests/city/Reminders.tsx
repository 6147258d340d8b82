import { useCallback, useEffect, useState } from 'react';
import { Alert, Badge, Button, Group, Loader, Stack, Table, Text, Textarea, Title } from '@mantine/core';
import { IconBell, IconCircleCheck, IconDownload } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { Output } from '../../../shared/contract.js';
import type { Lang } from '../../../shared/i18n.js';
import { formatNumber } from '../../../shared/format.js';
import { RetryAlert } from '../../RetryAlert.js';
import { api, messageOf } from '../../api.js';
import { exportFile } from '../../exportFile.js';
import { unitTypeLabel } from '../../labels.js';

type Targets = Output<'requests.remindTargets'>;
type Sent = Output<'requests.remind'>;

/** "Nhắc nộp": the units that have not submitted, how each is reached, a reminder and the list to call round. */
export function Reminders({ id, lang, open }: { id: string; lang: Lang; open: boolean }) {
  const { t } = useTranslation();
  const [targets, setTargets] = useState<Targets | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [message, setMessage] = useState('');
  const [busy, setBusy] = useState(false);
  const [sent, setSent] = useState<Sent | null>(null);
  const [sendError, setSendError] = useState<string | null>(null);
  const [exporting, setExporting] = useState(false);

  const load = useCallback(() => {
    api
      .call('requests.remindTargets', { id })
      .then(setTargets)
      .catch((e) => setError(messageOf(e)));
  }, [id]);
  useEffect(load, [load]);

  const send = async () => {
    setBusy(true);
    setSendError(null);
    setSent(null);
    try {
      setSent(await api.call('requests.remind', { id, ...(message.trim() ? { message: message.trim() } : {}) }));
    } catch (e) {
      setSendError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };
  const doExport = async () => {
    setExporting(true);
    await exportFile(t, () => api.call('requests.missing.export', { id }));
    setExporting(false);
  };

  if (error)
    return (
      <RetryAlert
        message={error}
        onRetry={() => {
          setError(null);
          load();
        }}
      />
    );
  if (!targets) return <Loader size="sm" />;
  const online = targets.filter((x) => x.online).length;
  const none = t('cityRequests.remind.none');

  return (
    <Stack gap="md" data-testid="reminders">
      <Group justify="space-between" align="flex-end" wrap="wrap">
        <div>
          <Title order={3} size="h4">
            {t('cityRequests.remind.title')}
          </Title>
          <Text size="sm" c="dimmed" data-testid="remind-counts">
            {targets.length
              ? t('cityRequests.remind.counts', {
                  n: formatNumber(targets.length),
                  online: formatNumber(online),
                  offline: formatNumber(targets.length - online),
                })
              : t('cityRequests.remind.allIn')}
          </Text>
        </div>
        <Button
          variant="light"
          leftSection={<IconDownload size={18} />}
          onClick={() => void doExport()}
          loading={exporting}
          disabled={!targets.length}
          data-testid="remind-export"
        >
          {t('cityRequests.remind.export')}
        </Button>
      </Group>
      {targets.length > 0 && (
        <>
          <Group align="flex-end" gap="md" wrap="wrap">
            <Textarea
              label={t('cityRequests.remind.message')}
              description={t('cityRequests.remind.messageHint')}
              value={message}
              onChange={(e) => setMessage(e.currentTarget.value)}
              autosize
              minRows={2}
              maxLength={1000}
              w={520}
              data-testid="remind-message"
            />
            <Button leftSection={<IconBell size={18} />} onClick={() => void send()} loading={busy} disabled={!open} data-testid="remind-send">
              {t('cityRequests.remind.send', { n: formatNumber(targets.length) })}
            </Button>
          </Group>
          {!open && <Text size="sm" c="dimmed">{t('cityRequests.remind.withdrawn')}</Text>}
        </>
      )}
      {sent && (
        <Alert color="green" icon={<IconCircleCheck />} data-testid="remind-result" withCloseButton onClose={() => setSent(null)}>
          <Text size="sm">{sent.message}</Text>
          {sent.offline.length > 0 && (
            <Text size="sm" mt={4}>
              {t('cityRequests.remind.offlineAfter', { n: formatNumber(sent.offline.length) })}
            </Text>
          )}
        </Alert>
      )}
      {sendError && (
        <Alert color="red" role="alert" data-testid="remind-error">
          {sendError}
        </Alert>
      )}
      {targets.length > 0 && (
        <Table.ScrollContainer minWidth={820}>
          <Table withTableBorder striped verticalSpacing={6} data-testid="remind-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('completeness.code')}</Table.Th>
                <Table.Th>{t('completeness.unit')}</Table.Th>
                <Table.Th>{t('completeness.type')}</Table.Th>
                <Table.Th>{t('cityRequests.remind.reach')}</Table.Th>
                <Table.Th>{t('cityRequests.remind.email')}</Table.Th>
                <Table.Th>{t('cityRequests.remind.phone')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {targets.map((x) => (
                <Table.Tr key={x.unit.code} data-unit={x.unit.code}>
                  <Table.Td>{x.unit.code}</Table.Td>
                  <Table.Td fw={500}>{x.unit.name}</Table.Td>
                  <Table.Td>{unitTypeLabel(x.unit.type, lang)}</Table.Td>
                  <Table.Td>
                    <Badge color={x.online ? 'green' : 'gray'} variant="light" data-online={x.online}>
                      {t(x.online ? 'cityRequests.remind.online' : 'cityRequests.remind.offline')}
                    </Badge>
                  </Table.Td>
                  <Table.Td c={x.email ? undefined : 'dimmed'}>{x.email ?? none}</Table.Td>
                  <Table.Td c={x.phone ? undefined : 'dimmed'}>{x.phone ?? none}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Stack>
  );
}
