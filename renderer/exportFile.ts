import { notifications } from '@mantine/notifications';
import type { TFunction } from 'i18next';
import { messageOf, saveFile } from './api.js';

/** Make an exported workbook, offer it to save, and say how it went (never throws). */
export async function exportFile(t: TFunction, make: () => Promise<{ fileName: string; data: string }>): Promise<void> {
  try {
    const file = await make();
    if (await saveFile(file.fileName, file.data))
      notifications.show({
        color: 'green',
        title: t('export.doneTitle'),
        message: t('export.done', { name: file.fileName }),
      });
  } catch (e) {
    notifications.show({ color: 'red', title: t('export.failed'), message: messageOf(e), autoClose: false });
  }
}
