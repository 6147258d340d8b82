/**
 * Command-line entry points, ready for cli/ to wire:
 *   intake --db <server.sqlite> [--port N] [--host H]        (or DATABASE_URL) → runIntake
 *   intake token --db <server.sqlite> (--unit <code> | --city) [--label L] → intakeTokenCommand
 *   intake revoke --db <server.sqlite> <token id | token>                  → intakeRevokeCommand
 * Refusals are AppErrors with Vietnamese messages (the CLI prints them as it does the others).
 */
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { AppError } from '../../shared/index.js';
import { createIntakeApp, listenIntake } from './app.js';
import type { IntakeDb, IntakeDbOptions } from './db.js';
import { openIntakeDb } from './db.js';
import type { RateLimitOptions } from './rate-limit.js';
import { readReference, seedReference } from './store.js';
import { defaultResourcesDir, loadResources } from '../../core/resources.js';
import type { TokenInfo } from './tokens.js';
import { issueToken, listTokens, revokeToken } from './tokens.js';

export const DEFAULT_INTAKE_PORT = 8787;

export interface IntakeStoreArgs {
  /** SQLite file. */
  dbPath?: string;
  /** PostgreSQL URL; when neither is given, DATABASE_URL from `env`. An explicit --db wins over DATABASE_URL. */
  databaseUrl?: string;
  env?: NodeJS.ProcessEnv;
}

export function resolveIntakeStore(a: IntakeStoreArgs): IntakeDbOptions {
  if (a.databaseUrl) return { databaseUrl: a.databaseUrl };
  if (a.dbPath) return { sqlitePath: a.dbPath };
  const fromEnv = (a.env ?? process.env).DATABASE_URL;
  if (fromEnv) return { databaseUrl: fromEnv };
  throw new AppError(
    'not_configured',
    'Chưa chỉ nơi lưu dữ liệu của máy chủ tiếp nhận. Hãy thêm --db <tệp.sqlite> (SQLite) hoặc đặt biến môi trường DATABASE_URL (PostgreSQL).',
  );
}

async function openStore(a: IntakeStoreArgs): Promise<IntakeDb> {
  const opts = resolveIntakeStore(a);
  try {
    return await openIntakeDb(opts);
  } catch (e) {
    const where = 'databaseUrl' in opts ? 'cơ sở dữ liệu PostgreSQL (DATABASE_URL)' : `tệp "${opts.sqlitePath}"`;
    throw new AppError(
      'not_configured',
      `Không mở được ${where} của máy chủ tiếp nhận. Hãy kiểm tra đường dẫn hoặc địa chỉ, quyền truy cập và rằng máy chủ cơ sở dữ liệu đang chạy, rồi chạy lại.`,
      undefined,
      { cause: e },
    );
  }
}

export interface RunIntakeArgs extends IntakeStoreArgs {
  port?: number;
  /** Default 127.0.0.1 (put a TLS reverse proxy in front); 0.0.0.0 to listen on every interface. */
  host?: string;
  maxBodyBytes?: number;
  rateLimit?: RateLimitOptions | false;
  logger?: FastifyServerOptions['logger'];
  print?: (line: string) => void;
  /** Close cleanly on SIGINT/SIGTERM (default true). */
  handleSignals?: boolean;
}

export interface RunningIntake {
  url: string;
  app: FastifyInstance;
  db: IntakeDb;
  close(): Promise<void>;
}

/** Open the store, start the server, print its address. Resolves once it listens. */
export async function runIntake(args: RunIntakeArgs): Promise<RunningIntake> {
  const print = args.print ?? ((s: string) => console.log(s));
  const db = await openStore(args);
  let app: FastifyInstance;
  let url: string;
  try {
    app = await createIntakeApp({
      db,
      maxBodyBytes: args.maxBodyBytes,
      rateLimit: args.rateLimit,
      logger: args.logger ?? { level: 'info' },
    });
    url = await listenIntake(app, args.port ?? DEFAULT_INTAKE_PORT, args.host ?? '127.0.0.1');
  } catch (e) {
    await db.close().catch(() => undefined);
    const code = (e as { code?: string }).code;
    if (code === 'EADDRINUSE')
      throw new AppError(
        'refused',
        `Cổng ${args.port ?? DEFAULT_INTAKE_PORT} đang được chương trình khác dùng. Hãy chọn cổng khác bằng --port.`,
        undefined,
        { cause: e },
      );
    throw e;
  }
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await app.close();
      await db.close();
    })());
  if (args.handleSignals ?? true)
    for (const sig of ['SIGINT', 'SIGTERM'] as const)
      process.once(sig, () => {
        void close().finally(() => process.exit(0));
      });
  print(`Máy chủ tiếp nhận đang chạy tại ${url}/api/v1 (dữ liệu: ${db.describe}).`);
  return { url, app, db, close };
}

export interface TokenCommandArgs extends IntakeStoreArgs {
  unit?: string;
  city?: boolean;
  label?: string;
  print?: (line: string) => void;
}

/** Issue a token and print it on the last line (shown this once; only its hash is kept). */
export async function intakeTokenCommand(args: TokenCommandArgs): Promise<{ token: string; info: TokenInfo }> {
  const print = args.print ?? ((s: string) => console.log(s));
  const unitCode = args.unit?.trim();
  if (Boolean(unitCode) === Boolean(args.city))
    throw new AppError(
      'invalid_input',
      'Hãy chọn đúng một trong hai: --unit <mã đơn vị> (mã cho một đơn vị cấp xã) hoặc --city (mã cho thành phố).',
    );
  const db = await openStore(args);
  try {
    let name = 'thành phố';
    if (unitCode) {
      await seedReference(db, loadResources(defaultResourcesDir()));
      const units = (await readReference(db)).units?.units ?? [];
      const unit = units.find((u) => u.code === unitCode);
      if (!unit && units.length)
        throw new AppError(
          'invalid_input',
          `Không có đơn vị mã "${unitCode}" trong danh sách đơn vị đang dùng. Hãy kiểm tra lại mã đơn vị (mã thống kê, ví dụ 11948).`,
        );
      name = unit ? `${unit.name} (mã ${unit.code})` : `đơn vị mã ${unitCode}`;
    }
    const issued = await issueToken(db, unitCode ? { unit: unitCode } : { city: true }, args.label);
    print(`Đã cấp mã truy cập cho ${name}; số hiệu mã: ${issued.info.id} (dùng số hiệu này để thu hồi).`);
    print('Mã chỉ hiện một lần, máy chủ không lưu lại: hãy chép ngay dòng dưới đây và trao cho người dùng.');
    print(issued.token);
    return issued;
  } finally {
    await db.close();
  }
}

/** Revoke a token by its id (as printed at issue) or by the token itself. */
export async function intakeRevokeCommand(
  args: IntakeStoreArgs & { token: string; print?: (line: string) => void },
): Promise<void> {
  const print = args.print ?? ((s: string) => console.log(s));
  const db = await openStore(args);
  try {
    if (!(await revokeToken(db, args.token.trim())))
      throw new AppError(
        'not_found',
        `Không có mã truy cập "${args.token}". Hãy kiểm tra lại số hiệu mã (in ra khi cấp mã).`,
      );
    print(
      `Đã thu hồi mã truy cập ${args.token.startsWith('hpx_') ? '' : args.token}`.trim() +
        '. Mã này không dùng được nữa.',
    );
  } finally {
    await db.close();
  }
}

/** The issued tokens (never the tokens themselves). */
export async function intakeTokenList(args: IntakeStoreArgs): Promise<TokenInfo[]> {
  const db = await openStore(args);
  try {
    return await listTokens(db);
  } finally {
    await db.close();
  }
}
