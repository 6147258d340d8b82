/**
 * `npm run bench`: speed figures, printed, never asserted.
 * - package write and read back per return (goal ≤ 50 ms each)
 * - keystroke to durably saved through the HTTP transport, p50/p95 (goal p95 ≤ 30 ms)
 * - renderer bundle size gzipped (goal ≤ 400 KB)
 * - first form shown in Chromium after start (goal ≤ 1 s)
 * - city import of 114 and 3,321 packages against SheetJS's parse alone, consolidation (bench/import.ts)
 * - delivery: bytes on the wire, one package over 64 kbit/s · 400 ms RTT · 5% loss, intake throughput (bench/delivery.ts)
 * - the editor of a 500-input template: open in Chromium (goal ≤ 300 ms), a keystroke's main-thread cost (goal ≤ 16 ms) (bench/editor.ts)
 * - the build of the BC-CX authoring workbook (goal ≤ 200 ms) (bench/templates.ts)
 * - requests at city scale: requests.list (≤ 300 ms), completeness (≤ 200 ms) and consolidation of a request,
 *   a commune's Việc phải nộp (≤ 100 ms), receiving editions by file and by inbox pull, sign-in (bench/requests.ts)
 * `npm run bench -- <name>` runs one of: package, keystroke, bundle, first-form, import, delivery, editor, templates, requests.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, existsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { randomUUID } from 'node:crypto';
import { chromium } from '@playwright/test';
import { parsePeriod, type ReturnJson, type Template } from '../shared/index.js';
import { writePackage, readPackage } from '../core/xlsx/index.js';
import { draftChanges } from '../shared/draft.js';
import { sampleReturn } from '../tests/helpers/sample.js';
import { benchImport } from './import.js';
import { benchDelivery } from './delivery.js';
import { benchEditor } from './editor.js';
import { benchTemplates } from './templates.js';
import { benchRequests } from './requests.js';
import { loadTemplates } from '../core/resources.js';

const root = path.resolve(import.meta.dirname, '..');
const results: { name: string; value: string; goal: string }[] = [];
const report = (name: string, value: string, goal: string) => {
  results.push({ name, value, goal });
  console.log(`${name}: ${value} (goal ${goal})`);
};
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const ms = (x: number) => `${x.toFixed(1)} ms`;

const template: Template = loadTemplates(path.join(root, 'resources/templates')).get('BC-CX@1')!;
const unit = { code: '11948', type: 'phường', name: 'Phường Hồng Bàng' };

async function benchPackage(): Promise<void> {
  const ret: ReturnJson = { ...sampleReturn(), revision: 1 };
  const meta = () => ({ packageId: randomUUID(), revision: 1, createdAt: new Date().toISOString(), submittedAt: new Date().toISOString(), submittedBy: 'bench', appVersion: 'bench' });
  // warm up
  for (let i = 0; i < 3; i++) await readPackage(await writePackage({ template, ret, unit, meta: meta() }), () => template);
  const w: number[] = [];
  const r: number[] = [];
  let buf: Buffer = Buffer.alloc(0);
  for (let i = 0; i < 30; i++) {
    let t = performance.now();
    buf = await writePackage({ template, ret, unit, meta: meta() });
    w.push(performance.now() - t);
    t = performance.now();
    await readPackage(buf, () => template);
    r.push(performance.now() - t);
  }
  report('Package write per return (p50 / p95)', `${ms(pct(w, 50))} / ${ms(pct(w, 95))}; ${(buf.length / 1024).toFixed(1)} KB`, '≤ 50 ms');
  report('Package read back per return (p50 / p95)', `${ms(pct(r, 50))} / ${ms(pct(r, 95))}`, '≤ 50 ms');
}

let bundled = false;
function cliBundle(): string {
  if (!bundled) {
    const r = spawnSync(process.execPath, [path.join(root, 'scripts/build-cli.js')], { cwd: root, stdio: 'inherit' });
    if (r.status !== 0) throw new Error('the command line could not be bundled');
    bundled = true;
  }
  return path.join(root, 'dist-cli/bin.js');
}

function startWeb(db: string): Promise<{ url: string; stop: () => void; startedAt: number; readyAt: number }> {
  const startedAt = performance.now();
  // The bundled command line, as `npm start` runs it (scripts/build-cli.js).
  const child = spawn(process.execPath, [cliBundle(), 'web', '--db', db, '--port', '0'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /(http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve({ url: m[1]!, stop: () => child.kill('SIGTERM'), startedAt, readyAt: performance.now() });
    });
    child.on('exit', (c) => reject(new Error(`web exited ${c}: ${out}`)));
  });
}

async function rpc(url: string, name: string, input: unknown): Promise<any> {
  const res = await fetch(`${url}/api/rpc/${name}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(input) });
  const j = (await res.json()) as { ok: boolean; result?: unknown; error?: { message: string } };
  if (!j.ok) throw new Error(j.error?.message);
  return j.result;
}

async function benchKeystroke(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cr-bench-'));
  const web = await startWeb(path.join(dir, 'commune.sqlite'));
  try {
    await rpc(web.url, 'app.setup', { role: 'commune', unitCode: unit.code });
    const state = await rpc(web.url, 'returns.open', { template: 'BC-CX', period: '2026-Q2' });
    const values = structuredClone(sampleReturn().values) as any;
    // The whole sample first, then one cell per keystroke, each naming its change and base version (issue 7).
    const first = draftChanges(template, { values: {}, explanations: {}, asOf: state.asOf }, { values, explanations: {}, asOf: state.asOf });
    let version = (await rpc(web.url, 'returns.saveDraft', { returnId: state.returnId, baseVersion: state.draftVersion, changes: first })).draftVersion;
    const cellPath = 'procedures.fields.ho_tich.new_online';
    const lat: number[] = [];
    for (let i = 0; i < 300; i++) {
      const before = values.procedures.fields.ho_tich.new_online;
      values.procedures.fields.ho_tich.new_online = 100 + i; // one keystroke's change
      const t = performance.now();
      const r = await rpc(web.url, 'returns.saveDraft', { returnId: state.returnId, baseVersion: version, changes: [{ path: cellPath, before, after: 100 + i }] });
      lat.push(performance.now() - t);
      if (r.conflicts.length) throw new Error(`keystroke ${i} was refused as a conflict`);
      version = r.draftVersion;
    }
    report('Keystroke to durably saved over HTTP (p50 / p95, 300 saves)', `${ms(pct(lat, 50))} / ${ms(pct(lat, 95))}`, 'p95 ≤ 30 ms');
  } finally {
    web.stop();
  }
}

function benchBundle(): void {
  const dist = path.join(root, 'dist', 'renderer');
  if (!existsSync(path.join(dist, 'index.html')) || process.env.BENCH_REBUILD) {
    const r = spawnSync(process.execPath, [path.join(root, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
    if (r.status !== 0) throw new Error('vite build failed');
  }
  let raw = 0;
  let gz = 0;
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(js|css|html)$/.test(e.name)) {
        raw += statSync(p).size;
        gz += gzipSync(readFileSync(p), { level: 9 }).length;
      }
    }
  };
  walk(dist);
  report('Renderer bundle (JS + CSS + HTML), gzipped', `${(gz / 1024).toFixed(1)} KB (${(raw / 1024).toFixed(0)} KB raw)`, '≤ 400 KB');
}

async function benchFirstForm(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cr-bench-'));
  const db = path.join(dir, 'commune.sqlite');
  // A commune database with its role chosen, as after the first start.
  const jsonFile = path.join(dir, 'r.json');
  writeFileSync(jsonFile, JSON.stringify({ ...sampleReturn(), period: '2025-Q4' }));
  spawnSync(process.execPath, [path.join(root, 'bin/commune-returns.js'), 'submit', '--db', db, '--from-json', jsonFile], { cwd: root });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  const times: number[] = [];
  const server: number[] = [];
  const page: number[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      const tab = await browser.newPage();
      const web = await startWeb(db);
      try {
        await tab.goto(`${web.url}/#/return/${parsePeriod('2026-Q2')!.code}`);
        await tab.locator('input:visible').first().waitFor({ state: 'visible', timeout: 30_000 });
        const shown = performance.now();
        times.push(shown - web.startedAt);
        server.push(web.readyAt - web.startedAt);
        page.push(shown - web.readyAt);
      } finally {
        web.stop();
        await tab.close();
      }
    }
  } finally {
    await browser.close();
  }
  report(
    'First form shown in Chromium after start (process start → inputs visible, median of 3)',
    `${ms(pct(times, 50))}: server ready in ${ms(pct(server, 50))}, page to form ${ms(pct(page, 50))}`,
    '≤ 1 s',
  );
}

const only = process.argv[2];
for (const [name, fn] of [
  ['package', benchPackage],
  ['keystroke', benchKeystroke],
  ['bundle', benchBundle],
  ['first-form', benchFirstForm],
  ['import', () => benchImport(report)],
  ['delivery', () => benchDelivery(report)],
  ['editor', () => benchEditor(report)],
  ['templates', () => benchTemplates(report)],
  ['requests', () => benchRequests(report)],
] as const) {
  if (only && only !== name) continue;
  try {
    await fn();
  } catch (e) {
    console.log(`${name}: could not be measured: ${(e as Error).message}`);
  }
}
// Every figure with its target, in one table (issue 8: "Speed (npm run bench, printed)").
console.log(`\nSummary (${new Date().toISOString()}, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}, ${os.cpus().length} cores)`);
const cols = ['Figure', 'Measured', 'Target'] as const;
const rows = results.map((r) => [r.name, r.value, r.goal]);
const width = cols.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(width[i]!)).join(' | ')} |`;
console.log(line(cols));
console.log(`|${width.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const r of rows) console.log(line(r));
