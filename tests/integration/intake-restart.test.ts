/**
 * The intake server process killed during a slow upload: nothing is stored half, and the retry
 * after the restart stores the package once. A real server process (runIntake), killed with
 * SIGKILL, on SQLite and on a real PostgreSQL cluster.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { defaultResourcesDir, loadResources } from '../../core/resources.js';
import { writePackage } from '../../core/xlsx/index.js';
import type { IntakeDbOptions } from '../../server/intake/index.js';
import { XLSX_CONTENT_TYPE, issueToken, openIntakeDb } from '../../server/intake/index.js';
import type { PgCluster } from '../helpers/postgres.js';
import { postgresSkipReason, startPostgres } from '../helpers/postgres.js';
import { repoRoot, sampleReturn, sampleUnit, tempDir } from '../helpers/sample.js';

const template = loadResources(defaultResourcesDir()).getTemplate('BC-CX', 1)!;
let pkg: Buffer;
beforeAll(async () => {
  pkg = await writePackage({
    template,
    ret: { ...sampleReturn(), revision: 1 },
    unit: sampleUnit,
    meta: {
      packageId: 'pkg-restart',
      revision: 1,
      createdAt: '2026-06-25T08:00:00.000Z',
      submittedAt: null,
      submittedBy: null,
      appVersion: '0.1.0',
    },
  });
});

const pgSkip = await postgresSkipReason();
if (pgSkip) console.warn(pgSkip);

interface Child {
  proc: ChildProcess;
  url: string;
  /** Resolves at the first stdout line matching. */
  waitFor(re: RegExp): Promise<string>;
  exited: Promise<void>;
}

/** Start `runIntake` in its own Node process on a free port; resolves when it prints its address. */
function startServerProcess(store: IntakeDbOptions): Promise<Child> {
  const entry = path.join(repoRoot, 'server', 'intake', 'index.ts');
  const code = `import { runIntake } from ${JSON.stringify(entry)};
const store = JSON.parse(process.env.INTAKE_TEST_STORE);
await runIntake({ dbPath: store.sqlitePath, databaseUrl: store.databaseUrl, port: 0, host: '127.0.0.1', rateLimit: false });`;
  const proc = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    cwd: repoRoot,
    env: { ...process.env, INTAKE_TEST_STORE: JSON.stringify(store), DATABASE_URL: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const waiters: { re: RegExp; resolve: (line: string) => void }[] = [];
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  proc.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    const lines = out.split('\n');
    out = lines.pop()!;
    for (const line of lines)
      for (const w of [...waiters])
        if (w.re.test(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
  });
  const waitFor = (re: RegExp) =>
    new Promise<string>((resolve, reject) => {
      waiters.push({ re, resolve });
      void exited.then(() => reject(new Error(`intake process exited before printing ${re}: ${err.slice(-2000)}`)));
    });
  return waitFor(/Máy chủ tiếp nhận đang chạy tại/).then((line) => ({
    proc,
    url: /(http:\/\/[^\s/]+)/.exec(line)![1]!,
    waitFor,
    exited,
  }));
}

function post(url: string, token: string, body: Buffer): Promise<{ status: number; json: Record<string, unknown> }> {
  return fetch(`${url}/api/v1/packages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': XLSX_CONTENT_TYPE },
    body: body as RequestInit['body'],
  }).then(async (r) => ({
    status: r.status,
    json: (await r.json()) as Record<string, unknown>,
  }));
}

for (const kind of ['sqlite', 'postgres'] as const) {
  describe.skipIf(kind === 'postgres' && pgSkip)(`intake restart on ${kind}`, () => {
    let cluster: PgCluster | undefined;
    let tmp: ReturnType<typeof tempDir>;
    const children: ChildProcess[] = [];
    beforeAll(async () => {
      tmp = tempDir('cr-intake-restart-');
      if (kind === 'postgres') {
        const c = await startPostgres();
        if ('skip' in c) throw new Error(c.skip);
        cluster = c;
      }
    });
    afterEach(() => {
      for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    });
    afterAll(async () => {
      await cluster?.stop();
      tmp?.cleanup();
    });

    it('a server killed during a slow upload stores nothing; the retry after restart stores the package once', async () => {
      const store: IntakeDbOptions =
        kind === 'postgres'
          ? { databaseUrl: await cluster!.createDatabase('restart') }
          : { sqlitePath: tmp.file('intake.sqlite') };
      const db = await openIntakeDb(store);
      const count = async () =>
        Number(
          (
            await db.kysely
              .selectFrom('packages')
              .select((eb) => eb.fn.countAll().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        );
      try {
        const { token } = await issueToken(db, { unit: sampleUnit.code });

        const first = await startServerProcess(store);
        children.push(first.proc);
        // Half the package, then the server dies while waiting for the rest.
        const req = http.request(`${first.url}/api/v1/packages`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': XLSX_CONTENT_TYPE,
            'content-length': pkg.length,
          },
        });
        const outcome = new Promise<string>((resolve) => {
          req.on('error', (e) => resolve(`error ${(e as NodeJS.ErrnoException).code ?? e.message}`));
          req.on('response', (res) => resolve(`answer ${res.statusCode}`));
        });
        const started = first.waitFor(/^(?=.*"incoming request")(?=.*"\/api\/v1\/packages")/);
        req.write(pkg.subarray(0, Math.floor(pkg.length / 2)));
        await started;
        first.proc.kill('SIGKILL');
        await first.exited;
        expect(await outcome).toMatch(/^error /);
        expect(await count()).toBe(0);

        const second = await startServerProcess(store);
        children.push(second.proc);
        expect(await count()).toBe(0);
        const retry = await post(second.url, token, pkg);
        expect(retry.status, JSON.stringify(retry.json)).toBe(201);
        const again = await post(second.url, token, pkg);
        expect(again.status).toBe(200);
        expect(again.json.receivedAt).toBe(retry.json.receivedAt);
        expect(await count()).toBe(1);
        const stored = await db.kysely.selectFrom('packages').select(['data', 'size']).executeTakeFirstOrThrow();
        expect(Buffer.from(stored.data).equals(pkg)).toBe(true);
        second.proc.kill('SIGTERM');
        await second.exited;
      } finally {
        await db.close();
      }
    });
  });
}
