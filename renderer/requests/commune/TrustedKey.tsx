import { useEffect, useRef, useState } from 'react';
import { Alert, Button, FileButton, Group, Stack, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconAlertCircle, IconKey } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { Output } from '../../../shared/contract.js';
import { api, messageOf, readFileBase64 } from '../../api.js';

type Trust = Output<'trust.get'>;

/**
 * The city key this office trusts, in the delivery settings: "Khóa của Thành phố: 3FA2 91C0 5B7E 0D44
 * (kèm theo ứng dụng | đã đặt)", and "Đổi khóa…" to trust the .pem file the city gave.
 */
export function TrustedKey() {
  const { t } = useTranslation();
  const [trust, setTrust] = useState<Trust | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const resetRef = useRef<() => void>(null);

  // Only an office trusts a city key (the city signs with its own): nothing is shown elsewhere.
  const [commune, setCommune] = useState(false);
  useEffect(() => {
    let live = true;
    api
      .call('app.info', {})
      .then((info) => {
        if (!live || info.role !== 'commune') return;
        setCommune(true);
        return api.call('trust.get', {}).then((r) => live && setTrust(r));
      })
      .catch((e) => live && setError(messageOf(e)));
    return () => {
      live = false;
    };
  }, []);

  const change = async (file: File | null) => {
    resetRef.current?.();
    if (!file) return;
    setBusy(true);
    setError(null);
    try {
      const data = await readFileBase64(file);
      const r = await api.call('trust.set', { file: { fileName: file.name, data } });
      setTrust(r);
      notifications.show({
        color: 'green',
        title: t('todo.trust.changedTitle'),
        message: t('todo.trust.changed', { fingerprint: r.fingerprint ?? '—' }),
      });
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };

  if (!commune && !error) return null;
  return (
    <Stack gap={4} data-testid="trusted-key">
      <Group justify="space-between" wrap="nowrap" align="center">
        <Group gap={6} wrap="nowrap" style={{ minWidth: 0 }}>
          <IconKey size={18} aria-hidden color="var(--mantine-color-gray-7)" />
          <Text size="sm">
            {t('todo.trust.label')}:{' '}
            {trust?.fingerprint ? (
              <>
                <Text span ff="monospace" fw={700} data-testid="trusted-key-fingerprint">
                  {trust.fingerprint}
                </Text>{' '}
                <Text span c="dimmed" data-testid="trusted-key-source" data-source={trust.source ?? ''}>
                  ({t(`todo.trust.${trust.source ?? 'shipped'}`)})
                </Text>
              </>
            ) : trust ? (
              <Text span c="orange.9">
                {t('todo.trust.none')}
              </Text>
            ) : (
              '…'
            )}
          </Text>
        </Group>
        <FileButton resetRef={resetRef} onChange={(f) => void change(f)} accept=".pem,.pub,.key,.txt">
          {(props) => (
            <Button {...props} size="xs" variant="default" loading={busy} data-testid="trusted-key-change">
              {t('todo.trust.change')}
            </Button>
          )}
        </FileButton>
      </Group>
      <Text size="xs" c="dimmed">
        {t('todo.trust.hint')}
      </Text>
      {error && (
        <Alert color="red" icon={<IconAlertCircle />} role="alert" py={6} data-testid="trusted-key-error">
          {error}
        </Alert>
      )}
    </Stack>
  );
}
