/**
 * Issue 8 item 4 (applicability by unit): the unit list's extra columns are the units' attributes
 * (Unit.attributes), from the shipped haiphong.csv (co_hdnd: 0 for Bạch Long Vĩ only) through the
 * database (0009_h_unit_attributes), the city's import (CSV and XLSX, a header such as "Có HĐND"),
 * its preview of changes and its CSV download, to which sections of a template apply to a unit.
 * Real SQLite files in a temp dir, real .xlsx written by ExcelJS.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterEach, describe, expect, it } from 'vitest';
import type { Core } from '../../core/handlers.js';
import { migrations, openDatabase } from '../../core/db.js';
import { attributeKey, parseUnitCsv } from '../../core/resources.js';
import { notApplicable } from '../../shared/index.js';
import type { Template } from '../../shared/index.js';
import { call, openCore } from '../helpers/core.js';
import { resourcesDir, tempDir } from '../helpers/sample.js';
import { asFile } from '../helpers/city-packages.js';

let tmp: ReturnType<typeof tempDir> | undefined;
let core: Core | undefined;
afterEach(async () => {
  await core?.close();
  core = undefined;
  tmp?.cleanup();
  tmp = undefined;
});

const BACH_LONG_VI = '11948';
const shippedCsv = () => readFileSync(path.join(resourcesDir, 'units', 'haiphong.csv'), 'utf8');

async function cityCore(): Promise<Core> {
  tmp = tempDir('i8-attrs-');
  core = await openCore(tmp.file('city.sqlite'));
  await call(core, 'app.setup', { role: 'city' });
  return core;
}

async function xlsxOf(rows: (string | number)[][]): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('Danh mục');
  for (const r of rows) ws.addRow(r);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

describe('the shipped unit list', () => {
  it('has co_hdnd for every unit: 1 for 113, 0 for the đặc khu Bạch Long Vĩ (no HĐND)', () => {
    const units = parseUnitCsv(shippedCsv());
    expect(units).toHaveLength(114);
    expect(units.every((u) => u.attributes && Object.keys(u.attributes).join() === 'co_hdnd')).toBe(true);
    expect(units.filter((u) => u.attributes!.co_hdnd === '0').map((u) => u.code)).toEqual([BACH_LONG_VI]);
    expect(units.filter((u) => u.attributes!.co_hdnd === '1')).toHaveLength(113);
  });

  it('names a column by its header without accents: "Có HĐND" → co_hdnd; a header of no letters gives no name', () => {
    expect(attributeKey('Có HĐND')).toBe('co_hdnd');
    expect(attributeKey(' co_bqlda ')).toBe('co_bqlda');
    expect(attributeKey('Trung tâm chính trị')).toBe('trung_tam_chinh_tri');
    expect(attributeKey('123')).toBeNull();
    expect(attributeKey('')).toBeNull();
  });
});

describe('unit attributes in a database', () => {
  it('a new database keeps them: units.list gives them, the CSV download carries the column and reads back unchanged', async () => {
    const c = await cityCore();
    const list = await call(c, 'units.list', {});
    const blv = list.units.find((u) => u.code === BACH_LONG_VI)!;
    expect(blv.attributes).toEqual({ co_hdnd: '0' });
    expect(list.units.filter((u) => u.attributes?.co_hdnd === '1')).toHaveLength(113);
    const versions = await call(c, 'units.versions', {});
    expect(versions[0]!.attributes).toEqual(['co_hdnd']);

    const exported = Buffer.from((await call(c, 'units.export', {})).data, 'base64');
    const lines = exported.toString('utf8').slice(1).trimEnd().split('\r\n');
    expect(lines[0]).toBe('code,type,name,first_period,co_hdnd');
    expect(lines).toContain(`${BACH_LONG_VI},đặc khu,Đặc khu Bạch Long Vĩ,,0`);
    const back = await call(c, 'units.import', { file: asFile({ fileName: 'tai-ve.csv', bytes: exported }), dryRun: true });
    expect(back).toMatchObject({ count: 114, added: [], removed: [], renamed: [], attributes: [] });
  });

  it('the city imports a list with more attribute columns (XLSX, Vietnamese headers): previewed, stored, and they decide what applies', async () => {
    const c = await cityCore();
    const units = (await call(c, 'units.list', {})).units;
    // The city adds "Có BQLDA" and changes nothing else; a unit without a value in a column has no such attribute.
    const rows: (string | number)[][] = [['Mã', 'Loại', 'Tên', 'Có HĐND', 'Có BQLDA']];
    units.forEach((u, i) => rows.push([u.code, u.type, u.name, u.attributes!.co_hdnd!, i < 48 ? 'x' : '']));
    const bytes = await xlsxOf(rows);
    const preview = await call(c, 'units.import', { file: asFile({ fileName: 'danh-muc-bqlda.xlsx', bytes }), dryRun: true });
    expect(preview).toMatchObject({ dryRun: true, count: 114, added: [], removed: [], renamed: [] });
    expect(preview.attributes).toHaveLength(48);
    expect(preview.attributes![0]).toMatchObject({ code: units[0]!.code, after: { co_hdnd: units[0]!.attributes!.co_hdnd, co_bqlda: 'x' } });
    expect((await call(c, 'units.list', {})).units.some((u) => u.attributes?.co_bqlda)).toBe(false); // a preview changes nothing

    await call(c, 'units.import', { file: asFile({ fileName: 'danh-muc-bqlda.xlsx', bytes }) });
    const after = (await call(c, 'units.list', {})).units;
    expect(after.filter((u) => u.attributes?.co_bqlda === 'x')).toHaveLength(48);
    expect(after.find((u) => u.code === BACH_LONG_VI)!.attributes!.co_hdnd).toBe('0');
    const current = (await call(c, 'units.versions', {})).find((v) => v.current)!;
    expect(current.attributes).toEqual(['co_hdnd', 'co_bqlda']);

    // What a template's appliesTo reads: a section for units with a HĐND, an item for units with a BQLDA.
    const t = {
      sections: [
        { key: 'hdnd', appliesTo: { attribute: 'co_hdnd' }, items: [{ key: 'nq' }] },
        { key: 'dau_tu', items: [{ key: 'bqlda', appliesTo: { attribute: 'co_bqlda' } }, { key: 'khac' }] },
      ],
    } as unknown as Template;
    const blv = after.find((u) => u.code === BACH_LONG_VI)!;
    const withBoard = after.find((u) => u.attributes?.co_bqlda === 'x' && u.code !== BACH_LONG_VI)!;
    expect([...notApplicable(t, blv)].sort()).toEqual(blv.attributes?.co_bqlda ? ['hdnd'] : ['dau_tu.bqlda', 'hdnd']);
    expect([...notApplicable(t, withBoard)]).toEqual([]);
  });

  it('two columns that give the same attribute are refused with both headers named; nothing changes', async () => {
    const c = await cityCore();
    const csv = Buffer.from('code,type,name,co_hdnd,Có HĐND\r\n11948,đặc khu,Đặc khu Bạch Long Vĩ,0,0\r\n');
    await expect(call(c, 'units.import', { file: asFile({ fileName: 'trung-cot.csv', bytes: csv }) })).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringMatching(/hai cột cùng tên "co_hdnd" và "Có HĐND"/),
    });
    expect((await call(c, 'units.list', {})).units).toHaveLength(114);
  });

  it('a database of today\'s main (before 0009, its shipped list without attributes) gets the column and the shipped attributes on open', async () => {
    tmp = tempDir('i8-attrs-old-');
    const file = tmp.file('commune.sqlite');
    const before = Object.fromEntries(Object.entries(migrations).filter(([name]) => name < '0009'));
    const old = await openDatabase(file, { migrations: before });
    // The shipped list as the old app stored it: the same units, no attribute column.
    const units = parseUnitCsv(shippedCsv());
    old.sqlite.prepare(`INSERT INTO unit_list_versions (version, source, loaded_at, is_current) VALUES ('haiphong-cu', 'haiphong.csv', '2026-05-01T00:00:00Z', 1)`).run();
    const ins = old.sqlite.prepare(`INSERT INTO units (list_version, code, type, name, first_period) VALUES ('haiphong-cu', ?, ?, ?, NULL)`);
    for (const u of units) ins.run(u.code, u.type, u.name);
    expect(old.sqlite.prepare(`SELECT name FROM pragma_table_info('units')`).all().map((r) => (r as { name: string }).name)).not.toContain('attributes_json');
    await old.close();

    core = await openCore(file);
    const list = await call(core, 'units.list', {});
    expect(list.version).toBe('haiphong-cu'); // the same list, not replaced
    expect(list.units).toHaveLength(114);
    expect(list.units.find((u) => u.code === BACH_LONG_VI)!.attributes).toEqual({ co_hdnd: '0' });
    expect(list.units.filter((u) => u.attributes?.co_hdnd === '1')).toHaveLength(113);
  });
});
