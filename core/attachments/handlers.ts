import type { Handlers } from '../../shared/contract.js';
import { AppError } from '../../shared/errors.js';
import type { AttachmentStore } from './index.js';

type AttachmentCalls = Pick<Handlers, 'attachments.add' | 'attachments.get'>;

/** attachments.add / attachments.get over one database's attachment store (commune and city alike). */
export function createAttachmentHandlers(store: AttachmentStore): AttachmentCalls {
  return {
    'attachments.add': ({ file, maxBytes }) => {
      let bytes: Buffer;
      try {
        bytes = Buffer.from(file.data, 'base64');
      } catch {
        throw new AppError('invalid_input', `Không đọc được tệp "${file.fileName}". Hãy chọn lại tệp.`);
      }
      return store.add(bytes, file.fileName, maxBytes);
    },
    'attachments.get': ({ sha256 }) => {
      const row = store.get(sha256);
      if (!row)
        throw new AppError(
          'not_found',
          'Không tìm thấy tệp đính kèm này trong cơ sở dữ liệu (có thể gói được nhập trước khi có tệp đính kèm). Hãy yêu cầu đơn vị gửi lại gói .zip có tệp đính kèm.',
        );
      return { fileName: row.name, data: row.bytes.toString('base64'), mime: row.mime };
    },
  };
}
