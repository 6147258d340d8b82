/**
 * Speed of the request screens at city scale (issue 9), printed, never asserted. Real SQLite files,
 * real packages (.xlsx) imported at the city, real signed request files, a real intake on 127.0.0.1.
 * - the city with 60 requests over 4 templates (BC-CX, PCM, TSC, PCPQ) and the 114 units of Hải
 *   Phòng, about 3,000 stored packages: requests.list (its counts run per request; goal ≤ 300 ms),
 *   requests.completeness of one request (≤ 200 ms), requests.consolidation of a 114-unit request
 *   against city.consolidation of the same period;
 * - a commune holding 40 requests (100 editions) and 8 standing quarters: requests.todo (≤ 100 ms);
 * - receiving those 100 editions from files (per file), and the same 100 by an inbox pull through an intake;
 * - sign-in of a city user (scrypt) per attempt, in the core and through the browser mode's /login.
 *
 * The packages are written once and cached in the temp folder (under a key of the plan, the
 * templates and the package writer), as is the city database built from them (under a key that
 * adds the files shaping what it stores). `benchRequests(report)` is called by bench/run.ts
 * (`npm run bench -- requests`); `node --import tsx bench/requests.ts` runs it alone.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import type { CallName, Input, Output, RequestEdition, RequestInput, Template, Unit } from '../shared/index.js';
import { contract } from '../shared/index.js';
import { sampleReturn } from '../shared/template/sample.js';
import type { Core } from '../core/handlers.js';
import { createCore } from '../core/handlers.js';
import { loadTemplates, loadUnitList } from '../core/resources.js';
import { installCityKey, signFile } from '../core/requests/sign.js';
import { cityAuth } from '../core/users/sessions.js';
import { runAsUser } from '../core/users/context.js';
import { writePackage } from '../core/xlsx/index.js';
import { packageFileName } from '../core/packages.js';
import { buildServer, listen } from '../server/app.js';
import { CITY_KEY } from '../tests/helpers/city-key.js';
import { openCommune, startIntake } from '../tests/helpers/intake-server.js';
import { tempDir } from '../tests/helpers/sample.js';

export type Report = (name: string, value: string, goal: string) => void;

const root = path.resolve(import.meta.dirname, '..');
const resourcesDir = path.join(root, 'resources');
const templates = loadTemplates(path.join(resourcesDir, 'templates'));
const TEMPLATES = ['BC-CX', 'PCM', 'TSC', 'PCPQ'] as const;
const templateOf = (id: string): Template => templates.get(`${id}@1`)!;
/** The 114 units of Hải Phòng with their attributes (co_hdnd chooses what applies), as the city holds them. */
const units: Unit[] = loadUnitList(path.join(resourcesDir, 'units/haiphong.csv')).units;
const unitByCode = new Map(units.map((u) => [u.code, u]));
const DEPARTMENTS = ['Sở Nội vụ', 'Sở Tài chính', 'Sở Xây dựng'];
/** The city issues its requests on 15/6/2026 and follows them up on 30/6/2026 (Vietnam, 10:00). */
const ISSUED = new Date('2026-06-15T03:00:00Z');
const FOLLOWED = new Date('2026-06-30T03:00:00Z');

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
};
const ms = (x: number) => `${x.toFixed(1)} ms`;
const s = (x: number) => `${(x / 1000).toFixed(2)} s`;

/** Call a handler as a transport does: input parsed by the contract (output not checked: that is not the screen's cost). */
async function call<N extends CallName>(core: Core, name: N, input: Input<N>): Promise<Output<N>> {
  return (await (core.handlers[name] as (i: unknown) => Promise<Output<N>>)(contract[name].input.parse(input))) as Output<N>;
}

/** Median and p95 of `n` timed runs after `warm` untimed ones. */
async function timed(n: number, fn: () => Promise<unknown>, warm = 2): Promise<{ p50: number; p95: number; min: number }> {
  for (let i = 0; i < warm; i++) await fn();
  const t: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    t.push(performance.now() - t0);
  }
  return { p50: pct(t, 50), p95: pct(t, 95), min: Math.min(...t) };
}
const fig = (r: { p50: number; p95: number }) => `${ms(r.p50)} (p95 ${ms(r.p95)})`;

// ---------------------------------------------------------------------------------------------
// The city's plan: 60 requests, ~3,000 packages

interface PlannedRequest {
  input: RequestInput;
  /** The units that submit, with their submission times. */
  submitted: { unit: string; at: string }[];
}

const pad = (n: number) => String(n).padStart(2, '0');

function plan(): PlannedRequest[] {
  const out: PlannedRequest[] = [];
  const byType = (type: string) => units.filter((u) => u.type === type).map((u) => u.code);
  for (const [k, template] of TEMPLATES.entries()) {
    for (let j = 0; j < 15; j++) {
      const own = j === 0;
      const period = own ? (template === 'BC-CX' ? '2026-Q2' : '2026-H1') : `2026-06-${pad(j)}`;
      const kind = own ? 'all' : (['phường', 'all', 'xã'] as const)[j % 3]!;
      const addressed = kind === 'all' ? units.map((u) => u.code) : byType(kind);
      const due = `2026-06-${pad(20 + ((j + k) % 6))}`;
      const dueWording = (j + k) % 2 ? 'truoc' : 'trong';
      const n = own ? addressed.length : Math.round(addressed.length * 0.58);
      const rotated = [...addressed.slice((j * 7) % addressed.length), ...addressed.slice(0, (j * 7) % addressed.length)];
      const submitted = rotated.slice(0, n).map((unit, i) => ({
        unit,
        // From 16/6 to 27/6 (Vietnam): most before the deadline, some after it.
        at: new Date(Date.parse('2026-06-16T01:00:00Z') + ((i * 7919 + j * 104729) % (11 * 24)) * 3600_000).toISOString(),
      }));
      out.push({
        input: {
          template,
          templateVersion: 1,
          ref: { number: `${100 + k * 15 + j}/UBND-BENCH`, date: '2026-06-12', summary: `Báo cáo ${template} ${period}` },
          title: `${own ? 'Báo cáo định kỳ' : 'Báo cáo nhanh'} ${template} ${own ? period : `đến ngày ${j}/6/2026`}`,
          addressees: kind === 'all' ? { kind: 'all' } : { kind: 'types', types: [kind] },
          period,
          due,
          dueWording,
          department: DEPARTMENTS[(k + j) % DEPARTMENTS.length]!,
          instruction: 'Số liệu theo hướng dẫn kèm theo.',
        },
        submitted,
      });
    }
  }
  return out;
}

const packageIdOf = (unit: string, template: string, period: string) => {
  const h = createHash('sha256').update(`${unit}|${template}|${period}|1|bench-requests`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
};

function hashFiles(h: ReturnType<typeof createHash>, files: string[]): void {
  for (const f of files) if (existsSync(f)) h.update(f).update(readFileSync(f));
}
const dirFiles = (d: string) => readdirSync(path.join(root, d)).sort().map((f) => path.join(root, d, f)).filter((f) => f.endsWith('.ts'));

/** The packages of the plan as files, written once (a few minutes) and cached. */
async function packageDir(requests: PlannedRequest[]): Promise<{ dir: string; key: string }> {
  const h = createHash('sha256').update(JSON.stringify(requests.map((r) => [r.input.template, r.input.period, r.submitted])));
  h.update(JSON.stringify(units));
  for (const t of TEMPLATES) h.update(JSON.stringify(templateOf(t)));
  hashFiles(h, [...dirFiles('core/xlsx'), path.join(root, 'shared/template/sample.ts')]);
  const key = h.digest('hex').slice(0, 12);
  const dir = path.join(os.tmpdir(), `cr-bench-requests-pkg-${key}`);
  if (existsSync(path.join(dir, 'done'))) return { dir, key };
  const tmp = `${dir}.${process.pid}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const total = requests.reduce((n, r) => n + r.submitted.length, 0);
  console.log(`  writing ${total} packages (once; cached in ${dir})…`);
  const t0 = performance.now();
  let done = 0;
  for (const r of requests) {
    const t = templateOf(r.input.template);
    for (const { unit: code, at } of r.submitted) {
      const unit = unitByCode.get(code)!;
      const values = sampleReturn(t, { unit, period: r.input.period, seed: Number(code) });
      const bytes = await writePackage({
        template: t,
        ret: { template: t.id, templateVersion: t.version, unit: code, period: r.input.period, values, explanations: {}, revision: 1 },
        unit,
        meta: { packageId: packageIdOf(code, t.id, r.input.period), revision: 1, createdAt: at, submittedAt: at, submittedBy: 'bench', appVersion: 'bench' },
      });
      writeFileSync(path.join(tmp, packageFileName(t, code, r.input.period, 1)), bytes);
      if (++done % 500 === 0) console.log(`  … ${done}/${total} (${s(performance.now() - t0)})`);
    }
  }
  writeFileSync(path.join(tmp, 'done'), '');
  try {
    renameSync(tmp, dir);
  } catch {
    rmSync(tmp, { recursive: true, force: true });
  }
  return { dir, key };
}

interface CityBuilt {
  file: string;
  /** Set when the database was built in this run (not taken from the cache). */
  built?: { createMs: number[]; importMs: number; packages: number; outcomes: Record<string, number>; firstRefused?: string };
}

/** The city database: 60 requests created through requests.create, every package imported, some reviewed; cached. */
async function cityDatabase(requests: PlannedRequest[], into: string): Promise<CityBuilt> {
  const pk = await packageDir(requests);
  const h = createHash('sha256').update(pk.key);
  hashFiles(h, [path.join(root, 'core/db.ts'), ...dirFiles('core/city'), ...dirFiles('core/requests'), ...dirFiles('core/templates')]);
  const cached = path.join(os.tmpdir(), `cr-bench-requests-city-${h.digest('hex').slice(0, 12)}.sqlite`);
  const file = path.join(into, 'city.sqlite');
  if (existsSync(cached)) {
    copyFileSync(cached, file);
    return { file };
  }
  let clock = ISSUED;
  const core = await createCore({ dbPath: file, resourcesDir, appVersion: 'bench', now: () => clock });
  const createMs: number[] = [];
  let importMs: number;
  const outcomes: Record<string, number> = {};
  let firstRefused: string | undefined;
  try {
    await call(core, 'app.setup', { role: 'city' });
    const sqlite = new Database(file);
    installCityKey(sqlite, CITY_KEY.privatePem);
    sqlite.close();
    for (const r of requests) {
      const t0 = performance.now();
      await call(core, 'requests.create', r.input);
      createMs.push(performance.now() - t0);
    }
    clock = FOLLOWED;
    const files = readdirSync(pk.dir).filter((f) => f.endsWith('.xlsx')).sort();
    console.log(`  importing ${files.length} packages into the city…`);
    function* incoming() {
      for (const f of files) yield { name: f, bytes: readFileSync(path.join(pk.dir, f)) };
    }
    const t0 = performance.now();
    const results = await core.city.importFiles(incoming(), { dryRun: false, backup: false });
    importMs = performance.now() - t0;
    const stored = new Set<string>();
    for (const r of results) {
      outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
      if (r.outcome === 'refused') firstRefused ??= `${r.file}: ${r.message}`;
      else stored.add(r.file);
    }
    // The city's word on some of them: every 9th returned, every 4th accepted.
    let i = 0;
    for (const r of requests)
      for (const { unit } of r.submitted) {
        i++;
        if ((i % 9 && i % 4) || !stored.has(packageFileName(templateOf(r.input.template), unit, r.input.period, 1))) continue;
        const returned = i % 9 === 0;
        await call(core, 'city.review.decide', {
          template: r.input.template,
          period: r.input.period,
          unit,
          revision: 1,
          decision: returned ? 'returned' : 'accepted',
          ...(returned ? { reason: 'Thiếu số liệu, đề nghị bổ sung.' } : {}),
        });
      }
  } finally {
    await core.close();
  }
  copyFileSync(file, `${cached}.${process.pid}`);
  renameSync(`${cached}.${process.pid}`, cached);
  return { file, built: { createMs, importMs, packages: Object.values(outcomes).reduce((a, b) => a + b, 0), outcomes, firstRefused } };
}

async function benchCity(report: Report, dir: ReturnType<typeof tempDir>): Promise<void> {
  const requests = plan();
  const total = requests.reduce((n, r) => n + r.submitted.length, 0);
  const city = await cityDatabase(requests, dir.dir);
  if (city.built) {
    const b = city.built;
    report(
      'City: requests.create (60 requests, each signed with its template)',
      `p50 ${ms(pct(b.createMs, 50))}, p95 ${ms(pct(b.createMs, 95))}, last ${ms(b.createMs.at(-1)!)}`,
      'measure',
    );
    report(`City: import of the ${b.packages} packages`, `${s(b.importMs)} (${ms(b.importMs / b.packages)}/package); ${JSON.stringify(b.outcomes)}${b.firstRefused ? `; first refused: ${b.firstRefused.slice(0, 200)}` : ''}`, 'measure');
  }
  const core = await createCore({ dbPath: city.file, resourcesDir, appVersion: 'bench', now: () => FOLLOWED });
  try {
    const stored = new Database(city.file, { readonly: true });
    const packages = stored.prepare<[], { n: number }>('SELECT count(*) AS n FROM city_packages').get()!.n;
    stored.close();
    const list = await call(core, 'requests.list', {});
    const setting = `${list.length} requests, 4 templates, 114 units, ${packages} packages (${total} planned)`;
    report(`requests.list, administrator: ${setting} (median of 10)`, fig(await timed(10, () => call(core, 'requests.list', {}))), '≤ 300 ms');
    const clerk = { id: 2, name: 'Lan', department: 'Sở Nội vụ', admin: false };
    const mine = await runAsUser(clerk, () => call(core, 'requests.list', {}));
    report(
      `requests.list, a clerk of Sở Nội vụ (${mine.length} of ${list.length} requests)`,
      fig(await timed(10, () => runAsUser(clerk, () => call(core, 'requests.list', {})))),
      '≤ 300 ms',
    );
    const big = list.find((r) => r.template === 'BC-CX' && r.period === '2026-Q2')!;
    const small = list.find((r) => r.template === 'PCM' && r.period === '2026-06-02')!;
    report(
      `requests.completeness of a 114-unit request (${big.counts.submitted} submitted)`,
      fig(await timed(10, () => call(core, 'requests.completeness', { id: big.id }))),
      '≤ 200 ms',
    );
    report(
      `requests.completeness of a ${small.counts.expected}-unit request (${small.counts.submitted} submitted)`,
      fig(await timed(10, () => call(core, 'requests.completeness', { id: small.id }))),
      '≤ 200 ms',
    );
    // Interleaved, so that the machine's load weighs on both alike.
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < 11; i++) {
      let t0 = performance.now();
      await call(core, 'requests.consolidation', { id: big.id });
      if (i) a.push(performance.now() - t0);
      t0 = performance.now();
      await call(core, 'city.consolidation', { template: 'BC-CX', period: '2026-Q2' });
      if (i) b.push(performance.now() - t0);
    }
    const byRequest = { p50: pct(a, 50), p95: pct(a, 95) };
    const byPeriod = { p50: pct(b, 50), p95: pct(b, 95) };
    report(
      'requests.consolidation of the 114-unit request vs city.consolidation of BC-CX 2026-Q2 (interleaved, median of 10)',
      `${fig(byRequest)} vs ${fig(byPeriod)} (${(byRequest.p50 / byPeriod.p50).toFixed(2)}×)`,
      '≈ city.consolidation',
    );
  } finally {
    await core.close();
  }
}

// ---------------------------------------------------------------------------------------------
// A commune: 40 requests in 100 editions, 8 standing quarters

const COMMUNE = units.find((u) => u.type === 'xã')!;

/** 100 signed editions addressed to COMMUNE (and every other unit): 40 requests, edition 1 of each, then 40 second and 20 third editions. */
function communeFiles(): { fileName: string; bytes: Buffer }[] {
  const firsts: RequestEdition[] = Array.from({ length: 40 }, (_, i) => {
    const template = TEMPLATES[i % 4]!;
    return {
      id: `YC-2026-${String(i + 1).padStart(4, '0')}`,
      edition: 1,
      state: 'open',
      template,
      templateVersion: 1,
      ref: { number: `${200 + i}/UBND-BENCH`, date: '2026-06-12', summary: `Báo cáo ${template}` },
      title: `Báo cáo nhanh ${template} số ${i + 1}`,
      addressees: { kind: 'all' },
      units: units.map((u) => u.code),
      unitListVersion: 'haiphong.csv',
      period: `2026-06-${pad(1 + Math.floor(i / 4))}`,
      due: `2026-06-${pad(18 + (i % 10))}`,
      dueWording: i % 2 ? 'truoc' : 'trong',
      department: DEPARTMENTS[i % DEPARTMENTS.length]!,
      instruction: 'Số liệu theo hướng dẫn kèm theo.',
      issuedAt: '2026-06-12T03:00:00.000Z',
    };
  });
  const next = (e: RequestEdition, n: number): RequestEdition => ({
    ...e,
    edition: n,
    due: `2026-07-${pad(n + (Number(e.id.slice(-2)) % 5))}`,
    note: `Gia hạn lần ${n - 1}.`,
    issuedAt: `2026-06-1${n}T03:00:00.000Z`,
  });
  const editions = [...firsts, ...firsts.map((e) => next(e, 2)), ...firsts.slice(0, 20).map((e) => next(next(e, 2), 3))];
  return editions.map((e) => ({
    fileName: `yeu-cau-${e.id}-lan-${e.edition}.json`,
    bytes: signFile('request', { request: e, templates: [templateOf(e.template)] }, CITY_KEY),
  }));
}

async function benchCommune(report: Report, dir: ReturnType<typeof tempDir>): Promise<void> {
  const files = communeFiles();
  // 16/9/2026: all 8 quarters of 2025–2026 have begun (a quarter's data window starts on the 15th of its last month before).
  const now = () => new Date('2026-09-16T03:00:00Z');
  const core = await createCore({ dbPath: dir.file('commune.sqlite'), resourcesDir, appVersion: 'bench', now });
  try {
    // The office reports from 2025-Q1: the 8 standing quarters 2025-Q1 … 2026-Q4.
    await call(core, 'app.setup', { role: 'commune', unitCode: COMMUNE.code, firstPeriod: '2025-Q1' });
    const times: number[] = [];
    const outcomes: Record<string, number> = {};
    for (const f of files) {
      const t0 = performance.now();
      const r = await call(core, 'requests.receive', { file: { fileName: f.fileName, data: f.bytes.toString('base64') } });
      times.push(performance.now() - t0);
      outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
    }
    const total = times.reduce((a, b) => a + b, 0);
    const kb = files.reduce((n, f) => n + f.bytes.length, 0) / files.length / 1024;
    report(
      `Commune: receiving ${files.length} request editions from files (${kb.toFixed(0)} KB each, template inside)`,
      `${ms(total / files.length)}/file (p50 ${ms(pct(times, 50))}, p95 ${ms(pct(times, 95))}, first ${ms(times[0]!)}); ${s(total)} in all; ${JSON.stringify(outcomes)}`,
      'measure',
    );
    // Some returns begun or submitted, as on a real office's machine: 6 submitted, 6 drafts.
    const todo = await call(core, 'requests.todo', {});
    let submitted = 0;
    for (const [i, item] of todo.items.filter((x) => x.kind === 'request').slice(0, 12).entries()) {
      const t = templateOf(item.template);
      const values = sampleReturn(t, { unit: COMMUNE, period: item.period, seed: i + 1 });
      if (i < 6)
        await core
          .submitReturnJson({ template: t.id, templateVersion: 1, unit: COMMUNE.code, period: item.period, values, explanations: {} })
          .then(() => submitted++)
          .catch(() => call(core, 'returns.open', { template: t.id, period: item.period }));
      else await call(core, 'returns.open', { template: t.id, period: item.period });
    }
    const after = await call(core, 'requests.todo', {});
    const standing = [...after.items, ...after.done].filter((x) => x.kind === 'standing').length;
    const requests = [...after.items, ...after.done].filter((x) => x.kind === 'request').length;
    report(
      `requests.todo: ${requests} requests (100 editions), ${standing} standing quarters, 12 returns begun (${submitted} submitted) (median of 20)`,
      fig(await timed(20, () => call(core, 'requests.todo', {}))),
      '≤ 100 ms',
    );
  } finally {
    await core.close();
  }
}

/** The same 100 editions put on a real intake by the city, read by a commune's delivery cycle (its inbox pull). */
async function benchInbox(report: Report, dir: ReturnType<typeof tempDir>): Promise<void> {
  const files = communeFiles();
  const intake = await startIntake({ sqlitePath: dir.file('intake.sqlite') });
  try {
    const cityToken = await intake.cityToken();
    for (const f of files) {
      const res = await fetch(`${intake.url}/api/v1/requests`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${cityToken}`, 'content-type': 'application/json' },
        body: new Uint8Array(f.bytes),
      });
      await res.arrayBuffer();
      if (res.status !== 201) throw new Error(`the intake refused ${f.fileName}: ${res.status}`);
    }
    const core = await openCommune(dir.file('commune-pull.sqlite'), COMMUNE.code, {
      now: () => new Date('2026-06-16T03:00:00Z'),
      delivery: { autoStart: false, startDelayMs: 0 },
    });
    try {
      await core.delivery.useSettings({ serverUrl: intake.url, token: await intake.unitToken(COMMUNE.code) });
      const t0 = performance.now();
      const r = await call(core, 'delivery.sendNow', {});
      const wall = performance.now() - t0;
      const sqlite = new Database(dir.file('commune-pull.sqlite'), { readonly: true });
      const held = sqlite.prepare<[], { n: number }>('SELECT count(*) AS n FROM requests').get()!.n;
      sqlite.close();
      report(
        `Commune: inbox pull of ${files.length} editions through a real intake (one "Gửi ngay", loopback)`,
        `${s(wall)} (${ms(wall / files.length)}/edition); ${held} editions stored${r.connection.lastError ? `; problem: ${r.connection.lastError}` : ''}`,
        'measure',
      );
    } finally {
      await core.close();
    }
  } finally {
    await intake.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Sign-in

async function benchSignIn(report: Report, dir: ReturnType<typeof tempDir>): Promise<void> {
  const file = dir.file('city-users.sqlite');
  const PW = 'mật khẩu đủ dài 2026';
  const core = await createCore({ dbPath: file, resourcesDir, appVersion: 'bench' });
  try {
    await call(core, 'app.setup', { role: 'city' });
    for (const [name, department] of [['Quản trị', 'Văn phòng UBND thành phố'], ['Lan', 'Sở Nội vụ'], ['Hùng', 'Sở Tài chính']])
      await call(core, 'users.add', { name: name!, department: department!, password: PW, ...(name === 'Quản trị' ? { admin: true } : {}) });
    const sqlite = new Database(file);
    const auth = cityAuth(sqlite);
    const right = await timed(10, () => auth.verify('Lan', PW), 1);
    const wrong = await timed(5, () => auth.verify('Lan', 'sai mật khẩu rồi'), 0);
    const unknown = await timed(5, () => auth.verify('Không có', PW), 0);
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 4 }, () => auth.verify('Hùng', PW)));
    const four = performance.now() - t0;
    sqlite.close();
    report(
      'Sign-in: scrypt check of a city user (N=32768, r=8), right / wrong password / unknown name',
      `${ms(right.p50)} / ${ms(wrong.p50)} / ${ms(unknown.p50)}; 4 at once ${ms(four)} (${os.cpus().length} cores)`,
      'measure (slow on purpose)',
    );
    const app = await buildServer({ handlers: core.handlers, rendererDir: dir.file('no-renderer'), loopbackOnly: true, users: core.users });
    const url = await listen(app, 0);
    try {
      const signIn = async () => {
        const res = await fetch(`${url}/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ name: 'Lan', password: PW }).toString(),
          redirect: 'manual',
        });
        await res.arrayBuffer();
        if (res.status !== 303) throw new Error(`sign-in answered ${res.status}`);
      };
      report('Sign-in through the browser mode (POST /login → session cookie, loopback)', fig(await timed(10, signIn, 1)), 'measure');
    } finally {
      await app.close();
    }
  } finally {
    await core.close();
  }
}

// ---------------------------------------------------------------------------------------------

export async function benchRequests(report: Report, only?: string): Promise<void> {
  const dir = tempDir('cr-bench-requests-');
  try {
    for (const [name, fn] of [
      ['city', benchCity],
      ['commune', benchCommune],
      ['inbox', benchInbox],
      ['sign-in', benchSignIn],
    ] as const) {
      if (only && only !== name) continue;
      try {
        await fn(report, dir);
      } catch (e) {
        report(`requests (${name})`, `could not be measured: ${(e as Error).stack?.slice(0, 600)}`, '—');
      }
    }
  } finally {
    dir.cleanup();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const rows: string[] = [];
  await benchRequests((name, value, goal) => {
    const line = `| ${name} | ${value} | ${goal} |`;
    rows.push(line);
    console.log(`${name}: ${value} (goal ${goal})`);
  }, process.argv[2]);
  console.log(`\n${new Date().toISOString()}, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}, ${os.cpus().length} cores`);
  console.log(['| Figure | Measured | Target |', '|---|---|---|', ...rows].join('\n'));
}
