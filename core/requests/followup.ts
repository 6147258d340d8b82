/**
 * Following a request up at the city (issue 9 items 4 and 5): completeness by the request's own
 * addressees and deadline, its consolidation (the request's units only), reminders to the units
 * that have not submitted, and the list of those units with their contacts for email or a phone round.
 *
 * Everything builds on the city's completeness and consolidation of (template, period)
 * (core/city/handlers.ts): a request's return is the ordinary return of that key. Rows are narrowed
 * to the request's units and lateness is recomputed against lastDay(due, wording) in Vietnam time.
 */
import { randomUUID } from 'node:crypto';
import ExcelJS from 'exceljs';
import type { CompletenessRow, Handlers, Output, RequestEdition, Unit } from '../../shared/index.js';
import { AppError, countStates, deadlineText, isLate, lastDay, periodLabel } from '../../shared/index.js';
import { unitOfRow } from '../city/units.js';
import { BORDER, CENTER, HEADER_FILL, LEFT, MARGINS, escapeText, fitPage, font, heightFor, lines, merge, nationalHeading } from '../xlsx/style.js';
import { canSee, currentUser, runAsUser } from '../users/context.js';
import type { RequestDeps } from './deps.js';
import type { StoredEdition } from './store.js';
import { requestStore } from './store.js';
import type { RequestCounts } from './summary.js';
import { summaryOf } from './summary.js';

export type FollowupCallName =
  | 'requests.completeness'
  | 'requests.consolidation'
  | 'requests.consolidation.export'
  | 'requests.remindTargets'
  | 'requests.remind'
  | 'requests.missing.export';

export type Followup = Pick<Handlers, FollowupCallName> & {
  /** The counts of a request (the latest edition's units and deadline), as requests.completeness gives them. */
  counts(e: RequestEdition): RequestCounts;
};

type RemindTarget = Output<'requests.remindTargets'>[number];

const attr = (u: Unit, name: string): string | null => {
  for (const [k, v] of Object.entries(u.attributes ?? {})) if (k.trim().toLowerCase() === name && v.trim()) return v.trim();
  return null;
};

/** "UBND phường Hồng Bàng" from "Phường Hồng Bàng". */
const ubnd = (u: Unit) => `UBND ${u.name.charAt(0).toLocaleLowerCase('vi')}${u.name.slice(1)}`;

const text = (s: string) => (s.includes('_') ? escapeText(s) : s);

export function createFollowup(deps: RequestDeps): Followup {
  const requests = requestStore(deps.sqlite);
  const q = {
    pinned: deps.sqlite.prepare<[string, string], { list_version: string }>(`SELECT list_version FROM city_period_lists WHERE template = ? AND period = ?`),
    currentVersion: deps.sqlite.prepare<[], { version: string }>(`SELECT version FROM unit_list_versions WHERE is_current = 1`),
    listUnits: deps.sqlite.prepare<[string], Unit & { first_period: string | null; attributes_json: string | null }>(
      `SELECT code, type, name, first_period, attributes_json FROM units WHERE list_version = ? ORDER BY rowid`,
    ),
    current: deps.sqlite.prepare<[string, string], { unit: string; review: string | null; submitted_at: string | null; imported_at: string }>(
      `SELECT p.unit, r.decision AS review, p.submitted_at, p.imported_at
         FROM city_current c JOIN city_packages p ON p.id = c.package LEFT JOIN city_reviews r ON r.package = p.id
        WHERE c.template = ? AND c.period = ?`,
    ),
    /**
     * "Online" (a reminder reaches the office's screen): the city holds no intake tokens, so a unit
     * counts as reachable over the network when it has ever delivered a package through it: a city
     * package recorded by the pull (city_pulled), or a pulled package the import refused
     * (city_pull_refused). A unit that only ever sent files by email or USB is offline: its reminder is
     * listed with its contacts.
     */
    online: deps.sqlite.prepare<[string, string], { one: number }>(
      `SELECT 1 AS one WHERE EXISTS (SELECT 1 FROM city_packages p JOIN city_pulled d ON d.package_id = p.package_id WHERE p.unit = ?)
          OR EXISTS (SELECT 1 FROM city_pull_refused WHERE unit = ?)`,
    ),
    insertReminder: deps.sqlite.prepare<{
      id: string;
      request_id: string;
      unit: string;
      message: string;
      created_at: string;
      created_by: string | null;
      push_state: 'pending' | 'offline';
    }>(
      `INSERT INTO reminders (id, request_id, unit, message, created_at, created_by, direction, push_state)
       VALUES (@id, @request_id, @unit, @message, @created_at, @created_by, 'sent', @push_state)`,
    ),
  };

  /** The latest edition of a request the caller may see; otherwise not_found (never a hint that it exists). */
  function find(id: string): StoredEdition {
    const s = requests.latest(id);
    if (!s || s.source !== 'issued' || !canSee(s.edition.department))
      throw new AppError('not_found', `Không tìm thấy yêu cầu báo cáo "${id}". Hãy chọn một yêu cầu trong danh sách Yêu cầu báo cáo.`);
    return s;
  }

  /**
   * The units of the list a request's period is counted with (core/city/handlers.ts periodList: the
   * list pinned at the period's first import, else the current one), by code. An addressed unit the
   * list does not know (merged or renamed since) is "unlisted".
   */
  function listOf(e: RequestEdition): Map<string, Unit> {
    const version = listVersionOf(e);
    if (!version) return new Map();
    // requests.list asks once per request, mostly for the same version: read each version once. A
    // version's rows never change once stored (installUnitList writes a new version only), so
    // keeping them is safe; a handful at most. Callers only read the map.
    let units = listCache.get(version);
    if (!units) {
      if (listCache.size >= 4) listCache.clear();
      units = new Map(q.listUnits.all(version).map((r) => [r.code, unitOfRow(r)] as const));
      listCache.set(version, units);
    }
    return units;
  }
  const listCache = new Map<string, Map<string, Unit>>();
  const listVersionOf = (e: RequestEdition) => q.pinned.get(e.template, e.period)?.list_version ?? q.currentVersion.get()?.version;

  const lateBy = (e: RequestEdition) => {
    const last = lastDay(e.due, e.dueWording);
    return (submittedAt: string) => isLate(submittedAt, last);
  };

  function counts(e: RequestEdition): RequestCounts {
    const listed = listOf(e);
    const late = lateBy(e);
    const current = new Map(q.current.all(e.template, e.period).map((r) => [r.unit, r]));
    return countStates(
      e.units
        .filter((code) => listed.has(code))
        .map((code) => {
          const r = current.get(code);
          if (!r) return { state: 'missing' as const, late: null };
          return { state: (r.review ?? 'received') as 'received' | 'accepted' | 'returned', late: late(r.submitted_at ?? r.imported_at) };
        }),
    );
  }

  async function completeness(s: StoredEdition): Promise<Output<'requests.completeness'>> {
    const e = s.edition;
    // The caller may see this request (find): the city's own view of the period is read without the
    // user's scoping of standing periods, then narrowed to the request.
    const base = await runAsUser(null, () => deps.city.handlers['city.completeness']({ template: e.template, period: e.period }));
    const byCode = new Map<string, CompletenessRow>();
    for (const r of [...base.rows, ...base.unlisted]) byCode.set(r.unit.code, r);
    const listed = listOf(e);
    const late = lateBy(e);
    const missing = (unit: Unit): CompletenessRow => ({
      unit,
      state: 'missing',
      revision: null,
      submittedAt: null,
      late: false,
      editedOutside: false,
      errors: 0,
      warnings: 0,
      reason: null,
      conflicts: 0,
    });
    const own = (r: CompletenessRow): CompletenessRow => (r.state === 'missing' || !r.submittedAt ? r : { ...r, late: late(r.submittedAt) });
    const rows: CompletenessRow[] = [];
    const unlisted: CompletenessRow[] = [];
    // In the list's order, as the city's completeness and the consolidation show them.
    const addressed = new Set(e.units);
    for (const [code, unit] of listed) {
      if (!addressed.has(code)) continue;
      const r = byCode.get(code);
      rows.push(r ? own({ ...r, unit }) : missing(unit));
    }
    for (const code of e.units) {
      if (listed.has(code)) continue;
      const r = byCode.get(code);
      unlisted.push(r ? own(r) : missing((await deps.findUnit(code)) ?? { code, type: '', name: code }));
    }
    const c = countStates(rows);
    return {
      request: summaryOf(deps, s, c, (await deps.settings()).lang),
      unitListVersion: base.unitListVersion,
      deadline: lastDay(e.due, e.dueWording),
      counts: c,
      conflicts: rows.reduce((a, r) => a + r.conflicts, 0),
      rows,
      unlisted,
    };
  }

  function consolidation(e: RequestEdition) {
    return runAsUser(null, () => deps.city.consolidation(e.template, e.period, { units: e.units, lastDay: lastDay(e.due, e.dueWording) }));
  }

  function target(unit: Unit): RemindTarget {
    return { unit, online: !!q.online.get(unit.code, unit.code), email: attr(unit, 'email'), phone: attr(unit, 'dien_thoai') };
  }

  /** The addressed units (in the list) whose return is not submitted: missing, or returned for correction. */
  async function missingRows(s: StoredEdition): Promise<CompletenessRow[]> {
    return (await completeness(s)).rows.filter((r) => r.state === 'missing' || r.state === 'returned');
  }

  const defaultMessage = (e: RequestEdition, u: Unit) =>
    `Đề nghị ${ubnd(u)} gửi báo cáo ${e.title} (${e.ref.number}) ${deadlineText(e.due, e.dueWording)}.`;

  return {
    counts,

    'requests.completeness': async ({ id }) => completeness(find(id)),

    'requests.consolidation': async ({ id }) => {
      const s = find(id);
      // Like city.consolidation: the list the period is counted with, and the current one.
      const c = await consolidation(s.edition);
      return { ...c, request: s.edition.id, unitListVersion: listVersionOf(s.edition) ?? '', currentUnitListVersion: q.currentVersion.get()?.version ?? '' };
    },

    'requests.consolidation.export': async ({ id }) => {
      const s = find(id);
      const e = s.edition;
      const t = deps.registry.latestTemplate(e.template) ?? deps.resources.latestTemplate(e.template);
      if (!t) throw new AppError('not_found', `Ứng dụng không có mẫu báo cáo "${e.template}". Hãy cập nhật ứng dụng hoặc nhận tệp mẫu của Thành phố.`);
      const c = await consolidation(e);
      const done = await completeness(s);
      const reasons: Record<string, string> = {};
      for (const r of done.rows) if (r.state === 'returned' && r.reason) reasons[r.unit.code] = r.reason;
      const { writeConsolidationWorkbook } = await import('../xlsx/consolidation.js');
      const bytes = await writeConsolidationWorkbook(t, c, {
        createdAt: deps.now().toISOString(),
        appVersion: deps.appVersion,
        unitListVersion: done.unitListVersion,
        reasons,
        request: { line: `Yêu cầu ${e.id} — Số ${e.ref.number}: ${e.title} (${deadlineText(e.due, e.dueWording)})`, receivingBody: e.department },
      });
      return { fileName: `tong-hop-${e.id}.xlsx`, data: bytes.toString('base64') };
    },

    'requests.remindTargets': async ({ id }) => (await missingRows(find(id))).map((r) => target(r.unit)),

    'requests.remind': ({ id, units, message }) =>
      deps.serial(async () => {
        const s = find(id);
        const e = s.edition;
        if (e.state === 'withdrawn')
          throw new AppError('refused', `Yêu cầu ${e.id} đã được thu hồi nên không gửi nhắc. Hãy chọn một yêu cầu đang mở.`);
        let targets: RemindTarget[];
        if (units?.length) {
          const listed = listOf(e);
          const wrong = units.filter((code) => !e.units.includes(code) || !listed.has(code));
          if (wrong.length)
            throw new AppError(
              'invalid_input',
              `Yêu cầu ${e.id} không gửi đến đơn vị mã ${wrong.join(', ')}. Hãy chọn các đơn vị trong danh sách chưa nộp.`,
            );
          targets = [...new Set(units)].map((code) => target(listed.get(code)!));
        } else targets = (await missingRows(s)).map((r) => target(r.unit));
        if (!targets.length)
          throw new AppError('refused', `Mọi đơn vị được yêu cầu đã nộp báo cáo ${e.title}; không có đơn vị nào cần nhắc.`);
        const at = deps.now().toISOString();
        const by = currentUser()?.name ?? null;
        const custom = message?.trim();
        deps.sqlite.transaction(() => {
          for (const t of targets)
            q.insertReminder.run({
              id: randomUUID(),
              request_id: e.id,
              unit: t.unit.code,
              message: custom || defaultMessage(e, t.unit),
              created_at: at,
              created_by: by,
              push_state: t.online ? 'pending' : 'offline',
            });
        })();
        const online = targets.filter((t) => t.online).length;
        const offline = targets.filter((t) => !t.online);
        if (online) deps.kickDelivery();
        const sentence = offline.length
          ? `Đã gửi nhắc qua mạng cho ${online} đơn vị; ${offline.length} đơn vị chưa kết nối — danh sách kèm số điện thoại, thư điện tử để gọi hoặc gửi thư.`
          : `Đã gửi nhắc qua mạng cho ${online} đơn vị; các đơn vị sẽ thấy lời nhắc khi ứng dụng kết nối.`;
        return { online, offline, message: sentence };
      }),

    'requests.missing.export': async ({ id }) => {
      const s = find(id);
      const e = s.edition;
      const rows = await missingRows(s);
      const bytes = await missingWorkbook(e, rows.map((r) => ({ row: r, target: target(r.unit) })), deps.now().toISOString());
      return { fileName: `chua-nop-${e.id}.xlsx`, data: bytes.toString('base64') };
    },
  };
}

/** The units not yet submitted with their contacts: STT, Mã, Đơn vị, Loại, Trạng thái, Thư điện tử, Điện thoại. */
async function missingWorkbook(e: RequestEdition, list: { row: CompletenessRow; target: RemindTarget }[], createdAt: string): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'commune-returns';
  wb.title = `Đơn vị chưa nộp — ${e.title}`;
  wb.created = new Date(createdAt);
  const ws = wb.addWorksheet('Chưa nộp', {
    views: [{ state: 'frozen', ySplit: 7, showGridLines: false }],
    pageSetup: { paperSize: 9, orientation: 'portrait', fitToPage: true, fitToWidth: 1, fitToHeight: 0, horizontalCentered: true, margins: MARGINS },
  });
  const widths = [6, 9, 28, 10, 14, 26, 15];
  const n = widths.length;
  const total = widths.reduce((a, b) => a + b, 0);
  widths.forEach((w, i) => (ws.getColumn(i + 1).width = w));
  nationalHeading(ws, 1, n);
  const title = `DANH SÁCH ĐƠN VỊ CHƯA NỘP BÁO CÁO: ${e.title.toLocaleUpperCase('vi')}`;
  merge(ws, 4, 1, 4, n, text(title), { font: font({ bold: true, size: 14 }), alignment: CENTER });
  ws.getRow(4).height = heightFor(lines(title, total, 14, true), 14);
  const sub = `Yêu cầu ${e.id} — Số ${e.ref.number} — ${periodLabel(e.period)} — Thời hạn: ${deadlineText(e.due, e.dueWording)}`;
  merge(ws, 5, 1, 5, n, text(sub), { font: font({ italic: true, size: 12 }), alignment: CENTER });
  ws.getRow(5).height = heightFor(lines(sub, total, 12), 12);
  merge(ws, 6, 1, 6, n, `${list.length} đơn vị chưa nộp hoặc bị trả lại · Đơn vị tổng hợp: ${e.department}`, {
    font: font({ italic: true, size: 10 }),
    alignment: CENTER,
  });
  const heads = ['STT', 'Mã', 'Đơn vị', 'Loại', 'Trạng thái', 'Thư điện tử', 'Điện thoại'];
  heads.forEach((h, i) => merge(ws, 7, i + 1, 7, i + 1, h, { font: font({ bold: true }), alignment: CENTER, border: BORDER, fill: HEADER_FILL }));
  ws.getRow(7).height = 20;
  ws.pageSetup.printTitlesRow = '7:7';
  list.forEach(({ row, target }, i) => {
    const r = 8 + i;
    const cells: [ExcelJS.CellValue, Partial<ExcelJS.Alignment>, string?][] = [
      [i + 1, CENTER],
      [row.unit.code, CENTER, '@'],
      [text(row.unit.name), LEFT],
      [row.unit.type, CENTER],
      [row.state === 'returned' ? 'Bị trả lại' : 'Chưa nộp', CENTER],
      [target.email ? text(target.email) : 'chưa có', LEFT],
      [target.phone ?? 'chưa có', LEFT, '@'],
    ];
    cells.forEach(([v, align, fmt], k) => merge(ws, r, k + 1, r, k + 1, v, { font: font(), alignment: align, border: BORDER, ...(fmt ? { numFmt: fmt } : {}) }));
    ws.getRow(r).height = heightFor(Math.max(1, lines(row.unit.name, widths[2]!), lines(target.email ?? '', widths[5]!)));
  });
  if (!list.length) merge(ws, 8, 1, 8, n, 'Mọi đơn vị được yêu cầu đã nộp.', { font: font({ italic: true }), alignment: CENTER, border: BORDER });
  const last = 8 + Math.max(1, list.length) - 1;
  fitPage(ws, widths, last, false);
  return Buffer.from(await wb.xlsx.writeBuffer());
}
