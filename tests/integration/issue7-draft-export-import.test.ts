/**
 * Issue 7 items 2 and 3: a draft that differs from the last submitted revision is never exported
 * as if it were final (the file says BẢN NHÁP — CHƯA NỘP on every page and the city refuses it),
 * and an imported file is previewed before it replaces the draft, with every earlier draft
 * restorable. Real SQLite files, real .xlsx, real LibreOffice.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterEach, describe, expect, it } from 'vitest';
import type { Core } from '../../core/handlers.js';
import type { Values } from '../../shared/index.js';
import { draftChanges } from '../../shared/draft.js';
import { call, openCore } from '../helpers/core.js';
import { sampleReturn, sampleValues, tempDir } from '../helpers/sample.js';

const SOFFICE = process.env.SOFFICE_PATH ?? '/usr/bin/soffice';
const MARK = 'BẢN NHÁP — CHƯA NỘP';

let tmps: ReturnType<typeof tempDir>[] = [];
let cores: Core[] = [];
afterEach(async () => {
  for (const c of cores) await c.close();
  for (const t of tmps) t.cleanup();
  cores = [];
  tmps = [];
});

async function fresh(role: 'commune' | 'city'): Promise<{ core: Core; tmp: ReturnType<typeof tempDir> }> {
  const tmp = tempDir('cr-issue7b-');
  tmps.push(tmp);
  const core = await openCore(tmp.file(`${role}.sqlite`));
  cores.push(core);
  await call(core, 'app.setup', role === 'commune' ? { role, unitCode: '11948' } : { role });
  return { core, tmp };
}

/** Save the draft the way the editor does: the cells that change, from the version it opened. */
async function save(c: Core, returnId: number, values: Values) {
  const st = await call(c, 'returns.open', { template: 'BC-CX', period: '2026-Q2' });
  const changes = draftChanges(c.resources.getTemplate('BC-CX', 1)!, st, { values, explanations: st.explanations, asOf: st.asOf });
  await call(c, 'returns.saveDraft', { returnId, baseVersion: st.draftVersion, changes });
}

/** Revision 1 and 2 submitted; the draft then corrects the population (3 → the figure given). */
async function twoRevisionsAndACorrection(c: Core, population = 1300) {
  const st = await call(c, 'returns.open', { template: 'BC-CX', period: '2026-Q2' });
  const id = st.returnId;
  await save(c, id, sampleReturn().values);
  await call(c, 'returns.submit', { returnId: id });
  const v2 = sampleValues();
  v2.staff.recruited = 2;
  await save(c, id, v2);
  await call(c, 'returns.submit', { returnId: id });
  const v3 = sampleValues();
  v3.staff.recruited = 2;
  v3.unit_info.population = population;
  await save(c, id, v3);
  return id;
}

describe('issue 7 item 2: a draft is exported as a draft, never as a final file', () => {
  it('marks the draft workbook on every sheet (header, footer and a visible cell) and names it as a draft', async () => {
    const { core: c } = await fresh('commune');
    const id = await twoRevisionsAndACorrection(c);
    const file = await call(c, 'package.export', { returnId: id, draft: true });
    expect(file.fileName).toMatch(/^BC-CX_11948_2026-Q2_nhap.*\.xlsx$/);
    expect(file.fileName).not.toMatch(/_r\d+\.xlsx$/);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.from(file.data, 'base64') as never);
    const visible = wb.worksheets.filter((ws) => ws.state === 'visible');
    expect(visible.length).toBeGreaterThan(4);
    for (const ws of visible) {
      expect(ws.headerFooter.oddHeader ?? '', ws.name).toContain(MARK);
      expect(ws.headerFooter.oddFooter ?? '', ws.name).toContain(MARK);
      const texts: string[] = [];
      ws.eachRow((r) => r.eachCell((cell) => void (typeof cell.value === 'string' && texts.push(cell.value))));
      expect(texts.some((s) => s.includes(MARK)), ws.name).toBe(true);
    }
    // The draft's figure is what the file holds, not revision 2's.
    const b01 = wb.worksheets.find((ws) => ws.name.startsWith('Biểu 01'))!;
    const numbers: unknown[] = [];
    b01.eachRow((r) => r.eachCell((cell) => void numbers.push(cell.value)));
    expect(numbers).toContain(1300);
    // The submitted revision is still exported as it was, with no mark.
    const r2 = await call(c, 'package.export', { returnId: id, revision: 2 });
    expect(r2.fileName).toBe('BC-CX_11948_2026-Q2_r2.xlsx');
    const wb2 = new ExcelJS.Workbook();
    await wb2.xlsx.load(Buffer.from(r2.data, 'base64') as never);
    expect(wb2.worksheets[0]!.headerFooter.oddHeader ?? '').not.toContain(MARK);
  });

  it('prints the mark on every page of the draft workbook (LibreOffice → PDF)', async () => {
    expect(existsSync(SOFFICE), `LibreOffice is needed at ${SOFFICE}`).toBe(true);
    const { core: c, tmp } = await fresh('commune');
    const id = await twoRevisionsAndACorrection(c);
    const file = await call(c, 'package.export', { returnId: id, draft: true });
    const out = tmp.file('pdf');
    mkdirSync(out, { recursive: true });
    const xlsxPath = path.join(out, file.fileName);
    writeFileSync(xlsxPath, Buffer.from(file.data, 'base64'));
    execFileSync(
      SOFFICE,
      [`-env:UserInstallation=file://${tmp.file('profile')}`, '--headless', '--norestore', '--convert-to', 'pdf', '--outdir', out, xlsxPath],
      { stdio: 'pipe', timeout: 180_000 },
    );
    const pdf = xlsxPath.replace(/\.xlsx$/, '.pdf');
    const text = execFileSync('pdftotext', ['-layout', pdf, '-'], { encoding: 'utf8' });
    const pages = text.split('\f').filter((p) => p.trim());
    expect(pages.length).toBeGreaterThan(4);
    pages.forEach((p, i) => expect(p, `page ${i + 1}`).toContain(MARK));
    if (process.env.ISSUE7_KEEP) writeFileSync(path.join(process.env.ISSUE7_KEEP, 'draft.pdf'), readFileSync(pdf));
  }, 240_000);

  it('the city refuses a draft workbook with a Vietnamese sentence; the commune may import it', async () => {
    const { core: c } = await fresh('commune');
    const id = await twoRevisionsAndACorrection(c);
    const file = await call(c, 'package.export', { returnId: id, draft: true });

    const { core: city } = await fresh('city');
    const [res] = await city.city.importFiles([{ name: file.fileName, bytes: Buffer.from(file.data, 'base64') }], { dryRun: false });
    expect(res!.outcome).toBe('refused');
    expect(res!.message).toMatch(/đây là bản nháp chưa nộp/i);
    const completeness = await call(city, 'city.completeness', { template: 'BC-CX', period: '2026-Q2' });
    expect(completeness.counts.submitted).toBe(0);

    // Back at the commune, the draft file reads back into the editor without a complaint.
    await save(c, id, sampleReturn().values);
    const preview = await call(c, 'package.importPreview', { returnId: id, file });
    expect(preview.fileDraft).toBe(true);
    expect(preview.editedOutside).toBe(false);
    expect(preview.changes.map((ch) => [ch.path, ch.before, ch.after])).toEqual([
      ['unit_info.population', 1200, 1300],
      ['staff.recruited', 0, 2],
    ]);
  });
});

describe('issue 7 item 3: an import is shown before it is applied, and can be undone', () => {
  it('preview leaves the draft as it was; confirming applies it; an older revision is flagged', async () => {
    const { core: c } = await fresh('commune');
    const id = await twoRevisionsAndACorrection(c, 1300);
    const r1 = await call(c, 'package.export', { returnId: id, revision: 1 });
    const before = await call(c, 'returns.open', { template: 'BC-CX', period: '2026-Q2' });

    const preview = await call(c, 'package.importPreview', { returnId: id, file: r1 });
    expect(preview.fileRevision).toBe(1);
    expect(preview.latestRevision).toBe(2);
    expect(preview.older).toBe(true);
    expect(preview.changes.map((ch) => [ch.label, ch.before, ch.after])).toEqual([
      [expect.stringContaining('Dân số'), 1300, 1200],
      [expect.stringContaining('Tuyển dụng trong kỳ'), 2, 0],
    ]);
    const after = await call(c, 'returns.open', { template: 'BC-CX', period: '2026-Q2' });
    expect(after.values).toEqual(before.values);
    expect(after.draftVersion).toBe(before.draftVersion);

    // A draft changed since the preview is not overwritten by a stale confirmation.
    const v = sampleValues();
    v.unit_info.population = 1400;
    await save(c, id, v);
    await expect(call(c, 'package.import', { returnId: id, file: r1, draftVersion: preview.draftVersion })).rejects.toMatchObject({
      code: 'refused',
      message: expect.stringMatching(/đã thay đổi.*chọn lại tệp/),
    });
    expect((await call(c, 'returns.open', { template: 'BC-CX', period: '2026-Q2' })).values.unit_info?.population).toBe(1400);

    const again = await call(c, 'package.importPreview', { returnId: id, file: r1 });
    const applied = await call(c, 'package.import', { returnId: id, file: r1, draftVersion: again.draftVersion });
    expect(applied.state.values.unit_info?.population).toBe(1200);
  });

  it('lists the kept drafts with the reason and restores one; the restore itself can be undone', async () => {
    const { core: c } = await fresh('commune');
    const id = await twoRevisionsAndACorrection(c, 1300);
    const r1 = await call(c, 'package.export', { returnId: id, revision: 1 });
    await call(c, 'package.import', { returnId: id, file: r1 });
    expect((await call(c, 'returns.open', { template: 'BC-CX', period: '2026-Q2' })).values.unit_info?.population).toBe(1200);

    const kept = await call(c, 'returns.drafts', { returnId: id });
    expect(kept).toHaveLength(1);
    expect(kept[0]!.reason).toBe(`Trước khi nhập tệp ${r1.fileName}`);
    expect(kept[0]!.changes).toBe(2);

    const restored = await call(c, 'returns.restoreDraft', { returnId: id, backupId: kept[0]!.id });
    expect(restored.values.unit_info?.population).toBe(1300);
    expect((await call(c, 'returns.open', { template: 'BC-CX', period: '2026-Q2' })).values.unit_info?.population).toBe(1300);

    const now = await call(c, 'returns.drafts', { returnId: id });
    expect(now).toHaveLength(2);
    expect(now[0]!.reason).toMatch(/^Trước khi khôi phục bản nháp lúc /);
    const undone = await call(c, 'returns.restoreDraft', { returnId: id, backupId: now[0]!.id });
    expect(undone.values.unit_info?.population).toBe(1200);

    await expect(call(c, 'returns.restoreDraft', { returnId: id, backupId: 999 })).rejects.toMatchObject({ code: 'not_found' });
  });
});
