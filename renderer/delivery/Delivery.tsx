import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState } from 'react';
import type { ReactNode } from 'react';
import {
  Alert,
  Badge,
  Button,
  FileButton,
  Group,
  Modal,
  Stack,
  Text,
  TextInput,
  Tooltip,
  UnstyledButton,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconAlertCircle, IconCloud, IconCloudOff, IconFileImport, IconRefresh, IconSend } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { Output } from '../../shared/contract.js';
import { DeliverySettingsInputSchema } from '../../shared/contract.js';
import { formatDateTime } from '../../shared/format.js';
import { api, messageOf, readFileBase64 } from '../api.js';
import { TrustedKey } from '../requests/commune/TrustedKey.js';

export type DeliveryStatus = Output<'delivery.status'>;
export type Connection = DeliveryStatus['connection'];
export type OutboxItem = DeliveryStatus['items'][number];

/** How often the app asks the core for the outbox and the connection while it is open. */
export const POLL_MS = 15_000;
/** …and while a return waits to be sent: the person sees "Đã gửi" soon after it happened. */
export const BUSY_POLL_MS = 3_000;

/**
 * Sentences not yet in renderer/i18n/*.json (owned by the renderer): used as i18next default values,
 * in the language of the screen, until they are moved there under the same keys.
 */
/** hh:mm of a time (the server's clock), with the date only when it is not today's. */
function timeOf(iso: string, reference: string | null): string {
  const full = formatDateTime(iso);
  return reference && formatDateTime(reference).slice(0, 10) === full.slice(0, 10) ? full.slice(11) : full;
}

interface DeliveryContextValue {
  /** null until the first answer; `available: false` when this installation has no delivery yet. */
  status: DeliveryStatus | null;
  available: boolean;
  refresh: () => Promise<void>;
  sendNow: () => Promise<void>;
  sending: boolean;
  openSettings: () => void;
  adoptConnection: (c: Connection) => void;
}

const DeliveryContext = createContext<DeliveryContextValue | null>(null);

export function useDelivery(): DeliveryContextValue {
  const v = useContext(DeliveryContext);
  if (!v) throw new Error('useDelivery outside DeliveryProvider');
  return v;
}

/** The outbox item of one submitted revision, if it is queued. */
export function itemOf(status: DeliveryStatus | null, period: string, revision: number | null): OutboxItem | undefined {
  if (!status || revision === null) return undefined;
  const item = status.items.find((i) => i.period === period && i.revision === revision);
  // Without network delivery nothing is "waiting to be sent": the file goes by email or USB (issue 7 item 7).
  if (item && !status.connection.configured && (item.state === 'queued' || item.state === 'sending') && !item.error) return undefined;
  return item;
}

/** Polls delivery.status every POLL_MS while the app is open; never blocks anything. */
export function DeliveryProvider({ children }: { children: ReactNode }) {
  const { t } = useTranslation();
  const [status, setStatus] = useState<DeliveryStatus | null>(null);
  const [available, setAvailable] = useState(true);
  const [sending, setSending] = useState(false);
  const [settingsOpen, setSettingsOpen] = useState(0);
  const alive = useRef(true);

  const refresh = useCallback(
    (): Promise<void> =>
      api
        .call('delivery.status', {})
        .then((s) => {
          if (!alive.current) return;
          setStatus(s);
          setAvailable(true);
        })
        // No delivery in this core (or it failed): the work goes on, files still go by email/USB.
        .catch(() => {
          if (alive.current) setAvailable(false);
        }),
    [],
  );

  useEffect(() => {
    alive.current = true;
    return () => {
      alive.current = false;
    };
  }, []);

  // Something waits to go and delivery is set up: ask often, so "Đã gửi" shows soon after it happened.
  const busy =
    !!status?.connection.configured &&
    status.items.some((i) => (i.state === 'queued' || i.state === 'sending') && !i.error);
  useEffect(() => {
    void refresh();
    const timer = setInterval(() => void refresh(), busy ? BUSY_POLL_MS : POLL_MS);
    return () => clearInterval(timer);
  }, [refresh, busy]);

  const sendNow = useCallback(async () => {
    setSending(true);
    try {
      const waiting = (status?.items ?? []).filter((i) => i.state === 'queued' || i.state === 'sending');
      const s = await api.call('delivery.sendNow', {});
      setStatus(s);
      setAvailable(true);
      if (s.connection.lastError)
        notifications.show({ color: 'orange', title: t('delivery.sendFailed'), message: s.connection.lastError });
      else if (!waiting.length && s.items.some((i) => i.state === 'sent'))
        // Only asked for the city's decisions: say so when there is nothing new, not silence.
        notifications.show({ color: 'blue', title: t('delivery.noNewsTitle'), message: t('delivery.noNews') });
    } catch (e) {
      notifications.show({ color: 'red', title: t('delivery.sendFailed'), message: messageOf(e) });
    } finally {
      setSending(false);
    }
  }, [t, status]);

  const adoptConnection = useCallback((connection: Connection) => {
    setStatus((s) => (s ? { ...s, connection } : { connection, items: [] }));
    setAvailable(true);
  }, []);

  const value = useMemo<DeliveryContextValue>(
    () => ({
      status,
      available,
      refresh,
      sendNow,
      sending,
      openSettings: () => setSettingsOpen((n) => n + 1),
      adoptConnection,
    }),
    [status, available, refresh, sendNow, sending, adoptConnection],
  );
  return (
    <DeliveryContext.Provider value={value}>
      {children}
      <SettingsDialog
        key={settingsOpen}
        opened={settingsOpen > 0}
        onClose={() => setSettingsOpen(0)}
        current={status?.connection ?? null}
        onSaved={(c) => {
          adoptConnection(c);
          setSettingsOpen(0);
          void refresh();
        }}
      />
    </DeliveryContext.Provider>
  );
}

/** The header's honest line about the connection; a click opens the settings. */
export function ConnectionIndicator() {
  const { t } = useTranslation();
  const { status, available, openSettings } = useDelivery();
  const c = status?.connection;
  const configured = available && !!c?.configured;
  // A package the server refused for good is told on its own badge; the line is about the connection.
  const refusal = !!c?.lastError && !!status?.items.some((i) => i.error && c.lastError!.includes(i.error));
  let text: string;
  let tone: 'ok' | 'warn' | 'off';
  if (!configured) {
    text = t('delivery.notConfigured');
    tone = 'off';
  } else if (c?.lastError && !refusal) {
    // Honest: no contact now, when the last one was, and whether the app retries by itself.
    tone = 'warn';
    if (!c.nextAttemptAt) text = t('delivery.needsAction');
    else if (!c.lastContactAt) text = t('delivery.retryingNever', { next: timeOf(c.nextAttemptAt, c.nextAttemptAt) });
    else
      text = t('delivery.retrying', {
        // Short enough for the header: times of day, dates only when they differ.
        at: timeOf(c.lastContactAt, c.nextAttemptAt),
        next: timeOf(c.nextAttemptAt, c.lastContactAt),
      });
  } else if (c?.lastContactAt) {
    text = t('delivery.lastContact', { at: formatDateTime(c.lastContactAt) });
    tone = c.lastError ? 'warn' : 'ok';
  } else {
    text = t('delivery.neverContacted');
    tone = 'warn';
  }
  const tip = configured ? (c?.lastError ?? t('delivery.settingsHint')) : t('delivery.configureHint');
  return (
    <Tooltip label={tip} multiline w={320} withArrow>
      <UnstyledButton
        onClick={openSettings}
        className={`connection connection-${tone}`}
        data-testid="connection-indicator"
        data-state={tone}
        aria-label={`${text}. ${t('delivery.settingsOpen')}`}
      >
        <Group gap={6} wrap="nowrap">
          {tone === 'ok' ? <IconCloud size={16} aria-hidden /> : <IconCloudOff size={16} aria-hidden />}
          <Text size="xs" className="connection-text">
            {text}
          </Text>
        </Group>
      </UnstyledButton>
    </Tooltip>
  );
}

/** The delivery state of one submitted revision, as the commune reads it. */
export function DeliveryBadge({ item }: { item: OutboxItem | undefined }) {
  const { t } = useTranslation();
  if (!item) return null;
  const props = {
    size: 'sm' as const,
    variant: 'light' as const,
    'data-delivery': item.state,
    className: 'state-badge',
  };
  if (item.error && (item.state === 'queued' || item.state === 'sending'))
    // Refused for good by the server: say so, and what to do (in the tooltip and for screen readers).
    return (
      <Tooltip label={item.error} multiline w={360}>
        <Badge {...props} color="red" data-delivery="failed" aria-label={`${t('delivery.failed')}: ${item.error}`}>
          {t('delivery.failed')}
        </Badge>
      </Tooltip>
    );
  switch (item.state) {
    case 'queued':
      return (
        <Badge {...props} color="gray">
          {t('delivery.queued')}
        </Badge>
      );
    case 'sending':
      return (
        <Badge {...props} color="blue">
          {t('delivery.sending')}
        </Badge>
      );
    case 'sent':
      if (item.cityRefusal)
        // Issue 7 item 11: the server has it, the city could not import it yet; its reason beside it.
        return (
          <>
            <Tooltip label={item.cityRefusal} multiline w={360}>
              <Badge
                {...props}
                color="orange"
                variant="filled"
                data-delivery="city-refused"
                aria-label={t('cityLoop.cityRefusal', { reason: item.cityRefusal })}
              >
                {t('cityLoop.cityRefusalShort')}
              </Badge>
            </Tooltip>
            <Tooltip label={item.cityRefusal} multiline w={360}>
              <Text
                size="xs"
                c="orange.9"
                lineClamp={2}
                data-testid="delivery-city-refusal"
                style={{ flex: '1 1 100%', minWidth: 0, maxWidth: '34em' }}
                aria-hidden
              >
                {t('cityLoop.cityRefusal', { reason: item.cityRefusal })}
              </Text>
            </Tooltip>
          </>
        );
      return (
        <Badge {...props} color="teal">
          {item.sentAt ? t('delivery.sentAt', { at: formatDateTime(item.sentAt) }) : t('delivery.sent')}
        </Badge>
      );
    case 'accepted':
      return (
        <Badge {...props} color="green" variant="filled">
          {t('delivery.accepted')}
        </Badge>
      );
    case 'returned':
      // A short badge, and the city's reason beside it as text a person can read (a badge is
      // one line of small capitals): on its own line where the row wraps, cut short where it
      // cannot (the full reason in the tooltip and for screen readers).
      return (
        <>
          <Tooltip label={item.reason ?? ''} disabled={!item.reason} multiline w={360}>
            <Badge
              {...props}
              color="red"
              variant="filled"
              aria-label={t('delivery.returned', { reason: item.reason ?? '—' })}
            >
              {t('delivery.returnedShort')}
            </Badge>
          </Tooltip>
          {item.reason && (
            <Tooltip label={item.reason} multiline w={360}>
              <Text
                size="xs"
                c="red.9"
                lineClamp={2}
                data-testid="delivery-reason"
                style={{ flex: '1 1 100%', minWidth: 0, maxWidth: '34em' }}
                aria-hidden
              >
                {t('delivery.returnedReason', { reason: item.reason })}
              </Text>
            </Tooltip>
          )}
        </>
      );
  }
}

/** "Gửi ngay": shown when something is waiting and delivery is configured. */
export function SendNowButton({
  size = 'xs',
  offerSetup = true,
  period,
}: {
  size?: 'xs' | 'compact-xs';
  /** When delivery is not set up, offer the settings (the periods list) or stay silent (the editor's busy toolbar). */
  offerSetup?: boolean;
  /** Shown only for this period's revisions (the editor); otherwise for any (the periods list). */
  period?: string;
}) {
  const { t } = useTranslation();
  const { status, available, sendNow, sending, openSettings } = useDelivery();
  if (!available) return null;
  const items = (status?.items ?? []).filter((i) => period === undefined || i.period === period);
  const waiting = items.some((i) => i.state === 'queued' || i.state === 'sending');
  const awaiting = items.some((i) => i.state === 'sent');
  if (!waiting && awaiting && status?.connection.configured)
    // Sent, the city has not decided yet: the app asks every few minutes; a person may ask now.
    return (
      <Tooltip label={t('delivery.checkNowHint')} multiline w={320}>
        <Button
          size={size}
          variant="light"
          loading={sending}
          onClick={() => void sendNow()}
          leftSection={<IconRefresh size={14} />}
          data-testid="check-now"
        >
          {t('delivery.checkNow')}
        </Button>
      </Tooltip>
    );
  if (!waiting) return null;
  if (!status?.connection.configured)
    return !offerSetup ? null : (
      <Button size={size} variant="light" onClick={openSettings} leftSection={<IconSend size={14} />}>
        {t('delivery.configureToSend')}
      </Button>
    );
  return (
    <Tooltip label={t('delivery.sendNowHint')} multiline w={320}>
      <Button
        size={size}
        variant="light"
        loading={sending}
        onClick={() => void sendNow()}
        leftSection={<IconSend size={14} />}
        data-testid="send-now"
      >
        {t('delivery.sendNow')}
      </Button>
    </Tooltip>
  );
}

/** The city address and token, typed once or read from the small settings file the city hands out. */
export function SettingsDialog({
  opened,
  onClose,
  current,
  onSaved,
}: {
  opened: boolean;
  onClose: () => void;
  current: Connection | null;
  onSaved: (c: Connection) => void;
}) {
  const { t } = useTranslation();
  const [serverUrl, setServerUrl] = useState(current?.serverUrl ?? '');
  const [token, setToken] = useState('');
  const [errors, setErrors] = useState<{ serverUrl?: string; token?: string }>({});
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // The city types its own token here, not a unit's: say which one is asked for.
  const [isCity, setIsCity] = useState(false);
  useEffect(() => {
    if (!opened) return;
    let live = true;
    api
      .call('app.info', {})
      .then((info) => live && setIsCity(info.role === 'city'))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [opened]);

  const save = async (input: Parameters<typeof api.call<'delivery.configure'>>[1]) => {
    setBusy(true);
    setFailure(null);
    try {
      const c = await api.call('delivery.configure', input);
      notifications.show({ color: 'green', title: t('delivery.savedTitle'), message: t('delivery.saved') });
      onSaved(c);
    } catch (e) {
      setFailure(messageOf(e));
    } finally {
      setBusy(false);
    }
  };

  const submit = () => {
    const input = { serverUrl: serverUrl.trim(), token: token.trim() };
    const parsed = DeliverySettingsInputSchema.safeParse(input);
    const next: typeof errors = {};
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const field = issue.path[0];
        if (field === 'serverUrl') next.serverUrl = input.serverUrl ? t('delivery.badUrl') : t('delivery.needUrl');
        if (field === 'token') next.token = input.token ? t('delivery.shortToken') : t('delivery.needToken');
      }
    } else if (!/^https?:\/\//i.test(input.serverUrl)) next.serverUrl = t('delivery.badUrl');
    setErrors(next);
    if (next.serverUrl || next.token) return;
    void save(input);
  };

  const importFile = async (file: File | null) => {
    if (!file) return;
    try {
      const data = await readFileBase64(file);
      await save({ file: { fileName: file.name, data } });
    } catch (e) {
      setFailure(messageOf(e));
    }
  };

  return (
    <Modal opened={opened} onClose={onClose} title={t('delivery.settingsTitle')} size="lg" centered>
      <form
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
        data-testid="delivery-settings"
      >
        <Stack>
          <Text size="sm">{t(isCity ? 'delivery.settingsIntroCity' : 'delivery.settingsIntro')}</Text>
          <TextInput
            label={t('delivery.serverUrl')}
            description={t('delivery.serverUrlHint')}
            placeholder="https://baocao.haiphong.gov.vn"
            value={serverUrl}
            onChange={(e) => setServerUrl(e.currentTarget.value)}
            error={errors.serverUrl}
            data-autofocus
            autoComplete="off"
          />
          <TextInput
            label={isCity ? t('delivery.tokenCity') : t('delivery.token')}
            description={isCity ? t('delivery.tokenCityHint') : t('delivery.tokenHint')}
            value={token}
            onChange={(e) => setToken(e.currentTarget.value)}
            error={errors.token}
            autoComplete="off"
            spellCheck={false}
          />
          {failure && (
            <Alert color="red" icon={<IconAlertCircle />} role="alert" data-testid="delivery-settings-error">
              {failure}
            </Alert>
          )}
          <Group justify="space-between">
            <FileButton onChange={(f) => void importFile(f)} accept=".json,.txt,.cfg,application/json">
              {(props) => (
                <Button {...props} variant="subtle" leftSection={<IconFileImport size={16} />} disabled={busy}>
                  {t('delivery.importFile')}
                </Button>
              )}
            </FileButton>
            <Group>
              <Button variant="default" onClick={onClose}>
                {t('common.cancel')}
              </Button>
              <Button type="submit" loading={busy}>
                {t('delivery.save')}
              </Button>
            </Group>
          </Group>
          <Text size="xs" c="dimmed">
            {t('delivery.neverBlocks')}
          </Text>
          {/* Issue 9: the city key whose signed request and template files this office accepts. */}
          {!isCity && <TrustedKey />}
        </Stack>
      </form>
    </Modal>
  );
}
