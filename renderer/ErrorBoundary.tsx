import { Component, type ReactNode } from 'react';
import { Alert, Button, Container, Stack, Text } from '@mantine/core';
import { IconAlertTriangle } from '@tabler/icons-react';
import i18n from './i18n/index.js';

interface State {
  failed: boolean;
}

/** Any unexpected error while drawing the screen: a Vietnamese sentence and a way out, never a stack trace. */
export class ErrorBoundary extends Component<{ children: ReactNode }, State> {
  override state: State = { failed: false };

  static getDerivedStateFromError(): State {
    return { failed: true };
  }

  override componentDidCatch(error: unknown, info: unknown): void {
    console.error('screen failed', error, info);
  }

  override render(): ReactNode {
    if (!this.state.failed) return this.props.children;
    const t = i18n.t.bind(i18n);
    return (
      <Container size="sm" py="xl">
        <Alert color="red" icon={<IconAlertTriangle />} title={t('crash.title')} role="alert">
          <Stack gap="sm">
            <Text>{t('crash.body')}</Text>
            <Button variant="light" color="red" onClick={() => window.location.reload()} w="fit-content">
              {t('crash.reload')}
            </Button>
          </Stack>
        </Alert>
      </Container>
    );
  }
}
