/**
 * Access tokens: one per unit (or several, e.g. a new PC) and for the city. The plain token is
 * returned once at issue; only its sha256 is stored. Revoking is immediate (no cache).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IntakeDb } from './db.js';

export const TOKEN_PREFIX = 'hpx_';

export type TokenScope = { unit: string } | { city: true };

export interface TokenInfo {
  id: string;
  scope: 'unit' | 'city';
  unit: string | null;
  label: string | null;
  createdAt: string;
  revokedAt: string | null;
}

export const hashToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

/** Issue a token; the plain token is in the answer and nowhere else. */
export async function issueToken(
  db: IntakeDb,
  scope: TokenScope,
  label?: string,
): Promise<{ token: string; info: TokenInfo }> {
  const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
  const info: TokenInfo = {
    id: randomBytes(6).toString('hex'),
    scope: 'city' in scope ? 'city' : 'unit',
    unit: 'unit' in scope ? scope.unit : null,
    label: label?.trim() || null,
    createdAt: new Date().toISOString(),
    revokedAt: null,
  };
  await db.kysely
    .insertInto('tokens')
    .values({
      id: info.id,
      scope: info.scope,
      unit: info.unit,
      hash: hashToken(token),
      label: info.label,
      created_at: info.createdAt,
      revoked_at: null,
    })
    .execute();
  return { token, info };
}

/** Revoke by token id (as listed) or by the plain token. Returns false when there is no such token. */
export async function revokeToken(db: IntakeDb, idOrToken: string): Promise<boolean> {
  const col = idOrToken.startsWith(TOKEN_PREFIX) ? 'hash' : 'id';
  const value = col === 'hash' ? hashToken(idOrToken) : idOrToken;
  const r = await db.kysely
    .updateTable('tokens')
    .set({ revoked_at: new Date().toISOString() })
    .where(col, '=', value)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  if (Number(r.numUpdatedRows) > 0) return true;
  const exists = await db.kysely.selectFrom('tokens').select('id').where(col, '=', value).executeTakeFirst();
  return Boolean(exists);
}

export async function listTokens(db: IntakeDb): Promise<TokenInfo[]> {
  const rows = await db.kysely.selectFrom('tokens').selectAll().orderBy('created_at').execute();
  return rows.map(toInfo);
}

/** The token's record (revoked ones included, so the caller can say "revoked"), or undefined. */
export async function findToken(db: IntakeDb, token: string): Promise<TokenInfo | undefined> {
  const row = await db.kysely.selectFrom('tokens').selectAll().where('hash', '=', hashToken(token)).executeTakeFirst();
  return row && toInfo(row);
}

function toInfo(r: {
  id: string;
  scope: 'unit' | 'city';
  unit: string | null;
  label: string | null;
  created_at: string;
  revoked_at: string | null;
}): TokenInfo {
  return { id: r.id, scope: r.scope, unit: r.unit, label: r.label, createdAt: r.created_at, revokedAt: r.revoked_at };
}
