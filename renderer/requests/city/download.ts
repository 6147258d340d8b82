import { notifications } from '@mantine/notifications';
import type { TFunction } from 'i18next';
import { messageOf } from '../../api.js';

/**
 * Save a file that is not a workbook (a signed request .json, the city key .pem): Electron's Save As,
 * otherwise a browser download with its own type (renderer/api.ts saveFile offers Excel, CSV and ZIP).
 */
export async function saveOther(fileName: string, base64: string): Promise<boolean> {
  if (window.platform) return window.platform.saveFile(fileName, base64);
  const bin = atob(base64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  const type = /\.json$/i.test(fileName) ? 'application/json' : /\.pem$/i.test(fileName) ? 'application/x-pem-file' : 'application/octet-stream';
  const url = URL.createObjectURL(new Blob([bytes], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return true;
}

/** Make a file, offer it, and say how it went (never throws). */
export async function downloadOther(t: TFunction, make: () => Promise<{ fileName: string; data: string }>, hint?: string): Promise<boolean> {
  try {
    const file = await make();
    if (!(await saveOther(file.fileName, file.data))) return false;
    notifications.show({
      color: 'green',
      title: t('cityRequests.download.doneTitle'),
      message: hint ? `${t('cityRequests.download.done', { name: file.fileName })} ${hint}` : t('cityRequests.download.done', { name: file.fileName }),
    });
    return true;
  } catch (e) {
    notifications.show({ color: 'red', title: t('cityRequests.download.failed'), message: messageOf(e), autoClose: false });
    return false;
  }
}
