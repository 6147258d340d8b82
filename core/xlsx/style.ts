/**
 * The look shared by every workbook the app writes (the commune package and the city's Biểu tổng
 * hợp): Times New Roman, thin black borders, grey computed cells, Vietnamese number formats
 * ([$-42A]), the national heading, the signature block, A4 fitted to the width.
 */
import type ExcelJS from 'exceljs';
import type { Column } from '../../shared/index.js';

export const FONT = 'Times New Roman';

const thin: Partial<ExcelJS.Border> = { style: 'thin', color: { argb: 'FF000000' } };
export const BORDER: Partial<ExcelJS.Borders> = { top: thin, left: thin, bottom: thin, right: thin };
export const GREY: ExcelJS.Fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFEDEDED' } };
export const HEADER_FILL: ExcelJS.Fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFF2F2F2' } };

export const font = (o: Partial<ExcelJS.Font> = {}): Partial<ExcelJS.Font> => ({ name: FONT, size: 11, ...o });

export const CENTER: Partial<ExcelJS.Alignment> = { horizontal: 'center', vertical: 'middle', wrapText: true };
export const LEFT: Partial<ExcelJS.Alignment> = { horizontal: 'left', vertical: 'middle', wrapText: true, indent: 1 };
export const RIGHT: Partial<ExcelJS.Alignment> = { horizontal: 'right', vertical: 'middle', indent: 1 };

export function colLetter(n: number): string {
  let s = '';
  for (; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(65 + ((n - 1) % 26)) + s;
  return s;
}
export const addr = (row: number, col: number) => `${colLetter(col)}${row}`;
export const quoteSheet = (name: string) => `'${name.replace(/'/g, "''")}'`;

/**
 * Number format of a value type. The [$-42A] tag (Vietnamese) makes LibreOffice show 1.234.567,
 * 12,50 and 97,85% whatever the language of the machine; Excel shows its regional separators.
 */
export const VI = '[$-42A]';
export function numFmt(spec: Pick<Column, 'type' | 'signed' | 'year' | 'moneyUnit' | 'decimals'>): string | undefined {
  switch (spec.type) {
    case 'money': {
      // đồng: whole numbers; triệu đồng: the item's decimals (default 3), so that what is printed is what was entered.
      const d = (spec.moneyUnit ?? 'dong') === 'dong' ? 0 : (spec.decimals ?? 3);
      return `${VI}#,##0${d ? `.${'0'.repeat(d)}` : ''}`;
    }
    case 'date':
      return `${VI}dd/mm/yyyy`;
    case 'longtext':
      return '@';
    case 'integer':
      return spec.year ? '0' : spec.signed ? `${VI}#,##0;-#,##0` : `${VI}#,##0`;
    case 'decimal': {
      // As many decimals as the item allows (default 2), so that what is printed is what was entered.
      const d = spec.decimals ?? 2;
      return `${VI}#,##0${d ? `.${'0'.repeat(d)}` : ''}`;
    }
    case 'rate':
      return `${VI}0.00%`;
    case 'text':
    case 'multi':
      return '@';
    default:
      return undefined;
  }
}

/** Estimated lines a text takes in a cell of the given width (Excel character units). */
export function lines(text: string, width: number, size = 11, bold = false): number {
  const perLine = Math.max(1, (width * 1.2 * 11) / size / (bold ? 1.1 : 1));
  return text.split('\n').reduce((n, l) => n + Math.max(1, Math.ceil(l.length / perLine)), 0);
}
/** Excel's highest row, in points. */
export const MAX_ROW_HEIGHT = 409;
/** The height (points) of a row of n lines, at most Excel's highest row unless a higher `max` is given (to split over rows). */
export const heightFor = (n: number, size = 11, max = MAX_ROW_HEIGHT) => Math.min(max, Math.max(16, n * size * 1.32 + 4));

/**
 * Lines a long text takes when wrapped at word boundaries in a cell of the given width, estimated
 * on the safe side (a long answer must print whole: too tall a row costs paper, too short one cuts words).
 */
export function longLines(text: string, width: number): number {
  // Measured: LibreOffice prints about 1,45 characters of Vietnamese prose in Times New Roman 11 per unit of column width; 1,25 leaves a margin.
  const perLine = Math.max(8, Math.floor(width * 1.25) - 2);
  let n = 0;
  for (const para of text.split('\n')) {
    let line = 0;
    n++;
    for (const word of para.split(/\s+/).filter(Boolean)) {
      const w = word.length;
      if (line && line + 1 + w > perLine) {
        n++;
        line = 0;
      }
      if (w > perLine) {
        n += Math.ceil(w / perLine) - 1;
        line = w % perLine;
      } else line += (line ? 1 : 0) + w;
    }
  }
  return n;
}

/** The number format of a cell that does not apply to the unit: whatever it holds (a 0 for the formulas that read it), it shows this text. */
export const naFormat = (shown: string) => {
  const q = `"${shown.replace(/"/g, '')}"`;
  return `${q};${q};${q};${q}`;
};

/**
 * In OOXML "_xHHHH_" stands for a character. Excel reads it strictly, LibreOffice also with fewer
 * digits ("bao_tro_xa_hoi" comes back with a line break), and ExcelJS writes text as it is. So
 * every "_x" of a text is written as "_x005F_x" (an escaped "_"), which every reader decodes back.
 */
export const escapeText = (s: string) => s.replace(/_(?=[xX])/g, '_x005F_');

export const MARGINS = { left: 0.6, right: 0.4, top: 0.55, bottom: 0.6, header: 0.25, footer: 0.3 };
export const DEFAULT_ROW_HEIGHT = 15;

/**
 * Pages are always fitted to the width. When, at that scale, the sheet is only a little longer
 * than one page, it is fitted to one page too, so that a signature block never sits alone on a
 * second page; a really long sheet runs over several pages with its table header repeated.
 */
export function fitPage(
  ws: ExcelJS.Worksheet,
  widths: number[],
  lastRow: number,
  landscape: boolean,
  keep?: { from: number; to: number },
): void {
  const [pageW, pageH] = landscape ? [842, 595] : [595, 842];
  const printW = pageW - (MARGINS.left + MARGINS.right) * 72;
  const printH = pageH - (MARGINS.top + MARGINS.bottom) * 72;
  const sheetW = widths.reduce((a, w) => a + w * 5.25 + 3.75, 0);
  const height = (r: number) => ws.getRow(r).height || DEFAULT_ROW_HEIGHT;
  let sheetH = 0;
  for (let r = 1; r <= lastRow; r++) sheetH += height(r);
  const scale = Math.min(1, printW / sheetW);
  if (sheetH * scale <= printH * 1.4) {
    ws.pageSetup.fitToHeight = 1;
    return;
  }
  if (!keep) return;
  // Over several pages: the rows `keep` (the signature block) are never cut by a page end. Pages
  // are laid out as a printer would (the repeated header rows on every page after the first), at
  // the scale estimated above (Excel) and at LibreOffice's, which measures the columns about 1.31
  // times wider (measured on a printed package) and so prints smaller; when the block would
  // straddle two pages in either, it starts the next one.
  const titles = /^(\d+):(\d+)$/.exec(ws.pageSetup.printTitlesRow ?? '');
  let titleH = 0;
  if (titles) for (let r = Number(titles[1]); r <= Number(titles[2]); r++) titleH += height(r);
  const cut = (s: number): boolean => {
    const room = printH / (Math.floor(s * 100) / 100); // a printer's scale is a whole percentage
    let used = 0;
    let page = 0;
    let keepPage = 0;
    for (let r = 1; r <= keep.to; r++) {
      if (used + height(r) > room && used > 0) {
        page++;
        used = titles && r > Number(titles[2]) ? titleH : 0;
      }
      used += height(r);
      if (r === keep.from) keepPage = page;
    }
    return page !== keepPage;
  };
  if (keep.from > 1 && (cut(scale) || cut(Math.min(1, printW / (sheetW * 1.31)))))
    ws.getRow(keep.from - 1).addPageBreak();
}

/** Write a value (merged over a range when it spans several columns) with a style; borders on every cell of the range. */
export function merge(
  ws: ExcelJS.Worksheet,
  r1: number,
  c1: number,
  r2: number,
  c2: number,
  value: ExcelJS.CellValue,
  style: Partial<ExcelJS.Style> & { border?: Partial<ExcelJS.Borders> } = {},
): ExcelJS.Cell {
  if (r2 > r1 || c2 > c1) ws.mergeCells(r1, c1, r2, c2);
  const cell = ws.getCell(r1, c1);
  cell.value = value;
  if (style.font) cell.font = style.font;
  if (style.alignment) cell.alignment = style.alignment;
  if (style.numFmt) cell.numFmt = style.numFmt;
  // Borders and fills on every cell of the range, so that every edge prints; the rest only on the first.
  for (let r = r1; r <= r2; r++)
    for (let c = c1; c <= c2; c++) {
      const x = r === r1 && c === c1 ? cell : style.border || style.fill ? ws.getCell(r, c) : undefined;
      if (!x) continue;
      if (style.border) x.border = style.border;
      if (style.fill) x.fill = style.fill;
    }
  return cell;
}

/** CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM / Độc lập - Tự do - Hạnh phúc over columns 1..n, from `row`. */
export function nationalHeading(ws: ExcelJS.Worksheet, row: number, n: number): void {
  merge(ws, row, 1, row, n, 'CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM', {
    font: font({ bold: true, size: 12 }),
    alignment: CENTER,
  });
  merge(ws, row + 1, 1, row + 1, n, 'Độc lập - Tự do - Hạnh phúc', {
    font: font({ bold: true, size: 13, underline: true }),
    alignment: CENTER,
  });
}

/**
 * The top of a sheet over all its columns: the national heading, the title (bold, its row as tall
 * as the text needs) and the report line (italic) under it.
 */
export function sheetTitle(
  ws: ExcelJS.Worksheet,
  rows: { national: number; title: number; report: number },
  widths: number[],
  title: string,
  report: string,
): void {
  const n = widths.length;
  const total = widths.reduce((a, b) => a + b, 0);
  nationalHeading(ws, rows.national, n);
  merge(ws, rows.title, 1, rows.title, n, title, { font: font({ bold: true, size: 14 }), alignment: CENTER });
  ws.getRow(rows.title).height = heightFor(lines(title, total, 14, true), 14);
  merge(ws, rows.report, 1, rows.report, n, report, { font: font({ italic: true, size: 12 }), alignment: CENTER });
}

/** The title of a block (a table, a part) over columns 1..n. */
export function blockTitle(ws: ExcelJS.Worksheet, row: number, n: number, title: string): void {
  merge(ws, row, 1, row, n, title, { font: font({ bold: true, size: 12 }), alignment: { vertical: 'middle' } });
}

/**
 * The signature block's first three rows from `top`: place and date on the right, NGƯỜI LẬP BIỂU
 * (columns 1..split) and THỦ TRƯỞNG ĐƠN VỊ (split+1..n) with their "(Ký, …)" lines. Names go 7 rows below `top`.
 */
export function signatureHeads(ws: ExcelJS.Worksheet, top: number, split: number, n: number, place: string): void {
  const center = { horizontal: 'center', vertical: 'middle' } as const;
  merge(ws, top, split + 1, top, n, `${place}, ngày … tháng … năm …`, {
    font: font({ italic: true, size: 12 }),
    alignment: center,
  });
  merge(ws, top + 1, 1, top + 1, split, 'NGƯỜI LẬP BIỂU', { font: font({ bold: true, size: 12 }), alignment: center });
  merge(ws, top + 1, split + 1, top + 1, n, 'THỦ TRƯỞNG ĐƠN VỊ', {
    font: font({ bold: true, size: 12 }),
    alignment: center,
  });
  merge(ws, top + 2, 1, top + 2, split, '(Ký, ghi rõ họ tên)', { font: font({ italic: true }), alignment: center });
  merge(ws, top + 2, split + 1, top + 2, n, '(Ký, ghi rõ họ tên, đóng dấu)', {
    font: font({ italic: true }),
    alignment: center,
  });
}
