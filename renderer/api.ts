import type { Api, CallName, Input, Output } from '../shared/contract.js';
import { INTERNAL_MESSAGE } from '../shared/errors.js';

/**
 * The renderer's only way to the core: `window.api` under Electron (preload bridge), otherwise
 * HTTP `POST api/rpc/<name>` to the browser-mode server. Both answer `{ok, result | error}`.
 */

export interface ErrorShape {
  code: string;
  message: string;
  details?: unknown;
}
type Envelope = { ok: true; result: unknown } | { ok: false; error: ErrorShape };

interface Bridge {
  invoke(name: string, input: unknown): Promise<Envelope>;
}
interface Platform {
  saveFile(suggestedName: string, base64: string): Promise<boolean>;
  print(): void;
}

declare global {
  interface Window {
    api?: Bridge;
    platform?: Platform;
    showSaveFilePicker?: (options: {
      suggestedName?: string;
      types?: { description: string; accept: Record<string, string[]> }[];
    }) => Promise<{ createWritable(): Promise<{ write(data: Blob): Promise<void>; close(): Promise<void> }> }>;
  }
}

/** An error from a call, carrying the Vietnamese sentence to show (never a stack trace). */
export class ApiError extends Error {
  readonly code: string;
  readonly details?: unknown;
  constructor(shape: ErrorShape) {
    super(shape.message || INTERNAL_MESSAGE);
    this.name = 'ApiError';
    this.code = shape.code;
    this.details = shape.details;
  }
}

export const NETWORK_MESSAGE =
  'Không kết nối được với phần lưu trữ của ứng dụng. Hãy kiểm tra ứng dụng (cửa sổ dòng lệnh hoặc biểu tượng của nó) vẫn đang chạy; những gì bạn vừa nhập vẫn được giữ trên màn hình.';

export const LOGIN_MESSAGE =
  'Chưa đăng nhập hoặc phiên đăng nhập đã hết hạn. Đang chuyển tới trang đăng nhập; hãy đăng nhập lại, những gì đã lưu vẫn an toàn.';

/** The session is gone while typed values wait to be saved: the page stays, and says how to log in again. */
export const loginKeepMessage = (loginUrl: string) =>
  `Phiên đăng nhập đã hết hạn (hoặc ứng dụng trên máy chủ vừa khởi động lại) nên những gì vừa nhập CHƯA được lưu; chúng vẫn còn trên màn hình này, đừng tải lại hay đóng trang. Hãy mở một thẻ mới tại ${loginUrl}, đăng nhập, rồi quay lại thẻ này: ứng dụng sẽ tự lưu.`;

let unsavedWork: () => boolean = () => false;
/** The editor says whether typed values wait to be saved; a missing session then does not leave the page (they would be lost). */
export function setUnsavedWork(fn: (() => boolean) | null): void {
  unsavedWork = fn ?? (() => false);
}

/** The Vietnamese sentence for anything thrown. */
export function messageOf(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  return INTERNAL_MESSAGE;
}

/** Issue-like details (from validation or import refusals) as a list of sentences. */
export function detailMessages(e: unknown): string[] {
  const d = e instanceof ApiError ? e.details : undefined;
  const list: unknown[] = Array.isArray(d)
    ? d
    : d && typeof d === 'object'
      ? [
          ...(((d as { errors?: unknown[] }).errors ?? []) as unknown[]),
          ...(((d as { warnings?: unknown[] }).warnings ?? []) as unknown[]),
        ]
      : [];
  return list
    .map((x) =>
      typeof x === 'string'
        ? x
        : x && typeof x === 'object' && 'message' in x
          ? String((x as { message: unknown }).message)
          : '',
    )
    .filter(Boolean);
}

/** Whether the page was opened through a login (browser mode beyond loopback): the header then offers to log out. */
export async function loginInUse(): Promise<boolean> {
  if (window.api) return false;
  try {
    const res = await fetch('api/session');
    if (!res.ok) return false;
    const body = (await res.json()) as { result?: { login?: unknown } };
    return body.result?.login === true;
  } catch {
    return false;
  }
}

/** Close the session on the server (POST /logout); false when the server could not be reached. */
export async function logout(): Promise<boolean> {
  try {
    const res = await fetch('logout', { method: 'POST', redirect: 'manual' });
    return res.type === 'opaqueredirect' || res.ok;
  } catch {
    return false;
  }
}

let unloading = false;
/** While the page unloads, HTTP calls use keepalive so the last save still reaches the server. */
export function setUnloading(v: boolean): void {
  unloading = v;
}

/** Who is signed in (a city with users, issue 9), and the session's CSRF token. */
export type Me = Output<'auth.me'>;
let csrfToken: string | null = null;
let mePromise: Promise<Me | null> | null = null;

/**
 * auth.me, asked once at start (again with `refresh`): the signed-in city user for the header and
 * the users tab, and the CSRF token every later call sends in x-csrf-token. Null when it failed.
 */
export function whoAmI(refresh = false): Promise<Me | null> {
  if (!mePromise || refresh)
    mePromise = (async () => {
      try {
        const env = window.api ? await window.api.invoke('auth.me', {}) : await httpInvoke('auth.me', {});
        if (!env.ok) return null;
        const me = env.result as Me;
        csrfToken = me.csrf;
        return me;
      } catch {
        return null;
      }
    })();
  return mePromise;
}

async function httpInvoke(name: string, input: unknown, retried = false): Promise<Envelope> {
  // Every call but auth.me carries the session's CSRF token (fetched once by auth.me).
  if (name !== 'auth.me' && !mePromise) await whoAmI();
  let res: Response;
  try {
    res = await fetch(`api/rpc/${name}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(csrfToken && name !== 'auth.me' ? { 'x-csrf-token': csrfToken } : {}),
      },
      body: JSON.stringify(input),
      keepalive: unloading,
    });
  } catch {
    return { ok: false, error: { code: 'network', message: NETWORK_MESSAGE } };
  }
  if (res.status === 403 && !retried && name !== 'auth.me') {
    // A token of an older session (signed in again in another tab): ask for the current one, try once more.
    const body = (await res
      .clone()
      .json()
      .catch(() => null)) as { error?: { code?: string } } | null;
    if (body?.error?.code === 'csrf') {
      await whoAmI(true);
      return httpInvoke(name, input, true);
    }
  }
  if (res.status === 401) {
    // The browser mode beyond loopback asks for a login: no session (or it expired) → the login page,
    // unless typed values wait to be saved: leaving would lose them (the save is retried after a login elsewhere).
    const login = new URL('login', document.baseURI).href;
    if (unsavedWork()) return { ok: false, error: { code: 'unauthorized', message: loginKeepMessage(login) } };
    window.location.assign(login);
    return { ok: false, error: { code: 'unauthorized', message: LOGIN_MESSAGE } };
  }
  try {
    const body = (await res.json()) as Envelope;
    if (body && typeof body === 'object' && 'ok' in body) return body;
  } catch {
    /* not JSON: fall through */
  }
  return {
    ok: false,
    error: { code: 'internal', message: res.status >= 500 || res.status === 0 ? INTERNAL_MESSAGE : NETWORK_MESSAGE },
  };
}

export const api: Api = {
  async call<N extends CallName>(name: N, input: Input<N>): Promise<Output<N>> {
    let env: Envelope;
    try {
      env = window.api ? await window.api.invoke(name, input) : await httpInvoke(name, input);
    } catch (e) {
      console.error(`call ${name} failed`, e);
      throw new ApiError({ code: 'internal', message: INTERNAL_MESSAGE });
    }
    if (!env.ok) {
      console.warn(`call ${name} refused`, env.error);
      throw new ApiError(env.error);
    }
    return env.result as Output<N>;
  },
};

function base64ToBlob(base64: string, type: string): Blob {
  const bin = atob(base64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new Blob([bytes], { type });
}

const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** Save As: Electron's dialog, the File System Access API, or a download. False when the person cancelled. */
export async function saveFile(suggestedName: string, base64: string): Promise<boolean> {
  if (window.platform) return window.platform.saveFile(suggestedName, base64);
  const csv = /\.csv$/i.test(suggestedName);
  // A package with attachments is a .zip (the .xlsx and its files).
  const zip = /\.zip$/i.test(suggestedName);
  const blob = base64ToBlob(base64, csv ? 'text/csv' : zip ? 'application/zip' : XLSX_TYPE);
  if (window.showSaveFilePicker) {
    try {
      const handle = await window.showSaveFilePicker({
        suggestedName,
        types: [
          csv
            ? { description: 'CSV', accept: { 'text/csv': ['.csv'] } }
            : zip
              ? { description: 'ZIP', accept: { 'application/zip': ['.zip'] } }
              : { description: 'Excel', accept: { [XLSX_TYPE]: ['.xlsx'] } },
        ],
      });
      const w = await handle.createWritable();
      await w.write(blob);
      await w.close();
      return true;
    } catch (e) {
      if (e instanceof DOMException && e.name === 'AbortError') return false;
      console.warn('showSaveFilePicker failed, falling back to a download', e);
    }
  }
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = suggestedName;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return true;
}

export function printPage(): void {
  if (window.platform) window.platform.print();
  else window.print();
}

/** A picked file as base64 (without the data: prefix). */
export function readFileBase64(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => {
      const s = String(r.result);
      resolve(s.slice(s.indexOf(',') + 1));
    };
    r.onerror = () =>
      reject(
        new ApiError({
          code: 'corrupt_file',
          message: 'Không đọc được tệp đã chọn. Hãy chọn lại tệp hoặc sao chép tệp vào máy rồi thử lại.',
        }),
      );
    r.readAsDataURL(file);
  });
}
