import { afterEach, describe, expect, it } from 'vitest';
import type { Core } from '../../core/handlers.js';
import { call, inputsOf, openCore, saveWhole } from '../helpers/core.js';
import { sampleReturn, tempDir } from '../helpers/sample.js';

let tmp: ReturnType<typeof tempDir>;
let core: Core | undefined;
afterEach(async () => {
  await core?.close();
  core = undefined;
  tmp?.cleanup();
});

async function commune(now?: () => Date): Promise<Core> {
  tmp = tempDir();
  core = await openCore(tmp.file('c.sqlite'), now);
  await call(core, 'app.setup', { role: 'commune', unitCode: '11948' });
  return core;
}

describe('setup', () => {
  it('needs a unit from the current list for a commune; the city may go without', async () => {
    tmp = tempDir();
    core = await openCore(tmp.file('c.sqlite'));
    await expect(call(core, 'app.setup', { role: 'commune' })).rejects.toMatchObject({ code: 'invalid_input', message: expect.stringMatching(/Hãy chọn đơn vị/) });
    await expect(call(core, 'app.setup', { role: 'commune', unitCode: '99999' })).rejects.toMatchObject({ code: 'invalid_input' });
    await expect(call(core, 'periods.list', { template: 'BC-CX' })).rejects.toMatchObject({ code: 'not_configured' });
    const city = await call(core, 'app.setup', { role: 'city' });
    expect(city).toMatchObject({ role: 'city', unit: null });
    const info = await call(core, 'app.setup', { role: 'commune', unitCode: '11948' });
    // Bạch Long Vĩ has no HĐND: the shipped list's co_hdnd column is its attribute.
    expect(info.unit).toEqual({ code: '11948', type: 'đặc khu', name: 'Đặc khu Bạch Long Vĩ', attributes: { co_hdnd: '0' } });
    expect(info.today).toBe('2026-05-10');
    // Every built-in template, BC-CX first (resources/templates/*.xlsx).
    expect(info.templates[0]).toEqual({ id: 'BC-CX', version: 1, title: 'Báo cáo định kỳ của UBND cấp xã' });
    expect(info.templates.map((x) => x.id).sort()).toEqual(['BC-CX', 'PCM', 'PCPQ', 'TSC']);
    expect((await call(core, 'app.setLanguage', { lang: 'en' })).templates[0]!.title).toMatch(/Periodic report/);
  });
});

describe('periods and drafts', () => {
  it('lists quarters of this and last year with their status', async () => {
    const c = await commune();
    const rows = await call(c, 'periods.list', { template: 'BC-CX' });
    expect(rows.map((r) => r.code)).toEqual(['2026-Q4', '2026-Q3', '2026-Q2', '2026-Q1', '2025-Q4', '2025-Q3', '2025-Q2', '2025-Q1']);
    const q2 = rows.find((r) => r.code === '2026-Q2')!;
    expect(q2).toMatchObject({ label: 'Quý II/2026', start: '2026-03-15', end: '2026-06-14', deadline: '2026-06-20', status: 'not_started', hasDraft: false });
    expect(rows.find((r) => r.code === '2026-Q1')!.status).toBe('overdue');
    const st = await call(c, 'returns.open', { template: 'BC-CX', period: '2026-Q2' });
    expect(st.asOf).toEqual({ unit_info: '2026-06-14', staff: '2026-06-14', hq: '2026-06-14', vehicles: '2026-06-14', procedures: '2026-06-14' });
    expect((await call(c, 'periods.list', { template: 'BC-CX' })).find((r) => r.code === '2026-Q2')!.status).toBe('not_started');
    await saveWhole(c, '2026-Q2', { values: { unit_info: { population: 5 } } });
    const after = (await call(c, 'periods.list', { template: 'BC-CX' })).find((r) => r.code === '2026-Q2')!;
    expect(after).toMatchObject({ status: 'draft', hasDraft: true, revision: null });
  });

  it('keeps a saved draft across closing and reopening the database', async () => {
    const c = await commune();
    const st = await call(c, 'returns.open', { template: 'BC-CX', period: '2026-Q2' });
    expect(st).toMatchObject({ draftVersion: 0, savedAt: null, revisions: [], previous: null, values: {} });
    const values = sampleReturn().values;
    const s1 = await saveWhole(c, '2026-Q2', { values, explanations: { x: 'vì sao' }, asOf: { ...st.asOf, staff: '2026-06-01' } });
    expect(s1.draftVersion).toBe(1);
    // Saving the same content again changes nothing, so the version stays (issue 7: saves name their changes).
    const s2 = await saveWhole(c, '2026-Q2', { values, explanations: { x: 'vì sao' }, asOf: { ...st.asOf, staff: '2026-06-01' } });
    expect(s2.draftVersion).toBe(1);
    await c.close();
    core = await openCore(tmp.file('c.sqlite'));
    const again = await call(core, 'returns.open', { template: 'BC-CX', period: '2026-Q2' });
    expect(again.returnId).toBe(st.returnId);
    expect(again.values).toEqual(inputsOf(values));
    expect(again.explanations).toEqual({ x: 'vì sao' });
    expect(again.asOf.staff).toBe('2026-06-01');
    expect(again.draftVersion).toBe(1);
    expect(again.savedAt).toBe(s2.savedAt);
  });

  it('refuses a period the template does not use and an unknown return', async () => {
    const c = await commune();
    await expect(call(c, 'returns.open', { template: 'BC-CX', period: '2026-M05' })).rejects.toMatchObject({ code: 'invalid_input' });
    await expect(call(c, 'returns.open', { template: 'NOPE', period: '2026-Q2' })).rejects.toMatchObject({ code: 'not_found' });
    await expect(call(c, 'returns.saveDraft', { returnId: 999, baseVersion: 0, changes: [] })).rejects.toMatchObject({ code: 'not_found' });
  });
});

describe('submission refusals', () => {
  it('refuses while errors remain, naming them', async () => {
    const c = await commune();
    const st = await call(c, 'returns.open', { template: 'BC-CX', period: '2026-Q2' });
    const v = sampleReturn().values;
    v.staff.nhdkct_leave_paid = 20; // more paid than approved
    await saveWhole(c, '2026-Q2', { values: v });
    const err = await call(c, 'returns.submit', { returnId: st.returnId }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'refused', message: expect.stringMatching(/Chưa nộp được báo cáo: còn 1 lỗi/) });
    const details = (err as { details: { errors: { id: string; message: string }[] } }).details;
    expect(details.errors.map((e) => e.id)).toEqual(['staff.nhdkct_leave_paid']);
    expect(await call(c, 'returns.history', { returnId: st.returnId })).toEqual([]);
  });

  it('refuses while a warning lacks an explanation', async () => {
    const c = await commune();
    const st = await call(c, 'returns.open', { template: 'BC-CX', period: '2026-Q2' });
    const v = sampleReturn().values;
    v.staff.blocks.government.cbcc_present = 35; // over quota
    await saveWhole(c, '2026-Q2', { values: v });
    const err = await call(c, 'returns.submit', { returnId: st.returnId }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'refused', message: expect.stringMatching(/1 cảnh báo chưa có giải trình/) });
    expect((err as { details: { warnings: { id: string }[] } }).details.warnings.map((w) => w.id)).toEqual(['staff.present_over_quota:government']);
  });
});
