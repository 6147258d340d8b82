import { defineConfig } from '@playwright/test';

// Electron end-to-end tests: run by `npm test` only where Electron's binary is installed.
export default defineConfig({
  testDir: 'tests/e2e-electron',
  timeout: 120_000,
  workers: 1,
  outputDir: 'test-results/electron',
});
