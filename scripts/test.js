// `npm test`: typecheck, lint, unit and integration tests (Vitest), the renderer build, end-to-end
// tests in Chromium (Playwright) and, where Electron's binary exists, in Electron. Prints one
// closing line "N passed, N failed, N skipped" over every test run.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const out = path.join(root, 'tests', 'output');
mkdirSync(out, { recursive: true });
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
const totals = { passed: 0, failed: 0, skipped: 0 };
const failedSteps = [];

function step(title, cmd, args, env = {}) {
  console.log(`\n=== ${title} ===`);
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  const ok = r.status === 0;
  console.log(`--- ${title}: ${ok ? 'ok' : `FAILED (exit ${r.status ?? r.signal})`} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  if (!ok) failedSteps.push(title);
  return ok;
}

function countVitest(file) {
  if (!existsSync(file)) return;
  const j = JSON.parse(readFileSync(file, 'utf8'));
  totals.passed += j.numPassedTests ?? 0;
  totals.failed += j.numFailedTests ?? 0;
  totals.skipped += (j.numPendingTests ?? 0) + (j.numTodoTests ?? 0);
}

function countPlaywright(file) {
  if (!existsSync(file)) return;
  const j = JSON.parse(readFileSync(file, 'utf8'));
  const s = j.stats ?? {};
  totals.passed += (s.expected ?? 0) + (s.flaky ?? 0);
  totals.failed += s.unexpected ?? 0;
  totals.skipped += s.skipped ?? 0;
}

function electronBinary() {
  try {
    const p = createRequire(import.meta.url)('electron');
    return typeof p === 'string' && existsSync(p) ? p : null;
  } catch {
    return null;
  }
}

const electron = electronBinary();

step('Typecheck (shared, core, server, cli, tests)', bin('tsc'), ['-p', 'tsconfig.json', '--noEmit']);
step('Typecheck (renderer)', bin('tsc'), ['-p', 'tsconfig.renderer.json', '--noEmit']);
if (electron) step('Typecheck (electron)', bin('tsc'), ['-p', 'tsconfig.electron.json', '--noEmit']);
else console.log('\n=== Typecheck (electron): skipped: the electron package is not installed here (its binary cannot be downloaded on this machine), so its types are absent; the bundle step below still compiles electron/. ===');
step('Lint', bin('eslint'), ['.', '--max-warnings', '0']);
step('Bundle electron main and preload', process.execPath, ['scripts/build-electron.js']);

for (const f of ['vitest.json', 'e2e.json', 'e2e-electron.json']) rmSync(path.join(out, f), { force: true });
step('Unit and integration tests (Vitest)', bin('vitest'), ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${path.join(out, 'vitest.json')}`]);
countVitest(path.join(out, 'vitest.json'));

if (step('Build renderer', bin('vite'), ['build', '--logLevel', 'warn'])) {
  step('End-to-end tests in Chromium (Playwright)', bin('playwright'), ['test', '--reporter=list,json'], { PLAYWRIGHT_JSON_OUTPUT_NAME: path.join(out, 'e2e.json') });
  countPlaywright(path.join(out, 'e2e.json'));
}

if (electron) {
  step('End-to-end tests in Electron (Playwright _electron)', bin('playwright'), ['test', '-c', 'playwright.electron.config.ts', '--reporter=list,json'], {
    PLAYWRIGHT_JSON_OUTPUT_NAME: path.join(out, 'e2e-electron.json'),
  });
  countPlaywright(path.join(out, 'e2e-electron.json'));
} else {
  console.log('\n=== End-to-end tests in Electron: skipped: Electron\'s binary is not installed (npm could not download it on this machine). They run with `npm test` wherever `npm ci` could install electron. ===');
  totals.skipped += 1;
}

console.log(`\nSteps failed: ${failedSteps.length ? failedSteps.join('; ') : 'none'}`);
console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(failedSteps.length ? 1 : 0);
