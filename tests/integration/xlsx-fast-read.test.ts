/**
 * The fast guarded reader (readPackage) gives exactly what the ExcelJS reader gives (the reference,
 * readPackageWithExcelJS): same return, identity and edited-outside flag, on real .xlsx files —
 * our packages, a package with every input cell filled, packages re-saved by LibreOffice, packages
 * edited with ExcelJS (as a person would in Excel), variants written the way other tools write
 * (inline strings, namespace prefixes, CR LF, comments), and the 114 generated returns of the city.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Column, ReturnJson, Template, Values } from '../../shared/index.js';
import { inputColumns, periodWindow, parsePeriod } from '../../shared/index.js';
import { readPackage, readPackageWithExcelJS, writePackage } from '../../core/xlsx/index.js';
import { readCellMap } from '../../core/xlsx/read.js';
import { loadTemplate, loadUnit, meta, sampleReturn, templates } from '../fixtures/xlsx/sample.js';
import { cityReturns, haiphongUnits } from '../helpers/city-returns.js';
import { partsOf, rezip, text } from '../helpers/hostile.js';

const t = loadTemplate();
const unit = loadUnit('11948');
const dir = mkdtempSync(join(tmpdir(), 'xlsx-fast-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Both readers on the same bytes must agree; returns the fast reader's result. */
async function sameAsExcelJS(bytes: Uint8Array, template: Template = t) {
  const fast = await readPackage(bytes, templates(template));
  const reference = await readPackageWithExcelJS(bytes, templates(template));
  expect(fast).toStrictEqual(reference);
  return fast;
}

const TRICKY_TEXT = 'Nhà "văn hóa" & <kho> _x000D_ kho_x1_ _X000A_ a\tb 😀';

/** A return with every input cell of the template filled (repeat tables with several rows), every as-of date and explanations. */
function everyCellFilled(template: Template): ReturnJson {
  const sample = (c: Pick<Column, 'type' | 'options' | 'year'>, i: number): unknown => {
    switch (c.type) {
      case 'integer':
        return c.year ? 2010 + (i % 10) : 100 + i;
      case 'decimal':
        return 12.34 + i;
      case 'rate':
        return 0.5;
      case 'text':
        return `${TRICKY_TEXT} ${i}`;
      case 'boolean':
        return i % 2 === 0;
      case 'enum':
        return c.options![i % c.options!.length]!.value;
      case 'multi':
        return c.options!.slice(0, 1 + (i % c.options!.length)).map((o) => o.value);
    }
  };
  const values: Values = {};
  let i = 0;
  for (const s of template.sections) {
    const sv: Record<string, unknown> = (values[s.key] = {});
    for (const item of s.items) {
      if (item.kind === 'field') sv[item.key] = sample(item, i++);
      else if (item.kind === 'table')
        sv[item.key] = Object.fromEntries(
          item.rows.map((r) => [r.key, Object.fromEntries(inputColumns(item).map((c) => [c.key, sample(c, i++)]))]),
        );
      else if (item.kind === 'repeat')
        sv[item.key] = Array.from({ length: Math.min(item.maxRows, 7) }, () =>
          Object.fromEntries(inputColumns(item).map((c) => [c.key, sample(c, i++)])),
        );
    }
  }
  const end = periodWindow(parsePeriod('2026-Q2')!).end;
  return {
    template: template.id,
    templateVersion: template.version,
    unit: unit.code,
    period: '2026-Q2',
    revision: 2,
    values,
    explanations: { 'staff.present_over_quota:government': `Giải trình ${TRICKY_TEXT}`, 'hq.many_sites': '=2*3' },
    asOf: Object.fromEntries(template.sections.map((s, k) => [s.key, k % 2 ? end : `2026-06-0${k + 1}`])),
  };
}

/** Open a package with ExcelJS, change input cells by path (as a person would in Excel), save it. */
async function editWithExcelJS(data: Buffer, edits: Record<string, ExcelJS.CellValue>): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(data as unknown as ExcelJS.Buffer);
  const map = readCellMap(wb);
  for (const [path, value] of Object.entries(edits)) {
    const ref = map.find((r) => r.kind === 'value' && r.key === path) ?? map.find((r) => `${r.kind}:${r.key}` === path);
    if (!ref) throw new Error(`no input cell ${path}`);
    wb.getWorksheet(ref.sheet)!.getCell(ref.address).value = value;
  }
  return Buffer.from(await wb.xlsx.writeBuffer());
}

describe('fast reader = ExcelJS reader', () => {
  it('the sample package of DOMAIN.md', async () => {
    const back = await sameAsExcelJS(await writePackage({ template: t, ret: sampleReturn(), unit, meta }));
    expect(back.editedOutside).toBe(false);
    expect(back.ret.values.unit_info!.preparer).toBe('Nguyễn Văn A');
  });

  it('a package with every input cell filled, tricky texts and every as-of date', async () => {
    const ret = everyCellFilled(t);
    const back = await sameAsExcelJS(await writePackage({ template: t, ret, unit, meta: { ...meta, revision: 2 } }));
    expect(back.editedOutside).toBe(false);
    expect(back.ret.explanations!['hq.many_sites']).toBe('=2*3');
    expect(JSON.stringify(back.ret.values)).toContain(JSON.stringify(`${TRICKY_TEXT} `).slice(1, -1));
    expect(Object.keys(back.ret.asOf!).length).toBeGreaterThan(0);
  });

  it('a package edited with ExcelJS: changed cells, text in a number cell, formula-looking text kept as text', async () => {
    const original = await writePackage({
      template: t,
      ret: { ...sampleReturn(), explanations: { 'hq.many_sites': 'Cũ' } },
      unit,
      meta,
    });
    const edited = await editWithExcelJS(original, {
      'staff.nhdkct_total': 31,
      'staff.recruited': 'hai', // text in a count: kept as text, validation reports it
      'unit_info.preparer': '=1+1', // typed as text, never evaluated
      'unit_info.head': '@SUM(A1)',
      'unit_info.preparer_phone': '+84 225 3123 456',
      'vehicles.cars.0.plate': '-15A',
      'unit_info.unit_class': 'Loại I',
      'unit_info.former_district_seat': true, // a real boolean where "Có"/"Không" is shown
      'hq.sites.0.name': { richText: [{ text: 'Trụ sở ' }, { font: { bold: true }, text: 'in đậm' }] },
      'hq.sites.1.name': { text: 'Nhà văn hóa', hyperlink: 'http://example.com' },
      'procedures.fields.khac.new_online': { formula: '2+3', result: 5 } as ExcelJS.CellFormulaValue, // its shown value
      'procedures.fields.y_te.new_online': { error: '#N/A' } as ExcelJS.CellErrorValue,
      'asOf:hq': new Date(Date.UTC(2026, 5, 1)),
      'explanation:hq.many_sites': 'Giải trình sửa trong Excel.',
    });
    const back = await sameAsExcelJS(edited);
    expect(back.editedOutside).toBe(true);
    const v = back.ret.values;
    expect(v.unit_info).toMatchObject({
      preparer: '=1+1',
      head: '@SUM(A1)',
      preparer_phone: '+84 225 3123 456',
      unit_class: 'I',
      former_district_seat: true,
    });
    expect(v.staff).toMatchObject({ nhdkct_total: 31, recruited: 'hai' });
    expect((v.vehicles!.cars as Record<string, unknown>[])[0]!.plate).toBe('-15A');
    expect((v.hq!.sites as Record<string, unknown>[])[0]!.name).toBe('Trụ sở in đậm');
    expect((v.procedures!.fields as Record<string, Record<string, unknown>>).khac!.new_online).toBe(5);
    expect(back.ret.asOf).toEqual({ hq: '2026-06-01' });
    expect(back.ret.explanations).toEqual({ 'hq.many_sites': 'Giải trình sửa trong Excel.' });
  });

  it('the 114 generated returns of the city', async () => {
    const units = new Map(haiphongUnits().map((u) => [u.code, u]));
    const returns = cityReturns();
    expect(returns).toHaveLength(114);
    for (const ret of returns) {
      const bytes = await writePackage({ template: t, ret, unit: units.get(ret.unit)!, meta });
      const back = await sameAsExcelJS(bytes);
      expect(back.editedOutside).toBe(false);
      expect(back.identity.unit).toBe(ret.unit);
    }
  });
});

describe('files written the way other tools write them read back the same', () => {
  let pkg: Buffer;
  let reference: Awaited<ReturnType<typeof readPackage>>;
  beforeAll(async () => {
    pkg = await writePackage({ template: t, ret: sampleReturn(), unit, meta });
    reference = await readPackageWithExcelJS(pkg, templates(t));
  });
  const sheets = (parts: Record<string, Uint8Array>) =>
    Object.keys(parts).filter((n) => /^xl\/worksheets\/sheet\d+\.xml$/.test(n));

  it('inline strings instead of shared strings (t="inlineStr")', async () => {
    const parts = partsOf(pkg);
    const strings = [...text(parts['xl/sharedStrings.xml']!).matchAll(/<si>([\s\S]*?)<\/si>/g)].map((m) => m[1]!);
    const changes = Object.fromEntries(
      sheets(parts).map((n) => [
        n,
        text(parts[n]!).replace(
          /<c ([^>]*?)t="s"([^>]*)><v>(\d+)<\/v><\/c>/g,
          (_, a: string, b: string, i: string) => `<c ${a}t="inlineStr"${b}><is>${strings[Number(i)]}</is></c>`,
        ),
      ]),
    );
    const back = await readPackage(rezip(parts, { ...changes, 'xl/sharedStrings.xml': null }), templates(t));
    expect(back).toStrictEqual(reference);
  });

  it('a namespace prefix on every element, single-quoted attributes, CR LF line ends, comments, CDATA and character references', async () => {
    const parts = partsOf(pkg);
    const prefixed = (xml: string) =>
      xml
        .replace(/<(\/?)([A-Za-z]\w*)([\s>/])/g, '<$1x:$2$3')
        .replace(/xmlns="/, 'xmlns:x="')
        .replace(/ (r|s|t)="([^"]*)"/g, " $1='$2'")
        .replace(/<\/x:row>/g, '</x:row>\r\n<!-- a comment <c r="A1"><v>9</v></c> -->');
    const changes: Record<string, string> = Object.fromEntries(
      sheets(parts).map((n) => [n, prefixed(text(parts[n]!))]),
    );
    changes['xl/sharedStrings.xml'] = prefixed(text(parts['xl/sharedStrings.xml']!)).replace(
      '<x:t>Nguyễn Văn A</x:t>',
      '<x:t><![CDATA[Nguyễn]]> V&#x103;n&#32;A</x:t>',
    );
    changes['xl/workbook.xml'] = prefixed(text(parts['xl/workbook.xml']!));
    const back = await readPackage(rezip(parts, changes), templates(t));
    expect(back).toStrictEqual(reference);
  });
});

const SOFFICE = process.env.SOFFICE_PATH ?? '/usr/bin/soffice';
const soffice = existsSync(SOFFICE);
if (!soffice)
  console.warn(
    `xlsx-fast-read: LibreOffice tests skipped: soffice not found at ${SOFFICE} (install libreoffice-calc or set SOFFICE_PATH).`,
  );

describe.skipIf(!soffice)('packages re-saved by LibreOffice', () => {
  const files: Record<string, ReturnJson> = {};
  beforeAll(async () => {
    const units = new Map(haiphongUnits().map((u) => [u.code, u]));
    const city = cityReturns()[7]!;
    const cases: [string, ReturnJson, ReturnType<typeof loadUnit>][] = [
      ['sample.xlsx', sampleReturn(), unit],
      ['full.xlsx', everyCellFilled(t), unit],
      ['city.xlsx', city, units.get(city.unit)!],
    ];
    for (const [name, ret, u] of cases) {
      writeFileSync(join(dir, name), await writePackage({ template: t, ret, unit: u, meta }));
      files[name] = ret;
    }
    mkdirSync(join(dir, 'lo'));
    execFileSync(
      SOFFICE,
      [
        `-env:UserInstallation=file://${join(dir, 'profile')}`,
        '--headless',
        '--norestore',
        '--convert-to',
        'xlsx',
        '--outdir',
        join(dir, 'lo'),
        ...cases.map((c) => join(dir, c[0])),
      ],
      { stdio: 'pipe', timeout: 180_000 },
    );
  }, 240_000);

  it.each(['sample.xlsx', 'full.xlsx', 'city.xlsx'])('%s', async (name) => {
    const resaved = readFileSync(join(dir, 'lo', name));
    const back = await sameAsExcelJS(resaved);
    // Re-saved without a change: the same values as written, not flagged as edited.
    const original = await readPackage(readFileSync(join(dir, name)), templates(t));
    expect(back.ret).toStrictEqual(original.ret);
    expect(back.editedOutside).toBe(false);
  });
});
