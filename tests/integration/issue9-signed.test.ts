/**
 * Issue 9, round 2 (engineer "signed"): requests.check says which form field each problem is about
 * (`fields`, same length as `problems`), so the city's form places them exactly; app.info names the
 * department of each standing report (`standing`), so the city home shows a clerk only the tabs the
 * core lets them see; the signed template file a city screen downloads is received by a commune,
 * an unsigned workbook refused. Real SQLite files in a temp dir, the real city key.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Input, RequestField } from '../../shared/index.js';
import type { Core } from '../../core/handlers.js';
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

async function core(name: string, setup: Input<'app.setup'>): Promise<Core> {
  tmp ??= tempDir('cr-i9-signed-');
  const c = await openCore(tmp.file(name));
  open.push(c);
  await call(c, 'app.setup', setup);
  return c;
}

/** Today for these cores is 2026-05-10 (tests/helpers/core.ts). */
const BASE: Input<'requests.check'> = {
  template: 'TSC',
  templateVersion: 1,
  ref: { number: '1234/UBND-NVKTGS', date: '2026-05-08', summary: 'Rà soát, sắp xếp trụ sở, tài sản công' },
  title: 'Rà soát trụ sở, tài sản công',
  addressees: { kind: 'all' },
  period: '2026-H1',
  due: '2026-06-24',
  dueWording: 'trong',
  department: 'Sở Tài chính',
};
const req = (over: Partial<Input<'requests.check'>> = {}): Input<'requests.check'> => ({ ...BASE, ...over });

/** The field of the one problem a check finds (and that there is exactly one). */
async function fieldOf(c: Core, input: Input<'requests.check'>): Promise<RequestField | null | undefined> {
  const r = await call(c, 'requests.check', input);
  expect(r.problems).toHaveLength(1);
  expect(r.fields).toHaveLength(1);
  return r.fields![0];
}

describe('requests.check: the field of each problem', () => {
  it('names the form field of every kind of problem, in the order of the problems', async () => {
    const c = await core('city.sqlite', { role: 'city' });
    const ok = await call(c, 'requests.check', req());
    expect(ok.problems).toEqual([]);
    expect(ok.fields).toEqual([]);

    expect(await fieldOf(c, req({ template: 'BC-XX' }))).toBe('template');
    expect(await fieldOf(c, req({ templateVersion: 7 }))).toBe('template');
    expect(await fieldOf(c, req({ period: '2026-Q2' }))).toBe('period');
    expect(await fieldOf(c, req({ period: '2026-H3' }))).toBe('period');
    expect(await fieldOf(c, req({ due: '2026-05-09' }))).toBe('due');
    expect(await fieldOf(c, req({ due: '2026-05-10', dueWording: 'truoc' }))).toBe('due');
    expect(await fieldOf(c, req({ ref: { ...BASE.ref, date: '2026-02-30' } }))).toBe('ref');
    expect(await fieldOf(c, req({ period: '2026-06-20', window: { start: '2026-06-30', end: '2026-01-01' } }))).toBe(
      'window',
    );
    expect(await fieldOf(c, req({ addressees: { kind: 'units', codes: ['99999', '11311'] } }))).toBe('addressees');

    // Several at once: each problem with its own field, in order.
    const many = await call(
      c,
      'requests.check',
      req({ period: '2026-Q2', due: '2026-05-01', addressees: { kind: 'units', codes: ['99999'] } }),
    );
    expect(many.fields).toHaveLength(many.problems.length);
    expect(many.fields).toEqual(['period', 'due', 'addressees', 'addressees']);
    expect(many.problems[0]).toMatch(/không lập theo kỳ/);
    expect(many.problems[1]).toMatch(/Hạn nộp 01\/05\/2026 đã qua/);
    expect(many.problems[2]).toMatch(/Mã đơn vị 99999 không có/);
    expect(many.problems[3]).toMatch(/danh sách đơn vị nhận đang trống/);

    // The open request for the same template and period: about the period ("amend the existing one").
    await call(c, 'requests.create', req({ addressees: { kind: 'units', codes: ['11311'] } }));
    const overlap = await call(c, 'requests.check', req());
    expect(overlap.problems[0]).toMatch(/Đã có yêu cầu YC-2026-0001/);
    expect(overlap.fields).toEqual(['period']);
  });

  it("names the department when a clerk asks for another department's request", async () => {
    const c = await core('city.sqlite', { role: 'city' });
    await runAsUser({ id: 3, name: 'can.bo', department: 'Sở Nội vụ', admin: false }, async () => {
      const r = await call(c, 'requests.check', req());
      expect(r.problems).toHaveLength(1);
      expect(r.problems[0]).toMatch(/Bạn thuộc Sở Nội vụ/);
      expect(r.fields).toEqual(['department']);
    });
  });
});

describe('app.info: the standing reports and their department', () => {
  it('lists BC-CX with Sở Nội vụ, at the city and at a commune', async () => {
    const c = await core('city.sqlite', { role: 'city' });
    expect((await call(c, 'app.info', {})).standing).toEqual([{ template: 'BC-CX', department: 'Sở Nội vụ' }]);
    const x = await core('commune.sqlite', { role: 'commune', unitCode: '11311' });
    expect((await call(x, 'app.info', {})).standing).toEqual([{ template: 'BC-CX', department: 'Sở Nội vụ' }]);
  });
});

describe('the signed template file', () => {
  it('the file the city screen downloads is received at a commune; the workbook is refused with what to do', async () => {
    const c = await core('city.sqlite', { role: 'city' });
    // The commune trusts this city's key (its public key, as delivery settings set it).
    const key = await call(c, 'keys.city', {});
    const signed = await call(c, 'templates.exportSigned', { id: 'PCM', version: 1 });
    expect(signed.fileName).toBe('mau-PCM-v1.json');
    const workbook = await call(c, 'templates.workbook', { id: 'PCM', version: 1 });

    const x = await core('commune.sqlite', { role: 'commune', unitCode: '11311' });
    await call(x, 'trust.set', {
      file: { fileName: key.fileName, data: Buffer.from(key.publicKey).toString('base64') },
    });
    await expect(call(x, 'templates.receive', { file: workbook })).rejects.toMatchObject({
      message: /Mẫu báo cáo phải là tệp do Thành phố ký .*Hãy xin Thành phố gửi tệp đã ký\./,
    });
    const got = await call(x, 'templates.receive', { file: signed });
    expect(got).toMatchObject({ id: 'PCM', version: 1 });
  });
});
