import { useCallback, useEffect, useState } from 'react';
import {
  Alert,
  Badge,
  Button,
  Card,
  FileButton,
  Group,
  List,
  SimpleGrid,
  Stack,
  Table,
  Text,
  Title,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconAlertTriangle, IconCircleCheck, IconFileUpload } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { Output, Unit } from '../../shared/contract.js';
import type { Lang } from '../../shared/i18n.js';
import { formatDateTime, formatNumber } from '../../shared/format.js';
import { api, messageOf, readFileBase64 } from '../api.js';
import { unitTypeLabel } from '../labels.js';

type Versions = Output<'units.versions'>;
type Imported = Output<'units.import'>;

function UnitsList({ units, lang, empty }: { units: Unit[]; lang: Lang; empty: string }) {
  if (!units.length)
    return (
      <Text size="sm" c="dimmed">
        {empty}
      </Text>
    );
  return (
    <List size="sm" spacing={2}>
      {units.map((u) => (
        <List.Item key={u.code}>
          {u.name}{' '}
          <Text span size="xs" c="dimmed">
            ({u.code}, {unitTypeLabel(u.type, lang)})
          </Text>
        </List.Item>
      ))}
    </List>
  );
}

/** The unit list: its versions, the current one, and its replacement from a CSV or XLSX file. */
export function UnitLists({ lang, onChanged }: { lang: Lang; onChanged: () => void }) {
  const { t } = useTranslation();
  const [versions, setVersions] = useState<Versions | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<(Imported & { fileName: string }) | null>(null);
  const [failure, setFailure] = useState<string | null>(null);

  const load = useCallback(() => {
    api
      .call('units.versions', {})
      .then(setVersions)
      .catch((e) => setError(messageOf(e)));
  }, []);
  useEffect(load, [load]);

  const replace = async (file: File | null) => {
    if (!file) return;
    setBusy(true);
    setFailure(null);
    setResult(null);
    try {
      const data = await readFileBase64(file);
      const r = await api.call('units.import', { file: { fileName: file.name, data } });
      setResult({ ...r, fileName: file.name });
      notifications.show({
        color: 'green',
        message: t('units.done', { version: r.version, n: formatNumber(r.count) }),
      });
      load();
      onChanged();
    } catch (e) {
      setFailure(messageOf(e));
    } finally {
      setBusy(false);
    }
  };

  const current = versions?.find((v) => v.current);
  return (
    <Stack>
      <Group justify="space-between" align="flex-start">
        <div>
          <Title order={3} size="h4">
            {t('units.title')}
          </Title>
          <Text size="sm" c="dimmed" maw={720}>
            {t('units.intro')}
          </Text>
        </div>
        <FileButton onChange={(f) => void replace(f)} accept=".csv,.xlsx,text/csv">
          {(props) => (
            <Button {...props} leftSection={<IconFileUpload size={18} />} loading={busy} data-testid="units-import">
              {t('units.replace')}
            </Button>
          )}
        </FileButton>
      </Group>
      {error && (
        <Alert color="red" icon={<IconAlertTriangle />}>
          {error}
        </Alert>
      )}
      {current && (
        <Card withBorder padding="sm" data-testid="units-current">
          <Text>
            {t('units.current', {
              version: current.version,
              n: formatNumber(current.count),
              at: formatDateTime(current.importedAt),
            })}
          </Text>
        </Card>
      )}
      {failure && (
        <Alert
          color="red"
          icon={<IconAlertTriangle />}
          role="alert"
          title={t('units.failed')}
          data-testid="units-error"
        >
          {failure}
        </Alert>
      )}
      {result && (
        <Card withBorder padding="sm" data-testid="units-result">
          <Group gap="xs" mb="sm">
            <IconCircleCheck color="var(--mantine-color-green-7)" />
            <Text fw={600}>
              {t('units.resultTitle', {
                file: result.fileName,
                version: result.version,
                n: formatNumber(result.count),
              })}
            </Text>
          </Group>
          <SimpleGrid cols={{ base: 1, md: 3 }}>
            <div data-testid="units-added">
              <Group gap={6} mb={4}>
                <Badge color="green">{t('units.added', { n: result.added.length })}</Badge>
              </Group>
              <UnitsList units={result.added} lang={lang} empty={t('units.none')} />
            </div>
            <div data-testid="units-removed">
              <Group gap={6} mb={4}>
                <Badge color="red">{t('units.removed', { n: result.removed.length })}</Badge>
              </Group>
              <UnitsList units={result.removed} lang={lang} empty={t('units.none')} />
            </div>
            <div data-testid="units-renamed">
              <Group gap={6} mb={4}>
                <Badge color="blue">{t('units.renamed', { n: result.renamed.length })}</Badge>
              </Group>
              {result.renamed.length ? (
                <List size="sm" spacing={2}>
                  {result.renamed.map((r) => (
                    <List.Item key={r.code}>
                      {r.before} → <b>{r.after}</b>{' '}
                      <Text span size="xs" c="dimmed">
                        ({r.code})
                      </Text>
                    </List.Item>
                  ))}
                </List>
              ) : (
                <Text size="sm" c="dimmed">
                  {t('units.none')}
                </Text>
              )}
            </div>
          </SimpleGrid>
          <Text size="xs" c="dimmed" mt="sm">
            {t('units.keepVersion')}
          </Text>
        </Card>
      )}
      {versions && (
        <Table withTableBorder striped data-testid="units-versions">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('units.version')}</Table.Th>
              <Table.Th>{t('units.importedAt')}</Table.Th>
              <Table.Th ta="right">{t('units.count')}</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {[...versions].reverse().map((v) => (
              <Table.Tr key={v.version}>
                <Table.Td ff="monospace">{v.version}</Table.Td>
                <Table.Td>{formatDateTime(v.importedAt)}</Table.Td>
                <Table.Td ta="right">{formatNumber(v.count)}</Table.Td>
                <Table.Td>{v.current && <Badge color="green">{t('units.isCurrent')}</Badge>}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}
