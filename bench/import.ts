/**
 * Import speed (issue 3, "Speed"): reading 114 and 3,321 packages with readPackage (the guard and
 * the fast reader), SheetJS's parse alone (`XLSX.read`, a dev dependency of the benchmark only) on
 * the same files, the ExcelJS reader it replaced, and the full import into a fresh city database.
 *
 * `benchImport(report)` is called by bench/run.ts; `node --import tsx bench/import.ts` runs it alone.
 * Each measurement runs in a fresh child process, so that its peak memory (maxRSS) is its own.
 * The packages are written once (ExcelJS writer, about 1–3 minutes for 3,321) and cached in the
 * temp folder under a key of the returns, the template and the writer's source.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ReturnJson, Template, Unit } from '../shared/index.js';
import { loadTemplates } from '../core/resources.js';

export type Report = (name: string, value: string, goal: string) => void;

const root = path.resolve(import.meta.dirname, '..');
const self = fileURLToPath(import.meta.url);
const loadTemplate = (): Template => loadTemplates(path.join(root, 'resources/templates')).get('BC-CX@1')!;

interface ReadFigures {
  n: number;
  totalMs: number;
  mean: number;
  p50: number;
  p95: number;
  max: number;
  /** Peak resident memory of the process (MB), and resident memory after the first 114 files and at the end. */
  peakMB: number;
  rssEarlyMB: number;
  rssEndMB: number;
  failures: number;
  firstFailure?: string;
}

// ---------------------------------------------------------------------------------------------
// The packages

async function generate(name: string, returns: ReturnJson[], units: Map<string, Unit>): Promise<string> {
  const writerFiles = ['write.ts', 'layout.ts', 'formula.ts', 'style.ts'].map((f) => path.join(root, 'core/xlsx', f));
  const h = createHash('sha256').update(JSON.stringify(returns));
  h.update(JSON.stringify(loadTemplate()));
  for (const f of writerFiles) if (existsSync(f)) h.update(readFileSync(f));
  const dir = path.join(os.tmpdir(), `cr-bench-import-${name}-${h.digest('hex').slice(0, 12)}`);
  if (existsSync(path.join(dir, 'done'))) return dir;
  const { writePackage } = await import('../core/xlsx/index.js');
  const t = loadTemplate();
  const tmp = `${dir}.${process.pid}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const start = performance.now();
  for (const [i, ret] of returns.entries()) {
    const id = createHash('sha256').update(`${ret.unit}|${ret.period}|1`).digest('hex');
    const packageId = `${id.slice(0, 8)}-${id.slice(8, 12)}-4${id.slice(13, 16)}-a${id.slice(17, 20)}-${id.slice(20, 32)}`;
    const bytes = await writePackage({
      template: t,
      ret,
      unit: units.get(ret.unit)!,
      meta: {
        packageId,
        revision: 1,
        createdAt: '2026-06-18T03:00:00.000Z',
        submittedAt: '2026-06-18T03:00:00.000Z',
        submittedBy: 'bench',
        appVersion: 'bench',
      },
    });
    writeFileSync(path.join(tmp, `BC-CX_${ret.unit}_${ret.period}_r1.xlsx`), bytes);
    if ((i + 1) % 500 === 0)
      console.log(
        `  … ${i + 1}/${returns.length} packages written (${((performance.now() - start) / 1000).toFixed(0)} s)`,
      );
  }
  writeFileSync(path.join(tmp, 'done'), '');
  try {
    renameSync(tmp, dir);
  } catch {
    rmSync(tmp, { recursive: true, force: true }); // made by another run meanwhile
  }
  return dir;
}

async function packageSets(): Promise<{ city: string; national: string }> {
  const { cityReturns, haiphongUnits, randomReturns, vietnamUnits } = await import('../tests/helpers/city-returns.js');
  const hp = haiphongUnits();
  const vn = vietnamUnits();
  const city = await generate('hp114', cityReturns(), new Map(hp.map((u) => [u.code, u])));
  console.log(`  writing (or reusing) ${vn.length} packages of the national list…`);
  const national = await generate(`vn${vn.length}`, randomReturns(vn, 3321), new Map(vn.map((u) => [u.code, u])));
  return { city, national };
}

const filesOf = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.xlsx'))
    .sort()
    .map((f) => path.join(dir, f));

// ---------------------------------------------------------------------------------------------
// Child processes: one measurement each

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
};
const mbOf = (bytes: number) => bytes / 1024 / 1024;

async function childRead(kind: 'fast' | 'sheetjs' | 'exceljs', dir: string, limit: number): Promise<ReadFigures> {
  const files = filesOf(dir).slice(0, limit);
  let read: (b: Buffer) => unknown;
  if (kind === 'sheetjs') {
    const XLSX = createRequire(import.meta.url)('xlsx') as { read(b: Buffer): unknown };
    read = (b) => XLSX.read(b);
  } else {
    const x = await import('../core/xlsx/index.js');
    const t = loadTemplate();
    const get = (id: string, v: number) => (id === t.id && v === t.version ? t : undefined);
    read = kind === 'fast' ? (b) => x.readPackage(b, get) : (b) => x.readPackageWithExcelJS(b, get);
  }
  for (const f of files.slice(0, 3)) await read(readFileSync(f)); // warm up
  const times: number[] = [];
  let failures = 0;
  let firstFailure: string | undefined;
  let rssEarly = 0;
  const start = performance.now();
  for (const [i, f] of files.entries()) {
    const t0 = performance.now();
    try {
      await read(readFileSync(f));
    } catch (e) {
      failures++;
      firstFailure ??= `${path.basename(f)}: ${(e as Error).message}`;
    }
    times.push(performance.now() - t0);
    if (i === 113) rssEarly = process.memoryUsage().rss;
  }
  const totalMs = performance.now() - start;
  return {
    n: files.length,
    totalMs,
    mean: totalMs / files.length,
    p50: pct(times, 50),
    p95: pct(times, 95),
    max: Math.max(...times),
    peakMB: process.resourceUsage().maxRSS / 1024,
    rssEarlyMB: mbOf(rssEarly || process.memoryUsage().rss),
    rssEndMB: mbOf(process.memoryUsage().rss),
    failures,
    firstFailure,
  };
}

/** The full import (core/city, another engineer's) into a fresh city database, files read one at a time. */
async function childImport(dir: string, unitsCsv: string): Promise<ReadFigures & { outcomes: Record<string, number>; consolidationMs: number; workbookMs: number }> {
  const { createCore } = await import('../core/handlers.js');
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'cr-bench-city-'));
  try {
    const core = await createCore({
      dbPath: path.join(tmp, 'city.sqlite'),
      resourcesDir: path.join(root, 'resources'),
      appVersion: 'bench',
      now: () => new Date('2026-06-25T03:00:00Z'),
    });
    const handlers = core.handlers as unknown as Record<string, (i: unknown) => Promise<unknown>>;
    if (!unitsCsv.endsWith('haiphong.csv'))
      await handlers['units.import']!({
        file: { fileName: path.basename(unitsCsv), data: readFileSync(unitsCsv).toString('base64') },
      });
    const files = filesOf(dir);
    const times: number[] = [];
    let last = performance.now();
    let rssEarly = 0;
    function* incoming() {
      for (const f of files) yield { name: path.basename(f), bytes: readFileSync(f) };
    }
    const outcomes: Record<string, number> = {};
    let firstFailure: string | undefined;
    const start = performance.now();
    const results = await core.city.importFiles(incoming(), {
      dryRun: false,
      onResult: (r, i) => {
        const now = performance.now();
        times.push(now - last);
        last = now;
        outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
        if (r.outcome === 'refused') firstFailure ??= `${r.file}: ${r.message}`;
        if (i === 113) rssEarly = process.memoryUsage().rss;
      },
    });
    const totalMs = performance.now() - start;
    // The consolidation of every unit of the list (JSON), then its workbook.
    const consolidationMs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      await handlers['city.consolidation']!({ template: 'BC-CX', period: '2026-Q2' });
      consolidationMs.push(performance.now() - t);
    }
    const t = performance.now();
    await handlers['city.consolidation.export']!({ template: 'BC-CX', period: '2026-Q2' });
    const workbookMs = performance.now() - t;
    await core.close();
    return {
      consolidationMs: pct(consolidationMs, 50),
      workbookMs,
      n: results.length,
      totalMs,
      mean: totalMs / results.length,
      p50: pct(times, 50),
      p95: pct(times, 95),
      max: Math.max(...times),
      peakMB: process.resourceUsage().maxRSS / 1024,
      rssEarlyMB: mbOf(rssEarly),
      rssEndMB: mbOf(process.memoryUsage().rss),
      failures: outcomes.refused ?? 0,
      firstFailure,
      outcomes,
    };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function inChild<T>(args: string[]): T {
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', self, '--child', ...args], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 30 * 60_000,
  });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !line.startsWith('{'))
    throw new Error(`${args.join(' ')} failed: ${(r.stderr || r.stdout).slice(-2000)}`);
  return JSON.parse(line) as T;
}

// ---------------------------------------------------------------------------------------------

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const ms = (x: number) => `${x.toFixed(2)} ms`;
const describe = (f: ReadFigures) =>
  `${s(f.totalMs)} for ${f.n} (${ms(f.mean)}/package, p50 ${ms(f.p50)}, p95 ${ms(f.p95)}, max ${ms(f.max)}); ` +
  `peak RSS ${f.peakMB.toFixed(0)} MB, RSS after 114 files ${f.rssEarlyMB.toFixed(0)} MB, at the end ${f.rssEndMB.toFixed(0)} MB` +
  (f.failures ? `; ${f.failures} FAILED (${f.firstFailure})` : '');

export async function benchImport(report: Report): Promise<void> {
  const { city, national } = await packageSets();
  const nCity = filesOf(city).length;
  const nNational = filesOf(national).length;

  const exceljs = inChild<ReadFigures>(['exceljs', city, String(nCity)]);
  report(`Before: ExcelJS reader, ${nCity} packages`, describe(exceljs), '—');

  const fast114 = inChild<ReadFigures>(['fast', city, String(nCity)]);
  const sheet114 = inChild<ReadFigures>(['sheetjs', city, String(nCity)]);
  report(`readPackage (guard + fast reader), ${nCity} packages`, describe(fast114), '≤ 2 s');
  report(`SheetJS XLSX.read alone, same ${nCity} files`, describe(sheet114), '—');
  report(
    `readPackage ÷ SheetJS parse, ${nCity}`,
    `${(fast114.totalMs / sheet114.totalMs).toFixed(2)} (ExcelJS reader was ${(exceljs.totalMs / sheet114.totalMs).toFixed(2)})`,
    '≤ 1',
  );

  const fastAll = inChild<ReadFigures>(['fast', national, String(nNational)]);
  const sheetAll = inChild<ReadFigures>(['sheetjs', national, String(nNational)]);
  report(`readPackage (guard + fast reader), ${nNational} packages`, describe(fastAll), '≤ 30 s, memory flat');
  report(`SheetJS XLSX.read alone, same ${nNational} files`, describe(sheetAll), '—');
  report(`readPackage ÷ SheetJS parse, ${nNational}`, (fastAll.totalMs / sheetAll.totalMs).toFixed(2), '≤ 1');
  report(
    'readPackage peak memory, 114 vs 3,321 files',
    `${fast114.peakMB.toFixed(0)} MB vs ${fastAll.peakMB.toFixed(0)} MB (RSS after 114 files ${fastAll.rssEarlyMB.toFixed(0)} MB, after ${nNational} ${fastAll.rssEndMB.toFixed(0)} MB)`,
    'flat',
  );

  if (!existsSync(path.join(root, 'core/city/import.ts'))) {
    report(
      'Full import into a fresh city database',
      'not measured: core/city/import.ts does not exist yet',
      '≤ 2 s / ≤ 30 s',
    );
    return;
  }
  for (const [dir, csv, n, goal, sheet] of [
    [city, 'haiphong.csv', nCity, '≤ 2 s', sheet114],
    [national, 'vietnam.csv', nNational, '≤ 30 s, memory flat', sheetAll],
  ] as const) {
    try {
      const imp = inChild<ReadFigures & { outcomes: Record<string, number>; consolidationMs: number; workbookMs: number }>([
        'import',
        dir,
        path.join(root, 'resources/units', csv),
      ]);
      report(
        `Full import into a fresh city database, ${n} packages`,
        `${describe(imp)}; outcomes ${JSON.stringify(imp.outcomes)}`,
        goal,
      );
      report(`Full import ÷ SheetJS parse alone, ${n}`, (imp.totalMs / sheet.totalMs).toFixed(2), '≤ 1');
      report(`Consolidation of ${n} units (JSON, median of 5)`, ms(imp.consolidationMs), n > 1000 ? '≤ 500 ms' : '—');
      report(`Consolidation workbook of ${n} units`, s(imp.workbookMs), '—');
    } catch (e) {
      report(
        `Full import into a fresh city database, ${n} packages`,
        `could not be measured: ${(e as Error).message.slice(0, 400)}`,
        goal,
      );
    }
  }
}

// ---------------------------------------------------------------------------------------------

if (process.argv[1] && pathToFileURL(path.resolve(process.argv[1])).href === import.meta.url) {
  const [flag, mode, dir, arg] = process.argv.slice(2);
  if (flag === '--child') {
    const out =
      mode === 'import'
        ? await childImport(dir!, arg!)
        : await childRead(mode as 'fast' | 'sheetjs' | 'exceljs', dir!, Number(arg) || Infinity);
    console.log(JSON.stringify(out));
    process.exit(0);
  } else {
    const results: string[] = [];
    await benchImport((name, value, goal) => {
      const line = `${name}: ${value} (goal ${goal})`;
      results.push(line);
      console.log(line);
    });
  }
}
