import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Papa from 'papaparse';
import { z } from 'zod';
import type { StandingSchedule } from '../shared/requests.js';
import { StandingScheduleSchema } from '../shared/requests.js';
import type { Template, Unit } from '../shared/index.js';
import { buildTemplateFromWorkbookSync } from './templates/workbook.js';
import { UnitSchema, foldText, parsePeriod, parseTemplate, templateKey } from '../shared/index.js';

/** The reference data shipped with the app: templates (by id and version) and the unit list. */
export interface Resources {
  templates: Map<string, Template>;
  getTemplate(id: string, version: number): Template | undefined;
  /** The newest version of a template id. */
  latestTemplate(id: string): Template | undefined;
  /** The unit list shipped in resources/units, which seeds a new database. */
  shippedUnits: UnitList;
  /** The city public key shipped to offices (resources/keys/city-public.pem), which an office trusts until set otherwise; null if absent. */
  cityPublicKey: string | null;
  /** The standing reports that repeat without a request (resources/requests/standing.json). */
  standing: StandingSchedule[];
}

export interface UnitList {
  version: string;
  source: string;
  units: Unit[];
}

export const SHIPPED_UNIT_LIST = 'haiphong.csv';

/**
 * Load and validate every resources/templates/*.xlsx (authoring workbooks, built here: see
 * docs/authoring.md) and *.json (template data). A broken template is a packaging bug: it throws.
 */
export function loadTemplates(templatesDir: string): Map<string, Template> {
  const out = new Map<string, Template>();
  for (const name of readdirSync(templatesDir).filter((n) => /\.(json|xlsx)$/i.test(n) && !n.startsWith('~$')).sort()) {
    const file = path.join(templatesDir, name);
    let t: Template;
    try {
      if (/\.xlsx$/i.test(name)) {
        const built = buildTemplateFromWorkbookSync(readFileSync(file));
        if (!built.template)
          throw new Error(built.problems.map((p) => `${p.sheet}${p.row ? ` row ${p.row}` : ''}${p.column ? ` column ${p.column}` : ''}: ${p.message}`).join('\n'));
        t = built.template;
      } else t = parseTemplate(JSON.parse(readFileSync(file, 'utf8')));
    } catch (e) {
      throw new Error(`Invalid template file ${file}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    const key = templateKey(t);
    if (out.has(key)) throw new Error(`Template ${key} is defined twice (${file})`);
    out.set(key, t);
  }
  return out;
}

/** The columns of a unit list that are the unit itself; every other column is one of its attributes. */
const UNIT_COLUMNS = new Set(['code', 'type', 'name', 'first_period']);

/**
 * The attribute name of a unit-list column (what a template's appliesTo.attribute names): its
 * header without accents, lower case, words joined by "_" ("Có HĐND" → co_hdnd); null for a header
 * that gives no name.
 */
export function attributeKey(header: string): string | null {
  const key = foldText(header).replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '');
  return /^[a-z][a-z0-9_]*$/.test(key) && key.length <= 60 ? key : null;
}

/** A row's attributes (non-empty cells of the other columns), or undefined when it has none. */
export function attributesOf(cells: [header: string, value: string][]): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const [h, v] of cells) {
    const key = attributeKey(h);
    const value = v.normalize('NFC').trim();
    if (key && !UNIT_COLUMNS.has(key) && value) out[key] = value;
  }
  return Object.keys(out).length ? out : undefined;
}

/** Parse a unit list CSV (code,type,name, optionally first_period and attribute columns such as co_hdnd). Throws with the line numbers of bad rows. */
export function parseUnitCsv(text: string): Unit[] {
  const parsed = Papa.parse<Record<string, string>>(text.replace(/^\uFEFF/, ''), {
    header: true,
    skipEmptyLines: 'greedy',
    transformHeader: (h) => h.trim(),
    transform: (v) => v.trim(),
  });
  const problems = parsed.errors.map((e) => `line ${(e.row ?? 0) + 2}: ${e.message}`);
  const units: Unit[] = [];
  const seen = new Set<string>();
  parsed.data.forEach((row, i) => {
    const first = row.first_period?.trim();
    const attributes = attributesOf(Object.entries(row).filter(([h]) => h !== '__parsed_extra').map(([h, v]) => [h, String(v ?? '')]));
    const r = UnitSchema.safeParse({ code: row.code, type: row.type, name: row.name, ...(first ? { firstPeriod: first } : {}), ...(attributes ? { attributes } : {}) });
    if (!r.success || !r.data.code || !r.data.type || !r.data.name) problems.push(`line ${i + 2}: needs code, type and name`);
    else if (r.data.firstPeriod && !parsePeriod(r.data.firstPeriod)) problems.push(`line ${i + 2}: first_period ${r.data.firstPeriod} is not a period (e.g. 2026-Q3)`);
    else if (seen.has(r.data.code)) problems.push(`line ${i + 2}: code ${r.data.code} repeated`);
    else {
      seen.add(r.data.code);
      units.push(r.data);
    }
  });
  if (problems.length) throw new Error(`Invalid unit list:\n${problems.join('\n')}`);
  if (!units.length) throw new Error('Invalid unit list: no units');
  return units;
}

/** "haiphong-1a2b3c4d": the file's base name and the first 8 hex digits of its sha256. */
export function unitListVersion(source: string, text: string): string {
  const base = path.basename(source).replace(/\.csv$/i, '');
  return `${base}-${createHash('sha256').update(text).digest('hex').slice(0, 8)}`;
}

export function loadUnitList(file: string): UnitList {
  const text = readFileSync(file, 'utf8');
  return { version: unitListVersion(file, text), source: path.basename(file), units: parseUnitCsv(text) };
}

/** `resourcesDir` is the folder holding templates/ and units/. */
export function loadResources(resourcesDir: string): Resources {
  const templates = loadTemplates(path.join(resourcesDir, 'templates'));
  const shippedUnits = loadUnitList(path.join(resourcesDir, 'units', SHIPPED_UNIT_LIST));
  const keyFile = path.join(resourcesDir, 'keys', 'city-public.pem');
  const cityPublicKey = existsSync(keyFile) ? readFileSync(keyFile, 'utf8') : null;
  const standingFile = path.join(resourcesDir, 'requests', 'standing.json');
  const standing = existsSync(standingFile) ? z.array(StandingScheduleSchema).parse(JSON.parse(readFileSync(standingFile, 'utf8'))) : [];
  return {
    templates,
    shippedUnits,
    cityPublicKey,
    standing,
    getTemplate: (id, version) => templates.get(templateKey({ id, version })),
    latestTemplate: (id) =>
      [...templates.values()].filter((t) => t.id === id).sort((a, b) => b.version - a.version)[0],
  };
}

/** The resources folder of this checkout (core/../resources). */
export function defaultResourcesDir(): string {
  return fileURLToPath(new URL('../resources', import.meta.url));
}
