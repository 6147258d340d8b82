import { useEffect, useMemo, useState } from 'react';
import { Alert, Button, Card, Container, Group, Radio, Select, Stack, Text, Title } from '@mantine/core';
import { IconAlertTriangle, IconBuildingBank, IconHomeCheck } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { AppInfo, Role, Unit } from '../../shared/contract.js';
import type { Lang } from '../../shared/i18n.js';
import type { Period } from '../../shared/periods.js';
import { defaultPeriods, parsePeriod, periodDeadline, periodLabel, periodWindow } from '../../shared/periods.js';
import type { Template } from '../../shared/template/schema.js';
import { matchesQuery } from '../../shared/text.js';
import { api, messageOf } from '../api.js';
import { EMPTY_ADMIN, SetupAdmin, adminDraftProblem, createFirstAdmin } from '../city/Users.js';

/** The periods a commune may start with (oldest first), and the one suggested when the list gives none. */
function firstPeriodChoices(template: Template | null, today: string, fromList: string | undefined): { options: Period[]; suggested: string | null } {
  if (!template) return { options: [], suggested: fromList ?? null };
  const year = +today.slice(0, 4);
  // Last year, this year and next year.
  const options = [...defaultPeriods(template.periodTypes, `${year + 1}-01-01`), ...defaultPeriods(template.periodTypes, `${year - 1}-01-01`)]
    .filter((p, i, all) => p.year >= year - 1 && all.findIndex((q) => q.code === p.code) === i);
  const listed = fromList ? parsePeriod(fromList) : null;
  if (listed && !options.some((p) => p.code === listed.code)) options.push(listed);
  options.sort((a, b) => periodWindow(a).end.localeCompare(periodWindow(b).end));
  // Suggested: the first period whose deadline has not passed (the one the office files next).
  const open = options.find((p) => periodDeadline(p, template.deadlineDay) >= today);
  return { options, suggested: listed?.code ?? open?.code ?? null };
}

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
  const [template, setTemplate] = useState<Template | null>(null);
  // The first period the officer picked, for the unit it was picked for.
  const [picked, setPicked] = useState<{ unit: string; period: string } | null>(null);
  // Issue 9: the city's optional administrator account (for the LAN), created through users.add.
  const [admin, setAdmin] = useState(EMPTY_ADMIN);
  const lang = info.lang as Lang;

  useEffect(() => {
    api
      .call('units.list', {})
      .then((r) => setUnits(r.units))
      .catch((e) => setError(messageOf(e)));
    const first = info.templates[0];
    if (first)
      api
        .call('templates.get', { id: first.id, version: first.version })
        .then((tpl) => setTemplate(tpl as Template))
        .catch((e) => setError(messageOf(e)));
  }, [info.templates]);

  const data = useMemo(() => (units ?? []).map((u) => ({ value: u.code, label: u.name })), [units]);
  const unit = units?.find((u) => u.code === unitCode);
  const choices = useMemo(() => firstPeriodChoices(template, info.today, unit?.firstPeriod), [template, info.today, unit?.firstPeriod]);
  // Picked by the officer, else the one already confirmed for this unit, else the city's (or the suggestion).
  const firstPeriod =
    picked && picked.unit === unitCode
      ? picked.period
      : unitCode && unitCode === info.unit?.code && info.firstPeriod
        ? info.firstPeriod
        : choices.suggested;

  const submit = async () => {
    setError(null);
    if (role === 'commune' && !unitCode) {
      setError(t('setup.pickUnit'));
      return;
    }
    const adminProblem = role === 'city' ? adminDraftProblem(admin, t) : null;
    if (adminProblem) {
      setError(adminProblem);
      return;
    }
    setBusy(true);
    try {
      const done = await api.call(
        'app.setup',
        role === 'commune' ? { role, unitCode: unitCode!, ...(firstPeriod ? { firstPeriod } : {}) } : { role },
      );
      if (role === 'city') await createFirstAdmin(admin);
      onDone(done);
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
            {role === 'commune' && unitCode && firstPeriod && (
              <Stack gap={6} data-testid="first-period">
                <Text fw={600}>{t('setup.firstPeriodValue', { period: periodLabel(firstPeriod, lang) })}</Text>
                <Select
                  label={t('setup.firstPeriodLabel')}
                  data={choices.options.map((p) => ({ value: p.code, label: periodLabel(p, lang) }))}
                  value={firstPeriod}
                  onChange={(v) => v && unitCode && setPicked({ unit: unitCode, period: v })}
                  allowDeselect={false}
                  maw={260}
                  data-testid="first-period-select"
                  comboboxProps={{ position: 'bottom-start', middlewares: { flip: false, shift: true } }}
                />
                <Text size="sm" c="dimmed">
                  {unit?.firstPeriod ? t('setup.firstPeriodFromList') : t('setup.firstPeriodDefault')} {t('setup.firstPeriodHint')}
                </Text>
              </Stack>
            )}
            {role === 'city' && <SetupAdmin value={admin} onChange={setAdmin} />}
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
