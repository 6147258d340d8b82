import { Badge, Collapse, Group, Paper, ScrollArea, Text, UnstyledButton } from '@mantine/core';
import {
  IconAlertCircle,
  IconAlertTriangle,
  IconChevronDown,
  IconChevronUp,
  IconCircleCheck,
} from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { Issue } from '../../shared/template/rules.js';
import type { Section } from '../../shared/template/schema.js';

/** The list of every error and warning of the return; a click turns to the biểu and focuses the cell. */
export function IssueSummary({
  sections,
  errors,
  warnings,
  unexplainedIds,
  open,
  onToggle,
  onJump,
  blockedReason,
}: {
  sections: Section[];
  errors: Issue[];
  warnings: Issue[];
  unexplainedIds: Set<string>;
  open: boolean;
  onToggle: () => void;
  onJump: (i: Issue) => void;
  blockedReason: string | null;
}) {
  const { t } = useTranslation();
  const all = [...errors, ...warnings];
  const order = new Map(sections.map((s, i) => [s.key, i]));
  all.sort(
    (a, b) =>
      (order.get(a.section) ?? 0) - (order.get(b.section) ?? 0) ||
      (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1),
  );
  const ok = all.length === 0;
  return (
    <Paper withBorder radius={0} px="md" py={6} className="issue-summary no-print" data-testid="issue-summary">
      <Group justify="space-between" wrap="nowrap" gap="sm">
        <UnstyledButton onClick={onToggle} aria-expanded={open} className="summary-toggle" disabled={ok}>
          <Group gap="xs" wrap="nowrap">
            {ok ? (
              <IconCircleCheck size={18} color="var(--mantine-color-green-7)" />
            ) : open ? (
              <IconChevronUp size={16} />
            ) : (
              <IconChevronDown size={16} />
            )}
            <Text size="sm" fw={600}>
              {t('summary.title')}
            </Text>
            {ok ? (
              <Text size="sm" c="green.8">
                {t('summary.ok')}
              </Text>
            ) : (
              <>
                <Badge style={{ flexShrink: 0 }} color="red" variant={errors.length ? 'filled' : 'light'} data-testid="error-count">
                  {t('summary.errors', { count: errors.length })}
                </Badge>
                <Badge style={{ flexShrink: 0 }} color="orange" variant={warnings.length ? 'filled' : 'light'} data-testid="warning-count">
                  {t('summary.warnings', { count: warnings.length })}
                </Badge>
                {unexplainedIds.size > 0 && (
                  <Text size="xs" c="orange.9">
                    {t('summary.unexplained', { count: unexplainedIds.size })}
                  </Text>
                )}
                <Text size="xs" c="dimmed">
                  {open ? t('summary.hide') : t('summary.show')}
                </Text>
              </>
            )}
          </Group>
        </UnstyledButton>
        {blockedReason && (
          <Text size="xs" c="red.8" ta="right" data-testid="blocked-reason" id="blocked-reason">
            {blockedReason}
          </Text>
        )}
      </Group>
      <Collapse expanded={open && !ok}>
        <ScrollArea.Autosize mah={170} mt={6} type="auto">
          <ul className="summary-list">
            {all.map((i) => (
              <li key={`${i.severity}-${i.id}`}>
                <UnstyledButton
                  className={`summary-item summary-${i.severity}`}
                  onClick={() => onJump(i)}
                  data-jump={i.id}
                >
                  {i.severity === 'error' ? (
                    <IconAlertCircle size={15} color="var(--mantine-color-red-7)" aria-label={t('issues.error')} />
                  ) : (
                    <IconAlertTriangle
                      size={15}
                      color="var(--mantine-color-orange-7)"
                      aria-label={t('issues.warning')}
                    />
                  )}
                  <span>{i.message}</span>
                  {i.severity === 'warning' && (
                    <Badge size="xs" variant="light" color={unexplainedIds.has(i.id) ? 'orange' : 'green'}>
                      {unexplainedIds.has(i.id) ? t('summary.needsExplanation') : t('summary.explained')}
                    </Badge>
                  )}
                </UnstyledButton>
              </li>
            ))}
          </ul>
        </ScrollArea.Autosize>
      </Collapse>
    </Paper>
  );
}
