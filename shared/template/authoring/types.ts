/** One sheet of an authoring workbook as plain cells: row 0 is the header row (Excel row 1). */
export type Cell = string | number | boolean | null;
export interface SheetData {
  name: string;
  rows: Cell[][];
}
