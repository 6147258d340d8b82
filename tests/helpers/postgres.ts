/**
 * A throwaway PostgreSQL cluster for tests, from Debian's `postgresql` package
 * (/usr/lib/postgresql/<version>/bin): initdb in a temp folder, listening on 127.0.0.1 and a free
 * port with trust authentication, stopped and removed by `stop()`. PostgreSQL refuses to run as
 * root, so as root the binaries run as the `postgres` user (runuser) and the folder is chowned.
 *
 *   const pg = await startPostgres();
 *   if ('skip' in pg) console.warn(pg.skip) … else { const url = await pg.createDatabase('t1'); … await pg.stop(); }
 */
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface PgCluster {
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  url: string;
  port: number;
  /** Create an empty database and return its URL. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

/** The bin folder of the newest installed PostgreSQL, or why there is none. */
export function findPostgresBin(): { bin: string } | { skip: string } {
  const root = process.env.PG_BIN_ROOT ?? '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter(
          (v) => existsSync(path.join(root, v, 'bin', 'initdb')) && existsSync(path.join(root, v, 'bin', 'pg_ctl')),
        )
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (!versions.length)
    return {
      skip: `PostgreSQL tests skipped: no initdb/pg_ctl under ${root}/<version>/bin (install Debian's postgresql package).`,
    };
  return { bin: path.join(root, versions[0]!, 'bin') };
}

/** Why the PostgreSQL tests cannot run here (no PostgreSQL binaries, or no "pg" driver), or undefined when they can. */
export async function postgresSkipReason(): Promise<string | undefined> {
  const pgBin = findPostgresBin();
  let pgDriver = true;
  try {
    await import('pg');
  } catch {
    pgDriver = false;
  }
  return 'skip' in pgBin
    ? pgBin.skip
    : pgDriver
      ? undefined
      : 'PostgreSQL tests skipped: the "pg" package is not installed (npm install pg @types/pg).';
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function userId(name: string): Promise<{ uid: number; gid: number } | undefined> {
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', name]), run('id', ['-g', name])]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  } catch {
    return undefined;
  }
}

export async function startPostgres(): Promise<PgCluster | { skip: string }> {
  const found = findPostgresBin();
  if ('skip' in found) return found;
  const { bin } = found;
  const asRoot = process.getuid?.() === 0;
  let owner: { uid: number; gid: number } | undefined;
  if (asRoot) {
    owner = await userId('postgres');
    if (!owner)
      return {
        skip: 'PostgreSQL tests skipped: running as root and there is no "postgres" user to run the server as.',
      };
  }
  // As root: run each binary as the postgres user (PostgreSQL refuses to run as root).
  const pgRun = (tool: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', path.join(bin, tool), ...args]) : run(path.join(bin, tool), args);

  const dir = mkdtempSync(path.join(os.tmpdir(), 'cr-pg-'));
  const data = path.join(dir, 'data');
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const port = await freePort();
  const logFile = path.join(dir, 'server.log');
  const tail = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n') : '');
  try {
    await pgRun('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
    const serverOpts = `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c max_connections=100`;
    await pgRun('pg_ctl', ['-D', data, '-o', serverOpts, '-l', logFile, '-w', '-t', '60', 'start']);
  } catch (e) {
    const why = `${(e as { stderr?: string }).stderr ?? (e as Error).message}\n${tail()}`.trim();
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`Could not start a test PostgreSQL cluster with ${bin}: ${why}`, { cause: e });
  }
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const psql = (sqlText: string) =>
    run(path.join(bin, 'psql'), [
      '-h',
      '127.0.0.1',
      '-p',
      String(port),
      '-U',
      'postgres',
      '-d',
      'postgres',
      '-v',
      'ON_ERROR_STOP=1',
      '-qc',
      sqlText,
    ]);
  let stopped = false;
  return {
    url,
    port,
    async createDatabase(name: string) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name ${name}`);
      await psql(`create database ${name}`);
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        await pgRun('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
