/**
 * Packages for tests/e2e/issue7-city-loop.spec.ts (run with `node --import tsx`, Node side): real
 * packages written by core/xlsx for a few units of Hải Phòng.
 *
 *   <out>/q2/                 6 packages of 2026-Q2
 *   <out>/empty.xlsx          a 7th package of 2026-Q2 under a short name (shown whole, not "pty.xlsx" under "em")
 *   <out>/q1.xlsx             a package of 2026-Q1 (another period than the one viewed)
 *   <out>/xung-dot.xlsx       a different revision 1 of the first unit of q2/ (a conflict)
 *   <out>/tra-ve.json         a return (JSON) of an 8th unit, to submit and send from a commune
 *   <out>/danh-sach-thieu.csv the city's unit list without that unit; danh-sach-du.csv: the whole list
 *   <out>/fixtures.json       the units involved
 *
 * Usage: node --import tsx tests/e2e/issue7-city-fixtures.ts <out>
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cityReturns, haiphongUnits, randomReturns } from '../helpers/city-returns.js';
import { makePackage } from '../helpers/city-packages.js';

const out = process.argv[2];
if (!out) throw new Error('usage: issue7-city-fixtures.ts <out>');
mkdirSync(path.join(out, 'q2'), { recursive: true });
const units = haiphongUnits();
const chosen = cityReturns().slice(0, 7);
for (const ret of chosen.slice(0, 6)) {
  const p = await makePackage(ret);
  writeFileSync(path.join(out, 'q2', p.fileName), p.bytes);
}
writeFileSync(path.join(out, 'empty.xlsx'), (await makePackage(chosen[6]!)).bytes);

const q1Unit = units.find((u) => u.code === chosen[1]!.unit)!;
const [q1] = randomReturns([q1Unit], 7, '2026-Q1');
writeFileSync(path.join(out, 'q1.xlsx'), (await makePackage(q1!, { submittedAt: '2026-03-15T03:00:00.000Z' })).bytes);

const first = chosen[0]!;
const info = first.values.unit_info as Record<string, unknown>;
const conflict = await makePackage(
  { ...first, values: { ...first.values, unit_info: { ...info, population: (info.population as number) + 321 } } },
  { variant: 'may-khac', submittedAt: '2026-06-18T08:00:00.000Z' },
);
writeFileSync(path.join(out, 'xung-dot.xlsx'), conflict.bytes);

// Item 11: a return of an 8th unit (sent by a commune over the network) and the city's list without that unit.
const away = cityReturns()[7]!;
writeFileSync(path.join(out, 'tra-ve.json'), JSON.stringify(away, null, 2));
writeFileSync(
  path.join(out, 'danh-sach-thieu.csv'),
  ['code,type,name', ...units.filter((u) => u.code !== away.unit).map((u) => `${u.code},${u.type},${u.name}`)].join(
    '\n',
  ) + '\n',
);
writeFileSync(
  path.join(out, 'danh-sach-du.csv'),
  ['code,type,name', ...units.map((u) => `${u.code},${u.type},${u.name}`)].join('\n') + '\n',
);

const name = (code: string) => units.find((u) => u.code === code)!.name;
writeFileSync(
  path.join(out, 'fixtures.json'),
  JSON.stringify({
    q2: chosen.map((r) => ({ code: r.unit, name: name(r.unit) })),
    q1: { code: q1Unit.code, name: q1Unit.name },
    conflicted: { code: first.unit, name: name(first.unit) },
    returned: { code: chosen[2]!.unit, name: name(chosen[2]!.unit) },
    away: { code: away.unit, name: name(away.unit) },
  }),
);
