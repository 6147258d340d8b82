/**
 * What both servers answer when Node's HTTP parser itself refuses a request (headers too large, a
 * request line that is not HTTP, a client too slow to send its headers): Fastify's default writes
 * English JSON on the socket. Ours writes the server's own Vietnamese error shape instead.
 */
import type { Socket } from 'node:net';

export type ClientErrorBody = (status: number, message: string) => unknown;

const MESSAGES: Record<number, string> = {
  408: 'Yêu cầu gửi tới máy chủ quá chậm nên bị ngắt. Hãy kiểm tra kết nối mạng rồi thử lại.',
  431: 'Yêu cầu gửi tới máy chủ có phần đầu (header, cookie) quá lớn. Hãy xoá cookie của trang này trong trình duyệt rồi thử lại.',
  400: 'Yêu cầu gửi tới máy chủ không đúng dạng HTTP nên không đọc được. Hãy kiểm tra lại địa chỉ và chương trình đang dùng rồi thử lại.',
};

/** A `clientErrorHandler` for Fastify's options: `body(status, message)` is the server's error shape. */
export function clientErrorHandler(body: ClientErrorBody) {
  return (err: NodeJS.ErrnoException, socket: Socket): void => {
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    const status = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    const json = JSON.stringify(body(status, MESSAGES[status]!));
    if (socket.writable)
      socket.write(
        `HTTP/1.1 ${status} ${status === 408 ? 'Request Timeout' : status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}\r\n` +
          `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`,
      );
    socket.destroy(err);
  };
}
