/**
 * Templates as a domain (issue 8): the handler table of templateContract first, then short named
 * functions. Templates live in the registry (core/templates/registry.ts: built-in + the database's
 * `templates` table); publishing and receiving write one row per id@version and never change it.
 */
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { AuthoringProblem, Handlers, Lang, ReturnJson, Role, Template, TemplateInfo, Unit, Values } from '../../shared/index.js';
import { AppError, canonicalJson, consolidate, parsePeriod, periodAllowed, periodWindow, tx } from '../../shared/index.js';
import { sampleReturn } from '../../shared/template/sample.js';
import { loadXlsx } from '../packages.js';
import { looksSigned } from '../requests/sign.js';
import { compileTemplateFile, problemLine, templateFromData } from './files.js';
import type { KnownTemplate, TemplateRegistry } from './registry.js';
import { PRIMARY_TEMPLATE } from './registry.js';
import { writeStarterWorkbook } from './starter.js';
import { writeAuthoringWorkbook } from './workbook.js';

type TemplateHandlers = Pick<
  Handlers,
  | 'templates.list'
  | 'templates.check'
  | 'templates.publish'
  | 'templates.workbook'
  | 'templates.starter'
  | 'templates.sample'
  | 'templates.previewPackage'
  | 'templates.previewConsolidation'
  | 'templates.receive'
>;

export interface TemplateDeps {
  registry: TemplateRegistry;
  sqlite: Database.Database;
  appVersion: string;
  now(): Date;
  /** Today in Vietnam, ISO. */
  today(): string;
  settings(): Promise<{ role: Role | null; lang: Lang }>;
  /** The current unit list. */
  unitList(): Promise<{ version: string; units: Unit[] }>;
  /** Writes run one at a time (the core's queue). */
  serial<T>(fn: () => Promise<T>): Promise<T>;
  /**
   * A commune receives templates only as files the city signed (issue 9): a signed file goes here
   * (core/requests/commune.ts); an unsigned one is refused. Absent: unsigned files are received.
   */
  receiveSigned?: (bytes: Buffer, fileName: string) => Promise<{ id: string; version: number; message: string }>;
}

type File = { fileName: string; data: string };

export function createTemplateHandlers(deps: TemplateDeps): TemplateHandlers {
  const { registry } = deps;
  return {
    'templates.list': async () => list((await deps.settings()).lang),
    'templates.check': ({ file }) => check(file),
    'templates.publish': ({ file }) => publish(file),
    'templates.workbook': ({ id, version }) => workbook(id, version),
    'templates.starter': async () => ({ fileName: 'mau-bao-cao-moi.xlsx', data: (await writeStarterWorkbook()).toString('base64') }),
    'templates.sample': ({ template, unit, period, seed }) => sample(template, unit, period, seed),
    'templates.previewPackage': ({ template, values, unit, period }) => previewPackage(template, values as Values, unit, period),
    'templates.previewConsolidation': ({ template, period, seed }) => previewConsolidation(template, period, seed),
    'templates.receive': ({ file }) => receive(file),
  };

  // ---------- listing ----------
  function list(lang: Lang): TemplateInfo[] {
    const returns = deps.sqlite.prepare<{ id: string; v: number }, { n: number }>(
      `SELECT (SELECT count(*) FROM returns WHERE template = @id AND template_version = @v)
            + (SELECT count(*) FROM city_packages WHERE template = @id AND template_version = @v AND standing = 'stored') AS n`,
    );
    return sortTemplates(registry.list(), lang).map((k) => ({
      id: k.template.id,
      version: k.template.version,
      title: tx(k.template.title, lang),
      source: k.source,
      publishedAt: k.publishedAt,
      returns: returns.get({ id: k.template.id, v: k.template.version })?.n ?? 0,
    }));
  }

  // ---------- checking, publishing, receiving ----------
  /** What publishing t would do: the next version after every known one, or nothing when it is the latest unchanged. */
  function plan(t: Template): { next: number; latest: number | null; unchanged: boolean; versions: number[] } {
    const versions = registry.versions(t.id);
    const latest = versions.at(-1) ?? null;
    const lt = latest === null ? undefined : registry.getTemplate(t.id, latest);
    const unchanged = !!lt && sameContent(lt, t);
    return { next: (latest ?? 0) + 1, latest, unchanged, versions };
  }

  async function compile(file: File) {
    return compileTemplateFile(Buffer.from(file.data, 'base64'), file.fileName);
  }

  async function check(file: File) {
    const c = await compile(file);
    if (!c.template || c.problems.length) return { problems: c.problems, template: null, nextVersion: null, unchanged: false };
    const p = plan(c.template);
    return { problems: [], template: { ...c.template, version: p.unchanged ? p.latest! : p.next }, nextVersion: p.next, unchanged: p.unchanged };
  }

  async function publish(file: File) {
    const { role } = await deps.settings();
    if (role !== 'city')
      throw new AppError(
        'refused',
        'Chỉ Thành phố mới công bố được mẫu báo cáo. Hãy mở cơ sở dữ liệu của Thành phố (vai trò Thành phố) rồi công bố lại; chưa có gì thay đổi.',
      );
    const c = await compile(file);
    if (!c.template || c.problems.length) throw refusedWith(c.problems, 'Chưa công bố');
    const compiled = c.template;
    return deps.serial(async () => {
      const p = plan(compiled);
      if (p.unchanged)
        throw new AppError(
          'refused',
          `Mẫu ${compiled.id} đã là phiên bản ${p.latest} với đúng nội dung này, nên không công bố phiên bản mới. Hãy sửa sổ mẫu nếu cần thay đổi mẫu.`,
        );
      const t: Template = { ...compiled, version: p.next };
      // The workbook is kept only when it names the version it becomes (a commune receiving it reads that version).
      const keep = c.kind === 'workbook' && compiled.version === p.next ? Buffer.from(file.data, 'base64') : null;
      registry.store(t, { source: 'published', sourceBytes: keep, at: deps.now().toISOString() });
      const note =
        compiled.version !== p.next
          ? ` Tệp ghi phiên bản ${compiled.version}; ứng dụng đánh số phiên bản ${p.next}, tiếp theo sau ${p.versions.length ? `các phiên bản đã có (${p.versions.join(', ')})` : 'khi chưa có phiên bản nào'}, để báo cáo đã lập giữ nguyên phiên bản của mình. Sổ mẫu tải về từ ứng dụng ghi đúng phiên bản ${p.next}.`
          : '';
      return {
        id: t.id,
        version: t.version,
        message: `Đã công bố mẫu ${t.id} "${tx(t.title)}" phiên bản ${t.version}. Báo cáo mới lập theo phiên bản này; báo cáo đã lập giữ phiên bản cũ.${note}`,
      };
    });
  }

  async function receive(file: File) {
    const { role } = await deps.settings();
    if (role === 'city')
      throw new AppError(
        'refused',
        'Cơ sở dữ liệu này dùng cho vai trò Thành phố: mẫu báo cáo của Thành phố được công bố (Mẫu báo cáo → Công bố), không nhận từ tệp. Hãy dùng chức năng này ở máy của xã, phường, đặc khu.',
      );
    const bytes = Buffer.from(file.data, 'base64');
    // Issue 9: a commune takes templates only as files the city signed.
    if (deps.receiveSigned && looksSigned(bytes)) return deps.receiveSigned(bytes, file.fileName);
    if (deps.receiveSigned && role === 'commune') throw new AppError('refused', UNSIGNED_TEMPLATE);
    const c = await compile(file);
    if (!c.template || c.problems.length) throw refusedWith(c.problems, 'Chưa nhận mẫu');
    const t = c.template;
    return deps.serial(async () => {
      const r = receivedTemplate(registry, t, file.fileName);
      if (r.status === 'new')
        registry.store(t, { source: 'received', sourceBytes: c.kind === 'workbook' ? bytes : null, at: deps.now().toISOString() });
      return { id: t.id, version: t.version, message: r.message };
    });
  }

  // ---------- workbooks ----------
  async function workbook(id: string, version: number | undefined) {
    const t = version === undefined ? registry.latestTemplate(id) : registry.getTemplate(id, version);
    if (!t)
      throw new AppError(
        'not_found',
        version === undefined
          ? `Ứng dụng không có mẫu báo cáo "${id}". Hãy chọn một mẫu trong danh sách Mẫu báo cáo.`
          : `Ứng dụng không có mẫu báo cáo ${id} phiên bản ${version}. Hãy chọn một phiên bản trong danh sách Mẫu báo cáo.`,
      );
    const bytes = registry.stored(t.id, t.version)?.sourceBytes ?? (await writeAuthoringWorkbook(t));
    return { fileName: `${t.id}_phien-ban-${t.version}.xlsx`, data: Buffer.from(bytes).toString('base64') };
  }

  // ---------- samples and previews (of a template not yet published) ----------
  async function unitFor(code: string | undefined): Promise<{ unit: Unit; units: Unit[]; listVersion: string }> {
    const list = await deps.unitList();
    const unit = code ? list.units.find((u) => u.code === code) : list.units[0];
    if (!unit)
      throw new AppError('invalid_input', `Mã đơn vị "${code ?? ''}" không có trong danh sách đơn vị hiện hành. Hãy chọn một đơn vị trong danh sách.`);
    return { unit, units: list.units, listVersion: list.version };
  }

  function periodFor(t: Template, period: string | undefined): string {
    if (period) {
      const p = parsePeriod(period);
      if (!p || !periodAllowed(t.periodTypes, p))
        throw new AppError('invalid_input', `Kỳ báo cáo "${period}" không hợp lệ cho mẫu ${t.id}. Hãy chọn một kỳ của mẫu, ví dụ ${defaultPeriod(t, deps.today())}.`);
      return p.code;
    }
    return defaultPeriod(t, deps.today());
  }

  async function sample(data: unknown, unitCode: string | undefined, period: string | undefined, seed: number | undefined): Promise<ReturnJson> {
    const t = templateFromData(data);
    const p = periodFor(t, period);
    const { unit } = await unitFor(unitCode);
    return sampleJson(t, unit, p, seed);
  }

  async function previewPackage(data: unknown, values: Values, unitCode: string | undefined, period: string) {
    const t = templateFromData(data);
    const p = periodFor(t, period);
    const { unit } = await unitFor(unitCode);
    const xlsx = await loadXlsx();
    const bytes = await xlsx.writePackage({
      template: t,
      ret: { template: t.id, templateVersion: t.version, unit: unit.code, period: p, values, explanations: {}, asOf: asOfDefault(t, p) },
      unit,
      meta: { packageId: randomUUID(), revision: 1, createdAt: deps.now().toISOString(), submittedAt: null, submittedBy: null, appVersion: deps.appVersion },
    });
    return { fileName: `${t.id}_${unit.code}_${p}_xem-truoc.xlsx`, data: bytes.toString('base64') };
  }

  async function previewConsolidation(data: unknown, period: string, seed: number | undefined) {
    const t = templateFromData(data);
    const p = periodFor(t, period);
    const { units, listVersion } = await unitFor(undefined);
    const at = deps.now().toISOString();
    const base = (seed ?? 1) * 1009;
    const returns = units.map((u, i) => ({
      unit: u.code,
      values: sampleReturn(t, { unit: u, period: p, seed: base + i }),
      state: 'received' as const,
      submittedAt: at,
      late: false,
    }));
    const c = consolidate(t, { period: p, units, returns });
    const { writeConsolidationWorkbook } = await import('../xlsx/consolidation.js');
    const bytes = await writeConsolidationWorkbook(t, c, { createdAt: at, appVersion: deps.appVersion, unitListVersion: listVersion });
    return { fileName: `${t.id}_tong-hop_${p}_xem-truoc.xlsx`, data: bytes.toString('base64') };
  }
}

/** A sample return of a template for a unit and period (the JSON form the command line exchanges). */
export function sampleJson(t: Template, unit: Unit, period: string, seed?: number): ReturnJson {
  return {
    template: t.id,
    templateVersion: t.version,
    unit: unit.code,
    period,
    values: sampleReturn(t, { unit, period, seed }),
    explanations: {},
    asOf: asOfDefault(t, period),
  };
}

function asOfDefault(t: Template, period: string): Record<string, string> {
  const end = periodWindow(parsePeriod(period)!).end;
  return Object.fromEntries(t.sections.map((s) => [s.key, end]));
}

/** The newest period of the template's types that has started by today. */
export function defaultPeriod(t: Template, today: string): string {
  const year = Number(today.slice(0, 4));
  const codes: string[] = [];
  for (const y of [year, year - 1])
    for (const type of t.periodTypes) {
      const n = type === 'month' ? 12 : type === 'quarter' ? 4 : type === 'half' ? 2 : 1;
      const prefix = type === 'month' ? 'M' : type === 'quarter' ? 'Q' : type === 'half' ? 'H' : '';
      for (let i = 1; i <= n; i++) codes.push(prefix ? `${y}-${prefix}${type === 'month' ? String(i).padStart(2, '0') : i}` : String(y));
    }
  const started = codes
    .map((c) => parsePeriod(c))
    .filter((p): p is NonNullable<typeof p> => !!p && periodWindow(p).start <= today)
    .sort((a, b) => periodWindow(b).end.localeCompare(periodWindow(a).end));
  return (started[0] ?? parsePeriod(codes[0]!)!).code;
}

const UNSIGNED_TEMPLATE =
  'Mẫu báo cáo phải là tệp do Thành phố ký (tệp .json nhận kèm yêu cầu báo cáo hoặc tệp mẫu Thành phố gửi). Hãy xin Thành phố gửi tệp đã ký.';

/**
 * A template received at a commune (a file, or a signed file of the city): 'new' (the caller stores
 * it) or 'same' (already held, identical); refused, naming id@version, when this office holds that
 * version with other content (a published version never changes). Nothing is stored here.
 */
export function receivedTemplate(registry: TemplateRegistry, t: Template, fileName: string): { status: 'new' | 'same'; message: string } {
  const existing = registry.getTemplate(t.id, t.version);
  if (!existing)
    return {
      status: 'new',
      message: `Đã nhận mẫu ${t.id} "${tx(t.title)}" phiên bản ${t.version}. Từ nay có thể lập báo cáo theo mẫu này (danh sách kỳ báo cáo của mẫu).`,
    };
  if (sameContent(existing, t, true))
    return { status: 'same', message: `Ứng dụng đã có mẫu ${t.id} phiên bản ${t.version} giống hệt tệp này; không có gì thay đổi.` };
  throw new AppError(
    'refused',
    `Ứng dụng đã có mẫu ${t.id} phiên bản ${t.version} nhưng nội dung khác với tệp "${fileName}", nên chưa nhận tệp này. Một phiên bản đã công bố không bao giờ thay đổi: hãy hỏi Thành phố tệp mẫu của phiên bản mới nhất rồi nhận lại.`,
    { template: t.id, version: t.version },
  );
}

/** Two templates with the same content (the version aside unless `withVersion`). */
export function sameContent(a: Template, b: Template, withVersion = false): boolean {
  return withVersion ? canonicalJson(a) === canonicalJson(b) : canonicalJson({ ...a, version: 0 }) === canonicalJson({ ...b, version: 0 });
}

/** The latest version of every template id, in the order of sortTemplates (app.info `templates`). */
export function latestOfEach(registry: TemplateRegistry, lang: Lang): Template[] {
  const latest = new Map<string, KnownTemplate>();
  for (const k of registry.list()) {
    const cur = latest.get(k.template.id);
    if (!cur || cur.template.version < k.template.version) latest.set(k.template.id, k);
  }
  return sortTemplates([...latest.values()], lang).map((k) => k.template);
}

/** The primary template first, then by title (of the id's newest version, Vietnamese order), then id, newest version first. */
export function sortTemplates(list: KnownTemplate[], lang: Lang): KnownTemplate[] {
  const title = new Map<string, { v: number; title: string }>();
  for (const k of list) {
    const cur = title.get(k.template.id);
    if (!cur || cur.v < k.template.version) title.set(k.template.id, { v: k.template.version, title: tx(k.template.title, lang) });
  }
  const titleOf = (k: KnownTemplate) => title.get(k.template.id)!.title;
  return [...list].sort(
    (a, b) =>
      Number(b.template.id === PRIMARY_TEMPLATE) - Number(a.template.id === PRIMARY_TEMPLATE) ||
      titleOf(a).localeCompare(titleOf(b), 'vi') ||
      a.template.id.localeCompare(b.template.id) ||
      b.template.version - a.template.version,
  );
}

/** A template file refused with its problems (the first named by sheet, row and column). */
export function refusedWith(problems: AuthoringProblem[], what: string): AppError {
  const n = problems.length;
  return new AppError(
    'invalid_input',
    `${what}: mẫu còn ${n} lỗi (${problemLine(problems[0] ?? { sheet: '', message: '' }).replace(/[.\s]+$/, '')}${n > 1 ? ` và ${n - 1} lỗi khác` : ''}). Hãy sửa từng lỗi theo trang tính, dòng và cột đã nêu rồi thử lại; chưa có gì thay đổi.`,
    { problems },
  );
}

