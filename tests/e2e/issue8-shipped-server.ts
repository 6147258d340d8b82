/**
 * Engineer I (issue 8), Node side of tests/e2e/issue8-shipped-templates.spec.ts: the same server
 * as `commune-returns web`, on a database of its own, serving a private copy of the built renderer
 * (several specs share this tree and rebuild dist/renderer while others run; a copy checked whole
 * keeps this spec's pages from loading half a build).
 *
 * Usage: node --import tsx tests/e2e/issue8-shipped-server.ts <db.sqlite> <port> <rendererDir>
 */
import { createCore } from '../../core/handlers.js';
import { defaultResourcesDir } from '../../core/resources.js';
import { buildServer, listen } from '../../server/app.js';

const [db, port, rendererDir] = process.argv.slice(2);
if (!db || !port || !rendererDir) throw new Error('usage: issue8-shipped-server.ts <db.sqlite> <port> <rendererDir>');
const core = await createCore({ dbPath: db, resourcesDir: defaultResourcesDir(), appVersion: 'e2e' });
const app = await buildServer({
  handlers: core.handlers,
  logger: { level: 'warn', stream: process.stderr },
  rendererDir,
});
console.log(`Mở trình duyệt tại: ${await listen(app, Number(port))}`);
process.once('SIGTERM', () => {
  void app
    .close()
    .then(() => core.close())
    .then(() => process.exit(0));
});
