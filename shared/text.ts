/** Lower-case, strip Vietnamese diacritics (đ → d) and collapse spaces, for accent-insensitive search. */
export function foldText(s: string): string {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/đ/g, 'd')
    .replace(/Đ/g, 'D')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim();
}
/** True when every word of the query occurs in the text, ignoring accents and case. */
export function matchesQuery(text: string, query: string): boolean {
  const t = foldText(text);
  return foldText(query)
    .split(' ')
    .filter(Boolean)
    .every((w) => t.includes(w));
}

/*
 * One rule for text typed, pasted, imported or read back (issue 7, item 4).
 * - xmlSafeText: what every package writer and reader applies: line breaks as "\n" (CR LF, CR,
 *   vertical tab, form feed), and nothing XML 1.0 forbids (other C0 controls such as NUL, BEL,
 *   ESC; lone surrogates; U+FFFE, U+FFFF). A value that passed it writes and reads back the same.
 * - cleanText: what the editor applies on input and paste (and to an old draft on open):
 *   xmlSafeText, plus U+2028/U+2029/U+0085 as "\n", NFC (one form of each Vietnamese letter), and no
 *   invisible controls (DEL, C1 controls, zero-width spaces, byte-order marks).
 * - textProblem: the first character that must not be in a saved value (what validation refuses
 *   when a value arrives uncleaned, from JSON or an old draft), or null.
 */

/** Characters XML 1.0 forbids (besides tab, LF, CR) and the noncharacters U+FFFE/U+FFFF. */
// eslint-disable-next-line no-control-regex -- this rule is about control characters
const XML_FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
/** Invisible controls that are legal XML but never meant in a report. */
const INVISIBLE = /[\u007F-\u0084\u0086-\u009F\u200B\u2060\uFEFF]/g;

/** Line breaks as "\n" and no character XML 1.0 forbids: safe to write to a package and read back unchanged. */
export function xmlSafeText(s: string): string {
  // eslint-disable-next-line no-control-regex -- this rule is about control characters
  if (!/[\u0000-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/.test(s)) return s;
  return s.replace(/\r\n?|[\v\f]/g, '\n').replace(XML_FORBIDDEN, '');
}

/** Text as the editor keeps it: xmlSafeText, Unicode line/paragraph separators as "\n", NFC, no invisible controls. */
export function cleanText(s: string): string {
  return xmlSafeText(s.replace(/[\u2028\u2029\u0085]/g, '\n'))
    .replace(INVISIBLE, '')
    .normalize('NFC');
}

/** cleanText for a one-line cell (every cell of the form): a line break is shown and kept as a space. */
export function cleanLine(s: string): string {
  return cleanText(s).replace(/\n/g, ' ');
}

/** A character that must not stay in a saved value: its code (U+000B) and a Vietnamese name. */
export interface TextProblem {
  code: string;
  name: string;
}
const NAMES: Record<number, string> = {
  0x00: 'ký tự rỗng NUL',
  0x07: 'ký tự chuông BEL',
  0x08: 'ký tự xóa lùi',
  0x0b: 'ký tự xuống dòng dọc (thường do dán từ Word)',
  0x0c: 'ký tự sang trang',
  0x1b: 'ký tự ESC',
  0x7f: 'ký tự DEL',
  0xfffe: 'ký tự không hợp lệ U+FFFE',
  0xffff: 'ký tự không hợp lệ U+FFFF',
};
// eslint-disable-next-line no-control-regex -- this rule is about control characters
const PROBLEM = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The first character of s that must not be saved (controls, lone surrogates, U+FFFE/U+FFFF), or null. */
export function textProblem(s: string): TextProblem | null {
  const m = PROBLEM.exec(s);
  if (!m) return null;
  const cp = m[0].charCodeAt(0);
  const code = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  const surrogate = cp >= 0xd800 && cp <= 0xdfff;
  return { code, name: NAMES[cp] ?? (surrogate ? 'nửa ký tự hỏng (surrogate lẻ)' : 'ký tự điều khiển ẩn') };
}

/**
 * Every text inside a draft's values or explanations through cleanText (an old draft saved before
 * the rule, an imported file): the cleaned copy and the paths of what changed (a value's "section.field",
 * an explanation's id). Unchanged parts keep their identity.
 */
export function cleanTexts<T>(v: T, clean: (s: string, path: string) => string = cleanText, at = ''): { value: T; changed: string[] } {
  const changed: string[] = [];
  const walk = (x: unknown, path: string): unknown => {
    if (typeof x === 'string') {
      const c = clean(x, path);
      if (c !== x) changed.push(path);
      return c;
    }
    if (Array.isArray(x)) {
      const out = x.map((e, i) => walk(e, path ? `${path}.${i}` : String(i)));
      return out.every((e, i) => e === x[i]) ? x : out;
    }
    if (x && typeof x === 'object') {
      let same = true;
      const out: Record<string, unknown> = {};
      for (const [k, e] of Object.entries(x)) {
        out[k] = walk(e, path ? `${path}.${k}` : k);
        if (out[k] !== e) same = false;
      }
      return same ? x : out;
    }
    return x;
  };
  return { value: walk(v, at) as T, changed };
}
