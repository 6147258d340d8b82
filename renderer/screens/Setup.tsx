import { useEffect, useMemo, useState } from 'react';
import { Alert, Button, Card, Container, Group, Radio, Select, Stack, Text, Title } from '@mantine/core';
import { IconAlertTriangle, IconBuildingBank, IconHomeCheck } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { AppInfo, Role, Unit } from '../../shared/contract.js';
import { matchesQuery } from '../../shared/text.js';
import { api, messageOf } from '../api.js';

/** First start: the role of this installation and, for a commune, its unit from the unit list. */
export function Setup({
  info,
  onDone,
  onCancel,
}: {
  info: AppInfo;
  onDone: (i: AppInfo) => void;
  onCancel?: () => void;
}) {
  const { t } = useTranslation();
  const [role, setRole] = useState<Role>(info.role ?? 'commune');
  const [units, setUnits] = useState<Unit[] | null>(null);
  const [unitCode, setUnitCode] = useState<string | null>(info.unit?.code ?? null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    api
      .call('units.list', {})
      .then((r) => setUnits(r.units))
      .catch((e) => setError(messageOf(e)));
  }, []);

  const data = useMemo(() => (units ?? []).map((u) => ({ value: u.code, label: u.name })), [units]);

  const submit = async () => {
    setError(null);
    if (role === 'commune' && !unitCode) {
      setError(t('setup.pickUnit'));
      return;
    }
    setBusy(true);
    try {
      onDone(await api.call('app.setup', role === 'commune' ? { role, unitCode: unitCode! } : { role }));
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Container size="sm" py="xl">
      <Card withBorder shadow="sm" padding="xl" radius="md">
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void submit();
          }}
        >
          <Stack gap="lg">
            <div>
              <Title order={2} size="h3">
                {t('setup.title')}
              </Title>
              <Text c="dimmed" size="sm">
                {t('setup.intro')}
              </Text>
            </div>
            <Radio.Group label={t('setup.roleLabel')} value={role} onChange={(v) => setRole(v as Role)} name="role">
              <Stack gap="xs" mt="xs">
                <Radio.Card
                  value="commune"
                  p="md"
                  radius="md"
                  className="role-card"
                  aria-label={t('setup.roleCommune')}
                >
                  <Group wrap="nowrap" align="flex-start">
                    <Radio.Indicator />
                    <IconHomeCheck size={22} aria-hidden />
                    <div>
                      <Text fw={600}>{t('setup.roleCommune')}</Text>
                      <Text size="sm" c="dimmed">
                        {t('setup.roleCommuneHint')}
                      </Text>
                    </div>
                  </Group>
                </Radio.Card>
                <Radio.Card value="city" p="md" radius="md" className="role-card" aria-label={t('setup.roleCity')}>
                  <Group wrap="nowrap" align="flex-start">
                    <Radio.Indicator />
                    <IconBuildingBank size={22} aria-hidden />
                    <div>
                      <Text fw={600}>{t('setup.roleCity')}</Text>
                      <Text size="sm" c="dimmed">
                        {t('setup.roleCityHint')}
                      </Text>
                    </div>
                  </Group>
                </Radio.Card>
              </Stack>
            </Radio.Group>
            {role === 'commune' && (
              <Select
                label={t('setup.unitLabel')}
                description={t('setup.unitHint', { count: units?.length ?? 0 })}
                placeholder={t('setup.unitPlaceholder')}
                data={data}
                value={unitCode}
                onChange={setUnitCode}
                searchable
                clearable
                limit={50}
                filter={({ options, search }) => options.filter((o) => 'label' in o && matchesQuery(o.label, search))}
                nothingFoundMessage={t('setup.noUnit')}
                disabled={!units}
                data-testid="unit-select"
                maxDropdownHeight={220}
                comboboxProps={{ position: 'bottom-start', middlewares: { flip: false, shift: true } }}
              />
            )}
            {error && (
              <Alert color="red" icon={<IconAlertTriangle />} role="alert">
                {error}
              </Alert>
            )}
            <Group justify="flex-end">
              {onCancel && (
                <Button variant="default" onClick={onCancel}>
                  {t('common.cancel')}
                </Button>
              )}
              <Button type="submit" loading={busy}>
                {t('setup.start')}
              </Button>
            </Group>
          </Stack>
        </form>
      </Card>
    </Container>
  );
}
