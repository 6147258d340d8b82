/**
 * Issue 9, the commune's command line (engineer "commune"): `request import` of a signed request
 * file (exit 0 and the outcome; exit 1 with the Vietnamese reason when altered or not addressed),
 * `requests --json` on the commune, `submit --request` (template and period from the request; a
 * mismatch refused) and `trust`. The real command line (node bin/commune-returns.js) on real files.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import type { RequestEdition } from '../../shared/index.js';
import { signFile } from '../../core/requests/sign.js';
import { sampleJson } from '../../core/templates/handlers.js';
import { CITY_KEY } from '../helpers/city-key.js';
import { hasStack, runCli } from '../helpers/cli.js';
import { call, openCore } from '../helpers/core.js';
import { tempDir } from '../helpers/sample.js';

const UNIT = '11948';
const tmp = tempDir('cr-i9-commune-cli-');
afterAll(() => tmp.cleanup());

const edition = (over: Partial<RequestEdition> = {}): RequestEdition => ({
  id: 'YC-2026-0007',
  edition: 1,
  state: 'open',
  template: 'BC-CX',
  templateVersion: 1,
  ref: { number: '88/UBND-NV', date: '2026-05-02', summary: 'Báo cáo nhanh quý II' },
  title: 'Báo cáo nhanh quý II',
  addressees: { kind: 'units', codes: [UNIT] },
  units: [UNIT],
  unitListVersion: 'haiphong-2025',
  period: '2026-Q2',
  due: '2030-06-30',
  dueWording: 'trong',
  department: 'Sở Nội vụ',
  issuedAt: '2026-05-02T02:00:00Z',
  ...over,
});

async function communeDb(name: string): Promise<string> {
  const file = tmp.file(name);
  const c = await openCore(file);
  await call(c, 'app.setup', { role: 'commune', unitCode: UNIT });
  await c.close();
  return file;
}

describe('the commune command line', () => {
  it('request import: a good file exit 0, an altered one or one for another unit exit 1 with the reason; requests --json lists it', async () => {
    const db = await communeDb('commune.sqlite');
    const good = tmp.file('yeu-cau-YC-2026-0007-lan-1.json');
    writeFileSync(good, signFile('request', { request: edition(), templates: [] }, CITY_KEY));

    const altered = tmp.file('sua.json');
    const text = readFileSync(good, 'utf8');
    const f = JSON.parse(text) as { payload: string };
    const bytes = Buffer.from(f.payload, 'base64');
    bytes[30] = bytes[30]! ^ 0x02;
    writeFileSync(altered, JSON.stringify({ ...f, payload: bytes.toString('base64') }));
    const bad = await runCli(['request', 'import', '--db', db, altered]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^Lỗi: Tệp này đã bị sửa sau khi Thành phố ký/);
    expect(hasStack(bad.stderr)).toBe(false);

    const elsewhere = tmp.file('khac.json');
    writeFileSync(elsewhere, signFile('request', { request: edition({ units: ['11557'], addressees: { kind: 'units', codes: ['11557'] } }), templates: [] }, CITY_KEY));
    const notMine = await runCli(['request', 'import', '--db', db, elsewhere]);
    expect(notMine.code).toBe(1);
    expect(notMine.stderr).toMatch(/Yêu cầu này không gửi cho Đặc khu Bạch Long Vĩ .*hãy liên hệ Sở Nội vụ\./);

    const ok = await runCli(['request', 'import', '--db', db, good]);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^Đã nhận yêu cầu YC-2026-0007 "Báo cáo nhanh quý II"/);
    const again = await runCli(['request', 'import', '--db', db, good]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/không có gì thay đổi/);

    const list = await runCli(['requests', '--db', db, '--json']);
    expect(list.code).toBe(0);
    const todo = JSON.parse(list.stdout) as { items: { requestId: string | null; deadlineText: string; state: string }[] };
    expect(todo.items.find((i) => i.requestId === 'YC-2026-0007')).toMatchObject({ deadlineText: 'chậm nhất trong ngày 30/6/2030', state: 'not_started' });
    const table = await runCli(['requests', '--db', db]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/Việc phải nộp \(\d+\):/);
    expect(table.stdout).toMatch(/30\/06\/2030 .*Báo cáo nhanh quý II \(YC-2026-0007\)\s+Quý II\/2026\s+chưa làm/);
  });

  it('submit --request takes the template and period from the request and refuses a mismatch; trust shows and sets the key', async () => {
    const db = await communeDb('commune-submit.sqlite');
    const file = tmp.file('yc.json');
    writeFileSync(file, signFile('request', { request: edition(), templates: [] }, CITY_KEY));
    expect((await runCli(['request', 'import', '--db', db, file])).code).toBe(0);

    const c = await openCore(tmp.file('scratch.sqlite'));
    const t = c.resources.getTemplate('BC-CX', 1)!;
    const unit = (await call(c, 'units.list', {})).units.find((u) => u.code === UNIT)!;
    await c.close();
    const { template: _t, templateVersion: _v, period: _p, ...rest } = sampleJson(t, unit, '2026-Q2', 4);
    const json = tmp.file('bao-cao.json');
    writeFileSync(json, JSON.stringify(rest));
    const wrong = tmp.file('bao-cao-q1.json');
    writeFileSync(wrong, JSON.stringify({ ...rest, period: '2026-Q1' }));

    const refused = await runCli(['submit', '--db', db, '--from-json', wrong, '--request', 'YC-2026-0007']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/kỳ 2026-Q1 \(yêu cầu là Quý II\/2026, mã kỳ 2026-Q2\), không khớp yêu cầu YC-2026-0007/);
    const unknown = await runCli(['submit', '--db', db, '--from-json', json, '--request', 'YC-2026-9999']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/không có yêu cầu báo cáo "YC-2026-9999" đang mở/);

    const done = await runCli(['submit', '--db', db, '--from-json', json, '--request', 'YC-2026-0007', '--by', 'Nguyễn Văn An']);
    expect(done.stderr).toBe('');
    expect(done.code).toBe(0);
    expect(done.stdout).toMatch(/^Đã nộp lần 1 của báo cáo Đặc khu Bạch Long Vĩ, Quý II\/2026/);
    const list = JSON.parse((await runCli(['requests', '--db', db, '--json'])).stdout) as { done: { requestId: string | null; state: string }[] };
    expect(list.done.find((i) => i.requestId === 'YC-2026-0007')?.state).toBe('submitted');

    const shown = await runCli(['trust', '--db', db]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/khóa cài sẵn theo ứng dụng\): dấu vân tay [0-9A-F]{4} /);
    const notKey = tmp.file('khong-phai-khoa.pem');
    writeFileSync(notKey, 'không phải khóa');
    const badKey = await runCli(['trust', '--db', db, '--key', notKey]);
    expect(badKey.code).toBe(1);
    expect(badKey.stderr).toMatch(/Ed25519/);
    const pem = tmp.file('khoa.pem');
    writeFileSync(pem, CITY_KEY.publicPem);
    const set = await runCli(['trust', '--db', db, '--key', pem]);
    expect(set.code).toBe(0);
    expect(set.stdout).toMatch(/^Đã đặt khóa của Thành phố \(dấu vân tay [0-9A-F ]{19}\)/);
  });
});
