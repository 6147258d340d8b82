/**
 * Issue 9 item 4: a clerk signed in on the city's LAN cannot change the installation itself — its
 * role, unit list, delivery settings, or restore a backup; an administrator can, and so can the
 * installation's own person (no session: desktop, command line).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Core } from '../../core/handlers.js';
import { runAsUser } from '../../core/users/context.js';
import { call, openCore } from '../helpers/core.js';
import { tempDir } from '../helpers/sample.js';

let tmp: ReturnType<typeof tempDir> | undefined;
const cores: Core[] = [];
afterEach(async () => {
  for (const c of cores.splice(0)) await c.close();
  tmp?.cleanup();
  tmp = undefined;
});

describe('administrator-only calls', () => {
  it('a clerk is refused app.setup and delivery.configure with a Vietnamese sentence; the role stays; an administrator may', async () => {
    tmp = tempDir('issue9-admin-');
    const core = await openCore(tmp.file('city.sqlite'));
    cores.push(core);
    await call(core, 'app.setup', { role: 'city' });
    const clerk = { id: 2, name: 'Lan', department: 'Sở Nội vụ', admin: false };
    const admin = { id: 1, name: 'Quản trị', department: 'Văn phòng UBND thành phố', admin: true };

    await expect(runAsUser(clerk, () => call(core, 'app.setup', { role: 'commune', unitCode: '11311' }))).rejects.toMatchObject({
      code: 'refused',
      message: expect.stringMatching(/^Chỉ quản trị viên mới làm được việc này/),
    });
    await expect(
      runAsUser(clerk, () => call(core, 'delivery.configure', { serverUrl: 'http://127.0.0.1:9', token: 'x'.repeat(20) })),
    ).rejects.toMatchObject({ code: 'refused' });
    expect((await call(core, 'app.info', {})).role).toBe('city');

    // What a clerk does every day still works.
    await expect(runAsUser(clerk, () => call(core, 'units.list', {}))).resolves.toMatchObject({ units: expect.any(Array) });

    // The administrator (and no session at all) may change the installation.
    await runAsUser(admin, () => call(core, 'app.setup', { role: 'city' }));
    expect((await call(core, 'app.info', {})).role).toBe('city');
  });
});

describe('texts a person must fill in', () => {
  it('a request title or a user name made of invisible characters only is refused, with a Vietnamese message', async () => {
    const { RequestInputSchema, contract } = await import('../../shared/index.js');
    const { checkInput, describeProblems } = await import('../../core/inputs.js');
    const zeroWidth = '\u200b\u200b';
    const r = checkInput(RequestInputSchema.shape.title, zeroWidth);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(describeProblems(r.problems)).toMatch(/không có chữ hay số nào/);
    const u = checkInput(contract['users.add'].input, { name: zeroWidth, department: 'Sở Nội vụ', password: 'đủ dài 2026' });
    expect(u.ok).toBe(false);
    const long = checkInput(RequestInputSchema.shape.title, 'x'.repeat(301));
    expect(long.ok).toBe(false);
    if (!long.ok) expect(describeProblems(long.problems)).toBe('(toàn bộ): dài quá 300 ký tự. Hãy rút ngắn lại');
    expect(checkInput(RequestInputSchema.shape.title, 'Rà soát trụ sở').ok).toBe(true);
  });
});
