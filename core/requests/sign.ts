/**
 * The city's signature on what it sends to offices (issue 9): request editions and published
 * templates travel as a small JSON file whose payload is signed with the city's Ed25519 key
 * (node:crypto). An office trusts one public key: the one shipped in resources/keys/ or the one
 * set in its delivery settings. The private key lives only in the city's database (settings) and
 * so in its backups.
 *
 * The file: { format, version, kind, keyId, payload (base64 of the payload's JSON bytes),
 * signature (base64 Ed25519 over exactly those bytes) }. Verifying reads the bytes it checked,
 * never a re-serialisation of them.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type Database from 'better-sqlite3';
import { AppError } from '../../shared/index.js';

export const SIGNED_FORMAT = 'bao-cao-xa/signed';
export const SIGNED_VERSION = 1;
export type SignedKind = 'request' | 'template' | 'reminder';

export interface SignedFile {
  format: typeof SIGNED_FORMAT;
  version: 1;
  kind: SignedKind;
  /** keyIdOf(public key): lets a refusal say "signed by another key" rather than "altered". */
  keyId: string;
  payload: string;
  signature: string;
}

export interface CityKeyPair {
  publicPem: string;
  privatePem: string;
}

export function generateCityKey(): CityKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return {
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

function publicKeyOf(pem: string): KeyObject {
  try {
    const k = createPublicKey(pem);
    if (k.asymmetricKeyType !== 'ed25519') throw new Error(`not ed25519: ${k.asymmetricKeyType}`);
    return k;
  } catch (e) {
    throw new AppError(
      'invalid_input',
      'Tệp khóa công khai của Thành phố không đúng (không phải khóa Ed25519 dạng PEM). Hãy dùng đúng tệp khóa do Thành phố cung cấp.',
      { cause: String(e) },
    );
  }
}

/** A short, stable identity of a public key: the first 16 hex of the sha256 of its DER form. */
export function keyIdOf(publicPem: string): string {
  const der = publicKeyOf(publicPem).export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('hex').slice(0, 16);
}

/** The key's fingerprint as a person reads it over the phone: "3FA2 91C0 5B7E 0D44". */
export function fingerprintOf(publicPem: string): string {
  return keyIdOf(publicPem).toUpperCase().match(/.{4}/g)!.join(' ');
}

/** Sign a payload (any JSON value) into the bytes of a signed file. */
export function signFile(kind: SignedKind, payload: unknown, key: CityKeyPair): Buffer {
  const bytes = Buffer.from(JSON.stringify(payload), 'utf8');
  const signature = sign(null, bytes, createPrivateKey(key.privatePem));
  const file: SignedFile = {
    format: SIGNED_FORMAT,
    version: SIGNED_VERSION,
    kind,
    keyId: keyIdOf(key.publicPem),
    payload: bytes.toString('base64'),
    signature: signature.toString('base64'),
  };
  return Buffer.from(JSON.stringify(file, null, 1), 'utf8');
}

/** Whether bytes look like a signed file at all (to route a dropped file before verifying it). */
export function looksSigned(bytes: Uint8Array): boolean {
  const head = Buffer.from(bytes.subarray(0, 200)).toString('utf8');
  return head.trimStart().startsWith('{') && head.includes(SIGNED_FORMAT);
}

/**
 * The largest signed file read: a request edition with its template is a few hundred KB (a template
 * at most 2 MB, the intake takes request files up to 8 MB). Larger is refused before it is parsed.
 */
export const MAX_SIGNED_FILE_BYTES = 16 * 1024 * 1024;

/** The refusal of a file too large to be a signed file (also said by the command line before reading it). */
export function signedTooLarge(size: number): AppError {
  return new AppError(
    'refused',
    `Tệp lớn ${(size / 1024 / 1024).toLocaleString('vi-VN', { maximumFractionDigits: 1 })} MB, quá ${MAX_SIGNED_FILE_BYTES / 1024 / 1024} MB của một tệp yêu cầu báo cáo hoặc mẫu do Thành phố ký (một tệp như vậy chỉ vài trăm KB), nên không đọc. Hãy chọn đúng tệp Thành phố gửi (yeu-cau-….json hoặc mau-….json).`,
    { size },
  );
}

const NOT_SIGNED =
  'Tệp này không phải tệp yêu cầu báo cáo hoặc mẫu báo cáo do Thành phố ký (có thể đã bị cắt ngắn khi tải về). Hãy xin Thành phố gửi lại tệp.';
const ALTERED =
  'Tệp này đã bị sửa sau khi Thành phố ký (chữ ký không khớp nội dung) nên không được nhận. Hãy xin Thành phố gửi lại tệp gốc; không mở và lưu lại tệp bằng chương trình khác.';
const OTHER_KEY =
  'Tệp này được ký bằng một khóa khác với khóa của Thành phố mà máy này tin cậy, nên không được nhận. Nếu Thành phố đã đổi khóa, hãy nhận tệp khóa mới trong mục Gửi qua mạng → Khóa của Thành phố; nếu không, hãy hỏi lại Thành phố về nguồn gốc tệp.';

/**
 * Open a signed file with the trusted public key: its kind and payload (parsed JSON) when the
 * signature holds; an AppError('refused') in Vietnamese when it is cut short, altered, or signed
 * by another key. `expected` narrows the kind.
 */
export function openSignedFile(bytes: Uint8Array, trustedPublicPem: string, expected?: SignedKind[]): { kind: SignedKind; payload: unknown; keyId: string } {
  if (bytes.length > MAX_SIGNED_FILE_BYTES) throw signedTooLarge(bytes.length);
  let file: Partial<SignedFile>;
  try {
    // A byte-order mark (a Windows editor saved the file) changes nothing signed: the payload is base64 inside.
    file = JSON.parse(Buffer.from(bytes).toString('utf8').replace(/^\uFEFF/, '')) as Partial<SignedFile>;
  } catch {
    throw new AppError('refused', NOT_SIGNED, { cause: 'not JSON' });
  }
  if (
    !file ||
    typeof file !== 'object' ||
    file.format !== SIGNED_FORMAT ||
    typeof file.payload !== 'string' ||
    typeof file.signature !== 'string' ||
    typeof file.kind !== 'string'
  )
    throw new AppError('refused', NOT_SIGNED, { cause: 'not a signed file' });
  if (file.version !== SIGNED_VERSION)
    throw new AppError('refused', 'Tệp này do một phiên bản ứng dụng mới hơn tạo ra. Hãy cập nhật ứng dụng rồi nhận lại tệp.', { cause: `version ${file.version}` });
  const trustedId = keyIdOf(trustedPublicPem);
  const payloadBytes = Buffer.from(file.payload, 'base64');
  const signature = Buffer.from(file.signature, 'base64');
  const ok = signature.length === 64 && verify(null, payloadBytes, publicKeyOf(trustedPublicPem), signature);
  if (!ok) throw new AppError('refused', file.keyId && file.keyId !== trustedId ? OTHER_KEY : ALTERED, { keyId: file.keyId, trusted: trustedId });
  if (expected && !expected.includes(file.kind as SignedKind))
    throw new AppError('refused', 'Tệp này được Thành phố ký nhưng không phải loại tệp cần nhận ở đây. Hãy chọn đúng tệp.', { kind: file.kind });
  let payload: unknown;
  try {
    payload = JSON.parse(payloadBytes.toString('utf8'));
  } catch {
    throw new AppError('refused', ALTERED, { cause: 'payload not JSON' });
  }
  return { kind: file.kind as SignedKind, payload, keyId: trustedId };
}

// ---------- the keys an installation holds (settings table) ----------

const PRIVATE = 'city_key_private';
const PUBLIC = 'city_key_public';
const TRUSTED = 'trusted_city_key';

function setting(sqlite: Database.Database, key: string): string | null {
  const row = sqlite.prepare<[string], { value: string }>('SELECT value FROM settings WHERE key = ?').get(key);
  return row?.value ?? null;
}
function putSetting(sqlite: Database.Database, key: string, value: string): void {
  sqlite.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
}

/** The city's key pair, made on first use and kept in its database (and so in its backups). */
export function cityKey(sqlite: Database.Database): CityKeyPair {
  const privatePem = setting(sqlite, PRIVATE);
  const publicPem = setting(sqlite, PUBLIC);
  if (privatePem && publicPem) return { privatePem, publicPem };
  const made = generateCityKey();
  const tx = sqlite.transaction(() => {
    // Another process may have made one meanwhile: keep the first.
    if (setting(sqlite, PRIVATE)) return;
    putSetting(sqlite, PRIVATE, made.privatePem);
    putSetting(sqlite, PUBLIC, made.publicPem);
  });
  tx.immediate();
  return { privatePem: setting(sqlite, PRIVATE)!, publicPem: setting(sqlite, PUBLIC)! };
}

/** Install a given private key at the city (the one matching the public key shipped to offices). */
export function installCityKey(sqlite: Database.Database, privatePem: string): CityKeyPair {
  let publicPem: string;
  try {
    const k = createPrivateKey(privatePem);
    if (k.asymmetricKeyType !== 'ed25519') throw new Error(`not ed25519: ${k.asymmetricKeyType}`);
    publicPem = createPublicKey(k).export({ type: 'spki', format: 'pem' }).toString();
  } catch (e) {
    throw new AppError('invalid_input', 'Tệp khóa bí mật không đúng (cần khóa Ed25519 dạng PEM). Hãy chọn đúng tệp khóa của Thành phố.', { cause: String(e) });
  }
  sqlite.transaction(() => {
    putSetting(sqlite, PRIVATE, privatePem);
    putSetting(sqlite, PUBLIC, publicPem);
  }).immediate();
  return { privatePem, publicPem };
}

/**
 * The city public key an office trusts: the one set in its delivery settings, else the one
 * shipped with the app (resources/keys/city-public.pem, read by the caller and passed here).
 */
export function trustedKey(sqlite: Database.Database, shippedPem: string | null): { pem: string; source: 'configured' | 'shipped' } | null {
  const configured = setting(sqlite, TRUSTED);
  if (configured) return { pem: configured, source: 'configured' };
  return shippedPem ? { pem: shippedPem, source: 'shipped' } : null;
}

/** Whether a PEM holds a private key (createPublicKey accepts one and derives its public half). */
function isPrivateKey(pem: string): boolean {
  try {
    createPrivateKey(pem);
    return true;
  } catch {
    return false;
  }
}

/** Replace the trusted city key (delivery settings). Validates it first. */
export function setTrustedKey(sqlite: Database.Database, publicPem: string): string {
  // The city's SECRET key given to an office: never kept, and the city must know it has leaked.
  if (isPrivateKey(publicPem))
    throw new AppError(
      'invalid_input',
      'Tệp này là khóa BÍ MẬT của Thành phố, không phải khóa công khai, nên không được dùng và không được lưu. Hãy xóa tệp này khỏi máy, báo ngay cho Thành phố (khóa bí mật chỉ được ở máy của Thành phố) và xin tệp khóa công khai (khoa-thanh-pho-….pem).',
    );
  const id = keyIdOf(publicPem);
  putSetting(sqlite, TRUSTED, publicKeyOf(publicPem).export({ type: 'spki', format: 'pem' }).toString());
  return id;
}
