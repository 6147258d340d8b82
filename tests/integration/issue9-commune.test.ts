/**
 * Issue 9, the commune side (engineer "commune"): a commune office receives signed request files
 * (the fixture private key matches the city public key shipped in resources/keys, trusted by
 * default), lists what it owes (Việc phải nộp), and files the return: late by the request's own
 * deadline, its package carrying the request, read by the city's import. Every refusal leaves the
 * office's draft as it was. Real SQLite files in a temp dir, real .xlsx read with ExcelJS.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import ExcelJS from 'exceljs';
import { afterEach, describe, expect, it } from 'vitest';
import type { RequestEdition, Template } from '../../shared/index.js';
import { sampleReturn } from '../../shared/template/sample.js';
import type { Core } from '../../core/handlers.js';
import { createCommuneRequests } from '../../core/requests/commune.js';
import type { RequestDeps } from '../../core/requests/deps.js';
import type { CityKeyPair } from '../../core/requests/sign.js';
import { generateCityKey, signFile } from '../../core/requests/sign.js';
import { call, openCore, saveWhole } from '../helpers/core.js';
import { resourcesDir, tempDir } from '../helpers/sample.js';

const CITY_KEY: CityKeyPair = {
  publicPem: readFileSync(path.join(resourcesDir, 'keys', 'city-public.pem'), 'utf8'),
  privatePem: readFileSync(path.join(import.meta.dirname, '..', 'fixtures', 'keys', 'city-private.pem'), 'utf8'),
};
const UNIT = '11948'; // Đặc khu Bạch Long Vĩ
const OTHER = '11557'; // Phường Thiên Hương
const ID = 'BC-TS';
/** 2026-05-10 10:00 in Vietnam. */
const NOW = () => new Date('2026-05-10T03:00:00Z');

let tmp: ReturnType<typeof tempDir> | undefined;
const open: Core[] = [];
afterEach(async () => {
  for (const c of open.splice(0)) await c.close().catch(() => undefined);
  tmp?.cleanup();
  tmp = undefined;
});

async function commune(name: string, unit = UNIT): Promise<Core> {
  const c = await openCore(tmp!.file(name), NOW);
  open.push(c);
  await call(c, 'app.setup', { role: 'commune', unitCode: unit });
  return c;
}

/** A template of its own (quarterly like BC-CX), so that a request's return is not the standing BC-CX one. */
function trialTemplate(base: Template): Template {
  return { ...structuredClone(base), id: ID, version: 1, title: { vi: 'Báo cáo rà soát thử nghiệm', en: 'Trial review' } };
}

function edition(over: Partial<RequestEdition> = {}): RequestEdition {
  return {
    id: 'YC-2026-0001',
    edition: 1,
    state: 'open',
    template: ID,
    templateVersion: 1,
    ref: { number: '1234/UBND-NVKTGS', date: '2026-05-02', summary: 'Rà soát, sắp xếp trụ sở, tài sản công' },
    title: 'Rà soát trụ sở, tài sản công',
    addressees: { kind: 'units', codes: [UNIT] },
    units: [UNIT],
    unitListVersion: 'haiphong-2025',
    period: '2026-Q2',
    due: '2026-05-10',
    dueWording: 'trong',
    department: 'Sở Tài chính',
    instruction: 'Số liệu tính đến hết ngày 30/4/2026.',
    issuedAt: '2026-05-02T02:00:00Z',
    ...over,
  };
}

const requestFile = (e: RequestEdition, templates: Template[], key = CITY_KEY) => signFile('request', { request: e, templates }, key);
const asFile = (bytes: Buffer, fileName = 'yeu-cau-YC-2026-0001-lan-1.json') => ({ fileName, data: bytes.toString('base64') });

/** The office's BC-CX draft of 2026-Q1, typed before any file arrives: nothing received may change it. */
async function typeDraft(c: Core): Promise<unknown> {
  const t = c.resources.latestTemplate('BC-CX')!;
  await saveWhole(c, '2026-Q1', { values: sampleReturn(t, { unit: { type: 'đặc khu' }, period: '2026-Q1', seed: 3 }) });
  return (await call(c, 'returns.open', { template: 'BC-CX', period: '2026-Q1' })).values;
}

describe('receiving request files', () => {
  it('receives, lists by deadline with the time left, takes a later edition as amended, ignores an older one, drops a withdrawn one', async () => {
    tmp = tempDir('cr-i9-commune-');
    const c = await commune('commune.sqlite');
    const trial = trialTemplate(c.resources.latestTemplate('BC-CX')!);

    const r1 = await call(c, 'requests.receive', { file: asFile(requestFile(edition(), [trial])) });
    expect(r1).toMatchObject({ outcome: 'received', requestId: 'YC-2026-0001', edition: 1 });
    expect(r1.message).toMatch(/Đã nhận yêu cầu YC-2026-0001 .*chậm nhất trong ngày 10\/5\/2026/);
    expect(c.templates.getTemplate(ID, 1)?.title.vi).toBe('Báo cáo rà soát thử nghiệm');
    // A second request, "trước ngày 9/5": its last day was the 8th, two days ago.
    const second = edition({ id: 'YC-2026-0002', template: 'BC-CX', period: '2026-05-05', due: '2026-05-09', dueWording: 'truoc', title: 'Số liệu nhanh' });
    expect((await call(c, 'requests.receive', { file: asFile(requestFile(second, [])) })).outcome).toBe('received');

    const todo = await call(c, 'requests.todo', {});
    const requests = todo.items.filter((i) => i.kind === 'request');
    expect(requests.map((i) => [i.requestId, i.timeLeft, i.deadlineText, i.lastDay])).toEqual([
      ['YC-2026-0002', 'quá hạn 2 ngày', 'chậm nhất trước ngày 9/5/2026', '2026-05-08'],
      ['YC-2026-0001', 'hạn hôm nay', 'chậm nhất trong ngày 10/5/2026', '2026-05-10'],
    ]);
    const first = requests[1]!;
    expect(first).toMatchObject({
      addressee: 'Kính gửi: UBND thành phố (qua Sở Tài chính)',
      templateTitle: 'Báo cáo rà soát thử nghiệm',
      state: 'not_started',
      amended: false,
      periodLabel: 'Quý II/2026',
    });
    // The standing BC-CX quarters that have started are listed too (the current one first among them by deadline).
    const standing = todo.items.filter((i) => i.kind === 'standing');
    expect(standing.map((i) => i.period)).toContain('2026-Q2');
    expect(standing.find((i) => i.period === '2026-Q2')).toMatchObject({ template: 'BC-CX', ref: null, department: 'Sở Nội vụ', state: 'not_started' });
    expect(standing.some((i) => i.period === '2026-Q3')).toBe(false);

    // Edition 2: a later deadline. "updated", marked amended until the return is opened.
    const e2 = edition({ edition: 2, due: '2026-05-20', note: 'Gia hạn đến 20/5/2026', issuedAt: '2026-05-09T02:00:00Z' });
    const r2 = await call(c, 'requests.receive', { file: asFile(requestFile(e2, [trial])) });
    expect(r2).toMatchObject({ outcome: 'updated', edition: 2 });
    expect(r2.message).toMatch(/Gia hạn đến 20\/5\/2026; hạn mới: chậm nhất trong ngày 20\/5\/2026/);
    let item = (await call(c, 'requests.todo', {})).items.find((i) => i.requestId === 'YC-2026-0001')!;
    expect(item).toMatchObject({ amended: true, edition: 2, timeLeft: 'còn 10 ngày', note: 'Gia hạn đến 20/5/2026' });
    const opened = await call(c, 'returns.open', { template: ID, period: '2026-Q2' });
    expect(opened.request).toMatchObject({ id: 'YC-2026-0001', edition: 2, deadlineText: 'chậm nhất trong ngày 20/5/2026', addressee: 'Kính gửi: UBND thành phố (qua Sở Tài chính)' });
    item = (await call(c, 'requests.todo', {})).items.find((i) => i.requestId === 'YC-2026-0001')!;
    expect(item.amended).toBe(false);

    // Edition 1 again: older, nothing stored; edition 2 again: unchanged.
    const older = await call(c, 'requests.receive', { file: asFile(requestFile(edition(), [trial])) });
    expect(older).toMatchObject({ outcome: 'older', edition: 1 });
    expect(older.message).toMatch(/cũ hơn lần thứ 2 máy đang giữ/);
    expect((await call(c, 'requests.receive', { file: asFile(requestFile(e2, [trial])) })).outcome).toBe('unchanged');
    // The same edition number with another content is refused.
    await expect(call(c, 'requests.receive', { file: asFile(requestFile({ ...e2, title: 'Khác' }, [trial])) })).rejects.toMatchObject({
      code: 'refused',
      message: expect.stringMatching(/nội dung khác với lần thứ 2 máy đã nhận/),
    });

    // Withdrawn: it leaves the list.
    const e3 = edition({ edition: 3, state: 'withdrawn', due: '2026-05-20', note: 'Không còn cần', issuedAt: '2026-05-10T01:00:00Z' });
    const r3 = await call(c, 'requests.receive', { file: asFile(requestFile(e3, [trial])) });
    expect(r3).toMatchObject({ outcome: 'updated', edition: 3 });
    expect(r3.message).toMatch(/đã thu hồi/);
    expect((await call(c, 'requests.todo', {})).items.some((i) => i.requestId === 'YC-2026-0001')).toBe(false);
    expect((await call(c, 'returns.open', { template: ID, period: '2026-Q2' })).request).toBeNull();
  });

  it('refuses a file not addressed to the unit, altered by one byte, signed by another key, or clashing with a held template; the draft typed before is unchanged', async () => {
    tmp = tempDir('cr-i9-commune-');
    const c = await commune('commune.sqlite');
    const before = await typeDraft(c);
    const trial = trialTemplate(c.resources.latestTemplate('BC-CX')!);
    const draftNow = async () => (await call(c, 'returns.open', { template: 'BC-CX', period: '2026-Q1' })).values;

    // Not addressed.
    const elsewhere = edition({ units: [OTHER], addressees: { kind: 'units', codes: [OTHER] } });
    await expect(call(c, 'requests.receive', { file: asFile(requestFile(elsewhere, [trial])) })).rejects.toMatchObject({
      code: 'refused',
      message: expect.stringMatching(/^Yêu cầu này không gửi cho Đặc khu Bạch Long Vĩ .*nên không nhận\. Nếu đơn vị cần làm báo cáo này, hãy liên hệ Sở Tài chính\.$/),
    });
    expect(c.templates.getTemplate(ID, 1)).toBeUndefined();

    // One byte of the payload flipped.
    const good = requestFile(edition(), [trial]);
    const file = JSON.parse(good.toString('utf8')) as { payload: string };
    const payload = Buffer.from(file.payload, 'base64');
    payload[40] = payload[40]! ^ 0x01;
    const altered = Buffer.from(JSON.stringify({ ...file, payload: payload.toString('base64') }));
    await expect(call(c, 'requests.receive', { file: asFile(altered) })).rejects.toMatchObject({
      code: 'refused',
      message: expect.stringMatching(/đã bị sửa sau khi Thành phố ký/),
    });
    // Cut short.
    await expect(call(c, 'requests.receive', { file: asFile(good.subarray(0, good.length / 2)) })).rejects.toMatchObject({ code: 'refused' });
    // Another key.
    await expect(call(c, 'requests.receive', { file: asFile(requestFile(edition(), [trial], generateCityKey())) })).rejects.toMatchObject({
      code: 'refused',
      message: expect.stringMatching(/ký bằng một khóa khác/),
    });
    // A template version held with another content: BC-CX@1 is built in.
    const otherBccx = { ...c.resources.getTemplate('BC-CX', 1)!, title: { vi: 'Mẫu khác' } };
    await expect(
      call(c, 'requests.receive', { file: asFile(requestFile(edition({ template: 'BC-CX', period: '2026-Q2' }), [otherBccx])) }),
    ).rejects.toMatchObject({ code: 'refused', message: expect.stringMatching(/đã có mẫu BC-CX phiên bản 1 nhưng nội dung khác/) });

    expect((await call(c, 'requests.todo', {})).items.some((i) => i.kind === 'request')).toBe(false);
    expect(await draftNow()).toEqual(before);

    // The good file is then received; the draft is still as typed.
    expect((await call(c, 'requests.receive', { file: asFile(good) })).outcome).toBe('received');
    expect(await draftNow()).toEqual(before);
  });

  it('refuses at a city database and before the unit is set up; trust.set replaces the key, a bad key file keeps the old one', async () => {
    tmp = tempDir('cr-i9-commune-');
    const cityDb = await openCore(tmp.file('city.sqlite'), NOW);
    open.push(cityDb);
    const bytes = requestFile(edition(), []);
    const blank = await openCore(tmp.file('blank.sqlite'), NOW);
    open.push(blank);
    await expect(call(blank, 'requests.receive', { file: asFile(bytes) })).rejects.toMatchObject({ message: expect.stringMatching(/hãy thiết lập đơn vị trước/) });
    await call(cityDb, 'app.setup', { role: 'city' });
    await expect(call(cityDb, 'requests.receive', { file: asFile(bytes) })).rejects.toMatchObject({ code: 'refused' });

    const c = await commune('commune.sqlite');
    const shipped = await call(c, 'trust.get', {});
    expect(shipped).toMatchObject({ source: 'shipped', fingerprint: expect.stringMatching(/^[0-9A-F]{4}( [0-9A-F]{4}){3}$/) });
    const pemFile = (text: string) => ({ fileName: 'khoa.pem', data: Buffer.from(text).toString('base64') });
    await expect(call(c, 'trust.set', { file: pemFile('không phải khóa') })).rejects.toMatchObject({ message: expect.stringMatching(/Ed25519/) });
    expect(await call(c, 'trust.get', {})).toEqual(shipped);
    const other = generateCityKey();
    const set = await call(c, 'trust.set', { file: pemFile(other.publicPem) });
    expect(set.source).toBe('configured');
    expect(set.fingerprint).not.toBe(shipped.fingerprint);
    // Now the shipped key's files are refused and the new key's received.
    await expect(call(c, 'requests.receive', { file: asFile(requestFile(edition({ template: 'BC-CX' }), [])) })).rejects.toMatchObject({ code: 'refused' });
    expect((await call(c, 'requests.receive', { file: asFile(requestFile(edition({ template: 'BC-CX' }), [], other)) })).outcome).toBe('received');
  });

  it('a signed template file through templates.receive; an unsigned one refused on a commune; a reminder stored once, the latest shown', async () => {
    tmp = tempDir('cr-i9-commune-');
    const c = await commune('commune.sqlite');
    const trial = trialTemplate(c.resources.latestTemplate('BC-CX')!);
    const unsigned = { fileName: 'BC-TS.json', data: Buffer.from(JSON.stringify(trial)).toString('base64') };
    await expect(call(c, 'templates.receive', { file: unsigned })).rejects.toMatchObject({
      code: 'refused',
      message: expect.stringMatching(/^Mẫu báo cáo phải là tệp do Thành phố ký/),
    });
    const signed = { fileName: 'mau-BC-TS-v1.json', data: signFile('template', { templates: [trial] }, CITY_KEY).toString('base64') };
    expect(await call(c, 'templates.receive', { file: signed })).toMatchObject({ id: ID, version: 1 });
    expect((await call(c, 'requests.receive', { file: signed })).outcome).toBe('template');
    // A request file given to templates.receive: its template.
    expect(await call(c, 'templates.receive', { file: asFile(requestFile(edition(), [trial])) })).toMatchObject({ id: ID, version: 1 });
    expect((await call(c, 'requests.todo', {})).items.find((i) => i.requestId === 'YC-2026-0001')?.reminder).toBeNull();

    // A reminder the intake brings (core/delivery calls receiveReminder): stored once, the latest shown on the list.
    const sqlite = new Database(tmp!.file('commune.sqlite'));
    try {
      const side = createCommuneRequests({
        sqlite,
        settings: async () => ({ role: 'commune', unitCode: UNIT, lang: 'vi', firstPeriod: null }),
        serial: <T>(fn: () => Promise<T>) => fn(),
      } as unknown as RequestDeps);
      const reminder = { id: 'NN-1', requestId: 'YC-2026-0001', message: 'Đề nghị nộp trước ngày 12/5.', sentAt: '2026-05-10T01:00:00Z' };
      await side.receiveReminder(reminder);
      await side.receiveReminder({ ...reminder, message: 'lặp lại' });
      await side.receiveReminder({ id: 'NN-0', requestId: 'YC-2026-0001', message: 'Nhắc lần đầu.', sentAt: '2026-05-08T01:00:00Z' });
      expect(sqlite.prepare("SELECT count(*) AS n FROM reminders WHERE direction = 'received'").get()).toEqual({ n: 2 });
    } finally {
      sqlite.close();
    }
    expect((await call(c, 'requests.todo', {})).items.find((i) => i.requestId === 'YC-2026-0001')?.reminder).toEqual({
      message: 'Đề nghị nộp trước ngày 12/5.',
      sentAt: '2026-05-10T01:00:00Z',
    });
  });
});

describe('filing a return that answers a request', () => {
  it('late by the request’s own last day; the package shows “Kính gửi” and the reference; the city imports it', async () => {
    tmp = tempDir('cr-i9-commune-');
    const city = await openCore(tmp.file('city.sqlite'), NOW);
    open.push(city);
    await call(city, 'app.setup', { role: 'city' });
    const trial = trialTemplate(city.resources.latestTemplate('BC-CX')!);
    await call(city, 'templates.publish', { file: { fileName: 'BC-TS.json', data: Buffer.from(JSON.stringify(trial)).toString('base64') } });
    const published = city.templates.getTemplate(ID, 1)!;

    const c = await commune('commune.sqlite');
    // "trước ngày 9/5/2026": the last day is the 8th; BC-TS's own quarterly deadline (June) would not be late.
    const e = edition({ due: '2026-05-09', dueWording: 'truoc' });
    await call(c, 'requests.receive', { file: asFile(requestFile(e, [published])) });
    await c.handlers['requests.todo']({}); // the list works before anything is typed
    const values = sampleReturn(published, { unit: { type: 'đặc khu' }, period: '2026-Q2', seed: 7 });
    await saveWhole(c, '2026-Q2', { values }, ID);
    const state = await call(c, 'returns.open', { template: ID, period: '2026-Q2' });
    const rev = await call(c, 'returns.submit', { returnId: state.returnId, submittedBy: 'Nguyễn Văn An' });
    expect(rev.late).toBe(true);
    const item = (await call(c, 'requests.todo', {})).done.find((i) => i.requestId === 'YC-2026-0001')!;
    expect(item).toMatchObject({ state: 'submitted', late: true, timeLeft: '', revision: 1 });

    // The package workbook.
    const pkg = await call(c, 'package.export', { returnId: state.returnId, revision: 1 });
    const bytes = Buffer.from(pkg.data, 'base64');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(bytes as unknown as ArrayBuffer);
    const first = wb.worksheets[0]!;
    const texts = [9, 10].map((r) => String(first.getCell(r, 1).value));
    expect(texts[0]).toBe('Kính gửi: UBND thành phố (qua Sở Tài chính)');
    expect(texts[1]).toBe('Thực hiện: Số 1234/UBND-NVKTGS ngày 02/05/2026 — Rà soát, sắp xếp trụ sở, tài sản công');
    const identity = new Map<string, string>();
    wb.getWorksheet('_identity')?.eachRow((row) => identity.set(String(row.getCell(1).value), String(row.getCell(2).value)));
    expect(identity.get('requestId')).toBe('YC-2026-0001');
    expect(identity.get('requestEdition')).toBe('1');

    // A draft exported from the office carries it too.
    const draft = await call(c, 'package.export', { returnId: state.returnId, draft: true });
    expect(draft.fileName).toMatch(/\.xlsx$/);

    // The city imports it.
    const [imported] = await city.city.importFiles([{ name: pkg.fileName, bytes }], { dryRun: false });
    expect(imported).toMatchObject({ outcome: 'imported' });
  });

  it('a standing BC-CX quarter with no request keeps the template’s own deadline, and no request line', async () => {
    tmp = tempDir('cr-i9-commune-');
    const c = await commune('commune.sqlite');
    const t = c.resources.latestTemplate('BC-CX')!;
    const values = sampleReturn(t, { unit: { type: 'đặc khu' }, period: '2026-Q1', seed: 3 });
    await saveWhole(c, '2026-Q1', { values });
    const state = await call(c, 'returns.open', { template: 'BC-CX', period: '2026-Q1' });
    expect(state.request).toBeNull();
    const rev = await call(c, 'returns.submit', { returnId: state.returnId, submittedBy: 'Nguyễn Văn An' });
    const todo = await call(c, 'requests.todo', {});
    expect(todo.done.find((i) => i.kind === 'standing' && i.period === '2026-Q1')).toMatchObject({ state: 'submitted', late: rev.late });
    expect(todo.items.some((i) => i.period === '2026-Q1' && i.template === 'BC-CX')).toBe(false);
    const pkg = await call(c, 'package.export', { returnId: state.returnId, revision: 1 });
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.from(pkg.data, 'base64') as unknown as ArrayBuffer);
    expect(String(wb.worksheets[0]!.getCell(9, 1).value)).toMatch(/^Đơn vị nhận báo cáo: /);
  });
});
