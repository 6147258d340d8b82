/**
 * City users (issue 9 item 4): names, departments, passwords as scrypt hashes; sessions for the
 * browser mode (server/ signs in and out, see server/login.ts).
 */
import type { Handlers } from '../../shared/index.js';
import { AppError } from '../../shared/index.js';
import type { RequestDeps } from '../requests/deps.js';

export type UserHandlers = Pick<Handlers, 'auth.me' | 'users.list' | 'users.add' | 'users.setPassword' | 'users.disable'>;

const notYet = (): never => {
  throw new AppError('refused', 'Chức năng này đang được xây dựng.');
};

export function createUserHandlers(_deps: Pick<RequestDeps, 'sqlite' | 'now' | 'settings'>): UserHandlers {
  return {
    'auth.me': () => ({ user: null, usersExist: false, csrf: null }),
    'users.list': notYet,
    'users.add': notYet,
    'users.setPassword': notYet,
    'users.disable': notYet,
  };
}
