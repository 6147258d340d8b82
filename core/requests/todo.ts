/**
 * "Việc phải nộp" (issue 9): what a commune office owes. Every open request addressed to it (its
 * latest edition) and the standing reports' periods (resources/requests/standing.json), each with
 * its deadline, the time left and the state of its return: not begun, a draft, submitted, and the
 * city's word on the submitted revision (accepted, or returned with its reason).
 */
import type { Lang, Output, Template, TodoItem } from '../../shared/index.js';
import {
  AppError,
  addresseeLine,
  deadlineText,
  defaultPeriods,
  isLate,
  lastDay,
  periodDeadline,
  periodLabel,
  periodWindow,
  reportsFor,
  timeLeft,
  tx,
} from '../../shared/index.js';
import type { RequestDeps } from './deps.js';
import type { RequestStore } from './store.js';

/** At most this many lines of what was already submitted. */
const DONE_MAX = 30;

interface ReturnFacts {
  returnId: number | null;
  state: TodoItem['state'];
  revision: number | null;
  submittedAt: string | null;
  late: boolean;
  reason: string | null;
}

/** Where the office's return of (unit, template, period) stands: its draft, its latest revision and the city's decision on it. */
export function returnFacts(deps: Pick<RequestDeps, 'sqlite'>, unit: string, template: string, period: string): ReturnFacts {
  const row = deps.sqlite
    .prepare<[string, string, string], { id: number; updated_at: string | null }>(
      'SELECT id, updated_at FROM returns WHERE unit = ? AND template = ? AND period = ?',
    )
    .get(unit, template, period);
  if (!row) return { returnId: null, state: 'not_started', revision: null, submittedAt: null, late: false, reason: null };
  const last = deps.sqlite
    .prepare<[number], { revision: number; submitted_at: string; late: number; state: string | null; reason: string | null }>(
      `SELECT v.revision, v.submitted_at, v.late, o.state, o.reason FROM revisions v
       LEFT JOIN outbox o ON o.package_id = v.package_id
       WHERE v.return_id = ? ORDER BY v.revision DESC LIMIT 1`,
    )
    .get(row.id);
  if (!last) return { returnId: row.id, state: row.updated_at ? 'draft' : 'not_started', revision: null, submittedAt: null, late: false, reason: null };
  const state = last.state === 'accepted' ? 'accepted' : last.state === 'returned' ? 'returned' : 'submitted';
  return {
    returnId: row.id,
    state,
    revision: last.revision,
    submittedAt: last.submitted_at,
    late: last.late === 1,
    reason: state === 'returned' ? last.reason : null,
  };
}

export async function communeTodo(deps: RequestDeps, store: RequestStore): Promise<Output<'requests.todo'>> {
  const s = await deps.settings();
  if (s.role !== 'commune' || !s.unitCode)
    throw new AppError(
      'not_configured',
      'Chưa chọn đơn vị báo cáo. Hãy hoàn tất bước thiết lập ban đầu (chọn vai trò "Xã, phường, đặc khu" và đơn vị của mình) rồi thử lại.',
    );
  const unitCode = s.unitCode;
  const lang: Lang = s.lang;
  const today = deps.today();
  const all: TodoItem[] = [];
  const reminder = deps.sqlite.prepare<[string], { message: string; created_at: string }>(
    `SELECT message, created_at FROM reminders WHERE direction = 'received' AND request_id = ? ORDER BY created_at DESC LIMIT 1`,
  );
  const title = (t: Template | undefined, fallback: string) => (t ? tx(t.title, lang) : fallback);

  // Open requests addressed to this unit (a commune stores only those; checked again all the same).
  const covered = new Set<string>();
  for (const stored of store.all()) {
    const e = stored.edition;
    if (e.state !== 'open' || !e.units.includes(unitCode)) continue;
    covered.add(`${e.template}|${e.period}`);
    const t = deps.registry.getTemplate(e.template, e.templateVersion);
    const last = lastDay(e.due, e.dueWording);
    const r = reminder.get(e.id);
    const facts = returnFacts(deps, unitCode, e.template, e.period);
    // Late by the latest edition's last day, as the city counts it: an extended deadline can make an earlier submission on time.
    if (facts.submittedAt) facts.late = isLate(facts.submittedAt, last);
    all.push({
      kind: 'request',
      requestId: e.id,
      edition: e.edition,
      amended: e.edition > 1 && stored.seenAt === null,
      note: e.note?.trim() || null,
      template: e.template,
      templateVersion: e.templateVersion,
      templateTitle: title(t, e.template),
      title: e.title,
      period: e.period,
      periodLabel: periodLabel(e.period, lang),
      ref: e.ref,
      addressee: addresseeLine(e, lang),
      department: e.department,
      due: e.due,
      dueWording: e.dueWording,
      deadlineText: deadlineText(e.due, e.dueWording, lang),
      lastDay: last,
      ...left(last, today, lang),
      instruction: e.instruction?.trim() || null,
      ...facts,
      reminder: r ? { message: r.message, sentAt: r.created_at } : null,
    });
  }

  // The standing reports: the periods of their type that have started, from this office's first period.
  const first = s.firstPeriod ?? (await deps.unitList()).units.find((u) => u.code === unitCode)?.firstPeriod ?? null;
  const startedOn = officeStartedOn(deps, today);
  for (const sch of deps.resources.standing) {
    const t = deps.registry.latestTemplate(sch.template);
    if (!t) continue;
    for (const p of defaultPeriods([sch.periodType], today)) {
      if (periodWindow(p).start > today || !reportsFor(first, p) || covered.has(`${t.id}|${p.code}`)) continue;
      const due = periodDeadline(p, t.deadlineDay);
      const facts = returnFacts(deps, unitCode, t.id, p.code);
      // Without a first period, a period whose deadline passed before the office began is not owed
      // here (it stays in "Tất cả kỳ báo cáo") unless a return for it exists.
      if (!first && due < startedOn && facts.returnId === null) continue;
      all.push({
        kind: 'standing',
        requestId: null,
        edition: null,
        amended: false,
        note: null,
        template: t.id,
        templateVersion: t.version,
        templateTitle: title(t, t.id),
        title: title(t, t.id),
        period: p.code,
        periodLabel: periodLabel(p, lang),
        ref: null,
        addressee: addresseeLine(sch, lang),
        department: sch.department,
        due,
        dueWording: 'trong',
        deadlineText: deadlineText(due, 'trong', lang),
        lastDay: due,
        ...left(due, today, lang),
        instruction: sch.basis?.trim() || null,
        ...facts,
        reminder: null,
      });
    }
  }

  const isDone = (i: TodoItem) => i.state === 'submitted' || i.state === 'accepted';
  const items = all.filter((i) => !isDone(i)).sort((a, b) => a.lastDay.localeCompare(b.lastDay) || a.title.localeCompare(b.title, 'vi'));
  const done = all
    .filter(isDone)
    .map((i) => ({ ...i, timeLeft: '' }))
    .sort((a, b) => (b.submittedAt ?? '').localeCompare(a.submittedAt ?? ''))
    .slice(0, DONE_MAX);
  return { items, done };
}

function left(last: string, today: string, lang: Lang): { daysLeft: number; timeLeft: string } {
  const t = timeLeft(last, today, lang);
  return { daysLeft: t.days, timeLeft: t.text };
}

/**
 * The day this office began using the app (Vietnam date): set at setup (settings set_up_at); for an
 * office set up before that was kept, its first return; else today.
 */
function officeStartedOn(deps: RequestDeps, today: string): string {
  const row =
    deps.sqlite.prepare<[], { v: string | null }>(`SELECT value AS v FROM settings WHERE key = 'set_up_at'`).get() ??
    deps.sqlite.prepare<[], { v: string | null }>('SELECT min(created_at) AS v FROM returns').get();
  if (!row?.v) return today;
  return new Date(new Date(row.v).getTime() + 7 * 3600_000).toISOString().slice(0, 10);
}
