/**
 * The `requests` table (0010_i_requests): every edition of every request, verbatim as signed.
 * Shared by the city side (issuing) and the commune side (receiving).
 */
import type Database from 'better-sqlite3';
import type { RequestEdition } from '../../shared/index.js';
import { RequestEditionSchema } from '../../shared/index.js';

interface Row {
  id: string;
  edition: number;
  data_json: string;
  signed: Buffer;
  source: 'issued' | 'received';
  stored_at: string;
  seen_at: string | null;
}

export interface StoredEdition {
  edition: RequestEdition;
  /** The signed file as issued or received. */
  signed: Buffer;
  source: 'issued' | 'received';
  storedAt: string;
  seenAt: string | null;
}

const parse = (r: Row): StoredEdition => ({
  edition: RequestEditionSchema.parse(JSON.parse(r.data_json)),
  signed: r.signed,
  source: r.source,
  storedAt: r.stored_at,
  seenAt: r.seen_at,
});

export function requestStore(sqlite: Database.Database) {
  const insert = sqlite.prepare(
    `INSERT INTO requests (id, edition, template, template_version, period, state, due, due_wording, department, data_json, signed, source, stored_at)
     VALUES (@id, @edition, @template, @template_version, @period, @state, @due, @due_wording, @department, @data_json, @signed, @source, @stored_at)`,
  );
  const editionsOf = sqlite.prepare<[string], Row>('SELECT * FROM requests WHERE id = ? ORDER BY edition');
  const latestOf = sqlite.prepare<[string], Row>('SELECT * FROM requests WHERE id = ? ORDER BY edition DESC LIMIT 1');
  const latestAll = sqlite.prepare<[], Row>(
    `SELECT r.* FROM requests r JOIN (SELECT id, max(edition) AS e FROM requests GROUP BY id) m ON m.id = r.id AND m.e = r.edition
     ORDER BY r.due, r.id`,
  );
  const forReturn = sqlite.prepare<[string, string], Row>(
    `SELECT r.* FROM requests r JOIN (SELECT id, max(edition) AS e FROM requests GROUP BY id) m ON m.id = r.id AND m.e = r.edition
     WHERE r.template = ? AND r.period = ? ORDER BY r.state = 'open' DESC, r.stored_at DESC`,
  );
  const markSeen = sqlite.prepare('UPDATE requests SET seen_at = ? WHERE id = ? AND edition = ? AND seen_at IS NULL');

  return {
    /** Store one edition (throws on a duplicate id+edition: the caller checks first). */
    add(e: RequestEdition, signed: Buffer, source: 'issued' | 'received', at: string): void {
      insert.run({
        id: e.id,
        edition: e.edition,
        template: e.template,
        template_version: e.templateVersion,
        period: e.period,
        state: e.state,
        due: e.due,
        due_wording: e.dueWording,
        department: e.department,
        data_json: JSON.stringify(e),
        signed,
        source,
        stored_at: at,
      });
    },
    /** Every edition of a request, oldest first. */
    editions(id: string): StoredEdition[] {
      return editionsOf.all(id).map(parse);
    },
    /** The latest edition of a request, or null. */
    latest(id: string): StoredEdition | null {
      const r = latestOf.get(id);
      return r ? parse(r) : null;
    },
    /** The latest edition of every request, by deadline. */
    all(): StoredEdition[] {
      return latestAll.all().map(parse);
    },
    /**
     * The request a return (template, period) answers, by its latest edition: an open one first.
     * Units are not checked here: on a commune only requests addressed to it are stored.
     */
    forReturn(template: string, period: string): StoredEdition | null {
      const r = forReturn.get(template, period);
      return r ? parse(r) : null;
    },
    markSeen(id: string, edition: number, at: string): void {
      markSeen.run(at, id, edition);
    },
  };
}

export type RequestStore = ReturnType<typeof requestStore>;
