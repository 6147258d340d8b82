/**
 * Requests at the city (issue 9): create, amend, withdraw, sign, export; completeness and
 * consolidation by the request's own deadline and addressees; reminders.
 */
import type { Handlers } from '../../shared/index.js';
import { AppError } from '../../shared/index.js';
import type { RequestDeps } from './deps.js';

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

const notYet = (): never => {
  throw new AppError('refused', 'Chức năng này đang được xây dựng.');
};

export function createCityRequests(_deps: RequestDeps): CityRequests {
  return {
    handlers: {
      'requests.list': notYet,
      'requests.get': notYet,
      'requests.check': notYet,
      'requests.create': notYet,
      'requests.amend': notYet,
      'requests.withdraw': notYet,
      'requests.export': notYet,
      'requests.completeness': notYet,
      'requests.consolidation': notYet,
      'requests.consolidation.export': notYet,
      'requests.remindTargets': notYet,
      'requests.remind': notYet,
      'requests.missing.export': notYet,
      'templates.exportSigned': notYet,
      'keys.city': notYet,
    },
  };
}
