import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DatabaseSync } from 'node:sqlite';
import type { ShoplogEvent } from '@shoplog/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteLogStore, generateTraffic, type LogStore } from '../src/index.js';
import { CODED_COLUMNS, FACT_COLUMNS, INDEX_VERSION, valueOf } from '../src/store/sqlite-facts.js';
import { eventually, txEvent } from './helpers.js';
import { answers } from './store-answers.js';

const built = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'index.js');
const dirs: string[] = [];
const stores: LogStore[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const open = (dir: string, indexBatchSize?: number): LogStore => {
  const store = createSqliteLogStore({ path: join(dir, 'events.db'), ...(indexBatchSize ? { indexBatchSize } : {}) });
  stores.push(store);
  return store;
};

const withService = (event: ShoplogEvent, name: string): ShoplogEvent => ({ ...event, service: { name } });

/** A folder of `count` generated events (and a few hostile values), indexed by this layout, closed. */
async function folderOf(count: number): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'shoplog-codes-'));
  dirs.push(dir);
  const store = createSqliteLogStore({ path: join(dir, 'events.db') });
  await store.appendBatch([
    ...generateTraffic({ count, days: 2, seed: 41 }),
    withService(txEvent({ message: 'quote in service' }), 'it\'s "odd"'),
    withService(txEvent({ message: 'unicode service' }), 'café-☕'),
  ]);
  await store.refresh();
  await store.close();
  return dir;
}

/**
 * Turns the index files of `dir` into the layout of version 6 (today's before the codes): the keyword columns as
 * text, no dictionary, its indexes over the text, both parts marked version 6 — the rows the version-6 indexer wrote.
 */
function asVersion6(dir: string): void {
  const index = new DatabaseSync(join(dir, 'events.index.db'));
  const types = new Map(
    (index.prepare("SELECT name, type FROM pragma_table_info('facts')").all() as { name: string; type: string }[]).map(
      (row) => [row.name, row.type],
    ),
  );
  const ddl = FACT_COLUMNS.map((c) => `${c} ${CODED_COLUMNS.has(c) ? 'TEXT' : types.get(c)}`).join(', ');
  index.exec(`CREATE TABLE facts_v6 (seq INTEGER PRIMARY KEY, ts INTEGER NOT NULL, ${ddl});
    INSERT INTO facts_v6 SELECT f.seq, f.ts, ${FACT_COLUMNS.map((c) => valueOf(c, `f.${c}`)).join(', ')} FROM facts f;
    DROP TABLE facts; DROP TABLE dict; ALTER TABLE facts_v6 RENAME TO facts;
    CREATE INDEX facts_ts_cover ON facts(ts, level, kind, service, route, user_id);
    CREATE INDEX facts_kind_sort ON facts(kind, ts, amount, response_ms, fraud_score);
    CREATE INDEX facts_level_ts ON facts(level, ts);
    CREATE INDEX facts_route ON facts(route);
    CREATE INDEX facts_user ON facts(user_id);
    CREATE INDEX facts_product ON facts(product);
    UPDATE state SET value = 6 WHERE key = 'version';`);
  index.close();
  const timeline = new DatabaseSync(join(dir, 'events.timeline.db'));
  timeline.exec("UPDATE timeline_state SET value = 6 WHERE key = 'version'");
  timeline.close();
}

const mark = (dir: string, file: string, table: string): { indexed: number; version: number } => {
  const db = new DatabaseSync(join(dir, file), { readOnly: true });
  try {
    // The process rebuilding the index may hold a lock for a moment (its schema change, a checkpoint).
    db.exec('PRAGMA busy_timeout=10000');
    const get = (key: string) =>
      Number((db.prepare(`SELECT value FROM ${table} WHERE key = ?`).get(key) as { value: number } | undefined)?.value);
    return { indexed: get('indexed'), version: get('version') };
  } finally {
    db.close();
  }
};

describe('facts stored as dictionary codes', () => {
  it('codes each keyword column apart, keeps the ids of people and sessions as text', async () => {
    const dir = await folderOf(300);
    const db = new DatabaseSync(join(dir, 'events.index.db'), { readOnly: true });
    const types = db
      .prepare('SELECT DISTINCT typeof(kind) AS kind, typeof(service) AS service, typeof(user_id) AS user FROM facts')
      .all()
      .map((row) => ({ ...row }));
    expect(types).toContainEqual({ kind: 'integer', service: 'integer', user: 'text' });
    expect(types.every((row) => row.kind === 'integer')).toBe(true);
    // Codes count from 0 in each column; each value is in the dictionary once.
    expect(db.prepare("SELECT MIN(code) AS min, COUNT(*) AS n FROM dict WHERE field = 'kind'").get()).toEqual({
      min: 0,
      n: 5,
    });
    expect(db.prepare("SELECT COUNT(*) AS n FROM dict WHERE field IN ('user_id', 'session_id')").get()).toEqual({
      n: 0,
    });
    db.close();
  });

  it('rebuilds the facts of a folder written by layout 6 and answers every query as before', async () => {
    const dir = await folderOf(1500);
    const before = await answers(open(dir));
    await stores.pop()?.close();
    const timeline = mark(dir, 'events.timeline.db', 'timeline_state');
    asVersion6(dir);
    const store = open(dir);
    await store.refresh();
    expect(mark(dir, 'events.index.db', 'state')).toEqual({ indexed: 1502, version: INDEX_VERSION });
    // The timeline part is unchanged by this layout: upgraded in place, not indexed again.
    expect(mark(dir, 'events.timeline.db', 'timeline_state')).toEqual({ ...timeline, version: INDEX_VERSION });
    expect(await answers(store)).toEqual(before);
  }, 120_000);

  it.skipIf(!existsSync(built))(
    'a kill -9 during the rebuild loses no event; the next open resumes from its mark and answers as before',
    async () => {
      const dir = await folderOf(20_000);
      const before = await answers(open(dir));
      await stores.pop()?.close();
      asVersion6(dir);
      // A real process (the built store) rebuilds the facts in small batches and is killed midway.
      const script = join(dir, 'open.mjs');
      writeFileSync(
        script,
        `const { createSqliteLogStore } = await import(${JSON.stringify(pathToFileURL(built).href)});
        createSqliteLogStore({ path: ${JSON.stringify(join(dir, 'events.db'))}, indexBatchSize: 100 });
        setInterval(() => {}, 1000);`,
      );
      const child = spawn(process.execPath, [script], { stdio: 'ignore' });
      const exited = new Promise((resolve) => child.once('exit', resolve));
      let killedAt: number;
      try {
        killedAt = await eventually(async () => {
          const now = mark(dir, 'events.index.db', 'state');
          return now.version === INDEX_VERSION && now.indexed > 0 ? now.indexed : undefined;
        }, 120_000);
        child.kill('SIGKILL');
      } finally {
        child.kill('SIGKILL');
        await exited;
      }
      const after = mark(dir, 'events.index.db', 'state');
      expect(after.indexed).toBeGreaterThanOrEqual(killedAt);
      expect(after.indexed).toBeLessThan(20_002);
      const events = new DatabaseSync(join(dir, 'events.db'), { readOnly: true });
      expect(events.prepare('SELECT COUNT(*) AS n FROM events').get()).toEqual({ n: 20_002 });
      events.close();
      const store = open(dir);
      // Resumed, not restarted: the mark never goes back below where the killed process left it.
      expect(mark(dir, 'events.index.db', 'state').indexed).toBeGreaterThanOrEqual(after.indexed);
      await store.refresh();
      expect(await answers(store)).toEqual(before);
    },
    300_000,
  );
});
