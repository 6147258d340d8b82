import type { Unit } from '../../../shared/contract.js';
import { lastDay } from '../../../shared/requests.js';
import type { DueWording } from '../../../shared/requests.js';
import { foldText } from '../../../shared/text.js';

/**
 * Codes or names pasted one per line ("11311", "Phường Hồng Bàng", "hong bang"), matched against
 * the unit list: a code, a whole name, or a name without its "Xã"/"Phường" when only one unit has it.
 */
export function resolveLines(text: string, units: readonly Unit[]): { codes: string[]; unmatched: string[] } {
  const codes: string[] = [];
  const unmatched: string[] = [];
  for (const raw of text.split(/[\n;]+/)) {
    const line = raw.trim();
    if (!line) continue;
    const f = foldText(line);
    let hit = units.find((u) => u.code === line) ?? units.find((u) => foldText(u.name) === f);
    if (!hit) {
      const tail = units.filter((u) => foldText(u.name).endsWith(` ${f}`));
      if (tail.length === 1) hit = tail[0];
    }
    if (hit) {
      if (!codes.includes(hit.code)) codes.push(hit.code);
    } else unmatched.push(line);
  }
  return { codes, unmatched };
}

/** "27/6/2026": a date as the letters write it. */
export function dmy(iso: string): string {
  const [y, m, d] = iso.split('-').map(Number);
  return `${d}/${m}/${y}`;
}

/** The last day on time, written as the live sentence ends: "26/6/2026". */
export function lastDayText(due: string, wording: DueWording): string {
  return dmy(lastDay(due, wording));
}
