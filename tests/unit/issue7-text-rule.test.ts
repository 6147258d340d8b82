// Issue 7, items 4 and 5: one text rule for every path a text takes; every rule names the cell to fix.
import { describe, expect, it } from 'vitest';
import * as shared from '../../shared/index.js';
import { normalizeValues, parseTemplate, validate, type Values } from '../../shared/index.js';
import { q2, sampleValues, template } from './fixtures.js';

type TextRule = {
  cleanText: (s: string) => string;
  xmlSafeText: (s: string) => string;
  textProblem: (s: string) => { code: string; name: string } | null;
};
// Read through the module so that a main without the rule fails on the assertion, not on the import.
const rule = shared as unknown as Partial<TextRule>;
const cleanText = (s: string) => rule.cleanText!(s);
const xmlSafeText = (s: string) => rule.xmlSafeText!(s);
const textProblem = (s: string) => rule.textProblem!(s);

/** XML 1.0 Char production: what may appear in a package's XML. */
const xmlChar = /^(?:[\t\n\r\u0020-\uD7FF\uE000-\uFFFD]|[\uD800-\uDBFF][\uDC00-\uDFFF])*$/;

const LONE_HIGH = '\uD83D';
const LONE_LOW = '\uDE00';
const cases: [string, string, string, string][] = [
  // name, input, cleaned, code of the problem
  ['vertical tab (Word Shift+Enter)', 'Dòng 1\vDòng 2', 'Dòng 1\nDòng 2', 'U+000B'],
  ['form feed', 'Trang 1\fTrang 2', 'Trang 1\nTrang 2', 'U+000C'],
  ['NUL', 'Nguyễn\u0000 Văn A', 'Nguyễn Văn A', 'U+0000'],
  ['BEL', 'Trụ sở\u0007 UBND', 'Trụ sở UBND', 'U+0007'],
  ['ESC', 'Thôn\u001b 1', 'Thôn 1', 'U+001B'],
  ['lone high surrogate', `Xe ${LONE_HIGH}cũ`, 'Xe cũ', 'U+D83D'],
  ['lone low surrogate', `Xe ${LONE_LOW}cũ`, 'Xe cũ', 'U+DE00'],
  ['U+FFFE', 'Ghi chú\uFFFE', 'Ghi chú', 'U+FFFE'],
  ['U+FFFF', 'Ghi chú\uFFFF', 'Ghi chú', 'U+FFFF'],
  ['C1 control', 'Ghi\u0085 chú', 'Ghi\n chú', 'U+0085'],
  ['DEL', 'Ghi\u007f chú', 'Ghi chú', 'U+007F'],
];

describe('the one text rule (shared/text.ts)', () => {
  it.each(cases)('%s: cleaned where the meaning is clear, dropped otherwise, and named as a problem', (_name, input, cleaned, code) => {
    expect(cleanText(input)).toBe(cleaned);
    expect(xmlChar.test(cleanText(input))).toBe(true);
    expect(xmlChar.test(xmlSafeText(input))).toBe(true);
    expect(textProblem(input)?.code).toBe(code);
    expect(textProblem(input)?.name).toMatch(/ký tự/);
    expect(textProblem(cleanText(input))).toBeNull();
  });

  it('line breaks: CR LF and CR become LF, Unicode line and paragraph separators too', () => {
    expect(cleanText('a\r\nb\rc\u2028d\u2029e')).toBe('a\nb\nc\nd\ne');
    expect(xmlSafeText('a\r\nb\rc')).toBe('a\nb\nc');
    expect(textProblem('a\r\nb\tc')).toBeNull();
  });

  it('Vietnamese in decomposed form (NFD) becomes the composed form (NFC); invisible spaces go', () => {
    const nfd = 'Phường Hồng Bàng'.normalize('NFD');
    expect(nfd).not.toBe('Phường Hồng Bàng');
    expect(cleanText(nfd)).toBe('Phường Hồng Bàng');
    expect(cleanText('\uFEFFTrụ\u200B sở')).toBe('Trụ sở');
  });

  it('keeps ordinary Vietnamese text, emoji pairs and tabs as they are; idempotent', () => {
    for (const s of ['Nguyễn Văn A', 'Xe 😀 mới', 'a\tb', 'Dòng 1\nDòng 2', '']) {
      expect(cleanText(s)).toBe(s);
      expect(xmlSafeText(s)).toBe(s);
      expect(textProblem(s)).toBeNull();
    }
    for (const [, input] of cases) expect(cleanText(cleanText(input))).toBe(cleanText(input));
  });

  it('normalizeValues (what is frozen and hashed) applies the XML-safe part', () => {
    const v = sampleValues() as Values & { unit_info: Record<string, unknown> };
    v.unit_info.preparer = 'Nguyễn\u0000 Văn\v A\r\n';
    expect(normalizeValues(template, v).unit_info!.preparer).toBe('Nguyễn Văn\n A');
  });
});

describe('validation refuses a text that still holds such a character, naming the field', () => {
  const check = (v: Values, explanations?: Record<string, string>) =>
    validate(template, v, { period: q2, unitType: 'xã', explanations } as Parameters<typeof validate>[2]);

  it.each(cases)('%s in the preparer (a person\'s name), a building name and a plate', (_name, input, _c, code) => {
    const v = sampleValues() as Values & { unit_info: Record<string, unknown>; hq: { sites: Record<string, unknown>[] } };
    v.unit_info.preparer = input;
    v.hq.sites[0]!.name = input;
    const r = check(v);
    const preparer = r.errors.find((e) => e.id === 'cell:unit_info.preparer');
    expect(preparer?.path).toBe('unit_info.preparer');
    expect(preparer?.message).toContain('Biểu 01, Người lập biểu');
    expect(preparer?.message).toContain(code);
    expect(preparer?.message).toMatch(/Hãy xóa ký tự đó/);
    const site = r.errors.find((e) => e.id === 'cell:hq.sites.0.name');
    expect(site?.path).toBe('hq.sites.0.name');
    expect(site?.row).toBe('hq.sites.0');
  });

  it('an explanation (giải trình) holding a vertical tab is an error at its warning\'s cell', () => {
    const v = sampleValues() as Values & { vehicles: { cars: Record<string, unknown>[] } };
    v.vehicles.cars[0]!.plate = 'XYZ';
    const r = check(v, { 'vehicles.plate_format:1': 'Xe chuyên dùng,\vbiển số tạm.' });
    const e = r.errors.find((x) => x.id === 'explain:vehicles.plate_format:1');
    expect(e?.path).toBe('vehicles.cars.0.plate');
    expect(e?.message).toMatch(/^Giải trình cho cảnh báo "Biểu 04, .*Biển kiểm soát": có ký tự xuống dòng dọc/);
  });
});

describe('every rule names the cell to fix (item 5)', () => {
  const check = (v: Values) => validate(template, v, { period: q2, unitType: 'xã' });

  it('year_in_use before year_made is reported at vehicles.cars.0.year_in_use, with its row', () => {
    const v = sampleValues() as Values & { vehicles: { cars: Record<string, unknown>[] } };
    Object.assign(v.vehicles.cars[0]!, { year_made: 2016, year_in_use: 2015 });
    const e = check(v).errors.find((x) => x.id === 'vehicles.year_order:1');
    expect(e).toMatchObject({ path: 'vehicles.cars.0.year_in_use', cell: 'vehicles.cars.0.year_in_use', row: 'vehicles.cars.0' });
  });

  it('unique and pattern rules name the column cell', () => {
    const v = sampleValues() as Values & { vehicles: { cars: Record<string, unknown>[] } };
    v.vehicles.cars.push({ ...v.vehicles.cars[0]! });
    v.vehicles.cars[0]!.plate = 'XYZ';
    v.vehicles.cars[1]!.plate = 'XYZ';
    const r = check(v);
    expect(r.errors.find((x) => x.id === 'vehicles.plate_unique:2')?.path).toBe('vehicles.cars.1.plate');
    expect(r.warnings.find((x) => x.id === 'vehicles.plate_format:1')?.path).toBe('vehicles.cars.0.plate');
  });

  it('a compare rule without a target names the last cell it reads; a target that is not a column is refused', () => {
    const json = structuredClone(template) as unknown as { rules: Record<string, unknown>[] };
    const order = json.rules.find((r) => r.id === 'vehicles.year_order')!;
    delete order.target;
    const t2 = parseTemplate(json);
    const v = sampleValues() as Values & { vehicles: { cars: Record<string, unknown>[] } };
    Object.assign(v.vehicles.cars[0]!, { year_made: 2016, year_in_use: 2015 });
    expect(validate(t2, v, { period: q2, unitType: 'xã' }).errors.find((x) => x.id === 'vehicles.year_order:1')?.path).toBe(
      'vehicles.cars.0.year_in_use',
    );
    order.target = 'no_such_column';
    expect(() => parseTemplate(json)).toThrow(/target no_such_column is not a column of vehicles.cars/);
  });

  it('every issue of every kind names a cell that exists in the template', () => {
    const v = sampleValues() as Values & Record<string, Record<string, unknown>>;
    Object.assign((v.vehicles!.cars as Record<string, unknown>[])[0]!, { year_made: 2030, year_in_use: 2029, plate: 'X' });
    (v.procedures!.fields as Record<string, Record<string, number>>).ho_tich!.done_late = 9;
    v.staff!.nhdkct_leave_paid = 99;
    v.unit_info!.population = 1;
    const r = validate(template, v, { period: q2, unitType: 'xã', previous: sampleValues() });
    const all = [...r.errors, ...r.warnings];
    expect(all.length).toBeGreaterThan(5);
    for (const i of all) {
      expect(i.path).toBe(i.cell);
      const [sk, ik] = i.path.split('.');
      expect(template.sections.find((s) => s.key === sk)?.items.some((it) => it.key === ik)).toBe(true);
      if (i.row) expect(i.path.startsWith(`${i.row}.`)).toBe(true);
    }
  });
});
