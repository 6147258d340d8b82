import { Alert, Container, Text, Title } from '@mantine/core';
import { IconInfoCircle } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';

/** The city role: its functions (import, review, consolidation) come in the next version. */
export function CityHome() {
  const { t } = useTranslation();
  return (
    <Container size="sm" py="xl">
      <Title order={2} size="h3" mb="md">
        {t('city.title')}
      </Title>
      <Alert color="blue" icon={<IconInfoCircle />}>
        <Text>{t('city.next')}</Text>
        <Text size="sm" c="dimmed" mt="xs">
          {t('city.change')}
        </Text>
      </Alert>
    </Container>
  );
}
