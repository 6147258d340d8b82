/**
 * The authoring workbook's vocabulary: sheet names, column headings (Vietnamese, with English
 * aliases), the words of the "loại" column and of the other closed lists, each with the note shown
 * on its heading. The compiler reads with it, the exporter and the starter write with it.
 */
import type { ValueType } from '../schema.js';
import { foldText } from '../../text.js';

/** Lower case, NFC, brackets/colons/stars as spaces, spaces collapsed: how headings and words are compared. */
export function norm(s: string): string {
  return s
    .normalize('NFC')
    .toLowerCase()
    .replace(/[()[\]:*]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

export interface SheetSpec {
  name: string;
  aliases: string[];
}
export const SHEETS = {
  settings: { name: 'Cài đặt', aliases: ['settings', 'thiết lập'] },
  form: { name: 'Biểu mẫu', aliases: ['form', 'survey', 'mẫu'] },
  choices: { name: 'Danh sách', aliases: ['choices', 'lựa chọn', 'danh sách lựa chọn'] },
  rules: { name: 'Kiểm tra', aliases: ['rules', 'quy tắc', 'kiểm tra số liệu'] },
  consolidation: { name: 'Tổng hợp', aliases: ['consolidation', 'biểu tổng hợp'] },
  guide: { name: 'Hướng dẫn', aliases: ['guide', 'help'] },
} satisfies Record<string, SheetSpec>;

export interface ColumnSpec<K extends string = string> {
  key: K;
  heading: string;
  aliases: string[];
  note: string;
}
const col = <K extends string>(key: K, heading: string, aliases: string[], note: string): ColumnSpec<K> => ({ key, heading, aliases, note });

/** The settings sheet: two columns, one setting a row. */
export const SETTINGS_COLUMNS = [
  col('name', 'Thiết lập', ['setting'], 'Tên của thiết lập (giữ nguyên chữ ở cột này).'),
  col('value', 'Giá trị', ['value'], 'Giá trị của thiết lập.'),
];
export const SETTINGS = [
  col('id', 'Mã mẫu', ['id', 'form_id'], 'Mã của mẫu báo cáo: chữ in hoa không dấu, số và dấu "-", ví dụ BC-NV-01.'),
  col('version', 'Phiên bản', ['version'], 'Số phiên bản (1, 2, …). Khi công bố, ứng dụng tự đặt phiên bản tiếp theo.'),
  col('title', 'Tên', ['tên mẫu', 'title', 'form_title'], 'Tên mẫu báo cáo như in trên biểu.'),
  col('titleEn', 'Tên tiếng Anh', ['title en', 'title english'], 'Tên tiếng Anh (không bắt buộc).'),
  col('body', 'Cơ quan nhận', ['receiving body'], 'Cơ quan nhận báo cáo, ví dụ: Ủy ban nhân dân thành phố Hải Phòng.'),
  col('bodyEn', 'Cơ quan nhận tiếng Anh', ['receiving body en'], 'Tên tiếng Anh của cơ quan nhận (không bắt buộc).'),
  col('periods', 'Loại kỳ', ['period types', 'periods'], 'Các loại kỳ báo cáo, cách nhau bằng dấu phẩy: tháng, quý, 6 tháng, năm.'),
  col('deadline', 'Hạn nộp ngày', ['deadline day', 'deadline'], 'Ngày trong tháng sau kỳ báo cáo mà báo cáo phải nộp (1 đến 28).'),
  col('preparer', 'Người lập biểu', ['preparer'], 'Ô chữ ghi tên người lập biểu, dạng mã_biểu.mã_ô, ví dụ thong_tin.nguoi_lap. Để trống nếu không có.'),
  col('head', 'Thủ trưởng', ['head', 'thủ trưởng đơn vị'], 'Ô chữ ghi tên thủ trưởng đơn vị, dạng mã_biểu.mã_ô. Để trống nếu không có.'),
] as const;

export const FORM_COLUMNS = [
  col('type', 'Loại', ['type'], 'Loại của dòng: bắt đầu biểu / kết thúc biểu, bắt đầu bảng / kết thúc bảng, dòng, dòng tổng, bắt đầu bảng lặp / kết thúc bảng lặp, hoặc loại ô: số nguyên, số thập phân, tỷ lệ, chữ, đoạn văn, có/không, chọn một, chọn nhiều, ngày, tiền, tệp.'),
  col('key', 'Mã', ['name', 'key'], 'Mã của biểu, ô, bảng, dòng hoặc cột: chữ thường không dấu, số và dấu "_", bắt đầu bằng chữ, không trùng trong cùng biểu (bảng). Công thức và kiểm tra gọi ô bằng mã này.'),
  col('label', 'Nhãn', ['label'], 'Chữ hiện cho người nhập: tên biểu, tên ô, tên dòng, tên cột. Không bắt đầu bằng = + - @.'),
  col('labelEn', 'Nhãn tiếng Anh', ['label en', 'label english', 'label::english'], 'Nhãn tiếng Anh (không bắt buộc).'),
  col('code', 'Ký hiệu', ['code'], 'Chỉ cho dòng "bắt đầu biểu": ký hiệu in trên biểu, ví dụ "Biểu 01".'),
  col('rowLabel', 'Nhãn dòng', ['row label', 'row header'], 'Bảng: tiêu đề của cột tên dòng (ví dụ "Lĩnh vực"). Bảng lặp: tên một dòng (ví dụ "Trụ sở" → Trụ sở 1, Trụ sở 2).'),
  col('rowLabelEn', 'Nhãn dòng tiếng Anh', ['row label en'], 'Nhãn dòng tiếng Anh (không bắt buộc).'),
  col('maxRows', 'Số dòng tối đa', ['max rows'], 'Chỉ cho "bắt đầu bảng lặp": số dòng nhiều nhất đơn vị được nhập.'),
  col('required', 'Bắt buộc', ['required'], 'Ghi "có" nếu đơn vị phải điền ô này.'),
  col('min', 'Tối thiểu', ['min', 'minimum'], 'Số nhỏ nhất được nhập: "0" (từ 0 trở lên) hoặc "> 0" (phải lớn hơn 0).'),
  col('decimals', 'Số thập phân', ['decimals'], 'Số chữ số sau dấu phẩy (0 đến 6).'),
  col('maxLength', 'Độ dài tối đa', ['max length'], 'Số ký tự nhiều nhất của ô chữ.'),
  col('list', 'Danh sách', ['list', 'choices', 'list name', 'list_name'], 'Ô "chọn một" hoặc "chọn nhiều": tên danh sách lựa chọn ở trang "Danh sách".'),
  col('formula', 'Công thức', ['calculation', 'formula', 'expr'], 'Ô tính tự động: công thức, ví dụ ${bieu.o_a} + ${bieu.o_b}; trong bảng, ${cot} là cột cùng dòng. Xem trang "Hướng dẫn".'),
  col('unitTypes', 'Áp dụng cho', ['unit types', 'applies to'], 'Chỉ áp dụng cho các loại đơn vị này, cách nhau bằng dấu phẩy: xã, phường, đặc khu. Để trống: mọi đơn vị.'),
  col('attribute', 'Áp dụng khi', ['attribute', 'applies when', 'relevant'], 'Chỉ áp dụng cho đơn vị có cột này trong danh sách đơn vị là "có", ví dụ co_hdnd; hoặc có một trong các giá trị: khu_vuc = "mien_nui", "hai_dao".'),
  col('hint', 'Gợi ý', ['hint'], 'Chữ hướng dẫn hiện dưới ô (lấy số liệu ở đâu, ghi thế nào).'),
  col('hintEn', 'Gợi ý tiếng Anh', ['hint en', 'hint english'], 'Gợi ý tiếng Anh (không bắt buộc).'),
  col('placeholder', 'Ví dụ', ['placeholder'], 'Chữ mờ hiện trong ô trống, ví dụ "15A-012.34".'),
  col('moneyUnit', 'Đơn vị tiền', ['money unit'], 'Ô "tiền": đồng (mặc định) hoặc triệu đồng.'),
  col('rateOf', 'Tỷ lệ trên', ['rate of'], 'Ô "tỷ lệ": tỷ lệ này tính trên cái gì, ví dụ "tổng số hồ sơ đã giải quyết".'),
  col('rateOfEn', 'Tỷ lệ trên tiếng Anh', ['rate of en'], 'Tỷ lệ trên, tiếng Anh (không bắt buộc).'),
  col('maxBytes', 'Dung lượng tối đa', ['max size', 'max bytes'], 'Ô "tệp": dung lượng lớn nhất, ví dụ "5 MB" (mặc định 5 MB, tối đa 20 MB).'),
  col('width', 'Độ rộng', ['width'], 'Độ rộng cột khi in và trên tệp Excel (số ký tự), ví dụ 20.'),
  col('group', 'Nhóm cột', ['column group', 'group'], 'Cột của bảng: tên nhóm in trên đầu các cột cùng nhóm, ví dụ "Đã giải quyết".'),
  col('groupEn', 'Nhóm cột tiếng Anh', ['column group en'], 'Tên nhóm cột tiếng Anh (không bắt buộc).'),
  col('year', 'Là năm', ['year'], 'Ghi "có" nếu ô số nguyên là một năm (in không có dấu chấm ngăn cách: 2024).'),
  col('signed', 'Có thể âm', ['signed', 'negative'], 'Ghi "có" nếu số được phép âm (ví dụ mức tăng giảm).'),
] as const;
export type FormColumn = (typeof FORM_COLUMNS)[number]['key'];

export const CHOICE_COLUMNS = [
  col('list', 'Danh sách', ['list', 'list name', 'list_name'], 'Tên danh sách (chữ thường không dấu), trùng với cột "Danh sách" của trang "Biểu mẫu".'),
  col('value', 'Giá trị', ['value', 'name'], 'Giá trị lưu trong báo cáo, ví dụ I, II, dang_dung. Không trùng trong cùng danh sách.'),
  col('label', 'Nhãn', ['label'], 'Chữ hiện cho người chọn.'),
  col('labelEn', 'Nhãn tiếng Anh', ['label en', 'label english'], 'Nhãn tiếng Anh (không bắt buộc).'),
] as const;
export type ChoiceColumn = (typeof CHOICE_COLUMNS)[number]['key'];

export const RULE_COLUMNS = [
  col('id', 'Mã', ['id', 'name'], 'Mã của kiểm tra: chữ thường không dấu, số, "_" và ".", không trùng.'),
  col('severity', 'Mức độ', ['severity'], '"lỗi" (phải sửa mới nộp được) hoặc "cảnh báo" (được nộp kèm giải trình).'),
  col('check', 'Loại kiểm tra', ['check'], 'so sánh, không trùng, mẫu, khoảng theo loại đơn vị, thay đổi so với kỳ trước.'),
  col('forEachRow', 'Mỗi dòng của', ['for each row', 'table'], 'So sánh: kiểm tra trên từng dòng của bảng này (mã_biểu.mã_bảng). Không trùng, mẫu: bảng có cột cần kiểm tra.'),
  col('target', 'Ô cần sửa', ['target', 'column'], 'Ô được đánh dấu khi kiểm tra không đạt: một cột của dòng (khi có "Mỗi dòng của") hoặc mã_biểu.mã_ô.'),
  col('condition', 'Điều kiện', ['condition', 'constraint'], 'So sánh: điều kiện phải đúng, ví dụ ${bieu.da_chi} <= ${bieu.tong}.'),
  col('pattern', 'Mẫu', ['pattern', 'regex'], 'Loại "mẫu": biểu thức chính quy chữ trong ô phải khớp.'),
  col('ranges', 'Khoảng', ['ranges'], 'Loại "khoảng theo loại đơn vị": ví dụ "xã: 16 đến 56; phường: 5 đến 55".'),
  col('threshold', 'Ngưỡng', ['threshold'], 'Loại "thay đổi so với kỳ trước": mức thay đổi được cảnh báo, ví dụ 0.5 hoặc 50%.'),
  col('paths', 'Các ô', ['paths', 'cells'], 'Loại "thay đổi so với kỳ trước": các ô cần so, cách nhau bằng dấu phẩy.'),
  col('message', 'Thông báo', ['message'], 'Câu báo cho người nhập: điều gì sai và cần làm gì. Dùng được {left}, {right}, {row}, {value}, …'),
  col('messageEn', 'Thông báo tiếng Anh', ['message en', 'message english'], 'Thông báo tiếng Anh (không bắt buộc).'),
] as const;
export type RuleColumn = (typeof RULE_COLUMNS)[number]['key'];

export const CONSOLIDATION_COLUMNS = [
  col('group', 'Nhóm', ['group'], 'Nhóm chứa chỉ tiêu (mã, nhóm con viết nhom.nhom_con). Để trống: ngoài mọi nhóm.'),
  col('key', 'Mã', ['key', 'name'], 'Mã của chỉ tiêu tổng hợp, không trùng trong nhóm.'),
  col('aggregate', 'Cách tính', ['aggregate', 'how'], 'tổng, tính từ tổng, đếm dòng, đếm theo lựa chọn, phân bố, đếm có, đếm đơn vị thỏa điều kiện, nhỏ nhất-lớn nhất-trung bình, danh sách ý kiến.'),
  col('path', 'Ô', ['path', 'cell'], 'Ô được tổng hợp: mã_biểu.mã_ô (bảng: mã_biểu.mã_bảng[.dòng[.cột]]).'),
  col('columns', 'Cột', ['columns'], 'Loại "tổng" của một bảng: chỉ cộng các cột này (cách nhau bằng dấu phẩy).'),
  col('buckets', 'Khoảng', ['buckets'], 'Loại "phân bố": các giá trị đếm riêng, ví dụ 1, 2, 3, >3.'),
  col('bucketLabels', 'Tên khoảng', ['bucket labels'], 'Loại "phân bố" (không bắt buộc): tên của từng khoảng, cách nhau bằng dấu chấm phẩy, ví dụ: Đủ định mức; Thiếu 1 xe; Thiếu 2 xe.'),
  col('bucketLabelsEn', 'Tên khoảng tiếng Anh', ['bucket labels en'], 'Tên tiếng Anh của từng khoảng (không bắt buộc), cách nhau bằng dấu chấm phẩy.'),
  col('byUnitType', 'Theo loại đơn vị', ['by unit type'], 'Ghi "có" để tách kết quả theo xã, phường, đặc khu.'),
  col('condition', 'Điều kiện', ['condition'], 'Loại "đếm đơn vị thỏa điều kiện": ví dụ "> 0", "= có", "= \\"loai_1\\"".'),
  col('totalRow', 'Dòng tổng', ['total row'], 'Loại "tổng" của một bảng có dòng tổng: ghi "không" để bỏ dòng tổng.'),
  col('label', 'Nhãn', ['label'], 'Tên chỉ tiêu in trên Biểu tổng hợp (để trống: tên của ô).'),
  col('labelEn', 'Nhãn tiếng Anh', ['label en'], 'Nhãn tiếng Anh (không bắt buộc).'),
] as const;
export type ConsolidationColumn = (typeof CONSOLIDATION_COLUMNS)[number]['key'];

/** The words of the "Loại" column: structure rows and value types. */
export const STRUCTURE = {
  beginSection: ['bắt đầu biểu', 'begin section', 'begin_section'],
  endSection: ['kết thúc biểu', 'end section', 'end_section'],
  beginTable: ['bắt đầu bảng', 'begin table', 'begin_table'],
  endTable: ['kết thúc bảng', 'end table', 'end_table'],
  row: ['dòng', 'row'],
  totalRow: ['dòng tổng', 'total row', 'total_row'],
  beginRepeat: ['bắt đầu bảng lặp', 'begin repeat', 'begin_repeat'],
  endRepeat: ['kết thúc bảng lặp', 'end repeat', 'end_repeat'],
} as const;
export type StructureWord = keyof typeof STRUCTURE;

export const VALUE_TYPES: Record<ValueType, string[]> = {
  integer: ['số nguyên', 'integer'],
  decimal: ['số thập phân', 'decimal'],
  rate: ['tỷ lệ', 'tỉ lệ', 'rate', 'percent'],
  text: ['chữ', 'text'],
  longtext: ['đoạn văn', 'longtext', 'long text'],
  boolean: ['có/không', 'có không', 'boolean', 'yes/no'],
  enum: ['chọn một', 'enum', 'select_one', 'select one'],
  multi: ['chọn nhiều', 'multi', 'select_multiple', 'select multiple'],
  date: ['ngày', 'date'],
  money: ['tiền', 'money'],
  file: ['tệp', 'file', 'tệp đính kèm'],
};

export const PERIOD_TYPES = { month: ['tháng', 'month'], quarter: ['quý', 'quarter'], half: ['6 tháng', 'sáu tháng', 'half'], year: ['năm', 'year'] } as const;
export const SEVERITIES = { error: ['lỗi', 'error'], warning: ['cảnh báo', 'warning'] } as const;
export const CHECKS = {
  compare: ['so sánh', 'compare'],
  unique: ['không trùng', 'unique'],
  pattern: ['mẫu', 'pattern'],
  rangeByUnitType: ['khoảng theo loại đơn vị', 'range by unit type', 'rangebyunittype'],
  changeFromPrevious: ['thay đổi so với kỳ trước', 'change from previous', 'changefromprevious'],
} as const;
export const AGGREGATES = {
  sum: ['tổng', 'sum'],
  fromSums: ['tính từ tổng', 'from sums', 'fromsums'],
  countRows: ['đếm dòng', 'count rows', 'countrows'],
  countBy: ['đếm theo lựa chọn', 'count by', 'countby'],
  distribution: ['phân bố', 'distribution'],
  countTrue: ['đếm có', 'count true', 'counttrue'],
  countWhere: ['đếm đơn vị thỏa điều kiện', 'count where', 'countwhere'],
  stats: ['nhỏ nhất-lớn nhất-trung bình', 'nhỏ nhất - lớn nhất - trung bình', 'stats'],
  texts: ['danh sách ý kiến', 'texts'],
} as const;
export const MONEY_UNITS = { dong: ['đồng', 'dong'], trieu_dong: ['triệu đồng', 'trieu_dong'] } as const;

const YES = ['có', 'x', '1', 'true', 'yes', 'đúng'];
const NO = ['không', '0', 'false', 'no', 'sai'];
export const YES_WORD = 'có';
export const NO_WORD = 'không';
export function yesNo(s: string): boolean | undefined {
  const n = norm(s);
  return YES.includes(n) ? true : NO.includes(n) ? false : undefined;
}

/** Without accents (a clerk without a Vietnamese keyboard types "so nguyen" for "số nguyên"). */
export const fold = (s: string) => foldText(norm(s));

/** The first of these names that the text is (compared normalised, then without accents). */
export function pick<T>(items: readonly T[], names: (x: T) => readonly string[], text: string): T | undefined {
  const n = norm(text);
  const exact = items.find((x) => names(x).some((w) => norm(w) === n));
  if (exact !== undefined) return exact;
  const f = foldText(n);
  return items.find((x) => names(x).some((w) => fold(w) === f));
}

/** The key of a closed list whose words include this text (compared normalised, then without accents). */
export function lookup<K extends string>(table: Record<K, readonly string[]>, text: string): K | undefined {
  return pick(Object.entries(table) as [K, readonly string[]][], ([, words]) => words, text)?.[0];
}

/** 0 → "A", 27 → "AB". */
export function columnLetter(i: number): string {
  let s = '';
  for (let n = i + 1; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(65 + ((n - 1) % 26)) + s;
  return s;
}
