import type { z } from 'zod';
import { z as zod } from 'zod';
import type { ReturnJson, Template, Unit } from '../shared/index.js';
import { AppError, ReturnJsonSchema, parsePeriod, periodAllowed, periodLabel } from '../shared/index.js';

const vi = zod.locales.vi();
const TYPE_VI: Record<string, string> = {
  string: 'chuỗi ký tự trong ngoặc kép',
  number: 'một số',
  int: 'một số nguyên',
  boolean: 'true hoặc false',
  object: 'một đối tượng {…}',
  record: 'một đối tượng {…}',
  array: 'một mảng […]',
};

/** Vietnamese messages: the common cases said plainly, the rest from zod's Vietnamese locale. */
const viError: z.core.$ZodErrorMap = (iss) => {
  if (iss.code === 'invalid_type') {
    if (iss.input === undefined) return 'thiếu trường này. Hãy thêm trường này vào';
    return `phải là ${TYPE_VI[iss.expected] ?? iss.expected}. Hãy sửa lại giá trị`;
  }
  // Lengths said plainly (zod's locale names the JS type: "string").
  if ((iss.code === 'too_big' || iss.code === 'too_small') && (iss.origin === 'string' || iss.origin === 'array')) {
    const n = Number(iss.code === 'too_big' ? iss.maximum : iss.minimum);
    const unit = iss.origin === 'string' ? 'ký tự' : 'mục';
    if (iss.code === 'too_big') return `dài quá ${n} ${unit}. Hãy rút ngắn lại`;
    if (n <= 1) return 'không được để trống. Hãy điền vào';
    return `phải có ít nhất ${n} ${unit}. Hãy điền thêm`;
  }
  if (iss.code === 'unrecognized_keys') return `có trường không được phép: ${iss.keys.join(', ')}. Hãy bỏ các trường này`;
  return vi.localeError(iss);
};

export interface InputProblem {
  path: string;
  message: string;
}

/** Check a value against a schema; problems carry the field path and a Vietnamese message. */
export function checkInput<S extends z.ZodType>(
  schema: S,
  value: unknown,
): { ok: true; data: z.output<S> } | { ok: false; problems: InputProblem[] } {
  const r = schema.safeParse(value, { error: viError });
  if (r.success) return { ok: true, data: r.data };
  return {
    ok: false,
    problems: r.error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(toàn bộ)', message: i.message })),
  };
}

export function describeProblems(problems: InputProblem[]): string {
  return problems.map((p) => `${p.path}: ${p.message}`).join('; ');
}

/**
 * Check the JSON form of a return (DOMAIN.md) and find its template and unit: the checks the
 * command line makes before anything is validated, written or stored.
 */
export function checkReturnJson(
  data: unknown,
  getTemplate: (id: string, version: number) => Template | undefined,
  findUnit: (code: string) => Unit | undefined,
  source = 'tệp JSON',
): { ret: ReturnJson; template: Template; unit: Unit } {
  const checked = checkInput(ReturnJsonSchema, data);
  if (!checked.ok)
    throw new AppError(
      'invalid_input',
      `${source} không đúng dạng JSON của báo cáo: ${describeProblems(checked.problems)}. Hãy sửa các trường này rồi chạy lại.`,
      { problems: checked.problems },
    );
  const ret = checked.data;
  const template = getTemplate(ret.template, ret.templateVersion);
  if (!template)
    refuse('wrong_template', 'templateVersion', `ứng dụng không có mẫu báo cáo "${ret.template}" phiên bản ${ret.templateVersion}. Hãy nhận mẫu này từ Thành phố (Mẫu báo cáo → Nhận mẫu); trên dòng lệnh, thêm --db <tệp dữ liệu đã có mẫu> hoặc --template <tệp mẫu>`);
  const period = parsePeriod(ret.period);
  if (!period || !periodAllowed(template.periodTypes, period))
    refuse('invalid_input', 'period', `kỳ báo cáo "${ret.period}" không hợp lệ cho mẫu ${template.id}. Hãy ghi kỳ dạng ${example(template)}`);
  const unit = findUnit(ret.unit);
  if (!unit)
    refuse('invalid_input', 'unit', `mã đơn vị "${ret.unit}" không có trong danh sách đơn vị hành chính. Hãy ghi đúng mã đơn vị (ví dụ 11948)`);
  return { ret, template, unit };
}

function refuse(code: 'invalid_input' | 'wrong_template', path: string, message: string): never {
  throw new AppError(code, `${path}: ${message}.`, { problems: [{ path, message }] });
}

function example(t: Template): string {
  const type = t.periodTypes[0];
  const code = type === 'month' ? '2026-M05' : type === 'quarter' ? '2026-Q2' : type === 'half' ? '2026-H1' : '2026';
  return `${code} (${periodLabel(code)})`;
}
