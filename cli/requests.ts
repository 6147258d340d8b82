/**
 * The request commands of the command line (issue 9 "Command line"), city side: request create /
 * export / amend / withdraw, requests (on a commune database: what the office owes, from
 * cli/commune-requests.ts), city key export / import.
 */
import path from 'node:path';
import type { Command } from 'commander';
import type { Addressees, Input, RequestSummary, Unit } from '../shared/index.js';
import { AppError, contract, deadlineText, parsePeriod, resolveAddressees } from '../shared/index.js';
import { checkInput } from '../core/inputs.js';
import type { Core } from '../core/handlers.js';
import { installCityKey } from '../core/requests/sign.js';
import { openDatabase } from '../core/db.js';
import { communeRequestsReport } from './commune-requests.js';
import type { Io } from './main.js';
import { Refusal, existingDb, readInputFile, withCore, writeFileAtomic } from './main.js';

const EXIT_OK = 0;
const ISO = /^\d{4}-\d{2}-\d{2}$/;

/** Today in Vietnam (UTC+7), ISO. */
const vietnamToday = () => new Date(Date.now() + 7 * 3600_000).toISOString().slice(0, 10);

/** The option a field of a call's input comes from. */
const OPTION_OF: Record<string, string> = {
  template: '--template',
  templateVersion: '--template',
  title: '--title',
  department: '--department',
  'ref.number': '--ref',
  'ref.summary': '--summary',
  recipient: '--recipient',
  instruction: '--instruction',
  addressees: '--units',
  note: '--note',
  reason: '--reason',
  id: '--id',
};

/**
 * The contract's check of a call's input, which the other transports make before the core sees it
 * (the core trusts it: a title over 300 characters stored here would make every later reading of
 * the city's requests fail). Refused naming the options to fix.
 */
function checked<N extends 'requests.create' | 'requests.amend' | 'requests.withdraw'>(name: N, input: Input<N>): Input<N> {
  const r = checkInput(contract[name].input, input);
  if (r.ok) return r.data as Input<N>;
  const lines = r.problems.map((p) => `${OPTION_OF[p.path] ?? OPTION_OF[p.path.split('.')[0]!] ?? p.path}: ${p.message}`);
  throw new Refusal(`Chưa làm được vì ${lines.join('; ')}. Hãy sửa các tuỳ chọn này rồi chạy lại.`);
}

function isoDate(v: string, option: string): string {
  if (!ISO.test(v) || parsePeriod(v)?.type !== 'day')
    throw new Refusal(`${option}: "${v}" không phải một ngày. Hãy viết ngày dạng năm-tháng-ngày, ví dụ 2026-06-24.`);
  return v;
}

function dueWording(v: string): 'trong' | 'truoc' {
  const w = v.normalize('NFC').trim().toLowerCase();
  if (w === 'trong') return 'trong';
  if (w === 'truoc' || w === 'trước') return 'truoc';
  throw new Refusal(
    `--due-wording: "${v}" không đúng. Hãy viết "trong" (chậm nhất trong ngày …, tính cả ngày đó) hoặc "truoc" (chậm nhất trước ngày …).`,
  );
}

/**
 * The addressees of `--units`: "all" (tất cả), types ("xã", "phường,đặc khu"), five-digit codes
 * ("11948,11560"), or one attribute ("co_hdnd=1", values separated by "|").
 */
export function parseUnits(spec: string): Addressees {
  const s = spec.normalize('NFC').trim();
  if (!s)
    throw new Refusal(
      '--units: hãy ghi các đơn vị nhận: all, một loại (xã, phường, đặc khu), các mã đơn vị cách nhau bởi dấu phẩy, hoặc thuộc tính=giá trị.',
    );
  if (/^(all|tất cả|tat ca)$/i.test(s)) return { kind: 'all' };
  const eq = s.indexOf('=');
  if (eq > 0) {
    const attribute = s.slice(0, eq).trim();
    const values = s
      .slice(eq + 1)
      .split('|')
      .map((v) => v.trim())
      .filter(Boolean);
    if (!values.length)
      throw new Refusal(`--units: "${spec}" thiếu giá trị sau dấu "=". Hãy viết thuộc tính=giá trị, ví dụ co_hdnd=1.`);
    return { kind: 'attribute', attribute, values };
  }
  const items = s
    .split(/[,;\s]+/)
    .map((x) => x.trim())
    .filter(Boolean);
  if (items.every((x) => /^\d+$/.test(x))) {
    const bad = items.filter((x) => !/^\d{5}$/.test(x));
    if (bad.length)
      throw new Refusal(
        `--units: mã đơn vị ${bad.join(', ')} không đúng. Mã đơn vị là mã thống kê 5 chữ số, ví dụ 11948.`,
      );
    return { kind: 'units', codes: [...new Set(items)] };
  }
  if (items.some((x) => /^\d+$/.test(x)))
    throw new Refusal(
      `--units: "${spec}" trộn mã đơn vị với loại đơn vị. Hãy dùng hoặc các mã đơn vị, hoặc các loại đơn vị (xã, phường, đặc khu).`,
    );
  // Types: split on commas only ("đặc khu" has a space).
  return {
    kind: 'types',
    types: s
      .split(/[,;]+/)
      .map((x) => x.trim())
      .filter(Boolean),
  };
}

/** The addressees after adding `add` to `current`: the same kind merged, otherwise the union of the codes. */
function addUnits(current: Addressees, currentCodes: string[], add: Addressees, units: Unit[]): Addressees {
  if (current.kind === 'all') return current;
  if (add.kind === 'all') return add;
  if (current.kind === 'types' && add.kind === 'types')
    return { kind: 'types', types: [...new Set([...current.types, ...add.types])] };
  if (current.kind === 'units' && add.kind === 'units')
    return { kind: 'units', codes: [...new Set([...current.codes, ...add.codes])] };
  if (current.kind === 'attribute' && add.kind === 'attribute' && current.attribute === add.attribute)
    return {
      kind: 'attribute',
      attribute: current.attribute,
      values: [...new Set([...current.values, ...add.values])],
    };
  const added = resolveAddressees(add, units);
  if (add.kind === 'units') added.push(...add.codes.filter((c) => !added.includes(c))); // unknown codes: refused by the core, by name
  return { kind: 'units', codes: [...new Set([...currentCodes, ...added])] };
}

/** Open a database for the city's request commands (it must exist, except for create). */
async function cityCore<T>(db: string, fn: (core: Core) => Promise<T>, create = false): Promise<T> {
  if (!create) existingDb(db);
  return withCore(db, async (core) => {
    const { role } = await core.handlers['app.info']({});
    if (role === 'commune')
      throw new Refusal(
        `"${db}" là cơ sở dữ liệu của một xã, phường, đặc khu: chỉ Thành phố ra yêu cầu báo cáo. Hãy dùng cơ sở dữ liệu của Thành phố.`,
      );
    // A database with no role yet becomes the city's, as the city's import does.
    await core.city.claimCity();
    return fn(core);
  });
}

interface CreateOptions {
  db: string;
  template: string;
  ref: string;
  refDate?: string;
  title: string;
  summary?: string;
  due: string;
  dueWording: string;
  units: string;
  department: string;
  period?: string;
  asOf?: string;
  instruction?: string;
  recipient?: string;
}

async function cmdCreate(o: CreateOptions, io: Io): Promise<number> {
  const m = /^([^@\s]+)(?:@(\d+))?$/.exec(o.template.trim());
  if (!m)
    throw new Refusal(
      `--template: "${o.template}" không phải mã mẫu. Hãy viết mã mẫu, có thể kèm phiên bản, ví dụ TSC hoặc TSC@1.`,
    );
  if (!!o.period === !!o.asOf)
    throw new Refusal(
      'Hãy cho đúng một trong hai: --period <kỳ> (ví dụ 2026-H1) hoặc --as-of <ngày chốt số liệu> (ví dụ 2026-06-20).',
    );
  const period = o.asOf ? isoDate(o.asOf, '--as-of') : o.period!;
  const due = isoDate(o.due, '--due');
  const refDate = o.refDate ? isoDate(o.refDate, '--ref-date') : vietnamToday();
  const addressees = parseUnits(o.units);
  const wording = dueWording(o.dueWording);
  const e = await cityCore(
    o.db,
    async (core) => {
      const version = m[2] ? Number(m[2]) : core.templates.latestTemplate(m[1]!)?.version;
      if (version === undefined)
        throw new Refusal(
          `--template: không có mẫu báo cáo "${m[1]}" (có sẵn hoặc đã công bố). Xem danh sách bằng lệnh "templates --db ${o.db}".`,
        );
      const input: Input<'requests.create'> = {
        template: m[1]!,
        templateVersion: version,
        ref: { number: o.ref, date: refDate, summary: o.summary ?? o.title },
        title: o.title,
        addressees,
        period,
        due,
        dueWording: wording,
        department: o.department,
        ...(o.recipient ? { recipient: o.recipient } : {}),
        ...(o.instruction ? { instruction: o.instruction } : {}),
      };
      return core.handlers['requests.create'](checked('requests.create', input));
    },
    true,
  );
  io.out(e.id);
  return EXIT_OK;
}

async function cmdExport(o: { db: string; id: string; out: string }, io: Io): Promise<number> {
  const file = await cityCore(o.db, (core) => Promise.resolve(core.handlers['requests.export']({ id: o.id })));
  writeFileAtomic(o.out, Buffer.from(file.data, 'base64'));
  io.out(
    `Đã ghi tệp yêu cầu ${o.id} đã ký (${file.fileName}): ${o.out}. Gửi tệp này cho các đơn vị qua thư điện tử hoặc USB.`,
  );
  return EXIT_OK;
}

async function cmdAmend(
  o: { db: string; id: string; due?: string; dueWording?: string; addUnits?: string; note: string },
  io: Io,
): Promise<number> {
  const due = o.due ? isoDate(o.due, '--due') : undefined;
  const wording = o.dueWording ? dueWording(o.dueWording) : undefined;
  const add = o.addUnits ? parseUnits(o.addUnits) : undefined;
  const e = await cityCore(o.db, async (core) => {
    let addressees: Addressees | undefined;
    if (add) {
      const { current } = await core.handlers['requests.get']({ id: o.id });
      const { units } = await core.handlers['units.list']({});
      addressees = addUnits(current.addressees, current.units, add, units);
    }
    return core.handlers['requests.amend'](
      checked('requests.amend', {
        id: o.id,
        note: o.note,
        ...(due ? { due } : {}),
        ...(wording ? { dueWording: wording } : {}),
        ...(addressees ? { addressees } : {}),
      }),
    );
  });
  io.out(
    `Đã ra bản ${e.edition} của yêu cầu ${e.id} (${e.units.length} đơn vị, hạn nộp ${deadlineText(e.due, e.dueWording)}). Xuất tệp mới bằng lệnh: request export --db ${o.db} --id ${e.id} --out <tệp>`,
  );
  return EXIT_OK;
}

async function cmdWithdraw(o: { db: string; id: string; reason: string }, io: Io): Promise<number> {
  const e = await cityCore(o.db, (core) =>
    Promise.resolve(core.handlers['requests.withdraw'](checked('requests.withdraw', { id: o.id, reason: o.reason }))),
  );
  io.out(`Đã rút yêu cầu ${e.id} (bản ${e.edition}). Các đơn vị nhận bản này sẽ thấy yêu cầu đã rút.`);
  return EXIT_OK;
}

/** The city's list as a table: id, title, deadline, department, submitted/expected, late, missing. */
function cityTable(list: RequestSummary[]): string[] {
  if (!list.length) return ['Chưa có yêu cầu báo cáo nào đang mở. Tạo một yêu cầu bằng lệnh "request create".'];
  const rows = list.map((s) => [
    s.id,
    s.title,
    s.deadlineText,
    s.department,
    `${s.counts.submitted}/${s.counts.expected}`,
    String(s.counts.late),
    String(s.counts.missing),
  ]);
  const head = ['Mã', 'Tiêu đề', 'Hạn nộp', 'Sở tổng hợp', 'Đã nộp', 'Quá hạn', 'Chưa nộp'];
  const width = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(width[i]!))
      .join('  ')
      .trimEnd();
  return [line(head), ...rows.map(line), `${list.length} yêu cầu đang mở.`];
}

async function cmdRequests(o: { db: string; json?: boolean }, io: Io): Promise<number> {
  existingDb(o.db);
  const out = await withCore(o.db, async (core) => {
    const { role } = await core.handlers['app.info']({});
    if (role === 'commune') {
      // What the office owes (cli/commune-requests.ts, engineer "commune").
      return [await communeRequestsReport(core, !!o.json)];
    }
    if (!role)
      throw new Refusal(
        `"${o.db}" chưa được thiết lập (chưa là cơ sở dữ liệu của Thành phố hay của xã). Hãy mở ứng dụng với tệp này để thiết lập trước.`,
      );
    const list = await core.handlers['requests.list']({});
    return o.json ? [JSON.stringify(list, null, 2)] : cityTable(list);
  });
  for (const l of out) io.out(l);
  return EXIT_OK;
}

async function cmdKeyExport(o: { db: string; out: string }, io: Io): Promise<number> {
  const k = await cityCore(o.db, (core) => Promise.resolve(core.handlers['keys.city']({})));
  writeFileAtomic(o.out, k.publicKey);
  io.out(
    `Đã ghi khóa công khai của Thành phố (dấu vân tay ${k.fingerprint}): ${o.out}. Gửi tệp này cho các đơn vị và đọc dấu vân tay qua điện thoại để họ đối chiếu.`,
  );
  return EXIT_OK;
}

async function cmdKeyImport(o: { db: string; in: string }, io: Io): Promise<number> {
  const pem = readInputFile(o.in).toString('utf8');
  // The role first (a new file becomes the city's), then the key, on its own connection.
  const issued = await cityCore(
    o.db,
    async (core) => (await core.handlers['requests.list']({ includeWithdrawn: true })).length,
    true,
  );
  const opened = await openDatabase(o.db);
  try {
    installCityKey(opened.sqlite, pem);
  } catch (e) {
    if (e instanceof AppError) throw new Refusal(e.message);
    throw e;
  } finally {
    await opened.close();
  }
  const k = await cityCore(o.db, (core) => Promise.resolve(core.handlers['keys.city']({})));
  if (issued)
    io.out(
      `Chú ý: ${issued} yêu cầu đã ra trước đó được ký bằng khóa cũ; đơn vị chỉ tin khóa mới sẽ không nhận các tệp cũ. Với mỗi yêu cầu còn mở, hãy ra một bản mới (request amend --note "Ký lại bằng khóa mới") rồi xuất và gửi lại tệp.`,
    );
  io.out(
    `Đã cài khóa ký của Thành phố từ "${path.basename(o.in)}" (dấu vân tay ${k.fingerprint}). Các tệp yêu cầu và mẫu xuất từ nay được ký bằng khóa này.`,
  );
  return EXIT_OK;
}

/** Register `request …`, `requests` and `city key …` on the program; returns the `request` group (commune adds `import` to it). */
export function registerRequestCommands(
  sub: (name: string, description: string) => Command,
  setExit: (code: number) => void,
  io: Io,
): Command {
  const request = sub('request', 'yêu cầu báo cáo của Thành phố: tạo, xuất tệp đã ký, ra bản mới, rút');
  const rsub = (name: string, description: string) =>
    request.command(name).description(description).helpOption('-h, --help', 'hiện hướng dẫn').exitOverride();
  rsub('create', 'tạo và công bố (ký) một yêu cầu báo cáo; in mã yêu cầu')
    .requiredOption('--db <city.sqlite>', 'tệp cơ sở dữ liệu của Thành phố (tạo mới nếu chưa có)')
    .requiredOption('--template <mã[@phiên-bản]>', 'mẫu báo cáo, ví dụ TSC hoặc TSC@1 (mặc định phiên bản mới nhất)')
    .requiredOption('--ref <số hiệu>', 'số hiệu văn bản, ví dụ 1234/UBND-NVKTGS')
    .option('--ref-date <yyyy-mm-dd>', 'ngày ban hành văn bản (mặc định hôm nay)')
    .requiredOption('--title <tiêu đề>', 'tiêu đề ngắn của yêu cầu')
    .option('--summary <trích yếu>', 'trích yếu của văn bản (mặc định: tiêu đề)')
    .requiredOption('--due <yyyy-mm-dd>', 'hạn nộp')
    .requiredOption('--due-wording <trong|truoc>', '"trong" ngày (tính cả ngày đó) hoặc "truoc" ngày')
    .requiredOption(
      '--units <đơn vị>',
      'all | xã | phường | đặc khu (nhiều loại cách nhau dấu phẩy) | mã,mã,… | thuộc tính=giá trị',
    )
    .requiredOption('--department <sở>', 'sở tổng hợp, ví dụ "Sở Nội vụ"')
    .option('--period <kỳ>', 'kỳ báo cáo, ví dụ 2026-H1')
    .option('--as-of <yyyy-mm-dd>', 'ngày chốt số liệu (thay cho --period)')
    .option('--instruction <hướng dẫn>', 'hướng dẫn ngắn cho đơn vị')
    .option('--recipient <nơi nhận>', 'kính gửi (mặc định: UBND thành phố)')
    .action(async (o: CreateOptions) => setExit(await cmdCreate(o, io)));
  rsub('export', 'ghi tệp yêu cầu đã ký (kèm mẫu báo cáo) để gửi qua thư điện tử hoặc USB')
    .requiredOption('--db <city.sqlite>', 'tệp cơ sở dữ liệu của Thành phố')
    .requiredOption('--id <mã>', 'mã yêu cầu, ví dụ YC-2026-0001')
    .requiredOption('--out <tệp.json>', 'tệp cần ghi')
    .action(async (o: { db: string; id: string; out: string }) => setExit(await cmdExport(o, io)));
  rsub('amend', 'ra bản mới của một yêu cầu: gia hạn, thêm đơn vị')
    .requiredOption('--db <city.sqlite>', 'tệp cơ sở dữ liệu của Thành phố')
    .requiredOption('--id <mã>', 'mã yêu cầu')
    .option('--due <yyyy-mm-dd>', 'hạn nộp mới (không sớm hơn hạn hiện tại)')
    .option('--due-wording <trong|truoc>', 'cách ghi hạn mới')
    .option('--add-units <đơn vị>', 'thêm đơn vị nhận (cách ghi như --units của request create)')
    .requiredOption('--note <ghi chú>', 'bản mới thay đổi gì, ví dụ "Gia hạn đến 30/6/2026"')
    .action(async (o: { db: string; id: string; due?: string; dueWording?: string; addUnits?: string; note: string }) =>
      setExit(await cmdAmend(o, io)),
    );
  rsub('withdraw', 'rút một yêu cầu (các đơn vị không phải nộp nữa)')
    .requiredOption('--db <city.sqlite>', 'tệp cơ sở dữ liệu của Thành phố')
    .requiredOption('--id <mã>', 'mã yêu cầu')
    .requiredOption('--reason <lý do>', 'lý do rút')
    .action(async (o: { db: string; id: string; reason: string }) => setExit(await cmdWithdraw(o, io)));

  sub('requests', 'Thành phố: các yêu cầu đang mở và số đơn vị đã nộp; xã: các việc phải nộp')
    .requiredOption('--db <file.sqlite>', 'tệp cơ sở dữ liệu')
    .option('--json', 'in dạng JSON')
    .action(async (o: { db: string; json?: boolean }) => setExit(await cmdRequests(o, io)));

  const city = sub('city', 'Thành phố: khóa ký các tệp yêu cầu và mẫu gửi cho đơn vị');
  const key = city
    .command('key')
    .description('khóa ký của Thành phố')
    .helpOption('-h, --help', 'hiện hướng dẫn')
    .exitOverride();
  const ksub = (name: string, description: string) =>
    key.command(name).description(description).helpOption('-h, --help', 'hiện hướng dẫn').exitOverride();
  ksub('export', 'ghi khóa công khai của Thành phố (để các đơn vị tin cậy)')
    .requiredOption('--db <city.sqlite>', 'tệp cơ sở dữ liệu của Thành phố')
    .requiredOption('--out <tệp.pem>', 'tệp cần ghi')
    .action(async (o: { db: string; out: string }) => setExit(await cmdKeyExport(o, io)));
  ksub('import', 'cài khóa ký (khóa bí mật) của Thành phố, khớp với khóa công khai đã cài ở các đơn vị')
    .requiredOption('--db <city.sqlite>', 'tệp cơ sở dữ liệu của Thành phố')
    .requiredOption('--in <private.pem>', 'tệp khóa bí mật Ed25519 (PEM)')
    .action(async (o: { db: string; in: string }) => setExit(await cmdKeyImport(o, io)));
  return request;
}
