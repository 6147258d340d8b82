/**
 * Issue 8, second round (engineer K):
 * - a date a commune officer types as text into the Excel package (in Excel or LibreOffice, where no
 *   date picker helps) is read back as the date meant, in the ways people write dates in Vietnam:
 *   01-07-26, 1.7.26, 01072026, "ngày 1 tháng 7 năm 2026";
 * - a draft never submitted, with a scan named in Vietnamese with spaces, exported on one computer and
 *   imported on another (a fresh database): the values and the scan's bytes arrive.
 * Real .xlsx written by the app, changed by ExcelJS, read back by both readers; real SQLite files.
 */
import { cpSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { unzipSync } from 'fflate';
import ExcelJS from 'exceljs';
import { afterAll, describe, expect, it } from 'vitest';
import type { Core } from '../../core/handlers.js';
import { createCore } from '../../core/handlers.js';
import { call, wholeDraftInput } from '../helpers/core.js';
import { repoRoot, resourcesDir, tempDir } from '../helpers/sample.js';
import type { ReturnJson, Template, Values } from '../../shared/index.js';
import type { ReadResult } from '../../core/xlsx/index.js';
import { readPackage, readPackageWithExcelJS, writePackage } from '../../core/xlsx/index.js';
import { readCellMap } from '../../core/xlsx/read.js';
import { UNIT_ALL, fullReturn, loadAllTypes } from '../fixtures/templates/issue8-all-types.js';
import { meta } from '../fixtures/xlsx/sample.js';

const t = loadAllTypes();
const known = (id: string, version: number) => (id === t.id && version === t.version ? t : undefined);

async function readBoth(bytes: Uint8Array): Promise<ReadResult> {
  const fast = await readPackage(bytes, known);
  expect(fast).toStrictEqual(await readPackageWithExcelJS(bytes, known));
  return fast;
}

function where(wb: ExcelJS.Workbook, path: string): ExcelJS.Cell {
  const ref = readCellMap(wb).find((r) => r.kind === 'value' && r.key === path);
  if (!ref) throw new Error(`no input cell for ${path}`);
  return wb.getWorksheet(ref.sheet)!.getCell(ref.address);
}

describe('a date typed as text into the package', () => {
  it.each([['01-07-26'], ['1.7.26'], ['01072026'], ['ngày 1 tháng 7 năm 2026'], ['2026/7/1']])(
    '"%s" reads back as 2026-07-01',
    async (typed) => {
      const ret: ReturnJson = fullReturn(UNIT_ALL.code);
      const wb = new ExcelJS.Workbook();
      await wb.xlsx.load((await writePackage({ template: t as Template, ret, unit: UNIT_ALL, meta })) as unknown as ExcelJS.Buffer);
      const c = where(wb, 'chung.ngay_quyet_dinh');
      c.value = typed;
      c.numFmt = '@';
      const read = await readBoth(Buffer.from(await wb.xlsx.writeBuffer()));
      expect((read.ret.values.chung as Values[string]).ngay_quyet_dinh).toBe('2026-07-01');
    },
  );

  it('"31-02-26" is no date: kept as typed, for validation to name', async () => {
    const ret: ReturnJson = fullReturn(UNIT_ALL.code);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load((await writePackage({ template: t as Template, ret, unit: UNIT_ALL, meta })) as unknown as ExcelJS.Buffer);
    where(wb, 'chung.ngay_quyet_dinh').value = '31-02-26';
    const read = await readBoth(Buffer.from(await wb.xlsx.writeBuffer()));
    expect((read.ret.values.chung as Values[string]).ngay_quyet_dinh).toBe('31-02-26');
  });
});

describe('a draft with a scan, exported on one computer and imported on another', () => {
  const tmp = tempDir('cr-issue8-k-');
  const open: Core[] = [];
  afterAll(async () => {
    for (const c of open) await c.close().catch(() => undefined);
    tmp.cleanup();
  });
  const resDir = tmp.file('resources');
  cpSync(resourcesDir, resDir, { recursive: true });
  mkdirSync(path.join(resDir, 'templates'), { recursive: true });
  cpSync(path.join(repoRoot, 'tests/fixtures/templates/issue8-attachments.json'), path.join(resDir, 'templates', 'DK-TEP.v1.json'));
  async function commune(name: string): Promise<Core> {
    const c = await createCore({
      dbPath: tmp.file(name), resourcesDir: resDir, appVersion: '0.1.0-test',
      now: () => new Date('2026-07-05T03:00:00Z'), delivery: { autoStart: false },
    });
    open.push(c);
    await call(c, 'app.setup', { role: 'commune', unitCode: '11560' });
    return c;
  }
  const SCAN = Buffer.from(
    '%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n2 0 obj <</Type /Pages /Kids [3 0 R] /Count 1>> endobj\n' +
      '3 0 obj <</Type /Page /Parent 2 0 R /MediaBox [0 0 200 200]>> endobj\ntrailer <</Root 1 0 R>>\n%K\n%%EOF\n',
  );
  const NAME = 'Quyết định kiện toàn số 12 ngày 1.7.2026.pdf';

  it('the values and the scan arrive; the scan keeps its Vietnamese name', async () => {
    const a = await commune('may-a.sqlite');
    const cur = await call(a, 'returns.open', { template: 'DK-TEP', period: '2026-Q2' });
    const ref = await call(a, 'attachments.add', { file: { fileName: NAME, data: SCAN.toString('base64') }, returnId: cur.returnId });
    expect(ref.name).toBe(NAME);
    const t = a.resources.getTemplate('DK-TEP', 1)!;
    const values = { van_ban: { so_quyet_dinh: '12/QĐ-UBND', quyet_dinh: ref, so_can_bo: 23 } };
    await call(a, 'returns.saveDraft', wholeDraftInput(t, cur, { values }));
    const file = await call(a, 'package.export', { returnId: cur.returnId, draft: true });
    expect(file.fileName).toMatch(/\.zip$/);
    expect(Object.keys(unzipSync(Buffer.from(file.data, 'base64')))).toContain(`tep-dinh-kem/${NAME}`);

    const b = await commune('may-b.sqlite');
    const there = await call(b, 'returns.open', { template: 'DK-TEP', period: '2026-Q2' });
    const preview = await call(b, 'package.importPreview', { returnId: there.returnId, file });
    expect(preview.errors).toEqual([]);
    const done = await call(b, 'package.import', { returnId: there.returnId, file, draftVersion: preview.draftVersion });
    expect(done.state.values.van_ban).toMatchObject(values.van_ban);
    const got = await call(b, 'attachments.get', { sha256: ref.sha256 });
    expect(got.fileName).toBe(NAME);
    expect(Buffer.from(got.data, 'base64').equals(SCAN)).toBe(true);
  });
});
