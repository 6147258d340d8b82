import path from 'node:path';
import { parsePeriod, type Values } from '../../shared/index.js';
import { loadTemplates } from '../../core/resources.js';
import { sampleValues as exampleValues } from '../helpers/sample.js';

/** BC-CX as built from its authoring workbook (resources/templates/BC-CX.xlsx). */
export const template = loadTemplates(path.join(import.meta.dirname, '../../resources/templates')).get('BC-CX@1')!;
export const q2 = parsePeriod('2026-Q2')!;

/**
 * The example return of DOMAIN.md (tests/helpers/sample.ts), with an area and a population in the
 * usual range of a xã, so that it has no warning when validated as one.
 */
export function sampleValues(): Values {
  const v = exampleValues();
  v.unit_info.area_km2 = 23.2;
  v.unit_info.population = 31200;
  return v as unknown as Values;
}
