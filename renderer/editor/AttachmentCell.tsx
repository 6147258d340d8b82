import { useId, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Button, Group, Progress, Text } from '@mantine/core';
import type { AttachmentRef } from '../../shared/template/schema.js';
import { formatBytes, DEFAULT_MAX_BYTES, sniffMime } from '../../shared/attachments.js';
import { api, messageOf } from '../api.js';

export interface AttachmentCellProps {
  value: AttachmentRef | null;
  onChange: (v: AttachmentRef | null) => void;
  returnId?: number;
  readOnly?: boolean;
  maxBytes?: number;
  label: string;
}

/** Bytes → base64 without building one huge string of arguments. */
function toBase64(bytes: Uint8Array): string {
  let bin = '';
  const step = 0x8000;
  for (let i = 0; i < bytes.length; i += step) bin += String.fromCharCode(...bytes.subarray(i, i + step));
  return btoa(bin);
}

function fromBase64(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * A file cell: a scanned decision or a signed page (PDF, PNG or JPEG, size-capped).
 * "Chọn tệp…" stores the bytes (attachments.add) and sets the reference; "Xem" opens it; "Bỏ tệp" clears it.
 * A refusal (too big, wrong kind) is said next to the cell and the value stays as it was.
 */
export function AttachmentCell({ value, onChange, returnId, readOnly, maxBytes, label }: AttachmentCellProps) {
  const { t } = useTranslation();
  const input = useRef<HTMLInputElement>(null);
  const id = useId();
  const [busy, setBusy] = useState<null | number>(null);
  const [error, setError] = useState<string | null>(null);
  const cap = maxBytes ?? DEFAULT_MAX_BYTES;

  async function pick(file: File) {
    setError(null);
    if (file.size > cap) {
      setError(t('attachment.tooBig', { size: formatBytes(file.size), cap: formatBytes(cap) }));
      // The same file, made smaller under the same name, can be chosen again.
      if (input.current) input.current.value = '';
      return;
    }
    setBusy(10);
    try {
      const bytes = new Uint8Array(await file.arrayBuffer());
      if (!sniffMime(bytes)) {
        setError(t('attachment.wrongKind', { name: file.name }));
        return;
      }
      setBusy(40);
      const ref = await api.call('attachments.add', {
        file: { fileName: file.name, data: toBase64(bytes) },
        maxBytes: cap,
        ...(returnId !== undefined ? { returnId } : {}),
      });
      setBusy(100);
      onChange(ref);
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(null);
      if (input.current) input.current.value = '';
    }
  }

  async function view() {
    if (!value) return;
    setError(null);
    try {
      const file = await api.call('attachments.get', { sha256: value.sha256 });
      // The desktop app opens no other window: the file is saved where the person chooses, then opened from there.
      if (window.platform) {
        await window.platform.saveFile(value.name, file.data);
        return;
      }
      const blob = new Blob([fromBase64(file.data)], { type: value.mime });
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.target = '_blank';
      a.rel = 'noopener';
      // A PDF or an image opens in a new tab; where it cannot, the browser downloads it under its name.
      if (!window.open(url, '_blank')) {
        a.download = value.name;
        document.body.appendChild(a);
        a.click();
        a.remove();
      }
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (e) {
      setError(messageOf(e));
    }
  }

  const shown = value ? (
    <Text size="sm" data-attachment-name style={{ overflowWrap: 'anywhere' }}>
      {t('attachment.current', { name: value.name, size: formatBytes(value.size) })}
    </Text>
  ) : (
    <Text size="sm" c="dimmed">
      {t('attachment.none')}
    </Text>
  );
  const viewButton = value && (
    <Button size="compact-sm" variant="light" onClick={() => void view()}>
      {t('attachment.view')}
    </Button>
  );

  // Read-only (a submitted revision, the city's review): the name and size, and "Xem".
  if (readOnly)
    return (
      <div className="file-shown" data-attachment={label}>
        <Group gap="xs" wrap="wrap">
          {shown}
          {viewButton}
        </Group>
        {error && (
          <Text size="sm" c="red" role="alert" mt={4}>
            {error}
          </Text>
        )}
      </div>
    );

  return (
    <div className="cell cell-file" data-attachment={label} role="group" aria-label={label}>
      {shown}
      <Group gap="xs" wrap="wrap" mt={4}>
        {viewButton}
        <input
          ref={input}
          id={id}
          type="file"
          accept="application/pdf,image/png,image/jpeg,.pdf,.png,.jpg,.jpeg"
          style={{ display: 'none' }}
          aria-label={t('attachment.choose')}
          onChange={(e) => {
            const f = e.target.files?.[0];
            if (f) void pick(f);
          }}
        />
        <Button
          size="compact-sm"
          variant="default"
          disabled={busy !== null}
          aria-label={`${t('attachment.choose')} ${label}`}
          onClick={() => input.current?.click()}
        >
          {t('attachment.choose')}
        </Button>
        {value && (
          <Button size="compact-sm" variant="subtle" color="red" disabled={busy !== null} onClick={() => onChange(null)}>
            {t('attachment.remove')}
          </Button>
        )}
      </Group>
      {busy !== null && <Progress value={busy} size="sm" mt={4} aria-label={t('attachment.uploading')} animated />}
      {busy !== null && (
        <Text size="xs" c="dimmed">
          {t('attachment.uploading')}
        </Text>
      )}
      {error && (
        <Text size="sm" c="red" role="alert" mt={4}>
          {error}
        </Text>
      )}
      {!value && !error && (
        <Text size="xs" c="dimmed">
          {t('attachment.rule', { cap: formatBytes(cap) })}
        </Text>
      )}
    </div>
  );
}

function isAttachmentRef(v: unknown): v is AttachmentRef {
  return !!v && typeof v === 'object' && !Array.isArray(v) && typeof (v as AttachmentRef).sha256 === 'string' && typeof (v as AttachmentRef).name === 'string';
}

/** A file cell shown read-only (the city's review, a submitted revision): its name and size with "Xem"; "—" when empty. */
export function ShownFile({ value, label }: { value: unknown; label: string }) {
  if (!isAttachmentRef(value)) return <>—</>;
  return <AttachmentCell value={value} onChange={() => undefined} readOnly label={label} />;
}
