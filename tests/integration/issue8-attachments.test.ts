/**
 * Issue 8 item 4: attachments (a scanned decision, a signed page) kept with the revision and travelling
 * with it by file (a .zip of the .xlsx package and `tep-dinh-kem/`) and by network (the outbox, the
 * intake, the city's pull). Real SQLite files, real packages, a real intake server on 127.0.0.1.
 */
import { createHash, randomBytes } from 'node:crypto';
import { cpSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { unzipSync, zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AttachmentRef } from '../../shared/index.js';
import type { Core } from '../../core/handlers.js';
import { createCore } from '../../core/handlers.js';
import { loadResources } from '../../core/resources.js';
import { call, wholeDraftInput } from '../helpers/core.js';
import { FAST, startIntake, waitFor } from '../helpers/intake-server.js';
import { repoRoot, resourcesDir, tempDir } from '../helpers/sample.js';

const TEMPLATE = 'DK-TEP';
const PERIOD = '2026-Q2';
const UNIT_A = '11560'; // Phường Thủy Nguyên
const UNIT_B = '11557'; // Phường Thiên Hương
const UNIT_C = '11533'; // Phường Hòa Bình
const NOW = () => new Date('2026-07-05T03:00:00Z');

/** A small real PDF (one empty page) with some bytes of its own. */
function pdf(tag: string): Buffer {
  return Buffer.from(
    `%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n2 0 obj <</Type /Pages /Kids [3 0 R] /Count 1>> endobj\n` +
      `3 0 obj <</Type /Page /Parent 2 0 R /MediaBox [0 0 200 200]>> endobj\ntrailer <</Root 1 0 R>>\n%${tag}\n%%EOF\n`,
  );
}
/** A 1×1 PNG. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

describe('issue 8: attachments kept with the revision, by file and by network', () => {
  let tmp: ReturnType<typeof tempDir>;
  let resDir: string;
  const open: Core[] = [];

  beforeAll(() => {
    tmp = tempDir('cr-issue8-att-');
    // The shipped resources plus the test template with two file cells.
    resDir = tmp.file('resources');
    cpSync(resourcesDir, resDir, { recursive: true });
    mkdirSync(path.join(resDir, 'templates'), { recursive: true });
    cpSync(path.join(repoRoot, 'tests/fixtures/templates/issue8-attachments.json'), path.join(resDir, 'templates', 'DK-TEP.v1.json'));
  });
  afterAll(async () => {
    for (const c of open) await c.close().catch(() => undefined);
    tmp?.cleanup();
  });

  async function node(name: string, delivery?: Parameters<typeof createCore>[0]['delivery']): Promise<Core> {
    const c = await createCore({ dbPath: tmp.file(name), resourcesDir: resDir, appVersion: '0.1.0-test', now: NOW, delivery: delivery ?? { autoStart: false } });
    open.push(c);
    return c;
  }
  async function commune(name: string, unit: string, delivery?: Parameters<typeof createCore>[0]['delivery']): Promise<Core> {
    const c = await node(name, delivery);
    await call(c, 'app.setup', { role: 'commune', unitCode: unit });
    return c;
  }
  async function city(name: string, delivery?: Parameters<typeof createCore>[0]['delivery']): Promise<Core> {
    const c = await node(name, delivery);
    await call(c, 'app.setup', { role: 'city' });
    return c;
  }
  /** Attach a PDF and a PNG to the return of `c`, fill the rest, submit; answers the return id and the two references. */
  async function submitWithFiles(c: Core, tag: string, map?: Buffer): Promise<{ returnId: number; decision: AttachmentRef; page: AttachmentRef }> {
    const cur = await call(c, 'returns.open', { template: TEMPLATE, period: PERIOD });
    const decision = await call(c, 'attachments.add', { file: { fileName: `Quyết định ${tag}.pdf`, data: b64(pdf(tag)) }, returnId: cur.returnId });
    const page = await call(c, 'attachments.add', { file: { fileName: 'trang-ky.png', data: b64(PNG) }, maxBytes: 2097152 });
    const t = c.resources.getTemplate(TEMPLATE, 1)!;
    const ban_do = map ? await call(c, 'attachments.add', { file: { fileName: 'ban-do.pdf', data: b64(map) }, maxBytes: 20971520 }) : undefined;
    const values = { van_ban: { so_quyet_dinh: `12/QĐ-UBND ${tag}`, quyet_dinh: decision, trang_ky: page, so_can_bo: 23, ...(ban_do ? { ban_do } : {}) } };
    await call(c, 'returns.saveDraft', wholeDraftInput(t, cur, { values }));
    await call(c, 'returns.submit', { returnId: cur.returnId, submittedBy: 'Nguyễn Văn An' });
    return { returnId: cur.returnId, decision, page };
  }

  it('a PDF and a PNG attached, submitted, exported as a .zip, imported at the city with the bytes equal', async () => {
    const c = await commune('a.sqlite', UNIT_A);
    const { returnId, decision, page } = await submitWithFiles(c, 'A');
    expect(decision).toMatchObject({ name: 'Quyết định A.pdf', mime: 'application/pdf', size: pdf('A').length });
    expect(page).toMatchObject({ name: 'trang-ky.png', mime: 'image/png', size: PNG.length });

    // The revision keeps the references; the package leaves as a zip named like the package.
    const file = await call(c, 'package.export', { returnId, revision: 1 });
    expect(file.fileName).toBe(`${TEMPLATE}_${UNIT_A}_${PERIOD}_r1.zip`);
    const entries = unzipSync(Buffer.from(file.data, 'base64'));
    expect(Object.keys(entries).sort()).toEqual([`${TEMPLATE}_${UNIT_A}_${PERIOD}_r1.xlsx`, 'tep-dinh-kem/Quyết định A.pdf', 'tep-dinh-kem/trang-ky.png']);
    expect(Buffer.from(entries['tep-dinh-kem/Quyết định A.pdf']!).equals(pdf('A'))).toBe(true);
    // The same revision exports the same bytes (a retried upload is recognised by the intake).
    expect((await call(c, 'package.export', { returnId, revision: 1 })).data).toBe(file.data);

    const cityCore = await city('city-1.sqlite');
    const { results } = await call(cityCore, 'city.import', { files: [file], dryRun: false });
    expect(results.map((r) => [r.outcome, r.message])).toEqual([['imported', expect.stringContaining('Đã nhập lần nộp 1')]]);
    const review = await call(cityCore, 'city.review.get', { template: TEMPLATE, unit: UNIT_A, period: PERIOD });
    expect(review.values.van_ban!.quyet_dinh).toEqual(decision);
    expect(review.values.van_ban!.trang_ky).toEqual(page);
    const gotPdf = await call(cityCore, 'attachments.get', { sha256: decision.sha256 });
    const gotPng = await call(cityCore, 'attachments.get', { sha256: page.sha256 });
    expect(Buffer.from(gotPdf.data, 'base64').equals(pdf('A'))).toBe(true);
    expect(gotPdf).toMatchObject({ fileName: 'Quyết định A.pdf', mime: 'application/pdf' });
    expect(Buffer.from(gotPng.data, 'base64').equals(PNG)).toBe(true);
  });

  it('a return without attachments still exports the .xlsx alone', async () => {
    const c = await commune('plain.sqlite', UNIT_B);
    const cur = await call(c, 'returns.open', { template: TEMPLATE, period: PERIOD });
    await call(c, 'returns.saveDraft', wholeDraftInput(c.resources.getTemplate(TEMPLATE, 1)!, cur, { values: { van_ban: { so_quyet_dinh: '3/QĐ', so_can_bo: 9 } } }));
    await call(c, 'returns.submit', { returnId: cur.returnId });
    const file = await call(c, 'package.export', { returnId: cur.returnId, revision: 1 });
    expect(file.fileName).toBe(`${TEMPLATE}_${UNIT_B}_${PERIOD}_r1.xlsx`);
    expect(Object.keys(unzipSync(Buffer.from(file.data, 'base64')))).toContain('[Content_Types].xml');
  });

  it('a 6 MB file is refused with its size and the cap; nothing is stored', async () => {
    const c = await commune('big.sqlite', UNIT_A);
    const big = Buffer.concat([pdf('big'), Buffer.alloc(6 * 1024 * 1024)]);
    await expect(call(c, 'attachments.add', { file: { fileName: 'scan-lon.pdf', data: b64(big) } })).rejects.toMatchObject({
      code: 'refused',
      message: expect.stringMatching(/nặng 6 MB, vượt mức cho phép 5 MB/),
    });
    // The item's own cap (2 MB for the signed page) is kept too, and 20 MB is the most any item allows.
    await expect(
      call(c, 'attachments.add', { file: { fileName: 'trang.png', data: b64(Buffer.concat([PNG, Buffer.alloc(3 * 1024 * 1024)])) }, maxBytes: 2097152 }),
    ).rejects.toMatchObject({ message: expect.stringContaining('vượt mức cho phép 2 MB') });
    await expect(call(c, 'attachments.get', { sha256: createHash('sha256').update(big).digest('hex') })).rejects.toMatchObject({ code: 'not_found' });
    const got = await call(c, 'attachments.add', { file: { fileName: 'vua.pdf', data: b64(Buffer.concat([pdf('ok'), Buffer.alloc(1024)])) } });
    expect(got.mime).toBe('application/pdf');
    await expect(call(c, 'attachments.get', { sha256: '0'.repeat(64) })).rejects.toMatchObject({ code: 'not_found' });
  });

  it('an .exe renamed .pdf is refused by its first bytes', async () => {
    const c = await commune('exe.sqlite', UNIT_A);
    const exe = Buffer.concat([Buffer.from('MZ\x90\x00\x03\x00\x00\x00', 'latin1'), Buffer.alloc(2048, 7)]);
    await expect(call(c, 'attachments.add', { file: { fileName: 'quyet-dinh.pdf', data: b64(exe) } })).rejects.toMatchObject({
      code: 'refused',
      message: expect.stringContaining('"quyet-dinh.pdf" không phải PDF, PNG hay JPG'),
    });
    // A real JPEG named .txt is a JPEG.
    const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(64)]);
    expect((await call(c, 'attachments.add', { file: { fileName: 'anh.txt', data: b64(jpeg) } })).mime).toBe('image/jpeg');
  });

  it('a zip whose attachment was swapped is refused at the city and at the commune, naming the cell and the file; nothing stored', async () => {
    const c = await commune('swap.sqlite', UNIT_A);
    const { returnId, decision } = await submitWithFiles(c, 'S');
    const file = await call(c, 'package.export', { returnId, revision: 1 });
    const entries = unzipSync(Buffer.from(file.data, 'base64'));
    entries['tep-dinh-kem/Quyết định S.pdf'] = new Uint8Array(pdf('a different decision'));
    const swapped = { fileName: file.fileName, data: b64(zipSync(entries)) };

    const cityCore = await city('city-swap.sqlite');
    const [r] = (await call(cityCore, 'city.import', { files: [swapped], dryRun: false })).results;
    expect(r!.outcome).toBe('refused');
    expect(r!.message).toContain('Tệp đính kèm "Quyết định S.pdf" của ô "');
    expect(r!.message).toContain('Bản quét quyết định');
    expect(r!.message).toContain('không có gì được lưu');
    expect((await call(cityCore, 'city.completeness', { template: TEMPLATE, period: PERIOD })).counts.submitted).toBe(0);
    await expect(call(cityCore, 'attachments.get', { sha256: decision.sha256 })).rejects.toMatchObject({ code: 'not_found' });

    // The .xlsx alone (the attachments left behind) is refused too: the file is missing.
    const xlsxOnly = { fileName: file.fileName.replace(/\.zip$/, '.xlsx'), data: b64(entries[file.fileName.replace(/\.zip$/, '.xlsx')]!) };
    const [m] = (await call(cityCore, 'city.import', { files: [xlsxOnly], dryRun: false })).results;
    expect(m!.outcome).toBe('refused');
    expect(m!.message).toContain('Gói thiếu tệp đính kèm "Quyết định S.pdf"');

    // At a commune (a fresh database of the same unit), the swapped zip is refused and the draft stays as it was.
    const other = await commune('swap-other.sqlite', UNIT_A);
    const cur = await call(other, 'returns.open', { template: TEMPLATE, period: PERIOD });
    await expect(call(other, 'package.import', { returnId: cur.returnId, file: swapped })).rejects.toMatchObject({
      code: 'refused',
      message: expect.stringContaining('dữ liệu đang soạn không thay đổi'),
    });
    expect((await call(other, 'returns.open', { template: TEMPLATE, period: PERIOD })).values).toEqual(cur.values);
  });

  it('a return referencing a file this database does not hold is not submitted (its package could not carry it)', async () => {
    const c = await commune('ghost.sqlite', UNIT_A);
    const ghost = { name: 'khong-co.pdf', size: 1234, mime: 'application/pdf' as const, sha256: 'ab'.repeat(32) };
    await expect(
      c.submitReturnJson({ template: TEMPLATE, templateVersion: 1, unit: UNIT_A, period: PERIOD, values: { van_ban: { so_quyet_dinh: '1/QĐ', so_can_bo: 2, quyet_dinh: ghost } } }),
    ).rejects.toMatchObject({ message: expect.stringContaining('Không tìm thấy tệp đính kèm "khong-co.pdf" của ô "') });
    const cur = await call(c, 'returns.open', { template: TEMPLATE, period: PERIOD });
    expect(await call(c, 'returns.history', { returnId: cur.returnId })).toEqual([]);
  });

  it("the commune's package.import takes the zip with its attachments", async () => {
    const c = await commune('imp-src.sqlite', UNIT_B);
    const { returnId, decision, page } = await submitWithFiles(c, 'I');
    const file = await call(c, 'package.export', { returnId, revision: 1 });
    const other = await commune('imp-dst.sqlite', UNIT_B);
    const cur = await call(other, 'returns.open', { template: TEMPLATE, period: PERIOD });
    const preview = await call(other, 'package.importPreview', { returnId: cur.returnId, file });
    expect(preview.errors).toEqual([]);
    const done = await call(other, 'package.import', { returnId: cur.returnId, file, draftVersion: preview.draftVersion });
    expect(done.state.values.van_ban!.quyet_dinh).toEqual(decision);
    expect(Buffer.from((await call(other, 'attachments.get', { sha256: page.sha256 })).data, 'base64').equals(PNG)).toBe(true);
    // A draft with attachments is exported as a zip too, and comes back.
    const draft = await call(other, 'package.export', { returnId: cur.returnId, draft: true });
    expect(draft.fileName).toMatch(/_nhap_.*\.zip$/);
  });

  it('a zip of several package zips (and plain packages) is imported at the city with every attachment', async () => {
    const a = await commune('many-a.sqlite', UNIT_A);
    const b = await commune('many-b.sqlite', UNIT_B);
    const ra = await submitWithFiles(a, 'MA');
    const rb = await submitWithFiles(b, 'MB');
    const fa = await call(a, 'package.export', { returnId: ra.returnId, revision: 1 });
    const fb = await call(b, 'package.export', { returnId: rb.returnId, revision: 1 });
    // A third unit without attachments: its plain .xlsx package beside the two zips.
    const p = await commune('many-c.sqlite', UNIT_C);
    const cur = await call(p, 'returns.open', { template: TEMPLATE, period: PERIOD });
    await call(p, 'returns.saveDraft', wholeDraftInput(p.resources.getTemplate(TEMPLATE, 1)!, cur, { values: { van_ban: { so_quyet_dinh: '7/QĐ', so_can_bo: 4 } } }));
    await call(p, 'returns.submit', { returnId: cur.returnId });
    const fc = await call(p, 'package.export', { returnId: cur.returnId, revision: 1 });
    expect(fc.fileName).toMatch(/\.xlsx$/);
    const many = zipSync({
      [`goi/${fa.fileName}`]: Buffer.from(fa.data, 'base64'),
      [`goi/${fb.fileName}`]: Buffer.from(fb.data, 'base64'),
      [`goi/${fc.fileName}`]: Buffer.from(fc.data, 'base64'),
    });
    const cityCore = await city('city-many.sqlite');
    const { results } = await call(cityCore, 'city.import', { files: [{ fileName: 'ca-quy.zip', data: b64(many) }], dryRun: false });
    expect(results.map((r) => r.outcome)).toEqual(['imported', 'imported', 'imported']);
    expect(results[0]!.file).toContain(`ca-quy.zip › goi/${fa.fileName}`);
    for (const ref of [ra.decision, rb.decision, ra.page]) {
      const got = await call(cityCore, 'attachments.get', { sha256: ref.sha256 });
      expect(got.data.length).toBeGreaterThan(0);
    }
    expect(Buffer.from((await call(cityCore, 'attachments.get', { sha256: rb.decision.sha256 })).data, 'base64').equals(pdf('MB'))).toBe(true);
  });

  it('delivery over the real intake server carries the attachments (a 12 MB scan too); the intake refuses a swapped zip', async () => {
    const resources = loadResources(resDir);
    const intake = await startIntake({ sqlitePath: tmp.file('intake.sqlite') }, { resources });
    try {
      const c = await commune('net-a.sqlite', UNIT_A, FAST);
      await call(c, 'delivery.configure', { serverUrl: intake.url, token: await intake.unitToken(UNIT_A) });
      // A 12 MB map (the item allows 20 MB): the package zip is larger than the 10 MB the intake took before.
      const map = Buffer.concat([pdf('map'), randomBytes(12 * 1024 * 1024)]);
      const { decision, page } = await submitWithFiles(c, 'NET', map);
      await waitFor('sent', async () => (await call(c, 'delivery.status', {})).items[0]?.state === 'sent', 30_000);
      expect(await intake.count()).toBe(1);

      const cityCore = await city('net-city.sqlite', { ...FAST, autoStart: false });
      await call(cityCore, 'delivery.configure', { serverUrl: intake.url, token: await intake.cityToken() });
      const pulled = await call(cityCore, 'city.pull', {});
      expect(pulled.results.map((r) => r.outcome)).toEqual(['imported']);
      expect(Buffer.from((await call(cityCore, 'attachments.get', { sha256: decision.sha256 })).data, 'base64').equals(pdf('NET'))).toBe(true);
      expect(Buffer.from((await call(cityCore, 'attachments.get', { sha256: page.sha256 })).data, 'base64').equals(PNG)).toBe(true);
      const review = await call(cityCore, 'city.review.get', { template: TEMPLATE, unit: UNIT_A, period: PERIOD });
      const mapRef = review.values.van_ban!.ban_do as AttachmentRef;
      expect(mapRef.size).toBe(map.length);
      expect(Buffer.from((await call(cityCore, 'attachments.get', { sha256: mapRef.sha256 })).data, 'base64').equals(map)).toBe(true);

      // A zip whose attachment was swapped, posted straight to the intake: refused with the cell and the file named.
      const b = await commune('net-b.sqlite', UNIT_B, { autoStart: false });
      const rb = await submitWithFiles(b, 'NB');
      const file = await call(b, 'package.export', { returnId: rb.returnId, revision: 1 });
      const entries = unzipSync(Buffer.from(file.data, 'base64'));
      entries['tep-dinh-kem/trang-ky.png'] = new Uint8Array(Buffer.concat([PNG, Buffer.from('x')]));
      const res = await fetch(`${intake.url}/api/v1/packages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${await intake.unitToken(UNIT_B)}`, 'content-type': 'application/octet-stream' },
        body: zipSync(entries),
      });
      expect(res.status).toBe(400);
      const body = (await res.json()) as { code: string; message: string };
      expect(body.code).toBe('not_a_package');
      expect(body.message).toContain('Tệp đính kèm "trang-ky.png" của ô "');
      expect(await intake.count()).toBe(1);
    } finally {
      await intake.close();
    }
  });
});
