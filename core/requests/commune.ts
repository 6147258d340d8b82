/**
 * Requests at a commune office (issue 9): receive signed request and template files (by file or
 * through the intake), keep every edition, and list what the office owes ("Việc phải nộp").
 */
import type { Handlers, Output } from '../../shared/index.js';
import { AppError } from '../../shared/index.js';
import type { RequestDeps } from './deps.js';

export type CommuneRequestHandlers = Pick<Handlers, 'requests.todo' | 'requests.receive' | 'trust.get' | 'trust.set'>;

export interface CommuneRequests {
  handlers: CommuneRequestHandlers;
  /** Receive a signed file's bytes (a request edition or a template), from a file or the network. */
  receiveSigned(bytes: Buffer, via: 'file' | 'network'): Promise<Output<'requests.receive'>>;
  /** Store a reminder the city sent through the intake (shown on the home list). */
  receiveReminder(r: { id: string; requestId: string; message: string; sentAt: string }): Promise<void>;
  /** The open request covering a return, if any (package identity, printed form, lateness). */
  requestFor(template: string, period: string): Promise<import('../../shared/index.js').RequestEdition | null>;
}

const notYet = (): never => {
  throw new AppError('refused', 'Chức năng này đang được xây dựng.');
};

export function createCommuneRequests(_deps: RequestDeps): CommuneRequests {
  return {
    handlers: { 'requests.todo': notYet, 'requests.receive': notYet, 'trust.get': notYet, 'trust.set': notYet },
    receiveSigned: async () => notYet(),
    receiveReminder: async () => notYet(),
    requestFor: async () => null,
  };
}
