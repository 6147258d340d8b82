/**
 * What the requests domain (issue 9) needs from the core: the database, the templates, the unit
 * list, the clock, the write queue, and the city's completeness and consolidation to narrow to a
 * request. Built once in core/handlers.ts (createCore).
 */
import type Database from 'better-sqlite3';
import type { Kysely } from 'kysely';
import type { Lang, Role, Unit } from '../../shared/index.js';
import type { City } from '../city/handlers.js';
import type { DB } from '../db.js';
import type { Resources } from '../resources.js';
import type { TemplateRegistry } from '../templates/registry.js';

export interface RequestDeps {
  db: Kysely<DB>;
  sqlite: Database.Database;
  resources: Resources;
  registry: TemplateRegistry;
  appVersion: string;
  now(): Date;
  /** Today in Vietnam, ISO. */
  today(): string;
  settings(): Promise<{ role: Role | null; unitCode: string | null; lang: Lang; firstPeriod: string | null }>;
  /** The current unit list. */
  unitList(): Promise<{ version: string; units: Unit[] }>;
  findUnit(code: string): Promise<Unit | undefined>;
  /** Writes run one at a time (the core's queue). */
  serial<T>(fn: () => Promise<T>): Promise<T>;
  /** The city role's completeness and consolidation (narrowed to a request by the requests domain). */
  city: City;
  /** Wake the delivery loop (a new edition or reminder to push; a commune's pull). */
  kickDelivery(): void;
}
