import type { Template } from '../shared/index.js';

/** The Excel package module, loaded on first use (ExcelJS is heavy; the app starts without it). */
type XlsxModule = typeof import('./xlsx/index.js');
let xlsx: Promise<XlsxModule> | undefined;
export function loadXlsx(): Promise<XlsxModule> {
  return (xlsx ??= import('./xlsx/index.js'));
}

/** `BC-CX_11948_2026-Q2_r1.xlsx` */
export function packageFileName(t: Pick<Template, 'id'>, unit: string, period: string, revision: number): string {
  return `${t.id}_${unit}_${period}_r${revision}.xlsx`;
}

/** `BC-CX_11948_2026-Q2_nhap_20260510-1000.xlsx`: a copy of the draft (time in Vietnam), never `_rN`. */
export function draftFileName(t: Pick<Template, 'id'>, unit: string, period: string, at: Date): string {
  const vn = new Date(at.getTime() + 7 * 3600_000).toISOString();
  return `${t.id}_${unit}_${period}_nhap_${vn.slice(0, 10).replace(/-/g, '')}-${vn.slice(11, 16).replace(':', '')}.xlsx`;
}
