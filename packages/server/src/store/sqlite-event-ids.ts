import type { DatabaseSync } from 'node:sqlite';
import { inTransaction } from './sqlite-indexer.js';

// The events file keeps two things per event: `events` (seq → body, the body plain until it is packed into its block,
// then a zero-length BLOB) and `event_ids` (id → seq, WITHOUT ROWID: the id is stored once, as the key, where the
// layout before kept it in the row and again in a unique index). `event_ids` is the idempotency key of an append
// (exactly once on a retried id) and the lookup of one event by id. A canonical UUID (lower-case hex with dashes,
// what core's `uuidv7` mints) is keyed by its 16 bytes; any other id (a ULID, an upper-case UUID, a client's own form)
// by its text. A BLOB never equals a TEXT in SQLite, so two distinct ids never share a key.

/** The DDL of the events file's tables of events (`schema` as the connection names it; `rows`, the body table's name). */
export function eventsSchema(schema = 'main', rows = 'events'): string {
  return `
CREATE TABLE IF NOT EXISTS ${schema}.${rows} (seq INTEGER PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ${schema}.event_ids (id BLOB PRIMARY KEY, seq INTEGER NOT NULL) WITHOUT ROWID;
`;
}

const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The key of an event id in `event_ids`: the 16 bytes of a canonical UUID, else the id's text. */
export function eventIdKey(id: string): string | Uint8Array {
  return id.length === 36 && CANONICAL_UUID.test(id) ? Buffer.from(id.replaceAll('-', ''), 'hex') : id;
}

/** Rows copied per migration transaction. */
const MIGRATE_STEP = 20_000;

/**
 * Moves an events file of the layout before (`events (seq, id, ts, doc)` with a unique index on `id`) to this one,
 * before the store uses it (nothing else writes the file meanwhile). Rows are copied by `seq` in steps, each into
 * `events_next` and `event_ids` in one transaction; the next step starts after the highest `seq` of `events_next`, so
 * a kill resumes where it stopped. The last transaction drops the old table (with its id index) and renames the new
 * one: a kill at any moment leaves the old table whole (beside a partial copy) or the new one. Rows are copied rather
 * than their columns dropped in place: a row shrunk in place leaves its page as full as it was. Returns the rows
 * copied (0 when the file has this layout).
 */
export function migrateEventRows(db: DatabaseSync): number {
  const columns = (db.prepare("SELECT name FROM pragma_table_info('events')").all() as { name: string }[]).map(
    (row) => row.name,
  );
  if (!columns.includes('id')) return 0;
  db.exec(eventsSchema('main', 'events_next'));
  const copiedTo = db.prepare('SELECT COALESCE(MAX(seq), 0) AS seq FROM events_next');
  const read = db.prepare('SELECT seq, id, doc FROM events WHERE seq > ? ORDER BY seq LIMIT ?');
  const insertRow = db.prepare('INSERT INTO events_next (seq, doc) VALUES (?, ?)');
  const insertId = db.prepare('INSERT INTO event_ids (id, seq) VALUES (?, ?) ON CONFLICT(id) DO NOTHING');
  let copied = 0;
  for (;;) {
    const from = Number((copiedTo.get() as { seq: number }).seq);
    const rows = read.all(from, MIGRATE_STEP) as { seq: number; id: string; doc: string | Uint8Array }[];
    if (rows.length === 0) break;
    inTransaction(db, () => {
      for (const row of rows) {
        insertRow.run(row.seq, row.doc);
        // A purge tombstone (an empty body under a made-up id, sqlite-purge.ts) keeps its seq, not its id.
        if (row.doc !== '') insertId.run(eventIdKey(row.id), row.seq);
      }
    });
    copied += rows.length;
  }
  inTransaction(db, () => {
    db.exec('DROP TABLE events; ALTER TABLE events_next RENAME TO events;');
  });
  // The old table's pages go back to the file system at once where the file is in incremental auto-vacuum mode.
  const mode = Number((db.prepare('PRAGMA auto_vacuum').get() as { auto_vacuum: number }).auto_vacuum);
  if (mode === 2) db.exec('PRAGMA incremental_vacuum');
  return copied;
}
