/**
 * A second real process for the database race tests (issue 7, item 6): it opens the core on a
 * database, waits until the test creates a "go" file (so two processes start their write at the
 * same moment), then does one thing and prints one JSON line: {ok, result} or {ok:false, error}.
 *   node --import tsx issue7-db-worker.ts create <db> <go-file>
 *   node --import tsx issue7-db-worker.ts submit <db> <go-file> <return.json>
 */
import { existsSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ReturnJson } from '../../shared/index.js';
import { toErrorShape } from '../../shared/index.js';
import { createCore } from '../../core/handlers.js';
import type { Core } from '../../core/handlers.js';
import { resourcesDir } from './sample.js';

const [mode, db, go, json] = process.argv.slice(2) as [string, string, string, string | undefined];

async function waitForGo(): Promise<void> {
  while (!existsSync(go)) await sleep(5);
}

const open = () => createCore({ dbPath: db, resourcesDir, appVersion: '0.1.0-test' });

let core: Core | undefined;
try {
  let result: unknown;
  if (mode === 'create') {
    await waitForGo();
    core = await open();
    await core.handlers['app.setup']({ role: 'commune', unitCode: '11948' });
    result = (await core.handlers['units.list']({})).units.length;
  } else {
    core = await open();
    const ret = JSON.parse(readFileSync(json!, 'utf8')) as ReturnJson;
    await waitForGo();
    result = await core.submitReturnJson(ret);
  }
  process.stdout.write(`${JSON.stringify({ ok: true, result })}\n`);
} catch (e) {
  process.stdout.write(
    `${JSON.stringify({ ok: false, error: toErrorShape(e), raw: e instanceof Error ? `${e.message} ${String((e.cause as Error | undefined)?.stack)}` : String(e) })}\n`,
  );
} finally {
  await core?.close();
}
