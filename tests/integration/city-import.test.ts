import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ImportResult } from '../../shared/index.js';
import { getPath } from '../../shared/index.js';
import type { Core } from '../../core/handlers.js';
import { call, openCore } from '../helpers/core.js';
import { tempDir } from '../helpers/sample.js';
import { CITY_FIGURES, CITY_PERIOD } from '../helpers/city-returns.js';
import type { MadePackage } from '../helpers/city-packages.js';
import { cityPackages, cityReturnOf, editPart, makePackage, template, zipOf } from '../helpers/city-packages.js';

let packages: MadePackage[];
let tmp: ReturnType<typeof tempDir>;
let core: Core | undefined;
beforeAll(async () => {
  packages = await cityPackages();
}, 120_000);
afterEach(async () => {
  await core?.close();
  core = undefined;
  tmp?.cleanup();
});

const files = (list: { fileName: string; bytes: Uint8Array }[]) => list.map((p) => ({ name: p.fileName, bytes: p.bytes }));
async function freshCore(): Promise<Core> {
  tmp = tempDir('cr-city-');
  core = await openCore(tmp.file('city.sqlite'));
  return core;
}
const q = { template: 'BC-CX', period: CITY_PERIOD };
const consolidation = async (c: Core) => await call(c, 'city.consolidation', q);
/** A figure or block of a consolidation by its path ("hq.plan"). */
const at = (c: unknown, path: string) => getPath(c, path) as never;
const outcomes = (rs: ImportResult[]) => rs.map((r) => r.outcome);

describe('import of the 114 packages', () => {
  it('consolidates to exactly the city figures; importing again changes nothing', async () => {
    const c = await freshCore();
    const seen: number[] = [];
    const results = await c.city.importFiles(files(packages), { dryRun: false, onResult: (_r, i) => seen.push(i) });
    expect(results).toHaveLength(114);
    expect(new Set(outcomes(results))).toEqual(new Set(['imported']));
    expect(seen).toEqual([...Array(114).keys()]);
    expect(results[0]!.message).toMatch(/^Đã nhập lần nộp 1 của .+, Quý II\/2026\.$/);

    const cons = await consolidation(c);
    expect(at(cons, 'units')).toMatchObject({ expected: 114, submitted: 114, missing: 0, on_time: 114, late: 0, by_type: CITY_FIGURES.by_type });
    expect(at(cons, 'hq.site_count_distribution')).toEqual(CITY_FIGURES.site_count_distribution);
    expect(at(cons, 'hq.sites_total')).toBe(CITY_FIGURES.sites_total);
    expect(at(cons, 'hq.plan')).toEqual(CITY_FIGURES.plan);
    expect(at(cons, 'vehicles.shortfall_distribution')).toEqual(CITY_FIGURES.shortfall_distribution);
    expect(at(cons, 'vehicles.shortfall_total')).toBe(CITY_FIGURES.shortfall_total);
    expect(at(cons, 'one_stop.bands')).toEqual(CITY_FIGURES.bands);
    expect(at(cons, 'staff.blocks.total')).toEqual(CITY_FIGURES.staff_total);
    // Rates from the summed counts.
    const total = at(cons, 'procedures.total') as Record<string, number>;
    expect(at(cons, 'procedures.on_time_rate')).toBeCloseTo((total.done_early! + total.done_on_time!) / total.done_total!, 12);

    const counts = c.city.counts();
    const again = await c.city.importFiles(files(packages), { dryRun: false });
    expect(new Set(outcomes(again))).toEqual(new Set(['duplicate']));
    expect(again[0]!.message).toMatch(/đã được nhập trước đây\. Không có gì thay đổi/);
    expect(c.city.counts()).toEqual(counts);
    expect(await consolidation(c)).toEqual(cons);

    const comp = await call(c, 'city.completeness', q);
    expect(comp.counts).toEqual({ expected: 114, submitted: 114, on_time: 114, late: 0, missing: 0, accepted: 0, returned: 0 });
    expect(comp.rows.every((r) => r.state === 'received' && r.revision === 1)).toBe(true);
    const periods = await call(c, 'city.periods', { template: 'BC-CX' });
    expect(periods.find((p) => p.code === CITY_PERIOD)).toMatchObject({ submitted: 114, expected: 114, deadline: '2026-06-20' });
  });

  it('a zip of the packages imports the same, entry by entry', async () => {
    const c = await freshCore();
    const zip = zipOf(packages.slice(0, 10), 0);
    const res = await call(c, 'city.import', { files: [{ fileName: 'xa.zip', data: zip.toString('base64') }], dryRun: false });
    expect(res.results).toHaveLength(10);
    expect(res.results[0]!.file).toBe(`xa.zip › ${packages[0]!.fileName}`);
    expect(new Set(outcomes(res.results))).toEqual(new Set(['imported']));
  });

  it('a dry run reports the same table and stores nothing', async () => {
    const c = await freshCore();
    const some = packages.slice(0, 5);
    const r2 = await makePackage(cityReturnOf(some[0]!.unit), { revision: 2 });
    const batch = files([...some, some[1]!, r2]);
    const empty = c.city.counts();
    const dry = await c.city.importFiles(batch, { dryRun: true });
    expect(outcomes(dry)).toEqual(['imported', 'imported', 'imported', 'imported', 'imported', 'duplicate', 'superseded']);
    expect(c.city.counts()).toEqual(empty);
    expect((await call(c, 'city.completeness', q)).counts.submitted).toBe(0);
    const real = await c.city.importFiles(batch, { dryRun: false });
    const strip = (rs: ImportResult[]) => rs.map((r) => ({ ...r }));
    expect(strip(real)).toEqual(strip(dry));
  });
});

describe('revisions', () => {
  it('revision 2 supersedes 1; revision 1 arriving after 2 goes to history; diff between them', async () => {
    const c = await freshCore();
    const ret = cityReturnOf(packages[0]!.unit);
    const r1 = packages[0]!;
    const changed = structuredClone(ret);
    (changed.values.staff as Record<string, unknown>).recruited = Number((changed.values.staff as Record<string, unknown>).recruited) + 1;
    const r2 = await makePackage(changed, { revision: 2 });

    const [first] = await c.city.importFiles(files([r2]), { dryRun: false });
    expect(first).toMatchObject({ outcome: 'imported', revision: 2 });
    const [late] = await c.city.importFiles(files([r1]), { dryRun: false });
    expect(late).toMatchObject({ outcome: 'history', revision: 1, supersededRevision: null });
    expect(late!.message).toMatch(/lịch sử: đã có lần nộp 2 mới hơn/);
    const review = await call(c, 'city.review.get', { ...q, unit: r1.unit });
    expect(review.revision).toBe(2);
    expect(review.revisions.map((r) => [r.revision, r.current])).toEqual([[1, false], [2, true]]);

    const c2 = (await freshCore2()).core;
    const res = await c2.city.importFiles(files([r1, r2]), { dryRun: false });
    expect(res.map((r) => [r.outcome, r.supersededRevision])).toEqual([['imported', null], ['superseded', 1]]);
    expect(res[1]!.message).toMatch(/thay cho lần nộp 1 làm bản hiện hành/);
    const diff = await call(c2, 'city.review.diff', { ...q, unit: r1.unit, from: 1, to: 2 });
    expect(diff).toEqual([expect.objectContaining({ path: 'staff.recruited', label: expect.stringMatching(/Biểu 02/) })]);
    await freshCore2.close();
  });

  it('two packages with the same revision: a conflict, resolved either way', async () => {
    const c = await freshCore();
    const [a, b] = packages;
    const otherA = await makePackage(cityReturnOf(a!.unit), { variant: 'reinstalled' });
    const otherB = await makePackage(cityReturnOf(b!.unit), { variant: 'reinstalled' });
    await c.city.importFiles(files([a!, b!]), { dryRun: false });
    const res = await c.city.importFiles(files([otherA, otherB]), { dryRun: false });
    expect(outcomes(res)).toEqual(['conflict', 'conflict']);
    expect(res[0]!.conflictId).toEqual(expect.any(Number));
    expect(res[0]!.message).toMatch(/Đã có một gói khác cũng là lần nộp 1/);
    // The same conflicting file again is a duplicate that points at the pending conflict.
    const [dup] = await c.city.importFiles(files([otherA]), { dryRun: false });
    expect(dup).toMatchObject({ outcome: 'duplicate', conflictId: res[0]!.conflictId });

    const currentId = async (unit: string) => (await call(c, 'city.review.get', { ...q, unit })).revisions.find((r) => r.current)!.packageId;
    expect(await currentId(a!.unit)).toBe(a!.packageId);
    const keepNew = await call(c, 'city.resolveConflict', { conflictId: res[0]!.conflictId!, keep: 'incoming' });
    expect(keepNew.message).toMatch(/Đã giữ gói mới/);
    expect(await currentId(a!.unit)).toBe(otherA.packageId);
    const keepOld = await call(c, 'city.resolveConflict', { conflictId: res[1]!.conflictId!, keep: 'existing' });
    expect(keepOld.message).toMatch(/Đã giữ gói đã có/);
    expect(await currentId(b!.unit)).toBe(b!.packageId);
    const twice = await call(c, 'city.resolveConflict', { conflictId: res[1]!.conflictId!, keep: 'incoming' });
    expect(twice.message).toMatch(/đã được xử lý trước đây/);
    expect(await currentId(b!.unit)).toBe(b!.packageId);
    await expect(call(c, 'city.resolveConflict', { conflictId: 999, keep: 'incoming' })).rejects.toMatchObject({ code: 'not_found' });
  });

  it('a returned revision drops out of the figures and its predecessor counts; accept and return need a reason', async () => {
    const c = await freshCore();
    await c.city.importFiles(files(packages), { dryRun: false });
    const unit = packages[0]!.unit;
    const ret = cityReturnOf(unit);
    const changed = structuredClone(ret);
    const blocks = (changed.values.staff as { blocks: Record<string, Record<string, number>> }).blocks;
    blocks.government!.cbcc_quota! += 5;
    await c.city.importFiles(files([await makePackage(changed, { revision: 2 })]), { dryRun: false });
    const quota = async () => at(await consolidation(c), 'staff.blocks.total.cbcc_quota') as number;
    expect(await quota()).toBe(CITY_FIGURES.staff_total.cbcc_quota + 5);

    await expect(call(c, 'city.review.decide', { ...q, unit, revision: 2, decision: 'returned' })).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringMatching(/Hãy ghi lý do trả lại/),
    });
    const back = await call(c, 'city.review.decide', { ...q, unit, revision: 2, decision: 'returned', reason: 'Biên chế giao sai, hãy kiểm tra lại.' });
    expect(back.message).toMatch(/Đã trả lại lần nộp 2 .* Lý do: Biên chế giao sai/);
    expect(await quota()).toBe(CITY_FIGURES.staff_total.cbcc_quota);
    const cons = await consolidation(c);
    expect(at(cons, 'units')).toMatchObject({ submitted: 114, returned: 1 });
    const comp = await call(c, 'city.completeness', q);
    expect(comp.rows.find((r) => r.unit.code === unit)).toMatchObject({ state: 'returned', revision: 2, reason: 'Biên chế giao sai, hãy kiểm tra lại.' });
    expect(comp.counts.returned).toBe(1);

    await call(c, 'city.review.decide', { ...q, unit: packages[1]!.unit, revision: 1, decision: 'accepted' });
    const review = await call(c, 'city.review.get', { ...q, unit: packages[1]!.unit });
    expect(review.revisions[0]).toMatchObject({ review: 'accepted', decidedAt: expect.any(String) });
    expect(review.errors).toEqual([]);
    expect((await call(c, 'city.completeness', q)).counts.accepted).toBe(1);
  });
});

describe('refusals: every one with a Vietnamese reason, nothing stored', () => {
  it('refuses what is not a sound package of a listed unit', async () => {
    const c = await freshCore();
    const good = packages[0]!;
    const ret = cityReturnOf(good.unit);
    const stranger = await makePackage({ ...ret, unit: '99999' }, { unit: { code: '99999', type: 'xã', name: 'Xã Không Có' } });
    const bad = structuredClone(ret);
    (bad.values.staff as Record<string, unknown>).nhdkct_leave_paid = 10_000;
    const withErrors = await makePackage(bad, { variant: 'bad' });
    const other = packages[1]!;
    const swapped = editPart(good.bytes, 'xl/sharedStrings.xml', (x) => x.replaceAll(`(mã đơn vị ${good.unit})`, `(mã đơn vị ${other.unit})`));
    const { parseTemplate } = await import('../../shared/index.js');
    const newer = await makePackage(ret, { template: parseTemplate({ ...template, version: 2 }), variant: 'v2' });
    const { default: ExcelJS } = await import('exceljs');
    const wb = new ExcelJS.Workbook();
    wb.addWorksheet('Trang 1').getCell('A1').value = 'Báo cáo tự lập';
    const plain = Buffer.from(await wb.xlsx.writeBuffer());
    const cases: [string, Uint8Array, RegExp][] = [
      ['ghi-chu.xlsx', Buffer.from('đây không phải tệp Excel'), /không phải là tệp Excel .* Hãy/],
      ['hong.xlsx', good.bytes.subarray(0, 5000), /bị hỏng.*Hãy/],
      ['la.xlsx', zipOf([{ fileName: 'a.txt', bytes: Buffer.from('x') }]), /Hãy/],
      ['tu-lap.xlsx', plain, /không phải là gói báo cáo do ứng dụng lập.*Hãy dùng tệp được xuất/],
      ['la-don-vi.xlsx', stranger.bytes, /Mã đơn vị 99999 không có trong danh sách đơn vị hiện hành.*cập nhật danh mục đơn vị.*Thay danh mục từ tệp/],
      ['loi.xlsx', withErrors.bytes, /Số liệu trong gói có 1 lỗi nên không nhận: .*Hãy báo đơn vị sửa/],
      ['tron.xlsx', swapped, new RegExp(`ghi là báo cáo của .* \\(mã ${good.unit}\\), nhưng các trang của tệp ghi đơn vị .*\\(mã ${other.unit}\\)`)],
      ['v2.xlsx', newer.bytes, /phiên bản 2.*Hãy/],
      ['hong.zip', Buffer.from('PK not really'), /Tệp nén \(\.zip\) bị hỏng.*Hãy/],
    ];
    const res = await c.city.importFiles(cases.map(([name, bytes]) => ({ name, bytes })), { dryRun: false });
    for (const [i, [name, , reason]] of cases.entries()) {
      expect(res[i], name).toMatchObject({ file: name, outcome: 'refused' });
      expect(res[i]!.message, name).toMatch(reason);
    }
    expect(res.find((r) => r.file === 'loi.xlsx')!.errors).toBe(1);
    expect(c.city.counts()).toMatchObject({ packages: 0, current: 0 });
  });

  it('refuses zip bombs by declared and by actual size, before any entry is imported', async () => {
    const c = await freshCore();
    const zeros = (n: number) => new Uint8Array(n);
    const big = zipOf([packages[0]!, { fileName: 'big.xlsx', bytes: zeros(30 * 1024 * 1024) }]);
    const dense = zipOf([packages[0]!, { fileName: 'dense.xlsx', bytes: zeros(5 * 1024 * 1024) }]);
    // An archive that lies: it declares 60 KB for an entry that expands to 5 MB.
    const liar = Buffer.from(dense);
    const declared = 5 * 1024 * 1024;
    let patched = 0;
    for (let i = 0; i + 4 <= liar.length; i++)
      if (liar.readUInt32LE(i) === declared) {
        liar.writeUInt32LE(60_000, i);
        patched++;
      }
    expect(patched).toBe(2); // local header and central directory
    const res = await c.city.importFiles(
      [
        { name: 'big.zip', bytes: big },
        { name: 'dense.zip', bytes: dense },
        { name: 'liar.zip', bytes: liar },
      ],
      { dryRun: false },
    );
    expect(outcomes(res)).toEqual(['refused', 'refused', 'refused']);
    for (const r of res) expect(r.message).toMatch(/bom nén.*Hãy/);
    expect(c.city.counts()).toMatchObject({ packages: 0 });
  });

  it('an edited package is flagged and accepted when valid', async () => {
    const c = await freshCore();
    const good = packages[0]!;
    // The identity's hash no longer matches the cells, as after editing in Excel.
    const edited = editPart(good.bytes, 'xl/sharedStrings.xml', (x) => x.replace(/<t>([0-9a-f]{64})<\/t>/, `<t>${'0'.repeat(64)}</t>`));
    const [r] = await c.city.importFiles([{ name: 'edited.xlsx', bytes: edited }], { dryRun: false });
    expect(r).toMatchObject({ outcome: 'imported', editedOutside: true });
    expect(r!.message).toMatch(/đã bị sửa bên ngoài ứng dụng/);
    expect((await call(c, 'city.completeness', q)).rows.find((x) => x.unit.code === good.unit)!.editedOutside).toBe(true);
  });
});

// A second database in the same test (closed by the test itself).
async function freshCore2(): Promise<{ core: Core }> {
  const t = tempDir('cr-city2-');
  const c = await openCore(t.file('city.sqlite'));
  freshCore2.close = async () => {
    await c.close();
    t.cleanup();
  };
  return { core: c };
}
freshCore2.close = async () => undefined;

afterAll(async () => {
  await freshCore2.close();
});
