/**
 * Refusals of the intake: an HTTP status, a stable code, and a Vietnamese sentence that tells the
 * person whether to wait (the app retries by itself) or to act (change a token, a file, a setting).
 */
import type { IntakeErrorCode } from './api.js';

export class IntakeError extends Error {
  constructor(
    readonly status: number,
    readonly code: IntakeErrorCode,
    message: string,
    readonly action: 'wait' | 'act',
    readonly details?: unknown,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'IntakeError';
  }
}

const mb = (bytes: number) => (bytes / (1024 * 1024)).toLocaleString('vi-VN', { maximumFractionDigits: 1 });

export const refuse = {
  tokenMissing: () =>
    new IntakeError(
      401,
      'token_missing',
      'Chưa có mã truy cập nên máy chủ thành phố không nhận. Hãy nhập mã truy cập do thành phố cấp trong phần Cài đặt rồi gửi lại.',
      'act',
    ),
  tokenUnknown: () =>
    new IntakeError(
      401,
      'token_unknown',
      'Mã truy cập không đúng nên máy chủ thành phố không nhận. Hãy kiểm tra lại mã trong phần Cài đặt (chép đủ, không thừa dấu cách) hoặc xin thành phố cấp mã mới.',
      'act',
    ),
  tokenRevoked: () =>
    new IntakeError(
      401,
      'token_revoked',
      'Mã truy cập này đã bị thành phố thu hồi. Hãy liên hệ thành phố để được cấp mã mới rồi nhập vào phần Cài đặt.',
      'act',
    ),
  cityOnly: () =>
    new IntakeError(
      403,
      'forbidden',
      'Chức năng này chỉ dành cho thành phố. Hãy dùng mã truy cập của thành phố.',
      'act',
    ),
  unitOnly: () =>
    new IntakeError(
      403,
      'forbidden',
      'Chức năng này chỉ dành cho đơn vị cấp xã. Hãy dùng mã truy cập của đơn vị; thành phố nhận gói qua chức năng lấy gói mới.',
      'act',
    ),
  wrongUnit: (packageUnit: string, tokenUnit: string) =>
    new IntakeError(
      403,
      'wrong_unit',
      `Gói báo cáo này là của đơn vị mã ${packageUnit}, còn mã truy cập đang dùng là của đơn vị mã ${tokenUnit}, nên máy chủ không nhận. Hãy kiểm tra đơn vị và mã truy cập trong phần Cài đặt; mỗi đơn vị chỉ gửi gói của chính mình.`,
      'act',
      { packageUnit, tokenUnit },
    ),
  emptyBody: () =>
    new IntakeError(
      400,
      'empty_body',
      'Máy chủ không nhận được nội dung tệp (gói rỗng). Hãy gửi lại; nếu vẫn lỗi, hãy xuất lại gói báo cáo từ ứng dụng.',
      'act',
    ),
  corrupt: (cause?: unknown) =>
    new IntakeError(
      400,
      'corrupt_file',
      'Tệp gửi lên không phải tệp Excel (.xlsx) hoặc đã bị hỏng nên máy chủ không nhận. Gửi lại đúng tệp này cũng không được: hãy xuất lại gói báo cáo từ ứng dụng rồi gửi.',
      'act',
      undefined,
      { cause },
    ),
  notPackage: (cause?: unknown) =>
    new IntakeError(
      400,
      'not_a_package',
      'Tệp gửi lên không phải là gói báo cáo do ứng dụng lập (thiếu phần thông tin nhận dạng của gói) nên máy chủ không nhận. Hãy gửi tệp được xuất bằng chức năng "Xuất gói báo cáo" của ứng dụng.',
      'act',
      undefined,
      { cause },
    ),
  /** A package zip whose attachments do not match the references in its workbook (the sentence names the cell and the file). */
  attachments: (message: string) => new IntakeError(400, 'not_a_package', `Máy chủ thành phố không nhận gói này. ${message}`, 'act'),
  wrongTemplate: (readerMessage: string, cause?: unknown) =>
    new IntakeError(400, 'wrong_template', `Máy chủ thành phố không nhận gói này. ${readerMessage}`, 'act', undefined, {
      cause,
    }),
  packageConflict: (packageId: string) =>
    new IntakeError(
      409,
      'package_conflict',
      `Máy chủ đã có một gói khác mang cùng mã gói ${packageId} của đơn vị khác, nên không nhận gói này. Hãy liên hệ thành phố để kiểm tra.`,
      'act',
    ),
  tooLarge: (limitBytes: number) =>
    new IntakeError(
      413,
      'too_large',
      `Tệp gửi lên lớn hơn giới hạn ${mb(limitBytes)} MB nên máy chủ không nhận. Gửi lại đúng tệp này cũng không được: hãy kiểm tra lại tệp (gói báo cáo thường chỉ vài trăm KB, cộng các tệp đính kèm nếu có) hoặc liên hệ thành phố.`,
      'act',
      { limitBytes },
    ),
  unpackedTooLarge: (limitBytes: number) =>
    new IntakeError(
      413,
      'too_large',
      `Tệp gửi lên khi giải nén lớn hơn ${mb(limitBytes)} MB, không giống một gói báo cáo, nên máy chủ không nhận. Hãy xuất lại gói báo cáo từ ứng dụng rồi gửi.`,
      'act',
      { limitBytes },
    ),
  unsupportedMediaType: () =>
    new IntakeError(
      415,
      'unsupported_media_type',
      'Máy chủ chỉ nhận tệp gói báo cáo .xlsx (kiểu nội dung application/vnd.openxmlformats-officedocument.spreadsheetml.sheet hoặc application/octet-stream). Hãy cập nhật ứng dụng rồi gửi lại.',
      'act',
    ),
  invalidInput: (what: string, details?: unknown) =>
    new IntakeError(
      400,
      'invalid_input',
      `Yêu cầu không hợp lệ: ${what}. Hãy kiểm tra lại rồi gửi lại.`,
      'act',
      details,
    ),
  packageNotFound: (packageId: string) =>
    new IntakeError(
      404,
      'not_found',
      `Máy chủ không có gói mã ${packageId}. Hãy lấy lại danh sách gói mới rồi thử lại.`,
      'act',
    ),
  routeNotFound: () =>
    new IntakeError(
      404,
      'not_found',
      'Máy chủ tiếp nhận không có địa chỉ này. Hãy kiểm tra lại địa chỉ máy chủ trong phần Cài đặt hoặc cập nhật ứng dụng.',
      'act',
    ),
  versionExists: (id: string, version: number) =>
    new IntakeError(
      409,
      'version_exists',
      `Mẫu ${id} phiên bản ${version} đã được công bố với nội dung khác. Hãy tăng số phiên bản của mẫu rồi công bố lại.`,
      'act',
    ),
  requestConflict: (requestId: string, edition: number) =>
    new IntakeError(
      409,
      'request_conflict',
      `Máy chủ đã có yêu cầu ${requestId} lần ban hành ${edition} với nội dung khác, nên không nhận bản này. Mỗi lần sửa yêu cầu phải ban hành thành lần mới; hãy kiểm tra cơ sở dữ liệu của Thành phố (có thể đã khôi phục từ bản sao lưu cũ) rồi liên hệ người quản trị máy chủ.`,
      'act',
      { requestId, edition },
    ),
  rateLimited: (retryAfterSeconds: number) =>
    new IntakeError(
      429,
      'rate_limited',
      `Máy chủ thành phố đang nhận quá nhiều yêu cầu từ máy này. Hãy chờ khoảng ${retryAfterSeconds} giây; ứng dụng sẽ tự gửi lại, không cần làm gì thêm.`,
      'wait',
      { retryAfterSeconds },
    ),
  tooManyFailedAuth: (retryAfterSeconds: number) =>
    new IntakeError(
      429,
      'rate_limited',
      `Máy này đã gửi mã truy cập sai quá nhiều lần nên máy chủ thành phố tạm không nhận. Hãy kiểm tra lại mã truy cập trong phần Cài đặt (chép đủ, không thừa dấu cách), chờ khoảng ${retryAfterSeconds} giây rồi gửi lại.`,
      'act',
      { retryAfterSeconds },
    ),
  internal: (cause?: unknown) =>
    new IntakeError(
      500,
      'internal',
      'Máy chủ thành phố đang gặp sự cố tạm thời, gói chưa được lưu. Hãy chờ ít phút; ứng dụng sẽ tự gửi lại, không cần làm gì thêm.',
      'wait',
      undefined,
      { cause },
    ),
};
