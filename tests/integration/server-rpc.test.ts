import { mkdirSync, writeFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import type { ReturnState } from '../../shared/index.js';
import type { Core } from '../../core/handlers.js';
import { buildServer, listen } from '../../server/app.js';
import { inputsOf, openCore, wholeDraftInput } from '../helpers/core.js';
import { sampleReturn, tempDir } from '../helpers/sample.js';

let tmp: ReturnType<typeof tempDir>;
let core: Core | undefined;
let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  await core?.close().catch(() => undefined);
  app = core = undefined;
  tmp?.cleanup();
});

async function start(opts: { rendererDir?: string } = {}): Promise<string> {
  tmp = tempDir();
  core = await openCore(tmp.file('c.sqlite'));
  app = await buildServer({ handlers: core.handlers, rendererDir: opts.rendererDir ?? tmp.file('no-renderer') });
  return listen(app, 0);
}

async function rpc(url: string, name: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${url}/api/rpc/${name}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: JSON.parse(text) as { ok: boolean; result?: Record<string, unknown>; error?: { code: string; message: string } } };
}

const noStack = (text: string) => {
  expect(text).not.toMatch(/\n\s+at |\.ts:\d+|node_modules|stack/);
};

describe('HTTP transport', () => {
  it('answers calls with {ok, result} and keeps a draft across calls', async () => {
    const url = await start();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const setup = await rpc(url, 'app.setup', { role: 'commune', unitCode: '11948' });
    expect(setup.status).toBe(200);
    expect(setup.json.result).toMatchObject({ unit: { name: 'Đặc khu Bạch Long Vĩ' } });
    const st = (await rpc(url, 'returns.open', { template: 'BC-CX', period: '2026-Q2' })).json.result as ReturnState;
    const saved = await rpc(url, 'returns.saveDraft', wholeDraftInput(core!.resources.getTemplate('BC-CX', 1)!, st, { values: sampleReturn().values }));
    expect(saved.json).toMatchObject({ ok: true, result: { draftVersion: 1 } });
    const again = (await rpc(url, 'returns.open', { template: 'BC-CX', period: '2026-Q2' })).json.result as ReturnState;
    expect(again.values).toEqual(inputsOf(sampleReturn().values));
  });

  it('refuses bad input with 400 and a Vietnamese message naming the field, never a stack', async () => {
    const url = await start();
    const r = await rpc(url, 'app.setup', { role: 'mayor' });
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    expect(r.json.error!.message).toMatch(/^Dữ liệu gửi lên không hợp lệ \(role: .*Hãy kiểm tra lại/);
    noStack(r.text);
    const extra = await rpc(url, 'returns.saveDraft', { returnId: 'one', baseVersion: 0, changes: [{ path: '', after: 1 }], admin: true });
    expect(extra.status).toBe(400);
    expect(extra.json.error!.message).toMatch(/returnId/);
    expect(extra.json.error!.message).toMatch(/changes\.0\.path/);
    noStack(extra.text);
    const notJson = await rpc(url, 'app.info', '{not json');
    expect(notJson.status).toBe(400);
    expect(notJson.json.error!.message).toMatch(/phải là JSON/);
    noStack(notJson.text);
    const unknown = await rpc(url, 'app.hack', {});
    expect(unknown.status).toBe(404);
    expect(unknown.json.error!.message).toMatch(/Không có chức năng/);
  });

  it('sends refusals as {ok:false} with the Vietnamese sentence, and unexpected failures without their cause', async () => {
    const url = await start();
    const r = await rpc(url, 'returns.open', { template: 'BC-CX', period: '2026-Q2' });
    expect(r.json).toMatchObject({ ok: false, error: { code: 'not_configured', message: expect.stringMatching(/Chưa chọn đơn vị/) } });
    await core!.close(); // the database is gone: a real internal failure
    const broken = await rpc(url, 'app.info', {});
    expect(broken.status).toBe(500);
    expect(broken.json).toMatchObject({ ok: false, error: { code: 'internal', message: expect.stringMatching(/Dữ liệu đã lưu vẫn an toàn/) } });
    expect(broken.text).not.toMatch(/destroyed|driver|kysely/i);
    noStack(broken.text);
  });

  it('sets strict security headers and refuses other hosts and origins', async () => {
    const url = await start();
    const r = await rpc(url, 'app.info', {});
    expect(r.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    expect(r.headers.get('content-security-policy')).toMatch(/script-src 'self'(;|$)/);
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(r.headers.get('x-frame-options')).toBe('DENY');
    const foreign = await rpc(url, 'app.info', {}, { origin: 'http://evil.example' });
    expect(foreign.status).toBe(403);
    const sameOrigin = await rpc(url, 'app.info', {}, { origin: url });
    expect(sameOrigin.status).toBe(200);
    const port = new URL(url).port;
    const rebinding = await new Promise<number>((resolve, reject) => {
      import('node:http').then(({ request }) => {
        const req = request({ host: '127.0.0.1', port, path: '/api/rpc/app.info', method: 'POST', headers: { host: `evil.example:${port}`, 'content-type': 'application/json' } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end('{}');
      }, reject);
    });
    expect(rebinding).toBe(403);
  });

  it('serves the built renderer with an index.html fallback, or a Vietnamese page when it is not built', async () => {
    const notBuilt = await start();
    const page = await fetch(`${notBuilt}/`);
    expect(page.status).toBe(503);
    expect(await page.text()).toMatch(/npm run build:renderer/);
    await app!.close();
    await core!.close();
    tmp.cleanup();
    app = core = undefined;

    const dir = tempDir('cr-renderer-');
    mkdirSync(`${dir.dir}/assets`);
    writeFileSync(`${dir.dir}/index.html`, '<!doctype html><title>Báo cáo</title><script type="module" src="/assets/app.js"></script>');
    writeFileSync(`${dir.dir}/assets/app.js`, 'console.log(1)');
    try {
      const url = await start({ rendererDir: dir.dir });
      const root = await fetch(`${url}/`);
      expect(root.status).toBe(200);
      expect(await root.text()).toMatch(/<title>Báo cáo/);
      expect(root.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
      const deep = await fetch(`${url}/return/BC-CX/2026-Q2`);
      expect(await deep.text()).toMatch(/<title>Báo cáo/);
      const js = await fetch(`${url}/assets/app.js`);
      expect(js.headers.get('content-type')).toMatch(/javascript/);
      const api404 = await fetch(`${url}/api/nothing`);
      expect(api404.status).toBe(404);
    } finally {
      dir.cleanup();
    }
  });
});
