/**
 * Issue 9 item 4, the core side of city users: passwords as scrypt hashes, users.* calls (first
 * user an administrator, names unique whatever the case, the last administrator kept), department
 * scoping of the city's standing calls, and review decisions recording who made them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Core } from '../../core/handlers.js';
import type { CityUser } from '../../core/users/context.js';
import { runAsUser } from '../../core/users/context.js';
import { hashPassword, verifyPassword } from '../../core/users/passwords.js';
import { call, openCore } from '../helpers/core.js';
import { tempDir } from '../helpers/sample.js';
import { makePackage } from '../helpers/city-packages.js';
import { cityReturns } from '../helpers/city-returns.js';

let tmp: ReturnType<typeof tempDir> | undefined;
const cores: Core[] = [];
afterEach(async () => {
  for (const c of cores.splice(0)) await c.close();
  tmp?.cleanup();
  tmp = undefined;
});

async function cityCore(): Promise<Core> {
  tmp ??= tempDir('issue9-users-');
  const core = await openCore(tmp.file(`city-${cores.length}.sqlite`));
  cores.push(core);
  await call(core, 'app.setup', { role: 'city' });
  return core;
}

const as = <T>(core: Core, name: string, fn: () => Promise<T>): Promise<T> => {
  const row = core.users.findUser(name);
  if (!row) throw new Error(`no user ${name}`);
  const user: CityUser = { id: row.id, name: row.name, department: row.department, admin: row.is_admin === 1 };
  return runAsUser(user, fn);
};

const PW = 'mật khẩu đủ dài 2026';

async function withStaff(core: Core) {
  await call(core, 'users.add', { name: 'Quản trị', department: 'Văn phòng UBND thành phố', password: PW });
  await call(core, 'users.add', { name: 'Lan', department: 'Sở Nội vụ', password: PW });
  await call(core, 'users.add', { name: 'Hùng', department: 'Sở Tài chính', password: PW });
}

describe('passwords', () => {
  it('scrypt with a 16-byte salt and a 32-byte key; the right password matches, a wrong one does not; composed and decomposed accents are the same', async () => {
    const a = await hashPassword('Hải Phòng 2026');
    expect(a.salt.length).toBe(16);
    expect(a.hash.length).toBe(32);
    expect(await verifyPassword('Hải Phòng 2026', a.salt, a.hash)).toBe(true);
    expect(await verifyPassword('Hải Phòng 2025', a.salt, a.hash)).toBe(false);
    expect(await verifyPassword('Hải Phòng 2026'.normalize('NFD'), a.salt, a.hash)).toBe(true);
    const b = await hashPassword('Hải Phòng 2026');
    expect(b.hash.equals(a.hash)).toBe(false); // a new salt each time
  });

  it('the users table keeps the salt and hash, never the password', async () => {
    const core = await cityCore();
    await call(core, 'users.add', { name: 'Quản trị', department: 'Văn phòng UBND thành phố', password: PW });
    const row = core.users.findUser('quản trị')!;
    expect(row.hash.length).toBe(32);
    expect(row.hash.toString('utf8')).not.toContain('2026');
    expect(await core.users.verify('QUẢN TRỊ', PW)).toMatchObject({ name: 'Quản trị', admin: true });
    expect(await core.users.verify('Quản trị', 'sai mật khẩu 2026')).toBeNull();
    expect(await core.users.verify('Không có', PW)).toBeNull();
  });
});

describe('users.* calls', () => {
  it('the first user is an administrator whatever `admin` says; later ones only when asked', async () => {
    const core = await cityCore();
    expect((await call(core, 'auth.me', {})).usersExist).toBe(false);
    const first = await call(core, 'users.add', {
      name: 'Quản trị',
      department: 'Văn phòng UBND thành phố',
      admin: false,
      password: PW,
    });
    expect(first.admin).toBe(true);
    const clerk = await call(core, 'users.add', { name: 'Lan', department: 'Sở Nội vụ', password: PW });
    expect(clerk.admin).toBe(false);
    expect((await call(core, 'auth.me', {})).usersExist).toBe(true);
    const list = await call(core, 'users.list', {});
    expect(list.map((u) => [u.name, u.department, u.admin, u.disabled])).toEqual([
      ['Lan', 'Sở Nội vụ', false, false],
      ['Quản trị', 'Văn phòng UBND thành phố', true, false],
    ]);
  });

  it('names are unique without case (Vietnamese letters too), and the message names the clash; a short password is refused', async () => {
    const core = await cityCore();
    await call(core, 'users.add', { name: 'Hà', department: 'Sở Nội vụ', password: PW });
    await expect(
      call(core, 'users.add', { name: 'HÀ', department: 'Sở Tài chính', password: PW }),
    ).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringContaining('Đã có người dùng "Hà"'),
    });
    await expect(
      call(core, 'users.add', { name: 'Minh', department: 'Sở Nội vụ', password: 'ngắn' }),
    ).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringContaining('ít nhất 8 ký tự'),
    });
  });

  it("a clerk cannot list, add or disable users, nor set another one's password; they may set their own", async () => {
    const core = await cityCore();
    await withStaff(core);
    await expect(as(core, 'Lan', () => call(core, 'users.list', {}))).rejects.toMatchObject({
      code: 'refused',
      message: expect.stringContaining('quản trị viên'),
    });
    await expect(
      as(core, 'Lan', () =>
        call(core, 'users.add', { name: 'Mới', department: 'Sở Nội vụ', admin: true, password: PW }),
      ),
    ).rejects.toMatchObject({ code: 'refused' });
    await expect(
      as(core, 'Lan', () => call(core, 'users.disable', { name: 'Hùng', disabled: true })),
    ).rejects.toMatchObject({ code: 'refused' });
    await expect(
      as(core, 'Lan', () => call(core, 'users.setPassword', { name: 'Hùng', password: 'mật khẩu mới 2026' })),
    ).rejects.toMatchObject({ code: 'refused' });
    await as(core, 'Lan', () => call(core, 'users.setPassword', { name: 'lan', password: 'mật khẩu mới 2026' }));
    expect(await core.users.verify('Lan', 'mật khẩu mới 2026')).not.toBeNull();
    // The administrator (signed in) may.
    const added = await as(core, 'Quản trị', () =>
      call(core, 'users.add', { name: 'Mới', department: 'Sở Tư pháp', password: PW }),
    );
    expect(added.admin).toBe(false);
  });

  it('the last active administrator is never disabled; with a second one, the first can be; a disabled user cannot sign in', async () => {
    const core = await cityCore();
    await withStaff(core);
    await expect(call(core, 'users.disable', { name: 'Quản trị', disabled: true })).rejects.toMatchObject({
      code: 'refused',
      message: expect.stringContaining('quản trị viên duy nhất'),
    });
    await call(core, 'users.add', {
      name: 'Quản trị 2',
      department: 'Văn phòng UBND thành phố',
      admin: true,
      password: PW,
    });
    const off = await call(core, 'users.disable', { name: 'Quản trị', disabled: true });
    expect(off.disabled).toBe(true);
    expect(await core.users.verify('Quản trị', PW)).toBeNull();
    await expect(call(core, 'users.disable', { name: 'Quản trị 2', disabled: true })).rejects.toMatchObject({
      code: 'refused',
    });
    const on = await call(core, 'users.disable', { name: 'Quản trị', disabled: false });
    expect(on.disabled).toBe(false);
  });

  it('a commune database has no users: users.* are refused in Vietnamese; auth.me answers', async () => {
    tmp ??= tempDir('issue9-users-');
    const core = await openCore(tmp.file('commune.sqlite'));
    cores.push(core);
    await call(core, 'app.setup', { role: 'commune', unitCode: '11948' });
    await expect(
      call(core, 'users.add', { name: 'Quản trị', department: 'UBND xã', password: PW }),
    ).rejects.toMatchObject({
      code: 'refused',
      message: expect.stringContaining('chỉ có ở cơ sở dữ liệu của Thành phố'),
    });
    await expect(call(core, 'users.list', {})).rejects.toMatchObject({ code: 'refused' });
    expect(await call(core, 'auth.me', {})).toEqual({ user: null, usersExist: false, csrf: null });
  });
});

describe('department scoping of the standing calls', () => {
  it('BC-CX (standing report of Sở Nội vụ): a Sở Tài chính clerk gets not_found, a Sở Nội vụ clerk and the administrator see it', async () => {
    const core = await cityCore();
    await withStaff(core);
    const q = { template: 'BC-CX', period: '2026-Q2' };
    await expect(as(core, 'Hùng', () => call(core, 'city.completeness', q))).rejects.toMatchObject({
      code: 'not_found',
    });
    await expect(as(core, 'Hùng', () => call(core, 'city.periods', { template: 'BC-CX' }))).rejects.toMatchObject({
      code: 'not_found',
    });
    await expect(as(core, 'Hùng', () => call(core, 'city.consolidation', q))).rejects.toMatchObject({
      code: 'not_found',
    });
    const seen = await as(core, 'Lan', () => call(core, 'city.completeness', q));
    expect(seen.counts.expected).toBe(114);
    expect((await as(core, 'Lan', () => call(core, 'city.periods', { template: 'BC-CX' }))).length).toBeGreaterThan(0);
    expect((await as(core, 'Quản trị', () => call(core, 'city.completeness', q))).counts.expected).toBe(114);
    // Without a session (desktop, command line): the installation's own person sees everything.
    expect((await call(core, 'city.completeness', q)).counts.expected).toBe(114);
  });

  it('a template without a standing report is for administrators only', async () => {
    const core = await cityCore();
    await withStaff(core);
    await expect(as(core, 'Lan', () => call(core, 'city.periods', { template: 'PCM' }))).rejects.toMatchObject({
      code: 'not_found',
    });
    await expect(as(core, 'Quản trị', () => call(core, 'city.periods', { template: 'PCM' }))).resolves.toBeDefined();
  });

  it("a request's department sees that template and period too (and only that period)", async () => {
    const core = await cityCore();
    await withStaff(core);
    const Database = (await import('better-sqlite3')).default;
    const raw = new Database(tmp!.file('city-0.sqlite'));
    raw
      .prepare(
        `INSERT INTO requests (id, edition, template, template_version, period, state, due, due_wording, department, data_json, signed, source, stored_at)
         VALUES ('YC-2026-0001', 1, 'BC-CX', 1, '2026-06-20', 'open', '2026-06-24', 'trong', 'Sở Tài chính', '{}', x'00', 'issued', '2026-06-10T00:00:00Z')`,
      )
      .run();
    raw.close();
    const { departmentMay } = await import('../../core/users/scope.js');
    const deps = {
      standing: core.resources.standing,
      sqlite: new Database(tmp!.file('city-0.sqlite'), { readonly: true }),
    };
    try {
      const hung = core.users.findUser('Hùng')!;
      const asHung = (template: string, period?: string) =>
        runAsUser({ id: hung.id, name: hung.name, department: hung.department, admin: false }, () =>
          departmentMay(deps, template, period),
        );
      expect(asHung('BC-CX', '2026-06-20')).toBe(true);
      expect(asHung('BC-CX', '2026-Q2')).toBe(false);
      expect(asHung('PCM', '2026-06-20')).toBe(false);
    } finally {
      deps.sqlite.close();
    }
  });
});

describe('review decisions record who', () => {
  it("city.review.decide stores decided_by = the signed-in user's name, and review.get gives it as decidedBy", async () => {
    const core = await cityCore();
    await withStaff(core);
    const ret = cityReturns()[0]!;
    const p = await makePackage(ret);
    await core.city.importFiles([{ name: p.fileName, bytes: p.bytes }], { dryRun: false });
    const key = { template: 'BC-CX', period: ret.period, unit: ret.unit };
    await expect(
      as(core, 'Hùng', () => call(core, 'city.review.decide', { ...key, revision: 1, decision: 'accepted' })),
    ).rejects.toMatchObject({ code: 'not_found' });
    await as(core, 'Lan', () => call(core, 'city.review.decide', { ...key, revision: 1, decision: 'accepted' }));
    const got = await call(core, 'city.review.get', key);
    expect(got.revisions[0]).toMatchObject({ review: 'accepted', decidedBy: 'Lan' });
    // Without a session nobody is named.
    await call(core, 'city.review.decide', {
      ...key,
      revision: 1,
      decision: 'returned',
      reason: 'Hãy kiểm tra lại biên chế.',
    });
    expect((await call(core, 'city.review.get', key)).revisions[0]!.decidedBy).toBeUndefined();
  });
});
