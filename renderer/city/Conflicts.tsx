import { useCallback, useEffect, useState } from 'react';
import { Alert, Badge, Button, Card, Group, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconAlertTriangle, IconPencilExclamation } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { CityConflict } from '../../shared/contract.js';
import type { Lang } from '../../shared/i18n.js';
import { formatDateTime } from '../../shared/format.js';
import type { Template } from '../../shared/template/schema.js';
import { api, messageOf } from '../api.js';
import { ChangesTable } from '../editor/dialogs.js';

type Side = CityConflict['existing'];

function PackageCard({ title, p, testId }: { title: string; p: Side; testId: string }) {
  const { t } = useTranslation();
  return (
    <Card withBorder padding="xs" data-testid={testId}>
      <Text fw={600} size="sm">
        {title}
      </Text>
      <Text size="sm" className="file-name">
        {p.fileName}
      </Text>
      <Text size="xs" c="dimmed">
        {t('cityLoop.packageInfo', {
          submitted: p.submittedAt ? formatDateTime(p.submittedAt) : '—',
          by: p.submittedBy ?? '—',
          imported: formatDateTime(p.importedAt),
        })}
      </Text>
      <Group gap={4} mt={4}>
        {p.late && (
          <Badge color="orange" variant="light" size="sm">
            {t('state.late')}
          </Badge>
        )}
        {p.editedOutside && (
          <Badge color="yellow" variant="light" size="sm" leftSection={<IconPencilExclamation size={12} />}>
            {t('review.editedOutside')}
          </Badge>
        )}
      </Group>
    </Card>
  );
}

/**
 * The conflicts of a unit's return waiting for the clerk (issue 7 item 8): both packages, the cells
 * that differ, and the two "keep" buttons. Kept in the database, so they are here after any reload
 * until one package is kept.
 */
export function Conflicts({
  template,
  period,
  unit,
  lang,
  onResolved,
}: {
  template: Template;
  period: string;
  unit: string;
  lang: Lang;
  onResolved: () => void;
}) {
  const { t } = useTranslation();
  const [list, setList] = useState<CityConflict[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<number | null>(null);

  const load = useCallback(() => {
    api
      .call('city.conflicts', { template: template.id, period, unit })
      .then((l) => {
        setList(l);
        setError(null);
      })
      .catch((e) => setError(messageOf(e)));
  }, [template.id, period, unit]);
  useEffect(load, [load]);

  const resolve = async (c: CityConflict, keep: 'existing' | 'incoming') => {
    setBusy(c.id);
    try {
      const r = await api.call('city.resolveConflict', { conflictId: c.id, keep });
      notifications.show({ color: 'green', message: r.message });
      load();
      onResolved();
    } catch (e) {
      notifications.show({ color: 'red', title: t('cityImport.resolveFailed'), message: messageOf(e) });
    } finally {
      setBusy(null);
    }
  };

  if (error)
    return (
      <Alert color="red" icon={<IconAlertTriangle />} py="xs">
        {error}
      </Alert>
    );
  if (!list.length) return null;
  return (
    <Stack gap="xs" data-testid="review-conflicts">
      {list.map((c) => (
        <Card key={c.id} withBorder padding="sm" className="conflict-card" data-conflict={c.id}>
          <Group gap="xs" mb={4} wrap="nowrap" align="flex-start">
            <IconAlertTriangle size={20} color="var(--mantine-color-orange-7)" style={{ flexShrink: 0 }} aria-hidden />
            <div>
              <Title order={4} size="h5">
                {t('cityLoop.conflictsTitle', { n: c.revision })}
              </Title>
              <Text size="sm">{t('cityLoop.conflictsIntro')}</Text>
            </div>
          </Group>
          <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="xs" my="xs">
            <PackageCard title={t('cityLoop.existing')} p={c.existing} testId="conflict-existing" />
            <PackageCard title={t('cityLoop.incoming')} p={c.incoming} testId="conflict-incoming" />
          </SimpleGrid>
          <Text size="sm" fw={600} mb={4}>
            {c.changes.length ? t('cityLoop.changes', { n: c.changes.length }) : t('cityLoop.noChanges')}
          </Text>
          {c.changes.length > 0 && <ChangesTable changes={c.changes} template={template} lang={lang} />}
          <Group gap="xs" mt="sm">
            <Button
              variant="default"
              loading={busy === c.id}
              onClick={() => void resolve(c, 'existing')}
              data-testid="keep-existing"
            >
              {t('cityImport.keepExisting')}
            </Button>
            <Button
              variant="light"
              color="orange"
              loading={busy === c.id}
              onClick={() => void resolve(c, 'incoming')}
              data-testid="keep-incoming"
            >
              {t('cityImport.keepIncoming')}
            </Button>
          </Group>
        </Card>
      ))}
    </Stack>
  );
}
