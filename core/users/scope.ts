/**
 * Department scoping of the city's standing calls (issue 9 item 4), as one wrapper put around the
 * handler table where it is assembled (core/handlers.ts), not code in each handler.
 *
 * city.completeness, city.review.*, city.consolidation(.export) and city.periods for a template are
 * allowed to the installation's own person (no session), an administrator, or a clerk of the
 * department that consolidates that template's standing report (resources/requests/standing.json)
 * or the request issued for that template and period. Anyone else gets AppError('not_found'), the
 * same answer as for something that does not exist (never a hint that it does).
 */
import type Database from 'better-sqlite3';
import type { Handlers, StandingSchedule } from '../../shared/index.js';
import { AppError, parsePeriod, sameDepartment } from '../../shared/index.js';
import { currentUser } from './context.js';

export const SCOPED_CALLS = [
  'city.periods',
  'city.completeness',
  'city.review.get',
  'city.review.decide',
  'city.review.diff',
  'city.consolidation',
  'city.consolidation.export',
] as const satisfies readonly (keyof Handlers)[];

export const NOT_FOUND_SCOPED =
  'Không tìm thấy báo cáo này trong phần việc của phòng ban bạn. Hãy chọn một báo cáo trong danh sách, hoặc nhờ quản trị viên nếu bạn cần xem nó.';

export interface ScopeDeps {
  standing: readonly StandingSchedule[];
  sqlite: Database.Database;
}

/** Whether the caller may see (template, period); period undefined: any period of the template (city.periods). */
export function departmentMay(deps: ScopeDeps, template: string, period?: string): boolean {
  const u = currentUser();
  if (!u || u.admin) return true;
  const type = period === undefined ? undefined : parsePeriod(period)?.type;
  const standing = deps.standing.some(
    (s) =>
      s.template === template &&
      sameDepartment(s.department, u.department) &&
      (period === undefined || type === s.periodType),
  );
  if (standing) return true;
  const rows = deps.sqlite
    .prepare<[string], { period: string; department: string }>(
      'SELECT DISTINCT period, department FROM requests WHERE template = ?',
    )
    .all(template);
  return rows.some((r) => (period === undefined || r.period === period) && sameDepartment(r.department, u.department));
}

/** Wrap the scoped calls of a handler table in place. */
export function scopeCityCalls(handlers: Handlers, deps: ScopeDeps): void {
  const table = handlers as unknown as Record<string, (input: { template: string; period?: string }) => unknown>;
  for (const name of SCOPED_CALLS) {
    const inner = table[name];
    if (!inner) continue;
    table[name] = (input) => {
      if (!departmentMay(deps, input.template, input.period)) throw new AppError('not_found', NOT_FOUND_SCOPED);
      return inner(input);
    };
  }
}

/**
 * Calls that change the installation itself (its role, its unit list, its delivery settings, a
 * restore): only an administrator when a user is signed in; the installation's own person (no
 * session: the desktop app, the command line) as before.
 */
export const ADMIN_CALLS = [
  'app.setup',
  'units.import',
  'units.restore',
  'backups.restore',
  'delivery.configure',
  'city.periodList.useCurrent',
] as const satisfies readonly (keyof Handlers)[];

export const ADMIN_ONLY =
  'Chỉ quản trị viên mới làm được việc này (đổi vai trò, danh mục đơn vị, cài đặt gửi qua mạng, khôi phục bản sao lưu). Hãy nhờ quản trị viên của Thành phố.';

/** Wrap the administrator-only calls of a handler table in place. */
export function guardAdminCalls(handlers: Handlers): void {
  const table = handlers as unknown as Record<string, (input: unknown) => unknown>;
  for (const name of ADMIN_CALLS) {
    const inner = table[name];
    if (!inner) continue;
    table[name] = (input) => {
      const u = currentUser();
      if (u && !u.admin) throw new AppError('refused', ADMIN_ONLY);
      return inner(input);
    };
  }
}
