import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { Template } from '../../shared/index.js';
import { AppError, canonicalJson, parseTemplate, templateKey } from '../../shared/index.js';

/** The city's periodic return: listed first wherever templates are listed. */
export const PRIMARY_TEMPLATE = 'BC-CX';

/** Where a template a database knows came from. */
export type TemplateSource = 'builtin' | 'published' | 'received';

export interface KnownTemplate {
  template: Template;
  source: TemplateSource;
  /** When the city published it (or the commune received it); null for a built-in one. */
  publishedAt: string | null;
  sha256: string;
}

/**
 * Every template an installation knows: the built-in ones (resources/templates) and those of its
 * database (published by the city, received by a commune), by id and version. Synchronous: the
 * database is read through better-sqlite3, so a template published by another process (the
 * command line) is seen at the next look-up. Stored rows never change (id@version is unique), so
 * a parsed template is cached for good.
 */
export interface TemplateRegistry {
  getTemplate(id: string, version: number): Template | undefined;
  /** The newest version of an id, built-in or stored. */
  latestTemplate(id: string): Template | undefined;
  /** Every known version of every id. */
  list(): KnownTemplate[];
  /** The known versions of an id, ascending. */
  versions(id: string): number[];
  /** A stored (not built-in) template with its source workbook, when the database has one. */
  stored(id: string, version: number): (KnownTemplate & { sourceBytes: Buffer | null }) | undefined;
  /** Store a template (the caller has checked that id@version is new). */
  store(t: Template, o: { source: Exclude<TemplateSource, 'builtin'>; sourceBytes?: Uint8Array | null; at: string }): KnownTemplate;
  isBuiltin(id: string, version: number): boolean;
}

/** sha256 of the canonical JSON of a template: what "the same template" means. */
export function templateSha(t: Template): string {
  return createHash('sha256').update(canonicalJson(t)).digest('hex');
}

interface Row {
  id: string;
  version: number;
  data_json: string;
  source: 'published' | 'received';
  published_at: string;
  sha256: string;
}

/**
 * `sqlite`: the database connection (its `templates` table, migration 0007_b_templates); none for a
 * command run without --db. `extra`: templates given as files (`--template`), known for this run only.
 */
export function createRegistry(builtin: Map<string, Template>, sqlite?: Database.Database, extra: Template[] = []): TemplateRegistry {
  const fixed = new Map<string, KnownTemplate>();
  for (const t of builtin.values()) fixed.set(templateKey(t), { template: t, source: 'builtin', publishedAt: null, sha256: templateSha(t) });
  const cache = new Map<string, KnownTemplate>();
  const q = sqlite
    ? {
        one: sqlite.prepare<[string, number], Row>('SELECT id, version, data_json, source, published_at, sha256 FROM templates WHERE id = ? AND version = ?'),
        all: sqlite.prepare<[], Row>('SELECT id, version, data_json, source, published_at, sha256 FROM templates ORDER BY id, version'),
        max: sqlite.prepare<[string], { v: number | null }>('SELECT max(version) AS v FROM templates WHERE id = ?'),
        versions: sqlite.prepare<[string], { version: number }>('SELECT version FROM templates WHERE id = ? ORDER BY version'),
        bytes: sqlite.prepare<[string, number], { source_bytes: Buffer | null }>('SELECT source_bytes FROM templates WHERE id = ? AND version = ?'),
        insert: sqlite.prepare(
          'INSERT INTO templates (id, version, data_json, source_bytes, source, published_at, sha256) VALUES (?, ?, ?, ?, ?, ?, ?)',
        ),
      }
    : undefined;

  const fromRow = (r: Row): KnownTemplate => {
    const key = `${r.id}@${r.version}`;
    const hit = cache.get(key);
    if (hit) return hit;
    const k: KnownTemplate = { template: parseTemplate(JSON.parse(r.data_json)), source: r.source, publishedAt: r.published_at, sha256: r.sha256 };
    cache.set(key, k);
    return k;
  };
  const extras = new Map<string, KnownTemplate>();
  for (const t of extra) extras.set(templateKey(t), { template: t, source: 'published', publishedAt: null, sha256: templateSha(t) });

  function known(id: string, version: number): KnownTemplate | undefined {
    const key = templateKey({ id, version });
    const f = extras.get(key) ?? fixed.get(key) ?? cache.get(key);
    if (f) return f;
    const r = q?.one.get(id, version);
    return r ? fromRow(r) : undefined;
  }
  function versions(id: string): number[] {
    const out = new Set<number>();
    for (const k of [...fixed.values(), ...extras.values()]) if (k.template.id === id) out.add(k.template.version);
    for (const r of q?.versions.all(id) ?? []) out.add(r.version);
    return [...out].sort((a, b) => a - b);
  }
  return {
    getTemplate: (id, version) => known(id, version)?.template,
    latestTemplate(id) {
      const v = versions(id).at(-1);
      return v === undefined ? undefined : known(id, v)?.template;
    },
    versions,
    list() {
      const out = new Map<string, KnownTemplate>(fixed);
      for (const r of q?.all.all() ?? []) out.set(`${r.id}@${r.version}`, fromRow(r));
      for (const [k, v] of extras) out.set(k, v);
      return [...out.values()];
    },
    stored(id, version) {
      const r = q?.one.get(id, version);
      if (!r) return undefined;
      return { ...fromRow(r), sourceBytes: q!.bytes.get(id, version)?.source_bytes ?? null };
    },
    store(t, o) {
      if (!q) throw new Error('no database to store the template in');
      const data = canonicalJson(t);
      const sha256 = createHash('sha256').update(data).digest('hex');
      try {
        q.insert.run(t.id, t.version, data, o.sourceBytes ? Buffer.from(o.sourceBytes) : null, o.source, o.at, sha256);
      } catch (e) {
        // Another process stored the same id@version between the check and this write.
        if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY')
          throw new AppError(
            'refused',
            `Mẫu ${t.id} phiên bản ${t.version} vừa được lưu từ một cửa sổ hoặc lệnh khác, nên chưa lưu lần này. Hãy xem lại danh sách Mẫu báo cáo rồi thử lại.`,
            undefined,
            { cause: e },
          );
        throw e;
      }
      const k: KnownTemplate = { template: t, source: o.source, publishedAt: o.at, sha256 };
      cache.set(templateKey(t), k);
      return k;
    },
    isBuiltin: (id, version) => fixed.has(templateKey({ id, version })),
  };
}
