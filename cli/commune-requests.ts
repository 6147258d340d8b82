/**
 * The commune side of requests on the command line (issue 9): `request import` (a signed request
 * or template file the city sent), `requests` on a commune database (what the office owes, called
 * from cli/requests.ts), `submit --request` (the JSON's template and period checked against the
 * request, or taken from it) and `trust` (the city key this office trusts).
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { TodoItem } from '../shared/index.js';
import { formatDate, formatDateTime } from '../shared/index.js';
import type { Core } from '../core/handlers.js';
import { MAX_SIGNED_FILE_BYTES, signedTooLarge } from '../core/requests/sign.js';
import type { Io } from './main.js';
import { Refusal, existingDb, readInputFile, withCore } from './main.js';

const EXIT_OK = 0;

const STATE_LABEL: Record<TodoItem['state'], string> = {
  not_started: 'chưa làm',
  draft: 'đang soạn',
  submitted: 'đã nộp',
  accepted: 'Thành phố đã nhận',
  returned: 'Thành phố trả lại',
};

function stateText(i: TodoItem): string {
  const base = STATE_LABEL[i.state];
  if (i.state === 'returned' && i.reason) return `${base}: ${i.reason}`;
  if ((i.state === 'submitted' || i.state === 'accepted') && i.submittedAt)
    return `${base} lần ${i.revision ?? ''} lúc ${formatDateTime(i.submittedAt)}${i.late ? ' (muộn)' : ''}`;
  return base;
}

/** `requests --db <commune.sqlite> [--json]`: what the office owes (and what it has submitted lately), as a table or JSON. */
export async function communeRequestsReport(core: Core, json: boolean): Promise<string> {
  const todo = await core.handlers['requests.todo']({});
  if (json) return JSON.stringify(todo, null, 2);
  const row = (i: TodoItem) => [
    formatDate(i.lastDay),
    i.timeLeft || '—',
    `${i.title}${i.requestId ? ` (${i.requestId}${i.amended ? ', có thay đổi' : ''})` : ''}`,
    i.periodLabel,
    stateText(i),
  ];
  const head = ['Hạn', 'Còn bao lâu', 'Tiêu đề', 'Kỳ', 'Trạng thái'];
  const table = (rows: string[][]) => {
    const width = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
    const line = (r: string[]) => r.map((x, c) => x.padEnd(width[c]!)).join('  ').trimEnd();
    return [line(head), ...rows.map(line)];
  };
  const out: string[] = [];
  if (todo.items.length) out.push(`Việc phải nộp (${todo.items.length}):`, ...table(todo.items.map(row)));
  else out.push('Không còn việc nào phải nộp.');
  if (todo.done.length) out.push('', `Đã nộp gần đây (${todo.done.length}):`, ...table(todo.done.map(row)));
  return out.join('\n');
}

/**
 * `submit --request <id>`: the return JSON answers that request. Its template and period are the
 * request's (taken from it when the JSON leaves them out); another template or period is refused.
 */
export async function requestReturnJson(core: Core, requestId: string, data: unknown): Promise<unknown> {
  if (!data || typeof data !== 'object' || Array.isArray(data)) return data; // checkReturnJson says what is wrong
  const todo = await core.handlers['requests.todo']({});
  const item = [...todo.items, ...todo.done].find((i) => i.requestId === requestId);
  if (!item)
    throw new Refusal(
      `Đơn vị không có yêu cầu báo cáo "${requestId}" đang mở (chưa nhận tệp yêu cầu, yêu cầu đã bị thu hồi, hoặc gõ nhầm mã). Hãy nhận tệp yêu cầu trước (request import) hoặc xem các yêu cầu bằng lệnh "requests".`,
    );
  const ret = data as { template?: unknown; templateVersion?: unknown; period?: unknown };
  const wrong: string[] = [];
  if (ret.template !== undefined && ret.template !== item.template) wrong.push(`mẫu ${String(ret.template)} (yêu cầu dùng mẫu ${item.template})`);
  if (ret.templateVersion !== undefined && ret.templateVersion !== item.templateVersion)
    wrong.push(`phiên bản mẫu ${String(ret.templateVersion)} (yêu cầu dùng phiên bản ${item.templateVersion})`);
  if (ret.period !== undefined && ret.period !== item.period) wrong.push(`kỳ ${String(ret.period)} (yêu cầu là ${item.periodLabel}, mã kỳ ${item.period})`);
  if (wrong.length)
    throw new Refusal(
      `Tệp báo cáo ghi ${wrong.join(', ')}, không khớp yêu cầu ${requestId} "${item.title}". Hãy sửa tệp JSON cho đúng, hoặc bỏ các trường template, templateVersion, period để lấy theo yêu cầu.`,
    );
  return { ...data, template: item.template, templateVersion: item.templateVersion, period: item.period };
}

/** A key file is a few hundred bytes. */
const MAX_KEY_FILE_BYTES = 64 * 1024;

/** A file's size (0 when it cannot be read: readInputFile then says why). */
function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

async function cmdRequestImport(file: string, o: { db: string }, io: Io): Promise<number> {
  existingDb(o.db);
  // Not read at all when far too large to be a signed file (a wrong file, or one made to exhaust memory).
  const size = sizeOf(file);
  if (size > MAX_SIGNED_FILE_BYTES) throw new Refusal(signedTooLarge(size).message);
  const bytes = readInputFile(file);
  const r = await withCore(o.db, async (core) => core.handlers['requests.receive']({ file: { fileName: path.basename(file), data: bytes.toString('base64') } }));
  io.out(r.message);
  return EXIT_OK;
}

async function cmdTrust(o: { db: string; key?: string }, io: Io): Promise<number> {
  existingDb(o.db);
  if (o.key && sizeOf(o.key) > MAX_KEY_FILE_BYTES)
    throw new Refusal(`Tệp "${o.key}" quá lớn để là một tệp khóa công khai (tệp khóa chỉ vài trăm byte). Hãy chọn đúng tệp khóa .pem do Thành phố gửi.`);
  const pem = o.key ? readInputFile(o.key) : undefined;
  const t = await withCore(o.db, async (core) =>
    pem
      ? core.handlers['trust.set']({ file: { fileName: path.basename(o.key!), data: pem.toString('base64') } })
      : core.handlers['trust.get']({}),
  );
  if (!t.fingerprint) {
    io.out('Máy này chưa tin cậy khóa nào của Thành phố. Hãy đặt khóa: trust --db <tệp> --key <khóa công khai .pem do Thành phố gửi>.');
    return EXIT_OK;
  }
  const source = t.source === 'configured' ? 'khóa đã đặt' : 'khóa cài sẵn theo ứng dụng';
  io.out(
    pem
      ? `Đã đặt khóa của Thành phố (dấu vân tay ${t.fingerprint}). Hãy đọc dấu vân tay này với Thành phố qua điện thoại để đối chiếu.`
      : `Khóa của Thành phố máy này tin cậy (${source}): dấu vân tay ${t.fingerprint}.`,
  );
  return EXIT_OK;
}

/**
 * Add `import` to the `request` group (cli/requests.ts) and register `trust`. `sub` makes a
 * top-level command as cli/main.ts does.
 */
export function registerCommuneRequestCommands(
  request: Command,
  sub: (name: string, description: string) => Command,
  setExit: (code: number) => void,
  io: Io,
): void {
  request
    .command('import')
    .description('xã: nhận tệp yêu cầu báo cáo (hoặc tệp mẫu) do Thành phố ký, gửi qua thư điện tử hoặc USB')
    .helpOption('-h, --help', 'hiện hướng dẫn')
    .exitOverride()
    .requiredOption('--db <commune.sqlite>', 'tệp cơ sở dữ liệu của xã (đã thiết lập đơn vị)')
    .argument('<tệp>', 'tệp yêu cầu (yeu-cau-….json) hoặc tệp mẫu (mau-….json)')
    .action(async (file: string, o: { db: string }) => setExit(await cmdRequestImport(file, o, io)));
  sub('trust', 'xã: xem (hoặc đặt) khóa công khai của Thành phố mà máy này tin cậy')
    .requiredOption('--db <commune.sqlite>', 'tệp cơ sở dữ liệu của xã')
    .option('--key <public.pem>', 'đặt khóa công khai mới do Thành phố gửi (tệp .pem)')
    .action(async (o: { db: string; key?: string }) => setExit(await cmdTrust(o, io)));
}
