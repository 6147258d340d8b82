/**
 * The command line (`npm run cli -- <command>`, package bin `commune-returns`).
 * Exit codes: 0 ok, 1 refused input (a Vietnamese message naming the field and what to fix),
 * 2 usage. Nothing here prints a stack trace.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import type { AuthoringProblem, ImportOutcome, ImportResult, ReturnJson, Template, Unit } from '../shared/index.js';
import { AppError, formatDateTime, parsePeriod, periodLabel, toErrorShape, unexplained, validate } from '../shared/index.js';
import type { Core } from '../core/handlers.js';
import { createCore } from '../core/handlers.js';
import type { DeliveryOptions } from '../core/delivery/index.js';
import { normalizeServerUrl } from '../core/delivery/index.js';
import type { IncomingFile } from '../core/city/import.js';
import { checkReturnJson } from '../core/inputs.js';
import { loadXlsx, packageFileName } from '../core/packages.js';
import type { Resources } from '../core/resources.js';
import { defaultResourcesDir } from '../core/resources.js';
import { problemLine } from '../core/templates/files.js';
import { cliResources, loadTemplateFile, registerTemplateCommands } from './templates.js';
import { registerRequestCommands } from './requests.js';
import { registerCommuneRequestCommands, requestReturnJson } from './commune-requests.js';
import { NO_CITY_USERS, registerUserCommands, webCityMode, webHosts } from './users.js';
import { buildServer, listen } from '../server/app.js';
import { listBackups, restoreClosed } from '../core/backups.js';
import { MIN_PASSWORD_LENGTH, createWebLogin } from '../server/login.js';
import { DEFAULT_INTAKE_PORT, intakeRevokeCommand, intakeTokenCommand, runIntake } from '../server/intake/index.js';

const BIN = 'commune-returns';
const EXIT_OK = 0;
const EXIT_REFUSED = 1;
const EXIT_USAGE = 2;

export function appVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** A refusal to print: the message, then a list of problems (path and message). */
export class Refusal extends Error {
  constructor(
    message: string,
    readonly lines: string[] = [],
  ) {
    super(message);
  }
}

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

export function readInputFile(file: string): Buffer {
  try {
    if (statSync(file).isDirectory()) throw new Refusal(`"${file}" là một thư mục, không phải tệp. Hãy chỉ đúng đường dẫn tới tệp.`);
    return readFileSync(file);
  } catch (e) {
    if (e instanceof Refusal) throw e;
    const code = (e as { code?: string }).code;
    if (code === 'ENOENT') throw new Refusal(`Không tìm thấy tệp "${file}". Hãy kiểm tra lại đường dẫn và tên tệp.`);
    if (code === 'EACCES' || code === 'EPERM') throw new Refusal(`Không có quyền đọc tệp "${file}". Hãy kiểm tra quyền truy cập tệp.`);
    throw e;
  }
}

function readJsonFile(file: string): unknown {
  const text = readInputFile(file).toString('utf8').replace(/^\uFEFF/, '');
  try {
    return JSON.parse(text);
  } catch (e) {
    const pos = /position (\d+)/.exec((e as Error).message)?.[1];
    const where = pos !== undefined ? ` (lỗi gần ký tự thứ ${Number(pos) + 1}, dòng ${text.slice(0, Number(pos)).split('\n').length})` : '';
    throw new Refusal(`Tệp "${file}" không phải là JSON hợp lệ${where}. Hãy sửa tệp (hoặc xuất lại từ ứng dụng) rồi chạy lại.`);
  }
}

/** Write a file atomically: a temp file in the same folder, then a rename. */
export function writeFileAtomic(file: string, data: string | Buffer): void {
  const dir = path.dirname(path.resolve(file));
  if (!existsSync(dir)) throw new Refusal(`Thư mục "${dir}" không tồn tại. Hãy tạo thư mục hoặc chọn nơi lưu khác.`);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

function loadJsonReturn(file: string, res: Resources, findUnit: (code: string) => Unit | undefined) {
  return checkReturnJson(readJsonFile(file), res.getTemplate, findUnit, `Tệp "${file}"`);
}

function issueLines(list: { id: string; path: string; message: string }[], note?: (id: string) => string): string[] {
  return list.map((i) => `  - ${i.path}: ${i.message}${note ? note(i.id) : ''} [${i.id}]`);
}

function validateReturn(t: Template, ret: ReturnJson, unit: Unit) {
  return validate(t, ret.values, { period: parsePeriod(ret.period)!, unitType: unit.type, unit, asOf: ret.asOf, explanations: ret.explanations });
}

// ---------- commands ----------

async function cmdPackage(opts: { fromJson: string[]; out: string; template?: string; db?: string }, io: Io): Promise<number> {
  const res = await cliResources(opts);
  const findUnit = (code: string) => res.shippedUnits.units.find((u) => u.code === code);
  const inputs = opts.fromJson.map((file) => ({ file, ...loadJsonReturn(file, res, findUnit) }));
  const refused: string[] = [];
  for (const { file, ret, template, unit } of inputs) {
    const { errors, warnings } = validateReturn(template, ret, unit);
    const missing = unexplained(warnings, ret.explanations);
    if (errors.length || missing.length)
      refused.push(
        `Tệp "${file}": còn ${errors.length} lỗi và ${missing.length} cảnh báo chưa có giải trình:`,
        ...issueLines(errors),
        ...issueLines(missing, () => ' (cần ghi giải trình vào "explanations" với khóa trong ngoặc vuông)'),
      );
  }
  if (refused.length)
    throw new Refusal('Chưa tạo gói nào. Hãy sửa các lỗi và ghi giải trình cho các cảnh báo dưới đây rồi chạy lại.', refused);

  const asFolder = inputs.length > 1 || !/\.xlsx$/i.test(opts.out) || (existsSync(opts.out) && statSync(opts.out).isDirectory());
  if (asFolder) {
    if (existsSync(opts.out) && !statSync(opts.out).isDirectory())
      throw new Refusal(`--out: "${opts.out}" là một tệp; khi tạo nhiều gói, hãy chỉ một thư mục.`);
    mkdirSync(opts.out, { recursive: true });
  }
  const targets = inputs.map(({ ret, template }) =>
    asFolder ? path.join(opts.out, packageFileName(template, ret.unit, ret.period, ret.revision ?? 1)) : opts.out,
  );
  const dup = targets.find((t, i) => targets.indexOf(t) !== i);
  if (dup) throw new Refusal(`Có hai báo cáo cùng đơn vị, kỳ và lần nộp (${path.basename(dup)}). Hãy bỏ bớt một tệp hoặc sửa "revision".`);

  const xlsx = await loadXlsx();
  for (const [i, { ret, template, unit }] of inputs.entries()) {
    const revision = ret.revision ?? 1;
    const bytes = await xlsx.writePackage({
      template,
      ret: { ...ret, revision },
      unit,
      meta: { packageId: randomUUID(), revision, createdAt: new Date().toISOString(), submittedAt: null, submittedBy: null, appVersion: appVersion() },
    });
    writeFileAtomic(targets[i]!, bytes);
    io.out(`Đã ghi gói báo cáo: ${targets[i]}`);
  }
  return EXIT_OK;
}

async function cmdRead(file: string, opts: { out?: string; template?: string; db?: string }, io: Io): Promise<number> {
  const res = await cliResources(opts);
  const bytes = readInputFile(file);
  const xlsx = await loadXlsx();
  const { ret, identity, editedOutside, notes } = await xlsx.readPackage(bytes, res.getTemplate);
  const json = {
    template: ret.template,
    templateVersion: ret.templateVersion,
    unit: ret.unit,
    period: ret.period,
    revision: identity.revision,
    values: ret.values,
    explanations: ret.explanations ?? {},
    asOf: ret.asOf ?? {},
    package: {
      id: identity.packageId,
      revision: identity.revision,
      hash: identity.hash,
      editedOutside,
      createdAt: identity.createdAt,
      appVersion: identity.appVersion,
    },
  };
  const text = JSON.stringify(json, null, 2) + '\n';
  if (editedOutside) io.err('Lưu ý: tệp đã được sửa bên ngoài ứng dụng (giá trị khác với lúc tạo gói). Số liệu đọc được là số liệu trong các ô của tệp.');
  for (const note of notes ?? []) io.err(`Lưu ý: ${note}`); // e.g. an attachment's cell changed in Excel
  if (opts.out) {
    writeFileAtomic(opts.out, text);
    io.out(`Đã ghi báo cáo dạng JSON: ${opts.out}`);
  } else io.out(text.trimEnd());
  return EXIT_OK;
}

async function cmdValidate(opts: { fromJson: string; json?: boolean; template?: string; db?: string }, io: Io): Promise<number> {
  const res = await cliResources(opts);
  const findUnit = (code: string) => res.shippedUnits.units.find((u) => u.code === code);
  let loaded: ReturnType<typeof loadJsonReturn>;
  try {
    loaded = loadJsonReturn(opts.fromJson, res, findUnit);
  } catch (e) {
    const problems = e instanceof AppError ? (e.details as { problems?: { path: string; message: string }[] } | undefined)?.problems : undefined;
    if (!opts.json || !problems) throw e;
    io.out(JSON.stringify({ errors: problems.map((p) => ({ id: `input:${p.path}`, path: p.path, message: p.message })), warnings: [] }, null, 2));
    return EXIT_REFUSED;
  }
  const { ret, template, unit } = loaded;
  const { errors, warnings } = validateReturn(template, ret, unit);
  const missing = unexplained(warnings, ret.explanations);
  if (opts.json) {
    io.out(
      JSON.stringify(
        {
          errors: errors.map((i) => ({ id: i.id, path: i.path, message: i.message })),
          warnings: warnings.map((i) => ({ id: i.id, path: i.path, message: i.message, explained: !missing.includes(i) })),
        },
        null,
        2,
      ),
    );
  } else {
    const where = `${unit.name}, ${periodLabel(ret.period)}`;
    if (errors.length) io.out([`Lỗi (${errors.length}):`, ...issueLines(errors)].join('\n'));
    if (warnings.length)
      io.out([`Cảnh báo (${warnings.length}):`, ...issueLines(warnings, (id) => (missing.some((m) => m.id === id) ? ' (chưa có giải trình)' : ' (đã giải trình)'))].join('\n'));
    io.out(
      errors.length || missing.length
        ? `Báo cáo ${where} chưa nộp được: còn ${errors.length} lỗi và ${missing.length} cảnh báo chưa có giải trình. Hãy sửa các lỗi và ghi giải trình vào "explanations" (khóa trong ngoặc vuông).`
        : `Báo cáo ${where} hợp lệ, có thể nộp.`,
    );
  }
  return errors.length || missing.length ? EXIT_REFUSED : EXIT_OK;
}

async function cmdSubmit(opts: { db: string; fromJson: string; by?: string; template?: string; request?: string; out?: string }, io: Io): Promise<number> {
  const templates = opts.template ? [await loadTemplateFile(opts.template)] : undefined;
  const read = readJsonFile(opts.fromJson);
  // --out: say so before submitting when the package could not be written there.
  const outDir = opts.out && (existsSync(opts.out) && statSync(opts.out).isDirectory() ? opts.out : path.dirname(path.resolve(opts.out)));
  if (outDir && !existsSync(outDir)) throw new Refusal(`--out: thư mục "${outDir}" không tồn tại. Hãy tạo thư mục hoặc chọn nơi lưu khác; chưa nộp gì.`);
  const core = await createCore({ dbPath: opts.db, resourcesDir: defaultResourcesDir(), appVersion: appVersion(), templates });
  try {
    // --request (issue 9): the return answers that request; its template and period are the request's.
    const data = opts.request ? await requestReturnJson(core, opts.request, read) : read;
    const units = (await core.handlers['units.list']({})).units;
    const { ret, unit } = checkReturnJson(data, core.resources.getTemplate, (c) => units.find((u) => u.code === c), `Tệp "${opts.fromJson}"`);
    const info = await core.submitReturnJson(ret, opts.by);
    io.out(
      `Đã nộp lần ${info.revision} của báo cáo ${unit.name}, ${periodLabel(ret.period)}${info.late ? ' (nộp muộn)' : ''}. Mã gói: ${info.packageId}`,
    );
    if (opts.out) {
      // The package of this revision (issue 9: to email or copy to USB), as the window's "Xuất gói" gives it.
      const { returnId } = await core.handlers['returns.open']({ template: ret.template, period: ret.period });
      const pkg = await core.handlers['package.export']({ returnId, revision: info.revision });
      // A package with attachments is a .zip named like the workbook.
      const file = existsSync(opts.out) && statSync(opts.out).isDirectory() ? path.join(opts.out, pkg.fileName) : opts.out;
      const target = /\.zip$/i.test(pkg.fileName) && !/\.zip$/i.test(file) ? `${file.replace(/\.xlsx$/i, '')}.zip` : file;
      writeFileAtomic(target, Buffer.from(pkg.data, 'base64'));
      io.out(`Đã ghi gói báo cáo: ${target}`);
    }
    return EXIT_OK;
  } finally {
    await core.close();
  }
}

const WEB_PASSWORD_ENV = 'COMMUNE_RETURNS_WEB_PASSWORD';

/** The password of `web` beyond loopback: from --password-file, else the environment; null when none is set. */
function webPassword(opts: { passwordFile?: string }): string | null {
  const raw = opts.passwordFile ? readInputFile(opts.passwordFile).toString('utf8') : process.env[WEB_PASSWORD_ENV];
  if (raw === undefined) return null;
  const password = raw.replace(/^\uFEFF/, '').replace(/\r?\n$/, '');
  if ([...password].length < MIN_PASSWORD_LENGTH)
    throw new Refusal(
      `Mật khẩu ${opts.passwordFile ? `trong tệp "${opts.passwordFile}"` : `trong biến môi trường ${WEB_PASSWORD_ENV}`} ngắn hơn ${MIN_PASSWORD_LENGTH} ký tự. Hãy đặt mật khẩu dài hơn rồi chạy lại.`,
    );
  return password;
}

async function cmdWeb(opts: { db: string; port: number; host: string; passwordFile?: string; publicHost?: string[] }, io: Io): Promise<number> {
  const loopback = ['127.0.0.1', 'localhost', '::1'].includes(opts.host);
  // Issue 9: a city database with users signs its users in (cli/users.ts); beyond loopback it needs users.
  const cityMode = webCityMode(opts.db);
  if (cityMode.city && !loopback && !cityMode.users) {
    io.err(NO_CITY_USERS(opts.db));
    return EXIT_USAGE;
  }
  const password = cityMode.city ? null : webPassword(opts);
  if (!cityMode.city && !loopback && password === null) {
    io.err(
      `Lỗi: không mở ứng dụng cho các máy khác trong mạng (--host ${opts.host}) khi chưa đặt mật khẩu, vì bất kỳ máy nào trong mạng cũng có thể sửa số liệu. ` +
        `Hãy đặt mật khẩu bằng --password-file <tệp chứa mật khẩu> hoặc biến môi trường ${WEB_PASSWORD_ENV} (ít nhất ${MIN_PASSWORD_LENGTH} ký tự), ` +
        'hoặc bỏ --host để chỉ dùng trên chính máy này (http://127.0.0.1).',
    );
    return EXIT_USAGE;
  }
  // On loopback no login (the Host check guards it); beyond it, the login guards every page and call.
  const login = !loopback && password !== null ? await createWebLogin(password) : undefined;
  const core = await createCore({ dbPath: opts.db, resourcesDir: defaultResourcesDir(), appVersion: appVersion() });
  const app = await buildServer({
    handlers: core.handlers,
    logger: { level: 'warn', stream: process.stderr },
    loopbackOnly: loopback,
    login,
    users: core.users,
    allowedHosts: cityMode.city && !loopback ? webHosts(opts.publicHost) : undefined,
  });
  let url: string;
  try {
    url = await listen(app, opts.port, opts.host);
    // Bound to every address: this machine opens it at 127.0.0.1, the others at this machine's address.
    if (opts.host === '0.0.0.0' || opts.host === '::') url = url.replace(/^http:\/\/[^/]*:(\d+)$/, 'http://127.0.0.1:$1');
  } catch (e) {
    await core.close();
    const code = (e as { code?: string }).code;
    if (code === 'EADDRINUSE') throw new Refusal(`Cổng ${opts.port} đang được dùng. Hãy chọn cổng khác bằng --port, hoặc --port 0 để tự chọn cổng trống.`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new Refusal(`Không dùng được địa chỉ "${opts.host}". Hãy dùng --host 127.0.0.1.`);
    throw e;
  }
  io.out(`Mở trình duyệt tại: ${url}`);
  if (!loopback)
    io.err(
      cityMode.city
        ? 'Lưu ý: máy chủ đang mở cho các máy khác trong mạng nội bộ (bằng địa chỉ của máy này); chỉ người dùng của Thành phố có tên và mật khẩu mới đăng nhập được.'
        : 'Lưu ý: máy chủ đang mở cho các máy khác trong mạng truy cập (bằng địa chỉ của máy này); ai có mật khẩu mới đăng nhập được.',
    );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await app.close();
  await core.close();
  return EXIT_OK;
}

// ---------- the city role ----------

export async function withCore<T>(db: string, fn: (core: Core) => Promise<T>, delivery?: DeliveryOptions, templates?: Template[]): Promise<T> {
  const core = await createCore({ dbPath: db, resourcesDir: defaultResourcesDir(), appVersion: appVersion(), delivery, templates });
  try {
    return await fn(core);
  } finally {
    await core.close();
  }
}

/** The files to import: named files as they are, folders walked (their .xlsx and .zip files), in name order. */
function importSources(paths: string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.isFile() && /\.(xlsx|zip)$/i.test(e.name) && !e.name.startsWith('~$') && !e.name.startsWith('.')) out.push(full);
    }
  };
  for (const p of paths) {
    if (!existsSync(p)) throw new Refusal(`Không tìm thấy "${p}". Hãy kiểm tra lại đường dẫn; chưa nhập tệp nào.`);
    if (statSync(p).isDirectory()) walk(p);
    else out.push(p);
  }
  if (!out.length) throw new Refusal('Không có tệp .xlsx hoặc .zip nào trong các thư mục đã chọn. Hãy chọn thư mục chứa các gói báo cáo.');
  return out;
}

/** Read the files one at a time, as the import asks for them. */
function* readSources(files: string[]): Generator<IncomingFile> {
  for (const f of files) yield { name: path.basename(f), bytes: readInputFile(f) };
}

const OUTCOME_LABEL: Record<ImportOutcome, string> = {
  imported: 'đã nhập',
  duplicate: 'đã có (trùng)',
  superseded: 'thay bản cũ',
  history: 'lưu lịch sử',
  conflict: 'xung đột',
  refused: 'từ chối',
};

function resultTable(results: ImportResult[]): string {
  const rows = results.map((r) => [
    r.file,
    OUTCOME_LABEL[r.outcome] + (r.outcome === 'superseded' ? ` lần ${r.supersededRevision}` : '') + (r.outcome === 'conflict' ? ` (mã ${r.conflictId})` : ''),
    r.unitName ?? r.unit ?? '',
    r.revision !== null ? String(r.revision) : '',
  ]);
  const head = ['Tệp', 'Kết quả', 'Đơn vị', 'Lần nộp'];
  const widths = head.map((h, i) => Math.min(60, Math.max(h.length, ...rows.map((r) => r[i]!.length))));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  const out = [line(head), widths.map((w) => '-'.repeat(w)).join('  ')];
  results.forEach((r, i) => {
    out.push(line(rows[i]!));
    if (r.outcome !== 'imported') out.push(`    ${r.message}`);
  });
  return out.join('\n');
}

async function cmdImport(paths: string[], opts: { db: string; dryRun?: boolean; json?: boolean; template?: string }, io: Io): Promise<number> {
  const files = importSources(paths);
  const dryRun = !!opts.dryRun;
  const templates = opts.template ? [await loadTemplateFile(opts.template)] : undefined;
  const results = await withCore(
    opts.db,
    (core) =>
      core.city.importFiles(readSources(files), {
        dryRun,
        onResult: (r, i) => io.err(`[${i + 1}] ${r.file}: ${OUTCOME_LABEL[r.outcome]}`),
      }),
    undefined,
    templates,
  );
  if (opts.json) io.out(JSON.stringify({ dryRun, results }, null, 2));
  else {
    io.out(resultTable(results));
    const n = (o: ImportOutcome) => results.filter((r) => r.outcome === o).length;
    io.out(
      `${dryRun ? 'Chạy thử, không lưu gì: ' : ''}${results.length} gói — đã nhập ${n('imported')}, thay bản cũ ${n('superseded')}, ` +
        `lưu lịch sử ${n('history')}, trùng ${n('duplicate')}, xung đột ${n('conflict')}, từ chối ${n('refused')}.` +
        (n('conflict') ? ` ${CONFLICTS_HINT}` : ''),
    );
  }
  return results.some((r) => r.outcome === 'refused') ? EXIT_REFUSED : EXIT_OK;
}

// ---------- conflicts (issue 7 item 8) ----------

const CONFLICTS_HINT =
  'Các xung đột được giữ chờ xử lý: xem bằng lệnh "conflicts --db <tệp>" (hoặc trong ứng dụng, mục Tình hình nộp) rồi chọn gói giữ lại bằng "conflicts resolve".';

async function cmdConflicts(opts: { db?: string; template: string; period?: string; json?: boolean }, io: Io): Promise<number> {
  if (!opts.db) throw new Refusal('Thiếu --db: hãy chỉ tệp cơ sở dữ liệu của Thành phố, ví dụ conflicts --db city.sqlite.');
  existingDb(opts.db);
  return withCore(opts.db, async (core) => {
    await core.city.claimCity();
    const list = await core.handlers['city.conflicts']({ template: opts.template, ...(opts.period ? { period: opts.period } : {}) });
    if (opts.json) {
      io.out(JSON.stringify(list, null, 2));
      return EXIT_OK;
    }
    if (!list.length) {
      io.out('Không có xung đột nào đang chờ xử lý.');
      return EXIT_OK;
    }
    const side = (p: (typeof list)[number]['existing']) =>
      `${p.fileName} (nộp ${p.submittedAt ? formatDateTime(p.submittedAt) : 'không rõ'}${p.submittedBy ? ` bởi ${p.submittedBy}` : ''}, nhập ${formatDateTime(p.importedAt)})`;
    for (const c of list)
      io.out(
        `${c.id}  ${c.unitName} (mã ${c.unit}), ${periodLabel(c.period)}, lần nộp ${c.revision}: ` +
          `gói đã có ${side(c.existing)}; gói mới ${side(c.incoming)}; ${c.changes.length} ô khác nhau.`,
      );
    io.out(`${list.length} xung đột chờ xử lý. Giữ một gói: conflicts resolve --db ${opts.db} <mã> --keep existing (gói đã có) hoặc --keep incoming (gói mới).`);
    return EXIT_OK;
  });
}

async function cmdConflictResolve(id: string, opts: { db: string; keep: string }, io: Io): Promise<number> {
  const conflictId = Number(id);
  if (!/^\d+$/.test(id) || !Number.isSafeInteger(conflictId))
    throw new Refusal(`"${id}" không phải mã xung đột. Hãy dùng mã số ở đầu dòng của lệnh "conflicts --db ${opts.db}".`);
  if (opts.keep !== 'existing' && opts.keep !== 'incoming')
    throw new Refusal('--keep phải là existing (giữ gói đã có) hoặc incoming (giữ gói mới).');
  existingDb(opts.db);
  return withCore(opts.db, async (core) => {
    await core.city.claimCity();
    const r = await core.handlers['city.resolveConflict']({ conflictId, keep: opts.keep as 'existing' | 'incoming' });
    io.out(r.message);
    return EXIT_OK;
  });
}

/** `consolidate --request <id>`: the consolidation of a request's units only, late by its own deadline (issue 9). */
async function cmdConsolidateRequest(o: { db: string; request: string; out?: string; json?: string }, io: Io): Promise<number> {
  existingDb(o.db);
  return withCore(o.db, async (core) => {
    await core.city.claimCity();
    const c = (await core.handlers['requests.consolidation']({ id: o.request })) as Awaited<ReturnType<Core['city']['consolidation']>>;
    if (o.json === '-') io.out(JSON.stringify(c, null, 2));
    else if (o.json) {
      writeFileAtomic(o.json, JSON.stringify(c, null, 2) + '\n');
      io.out(`Đã ghi Biểu tổng hợp dạng JSON: ${o.json}`);
    }
    const out = o.out ?? (o.json ? undefined : `tong-hop-${o.request}.xlsx`);
    if (out) {
      const file = await core.handlers['requests.consolidation.export']({ id: o.request });
      writeFileAtomic(out, Buffer.from(file.data, 'base64'));
      const u = c.units;
      io.out(
        `Đã ghi Biểu tổng hợp của yêu cầu ${o.request}: ${out} (${u.submitted}/${u.expected} đơn vị đã nộp; ` +
          `đúng hạn ${u.on_time}, quá hạn ${u.late}, chưa nộp ${u.missing}, trả lại ${u.returned}).`,
      );
    }
    return EXIT_OK;
  });
}

async function cmdConsolidate(o: { db: string; period?: string; request?: string; template: string; out?: string; json?: string }, io: Io): Promise<number> {
  if (o.request) return cmdConsolidateRequest({ ...o, request: o.request }, io);
  if (!o.period) {
    io.err('Lỗi: thiếu --period (ví dụ 2026-Q2) hoặc --request <mã yêu cầu>. Hãy chọn kỳ báo cáo hoặc yêu cầu báo cáo cần tổng hợp.');
    return EXIT_USAGE;
  }
  existingDb(o.db); // a mistyped path is not a new, empty city (0/114 on a workbook)
  // --template names a template id, or a template file (.xlsx authoring workbook or .json) to consolidate with.
  const file = /\.(xlsx|json)$/i.test(o.template) ? await loadTemplateFile(o.template) : undefined;
  const opts = { ...o, period: o.period, ...(file ? { template: file.id } : {}) };
  return withCore(opts.db, async (core) => {
    await core.city.claimCity();
    const c = await core.city.consolidation(opts.template, opts.period);
    if (opts.json === '-') io.out(JSON.stringify(c, null, 2));
    else if (opts.json) {
      writeFileAtomic(opts.json, JSON.stringify(c, null, 2) + '\n');
      io.out(`Đã ghi Biểu tổng hợp dạng JSON: ${opts.json}`);
    }
    if (opts.out) {
      const file = await core.handlers['city.consolidation.export']({ template: opts.template, period: opts.period });
      writeFileAtomic(opts.out, Buffer.from(file.data, 'base64'));
      io.out(`Đã ghi Biểu tổng hợp: ${opts.out}`);
    }
    if (!opts.json && !opts.out) {
      const u = c.units;
      io.out(
        `Biểu tổng hợp ${periodLabel(c.period)}, mẫu ${c.template}: ${u.submitted}/${u.expected} đơn vị đã nộp ` +
          `(đúng hạn ${u.on_time}, quá hạn ${u.late}, chưa nộp ${u.missing}, đã tiếp nhận ${u.accepted}, trả lại ${u.returned}). ` +
          'Dùng --json - để xem toàn bộ số liệu hoặc --out <tệp.xlsx> để ghi ra Excel.',
      );
    }
    return EXIT_OK;
  }, undefined, file ? [file] : undefined);
}

type UnitListChange = Awaited<ReturnType<Core['city']['importUnitList']>>;
interface UnitListCliOptions {
  db: string;
  json?: boolean;
  dryRun?: boolean;
  yes?: boolean;
}

/** Replace (or restore) the unit list: a preview with --dry-run; more than a tenth removed needs --yes. */
async function unitListChange(
  opts: UnitListCliOptions,
  io: Io,
  run: (core: Core, o: { dryRun: boolean; confirmRemovals: boolean }) => Promise<UnitListChange>,
): Promise<number> {
  let res: UnitListChange;
  try {
    res = await withCore(opts.db, (core) => run(core, { dryRun: !!opts.dryRun, confirmRemovals: !!opts.yes }));
  } catch (e) {
    if (e instanceof AppError && (e.details as { reason?: string } | undefined)?.reason === 'confirm_removals')
      throw new Refusal(`${e.message} Chưa thay đổi gì. Để xác nhận, hãy chạy lại lệnh với --yes (nên xem trước bằng --dry-run).`);
    throw e;
  }
  if (opts.json) io.out(JSON.stringify(res, null, 2));
  else {
    const names = (l: { name: string }[]) => l.slice(0, 10).map((u) => u.name).join(', ') + (l.length > 10 ? `, … (${l.length - 10} đơn vị khác)` : '');
    io.out(
      res.dryRun
        ? `Chạy thử, chưa thay đổi gì: danh sách ${res.version} (${res.count} đơn vị) so với danh sách hiện hành ${res.currentVersion} (${res.currentCount} đơn vị).`
        : `Đã nhập danh sách đơn vị phiên bản ${res.version} (${res.count} đơn vị), nay là danh sách hiện hành. Các kỳ đã dùng vẫn giữ danh sách của kỳ đó.`,
    );
    if (res.added.length) io.out(`Thêm ${res.added.length}: ${names(res.added)}`);
    if (res.removed.length) io.out(`Bỏ ${res.removed.length}: ${names(res.removed)}`);
    if (res.renamed.length) io.out(`Đổi tên ${res.renamed.length}: ${res.renamed.slice(0, 10).map((r) => `${r.before} → ${r.after}`).join(', ')}`);
    const firsts = res.firstPeriods ?? [];
    const first = (p: string | null) => (p ? periodLabel(p) : 'không đặt');
    if (firsts.length)
      io.out(
        `Đổi kỳ báo cáo đầu tiên ${firsts.length}: ${firsts
          .slice(0, 10)
          .map((f) => `${f.name} (${first(f.before)} → ${first(f.after)})`)
          .join(', ')}${firsts.length > 10 ? `, … (${firsts.length - 10} đơn vị khác)` : ''}`,
      );
    if (!res.added.length && !res.removed.length && !res.renamed.length && !firsts.length) io.out('Không có đơn vị nào thay đổi so với danh sách trước.');
    if (res.dryRun && res.askAgain) io.out(`Lưu ý: ${res.askAgain} Khi nhập thật, hãy thêm --yes.`);
  }
  return EXIT_OK;
}

async function cmdUnitsImport(file: string, opts: UnitListCliOptions, io: Io): Promise<number> {
  const bytes = readInputFile(file);
  return unitListChange(opts, io, (core, o) => core.city.importUnitList(path.basename(file), bytes, o));
}

async function cmdUnitsRestore(version: string, opts: UnitListCliOptions, io: Io): Promise<number> {
  existingDb(opts.db);
  return unitListChange(opts, io, (core, o) => core.city.restoreUnitList(version, o));
}

async function cmdUnitsExport(opts: { db: string; version?: string; out?: string }, io: Io): Promise<number> {
  existingDb(opts.db);
  const file = await withCore(opts.db, async (core) => core.handlers['units.export']({ version: opts.version }));
  const bytes = Buffer.from(file.data, 'base64');
  if (opts.out) {
    writeFileAtomic(opts.out, bytes);
    io.err(`Đã ghi danh sách đơn vị ra tệp ${opts.out} (CSV UTF-8, mở được bằng Excel).`);
  } else io.out(bytes.toString('utf8').replace(/^\uFEFF/, '').trimEnd());
  return EXIT_OK;
}

// ---------- delivery over the network ----------

/** The command line makes one attempt and exits: no background sender. */
const ONE_SHOT: DeliveryOptions = { autoStart: false };

function serverUrl(url: string): string {
  const u = normalizeServerUrl(url);
  if (!/^https?:\/\/[^/\s]+/i.test(u))
    throw new Refusal(`--server: "${url}" không phải địa chỉ máy chủ. Hãy dùng dạng http://máy-chủ:cổng hoặc https://máy-chủ, do thành phố cung cấp.`);
  return u;
}

async function cmdIntake(opts: { db?: string; port: number; host: string }, io: Io): Promise<number> {
  const server = await runIntake({
    dbPath: opts.db,
    port: opts.port,
    host: opts.host,
    handleSignals: false,
    print: io.out,
    logger: { level: 'info', stream: process.stderr },
  });
  if (!['127.0.0.1', 'localhost', '::1'].includes(opts.host))
    io.err('Lưu ý: máy chủ đang mở cho các máy khác trong mạng; hãy đặt sau một máy chủ HTTPS (reverse proxy) khi mở ra Internet.');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  return EXIT_OK;
}

async function cmdIntakeToken(opts: { db?: string; unit?: string; city?: boolean; label?: string }, io: Io): Promise<number> {
  await intakeTokenCommand({ dbPath: opts.db, unit: opts.unit, city: opts.city, label: opts.label, print: io.out });
  return EXIT_OK;
}

async function cmdIntakeRevoke(token: string, opts: { db?: string }, io: Io): Promise<number> {
  await intakeRevokeCommand({ dbPath: opts.db, token, print: io.out });
  return EXIT_OK;
}

const DELIVERY_LABEL = { queued: 'chờ gửi', sending: 'đang gửi', sent: 'đã gửi', accepted: 'thành phố đã tiếp nhận', returned: 'bị trả lại' } as const;

async function cmdSend(opts: { db: string; server: string; token: string; json?: boolean }, io: Io): Promise<number> {
  const url = serverUrl(opts.server);
  return withCore(
    opts.db,
    async (core) => {
      const info = await core.handlers['app.info']({});
      if (info.role === 'city')
        throw new Refusal('Cơ sở dữ liệu này dùng cho vai trò Thành phố, không gửi báo cáo. Hãy dùng lệnh pull để lấy gói mới về Thành phố.');
      if (info.role !== 'commune')
        throw new Refusal('Cơ sở dữ liệu này chưa có đơn vị và chưa có báo cáo nào được nộp. Hãy nộp báo cáo trước (lệnh submit) rồi gửi.');
      await core.delivery.useSettings({ serverUrl: url, token: opts.token });
      const s = await core.handlers['delivery.sendNow']({});
      const left = s.items.filter((i) => i.state === 'queued' || i.state === 'sending');
      if (opts.json) io.out(JSON.stringify(s, null, 2));
      else
        for (const i of s.items) {
          const when = i.state === 'sent' && i.sentAt ? ` lúc ${formatDateTime(i.sentAt)}` : '';
          const why = i.state === 'returned' && i.reason ? ` Lý do: ${i.reason}` : i.error ? ` ${i.error}` : '';
          // Issue 7 item 11: the city fetched it but could not import it yet.
          const refusal = i.cityRefusal ? ` Thành phố chưa nhận được: ${i.cityRefusal}` : '';
          io.out(`${periodLabel(i.period)}, lần nộp ${i.revision}: ${DELIVERY_LABEL[i.state]}${when}.${why}${refusal}`);
        }
      if (!left.length) {
        if (!opts.json) io.out(s.items.length ? `Không còn báo cáo nào chờ gửi (${s.items.length} báo cáo đã tới máy chủ thành phố).` : 'Không có báo cáo nào cần gửi.');
        return EXIT_OK;
      }
      const why = s.connection.lastError ?? left.find((i) => i.error)?.error ?? 'Máy chủ chưa nhận được; hãy chạy lại lệnh sau ít phút.';
      io.err(`Còn ${left.length} báo cáo chưa gửi được. ${why}`);
      return EXIT_REFUSED;
    },
    ONE_SHOT,
  );
}

async function cmdPull(opts: { db: string; server: string; token: string; json?: boolean }, io: Io): Promise<number> {
  const url = serverUrl(opts.server);
  return withCore(
    opts.db,
    async (core) => {
      await core.city.claimCity();
      await core.delivery.useSettings({ serverUrl: url, token: opts.token });
      const { results, connection } = await core.handlers['city.pull']({});
      if (opts.json) io.out(JSON.stringify({ results, connection }, null, 2));
      else if (results.length) {
        io.out(resultTable(results));
        const n = (o: ImportOutcome) => results.filter((r) => r.outcome === o).length;
        io.out(
          `Đã lấy ${results.length} gói mới từ máy chủ — đã nhập ${n('imported')}, thay bản cũ ${n('superseded')}, ` +
            `lưu lịch sử ${n('history')}, trùng ${n('duplicate')}, xung đột ${n('conflict')}, từ chối ${n('refused')}.` +
            (n('conflict') ? ` ${CONFLICTS_HINT}` : ''),
        );
      } else if (!connection.lastError) io.out('Không có gói mới trên máy chủ.');
      if (connection.lastError) {
        io.err(`Chưa lấy hết được: ${connection.lastError}`);
        return EXIT_REFUSED;
      }
      return results.some((r) => r.outcome === 'refused') ? EXIT_REFUSED : EXIT_OK;
    },
    ONE_SHOT,
  );
}

// ---------- backups of the database (issue 7) ----------

const BACKUP_REASON: Record<string, string> = {
  submit: 'Trước khi nộp báo cáo',
  import: 'Trước khi nhập tệp Excel',
  daily: 'Sao lưu hằng ngày',
  manual: 'Tạo thủ công',
  'before-restore': 'Trước khi khôi phục',
};

export function existingDb(db: string): void {
  if (!existsSync(db) || statSync(db).isDirectory())
    throw new Refusal(`Không tìm thấy tệp dữ liệu "${db}". Hãy kiểm tra lại đường dẫn sau --db.`);
}

function cmdBackupList(o: { db: string; json?: boolean }, io: Io): number {
  existingDb(o.db);
  const items = listBackups(o.db);
  if (o.json) io.out(JSON.stringify(items, null, 2));
  else if (!items.length) io.out(`Chưa có bản sao lưu nào của "${o.db}". Tạo một bản: ${BIN} backup create --db ${o.db}`);
  else {
    io.out(`Các bản sao lưu của "${o.db}" (mới nhất trước), trong thư mục backups bên cạnh tệp:`);
    for (const b of items)
      io.out(`  ${b.name}  ${formatDateTime(b.createdAt)}  ${BACKUP_REASON[b.reason] ?? b.reason}  ${(b.size / 1024).toFixed(0)} KB`);
    io.out(`Khôi phục một bản: ${BIN} backup restore --db ${o.db} <tên bản sao lưu>`);
  }
  return EXIT_OK;
}

async function cmdBackupCreate(o: { db: string }, io: Io): Promise<number> {
  existingDb(o.db);
  const b = await withCore(o.db, async (core) => await core.handlers['backups.create']({}));
  io.out(`Đã tạo bản sao lưu ${b.name} lúc ${formatDateTime(b.createdAt)} (đã kiểm tra toàn vẹn).`);
  return EXIT_OK;
}

async function cmdBackupRestore(name: string, o: { db: string }, io: Io): Promise<number> {
  existingDb(o.db);
  const { restored, safety, revisionsSince } = await restoreClosed(o.db, name, new Date());
  io.out(`Đã khôi phục "${o.db}" từ bản sao lưu ${restored.name} (tạo lúc ${formatDateTime(restored.createdAt)}).`);
  if (safety) io.out(`Dữ liệu trước khi khôi phục được giữ lại trong thư mục backups: ${safety}`);
  if (revisionsSince.length > 0)
    io.out(
      `Chú ý: ${revisionsSince.length} lần nộp sau thời điểm sao lưu không còn trong dữ liệu đang dùng (vẫn có trong bản giữ lại ở trên): ${revisionsSince.join('; ')}. ` +
        `Nếu chúng đã được gửi cho thành phố, hãy khôi phục lại bản giữ lại ở trên: lần nộp sau sẽ trùng số với lần thành phố đã nhận.`,
    );
  return EXIT_OK;
}

// ---------- the program ----------

function parsePort(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n > 65535) throw new InvalidArgumentError('cổng phải là số từ 0 đến 65535');
  return n;
}

function buildProgram(io: Io, setExit: (code: number) => void): Command {
  const program = new Command(BIN)
    .description('Báo cáo của UBND cấp xã — Hải Phòng: tạo, đọc, kiểm tra và nộp báo cáo theo các mẫu của thành phố.')
    .helpOption('-h, --help', 'hiện hướng dẫn')
    .helpCommand('help [lệnh]', 'hiện hướng dẫn của một lệnh')
    .version(appVersion(), '-V, --version', 'hiện phiên bản')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()), outputError: () => undefined })
    .showSuggestionAfterError(false)
    // `intake token --db …`: options after a subcommand belong to it, not to `intake`.
    .enablePositionalOptions();
  const sub = (name: string, description: string) =>
    program.command(name).description(description).helpOption('-h, --help', 'hiện hướng dẫn').exitOverride();

  sub('package', 'kiểm tra rồi ghi gói Excel (.xlsx) cho từng báo cáo dạng JSON')
    .requiredOption('--from-json <return.json...>', 'một hoặc nhiều tệp báo cáo dạng JSON')
    .requiredOption('--out <file.xlsx|thư-mục>', 'tệp .xlsx (một báo cáo) hoặc thư mục (nhiều báo cáo)')
    .option('--template <file>', TEMPLATE_FILE_HELP)
    .option('--db <file.sqlite>', TEMPLATE_DB_HELP)
    .action(async (o: { fromJson: string[]; out: string; template?: string; db?: string }) => setExit(await cmdPackage(o, io)));
  sub('read', 'đọc gói Excel ra báo cáo dạng JSON, kèm thông tin gói')
    .argument('<file.xlsx>', 'tệp gói báo cáo')
    .option('--out <return.json>', 'ghi ra tệp thay vì in ra màn hình')
    .option('--template <file>', TEMPLATE_FILE_HELP)
    .option('--db <file.sqlite>', TEMPLATE_DB_HELP)
    .action(async (file: string, o: { out?: string; template?: string; db?: string }) => setExit(await cmdRead(file, o, io)));
  sub('validate', 'kiểm tra một báo cáo dạng JSON theo các quy tắc của mẫu')
    .requiredOption('--from-json <return.json>', 'tệp báo cáo dạng JSON')
    .option('--json', 'in kết quả dạng JSON {"errors":[...],"warnings":[...]}')
    .option('--template <file>', TEMPLATE_FILE_HELP)
    .option('--db <file.sqlite>', TEMPLATE_DB_HELP)
    .action(async (o: { fromJson: string; json?: boolean; template?: string; db?: string }) => setExit(await cmdValidate(o, io)));
  sub('submit', 'lưu báo cáo dạng JSON thành lần nộp tiếp theo trong cơ sở dữ liệu của xã')
    .requiredOption('--db <file.sqlite>', 'tệp cơ sở dữ liệu của xã (tạo mới nếu chưa có)')
    .requiredOption('--from-json <return.json>', 'tệp báo cáo dạng JSON')
    .option('--by <tên>', 'người nộp (mặc định: người lập biểu)')
    .option('--template <file>', TEMPLATE_FILE_HELP)
    .option('--request <mã>', 'báo cáo trả lời yêu cầu này (ví dụ YC-2026-0001): mẫu và kỳ lấy theo yêu cầu')
    .option('--out <gói.xlsx|thư-mục>', 'ghi gói báo cáo vừa nộp ra tệp (để gửi qua thư điện tử hoặc USB)')
    .action(async (o: { db: string; fromJson: string; by?: string; template?: string; request?: string; out?: string }) => setExit(await cmdSubmit(o, io)));
  sub('web', 'chạy ứng dụng trong trình duyệt')
    .requiredOption('--db <file.sqlite>', 'tệp cơ sở dữ liệu (tạo mới nếu chưa có)')
    .option('--port <N>', 'cổng (0: tự chọn cổng trống)', parsePort, 0)
    .option('--host <địa-chỉ>', 'địa chỉ lắng nghe', '127.0.0.1')
    .option('--password-file <tệp>', `tệp chứa mật khẩu đăng nhập (bắt buộc khi --host không phải 127.0.0.1, hoặc đặt biến môi trường ${WEB_PASSWORD_ENV})`)
    .option('--public-host <tên...>', 'Thành phố: tên máy (hoặc địa chỉ) khác mà các máy trong mạng dùng để mở ứng dụng, ngoài các địa chỉ của máy này')
    .action(async (o: { db: string; port: number; host: string; passwordFile?: string; publicHost?: string[] }) => setExit(await cmdWeb(o, io)));
  sub('import', 'nhập các gói báo cáo của xã (tệp .xlsx, thư mục hoặc tệp .zip) vào cơ sở dữ liệu của Thành phố')
    .requiredOption('--db <city.sqlite>', 'tệp cơ sở dữ liệu của Thành phố (tạo mới nếu chưa có)')
    .argument('<tệp|thư-mục|zip...>', 'các gói báo cáo, thư mục chứa gói, tệp nén .zip')
    .option('--dry-run', 'chạy thử: cho biết kết quả nhưng không lưu gì')
    .option('--json', 'in bảng kết quả dạng JSON')
    .option('--template <file>', TEMPLATE_FILE_HELP)
    .action(async (paths: string[], o: { db: string; dryRun?: boolean; json?: boolean; template?: string }) => setExit(await cmdImport(paths, o, io)));
  sub('consolidate', 'lập Biểu tổng hợp của một kỳ từ các báo cáo đã nhập')
    .requiredOption('--db <city.sqlite>', 'tệp cơ sở dữ liệu của Thành phố')
    .option('--period <kỳ>', 'kỳ báo cáo, ví dụ 2026-Q2')
    .option('--request <mã>', 'mã yêu cầu báo cáo (ví dụ YC-2026-0001): chỉ các đơn vị được yêu cầu, theo thời hạn của yêu cầu')
    .option('--template <mẫu|file>', 'mã mẫu báo cáo, hoặc tệp mẫu (.xlsx sổ mẫu hoặc .json)', 'BC-CX')
    .option('--out <file.xlsx>', 'ghi Biểu tổng hợp ra tệp Excel')
    .option('--json <tệp|->', 'ghi số liệu tổng hợp dạng JSON ra tệp, hoặc "-" để in ra màn hình')
    .action(async (o: { db: string; period?: string; request?: string; template: string; out?: string; json?: string }) => setExit(await cmdConsolidate(o, io)));
  const conflicts = sub('conflicts', 'liệt kê các xung đột (hai gói khác nhau cùng một lần nộp) đang chờ Thành phố xử lý')
    .enablePositionalOptions()
    .option('--db <city.sqlite>', 'tệp cơ sở dữ liệu của Thành phố')
    .option('--template <mẫu>', 'mẫu báo cáo', 'BC-CX')
    .option('--period <kỳ>', 'chỉ các xung đột của một kỳ, ví dụ 2026-Q2')
    .option('--json', 'in danh sách dạng JSON')
    .action(async (o: { db?: string; template: string; period?: string; json?: boolean }) => setExit(await cmdConflicts(o, io)));
  conflicts
    .command('resolve')
    .description('xử lý một xung đột: giữ gói đã có hoặc gói mới (gói kia được lưu riêng và không được tính)')
    .helpOption('-h, --help', 'hiện hướng dẫn')
    .exitOverride()
    .requiredOption('--db <city.sqlite>', 'tệp cơ sở dữ liệu của Thành phố')
    .argument('<mã>', 'mã xung đột (cột đầu của lệnh conflicts)')
    .requiredOption('--keep <existing|incoming>', 'existing: giữ gói đã có; incoming: giữ gói mới')
    .action(async (id: string, o: { db: string; keep: string }) => setExit(await cmdConflictResolve(id, o, io)));
  const units = sub('units', 'danh sách đơn vị');
  units
    .command('import')
    .description('nhập danh sách đơn vị mới (CSV hoặc XLSX với các cột code, type, name) làm danh sách hiện hành')
    .helpOption('-h, --help', 'hiện hướng dẫn')
    .exitOverride()
    .requiredOption('--db <file.sqlite>', 'tệp cơ sở dữ liệu (tạo mới nếu chưa có)')
    .argument('<list.csv|xlsx>', 'tệp danh sách đơn vị')
    .option('--dry-run', 'chỉ xem trước các đơn vị thêm, bỏ, đổi tên; không thay đổi gì')
    .option('--yes', 'xác nhận khi danh sách mới bỏ hơn 10% số đơn vị hiện có')
    .option('--json', 'in kết quả dạng JSON')
    .action(async (file: string, o: UnitListCliOptions) => setExit(await cmdUnitsImport(file, o, io)));
  units
    .command('export')
    .description('xuất một phiên bản danh sách đơn vị ra tệp CSV (UTF-8, mở được bằng Excel); mặc định là danh sách hiện hành')
    .helpOption('-h, --help', 'hiện hướng dẫn')
    .exitOverride()
    .requiredOption('--db <file.sqlite>', 'tệp cơ sở dữ liệu')
    .option('--version <phiên-bản>', 'phiên bản danh sách (xem trong ứng dụng, mục Danh sách đơn vị)')
    .option('--out <file.csv>', 'ghi ra tệp; không có thì in ra màn hình')
    .action(async (o: { db: string; version?: string; out?: string }) => setExit(await cmdUnitsExport(o, io)));
  units
    .command('restore')
    .description('dùng lại một phiên bản danh sách đơn vị trước đây (thành một phiên bản mới giống hệt nó)')
    .helpOption('-h, --help', 'hiện hướng dẫn')
    .exitOverride()
    .requiredOption('--db <file.sqlite>', 'tệp cơ sở dữ liệu')
    .argument('<phiên-bản>', 'phiên bản cần khôi phục')
    .option('--dry-run', 'chỉ xem trước các thay đổi; không thay đổi gì')
    .option('--yes', 'xác nhận khi phiên bản đó bỏ hơn 10% số đơn vị hiện có')
    .option('--json', 'in kết quả dạng JSON')
    .action(async (version: string, o: UnitListCliOptions) => setExit(await cmdUnitsRestore(version, o, io)));
  const intake = sub('intake', 'chạy máy chủ tiếp nhận gói báo cáo của thành phố (SQLite, hoặc PostgreSQL qua DATABASE_URL)')
    .option('--db <server.sqlite>', 'tệp dữ liệu SQLite của máy chủ (tạo mới nếu chưa có); không có thì dùng DATABASE_URL')
    .option('--port <N>', `cổng (mặc định ${DEFAULT_INTAKE_PORT}; 0: tự chọn cổng trống)`, parsePort, DEFAULT_INTAKE_PORT)
    .option('--host <địa-chỉ>', 'địa chỉ lắng nghe', '127.0.0.1')
    .action(async (o: { db?: string; port: number; host: string }) => setExit(await cmdIntake(o, io)));
  intake
    .command('token')
    .description('cấp mã truy cập mới cho một đơn vị (--unit) hoặc cho thành phố (--city); mã in ở dòng cuối')
    .helpOption('-h, --help', 'hiện hướng dẫn')
    .exitOverride()
    .option('--db <server.sqlite>', 'tệp dữ liệu SQLite của máy chủ; không có thì dùng DATABASE_URL')
    .option('--unit <mã>', 'mã đơn vị (mã thống kê, ví dụ 11948)')
    .option('--city', 'mã truy cập của thành phố (lấy gói, gửi quyết định)')
    .option('--label <ghi-chú>', 'ghi chú, ví dụ "máy kế toán"')
    .action(async (o: { db?: string; unit?: string; city?: boolean; label?: string }) => setExit(await cmdIntakeToken(o, io)));
  intake
    .command('revoke')
    .description('thu hồi một mã truy cập (theo số hiệu in ra khi cấp, hoặc chính mã đó)')
    .helpOption('-h, --help', 'hiện hướng dẫn')
    .exitOverride()
    .option('--db <server.sqlite>', 'tệp dữ liệu SQLite của máy chủ; không có thì dùng DATABASE_URL')
    .argument('<số-hiệu|mã>', 'số hiệu mã hoặc mã truy cập')
    .action(async (token: string, o: { db?: string }) => setExit(await cmdIntakeRevoke(token, o, io)));
  sub('send', 'gửi ngay mọi báo cáo đang chờ tới máy chủ thành phố (một lần); mã thoát 0 khi không còn gì chờ gửi')
    .requiredOption('--db <commune.sqlite>', 'tệp cơ sở dữ liệu của xã')
    .requiredOption('--server <url>', 'địa chỉ máy chủ tiếp nhận của thành phố')
    .requiredOption('--token <mã>', 'mã truy cập của đơn vị')
    .option('--json', 'in trạng thái dạng JSON')
    .action(async (o: { db: string; server: string; token: string; json?: boolean }) => setExit(await cmdSend(o, io)));
  sub('pull', 'lấy các gói mới từ máy chủ tiếp nhận về cơ sở dữ liệu của Thành phố và gửi các quyết định duyệt')
    .requiredOption('--db <city.sqlite>', 'tệp cơ sở dữ liệu của Thành phố (tạo mới nếu chưa có)')
    .requiredOption('--server <url>', 'địa chỉ máy chủ tiếp nhận')
    .requiredOption('--token <mã>', 'mã truy cập của thành phố')
    .option('--json', 'in bảng kết quả dạng JSON')
    .action(async (o: { db: string; server: string; token: string; json?: boolean }) => setExit(await cmdPull(o, io)));
  const backup = sub('backup', 'sao lưu và khôi phục tệp cơ sở dữ liệu (thư mục backups bên cạnh tệp)');
  const backupSub = (name: string, description: string) =>
    backup.command(name).description(description).helpOption('-h, --help', 'hiện hướng dẫn').exitOverride();
  backupSub('list', 'liệt kê các bản sao lưu (mới nhất trước), với thời điểm và lý do')
    .requiredOption('--db <file.sqlite>', 'tệp cơ sở dữ liệu')
    .option('--json', 'in danh sách dạng JSON')
    .action((o: { db: string; json?: boolean }) => setExit(cmdBackupList(o, io)));
  backupSub('create', 'tạo ngay một bản sao lưu (đã kiểm tra toàn vẹn)')
    .requiredOption('--db <file.sqlite>', 'tệp cơ sở dữ liệu')
    .action(async (o: { db: string }) => setExit(await cmdBackupCreate(o, io)));
  backupSub('restore', 'khôi phục tệp cơ sở dữ liệu từ một bản sao lưu; bản hiện tại được sao lưu trước')
    .requiredOption('--db <file.sqlite>', 'tệp cơ sở dữ liệu')
    .argument('<tên-bản-sao-lưu>', 'tên tệp trong danh sách của lệnh "backup list"')
    .action(async (name: string, o: { db: string }) => setExit(await cmdBackupRestore(name, o, io)));
  registerTemplateCommands(sub, setExit, io);
  registerCommuneRequestCommands(registerRequestCommands(sub, setExit, io), sub, setExit, io);
  registerUserCommands(sub, setExit, io);
  return program;
}

const TEMPLATE_FILE_HELP = 'dùng mẫu báo cáo trong tệp này (.xlsx sổ mẫu hoặc .json) thay vì tìm theo mã và phiên bản của báo cáo';
const TEMPLATE_DB_HELP = 'tìm mẫu báo cáo cả trong cơ sở dữ liệu này (các mẫu đã công bố hoặc đã nhận)';

const COMMANDS = ['package', 'read', 'validate', 'submit', 'web', 'import', 'consolidate', 'units', 'intake', 'send', 'pull', 'backup', 'template', 'templates', 'user', 'users', 'request', 'requests', 'city', 'trust'];

const quoted = (m: string) => /'([^']+)'/.exec(m)?.[1] ?? '';

function usageMessage(e: CommanderError, subcommands?: string[]): string {
  switch (e.code) {
    case 'commander.unknownCommand':
      return `Không có lệnh "${quoted(e.message)}". Các lệnh: ${(subcommands?.length ? subcommands : COMMANDS).join(', ')}.`;
    case 'commander.unknownOption':
      return `Không có tùy chọn "${quoted(e.message)}".`;
    case 'commander.missingMandatoryOptionValue':
      return `Thiếu tùy chọn bắt buộc ${quoted(e.message)}.`;
    case 'commander.missingArgument':
      return `Thiếu tham số <${quoted(e.message)}>.`;
    case 'commander.optionMissingArgument':
      return `Tùy chọn ${quoted(e.message)} cần có giá trị.`;
    case 'commander.excessArguments':
      return 'Có tham số thừa.';
    case 'commander.invalidArgument':
      return `Giá trị không hợp lệ: ${e.message.replace(/^error: /, '').replace(/^.*\. /, '')}.`;
    default:
      return 'Lệnh chưa đúng cách dùng.';
  }
}

/** Run the command line; resolves to the exit code. */
export async function run(argv: string[], io: Io = { out: (s) => console.log(s), err: (s) => console.error(s) }): Promise<number> {
  let exit = EXIT_OK;
  const program = buildProgram(io, (c) => (exit = c));
  const command = argv.find((a) => !a.startsWith('-'));
  try {
    if (!argv.length) {
      io.err(`Hãy chọn một lệnh. Xem hướng dẫn: ${BIN} --help`);
      io.err(program.helpInformation().trimEnd());
      return EXIT_USAGE;
    }
    await program.parseAsync(argv, { from: 'user' });
    return exit;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return EXIT_OK;
      if (e.code === 'commander.help') return EXIT_USAGE;
      const known = COMMANDS.includes(command ?? '');
      // An unknown subcommand of a command with subcommands (template, backup): list those.
      const subcommands = known ? program.commands.find((c) => c.name() === command)?.commands.map((c) => c.name()) : undefined;
      io.err(`Lỗi cách dùng: ${usageMessage(e, subcommands)}`);
      io.err(known ? `Xem hướng dẫn: ${BIN} ${command} --help` : `Xem hướng dẫn: ${BIN} --help`);
      return EXIT_USAGE;
    }
    if (e instanceof Refusal) {
      io.err(`Lỗi: ${e.message}`);
      for (const l of e.lines) io.err(l);
      return EXIT_REFUSED;
    }
    const shape = toErrorShape(e);
    io.err(`Lỗi: ${shape.message}`);
    const details = shape.details as { errors?: { id: string; path: string; message: string }[]; warnings?: { id: string; path: string; message: string }[] } | undefined;
    if (details?.errors?.length) io.err(['Các lỗi:', ...issueLines(details.errors)].join('\n'));
    if (details?.warnings?.length) io.err(['Cảnh báo chưa có giải trình:', ...issueLines(details.warnings)].join('\n'));
    const problems = (shape.details as { problems?: AuthoringProblem[] } | undefined)?.problems;
    if (problems?.length) io.err(problems.map((p) => `  - ${problemLine(p)}`).join('\n'));
    if (shape.code === 'internal') io.err(`(Chi tiết kỹ thuật để báo bộ phận hỗ trợ: ${e instanceof Error ? e.message : String(e)})`);
    return EXIT_REFUSED;
  }
}
