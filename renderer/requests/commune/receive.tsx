import { useEffect, useRef, useState } from 'react';
import { Button, FileButton, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconFileDownload } from '@tabler/icons-react';
import type { TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';
import type { Output } from '../../../shared/contract.js';
import { api, messageOf, readFileBase64 } from '../../api.js';

type Outcome = Output<'requests.receive'>['outcome'];

const TITLES: Record<Outcome, string> = {
  received: 'todo.receivedTitle',
  updated: 'todo.updatedTitle',
  template: 'todo.templateTitle',
  unchanged: 'todo.unchangedTitle',
  older: 'todo.olderTitle',
};

/** What a file is, by its name: a request file (.json), a report package (.xlsx / .zip), or something else. */
export function fileKind(name: string): 'request' | 'package' | 'other' {
  if (/\.json$/i.test(name)) return 'request';
  if (/\.(xlsx|zip)$/i.test(name)) return 'package';
  return 'other';
}

/**
 * Receive one request (or signed template) file: requests.receive, and a notification in the
 * core's own words: green when something new was taken in, neutral when nothing changed or the
 * file is older than the edition held, red with the reason when refused (kept until closed).
 * Returns true when the office's lists may have changed.
 */
export async function receiveRequestFile(file: File, t: TFunction): Promise<boolean> {
  try {
    const data = await readFileBase64(file);
    const r = await api.call('requests.receive', { file: { fileName: file.name, data } });
    const fresh = r.outcome === 'received' || r.outcome === 'updated' || r.outcome === 'template';
    notifications.show({
      color: fresh ? 'green' : 'gray',
      title: t(TITLES[r.outcome]),
      message: <span data-testid="receive-message" data-outcome={r.outcome}>{r.message}</span>,
      autoClose: fresh ? 8000 : 12000,
    });
    return fresh;
  } catch (e) {
    notifications.show({
      color: 'red',
      title: t('todo.refusedTitle', { name: file.name }),
      message: <span data-testid="receive-message" data-outcome="refused">{messageOf(e)}</span>,
      autoClose: false,
    });
    return false;
  }
}

/** "Nhận yêu cầu từ tệp": pick a request file (.json) the city sent by email or USB. */
export function ReceiveButton({ onReceived }: { onReceived: () => void }) {
  const { t } = useTranslation();
  const [busy, setBusy] = useState(false);
  const resetRef = useRef<() => void>(null);
  const pick = async (file: File | null) => {
    resetRef.current?.(); // the same file may be chosen again
    if (!file) return;
    setBusy(true);
    try {
      if (await receiveRequestFile(file, t)) onReceived();
    } finally {
      setBusy(false);
    }
  };
  return (
    <FileButton resetRef={resetRef} onChange={(f) => void pick(f)} accept=".json,application/json">
      {(props) => (
        <Button {...props} variant="default" leftSection={<IconFileDownload size={18} />} loading={busy} data-testid="receive-request">
          {t('todo.receive')}
        </Button>
      )}
    </FileButton>
  );
}

/**
 * A file dropped anywhere on the commune's window: a request file is received; an Excel package
 * (.xlsx / .zip) is not swallowed silently (the browser would otherwise open it in place of the
 * app): the person is told it is a report and where it is imported. A drop handled by something
 * else on the page (a drop zone calling preventDefault) is left alone.
 */
export function RequestDropZone({ onReceived }: { onReceived: () => void }) {
  const { t } = useTranslation();
  const [over, setOver] = useState(false);
  const received = useRef(onReceived);
  useEffect(() => {
    received.current = onReceived;
  });

  useEffect(() => {
    let hide: ReturnType<typeof setTimeout> | undefined;
    const hasFiles = (e: DragEvent) => !!e.dataTransfer && Array.from(e.dataTransfer.types).includes('Files');
    const onDragOver = (e: DragEvent) => {
      if (e.defaultPrevented || !hasFiles(e)) return;
      e.preventDefault();
      if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
      setOver(true);
      clearTimeout(hide);
      hide = setTimeout(() => setOver(false), 200);
    };
    const onDrop = (e: DragEvent) => {
      setOver(false);
      if (e.defaultPrevented || !e.dataTransfer || e.dataTransfer.files.length === 0) return;
      e.preventDefault();
      const files = Array.from(e.dataTransfer.files);
      void (async () => {
        let changed = false;
        for (const f of files) {
          const kind = fileKind(f.name);
          if (kind === 'request') changed = (await receiveRequestFile(f, t)) || changed;
          else
            notifications.show({
              color: kind === 'package' ? 'blue' : 'gray',
              title: kind === 'package' ? t('todo.packageTitle') : t('todo.refusedTitle', { name: f.name }),
              message: (
                <span data-testid="receive-message" data-outcome={kind}>
                  {kind === 'package' ? t('todo.packageDropped', { name: f.name }) : t('todo.otherDropped', { name: f.name })}
                </span>
              ),
              autoClose: 15000,
            });
        }
        if (changed) received.current();
      })();
    };
    window.addEventListener('dragover', onDragOver);
    window.addEventListener('drop', onDrop);
    return () => {
      clearTimeout(hide);
      window.removeEventListener('dragover', onDragOver);
      window.removeEventListener('drop', onDrop);
    };
  }, [t]);

  if (!over) return null;
  return (
    <div
      className="no-print"
      data-testid="request-drop-overlay"
      style={{
        position: 'fixed',
        inset: 8,
        zIndex: 400,
        pointerEvents: 'none',
        border: '3px dashed var(--mantine-color-blue-6)',
        borderRadius: 8,
        background: 'rgba(231, 245, 255, 0.85)',
        display: 'flex',
        alignItems: 'center',
        justifyContent: 'center',
      }}
    >
      <Text size="xl" fw={700} c="blue.8">
        {t('todo.dropHere')}
      </Text>
    </div>
  );
}
