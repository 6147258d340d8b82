import { useCallback, useEffect, useMemo, useState, type ReactNode } from 'react';
import { Alert, Badge, Button, Card, Group, Loader, SimpleGrid, Stack, Table, Tabs, Text, Timeline, Title } from '@mantine/core';
import { IconAlertTriangle, IconArrowLeft, IconBan, IconBell, IconChartBar, IconFileCertificate, IconHistory, IconListCheck, IconPencilPlus } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { Output, RequestSummary } from '../../../shared/contract.js';
import { tx, type Lang } from '../../../shared/i18n.js';
import { formatDate, formatDateTime, formatNumber } from '../../../shared/format.js';
import { addresseeLine, deadlineText, refLine, requestPeriodLabel, type RequestEdition } from '../../../shared/requests.js';
import { parseTemplate } from '../../../shared/template/model.js';
import type { Template } from '../../../shared/template/schema.js';
import { RetryAlert } from '../../RetryAlert.js';
import { ApiError, api, messageOf } from '../../api.js';
import { Completeness } from '../../city/Completeness.js';
import { ConsolidationView } from '../../city/Consolidation.js';
import { Review } from '../../city/Review.js';
import { unitTypeLabel } from '../../labels.js';
import { AmendModal, CityKeyButton, WithdrawModal } from './Actions.js';
import { StateBadge } from './RequestList.js';
import { Reminders } from './Reminders.js';
import { downloadOther } from './download.js';
import { lastDayText } from './units.js';

type Got = Output<'requests.get'>;

function Field({ label, children, testId }: { label: string; children: ReactNode; testId?: string }) {
  return (
    <div data-testid={testId}>
      <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
        {label}
      </Text>
      <div>{children}</div>
    </div>
  );
}

/** One request at the city: what it asks, its editions, the file to send, and who has answered. */
export function RequestDetail({
  id,
  unit,
  lang,
  go,
}: {
  id: string;
  unit: string | null;
  lang: Lang;
  go: (hash: string) => void;
}) {
  const { t } = useTranslation();
  const [got, setGot] = useState<Got | null>(null);
  const [summary, setSummary] = useState<RequestSummary | null>(null);
  const [template, setTemplate] = useState<Template | null>(null);
  const [templateTitle, setTemplateTitle] = useState('');
  const [error, setError] = useState<string | null>(null);
  // Not there (or another department's): trying again cannot help, so no "Thử lại".
  const [missing, setMissing] = useState(false);
  const [tab, setTab] = useState<string>('completeness');
  const [amending, setAmending] = useState(false);
  const [withdrawing, setWithdrawing] = useState(false);
  const [version, setVersion] = useState(0);
  const [exporting, setExporting] = useState(false);

  const load = useCallback(() => {
    api
      .call('requests.get', { id })
      .then(async (g) => {
        setGot(g);
        const c = g.current;
        const [data, list] = await Promise.all([
          api.call('templates.get', { id: c.template, version: c.templateVersion }),
          api.call('requests.list', { includeWithdrawn: true }).catch(() => [] as RequestSummary[]),
        ]);
        const tpl = parseTemplate(data);
        setTemplate(tpl);
        setTemplateTitle(tx(tpl.title, lang));
        setSummary(list.find((r) => r.id === id) ?? null);
      })
      .catch((e) => {
        setMissing(e instanceof ApiError && e.code === 'not_found');
        setError(messageOf(e));
      });
  }, [id, lang]);
  useEffect(load, [load, version]);

  const completeness = useCallback(() => api.call('requests.completeness', { id }), [id]);
  const source = useMemo(
    () => ({ load: () => api.call('requests.consolidation', { id }), export: () => api.call('requests.consolidation.export', { id }) }),
    [id],
  );

  const back = (
    <Button variant="subtle" size="compact-sm" leftSection={<IconArrowLeft size={16} />} onClick={() => go('/city/requests')} style={{ alignSelf: 'flex-start' }}>
      {t('cityRequests.backToList')}
    </Button>
  );
  if (error)
    return (
      <Stack>
        {back}
        {missing ? (
          <Alert color="orange" icon={<IconAlertTriangle />} role="alert" data-testid="request-not-found">
            {error}
          </Alert>
        ) : (
          <RetryAlert
            message={error}
            onRetry={() => {
              setError(null);
              load();
            }}
          />
        )}
      </Stack>
    );
  if (!got || !template) return <Loader size="sm" />;
  const r: RequestEdition = got.current;

  if (unit)
    return <Review key={unit} template={template} period={r.period} unit={unit} lang={lang} onBack={() => go(`/city/requests/${id}`)} />;

  const open = r.state === 'open';
  /** A new edition was issued (amended or withdrawn): read the request again. */
  const changed = () => {
    setAmending(false);
    setWithdrawing(false);
    setGot(null);
    setVersion((v) => v + 1);
  };
  const doExport = async () => {
    setExporting(true);
    await downloadOther(t, () => api.call('requests.export', { id }), t('cityRequests.detail.exportHint'));
    setExporting(false);
  };
  const win = r.window;

  return (
    <Stack gap="md" data-testid="request-detail" data-request={r.id}>
      {back}
      <Group justify="space-between" align="flex-start" wrap="wrap">
        <div style={{ minWidth: 0, flex: 1 }}>
          <Group gap="xs">
            <StateBadge state={r.state} />
            <Badge variant="outline" color="gray" data-testid="detail-edition">
              {t('cityRequests.edition', { n: r.edition })}
            </Badge>
            <Text size="sm" c="dimmed">
              {r.id}
            </Text>
          </Group>
          <Title order={2} size="h3" mt={4} data-testid="detail-title">
            {r.title}
          </Title>
          <Text size="sm">
            {refLine(r.ref)} — {r.ref.summary}
          </Text>
        </div>
        <CityKeyButton />
      </Group>

      {!open && (
        <Alert color="gray" icon={<IconBan />} data-testid="detail-withdrawn">
          {t('cityRequests.detail.withdrawnNote', { reason: r.note ?? '' })}
        </Alert>
      )}

      <Card withBorder padding="md">
        <SimpleGrid cols={{ base: 2, md: 3 }} spacing="md" verticalSpacing="sm">
          <Field label={t('cityRequests.detail.template')}>
            <Text size="sm">
              {r.template} ({t('cityRequests.form.versionN', { v: r.templateVersion })}) — {templateTitle}
            </Text>
          </Field>
          <Field label={t('cityRequests.detail.period')}>
            <Text size="sm">{requestPeriodLabel(r, lang)}</Text>
            {win && (
              <Text size="xs" c="dimmed">
                {t('cityRequests.detail.window', { start: formatDate(win.start), end: formatDate(win.end) })}
              </Text>
            )}
          </Field>
          <Field label={t('cityRequests.detail.deadline')} testId="detail-deadline">
            <Text size="sm" fw={500}>
              {t('cityRequests.form.deadlineSentence', { text: deadlineText(r.due, r.dueWording, lang), last: lastDayText(r.due, r.dueWording) })}
            </Text>
          </Field>
          <Field label={t('cityRequests.detail.addressee')}>
            <Text size="sm">{addresseeLine(r, lang)}</Text>
          </Field>
          <Field label={t('cityRequests.detail.units')} testId="detail-units">
            <Text size="sm">{summary?.addresseesLabel ?? t('cityRequests.form.unitCount', { n: formatNumber(r.units.length) })}</Text>
            {summary && (
              <Text size="xs" c="dimmed">
                {t('cityRequests.list.submittedOf', { n: formatNumber(summary.counts.submitted), total: formatNumber(summary.counts.expected) })}
              </Text>
            )}
          </Field>
          <Field label={t('cityRequests.detail.issued')}>
            <Text size="sm">
              {formatDateTime(r.issuedAt)}
              {r.issuedBy ? ` · ${r.issuedBy}` : ''}
            </Text>
          </Field>
        </SimpleGrid>
        {r.instruction && (
          <Field label={t('cityRequests.form.instruction')}>
            <Text size="sm" style={{ whiteSpace: 'pre-wrap' }} mt={2}>
              {r.instruction}
            </Text>
          </Field>
        )}
      </Card>

      <Card withBorder padding="sm">
        <Group justify="space-between" wrap="wrap" gap="sm">
          <Group gap="sm" wrap="wrap">
            <Button leftSection={<IconFileCertificate size={18} />} onClick={() => void doExport()} loading={exporting} data-testid="request-export">
              {t('cityRequests.detail.export')}
            </Button>
            <Button variant="light" leftSection={<IconPencilPlus size={18} />} onClick={() => setAmending(true)} disabled={!open} data-testid="request-amend">
              {t('cityRequests.detail.amend')}
            </Button>
            <Button variant="light" color="red" leftSection={<IconBan size={18} />} onClick={() => setWithdrawing(true)} disabled={!open} data-testid="request-withdraw">
              {t('cityRequests.detail.withdraw')}
            </Button>
          </Group>
        </Group>
        <Text size="xs" c="dimmed" mt={6}>
          {t('cityRequests.detail.exportHint')}
        </Text>
      </Card>

      <Tabs value={tab} onChange={(v) => v && setTab(v)} keepMounted={false}>
        <Tabs.List mb="md">
          <Tabs.Tab value="completeness" leftSection={<IconListCheck size={16} />} data-testid="detail-tab-completeness">
            {t('cityRequests.detail.tabCompleteness')}
          </Tabs.Tab>
          <Tabs.Tab value="consolidation" leftSection={<IconChartBar size={16} />} data-testid="detail-tab-consolidation">
            {t('cityRequests.detail.tabConsolidation')}
          </Tabs.Tab>
          <Tabs.Tab value="remind" leftSection={<IconBell size={16} />} data-testid="detail-tab-remind">
            {t('cityRequests.detail.tabRemind')}
          </Tabs.Tab>
          <Tabs.Tab value="editions" leftSection={<IconHistory size={16} />} data-testid="detail-tab-editions">
            {t('cityRequests.detail.tabEditions', { n: got.editions.length })}
          </Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="completeness">
          <Completeness template={r.template} period={r.period} lang={lang} source={completeness} onReview={(u) => go(`/city/requests/${id}/review/${encodeURIComponent(u)}`)} />
        </Tabs.Panel>
        <Tabs.Panel value="consolidation">
          <ConsolidationView template={template} period={r.period} lang={lang} source={source} />
        </Tabs.Panel>
        <Tabs.Panel value="remind">
          <Reminders id={id} lang={lang} open={open} />
        </Tabs.Panel>
        <Tabs.Panel value="editions">
          <Stack gap="md">
            <Timeline active={got.editions.length - 1} bulletSize={22} lineWidth={2} data-testid="editions">
              {[...got.editions]
                .sort((a, b) => a.edition - b.edition)
                .map((e) => (
                  <Timeline.Item
                    key={e.edition}
                    title={`${t('cityRequests.edition', { n: e.edition })} · ${formatDateTime(e.issuedAt)}${e.issuedBy ? ` · ${e.issuedBy}` : ''}`}
                    data-edition={e.edition}
                  >
                    <Text size="sm">
                      {e.state === 'withdrawn' ? t('cityRequests.detail.editionWithdrawn') : e.edition === 1 ? t('cityRequests.detail.editionFirst') : t('cityRequests.detail.editionAmended')}
                      {' — '}
                      {deadlineText(e.due, e.dueWording, lang)} · {t('cityRequests.form.unitCount', { n: formatNumber(e.units.length) })}
                    </Text>
                    {e.note && (
                      <Text size="sm" c="dimmed" fs="italic">
                        {e.note}
                      </Text>
                    )}
                  </Timeline.Item>
                ))}
            </Timeline>
            <Title order={4} size="h5">
              {t('cityRequests.detail.unitsTitle', { n: formatNumber(got.units.length) })}
            </Title>
            <Table.ScrollContainer minWidth={500} mah={360}>
              <Table withTableBorder striped verticalSpacing={4} data-testid="detail-units-table">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>{t('completeness.code')}</Table.Th>
                    <Table.Th>{t('completeness.unit')}</Table.Th>
                    <Table.Th>{t('completeness.type')}</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {got.units.map((u) => (
                    <Table.Tr key={u.code}>
                      <Table.Td>{u.code}</Table.Td>
                      <Table.Td>{u.name}</Table.Td>
                      <Table.Td>{unitTypeLabel(u.type, lang)}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          </Stack>
        </Tabs.Panel>
      </Tabs>

      {amending && <AmendModal current={r} lang={lang} opened onClose={() => setAmending(false)} onDone={changed} />}
      {withdrawing && <WithdrawModal current={r} opened onClose={() => setWithdrawing(false)} onDone={changed} />}
    </Stack>
  );
}
