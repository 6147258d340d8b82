import { Alert, Button, Group, Stack, Text } from '@mantine/core';
import { IconAlertTriangle, IconArrowsDiff } from '@tabler/icons-react';
import type { TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';
import { formatDate } from '../../shared/format.js';
import type { Lang } from '../../shared/i18n.js';
import type { Template } from '../../shared/template/schema.js';
import { showValue, specAt } from './display.js';
import type { Conflict } from './draftSync.js';

/**
 * A cell's value as a person reads it in a sentence: 12.000, “Trần Thị Bình”, 01/06/2026, an
 * option's label, (để trống), or the number of rows of a repeat list. Beyond the sentence's quotes,
 * empty and rows, it is the form's own showValue.
 */
export function conflictValue(t: TFunction, template: Template, lang: Lang, path: string, v: unknown): string {
  if (v === null || v === undefined || v === '') return t('sync.empty');
  if (Array.isArray(v) && (v.length === 0 || typeof v[0] === 'object')) return t('sync.rows', { count: v.length });
  const spec = specAt(template, path);
  if (typeof v === 'string' && !spec?.options) return /^\d{4}-\d{2}-\d{2}$/.test(v) ? formatDate(v) : `“${v}”`;
  return showValue(v, spec, lang);
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
  template,
  lang,
}: {
  conflicts: Conflict[];
  onResolve: (c: Conflict, keep: 'mine' | 'theirs') => void;
  template: Template;
  lang: Lang;
}) {
  const { t } = useTranslation();
  const show = (c: Conflict, v: unknown) => conflictValue(t, template, lang, c.path, v);
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
              {t('sync.conflictItem', { label: c.label, mine: show(c, c.mine), theirs: show(c, c.theirs) })}
            </Text>
            <Button size="compact-xs" variant="light" color="orange" onClick={() => onResolve(c, 'mine')}>
              {t('sync.keepMine', { value: show(c, c.mine) })}
            </Button>
            <Button size="compact-xs" variant="default" onClick={() => onResolve(c, 'theirs')}>
              {t('sync.takeTheirs', { value: show(c, c.theirs) })}
            </Button>
          </Group>
        ))}
      </Stack>
    </Alert>
  );
}
