/**
 * Engineer L (issue 8), Node side of tests/e2e/issue8-city-versions.spec.ts: the two versions of the
 * test template as JSON and real packages written by core/xlsx, in the order the city receives them.
 *
 *   <out>/v1.json, <out>/v2.json            the template's versions
 *   <out>/before/*.xlsx                     v1 packages imported before v2 is published
 *   <out>/after/*.xlsx                      a late v1 package, v2 packages and a v2 resubmission
 *   <out>/bccx/*.xlsx                       12 BC-CX packages of 2026-Q2 (its distributions name their buckets)
 *   <out>/fixtures.json                     the units' names for the spec
 *
 * Usage: node --import tsx tests/e2e/issue8-city-versions-fixtures.ts <out>
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Template, Unit } from '../../shared/index.js';
import { makePackage } from '../helpers/city-packages.js';
import { loadResources } from '../../core/resources.js';
import { resourcesDir } from '../helpers/sample.js';
import { sampleReturn } from '../../shared/template/sample.js';
import { cityReturns, haiphongUnits } from '../helpers/city-returns.js';
import { PERIOD, v1Template, v2Template } from '../helpers/issue8-city-versions-data.js';

const arg = process.argv[2];
if (!arg) throw new Error('usage: issue8-city-versions-fixtures.ts <out>');
const out: string = arg;
for (const d of ['before', 'after', 'bccx']) mkdirSync(path.join(out, d), { recursive: true });
const v1 = v1Template();
const v2 = v2Template();
writeFileSync(path.join(out, 'v1.json'), JSON.stringify(v1));
writeFileSync(path.join(out, 'v2.json'), JSON.stringify(v2));
const [a, b, c, d] = haiphongUnits();

async function write(folder: string, t: Template, unit: Unit, values: Record<string, number>, revision = 1): Promise<void> {
  const p = await makePackage(
    { template: t.id, templateVersion: t.version, unit: unit.code, period: PERIOD, values: { chung: values } },
    { template: t, unit, revision, variant: `${t.id}@${t.version}` },
  );
  writeFileSync(path.join(out, folder, `${String(revision)}-${p.fileName}`), p.bytes);
}
await write('before', v1, a!, { so_can_bo: 10, so_phong: 3, so_xe: 1 });
await write('before', v1, d!, { so_can_bo: 40, so_phong: 6, so_xe: 2 });
await write('after', v1, b!, { so_can_bo: 20, so_phong: 4, so_xe: 3 });
await write('after', v2, c!, { so_can_bo: 30, so_phong: 5, so_may_tinh: 12 });
await write('after', v2, d!, { so_can_bo: 41, so_phong: 6, so_may_tinh: 8 }, 2);
// BC-CX packages (2026-Q2) for its distributions with bucket labels.
for (const ret of cityReturns().slice(0, 12)) {
  const p = await makePackage(ret);
  writeFileSync(path.join(out, 'bccx', p.fileName), p.bytes);
}
// A PCM return (long texts, dates, tables) of a unit with a HĐND, for the review screen.
const res = loadResources(resourcesDir);
const pcm = res.templates.get('PCM@1')!;
const pcmUnit = res.shippedUnits.units.find((u) => u.attributes?.co_hdnd === '1') ?? res.shippedUnits.units[0]!;
mkdirSync(path.join(out, 'pcm'), { recursive: true });
const pcmPkg = await makePackage(
  { template: pcm.id, templateVersion: pcm.version, unit: pcmUnit.code, period: '2026-H1', values: sampleReturn(pcm, { unit: pcmUnit, period: '2026-H1', seed: 7 }) },
  { template: pcm, unit: pcmUnit, variant: 'PCM' },
);
writeFileSync(path.join(out, 'pcm', pcmPkg.fileName), pcmPkg.bytes);
writeFileSync(path.join(out, 'fixtures.json'), JSON.stringify({ a: a!, b: b!, c: c!, d: d!, pcm: pcmUnit }));
