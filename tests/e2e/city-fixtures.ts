/**
 * Packages for the city end-to-end test (run with `node --import tsx`, Node side): real packages
 * written by core/xlsx from tests/helpers/city-returns.ts, for 20 units of Hải Phòng in 2026-Q2.
 *
 *   <out>/goi-bao-cao/          14 packages (2 of them late, 1 edited outside the app) + a junk file
 *   <out>/dot-2.zip             6 more packages, a duplicate, a revision 2 and a conflicting revision 1
 *   <out>/danh-muc-moi.csv      the unit list without one of the 20 units and with one new unit
 *   <out>/fixtures.json         what the test needs to know (units, names)
 *
 * Usage: node --import tsx tests/e2e/city-fixtures.ts <out>
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Papa from 'papaparse';
import { cityReturns, haiphongUnits } from '../helpers/city-returns.js';
import { editPart, makePackage, zipOf } from '../helpers/city-packages.js';

const out = process.argv[2];
if (!out) throw new Error('usage: city-fixtures.ts <out>');
const folder = path.join(out, 'goi-bao-cao');
mkdirSync(folder, { recursive: true });

const units = haiphongUnits();
const byCode = new Map(units.map((u) => [u.code, u]));
const all = cityReturns();
const ofType = (type: string, n: number) => all.filter((r) => byCode.get(r.unit)!.type === type).slice(0, n);
const chosen = [...ofType('xã', 10), ...ofType('phường', 8), ...ofType('đặc khu', 2)];

const LATE = '2026-06-24T02:00:00.000Z';
const inFolder = chosen.slice(0, 14);
const inZip = chosen.slice(14);
const late = [inFolder[3]!.unit, inFolder[9]!.unit];
const edited = inFolder[5]!.unit;

for (const ret of inFolder) {
  const p = await makePackage(ret, { submittedAt: late.includes(ret.unit) ? LATE : undefined });
  const bytes =
    ret.unit === edited
      ? editPart(p.bytes, 'xl/sharedStrings.xml', (x) =>
          x.replace(/<t>([0-9a-f]{64})<\/t>/, `<t>${'0'.repeat(64)}</t>`),
        )
      : p.bytes;
  writeFileSync(path.join(folder, p.fileName), bytes);
}
writeFileSync(path.join(folder, 'ghi-chu.txt'), 'Danh sách đơn vị đã gửi báo cáo qua email.\n');

// The archive: the other 6, a copy of one already in the folder, a revision 2 and a conflicting revision 1.
const revised = inFolder[0]!;
const pop = revised.values.unit_info!.population as number;
const rev2 = await makePackage(
  { ...revised, values: { ...revised.values, unit_info: { ...revised.values.unit_info, population: pop + 1250 } } },
  { revision: 2, submittedAt: '2026-06-19T03:00:00.000Z' },
);
const conflicted = inFolder[1]!;
const conflict = await makePackage(
  {
    ...conflicted,
    values: { ...conflicted.values, hq: { ...conflicted.values.hq, surplus_sites: 3, surplus_decided: 1 } },
  },
  { variant: 'b' },
);
const zipped = [];
for (const ret of inZip) zipped.push(await makePackage(ret));
const duplicate = await makePackage(inFolder[2]!);
writeFileSync(
  path.join(out, 'dot-2.zip'),
  zipOf([
    ...zipped.map((p) => ({ fileName: `dot-2/${p.fileName}`, bytes: p.bytes })),
    { fileName: `dot-2/ban-sao-${duplicate.fileName}`, bytes: duplicate.bytes },
    { fileName: `dot-2/${rev2.fileName}`, bytes: rev2.bytes },
    { fileName: `dot-2/xung-dot-${conflict.fileName}`, bytes: conflict.bytes },
  ]),
);

// The new unit list: one of the 20 units merged away, one new unit.
const dropped = inZip[0]!.unit;
const added = { code: '99001', type: 'phường', name: 'Phường Thủy Nguyên Mới' };
const list = [...units.filter((u) => u.code !== dropped), added];
writeFileSync(path.join(out, 'danh-muc-moi.csv'), Papa.unparse(list, { columns: ['code', 'type', 'name'] }) + '\n');

writeFileSync(
  path.join(out, 'fixtures.json'),
  JSON.stringify(
    {
      units: chosen.map((r) => byCode.get(r.unit)!),
      late,
      edited,
      revised: revised.unit,
      conflicted: conflicted.unit,
      duplicate: duplicate.unit,
      dropped: byCode.get(dropped)!,
      added,
    },
    null,
    2,
  ),
);
console.log(`wrote ${inFolder.length + 1} files to ${folder} and ${zipped.length + 3} to dot-2.zip`);
