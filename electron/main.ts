/**
 * Electron main process: one window with secure defaults, the core behind IPC.
 * Every IPC input is validated against the contract before a handler sees it.
 */
import { app, BrowserWindow, dialog, ipcMain, session, shell } from 'electron';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { contract, isCallName, toErrorShape, AppError } from '../shared/index.js';
import { createCore, type Core } from '../core/handlers.js';

const isPackaged = app.isPackaged;
const rootDir = isPackaged ? process.resourcesPath : path.resolve(__dirname, '..');
const resourcesDir = path.join(rootDir, 'resources');
const rendererIndex = path.join(isPackaged ? path.join(process.resourcesPath, 'app.asar') : rootDir, 'dist', 'renderer', 'index.html');
const dataDir = process.env.COMMUNE_RETURNS_DATA_DIR ?? app.getPath('userData');
const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

let core: Core | undefined;

function fail(e: unknown) {
  if (!(e instanceof AppError)) console.error('[ipc]', e);
  return { ok: false as const, error: toErrorShape(e) };
}

function registerIpc(): void {
  ipcMain.handle('api', async (event, name: unknown, input: unknown) => {
    if (event.senderFrame?.url && !event.senderFrame.url.startsWith('file://')) return fail(new AppError('refused', 'Yêu cầu không hợp lệ.'));
    if (typeof name !== 'string' || !isCallName(name)) return fail(new AppError('invalid_input', 'Yêu cầu không hợp lệ: không có chức năng này.'));
    const parsed = contract[name].input.safeParse(input ?? {});
    if (!parsed.success)
      return fail(new AppError('invalid_input', 'Dữ liệu gửi lên không hợp lệ. Hãy tải lại màn hình và thử lại.', parsed.error.issues));
    try {
      if (!core) throw new AppError('internal', 'Ứng dụng chưa khởi động xong. Hãy đợi vài giây rồi thử lại.');
      const handler = core.handlers[name] as (i: unknown) => unknown;
      return { ok: true as const, result: await handler(parsed.data) };
    } catch (e) {
      return fail(e);
    }
  });
  ipcMain.handle('platform:saveFile', async (event, suggestedName: unknown, base64: unknown) => {
    if (typeof suggestedName !== 'string' || typeof base64 !== 'string') return false;
    const win = BrowserWindow.fromWebContents(event.sender);
    // A package as .xlsx, a package with attachments as .zip (issue 8), a list as .csv, an attachment as .pdf/.png/.jpg.
    const ext = path.extname(suggestedName).slice(1).toLowerCase();
    const filter = /^(zip|csv|pdf|png|jpe?g|json|pem|docx)$/.test(ext) ? { name: ext.toUpperCase(), extensions: [ext] } : { name: 'Excel', extensions: ['xlsx'] };
    const options = { defaultPath: path.basename(suggestedName), filters: [filter] };
    const res = win ? await dialog.showSaveDialog(win, options) : await dialog.showSaveDialog(options);
    if (res.canceled || !res.filePath) return false;
    await writeFile(res.filePath, Buffer.from(base64, 'base64'));
    return true;
  });
  ipcMain.handle('platform:print', (event) => {
    event.sender.print({ pageSize: 'A4', printBackground: true });
  });
}

function createWindow(): void {
  const win = new BrowserWindow({
    width: 1366,
    height: 860,
    minWidth: 1024,
    minHeight: 640,
    title: 'Báo cáo của UBND cấp xã — Hải Phòng',
    show: false,
    webPreferences: {
      preload: path.join(__dirname, 'preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      spellcheck: false,
    },
  });
  win.once('ready-to-show', () => win.show());
  win.webContents.on('will-navigate', (e) => e.preventDefault());
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
  void win.loadFile(rendererIndex);
}

app.on('web-contents-created', (_e, contents) => {
  contents.on('will-attach-webview', (e) => e.preventDefault());
});

if (!app.requestSingleInstanceLock()) app.quit();
else {
  app.on('second-instance', () => {
    const w = BrowserWindow.getAllWindows()[0];
    if (w) {
      if (w.isMinimized()) w.restore();
      w.focus();
    }
  });
  void app.whenReady().then(async () => {
    session.defaultSession.setPermissionRequestHandler((_wc, _perm, cb) => cb(false));
    session.defaultSession.webRequest.onHeadersReceived((details, cb) =>
      cb({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } }),
    );
    try {
      core = await createCore({ dbPath: path.join(dataDir, 'commune-returns.sqlite'), resourcesDir, appVersion: app.getVersion() });
    } catch (e) {
      const shape = toErrorShape(e);
      console.error('[start]', e);
      dialog.showErrorBox('Không mở được dữ liệu', shape.message);
      app.exit(1);
      return;
    }
    registerIpc();
    createWindow();
  });
  app.on('window-all-closed', () => {
    void Promise.resolve(core?.close()).finally(() => app.quit());
  });
}
