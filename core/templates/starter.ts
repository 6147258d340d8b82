/**
 * The empty starter workbook a city clerk begins a new template from: every sheet with every
 * heading and a note on it, a small example greyed in (it builds as it is, so the clerk can change
 * it step by step), and a sheet "Hướng dẫn" explaining the types and the formulas in Vietnamese.
 */
import ExcelJS from 'exceljs';
import type { Template } from '../../shared/index.js';
import type { Cell, SheetData } from '../../shared/template/authoring/index.js';
import {
  CHOICE_COLUMNS,
  CONSOLIDATION_COLUMNS,
  FORM_COLUMNS,
  RULE_COLUMNS,
  SHEETS,
  templateToSheets,
} from '../../shared/template/authoring/index.js';
import type { ColumnSpec } from '../../shared/template/authoring/format.js';
import { addAuthoringSheets } from './workbook.js';
import { FONT, heightFor, lines } from '../xlsx/style.js';

/** The example the starter holds: small, valid, using the common features. */
export const STARTER_EXAMPLE: Template = {
  id: 'MAU-MOI',
  version: 1,
  title: { vi: 'Báo cáo mẫu (hãy sửa tên và nội dung)' },
  receivingBody: { vi: 'Ủy ban nhân dân thành phố Hải Phòng' },
  periodTypes: ['quarter'],
  deadlineDay: 20,
  signers: { preparer: 'thong_tin.nguoi_lap', head: 'thong_tin.thu_truong' },
  sections: [
    {
      key: 'thong_tin',
      code: 'Biểu 01',
      title: { vi: 'Thông tin chung' },
      items: [
        { kind: 'field', key: 'so_can_bo', label: { vi: 'Số cán bộ, công chức có mặt' }, type: 'integer', required: true, min: 0 },
        { kind: 'field', key: 'kinh_phi', label: { vi: 'Kinh phí đã sử dụng' }, type: 'money', moneyUnit: 'trieu_dong', decimals: 1 },
        { kind: 'field', key: 'muc_do', label: { vi: 'Mức độ hoàn thành' }, type: 'enum', required: true, options: [{ value: 'tot', label: { vi: 'Tốt' } }, { value: 'dat', label: { vi: 'Đạt' } }, { value: 'chua_dat', label: { vi: 'Chưa đạt' } }] },
        { kind: 'field', key: 'ket_qua', label: { vi: 'Kết quả nổi bật' }, type: 'longtext', hint: { vi: 'Ghi ngắn gọn, mỗi ý một dòng.' } },
        { kind: 'field', key: 'nguoi_lap', label: { vi: 'Người lập biểu' }, type: 'text', required: true, maxLength: 100 },
        { kind: 'field', key: 'thu_truong', label: { vi: 'Thủ trưởng đơn vị' }, type: 'text', required: true, maxLength: 100 },
      ],
    },
    {
      key: 'ho_so',
      code: 'Biểu 02',
      title: { vi: 'Kết quả giải quyết hồ sơ' },
      items: [
        {
          kind: 'table',
          key: 'linh_vuc',
          label: { vi: 'Số hồ sơ theo lĩnh vực' },
          rowHeader: { vi: 'Lĩnh vực' },
          rows: [
            { key: 'khai_sinh', label: { vi: 'Đăng ký khai sinh' } },
            { key: 'chung_thuc', label: { vi: 'Chứng thực' } },
          ],
          totalRow: { key: 'tong', label: { vi: 'Tổng cộng' } },
          columns: [
            { key: 'tiep_nhan', label: { vi: 'Tiếp nhận' }, type: 'integer' },
            { key: 'da_giai_quyet', label: { vi: 'Đã giải quyết' }, type: 'integer' },
            { key: 'ty_le', label: { vi: 'Tỷ lệ giải quyết' }, type: 'rate', rateOf: { vi: 'số hồ sơ tiếp nhận' }, expr: { div: [{ col: 'da_giai_quyet' }, { col: 'tiep_nhan' }] } },
          ],
        },
      ],
    },
  ],
  rules: [
    {
      id: 'ho_so.da_giai_quyet',
      severity: 'error',
      check: 'compare',
      forEachRow: 'ho_so.linh_vuc',
      target: 'da_giai_quyet',
      left: { col: 'da_giai_quyet' },
      op: '<=',
      right: { col: 'tiep_nhan' },
      message: { vi: '{row}: số hồ sơ đã giải quyết ({left}) không được lớn hơn số tiếp nhận ({right}). Hãy kiểm tra lại hai ô này.' },
    },
  ],
  consolidation: {
    can_bo: { so_can_bo: { sum: 'thong_tin.so_can_bo', label: { vi: 'Tổng số cán bộ, công chức có mặt' } } },
    ho_so: {
      linh_vuc: { sum: 'ho_so.linh_vuc' },
      ty_le: { fromSums: 'ho_so.linh_vuc.tong.ty_le', label: { vi: 'Tỷ lệ giải quyết của toàn thành phố' } },
    },
  },
};

/** Every column of the sheet, in the format's order, whether the example uses it or not. */
function everyColumn<K extends string>(s: SheetData, specs: readonly ColumnSpec<K>[]): SheetData {
  const header = (s.rows[0] ?? []).map(String);
  const at = specs.map((c) => header.indexOf(c.heading));
  return { name: s.name, rows: [specs.map((c) => c.heading), ...s.rows.slice(1).map((r) => at.map((i): Cell => (i < 0 ? null : (r[i] ?? null))))] };
}

const GUIDE: [string, string][] = [
  ['Sổ mẫu báo cáo', 'Sổ này mô tả một mẫu báo cáo để ứng dụng dựng thành biểu nhập, tệp Excel gửi lên thành phố và Biểu tổng hợp. Mỗi trang có một việc; dòng 1 là tiêu đề cột (di chuột vào tiêu đề để đọc ghi chú). Các dòng chữ xám là ví dụ: sửa hoặc xóa chúng rồi ghi nội dung của mẫu mới.'],
  ['Trang "Cài đặt"', 'Mã mẫu, phiên bản, tên, cơ quan nhận, loại kỳ (tháng, quý, 6 tháng, năm), hạn nộp (ngày trong tháng sau kỳ) và hai ô ghi tên người ký (người lập biểu, thủ trưởng).'],
  ['Trang "Biểu mẫu"', 'Mỗi dòng là một ô, một bảng hoặc một dòng cấu trúc. Một biểu bắt đầu bằng dòng "bắt đầu biểu" (mã, tên, ký hiệu như "Biểu 01") và kết thúc bằng dòng "kết thúc biểu". Giữa chúng là các ô, các bảng ("bắt đầu bảng" … "kết thúc bảng") và bảng lặp ("bắt đầu bảng lặp" … "kết thúc bảng lặp").'],
  ['Bảng', 'Trong một bảng: các dòng loại "dòng" (mỗi dòng một mã và một tên, ví dụ "Hộ tịch"), có thể một dòng "dòng tổng" (ứng dụng tự cộng), và các dòng loại ô là các cột của bảng. Cột "Nhóm cột" gom các cột dưới một tiêu đề chung.'],
  ['Bảng lặp', 'Một danh sách đơn vị tự thêm dòng (trụ sở, xe, …): "Nhãn dòng" là tên một dòng ("Trụ sở" → Trụ sở 1, Trụ sở 2), "Số dòng tối đa" giới hạn số dòng.'],
  ['Các loại ô', 'số nguyên; số thập phân; tỷ lệ (ô tính, hiện dạng phần trăm, ghi "Tỷ lệ trên" để nói tỷ lệ trên cái gì); chữ (một dòng); đoạn văn (nhiều đoạn: kết quả, khó khăn, kiến nghị); có/không; chọn một, chọn nhiều (cần "Danh sách"); ngày; tiền (đồng hoặc triệu đồng, ghi ở "Đơn vị tiền"); tệp (tệp PDF, ảnh quét đính kèm, giới hạn bằng "Dung lượng tối đa").'],
  ['Áp dụng cho một số đơn vị', '"Áp dụng cho": các loại đơn vị (xã, phường, đặc khu). "Áp dụng khi": một cột của danh sách đơn vị, ví dụ co_hdnd (đơn vị có HĐND), hoặc khu_vuc = "mien_nui", "hai_dao". Đơn vị không thuộc diện thì không thấy, không phải nhập và không được tính khi tổng hợp.'],
  ['Công thức', 'Ô có "Công thức" là ô tính tự động. Gọi một ô bằng ${mã_biểu.mã_ô}, một ô của bảng bằng ${mã_biểu.mã_bảng.mã_dòng.mã_cột}; trong một bảng, ${mã_cột} là cột của cùng dòng. Dùng + - * / và dấu ngoặc; số thập phân viết bằng dấu chấm (0.5). Giữa các đối số của hàm dùng dấu phẩy hoặc dấu chấm phẩy.'],
  ['Các hàm', 'max(a, b, …), min(a, b, …), sum(a, b, …); count(${biểu.bảng_lặp}) đếm số dòng; count(${biểu.bảng_lặp}, cột = "giá_trị") đếm dòng có cột bằng giá trị; band(${biểu.ô}, 150: "tu150", 100: "tu100", "duoi100") xếp nhóm theo ngưỡng (từ ngưỡng lớn xuống, giá trị cuối cho phần còn lại); period_year() là năm của kỳ báo cáo.'],
  ['Ví dụ công thức', '${ho_so.linh_vuc.tong.da_giai_quyet} / ${ho_so.linh_vuc.tong.tiep_nhan}     ·     ${da_som} + ${dung_han}     ·     max(0, ${xe.dinh_muc} - ${xe.dang_dung})'],
  ['Trang "Danh sách"', 'Các lựa chọn của ô "chọn một", "chọn nhiều": tên danh sách, giá trị (lưu trong báo cáo) và nhãn (hiện cho người chọn).'],
  ['Trang "Kiểm tra"', 'Mỗi dòng một kiểm tra, mức "lỗi" (phải sửa mới nộp được) hoặc "cảnh báo" (được nộp kèm giải trình). so sánh: "Điều kiện" như ${biểu.a} <= ${biểu.b} (các phép <=, <, =, >=, >), có thể kiểm tra từng dòng của một bảng ("Mỗi dòng của"); không trùng và mẫu: một cột của bảng; khoảng theo loại đơn vị: "xã: 16 đến 56; phường: 5 đến 55"; thay đổi so với kỳ trước: "Ngưỡng" (0.5 hoặc 50%) và "Các ô".'],
  ['Trang "Tổng hợp"', 'Những gì Biểu tổng hợp của thành phố cộng lại, mỗi dòng một chỉ tiêu trong một nhóm: tổng; tính từ tổng (tỷ lệ tính lại trên số đã cộng); đếm dòng (của bảng lặp); đếm theo lựa chọn; phân bố (ví dụ 1, 2, 3, >3); đếm có; đếm đơn vị thỏa điều kiện ("> 0", "= có"); nhỏ nhất-lớn nhất-trung bình; danh sách ý kiến (các câu trả lời đoạn văn theo đơn vị). "Theo loại đơn vị" = có để tách xã, phường, đặc khu.'],
  ['Khi kiểm tra', 'Ứng dụng liệt kê mọi lỗi kèm trang, dòng và cột (ví dụ "Biểu mẫu, dòng 12, cột N") và việc cần làm. Không bắt đầu chữ bằng = + - @ (Excel coi là công thức). Mỗi trang tối đa 5.000 dòng.'],
  ['Số và ký tự', 'Số viết không có dấu ngăn cách hàng nghìn: 1000, không viết 1.000 hoặc 1,000 (ứng dụng không đoán đó là một nghìn hay một phẩy); phần thập phân viết 0.5 hoặc 0,5. Ô có ký tự ẩn (thường do chép từ trang web, Word, tin nhắn) hoặc hiện lỗi Excel như #REF! sẽ bị báo lỗi: hãy gõ lại ô đó. Mã tối đa 64 ký tự, công thức tối đa 2.000 ký tự.'],
  ['Tài liệu', 'Xem thêm tài liệu "docs/authoring.md" của ứng dụng: ví dụ dựng một mẫu từng bước và danh sách đầy đủ các cột.'],
];

/** An empty starter: every heading with its note, the example greyed, a "Hướng dẫn" sheet. */
export async function writeStarterWorkbook(): Promise<Buffer> {
  const example = templateToSheets(STARTER_EXAMPLE);
  const by = (name: string) => example.find((s) => s.name === name)!;
  const sheets: SheetData[] = [
    by(SHEETS.settings.name),
    everyColumn(by(SHEETS.form.name), FORM_COLUMNS),
    everyColumn(by(SHEETS.choices.name), CHOICE_COLUMNS),
    everyColumn(by(SHEETS.rules.name), RULE_COLUMNS),
    everyColumn(by(SHEETS.consolidation.name), CONSOLIDATION_COLUMNS),
  ];
  const examples = (s: SheetData) => ({ exampleRows: new Set(s.rows.map((_, i) => i).filter((i) => i > 0)) });
  const wb = new ExcelJS.Workbook();
  wb.creator = 'commune-returns';
  addAuthoringSheets(wb, sheets, Object.fromEntries(sheets.map((s) => [s.name, examples(s)])));
  const guide = wb.addWorksheet(SHEETS.guide.name);
  guide.columns = [{ width: 28 }, { width: 110 }];
  guide.getCell('A1').value = 'Hướng dẫn viết mẫu báo cáo';
  guide.getCell('A1').font = { name: FONT, size: 14, bold: true };
  GUIDE.forEach(([head, text], i) => {
    const row = guide.getRow(i + 3);
    row.getCell(1).value = head;
    row.getCell(1).font = { name: FONT, size: 11, bold: true };
    row.getCell(1).alignment = { vertical: 'top', wrapText: true };
    row.getCell(2).value = text;
    row.getCell(2).font = { name: FONT, size: 11 };
    row.getCell(2).alignment = { vertical: 'top', wrapText: true };
    row.height = heightFor(Math.max(lines(text, 110), lines(head, 28, 11, true)));
  });
  return Buffer.from(await wb.xlsx.writeBuffer());
}
