/**
 * Issue 7, items 8, 9 and 11: the city's review loop is consistent and nothing is stranded.
 * - 8: a conflict is kept until the clerk resolves it: listed after a new core opens the same file,
 *   counted in completeness, listed and resolved by the command line.
 * - 9: after returning one unit, completeness, the consolidation (JSON, command line) and its
 *   workbook count the same states: 114 submitted, 0 missing, 1 returned.
 * - 11: a package the city's pull refuses (its unit is missing from the city's list) stays visible
 *   as refused at the city and at the commune (with the reason) and is imported once the list is fixed.
 * Real SQLite files, real packages (.xlsx), a real intake server on 127.0.0.1, the real command line.
 */
import ExcelJS from 'exceljs';
import { afterEach, describe, expect, it } from 'vitest';
import type { Consolidation } from '../../shared/index.js';
import { returnedWithoutFigures } from '../../shared/index.js';
import type { Core } from '../../core/handlers.js';
import { call, openCore } from '../helpers/core.js';
import { hasStack, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/sample.js';
import { CITY_PERIOD, haiphongUnits } from '../helpers/city-returns.js';
import { cityPackages, cityReturnOf, makePackage } from '../helpers/city-packages.js';
import { openCommune, openNode, startIntake, waitFor } from '../helpers/intake-server.js';

let tmp: ReturnType<typeof tempDir> | undefined;
const open: Core[] = [];
afterEach(async () => {
  for (const c of open.splice(0)) await c.close().catch(() => undefined);
  tmp?.cleanup();
  tmp = undefined;
});
async function core(file: string): Promise<Core> {
  const c = await openCore(file);
  open.push(c);
  return c;
}
const q = { template: 'BC-CX', period: CITY_PERIOD };
const UNIT = '10507';

describe('item 8: conflicts are kept and listed until resolved', () => {
  it('a conflict survives a new core on the same file, shows in completeness and the CLI lists and resolves it', async () => {
    tmp = tempDir('cr-i7-conflicts-');
    const db = tmp.file('city.sqlite');
    const ret = cityReturnOf(UNIT);
    const a = await makePackage(ret);
    const b = await makePackage(
      { ...ret, values: { ...ret.values } },
      { variant: 'other-machine', submittedAt: '2026-06-18T05:00:00.000Z' },
    );
    const first = await core(db);
    await first.city.importFiles([{ name: a.fileName, bytes: a.bytes }], { dryRun: false });
    const [conflict] = await first.city.importFiles([{ name: `khac/${b.fileName}`, bytes: b.bytes }], {
      dryRun: false,
    });
    expect(conflict!.outcome).toBe('conflict');
    // The message points at a list that exists: the unit's review page and completeness.
    expect(conflict!.message).toMatch(/Tình hình nộp/);
    await first.close();
    open.splice(0);

    // Another core on the same file: the conflict is still listed, with both packages.
    const second = await core(db);
    const listed = await call(second, 'city.conflicts', { template: 'BC-CX' });
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ id: conflict!.conflictId, unit: UNIT, period: CITY_PERIOD, revision: 1 });
    expect(listed[0]!.existing.packageId).toBe(a.packageId);
    expect(listed[0]!.incoming.packageId).toBe(b.packageId);
    const completeness = await call(second, 'city.completeness', q);
    expect(completeness.conflicts).toBe(1);
    expect(completeness.rows.find((r) => r.unit.code === UNIT)!.conflicts).toBe(1);
    expect(await call(second, 'city.conflicts', { template: 'BC-CX', period: CITY_PERIOD, unit: UNIT })).toHaveLength(
      1,
    );
    await second.close();
    open.splice(0);

    // The command line lists it (text and JSON) and resolves it.
    const text = await runCli(['conflicts', '--db', db]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^${conflict!.conflictId} .*${UNIT}.*Quý II/2026.*lần nộp 1`, 'm'));
    const json = await runCli(['conflicts', '--db', db, '--json']);
    expect(json.code).toBe(0);
    expect((JSON.parse(json.stdout) as { id: number }[]).map((c) => c.id)).toEqual([conflict!.conflictId]);
    const resolved = await runCli([
      'conflicts',
      'resolve',
      '--db',
      db,
      String(conflict!.conflictId),
      '--keep',
      'incoming',
    ]);
    expect(resolved.code).toBe(0);
    expect(resolved.stdout).toMatch(/Đã giữ gói mới/);
    const again = await runCli([
      'conflicts',
      'resolve',
      '--db',
      db,
      String(conflict!.conflictId),
      '--keep',
      'existing',
    ]);
    expect(again.stdout).toMatch(/đã được xử lý trước đây/);
    const bad = await runCli(['conflicts', 'resolve', '--db', db, '999', '--keep', 'incoming']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/Không tìm thấy xung đột/);
    const empty = await runCli(['conflicts', '--db', db]);
    expect(empty.stdout).toMatch(/Không có xung đột nào đang chờ xử lý/);
    for (const r of [text, json, resolved, again, bad, empty]) expect(hasStack(r.stdout + r.stderr)).toBe(false);

    const third = await core(db);
    expect(await call(third, 'city.conflicts', { template: 'BC-CX' })).toEqual([]);
    expect((await call(third, 'city.completeness', q)).conflicts).toBe(0);
    expect((await call(third, 'city.review.get', { ...q, unit: UNIT })).revisions[0]!.packageId).toBe(b.packageId);
  }, 120_000);
});

describe('item 9: one definition of each state', () => {
  it('after returning one unit, completeness, consolidation JSON, the CLI and the workbook all say 114 submitted, 0 missing, 1 returned', async () => {
    tmp = tempDir('cr-i7-states-');
    const db = tmp.file('city.sqlite');
    const c = await core(db);
    const files = (await cityPackages()).map((p) => ({ name: p.fileName, bytes: p.bytes }));
    await c.city.importFiles(files, { dryRun: false });
    await call(c, 'city.review.decide', {
      ...q,
      unit: UNIT,
      revision: 1,
      decision: 'returned',
      reason: 'Thiếu số liệu Biểu 05.',
    });
    await call(c, 'city.review.decide', { ...q, unit: '11560', revision: 1, decision: 'accepted' });

    const want = { expected: 114, submitted: 114, missing: 0, returned: 1, accepted: 1 };
    const comp = await call(c, 'city.completeness', q);
    expect(comp.counts).toMatchObject(want);
    const cons = (await call(c, 'city.consolidation', q)) as Consolidation;
    expect(cons.units).toMatchObject(want);
    const row = cons.rows.find((r) => r.code === UNIT)!;
    expect(row.state).toBe('returned');
    // Decided: a returned revision's figures are not added up; the summary says which units.
    expect(row.figures).toBeNull();
    expect(returnedWithoutFigures(cons).map((r) => r.code)).toEqual([UNIT]);

    const exported = await call(c, 'city.consolidation.export', q);
    await c.close();
    open.splice(0);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.from(exported.data, 'base64') as unknown as ArrayBuffer);
    const numbers: Record<string, number> = {};
    let note = '';
    wb.eachSheet((ws) =>
      ws.eachRow((r) => {
        const label = String(r.getCell(1).value ?? '');
        if (label === 'Tổng cộng' && !('total' in numbers)) {
          const v = (i: number) => {
            const x = r.getCell(i).value as number | { result: number };
            // ExcelJS reads a cached 0 as no result.
            return typeof x === 'number' ? x : (x.result ?? 0);
          };
          Object.assign(numbers, { total: v(2), submitted: v(3), missing: v(6), accepted: v(7), returned: v(8) });
        }
        r.eachCell((cell) => {
          if (typeof cell.value === 'string' && /bị trả lại/.test(cell.value) && /không (được )?cộng/.test(cell.value))
            note = cell.value;
        });
      }),
    );
    expect(numbers).toEqual({ total: 114, submitted: 114, missing: 0, accepted: 1, returned: 1 });
    expect(note).toMatch(new RegExp(haiphongUnits().find((u) => u.code === UNIT)!.name));

    const cli = await runCli(['consolidate', '--db', db, '--period', CITY_PERIOD, '--json', '-']);
    expect(cli.code).toBe(0);
    expect((JSON.parse(cli.stdout) as { units: unknown }).units).toMatchObject(want);
  }, 180_000);
});

describe('item 11: a package the city refuses is not stranded', () => {
  it('refused pull → listed at the city and the commune with the reason → the list is fixed → imported', async () => {
    tmp = tempDir('cr-i7-refused-');
    const intake = await startIntake({ sqlitePath: tmp.file('intake.sqlite') });
    try {
      const unit = haiphongUnits().find((u) => u.code === UNIT)!;
      const commune = await openCommune(tmp.file('commune.sqlite'), UNIT);
      open.push(commune);
      await call(commune, 'delivery.configure', { serverUrl: intake.url, token: await intake.unitToken(UNIT) });
      const { packageId } = await commune.submitReturnJson(cityReturnOf(UNIT));
      await waitFor('sent', async () => (await call(commune, 'delivery.status', {})).items[0]!.state === 'sent');

      const city = await openNode(tmp.file('city.sqlite'), { delivery: { autoStart: false, requestTimeoutMs: 5_000 } });
      open.push(city);
      await call(city, 'app.setup', { role: 'city' });
      const all = haiphongUnits();
      const csv = (units: typeof all) =>
        Buffer.from(['code,type,name', ...units.map((u) => `${u.code},${u.type},${u.name}`)].join('\n') + '\n');
      await city.city.importUnitList('thieu.csv', csv(all.filter((u) => u.code !== UNIT)));
      await call(city, 'delivery.configure', { serverUrl: intake.url, token: await intake.cityToken() });

      const first = await call(city, 'city.pull', {});
      expect(first.results.map((r) => r.outcome)).toEqual(['refused']);
      // The city sees it as refused with the reason, and so does the next pull (it is retried, still refused).
      const refusedList = await call(city, 'city.pullRefused', {});
      expect(refusedList).toHaveLength(1);
      expect(refusedList[0]).toMatchObject({ packageId, unit: UNIT, period: CITY_PERIOD, revision: 1 });
      expect(refusedList[0]!.reason).toMatch(/không có trong danh sách đơn vị/);
      // The commune learns it through the decision relay.
      await call(city, 'city.pull', {});
      const seen = await waitFor('the refusal at the commune', async () => {
        const item = (await call(commune, 'delivery.status', {})).items[0]!;
        return item.cityRefusal ? item : null;
      });
      expect(seen.cityRefusal).toMatch(/không có trong danh sách đơn vị/);

      // The city fixes its list: the refused package is pulled again and imported.
      await city.city.importUnitList('day-du.csv', csv(all));
      const after = await call(city, 'city.pull', {});
      expect(after.results.map((r) => [r.outcome, r.unit])).toEqual([['imported', UNIT]]);
      expect(await call(city, 'city.pullRefused', {})).toEqual([]);
      expect((await call(city, 'city.review.get', { ...q, unit: UNIT })).revision).toBe(1);
      expect(unit.name).toBeTruthy();
      await call(city, 'city.pull', {});
      await waitFor('the refusal cleared at the commune', async () => {
        const item = (await call(commune, 'delivery.status', {})).items[0]!;
        return item.state === 'sent' && !item.cityRefusal;
      });
    } finally {
      for (const c of open.splice(0)) await c.close().catch(() => undefined);
      await intake.close();
    }
  }, 120_000);
});
