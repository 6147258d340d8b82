/**
 * The hostile corpus, generated at test time (nothing big is committed): files a city clerk may
 * receive that must be refused before they can hurt. Each generator returns the file's bytes and
 * uses little memory itself (a bomb is built by repeating one small compressed block), so a test
 * can tell from the process's peak memory whether READING the file expanded it.
 *
 * A small zip writer is here rather than a library because the point is to write zips that lie:
 * declared sizes that are not the real ones.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { strFromU8, strToU8, unzipSync } from 'fflate';

export interface RawEntry {
  name: string;
  /** The bytes as stored (deflated when method is 8). */
  stored: Uint8Array;
  method: 0 | 8;
  crc: number;
  /** The uncompressed size written in the headers (a lie when it differs from the real one). */
  size: number;
}

/** An entry from its content, deflated, with its true size. */
export function entry(name: string, content: Uint8Array | string): RawEntry {
  const data = typeof content === 'string' ? strToU8(content) : content;
  return { name, stored: zlib.deflateRawSync(data), method: 8, crc: zlib.crc32(data) >>> 0, size: data.length };
}

/**
 * A deflated entry made of pieces, each repeated some times, built without ever holding the whole:
 * each piece is compressed once into non-final blocks (sync flush) and its blocks repeated; an
 * empty final block closes the stream. The crc is chained piece by piece.
 */
export function streamEntry(name: string, pieces: [content: Uint8Array | string, times: number][]): RawEntry {
  const blocks: Uint8Array[] = [];
  let crc = 0;
  let size = 0;
  for (const [content, times] of pieces) {
    const data = typeof content === 'string' ? strToU8(content) : content;
    const block = zlib.deflateRawSync(data, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
    for (let i = 0; i < times; i++) {
      blocks.push(block);
      crc = zlib.crc32(data, crc);
    }
    size += data.length * times;
  }
  blocks.push(zlib.deflateRawSync(new Uint8Array(0))); // the final empty block
  return { name, stored: Buffer.concat(blocks), method: 8, crc: crc >>> 0, size };
}

/** A deflated entry of `times` repetitions of `chunk`. */
export const repeatedEntry = (name: string, chunk: Uint8Array | string, times: number) =>
  streamEntry(name, [[chunk, times]]);

/** A zip of these entries, headers saying exactly what the entries say (sizes included). */
export function buildZip(entries: RawEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x800, 6); // UTF-8 names
    local.writeUInt16LE(e.method, 8);
    local.writeUInt32LE(e.crc, 14);
    local.writeUInt32LE(e.stored.length, 18);
    local.writeUInt32LE(e.size, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x800, 8);
    central.writeUInt16LE(e.method, 10);
    central.writeUInt32LE(e.crc, 16);
    central.writeUInt32LE(e.stored.length, 20);
    central.writeUInt32LE(e.size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, Buffer.from(e.stored.buffer, e.stored.byteOffset, e.stored.byteLength));
    centrals.push(central, name);
    offset += 30 + name.length + e.stored.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

/** The parts of a real package, to rebuild it with one part changed. */
export function partsOf(pkg: Uint8Array): Record<string, Uint8Array> {
  return unzipSync(pkg);
}

/** A package rebuilt from its parts, some replaced (string or bytes) or given as raw entries (possibly lying). */
export function rezip(
  parts: Record<string, Uint8Array>,
  changes: Record<string, string | Uint8Array | RawEntry | null> = {},
): Buffer {
  const out: RawEntry[] = [];
  for (const [name, data] of Object.entries(parts)) {
    if (name.endsWith('/')) continue;
    const c = changes[name];
    if (c === null) continue;
    if (c === undefined) out.push(entry(name, data));
    else if (typeof c === 'string' || c instanceof Uint8Array) out.push(entry(name, c));
    else out.push(c);
  }
  for (const [name, c] of Object.entries(changes))
    if (!(name in parts) && c !== null) out.push(typeof c === 'string' || c instanceof Uint8Array ? entry(name, c) : c);
  return buildZip(out);
}

export const text = (b: Uint8Array) => strFromU8(b);

const MB = 1024 * 1024;
const XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';
const SHEET_OPEN =
  '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">';

export interface HostileCase {
  name: string;
  /** What the reader must answer. */
  code: string;
  /** The guard's details.reason, when the guard refuses it. */
  reason?: string;
  bytes: Buffer;
}

/**
 * The corpus, from a real package (`pkg`) and the same package made with template version 2 (`v2`)
 * and a workbook that is not a package (`plain`).
 */
export function hostileCorpus(pkg: Buffer, v2: Buffer, plain: Buffer): HostileCase[] {
  const parts = partsOf(pkg);
  const sheet1 = 'xl/worksheets/sheet1.xml';
  const strings = text(parts['xl/sharedStrings.xml']!);
  const zeros = new Uint8Array(MB);

  // A million rows of one cell each (about 33 MB of XML), declared honestly.
  const rows = '<row><c t="n"><v>1</v></c></row>'.repeat(1000);
  const millionSheet = streamEntry(sheet1, [
    [XML_HEAD + SHEET_OPEN + '<sheetData>', 1],
    [rows, 1000],
    ['</sheetData></worksheet>', 1],
  ]);

  return [
    {
      name: 'not a zip (a text file named .xlsx)',
      code: 'corrupt_file',
      reason: 'not_zip',
      bytes: Buffer.from('Đây không phải là tệp Excel, chỉ là văn bản.\n'),
    },
    { name: 'empty file', code: 'corrupt_file', reason: 'not_zip', bytes: Buffer.alloc(0) },
    {
      name: 'truncated zip (half of a package)',
      code: 'corrupt_file',
      reason: 'no_central_directory',
      bytes: pkg.subarray(0, Math.floor(pkg.length / 2)),
    },
    {
      name: 'zip bomb by declared sizes: one part of 300 MB of zeros (about 300 KB compressed)',
      code: 'refused',
      reason: 'zip_bomb',
      bytes: rezip(parts, { 'xl/media/big.bin': repeatedEntry('xl/media/big.bin', zeros, 300) }),
    },
    {
      name: 'zip bomb by declared sizes: 12 parts of 5 MB (60 MB in all)',
      code: 'refused',
      reason: 'zip_bomb',
      bytes: rezip(
        parts,
        Object.fromEntries(
          Array.from({ length: 12 }, (_, i) => [
            `xl/media/bomb${i}.bin`,
            repeatedEntry(`xl/media/bomb${i}.bin`, zeros, 5),
          ]),
        ),
      ),
    },
    {
      name: 'zip bomb by ratio: a 15 MB part compressed 1000:1',
      code: 'refused',
      reason: 'zip_bomb',
      bytes: rezip(parts, { 'xl/media/image1.bin': repeatedEntry('xl/media/image1.bin', zeros, 15) }),
    },
    {
      name: 'zip bomb lying about its size: 1 GB of zeros declared as 2 KB',
      code: 'refused',
      reason: 'zip_bomb_lying',
      bytes: rezip(parts, {
        'xl/sharedStrings.xml': { ...repeatedEntry('xl/sharedStrings.xml', zeros, 1024), size: 2048 },
      }),
    },
    {
      name: 'billion laughs (nested entities) in the shared strings',
      code: 'refused',
      reason: 'xml_entity',
      bytes: rezip(parts, { 'xl/sharedStrings.xml': billionLaughs(strings) }),
    },
    {
      name: 'external entity (XXE) in the workbook',
      code: 'refused',
      reason: 'xml_entity',
      bytes: rezip(parts, {
        'xl/workbook.xml': text(parts['xl/workbook.xml']!).replace(
          /^(<\?xml[^>]*\?>)?/,
          '$1<!DOCTYPE workbook [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
        ),
      }),
    },
    {
      name: 'a DOCTYPE in a part the reader never parses (docProps/app.xml)',
      code: 'refused',
      reason: 'xml_entity',
      bytes: rezip(parts, {
        'docProps/app.xml': XML_HEAD + '<!DOCTYPE x [<!ENTITY a "b">]><Properties>&a;</Properties>',
      }),
    },
    {
      name: 'a million-row sheet (about 33 MB of XML, declared)',
      code: 'refused',
      reason: 'sheet_too_big',
      bytes: rezip(parts, { [sheet1]: millionSheet }),
    },
    {
      name: 'a sheet declaring a million rows in its dimension',
      code: 'refused',
      reason: 'too_many_rows',
      bytes: rezip(parts, {
        [sheet1]: text(parts[sheet1]!).replace(/<dimension ref="[^"]*"\/>/, '<dimension ref="A1:XFD1048576"/>'),
      }),
    },
    {
      name: 'a sheet of 200.000 empty rows (3 MB: small enough to be scanned, the rows are counted)',
      code: 'refused',
      reason: 'too_many_rows',
      bytes: rezip(parts, {
        [sheet1]:
          XML_HEAD +
          SHEET_OPEN +
          '<sheetData>' +
          Array.from({ length: 200_000 }, (_, i) => `<row r="${i + 1}"/>`).join('') +
          '</sheetData></worksheet>',
      }),
    },
    { name: 'a workbook without the identity of a package', code: 'not_a_package', bytes: plain },
    { name: 'a package of template version 2', code: 'wrong_template', bytes: v2 },
  ];
}

function billionLaughs(sharedStrings: string): string {
  const levels = ['<!ENTITY lol "lol">'];
  for (let i = 1; i <= 9; i++) levels.push(`<!ENTITY lol${i} "${`&lol${i === 1 ? '' : i - 1};`.repeat(10)}">`);
  const doctype = `<!DOCTYPE sst [${levels.join('')}]>`;
  return sharedStrings.replace(/^(<\?xml[^>]*\?>)?/, `$1${doctype}`).replace('<t>', '<t>&lol9;');
}

/** Write the corpus into a folder; returns the files. */
export function writeCorpus(dir: string, corpus: HostileCase[]): (HostileCase & { file: string })[] {
  return corpus.map((c, i) => {
    const file = path.join(dir, `${String(i + 1).padStart(2, '0')}.xlsx`);
    writeFileSync(file, c.bytes);
    return { ...c, file };
  });
}
