import { copyFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createCore } from '../core/handlers.js';
const cached = readdirSync(os.tmpdir()).find((f) => f.startsWith('cr-bench-requests-city-') && f.endsWith('.sqlite'))!;
const file = path.join(os.tmpdir(), 'bench-prof-list.sqlite');
copyFileSync(path.join(os.tmpdir(), cached), file);
const core = await createCore({ dbPath: file, resourcesDir: path.resolve('resources'), appVersion: 'b', now: () => new Date('2026-06-30T03:00:00Z') });
const h = core.handlers as any;
for (let i = 0; i < 3; i++) await h['requests.list']({});
const t: number[] = [];
for (let i = 0; i < 20; i++) { const t0 = performance.now(); await h['requests.list']({}); t.push(performance.now() - t0); }
t.sort((a, b) => a - b);
console.log('list p50', t[10]!.toFixed(1), 'min', t[0]!.toFixed(1));
await core.close();
