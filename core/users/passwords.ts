/**
 * City users' passwords (issue 9 item 4): scrypt through node:crypto (N=32768, r=8, p=1, a 32-byte
 * key, a 16-byte random salt), compared in constant time. The password itself is never stored.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { AppError } from '../../shared/index.js';

export const MIN_USER_PASSWORD = 8;
const N = 32768;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;
/** scrypt needs 128·N·r bytes; Node's default ceiling (32 MiB) is exactly that, so raise it. */
const MAXMEM = 256 * N * R;

export function hashWith(password: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFC'), salt, KEY_LENGTH, { N, r: R, p: P, maxmem: MAXMEM }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

/** A new salt and the hash of the password under it. */
export async function hashPassword(password: string): Promise<{ salt: Buffer; hash: Buffer }> {
  const salt = randomBytes(16);
  return { salt, hash: await hashWith(password, salt) };
}

/** Whether the password hashes to `hash` under `salt` (constant-time compare). */
export async function verifyPassword(password: string, salt: Buffer, hash: Buffer): Promise<boolean> {
  const key = await hashWith(password, salt);
  return key.length === hash.length && timingSafeEqual(key, hash);
}

/** Refuse a password too short to guard the city's data (Vietnamese, saying what to do). */
export function checkPasswordStrength(password: string): void {
  if ([...password.normalize('NFC')].length < MIN_USER_PASSWORD)
    throw new AppError(
      'invalid_input',
      `Mật khẩu quá ngắn: cần ít nhất ${MIN_USER_PASSWORD} ký tự. Hãy chọn mật khẩu dài hơn (có thể là một câu dễ nhớ).`,
    );
}
