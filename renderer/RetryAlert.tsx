import { Alert, Button, Text, type MantineSpacing } from '@mantine/core';
import { IconAlertTriangle } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';

/** A load that failed: its message and a button that tries again. */
export function RetryAlert({ message, onRetry, mb }: { message: string; onRetry: () => void; mb?: MantineSpacing }) {
  const { t } = useTranslation();
  return (
    <Alert color="red" icon={<IconAlertTriangle />} mb={mb} role="alert">
      <Text>{message}</Text>
      <Button mt="xs" size="xs" variant="light" color="red" onClick={onRetry}>
        {t('common.retry')}
      </Button>
    </Alert>
  );
}
