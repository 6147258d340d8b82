import { Badge, Button, Group, Paper, Stack, Text } from '@mantine/core';
import { IconBell, IconChevronRight, IconInfoCircle } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { TodoItem } from '../../../shared/contract.js';
import type { Lang } from '../../../shared/i18n.js';
import { formatDateTime } from '../../../shared/format.js';
import { periodLabel } from '../../../shared/periods.js';
import { deadlineText, refLine, timeLeft } from '../../../shared/requests.js';

const TONE_COLOR = { ok: 'teal', soon: 'orange', today: 'orange', overdue: 'red' } as const;

/** "Thực hiện văn bản số 1234/UBND-NVKTGS ngày 10/06/2026": refLine starts with "Số". */
export const refText = (ref: NonNullable<TodoItem['ref']>): string => {
  const line = refLine(ref);
  return line.charAt(0).toLocaleLowerCase('vi') + line.slice(1);
};

/** The state of an item's return: "Chưa làm", "Đang soạn", "Đã nộp lần 2", "Bị trả lại: …". */
export function StateBadge({ item }: { item: TodoItem }) {
  const { t } = useTranslation();
  const color = { not_started: 'gray', draft: 'blue', submitted: 'green', accepted: 'green', returned: 'red' }[item.state];
  return (
    <Badge
      color={color}
      variant={item.state === 'accepted' || item.state === 'returned' ? 'filled' : 'light'}
      data-testid="todo-state"
      data-state={item.state}
      style={{ maxWidth: '100%' }}
      title={item.state === 'returned' ? (item.reason ?? '') : undefined}
    >
      {t(`todo.state.${item.state}`, { n: item.revision ?? 1, reason: item.reason ?? '—' })}
    </Badge>
  );
}

/**
 * One line of "Việc phải nộp": what is asked (the title, the template and period), under which
 * document, to whom, by when and how long is left, where the return stands, what the city changed
 * or reminded; and one button that opens the return.
 */
export function TodoCard({ item, today, lang, onOpen }: { item: TodoItem; today: string; lang: Lang; onOpen: (item: TodoItem) => void }) {
  const { t } = useTranslation();
  const submitted = item.state === 'submitted' || item.state === 'accepted';
  const left = timeLeft(item.lastDay, today, lang);
  const action = item.state === 'not_started' ? t('todo.create') : t('todo.open');
  const period = lang === 'vi' ? item.periodLabel : periodLabel(item.period, lang);
  return (
    <Paper
      component="li"
      withBorder
      p="sm"
      radius="sm"
      data-testid="todo-item"
      data-kind={item.kind}
      data-request={item.requestId ?? ''}
      data-template={item.template}
      data-period={item.period}
      style={{ listStyle: 'none', borderLeft: `4px solid var(--mantine-color-${submitted ? 'green' : TONE_COLOR[left.tone]}-6)` }}
    >
      <Group justify="space-between" align="flex-start" wrap="nowrap" gap="md">
        <Stack gap={3} style={{ minWidth: 0, flex: 1 }}>
          <Group gap={6} wrap="wrap" align="center">
            <Text fw={700} size="md" data-testid="todo-title">
              {item.title}
            </Text>
            {item.kind === 'standing' && (
              <Badge size="sm" variant="outline" color="gray">
                {t('todo.standing')}
              </Badge>
            )}
          </Group>
          <Text size="sm" c="dimmed" data-testid="todo-template">
            {item.template} — {item.templateTitle} · {period}
          </Text>
          {item.ref && (
            <Text size="sm" data-testid="todo-ref" lineClamp={2}>
              {t('todo.ref', { ref: refText(item.ref), summary: item.ref.summary })}
            </Text>
          )}
          <Text size="sm" data-testid="todo-addressee">
            {item.addressee}
          </Text>
          <Group gap={8} wrap="wrap" align="center">
            <Text size="sm" fw={600} data-testid="todo-deadline">
              {t('todo.deadline', { text: lang === 'vi' ? item.deadlineText : deadlineText(item.due, item.dueWording, lang) })}
            </Text>
            {!submitted && (
              <Badge
                color={TONE_COLOR[left.tone]}
                variant={left.tone === 'ok' || left.tone === 'soon' ? 'light' : 'filled'}
                data-testid="todo-time-left"
                data-tone={left.tone}
              >
                {left.text}
              </Badge>
            )}
            <StateBadge item={item} />
            {item.late && submitted && (
              <Badge color="orange" variant="light" data-testid="todo-late">
                {t('todo.late')}
              </Badge>
            )}
            {item.submittedAt && (
              <Text size="xs" c="dimmed">
                {t('todo.submittedAt', { at: formatDateTime(item.submittedAt) })}
              </Text>
            )}
          </Group>
          {item.amended && (
            <Group gap={6} wrap="nowrap" align="flex-start" data-testid="todo-amended">
              <IconInfoCircle size={16} color="var(--mantine-color-blue-7)" aria-hidden style={{ flex: 'none', marginTop: 2 }} />
              <Text size="sm" c="blue.8" fw={600}>
                {item.note ? t('todo.amended', { note: item.note }) : t('todo.amendedNoNote', { n: item.edition ?? 2 })}
              </Text>
            </Group>
          )}
          {item.reminder && (
            <Group gap={6} wrap="nowrap" align="flex-start" data-testid="todo-reminder">
              <IconBell size={16} color="var(--mantine-color-orange-8)" aria-hidden style={{ flex: 'none', marginTop: 2 }} />
              <Text size="sm" c="orange.9">
                {t('todo.reminder', { at: formatDateTime(item.reminder.sentAt), message: item.reminder.message })}
              </Text>
            </Group>
          )}
          {item.instruction && !submitted && (
            <Text size="xs" c="dimmed" lineClamp={2} title={item.instruction}>
              {t('todo.instruction', { text: item.instruction })}
            </Text>
          )}
        </Stack>
        <Button
          variant={item.state === 'not_started' ? 'filled' : 'light'}
          rightSection={<IconChevronRight size={14} />}
          onClick={() => onOpen(item)}
          aria-label={t('todo.openLabel', { action, title: item.title, period })}
          data-testid="todo-open"
          style={{ flex: 'none' }}
        >
          {action}
        </Button>
      </Group>
    </Paper>
  );
}
