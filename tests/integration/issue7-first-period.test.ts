/**
 * Issue 7 item 7: a new office does not see red "Quá hạn" for the periods before it used the app.
 * The first period comes from the unit list (optional column first_period) or is confirmed at setup;
 * periods before it are listed as before_start, never overdue. Real SQLite files in a temp dir.
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Core } from '../../core/handlers.js';
import { createCore } from '../../core/handlers.js';
import { call, openCore } from '../helpers/core.js';
import { resourcesDir, sampleReturn, tempDir } from '../helpers/sample.js';

let tmp: ReturnType<typeof tempDir> | undefined;
let core: Core | undefined;
afterEach(async () => {
  await core?.close();
  core = undefined;
  tmp?.cleanup();
});

// 2026-11-25 in Vietnam: Quý I/2025 … Quý III/2026 are past their deadline.
const NOW = () => new Date('2026-11-25T03:00:00Z');
const statusOf = (rows: { code: string; status: string }[]) => Object.fromEntries(rows.map((r) => [r.code, r.status]));

describe('the first period of a commune', () => {
  it('confirmed at setup: earlier periods are "before_start", none overdue; a return filed for an earlier period shows as submitted', async () => {
    tmp = tempDir('i7-first-');
    core = await openCore(tmp.file('commune.sqlite'), NOW);
    const info = await call(core, 'app.setup', { role: 'commune', unitCode: '11948', firstPeriod: '2026-Q3' });
    expect(info.firstPeriod).toBe('2026-Q3');
    const rows = await call(core, 'periods.list', { template: 'BC-CX' });
    expect(statusOf(rows)).toEqual({
      '2026-Q4': 'not_started',
      '2026-Q3': 'overdue',
      '2026-Q2': 'before_start',
      '2026-Q1': 'before_start',
      '2025-Q4': 'before_start',
      '2025-Q3': 'before_start',
      '2025-Q2': 'before_start',
      '2025-Q1': 'before_start',
    });
    // A period before the first one can still be filed (the city may ask for it): it then shows as submitted.
    await core.submitReturnJson({ ...sampleReturn(), period: '2025-Q4' });
    expect(statusOf(await call(core, 'periods.list', { template: 'BC-CX' }))['2025-Q4']).toBe('submitted');
    // A first period that is not a period is refused in Vietnamese; the setup is unchanged.
    await expect(call(core, 'app.setup', { role: 'commune', unitCode: '11948', firstPeriod: 'quý 3' })).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringMatching(/Kỳ báo cáo đầu tiên "quý 3" không hợp lệ/),
    });
    expect((await call(core, 'app.info', {})).firstPeriod).toBe('2026-Q3');
  });

  it('set by the city in the unit list (column first_period): setup takes it, the list stays readable', async () => {
    tmp = tempDir('i7-first-list-');
    const res = tmp.file('resources');
    cpSync(resourcesDir, res, { recursive: true });
    const csvPath = path.join(res, 'units', 'haiphong.csv');
    const lines = readFileSync(csvPath, 'utf8').trimEnd().split(/\r?\n/);
    writeFileSync(csvPath, [`${lines[0]},first_period`, ...lines.slice(1).map((l) => (l.startsWith('11948,') ? `${l},2026-Q2` : `${l},`))].join('\n') + '\n');
    core = await createCore({ dbPath: tmp.file('commune.sqlite'), resourcesDir: res, appVersion: '0.1.0-test', now: NOW });
    const units = (await call(core, 'units.list', {})).units;
    expect(units).toHaveLength(114);
    expect(units.find((u) => u.code === '11948')).toEqual({ code: '11948', type: 'đặc khu', name: 'Đặc khu Bạch Long Vĩ', firstPeriod: '2026-Q2', attributes: { co_hdnd: '0' } }); // issue 8: the list's co_hdnd column
    expect(units.filter((u) => u.firstPeriod)).toHaveLength(1);
    const info = await call(core, 'app.setup', { role: 'commune', unitCode: '11948' });
    expect(info.firstPeriod).toBe('2026-Q2');
    const s = statusOf(await call(core, 'periods.list', { template: 'BC-CX' }));
    expect(s['2026-Q2']).toBe('overdue');
    expect(s['2026-Q1']).toBe('before_start');
    expect(Object.values(s).filter((x) => x === 'overdue')).toHaveLength(2);
  });

  it('an office set up before first periods existed keeps every period expected (nothing hidden)', async () => {
    tmp = tempDir('i7-first-old-');
    core = await openCore(tmp.file('commune.sqlite'), NOW);
    await call(core, 'app.setup', { role: 'commune', unitCode: '11948' });
    expect((await call(core, 'app.info', {})).firstPeriod).toBeNull();
    expect(statusOf(await call(core, 'periods.list', { template: 'BC-CX' }))['2025-Q1']).toBe('overdue');
  });
});
