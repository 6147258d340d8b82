/**
 * Requests at a commune office (issue 9): receive signed request and template files (by file or
 * through the intake), keep every edition, and list what the office owes ("Việc phải nộp").
 *
 * Receiving never touches what the office typed: it writes the `templates` and `requests` tables
 * only, templates first then the edition, in one transaction, after every check has passed.
 */
import type { Handlers, Output, RequestEdition, ReturnState, Template } from '../../shared/index.js';
import {
  AppError,
  RequestEditionSchema,
  addresseeLine,
  deadlineText,
  isAddressed,
  lastDay,
  parsePeriod,
  periodAllowed,
  refLine,
} from '../../shared/index.js';
import type { PackageRequest } from '../xlsx/index.js';
import { templateFromParsed } from '../templates/files.js';
import { receivedTemplate, refusedWith } from '../templates/handlers.js';
import type { RequestDeps } from './deps.js';
import { fingerprintOf, openSignedFile, setTrustedKey, trustedKey } from './sign.js';
import type { StoredEdition } from './store.js';
import { requestStore } from './store.js';
import { communeTodo } from './todo.js';

export type CommuneRequestHandlers = Pick<Handlers, 'requests.todo' | 'requests.receive' | 'trust.get' | 'trust.set'>;

type Received = Output<'requests.receive'>;

export interface CommuneRequests {
  handlers: CommuneRequestHandlers;
  /** Receive a signed file's bytes (a request edition or a template), from a file or the network. */
  receiveSigned(bytes: Buffer, via: 'file' | 'network'): Promise<Received>;
  /** The same, for `templates.receive` on a commune (a signed file given as a template): its template id@version. */
  receiveSignedTemplate(bytes: Buffer, fileName: string): Promise<{ id: string; version: number; message: string }>;
  /** Store a reminder the city sent through the intake (shown on the home list). */
  receiveReminder(r: { id: string; requestId: string; message: string; sentAt: string }): Promise<void>;
  /** The open request covering a return, if any (package identity, printed form, lateness). */
  requestFor(template: string, period: string): Promise<RequestEdition | null>;
  /** ReturnState.request for a return (null: none, e.g. a standing report). */
  returnRequest(template: string, period: string): Promise<ReturnState['request']>;
  /** What a package carries of the request its return answers (undefined: none). */
  packageRequest(template: string, period: string): Promise<PackageRequest | undefined>;
  /** The office opened the return of (template, period): its request's latest edition is seen (the "amended" mark goes). */
  markSeen(template: string, period: string): void;
}

const NO_KEY =
  'Máy này chưa có khóa công khai của Thành phố nên không kiểm tra được tệp. Hãy nhận tệp khóa của Thành phố (Gửi qua mạng → Khóa của Thành phố) rồi nhận lại tệp.';
const CITY_DB =
  'Cơ sở dữ liệu này dùng cho vai trò Thành phố: yêu cầu báo cáo do Thành phố lập (Yêu cầu báo cáo), không nhận từ tệp. Hãy nhận tệp ở máy của xã, phường, đặc khu.';
const NO_UNIT =
  'Máy này chưa chọn đơn vị báo cáo nên chưa nhận được yêu cầu: hãy thiết lập đơn vị trước (chọn vai trò "Xã, phường, đặc khu" và đơn vị của mình) rồi nhận lại tệp.';
const NOT_REQUEST =
  'Tệp này được Thành phố ký nhưng nội dung không phải một yêu cầu báo cáo đúng dạng (có thể đã bị sửa hoặc do phiên bản ứng dụng mới hơn tạo ra). Hãy cập nhật ứng dụng, hoặc xin Thành phố gửi lại tệp.';

/** A real calendar day ("2026-02-30" is not one), as the city checks them when it issues a request. */
const realDay = (iso: string) => parsePeriod(iso)?.type === 'day';

/**
 * What a signed edition says that no edition the city issues can say (its schema checks only the
 * shapes): a deadline, document date or data window that is not a real day, a period that is not
 * one. Such an edition would list a return no office can open. In Vietnamese, or null.
 */
function editionProblem(e: RequestEdition): string | null {
  if (!realDay(e.due)) return `hạn nộp "${e.due}" không phải một ngày có thật`;
  if (!realDay(e.ref.date)) return `ngày văn bản "${e.ref.date}" không phải một ngày có thật`;
  if (e.window && (!realDay(e.window.start) || !realDay(e.window.end) || e.window.start > e.window.end))
    return `thời gian chốt số liệu "${e.window.start} – ${e.window.end}" không đúng`;
  if (!parsePeriod(e.period)) return `kỳ báo cáo "${e.period}" không có thật`;
  return null;
}

const PERIOD_TYPE: Record<string, string> = { month: 'tháng', quarter: 'quý', half: '6 tháng', year: 'năm' };

const badEdition = (e: RequestEdition, problem: string) =>
  new AppError(
    'refused',
    `Tệp yêu cầu ${e.id} có chữ ký của Thành phố nhưng ${problem}, nên không nhận; dữ liệu của đơn vị không thay đổi. Hãy báo Thành phố kiểm tra và gửi lại tệp yêu cầu.`,
    { requestId: e.id, edition: e.edition },
  );

/** The payload bytes of a signed file (what its signature covers), to tell "the same edition" from another content. */
function payloadOf(signed: Buffer): string {
  try {
    const f = JSON.parse(signed.toString('utf8')) as { payload?: unknown };
    return typeof f.payload === 'string' ? f.payload : '';
  } catch {
    return '';
  }
}

export function createCommuneRequests(deps: RequestDeps): CommuneRequests {
  const { sqlite } = deps;
  const store = requestStore(sqlite);

  async function requireCommune(): Promise<{ unitCode: string }> {
    const s = await deps.settings();
    if (s.role === 'city') throw new AppError('refused', CITY_DB);
    if (s.role !== 'commune' || !s.unitCode) throw new AppError('not_configured', NO_UNIT);
    return { unitCode: s.unitCode };
  }

  function trusted(): { pem: string; source: 'configured' | 'shipped' } {
    const k = trustedKey(sqlite, deps.resources.cityPublicKey);
    if (!k) throw new AppError('refused', NO_KEY);
    return k;
  }

  /** The templates a signed payload carries, each checked by the template model. */
  function templatesOf(payload: unknown, fileName: string): Template[] {
    const list = (payload as { templates?: unknown } | null)?.templates;
    if (list === undefined) return [];
    if (!Array.isArray(list)) throw new AppError('refused', NOT_REQUEST, { cause: 'templates is not a list' });
    return list.map((data) => {
      // The same checks as a template file (size, depth, schema, cross-checks), named by the file.
      const r = templateFromParsed(data, fileName, true);
      if (!r.template || r.problems.length) throw refusedWith(r.problems, 'Chưa nhận mẫu');
      return r.template;
    });
  }

  /** Checked templates: those to store (new here); a clash refused before anything is stored. */
  function planTemplates(list: Template[], fileName: string): { fresh: Template[]; messages: string[] } {
    const fresh: Template[] = [];
    const messages: string[] = [];
    for (const t of list) {
      const r = receivedTemplate(deps.registry, t, fileName);
      if (r.status === 'new' && !fresh.some((f) => f.id === t.id && f.version === t.version)) fresh.push(t);
      messages.push(r.message);
    }
    return { fresh, messages };
  }

  /** Run a write on the SQLite connection once no Kysely transaction of this process is open, in one IMMEDIATE transaction. */
  async function write<T>(fn: () => T): Promise<T> {
    while (sqlite.inTransaction) await new Promise((r) => setTimeout(r, 2));
    return sqlite.transaction(fn).immediate();
  }

  function changedText(before: RequestEdition | undefined, e: RequestEdition): string {
    if (e.state === 'withdrawn')
      return `Thành phố đã thu hồi yêu cầu này${e.note ? ` (${e.note.replace(/[.\s]+$/, '')})` : ''}: không cần nộp báo cáo theo yêu cầu này nữa.`;
    const parts: string[] = [];
    if (e.note) parts.push(e.note.replace(/[.\s]+$/, ''));
    if (!before || before.due !== e.due || before.dueWording !== e.dueWording) parts.push(`hạn mới: ${deadlineText(e.due, e.dueWording)}`);
    if (before && (before.instruction ?? '') !== (e.instruction ?? '')) parts.push('hướng dẫn đã thay đổi');
    if (before && before.title !== e.title) parts.push(`tên mới: "${e.title}"`);
    return parts.length ? `${parts.join('; ')}.` : '';
  }

  async function receive(bytes: Buffer, via: 'file' | 'network', fileName: string): Promise<Received & { templates: Template[] }> {
    const { unitCode } = await requireCommune();
    const key = trusted();
    const opened = openSignedFile(bytes, key.pem, ['request', 'template']);
    const templates = templatesOf(opened.payload, fileName);
    const at = deps.now().toISOString();

    if (opened.kind === 'template') {
      if (!templates.length) throw new AppError('refused', NOT_REQUEST, { cause: 'no template in a template file' });
      return deps.serial(async () => {
        const plan = planTemplates(templates, fileName);
        await write(() => {
          for (const t of plan.fresh) deps.registry.store(t, { source: 'received', sourceBytes: null, at });
        });
        return { outcome: 'template' as const, requestId: null, edition: null, message: plan.messages.join(' '), templates };
      });
    }

    const parsed = RequestEditionSchema.safeParse((opened.payload as { request?: unknown } | null)?.request);
    if (!parsed.success) throw new AppError('refused', NOT_REQUEST, { cause: parsed.error.message });
    const e = parsed.data;
    const problem = editionProblem(e);
    if (problem) throw badEdition(e, problem);
    if (!isAddressed(e, unitCode)) {
      const unit = await deps.findUnit(unitCode);
      throw new AppError(
        'refused',
        `Yêu cầu này không gửi cho ${unit?.name ?? `đơn vị mã ${unitCode}`} (yêu cầu ${e.id} "${e.title}" gửi ${e.units.length} đơn vị khác) nên không nhận. Nếu đơn vị cần làm báo cáo này, hãy liên hệ ${e.department}.`,
        { requestId: e.id, via },
      );
    }
    return deps.serial(async () => {
      const plan = planTemplates(templates, fileName);
      const known = deps.registry.getTemplate(e.template, e.templateVersion) ?? templates.find((t) => t.id === e.template && t.version === e.templateVersion);
      if (!known)
        throw new AppError(
          'refused',
          `Tệp yêu cầu ${e.id} không kèm mẫu ${e.template} phiên bản ${e.templateVersion} và máy này chưa có mẫu đó, nên chưa nhận. Hãy xin Thành phố gửi lại tệp yêu cầu (có kèm mẫu).`,
        );
      // A period the template is not kept by (a month for a quarterly template): no return could answer it.
      if (!periodAllowed(known.periodTypes, parsePeriod(e.period)!))
        throw badEdition(e, `kỳ báo cáo "${e.period}" không phải kỳ của mẫu ${e.template} (mẫu lập theo ${known.periodTypes.map((t) => PERIOD_TYPE[t]).join(', ')})`);
      const held = store.editions(e.id);
      const latest = held.at(-1);
      const same = held.find((h) => h.edition.edition === e.edition);
      const title = `yêu cầu ${e.id} "${e.title}"`;
      if (latest && e.edition < latest.edition.edition)
        return {
          outcome: 'older' as const,
          requestId: e.id,
          edition: e.edition,
          message: `Tệp là lần ban hành thứ ${e.edition} của ${title}, cũ hơn lần thứ ${latest.edition.edition} máy đang giữ, nên không nhận; không có gì thay đổi.`,
          templates,
        };
      if (same) {
        if (payloadOf(same.signed) === payloadOf(bytes) || JSON.stringify(same.edition) === JSON.stringify(e))
          return {
            outcome: 'unchanged' as const,
            requestId: e.id,
            edition: e.edition,
            message: `Máy đã có lần ban hành thứ ${e.edition} của ${title}; không có gì thay đổi.`,
            templates,
          };
        throw new AppError(
          'refused',
          `Tệp ghi lần ban hành thứ ${e.edition} của ${title} nhưng nội dung khác với lần thứ ${e.edition} máy đã nhận, nên không nhận. Hãy hỏi lại Thành phố về tệp này; dữ liệu của đơn vị không thay đổi.`,
          { requestId: e.id, edition: e.edition },
        );
      }
      await write(() => {
        for (const t of plan.fresh) deps.registry.store(t, { source: 'received', sourceBytes: null, at });
        store.add(e, bytes, 'received', at);
      });
      const what = changedText(latest?.edition, e);
      if (latest)
        return {
          outcome: 'updated' as const,
          requestId: e.id,
          edition: e.edition,
          message: `Đã nhận lần ban hành thứ ${e.edition} của ${title}${what ? `: ${what}` : '.'}`,
          templates,
        };
      return {
        outcome: 'received' as const,
        requestId: e.id,
        edition: e.edition,
        message:
          e.state === 'withdrawn'
            ? `Đã nhận ${title}. ${what}`
            : `Đã nhận ${title} (${refLine(e.ref)}), ${deadlineText(e.due, e.dueWording)}. Yêu cầu đã có trong Việc phải nộp.`,
        templates,
      };
    });
  }

  const strip = ({ templates: _t, ...r }: Received & { templates: Template[] }): Received => r;

  function openFor(template: string, period: string): StoredEdition | null {
    const s = store.forReturn(template, period);
    return s && s.edition.state === 'open' ? s : null;
  }

  async function requestFor(template: string, period: string): Promise<RequestEdition | null> {
    return openFor(template, period)?.edition ?? null;
  }

  async function trustInfo() {
    const k = trustedKey(sqlite, deps.resources.cityPublicKey);
    return { fingerprint: k ? fingerprintOf(k.pem) : null, source: k?.source ?? null };
  }

  return {
    handlers: {
      'requests.todo': async () => communeTodo(deps, store),
      'requests.receive': async ({ file }) => strip(await receive(Buffer.from(file.data, 'base64'), 'file', file.fileName)),
      'trust.get': () => trustInfo(),
      'trust.set': async ({ file }) => {
        const s = await deps.settings();
        if (s.role === 'city')
          throw new AppError('refused', 'Máy Thành phố dùng khóa riêng của mình (Yêu cầu báo cáo → Khóa của Thành phố), không đặt khóa tin cậy. Hãy đặt khóa ở máy của xã.');
        const pem = Buffer.from(file.data, 'base64').toString('utf8');
        // keyIdOf refuses what is not an Ed25519 public key, before anything is written: the old key stays.
        await deps.serial(async () => write(() => setTrustedKey(sqlite, pem)));
        return trustInfo();
      },
    },
    receiveSigned: async (bytes, via) => strip(await receive(bytes, via, via === 'network' ? 'tệp nhận qua mạng' : 'tệp đã ký')),
    receiveSignedTemplate: async (bytes, fileName) => {
      const r = await receive(bytes, 'file', fileName);
      const req = r.requestId ? store.latest(r.requestId)?.edition : undefined;
      const t = req ? { id: req.template, version: req.templateVersion } : r.templates[0];
      if (!t) throw new AppError('refused', NOT_REQUEST);
      return { id: t.id, version: t.version, message: r.message };
    },
    receiveReminder: async (r) => {
      const { unitCode } = await requireCommune();
      await deps.serial(() =>
        write(() =>
          sqlite
            .prepare(
              `INSERT INTO reminders (id, request_id, unit, message, created_at, created_by, direction, push_state, seen_at)
               VALUES (?, ?, ?, ?, ?, NULL, 'received', NULL, NULL) ON CONFLICT(id) DO NOTHING`,
            )
            .run(r.id, r.requestId, unitCode, r.message, r.sentAt),
        ),
      );
    },
    requestFor,
    returnRequest: async (template, period) => {
      const e = openFor(template, period)?.edition;
      if (!e) return null;
      return {
        id: e.id,
        edition: e.edition,
        title: e.title,
        refLine: refLine(e.ref),
        summary: e.ref.summary,
        addressee: addresseeLine(e),
        deadlineText: deadlineText(e.due, e.dueWording),
        lastDay: lastDay(e.due, e.dueWording),
        instruction: e.instruction?.trim() || null,
      };
    },
    packageRequest: async (template, period) => {
      const e = openFor(template, period)?.edition;
      return e ? { id: e.id, edition: e.edition, refLine: refLine(e.ref), summary: e.ref.summary, addressee: addresseeLine(e) } : undefined;
    },
    markSeen: (template, period) => {
      const s = openFor(template, period);
      if (s && !s.seenAt) store.markSeen(s.edition.id, s.edition.edition, deps.now().toISOString());
    },
  };
}

