import { useCallback, useEffect, useState } from 'react';
import {
  Alert,
  Badge,
  Button,
  Card,
  Checkbox,
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
import { IconAlertTriangle, IconCircleCheck, IconDownload, IconFileUpload, IconRestore } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { Output, Unit } from '../../shared/contract.js';
import type { Lang } from '../../shared/i18n.js';
import { formatDateTime, formatNumber } from '../../shared/format.js';
import { periodLabel } from '../../shared/periods.js';
import { api, messageOf, readFileBase64 } from '../api.js';
import { exportFile } from '../exportFile.js';
import { unitTypeLabel } from '../labels.js';

type Versions = Output<'units.versions'>;
type Change = Output<'units.import'>;

const SHOWN = 50;

function UnitsList({ units, lang, empty }: { units: Unit[]; lang: Lang; empty: string }) {
  const { t } = useTranslation();
  if (!units.length)
    return (
      <Text size="sm" c="dimmed">
        {empty}
      </Text>
    );
  return (
    <List size="sm" spacing={2}>
      {units.slice(0, SHOWN).map((u) => (
        <List.Item key={u.code}>
          {u.name}{' '}
          <Text span size="xs" c="dimmed">
            ({u.code}, {unitTypeLabel(u.type, lang)})
          </Text>
        </List.Item>
      ))}
      {units.length > SHOWN && (
        <List.Item>
          <Text span size="sm" c="dimmed">
            {t('units.more', { n: formatNumber(units.length - SHOWN) })}
          </Text>
        </List.Item>
      )}
    </List>
  );
}

/** The units added, removed and renamed by a list (a preview or what was done). */
function Changes({ change, lang }: { change: Change; lang: Lang }) {
  const { t } = useTranslation();
  const firsts = change.firstPeriods ?? [];
  const first = (p: string | null) => (p ? periodLabel(p, lang) : t('units.firstPeriodNone'));
  const attrs = change.attributes ?? [];
  const attrText = (a: Record<string, string> | null) =>
    a && Object.keys(a).length ? Object.entries(a).map(([k, v]) => `${k} = ${v}`).join(', ') : t('units.attributeNone');
  return (
    <>
      <SimpleGrid cols={{ base: 1, md: 3 }}>
        <div data-testid="units-added">
          <Group gap={6} mb={4}>
            <Badge color="green">{t('units.added', { n: change.added.length })}</Badge>
          </Group>
          <UnitsList units={change.added} lang={lang} empty={t('units.none')} />
        </div>
        <div data-testid="units-removed">
          <Group gap={6} mb={4}>
            <Badge color="red">{t('units.removed', { n: change.removed.length })}</Badge>
          </Group>
          <UnitsList units={change.removed} lang={lang} empty={t('units.none')} />
        </div>
        <div data-testid="units-renamed">
          <Group gap={6} mb={4}>
            <Badge color="blue">{t('units.renamed', { n: change.renamed.length })}</Badge>
          </Group>
          {change.renamed.length ? (
            <List size="sm" spacing={2}>
              {change.renamed.slice(0, SHOWN).map((r) => (
                <List.Item key={r.code}>
                  {r.before} → <b>{r.after}</b>{' '}
                  <Text span size="xs" c="dimmed">
                    ({r.code})
                  </Text>
                </List.Item>
              ))}
              {change.renamed.length > SHOWN && (
                <List.Item>
                  <Text span size="sm" c="dimmed">
                    {t('units.more', { n: formatNumber(change.renamed.length - SHOWN) })}
                  </Text>
                </List.Item>
              )}
            </List>
          ) : (
            <Text size="sm" c="dimmed">
              {t('units.none')}
            </Text>
          )}
        </div>
      </SimpleGrid>
      {firsts.length > 0 && (
        <div data-testid="units-first-periods">
          <Group gap={6} mt="sm" mb={4}>
            <Badge color="grape">{t('units.firstPeriods', { n: firsts.length })}</Badge>
            <Text span size="xs" c="dimmed">
              {t('units.firstPeriodsNote')}
            </Text>
          </Group>
          <List size="sm" spacing={2}>
            {firsts.slice(0, SHOWN).map((f) => (
              <List.Item key={f.code}>
                {f.name}: {first(f.before)} → <b>{first(f.after)}</b>
              </List.Item>
            ))}
            {firsts.length > SHOWN && (
              <List.Item>
                <Text span size="sm" c="dimmed">
                  {t('units.more', { n: formatNumber(firsts.length - SHOWN) })}
                </Text>
              </List.Item>
            )}
          </List>
        </div>
      )}
      {attrs.length > 0 && (
        <div data-testid="units-attributes">
          <Group gap={6} mt="sm" mb={4}>
            <Badge color="teal">{t('units.attributesChanged', { n: attrs.length })}</Badge>
            <Text span size="xs" c="dimmed">
              {t('units.attributesNote')}
            </Text>
          </Group>
          <List size="sm" spacing={2}>
            {attrs.slice(0, SHOWN).map((a) => (
              <List.Item key={a.code}>
                {a.name}: {attrText(a.before)} → <b>{attrText(a.after)}</b>
              </List.Item>
            ))}
            {attrs.length > SHOWN && (
              <List.Item>
                <Text span size="sm" c="dimmed">
                  {t('units.more', { n: formatNumber(attrs.length - SHOWN) })}
                </Text>
              </List.Item>
            )}
          </List>
        </div>
      )}
    </>
  );
}

/** What is being previewed: a file chosen by the clerk, or an earlier version to use again. */
type Pending = { kind: 'file'; fileName: string; data: string; change: Change } | { kind: 'restore'; version: string; change: Change };

/**
 * The unit list: its versions (each can be downloaded as CSV or used again), the current one, and
 * its replacement from a CSV or XLSX file. Nothing changes before the clerk has seen the preview
 * (added, removed, renamed) and confirmed it; when more than a tenth of the units would disappear
 * the clerk confirms a second time.
 */
export function UnitLists({ lang, onChanged }: { lang: Lang; onChanged: () => void }) {
  const { t } = useTranslation();
  const [versions, setVersions] = useState<Versions | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [pending, setPending] = useState<Pending | null>(null);
  const [sure, setSure] = useState(false);
  const [needSure, setNeedSure] = useState(false);
  const [result, setResult] = useState<(Change & { title: string }) | null>(null);
  const [failure, setFailure] = useState<string | null>(null);

  const load = useCallback(() => {
    api
      .call('units.versions', {})
      .then(setVersions)
      .catch((e) => setError(messageOf(e)));
  }, []);
  useEffect(load, [load]);

  const start = () => {
    setFailure(null);
    setResult(null);
    setPending(null);
    setSure(false);
    setNeedSure(false);
  };

  /** The preview of a file: a dry run, nothing changes. */
  const preview = async (file: File | null) => {
    if (!file) return;
    start();
    setBusy(true);
    try {
      const data = await readFileBase64(file);
      const change = await api.call('units.import', { file: { fileName: file.name, data }, dryRun: true });
      setPending({ kind: 'file', fileName: file.name, data, change });
    } catch (e) {
      setFailure(messageOf(e));
    } finally {
      setBusy(false);
    }
  };

  const previewRestore = async (version: string) => {
    start();
    setBusy(true);
    try {
      setPending({ kind: 'restore', version, change: await api.call('units.restore', { version, dryRun: true }) });
    } catch (e) {
      setFailure(messageOf(e));
    } finally {
      setBusy(false);
    }
  };

  const confirm = async () => {
    if (!pending) return;
    if (pending.change.askAgain && !sure) {
      setNeedSure(true);
      return;
    }
    setBusy(true);
    setFailure(null);
    try {
      const confirmRemovals = !!pending.change.askAgain && sure;
      const r =
        pending.kind === 'file'
          ? await api.call('units.import', { file: { fileName: pending.fileName, data: pending.data }, confirmRemovals })
          : await api.call('units.restore', { version: pending.version, confirmRemovals });
      const title =
        pending.kind === 'file'
          ? t('units.resultTitle', { file: pending.fileName, version: r.version, n: formatNumber(r.count) })
          : t('units.restored', { from: pending.version, version: r.version, n: formatNumber(r.count) });
      setResult({ ...r, title });
      setPending(null);
      notifications.show({ color: 'green', message: t('units.done', { version: r.version, n: formatNumber(r.count) }) });
      load();
      onChanged();
    } catch (e) {
      setFailure(messageOf(e));
    } finally {
      setBusy(false);
    }
  };

  const download = (version: string) => exportFile(t, () => api.call('units.export', { version }));

  const current = versions?.find((v) => v.current);
  const change = pending?.change;
  const unchanged =
    change && !change.added.length && !change.removed.length && !change.renamed.length && !change.firstPeriods?.length && !change.attributes?.length;
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
        <FileButton onChange={(f) => void preview(f)} accept=".csv,.xlsx,text/csv">
          {(props) => (
            <Button {...props} leftSection={<IconFileUpload size={18} />} loading={busy && !pending} data-testid="units-import">
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
          <Group justify="space-between" wrap="nowrap">
            <div>
              <Text>
                {t('units.current', {
                  version: current.version,
                  n: formatNumber(current.count),
                  at: formatDateTime(current.importedAt),
                })}
              </Text>
              <Text size="sm" c="dimmed" data-testid="units-attribute-columns">
                {current.attributes?.length
                  ? t('units.attributeColumns', { columns: current.attributes.join(', ') })
                  : t('units.attributeColumnsNone')}
              </Text>
            </div>
            <Button size="xs" variant="light" leftSection={<IconDownload size={14} />} onClick={() => void download(current.version)}>
              {t('units.download')}
            </Button>
          </Group>
        </Card>
      )}
      {pending && change && (
        <Card withBorder padding="sm" data-testid="units-preview" style={{ borderColor: 'var(--mantine-color-blue-5)' }}>
          <Text fw={600} mb={4}>
            {pending.kind === 'file'
              ? t('units.previewTitle', { file: pending.fileName, n: formatNumber(change.count), current: formatNumber(change.currentCount ?? 0) })
              : t('units.restorePreviewTitle', { version: pending.version, n: formatNumber(change.count), current: formatNumber(change.currentCount ?? 0) })}
          </Text>
          <Text size="sm" c="dimmed" mb="sm">
            {unchanged ? t('units.noChange') : t('units.previewNote')}
          </Text>
          {change.askAgain && (
            <Alert color="orange" icon={<IconAlertTriangle />} title={t('units.askAgainTitle')} mb="md" data-testid="units-ask-again">
              <Stack gap="xs">
                <Text size="sm">{change.askAgain}</Text>
                <Checkbox
                  checked={sure}
                  onChange={(e) => {
                    setSure(e.currentTarget.checked);
                    setNeedSure(false);
                  }}
                  label={t('units.askAgainCheck', { n: formatNumber(change.removed.length) })}
                  error={needSure ? t('units.askAgainNeeded') : undefined}
                  data-testid="units-ask-again-check"
                />
              </Stack>
            </Alert>
          )}
          <Changes change={change} lang={lang} />
          <Group justify="flex-end" mt="md">
            <Button variant="default" onClick={() => setPending(null)} disabled={busy}>
              {t('common.cancel')}
            </Button>
            <Button onClick={() => void confirm()} loading={busy} data-testid="units-confirm" color={change.askAgain ? 'orange' : undefined}>
              {t('units.confirm')}
            </Button>
          </Group>
        </Card>
      )}
      {failure && (
        <Alert color="red" icon={<IconAlertTriangle />} role="alert" title={t('units.failed')} data-testid="units-error">
          {failure}
        </Alert>
      )}
      {result && (
        <Card withBorder padding="sm" data-testid="units-result">
          <Group gap="xs" mb="sm">
            <IconCircleCheck color="var(--mantine-color-green-7)" />
            <Text fw={600}>{result.title}</Text>
          </Group>
          <Changes change={result} lang={lang} />
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
              <Table.Th>{t('units.source')}</Table.Th>
              <Table.Th>{t('units.importedAt')}</Table.Th>
              <Table.Th ta="right">{t('units.count')}</Table.Th>
              <Table.Th>{t('units.actions')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {[...versions].reverse().map((v) => (
              <Table.Tr key={v.version} data-version={v.version}>
                <Table.Td ff="monospace">{v.version}</Table.Td>
                <Table.Td>{v.source ?? ''}</Table.Td>
                <Table.Td>{formatDateTime(v.importedAt)}</Table.Td>
                <Table.Td ta="right">{formatNumber(v.count)}</Table.Td>
                <Table.Td>
                  <Group gap={6} wrap="nowrap">
                    {v.current && <Badge color="green">{t('units.isCurrent')}</Badge>}
                    <Button size="compact-xs" variant="subtle" leftSection={<IconDownload size={12} />} onClick={() => void download(v.version)} data-testid="units-download">
                      {t('units.download')}
                    </Button>
                    {!v.current && (
                      <Button size="compact-xs" variant="subtle" leftSection={<IconRestore size={12} />} onClick={() => void previewRestore(v.version)} data-testid="units-restore">
                        {t('units.restore')}
                      </Button>
                    )}
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}
