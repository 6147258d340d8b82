/**
 * The authoring workbook's speed (issue 8: build of the BC-CX authoring workbook ≤ 200 ms): the
 * file as shipped (resources/templates/BC-CX.xlsx) read under the guard, compiled and checked
 * (buildTemplateFromWorkbookSync, what core/resources.ts does at start), median and worst of 20
 * after one warm-up; and writing it back (writeAuthoringWorkbook).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildTemplateFromWorkbookSync, writeAuthoringWorkbook } from '../core/templates/workbook.js';

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
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchTemplates((name, value, goal) => console.log(`${name}: ${value} (goal ${goal})`));
}
