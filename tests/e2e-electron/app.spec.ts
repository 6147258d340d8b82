import { _electron as electron, expect, test } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');
const shots = path.join(root, 'tests', 'output', 'screenshots');

function electronPath(): string | null {
  try {
    return createRequire(import.meta.url)('electron') as string;
  } catch {
    return null;
  }
}

test('the desktop window starts with secure defaults and the first-start screen', async () => {
  const exe = electronPath();
  test.skip(!exe, 'Electron is not installed here: its binary could not be downloaded.');
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'cr-electron-'));
  const app = await electron.launch({ executablePath: exe!, args: [root], env: { ...process.env, COMMUNE_RETURNS_DATA_DIR: dataDir } });
  try {
    const win = await app.firstWindow();
    await expect(win.getByText('Xã/phường/đặc khu', { exact: false }).first()).toBeVisible({ timeout: 30_000 });
    // The page has no Node: no require, no process; only the narrow bridge.
    expect(await win.evaluate(() => typeof (window as unknown as { require?: unknown }).require)).toBe('undefined');
    expect(await win.evaluate(() => typeof (window as unknown as { process?: unknown }).process)).toBe('undefined');
    expect(await win.evaluate(() => typeof (window as unknown as { api?: { invoke?: unknown } }).api?.invoke)).toBe('function');
    const prefs = await app.evaluate(({ BrowserWindow }) => {
      const w = BrowserWindow.getAllWindows()[0]!;
      const p = w.webContents.getLastWebPreferences();
      return { contextIsolation: p?.contextIsolation, sandbox: p?.sandbox, nodeIntegration: p?.nodeIntegration };
    });
    expect(prefs).toEqual({ contextIsolation: true, sandbox: true, nodeIntegration: false });
    // IPC input is validated against the contract.
    const bad = await win.evaluate(() => (window as unknown as { api: { invoke: (n: string, i: unknown) => Promise<{ ok: boolean; error?: { message: string } }> } }).api.invoke('returns.open', { template: 42 }));
    expect(bad.ok).toBe(false);
    expect(bad.error?.message).toMatch(/không hợp lệ/);
    // Navigation away is refused.
    await win.evaluate(() => { window.location.href = 'https://example.org/'; });
    await win.waitForTimeout(500);
    expect(win.url()).toMatch(/^file:/);
    await win.screenshot({ path: path.join(shots, 'electron-first-start.png') });
  } finally {
    await app.close();
  }
});
