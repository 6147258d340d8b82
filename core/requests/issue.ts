/**
 * Issuing requests at the city (issue 9): check, create, amend, withdraw; every edition signed
 * with the city key, stored verbatim and queued for the intake in one transaction; the list and
 * one request as the city sees them (scoped to the caller's department); the signed files.
 */
import type {
  Addressees,
  Lang,
  Output,
  RequestEdition,
  RequestField,
  RequestInput,
  RequestSummary,
  Template,
  Unit,
} from '../../shared/index.js';
import {
  AppError,
  deadlineText,
  formatDate,
  lastDay,
  parsePeriod,
  periodAllowed,
  requestPeriodLabel,
  resolveAddressees,
} from '../../shared/index.js';
import { canSee, currentUser } from '../users/context.js';
import type { RequestDeps } from './deps.js';
import { cityKey, fingerprintOf, keyIdOf, signFile } from './sign.js';
import { requestStore } from './store.js';
import type { RequestCounts } from './summary.js';
import { addresseesLabel, summaryOf } from './summary.js';
type File = { fileName: string; data: string };

const COMMUNE_DB =
  'Cơ sở dữ liệu này đang dùng cho vai trò Xã, phường, đặc khu: chỉ Thành phố ra yêu cầu báo cáo. Hãy dùng cơ sở dữ liệu của Thành phố.';

/** "15/06/2026" from an ISO date. */
const d = (iso: string) => formatDate(iso);
const fold = (s: string) => s.normalize('NFC').trim().toLocaleLowerCase('vi');

/** The city's problems with an addressee list (unknown codes or types), each saying what to do. */
function addresseeProblems(a: Addressees, units: readonly Unit[], resolved: string[]): string[] {
  const out: string[] = [];
  if (a.kind === 'units') {
    const known = new Set(units.map((u) => u.code));
    const unknown = [...new Set(a.codes)].filter((c) => !known.has(c));
    if (unknown.length)
      out.push(
        `Mã đơn vị ${unknown.slice(0, 10).join(', ')}${unknown.length > 10 ? ` và ${unknown.length - 10} mã khác` : ''} không có trong danh sách đơn vị hiện hành. Hãy sửa hoặc bỏ các mã đó (mã thống kê 5 chữ số).`,
      );
  }
  if (a.kind === 'types') {
    const types = [...new Set(units.map((u) => u.type))];
    const unknown = a.types.filter((t) => !types.some((k) => fold(k) === fold(t)));
    if (unknown.length)
      out.push(
        `Loại đơn vị "${unknown.join('", "')}" không có trong danh sách đơn vị. Hãy chọn trong các loại: ${types.join(', ')}.`,
      );
  }
  if (a.kind === 'attribute' && !resolved.length) {
    const values = [...new Set(units.map((u) => u.attributes?.[a.attribute]).filter((v): v is string => !!v))];
    out.push(
      values.length
        ? `Không đơn vị nào có ${a.attribute} = "${a.values.join('" hoặc "')}". Hãy dùng một giá trị có trong danh sách đơn vị: ${values.slice(0, 20).join(', ')}.`
        : `Danh sách đơn vị hiện hành không có cột "${a.attribute}". Hãy chọn một thuộc tính có trong danh sách đơn vị, hoặc nhập danh sách có cột đó.`,
    );
  }
  if (!resolved.length)
    out.push(
      'Yêu cầu chưa gửi tới đơn vị nào: danh sách đơn vị nhận đang trống. Hãy chọn ít nhất một đơn vị (tất cả, theo loại, theo danh sách hoặc theo thuộc tính).',
    );
  return out;
}

export function createIssuing(deps: RequestDeps, counts: (e: RequestEdition) => RequestCounts) {
  const store = requestStore(deps.sqlite);
  const lastRequestNo = deps.sqlite.prepare<[string], { id: string }>(
    // By length first: "YC-2026-10000" comes after "YC-2026-9999" (as text it sorts before it).
    'SELECT id FROM requests WHERE id LIKE ? ORDER BY length(id) DESC, id DESC LIMIT 1',
  );
  const insertPush = deps.sqlite.prepare(
    "INSERT OR IGNORE INTO request_push (request_id, edition, state, attempts) VALUES (?, ?, 'pending', 0)",
  );

  /** The city role: a commune database is refused; one with no role yet (claim) becomes the city's. */
  async function cityOnly(claim: boolean): Promise<Lang> {
    const s = await deps.settings();
    if (s.role === 'commune') throw new AppError('refused', COMMUNE_DB);
    if (!s.role && claim) await deps.city.claimCity();
    return s.lang;
  }

  /** A template the city may ask for: built in or published by it (not one received from elsewhere). */
  function knownTemplate(id: string, version: number): Template | undefined {
    const t = deps.registry.getTemplate(id, version);
    if (!t) return undefined;
    return deps.registry.stored(id, version)?.source === 'received' ? undefined : t;
  }

  /** The latest edition of a request the caller may see (not_found otherwise, never a hint it exists). */
  function visible(id: string) {
    const latest = store.latest(id);
    if (!latest || !canSee(latest.edition.department))
      throw new AppError('not_found', `Không có yêu cầu báo cáo "${id}". Hãy chọn một yêu cầu trong danh sách.`);
    return latest;
  }

  /** Open requests (latest editions) for the same template and period that address one of `units`. */
  function overlapping(template: string, period: string, units: string[], except?: string): RequestEdition | undefined {
    const mine = new Set(units);
    return store
      .all()
      .map((s) => s.edition)
      .find(
        (e) =>
          e.id !== except &&
          e.state === 'open' &&
          e.template === template &&
          e.period === period &&
          e.units.some((u) => mine.has(u)),
      );
  }

  const overlapMessage = (o: RequestEdition) =>
    `Đã có yêu cầu ${o.id} ("${o.title}", hạn ${deadlineText(o.due, o.dueWording)}) đang mở cho cùng mẫu và kỳ, gửi tới một số đơn vị giống yêu cầu này. ` +
    `Hãy ra bản mới của yêu cầu đó (gia hạn, thêm đơn vị) thay vì tạo yêu cầu mới.`;

  /** Every problem with a request as entered, in Vietnamese; the template and the addressed units when they resolve. */
  async function examine(input: RequestInput) {
    const problems: string[] = [];
    /** The form field of each problem (requests.check's `fields`), pushed with it. */
    const fields: (RequestField | null)[] = [];
    const add = (field: RequestField | null, ...messages: string[]) => {
      for (const m of messages) {
        problems.push(m);
        fields.push(field);
      }
    };
    const list = await deps.unitList();
    const template = knownTemplate(input.template, input.templateVersion);
    if (!template) {
      const versions = deps.registry.versions(input.template);
      add(
        'template',
        versions.length
          ? `Mẫu ${input.template} không có phiên bản ${input.templateVersion} (có các phiên bản ${versions.join(', ')}). Hãy chọn một phiên bản đã công bố.`
          : `Không có mẫu báo cáo "${input.template}" (có sẵn hoặc đã công bố). Hãy công bố mẫu trước, rồi ra yêu cầu.`,
      );
    }
    const period = parsePeriod(input.period);
    if (!period)
      add(
        'period',
        `Kỳ báo cáo "${input.period}" không hợp lệ. Hãy chọn một kỳ (ví dụ 2026-Q2, 2026-H1, 2026) hoặc một ngày chốt số liệu (ví dụ 2026-06-20).`,
      );
    else if (template && !periodAllowed(template.periodTypes, period))
      add(
        'period',
        `Mẫu ${template.id} không lập theo kỳ "${requestPeriodLabel(input)}". Hãy chọn một kỳ của mẫu này hoặc một ngày chốt số liệu.`,
      );
    const today = deps.today();
    if (!parsePeriod(input.due) || parsePeriod(input.due)?.type !== 'day')
      add('due', `Hạn nộp "${input.due}" không phải một ngày có thật. Hãy chọn lại hạn nộp.`);
    else if (input.due < today)
      add('due', `Hạn nộp ${d(input.due)} đã qua (hôm nay là ${d(today)}). Hãy chọn hạn nộp từ hôm nay trở đi.`);
    else if (lastDay(input.due, input.dueWording) < today)
      // "trước ngày <hôm nay>" ends yesterday: no office could be on time.
      add(
        'due',
        `Hạn "${deadlineText(input.due, input.dueWording)}" có ngày cuối cùng là ${d(lastDay(input.due, input.dueWording))}, đã qua. Hãy chọn hạn nộp muộn hơn hoặc dùng "trong ngày".`,
      );
    if (parsePeriod(input.ref.date)?.type !== 'day')
      add('ref', `Ngày của văn bản "${input.ref.date}" không phải một ngày có thật. Hãy sửa ngày ban hành.`);
    if (input.window) {
      const { start, end } = input.window;
      if (parsePeriod(start)?.type !== 'day' || parsePeriod(end)?.type !== 'day')
        add('window', 'Thời gian chốt số liệu có ngày không có thật. Hãy chọn lại ngày bắt đầu và ngày kết thúc.');
      else if (start > end)
        add(
          'window',
          `Thời gian chốt số liệu bắt đầu ${d(start)} sau ngày kết thúc ${d(end)}. Hãy đặt ngày bắt đầu trước hoặc bằng ngày kết thúc.`,
        );
    }
    const me = currentUser();
    if (me && !canSee(input.department))
      add(
        'department',
        `Bạn thuộc ${me.department} nên chỉ ra được yêu cầu do ${me.department} tổng hợp. Hãy chọn đúng sở tổng hợp, hoặc nhờ quản trị viên ra yêu cầu cho ${input.department}.`,
      );
    const units = resolveAddressees(input.addressees, list.units);
    add('addressees', ...addresseeProblems(input.addressees, list.units, units));
    if (units.length) {
      const o = overlapping(input.template, input.period, units);
      if (o && canSee(o.department)) add('period', overlapMessage(o));
      else if (o)
        add(
          'period',
          'Đã có một yêu cầu đang mở (của sở khác) cho cùng mẫu và kỳ, gửi tới một số đơn vị giống yêu cầu này. Hãy liên hệ sở đó hoặc quản trị viên để ra bản mới của yêu cầu đó.',
        );
    }
    return { problems, fields, template, units, list };
  }

  /** Sign an edition, store it and queue it for the intake, in one transaction; the id is given by `make` inside it. */
  function issue(make: () => RequestEdition, template: Template): RequestEdition {
    const key = cityKey(deps.sqlite);
    const at = deps.now().toISOString();
    let issued: RequestEdition | undefined;
    deps.sqlite
      .transaction(() => {
        const e = make();
        const signed = signFile('request', { request: e, templates: [template] }, key);
        store.add(e, signed, 'issued', at);
        insertPush.run(e.id, e.edition);
        issued = e;
      })
      .immediate();
    deps.kickDelivery();
    return issued!;
  }

  function nextId(): string {
    const year = deps.today().slice(0, 4);
    const last = lastRequestNo.get(`YC-${year}-%`)?.id;
    const n = last ? Number(/-(\d+)$/.exec(last)?.[1] ?? 0) + 1 : 1;
    return `YC-${year}-${String(n).padStart(4, '0')}`;
  }

  const issuer = () => {
    const u = currentUser();
    return u ? { issuedBy: u.name } : {};
  };

  function templateOfEdition(e: RequestEdition): Template {
    const t = deps.registry.getTemplate(e.template, e.templateVersion);
    if (!t)
      throw new AppError(
        'refused',
        `Không còn mẫu ${e.template} phiên bản ${e.templateVersion} trong cơ sở dữ liệu này. Hãy khôi phục bản sao lưu có mẫu đó.`,
      );
    return t;
  }

  const signedFile = (fileName: string, bytes: Buffer): File => ({ fileName, data: bytes.toString('base64') });

  return {
    async check(input: RequestInput): Promise<Output<'requests.check'>> {
      await cityOnly(false);
      const { problems, fields, units } = await examine(input);
      return {
        units: units.length,
        problems,
        fields,
        addresseesLabel: addresseesLabel(input.addressees, units.length),
      };
    },

    async create(input: RequestInput): Promise<RequestEdition> {
      await cityOnly(true);
      return deps.serial(async () => {
        const { problems, template, units, list } = await examine(input);
        if (problems.length || !template)
          throw new AppError('invalid_input', `Chưa ra được yêu cầu: ${problems.join(' ')}`, { reasons: problems });
        return issue(
          () => ({
            ...input,
            id: nextId(),
            edition: 1,
            state: 'open',
            units,
            unitListVersion: list.version,
            issuedAt: deps.now().toISOString(),
            ...issuer(),
          }),
          template,
        );
      });
    },

    async amend(input: {
      id: string;
      due?: string;
      dueWording?: RequestEdition['dueWording'];
      addressees?: Addressees;
      instruction?: string;
      title?: string;
      note: string;
    }): Promise<RequestEdition> {
      await cityOnly(true);
      return deps.serial(async () => {
        const latest = visible(input.id).edition;
        if (latest.state === 'withdrawn')
          throw new AppError(
            'refused',
            `Yêu cầu ${latest.id} đã được rút nên không ra bản mới được. Nếu vẫn cần số liệu, hãy tạo một yêu cầu mới.`,
          );
        const problems: string[] = [];
        const due = input.due ?? latest.due;
        const dueWording = input.dueWording ?? latest.dueWording;
        const today = deps.today();
        if (parsePeriod(due)?.type !== 'day')
          problems.push(`Hạn nộp "${due}" không phải một ngày có thật. Hãy chọn lại hạn nộp.`);
        else if (lastDay(due, dueWording) < lastDay(latest.due, latest.dueWording))
          problems.push(
            `Hạn mới (${deadlineText(due, dueWording)}) sớm hơn hạn hiện tại (${deadlineText(latest.due, latest.dueWording)}). Bản mới chỉ được gia hạn; nếu cần rút ngắn hạn, hãy rút yêu cầu này và ra yêu cầu mới.`,
          );
        else if (input.due && input.due !== latest.due && due < today)
          problems.push(`Hạn nộp ${d(due)} đã qua (hôm nay là ${d(today)}). Hãy chọn hạn nộp từ hôm nay trở đi.`);
        const list = await deps.unitList();
        const addressees = input.addressees ?? latest.addressees;
        let units = latest.units;
        if (input.addressees) {
          const resolved = resolveAddressees(addressees, list.units);
          problems.push(...addresseeProblems(addressees, list.units, resolved));
          const inList = new Set(list.units.map((u) => u.code));
          const now = new Set(resolved);
          const dropped = latest.units.filter((c) => inList.has(c) && !now.has(c));
          if (dropped.length) {
            const names = dropped.slice(0, 5).map((c) => list.units.find((u) => u.code === c)?.name ?? c);
            problems.push(
              `Bản mới bỏ ${dropped.length} đơn vị đã được gửi yêu cầu (${names.join(', ')}${dropped.length > 5 ? ', …' : ''}). Bản mới chỉ được thêm đơn vị; hãy giữ các đơn vị đó trong danh sách.`,
            );
          }
          // The units already addressed stay (also one no longer in the current list), the new ones follow.
          const old = new Set(latest.units);
          units = [...latest.units, ...resolved.filter((c) => !old.has(c))];
          const o = overlapping(
            latest.template,
            latest.period,
            units.filter((c) => !old.has(c)),
            latest.id,
          );
          if (o) problems.push(overlapMessage(o));
        }
        if (problems.length)
          throw new AppError('invalid_input', `Chưa ra được bản mới của yêu cầu ${latest.id}: ${problems.join(' ')}`, {
            reasons: problems,
          });
        const { issuedBy: _was, ...rest } = latest;
        return issue(
          () => ({
            ...rest,
            edition: latest.edition + 1,
            due,
            dueWording,
            addressees,
            units,
            unitListVersion: input.addressees ? list.version : latest.unitListVersion,
            ...(input.instruction !== undefined ? { instruction: input.instruction } : {}),
            ...(input.title !== undefined ? { title: input.title } : {}),
            note: input.note,
            issuedAt: deps.now().toISOString(),
            ...issuer(),
          }),
          templateOfEdition(latest),
        );
      });
    },

    async withdraw({ id, reason }: { id: string; reason: string }): Promise<RequestEdition> {
      await cityOnly(true);
      return deps.serial(async () => {
        const latest = visible(id).edition;
        if (latest.state === 'withdrawn')
          throw new AppError('refused', `Yêu cầu ${latest.id} đã được rút trước đó; không cần rút lại.`);
        const { issuedBy: _was, ...rest } = latest;
        return issue(
          () => ({
            ...rest,
            edition: latest.edition + 1,
            state: 'withdrawn',
            note: reason,
            issuedAt: deps.now().toISOString(),
            ...issuer(),
          }),
          templateOfEdition(latest),
        );
      });
    },

    async list({ includeWithdrawn }: { includeWithdrawn?: boolean }): Promise<RequestSummary[]> {
      const lang = await cityOnly(false);
      const order = (a: RequestEdition, b: RequestEdition) =>
        a.state !== b.state
          ? a.state === 'open'
            ? -1
            : 1
          : a.due !== b.due
            ? a.due < b.due
              ? 1
              : -1
            : a.id < b.id
              ? 1
              : -1;
      return store
        .all()
        .filter(({ edition: e }) => (includeWithdrawn || e.state === 'open') && canSee(e.department))
        .sort((a, b) => order(a.edition, b.edition))
        .map((s) => summaryOf(deps, s, counts(s.edition), lang));
    },

    /** Either role: a commune sees the requests it received. */
    async get({ id }: { id: string }): Promise<Output<'requests.get'>> {
      const current = visible(id).edition;
      const editions = store.editions(id).map((s) => s.edition);
      const list = await deps.unitList();
      const byCode = new Map(list.units.map((u) => [u.code, u]));
      const units = current.units.map((code) => byCode.get(code) ?? { code, type: '', name: `đơn vị mã ${code}` });
      return { current, editions, units };
    },

    async export({ id }: { id: string }): Promise<File> {
      await cityOnly(false);
      const latest = visible(id);
      return signedFile(`yeu-cau-${latest.edition.id}-lan-${latest.edition.edition}.json`, latest.signed);
    },

    async exportSigned({ id, version }: { id: string; version: number }): Promise<File> {
      await cityOnly(true);
      const t = knownTemplate(id, version);
      if (!t)
        throw new AppError(
          'not_found',
          `Không có mẫu ${id} phiên bản ${version} (có sẵn hoặc đã công bố). Hãy chọn một mẫu trong danh sách mẫu.`,
        );
      return signedFile(
        `mau-${t.id}-v${t.version}.json`,
        signFile('template', { templates: [t] }, cityKey(deps.sqlite)),
      );
    },

    async cityKey(): Promise<Output<'keys.city'>> {
      await cityOnly(true);
      const { publicPem } = cityKey(deps.sqlite);
      return {
        publicKey: publicPem,
        fingerprint: fingerprintOf(publicPem),
        fileName: `khoa-thanh-pho-${keyIdOf(publicPem).slice(0, 8)}.pem`,
      };
    },
  };
}

export type Issuing = ReturnType<typeof createIssuing>;
