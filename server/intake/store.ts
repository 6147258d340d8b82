/** Queries of the intake store: packages, decisions, status, published reference data. */
import { createHash } from 'node:crypto';
import type { Template, Unit } from '../../shared/index.js';
import type { Resources } from '../../core/resources.js';
import { templateKey } from '../../shared/index.js';
import type { PackageStatus, PackageSummary } from './api.js';
import type { IntakeDb, PackagesTable } from './db.js';
import { withInsertLock } from './db.js';

export interface NewPackage {
  packageId: string;
  unit: string;
  period: string;
  template: string;
  templateVersion: number;
  revision: number;
  hash: string;
  editedOutside: boolean;
  tokenId: string;
  data: Buffer;
}

const summaryColumns = [
  'package_id',
  'unit',
  'period',
  'template',
  'template_version',
  'revision',
  'hash',
  'sha256',
  'size',
  'edited_outside',
  'received_at',
] as const;
type SummaryRow = Pick<PackagesTable, (typeof summaryColumns)[number]>;

function toSummary(r: SummaryRow): PackageSummary {
  return {
    packageId: r.package_id,
    unit: r.unit,
    period: r.period,
    template: r.template,
    templateVersion: Number(r.template_version),
    revision: Number(r.revision),
    hash: r.hash,
    sha256: r.sha256,
    size: Number(r.size),
    editedOutside: Number(r.edited_outside) === 1,
    receivedAt: r.received_at,
  };
}

export const sha256Hex = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

/**
 * Store a package once. Idempotent by package id through the unique constraint (INSERT … ON
 * CONFLICT DO NOTHING), so concurrent posts of one package leave exactly one record.
 */
export async function storePackage(db: IntakeDb, p: NewPackage): Promise<{ stored: boolean; summary: PackageSummary }> {
  return withInsertLock(db, async (trx) => {
    const receivedAt = new Date().toISOString();
    const inserted = await trx
      .insertInto('packages')
      .values({
        package_id: p.packageId,
        unit: p.unit,
        period: p.period,
        template: p.template,
        template_version: p.templateVersion,
        revision: p.revision,
        hash: p.hash,
        sha256: sha256Hex(p.data),
        size: p.data.length,
        edited_outside: p.editedOutside ? 1 : 0,
        received_at: receivedAt,
        token_id: p.tokenId,
        data: p.data,
      })
      .onConflict((oc) => oc.column('package_id').doNothing())
      .returning(summaryColumns)
      .executeTakeFirst();
    if (inserted) return { stored: true, summary: toSummary(inserted) };
    const existing = await trx
      .selectFrom('packages')
      .select(summaryColumns)
      .where('package_id', '=', p.packageId)
      .executeTakeFirstOrThrow();
    return { stored: false, summary: toSummary(existing) };
  });
}

/** A stored package with exactly these bytes (a plain retry), found without reading the workbook. */
export async function findByBytes(db: IntakeDb, sha256: string): Promise<PackageSummary | undefined> {
  const r = await db.kysely
    .selectFrom('packages')
    .select(summaryColumns)
    .where('sha256', '=', sha256)
    .orderBy('seq')
    .executeTakeFirst();
  return r && toSummary(r);
}

/** Packages that arrived after `since` (exclusive), in arrival order. */
export async function listPackages(
  db: IntakeDb,
  since: number,
  limit: number,
): Promise<{ packages: PackageSummary[]; cursor: number; more: boolean }> {
  const rows = await db.kysely
    .selectFrom('packages')
    .select(['seq', ...summaryColumns])
    .where('seq', '>', since)
    .orderBy('seq')
    .limit(limit + 1)
    .execute();
  const more = rows.length > limit;
  const page = rows.slice(0, limit);
  return { packages: page.map(toSummary), cursor: page.length ? Number(page[page.length - 1]!.seq) : since, more };
}

export async function getPackageBytes(
  db: IntakeDb,
  packageId: string,
): Promise<{ summary: PackageSummary; data: Buffer } | undefined> {
  const r = await db.kysely
    .selectFrom('packages')
    .select([...summaryColumns, 'data'])
    .where('package_id', '=', packageId)
    .executeTakeFirst();
  return r && { summary: toSummary(r), data: Buffer.from(r.data) };
}

export async function getPackageSummary(db: IntakeDb, packageId: string): Promise<PackageSummary | undefined> {
  const r = await db.kysely
    .selectFrom('packages')
    .select(summaryColumns)
    .where('package_id', '=', packageId)
    .executeTakeFirst();
  return r && toSummary(r);
}

export async function recordDecision(
  db: IntakeDb,
  d: { packageId: string; state: 'accepted' | 'returned' | 'refused' | 'received'; reason: string | null; tokenId: string },
): Promise<{ decidedAt: string }> {
  const decidedAt = new Date().toISOString();
  if (d.state === 'received') {
    // The city imported a package it had refused: the refusal goes, a review decision never does.
    await db.kysely.deleteFrom('decisions').where('package_id', '=', d.packageId).where('state', '=', 'refused').execute();
    return { decidedAt };
  }
  const state = d.state;
  await db.kysely
    .insertInto('decisions')
    .values({ package_id: d.packageId, state, reason: d.reason, decided_at: decidedAt, token_id: d.tokenId })
    .onConflict((oc) =>
      oc
        .column('package_id')
        .doUpdateSet({ state, reason: d.reason, decided_at: decidedAt, token_id: d.tokenId }),
    )
    .execute();
  return { decidedAt };
}

/** The state of a unit's packages; ids the unit does not have on the server are `unknown`. */
export async function unitStatus(
  db: IntakeDb,
  unit: string,
  packageIds: string[] | undefined,
  latest = 200,
): Promise<PackageStatus[]> {
  let q = db.kysely
    .selectFrom('packages as p')
    .leftJoin('decisions as d', 'd.package_id', 'p.package_id')
    .select(['p.package_id', 'p.received_at', 'd.state', 'd.reason', 'd.decided_at'])
    .where('p.unit', '=', unit);
  q = packageIds ? q.where('p.package_id', 'in', packageIds) : q.orderBy('p.seq', 'desc').limit(latest);
  const rows = packageIds?.length === 0 ? [] : await q.execute();
  const found = new Map(
    rows.map((r): [string, PackageStatus] => [
      r.package_id,
      {
        packageId: r.package_id,
        state: r.state ?? 'received',
        receivedAt: r.received_at,
        decidedAt: r.decided_at,
        reason: r.reason,
      },
    ]),
  );
  if (!packageIds) return [...found.values()];
  return packageIds.map(
    (id) => found.get(id) ?? { packageId: id, state: 'unknown', receivedAt: null, decidedAt: null, reason: null },
  );
}

// ---- published reference data ----------------------------------------------------------------

export interface PublishedTemplate {
  id: string;
  version: number;
  publishedAt: string;
  template: Template;
}
export interface PublishedUnits {
  version: string;
  publishedAt: string;
  units: Unit[];
}

/** Publish a template version. Same content again is a no-op; other content under a published version is refused (false). */
export async function publishTemplate(
  db: IntakeDb,
  t: Template,
  opts: { onlyIfAbsent?: boolean } = {},
): Promise<'published' | 'unchanged' | 'conflict'> {
  const name = `template:${templateKey(t)}`;
  const content = JSON.stringify(t);
  const inserted = await db.kysely
    .insertInto('reference')
    .values({ name, kind: 'template', version: String(t.version), content, published_at: new Date().toISOString() })
    .onConflict((oc) => oc.column('name').doNothing())
    .executeTakeFirst();
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0) return 'published';
  if (opts.onlyIfAbsent) return 'unchanged';
  const existing = await db.kysely
    .selectFrom('reference')
    .select('content')
    .where('name', '=', name)
    .executeTakeFirstOrThrow();
  return existing.content === content ? 'unchanged' : 'conflict';
}

/** Replace the unit list (or seed it with `onlyIfAbsent`). */
export async function publishUnits(
  db: IntakeDb,
  list: { version: string; units: Unit[] },
  opts: { onlyIfAbsent?: boolean } = {},
): Promise<void> {
  const row = {
    name: 'units',
    kind: 'units' as const,
    version: list.version,
    content: JSON.stringify(list.units),
    published_at: new Date().toISOString(),
  };
  await db.kysely
    .insertInto('reference')
    .values(row)
    .onConflict((oc) =>
      opts.onlyIfAbsent
        ? oc.column('name').doNothing()
        : oc.column('name').doUpdateSet({ version: row.version, content: row.content, published_at: row.published_at }),
    )
    .execute();
}

/** Publish the templates and unit list the app ships, where nothing is published yet. */
export async function seedReference(db: IntakeDb, resources: Resources): Promise<void> {
  for (const t of resources.templates.values()) await publishTemplate(db, t, { onlyIfAbsent: true });
  await publishUnits(db, resources.shippedUnits, { onlyIfAbsent: true });
}

export async function readReference(
  db: IntakeDb,
): Promise<{ version: string; templates: PublishedTemplate[]; units: PublishedUnits | undefined }> {
  const rows = await db.kysely.selectFrom('reference').selectAll().orderBy('name').execute();
  const templates: PublishedTemplate[] = [];
  let units: PublishedUnits | undefined;
  for (const r of rows) {
    if (r.kind === 'template') {
      const t = JSON.parse(r.content) as Template;
      templates.push({ id: t.id, version: t.version, publishedAt: r.published_at, template: t });
    } else if (r.kind === 'units')
      units = { version: r.version, publishedAt: r.published_at, units: JSON.parse(r.content) as Unit[] };
  }
  const version = createHash('sha256')
    .update(rows.map((r) => `${r.name}@${r.version}`).join('\n'))
    .digest('hex')
    .slice(0, 16);
  return { version, templates, units };
}
