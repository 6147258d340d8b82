/**
 * Issue 9, the city issues requests (engineer "issuing"): create → get → amend → withdraw, the
 * refusals at creation and on amending, signed files that verify with the city key and fail when
 * altered or checked against another key, addressees by type / list / attribute, ids in order, a
 * clerk of another department sees nothing. Real SQLite files in a temp dir, real Ed25519 keys.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Input, RequestEdition } from '../../shared/index.js';
import type { Core } from '../../core/handlers.js';
import { generateCityKey, openSignedFile } from '../../core/requests/sign.js';
import { runAsUser } from '../../core/users/context.js';
import { call, openCore } from '../helpers/core.js';
import { tempDir } from '../helpers/sample.js';

let tmp: ReturnType<typeof tempDir> | undefined;
const open: Core[] = [];
afterEach(async () => {
  for (const c of open.splice(0)) await c.close().catch(() => undefined);
  tmp?.cleanup();
  tmp = undefined;
});

/** Today for these cores is 2026-05-10 (tests/helpers/core.ts). */
async function city(name = 'city.sqlite'): Promise<Core> {
  tmp ??= tempDir('cr-i9-issuing-');
  const c = await openCore(tmp.file(name));
  open.push(c);
  await call(c, 'app.setup', { role: 'city' });
  return c;
}

const BASE: Input<'requests.create'> = {
  template: 'TSC',
  templateVersion: 1,
  ref: { number: '1234/UBND-NVKTGS', date: '2026-05-08', summary: 'Rà soát, sắp xếp trụ sở, tài sản công' },
  title: 'Rà soát trụ sở, tài sản công',
  addressees: { kind: 'all' },
  period: '2026-H1',
  due: '2026-06-24',
  dueWording: 'trong',
  department: 'Sở Tài chính',
  instruction: 'Nộp qua ứng dụng.',
};
const req = (over: Partial<Input<'requests.create'>> = {}): Input<'requests.create'> => ({ ...BASE, ...over });
const payloadOf = (p: unknown) => p as { request: RequestEdition; templates: { id: string; version: number }[] };

describe('create, get, amend, withdraw', () => {
  it('publishes edition 1, then a later deadline with more units as edition 2, then withdraws it as edition 3', async () => {
    const c = await city();
    const e1 = await call(c, 'requests.create', req({ addressees: { kind: 'types', types: ['phường'] } }));
    expect(e1).toMatchObject({
      id: 'YC-2026-0001',
      edition: 1,
      state: 'open',
      template: 'TSC',
      period: '2026-H1',
      due: '2026-06-24',
    });
    expect(e1.units).toHaveLength(45);
    expect(e1.unitListVersion).toMatch(/^haiphong-/);
    expect(e1.issuedAt).toBe('2026-05-10T03:00:00.000Z');

    const got = await call(c, 'requests.get', { id: e1.id });
    expect(got.current).toEqual(e1);
    expect(got.editions).toEqual([e1]);
    expect(got.units.map((u) => u.code)).toEqual(e1.units);
    expect(got.units.every((u) => u.type === 'phường')).toBe(true);

    const [s1] = await call(c, 'requests.list', {});
    expect(s1).toMatchObject({
      id: e1.id,
      edition: 1,
      templateTitle: 'Báo cáo sắp xếp trụ sở, tài sản công và đề xuất vượt thẩm quyền',
      periodLabel: '6 tháng đầu năm 2026',
      deadlineText: 'chậm nhất trong ngày 24/6/2026',
      lastDay: '2026-06-24',
      addressee: 'Kính gửi: UBND thành phố (qua Sở Tài chính)',
      addresseesLabel: 'Các phường (45)',
      issuedBy: null,
      // No delivery configured at this city.
      pushed: null,
    });
    expect(s1!.counts.expected).toBe(45);

    // A later deadline, and the xã too (the phường stay).
    const e2 = await call(c, 'requests.amend', {
      id: e1.id,
      due: '2026-06-30',
      addressees: { kind: 'types', types: ['phường', 'xã'] },
      note: 'Gia hạn đến 30/6/2026; thêm các xã',
    });
    expect(e2).toMatchObject({
      id: e1.id,
      edition: 2,
      state: 'open',
      due: '2026-06-30',
      note: 'Gia hạn đến 30/6/2026; thêm các xã',
      title: e1.title,
    });
    expect(e2.units).toHaveLength(45 + 67);
    expect(e2.units.slice(0, 45)).toEqual(e1.units);

    const w = await call(c, 'requests.withdraw', { id: e1.id, reason: 'Đã có số liệu từ nguồn khác' });
    expect(w).toMatchObject({ edition: 3, state: 'withdrawn', note: 'Đã có số liệu từ nguồn khác', due: '2026-06-30' });
    const all = await call(c, 'requests.get', { id: e1.id });
    expect(all.editions.map((e) => [e.edition, e.state])).toEqual([
      [1, 'open'],
      [2, 'open'],
      [3, 'withdrawn'],
    ]);
    // Withdrawn: out of the list unless asked for; no further edition.
    expect(await call(c, 'requests.list', {})).toEqual([]);
    expect((await call(c, 'requests.list', { includeWithdrawn: true })).map((s) => [s.id, s.state])).toEqual([
      [e1.id, 'withdrawn'],
    ]);
    await expect(call(c, 'requests.amend', { id: e1.id, due: '2026-07-15', note: 'Gia hạn' })).rejects.toMatchObject({
      code: 'refused',
      message: /đã được rút/,
    });
    await expect(call(c, 'requests.withdraw', { id: e1.id, reason: 'x' })).rejects.toMatchObject({ code: 'refused' });
    // A withdrawn request no longer blocks a new one for the same template and period.
    expect((await call(c, 'requests.create', req())).id).toBe('YC-2026-0002');
  });

  it('numbers requests in order of creation and lists the open ones newest deadline first', async () => {
    const c = await city();
    const a = await call(c, 'requests.create', req({ template: 'PCM', due: '2026-06-10' }));
    const b = await call(c, 'requests.create', req({ template: 'PCPQ', due: '2026-07-01' }));
    const d = await call(
      c,
      'requests.create',
      req({ template: 'BC-CX', period: '2026-Q2', due: '2026-06-20', dueWording: 'truoc' }),
    );
    expect([a.id, b.id, d.id]).toEqual(['YC-2026-0001', 'YC-2026-0002', 'YC-2026-0003']);
    const list = await call(c, 'requests.list', {});
    expect(list.map((s) => s.id)).toEqual(['YC-2026-0002', 'YC-2026-0003', 'YC-2026-0001']);
    expect(list[1]).toMatchObject({
      deadlineText: 'chậm nhất trước ngày 20/6/2026',
      lastDay: '2026-06-19',
      periodLabel: 'Quý II/2026',
    });
  });

  it('takes an as-of date as the period of any template, with its own data window', async () => {
    const c = await city();
    const e = await call(
      c,
      'requests.create',
      req({ template: 'BC-CX', period: '2026-06-20', window: { start: '2026-01-01', end: '2026-06-20' } }),
    );
    expect(e).toMatchObject({ period: '2026-06-20', window: { start: '2026-01-01', end: '2026-06-20' } });
    expect((await call(c, 'requests.list', {}))[0]!.periodLabel).toBe('Đến ngày 20/6/2026');
  });
});

describe('refusals', () => {
  it('refuses a past deadline, an empty addressee list, an unknown template or version, a period the template does not have, a reversed window', async () => {
    const c = await city();
    const refused = async (input: Input<'requests.create'>, message: RegExp) => {
      await expect(call(c, 'requests.create', input)).rejects.toMatchObject({ code: 'invalid_input', message });
      const checked = await call(c, 'requests.check', input);
      expect(checked.problems.join(' ')).toMatch(message);
    };
    await refused(
      req({ due: '2026-05-09' }),
      /Hạn nộp 09\/05\/2026 đã qua \(hôm nay là 10\/05\/2026\)\. Hãy chọn hạn nộp từ hôm nay trở đi\./,
    );
    await refused(
      req({ addressees: { kind: 'attribute', attribute: 'co_hdnd', values: ['không có'] } }),
      /danh sách đơn vị nhận đang trống\. Hãy chọn ít nhất một đơn vị/,
    );
    await refused(
      req({ addressees: { kind: 'units', codes: ['99999'] } }),
      /Mã đơn vị 99999 không có trong danh sách đơn vị hiện hành/,
    );
    await refused(
      req({ addressees: { kind: 'types', types: ['thị trấn'] } }),
      /Loại đơn vị "thị trấn" không có trong danh sách đơn vị\. Hãy chọn trong các loại: /,
    );
    await refused(req({ template: 'BC-XX' }), /Không có mẫu báo cáo "BC-XX" .*Hãy công bố mẫu trước/);
    await refused(req({ templateVersion: 7 }), /Mẫu TSC không có phiên bản 7 \(có các phiên bản 1\)/);
    await refused(req({ period: '2026-Q2' }), /Mẫu TSC không lập theo kỳ "Quý II\/2026"/);
    await refused(req({ period: '2026-H3' }), /Kỳ báo cáo "2026-H3" không hợp lệ/);
    await refused(
      req({ window: { start: '2026-06-30', end: '2026-01-01' } }),
      /bắt đầu 30\/06\/2026 sau ngày kết thúc 01\/01\/2026/,
    );
    // Due today is fine.
    expect((await call(c, 'requests.check', req({ due: '2026-05-10' }))).problems).toEqual([]);
    // Nothing was stored by the refusals.
    expect(await call(c, 'requests.list', { includeWithdrawn: true })).toEqual([]);
  });

  it('refuses a second open request for the same template and period with a common unit, naming the first', async () => {
    const c = await city();
    const first = await call(c, 'requests.create', req({ addressees: { kind: 'units', codes: ['11948', '11560'] } }));
    const msg = new RegExp(`Đã có yêu cầu ${first.id} .* cho cùng mẫu và kỳ.*Hãy ra bản mới của yêu cầu đó`);
    await expect(
      call(c, 'requests.create', req({ addressees: { kind: 'types', types: ['đặc khu'] } })),
    ).rejects.toMatchObject({ code: 'invalid_input', message: msg });
    // Other units, another period, another template: fine.
    expect((await call(c, 'requests.create', req({ addressees: { kind: 'units', codes: ['11557'] } }))).id).toBe(
      'YC-2026-0002',
    );
    expect((await call(c, 'requests.create', req({ period: '2026-H2', due: '2026-12-20' }))).id).toBe('YC-2026-0003');
    // Amending YC-2026-0002 to add a unit of the first: refused too.
    await expect(
      call(c, 'requests.amend', {
        id: 'YC-2026-0002',
        addressees: { kind: 'units', codes: ['11557', '11560'] },
        note: 'Thêm',
      }),
    ).rejects.toMatchObject({
      message: msg,
    });
  });

  it('refuses on amending an earlier deadline (also through the wording), dropping a unit, an unknown request', async () => {
    const c = await city();
    const e = await call(c, 'requests.create', req({ addressees: { kind: 'units', codes: ['11948', '11560'] } }));
    await expect(call(c, 'requests.amend', { id: e.id, due: '2026-06-20', note: 'Rút ngắn' })).rejects.toMatchObject({
      code: 'invalid_input',
      message: /sớm hơn hạn hiện tại \(chậm nhất trong ngày 24\/6\/2026\)\. Bản mới chỉ được gia hạn/,
    });
    // "trước ngày 24/6" ends on the 23rd: earlier than "trong ngày 24/6".
    await expect(
      call(c, 'requests.amend', { id: e.id, dueWording: 'truoc', note: 'Sửa cách ghi hạn' }),
    ).rejects.toMatchObject({ message: /sớm hơn hạn hiện tại/ });
    await expect(
      call(c, 'requests.amend', { id: e.id, addressees: { kind: 'units', codes: ['11948'] }, note: 'Bớt' }),
    ).rejects.toMatchObject({
      code: 'invalid_input',
      message: /bỏ 1 đơn vị đã được gửi yêu cầu \(Phường Thủy Nguyên\)\. Bản mới chỉ được thêm đơn vị/,
    });
    await expect(call(c, 'requests.amend', { id: 'YC-2026-0099', due: '2026-07-01', note: 'x' })).rejects.toMatchObject(
      { code: 'not_found' },
    );
    expect((await call(c, 'requests.get', { id: e.id })).editions).toHaveLength(1);
    // A changed instruction and title with the same deadline is a new edition.
    const e2 = await call(c, 'requests.amend', {
      id: e.id,
      instruction: 'Gửi kèm ảnh trụ sở.',
      title: 'Rà soát trụ sở (bổ sung)',
      note: 'Bổ sung hướng dẫn',
    });
    expect(e2).toMatchObject({
      edition: 2,
      instruction: 'Gửi kèm ảnh trụ sở.',
      title: 'Rà soát trụ sở (bổ sung)',
      units: e.units,
      due: e.due,
    });
  });

  it('refuses every city call on a commune database', async () => {
    tmp = tempDir('cr-i9-issuing-');
    const c = await openCore(tmp.file('commune.sqlite'));
    open.push(c);
    await call(c, 'app.setup', { role: 'commune', unitCode: '11948' });
    await expect(call(c, 'requests.create', req())).rejects.toMatchObject({
      code: 'refused',
      message: /chỉ Thành phố ra yêu cầu báo cáo/,
    });
    await expect(call(c, 'requests.list', {})).rejects.toMatchObject({ code: 'refused' });
    await expect(call(c, 'keys.city', {})).rejects.toMatchObject({ code: 'refused' });
  });
});

describe('addressees', () => {
  it('resolves by type, by a list, by a unit-list attribute, and labels each', async () => {
    const c = await city();
    const check = (a: Input<'requests.check'>['addressees']) => call(c, 'requests.check', req({ addressees: a }));
    expect(await check({ kind: 'all' })).toEqual({ units: 114, problems: [], fields: [], addresseesLabel: 'Tất cả 114 đơn vị' });
    expect(await check({ kind: 'types', types: ['xã', 'đặc khu'] })).toMatchObject({
      units: 69,
      addresseesLabel: 'Các xã, đặc khu (69)',
    });
    expect(await check({ kind: 'units', codes: ['11948', '11560', '11557'] })).toMatchObject({
      units: 3,
      addresseesLabel: '3 đơn vị',
    });
    // Bạch Long Vĩ (11948) has no HĐND (co_hdnd 0 in resources/units/haiphong.csv).
    expect(await check({ kind: 'attribute', attribute: 'co_hdnd', values: ['1'] })).toMatchObject({
      units: 113,
      addresseesLabel: 'co_hdnd: 1 (113 đơn vị)',
    });
    const e = await call(
      c,
      'requests.create',
      req({ addressees: { kind: 'attribute', attribute: 'co_hdnd', values: ['0'] } }),
    );
    expect(e.units).toEqual(['11948']);
    expect((await call(c, 'requests.get', { id: e.id })).units).toEqual([
      expect.objectContaining({ code: '11948', name: 'Đặc khu Bạch Long Vĩ' }),
    ]);
  });
});

describe('signed files', () => {
  it('exports the latest edition signed with the city key: it verifies, and fails when one byte changes or against another key', async () => {
    const c = await city();
    const e = await call(c, 'requests.create', req());
    await call(c, 'requests.amend', { id: e.id, due: '2026-06-30', note: 'Gia hạn' });
    const file = await call(c, 'requests.export', { id: e.id });
    expect(file.fileName).toBe(`yeu-cau-${e.id}-lan-2.json`);
    const bytes = Buffer.from(file.data, 'base64');
    const key = await call(c, 'keys.city', {});
    expect(key.publicKey).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    expect(key.fingerprint).toMatch(/^[0-9A-F]{4}( [0-9A-F]{4}){3}$/);
    expect(key.fileName).toBe(`khoa-thanh-pho-${key.fingerprint.replace(/ /g, '').slice(0, 8).toLowerCase()}.pem`);

    const opened = openSignedFile(bytes, key.publicKey, ['request']);
    const payload = payloadOf(opened.payload);
    expect(payload.request).toMatchObject({ id: e.id, edition: 2, due: '2026-06-30' });
    expect(payload.templates.map((t) => `${t.id}@${t.version}`)).toEqual(['TSC@1']);

    // One byte of the signed payload changed.
    const f = JSON.parse(bytes.toString('utf8')) as { payload: string };
    const p = Buffer.from(f.payload, 'base64');
    p[p.indexOf('2026-06-30') + 3] = '7'.charCodeAt(0);
    const altered = Buffer.from(JSON.stringify({ ...f, payload: p.toString('base64') }));
    expect(() => openSignedFile(altered, key.publicKey)).toThrow(/đã bị sửa sau khi Thành phố ký/);
    // Checked against another city's key.
    expect(() => openSignedFile(bytes, generateCityKey().publicPem)).toThrow(/ký bằng một khóa khác/);
  });

  it('keeps one key per city, signs a template file, and a second city has another key', async () => {
    const c = await city();
    const k1 = await call(c, 'keys.city', {});
    expect(await call(c, 'keys.city', {})).toEqual(k1);
    const t = await call(c, 'templates.exportSigned', { id: 'PCM', version: 1 });
    expect(t.fileName).toBe('mau-PCM-v1.json');
    const opened = openSignedFile(Buffer.from(t.data, 'base64'), k1.publicKey, ['template']);
    expect((opened.payload as { templates: { id: string }[] }).templates.map((x) => x.id)).toEqual(['PCM']);
    await expect(call(c, 'templates.exportSigned', { id: 'PCM', version: 9 })).rejects.toMatchObject({
      code: 'not_found',
    });
    const other = await city('other.sqlite');
    expect((await call(other, 'keys.city', {})).fingerprint).not.toBe(k1.fingerprint);
  });
});

describe('departments', () => {
  it("a clerk of another department sees none of Sở Tài chính's requests; a clerk of it and an administrator do", async () => {
    const c = await city();
    const e = await call(c, 'requests.create', req());
    const clerk = (department: string, admin = false) => ({ id: 7, name: 'can.bo', department, admin });
    await runAsUser(clerk('Sở Nội vụ'), async () => {
      expect(await call(c, 'requests.list', { includeWithdrawn: true })).toEqual([]);
      await expect(call(c, 'requests.get', { id: e.id })).rejects.toMatchObject({ code: 'not_found' });
      await expect(call(c, 'requests.export', { id: e.id })).rejects.toMatchObject({ code: 'not_found' });
      await expect(call(c, 'requests.amend', { id: e.id, due: '2026-07-01', note: 'x' })).rejects.toMatchObject({
        code: 'not_found',
      });
      // Nor issue one for another department.
      await expect(call(c, 'requests.create', req({ period: '2026-H2', due: '2026-12-01' }))).rejects.toMatchObject({
        message: /Bạn thuộc Sở Nội vụ nên chỉ ra được yêu cầu do Sở Nội vụ tổng hợp/,
      });
      expect(
        (await call(c, 'requests.create', req({ period: '2026-H2', due: '2026-12-01', department: 'Sở Nội vụ' })))
          .issuedBy,
      ).toBe('can.bo');
    });
    await runAsUser(clerk(' sở tài chính '), async () => {
      expect((await call(c, 'requests.list', {})).map((s) => s.id)).toEqual([e.id]);
      const e2 = await call(c, 'requests.amend', { id: e.id, due: '2026-07-01', note: 'Gia hạn' });
      expect(e2.issuedBy).toBe('can.bo');
    });
    await runAsUser(clerk('Văn phòng UBND thành phố', true), async () => {
      expect((await call(c, 'requests.get', { id: e.id })).editions).toHaveLength(2);
    });
  });
});
