/**
 * City users on the command line (issue 9): `user add`, `user password`, `user disable`, `users`.
 * Passwords come from standard input (one line), or, at a terminal, are asked twice without echo;
 * they are never an argument (it would stay in the shell's history).
 */
import { existsSync, statSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import type { Command } from 'commander';
import Database from 'better-sqlite3';
import type { z } from 'zod';
import { contract, formatDateTime } from '../shared/index.js';
import { checkInput } from '../core/inputs.js';
import type { Io } from './main.js';
import { Refusal, existingDb, withCore } from './main.js';

const EXIT_OK = 0;

/** Ask at a terminal without showing what is typed. */
function askHidden(prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(prompt);
    let buf = '';
    const done = () => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
    };
    const onData = (s: string) => {
      for (const ch of s) {
        if (ch === '\r' || ch === '\n') {
          done();
          return resolve(buf);
        }
        if (ch === '\u0003' || ch === '\u0004') {
          done();
          return reject(new Refusal('Đã huỷ; không thay đổi gì.'));
        }
        if (ch === '\u007f' || ch === '\b') buf = [...buf].slice(0, -1).join('');
        else buf += ch;
      }
    };
    stdin.setRawMode(true);
    stdin.setEncoding('utf8');
    stdin.resume();
    stdin.on('data', onData);
  });
}

async function readFirstLine(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(String(c)));
  return (
    Buffer.concat(chunks)
      .toString('utf8')
      .replace(/^\uFEFF/, '')
      .split(/\r?\n/)[0] ?? ''
  ).trimEnd();
}

/** The new password: standard input's first line, or asked twice at a terminal. */
async function readNewPassword(): Promise<string> {
  if (process.stdin.isTTY) {
    const first = await askHidden('Mật khẩu (ít nhất 8 ký tự): ');
    const again = await askHidden('Nhập lại mật khẩu: ');
    if (first !== again)
      throw new Refusal(
        'Hai lần nhập mật khẩu không giống nhau. Hãy chạy lại lệnh và nhập lại cho khớp; chưa thay đổi gì.',
      );
    return first;
  }
  const line = await readFirstLine();
  if (!line)
    throw new Refusal(
      'Chưa có mật khẩu: hãy đưa mật khẩu vào đầu vào chuẩn (một dòng), ví dụ từ một tệp: < matkhau.txt, hoặc chạy lệnh tại cửa sổ dòng lệnh để được hỏi.',
    );
  return line;
}

const OPTION_OF: Record<string, string> = { name: '--name', department: '--department', password: 'mật khẩu' };

/**
 * The contract's check of an input, which the other transports make before the core sees it: a
 * blank name or department, a name longer than a sign-in reads, refused naming the option.
 */
function checked<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const r = checkInput(schema, input);
  if (r.ok) return r.data;
  const lines = r.problems.map((p) => `${OPTION_OF[p.path] ?? p.path}: ${p.message}`);
  throw new Refusal(`Chưa làm được vì ${lines.join('; ')}. Hãy sửa rồi chạy lại.`);
}

async function cmdUserAdd(
  o: { db: string; name: string; department: string; admin?: boolean },
  io: Io,
): Promise<number> {
  // Name and department first, before a password is asked for.
  checked(contract['users.add'].input.pick({ name: true, department: true }), { name: o.name, department: o.department });
  const password = await readNewPassword();
  const input = checked(contract['users.add'].input, { name: o.name, department: o.department, admin: !!o.admin, password });
  return withCore(o.db, async (core) => {
    // A new database made for the city by its first user (the command line's first start).
    if ((await core.handlers['app.info']({})).role === null) await core.handlers['app.setup']({ role: 'city' });
    const u = await core.handlers['users.add'](input);
    io.out(`Đã thêm người dùng ${u.name} (${u.department})${u.admin ? ', quản trị viên' : ''}.`);
    if (u.admin && !o.admin) io.out('Đây là người dùng đầu tiên nên được đặt làm quản trị viên.');
    return EXIT_OK;
  });
}

async function cmdUserPassword(o: { db: string; name: string }, io: Io): Promise<number> {
  existingDb(o.db);
  const password = await readNewPassword();
  return withCore(o.db, async (core) => {
    const r = await core.handlers['users.setPassword'](checked(contract['users.setPassword'].input, { name: o.name, password }));
    io.out(r.message);
    return EXIT_OK;
  });
}

async function cmdUserDisable(o: { db: string; name: string; enable?: boolean }, io: Io): Promise<number> {
  existingDb(o.db);
  return withCore(o.db, async (core) => {
    const u = await core.handlers['users.disable']({ name: o.name, disabled: !o.enable });
    io.out(
      u.disabled
        ? `Đã khoá người dùng ${u.name}; các phiên đăng nhập của họ đã được đóng.`
        : `Đã mở khoá người dùng ${u.name}.`,
    );
    return EXIT_OK;
  });
}

async function cmdUsers(o: { db: string; json?: boolean }, io: Io): Promise<number> {
  existingDb(o.db);
  return withCore(o.db, async (core) => {
    const list = await core.handlers['users.list']({});
    if (o.json) {
      io.out(JSON.stringify(list, null, 2));
      return EXIT_OK;
    }
    if (!list.length) {
      io.out(
        `Chưa có người dùng nào. Hãy thêm quản trị viên: commune-returns user add --db ${o.db} --name <tên> --department <phòng ban> --admin`,
      );
      return EXIT_OK;
    }
    const head = ['Tên đăng nhập', 'Phòng ban', 'Quản trị', 'Trạng thái', 'Đăng nhập lần cuối'];
    const rows = list.map((u) => [
      u.name,
      u.department,
      u.admin ? 'có' : '',
      u.disabled ? 'đã khoá' : 'hoạt động',
      u.lastLoginAt ? formatDateTime(u.lastLoginAt) : 'chưa',
    ]);
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (cells: string[]) =>
      cells
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd();
    io.out([line(head), ...rows.map(line)].join('\n'));
    return EXIT_OK;
  });
}

/**
 * What `web` needs to know of a database before it starts: whether it is a city database and has
 * users (read without creating or migrating anything; a new file is neither).
 */
export function webCityMode(db: string): { city: boolean; users: boolean } {
  if (!existsSync(db) || statSync(db).isDirectory()) return { city: false, users: false };
  const sqlite = new Database(db, { readonly: true, fileMustExist: true });
  try {
    const has = (table: string) =>
      !!sqlite.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(table);
    const city =
      has('settings') &&
      (sqlite.prepare(`SELECT value FROM settings WHERE key = 'role'`).get() as { value?: string } | undefined)
        ?.value === 'city';
    const users =
      city && has('users') && !!sqlite.prepare('SELECT 1 FROM users WHERE disabled_at IS NULL LIMIT 1').get();
    return { city, users };
  } finally {
    sqlite.close();
  }
}

export const NO_CITY_USERS = (db: string) =>
  `Lỗi: không mở ứng dụng của Thành phố cho các máy khác trong mạng khi chưa có người dùng nào, vì bất kỳ máy nào trong mạng cũng có thể sửa số liệu. ` +
  `Hãy tạo người dùng trước: commune-returns user add --db ${db} --name <tên> --department <phòng ban> --admin ` +
  '(mật khẩu nhập từ bàn phím hoặc đầu vào chuẩn), hoặc bỏ --host để chỉ dùng trên chính máy này (http://127.0.0.1).';

/** The Host names a city server beyond loopback answers to: this machine's addresses, loopback, and the names given. */
export function webHosts(publicHosts: readonly string[] = []): string[] {
  const out = new Set<string>(['127.0.0.1', 'localhost', '::1']);
  for (const list of Object.values(networkInterfaces()))
    for (const a of list ?? []) out.add(a.address.replace(/%.*$/, ''));
  for (const h of publicHosts) if (h.trim()) out.add(h.trim().toLowerCase());
  return [...out];
}

export function registerUserCommands(
  sub: (name: string, description: string) => Command,
  setExit: (code: number) => void,
  io: Io,
): void {
  const user = sub('user', 'người dùng của Thành phố (đăng nhập khi dùng qua mạng nội bộ): thêm, đặt mật khẩu, khoá');
  const usub = (name: string, description: string) =>
    user.command(name).description(description).helpOption('-h, --help', 'hiện hướng dẫn').exitOverride();
  usub('add', 'thêm một người dùng; mật khẩu đọc từ đầu vào chuẩn (một dòng) hoặc hỏi hai lần tại cửa sổ dòng lệnh')
    .requiredOption('--db <city.sqlite>', 'tệp cơ sở dữ liệu của Thành phố (tạo mới nếu chưa có)')
    .requiredOption('--name <tên>', 'tên đăng nhập (không phân biệt chữ hoa, chữ thường)')
    .requiredOption('--department <phòng-ban>', 'phòng ban, ví dụ "Sở Nội vụ"')
    .option(
      '--admin',
      'quản trị viên (quản lý người dùng, xem mọi phòng ban); người dùng đầu tiên luôn là quản trị viên',
    )
    .action(async (o: { db: string; name: string; department: string; admin?: boolean }) =>
      setExit(await cmdUserAdd(o, io)),
    );
  usub('password', 'đặt mật khẩu mới cho một người dùng (đọc từ đầu vào chuẩn hoặc hỏi hai lần)')
    .requiredOption('--db <city.sqlite>', 'tệp cơ sở dữ liệu của Thành phố')
    .requiredOption('--name <tên>', 'tên đăng nhập')
    .action(async (o: { db: string; name: string }) => setExit(await cmdUserPassword(o, io)));
  usub('disable', 'khoá một người dùng (không đăng nhập được nữa); --enable để mở khoá')
    .requiredOption('--db <city.sqlite>', 'tệp cơ sở dữ liệu của Thành phố')
    .requiredOption('--name <tên>', 'tên đăng nhập')
    .option('--enable', 'mở khoá thay vì khoá')
    .action(async (o: { db: string; name: string; enable?: boolean }) => setExit(await cmdUserDisable(o, io)));
  sub('users', 'liệt kê người dùng của Thành phố (tên, phòng ban, quản trị, trạng thái, lần đăng nhập cuối)')
    .requiredOption('--db <city.sqlite>', 'tệp cơ sở dữ liệu của Thành phố')
    .option('--json', 'in danh sách dạng JSON')
    .action(async (o: { db: string; json?: boolean }) => setExit(await cmdUsers(o, io)));
}
