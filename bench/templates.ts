/**
 * The authoring workbook's speed (issue 8: build of the BC-CX authoring workbook ≤ 200 ms): the
 * file as shipped (resources/templates/BC-CX.xlsx) read under the guard, compiled and checked
 * (buildTemplateFromWorkbookSync, what core/resources.ts does at start), median and worst of 20
 * after one warm-up; and writing it back (writeAuthoringWorkbook).
 * And the city's preview of a consolidation of BC-CX (templates.previewConsolidation: a sample return
 * for each of the 114 units, consolidated, written as the city's workbook), through a real core on a
 * SQLite file, median of 3, with the sampling alone beside it.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createCore } from '../core/handlers.js';
import { buildTemplateFromWorkbookSync, writeAuthoringWorkbook } from '../core/templates/workbook.js';
import { contract } from '../shared/contract.js';
import { sampleReturn } from '../shared/template/sample.js';

export type Report = (name: string, value: string, goal: string) => void;

const root = path.resolve(import.meta.dirname, '..');
const ms = (x: number) => `${x.toFixed(1)} ms`;

export async function benchTemplates(report: Report): Promise<void> {
  const bytes = readFileSync(path.join(root, 'resources/templates/BC-CX.xlsx'));
  const first = performance.now();
  const built = buildTemplateFromWorkbookSync(bytes);
  const cold = performance.now() - first;
  if (!built.template) throw new Error(`BC-CX.xlsx does not build: ${built.problems[0]?.message}`);
  const times: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    buildTemplateFromWorkbookSync(bytes);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  report(
    'Build of the BC-CX authoring workbook (read under the guard, compile, check; median / worst of 20)',
    `${ms(times[10]!)} / ${ms(times[19]!)} (first, cold: ${ms(cold)}; ${bytes.length.toLocaleString('en')} bytes)`,
    '≤ 200 ms',
  );
  const w0 = performance.now();
  const out = await writeAuthoringWorkbook(built.template);
  report('Write of the BC-CX authoring workbook (ExcelJS, styled)', `${ms(performance.now() - w0)} (${out.length.toLocaleString('en')} bytes)`, 'none');

  // The consolidation preview, as the city's "Mẫu báo cáo" tab asks for it.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cr-bench-preview-'));
  const core = await createCore({ dbPath: path.join(dir, 'city.sqlite'), resourcesDir: path.join(root, 'resources'), appVersion: 'bench' });
  try {
    const call = async (name: 'app.setup' | 'templates.previewConsolidation', input: unknown) =>
      (core.handlers[name] as (i: unknown) => Promise<unknown>)(contract[name].input.parse(input));
    await call('app.setup', { role: 'city' });
    const input = { template: built.template, period: '2026-Q2', seed: 1 };
    const runs: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      await call('templates.previewConsolidation', input);
      runs.push(performance.now() - t0);
    }
    runs.sort((a, b) => a - b);
    const units = core.resources.shippedUnits.units;
    const s0 = performance.now();
    units.forEach((u, i) => sampleReturn(built.template!, { unit: u, period: '2026-Q2', seed: 1009 + i }));
    report(
      `Consolidation preview of BC-CX over ${units.length} units (templates.previewConsolidation, median of 3)`,
      `${ms(runs[1]!)} (of which the ${units.length} sample returns: ${ms(performance.now() - s0)})`,
      '≤ 2 s',
    );
  } finally {
    await core.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchTemplates((name, value, goal) => console.log(`${name}: ${value} (goal ${goal})`));
}
