/** The Excel package written and read back from real .xlsx files in a temp dir. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import JSZip from 'jszip';
import { afterAll, describe, expect, it } from 'vitest';
import type { ReturnJson, Template } from '../../shared/index.js';
import { AppError, computeView, normalizeValues } from '../../shared/index.js';
import { readPackage, valuesHash, writePackage } from '../../core/xlsx/index.js';
import { readCellMap } from '../../core/xlsx/read.js';
import { loadTemplate, loadUnit, meta, sampleReturn, templates } from '../fixtures/xlsx/sample.js';

const dir = mkdtempSync(join(tmpdir(), 'xlsx-package-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const t = loadTemplate();
const unit = loadUnit('11948');

/** The sample return with more of everything: several rows, every option type, a warning and its explanation. */
function richReturn(): ReturnJson {
  const ret = sampleReturn();
  const v = ret.values;
  v.staff!.blocks = {
    ...(v.staff!.blocks as object),
    government: { cbcc_quota: 30, cbcc_present: 31, vc_quota: 40, vc_present: 38 },
  };
  v.hq!.sites = [
    ...(v.hq!.sites as object[]),
    {
      name: 'Nhà văn hóa, thôn 2',
      origin: 'other',
      land_m2: 820.5,
      floor_m2: 310.25,
      condition: 'good',
      used_by: ['party', 'council_committee', 'front', 'one_stop'],
    },
  ];
  v.vehicles!.cars = [
    ...(v.vehicles!.cars as object[]),
    { plate: '15B-999.01', seats: 16, year_made: 2010, year_in_use: 2011, status: 'broken' },
  ];
  (v.procedures!.fields as Record<string, unknown>).dat_dai = {
    carried_over: 10,
    new_direct: 20,
    done_on_time: 25,
    pending_overdue: 5,
  };
  ret.explanations = {
    'staff.present_over_quota:government':
      'Có 1 công chức được điều động về theo quyết định của thành phố, chờ giao bổ sung biên chế.',
  };
  ret.asOf = { staff: '2026-06-10' };
  return ret;
}

async function roundTrip(ret: ReturnJson, name: string) {
  const file = join(dir, name);
  writeFileSync(file, await writePackage({ template: t, ret, unit, meta }));
  return readPackage(readFileSync(file), templates(t));
}

async function expectAppError(p: Promise<unknown>, code: string): Promise<AppError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(AppError);
  expect((e as AppError).code).toBe(code);
  // A Vietnamese sentence that says what to do.
  expect((e as AppError).message).toMatch(/Hãy/);
  return e as AppError;
}

/** Open a package the way a person would in Excel, change cells by path, save it. */
async function editInExcel(
  data: Buffer,
  edit: (set: (path: string, value: ExcelJS.CellValue) => void, wb: ExcelJS.Workbook) => void,
): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(data as unknown as ExcelJS.Buffer);
  const map = readCellMap(wb);
  edit((path, value) => {
    const ref = map.find((r) => r.kind === 'value' && r.key === path) ?? map.find((r) => `${r.kind}:${r.key}` === path);
    if (!ref) throw new Error(`no input cell ${path}`);
    wb.getWorksheet(ref.sheet)!.getCell(ref.address).value = value;
  }, wb);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

describe('Excel package', () => {
  it('round trip: the values, explanations, as-of dates and identity come back unchanged', async () => {
    const ret = richReturn();
    const back = await roundTrip(ret, 'rich.xlsx');
    expect(back.ret.values).toEqual(normalizeValues(t, ret.values));
    expect(back.ret.explanations).toEqual(ret.explanations);
    expect(back.ret.asOf).toEqual({ staff: '2026-06-10' });
    expect(back.ret).toMatchObject({
      template: 'BC-CX',
      templateVersion: 1,
      unit: '11948',
      period: '2026-Q2',
      revision: 1,
    });
    expect(back.identity).toEqual({
      ...meta,
      template: 'BC-CX',
      templateVersion: 1,
      unit: '11948',
      period: '2026-Q2',
      hash: valuesHash(t, ret),
    });
    expect(back.editedOutside).toBe(false);
  });

  it('round trip of the sample return of DOMAIN.md, and a return without revision takes it from the meta', async () => {
    const ret = sampleReturn();
    delete ret.revision;
    const back = await readPackage(
      await writePackage({ template: t, ret, unit, meta: { ...meta, revision: 3, submittedBy: null } }),
      templates(t),
    );
    expect(back.ret.values).toEqual(normalizeValues(t, ret.values));
    expect(back.ret.asOf).toEqual({});
    expect(back.ret.revision).toBe(3);
    expect(back.identity.revision).toBe(3);
    expect(back.identity.submittedBy).toBeNull();
    expect(back.editedOutside).toBe(false);
  });

  it('lays the workbook out from the template: one sheet per biểu, formulas with cached values, inputs unlocked, protection on', async () => {
    const ret = richReturn();
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load((await writePackage({ template: t, ret, unit, meta })) as unknown as ExcelJS.Buffer);
    const visible = wb.worksheets.filter((w) => w.state === 'visible').map((w) => w.name);
    expect(visible).toEqual([...t.sections.map((s) => s.code), 'Giải trình']);
    const map = readCellMap(wb);
    const cellOf = (path: string) => {
      const r = map.find((x) => x.key === path)!;
      return wb.getWorksheet(r.sheet)!.getCell(r.address);
    };
    // Inputs: unlocked, with the Vietnamese presentation of options.
    expect(cellOf('unit_info.unit_class').value).toBe('Loại III');
    expect(cellOf('unit_info.coastal_or_island').value).toBe('Có');
    expect(cellOf('hq.sites.1.used_by').value).toBe(
      'Đảng ủy; HĐND, UBND; MTTQ và đoàn thể; Trung tâm Phục vụ hành chính công',
    );
    expect(cellOf('unit_info.area_km2').protection?.locked).toBe(false);
    expect(cellOf('unit_info.area_km2').numFmt).toBe('[$-42A]#,##0.00'); // Vietnamese separators in LibreOffice whatever the machine's language
    expect(cellOf('staff.nhdkct_total').dataValidation).toMatchObject({
      type: 'whole',
      operator: 'greaterThanOrEqual',
    });
    expect(cellOf('unit_info.unit_class').dataValidation).toMatchObject({ type: 'list' });
    // Computed cells: formulas whose cached values are computeView's.
    const view = computeView(t, ret.values, 2026);
    const proc = wb.getWorksheet('Biểu 05')!;
    const formulas: { f: string; r: unknown }[] = [];
    proc.eachRow((row) =>
      row.eachCell((c) => {
        const v = c.value as ExcelJS.CellFormulaValue;
        if (v && typeof v === 'object' && 'formula' in v) formulas.push({ f: v.formula, r: v.result });
      }),
    );
    const total = (view.procedures!.fields as Record<string, Record<string, number>>).total!;
    expect(formulas.some((x) => /^SUM\(C\d+:C\d+\)$/.test(x.f) && x.r === total.carried_over)).toBe(true); // total row
    expect(formulas.some((x) => x.f.startsWith('SUM(C') && x.r === 2 + 140 + 35)).toBe(true); // received_total of ho_tich
    expect(formulas.some((x) => x.f.startsWith('IF(N(') && Math.abs(Number(x.r) - total.on_time_rate!) < 1e-12)).toBe(
      true,
    );
    expect(total.received_total).toBe(177 + 30);
    const sheet1 = wb.getWorksheet('Biểu 01')!;
    expect(sheet1.getCell('A1').value).toBe('CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM');
    expect(sheet1.getCell('A1').font?.name).toBe('Times New Roman');
    expect(sheet1.pageSetup).toMatchObject({ paperSize: 9, fitToWidth: 1 });
    expect(wb.getWorksheet('Biểu 05')!.pageSetup.orientation).toBe('landscape');
    expect((sheet1 as unknown as { sheetProtection: { sheet: boolean } }).sheetProtection.sheet).toBe(true);
    // The area band is computed, in the row after one_stop_area_m2.
    const bandCell = sheet1.getCell(
      cellOf('unit_info.one_stop_area_m2').row + 1,
      cellOf('unit_info.one_stop_area_m2').col,
    ).value as ExcelJS.CellFormulaValue;
    expect(bandCell.formula).toMatch(/^IF\(ISNUMBER\(/);
    expect(bandCell.result).toBe('80 đến dưới 100 m²');
  });

  it('a cell edited in Excel comes back; the package is flagged as edited outside the app', async () => {
    const original = await writePackage({ template: t, ret: richReturn(), unit, meta });
    const edited = await editInExcel(original, (set) => {
      set('staff.nhdkct_total', 30);
      set('unit_info.unit_class', 'Loại I');
      set('unit_info.former_district_seat', 'Có');
      set('staff.recruited', 'hai'); // text typed in a count: kept as text so validation reports it
      set('vehicles.cars.4.plate', '15C-111.22'); // a car added in a spare row, after a blank one
      set('vehicles.cars.4.status', 'Chờ thanh lý');
      set('hq.sites.0.used_by', 'Đảng ủy; HĐND, UBND');
      set('procedures.fields.khac.new_online', 7);
      set('explanation:staff.present_over_quota:government', 'Giải trình sửa trong Excel.');
    });
    const back = await readPackage(edited, templates(t));
    const v = back.ret.values;
    expect(v.staff!.nhdkct_total).toBe(30);
    expect(v.unit_info!.unit_class).toBe('I');
    expect(v.unit_info!.former_district_seat).toBe(true);
    expect(v.staff!.recruited).toBe('hai');
    expect(v.vehicles!.cars).toEqual([
      ...(richReturn().values.vehicles!.cars as object[]),
      { plate: '15C-111.22', status: 'disposal' },
    ]);
    expect((v.hq!.sites as { used_by: string[] }[])[0]!.used_by).toEqual(['party', 'council_committee']);
    expect((v.procedures!.fields as Record<string, Record<string, number>>).khac).toEqual({ new_online: 7 });
    expect(back.ret.explanations).toEqual({ 'staff.present_over_quota:government': 'Giải trình sửa trong Excel.' });
    expect(back.editedOutside).toBe(true);
    expect(back.identity.hash).toBe(valuesHash(t, richReturn()));
  });

  it('a cell emptied in Excel is gone; an as-of date changed in Excel comes back', async () => {
    const edited = await editInExcel(await writePackage({ template: t, ret: richReturn(), unit, meta }), (set) => {
      set('unit_info.population', null);
      set('asOf:hq', new Date(Date.UTC(2026, 5, 1)));
    });
    const back = await readPackage(edited, templates(t));
    expect(back.ret.values.unit_info!.population).toBeUndefined();
    expect(back.ret.asOf).toEqual({ staff: '2026-06-10', hq: '2026-06-01' });
    expect(back.editedOutside).toBe(true);
  });

  it('text that looks like a formula is written and read back as text, never as a formula', async () => {
    const ret = sampleReturn();
    ret.values.unit_info!.preparer = '=1+1';
    ret.values.unit_info!.head = '@SUM(A1)';
    ret.values.unit_info!.preparer_phone = '+84 225 3123 456 _x000A_'; // an OOXML escape typed as text stays text
    (ret.values.vehicles!.cars as Record<string, unknown>[])[0]!.plate = '-15A';
    ret.values.staff!.recruited = '=HYPERLINK("http://x")'; // even where a number belongs
    ret.explanations = { 'hq.many_sites': '=2*3' };
    const data = await writePackage({ template: t, ret, unit, meta });
    const zip = await JSZip.loadAsync(data);
    const strings = await zip.file('xl/sharedStrings.xml')!.async('string');
    expect(strings).toContain('=1+1');
    for (const name of Object.keys(zip.files).filter((n) => /^xl\/worksheets\/sheet\d+\.xml$/.test(n))) {
      const xml = await zip.file(name)!.async('string');
      for (const f of xml.match(/<f>[^<]*<\/f>/g) ?? []) expect(f).not.toMatch(/1\+1|SUM\(A1\)|HYPERLINK|2\*3/);
    }
    const back = await readPackage(data, templates(t));
    expect(back.ret.values.unit_info).toMatchObject({
      preparer: '=1+1',
      head: '@SUM(A1)',
      preparer_phone: '+84 225 3123 456 _x000A_',
    });
    expect((back.ret.values.vehicles!.cars as Record<string, unknown>[])[0]!.plate).toBe('-15A');
    expect(back.ret.values.staff!.recruited).toBe('=HYPERLINK("http://x")');
    expect(back.ret.explanations).toEqual({ 'hq.many_sites': '=2*3' });
    expect(back.editedOutside).toBe(false);
  });

  it('refuses what is not a package, with a Vietnamese message saying what to do', async () => {
    await expectAppError(readPackage(Buffer.from('Đây không phải là tệp Excel'), templates(t)), 'corrupt_file');
    await expectAppError(readPackage(new Uint8Array(0), templates(t)), 'corrupt_file');
    const data = await writePackage({ template: t, ret: sampleReturn(), unit, meta });
    await expectAppError(readPackage(data.subarray(0, Math.floor(data.length / 2)), templates(t)), 'corrupt_file');
    const xls = Buffer.from('d0cf11e0a1b11ae1000000000000000000000000', 'hex');
    expect((await expectAppError(readPackage(xls, templates(t)), 'corrupt_file')).message).toMatch(/\.xls/);

    const plain = new ExcelJS.Workbook();
    plain.addWorksheet('Sheet1').getCell('A1').value = 'Báo cáo quý II';
    await expectAppError(readPackage(Buffer.from(await plain.xlsx.writeBuffer()), templates(t)), 'not_a_package');
  });

  it('refuses to write a return under another unit or with a bad period', async () => {
    await expectAppError(
      writePackage({ template: t, ret: sampleReturn(), unit: loadUnit('11560'), meta }),
      'invalid_input',
    );
    await expectAppError(
      writePackage({ template: t, ret: { ...sampleReturn(), period: '2026-Q5' }, unit, meta }),
      'invalid_input',
    );
  });

  it('refuses a package of a template version this app does not know', async () => {
    const v2: Template = { ...t, version: 2 };
    const ret = { ...sampleReturn(), templateVersion: 2 };
    const file = join(dir, 'v2.xlsx');
    writeFileSync(file, await writePackage({ template: v2, ret, unit, meta }));
    const e = await expectAppError(readPackage(readFileSync(file), templates(t)), 'wrong_template');
    expect(e.message).toBe(
      'Tệp được lập theo mẫu BC-CX phiên bản 2, ứng dụng này chỉ đọc phiên bản 1. Hãy cập nhật ứng dụng.',
    );
    const other = await expectAppError(
      readPackage(readFileSync(file), () => undefined),
      'wrong_template',
    );
    expect(other.message).toMatch(/không có mẫu BC-CX/);
  });

  it('valuesHash ignores what normalisation ignores and sees every value', () => {
    const ret = sampleReturn();
    const h = valuesHash(t, ret);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    const same = structuredClone(ret);
    same.values.unit_info!.preparer = '  Nguyễn Văn A ';
    (same.values.staff!.departures as Record<string, object>).nd170 = {};
    same.explanations = { x: '  ' };
    expect(valuesHash(t, same)).toBe(h);
    const other = structuredClone(ret);
    other.values.staff!.recruited = 1;
    expect(valuesHash(t, other)).not.toBe(h);
    expect(valuesHash(t, { ...ret, asOf: { hq: '2026-06-01' } })).not.toBe(h);
    expect(valuesHash(t, { ...ret, explanations: { a: 'b' } })).not.toBe(h);
  });
});
