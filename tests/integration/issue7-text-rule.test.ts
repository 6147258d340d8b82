/**
 * Issue 7, items 4 and 5 on real files: a return with invisible characters is refused naming the
 * field (validate --json, submit), a cleaned one is packaged, reads back to its frozen values and
 * its XML is well-formed (LibreOffice opens it); an old draft holding such characters is refused
 * with the field named, never with the generic message; the vehicle-years rule names its cell.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import JSZip from 'jszip';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReturnJson } from '../../shared/index.js';
import { normalizeValues } from '../../shared/index.js';
import { readPackage, readPackageWithExcelJS, writePackage } from '../../core/xlsx/index.js';
import { loadTemplate, loadUnit, meta, templates } from '../fixtures/xlsx/sample.js';
import { hasStack, runCli } from '../helpers/cli.js';
import { call, openCore } from '../helpers/core.js';
import { sampleReturn, tempDir } from '../helpers/sample.js';

const SOFFICE = process.env.SOFFICE_PATH ?? '/usr/bin/soffice';
const GENERIC = /lỗi không mong muốn/;
/** XML 1.0 Char production (plus its character references): what a well-formed part may hold. */
const XML_CHARS = /^(?:[\t\n\r\u0020-\uD7FF\uE000-\uFFFD]|[\uD800-\uDBFF][\uDC00-\uDFFF])*$/;
const BAD_REF = /&#(?:x0*(?:[0-8bBcCeEfF]|1[0-9a-fA-F]|[dD][89a-fA-F][0-9a-fA-F]{2}|[fF]{3}[eEfF])|0*(?:[0-8]|1[1-2]|1[4-9]|2[0-9]|3[01]|6553[45]));/;

const t = loadTemplate();
const unit = loadUnit('11948');
let tmp: ReturnType<typeof tempDir>;
beforeAll(() => {
  tmp = tempDir('cr-issue7-text-');
});
afterAll(() => tmp.cleanup());

/** The characters of the issue, one per text field (people's names, a building, a plate) and an explanation. */
function dirtyReturn(): ReturnJson & ReturnType<typeof sampleReturn> {
  const r = sampleReturn();
  r.values.unit_info.preparer = 'Nguyễn Văn\vA'; // Word's Shift+Enter, pasted
  r.values.unit_info.head = 'Trần Thị\u0000 B'; // NUL
  r.values.unit_info.preparer_phone = '0225\u0007 3123 456'; // BEL
  r.values.hq.sites[0]!.name = 'Trụ sở UBND\u001b, thôn 1'; // ESC
  r.values.vehicles.cars[0]!.plate = '15A-012.34\uD83D'; // a lone surrogate
  r.values.hq.sites.push({ ...r.values.hq.sites[0]!, name: 'Nhà văn hóa\uFFFE thôn 2' }); // U+FFFE
  r.values.vehicles.cars.push({ ...r.values.vehicles.cars[0]!, plate: 'XYZ' });
  r.explanations = { 'vehicles.plate_format:2': 'Xe chuyên dùng,\vbiển số tạm.' };
  return r;
}

/** The same return as the editor leaves it: each text through the one rule. */
function cleanedReturn(): ReturnJson {
  const r = sampleReturn();
  r.values.unit_info.preparer = 'Nguyễn Văn\nA';
  r.values.unit_info.head = 'Trần Thị B';
  r.values.unit_info.preparer_phone = '0225 3123 456';
  r.values.hq.sites[0]!.name = 'Trụ sở UBND, thôn 1\r\ntầng 2'; // CR LF: kept as a line break
  r.values.hq.sites.push({ ...r.values.hq.sites[0]!, name: 'Nhà văn hóa thôn 2\u2028(cũ)' });
  r.values.vehicles.cars.push({ ...r.values.vehicles.cars[0]!, plate: 'XYZ' });
  r.explanations = { 'vehicles.plate_format:2': 'Xe chuyên dùng,\nbiển số tạm.' };
  return r;
}

const FIELDS = [
  ['cell:unit_info.preparer', 'unit_info.preparer', 'U+000B'],
  ['cell:unit_info.head', 'unit_info.head', 'U+0000'],
  ['cell:unit_info.preparer_phone', 'unit_info.preparer_phone', 'U+0007'],
  ['cell:hq.sites.0.name', 'hq.sites.0.name', 'U+001B'],
  ['cell:vehicles.cars.0.plate', 'vehicles.cars.0.plate', 'U+D83D'],
  ['cell:hq.sites.1.name', 'hq.sites.1.name', 'U+FFFE'],
  ['explain:vehicles.plate_format:2', 'vehicles.cars.1.plate', 'U+000B'],
] as const;

async function xmlParts(bytes: Uint8Array): Promise<Map<string, string>> {
  const zip = await JSZip.loadAsync(bytes);
  const out = new Map<string, string>();
  for (const name of Object.keys(zip.files).filter((n) => n.endsWith('.xml') || n.endsWith('.rels')))
    out.set(name, await zip.file(name)!.async('string'));
  return out;
}
function expectWellFormedChars(parts: Map<string, string>): void {
  for (const [name, xml] of parts) {
    expect(XML_CHARS.test(xml), `${name} holds a character XML 1.0 forbids`).toBe(true);
    expect(BAD_REF.test(xml), `${name} refers to a character XML 1.0 forbids`).toBe(false);
  }
}

describe('validate --json names the field of every invisible character', () => {
  it('\\v, NUL, BEL, ESC, a lone surrogate, U+FFFE and an explanation: errors at their cells, in Vietnamese; exit 1', async () => {
    const file = tmp.writeJson('dirty.json', dirtyReturn());
    const r = await runCli(['validate', '--from-json', file, '--json']);
    expect(hasStack(r.stdout + r.stderr)).toBe(false);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { errors: { id: string; path: string; message: string }[] };
    for (const [id, path, code] of FIELDS) {
      const e = out.errors.find((x) => x.id === id);
      expect(e, id).toBeDefined();
      expect(e!.path).toBe(path);
      expect(e!.message).toContain(code);
      expect(e!.message).toMatch(/không được phép trong báo cáo\. Hãy xóa ký tự đó/);
    }
  });

  it('the vehicle-years rule is reported at vehicles.cars.0.year_in_use', async () => {
    const r0 = sampleReturn();
    Object.assign(r0.values.vehicles.cars[0]!, { year_made: 2016, year_in_use: 2015 });
    const r = await runCli(['validate', '--from-json', tmp.writeJson('years.json', r0), '--json']);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { errors: { id: string; path: string; message: string }[] };
    expect(out.errors).toEqual([
      expect.objectContaining({ id: 'vehicles.year_order:1', path: 'vehicles.cars.0.year_in_use', message: expect.stringMatching(/năm đưa vào sử dụng \(2015\)/) }),
    ]);
  });
});

describe('submit never ends in the generic message for this cause', () => {
  it('submit --from-json of the dirty return is refused naming the fields; the database keeps no revision', async () => {
    const db = tmp.file('dirty.sqlite');
    const r = await runCli(['submit', '--db', db, '--from-json', tmp.writeJson('dirty-submit.json', dirtyReturn())]);
    expect(hasStack(r.stdout + r.stderr)).toBe(false);
    expect(r.stdout + r.stderr).not.toMatch(GENERIC);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/Người lập biểu: có ký tự xuống dòng dọc/);
  });

  it('an old draft holding a vertical tab: returns.submit is refused with the field named, never the generic message', async () => {
    const dbPath = tmp.file('old-draft.sqlite');
    const core = await openCore(dbPath);
    try {
      await call(core, 'app.setup', { role: 'commune', unitCode: '11948' });
      const st = await call(core, 'returns.open', { template: 'BC-CX', period: '2026-Q2' });
      // A draft saved by an earlier version of the app, which let the character through.
      const values = dirtyReturn().values;
      const raw = new Database(dbPath);
      raw.prepare('UPDATE returns SET values_json = ?, updated_at = ? WHERE id = ?').run(JSON.stringify(values), '2026-05-09T03:00:00.000Z', st.returnId);
      raw.close();
      let err: unknown;
      try {
        await call(core, 'returns.submit', { returnId: st.returnId });
      } catch (e) {
        err = e;
      }
      expect(err).toBeDefined();
      const e = err as { code?: string; message: string; details?: { errors?: { path: string; message: string }[] } };
      expect(e.message).not.toMatch(GENERIC);
      expect(e.code).toBe('refused');
      expect(e.details?.errors?.map((x) => x.path)).toEqual(expect.arrayContaining(['unit_info.preparer', 'hq.sites.1.name', 'vehicles.cars.0.plate']));
      expect(await call(core, 'returns.history', { returnId: st.returnId })).toEqual([]);
    } finally {
      await core.close();
    }
  });

  it('the cleaned return (line breaks, CR LF, U+2028) is submitted; its package reads back to the frozen values', async () => {
    const core = await openCore(tmp.file('clean.sqlite'));
    try {
      const ret = cleanedReturn();
      const info = await core.submitReturnJson(ret, 'Nguyễn Văn\vA');
      expect(info.revision).toBe(1);
      expect(info.submittedBy).toBe('Nguyễn Văn\nA');
      const st = await call(core, 'returns.open', { template: 'BC-CX', period: '2026-Q2' });
      const exp = await call(core, 'package.export', { returnId: st.returnId, revision: 1 });
      const bytes = Buffer.from(exp.data, 'base64');
      for (const read of [readPackage, readPackageWithExcelJS]) {
        const back = await read(bytes, templates(t));
        expect(back.editedOutside).toBe(false);
        expect(back.ret.values).toEqual(normalizeValues(t, ret.values));
        expect(back.ret.values.hq!.sites).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'Trụ sở UBND, thôn 1\ntầng 2' })]));
        expect(back.ret.explanations).toEqual({ 'vehicles.plate_format:2': 'Xe chuyên dùng,\nbiển số tạm.' });
      }
      expectWellFormedChars(await xmlParts(bytes));
    } finally {
      await core.close();
    }
  });
});

describe('the package writer never writes a character XML 1.0 forbids; both readers apply the same rule', () => {
  it('values that bypassed validation (U+FFFE, NUL, \\v, a lone surrogate) give well-formed XML that LibreOffice opens', async () => {
    const ret = dirtyReturn();
    const bytes = await writePackage({ template: t, ret, unit, meta: { ...meta, submittedBy: 'Nguyễn\u0000 Văn A\uFFFE' } });
    expectWellFormedChars(await xmlParts(bytes));
    const fast = await readPackage(bytes, templates(t));
    const slow = await readPackageWithExcelJS(bytes, templates(t));
    expect(fast.ret.values).toEqual(slow.ret.values);
    expect(fast.ret.values.unit_info!.preparer).toBe('Nguyễn Văn\nA');
    expect((fast.ret.values.hq!.sites as { name: string }[])[1]!.name).toBe('Nhà văn hóa thôn 2');
    // What the writer wrote and the hash it signed agree: the file is not "edited outside".
    expect(fast.editedOutside).toBe(false);

    if (!existsSync(SOFFICE)) throw new Error(`LibreOffice is needed at ${SOFFICE} (set SOFFICE_PATH)`);
    const dir = tmp.file('lo');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'dirty.xlsx'), bytes);
    execFileSync(
      SOFFICE,
      [`-env:UserInstallation=file://${tmp.file('lo-profile')}`, '--headless', '--norestore', '--convert-to', 'csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1', '--outdir', join(dir, 'out'), join(dir, 'dirty.xlsx')],
      { stdio: 'pipe', timeout: 120_000 },
    );
    const csv = readdirSync(join(dir, 'out')).map((f) => readFileSync(join(dir, 'out', f), 'utf8')).join('\n');
    expect(csv).toContain('Nhà văn hóa thôn 2');
    expect(csv).toContain('Trần Thị B');
  });

  it('a workbook whose strings carry Excel escapes of controls (_x000B_, _x0000_) reads as the rule says, in both readers', async () => {
    const bytes = await writePackage({ template: t, ret: cleanedReturn(), unit, meta });
    const zip = await JSZip.loadAsync(bytes);
    let found = false;
    for (const name of Object.keys(zip.files).filter((n) => n.endsWith('.xml'))) {
      const xml = await zip.file(name)!.async('string');
      if (!xml.includes('Trần Thị B')) continue;
      found = true;
      zip.file(name, xml.replace('Trần Thị B', 'Trần Thị_x0000_ B').replace('Nguyễn Văn\nA', 'Nguyễn Văn_x000B_A'));
    }
    expect(found).toBe(true);
    const edited = await zip.generateAsync({ type: 'nodebuffer' });
    for (const read of [readPackage, readPackageWithExcelJS]) {
      const back = await read(edited, templates(t));
      expect(back.ret.values.unit_info!.head).toBe('Trần Thị B');
      expect(back.ret.values.unit_info!.preparer).toBe('Nguyễn Văn\nA');
    }
  });
});

describe('the city: refusals and review name the cell to fix', () => {
  it('a package whose car was put in use before it was made is refused naming "Năm đưa vào sử dụng"; a warning in review sits at its cell', async () => {
    const { cityReturnOf, makePackage } = await import('../helpers/city-packages.js');
    const core = await openCore(tmp.file('city.sqlite'));
    try {
      const bad = structuredClone(cityReturnOf('11311'));
      const cars = bad.values.vehicles!.cars as Record<string, unknown>[];
      cars.splice(0, cars.length, { plate: '15A-012.34', seats: 7, year_made: 2016, year_in_use: 2015, status: 'in_use' });
      const refused = await makePackage(bad, { variant: 'years' });
      const [r1] = await core.city.importFiles([{ name: refused.fileName, bytes: refused.bytes }], { dryRun: false });
      expect(r1).toMatchObject({ outcome: 'refused', errors: 1 });
      expect(r1!.message).toMatch(/Xe 1: năm đưa vào sử dụng \(2015\) không được trước năm sản xuất \(2016\) \(ô cần sửa: Biểu 04, Xe 1, Năm đưa vào sử dụng\)\./);

      const warned = structuredClone(cityReturnOf('11311'));
      const wcars = warned.values.vehicles!.cars as Record<string, unknown>[];
      wcars.splice(0, wcars.length, { plate: 'XYZ', seats: 7, year_made: 2014, year_in_use: 2015, status: 'in_use' });
      warned.explanations = { 'vehicles.plate_format:1': 'Xe chuyên dùng, biển số tạm.' };
      const ok = await makePackage(warned, { variant: 'plate' });
      const [r2] = await core.city.importFiles([{ name: ok.fileName, bytes: ok.bytes }], { dryRun: false });
      expect(r2!.outcome).toBe('imported');
      const review = await call(core, 'city.review.get', { template: 'BC-CX', period: warned.period, unit: '11311' });
      expect(review.warnings).toEqual(
        expect.arrayContaining([expect.objectContaining({ id: 'vehicles.plate_format:1', path: 'vehicles.cars.0.plate', cell: 'vehicles.cars.0.plate', row: 'vehicles.cars.0' })]),
      );
    } finally {
      await core.close();
    }
  });
});
