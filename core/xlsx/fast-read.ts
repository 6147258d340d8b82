/**
 * The fast package reader. The zip is opened under the guard (guard.ts: hostile and broken files
 * are refused before anything is parsed), then only what a package read needs is read: the
 * workbook (sheet names → parts, through its relationships), the shared strings, the cell formats
 * (to tell dates), and the sheets asked for (`_identity`, `_cells`, and the biểu sheets the cell
 * map points at). The result is a CellSource giving the same plain values as ExcelJS does
 * (read.ts), so both readers go through the same conversion to a return.
 *
 * Cell types: shared strings (t="s", rich text runs joined, phonetic runs left out), "str",
 * "inlineStr", booleans, errors (their text), ISO dates (t="d"), numbers (Dates in a date format,
 * 1900 or 1904 date system); a formula cell shows its cached result and is never evaluated. Text is
 * decoded of the OOXML "_xHHHH_" escapes (the writer writes "_x" as "_x005F_x").
 *
 * The XML is read by the small scanners at the end of this file rather than by a general SAX
 * parser: measured on a package, saxes alone took about 6 ms of CPU (more than the whole read
 * should), these about 0.6 ms. They read what Excel, LibreOffice and ExcelJS write (namespace
 * prefixes or none, either quotes, comments, CDATA, entity and character references, CR LF line
 * ends), run in linear time on any input, and rely on the guard having refused DOCTYPE/ENTITY.
 */
import { AppError, xmlSafeText } from '../../shared/index.js';
import type { Limits } from './guard.js';
import { LIMITS, checkSheet, openZip, tooManyRows } from './guard.js';
import type { CellSource } from './read.js';
import { MESSAGES, cellText } from './read.js';

export const FAST_MESSAGES = {
  hiddenSheet: (name: string) =>
    `Trang "${name}" của gói báo cáo đang bị ẩn, nên số liệu trên trang không hiện ra khi xem tệp. Hãy mở tệp, hiện lại trang (chuột phải vào tên trang, chọn "Unhide"/"Hiện"), lưu lại rồi nhập lại.`,
};

const corrupt = (why: string, cause?: unknown) =>
  new AppError('corrupt_file', MESSAGES.corrupt, { reason: why }, cause ? { cause } : undefined);

/**
 * OOXML text escapes: "_x000D_" is a carriage return, "_x005F_" an underscore. What they decode to
 * passes the one text rule (shared/text.ts): Excel writes a pasted vertical tab as "_x000B_".
 */
export const unescapeText = (s: string) =>
  s.includes('_x') ? xmlSafeText(s.replace(/_x([0-9A-Fa-f]{4})_/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)))) : s;

/** Same test as ExcelJS: date characters outside quotes and brackets. */
const isDateFormat = (code: string) => /[ymdhMsb]+/.test(code.replace(/\[[^\]]*]/g, '').replace(/"[^"]*"/g, ''));
/** Built-in number formats that are dates or times (the ones ExcelJS knows). */
const BUILTIN_DATE = new Set([14, 15, 16, 17, 18, 19, 20, 21, 22, 45, 46, 47]);

const excelToDate = (v: number, date1904: boolean) =>
  new Date(Math.round((v - 25569 + (date1904 ? 1462 : 0)) * 24 * 3600 * 1000));

/** "AB12" → [row 12, column 28]; undefined when not an address. */
function decodeAddress(a: string): [number, number] | undefined {
  let col = 0;
  let i = 0;
  for (; i < a.length; i++) {
    const c = a.charCodeAt(i) | 0x20; // lower case
    if (c < 97 || c > 122) break;
    col = col * 26 + (c - 96);
  }
  if (!i || i > 3 || i === a.length) return undefined;
  const row = Number(a.slice(i));
  return Number.isInteger(row) && row > 0 ? [row, col] : undefined;
}
const key = (row: number, col: number) => row * 16384 + col;

interface SheetInfo {
  name: string;
  part: string;
  state: string;
}
interface SheetCells {
  /** key(row, col) → plain value, only cells that show something. */
  cells: Map<number, unknown>;
  /** row → its plain values by column index (0 = column A), only rows with a value. */
  rows: Map<number, unknown[]>;
}

export class FastWorkbook implements CellSource {
  readonly sheets = new Map<string, SheetInfo>();
  private date1904 = false;
  private stringsPart = 'xl/sharedStrings.xml';
  private stylesPart = 'xl/styles.xml';
  private strings?: string[];
  private dateStyles?: boolean[];
  private parsed = new Map<string, SheetCells>();
  private lower = new Map<string, string>();

  constructor(
    private parts: Map<string, Uint8Array>,
    private limits: Limits = LIMITS,
  ) {
    for (const name of parts.keys()) this.lower.set(name.replace(/\\/g, '/').toLowerCase(), name);
    const root = this.rels('');
    const wbPart = [...root.values()].find((r) => r.type.endsWith('/officeDocument'))?.target ?? 'xl/workbook.xml';
    const wbRels = this.rels(wbPart);
    const xml = text(wbPart, this.part(wbPart, true)!);
    prefixOf(xml, 'workbook');
    eachStartTag(xml, 'sheet|workbookPr', (name, a) => {
      if (name === 'workbookPr') this.date1904 = a.date1904 === '1' || a.date1904 === 'true';
      else {
        const id = Object.keys(a).find((k) => /^[^:]+:id$/.test(k)); // r:id, whatever the prefix
        const rel = id ? wbRels.get(a[id]!) : undefined;
        if (a.name && rel) this.sheets.set(a.name, { name: a.name, state: a.state ?? 'visible', part: rel.target });
      }
    });
    for (const r of wbRels.values()) {
      if (r.type.endsWith('/sharedStrings')) this.stringsPart = r.target;
      else if (r.type.endsWith('/styles')) this.stylesPart = r.target;
    }
  }

  /** A part by name (OPC names are case-insensitive); a required one that is missing is a corrupt file. */
  private part(name: string, required = false): Uint8Array | undefined {
    const found = this.parts.get(name) ?? this.parts.get(this.lower.get(name.toLowerCase()) ?? '');
    if (!found && required) throw corrupt(`missing_part:${name}`);
    return found;
  }

  /** The relationships of a part ('' for the package's own): id → type and target part name. */
  private rels(partName: string): Map<string, { type: string; target: string }> {
    const slash = partName.lastIndexOf('/');
    const dir = partName.slice(0, slash + 1);
    const relsName = `${dir}_rels/${partName.slice(slash + 1)}.rels`;
    const out = new Map<string, { type: string; target: string }>();
    const bytes = this.part(relsName);
    if (!bytes) return out;
    eachStartTag(text(relsName, bytes), 'Relationship', (_, a) => {
      if (a.Id && a.Target && a.TargetMode !== 'External')
        out.set(a.Id, { type: a.Type ?? '', target: resolvePart(dir, a.Target) });
    });
    return out;
  }

  private sharedStrings(): string[] {
    if (this.strings) return this.strings;
    const bytes = this.part(this.stringsPart);
    return (this.strings = bytes ? scanSharedStrings(text(this.stringsPart, bytes)) : []);
  }

  /** Which cell formats (by index) show numbers as dates. */
  private styles(): boolean[] {
    if (this.dateStyles) return this.dateStyles;
    const out: boolean[] = [];
    const bytes = this.part(this.stylesPart);
    if (bytes) {
      const xml = text(this.stylesPart, bytes);
      const custom = new Map<number, string>();
      eachStartTag(inside(xml, 'numFmts'), 'numFmt', (_, a) => custom.set(Number(a.numFmtId), a.formatCode ?? ''));
      eachStartTag(inside(xml, 'cellXfs'), 'xf', (_, a) => {
        const id = Number(a.numFmtId ?? 0);
        const code = custom.get(id);
        out.push(code !== undefined ? isDateFormat(code) : BUILTIN_DATE.has(id));
      });
    }
    return (this.dateStyles = out);
  }

  /** Scan a sheet's cells once. */
  private sheet(name: string): SheetCells | undefined {
    const done = this.parsed.get(name);
    if (done) return done;
    const info = this.sheets.get(name);
    if (!info) return undefined;
    const bytes = this.part(info.part, true)!;
    checkSheet(info.part, bytes, this.limits);
    const strings = this.sharedStrings();
    const dates = this.styles();
    const date1904 = this.date1904;
    const out: SheetCells = { cells: new Map(), rows: new Map() };
    const number = (v: string, style: number) => {
      const x = parseFloat(v);
      return style > 0 && dates[style] ? excelToDate(x, date1904) : x;
    };
    const refuseRows = (rows: number) => tooManyRows(name, rows, this.limits);
    scanCells(text(info.part, bytes), this.limits.maxRows, refuseRows, (c) => {
      let x: unknown;
      const v = c.v;
      if (c.formula) {
        // The cached result, as ExcelJS gives it (an empty result is none).
        if (!v) x = undefined;
        else if (c.t === 'str') x = unescapeText(v);
        else if (c.t === 'b') x = parseInt(v, 10) !== 0;
        else if (c.t === 'e') x = v;
        else x = number(v, c.s);
      } else if (c.t === 'inlineStr') x = c.inline;
      else if (v !== undefined)
        switch (c.t) {
          case 's':
            x = strings[Number(v)];
            if (x === undefined) throw corrupt('bad_shared_string');
            break;
          case 'str':
            x = unescapeText(v);
            break;
          case 'e':
            x = v;
            break;
          case 'b':
            x = parseInt(v, 10) !== 0;
            break;
          case 'd': {
            const d = new Date(v);
            x = Number.isNaN(d.getTime()) ? v : d;
            break;
          }
          default:
            x = number(v, c.s);
        }
      if (x === undefined) return;
      out.cells.set(key(c.row, c.col), x);
      let r = out.rows.get(c.row);
      if (!r) out.rows.set(c.row, (r = []));
      r[c.col - 1] = x;
    });
    this.parsed.set(name, out);
    return out;
  }

  rows(name: string): string[][] | undefined {
    const s = this.sheet(name);
    if (!s) return undefined;
    return [...s.rows.keys()].sort((a, b) => a - b).map((r) => s.rows.get(r)!.map(cellText));
  }

  /** The rows of a sheet that have a value, by Excel row number, each its plain values from column A (the authoring workbook's reader). */
  numberedRows(name: string): Map<number, unknown[]> | undefined {
    return this.sheet(name)?.rows;
  }

  value(name: string, address: string): unknown {
    const info = this.sheets.get(name);
    if (!info) throw new AppError('corrupt_file', MESSAGES.missingSheet(name));
    // The visible cells are the truth: a biểu sheet hidden in Excel is not what a person sees.
    if (info.state !== 'visible')
      throw new AppError('refused', FAST_MESSAGES.hiddenSheet(name), { reason: 'hidden_sheet' });
    const at = decodeAddress(address);
    return at ? this.sheet(name)!.cells.get(key(at[0], at[1])) : undefined;
  }
}

/** A relationship target as a part name: relative to the source part's folder, or absolute from the package root. */
function resolvePart(dir: string, target: string): string {
  const parts = (target.startsWith('/') ? target.slice(1) : dir + target).split('/');
  const out: string[] = [];
  for (const p of parts) {
    if (p === '..') out.pop();
    else if (p !== '.' && p !== '') out.push(p);
  }
  return out.join('/');
}

/** Open a package's bytes under the guard, ready to read cells. */
export function openPackage(data: Uint8Array, limits: Limits = LIMITS): FastWorkbook {
  return new FastWorkbook(openZip(data, limits), limits);
}

// ---------------------------------------------------------------------------------------------
// The scanners

const decoder = new TextDecoder('utf-8', { fatal: true });

/** A part as text (UTF-8; anything else is a corrupt file). */
function text(part: string, bytes: Uint8Array): string {
  try {
    return decoder.decode(bytes);
  } catch (e) {
    throw corrupt(`bad_utf8:${part}`, e);
  }
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Character data as an XML parser gives it: line ends normalised, references decoded, CDATA taken as it is. */
function xmlText(raw: string): string {
  if (raw.includes('<!')) {
    if (!raw.includes('<![CDATA[')) throw corrupt('markup_in_text');
    const pieces = raw.split(/<!\[CDATA\[([\s\S]*?)\]\]>/);
    return pieces.map((p, i) => (i % 2 ? p.replace(/\r\n?/g, '\n') : xmlText(p))).join('');
  }
  const s = raw.includes('\r') ? raw.replace(/\r\n?/g, '\n') : raw;
  if (!s.includes('&')) return s;
  if (!s.includes('&#')) {
    // The common case (the cell map's JSON has thousands of &quot;): plain replacements, &amp; last.
    const r = s.replaceAll('&quot;', '"').replaceAll('&apos;', "'").replaceAll('&lt;', '<').replaceAll('&gt;', '>');
    if (/&(?!amp;)/.test(r)) throw corrupt('unknown_entity');
    return r.replaceAll('&amp;', '&');
  }
  return s.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|[A-Za-z]+);/g, (_, ref: string) => {
    if (ref[0] !== '#') {
      const e = ENTITIES[ref];
      if (e === undefined) throw corrupt('unknown_entity');
      return e;
    }
    const code = ref[1] === 'x' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
    if (code > 0x10ffff) throw corrupt('bad_char_ref');
    return String.fromCodePoint(code);
  });
}

/** The namespace prefix of a part's root element ("x:" in <x:worksheet>), so that tags can be found as plain strings. */
function prefixOf(xml: string, root: string): string {
  const m = new RegExp(`<([\\w.-]+:)?${root}[\\s>/]`).exec(xml.slice(0, 4096));
  if (!m) throw corrupt(`no_${root}`);
  return m[1] ?? '';
}

/** Remove comments (linear: each one is closed or the part is corrupt). */
function withoutComments(s: string): string {
  if (!s.includes('<!--')) return s;
  let out = '';
  let at = 0;
  for (let i = s.indexOf('<!--'); i >= 0; i = s.indexOf('<!--', at)) {
    const end = s.indexOf('-->', i + 4);
    if (end < 0) throw corrupt('unclosed_comment');
    out += s.slice(at, i);
    at = end + 3;
  }
  return out + s.slice(at);
}

/** The content of the first element of that local name ('' when there is none or it is empty). */
function inside(xml: string, name: string): string {
  const m = new RegExp(`<([\\w.-]+:)?${name}(?:\\s[^>]*?)?(/?)>`).exec(xml);
  if (!m || m[2]) return '';
  const from = m.index + m[0].length;
  const end = xml.indexOf(`</${m[1] ?? ''}${name}>`, from);
  if (end < 0) throw corrupt(`unclosed_${name}`);
  return xml.slice(from, end);
}

/** All attributes of a start tag's attribute text, values decoded. */
function attributes(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of s.matchAll(/([^\s=]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) out[m[1]!] = xmlText(m[2] ?? m[3] ?? '');
  return out;
}

const startTagRegex = new Map<string, RegExp>();
/** Every start tag of the given local names ("a|b"), with its attributes, in document order. */
function eachStartTag(xml: string, names: string, cb: (name: string, attrs: Record<string, string>) => void): void {
  let re = startTagRegex.get(names);
  if (!re) {
    // Attribute values may hold ">", so the tag is matched attribute by attribute.
    re = new RegExp(`<(?:[\\w.-]+:)?(${names})((?:\\s+[^\\s=/>]+\\s*=\\s*(?:"[^"]*"|'[^']*'))*)\\s*/?>`, 'g');
    startTagRegex.set(names, re);
  }
  for (const m of withoutComments(xml).matchAll(re)) cb(m[1]!, attributes(m[2]!));
}

/** The r, s and t attributes of a cell or row start tag (the only ones read). */
const CELL_ATTR = /\s(r|s|t)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;
function cellAttributes(s: string | undefined): { r?: string; s?: string; t?: string } {
  const out: { r?: string; s?: string; t?: string } = {};
  if (!s) return out;
  CELL_ATTR.lastIndex = 0;
  for (let m = CELL_ATTR.exec(s); m; m = CELL_ATTR.exec(s)) {
    const v = m[2] ?? m[3] ?? '';
    out[m[1] as 'r' | 's' | 't'] = v.includes('&') ? xmlText(v) : v;
  }
  return out;
}

interface CellTags {
  start: RegExp;
  t: RegExp;
  v: RegExp;
  f: RegExp;
  rph: RegExp;
}
const cellTags = new Map<string, CellTags>();
/** The tag patterns for a namespace prefix (a handful at most: the cache is reset if a file brings many). */
function tags(p: string): CellTags {
  let r = cellTags.get(p);
  if (!r) {
    if (cellTags.size > 8) cellTags.clear();
    const q = p.replace(/\./g, '\\.');
    r = {
      // <c …>, <c …/>, <row …>, <row …/>: the attribute text lazily up to the first ">" (cells' attributes hold none)
      start: new RegExp(`<${q}(c|row)(\\s[^>]*?)?(/?)>`, 'g'),
      t: new RegExp(`<${q}t(?:\\s[^>]*?)?(?:/>|>([\\s\\S]*?)</${q}t>)`, 'g'),
      v: new RegExp(`<${q}v(?:\\s[^>]*?)?(?:/>|>([\\s\\S]*?)</${q}v>)`),
      f: new RegExp(`<${q}f[\\s/>]`),
      rph: new RegExp(`<${q}rPh[\\s>][\\s\\S]*?</${q}rPh>`, 'g'),
    };
    cellTags.set(p, r);
  }
  return r;
}

/** The text of a string item (<si> or <is>): its <t>, or its runs' <t> joined; phonetic runs left out; escapes decoded. */
function stringItem(body: string, p: string): string {
  const re = tags(p);
  const clean = body.includes('rPh') ? body.replace(re.rph, '') : body;
  let s = '';
  re.t.lastIndex = 0;
  for (let m = re.t.exec(clean); m; m = re.t.exec(clean)) if (m[1]) s += unescapeText(xmlText(m[1]));
  return xmlSafeText(s);
}

export function scanSharedStrings(xml: string): string[] {
  const p = prefixOf(xml, 'sst');
  const src = withoutComments(xml);
  const open = `<${p}si`;
  const close = `</${p}si>`;
  const out: string[] = [];
  for (let i = src.indexOf(open); i >= 0; i = src.indexOf(open, i)) {
    const gt = src.indexOf('>', i);
    if (gt < 0) throw corrupt('bad_shared_strings');
    const after = src[i + open.length]!;
    if (!/[\s/>]/.test(after)) {
      i = gt; // another element whose name starts with "si"
      continue;
    }
    if (src[gt - 1] === '/') {
      out.push('');
      i = gt + 1;
      continue;
    }
    const end = src.indexOf(close, gt);
    if (end < 0) throw corrupt('bad_shared_strings');
    out.push(stringItem(src.slice(gt + 1, end), p));
    i = end + close.length;
  }
  return out;
}

export interface ScannedCell {
  row: number;
  col: number;
  /** t attribute ("n" when absent). */
  t: string;
  /** s attribute (0 when absent). */
  s: number;
  formula: boolean;
  /** The <v> text, decoded; undefined without a <v>. */
  v: string | undefined;
  /** The inline string of t="inlineStr". */
  inline: string | undefined;
}

/** Every cell with content of a worksheet's sheetData, in document order. Rows over maxRows are refused. */
export function scanCells(
  xml: string,
  maxRows: number,
  refuseRows: (rows: number) => Error,
  onCell: (c: ScannedCell) => void,
): void {
  const p = prefixOf(xml, 'worksheet');
  const open = xml.indexOf(`<${p}sheetData`);
  if (open < 0) return;
  const gt = xml.indexOf('>', open);
  if (gt < 0) throw corrupt('bad_sheet');
  if (xml[gt - 1] === '/') return; // <sheetData/>
  const close = xml.indexOf(`</${p}sheetData>`, gt);
  if (close < 0) throw corrupt('bad_sheet');
  const src = withoutComments(xml.slice(gt + 1, close));
  const re = tags(p);
  const endCell = `</${p}c>`;
  let row = 0;
  let col = 0;
  // Empty cells (<c …/>, most of a package sheet) are only looked at when a later cell has no address.
  let emptyAttrs: string | undefined;
  let emptyAfter = 0;
  re.start.lastIndex = 0;
  for (let m = re.start.exec(src); m; m = re.start.exec(src)) {
    if (m[1] === 'row') {
      const a = cellAttributes(m[2]);
      row = a.r ? Number(a.r) : row + 1;
      if (!Number.isInteger(row) || row < 1) throw corrupt('bad_row');
      if (row > maxRows) throw refuseRows(row);
      col = 0;
      emptyAttrs = undefined;
      emptyAfter = 0;
      continue;
    }
    if (m[3]) {
      if (m[2] && /\sr\s*=/.test(m[2])) {
        emptyAttrs = m[2];
        emptyAfter = 0;
      } else emptyAfter++;
      continue;
    }
    const a = cellAttributes(m[2]);
    if (a.r) {
      const at = decodeAddress(a.r);
      if (!at) throw corrupt('bad_cell_address');
      if (at[0] > maxRows) throw refuseRows(at[0]);
      [row, col] = at;
    } else {
      // After empty cells: the last addressed one, plus those after it without an address.
      const last = emptyAttrs !== undefined ? decodeAddress(cellAttributes(emptyAttrs).r ?? '') : undefined;
      if (last) [row, col] = last;
      col += emptyAfter + 1;
    }
    emptyAttrs = undefined;
    emptyAfter = 0;
    const end = src.indexOf(endCell, re.start.lastIndex);
    if (end < 0) throw corrupt('bad_cell');
    const body = src.slice(re.start.lastIndex, end);
    re.start.lastIndex = end + endCell.length;
    const t = a.t ?? 'n';
    let inline: string | undefined;
    if (t === 'inlineStr') {
      const is = body.indexOf(`<${p}is`);
      inline = is < 0 ? undefined : stringItem(body.slice(is), p);
    }
    const v = re.v.exec(body);
    onCell({
      row,
      col,
      t,
      s: a.s ? Number(a.s) : 0,
      formula: re.f.test(body),
      v: v ? xmlText(v[1] ?? '') : undefined,
      inline,
    });
  }
}
