import type { Template } from '../shared/index.js';

/** The Excel package module, loaded on first use (ExcelJS is heavy; the app starts without it). */
type XlsxModule = typeof import('./xlsx/index.js');
let xlsx: Promise<XlsxModule> | undefined;
export function loadXlsx(): Promise<XlsxModule> {
  return (xlsx ??= import('./xlsx/index.js'));
}

/** A part of a file name that is safe on every file system (a unit code from a foreign list may hold "/" or ":"). */
const safe = (s: string) => s.replace(/[^\p{L}\p{N}.-]+/gu, '-');

/** `<template>_<unit>_<period>_r<revision>.xlsx`, e.g. `PCM_11948_2026-H1_r1.xlsx` (any template: ids are [A-Z0-9-]). */
export function packageFileName(t: Pick<Template, 'id'>, unit: string, period: string, revision: number): string {
  return `${safe(t.id)}_${safe(unit)}_${safe(period)}_r${revision}.xlsx`;
}

/** `<template>_<unit>_<period>_nhap_20260510-1000.xlsx`: a copy of the draft (time in Vietnam), never `_rN`. */
export function draftFileName(t: Pick<Template, 'id'>, unit: string, period: string, at: Date): string {
  const vn = new Date(at.getTime() + 7 * 3600_000).toISOString();
  return `${safe(t.id)}_${safe(unit)}_${safe(period)}_nhap_${vn.slice(0, 10).replace(/-/g, '')}-${vn.slice(11, 16).replace(':', '')}.xlsx`;
}
