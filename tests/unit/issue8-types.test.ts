import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePeriod, parseTemplate, validate, type Values } from '../../shared/index.js';
import { normalizeValues } from '../../shared/template/normalize.js';
import { checkCell, ruleReads } from '../../shared/template/rules.js';
import type { UnitFacts } from '../../shared/template/applies.js';
import { formatMoney } from '../../shared/format.js';
import { showValue, specAt } from '../../renderer/editor/display.js';
import { cleanDraft } from '../../renderer/editor/clean.js';

/**
 * Issue 8, item 4: the new value types (long text, date, money, file, rate with what it is of) and
 * applicability (appliesTo by unit type and by a unit-list attribute) in validation, the values'
 * normal form and the way values are shown (diff, conflicts, history, print).
 */

const template = parseTemplate(
  JSON.parse(readFileSync(path.join(import.meta.dirname, '../fixtures/templates/issue8-types.json'), 'utf8')),
);
const q3 = parsePeriod('2026-Q3')!;
const PHUONG: UnitFacts = { type: 'phường', attributes: {} };
const XA_VEN_BIEN: UnitFacts = { type: 'xã', attributes: { ven_bien: '1' } };
const DAC_KHU: UnitFacts = { type: 'đặc khu', attributes: { ven_bien: 'có' } };
const SHA = 'a'.repeat(64);

/** A complete return of a phường (no coast): valid as it stands. */
function complete(): Values {
  return {
    chung: {
      ngay_qd: '2026-07-01',
      kinh_phi: 1_500_000,
      du_toan: 12.5,
      quyet_dinh: { name: 'quyet-dinh.pdf', size: 120_000, mime: 'application/pdf', sha256: SHA },
      so_ho_so: 1200,
      dung_han: 1174,
      to_dan_pho: 42,
    },
    danh_gia: {
      ket_qua: 'Bộ máy vận hành ổn định.\nGiải quyết 1.200 hồ sơ, 97,8% đúng hạn.',
      chi_tiet: [{ noi_dung: 'Mua máy quét', so_tien: 45.25, ngay_chi: '2026-08-12', ghi_chu: 'Theo dự toán\nđã duyệt' }],
    },
  };
}
const run = (values: Values, unit?: UnitFacts) => validate(template, values, { period: q3, unitType: unit?.type, unit });
const byCell = (issues: { cell: string; message: string }[]) => Object.fromEntries(issues.map((i) => [i.cell, i.message]));

describe('a complete return of every new type', () => {
  it('has no errors and no warnings for a phường', () => {
    const r = run(complete(), PHUONG);
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
  });
});

describe('long text', () => {
  it('keeps line breaks, accepts up to 4,000 characters by default and refuses more, naming the limit', () => {
    const v = complete();
    v.danh_gia!.kien_nghi = 'x'.repeat(4000);
    expect(run(v, PHUONG).errors).toEqual([]);
    v.danh_gia!.kien_nghi = 'x'.repeat(4001);
    expect(byCell(run(v, PHUONG).errors)['danh_gia.kien_nghi']).toBe(
      'Biểu 02, Đề xuất, kiến nghị: dài quá 4.000 ký tự. Hãy viết ngắn lại.',
    );
  });
  it("uses the item's own maxLength and the one text rule (a vertical tab from Word is refused)", () => {
    const v = complete();
    v.danh_gia!.kho_khan = 'y'.repeat(2001);
    v.danh_gia!.ket_qua = 'Dòng một\vdòng hai';
    const e = byCell(run(v, PHUONG).errors);
    expect(e['danh_gia.kho_khan']).toContain('dài quá 2.000 ký tự');
    expect(e['danh_gia.ket_qua']).toContain('ký tự xuống dòng dọc');
  });
  it('is required like any cell', () => {
    const v = complete();
    delete v.danh_gia!.ket_qua;
    expect(byCell(run(v, PHUONG).errors)['danh_gia.ket_qua']).toBe('Biểu 02, Kết quả đạt được: chưa nhập. Hãy nhập giá trị cho ô này.');
  });
});

describe('date', () => {
  it.each([
    ['31/02/2026', 'Biểu 01, Ngày ban hành quyết định kiện toàn bộ máy: "31/02/2026" không phải là một ngày có thật. Hãy nhập ngày theo dạng ngày/tháng/năm, ví dụ 31/12/2026.'],
    ['2026-02-30', 'Biểu 01, Ngày ban hành quyết định kiện toàn bộ máy: "30/02/2026" không phải là một ngày có thật. Hãy nhập ngày theo dạng ngày/tháng/năm, ví dụ 31/12/2026.'],
    ['1/7', 'Biểu 01, Ngày ban hành quyết định kiện toàn bộ máy: "1/7" không phải là một ngày có thật. Hãy nhập ngày theo dạng ngày/tháng/năm, ví dụ 31/12/2026.'],
    ['0202-07-01', 'Biểu 01, Ngày ban hành quyết định kiện toàn bộ máy: năm 202 không hợp lý. Hãy nhập ngày từ năm 1900 đến năm 2100, ví dụ 31/12/2026.'],
  ])('refuses %s with an example of the format', (value, message) => {
    const v = complete();
    v.chung!.ngay_qd = value;
    expect(byCell(run(v, PHUONG).errors)['chung.ngay_qd']).toBe(message);
  });
  it('accepts a real ISO date, 29/02 of a leap year included; a date in a repeat row is checked too', () => {
    const v = complete();
    v.chung!.ngay_qd = '2028-02-29';
    (v.danh_gia!.chi_tiet as Record<string, unknown>[])[0]!.ngay_chi = '2026-13-01';
    const r = run(v, PHUONG);
    expect(r.errors.map((e) => e.cell)).toEqual(['danh_gia.chi_tiet.0.ngay_chi']);
    expect(r.errors[0]!.row).toBe('danh_gia.chi_tiet.0');
  });
});

describe('money', () => {
  it('in đồng: a whole number of 0 or more; the messages name the unit', () => {
    const v = complete();
    v.chung!.kinh_phi = 1500.5;
    expect(byCell(run(v, PHUONG).errors)['chung.kinh_phi']).toBe(
      'Biểu 01, Kinh phí đã chi trong kỳ: số tiền tính bằng đồng phải là số nguyên (không có phần lẻ). Hãy nhập lại, ví dụ 1.500.000 đồng.',
    );
    v.chung!.kinh_phi = -1;
    expect(byCell(run(v, PHUONG).errors)['chung.kinh_phi']).toBe(
      'Biểu 01, Kinh phí đã chi trong kỳ: số tiền không được âm. Hãy nhập số tiền bằng đồng, từ 0 trở lên.',
    );
    v.chung!.kinh_phi = 'một triệu';
    expect(byCell(run(v, PHUONG).errors)['chung.kinh_phi']).toBe(
      'Biểu 01, Kinh phí đã chi trong kỳ: "một triệu" không phải là số tiền. Hãy nhập số tiền bằng đồng, ví dụ 1.500.000 đồng.',
    );
  });
  it('in triệu đồng: at most 3 decimals by default, or the declared decimals', () => {
    const v = complete();
    v.chung!.du_toan = 12.345;
    expect(run(v, PHUONG).errors).toEqual([]);
    v.chung!.du_toan = 12.3456;
    expect(byCell(run(v, PHUONG).errors)['chung.du_toan']).toBe(
      'Biểu 01, Dự toán được giao cả năm: số tiền tính bằng triệu đồng chỉ được tối đa 3 chữ số thập phân. Hãy làm tròn, ví dụ 12,5 triệu đồng.',
    );
    v.chung!.du_toan = 'abc';
    expect(byCell(run(v, PHUONG).errors)['chung.du_toan']).toContain('Hãy nhập số tiền bằng triệu đồng, ví dụ 12,5 triệu đồng.');
    expect(checkCell({ type: 'money', moneyUnit: 'trieu_dong', decimals: 1 }, 1.25, 'vi')?.key).toBe('money_decimals');
  });
});

describe('file', () => {
  it('accepts an attachment reference within the size cap', () => {
    expect(checkCell({ type: 'file' }, { name: 'a.png', size: 5 * 1024 * 1024, mime: 'image/png', sha256: SHA }, 'vi')).toBeNull();
  });
  it('refuses a file over the cap with its size and the cap in MB (default 5 MB, or the item\'s maxBytes)', () => {
    expect(checkCell({ type: 'file' }, { name: 'a.png', size: 6_000_000, mime: 'image/png', sha256: SHA }, 'vi')).toEqual({
      key: 'file_too_big',
      params: { name: 'a.png', size: '5,8', max: '5' },
    });
    const v = complete();
    v.chung!.quyet_dinh = { name: 'quyet-dinh.pdf', size: 3 * 1024 * 1024, mime: 'application/pdf', sha256: SHA };
    expect(byCell(run(v, PHUONG).errors)['chung.quyet_dinh']).toBe(
      'Biểu 01, Bản quét quyết định kiện toàn: tệp "quyet-dinh.pdf" nặng 3 MB, quá mức cho phép 2 MB. Hãy quét lại với độ phân giải thấp hơn hoặc nén tệp rồi đính kèm lại.',
    );
  });
  it('refuses a file that is not a PDF or an image, and anything that is not an attachment reference', () => {
    const v = complete();
    v.chung!.quyet_dinh = { name: 'bang-tinh.xlsx', size: 1000, mime: 'application/vnd.ms-excel', sha256: SHA };
    expect(byCell(run(v, PHUONG).errors)['chung.quyet_dinh']).toBe(
      'Biểu 01, Bản quét quyết định kiện toàn: tệp "bang-tinh.xlsx" không phải PDF, PNG hoặc JPEG. Hãy đính kèm bản quét dạng PDF hoặc ảnh.',
    );
    v.chung!.quyet_dinh = 'quyet-dinh.pdf';
    expect(byCell(run(v, PHUONG).errors)['chung.quyet_dinh']).toBe(
      'Biểu 01, Bản quét quyết định kiện toàn: tệp đính kèm không đọc được. Hãy đính kèm lại tệp (PDF, PNG hoặc JPEG).',
    );
  });
});

describe('rate (computed) is unchanged', () => {
  it('is not an input: no type check, and the rule on its parts still runs', () => {
    const v = complete();
    v.chung!.dung_han = 1300;
    const r = run(v, PHUONG);
    expect(r.errors.map((e) => e.id)).toEqual(['chung.dung_han_le_tong']);
  });
});

describe('applicability (appliesTo) in validation', () => {
  it('an item for phường only is required of a phường and neither required nor checked for a xã', () => {
    const v = complete();
    delete v.chung!.to_dan_pho;
    expect(run(v, PHUONG).errors.map((e) => e.cell)).toEqual(['chung.to_dan_pho']);
    v.chung!.tau_ca = 12;
    expect(run(v, XA_VEN_BIEN).errors).toEqual([]);
    v.chung!.to_dan_pho = 'nhiều'; // a stale wrong value in an item that does not apply: not checked
    expect(run(v, XA_VEN_BIEN).errors).toEqual([]);
  });
  it('an item for units with a unit-list attribute is required only of those units ("1", "có")', () => {
    const v = complete();
    expect(run(v, PHUONG).errors).toEqual([]); // no ven_bien attribute: tau_ca does not apply
    expect(run(v, { type: 'phường', attributes: { ven_bien: '0' } }).errors).toEqual([]);
    expect(run(v, { type: 'phường', attributes: { ven_bien: '1' } }).errors.map((e) => e.cell)).toEqual(['chung.tau_ca']);
  });
  it('a section for đặc khu only is required of a đặc khu and ignored elsewhere', () => {
    const v = complete();
    delete v.chung!.to_dan_pho;
    v.chung!.tau_ca = 3;
    expect(run(v, DAC_KHU).errors.map((e) => e.cell)).toEqual(['dac_khu.dao_co_dan']);
    v.dac_khu = { dao_co_dan: -2 };
    expect(run(v, DAC_KHU).errors.map((e) => e.cell)).toEqual(['dac_khu.dao_co_dan']);
    expect(run({ ...complete(), dac_khu: { dao_co_dan: -2 } }, PHUONG).errors).toEqual([]);
  });
  it('a rule reading a cell that does not apply is skipped; it runs where the cell applies', () => {
    const v = complete();
    v.chung!.tau_ca = 900;
    v.dac_khu = { dao_co_dan: 80 };
    expect(run(v, PHUONG).warnings).toEqual([]);
    expect(run(v, XA_VEN_BIEN).warnings.map((w) => w.id)).toEqual(['chung.tau_ca_le_ho_so']);
    delete v.chung!.to_dan_pho;
    expect(run(v, DAC_KHU).warnings.map((w) => w.id)).toEqual(['chung.tau_ca_le_ho_so', 'dac_khu.dao_toi_da']);
  });
  it('without a known unit (a preview) everything applies, as before', () => {
    const v = complete();
    const r = run(v);
    expect(r.errors.map((e) => e.cell).sort()).toEqual(['chung.ky_hop_hdnd', 'chung.tau_ca', 'dac_khu.dao_co_dan']);
  });
  it('the as-of date of a section that does not apply is not checked', () => {
    const r = validate(template, complete(), { period: q3, unit: PHUONG, asOf: { dac_khu: '2020-01-01', chung: '2020-01-01' } });
    expect(r.errors.map((e) => e.id)).toEqual(['asof:chung']);
  });
  it('ruleReads names every cell and table a rule reads', () => {
    expect(ruleReads(template.rules[0]!)).toEqual(['chung.dung_han', 'chung.so_ho_so']);
    expect(ruleReads({ id: 'x', severity: 'error', message: { vi: 'x' }, check: 'unique', table: 'danh_gia.chi_tiet', column: 'noi_dung' })).toEqual(['danh_gia.chi_tiet']);
  });
});

describe('the normal form of values (what is saved, hashed and compared)', () => {
  it('keeps line breaks of a long text, trims it, keeps dates, money and only the four keys of an attachment', () => {
    const v = complete();
    v.danh_gia!.ket_qua = '  Dòng một\r\nDòng hai  ';
    v.chung!.quyet_dinh = { name: 'qd.pdf', size: 10, mime: 'application/pdf', sha256: SHA, extra: 'x' };
    const n = normalizeValues(template, v);
    expect(n.danh_gia!.ket_qua).toBe('Dòng một\nDòng hai');
    expect(n.chung!.quyet_dinh).toEqual({ name: 'qd.pdf', size: 10, mime: 'application/pdf', sha256: SHA });
    expect(n.chung!.ngay_qd).toBe('2026-07-01');
    expect(n.chung!.du_toan).toBe(12.5);
  });
});

describe('values as a person reads them (diff, conflicts, history, print)', () => {
  const show = (path: string, v: unknown, lang: 'vi' | 'en' = 'vi') => showValue(v, specAt(template, path), lang);
  it('dates as dd/mm/yyyy, money with its unit, a file as its name and size, long text whole', () => {
    expect(show('chung.ngay_qd', '2026-07-01')).toBe('01/07/2026');
    expect(show('chung.kinh_phi', 1_500_000)).toBe('1.500.000 đồng');
    expect(show('chung.du_toan', 12.5)).toBe('12,5 triệu đồng');
    expect(show('chung.du_toan', 12.5, 'en')).toBe('12,5 million đồng');
    expect(show('danh_gia.chi_tiet.0.so_tien', 45.25)).toBe('45,25 triệu đồng');
    expect(show('danh_gia.chi_tiet.0.ngay_chi', '2026-08-12')).toBe('12/08/2026');
    expect(show('chung.quyet_dinh', { name: 'quyet-dinh.pdf', size: 1_258_291, mime: 'application/pdf', sha256: SHA })).toBe('quyet-dinh.pdf (1,2 MB)');
    expect(show('danh_gia.ket_qua', 'Một\nHai')).toBe('Một\nHai');
    expect(show('chung.ty_le', 0.97833)).toBe('97,83%');
    expect(formatMoney(0)).toBe('0 đồng');
  });
});

describe('an old draft through the one text rule', () => {
  it('keeps the line breaks of a long text and turns those of a one-line cell into a space', () => {
    const d = {
      values: { danh_gia: { ket_qua: 'Dòng một\u2028Dòng hai', chi_tiet: [{ noi_dung: 'Máy\nquét', ghi_chu: 'a\nb' }] } } as Values,
      explanations: {},
    };
    const c = cleanDraft(d, template);
    expect(c.draft.values.danh_gia!.ket_qua).toBe('Dòng một\nDòng hai');
    expect((c.draft.values.danh_gia!.chi_tiet as Record<string, string>[])[0]).toEqual({ noi_dung: 'Máy quét', ghi_chu: 'a\nb' });
    expect(c.cells.sort()).toEqual(['danh_gia.chi_tiet.0.noi_dung', 'danh_gia.ket_qua']);
  });
});
