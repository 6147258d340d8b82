/**
 * Engineer G (issue 8), Node side of tests/e2e/issue8-consolidation.spec.ts: real packages of the
 * consolidation fixture template written by core/xlsx for the Hải Phòng units of 2026-Q2 (every 11th
 * unit missing), and the unit list with its co_hdnd column.
 *
 *   <out>/goi/*.xlsx          the packages
 *   <out>/danh-muc.csv        the unit list (code,type,name,co_hdnd)
 *   <out>/fixtures.json       what the spec checks (figures computed by shared/consolidate)
 *
 * Usage: node --import tsx tests/e2e/issue8-consolidation-fixtures.ts <out>
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Papa from 'papaparse';
import { consolidate, type CountWhereFigure, type StatsFigure } from '../../shared/consolidate.js';
import { makePackage } from '../helpers/city-packages.js';
import { PERIOD, fixtureTemplate, unitsWithAttributes, valuesFor } from '../helpers/issue8-consolidation-data.js';

const out = process.argv[2];
if (!out) throw new Error('usage: issue8-consolidation-fixtures.ts <out>');
const folder = path.join(out, 'goi');
mkdirSync(folder, { recursive: true });

const t = fixtureTemplate();
const units = unitsWithAttributes();
writeFileSync(
  path.join(out, 'danh-muc.csv'),
  Papa.unparse(units.map((u) => ({ code: u.code, type: u.type, name: u.name, co_hdnd: u.attributes!.co_hdnd }))) + '\n',
);
const returns = [];
for (const [i, u] of units.entries()) {
  if (i % 11 === 10) continue;
  const ret = { template: t.id, templateVersion: t.version, unit: u.code, period: PERIOD, revision: 1, values: valuesFor(i, u) };
  const p = await makePackage(ret as never, { unit: u, template: t, submittedAt: '2026-07-10T03:00:00.000Z' });
  writeFileSync(path.join(folder, p.fileName), p.bytes);
  returns.push({ unit: u.code, values: ret.values, state: 'received' as const, submittedAt: '2026-07-10T03:00:00.000Z', late: false });
}
const c = consolidate(t, { period: PERIOD, units, returns });
const chung = c.chung as Record<string, unknown>;
writeFileSync(
  path.join(out, 'fixtures.json'),
  JSON.stringify({
    submitted: returns.length,
    danSoLon: chung.dan_so_lon as CountWhereFigure,
    dienTich: chung.dien_tich_stats as StatsFigure,
    names: Object.fromEntries(units.map((u) => [u.code, u.name])),
    hdnd: (c.tai_chinh as Record<string, unknown>).hdnd_du_4 as CountWhereFigure,
    noHdnd: units.find((u, i) => i % 11 !== 10 && u.attributes!.co_hdnd === '0')!.code,
  }),
);
