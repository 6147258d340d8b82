import { useEffect, useState } from 'react';
import {
  ActionIcon,
  Alert,
  AppShell,
  Button,
  Center,
  Group,
  Loader,
  SegmentedControl,
  Text,
  Title,
  Tooltip,
} from '@mantine/core';
import { DatesProvider } from '@mantine/dates';
import { IconAlertTriangle, IconBuildingCommunity, IconDatabase, IconLogout, IconSwitchHorizontal } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { AppInfo } from '../shared/contract.js';
import type { Lang } from '../shared/i18n.js';
import type { Template } from '../shared/template/schema.js';
import { parseTemplate } from '../shared/template/model.js';
import { api, loginInUse, logout, messageOf } from './api.js';
import { setUiLanguage } from './i18n/index.js';
import { Setup } from './screens/Setup.js';
import { Backups } from './screens/Backups.js';
import { CityHome, type CityRoute, type CityTab } from './screens/CityHome.js';
import { ConnectionIndicator, DeliveryProvider } from './delivery/Delivery.js';
import { Periods } from './screens/Periods.js';
import { Editor } from './editor/Editor.js';
import { TemplateChoice, pickTemplate, readChoice, saveChoice } from './templates/TemplateChoice.js';
import { BackToTodo, Todo, backFromReturn, setBackFromReturn } from './screens/Todo.js';
import { RequestDropZone } from './requests/commune/receive.js';
import { SignedInUser, useMe } from './city/Users.js';

type Route =
  | { name: 'home' }
  | { name: 'setup' }
  | { name: 'backups' }
  | { name: 'periods' }
  | { name: 'return'; period: string }
  | { name: 'city'; city: CityRoute };

const CITY_TABS: CityTab[] = ['requests', 'import', 'completeness', 'consolidation', 'units', 'templates', 'users'];

function readRoute(): Route {
  const h = window.location.hash.replace(/^#\/?/, '');
  if (h === 'setup') return { name: 'setup' };
  if (h === 'backups') return { name: 'backups' };
  if (h === 'periods') return { name: 'periods' };
  const m = /^return\/([0-9A-Z-]+)$/.exec(h);
  if (m) return { name: 'return', period: m[1]! };
  const r = /^city\/review\/([0-9A-Z-]+)\/([^/]+)$/.exec(h);
  if (r) return { name: 'city', city: { tab: 'review', period: r[1]!, unit: decodeURIComponent(r[2]!) } };
  const q = /^city\/requests\/([A-Za-z0-9_-]+)(?:\/review\/([^/]+))?$/.exec(h);
  if (q) return { name: 'city', city: { tab: 'requests', id: q[1]!, unit: q[2] ? decodeURIComponent(q[2]) : undefined } };
  const c = /^city\/(\w+)$/.exec(h);
  if (c && CITY_TABS.includes(c[1] as CityTab)) return { name: 'city', city: { tab: c[1] as CityTab } };
  return { name: 'home' };
}

export function go(hash: string): void {
  window.location.hash = hash;
}

export function App() {
  const { t } = useTranslation();
  const [info, setInfo] = useState<AppInfo | null>(null);
  const [template, setTemplate] = useState<Template | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [route, setRoute] = useState<Route>(readRoute);

  useEffect(() => {
    const onHash = () => setRoute(readRoute());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  const [login, setLogin] = useState(false);
  useEffect(() => {
    void loginInUse().then(setLogin);
  }, []);
  const me = useMe(); // issue 9: the signed-in city user, shown with "Đăng xuất"
  const [logoutFailed, setLogoutFailed] = useState(false);
  const signOut = async () => {
    setLogoutFailed(false);
    if (await logout()) window.location.assign(new URL('login', document.baseURI).href);
    else setLogoutFailed(true);
  };

  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    let cancelled = false;
    api
      .call('app.info', {})
      .then((i) => {
        if (cancelled) return;
        setUiLanguage(i.lang);
        setInfo(i);
      })
      .catch((e) => {
        console.error(e);
        if (!cancelled) setFailure(messageOf(e));
      });
    return () => {
      cancelled = true;
    };
  }, [attempt]);

  // The chosen template (remembered between visits; the first one, BC-CX, by default): everything below follows it.
  const [chosen, setChosen] = useState<string | null>(readChoice);
  const shown = info ? pickTemplate(info.templates, chosen) : undefined;
  const shownKey = shown ? `${shown.id}@${shown.version}` : '';
  useEffect(() => {
    if (!shown) return;
    let cancelled = false;
    api
      .call('templates.get', { id: shown.id, version: shown.version })
      .then((data) => {
        if (!cancelled) setTemplate(parseTemplate(data));
      })
      .catch((e) => {
        console.error(e);
        if (!cancelled) setFailure(messageOf(e));
      });
    return () => {
      cancelled = true;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- keyed by id@version: a reloaded app.info keeps the same template
  }, [shownKey]);
  const choose = (id: string) => {
    saveChoice(id);
    setChosen(id);
  };
  const reloadTemplates = (id: string) => {
    choose(id);
    setAttempt((n) => n + 1);
  };

  const changeLanguage = async (lang: Lang) => {
    setUiLanguage(lang);
    try {
      setInfo(await api.call('app.setLanguage', { lang }));
    } catch (e) {
      setFailure(messageOf(e));
    }
  };

  if (failure)
    return (
      <Center h="100vh" p="md">
        <Alert color="red" icon={<IconAlertTriangle />} title={t('start.failed')} maw={640} role="alert">
          <Text mb="sm">{failure}</Text>
          <Button
            variant="light"
            color="red"
            onClick={() => {
              setFailure(null);
              setAttempt((n) => n + 1);
            }}
          >
            {t('common.retry')}
          </Button>
        </Alert>
      </Center>
    );
  if (!info)
    return (
      <Center h="100vh">
        <Group>
          <Loader size="sm" />
          <Text>{t('start.loading')}</Text>
        </Group>
      </Center>
    );

  const lang = info.lang;
  const needsSetup = !info.role || (info.role === 'commune' && !info.unit) || route.name === 'setup';

  let body;
  if (needsSetup)
    body = (
      <Setup
        info={info}
        onDone={(i) => {
          setInfo(i);
          go('/');
        }}
        onCancel={info.role ? () => go('/') : undefined}
      />
    );
  else if (route.name === 'backups') body = <Backups onRestored={() => setAttempt((n) => n + 1)} />;
  else if (!template || (shown && template.id !== shown.id)) body = <Loader m="xl" />;
  else if (info.role === 'city')
    body = (
      <CityHome
        key={template.id}
        template={template}
        choice={<TemplateChoice info={info} value={template.id} onChange={choose} />}
        onTemplatesChanged={() => setAttempt((n) => n + 1)}
        info={info}
        route={route.name === 'city' ? route.city : { tab: 'import' }}
        landing={route.name !== 'city'}
        go={go}
      />
    );
  else if (route.name === 'return')
    body = (
      <Editor
        key={route.period}
        template={template}
        info={info}
        period={route.period}
        backHome={backFromReturn() === '/'}
        onBack={() => go(backFromReturn())}
      />
    );
  else if (route.name === 'periods')
    body = (
      <>
        <BackToTodo onBack={() => go('/')} />
        <Periods
          key={template.id}
          template={template}
          info={info}
          onOpen={(p) => {
            setBackFromReturn('/periods');
            go(`/return/${p}`);
          }}
          choice={<TemplateChoice info={info} value={template.id} onChange={choose} onReceived={reloadTemplates} />}
        />
      </>
    );
  else
    // The commune's home (issue 9): what it owes; a return opens on its template, remembered as the choice.
    body = (
      <Todo
        info={info}
        onOpen={(id, p) => {
          choose(id);
          setBackFromReturn('/');
          go(`/return/${p}`);
        }}
        onAllPeriods={() => go('/periods')}
        onReceived={() => setAttempt((n) => n + 1)}
      />
    );

  return (
    <DatesProvider settings={{ locale: lang, firstDayOfWeek: 1 }}>
      <DeliveryProvider>
        <AppShell header={{ height: 52 }} padding={0}>
          <AppShell.Header className="no-print">
            <Group h="100%" px="md" justify="space-between" wrap="nowrap">
              <Group gap="xs" wrap="nowrap" style={{ minWidth: 0 }}>
                <IconBuildingCommunity size={24} color="var(--mantine-color-blue-7)" aria-hidden />
                <div style={{ minWidth: 0 }}>
                  <Title order={1} size="h5" lh={1.2} lineClamp={1}>
                    {t('app.title')}
                  </Title>
                  <Text size="xs" c="dimmed" truncate>
                    {info.role === 'city'
                      ? t('app.cityRole')
                      : info.unit
                        ? `${info.unit.name} · ${t('app.unitCode', { code: info.unit.code })}`
                        : t('app.subtitle')}
                  </Text>
                </div>
              </Group>
              <Group gap="sm" wrap="nowrap">
                {info.role && !needsSetup && <ConnectionIndicator />}
                <SegmentedControl
                  size="xs"
                  value={lang}
                  onChange={(v) => void changeLanguage(v as Lang)}
                  data={[
                    { value: 'vi', label: 'Tiếng Việt' },
                    { value: 'en', label: 'English' },
                  ]}
                  aria-label={t('app.language')}
                />
                {info.role && !needsSetup && (
                  <>
                    <Button
                      visibleFrom="lg"
                      size="xs"
                      variant={route.name === 'backups' ? 'light' : 'subtle'}
                      leftSection={<IconDatabase size={16} />}
                      onClick={() => go('/backups')}
                      data-testid="header-backups"
                    >
                      {t('app.backups')}
                    </Button>
                    <Tooltip label={t('app.backups')}>
                      <ActionIcon
                        hiddenFrom="lg"
                        variant={route.name === 'backups' ? 'light' : 'subtle'}
                        onClick={() => go('/backups')}
                        aria-label={t('app.backups')}
                      >
                        <IconDatabase size={18} />
                      </ActionIcon>
                    </Tooltip>
                  </>
                )}
                {info.role && !needsSetup && !(me?.user && !me.user.admin) && (
                  <Tooltip label={t('app.changeUnit')}>
                    <ActionIcon variant="subtle" onClick={() => go('/setup')} aria-label={t('app.changeUnit')}>
                      <IconSwitchHorizontal size={18} />
                    </ActionIcon>
                  </Tooltip>
                )}
                {me?.user ? (
                  <SignedInUser user={me.user} onSignOut={() => void signOut()} />
                ) : login && (
                  <Tooltip label={t('app.logout')}>
                    <ActionIcon variant="subtle" onClick={() => void signOut()} aria-label={t('app.logout')} data-testid="header-logout">
                      <IconLogout size={18} />
                    </ActionIcon>
                  </Tooltip>
                )}
              </Group>
            </Group>
          </AppShell.Header>
          <AppShell.Main>
            {info.role === 'commune' && !needsSetup && <RequestDropZone onReceived={() => setAttempt((n) => n + 1)} />}
            {logoutFailed && (
              <Alert color="red" icon={<IconAlertTriangle />} role="alert" withCloseButton onClose={() => setLogoutFailed(false)} mb="sm">
                {t('app.logoutFailed')}
              </Alert>
            )}
            {body}
          </AppShell.Main>
        </AppShell>
      </DeliveryProvider>
    </DatesProvider>
  );
}
