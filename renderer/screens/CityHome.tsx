import { useCallback, useEffect, useState, type ReactNode } from 'react';
import { Alert, Container, Group, Loader, Select, Tabs } from '@mantine/core';
import {
  IconAlertTriangle,
  IconChartBar,
  IconFileImport,
  IconListCheck,
  IconListDetails,
  IconSpeakerphone,
  IconTemplate,
  IconUsers,
} from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { AppInfo, Output } from '../../shared/contract.js';
import type { Lang } from '../../shared/i18n.js';
import { formatNumber } from '../../shared/format.js';
import { periodLabel } from '../../shared/periods.js';
import { sameDepartment } from '../../shared/requests.js';
import type { Template } from '../../shared/template/schema.js';
import { api, messageOf, whoAmI, type Me } from '../api.js';
import { Completeness } from '../city/Completeness.js';
import { ConsolidationView } from '../city/Consolidation.js';
import { ImportPanel } from '../city/ImportPanel.js';
import { Review } from '../city/Review.js';
import { UnitLists } from '../city/UnitLists.js';
import { TemplatesScreen } from '../templates/TemplatesScreen.js';
import { RequestsScreen } from '../requests/city/RequestsScreen.js';
import { Users, showsUsersTab } from '../city/Users.js';

export type CityTab = 'requests' | 'import' | 'completeness' | 'consolidation' | 'units' | 'templates' | 'users';
export type CityRoute =
  | { tab: CityTab }
  | { tab: 'review'; period: string; unit: string }
  /** One request (issue 9): its id ("new": the form to create one), and a unit's return opened from it. */
  | { tab: 'requests'; id: string; unit?: string };

type Periods = Output<'city.periods'>;

/** The period to open first: the latest one with returns, otherwise the one whose deadline comes next. */
function defaultPeriod(list: Periods, today: string): string | null {
  return (
    list.find((p) => p.submitted > 0)?.code ??
    [...list].reverse().find((p) => p.deadline >= today)?.code ??
    list[0]?.code ??
    null
  );
}

/**
 * Whether the caller follows a template's standing report (its periods' completeness, review and
 * consolidation, issue 9): the installation's own person (no users, or auth.me failed), an
 * administrator, or a clerk of the department that consolidates it (AppInfo.standing). The core
 * answers anyone else "not found" (core/users/scope.ts); their work is under "Yêu cầu báo cáo".
 */
export function followsStanding(me: Me | null, info: AppInfo, template: string): boolean {
  const u = me?.user;
  if (!u || u.admin) return true;
  return (info.standing ?? []).some((s) => s.template === template && sameDepartment(s.department, u.department));
}

/** A signed-in clerk (not an administrator): lands on "Yêu cầu báo cáo". */
const isClerk = (me: Me | null | undefined) => !!me?.user && !me.user.admin;

/** The city role: import packages, completeness, review, the Biểu tổng hợp, the unit list. */
export function CityHome({
  template,
  info,
  route: asked,
  go,
  choice,
  onTemplatesChanged,
  landing = false,
}: {
  template: Template;
  info: AppInfo;
  route: CityRoute;
  go: (hash: string) => void;
  /** The template choice (renderer/templates/TemplateChoice), above the tabs that follow it. */
  choice?: ReactNode;
  /** After a template was published: the app reloads the templates it knows. */
  onTemplatesChanged?: (id: string) => void;
  /** The app was opened at its home (no tab in the address): a clerk is taken to "Yêu cầu báo cáo". */
  landing?: boolean;
}) {
  const { t } = useTranslation();
  const lang = info.lang as Lang;
  // Issue 9: the signed-in user (undefined while asked): the users tab is for administrators, the
  // standing report's tabs for its department.
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  useEffect(() => {
    let live = true;
    void whoAmI().then((m) => live && setMe(m));
    return () => {
      live = false;
    };
  }, []);
  const follows = me !== undefined && followsStanding(me, info, template.id);
  // A clerk opening the app, or at a standing tab of a report their department does not follow, is
  // shown "Yêu cầu báo cáo" (the address stays; choosing a tab changes it).
  const standingTab = asked.tab === 'completeness' || asked.tab === 'consolidation' || asked.tab === 'review';
  const route: CityRoute = isClerk(me) && (landing || (!follows && standingTab)) ? { tab: 'requests' } : asked;
  const [periods, setPeriods] = useState<Periods | null>(null);
  const [period, setPeriod] = useState<string | null>(route.tab === 'review' ? route.period : null);
  const [error, setError] = useState<string | null>(null);
  const [version, setVersion] = useState(0); // bumped after an import, so the other tabs reload

  const loadPeriods = useCallback(() => {
    if (!follows) return;
    api
      .call('city.periods', { template: template.id })
      .then((list) => {
        setPeriods(list);
        setPeriod((p) => (p && list.some((x) => x.code === p) ? p : defaultPeriod(list, info.today)));
      })
      .catch((e) => setError(messageOf(e)));
  }, [template.id, info.today, follows]);
  useEffect(loadPeriods, [loadPeriods]);

  const changed = useCallback(() => {
    setVersion((v) => v + 1);
    loadPeriods();
  }, [loadPeriods]);

  if (me === undefined)
    return (
      <Container size="xl" py="md">
        <Loader size="sm" />
      </Container>
    );

  if (route.tab === 'review')
    return (
      <Container size="xl" py="md">
        <Review
          key={`${route.period}/${route.unit}/${version}`}
          template={template}
          period={route.period}
          unit={route.unit}
          lang={lang}
          onBack={() => {
            setPeriod(route.period);
            go('/city/completeness');
          }}
        />
      </Container>
    );

  const periodPicker = periods && period && (
    <Group gap="sm" align="flex-end" mb="md">
      <Select
        label={t('city.period')}
        value={period}
        onChange={(v) => v && setPeriod(v)}
        allowDeselect={false}
        data={periods.map((p) => ({
          value: p.code,
          label: `${periodLabel(p.code, lang)} — ${t('city.periodSubmitted', { n: formatNumber(p.submitted), total: formatNumber(p.expected) })}`,
        }))}
        w={380}
        data-testid="city-period"
        maxDropdownHeight={320}
      />
    </Group>
  );

  return (
    <Container size="xl" py="md">
      {error && (
        <Alert color="red" icon={<IconAlertTriangle />} mb="md" role="alert">
          {error}
        </Alert>
      )}
      {route.tab !== 'templates' && route.tab !== 'requests' && route.tab !== 'users' && choice}
      <Tabs value={route.tab} onChange={(v) => v && go(`/city/${v}`)} keepMounted={false}>
        <Tabs.List mb="md">
          <Tabs.Tab value="requests" leftSection={<IconSpeakerphone size={18} />} data-testid="tab-requests">
            {t('cityRequests.tab')}
          </Tabs.Tab>
          <Tabs.Tab value="import" leftSection={<IconFileImport size={18} />}>
            {t('city.tabImport')}
          </Tabs.Tab>
          {follows && (
            <Tabs.Tab value="completeness" leftSection={<IconListCheck size={18} />} data-testid="tab-completeness">
              {t('city.tabCompleteness')}
            </Tabs.Tab>
          )}
          {follows && (
            <Tabs.Tab value="consolidation" leftSection={<IconChartBar size={18} />} data-testid="tab-consolidation">
              {t('city.tabConsolidation')}
            </Tabs.Tab>
          )}
          <Tabs.Tab value="units" leftSection={<IconListDetails size={18} />}>
            {t('city.tabUnits')}
          </Tabs.Tab>
          <Tabs.Tab value="templates" leftSection={<IconTemplate size={18} />} data-testid="tab-templates">
            {t('templates.tab')}
          </Tabs.Tab>
          {showsUsersTab(me) && (
            <Tabs.Tab value="users" leftSection={<IconUsers size={18} />} data-testid="tab-users">
              {t('users.tab')}
            </Tabs.Tab>
          )}
        </Tabs.List>
        <Tabs.Panel value="requests">
          <RequestsScreen
            info={info}
            lang={lang}
            id={'id' in route ? route.id : null}
            unit={'unit' in route ? (route.unit ?? null) : null}
            go={go}
          />
        </Tabs.Panel>
        <Tabs.Panel value="import">
          <ImportPanel
            lang={lang}
            onImported={changed}
            period={period}
            template={template.id}
            onOpenPeriod={
              follows
                ? (p) => {
                    setPeriod(p);
                    go('/city/completeness');
                  }
                : undefined
            }
          />
        </Tabs.Panel>
        <Tabs.Panel value="completeness">
          {periodPicker}
          {period && (
            <Completeness
              key={`${period}/${version}`}
              template={template.id}
              period={period}
              lang={lang}
              onReview={(unit) => go(`/city/review/${period}/${unit}`)}
            />
          )}
        </Tabs.Panel>
        <Tabs.Panel value="consolidation">
          {periodPicker}
          {period && <ConsolidationView key={`${period}/${version}`} template={template} period={period} lang={lang} />}
        </Tabs.Panel>
        <Tabs.Panel value="units">
          <UnitLists lang={lang} onChanged={changed} />
        </Tabs.Panel>
        <Tabs.Panel value="templates">
          <TemplatesScreen info={info} lang={lang} onPublished={(id) => onTemplatesChanged?.(id)} />
        </Tabs.Panel>
        <Tabs.Panel value="users">{showsUsersTab(me) && <Users />}</Tabs.Panel>
      </Tabs>
    </Container>
  );
}
