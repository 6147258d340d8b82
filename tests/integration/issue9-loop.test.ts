/**
 * Issue 9, the whole loop (engineer "loop"): real SQLite files for the city and three commune
 * offices, real cores whose clock the test moves, real packages (.xlsx) and signed request files.
 *
 * The city creates two requests (one "trong ngày 24/6", one "trước ngày 27/6" on a template it
 * publishes and the file carries) → exports the signed files → three offices receive them (the one
 * not addressed refuses, with the Vietnamese reason, storing nothing) → the two addressed offices
 * file on the edge minutes (Vietnam time) → their packages are imported at the city →
 * completeness counts lateness by each request's own last day → the request's consolidation sums
 * its units only → an amended edition (a later deadline, one more unit) reaches the offices and the
 * third office files → the request is withdrawn and leaves every office's list.
 *
 * Then the "Bad input" list at one office holding a typed draft of the request's own
 * return: every file refused or ignored with its reason, the draft and the list unchanged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Consolidation, Input, RequestEdition, Template, Unit } from '../../shared/index.js';
import { consolidate } from '../../shared/index.js';
import { sampleReturn } from '../../shared/template/sample.js';
import type { Core } from '../../core/handlers.js';
import { generateCityKey, signFile } from '../../core/requests/sign.js';
import { CITY_KEY } from '../helpers/city-key.js';
import { call, inputsOf, openCore, saveWhole } from '../helpers/core.js';
import { tempDir } from '../helpers/sample.js';

const A = '11948'; // Đặc khu Bạch Long Vĩ
const B = '11557'; // Phường Thiên Hương
const C = '11560'; // Phường Thủy Nguyên: not addressed at first
/** Request 1: BC-CX as of 20/6/2026, "chậm nhất trong ngày 24/6/2026". */
const P1 = '2026-06-20';
/** Request 2: a template the city publishes (BC-TS), 2026-Q2, "chậm nhất trước ngày 27/6/2026". */
const TS = 'BC-TS';
const P2 = '2026-Q2';

/** One clock for every core; the test moves it. */
let clock = new Date('2026-06-15T03:00:00Z'); // 15/6/2026 10:00 in Vietnam
const now = () => clock;
const at = (iso: string) => {
  clock = new Date(iso);
};

let tmp: ReturnType<typeof tempDir>;
let city: Core;
const office: Record<string, Core> = {};
let units: Map<string, Unit>;
const opened: Core[] = [];

async function core(name: string): Promise<Core> {
  const c = await openCore(tmp.file(name), now);
  opened.push(c);
  return c;
}

beforeAll(async () => {
  tmp = tempDir('cr-i9-loop-');
  city = await core('city.sqlite');
  await call(city, 'app.setup', { role: 'city' });
  units = new Map((await call(city, 'units.list', {})).units.map((u) => [u.code, u]));
  // Each office trusts the city key it was given (as `trust --key` does), not the shipped one.
  const key = await call(city, 'keys.city', {});
  for (const code of [A, B, C]) {
    const c = await core(`xa-${code}.sqlite`);
    await call(c, 'app.setup', { role: 'commune', unitCode: code });
    await call(c, 'trust.set', {
      file: { fileName: key.fileName, data: Buffer.from(key.publicKey).toString('base64') },
    });
    office[code] = c;
  }
}, 60_000);

afterAll(async () => {
  for (const c of opened) await c.close().catch(() => undefined);
  tmp?.cleanup();
});

const asFile = (f: { fileName: string; data: string }) => f;
const receive = (code: string, file: { fileName: string; data: string }) =>
  call(office[code]!, 'requests.receive', { file });
const requestItems = async (code: string) => {
  const todo = await call(office[code]!, 'requests.todo', {});
  return [...todo.items, ...todo.done].filter((i) => i.kind === 'request');
};

/** Type the return the request asks for at an office, submit it at `when` (UTC), give its package to the city. */
async function fileAndDeliver(code: string, template: string, period: string, when: string, seed: number) {
  const c = office[code]!;
  const t = c.resources.latestTemplate(template)!;
  const values = sampleReturn(t, { unit: units.get(code)!, period, seed });
  await saveWhole(c, period, { values }, template);
  const state = await call(c, 'returns.open', { template, period });
  at(when);
  const rev = await call(c, 'returns.submit', { returnId: state.returnId, submittedBy: 'Người lập biểu' });
  const pkg = await call(c, 'package.export', { returnId: state.returnId, revision: rev.revision });
  const [imported] = await city.city.importFiles([{ name: pkg.fileName, bytes: Buffer.from(pkg.data, 'base64') }], {
    dryRun: false,
    backup: false,
  });
  expect(imported!.outcome, imported!.message).toBe('imported');
  return { rev, values, request: state.request };
}

const BASE: Input<'requests.create'> = {
  template: 'BC-CX',
  templateVersion: 1,
  ref: { number: '1234/UBND-NVKTGS', date: '2026-06-12', summary: 'Rà soát tổ chức bộ máy, biên chế cấp xã' },
  title: 'Rà soát biên chế cấp xã',
  addressees: { kind: 'units', codes: [A, B] },
  period: P1,
  due: '2026-06-24',
  dueWording: 'trong',
  department: 'Sở Nội vụ',
  instruction: 'Số liệu tính đến ngày 20/6/2026.',
};

describe('the request loop: city → files → three offices → packages → city', () => {
  let r1: RequestEdition;
  let r2: RequestEdition;
  let trial: Template;
  const filed: Record<string, Record<string, Record<string, unknown>>> = {};

  it('refuses at creation a template not published, then creates both requests once it is', async () => {
    trial = {
      ...structuredClone(city.resources.latestTemplate('BC-CX')!),
      id: TS,
      version: 1,
      title: { vi: 'Báo cáo rà soát thử nghiệm', en: 'Trial review' },
    };
    const file = { fileName: 'BC-TS.json', data: Buffer.from(JSON.stringify(trial)).toString('base64') };
    // Checked (not published): a request for it is refused, and nothing is stored.
    expect((await call(city, 'templates.check', { file })).problems).toEqual([]);
    const second = {
      ...BASE,
      template: TS,
      period: P2,
      due: '2026-06-27',
      dueWording: 'truoc' as const,
      title: 'Rà soát thử nghiệm quý II',
    };
    await expect(call(city, 'requests.create', second)).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringMatching(
        /^Chưa ra được yêu cầu: Không có mẫu báo cáo "BC-TS" .*Hãy công bố mẫu trước, rồi ra yêu cầu\./,
      ),
    });
    expect(await call(city, 'requests.list', { includeWithdrawn: true })).toEqual([]);
    await call(city, 'templates.publish', { file });

    r1 = await call(city, 'requests.create', BASE);
    r2 = await call(city, 'requests.create', second);
    expect([r1.id, r2.id]).toEqual(['YC-2026-0001', 'YC-2026-0002']);
    expect(r1).toMatchObject({ edition: 1, state: 'open', due: '2026-06-24', dueWording: 'trong' });
    expect([...r1.units].sort()).toEqual([A, B].sort());
  });

  it('exports the signed files; the office not addressed refuses them with the reason and stores nothing', async () => {
    const f1 = asFile(await call(city, 'requests.export', { id: r1.id }));
    const f2 = asFile(await call(city, 'requests.export', { id: r2.id }));
    expect([f1.fileName, f2.fileName]).toEqual([`yeu-cau-${r1.id}-lan-1.json`, `yeu-cau-${r2.id}-lan-1.json`]);

    for (const [f, r] of [
      [f1, r1],
      [f2, r2],
    ] as const) {
      await expect(receive(C, f)).rejects.toMatchObject({
        code: 'refused',
        message: `Yêu cầu này không gửi cho Phường Thủy Nguyên (yêu cầu ${r.id} "${r.title}" gửi 2 đơn vị khác) nên không nhận. Nếu đơn vị cần làm báo cáo này, hãy liên hệ Sở Nội vụ.`,
      });
    }
    // Nothing stored at C: no request, not even the template the second file carries.
    expect(await requestItems(C)).toEqual([]);
    expect(office[C]!.templates.getTemplate(TS, 1)).toBeUndefined();
    await expect(call(office[C]!, 'requests.get', { id: r1.id })).rejects.toMatchObject({ code: 'not_found' });

    for (const code of [A, B]) {
      expect(await receive(code, f1)).toMatchObject({ outcome: 'received', requestId: r1.id, edition: 1 });
      const got = await receive(code, f2);
      expect(got).toMatchObject({ outcome: 'received', requestId: r2.id, edition: 1 });
      expect(got.message).toContain('chậm nhất trước ngày 27/6/2026');
      // The template came with the file.
      expect(office[code]!.templates.getTemplate(TS, 1)?.title.vi).toBe('Báo cáo rà soát thử nghiệm');
    }
    const items = await requestItems(A);
    expect(items.map((i) => [i.requestId, i.deadlineText, i.lastDay, i.timeLeft, i.addressee, i.state])).toEqual([
      [
        r1.id,
        'chậm nhất trong ngày 24/6/2026',
        '2026-06-24',
        'còn 9 ngày',
        'Kính gửi: UBND thành phố (qua Sở Nội vụ)',
        'not_started',
      ],
      [
        r2.id,
        'chậm nhất trước ngày 27/6/2026',
        '2026-06-26',
        'còn 11 ngày',
        'Kính gửi: UBND thành phố (qua Sở Nội vụ)',
        'not_started',
      ],
    ]);
  });

  it('the addressed offices file on the edge minutes; lateness by each request’s own last day, at the office and at the city', async () => {
    // "trong ngày 24/6": 23:59 on the 24th (Vietnam) is on time, 00:01 on the 25th late.
    const a1 = await fileAndDeliver(A, 'BC-CX', P1, '2026-06-24T16:59:00.000Z', 1);
    const b1 = await fileAndDeliver(B, 'BC-CX', P1, '2026-06-24T17:01:00.000Z', 2);
    expect([a1.rev.late, b1.rev.late]).toEqual([false, true]);
    expect(a1.request).toMatchObject({ id: r1.id, edition: 1, addressee: 'Kính gửi: UBND thành phố (qua Sở Nội vụ)' });
    filed[A] = a1.values;
    filed[B] = b1.values;
    // "trước ngày 27/6": the last day is the 26th: 23:59 on the 26th on time, 00:01 on the 27th late.
    const a2 = await fileAndDeliver(A, TS, P2, '2026-06-26T16:59:00.000Z', 3);
    const b2 = await fileAndDeliver(B, TS, P2, '2026-06-26T17:01:00.000Z', 4);
    expect([a2.rev.late, b2.rev.late]).toEqual([false, true]);

    const done = (await call(office[B]!, 'requests.todo', {})).done.filter((i) => i.kind === 'request');
    expect(done.map((i) => [i.requestId, i.state, i.late])).toEqual(
      expect.arrayContaining([
        [r1.id, 'submitted', true],
        [r2.id, 'submitted', true],
      ]),
    );

    const c1 = await call(city, 'requests.completeness', { id: r1.id });
    expect(c1.deadline).toBe('2026-06-24');
    expect(c1.rows.map((r) => [r.unit.code, r.state, r.late]).sort()).toEqual(
      [
        [A, 'received', false],
        [B, 'received', true],
      ].sort(),
    );
    expect(c1.counts).toEqual({ expected: 2, submitted: 2, on_time: 1, late: 1, missing: 0, accepted: 0, returned: 0 });
    const c2 = await call(city, 'requests.completeness', { id: r2.id });
    expect(c2.deadline).toBe('2026-06-26');
    expect(c2.rows.map((r) => [r.unit.code, r.late]).sort()).toEqual(
      [
        [A, false],
        [B, true],
      ].sort(),
    );
    expect(c2.counts).toMatchObject({ expected: 2, submitted: 2, on_time: 1, late: 1, missing: 0 });
    // The city's list shows the same counts.
    const list = await call(city, 'requests.list', {});
    expect(list.find((s) => s.id === r2.id)!.counts).toEqual(c2.counts);
  }, 60_000);

  it('consolidates the request: the addressed units only, their figures summed', async () => {
    const c = (await call(city, 'requests.consolidation', { id: r1.id })) as Consolidation;
    expect(c.request).toBe(r1.id);
    expect(c.rows.map((r) => r.code).sort()).toEqual([A, B].sort());
    expect(c.units).toMatchObject({ expected: 2, submitted: 2, late: 1, missing: 0 });
    const t = city.resources.getTemplate('BC-CX', 1)!;
    const expected = consolidate(t, {
      period: P1,
      units: c.rows.map((r) => units.get(r.code)!),
      returns: [A, B].map((code) => ({
        unit: code,
        values: inputsOf(filed[code]!),
        state: 'received' as const,
        submittedAt: '',
        late: code === B,
      })),
    });
    const blocks = (x: Consolidation) =>
      Object.fromEntries(
        Object.entries(x).filter(
          ([k]) => !['rows', 'units', 'unlisted', 'request', 'unitListVersion', 'currentUnitListVersion'].includes(k),
        ),
      );
    expect(blocks(c)).toEqual(blocks(expected));
    // The whole period at the city expects all 114 units; the request only its two.
    const whole = (await call(city, 'city.consolidation', { template: 'BC-CX', period: P1 })) as Consolidation;
    expect(whole.rows.length).toBe(114);
    const file = await call(city, 'requests.consolidation.export', { id: r1.id });
    expect(file.fileName).toBe(`tong-hop-${r1.id}.xlsx`);
  });

  it('an amended edition (a later deadline, one more unit) reaches the offices; the third office now files it', async () => {
    at('2026-06-25T03:00:00Z');
    const e2 = await call(city, 'requests.amend', {
      id: r1.id,
      due: '2026-06-30',
      addressees: { kind: 'units', codes: [A, B, C] },
      note: 'Gia hạn đến 30/6/2026; thêm Phường Thủy Nguyên',
    });
    expect(e2).toMatchObject({ edition: 2, due: '2026-06-30' });
    expect(e2.units.slice(0, 2)).toEqual(r1.units);
    expect(e2.units).toContain(C);
    const f = await call(city, 'requests.export', { id: r1.id });
    expect(f.fileName).toBe(`yeu-cau-${r1.id}-lan-2.json`);

    for (const code of [A, B]) {
      const r = await receive(code, f);
      expect(r).toMatchObject({ outcome: 'updated', edition: 2 });
      expect(r.message).toContain('hạn mới: chậm nhất trong ngày 30/6/2026');
    }
    const atC = await receive(C, f);
    expect(atC).toMatchObject({ outcome: 'received', requestId: r1.id, edition: 2 });
    const [item] = await requestItems(C);
    expect(item).toMatchObject({
      requestId: r1.id,
      edition: 2,
      amended: true,
      timeLeft: 'còn 5 ngày',
      state: 'not_started',
    });
    // The office that had filed sees the new edition on its done line.
    expect((await requestItems(A)).find((i) => i.requestId === r1.id)).toMatchObject({
      edition: 2,
      state: 'submitted',
      deadlineText: 'chậm nhất trong ngày 30/6/2026',
    });

    const c = await fileAndDeliver(C, 'BC-CX', P1, '2026-06-28T02:00:00.000Z', 5);
    expect(c.rev.late).toBe(false);
    expect(c.request).toMatchObject({ id: r1.id, edition: 2 });
    // By the amended deadline, 25/6 00:01 is no longer late: at the city, and on the office's own list.
    expect((await requestItems(B)).find((i) => i.requestId === r1.id)).toMatchObject({ edition: 2, state: 'submitted', late: false });
    const comp = await call(city, 'requests.completeness', { id: r1.id });
    expect(comp.deadline).toBe('2026-06-30');
    expect(comp.counts).toEqual({
      expected: 3,
      submitted: 3,
      on_time: 3,
      late: 0,
      missing: 0,
      accepted: 0,
      returned: 0,
    });
    const cons = (await call(city, 'requests.consolidation', { id: r1.id })) as Consolidation;
    expect(cons.rows.map((r) => r.code).sort()).toEqual([A, B, C].sort());
  }, 60_000);

  it('withdrawn: the last edition takes the request off every office’s list; the other request stays', async () => {
    at('2026-07-01T03:00:00Z');
    const w = await call(city, 'requests.withdraw', { id: r1.id, reason: 'Đã có số liệu từ nguồn khác' });
    expect(w).toMatchObject({ edition: 3, state: 'withdrawn' });
    const f = await call(city, 'requests.export', { id: r1.id });
    for (const code of [A, B, C]) {
      const r = await receive(code, f);
      expect(r).toMatchObject({ outcome: 'updated', edition: 3 });
      expect(r.message).toMatch(/Thành phố đã thu hồi yêu cầu này \(Đã có số liệu từ nguồn khác\)/);
      expect((await requestItems(code)).some((i) => i.requestId === r1.id)).toBe(false);
      expect((await call(office[code]!, 'returns.open', { template: 'BC-CX', period: P1 })).request).toBeNull();
    }
    expect((await requestItems(A)).map((i) => i.requestId)).toEqual([r2.id]);
    expect((await requestItems(C)).map((i) => i.requestId)).toEqual([]);
    expect((await call(city, 'requests.list', {})).map((s) => s.id)).toEqual([r2.id]);
  });
});

describe('bad input at an office: refused or ignored with the reason, the typed draft unchanged', () => {
  it('a file cut short, altered by one byte, signed by another city, for another unit, clashing with a held template, an older edition', async () => {
    at('2026-05-10T03:00:00Z');
    const c = await core('xa-bad.sqlite');
    await call(c, 'app.setup', { role: 'commune', unitCode: A });
    const bccx = c.resources.getTemplate('BC-CX', 1)!;
    const edition = (over: Partial<RequestEdition> = {}): RequestEdition => ({
      id: 'YC-2026-0042',
      edition: 1,
      state: 'open',
      template: 'BC-CX',
      templateVersion: 1,
      ref: { number: '77/UBND-NV', date: '2026-05-02', summary: 'Số liệu nhanh' },
      title: 'Số liệu nhanh',
      addressees: { kind: 'units', codes: [A] },
      units: [A],
      unitListVersion: 'haiphong-2025',
      period: '2026-05-05',
      due: '2026-05-20',
      dueWording: 'trong',
      department: 'Sở Nội vụ',
      issuedAt: '2026-05-02T02:00:00Z',
      ...over,
    });
    const file = (e: RequestEdition, templates: Template[] = [bccx], key = CITY_KEY) => ({
      fileName: `yeu-cau-${e.id}-lan-${e.edition}.json`,
      data: signFile('request', { request: e, templates }, key).toString('base64'),
    });

    // Editions 1 and 2 received; the office types the request's return.
    expect((await call(c, 'requests.receive', { file: file(edition()) })).outcome).toBe('received');
    const e2 = edition({ edition: 2, due: '2026-05-25', note: 'Gia hạn', issuedAt: '2026-05-08T02:00:00Z' });
    expect((await call(c, 'requests.receive', { file: file(e2) })).outcome).toBe('updated');
    const values = sampleReturn(bccx, { unit: units.get(A)!, period: '2026-05-05', seed: 9 });
    await saveWhole(c, '2026-05-05', { values });
    const draft = async () => {
      const s = await call(c, 'returns.open', { template: 'BC-CX', period: '2026-05-05' });
      return { values: s.values, version: s.draftVersion, request: s.request };
    };
    const before = await draft();
    expect(before.request).toMatchObject({ id: 'YC-2026-0042', edition: 2 });
    const listBefore = await call(c, 'requests.todo', {});

    const good = Buffer.from(file(edition({ id: 'YC-2026-0043', period: '2026-05-06' })).data, 'base64');
    const refused = async (data: Buffer, message: RegExp) =>
      expect(
        call(c, 'requests.receive', { file: { fileName: 'yeu-cau.json', data: data.toString('base64') } }),
      ).rejects.toMatchObject({
        code: 'refused',
        message: expect.stringMatching(message),
      });

    // Cut short (a download that stopped half-way).
    await refused(
      good.subarray(0, Math.floor(good.length / 2)),
      /^Tệp này không phải tệp yêu cầu báo cáo .*có thể đã bị cắt ngắn khi tải về\). Hãy xin Thành phố gửi lại tệp\.$/,
    );
    // One byte of the signed content changed.
    const signed = JSON.parse(good.toString('utf8')) as { payload: string };
    const payload = Buffer.from(signed.payload, 'base64');
    payload[60] = payload[60]! ^ 0x04;
    await refused(
      Buffer.from(JSON.stringify({ ...signed, payload: payload.toString('base64') })),
      /^Tệp này đã bị sửa sau khi Thành phố ký/,
    );
    // Signed by another city.
    await refused(
      Buffer.from(file(edition({ id: 'YC-2026-0044' }), [bccx], generateCityKey()).data, 'base64'),
      /^Tệp này được ký bằng một khóa khác/,
    );
    // Addressed to another unit.
    await refused(
      Buffer.from(
        file(edition({ id: 'YC-2026-0045', units: [B], addressees: { kind: 'units', codes: [B] } })).data,
        'base64',
      ),
      /^Yêu cầu này không gửi cho Đặc khu Bạch Long Vĩ/,
    );
    // BC-CX version 1 under another content than the one the office has.
    const otherBccx = { ...structuredClone(bccx), title: { vi: 'Mẫu BC-CX khác' } };
    await refused(
      Buffer.from(file(edition({ id: 'YC-2026-0046' }), [otherBccx]).data, 'base64'),
      /đã có mẫu BC-CX phiên bản 1 nhưng nội dung khác/,
    );
    // Edition 1 again after edition 2: ignored, said so.
    const older = await call(c, 'requests.receive', { file: file(edition()) });
    expect(older).toMatchObject({ outcome: 'older', requestId: 'YC-2026-0042', edition: 1 });
    expect(older.message).toBe(
      'Tệp là lần ban hành thứ 1 của yêu cầu YC-2026-0042 "Số liệu nhanh", cũ hơn lần thứ 2 máy đang giữ, nên không nhận; không có gì thay đổi.',
    );

    // Nothing the office typed changed; the list is the same (still edition 2, its deadline); no template stored.
    expect(await draft()).toEqual(before);
    expect(await call(c, 'requests.todo', {})).toEqual(listBefore);
    expect(c.templates.getTemplate('BC-CX', 1)?.title.vi).toBe(bccx.title.vi);
    // The good file is then received.
    expect(
      (await call(c, 'requests.receive', { file: { fileName: 'yeu-cau.json', data: good.toString('base64') } }))
        .outcome,
    ).toBe('received');
    expect(await draft()).toEqual(before);
  });
});
