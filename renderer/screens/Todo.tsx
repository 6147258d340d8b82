import { useCallback, useEffect, useState } from 'react';
import { Alert, Anchor, Button, Collapse, Container, Group, Loader, Stack, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconChevronDown, IconChevronRight, IconInbox, IconList } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { AppInfo, Output, TodoItem } from '../../shared/contract.js';
import type { Lang } from '../../shared/i18n.js';
import { RetryAlert } from '../RetryAlert.js';
import { api, messageOf } from '../api.js';
import { SendNowButton } from '../delivery/Delivery.js';
import { ReceiveButton } from '../requests/commune/receive.js';
import { TodoCard } from '../requests/commune/TodoCard.js';

type Todo = Output<'requests.todo'>;

const byDeadline = (a: TodoItem, b: TodoItem) => a.lastDay.localeCompare(b.lastDay) || a.title.localeCompare(b.title, 'vi');

/**
 * The commune's home, "Việc phải nộp" (issue 9): every open request addressed to this unit and the
 * standing reports' periods, by deadline; below, what was submitted (collapsed). A request file the
 * city emailed is received here (or dropped anywhere on the window, RequestDropZone).
 */
export function Todo({
  info,
  onOpen,
  onAllPeriods,
  onReceived,
}: {
  info: AppInfo;
  /** Open the return of a template and period (the app remembers the template, then shows the editor). */
  onOpen: (template: string, period: string) => void;
  onAllPeriods: () => void;
  /** After a file was received: the app reloads what it knows (templates), which reloads this list. */
  onReceived: () => void;
}) {
  const { t } = useTranslation();
  const lang = info.lang as Lang;
  const [todo, setTodo] = useState<Todo | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [doneOpen, setDoneOpen] = useState(false);

  const load = useCallback(() => {
    api
      .call('requests.todo', {})
      .then((r) => {
        setTodo(r);
        setError(null);
      })
      .catch((e) => setError(messageOf(e)));
  }, []);
  // Loaded again whenever the app's information is (after a file was received, a language change).
  useEffect(load, [load, info]);
  // Reminders and new editions may arrive through the network while the window waits: asked again on return to it.
  useEffect(() => {
    window.addEventListener('focus', load);
    return () => window.removeEventListener('focus', load);
  }, [load]);

  const open = (item: TodoItem) => {
    if (!info.templates.some((k) => k.id === item.template)) {
      notifications.show({ color: 'red', title: item.title, message: t('todo.missingTemplate', { id: item.template }) });
      return;
    }
    onOpen(item.template, item.period);
  };

  const items = todo ? [...todo.items].sort(byDeadline) : [];
  const done = todo ? [...todo.done].sort((a, b) => (b.submittedAt ?? '').localeCompare(a.submittedAt ?? '')) : [];
  return (
    <Container size="lg" py="md" data-testid="todo-screen">
      <Group justify="space-between" align="flex-end" mb={4} wrap="wrap">
        <div>
          <Title order={2} size="h3">
            {t('todo.title')}
          </Title>
          <Text c="dimmed" size="sm">
            {t('todo.intro')}
          </Text>
        </div>
        <Group gap="sm">
          <SendNowButton />
          <ReceiveButton onReceived={onReceived} />
        </Group>
      </Group>
      <Text size="xs" c="dimmed" mb="md">
        {t('todo.receiveHint')}
      </Text>
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
      {!todo && !error && <Loader size="sm" />}
      {todo && items.length === 0 && (
        <Alert color="gray" icon={<IconInbox />} mb="md" data-testid="todo-empty">
          {t('todo.empty')}
        </Alert>
      )}
      {todo && items.length > 0 && (
        <Stack component="ul" gap="sm" p={0} m={0} data-testid="todo-list" aria-label={t('todo.title')}>
          {items.map((item) => (
            <TodoCard key={`${item.requestId ?? item.template}:${item.period}`} item={item} today={info.today} lang={lang} onOpen={open} />
          ))}
        </Stack>
      )}
      {todo && (
        <>
          <Button
            mt="lg"
            variant="subtle"
            color="gray"
            leftSection={doneOpen ? <IconChevronDown size={16} /> : <IconChevronRight size={16} />}
            onClick={() => setDoneOpen((o) => !o)}
            aria-expanded={doneOpen}
            aria-controls="todo-done"
            data-testid="todo-done-toggle"
          >
            {t('todo.done', { count: done.length })}
          </Button>
          <Collapse expanded={doneOpen} id="todo-done">
            {done.length === 0 ? (
              <Text size="sm" c="dimmed" px="sm">
                {t('todo.doneEmpty')}
              </Text>
            ) : (
              <Stack component="ul" gap="sm" p={0} m={0} mt="xs" data-testid="todo-done">
                {done.map((item) => (
                  <TodoCard key={`${item.requestId ?? item.template}:${item.period}`} item={item} today={info.today} lang={lang} onOpen={open} />
                ))}
              </Stack>
            )}
          </Collapse>
        </>
      )}
      <Group mt="lg">
        <Anchor
          component="button"
          type="button"
          size="sm"
          onClick={onAllPeriods}
          data-testid="todo-all-periods"
          style={{ display: 'inline-flex', alignItems: 'center', gap: 6 }}
        >
          <IconList size={16} aria-hidden />
          {t('todo.allPeriods')}
        </Anchor>
      </Group>
    </Container>
  );
}

/** Above the periods of one template (reached from "Việc phải nộp"): the way back. */
export function BackToTodo({ onBack }: { onBack: () => void }) {
  const { t } = useTranslation();
  return (
    <Container size="lg" pt="md" pb={0} className="no-print">
      <Anchor component="button" type="button" size="sm" onClick={onBack} data-testid="back-to-todo">
        ← {t('todo.backHome')}
      </Anchor>
    </Container>
  );
}

const BACK_KEY = 'commune-returns.back';

/** Where the editor's "back" goes: the screen the return was opened from (the home, or the periods of a template). */
export function backFromReturn(): string {
  try {
    return window.sessionStorage.getItem(BACK_KEY) === '/periods' ? '/periods' : '/';
  } catch {
    return '/';
  }
}

export function setBackFromReturn(hash: '/' | '/periods'): void {
  try {
    window.sessionStorage.setItem(BACK_KEY, hash);
  } catch {
    /* private mode: back goes home */
  }
}
