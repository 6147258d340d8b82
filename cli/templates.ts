/**
 * The template commands of the command line (issue 8 "Command line"): template build / export /
 * sample / publish, templates, and the --template / --db look-up the return commands share.
 */
import path from 'node:path';
import type { Command } from 'commander';
import type { Template } from '../shared/index.js';
import { formatDateTime, parsePeriod, periodAllowed, tx } from '../shared/index.js';
import type { Resources } from '../core/resources.js';
import { defaultResourcesDir, loadResources } from '../core/resources.js';
import { compileTemplateFile, problemLine } from '../core/templates/files.js';
import { defaultPeriod, sampleJson } from '../core/templates/handlers.js';
import { createRegistry } from '../core/templates/registry.js';
import { writeAuthoringWorkbook } from '../core/templates/workbook.js';
import type { Io } from './main.js';
import { Refusal, existingDb, readInputFile, withCore, writeFileAtomic } from './main.js';

const EXIT_OK = 0;

/** Read and compile a template file (authoring workbook or compiled .json); refused with every problem by sheet, row and column. */
export async function loadTemplateFile(file: string): Promise<Template> {
  const bytes = readInputFile(file);
  const c = await compileTemplateFile(bytes, path.basename(file));
  if (!c.template || c.problems.length)
    throw new Refusal(
      `Tệp mẫu "${file}" còn ${c.problems.length} lỗi. Hãy sửa từng lỗi (trang tính, dòng, cột) rồi chạy lại:`,
      c.problems.map((p) => `  - ${problemLine(p)}`),
    );
  return c.template;
}

/**
 * The templates a return command may use: the built-in ones, with --db the ones that database
 * knows (published or received), and with --template the given file (which wins).
 */
export async function cliResources(o: { db?: string; template?: string }): Promise<Resources> {
  const shipped = loadResources(defaultResourcesDir());
  const extra = o.template ? [await loadTemplateFile(o.template)] : [];
  const known = new Map(shipped.templates);
  if (o.db) {
    existingDb(o.db);
    const stored = await withCore(o.db, async (core) => core.templates.list());
    for (const k of stored) known.set(`${k.template.id}@${k.template.version}`, k.template);
  }
  const registry = createRegistry(known, undefined, extra);
  return { ...shipped, getTemplate: registry.getTemplate, latestTemplate: registry.latestTemplate };
}

/** "BC-CX" or "BC-CX@2". */
function parseRef(ref: string): { id: string; version?: number } {
  const m = /^([^@\s]+)(?:@(\d+))?$/.exec(ref.trim());
  if (!m) throw new Refusal(`"${ref}" không phải mã mẫu. Hãy viết mã mẫu, có thể kèm phiên bản, ví dụ BC-CX hoặc BC-CX@1.`);
  return { id: m[1]!, ...(m[2] ? { version: Number(m[2]) } : {}) };
}

function findTemplate(res: Resources, ref: string, db?: string): Template {
  const { id, version } = parseRef(ref);
  const t = version === undefined ? res.latestTemplate(id) : res.getTemplate(id, version);
  if (!t)
    throw new Refusal(
      `Không có mẫu báo cáo ${version === undefined ? `"${id}"` : `${id} phiên bản ${version}`} ${db ? `trong ứng dụng hoặc trong "${db}"` : 'trong ứng dụng (thêm --db <tệp> để tìm cả các mẫu đã công bố)'}. ` +
        'Xem danh sách bằng lệnh "templates --db <tệp>".',
    );
  return t;
}

async function cmdBuild(file: string, o: { out?: string }, io: Io): Promise<number> {
  const t = await loadTemplateFile(file);
  const json = JSON.stringify(t, null, 2) + '\n';
  if (o.out) {
    writeFileAtomic(o.out, json);
    io.out(`Sổ mẫu hợp lệ: mẫu ${t.id} "${tx(t.title)}" phiên bản ${t.version}. Đã ghi mẫu dạng JSON: ${o.out}`);
  } else io.out(`Sổ mẫu hợp lệ: mẫu ${t.id} "${tx(t.title)}" phiên bản ${t.version}, ${t.sections.length} biểu, ${t.rules.length} quy tắc kiểm tra.`);
  return EXIT_OK;
}

async function cmdExport(ref: string, o: { out: string; db?: string }, io: Io): Promise<number> {
  const { id, version } = parseRef(ref);
  if (o.db) {
    existingDb(o.db);
    const bytes = await withCore(o.db, async (core) => {
      const f = await core.handlers['templates.workbook']({ id, ...(version !== undefined ? { version } : {}) });
      return Buffer.from(f.data, 'base64');
    });
    writeFileAtomic(o.out, bytes);
  } else {
    const t = findTemplate(await cliResources({}), ref);
    writeFileAtomic(o.out, await writeAuthoringWorkbook(t));
  }
  io.out(`Đã ghi sổ mẫu ${ref}: ${o.out}`);
  return EXIT_OK;
}

async function cmdSample(ref: string, o: { out: string; unit?: string; period?: string; seed?: string; db?: string }, io: Io): Promise<number> {
  const res = await cliResources({ db: o.db });
  const t = findTemplate(res, ref, o.db);
  const unit = o.unit ? res.shippedUnits.units.find((u) => u.code === o.unit) : res.shippedUnits.units[0];
  if (!unit) throw new Refusal(`--unit: mã đơn vị "${o.unit}" không có trong danh sách đơn vị. Hãy dùng mã thống kê của đơn vị, ví dụ ${res.shippedUnits.units[0]!.code}.`);
  const period = o.period ?? defaultPeriod(t, new Date(Date.now() + 7 * 3600_000).toISOString().slice(0, 10));
  const p = parsePeriod(period);
  if (!p || !periodAllowed(t.periodTypes, p))
    throw new Refusal(`--period: "${period}" không phải kỳ báo cáo của mẫu ${t.id}. Hãy dùng một kỳ, ví dụ ${defaultPeriod(t, '2026-06-30')}.`);
  if (o.seed !== undefined && !/^\d{1,9}$/.test(o.seed)) throw new Refusal(`--seed: "${o.seed}" phải là một số nguyên không âm, ví dụ 7.`);
  const ret = sampleJson(t, unit, p.code, o.seed === undefined ? undefined : Number(o.seed));
  writeFileAtomic(o.out, JSON.stringify(ret, null, 2) + '\n');
  io.out(`Đã ghi báo cáo mẫu (số liệu ngẫu nhiên hợp lệ) của ${unit.name}, mẫu ${t.id} phiên bản ${t.version}, kỳ ${p.code}: ${o.out}`);
  return EXIT_OK;
}

async function cmdPublish(file: string, o: { db: string }, io: Io): Promise<number> {
  const bytes = readInputFile(file);
  // A workbook with mistakes is refused before the database is opened or created.
  await loadTemplateFile(file);
  const r = await withCore(o.db, async (core) => {
    await core.city.claimCity();
    return core.handlers['templates.publish']({ file: { fileName: path.basename(file), data: bytes.toString('base64') } });
  });
  io.out(r.message);
  return EXIT_OK;
}

async function cmdList(o: { db: string; json?: boolean }, io: Io): Promise<number> {
  existingDb(o.db);
  const list = await withCore(o.db, async (core) => core.handlers['templates.list']({}));
  if (o.json) {
    io.out(JSON.stringify(list, null, 2));
    return EXIT_OK;
  }
  const source = { builtin: 'có sẵn', published: 'đã công bố', received: 'đã nhận' } as const;
  for (const t of list)
    io.out(
      `${t.id}@${t.version}  ${t.title}  (${source[t.source]}${t.publishedAt ? ` ${formatDateTime(t.publishedAt)}` : ''}; ${t.returns} báo cáo)`,
    );
  io.out(`${list.length} mẫu báo cáo và phiên bản.`);
  return EXIT_OK;
}

/** Register `template …` and `templates` on the program. */
export function registerTemplateCommands(
  sub: (name: string, description: string) => Command,
  setExit: (code: number) => void,
  io: Io,
): void {
  const template = sub('template', 'mẫu báo cáo: dựng từ sổ mẫu Excel, xuất, tạo báo cáo mẫu, công bố');
  const tsub = (name: string, description: string) =>
    template.command(name).description(description).helpOption('-h, --help', 'hiện hướng dẫn').exitOverride();
  tsub('build', 'kiểm tra và dựng một sổ mẫu (.xlsx) thành mẫu báo cáo; mã thoát 1 với mọi lỗi theo trang tính, dòng, cột')
    .argument('<workbook.xlsx>', 'sổ mẫu báo cáo')
    .option('--out <template.json>', 'ghi mẫu đã dựng ra tệp JSON')
    .action(async (file: string, o: { out?: string }) => setExit(await cmdBuild(file, o, io)));
  tsub('export', 'ghi một mẫu báo cáo (mới nhất, hoặc mã@phiên-bản) ra sổ mẫu Excel')
    .argument('<mã[@phiên-bản]>', 'ví dụ BC-CX hoặc BC-CX@1')
    .requiredOption('--out <workbook.xlsx>', 'tệp sổ mẫu cần ghi')
    .option('--db <file.sqlite>', 'tìm cả các mẫu đã công bố hoặc đã nhận trong cơ sở dữ liệu này')
    .action(async (ref: string, o: { out: string; db?: string }) => setExit(await cmdExport(ref, o, io)));
  tsub('sample', 'tạo một báo cáo dạng JSON hợp lệ với số liệu ngẫu nhiên hợp lý (để xem trước và kiểm thử)')
    .argument('<mã[@phiên-bản]>', 'ví dụ BC-CX hoặc BC-CX@1')
    .requiredOption('--out <return.json>', 'tệp báo cáo JSON cần ghi')
    .option('--unit <mã>', 'mã đơn vị (mặc định: đơn vị đầu tiên của danh sách)')
    .option('--period <kỳ>', 'kỳ báo cáo, ví dụ 2026-Q2 (mặc định: kỳ gần nhất đã bắt đầu)')
    .option('--seed <n>', 'hạt giống ngẫu nhiên: cùng hạt giống cho cùng báo cáo')
    .option('--db <file.sqlite>', 'tìm cả các mẫu đã công bố hoặc đã nhận trong cơ sở dữ liệu này')
    .action(async (ref: string, o: { out: string; unit?: string; period?: string; seed?: string; db?: string }) => setExit(await cmdSample(ref, o, io)));
  tsub('publish', 'công bố một mẫu (sổ mẫu .xlsx hoặc mẫu .json) thành phiên bản mới trong cơ sở dữ liệu của Thành phố')
    .requiredOption('--db <city.sqlite>', 'tệp cơ sở dữ liệu của Thành phố (tạo mới nếu chưa có)')
    .argument('<workbook.xlsx|template.json>', 'sổ mẫu hoặc mẫu đã dựng')
    .action(async (file: string, o: { db: string }) => setExit(await cmdPublish(file, o, io)));
  sub('templates', 'liệt kê các mẫu báo cáo và phiên bản mà một cơ sở dữ liệu biết (có sẵn, đã công bố, đã nhận)')
    .requiredOption('--db <file.sqlite>', 'tệp cơ sở dữ liệu')
    .option('--json', 'in danh sách dạng JSON')
    .action(async (o: { db: string; json?: boolean }) => setExit(await cmdList(o, io)));
}

