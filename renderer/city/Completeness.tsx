import { useCallback, useEffect, useMemo, useState } from 'react';
import {
  Alert,
  Badge,
  Button,
  Card,
  Group,
  Loader,
  Pagination,
  SegmentedControl,
  Select,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
  Tooltip,
} from '@mantine/core';
import { IconAlertTriangle, IconChevronRight, IconPencilExclamation, IconSearch } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { CompletenessRow, Output } from '../../shared/contract.js';
import type { Lang } from '../../shared/i18n.js';
import { unitTypes } from '../../shared/consolidate.js';
import { formatDate, formatDateTime, formatNumber, formatRate } from '../../shared/format.js';
import { matchesQuery } from '../../shared/text.js';
import { RetryAlert } from '../RetryAlert.js';
import { api, messageOf } from '../api.js';
import { unitTypeLabel, unitTypeTitle } from '../labels.js';
import { DISPLAY_STATES, STATE_COLOR, StateChart, displayState, type DisplayState } from './StateChart.js';
import { PeriodListNotice } from './PeriodListNotice.js';

type Data = Output<'city.completeness'>;
const PAGE = 50;

export function StateBadge({ row }: { row: CompletenessRow }) {
  const { t } = useTranslation();
  const s = displayState(row);
  const badge = (
    <Badge color={STATE_COLOR[s]} variant={s === 'missing' ? 'light' : 'filled'} data-state={s} className="state-badge">
      {t(`state.${s}`)}
    </Badge>
  );
  return (
    <Group gap={4} wrap="nowrap">
      {badge}
      {(s === 'accepted' || s === 'returned') && row.late && (
        <Badge color="orange" variant="light">
          {t('state.lateShort')}
        </Badge>
      )}
    </Group>
  );
}

function Stat({
  label,
  value,
  sub,
  color,
  testId,
}: {
  label: string;
  value: number;
  sub?: string;
  color?: string;
  testId: string;
}) {
  return (
    <Card withBorder padding="xs" data-testid={testId}>
      <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
        {label}
      </Text>
      <Group gap={6} align="baseline" wrap="nowrap">
        <Text fz={26} fw={700} c={color} lh={1.2}>
          {formatNumber(value)}
        </Text>
        {sub && (
          <Text size="sm" c="dimmed">
            {sub}
          </Text>
        )}
      </Group>
    </Card>
  );
}

function UnitsTable({
  rows,
  lang,
  onReview,
  testId,
}: {
  rows: CompletenessRow[];
  lang: Lang;
  onReview: (unit: string) => void;
  testId: string;
}) {
  const { t } = useTranslation();
  return (
    <Table.ScrollContainer minWidth={900}>
      <Table withTableBorder striped highlightOnHover verticalSpacing={6} data-testid={testId}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t('completeness.code')}</Table.Th>
            <Table.Th>{t('completeness.unit')}</Table.Th>
            <Table.Th>{t('completeness.type')}</Table.Th>
            <Table.Th>{t('completeness.state')}</Table.Th>
            <Table.Th ta="right">{t('completeness.revision')}</Table.Th>
            <Table.Th>{t('completeness.submittedAt')}</Table.Th>
            <Table.Th>{t('completeness.check')}</Table.Th>
            <Table.Th />
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((r) => (
            <Table.Tr key={r.unit.code} data-unit={r.unit.code} data-state={displayState(r)}>
              <Table.Td>{r.unit.code}</Table.Td>
              <Table.Td fw={500}>{r.unit.name}</Table.Td>
              <Table.Td>{unitTypeLabel(r.unit.type, lang) || '—'}</Table.Td>
              <Table.Td>
                <StateBadge row={r} />
                {r.conflicts > 0 && (
                  <Tooltip label={t('cityLoop.conflictBadgeHint')} multiline w={300}>
                    <Badge color="orange" variant="outline" size="sm" mt={4} data-testid="conflict-marker">
                      {t('cityLoop.conflictBadge', { n: r.conflicts })}
                    </Badge>
                  </Tooltip>
                )}
                {r.reason && (
                  <Text size="xs" c="red.8" mt={2} lineClamp={2} title={r.reason}>
                    {t('completeness.reason', { reason: r.reason })}
                  </Text>
                )}
              </Table.Td>
              <Table.Td ta="right">{r.revision ?? '—'}</Table.Td>
              <Table.Td>{r.submittedAt ? formatDateTime(r.submittedAt) : '—'}</Table.Td>
              <Table.Td>
                {r.state === 'missing' ? (
                  '—'
                ) : (
                  <Group gap={4} wrap="nowrap">
                    {r.errors > 0 && (
                      <Badge color="red" variant="light" size="sm">
                        {t('summary.errors', { count: r.errors })}
                      </Badge>
                    )}
                    {r.warnings > 0 && (
                      <Badge color="orange" variant="light" size="sm">
                        {t('summary.warnings', { count: r.warnings })}
                      </Badge>
                    )}
                    {!r.errors && !r.warnings && (
                      <Text size="sm" c="green.8">
                        {t('completeness.clean')}
                      </Text>
                    )}
                    {r.editedOutside && (
                      <Tooltip label={t('cityImport.editedOutsideHint')} multiline w={300}>
                        <IconPencilExclamation
                          size={16}
                          color="var(--mantine-color-yellow-8)"
                          aria-label={t('review.editedOutside')}
                        />
                      </Tooltip>
                    )}
                  </Group>
                )}
              </Table.Td>
              <Table.Td ta="right">
                {r.state !== 'missing' && (
                  <Button
                    size="compact-sm"
                    variant="light"
                    rightSection={<IconChevronRight size={14} />}
                    onClick={() => onReview(r.unit.code)}
                    aria-label={`${t('completeness.review')}: ${r.unit.name}`}
                  >
                    {t('completeness.review')}
                  </Button>
                )}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

/** Who has filed for a period: every unit of the list with its state, filters, counts and a chart. */
export function Completeness({
  template,
  period,
  lang,
  onReview,
  source,
}: {
  template: string;
  period: string;
  lang: Lang;
  onReview: (unit: string) => void;
  /** Where the rows come from when not the period's (a request's completeness, issue 9). */
  source?: () => Promise<Data>;
}) {
  const { t } = useTranslation();
  const [data, setData] = useState<Data | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [type, setType] = useState('all');
  const [state, setState] = useState<string>('all');
  const [query, setQuery] = useState('');
  const [page, setPage] = useState(1);

  const load = useCallback(() => {
    (source ? source() : api.call('city.completeness', { template, period }))
      .then(setData)
      .catch((e) => setError(messageOf(e)));
  }, [template, period, source]);
  useEffect(load, [load]);

  const types = useMemo(
    () =>
      data ? unitTypes(data.rows.map((r) => r.unit)).filter((ty) => data.rows.some((r) => r.unit.type === ty)) : [],
    [data],
  );
  const filtered = useMemo(() => {
    if (!data) return [];
    return data.rows.filter((r) => {
      if (type !== 'all' && r.unit.type !== type) return false;
      const s = displayState(r);
      if (state === 'conflicts') {
        if (!r.conflicts) return false;
      } else if (state === 'submitted' ? s === 'missing' : state !== 'all' && s !== (state as DisplayState)) return false;
      return !query.trim() || matchesQuery(`${r.unit.name} ${r.unit.code}`, query);
    });
  }, [data, type, state, query]);
  const pages = Math.max(1, Math.ceil(filtered.length / PAGE));
  const shown = filtered.slice((Math.min(page, pages) - 1) * PAGE, Math.min(page, pages) * PAGE);

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
  if (!data) return <Loader size="sm" />;
  const c = data.counts;
  const pct = (n: number) => formatRate(c.expected ? n / c.expected : 0);

  return (
    <Stack gap="md">
      <Group justify="space-between" align="baseline">
        <Title order={3} size="h4">
          {t('completeness.title')}
        </Title>
        <Text size="sm" c="dimmed">
          {t('completeness.deadline', { date: formatDate(data.deadline), version: data.unitListVersion })}
        </Text>
      </Group>
      <PeriodListNotice
        template={template}
        period={period}
        version={data.unitListVersion}
        current={data.currentUnitListVersion}
        lang={lang}
        onMoved={load}
      />
      <SimpleGrid cols={{ base: 3, md: 7 }} spacing="xs" data-testid="completeness-counts">
        <Stat testId="count-expected" label={t('completeness.expected')} value={c.expected} />
        <Stat
          testId="count-submitted"
          label={t('completeness.submitted')}
          value={c.submitted}
          sub={pct(c.submitted)}
          color="blue.8"
        />
        <Stat testId="count-on_time" label={t('completeness.onTime')} value={c.on_time} color="blue.7" />
        <Stat testId="count-late" label={t('completeness.late')} value={c.late} color="orange.8" />
        <Stat
          testId="count-missing"
          label={t('completeness.missing')}
          value={c.missing}
          sub={pct(c.missing)}
          color="gray.7"
        />
        <Stat testId="count-accepted" label={t('completeness.accepted')} value={c.accepted} color="green.8" />
        <Stat testId="count-returned" label={t('completeness.returned')} value={c.returned} color="red.8" />
      </SimpleGrid>
      {data.conflicts > 0 && (
        <Alert
          color="orange"
          icon={<IconAlertTriangle />}
          data-testid="conflicts-alert"
          title={t('cityLoop.conflictsAlertTitle', { n: data.conflicts })}
        >
          <Group justify="space-between" gap="sm">
            <Text size="sm">{t('cityLoop.conflictsAlert')}</Text>
            <Button
              size="compact-sm"
              variant="light"
              color="orange"
              onClick={() => {
                setState('conflicts');
                setPage(1);
              }}
              data-testid="show-conflicts"
            >
              {t('cityLoop.showConflicts')}
            </Button>
          </Group>
        </Alert>
      )}
      <Card withBorder padding="sm">
        <Text fw={600} size="sm" mb={4}>
          {t('completeness.chartTitle')}
        </Text>
        <StateChart rows={data.rows} types={types} lang={lang} />
      </Card>
      <Group gap="sm" align="flex-end" wrap="wrap">
        <div>
          <Text size="sm" fw={500} mb={4}>
            {t('completeness.filterType')}
          </Text>
          <SegmentedControl
            value={type}
            onChange={(v) => {
              setType(v);
              setPage(1);
            }}
            data={[
              { value: 'all', label: t('completeness.allTypes') },
              ...types.map((ty) => ({ value: ty, label: unitTypeTitle(ty, lang) })),
            ]}
            data-testid="filter-type"
          />
        </div>
        <Select
          label={t('completeness.filterState')}
          value={state}
          onChange={(v) => {
            setState(v ?? 'all');
            setPage(1);
          }}
          allowDeselect={false}
          data={[
            { value: 'all', label: t('completeness.allStates') },
            { value: 'submitted', label: t('completeness.submittedAny') },
            ...DISPLAY_STATES.map((s) => ({ value: s, label: t(`state.${s}`) })),
            { value: 'conflicts', label: t('cityLoop.filterConflicts') },
          ]}
          w={240}
          data-testid="filter-state"
        />
        <TextInput
          label={t('completeness.search')}
          placeholder={t('completeness.searchPlaceholder')}
          leftSection={<IconSearch size={16} />}
          value={query}
          onChange={(e) => {
            setQuery(e.currentTarget.value);
            setPage(1);
          }}
          w={300}
          data-testid="unit-search"
        />
        <Text size="sm" c="dimmed" pb={8} data-testid="filtered-count">
          {t('completeness.shown', { n: formatNumber(filtered.length), total: formatNumber(data.rows.length) })}
        </Text>
      </Group>
      {filtered.length === 0 ? (
        <Alert color="gray">{t('completeness.noMatch')}</Alert>
      ) : (
        <UnitsTable rows={shown} lang={lang} onReview={onReview} testId="completeness-table" />
      )}
      {pages > 1 && <Pagination value={Math.min(page, pages)} onChange={setPage} total={pages} />}
      {data.unlisted.length > 0 && (
        <Stack gap="xs" data-testid="unlisted">
          <Title order={4} size="h5">
            {t('completeness.unlistedTitle', { n: data.unlisted.length })}
          </Title>
          <Text size="sm" c="dimmed">
            {t('completeness.unlistedHint')}
          </Text>
          <UnitsTable rows={data.unlisted} lang={lang} onReview={onReview} testId="unlisted-table" />
        </Stack>
      )}
    </Stack>
  );
}
