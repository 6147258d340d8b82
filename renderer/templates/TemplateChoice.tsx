import { useRef, useState } from 'react';
import { Alert, Button, FileButton, Group, Select, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconAlertCircle, IconFileDownload } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { AppInfo } from '../../shared/contract.js';
import { api, messageOf, readFileBase64 } from '../api.js';

type Known = AppInfo['templates'][number];

const CHOICE_KEY = 'commune-returns.template';

/**
 * The template chosen in this window, else on an earlier visit (its id), if any. Each window keeps its
 * own (sessionStorage): choosing another template in a second tab must not turn the return open in
 * the first into another report's when it is reloaded.
 */
export function readChoice(): string | null {
  try {
    return window.sessionStorage.getItem(CHOICE_KEY) ?? window.localStorage.getItem(CHOICE_KEY);
  } catch {
    return null;
  }
}

export function saveChoice(id: string): void {
  try {
    window.sessionStorage.setItem(CHOICE_KEY, id);
    window.localStorage.setItem(CHOICE_KEY, id);
  } catch {
    /* private mode: the choice lasts for this visit only */
  }
}

/** One entry per template id, its latest version, in the order app.info lists them (the built-in one first). */
export function latestTemplates(list: Known[]): Known[] {
  const out: Known[] = [];
  for (const k of list) {
    const i = out.findIndex((o) => o.id === k.id);
    if (i < 0) out.push(k);
    else if (k.version > out[i]!.version) out[i] = k;
  }
  return out;
}

/** The template to show: the remembered one when it is still known, otherwise the first. */
export function pickTemplate(list: Known[], chosen: string | null): Known | undefined {
  const latest = latestTemplates(list);
  return latest.find((k) => k.id === chosen) ?? latest[0];
}

/**
 * The template choice above the commune's periods and the city's screens ("BC-CX — Báo cáo định
 * kỳ…"), and at a commune "Nhận mẫu báo cáo": open a template file the city sent (signed, .json;
 * an Excel workbook is refused by the core with a message shown under the button).
 */
export function TemplateChoice({
  info,
  value,
  onChange,
  onReceived,
}: {
  info: AppInfo;
  value: string;
  onChange: (id: string) => void;
  /** After a template file was received: the app reloads what it knows and shows that template. */
  onReceived?: (id: string) => void;
}) {
  const { t } = useTranslation();
  const [receiving, setReceiving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const resetRef = useRef<() => void>(null);

  const receive = async (file: File | null) => {
    resetRef.current?.();
    if (!file) return;
    setError(null);
    setReceiving(true);
    try {
      const data = await readFileBase64(file);
      const r = await api.call('templates.receive', { file: { fileName: file.name, data } });
      notifications.show({ color: 'green', title: t('templates.receivedTitle'), message: r.message });
      onReceived?.(r.id);
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setReceiving(false);
    }
  };

  const options = latestTemplates(info.templates).map((k) => ({ value: k.id, label: `${k.id} — ${k.title}` }));
  return (
    <div className="no-print" data-testid="template-choice-bar">
      <Group align="flex-end" gap="sm" mb="sm" wrap="wrap">
        <Select
          label={t('templates.choice')}
          data={options}
          value={value}
          onChange={(v) => v && onChange(v)}
          allowDeselect={false}
          w={560}
          maw="100%"
          maxDropdownHeight={360}
          comboboxProps={{ width: 'target' }}
          data-testid="template-choice"
        />
        {onReceived && (
          <FileButton resetRef={resetRef} onChange={(f) => void receive(f)} accept=".json,application/json,.xlsx">
            {(props) => (
              <Button
                {...props}
                variant="default"
                leftSection={<IconFileDownload size={18} />}
                loading={receiving}
                data-testid="template-receive"
              >
                {t('templates.receive')}
              </Button>
            )}
          </FileButton>
        )}
      </Group>
      {onReceived && !error && (
        <Text size="xs" c="dimmed" mt={-4} mb="sm">
          {t('templates.receiveHint')}
        </Text>
      )}
      {error && (
        <Alert color="red" icon={<IconAlertCircle />} role="alert" mb="sm" data-testid="template-receive-error">
          {error}
        </Alert>
      )}
    </div>
  );
}
