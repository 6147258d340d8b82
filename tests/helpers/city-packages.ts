/**
 * Real packages (core/xlsx writePackage) for the city tests: the 114 returns of cityReturns() as
 * packages, written once per content and cached in the temp folder (writing 114 workbooks takes
 * seconds), plus single packages and tampered copies for the refusal tests.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import type { ReturnJson, Template, Unit } from '../../shared/index.js';
import { loadTemplates } from '../../core/resources.js';
import { writePackage } from '../../core/xlsx/index.js';
import { packageFileName } from '../../core/packages.js';
import { CITY_PERIOD, cityReturns, haiphongUnits } from './city-returns.js';
import { repoRoot, resourcesDir } from './sample.js';

/** BC-CX as built from its authoring workbook (resources/templates/BC-CX.xlsx). */
export const template: Template = loadTemplates(path.join(resourcesDir, 'templates')).get('BC-CX@1')!;
/** Before the deadline of 2026-Q2 (20/06/2026). */
export const SUBMITTED_AT = '2026-06-18T03:00:00.000Z';

export interface MadePackage {
  fileName: string;
  bytes: Buffer;
  unit: string;
  revision: number;
  packageId: string;
}

/** A stable package id (a UUID-shaped hash), so cached packages and tests agree. */
export function packageIdOf(unit: string, period: string, revision: number, variant = ''): string {
  const h = createHash('sha256').update(`${unit}|${period}|${revision}|${variant}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const units = new Map(haiphongUnits().map((u) => [u.code, u]));

export async function makePackage(
  ret: ReturnJson,
  opts: { revision?: number; variant?: string; submittedAt?: string | null; unit?: Unit; template?: Template } = {},
): Promise<MadePackage> {
  const revision = opts.revision ?? ret.revision ?? 1;
  const unit = opts.unit ?? units.get(ret.unit);
  if (!unit) throw new Error(`unknown unit ${ret.unit}`);
  const packageId = packageIdOf(ret.unit, ret.period, revision, opts.variant);
  const submittedAt = opts.submittedAt === undefined ? SUBMITTED_AT : opts.submittedAt;
  const t = opts.template ?? template;
  const bytes = await writePackage({
    template: t,
    ret: { ...ret, templateVersion: t.version, revision },
    unit,
    meta: { packageId, revision, createdAt: submittedAt ?? SUBMITTED_AT, submittedAt, submittedBy: 'Người lập biểu', appVersion: '0.1.0-test' },
  });
  return { fileName: packageFileName(t, ret.unit, ret.period, revision), bytes, unit: ret.unit, revision, packageId };
}

/** A key of everything the packages depend on, so a change in the writer or the data refreshes the cache. */
function cacheKey(returns: ReturnJson[]): string {
  const h = createHash('sha256').update(JSON.stringify(returns));
  h.update(JSON.stringify(template));
  const xlsxDir = path.join(repoRoot, 'core/xlsx');
  for (const f of readdirSync(xlsxDir).sort()) h.update(f).update(readFileSync(path.join(xlsxDir, f)));
  return h.digest('hex').slice(0, 16);
}

/** The 114 packages (revision 1) of Hải Phòng for 2026-Q2 whose consolidation is CITY_FIGURES, as files in a folder. */
export async function cityPackageDir(): Promise<string> {
  const returns = cityReturns();
  const dir = path.join(os.tmpdir(), `cr-city-packages-${cacheKey(returns)}`);
  if (existsSync(path.join(dir, 'done'))) return dir;
  const tmp = `${dir}.${process.pid}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  for (const ret of returns) {
    const p = await makePackage(ret);
    writeFileSync(path.join(tmp, p.fileName), p.bytes);
  }
  writeFileSync(path.join(tmp, 'done'), '');
  try {
    renameSync(tmp, dir);
  } catch {
    // Another test file made the same cache at the same time.
    rmSync(tmp, { recursive: true, force: true });
  }
  return dir;
}

/** The 114 packages as files (name and bytes). */
export async function cityPackages(): Promise<MadePackage[]> {
  const dir = await cityPackageDir();
  return readdirSync(dir)
    .filter((f) => f.endsWith('.xlsx'))
    .sort()
    .map((f) => {
      const [, unit, , r] = /^BC-CX_(.+)_(.+)_r(\d+)\.xlsx$/.exec(f)!;
      return { fileName: f, bytes: readFileSync(path.join(dir, f)), unit: unit!, revision: Number(r), packageId: packageIdOf(unit!, CITY_PERIOD, Number(r)) };
    });
}

export function cityReturnOf(unit: string): ReturnJson {
  const r = cityReturns().find((x) => x.unit === unit);
  if (!r) throw new Error(`no return for ${unit}`);
  return r;
}

/** A zip archive of files. */
export function zipOf(files: { fileName: string; bytes: Uint8Array }[], level: 0 | 6 = 6): Buffer {
  return Buffer.from(zipSync(Object.fromEntries(files.map((f) => [f.fileName, [f.bytes, { level }]]))));
}

/** A copy of a workbook with one of its XML parts edited as text (what editing in Excel might do). */
export function editPart(xlsx: Uint8Array, part: string, edit: (xml: string) => string): Buffer {
  const files = unzipSync(xlsx);
  const xml = files[part];
  if (!xml) throw new Error(`no part ${part}`);
  const next = edit(strFromU8(xml));
  if (next === strFromU8(xml)) throw new Error(`editing ${part} changed nothing`);
  files[part] = strToU8(next);
  return Buffer.from(zipSync(files));
}

/** For the API: a file as the contract carries it. */
export function asFile(p: { fileName: string; bytes: Uint8Array }): { fileName: string; data: string } {
  return { fileName: p.fileName, data: Buffer.from(p.bytes).toString('base64') };
}
