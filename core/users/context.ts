/**
 * "Which user is this" (issue 9 item 4), as a wrapper rather than a parameter of every handler:
 * the transport that knows the signed-in city user (server/ with sessions) runs the call inside
 * runAsUser(user, …); handlers that care (department scoping, decided_by, issued_by) read
 * currentUser(). Outside any session (the desktop app, the command line, the loopback browser mode
 * of a city without users) there is no user: the installation's single person, an administrator.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { sameDepartment } from '../../shared/requests.js';

export interface CityUser {
  id: number;
  name: string;
  department: string;
  admin: boolean;
}

interface CallContext {
  user: CityUser | null;
  /** The session's CSRF token (auth.me gives it to the page), when the call came through a session. */
  csrf: string | null;
}

const store = new AsyncLocalStorage<CallContext>();

export function runAsUser<T>(user: CityUser | null, fn: () => T, csrf: string | null = null): T {
  return store.run({ user, csrf }, fn);
}

/** The signed-in city user of this call; null: no session (desktop, command line, a city without users). */
export function currentUser(): CityUser | null {
  return store.getStore()?.user ?? null;
}

/** The CSRF token of this call's session; null without a session. */
export function currentCsrf(): string | null {
  return store.getStore()?.csrf ?? null;
}

/** Whether the caller sees everything: no session (the installation's own person) or an administrator. */
export function seesAll(): boolean {
  const u = currentUser();
  return !u || u.admin;
}

/** Whether the caller may see a request of this department: no session, an administrator, or a clerk of that department. */
export function canSee(department: string): boolean {
  const u = currentUser();
  if (!u || u.admin) return true;
  return sameDepartment(u.department, department);
}
