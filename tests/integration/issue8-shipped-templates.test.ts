/**
 * Issue 8 item 5: the four templates the app ships as authoring workbooks (BC-CX and the three of
 * the city's June 2026 letter: PCM to Sở Nội vụ, TSC to Sở Tài chính, PCPQ on devolved tasks), each
 * taken through sample (shared/template/sample.ts) → package (core/xlsx) → LibreOffice re-save →
 * read → import at the city → consolidation, whose figures equal what this test computes from the
 * sample values. Six units of the shipped list: xã, phường and đặc khu, Bạch Long Vĩ (no HĐND) among
 * them. Real workbooks in resources/, real LibreOffice, a real city database on SQLite.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Template, Unit, Values } from '../../shared/index.js';
import { canonicalJson, computeView, getPath, normalizeValues, notApplicable, parsePeriod, validate } from '../../shared/index.js';
import type { CountWhereFigure, StatsRow, TextsFigure } from '../../shared/consolidate.js';
import { sampleReturn } from '../../shared/template/sample.js';
import type { Core } from '../../core/handlers.js';
import { loadResources } from '../../core/resources.js';
import { buildTemplateFromWorkbook } from '../../core/templates/workbook.js';
import { readPackage, writePackage } from '../../core/xlsx/index.js';
import { call, openCore } from '../helpers/core.js';
import { resourcesDir, tempDir } from '../helpers/sample.js';

const SOFFICE = process.env.SOFFICE_PATH ?? '/usr/bin/soffice';
const BACH_LONG_VI = '11948';
const SHIPPED = ['BC-CX', 'PCM', 'TSC', 'PCPQ'];
const PERIOD: Record<string, string> = { 'BC-CX': '2026-Q2', PCM: '2026-H1', TSC: '2026-H1', PCPQ: '2026-H1' };

const resources = loadResources(resourcesDir);
const shippedUnits = resources.shippedUnits.units;
/** Two xã, two phường, Bạch Long Vĩ (no HĐND) and the other đặc khu. */
const units: Unit[] = [
  ...shippedUnits.filter((u) => u.type === 'xã').slice(0, 2),
  ...shippedUnits.filter((u) => u.type === 'phường').slice(0, 2),
  shippedUnits.find((u) => u.code === BACH_LONG_VI)!,
  shippedUnits.find((u) => u.type === 'đặc khu' && u.code !== BACH_LONG_VI)!,
];

let tmp: ReturnType<typeof tempDir>;
let city: Core;
beforeAll(async () => {
  tmp = tempDir('i8-shipped-');
  city = await openCore(tmp.file('city.sqlite'));
  await call(city, 'app.setup', { role: 'city' });
});
afterAll(async () => {
  await city?.close();
  tmp?.cleanup();
});

/** Re-save workbooks with LibreOffice Calc (as a clerk who opened and saved them would). */
function resave(files: string[], outDir: string): void {
  mkdirSync(outDir, { recursive: true });
  execFileSync(
    SOFFICE,
    [`-env:UserInstallation=file://${path.join(tmp.dir, 'lo-profile')}`, '--headless', '--norestore', '--convert-to', 'xlsx:Calc MS Excel 2007 XML', '--outdir', outDir, ...files],
    { stdio: 'pipe', timeout: 300_000 },
  );
}

const template = (id: string): Template => resources.latestTemplate(id)!;

describe('the shipped templates', () => {
  it('are authoring workbooks in resources/templates (no hand-written JSON for the new ones), each built into its template', async () => {
    const files = readdirSync(path.join(resourcesDir, 'templates'));
    for (const id of ['PCM', 'TSC', 'PCPQ']) {
      expect(files).toContain(`${id}.xlsx`);
      expect(files.filter((f) => f.startsWith(`${id}.`) && f.endsWith('.json'))).toEqual([]);
      const built = await buildTemplateFromWorkbook(readFileSync(path.join(resourcesDir, 'templates', `${id}.xlsx`)));
      expect(built.problems).toEqual([]);
      expect(canonicalJson(built.template)).toBe(canonicalJson(template(id)));
    }
    for (const id of SHIPPED) expect(resources.latestTemplate(id), id).toBeDefined();
    expect(template('PCM').receivingBody.vi).toBe('UBND thành phố Hải Phòng (qua Sở Nội vụ)');
    expect(template('TSC').receivingBody.vi).toBe('UBND thành phố Hải Phòng (qua Sở Tài chính)');
    expect(template('PCPQ').receivingBody.vi).toBe('UBND thành phố Hải Phòng (qua Sở Nội vụ)');
    for (const id of ['PCM', 'TSC', 'PCPQ']) expect(template(id).periodTypes).toEqual(['half']);
  });

  it('stay the same template after a clerk opens and saves their workbooks in LibreOffice Calc', { timeout: 300_000 }, async () => {
    const ids = ['PCM', 'TSC', 'PCPQ'];
    resave(ids.map((id) => path.join(resourcesDir, 'templates', `${id}.xlsx`)), path.join(tmp.dir, 'authoring-lo'));
    for (const id of ids) {
      const built = await buildTemplateFromWorkbook(readFileSync(path.join(tmp.dir, 'authoring-lo', `${id}.xlsx`)));
      expect(built.problems, id).toEqual([]);
      expect(canonicalJson(built.template), id).toBe(canonicalJson(template(id)));
    }
  });

  it('ask a unit without a HĐND for no HĐND resolution (PCM), and a unit with one for no other decision', () => {
    const t = template('PCM');
    const blv = shippedUnits.find((u) => u.code === BACH_LONG_VI)!;
    expect(blv.attributes).toEqual({ co_hdnd: '0' });
    expect([...notApplicable(t, blv)]).toEqual(['nghi_quyet']);
    expect([...notApplicable(t, units[0]!)]).toEqual(['khong_hdnd']);
  });

  for (const id of SHIPPED) {
    it(`${id}: sample → package → LibreOffice re-save → read → import at the city → consolidation equal to the samples`, { timeout: 300_000 }, async () => {
      expect(existsSync(SOFFICE), `LibreOffice is needed at ${SOFFICE}`).toBe(true);
      const t = template(id);
      const period = PERIOD[id]!;
      const year = parsePeriod(period)!.year;
      const dir = path.join(tmp.dir, id);
      mkdirSync(dir, { recursive: true });

      // Sample returns (valid for each unit: its type and attributes choose what applies), packaged.
      const samples = new Map<string, Values>();
      const files: string[] = [];
      for (const [i, u] of units.entries()) {
        const values = sampleReturn(t, { unit: u, period, seed: 100 + i });
        const check = validate(t, values, { period: parsePeriod(period)!, unitType: u.type, unit: u });
        expect(check.errors, `${id} ${u.name}`).toEqual([]);
        samples.set(u.code, values);
        const bytes = await writePackage({
          template: t,
          ret: { template: t.id, templateVersion: t.version, unit: u.code, period, values, explanations: Object.fromEntries(check.warnings.map((w) => [w.id, 'Số liệu đã kiểm tra lại, đúng thực tế.'])), asOf: {} },
          unit: u,
          meta: {
            packageId: `${id}-${u.code}-${period}-1`,
            revision: 1,
            createdAt: '2026-06-20T01:00:00.000Z',
            submittedAt: '2026-06-20T01:00:00.000Z',
            submittedBy: 'Người lập biểu',
            appVersion: '0.1.0-test',
          },
        });
        const file = path.join(dir, `${id}_${u.code}.xlsx`);
        writeFileSync(file, bytes);
        files.push(file);
      }

      // Opened and saved again in LibreOffice Calc; read back: the same values.
      resave(files, path.join(dir, 'lo'));
      const resaved = units.map((u) => ({ unit: u, name: `${id}_${u.code}.xlsx`, bytes: readFileSync(path.join(dir, 'lo', `${id}_${u.code}.xlsx`)) }));
      for (const r of resaved) {
        const back = await readPackage(r.bytes, (i, v) => resources.getTemplate(i, v));
        expect(back.identity).toMatchObject({ template: id, unit: r.unit.code, period, revision: 1 });
        expect(canonicalJson(normalizeValues(t, back.ret.values)), `${id} ${r.unit.name}`).toBe(canonicalJson(normalizeValues(t, samples.get(r.unit.code)!)));
      }

      // Imported at the city.
      const results = await city.city.importFiles(resaved.map((r) => ({ name: r.name, bytes: r.bytes })), { dryRun: false });
      expect(results.map((r) => [r.file, r.outcome, r.outcome === 'imported' ? '' : r.message])).toEqual(resaved.map((r) => [r.name, 'imported', '']));

      // Consolidated: the figures this test computes from the samples.
      const cons = (await call(city, 'city.consolidation', { template: id, period })) as Record<string, unknown> & { units: { submitted: number } };
      expect(cons.units.submitted).toBe(units.length);
      const views = units.map((u) => ({ unit: u, view: computeView(t, samples.get(u.code)!, year) as Record<string, unknown> }));
      const n = (v: unknown) => (typeof v === 'number' ? v : 0);
      const sum = (p: string) => views.reduce((a, x) => a + n(getPath(x.view, p)), 0);
      const rows = (p: string) => views.reduce((a, x) => a + ((getPath(x.view, p) as unknown[] | undefined)?.length ?? 0), 0);
      const fig = (p: string) => getPath(cons, p);
      const close = (p: string, expected: number) => expect(fig(p) as number, p).toBeCloseTo(expected, 6);
      const texts = (p: string, item: string) => {
        const want: Record<string, string> = {};
        for (const x of views) {
          const v = getPath(x.view, item);
          if (typeof v === 'string' && v.trim()) want[x.unit.code] = v.trim();
        }
        expect((fig(p) as TextsFigure).answers, p).toEqual(want);
        expect(Object.keys(want).length).toBeGreaterThan(0);
      };
      const countWhere = (p: string, item: string, test: (v: number) => boolean) =>
        expect(fig(p) as CountWhereFigure, p).toMatchObject({ count: views.filter((x) => test(n(getPath(x.view, item)))).length, of: units.length });
      const stats = (p: string, item: string) => {
        const vals = views.map((x) => getPath(x.view, item)).filter((v): v is number => typeof v === 'number');
        const s = fig(p) as StatsRow;
        expect(s, p).toMatchObject({ n: vals.length, min: Math.min(...vals), max: Math.max(...vals) });
        expect(s.avg!).toBeCloseTo(vals.reduce((a, b) => a + b, 0) / vals.length, 6);
      };

      if (id === 'BC-CX') {
        close('units.area_km2', sum('unit_info.area_km2'));
        close('units.population', sum('unit_info.population'));
        close('hq.sites_total', sum('hq.site_count'));
        close('vehicles.cars_total', rows('vehicles.cars'));
        close('procedures.total.done_total', sum('procedures.fields.total.done_total'));
      } else if (id === 'PCM') {
        close('to_chuc.don_vi.tong.so_nguoi', sum('to_chuc.don_vi.tong.so_nguoi'));
        close('to_chuc.don_vi.trung_tam.so_cap_pho', sum('to_chuc.don_vi.trung_tam.so_cap_pho'));
        stats('to_chuc.so_nguoi', 'to_chuc.tong_so_nguoi');
        close('trung_tam.so_pho_giam_doc', sum('trung_tam.so_pho_giam_doc'));
        close('trung_tam.pho_giam_doc', rows('trung_tam.pho_giam_doc'));
        countWhere('trung_tam.khong_co_pho', 'trung_tam.so_pho_giam_doc', (v) => v === 0);
        texts('kien_nghi.kho_khan', 'kien_nghi.kho_khan');
        // Bạch Long Vĩ answered the section for units without a HĐND, and no other unit did.
        expect(samples.get(BACH_LONG_VI)!.nghi_quyet ?? {}).toEqual({});
        expect(Object.keys(samples.get(BACH_LONG_VI)!.khong_hdnd ?? {}).length).toBeGreaterThan(0);
        expect(Object.keys(samples.get(units[0]!.code)!.khong_hdnd ?? {})).toEqual([]);
      } else if (id === 'TSC') {
        close('tru_so.so_tru_so', sum('tru_so.so_tru_so'));
        close('tru_so.kinh_phi', sum('tru_so.kinh_phi_sua_chua'));
        stats('tru_so.so_tru_so_theo_loai', 'tru_so.so_tru_so');
        close('doi_du.nhom.tong.so_co_so', sum('doi_du.nhom.tong.so_co_so'));
        close('doi_du.nhom.nhom_03.da_xu_ly', sum('doi_du.nhom.nhom_03.da_xu_ly'));
        close('doi_du.ty_le', sum('doi_du.nhom.tong.da_xu_ly') / sum('doi_du.nhom.tong.so_co_so'));
        countWhere('doi_du.co_doi_du', 'doi_du.tong_doi_du', (v) => v > 0);
        close('tai_san.thiet_bi.may_tinh_de_ban.so_luong', sum('tai_san.thiet_bi.may_tinh_de_ban.so_luong'));
        close('tai_san.thiet_bi.o_to.nguyen_gia', sum('tai_san.thiet_bi.o_to.nguyen_gia'));
        close('de_xuat.so_de_xuat', rows('de_xuat.noi_dung'));
        texts('kien_nghi.kho_khan', 'kien_nghi.kho_khan');
      } else {
        for (const col of ['duoc_giao', 'da_thuc_hien', 'vuong_mac'])
          for (const row of ['phan_cap_ubnd', 'uy_quyen_chu_tich', 'tong']) close(`nhiem_vu.nhom.${row}.${col}`, sum(`nhiem_vu.nhom.${row}.${col}`));
        close('nhiem_vu.ty_le', sum('nhiem_vu.nhom.tong.da_thuc_hien') / sum('nhiem_vu.nhom.tong.duoc_giao'));
        countWhere('nhiem_vu.co_vuong_mac', 'nhiem_vu.tong_vuong_mac', (v) => v > 0);
        stats('nhiem_vu.ty_le_don_vi', 'nhiem_vu.ty_le_thuc_hien');
        close('vuong_mac.so_nhiem_vu', rows('vuong_mac.chi_tiet'));
        for (const k of ['ket_qua', 'kho_khan', 'de_xuat', 'cach_lam_hay']) texts(`danh_gia.${k}`, `danh_gia.${k}`);
      }
    });
  }
});
