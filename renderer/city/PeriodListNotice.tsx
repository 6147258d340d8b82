import { useState } from 'react';
import { Alert, Button, Group, Modal, Stack, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconListDetails } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { Lang } from '../../shared/i18n.js';
import { periodLabel } from '../../shared/periods.js';
import { api, messageOf } from '../api.js';

/**
 * A period keeps the unit list it was first used with (its completeness and totals do not move
 * when the list changes). When that list is not the current one, say so, and let the clerk move
 * the period to the current list after confirming.
 */
export function PeriodListNotice({
  template,
  period,
  version,
  current,
  lang,
  onMoved,
}: {
  template: string;
  period: string;
  version: string;
  current: string | undefined;
  lang: Lang;
  onMoved: () => void;
}) {
  const { t } = useTranslation();
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (!current || current === version) return null;
  const label = periodLabel(period, lang);

  const move = async () => {
    setBusy(true);
    setError(null);
    try {
      const r = await api.call('city.periodList.useCurrent', { template, period });
      notifications.show({ color: 'green', message: r.message });
      setAsking(false);
      onMoved();
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Alert color="blue" variant="light" icon={<IconListDetails />} data-testid="period-list-notice">
      <Group justify="space-between" wrap="wrap" gap="xs">
        <Text size="sm">{t('periodList.pinned', { version, current })}</Text>
        <Button size="xs" variant="light" onClick={() => setAsking(true)} data-testid="period-list-move">
          {t('periodList.move')}
        </Button>
      </Group>
      <Modal opened={asking} onClose={() => setAsking(false)} title={t('periodList.confirmTitle', { period: label })} size="lg">
        <Stack>
          <Text size="sm">{t('periodList.confirmBody', { period: label, current })}</Text>
          {error && (
            <Alert color="red" role="alert">
              {error}
            </Alert>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setAsking(false)} disabled={busy}>
              {t('common.cancel')}
            </Button>
            <Button onClick={() => void move()} loading={busy} data-testid="period-list-confirm">
              {t('periodList.confirm')}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Alert>
  );
}
