/**
 * Errors that reach a person. `message` is a Vietnamese sentence that says what happened and
 * what to do; `details` may carry validation issues. The cause stays in the logs.
 */
export type ErrorCode =
  | 'invalid_input'
  | 'not_found'
  | 'refused'
  | 'not_a_package'
  | 'wrong_template'
  | 'wrong_return'
  | 'corrupt_file'
  | 'db_newer'
  | 'disk_full'
  /** The database file failed its integrity check (issue 7): restore a backup. */
  | 'db_damaged'
  /** Another program's SQLite file given as the database. */
  | 'foreign_file'
  /** The database stayed locked by another process past the busy timeout. */
  | 'db_busy'
  | 'not_configured'
  | 'internal';

export interface AppErrorShape {
  code: ErrorCode;
  message: string;
  details?: unknown;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details?: unknown;
  constructor(code: ErrorCode, message: string, details?: unknown, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AppError';
    this.code = code;
    this.details = details;
  }
  toJSON(): AppErrorShape {
    return { code: this.code, message: this.message, details: this.details };
  }
}

export const INTERNAL_MESSAGE =
  'Đã xảy ra lỗi không mong muốn. Dữ liệu đã lưu vẫn an toàn. Hãy thử lại; nếu vẫn lỗi, hãy khởi động lại ứng dụng và báo cho bộ phận hỗ trợ.';

/** What a transport sends for any thrown value: AppErrors as they are, anything else as a generic Vietnamese sentence. */
export function toErrorShape(e: unknown): AppErrorShape {
  if (e instanceof AppError) return e.toJSON();
  if (e && typeof e === 'object' && 'code' in e && (e as { code: unknown }).code === 'ENOSPC')
    return { code: 'disk_full', message: 'Ổ đĩa đã đầy nên không lưu được. Hãy giải phóng dung lượng ổ đĩa rồi thử lại; dữ liệu đã lưu trước đó vẫn an toàn.' };
  if (e && typeof e === 'object' && 'code' in e && (e as { code: unknown }).code === 'SQLITE_FULL')
    return { code: 'disk_full', message: 'Ổ đĩa đã đầy nên không lưu được. Hãy giải phóng dung lượng ổ đĩa rồi thử lại; dữ liệu đã lưu trước đó vẫn an toàn.' };
  return { code: 'internal', message: INTERNAL_MESSAGE };
}
