/**
 * A request as the city lists it (RequestSummary, shared/contract.ts): one builder for the list
 * (requests.list, core/requests/city.ts) and the completeness by request (core/requests/followup.ts),
 * so both show the same title, deadline wording, addressees and delivery state.
 */
import type { Addressees, Lang, RequestEdition, RequestSummary } from '../../shared/index.js';
import { addresseeLine, deadlineText, lastDay, requestPeriodLabel, tx } from '../../shared/index.js';
import type { RequestDeps } from './deps.js';
import type { StoredEdition } from './store.js';

export type RequestCounts = RequestSummary['counts'];

/** "Tất cả 114 đơn vị", "Các xã (67)", "co_hdnd: 1 (113 đơn vị)" (attribute: values), "12 đơn vị". */
export function addresseesLabel(a: Addressees, n: number, lang: Lang = 'vi'): string {
  if (lang === 'en') {
    if (a.kind === 'all') return `All ${n} units`;
    if (a.kind === 'types') return `Units of type ${a.types.join(', ')} (${n})`;
    if (a.kind === 'attribute') return `${a.attribute}: ${a.values.join(', ')} (${n})`;
    return `${n} unit${n === 1 ? '' : 's'}`;
  }
  if (a.kind === 'all') return `Tất cả ${n} đơn vị`;
  if (a.kind === 'types') return `Các ${a.types.join(', ')} (${n})`;
  if (a.kind === 'attribute') return `${a.attribute}: ${a.values.join(', ')} (${n} đơn vị)`;
  return `${n} đơn vị`;
}

/** The delivery state of an edition to the intake; null when the city has no delivery set up. */
function pushedOf(deps: Pick<RequestDeps, 'sqlite'>, e: RequestEdition): RequestSummary['pushed'] {
  const configured = deps.sqlite
    .prepare<[], { n: number }>("SELECT count(*) AS n FROM settings WHERE key IN ('delivery.server_url', 'delivery.token') AND value <> ''")
    .get()!.n;
  if (configured < 2) return null; // both the server's address and the token
  const row = deps.sqlite
    .prepare<[string, number], { state: 'pending' | 'pushed' | 'refused' }>('SELECT state FROM request_push WHERE request_id = ? AND edition = ?')
    .get(e.id, e.edition);
  return row?.state ?? 'pending';
}

/** The RequestSummary of a request's latest edition with its counts (followup's counts(e)). */
export function summaryOf(
  deps: Pick<RequestDeps, 'sqlite' | 'registry' | 'resources'>,
  stored: StoredEdition,
  counts: RequestCounts,
  lang: Lang = 'vi',
): RequestSummary {
  const e = stored.edition;
  const t = deps.registry.getTemplate(e.template, e.templateVersion) ?? deps.resources.getTemplate(e.template, e.templateVersion);
  return {
    id: e.id,
    edition: e.edition,
    state: e.state,
    title: e.title,
    ref: e.ref,
    template: e.template,
    templateVersion: e.templateVersion,
    templateTitle: t ? tx(t.title, lang) : e.template,
    period: e.period,
    periodLabel: requestPeriodLabel(e, lang),
    due: e.due,
    dueWording: e.dueWording,
    deadlineText: deadlineText(e.due, e.dueWording, lang),
    lastDay: lastDay(e.due, e.dueWording),
    department: e.department,
    addressee: addresseeLine(e, lang),
    addresseesLabel: addresseesLabel(e.addressees, e.units.length, lang),
    counts,
    issuedAt: e.issuedAt,
    issuedBy: e.issuedBy ?? null,
    pushed: pushedOf(deps, e),
  };
}
