import { defineConfig } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * End-to-end tests of the browser mode: the real server (`commune-returns web`) on a fresh SQLite
 * file, the built renderer, Debian's Chromium (no browser download). The renderer is built by the
 * web server command below, so `npx playwright test` works on its own.
 */
const PORT = Number(process.env.E2E_PORT ?? 47631);
// Set once in the main process; workers inherit it, so every test sees the same database path.
process.env.E2E_DB ??= path.join(mkdtempSync(path.join(tmpdir(), 'commune-e2e-')), 'commune.sqlite');
process.env.E2E_BASE_URL = `http://127.0.0.1:${PORT}`;

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];

export default defineConfig({
  testDir: 'tests/e2e',
  outputDir: 'test-results',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 180_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  use: {
    baseURL: process.env.E2E_BASE_URL,
    browserName: 'chromium',
    headless: true,
    viewport: { width: 1366, height: 768 },
    locale: 'vi-VN',
    timezoneId: 'Asia/Ho_Chi_Minh',
    acceptDownloads: true,
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: CHROMIUM_ARGS,
    },
    actionTimeout: 20_000,
    trace: 'off',
    screenshot: 'only-on-failure',
  },
  webServer: {
    command: `node node_modules/vite/bin/vite.js build --logLevel warn && node bin/commune-returns.js web --db "${process.env.E2E_DB}" --port ${PORT}`,
    url: `${process.env.E2E_BASE_URL}/`,
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: 'pipe',
    stderr: 'pipe',
  },
});
