// `npm start`: the desktop app where Electron's binary is installed, otherwise the browser mode
// on 127.0.0.1 (the same core behind HTTP), with its address printed.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, statSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';

const root = path.resolve(import.meta.dirname, '..');
const require = createRequire(import.meta.url);

function electronBinary() {
  try {
    const bin = require('electron'); // the package exports the path of its binary
    return typeof bin === 'string' && existsSync(bin) ? bin : null;
  } catch {
    return null;
  }
}

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

function ensureRendererBuilt() {
  const index = path.join(root, 'dist', 'renderer', 'index.html');
  const stale = !existsSync(index) || newestMtime(path.join(root, 'renderer')) > statSync(index).mtimeMs;
  if (!stale) return;
  console.log('Đang chuẩn bị giao diện (lần đầu có thể mất khoảng một phút)…');
  const r = spawnSync(process.execPath, [path.join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error('Không chuẩn bị được giao diện. Hãy chạy lại `npm ci` rồi `npm start`.');
    process.exit(1);
  }
}

/** The bundled command line (dist-cli/), rebuilt when a source of the core, server, CLI or shared changed. */
function ensureCliBuilt() {
  const bundle = path.join(root, 'dist-cli', 'bin.js');
  const sources = ['cli', 'core', 'server', 'shared'].map((d) => newestMtime(path.join(root, d)));
  if (existsSync(bundle) && Math.max(...sources) <= statSync(bundle).mtimeMs) return bundle;
  const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'build-cli.js')], { cwd: root, stdio: 'inherit' });
  return r.status === 0 ? bundle : path.join(root, 'bin', 'commune-returns.js');
}

function dataDir() {
  if (process.env.COMMUNE_RETURNS_DATA_DIR) return process.env.COMMUNE_RETURNS_DATA_DIR;
  const base = process.platform === 'win32' ? process.env.APPDATA ?? path.join(os.homedir(), 'AppData', 'Roaming')
    : process.platform === 'darwin' ? path.join(os.homedir(), 'Library', 'Application Support')
    : process.env.XDG_DATA_HOME ?? path.join(os.homedir(), '.local', 'share');
  return path.join(base, 'commune-returns');
}

function portFree(port) {
  return new Promise((resolve) => {
    const s = net.createServer().once('error', () => resolve(false)).once('listening', () => s.close(() => resolve(true)));
    s.listen(port, '127.0.0.1');
  });
}

/**
 * better-sqlite3 in node_modules is built for Node (the CLI, the tests, the browser mode). For a
 * development Electron run, build a second copy for Electron's ABI under dist-electron/ once
 * (prebuilt download, else a compile against Electron's headers) and hand its path to the core.
 */
function electronSqliteBinding() {
  const version = require('electron/package.json').version;
  const dir = path.join(root, 'dist-electron', `better-sqlite3-electron-${version}`);
  const file = path.join(dir, 'build', 'Release', 'better_sqlite3.node');
  if (existsSync(file)) return file;
  console.log('Đang chuẩn bị thư viện SQLite cho Electron (chỉ lần đầu)…');
  cpSync(path.join(root, 'node_modules', 'better-sqlite3'), dir, { recursive: true, filter: (p) => !p.includes(`${path.sep}build${path.sep}`) });
  const prebuilt = spawnSync(process.execPath, [require.resolve('prebuild-install/bin.js'), '--runtime', 'electron', '--target', version], { cwd: dir, stdio: 'inherit' });
  if (prebuilt.status !== 0) {
    const gyp = spawnSync(process.execPath, [require.resolve('node-gyp/bin/node-gyp.js'), 'rebuild', '--release', `--target=${version}`, '--dist-url=https://electronjs.org/headers'], { cwd: dir, stdio: 'inherit' });
    if (gyp.status !== 0) {
      console.error('Không chuẩn bị được SQLite cho Electron. Hãy kiểm tra kết nối mạng rồi chạy lại `npm start`.');
      process.exit(1);
    }
  }
  return file;
}

ensureRendererBuilt();
const electron = electronBinary();
if (electron) {
  const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'build-electron.js')], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
  const binding = electronSqliteBinding();
  const child = spawn(electron, [root], { stdio: 'inherit', env: { ...process.env, ...(binding ? { COMMUNE_RETURNS_SQLITE_BINDING: binding } : {}) } });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  console.log('Không tìm thấy Electron trên máy này: chạy ở chế độ trình duyệt.');
  const dir = dataDir();
  mkdirSync(dir, { recursive: true });
  const preferred = Number(process.env.PORT ?? 4380);
  const port = (await portFree(preferred)) ? preferred : 0;
  const child = spawn(process.execPath, [ensureCliBuilt(), 'web', '--db', path.join(dir, 'commune-returns.sqlite'), '--port', String(port)], { cwd: root, stdio: 'inherit' });
  const stop = () => child.kill('SIGTERM');
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  child.on('exit', (code) => process.exit(code ?? 0));
}
