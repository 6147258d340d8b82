/**
 * Hostile and broken files a city clerk may receive, generated at test time (tests/helpers/hostile.ts)
 * and written to real files: each is refused by readPackage with the right code and a Vietnamese
 * reason that says what to do, without expanding what it hides (the process's peak memory barely moves).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, describe, expect, it } from 'vitest';
import { AppError } from '../../shared/index.js';
import { readPackage, writePackage } from '../../core/xlsx/index.js';
import { LIMITS, inspectZip } from '../../core/xlsx/guard.js';
import { loadTemplate, loadUnit, meta, sampleReturn, templates } from '../fixtures/xlsx/sample.js';
import { hostileCorpus, partsOf, repeatedEntry, rezip, text, writeCorpus } from '../helpers/hostile.js';

const t = loadTemplate();
const unit = loadUnit('11948');
const dir = mkdtempSync(join(tmpdir(), 'xlsx-guard-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const pkg = await writePackage({ template: t, ret: sampleReturn(), unit, meta });
const v2 = await writePackage({
  template: { ...t, version: 2 },
  ret: { ...sampleReturn(), templateVersion: 2 },
  unit,
  meta,
});
const plainWb = new ExcelJS.Workbook();
plainWb.addWorksheet('Sheet1').getCell('A1').value = 'Báo cáo quý II';
const plain = Buffer.from(await plainWb.xlsx.writeBuffer());
const corpus = writeCorpus(dir, hostileCorpus(pkg, v2, plain));

const MB = 1024 * 1024;
const peak = () => process.resourceUsage().maxRSS * 1024;
const VIETNAMESE = /[àáạảãâầấậẩẫăằắặẳẵèéẹẻẽêềếệểễìíịỉĩòóọỏõôồốộổỗơờớợởỡùúụủũưừứựửữỳýỵỷỹđ]/i;

async function refusal(bytes: Uint8Array): Promise<{ error: AppError; ms: number }> {
  const start = performance.now();
  const e = await readPackage(bytes, templates(t)).then(
    () => undefined,
    (x: unknown) => x,
  );
  const ms = performance.now() - start;
  expect(e, 'the file must be refused').toBeInstanceOf(AppError);
  return { error: e as AppError, ms };
}

describe('hostile packages are refused before they can hurt', () => {
  // Generating the corpus is done above; from here on, reading must not raise the peak memory much.
  global.gc?.();
  const before = peak();

  it.each(corpus)('$name → $code', async (c) => {
    const { error, ms } = await refusal(readFileSync(c.file));
    expect(error.code).toBe(c.code);
    if (c.reason) expect((error.details as { reason?: string }).reason).toBe(c.reason);
    // A Vietnamese sentence that says what to do, never a stack trace.
    expect(error.message).toMatch(/Hãy/);
    expect(error.message).toMatch(VIETNAMESE);
    expect(error.message).not.toMatch(/\bat \w+ \(|Error:|node_modules/);
    const grown = (peak() - before) / MB;
    console.log(
      `${c.name}: ${error.code}${c.reason ? ` (${c.reason})` : ''} in ${ms.toFixed(1)} ms; peak memory +${grown.toFixed(1)} MB`,
    );
    // The bombs hide 60 MB to 1 GB, the million-row sheet 33 MB of XML: none of it may be expanded.
    expect(grown).toBeLessThan(48);
  });

  it('a real package still reads after all that', async () => {
    const back = await readPackage(pkg, templates(t));
    expect(back.identity.unit).toBe('11948');
    expect(back.editedOutside).toBe(false);
  });
});

describe('inspectZip', () => {
  it('lists the entries of a package from its central directory, with their declared sizes', () => {
    const entries = inspectZip(pkg);
    const names = entries.map((e) => e.name);
    expect(names).toEqual(
      expect.arrayContaining([
        '[Content_Types].xml',
        'xl/workbook.xml',
        'xl/sharedStrings.xml',
        'xl/worksheets/sheet1.xml',
      ]),
    );
    const parts = partsOf(pkg);
    for (const e of entries) {
      expect(e.size).toBe(parts[e.name]!.length);
      expect([0, 8]).toContain(e.method);
    }
  });

  it('refuses a declared total over the limit even when no part has a suspicious ratio', () => {
    // Twelve parts of 5 MB: with the ratio check out of the way, the total is what refuses them.
    const zeros = new Uint8Array(MB);
    const bytes = rezip(
      partsOf(pkg),
      Object.fromEntries(
        Array.from({ length: 12 }, (_, i) => [`xl/media/b${i}.bin`, repeatedEntry(`xl/media/b${i}.bin`, zeros, 5)]),
      ),
    );
    let e: unknown;
    try {
      inspectZip(bytes, { ...LIMITS, maxRatio: 1e9 });
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(AppError);
    expect((e as AppError).code).toBe('refused');
    expect((e as AppError).details).toEqual({ reason: 'zip_bomb' });
    expect((e as AppError).message).toMatch(/50 MB/);
  });

  it('refuses too many entries', () => {
    const many = Object.fromEntries(Array.from({ length: LIMITS.maxEntries + 1 }, (_, i) => [`xl/x${i}.xml`, '<x/>']));
    let e: unknown;
    try {
      inspectZip(rezip(partsOf(pkg), many));
    } catch (x) {
      e = x;
    }
    expect((e as AppError).code).toBe('refused');
    expect((e as AppError).details).toEqual({ reason: 'too_many_entries' });
  });

  it('refuses a part whose bytes do not match its crc', async () => {
    const parts = partsOf(pkg);
    const broken = rezip(parts, {
      'xl/workbook.xml': {
        ...(await import('../helpers/hostile.js')).entry('xl/workbook.xml', text(parts['xl/workbook.xml']!)),
        crc: 12345,
      },
    });
    const { error } = await refusal(broken);
    expect(error.code).toBe('corrupt_file');
    expect(error.details).toEqual({ reason: 'bad_crc' });
  });

  it('refuses a biểu sheet hidden in Excel: what a person sees is the truth', async () => {
    const parts = partsOf(pkg);
    const wb = text(parts['xl/workbook.xml']!).replace(
      /(<sheet [^>]*name="Biểu 02"[^>]*?)(\/>)/,
      '$1 state="hidden"$2',
    );
    expect(wb).toContain('state="hidden"');
    const { error } = await refusal(rezip(parts, { 'xl/workbook.xml': wb }));
    expect(error.code).toBe('refused');
    expect(error.message).toMatch(/Biểu 02.*ẩn/);
  });
});
