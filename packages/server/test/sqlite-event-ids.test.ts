import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DatabaseSync } from 'node:sqlite';
import { uuidv7, type ShoplogEvent } from '@shoplog/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteLogStore, generateTraffic, type LogStore } from '../src/index.js';
import { eventIdKey, migrateEventRows } from '../src/store/sqlite-event-ids.js';
import { eventually, txEvent } from './helpers.js';
import { answers } from './store-answers.js';

const built = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'index.js');
const dirs: string[] = [];
const stores: LogStore[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'shoplog-ids-'));
  dirs.push(dir);
  return dir;
};

const open = (dir: string): LogStore => {
  const store = createSqliteLogStore({ path: join(dir, 'events.db') });
  stores.push(store);
  return store;
};

const withId = (event: ShoplogEvent, id: string): ShoplogEvent =>
  ({ ...event, event: { ...event.event, id } }) as ShoplogEvent;
const DAY = 86_400_000;

/** The id column's text of the layout before, from a key of `event_ids` (SQL over `column`). */
const idText = (column: string): string =>
  `CASE WHEN typeof(${column}) = 'blob' THEN lower(substr(hex(${column}), 1, 8) || '-' || substr(hex(${column}), 9, 4)
   || '-' || substr(hex(${column}), 13, 4) || '-' || substr(hex(${column}), 17, 4) || '-' || substr(hex(${column}), 21))
   ELSE ${column} END`;

/**
 * Turns the events file of `dir` into the layout before this one, as that layout's store left it: `events (seq, id,
 * ts, doc)` with a unique index on `id`, packed bodies as zero-length BLOBs, a purged newest event as a row with an
 * empty body under the id `~purged~<seq>`, no `event_ids`.
 */
function asLayoutBefore(dir: string): void {
  const db = new DatabaseSync(join(dir, 'events.db'));
  db.exec(`ATTACH DATABASE '${join(dir, 'events.index.db')}' AS idx`);
  db.exec(`CREATE TABLE events_old (seq INTEGER PRIMARY KEY, id TEXT NOT NULL, ts INTEGER NOT NULL, doc TEXT NOT NULL);
    INSERT INTO events_old SELECT e.seq, COALESCE(${idText('i.id')}, '~purged~' || e.seq), COALESCE(f.ts, 0), e.doc
      FROM events e LEFT JOIN event_ids i ON i.seq = e.seq LEFT JOIN idx.facts f ON f.seq = e.seq;
    DROP TABLE events; DROP TABLE event_ids; ALTER TABLE events_old RENAME TO events;
    CREATE UNIQUE INDEX events_id ON events(id);`);
  db.close();
}

const columnsOf = (db: DatabaseSync, table: string): string[] =>
  (db.prepare(`SELECT name FROM pragma_table_info('${table}')`).all() as { name: string }[]).map((row) => row.name);

describe('event ids', () => {
  it('keys a canonical UUID by its 16 bytes and any other id by its text; a retried id of each form is a duplicate', async () => {
    const dir = tempDir();
    const store = open(dir);
    const uuid = uuidv7();
    const ids = [uuid, uuid.toUpperCase(), '01JDQ8Z3M4N5P6Q7R8S9T0V1W2', 'order-42:attempt-1', `${uuid} `];
    const events = ids.map((id, i) => withId(txEvent({ message: `form ${i}` }), id));
    expect(await store.appendBatch(events)).toEqual(ids.map(() => 'created'));
    // Retried alone, in a batch of 64 (the multi-row statement) and mixed with new events: stored once.
    expect(await store.appendBatch(events)).toEqual(ids.map(() => 'duplicate'));
    const fresh = Array.from({ length: 59 }, () => txEvent({ message: 'fresh' }));
    const results = await store.appendBatch([...fresh.slice(0, 30), ...events, ...fresh.slice(30)]);
    expect(results.filter((r) => r === 'duplicate')).toHaveLength(ids.length);
    expect(results.slice(30, 30 + ids.length)).toEqual(ids.map(() => 'duplicate'));
    for (const [i, id] of ids.entries()) expect((await store.get(id))?.message).toBe(`form ${i}`);
    expect(await store.get(uuid.replace(/^./, (c) => (c === '0' ? '1' : '0')))).toBeUndefined();
    await store.close();
    stores.splice(0);
    const db = new DatabaseSync(join(dir, 'events.db'), { readOnly: true });
    const keys = db.prepare('SELECT typeof(id) AS type, length(id) AS bytes FROM event_ids ORDER BY seq LIMIT 5').all();
    expect(keys.map((row) => ({ ...row }))).toEqual([
      { type: 'blob', bytes: 16 },
      ...ids.slice(1).map((id) => ({ type: 'text', bytes: id.length })),
    ]);
    expect(db.prepare('SELECT COUNT(*) AS n, MAX(seq) AS max FROM events').get()).toEqual({ n: 64, max: 64 });
    expect(columnsOf(db, 'events')).toEqual(['seq', 'doc']);
    db.close();
  });

  it('moves a folder of the layout before at open: the same answers, ids and bodies; retried ids stay duplicates', async () => {
    const dir = tempDir();
    const store = open(dir);
    const events = [...generateTraffic({ count: 1500, days: 2, seed: 43 })];
    const expired = txEvent({ message: 'expired newest', ts: new Date(Date.now() - 40 * DAY).toISOString() });
    await store.appendBatch(events);
    await store.appendBatch([expired]);
    await store.refresh();
    // The newest event purged: its row stays as a tombstone.
    expect(await store.expire!({ transaction: Date.now() - 30 * DAY })).toBe(1);
    // Wait until the bodies are packed, as in a folder that has run a while.
    const packed = () => {
      const db = new DatabaseSync(join(dir, 'events.db'), { readOnly: true });
      const n = (db.prepare("SELECT COUNT(*) AS n FROM events WHERE typeof(doc) = 'blob'").get() as { n: number }).n;
      db.close();
      return n;
    };
    await eventually(async () => (packed() >= 1408 ? true : undefined), 60_000);
    const before = await answers(store);
    const docs = await Promise.all(events.map((e) => store.get(e.event.id)));
    await store.close();
    stores.splice(0);
    asLayoutBefore(dir);

    const reopened = open(dir);
    await reopened.refresh();
    const db = new DatabaseSync(join(dir, 'events.db'), { readOnly: true });
    expect(columnsOf(db, 'events')).toEqual(['seq', 'doc']);
    expect(db.prepare("SELECT 1 FROM sqlite_master WHERE name IN ('events_id', 'events_next')").all()).toEqual([]);
    expect(db.prepare('SELECT COUNT(*) AS n FROM event_ids').get()).toEqual({ n: 1500 });
    // Every event kept its seq and its body (the tombstone keeps the newest seq).
    expect(db.prepare('SELECT COUNT(*) AS n, MAX(seq) AS max FROM events').get()).toEqual({ n: 1501, max: 1501 });
    db.close();
    expect(await answers(reopened)).toEqual(before);
    expect(await Promise.all(events.map((e) => reopened.get(e.event.id)))).toEqual(docs);
    expect(await reopened.get(expired.event.id)).toBeUndefined();
    // Exactly once across the move: a retry of stored events is a duplicate, a new event comes after the tombstone.
    const next = txEvent({ message: 'after the move' });
    const results = await reopened.appendBatch([...events.slice(0, 100), next]);
    expect(results.filter((r) => r === 'created')).toHaveLength(1);
    await reopened.refresh();
    expect(await reopened.count()).toBe(1501);
    expect((await reopened.get(next.event.id))?.message).toBe('after the move');
  }, 180_000);

  it.skipIf(!existsSync(built))(
    'a kill -9 during the move loses no event and duplicates none; the next open resumes where it stopped',
    async () => {
      const dir = tempDir();
      const events = [...generateTraffic({ count: 120_000, days: 2, seed: 44 })];
      // The layout before, bodies plain (a folder that was never packed).
      const old = new DatabaseSync(join(dir, 'events.db'));
      old.exec(`PRAGMA auto_vacuum=INCREMENTAL; PRAGMA journal_mode=WAL;
        CREATE TABLE events (seq INTEGER PRIMARY KEY, id TEXT NOT NULL, ts INTEGER NOT NULL, doc TEXT NOT NULL);
        CREATE UNIQUE INDEX events_id ON events(id);`);
      const insert = old.prepare('INSERT INTO events (id, ts, doc) VALUES (?, ?, ?)');
      old.exec('BEGIN');
      for (const event of events) insert.run(event.event.id, Date.parse(event['@timestamp']), JSON.stringify(event));
      old.exec('COMMIT');
      old.close();
      // A real process (the built store) moves the folder and is killed midway.
      const script = join(dir, 'open.mjs');
      writeFileSync(
        script,
        `const { createSqliteLogStore } = await import(${JSON.stringify(pathToFileURL(built).href)});
        createSqliteLogStore({ path: ${JSON.stringify(join(dir, 'events.db'))} });
        setInterval(() => {}, 1000);`,
      );
      const child = spawn(process.execPath, [script], { stdio: 'ignore' });
      const exited = new Promise((resolve) => child.once('exit', resolve));
      const copied = (): number | undefined => {
        const db = new DatabaseSync(join(dir, 'events.db'), { readOnly: true });
        try {
          db.exec('PRAGMA busy_timeout=10000');
          const has = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'events_next'").get() !== undefined;
          return has ? Number((db.prepare('SELECT MAX(seq) AS n FROM events_next').get() as { n: number }).n) : 0;
        } finally {
          db.close();
        }
      };
      try {
        await eventually(async () => ((copied() ?? 0) > 0 ? true : undefined), 120_000);
        child.kill('SIGKILL');
      } finally {
        child.kill('SIGKILL');
        await exited;
      }
      const db = new DatabaseSync(join(dir, 'events.db'));
      // Killed midway: the old table whole beside part of the copy.
      const done = copied() as number;
      expect(done).toBeGreaterThan(0);
      expect(done).toBeLessThan(events.length);
      expect(columnsOf(db, 'events')).toEqual(['seq', 'id', 'ts', 'doc']);
      expect(db.prepare('SELECT COUNT(*) AS n FROM events').get()).toEqual({ n: events.length });
      // Resumed, not restarted: the next move copies only the rest.
      expect(migrateEventRows(db)).toBe(events.length - done);
      expect(columnsOf(db, 'events')).toEqual(['seq', 'doc']);
      const rows = db.prepare('SELECT e.seq, e.doc, i.id FROM events e JOIN event_ids i ON i.seq = e.seq').all() as {
        seq: number;
        doc: string;
        id: string | Uint8Array;
      }[];
      expect(rows).toHaveLength(events.length);
      expect(db.prepare('SELECT COUNT(*) AS n FROM event_ids').get()).toEqual({ n: events.length });
      // Each event once, under its seq, with its body and its id's key.
      for (const row of rows) {
        const event = events[row.seq - 1] as ShoplogEvent;
        expect(row.doc).toBe(JSON.stringify(event));
        expect(Buffer.from(row.id).equals(Buffer.from(eventIdKey(event.event.id)))).toBe(true);
      }
      db.close();
      const store = open(dir);
      const sample = events.filter((_, i) => i % 1000 === 0);
      expect(await store.appendBatch(sample)).toEqual(sample.map(() => 'duplicate'));
      expect((await store.get((events[777] as ShoplogEvent).event.id))?.event.id).toBe(events[777]?.event.id);
    },
    300_000,
  );
});
