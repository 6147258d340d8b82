/**
 * The authoring workbook as a file (docs/authoring.md): read under the guard (core/xlsx/guard.ts:
 * not an xlsx, zip bombs, hostile XML, too many rows are refused before anything is parsed), built
 * into a template by the compiler (shared/template/authoring), written with ExcelJS (header row
 * bold and frozen, widths, a note on every heading).
 */
import ExcelJS from 'exceljs';
import type { AuthoringProblem, Template } from '../../shared/index.js';
import { AppError } from '../../shared/index.js';
import type { Cell, SheetData } from '../../shared/template/authoring/index.js';
import {
  CHOICE_COLUMNS,
  CONSOLIDATION_COLUMNS,
  FORM_COLUMNS,
  MAX_SHEET_ROWS,
  RULE_COLUMNS,
  SETTINGS,
  SETTINGS_COLUMNS,
  SHEETS,
  compileWorkbook,
  templateToSheets,
} from '../../shared/template/authoring/index.js';
import { FastWorkbook } from '../xlsx/fast-read.js';
import { LIMITS, openZip } from '../xlsx/guard.js';
import { FONT, escapeText, heightFor, lines } from '../xlsx/style.js';

const AGAIN = 'Hãy mở tệp bằng Excel hoặc LibreOffice, lưu lại với định dạng "Excel Workbook (*.xlsx)" rồi tải lên lại, hoặc bắt đầu từ mẫu trống của ứng dụng ("Tải mẫu trống").';
const HOSTILE = 'Ứng dụng đã từ chối tệp và không mở nó. Hãy dùng đúng sổ mẫu báo cáo (tải mẫu trống hoặc một mẫu đã có từ ứng dụng) rồi tải lên lại.';

export const AUTHORING_MESSAGES = {
  corrupt: `Không đọc được tệp: tệp không phải là sổ Excel (.xlsx) hoặc đã bị hỏng, thiếu dữ liệu. ${AGAIN}`,
  oldXls: `Tệp này là tệp Excel cũ (.xls) hoặc đã đặt mật khẩu; ứng dụng chỉ đọc sổ mẫu dạng .xlsx không đặt mật khẩu. ${AGAIN}`,
  bomb: `Tệp khi giải nén sẽ lớn bất thường (có thể là tệp độc hại, "bom nén"); một sổ mẫu báo cáo chỉ vài chục KB. ${HOSTILE}`,
  hostile: `Tệp chứa thành phần bất thường mà sổ Excel bình thường không có (có thể là tệp độc hại). ${HOSTILE}`,
  tooBig: `Tệp quá lớn để là một sổ mẫu báo cáo (một sổ mẫu chỉ vài chục KB). ${HOSTILE}`,
  sheetTooBig: `Một trang của tệp quá lớn (nhiều MB dữ liệu): có thể đã lỡ điền hoặc định dạng xuống hàng chục nghìn dòng. Một trang của sổ mẫu tối đa ${MAX_SHEET_ROWS.toLocaleString('vi-VN')} dòng: hãy xóa các dòng thừa rồi tải lên lại.`,
  tooManyRows: (sheet: string) =>
    `Trang "${sheet}" có hơn ${MAX_SHEET_ROWS.toLocaleString('vi-VN')} dòng (tối đa ${MAX_SHEET_ROWS.toLocaleString('vi-VN')} dòng một trang); một mẫu báo cáo chỉ có vài trăm dòng. Hãy xóa các dòng thừa (có thể đã lỡ điền hoặc định dạng xuống hết trang) rồi tải lên lại.`,
};

/** A guard refusal in words that fit an authoring workbook (the guard's own speak of report packages). */
function authoringError(e: unknown): unknown {
  if (!(e instanceof AppError)) return e;
  const reason = (e.details as { reason?: string } | undefined)?.reason ?? '';
  const message =
    reason === 'ole' || reason === 'encrypted' ? AUTHORING_MESSAGES.oldXls
    : reason.startsWith('zip_bomb') || reason === 'ratio' ? AUTHORING_MESSAGES.bomb
    : reason === 'xml_entity' || reason === 'xml_encoding' || reason === 'too_many_entries' ? AUTHORING_MESSAGES.hostile
    : reason === 'file_too_big' ? AUTHORING_MESSAGES.tooBig
    : reason === 'sheet_too_big' || reason === 'too_many_rows' ? AUTHORING_MESSAGES.sheetTooBig
    : e.code === 'corrupt_file' ? AUTHORING_MESSAGES.corrupt
    : undefined;
  return message ? new AppError(e.code, message, e.details, { cause: e }) : e;
}

class TooManyRows extends Error {
  constructor(readonly sheet: string) {
    super(AUTHORING_MESSAGES.tooManyRows(sheet));
  }
}

function plain(v: unknown): Cell {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  if (v instanceof Date) return v.toISOString().slice(0, 10);
  return String(v);
}

/** The sheets of an authoring workbook, synchronously (the built-in templates load at start). */
export function readAuthoringWorkbookSync(bytes: Uint8Array): SheetData[] {
  let wb: FastWorkbook;
  try {
    // Rows are capped per sheet below, where the sheet's name is known.
    wb = new FastWorkbook(openZip(bytes, { ...LIMITS, maxRows: Number.MAX_SAFE_INTEGER }), { ...LIMITS, maxRows: MAX_SHEET_ROWS });
  } catch (e) {
    throw authoringError(e);
  }
  const out: SheetData[] = [];
  for (const name of wb.sheets.keys()) {
    let numbered: Map<number, unknown[]>;
    try {
      numbered = wb.numberedRows(name) ?? new Map();
    } catch (e) {
      if (e instanceof AppError && (e.details as { reason?: string } | undefined)?.reason === 'too_many_rows') throw new TooManyRows(name);
      throw authoringError(e);
    }
    const rows: Cell[][] = [];
    for (const [n, values] of numbered) {
      while (rows.length < n) rows.push([]);
      rows[n - 1] = Array.from(values, plain);
    }
    out.push({ name, rows });
  }
  return out;
}

/** The sheets of an authoring workbook as plain cells. Refused with an AppError in Vietnamese: not an xlsx, a zip bomb, a sheet over 5,000 rows. */
export async function readAuthoringWorkbook(bytes: Uint8Array): Promise<SheetData[]> {
  try {
    return readAuthoringWorkbookSync(bytes);
  } catch (e) {
    if (e instanceof TooManyRows) throw new AppError('refused', e.message, { reason: 'too_many_rows', sheet: e.sheet });
    throw e;
  }
}

/** Read and compile, synchronously: a sheet over the row cap is a problem naming it; a broken or hostile file throws an AppError. */
export function buildTemplateFromWorkbookSync(bytes: Uint8Array): { template?: Template; problems: AuthoringProblem[] } {
  let sheets: SheetData[];
  try {
    sheets = readAuthoringWorkbookSync(bytes);
  } catch (e) {
    if (e instanceof TooManyRows) return { problems: [{ sheet: e.sheet, message: e.message }] };
    throw e;
  }
  return compileWorkbook(sheets);
}

/** Read and compile an authoring workbook: the template, or every problem with its sheet, row and column. */
export async function buildTemplateFromWorkbook(bytes: Uint8Array): Promise<{ template?: Template; problems: AuthoringProblem[] }> {
  return buildTemplateFromWorkbookSync(bytes);
}

// ---------------------------------------------------------------------------------------------
// Writing

const NOTES: Record<string, Map<string, string>> = {
  [SHEETS.settings.name]: new Map(SETTINGS_COLUMNS.map((c) => [c.heading, c.note])),
  [SHEETS.form.name]: new Map(FORM_COLUMNS.map((c) => [c.heading, c.note])),
  [SHEETS.choices.name]: new Map(CHOICE_COLUMNS.map((c) => [c.heading, c.note])),
  [SHEETS.rules.name]: new Map(RULE_COLUMNS.map((c) => [c.heading, c.note])),
  [SHEETS.consolidation.name]: new Map(CONSOLIDATION_COLUMNS.map((c) => [c.heading, c.note])),
};
const SETTING_NOTES = new Map<string, string>(SETTINGS.map((s) => [s.heading, s.note]));

/** Wide columns: the ones holding sentences or formulas. */
const WIDE = new Set(['Nhãn', 'Nhãn tiếng Anh', 'Công thức', 'Điều kiện', 'Thông báo', 'Thông báo tiếng Anh', 'Gợi ý', 'Gợi ý tiếng Anh', 'Giá trị', 'Các ô', 'Nhóm cột', 'Mẫu']);

export interface SheetStyle {
  /** Rows (0-based in the sheet's rows, after the heading) shown as greyed examples. */
  exampleRows?: Set<number>;
}

/** Add sheets of plain cells to a workbook: heading bold, filled and frozen, a note on each heading, widths by column. */
export function addAuthoringSheets(wb: ExcelJS.Workbook, sheets: SheetData[], style: Record<string, SheetStyle> = {}): void {
  for (const s of sheets) {
    const ws = wb.addWorksheet(s.name, { views: [{ state: 'frozen', ySplit: 1 }] });
    const header = (s.rows[0] ?? []).map((h) => String(h ?? ''));
    const widths = header.map((h, i) =>
      s.name === SHEETS.settings.name ? (i === 0 ? 26 : 70) : WIDE.has(h) ? (h === 'Công thức' || h === 'Điều kiện' || h === 'Thông báo' ? 60 : 40) : Math.max(12, Math.min(24, h.length + 4)),
    );
    ws.columns = widths.map((width) => ({ width }));
    s.rows.forEach((cells, i) => {
      const row = ws.getRow(i + 1);
      cells.forEach((v, j) => {
        if (v === null || v === undefined || v === '') return;
        const cell = row.getCell(j + 1);
        cell.value = typeof v === 'string' ? escapeText(v) : v;
        cell.font = { name: FONT, size: 11 };
        cell.alignment = { vertical: 'top', wrapText: true };
      });
      if (i === 0) {
        header.forEach((h, j) => {
          const cell = row.getCell(j + 1);
          cell.font = { name: FONT, size: 11, bold: true };
          cell.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFDDEBF7' } };
          cell.alignment = { vertical: 'middle', wrapText: true };
          const note = NOTES[s.name]?.get(h);
          if (note) cell.note = note;
        });
      } else if (s.name === SHEETS.settings.name) {
        const note = SETTING_NOTES.get(String(cells[0] ?? ''));
        if (note) row.getCell(1).note = note;
      }
      // Wrapped text needs its height: not every reader computes it (LibreOffice keeps the default).
      const n = Math.max(1, ...cells.map((v, j) => (v === null || v === undefined ? 1 : lines(String(v), widths[j] ?? 12, 11, i === 0))));
      if (n > 1) row.height = heightFor(n);
      if (style[s.name]?.exampleRows?.has(i))
        for (let j = 1; j <= Math.max(header.length, 1); j++) row.getCell(j).font = { name: FONT, size: 11, italic: true, color: { argb: 'FF808080' } };
    });
  }
}

/** A template as an authoring workbook (the exporter's sheets, styled). */
export async function writeAuthoringWorkbook(t: Template): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'commune-returns';
  addAuthoringSheets(wb, templateToSheets(t));
  return Buffer.from(await wb.xlsx.writeBuffer());
}
