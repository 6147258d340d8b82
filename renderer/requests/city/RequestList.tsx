import { useCallback, useEffect, useMemo, useState } from 'react';
import { Alert, Anchor, Badge, Button, Group, Loader, SegmentedControl, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { IconPlus, IconSearch } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { RequestSummary } from '../../../shared/contract.js';
import { formatNumber } from '../../../shared/format.js';
import { refLine } from '../../../shared/requests.js';
import { matchesQuery } from '../../../shared/text.js';
import { RetryAlert } from '../../RetryAlert.js';
import { api, messageOf } from '../../api.js';

type Filter = 'open' | 'withdrawn' | 'all';

/** The city's requests, newest first, with their counts; a search box and "Tạo yêu cầu". */
export function RequestList({ onOpen, onCreate }: { onOpen: (id: string) => void; onCreate: () => void }) {
  const { t } = useTranslation();
  const [list, setList] = useState<RequestSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [query, setQuery] = useState('');
  const [filter, setFilter] = useState<Filter>('open');

  const load = useCallback(() => {
    api
      .call('requests.list', { includeWithdrawn: true })
      .then(setList)
      .catch((e) => setError(messageOf(e)));
  }, []);
  useEffect(load, [load]);

  const shown = useMemo(
    () =>
      (list ?? [])
        .filter((r) => filter === 'all' || r.state === filter)
        .filter(
          (r) =>
            !query.trim() ||
            matchesQuery(
              [r.id, r.title, r.ref.number, r.ref.summary, r.template, r.templateTitle, r.department, r.periodLabel].join(' '),
              query,
            ),
        )
        .sort((a, b) => (a.issuedAt < b.issuedAt ? 1 : a.issuedAt > b.issuedAt ? -1 : 0)),
    [list, filter, query],
  );

  const head = (
    <Group justify="space-between" align="flex-end" wrap="wrap">
      <div>
        <Title order={2} size="h3">
          {t('cityRequests.list.title')}
        </Title>
        <Text size="sm" c="dimmed" maw={720}>
          {t('cityRequests.list.intro')}
        </Text>
      </div>
      <Button leftSection={<IconPlus size={18} />} onClick={onCreate} data-testid="request-create">
        {t('cityRequests.list.create')}
      </Button>
    </Group>
  );

  if (error)
    return (
      <Stack>
        {head}
        <RetryAlert
          message={error}
          onRetry={() => {
            setError(null);
            load();
          }}
        />
      </Stack>
    );
  if (!list)
    return (
      <Stack>
        {head}
        <Loader size="sm" />
      </Stack>
    );

  return (
    <Stack gap="md" data-testid="requests-list">
      {head}
      <Group gap="sm" align="flex-end" wrap="wrap">
        <TextInput
          label={t('cityRequests.list.search')}
          placeholder={t('cityRequests.list.searchPlaceholder')}
          leftSection={<IconSearch size={16} />}
          value={query}
          onChange={(e) => setQuery(e.currentTarget.value)}
          w={360}
          data-testid="requests-search"
        />
        <SegmentedControl
          value={filter}
          onChange={(v) => setFilter(v as Filter)}
          data={[
            { value: 'open', label: t('cityRequests.state.open') },
            { value: 'withdrawn', label: t('cityRequests.state.withdrawn') },
            { value: 'all', label: t('cityRequests.list.all') },
          ]}
          aria-label={t('cityRequests.list.filter')}
        />
        <Text size="sm" c="dimmed" pb={8}>
          {t('cityRequests.list.shown', { n: formatNumber(shown.length), total: formatNumber(list.length) })}
        </Text>
      </Group>
      {list.length === 0 ? (
        <Alert color="blue" data-testid="requests-empty">
          {t('cityRequests.list.empty')}
        </Alert>
      ) : shown.length === 0 ? (
        <Alert color="gray">{t('cityRequests.list.noMatch')}</Alert>
      ) : (
        <Table.ScrollContainer minWidth={900}>
          <Table withTableBorder striped highlightOnHover verticalSpacing={6} data-testid="requests-table">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('cityRequests.list.request')}</Table.Th>
                <Table.Th>{t('cityRequests.list.template')}</Table.Th>
                <Table.Th>{t('cityRequests.list.deadline')}</Table.Th>
                <Table.Th>{t('cityRequests.list.addressees')}</Table.Th>
                <Table.Th ta="right">{t('cityRequests.list.submitted')}</Table.Th>
                <Table.Th>{t('cityRequests.list.state')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {shown.map((r) => (
                <Table.Tr key={r.id} data-request={r.id} data-state={r.state} style={{ cursor: 'pointer' }} onClick={() => onOpen(r.id)}>
                  <Table.Td maw={340}>
                    <Anchor
                      component="button"
                      type="button"
                      fw={600}
                      ta="left"
                      onClick={(e) => {
                        e.stopPropagation();
                        onOpen(r.id);
                      }}
                    >
                      {r.title}
                    </Anchor>
                    <Text size="xs" c="dimmed">
                      {r.id} · {refLine(r.ref)}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm" fw={500}>
                      {r.template}
                    </Text>
                    <Text size="xs" c="dimmed">
                      {r.periodLabel}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm">{r.deadlineText}</Text>
                    <Text size="xs" c="dimmed">
                      {r.department}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm">{r.addresseesLabel}</Text>
                  </Table.Td>
                  <Table.Td ta="right" className="num" style={{ whiteSpace: 'nowrap' }} data-testid="request-submitted">
                    <Text size="sm" fw={500}>
                      {t('cityRequests.list.submittedOf', { n: formatNumber(r.counts.submitted), total: formatNumber(r.counts.expected) })}
                    </Text>
                    <Text size="xs" c={r.counts.late ? 'orange.8' : 'dimmed'}>
                      {t('cityRequests.list.lateMissing', { late: formatNumber(r.counts.late), missing: formatNumber(r.counts.missing) })}
                    </Text>
                  </Table.Td>
                  <Table.Td style={{ whiteSpace: 'nowrap', minWidth: 170 }}>
                    <Group gap={4} wrap="nowrap">
                      <StateBadge state={r.state} />
                      {r.edition > 1 && (
                        <Badge variant="outline" color="gray" data-testid="request-edition">
                          {t('cityRequests.edition', { n: r.edition })}
                        </Badge>
                      )}
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Stack>
  );
}

export function StateBadge({ state }: { state: 'open' | 'withdrawn' }) {
  const { t } = useTranslation();
  return (
    <Badge
      color={state === 'open' ? 'blue' : 'gray'}
      variant={state === 'open' ? 'light' : 'filled'}
      style={{ flexShrink: 0 }}
      data-testid="request-state"
    >
      {t(state === 'open' ? 'cityRequests.state.open' : 'cityRequests.state.withdrawn')}
    </Badge>
  );
}
