/**
 * Issue 8 item 3 (delivery for any template): the intake server accepts a package on a template
 * the city published but the intake does not know (yet): stored on its identity, the receipt says
 * the content was not checked there; the city checks it when it pulls. Once the city pushes the
 * template (PUT /reference/templates), packages on it are read and checked in full again.
 * A real intake server on 127.0.0.1 (SQLite file), real commune and city cores on SQLite files,
 * real packages.
 */
import { afterEach, describe, expect, it } from 'vitest';
import ExcelJS from 'exceljs';
import type { ReturnJson, Template, Unit } from '../../shared/index.js';
import { canonicalJson, normalizeValues, parseTemplate } from '../../shared/index.js';
import type { Core } from '../../core/handlers.js';
import { createCore } from '../../core/handlers.js';
import { writePackage } from '../../core/xlsx/index.js';
import { call } from '../helpers/core.js';
import { haiphongUnits } from '../helpers/city-returns.js';
import type { TestIntake } from '../helpers/intake-server.js';
import { FAST, startIntake, waitFor } from '../helpers/intake-server.js';
import { resourcesDir, tempDir } from '../helpers/sample.js';

/** A template the city wrote and published in its own database: the intake has never seen it. */
const CITY_TEMPLATE: Template = parseTemplate({
  id: 'KIEM-TRA-H',
  version: 1,
  title: { vi: 'Báo cáo kiểm tra tiếp nhận mẫu mới', en: 'Intake check of a new template' },
  receivingBody: { vi: 'UBND thành phố Hải Phòng (qua Sở Nội vụ)' },
  periodTypes: ['half'],
  deadlineDay: 24,
  signers: { preparer: 'chung.nguoi_lap', head: 'chung.thu_truong' },
  sections: [
    {
      key: 'chung',
      code: 'Biểu 01',
      title: { vi: 'Thông tin chung', en: 'General' },
      items: [
        { kind: 'field', key: 'so_phong', label: { vi: 'Số phòng chuyên môn', en: 'Offices' }, type: 'integer', required: true, min: 0 },
        { kind: 'field', key: 'ngay_nq', label: { vi: 'Ngày nghị quyết', en: 'Resolution date' }, type: 'date', required: true },
        { kind: 'field', key: 'kinh_phi', label: { vi: 'Kinh phí', en: 'Funds' }, type: 'money', moneyUnit: 'trieu_dong', decimals: 1 },
        { kind: 'field', key: 'kho_khan', label: { vi: 'Khó khăn, vướng mắc', en: 'Difficulties' }, type: 'longtext', maxLength: 2000 },
        { kind: 'field', key: 'nguoi_lap', label: { vi: 'Người lập biểu', en: 'Prepared by' }, type: 'text', required: true },
        { kind: 'field', key: 'thu_truong', label: { vi: 'Thủ trưởng đơn vị', en: 'Head' }, type: 'text', required: true },
      ],
    },
  ],
  rules: [],
  consolidation: { so_phong: { sum: 'chung.so_phong' } },
});
const PERIOD = '2026-H1';
const unit: Unit = haiphongUnits().find((u) => u.type === 'xã')!;
const returnOf = (revision: number): ReturnJson => ({
  template: CITY_TEMPLATE.id,
  templateVersion: CITY_TEMPLATE.version,
  unit: unit.code,
  period: PERIOD,
  values: {
    chung: {
      so_phong: 3 + revision,
      ngay_nq: '2026-06-12',
      kinh_phi: 125.5,
      kho_khan: 'Trụ sở Phòng Kinh tế còn chật.\nĐề nghị bố trí thêm 2 biên chế.',
      nguoi_lap: 'Nguyễn Thị Lan',
      thu_truong: 'Trần Văn Bình',
    },
  },
  explanations: {},
  asOf: {},
});
const packageOf = (revision: number, t: Template = CITY_TEMPLATE) =>
  writePackage({
    template: t,
    ret: { ...returnOf(revision), template: t.id, templateVersion: t.version },
    unit,
    meta: {
      packageId: `kiem-tra-h-${t.version}-${revision}`,
      revision,
      createdAt: '2026-06-20T02:00:00.000Z',
      submittedAt: '2026-06-20T02:00:00.000Z',
      submittedBy: 'Nguyễn Thị Lan',
      appVersion: '0.1.0-test',
    },
  });

let tmp: ReturnType<typeof tempDir> | undefined;
let intake: TestIntake | undefined;
const cores: Core[] = [];
afterEach(async () => {
  for (const c of cores.splice(0)) await c.close();
  await intake?.close();
  intake = undefined;
  tmp?.cleanup();
  tmp = undefined;
});

async function post(url: string, token: string, body: Buffer) {
  const res = await fetch(`${url}/api/v1/packages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' },
    body: new Uint8Array(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('the intake and templates the city publishes', () => {
  it('stores a package on a template it does not know, says so in the receipt, and checks in full once the city pushes the template', async () => {
    tmp = tempDir('i8-intake-');
    intake = await startIntake({ sqlitePath: tmp.file('intake.sqlite') });
    const unitToken = await intake.unitToken(unit.code);
    const cityToken = await intake.cityToken();

    // Unknown template: stored (201), the receipt says the city will check it.
    const first = await packageOf(1);
    const r1 = await post(intake.url, unitToken, first);
    expect(r1.status).toBe(201);
    expect(r1.body).toMatchObject({ packageId: 'kiem-tra-h-1-1', template: 'KIEM-TRA-H', templateVersion: 1, unit: unit.code, period: PERIOD, revision: 1, templateChecked: false });
    expect(r1.body.note).toMatch(/chưa có mẫu KIEM-TRA-H phiên bản 1 nên chưa kiểm tra nội dung; Thành phố sẽ kiểm tra khi nhận gói về/);
    // A retry of the same bytes: already stored, still said to be unchecked.
    const again = await post(intake.url, unitToken, first);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ alreadyStored: true, templateChecked: false });
    // The city lists and downloads it byte for byte.
    const list = (await (await fetch(`${intake.url}/api/v1/packages`, { headers: { authorization: `Bearer ${cityToken}` } })).json()) as {
      packages: { packageId: string; template: string; templateVersion: number }[];
    };
    expect(list.packages).toEqual([expect.objectContaining({ packageId: 'kiem-tra-h-1-1', template: 'KIEM-TRA-H', templateVersion: 1 })]);
    const bytes = Buffer.from(await (await fetch(`${intake.url}/api/v1/packages/kiem-tra-h-1-1`, { headers: { authorization: `Bearer ${cityToken}` } })).arrayBuffer());
    expect(bytes.equals(first)).toBe(true);

    // Still refused: a workbook that is no package at all, and a package for another unit.
    const wb = new ExcelJS.Workbook();
    wb.addWorksheet('Biểu 01').addRow(['Không phải gói báo cáo']);
    const plain = await post(intake.url, unitToken, Buffer.from(await wb.xlsx.writeBuffer()));
    expect(plain.status).toBe(400);
    expect(plain.body.code).toBe('not_a_package');
    const other = await post(intake.url, await intake.unitToken('11948'), await packageOf(2));
    expect(other.status).toBe(403);

    // The city pushes the template: from now on the intake reads packages on it in full.
    const put = await fetch(`${intake.url}/api/v1/reference/templates`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${cityToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(CITY_TEMPLATE),
    });
    expect(put.status).toBe(200);
    const r2 = await post(intake.url, unitToken, await packageOf(2));
    expect(r2.status).toBe(201);
    expect(r2.body.templateChecked).toBeUndefined();
    expect(r2.body.note).toBeUndefined();
    // Its earlier package, asked again, is now answered as known.
    expect((await post(intake.url, unitToken, first)).body.templateChecked).toBeUndefined();
    // A second version the city has not pushed: accepted unchecked again.
    const v2 = parseTemplate({ ...CITY_TEMPLATE, version: 2 });
    const r3 = await post(intake.url, unitToken, await packageOf(3, v2));
    expect(r3).toMatchObject({ status: 201, body: { templateVersion: 2, templateChecked: false } });
  });

  it('a commune sends a return on a city-published template through its outbox; the city pulls it, reads it against the template and imports it', async () => {
    tmp = tempDir('i8-intake-loop-');
    intake = await startIntake({ sqlitePath: tmp.file('intake.sqlite') });
    const open = async (file: string, delivery = FAST) => {
      const c = await createCore({ dbPath: tmp!.file(file), resourcesDir, appVersion: '0.1.0-test', delivery, templates: [CITY_TEMPLATE] });
      cores.push(c);
      return c;
    };
    const commune = await open('commune.sqlite');
    await call(commune, 'app.setup', { role: 'commune', unitCode: unit.code });
    await call(commune, 'delivery.configure', { serverUrl: intake.url, token: await intake.unitToken(unit.code) });
    const { packageId } = await commune.submitReturnJson(returnOf(1));
    await waitFor('the package sent', async () => (await call(commune, 'delivery.status', {})).items[0]!.state === 'sent', 60_000);
    expect(await intake.count(packageId)).toBe(1);

    const city = await open('city.sqlite', { ...FAST, autoStart: false });
    await call(city, 'app.setup', { role: 'city' });
    await call(city, 'delivery.configure', { serverUrl: intake.url, token: await intake.cityToken() });
    const pulled = await call(city, 'city.pull', {});
    expect(pulled.results.map((r) => [r.packageId, r.outcome])).toEqual([[packageId, 'imported']]);
    const got = await call(city, 'city.review.get', { template: CITY_TEMPLATE.id, period: PERIOD, unit: unit.code });
    expect(canonicalJson(normalizeValues(CITY_TEMPLATE, got.values))).toBe(canonicalJson(normalizeValues(CITY_TEMPLATE, returnOf(1).values)));
    expect(got.errors).toEqual([]);
  });
});
