import { test } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * A spec file that needs a database of its own (a first start, revision numbers from 1, backups of
 * a known file) calls this once at its top level: a fresh `commune-returns web` on a new SQLite
 * file for the whole file, and the file's relative URLs (`page.goto('/')`) go to it. Specs run one
 * at a time (workers: 1), so the shared server of playwright.config.ts stays untouched by them.
 *
 * `offset` picks the port (E2E_PORT + 200 + offset): give each spec file its own.
 */
export function ownServer(offset: number, prefix: string): { readonly db: string; readonly base: string } {
  const port = Number(process.env.E2E_PORT ?? 47631) + 200 + offset;
  const base = `http://127.0.0.1:${port}`;
  const db = path.join(mkdtempSync(path.join(tmpdir(), prefix)), 'commune.sqlite');
  let server: ChildProcess | undefined;
  let output = '';

  test.use({ baseURL: base });

  test.beforeAll(async () => {
    server = spawn(process.execPath, ['bin/commune-returns.js', 'web', '--db', db, '--port', String(port)], { stdio: 'pipe' });
    server.stdout?.on('data', (b: Buffer) => (output += b.toString()));
    server.stderr?.on('data', (b: Buffer) => (output += b.toString()));
    for (let i = 0; i < 600; i++) {
      if (server.exitCode !== null) throw new Error(`the web server for ${prefix} exited: ${output}`);
      try {
        if ((await fetch(`${base}/`)).ok) return;
      } catch {
        /* not up yet */
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`the web server for ${prefix} did not start on ${base}: ${output}`);
  });

  test.afterAll(async () => {
    if (server && server.exitCode === null) {
      const exited = new Promise((r) => server!.once('exit', r));
      server.kill('SIGTERM');
      await exited;
    }
  });

  return { db, base };
}
