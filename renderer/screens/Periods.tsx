import { useCallback, useEffect, useState, type ReactNode } from 'react';
import { Badge, Button, Container, Group, Loader, Table, Text, Title } from '@mantine/core';
import { IconChevronRight } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { AppInfo, PeriodRow } from '../../shared/contract.js';
import type { Lang } from '../../shared/i18n.js';
import { tx } from '../../shared/i18n.js';
import { formatDate, formatDateTime } from '../../shared/format.js';
import { periodLabel } from '../../shared/periods.js';
import type { Template } from '../../shared/template/schema.js';
import { RetryAlert } from '../RetryAlert.js';
import { api, messageOf } from '../api.js';
import { DeliveryBadge, SendNowButton, itemOf, useDelivery } from '../delivery/Delivery.js';

export function StatusBadges({ row }: { row: PeriodRow }) {
  const { t } = useTranslation();
  return (
    <Group gap={4} wrap="wrap">
      {row.status === 'before_start' && (
        <Badge color="gray" variant="outline" data-status="before_start">
          {t('status.before_start')}
        </Badge>
      )}
      {row.status === 'not_started' && (
        <Badge color="gray" variant="light">
          {t('status.not_started')}
        </Badge>
      )}
      {row.status === 'draft' && (
        <Badge color="blue" variant="light">
          {t('status.draft')}
        </Badge>
      )}
      {row.status === 'submitted' && (
        <Badge color="green" variant="filled">
          {t('status.submitted', { n: row.revision ?? 1 })}
        </Badge>
      )}
      {row.status === 'overdue' && (
        <Badge color={row.updatedAt ? 'blue' : 'gray'} variant="light">
          {row.updatedAt ? t('status.draft') : t('status.not_started')}
        </Badge>
      )}
      {row.status === 'overdue' && (
        <Badge color="red" variant="filled">
          {t('status.overdue')}
        </Badge>
      )}
      {row.status === 'submitted' && row.late && (
        <Badge color="orange" variant="light">
          {t('status.late')}
        </Badge>
      )}
    </Group>
  );
}

/** The periods of the template with the status of this unit's return in each. */
export function Periods({
  template,
  info,
  onOpen,
  choice,
}: {
  template: Template;
  info: AppInfo;
  onOpen: (period: string) => void;
  /** The template choice and "Nhận mẫu báo cáo" (renderer/templates/TemplateChoice), above the periods. */
  choice?: ReactNode;
}) {
  const { t } = useTranslation();
  const lang = info.lang as Lang;
  const [rows, setRows] = useState<PeriodRow[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const delivery = useDelivery();

  const load = useCallback(() => {
    api
      .call('periods.list', { template: template.id })
      .then(setRows)
      .catch((e) => setError(messageOf(e)));
  }, [template.id]);
  useEffect(load, [load]);

  return (
    <Container size="lg" py="md">
      {choice}
      <Title order={2} size="h3">
        {tx(template.title, lang)}
      </Title>
      <Group justify="space-between" mb="md" wrap="nowrap">
        <Text c="dimmed" size="sm">
          {t('periods.intro', { body: tx(template.receivingBody, lang), day: template.deadlineDay })}
        </Text>
        <SendNowButton />
      </Group>
      {info.firstPeriod && (
        <Text size="sm" mb="sm" data-testid="first-period-note">
          {t('periods.firstPeriod', { period: periodLabel(info.firstPeriod, lang) })}
        </Text>
      )}
      {error && (
        <RetryAlert
          message={error}
          mb="md"
          onRetry={() => {
            setError(null);
            load();
          }}
        />
      )}
      {!rows && !error && <Loader size="sm" />}
      {rows && (
        <Table highlightOnHover withTableBorder verticalSpacing="sm" className="periods-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('periods.period')}</Table.Th>
              <Table.Th>{t('periods.window')}</Table.Th>
              <Table.Th>{t('periods.deadline')}</Table.Th>
              <Table.Th>{t('periods.status')}</Table.Th>
              <Table.Th>{t('periods.updated')}</Table.Th>
              <Table.Th aria-label={t('periods.open')} />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((r) => (
              <Table.Tr
                key={r.code}
                tabIndex={0}
                data-period={r.code}
                className={r.status === 'before_start' ? 'period-row period-before-start' : 'period-row'}
                onClick={() => onOpen(r.code)}
                onKeyDown={(e) => {
                  if (e.key === 'Enter' || e.key === ' ') {
                    e.preventDefault();
                    onOpen(r.code);
                  }
                }}
                aria-label={`${periodLabel(r.code, lang)}: ${t(`status.${r.status}`, { n: r.revision ?? 1 })}`}
              >
                <Table.Td fw={600}>{periodLabel(r.code, lang)}</Table.Td>
                <Table.Td>
                  {formatDate(r.start)} – {formatDate(r.end)}
                </Table.Td>
                <Table.Td>{formatDate(r.deadline)}</Table.Td>
                <Table.Td>
                  <Group gap={4} wrap="wrap">
                    <StatusBadges row={r} />
                    <DeliveryBadge item={itemOf(delivery.status, r.code, r.revision)} />
                  </Group>
                </Table.Td>
                <Table.Td>
                  <Text size="sm">
                    {r.submittedAt
                      ? t('periods.submittedAt', { at: formatDateTime(r.submittedAt) })
                      : r.updatedAt
                        ? t('periods.updatedAt', { at: formatDateTime(r.updatedAt) })
                        : '—'}
                  </Text>
                </Table.Td>
                <Table.Td ta="right">
                  <Button
                    size="xs"
                    variant={r.status === 'before_start' ? 'subtle' : !r.updatedAt && !r.revision ? 'filled' : 'light'}
                    rightSection={<IconChevronRight size={14} />}
                    tabIndex={-1}
                    onClick={(e) => {
                      e.stopPropagation();
                      onOpen(r.code);
                    }}
                  >
                    {!r.updatedAt && !r.revision ? t('periods.create') : t('periods.open')}
                  </Button>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <Text size="xs" c="dimmed" mt="sm">
        {t('periods.keyboardHint')}
      </Text>
    </Container>
  );
}
