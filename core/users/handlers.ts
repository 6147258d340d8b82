/**
 * City users (issue 9 item 4): names, departments, passwords as scrypt hashes; sessions for the
 * browser mode (server/ signs in and out with core/users/sessions.ts).
 *
 * Who may do what: without a session (desktop app, command line, the loopback browser mode of a
 * city without users) the caller is the installation's own person, an administrator. The first
 * user may be added by anyone (there is nobody to sign in yet) and is always an administrator.
 */
import type { CityUserInfo, Handlers } from '../../shared/index.js';
import { AppError } from '../../shared/index.js';
import type { RequestDeps } from '../requests/deps.js';
import { currentCsrf, currentUser, seesAll } from './context.js';
import { checkPasswordStrength, hashPassword } from './passwords.js';
import type { UserRow } from './sessions.js';
import { cityAuth, foldName } from './sessions.js';

export type UserHandlers = Pick<
  Handlers,
  'auth.me' | 'users.list' | 'users.add' | 'users.setPassword' | 'users.disable'
>;

const NOT_CITY =
  'Người dùng và đăng nhập chỉ có ở cơ sở dữ liệu của Thành phố; cơ sở dữ liệu này là của một đơn vị cấp xã. Hãy mở cơ sở dữ liệu của Thành phố.';
const ADMIN_ONLY = 'Chỉ quản trị viên mới quản lý được người dùng. Hãy nhờ quản trị viên của Thành phố làm việc này.';

const info = (u: UserRow): CityUserInfo => ({
  name: u.name,
  department: u.department,
  admin: u.is_admin === 1,
  createdAt: u.created_at,
  disabled: u.disabled_at !== null,
  lastLoginAt: u.last_login_at,
});

const notFound = (name: string) =>
  new AppError('not_found', `Không có người dùng "${name}". Hãy kiểm tra lại tên (xem danh sách người dùng).`);

export function createUserHandlers(deps: Pick<RequestDeps, 'sqlite' | 'now' | 'settings'>): UserHandlers {
  const auth = cityAuth(deps.sqlite, deps.now);

  const cityOnly = async () => {
    if ((await deps.settings()).role !== 'city') throw new AppError('refused', NOT_CITY);
  };
  const adminOnly = () => {
    if (!seesAll()) throw new AppError('refused', ADMIN_ONLY);
  };
  const mustFind = (name: string): UserRow => {
    const u = auth.findUser(name);
    if (!u) throw notFound(name.trim());
    return u;
  };
  const activeAdmins = () => auth.users().filter((u) => u.is_admin === 1 && !u.disabled_at);

  return {
    'auth.me': () => {
      const u = currentUser();
      return {
        user: u ? { name: u.name, department: u.department, admin: u.admin } : null,
        usersExist: auth.usersExist(),
        csrf: currentCsrf(),
      };
    },
    'users.list': async () => {
      await cityOnly();
      adminOnly();
      return auth.users().map(info);
    },
    'users.add': async ({ name, department, admin, password }) => {
      await cityOnly();
      if (auth.usersExist()) adminOnly();
      checkPasswordStrength(password);
      const clean = name.normalize('NFC').trim().replace(/\s+/g, ' ');
      const { salt, hash } = await hashPassword(password);
      const at = deps.now().toISOString();
      // Checked and written in one transaction (after the slow hash), so two adds cannot both pass.
      const id = deps.sqlite.transaction(() => {
        const first = !auth.usersExist();
        if (!first && !seesAll()) throw new AppError('refused', ADMIN_ONLY);
        const clash = auth.findUser(clean);
        if (clash)
          throw new AppError(
            'invalid_input',
            `Đã có người dùng "${clash.name}" (tên không phân biệt chữ hoa, chữ thường). Hãy chọn một tên khác cho người dùng mới.`,
          );
        return Number(
          deps.sqlite
            .prepare(`INSERT INTO users (name, department, is_admin, salt, hash, created_at) VALUES (?, ?, ?, ?, ?, ?)`)
            .run(clean, department.normalize('NFC').trim(), first || admin ? 1 : 0, salt, hash, at).lastInsertRowid,
        );
      })();
      return info(deps.sqlite.prepare<[number], UserRow>('SELECT * FROM users WHERE id = ?').get(id)!);
    },
    'users.setPassword': async ({ name, password }) => {
      await cityOnly();
      const u = mustFind(name);
      const me = currentUser();
      const self = !!me && foldName(me.name) === foldName(u.name);
      if (!self) adminOnly();
      checkPasswordStrength(password);
      const { salt, hash } = await hashPassword(password);
      deps.sqlite.prepare('UPDATE users SET salt = ?, hash = ? WHERE id = ?').run(salt, hash, u.id);
      // A password reset by someone else closes the user's open sessions (the old password may be known).
      if (!self) auth.endAllOf(u.id);
      return {
        message: self
          ? 'Đã đổi mật khẩu. Lần đăng nhập sau hãy dùng mật khẩu mới.'
          : `Đã đặt lại mật khẩu cho ${u.name}. Hãy báo mật khẩu mới cho người đó; các phiên đăng nhập cũ của họ đã được đóng.`,
      };
    },
    'users.disable': async ({ name, disabled }) => {
      await cityOnly();
      adminOnly();
      const u = mustFind(name);
      deps.sqlite.transaction(() => {
        if (disabled && u.is_admin === 1 && !u.disabled_at && activeAdmins().length <= 1)
          throw new AppError(
            'refused',
            `Không khoá được ${u.name}: đây là quản trị viên duy nhất còn hoạt động, khoá thì không ai quản lý được người dùng. Hãy thêm một quản trị viên khác trước.`,
          );
        deps.sqlite
          .prepare('UPDATE users SET disabled_at = ? WHERE id = ?')
          .run(disabled ? (u.disabled_at ?? deps.now().toISOString()) : null, u.id);
        if (disabled) auth.endAllOf(u.id);
      })();
      return info(mustFind(u.name));
    },
  };
}
