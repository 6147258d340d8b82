/**
 * What a person reads about delivery: Vietnamese sentences that say whether to wait (the app
 * retries by itself) or to act (enter a new token, check the address, send the file another way).
 */
import { periodLabel } from '../../shared/index.js';
import type { Failure } from './client.js';

export const NOT_CONFIGURED =
  'Chưa cài đặt địa chỉ máy chủ và mã truy cập của thành phố. Hãy nhập trong phần Cài đặt (hoặc nhập tệp cài đặt do thành phố gửi); trong lúc chờ, vẫn có thể gửi tệp gói báo cáo qua email hoặc USB.';

export const NETWORK =
  'Chưa kết nối được tới máy chủ thành phố (mạng chập chờn hoặc mất kết nối). Không cần làm gì: ứng dụng sẽ tự gửi lại khi có mạng; báo cáo vẫn được lưu an toàn trên máy này.';

export const SERVER_BUSY =
  'Máy chủ thành phố đang bận hoặc gặp sự cố tạm thời. Không cần làm gì: ứng dụng sẽ tự gửi lại sau ít phút.';

export const NOT_INTAKE =
  'Địa chỉ máy chủ trong phần Cài đặt không trả lời như máy chủ tiếp nhận của thành phố. Hãy kiểm tra lại địa chỉ (do thành phố cung cấp) trong phần Cài đặt.';

export const INVALID_ANSWER =
  'Máy chủ tại địa chỉ trong phần Cài đặt trả lời không hợp lệ (câu trả lời lớn bất thường, không giống máy chủ tiếp nhận của thành phố) nên ứng dụng bỏ qua câu trả lời đó; báo cáo vẫn được lưu an toàn trên máy này. Ứng dụng sẽ tự thử lại sau; nếu lỗi này lặp lại, hãy kiểm tra lại địa chỉ máy chủ (do thành phố cung cấp) trong phần Cài đặt.';

export const TOKEN_REJECTED =
  'Máy chủ thành phố không nhận mã truy cập đang dùng. Hãy nhập mã truy cập mới do thành phố cấp trong phần Cài đặt; ứng dụng ngừng gửi cho đến khi có mã mới.';

export const CITY_TOKEN_ON_COMMUNE =
  'Mã truy cập đang dùng là mã của thành phố, không dùng để gửi báo cáo của đơn vị. Hãy nhập mã truy cập của đơn vị mình (do thành phố cấp) trong phần Cài đặt.';

export const UNIT_TOKEN_ON_CITY =
  'Mã truy cập đang dùng là mã của một đơn vị cấp xã, không dùng để lấy gói về thành phố. Hãy nhập mã truy cập của thành phố trong phần Cài đặt.';

/** A failure of the connection as a whole (not of one package). */
export function connectionMessage(f: Failure): string {
  if (f.kind === 'network') return NETWORK;
  if (f.action === 'wait') return f.message ?? SERVER_BUSY;
  if (f.status === 401) return f.message ? `${f.message} Ứng dụng ngừng gửi cho đến khi có mã mới.` : TOKEN_REJECTED;
  return f.message ?? NOT_INTAKE;
}

/** A package the server refused for good, named so the person knows which report it is. */
export function itemRefusal(period: string, revision: number, f: Failure): string {
  const why =
    f.kind === 'answer' && f.message
      ? f.message
      : 'Máy chủ trả lời không đúng như máy chủ tiếp nhận. Hãy kiểm tra lại địa chỉ máy chủ trong phần Cài đặt.';
  return `Máy chủ thành phố không nhận báo cáo ${periodLabel(period)}, lần nộp ${revision}. ${why} Trong lúc chờ, hãy gửi tệp gói báo cáo này qua email hoặc USB.`;
}

/** How long until the next automatic attempt, in words (the PC's clock is not trusted for a time of day). */
export function retryIn(ms: number): string {
  if (ms < 60_000) return `khoảng ${Math.max(1, Math.round(ms / 1000))} giây`;
  return `khoảng ${Math.round(ms / 60_000)} phút`;
}
