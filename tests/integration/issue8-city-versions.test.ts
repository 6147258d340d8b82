/**
 * Engineer L (issue 8, second round): versions of one template mixed in one period at the city.
 * The city publishes v1 (two counts and a count of cars), communes submit on v1; it publishes v2 (the
 * cars removed, computers added, a label changed); others submit on v2, one unit resubmits on v2, and
 * a v1 package arriving after v2 is published is still accepted. The consolidation counts the items
 * common to both versions for every unit, the v2-only item over the units that answered it, names the
 * units on an older version; the review and the diff keep each cell's label from its own version.
 * A package on a template the city does not know is refused with what to do.
 * Real SQLite files in a temp dir, real .xlsx packages.
 */
import ExcelJS from 'exceljs';
import { afterEach, describe, expect, it } from 'vitest';
import type { Consolidation, Template, Unit } from '../../shared/index.js';
import { consolidate } from '../../shared/consolidate.js';
import { compileWorkbook, templateToSheets } from '../../shared/template/authoring/index.js';
import type { Core } from '../../core/handlers.js';
import { writeConsolidationWorkbook, SHEET_SUMMARY } from '../../core/xlsx/consolidation.js';
import { call, openCore } from '../helpers/core.js';
import { makePackage, template as bccx, zipOf } from '../helpers/city-packages.js';
import { sampleReturn } from '../../shared/template/sample.js';
import { CITY_PERIOD, cityReturns, haiphongUnits } from '../helpers/city-returns.js';
import { tempDir } from '../helpers/sample.js';

let tmp: ReturnType<typeof tempDir> | undefined;
const open: Core[] = [];
afterEach(async () => {
  for (const c of open.splice(0)) await c.close().catch(() => undefined);
  tmp?.cleanup();
  tmp = undefined;
});

import { ID, PERIOD, v1Template, v2Template } from '../helpers/issue8-city-versions-data.js';

const jsonFile = (t: unknown, fileName = 'mau.json') => ({ fileName, data: Buffer.from(JSON.stringify(t)).toString('base64') });

async function cityCore(): Promise<Core> {
  tmp = tempDir('cr-i8-versions-');
  const c = await openCore(tmp.file('city.sqlite'));
  open.push(c);
  await call(c, 'app.setup', { role: 'city' });
  return c;
}

async function importPkg(city: Core, t: Template, unit: Unit, values: Record<string, Record<string, unknown>>, revision = 1) {
  const p = await makePackage(
    { template: t.id, templateVersion: t.version, unit: unit.code, period: PERIOD, values },
    { template: t, unit, revision, variant: `${t.id}@${t.version}` },
  );
  const [r] = await city.city.importFiles([{ name: p.fileName, bytes: p.bytes }], { dryRun: false });
  return r!;
}

describe('versions of one template in one period', () => {
  it('consolidates v1 and v2 returns: common items over every unit, v2 items over the units that answered them, older versions named', async () => {
    const city = await cityCore();
    const [a, b, c, d] = haiphongUnits();
    const v1 = v1Template();
    const v2 = v2Template();
    expect((await call(city, 'templates.publish', { file: jsonFile(v1) })).version).toBe(1);
    expect((await importPkg(city, v1, a!, { chung: { so_can_bo: 10, so_phong: 3, so_xe: 1 } })).outcome).toBe('imported');
    expect((await importPkg(city, v1, d!, { chung: { so_can_bo: 40, so_phong: 6, so_xe: 2 } })).outcome).toBe('imported');
    expect((await call(city, 'templates.publish', { file: jsonFile(v2) })).version).toBe(2);
    // A v1 package arriving after v2 is published is still accepted.
    const late = await importPkg(city, v1, b!, { chung: { so_can_bo: 20, so_phong: 4, so_xe: 3 } });
    expect(late).toMatchObject({ outcome: 'imported', unit: b!.code });
    expect((await importPkg(city, v2, c!, { chung: { so_can_bo: 30, so_phong: 5, so_may_tinh: 12 } })).outcome).toBe('imported');
    // d resubmits on v2.
    expect((await importPkg(city, v2, d!, { chung: { so_can_bo: 41, so_phong: 6, so_may_tinh: 8 } }, 2)).outcome).toBe('superseded');

    const cons = (await call(city, 'city.consolidation', { template: ID, period: PERIOD })) as unknown as Consolidation;
    expect(cons.templateVersion).toBe(2);
    const chung = cons.chung as Record<string, number>;
    // Common to both versions: every unit counts (10 + 20 + 30 + 41).
    expect(chung.so_can_bo).toBe(101);
    expect(chung.so_phong).toBe(18);
    // Only in v2: the two units that answered it, said so.
    expect(chung.so_may_tinh).toBe(20);
    expect(cons.units.versioned).toEqual({ 'chung.so_may_tinh': { n: 2, since: 2 } });
    // Each row says the version its figures come from; a v1 row has no figure for a v2-only item.
    const row = (u: Unit) => cons.rows.find((r) => r.code === u.code)!;
    expect([a, b, c, d].map((u) => row(u!).templateVersion)).toEqual([1, 1, 2, 2]);
    expect((row(a!).figures!.chung as Record<string, unknown>).so_may_tinh).toBeNull();
    expect((row(c!).figures!.chung as Record<string, unknown>).so_may_tinh).toBe(12);
    expect((row(a!).figures!.chung as Record<string, unknown>).so_can_bo).toBe(10);

    // The workbook says which units reported on an older version, and what the v2-only figure is over.
    const wb = await call(city, 'city.consolidation.export', { template: ID, period: PERIOD });
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(Buffer.from(wb.data, 'base64') as unknown as ArrayBuffer);
    const text: string[] = [];
    book.eachSheet((ws) => ws.eachRow((r) => r.eachCell((cell) => text.push(String(cell.text)))));
    const all = text.join('\n');
    expect(all).toMatch(new RegExp(`2 đơn vị nộp theo phiên bản cũ hơn \\(phiên bản 1\\): ${a!.name}, ${b!.name}`));
    expect(all).toMatch(/trên 2 đơn vị nộp theo phiên bản 2/);
  });

  it('reviews each revision with its own version and diffs a v1 revision with a v2 one, every cell labelled from its own version', async () => {
    const city = await cityCore();
    const [, , , d] = haiphongUnits();
    const v1 = v1Template();
    const v2 = v2Template();
    await call(city, 'templates.publish', { file: jsonFile(v1) });
    await importPkg(city, v1, d!, { chung: { so_can_bo: 40, so_phong: 6, so_xe: 2 } });
    await call(city, 'templates.publish', { file: jsonFile(v2) });
    await importPkg(city, v2, d!, { chung: { so_can_bo: 41, so_phong: 6, so_may_tinh: 8 } }, 2);

    const review = await call(city, 'city.review.get', { template: ID, period: PERIOD, unit: d!.code });
    expect(review).toMatchObject({ templateVersion: 2, revision: 2 });
    expect(review.revisions.map((r) => [r.revision, r.templateVersion])).toEqual([
      [1, 1],
      [2, 2],
    ]);

    const changes = await call(city, 'city.review.diff', { template: ID, period: PERIOD, unit: d!.code, from: 1, to: 2 });
    const byPath = Object.fromEntries(changes.map((ch) => [ch.path, ch]));
    expect(Object.keys(byPath).sort()).toEqual(['chung.so_can_bo', 'chung.so_may_tinh', 'chung.so_xe']);
    expect(byPath['chung.so_can_bo']).toMatchObject({
      before: 40,
      after: 41,
      label: 'Biểu 01, Tổng số cán bộ, công chức (phiên bản 1: Số cán bộ)',
    });
    expect(byPath['chung.so_xe']).toMatchObject({ before: 2, after: null, label: 'Biểu 01, Số xe ô tô (chỉ có ở phiên bản 1)' });
    expect(byPath['chung.so_may_tinh']).toMatchObject({ before: null, after: 8, label: 'Biểu 01, Số máy tính (chỉ có ở phiên bản 2)' });
  });

  it('refuses a package on a template the city does not know, saying to publish or receive it first; nothing is stored', async () => {
    const city = await cityCore();
    const [a] = haiphongUnits();
    const r = await importPkg(city, v1Template(), a!, { chung: { so_can_bo: 10, so_phong: 3 } });
    expect(r.outcome).toBe('refused');
    expect(r.message).toMatch(/Thành phố chưa có mẫu báo cáo TEST-PB.*Hãy công bố mẫu này.*hoặc nhận tệp mẫu.*rồi nhập lại/);
    await expect(call(city, 'city.review.get', { template: 'BC-CX', period: PERIOD, unit: a!.code })).rejects.toMatchObject({ code: 'not_found' });
  });
});

/** BC-CX is quarterly; the templates of the June 2026 letter are half-yearly. */
const periodOf = (id: string) => (id === 'BC-CX' || id === ID ? PERIOD : '2026-H1');

describe('mixed templates in one zip', () => {
  it('imports a BC-CX, a PCM and a TSC package from one zip, each under its template, and refuses the one on an unknown template with what to do', async () => {
    const city = await cityCore();
    // The units as the city knows them, with their attributes (PCM's biểu 02 applies to units with a HĐND).
    const [a, b, c] = city.resources.shippedUnits.units;
    const make = async (id: string, unit: Unit, seed: number) => {
      const t = id === ID ? v1Template() : city.resources.latestTemplate(id)!;
      const period = periodOf(id);
      const values = sampleReturn(t, { unit, period, seed });
      return makePackage({ template: t.id, templateVersion: t.version, unit: unit.code, period, values }, { template: t, unit, variant: id });
    };
    const pkgs = [await make('BC-CX', a!, 1), await make('PCM', b!, 2), await make('TSC', c!, 3), await make(ID, a!, 4)];
    const zip = zipOf(pkgs, 0);
    const res = await call(city, 'city.import', { files: [{ fileName: 'goi-thang-6.zip', data: zip.toString('base64') }], dryRun: false });
    expect(res.results.map((r) => [r.template ?? null, r.outcome]), JSON.stringify(res.results.map((r) => r.message))).toEqual([
      ['BC-CX', 'imported'],
      ['PCM', 'imported'],
      ['TSC', 'imported'],
      [null, 'refused'],
    ]);
    expect(res.results[3]!.message).toMatch(/Thành phố chưa có mẫu báo cáo TEST-PB/);
    for (const [id, unit] of [['BC-CX', a], ['PCM', b], ['TSC', c]] as const) {
      const comp = await call(city, 'city.completeness', { template: id, period: periodOf(id) });
      expect(comp.counts.submitted, id).toBe(1);
      expect(comp.rows.find((r) => r.unit.code === unit!.code)?.state, id).toBe('received');
      const review = await call(city, 'city.review.get', { template: id, period: periodOf(id), unit: unit!.code });
      expect(review.errors, id).toEqual([]);
    }
  });
});

describe('bucket labels of a distribution', () => {
  it('BC-CX names its buckets again ("Đủ định mức", "Thiếu 1 xe", "Trên 5 trụ sở") in the template and the Biểu tổng hợp workbook', async () => {
    const spec = (bccx.consolidation!.vehicles as Record<string, unknown>).shortfall_distribution as { bucketLabels?: { vi: string }[] };
    expect(spec.bucketLabels?.map((l) => l.vi)).toEqual(['Đủ định mức', 'Thiếu 1 xe', 'Thiếu 2 xe']);
    const units = haiphongUnits();
    const c = consolidate(bccx, {
      period: CITY_PERIOD,
      units,
      returns: cityReturns().map((r) => ({ unit: r.unit, values: r.values, state: 'received' as const, submittedAt: '2026-06-18T03:00:00.000Z', late: false })),
    });
    const book = new ExcelJS.Workbook();
    await book.xlsx.load((await writeConsolidationWorkbook(bccx, c, { createdAt: '2026-07-01T02:00:00.000Z', appVersion: '0.1.0', unitListVersion: 'x' })) as unknown as ArrayBuffer);
    const ws = book.getWorksheet(SHEET_SUMMARY)!;
    const rows: string[][] = [];
    ws.eachRow((r) => rows.push((r.values as unknown[]).slice(1).map((v) => String(v ?? ''))));
    const head = (first: string) => rows.find((r) => r.includes(first));
    expect(head('Đủ định mức')).toEqual(expect.arrayContaining(['Đủ định mức', 'Thiếu 1 xe', 'Thiếu 2 xe']));
    expect(head('1 trụ sở')).toEqual(expect.arrayContaining(['1 trụ sở', '5 trụ sở', 'Trên 5 trụ sở']));
  });

  it('the authoring workbook carries the names (Tên khoảng) and refuses a count that does not match, naming sheet, row and column', () => {
    const sheets = templateToSheets(bccx);
    const cons = sheets.find((s) => s.name === 'Tổng hợp')!;
    const col = cons.rows[0]!.indexOf('Tên khoảng');
    expect(col).toBeGreaterThan(0);
    const row = cons.rows.findIndex((r) => r[col] === 'Đủ định mức; Thiếu 1 xe; Thiếu 2 xe');
    expect(row).toBeGreaterThan(0);
    expect(compileWorkbook(sheets).template).toEqual(bccx);
    cons.rows[row]![col] = 'Đủ định mức; Thiếu xe';
    const { template, problems } = compileWorkbook(sheets);
    expect(template).toBeUndefined();
    expect(problems).toContainEqual(
      expect.objectContaining({ sheet: 'Tổng hợp', row: row + 1, message: expect.stringMatching(/Có 3 khoảng nhưng 2 tên khoảng/) }),
    );
  });
});
