/**
 * Issue 8 items 1–3, the template side (engineer B): templates as a domain in core. The city
 * publishes versions, a commune receives them, a return keeps the version it was started on
 * (it still packages, reads back, imports and consolidates at the city), a new return takes the
 * latest; refusals store nothing; the registry serves every consumer.
 * Real SQLite files in a temp dir, real .xlsx packages and workbooks.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterEach, describe, expect, it } from 'vitest';
import type { Consolidation, Template } from '../../shared/index.js';
import { canonicalJson, normalizeValues, parsePeriod, validate } from '../../shared/index.js';
import { sampleReturn } from '../../shared/template/sample.js';
import type { Core } from '../../core/handlers.js';
import { loadXlsx } from '../../core/packages.js';
import { signFile } from '../../core/requests/sign.js';
import { buildTemplateFromWorkbook } from '../../core/templates/workbook.js';
import { call, openCore, saveWhole } from '../helpers/core.js';
import { tempDir } from '../helpers/sample.js';

let tmp: ReturnType<typeof tempDir> | undefined;
const open: Core[] = [];
afterEach(async () => {
  for (const c of open.splice(0)) await c.close().catch(() => undefined);
  tmp?.cleanup();
  tmp = undefined;
});
async function core(file: string, role: 'city' | 'commune'): Promise<Core> {
  const c = await openCore(file);
  open.push(c);
  await call(c, 'app.setup', role === 'city' ? { role } : { role, unitCode: UNIT });
  return c;
}

const UNIT = '11948';
const ID = 'BC-TN';

/** A new template derived from the built-in one: version 1, and version 2 with one more item. */
function derived(base: Template): { v1: Template; v2: Template } {
  const v1: Template = { ...structuredClone(base), id: ID, version: 1, title: { vi: 'Báo cáo thử nghiệm', en: 'Trial report' } };
  const v2: Template = structuredClone(v1);
  v2.sections[0]!.items.push({ kind: 'field', key: 'ghi_chu', type: 'longtext', label: { vi: 'Ghi chú thêm' } });
  return { v1, v2 };
}
const jsonFile = (t: unknown, fileName = 'mau.json') => ({ fileName, data: Buffer.from(JSON.stringify(t)).toString('base64') });
/** Since issue 9 a commune receives templates only as files the city signed (the fixture key matches the shipped public key). */
const CITY_KEY = {
  publicPem: readFileSync(path.join(import.meta.dirname, '..', '..', 'resources', 'keys', 'city-public.pem'), 'utf8'),
  privatePem: readFileSync(path.join(import.meta.dirname, '..', 'fixtures', 'keys', 'city-private.pem'), 'utf8'),
};
const signedFile = (t: unknown, fileName = 'mau.json') => ({ fileName, data: signFile('template', { templates: [t] }, CITY_KEY).toString('base64') });

describe('publish and versions', () => {
  it('publishes v1 then v2; a return started on v1 keeps v1 and still packages, reads back, imports and consolidates; a new return gets v2', async () => {
    tmp = tempDir('cr-i8-tpl-');
    const city = await core(tmp.file('city.sqlite'), 'city');
    const { v1, v2 } = derived(city.resources.latestTemplate('BC-CX')!);

    const p1 = await call(city, 'templates.publish', { file: jsonFile(v1) });
    expect(p1).toMatchObject({ id: ID, version: 1 });
    expect(p1.message).toMatch(/Đã công bố mẫu BC-TN .* phiên bản 1\./);
    // The file says version 1 again: the app numbers it 2 and says so.
    const p2 = await call(city, 'templates.publish', { file: jsonFile(v2) });
    expect(p2.version).toBe(2);
    expect(p2.message).toMatch(/Tệp ghi phiên bản 1; ứng dụng đánh số phiên bản 2/);
    // The same content again: refused, naming the version it already is.
    await expect(call(city, 'templates.publish', { file: jsonFile(v2) })).rejects.toMatchObject({
      code: 'refused',
      message: expect.stringMatching(/đã là phiên bản 2/),
    });
    const check = await call(city, 'templates.check', { file: jsonFile(v2) });
    expect(check).toMatchObject({ problems: [], nextVersion: 3, unchanged: true });

    // The commune receives version 1 and starts a return on it.
    const commune = await core(tmp.file('commune.sqlite'), 'commune');
    const r1 = await call(commune, 'templates.receive', { file: signedFile(city.templates.getTemplate(ID, 1)) });
    expect(r1).toMatchObject({ id: ID, version: 1 });
    const q1 = await call(commune, 'returns.open', { template: ID, period: '2026-Q1' });
    expect(q1.templateVersion).toBe(1);
    const values1 = sampleReturn(v1, { unit: { type: 'đặc khu' }, period: '2026-Q1', seed: 5 });
    await saveWhole(commune, '2026-Q1', { values: values1 }, ID);
    const rev = await call(commune, 'returns.submit', { returnId: q1.returnId, submittedBy: 'Nguyễn Văn An' });
    expect(rev.revision).toBe(1);

    // Version 2 arrives: the Q1 return keeps v1, a new Q2 return takes v2; app.info lists the latest.
    await call(commune, 'templates.receive', { file: signedFile(city.templates.getTemplate(ID, 2)) });
    expect((await call(commune, 'returns.open', { template: ID, period: '2026-Q1' })).templateVersion).toBe(1);
    expect((await call(commune, 'returns.open', { template: ID, period: '2026-Q2' })).templateVersion).toBe(2);
    const info = await call(commune, 'app.info', {});
    expect(info.templates[0]!.id).toBe('BC-CX');
    expect(info.templates.find((t) => t.id === ID)).toMatchObject({ version: 2, title: 'Báo cáo thử nghiệm' });
    const periods = await call(commune, 'periods.list', { template: ID });
    expect(periods.find((p) => p.code === '2026-Q1')).toMatchObject({ status: 'submitted', revision: 1 });

    // The v1 package reads back under v1 and imports at the city, which reviews and consolidates it.
    const pkg = await call(commune, 'package.export', { returnId: q1.returnId, revision: 1 });
    const bytes = Buffer.from(pkg.data, 'base64');
    const xlsx = await loadXlsx();
    const read = await xlsx.readPackage(bytes.subarray(0), commune.resources.getTemplate);
    expect(read.ret).toMatchObject({ template: ID, templateVersion: 1, unit: UNIT, period: '2026-Q1' });
    expect(canonicalJson(read.ret.values)).toBe(canonicalJson(normalizeValues(v1, values1)));
    const [imported] = await city.city.importFiles([{ name: pkg.fileName, bytes }], { dryRun: false });
    expect(imported).toMatchObject({ outcome: 'imported', unit: UNIT, revision: 1 });
    const review = await call(city, 'city.review.get', { template: ID, period: '2026-Q1', unit: UNIT });
    expect(review).toMatchObject({ templateVersion: 1, revision: 1, errors: [] });
    const completeness = await call(city, 'city.completeness', { template: ID, period: '2026-Q1' });
    expect(completeness.counts.submitted).toBe(1);
    // The period is pinned to the list of the import, for this template as for BC-CX: a new list does not move it.
    const pinned = completeness.unitListVersion;
    const csv = ['code,type,name', ...city.resources.shippedUnits.units.slice(1).map((u) => `${u.code},${u.type},${u.name}`)].join('\n');
    await city.city.importUnitList('danh-sach-moi.csv', Buffer.from(csv));
    const after = await call(city, 'city.completeness', { template: ID, period: '2026-Q1' });
    expect(after.unitListVersion).toBe(pinned);
    expect(after.currentUnitListVersion).not.toBe(pinned);
    const cons = (await call(city, 'city.consolidation', { template: ID, period: '2026-Q1' })) as unknown as Consolidation;
    expect(cons.units.submitted).toBe(1);
    expect(cons.rows.find((r) => r.code === UNIT)?.state).toBe('received');
    const wb = await call(city, 'city.consolidation.export', { template: ID, period: '2026-Q1' });
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(Buffer.from(wb.data, 'base64') as unknown as ArrayBuffer);
    expect(book.worksheets.length).toBeGreaterThan(1);

    // The list says where each version came from and how many returns or packages use it.
    const cityList = await call(city, 'templates.list', {});
    expect(cityList.filter((t) => t.id === ID).map((t) => [t.version, t.source, t.returns])).toEqual([
      [2, 'published', 0],
      [1, 'published', 1],
    ]);
    expect(cityList[0]).toMatchObject({ id: 'BC-CX', source: 'builtin', publishedAt: null });
    const communeList = await call(commune, 'templates.list', {});
    expect(communeList.filter((t) => t.id === ID).map((t) => [t.version, t.source, t.returns])).toEqual([
      [2, 'received', 1],
      [1, 'received', 1],
    ]);
  });

  it('a template published by another process is seen by an open core at its next look-up', async () => {
    tmp = tempDir('cr-i8-tpl-');
    const db = tmp.file('city.sqlite');
    const a = await core(db, 'city');
    const b = await openCore(db);
    open.push(b);
    const { v1 } = derived(a.resources.latestTemplate('BC-CX')!);
    expect(a.resources.latestTemplate(ID)).toBeUndefined();
    await call(b, 'templates.publish', { file: jsonFile(v1) });
    expect(a.resources.latestTemplate(ID)?.version).toBe(1);
    expect((await call(a, 'templates.list', {})).some((t) => t.id === ID)).toBe(true);
    // Two writers of one id@version: the later is refused in Vietnamese, the stored row is kept.
    expect(() => a.templates.store({ ...v1, title: { vi: 'Khác' } }, { source: 'published', at: '2026-05-10T03:00:00Z' })).toThrow(
      /Mẫu BC-TN phiên bản 1 vừa được lưu từ một cửa sổ hoặc lệnh khác/,
    );
    expect(b.templates.getTemplate(ID, 1)!.title.vi).toBe('Báo cáo thử nghiệm');
  });
});

describe('refusals store nothing', () => {
  it('publish is refused with every problem (a lowercase id says what to change), at a commune, and for a file that is not JSON', async () => {
    tmp = tempDir('cr-i8-tpl-');
    const city = await core(tmp.file('city.sqlite'), 'city');
    const { v1 } = derived(city.resources.latestTemplate('BC-CX')!);
    const before = await call(city, 'templates.list', {});

    const bad = { ...v1, id: 'bc-tn', deadlineDay: 40 };
    const err = await call(city, 'templates.publish', { file: jsonFile(bad) }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'invalid_input', message: expect.stringMatching(/^Chưa công bố: mẫu còn 2 lỗi/) });
    const problems = (err as { details: { problems: { message: string }[] } }).details.problems;
    expect(problems).toHaveLength(2);
    expect(problems[0]!.message).toMatch(/Mã mẫu "bc-tn" không hợp lệ: mã mẫu chỉ gồm chữ in hoa không dấu.*Hãy sửa mã mẫu/);
    expect(problems[1]!.message).toMatch(/deadlineDay/);
    const checked = await call(city, 'templates.check', { file: jsonFile(bad) });
    expect(checked).toMatchObject({ template: null, nextVersion: null, unchanged: false });
    expect(checked.problems).toHaveLength(2);

    await expect(call(city, 'templates.publish', { file: { fileName: 'x.json', data: Buffer.from('{ not json').toString('base64') } })).rejects.toMatchObject({
      code: 'invalid_input',
    });
    const commune = await core(tmp.file('commune.sqlite'), 'commune');
    await expect(call(commune, 'templates.publish', { file: jsonFile(v1) })).rejects.toMatchObject({
      code: 'refused',
      message: expect.stringMatching(/Chỉ Thành phố mới công bố/),
    });
    expect(await call(city, 'templates.list', {})).toEqual(before);
    expect((await call(commune, 'templates.list', {})).some((t) => t.id === ID)).toBe(false);
  });

  it('receive: identical is a no-op with a friendly message; the same id@version with other content is refused; the city does not receive', async () => {
    tmp = tempDir('cr-i8-tpl-');
    const commune = await core(tmp.file('commune.sqlite'), 'commune');
    const { v1 } = derived(commune.resources.latestTemplate('BC-CX')!);
    // Unsigned: refused at a commune (issue 9).
    await expect(call(commune, 'templates.receive', { file: jsonFile(v1) })).rejects.toMatchObject({
      code: 'refused',
      message: expect.stringMatching(/^Mẫu báo cáo phải là tệp do Thành phố ký/),
    });
    await call(commune, 'templates.receive', { file: signedFile(v1) });
    const again = await call(commune, 'templates.receive', { file: signedFile(v1) });
    expect(again.message).toMatch(/đã có mẫu BC-TN phiên bản 1 giống hệt tệp này; không có gì thay đổi/);
    const other = { ...v1, title: { vi: 'Tên khác' } };
    await expect(call(commune, 'templates.receive', { file: signedFile(other, 'khac.json') })).rejects.toMatchObject({
      code: 'refused',
      message: expect.stringMatching(/đã có mẫu BC-TN phiên bản 1 nhưng nội dung khác với tệp "khac.json"/),
    });
    // The built-in one cannot be replaced either.
    const builtin = commune.resources.latestTemplate('BC-CX')!;
    await expect(call(commune, 'templates.receive', { file: signedFile({ ...builtin, title: { vi: 'Khác' } }) })).rejects.toMatchObject({ code: 'refused' });
    expect(commune.templates.getTemplate(ID, 1)!.title.vi).toBe('Báo cáo thử nghiệm');
    expect((await call(commune, 'templates.list', {})).filter((t) => t.id === ID)).toHaveLength(1);

    const city = await core(tmp.file('city.sqlite'), 'city');
    await expect(call(city, 'templates.receive', { file: jsonFile(v1) })).rejects.toMatchObject({ code: 'refused' });
  });
});

describe('workbooks, samples and previews', () => {
  it('the workbook of BC-CX builds back to BC-CX; the starter is a workbook', async () => {
    tmp = tempDir('cr-i8-tpl-');
    const city = await core(tmp.file('city.sqlite'), 'city');
    const wb = await call(city, 'templates.workbook', { id: 'BC-CX' });
    expect(wb.fileName).toBe('BC-CX_phien-ban-1.xlsx');
    const built = await buildTemplateFromWorkbook(Buffer.from(wb.data, 'base64'));
    expect(built.problems).toEqual([]);
    expect(canonicalJson(built.template)).toBe(canonicalJson(city.resources.getTemplate('BC-CX', 1)));
    await expect(call(city, 'templates.workbook', { id: 'BC-CX', version: 9 })).rejects.toMatchObject({ code: 'not_found' });
    const starter = await call(city, 'templates.starter', {});
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(Buffer.from(starter.data, 'base64') as unknown as ArrayBuffer);
    expect(book.worksheets.length).toBeGreaterThan(1);
  });

  it('a published workbook is downloaded as it was published; a JSON one is written as a workbook', async () => {
    tmp = tempDir('cr-i8-tpl-');
    const city = await core(tmp.file('city.sqlite'), 'city');
    const { v1 } = derived(city.resources.latestTemplate('BC-CX')!);
    await call(city, 'templates.publish', { file: jsonFile(v1) });
    const wb = await call(city, 'templates.workbook', { id: ID });
    const built = await buildTemplateFromWorkbook(Buffer.from(wb.data, 'base64'));
    expect(canonicalJson(built.template)).toBe(canonicalJson(v1));
    // Publishing that workbook as it is changes nothing (it is version 1 already).
    await expect(call(city, 'templates.publish', { file: wb })).rejects.toMatchObject({ message: expect.stringMatching(/đã là phiên bản 1/) });
  });

  it('a workbook is published as it is (downloaded byte for byte); a workbook naming another version is numbered and written afresh', async () => {
    tmp = tempDir('cr-i8-tpl-');
    const city = await core(tmp.file('city.sqlite'), 'city');
    // The BC-CX workbook, its template id changed to a new one in the settings sheet.
    const bccx = await call(city, 'templates.workbook', { id: 'BC-CX' });
    const edit = async (data: string, change: (value: unknown) => unknown) => {
      const book = new ExcelJS.Workbook();
      await book.xlsx.load(Buffer.from(data, 'base64') as unknown as ArrayBuffer);
      let done = false;
      for (const ws of book.worksheets)
        ws.eachRow((row) => {
          const label = String(row.getCell(1).value ?? '');
          const next = change(label);
          if (!done && next !== undefined) {
            row.getCell(2).value = next as ExcelJS.CellValue;
            done = true;
          }
        });
      expect(done).toBe(true);
      return { fileName: 'mau-moi.xlsx', data: Buffer.from(await book.xlsx.writeBuffer()).toString('base64') };
    };
    const mine = await edit(bccx.data, (label) => (label === 'Mã mẫu' ? ID : undefined));
    expect(await call(city, 'templates.publish', { file: mine })).toMatchObject({ id: ID, version: 1 });
    expect((await call(city, 'templates.workbook', { id: ID, version: 1 })).data).toBe(mine.data);
    await expect(call(city, 'templates.publish', { file: mine })).rejects.toMatchObject({ message: expect.stringMatching(/đã là phiên bản 1/) });
    // A changed title, the settings still saying version 1: published as 2; its workbook says 2.
    const renamed = await edit(mine.data, (label) => (label === 'Tên' ? 'Báo cáo thử nghiệm, lần 2' : undefined));
    const p2 = await call(city, 'templates.publish', { file: renamed });
    expect(p2).toMatchObject({ version: 2, message: expect.stringMatching(/Sổ mẫu tải về từ ứng dụng ghi đúng phiên bản 2/) });
    const wb2 = await call(city, 'templates.workbook', { id: ID });
    expect(wb2.fileName).toBe(`${ID}_phien-ban-2.xlsx`);
    const back = await buildTemplateFromWorkbook(Buffer.from(wb2.data, 'base64'));
    expect(back.template).toMatchObject({ id: ID, version: 2, title: { vi: 'Báo cáo thử nghiệm, lần 2' } });
    // A commune receiving that version (signed by the city, as issue 9 requires) gets version 2.
    const commune = await core(tmp.file('commune.sqlite'), 'commune');
    await expect(call(commune, 'templates.receive', { file: wb2 })).rejects.toMatchObject({ code: 'refused' });
    expect(await call(commune, 'templates.receive', { file: signedFile(back.template) })).toMatchObject({ id: ID, version: 2 });
    expect(commune.resources.latestTemplate(ID)?.version).toBe(2);
  });

  it('sample, package preview and consolidation preview of a template that is not stored', async () => {
    tmp = tempDir('cr-i8-tpl-');
    const city = await core(tmp.file('city.sqlite'), 'city');
    const { v2 } = derived(city.resources.latestTemplate('BC-CX')!);
    const ret = await call(city, 'templates.sample', { template: v2, unit: UNIT, period: '2026-Q2', seed: 3 });
    expect(ret).toMatchObject({ template: ID, templateVersion: 1, unit: UNIT, period: '2026-Q2' });
    const { errors, warnings } = validate(v2, ret.values, { period: parsePeriod('2026-Q2')!, unitType: 'đặc khu' });
    expect([...errors, ...warnings]).toEqual([]);
    expect(typeof ret.values.unit_info!.ghi_chu).toBe('string');
    // Deterministic for a seed.
    expect(await call(city, 'templates.sample', { template: v2, unit: UNIT, period: '2026-Q2', seed: 3 })).toEqual(ret);

    const pkg = await call(city, 'templates.previewPackage', { template: v2, values: ret.values, unit: UNIT, period: '2026-Q2' });
    expect(pkg.fileName).toBe(`${ID}_${UNIT}_2026-Q2_xem-truoc.xlsx`);
    const xlsx = await loadXlsx();
    const read = await xlsx.readPackage(Buffer.from(pkg.data, 'base64'), (id, v) => (id === ID && v === 1 ? v2 : undefined));
    expect(canonicalJson(read.ret.values)).toBe(canonicalJson(normalizeValues(v2, ret.values)));

    const cons = await call(city, 'templates.previewConsolidation', { template: v2, period: '2026-Q2', seed: 1 });
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(Buffer.from(cons.data, 'base64') as unknown as ArrayBuffer);
    const names = book.worksheets.map((w) => w.name);
    expect(names).toContain('Tình hình nộp');
    // Every unit of the list is in: 114 of 114 submitted.
    const text = JSON.stringify(book.getWorksheet('Tình hình nộp')!.getSheetValues());
    expect(text).toMatch(/114/);
    // Nothing was stored by samples and previews.
    expect((await call(city, 'templates.list', {})).some((t) => t.id === ID)).toBe(false);

    await expect(call(city, 'templates.sample', { template: { ...v2, id: 'x y' } })).rejects.toMatchObject({ code: 'invalid_input' });
    await expect(call(city, 'templates.sample', { template: v2, period: '2026-M05' })).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringMatching(/Kỳ báo cáo "2026-M05" không hợp lệ cho mẫu BC-TN/),
    });
    await expect(call(city, 'templates.sample', { template: v2, unit: '00000' })).rejects.toMatchObject({ code: 'invalid_input' });
  });
});
