/**
 * Requests at the city (issue 9): create, amend, withdraw, sign, export (core/requests/issue.ts);
 * completeness and consolidation by the request's own deadline and addressees, reminders
 * (core/requests/followup.ts).
 */
import type { Handlers } from '../../shared/index.js';
import type { RequestDeps } from './deps.js';
import { createFollowup } from './followup.js';
import { createIssuing } from './issue.js';

export type CityRequestHandlers = Pick<
  Handlers,
  | 'requests.list'
  | 'requests.get'
  | 'requests.check'
  | 'requests.create'
  | 'requests.amend'
  | 'requests.withdraw'
  | 'requests.export'
  | 'requests.completeness'
  | 'requests.consolidation'
  | 'requests.consolidation.export'
  | 'requests.remindTargets'
  | 'requests.remind'
  | 'requests.missing.export'
  | 'templates.exportSigned'
  | 'keys.city'
>;

export interface CityRequests {
  handlers: CityRequestHandlers;
}

export function createCityRequests(deps: RequestDeps): CityRequests {
  const followup = createFollowup(deps);
  const { counts: _counts, ...followupHandlers } = followup;
  const issuing = createIssuing(deps, (e) => followup.counts(e));
  return {
    handlers: {
      ...followupHandlers,
      'requests.list': (input) => issuing.list(input),
      'requests.get': (input) => issuing.get(input),
      'requests.check': (input) => issuing.check(input),
      'requests.create': (input) => issuing.create(input),
      'requests.amend': (input) => issuing.amend(input),
      'requests.withdraw': (input) => issuing.withdraw(input),
      'requests.export': (input) => issuing.export(input),
      'templates.exportSigned': (input) => issuing.exportSigned(input),
      'keys.city': () => issuing.cityKey(),
    },
  };
}
