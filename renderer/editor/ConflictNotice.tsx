import { Alert, Button, Group, Stack, Text } from '@mantine/core';
import { IconAlertTriangle, IconArrowsDiff } from '@tabler/icons-react';
import type { TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';
import { formatDate, formatNumber } from '../../shared/format.js';
import type { Conflict } from './draftSync.js';

/** A cell's value as a person reads it in a sentence: 12.000, “Trần Thị Bình”, 01/06/2026, (để trống). */
export function showValue(t: TFunction, v: unknown): string {
  if (v === null || v === undefined || v === '') return t('sync.empty');
  if (typeof v === 'number') return formatNumber(v);
  if (Array.isArray(v)) return t('sync.rows', { count: v.length });
  if (typeof v === 'string') return /^\d{4}-\d{2}-\d{2}$/.test(v) ? formatDate(v) : `“${v}”`;
  if (typeof v === 'boolean') return String(v);
  return `“${JSON.stringify(v)}”`;
}

/** In place of "Đã lưu" while cells wait for the person's choice: what they typed there is not saved. */
export function ConflictIndicator({ count }: { count: number }) {
  const { t } = useTranslation();
  return (
    <Group gap={6} wrap="nowrap" data-testid="save-status" data-state="conflict">
      <IconAlertTriangle size={18} color="var(--mantine-color-orange-7)" />
      <Text size="sm" fw={600} c="orange.9">
        {t('sync.indicator', { count })}
      </Text>
    </Group>
  );
}

/** The notice under the toolbar: each cell another window saved first, and the choice of value. */
export function ConflictNotice({
  conflicts,
  onResolve,
}: {
  conflicts: Conflict[];
  onResolve: (c: Conflict, keep: 'mine' | 'theirs') => void;
}) {
  const { t } = useTranslation();
  if (!conflicts.length) return null;
  return (
    <Alert
      color="orange"
      radius={0}
      py={8}
      icon={<IconArrowsDiff />}
      role="alert"
      title={t('sync.conflictTitle')}
      data-testid="save-conflicts"
    >
      <Text size="sm">{t('sync.conflictIntro', { count: conflicts.length })}</Text>
      {/* The notice stays under the toolbar: many cells scroll inside it, never over the whole form. */}
      <Stack gap={6} mt={6} mah={150} style={{ overflowY: 'auto' }}>
        {conflicts.map((c) => (
          <Group key={c.path} gap="xs" wrap="wrap" data-conflict={c.path}>
            <Text size="sm" fw={600}>
              {t('sync.conflictItem', { label: c.label, mine: showValue(t, c.mine), theirs: showValue(t, c.theirs) })}
            </Text>
            <Button size="compact-xs" variant="light" color="orange" onClick={() => onResolve(c, 'mine')}>
              {t('sync.keepMine', { value: showValue(t, c.mine) })}
            </Button>
            <Button size="compact-xs" variant="default" onClick={() => onResolve(c, 'theirs')}>
              {t('sync.takeTheirs', { value: showValue(t, c.theirs) })}
            </Button>
          </Group>
        ))}
      </Stack>
    </Alert>
  );
}
