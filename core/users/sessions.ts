/**
 * City users' accounts and browser-mode sessions (issue 9 item 4), in the city's SQLite database
 * (tables `users` and `sessions`, 0010_i_requests), so a session survives a restart of the server.
 * The cookie carries a random 32-byte id; the table keeps only its sha256 (hex) and the session's
 * CSRF token. server/ imports these to sign people in and out (the core never sees HTTP).
 */
import { createHash, randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { CityUser } from './context.js';
import { hashWith, verifyPassword } from './passwords.js';

/** A session unused this long is closed. */
export const SESSION_IDLE_MS = 12 * 60 * 60 * 1000;
/** last_seen_at is written at most this often (a page makes many calls). */
const TOUCH_MS = 60 * 1000;

export interface UserRow {
  id: number;
  name: string;
  department: string;
  is_admin: number;
  salt: Buffer;
  hash: Buffer;
  created_at: string;
  disabled_at: string | null;
  last_login_at: string | null;
}

export interface OpenSession {
  /** The cookie's value (never stored). */
  id: string;
  csrf: string;
  user: CityUser;
}

export interface CheckedSession {
  user: CityUser;
  csrf: string;
}

/** Names compare without case and with composed accents: "Lan" = "lan", "Hà" (NFC) = "Hà" (NFD). */
export const foldName = (s: string) => s.normalize('NFC').trim().toLocaleLowerCase('vi').replace(/\s+/g, ' ');

export const userOf = (r: Pick<UserRow, 'id' | 'name' | 'department' | 'is_admin'>): CityUser => ({
  id: r.id,
  name: r.name,
  department: r.department,
  admin: r.is_admin === 1,
});

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
/** A salt for names that do not exist, so a wrong name costs the same scrypt as a wrong password. */
const DUMMY_SALT = randomBytes(16);

export type CityAuth = ReturnType<typeof cityAuth>;

export function cityAuth(sqlite: Database.Database, now: () => Date = () => new Date()) {
  const q = {
    role: sqlite.prepare<[], { value: string }>(`SELECT value FROM settings WHERE key = 'role'`),
    anyUser: sqlite.prepare<[], { one: number }>(`SELECT 1 AS one FROM users LIMIT 1`),
    users: sqlite.prepare<[], UserRow>(`SELECT * FROM users ORDER BY name COLLATE NOCASE, id`),
    userById: sqlite.prepare<[number], UserRow>(`SELECT * FROM users WHERE id = ?`),
    insertSession: sqlite.prepare<[string, number, string, string, string, string | null]>(
      `INSERT INTO sessions (id_hash, user_id, csrf, created_at, last_seen_at, address) VALUES (?, ?, ?, ?, ?, ?)`,
    ),
    session: sqlite.prepare<[string], { user_id: number; csrf: string; last_seen_at: string }>(
      `SELECT user_id, csrf, last_seen_at FROM sessions WHERE id_hash = ?`,
    ),
    touch: sqlite.prepare<[string, string]>(`UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?`),
    endSession: sqlite.prepare<[string]>(`DELETE FROM sessions WHERE id_hash = ?`),
    endUser: sqlite.prepare<[number]>(`DELETE FROM sessions WHERE user_id = ?`),
    expire: sqlite.prepare<[string]>(`DELETE FROM sessions WHERE last_seen_at < ?`),
    loggedIn: sqlite.prepare<[string, number]>(`UPDATE users SET last_login_at = ? WHERE id = ?`),
  };

  const findUser = (name: string): UserRow | undefined => {
    const want = foldName(name);
    return q.users.all().find((u) => foldName(u.name) === want);
  };

  return {
    isCity: (): boolean => q.role.get()?.value === 'city',
    usersExist: (): boolean => q.anyUser.get() !== undefined,
    /** Whether the browser mode needs a signed-in user: a city database with at least one user. */
    required(): boolean {
      return this.isCity() && this.usersExist();
    },
    users: (): UserRow[] => q.users.all(),
    findUser,
    /** Check a name and a password; null for any wrong part (the caller says one generic sentence). */
    async verify(name: string, password: string): Promise<CityUser | null> {
      const u = findUser(name);
      if (!u) {
        await hashWith(password, DUMMY_SALT); // the same work whatever part is wrong
        return null;
      }
      const right = await verifyPassword(password, u.salt, u.hash);
      return right && !u.disabled_at ? userOf(u) : null;
    },
    /** Open a session for a user who has just signed in. */
    open(user: CityUser, address: string | null): OpenSession {
      const id = randomBytes(32).toString('base64url');
      const csrf = randomBytes(32).toString('base64url');
      const at = now().toISOString();
      q.expire.run(new Date(now().getTime() - SESSION_IDLE_MS).toISOString());
      q.insertSession.run(sha256(id), user.id, csrf, at, at, address);
      q.loggedIn.run(at, user.id);
      return { id, csrf, user };
    },
    /** The session of a cookie: unknown, idle more than 12 h, or its user disabled → null. */
    check(id: string | undefined | null): CheckedSession | null {
      if (!id || id.length > 200) return null;
      const key = sha256(id);
      const s = q.session.get(key);
      if (!s) return null;
      const t = now().getTime();
      const last = Date.parse(s.last_seen_at);
      if (!(t - last <= SESSION_IDLE_MS)) {
        q.endSession.run(key);
        return null;
      }
      const u = q.userById.get(s.user_id);
      if (!u || u.disabled_at) {
        q.endSession.run(key);
        return null;
      }
      if (t - last > TOUCH_MS) q.touch.run(new Date(t).toISOString(), key);
      return { user: userOf(u), csrf: s.csrf };
    },
    end(id: string | undefined | null): void {
      if (id) q.endSession.run(sha256(id));
    },
    /** Close every session of a user (disabled, or password reset by an administrator). */
    endAllOf(userId: number): void {
      q.endUser.run(userId);
    },
  };
}
