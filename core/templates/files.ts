import { z } from 'zod';
import type { AuthoringProblem, Template } from '../../shared/index.js';
import { AppError, TemplateSchema, parseTemplate } from '../../shared/index.js';
import { MAX_ID_LENGTH, MAX_VERSION, inVietnamese } from '../../shared/template/authoring/index.js';
import { buildTemplateFromWorkbook } from './workbook.js';

/** The largest template .json read (BC-CX is about 100 KB): a bigger one is refused before it is parsed. */
export const MAX_TEMPLATE_JSON_BYTES = 2 * 1024 * 1024;
/** The deepest nesting of a template's JSON read (BC-CX nests about 12 levels; a formula adds at most 2 a level of MAX_EXPR_DEPTH). */
export const MAX_TEMPLATE_JSON_DEPTH = 200;

/** How deeply objects and arrays nest in parsed JSON, counted without recursion (a hostile file may nest 100,000 levels). */
function jsonDepth(root: unknown, stopAt: number): number {
  let max = 0;
  const stack: [unknown, number][] = [[root, 1]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (d > max) max = d;
    if (max > stopAt) return max;
    for (const x of Array.isArray(v) ? v : Object.values(v)) if (x !== null && typeof x === 'object') stack.push([x, d + 1]);
  }
  return max;
}

export interface CompiledFile {
  template?: Template;
  problems: AuthoringProblem[];
  kind: 'workbook' | 'json';
}

/** A compiled template (.json, as `template build --out` writes it) rather than an authoring workbook. */
export function isTemplateJson(bytes: Uint8Array, fileName: string): boolean {
  if (/\.json$/i.test(fileName)) return true;
  if (/\.xlsx$/i.test(fileName)) return false;
  const head = Buffer.from(bytes.subarray(0, 64)).toString('utf8').replace(/^\uFEFF/, '').trimStart();
  return head.startsWith('{');
}

const ID_MESSAGE =
  'Mã mẫu "{id}" không hợp lệ: mã mẫu chỉ gồm chữ in hoa không dấu (A–Z), chữ số và dấu gạch ngang, ví dụ BC-NV. Hãy sửa mã mẫu (dòng "mã mẫu" của trang tính thiết lập trong sổ mẫu, hoặc trường "id" của tệp .json) rồi thử lại.';

/** Check a compiled template given as JSON: the schema (messages in Vietnamese), then the cross-checks. */
export function templateFromJson(text: string, fileName: string): CompiledFile {
  const at = (message: string): AuthoringProblem => ({ sheet: fileName, message });
  if (text.length > MAX_TEMPLATE_JSON_BYTES) return tooLarge(fileName, text.length);
  let data: unknown;
  try {
    data = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch {
    return { kind: 'json', problems: [at(`Tệp "${fileName}" không phải là JSON hợp lệ. Hãy tạo lại tệp bằng lệnh "template build <sổ mẫu.xlsx> --out <tệp.json>".`)] };
  }
  return templateFromParsed(data, fileName);
}

function tooLarge(fileName: string, length: number): CompiledFile {
  return {
    kind: 'json',
    problems: [
      {
        sheet: fileName,
        message: `Tệp "${fileName}" lớn ${(length / 1024 / 1024).toLocaleString('vi-VN', { maximumFractionDigits: 1 })} MB, quá ${MAX_TEMPLATE_JSON_BYTES / 1024 / 1024} MB cho phép của một tệp mẫu báo cáo (một mẫu chỉ vài trăm KB), nên ứng dụng không đọc nó. Hãy dùng đúng tệp mẫu Thành phố gửi (hoặc tạo lại bằng lệnh "template build").`,
      },
    ],
  };
}

/**
 * A template already parsed from JSON (a signed file's payload, issue 9): the same checks as a
 * template .json, the depth first (so that measuring its size cannot overflow the stack).
 */
export function templateFromParsed(data: unknown, fileName: string, checkSize = false): CompiledFile {
  const at = (message: string): AuthoringProblem => ({ sheet: fileName, message });
  if (jsonDepth(data, MAX_TEMPLATE_JSON_DEPTH) > MAX_TEMPLATE_JSON_DEPTH)
    return {
      kind: 'json',
      problems: [
        at(
          `Tệp "${fileName}" lồng nhau quá ${MAX_TEMPLATE_JSON_DEPTH} lớp, điều một mẫu báo cáo không bao giờ có (có thể là tệp độc hại), nên ứng dụng không đọc nó. Hãy dùng đúng tệp mẫu Thành phố gửi (hoặc tạo lại bằng lệnh "template build").`,
        ),
      ],
    };
  if (checkSize) {
    const length = JSON.stringify(data ?? null).length;
    if (length > MAX_TEMPLATE_JSON_BYTES) return tooLarge(fileName, length);
  }
  const parsed = TemplateSchema.safeParse(data, { error: z.locales.vi().localeError });
  if (!parsed.success)
    return {
      kind: 'json',
      problems: parsed.error.issues.map((i) =>
        i.path.length === 1 && i.path[0] === 'id'
          ? at(ID_MESSAGE.replace('{id}', String((data as { id?: unknown }).id ?? '')))
          : at(`Mục "${i.path.join('.') || '(gốc)'}": ${i.message}. Hãy sửa tệp mẫu (hoặc dựng lại từ sổ mẫu bằng lệnh "template build") rồi thử lại.`),
      ),
    };
  const limits: string[] = [];
  if (parsed.data.id.length > MAX_ID_LENGTH) limits.push(`Mã mẫu dài ${parsed.data.id.length} ký tự, quá ${MAX_ID_LENGTH} ký tự cho phép.`);
  if (parsed.data.version > MAX_VERSION)
    limits.push(`Phiên bản ${parsed.data.version} quá lớn: phiên bản là số thứ tự lần công bố, từ 1 đến ${MAX_VERSION.toLocaleString('vi-VN')}.`);
  if (new Set(parsed.data.periodTypes).size !== parsed.data.periodTypes.length) limits.push('Một loại kỳ báo cáo bị ghi nhiều lần trong "periodTypes".');
  if (limits.length)
    return { kind: 'json', problems: limits.map((l) => at(`${l} Hãy dùng đúng tệp mẫu Thành phố gửi (hoặc tạo lại bằng lệnh "template build") rồi thử lại.`)) };
  try {
    return { kind: 'json', template: parseTemplate(parsed.data), problems: [] };
  } catch (e) {
    const lines = (e instanceof Error ? e.message : String(e)).split('\n').slice(1);
    return {
      kind: 'json',
      problems: (lines.length ? lines : ['']).map((l) =>
        at(`Mẫu không nhất quán${l ? ` ở "${l.split(':')[0]!.trim()}": ${inVietnamese(l.slice(l.indexOf(':') + 1).trim())}` : ''}. Hãy sửa tệp mẫu (hoặc dựng lại từ sổ mẫu bằng lệnh "template build") rồi thử lại.`),
      ),
    };
  }
}

/** An authoring workbook or a compiled template .json: the template, or every problem. */
export async function compileTemplateFile(bytes: Uint8Array, fileName: string): Promise<CompiledFile> {
  if (isTemplateJson(bytes, fileName)) return templateFromJson(Buffer.from(bytes).toString('utf8'), fileName);
  const built = await buildTemplateFromWorkbook(bytes);
  return { kind: 'workbook', template: built.problems.length ? undefined : built.template, problems: built.problems };
}

/** Template data given to a call (previews, samples): checked, or refused with its problems (details.problems). */
export function templateFromData(data: unknown): Template {
  const r = templateFromJson(JSON.stringify(data ?? null), 'mẫu');
  if (r.template) return r.template;
  throw new AppError('invalid_input', 'Mẫu báo cáo gửi kèm chưa hợp lệ. Hãy kiểm tra lại sổ mẫu (Kiểm tra) rồi thử lại.', { problems: r.problems });
}

/** "Trang tính Biểu mẫu, dòng 12, cột C: …" */
export function problemLine(p: AuthoringProblem): string {
  const file = /\.json$/i.test(p.sheet) || p.sheet === 'mẫu';
  const where = [p.sheet ? (file ? `tệp "${p.sheet}"` : `trang tính "${p.sheet}"`) : '', p.row ? `dòng ${p.row}` : '', p.column ? `cột ${p.column}` : ''].filter(Boolean).join(', ');
  return where ? `${where}: ${p.message}` : p.message;
}
