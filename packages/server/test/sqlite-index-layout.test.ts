import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import { createSqliteLogStore, generateTraffic } from '../src/index.js';
import { INDEX_VERSION } from '../src/store/sqlite-facts.js';
import { prepareIndexDatabase, readIndexMark } from '../src/store/sqlite-indexer.js';
import { txEvent } from './helpers.js';

const names = (db: DatabaseSync): string[] =>
  (
    db.prepare("SELECT name FROM sqlite_master WHERE type IN ('table', 'index') ORDER BY name").all() as {
      name: string;
    }[]
  ).map((row) => row.name);
const version = (db: DatabaseSync, table: string): number =>
  Number((db.prepare(`SELECT value FROM ${table} WHERE key = 'version'`).get() as { value: number }).value);
const search = (store: ReturnType<typeof createSqliteLogStore>, text: string) =>
  store.search({ filter: { text }, sort: { field: '@timestamp', order: 'desc' }, page: 1, size: 50, highlight: false });

/** A data folder as the previous layout (version 5) left it: the text also in `fts` by seq, a service index. */
async function previousLayout(dir: string, untimed = false): Promise<number> {
  const path = join(dir, 'events.db');
  const store = createSqliteLogStore({ path });
  const events = [
    ...generateTraffic({ count: 300, days: 2, seed: 11 }),
    txEvent({ message: 'zebra crossing payment' }),
  ];
  await store.appendBatch(events);
  await store.refresh();
  await store.close();
  const index = new DatabaseSync(join(dir, 'events.index.db'));
  index.exec(`CREATE VIRTUAL TABLE fts USING fts5(body, content='', tokenize='unicode61 remove_diacritics 2');
    CREATE VIRTUAL TABLE fts_vocab USING fts5vocab(fts, row);
    CREATE INDEX facts_service_ts ON facts(service, ts);
    INSERT INTO fts (rowid, body) SELECT seq, 'zebra crossing payment' FROM facts;
    UPDATE state SET value = 5 WHERE key = 'version';`);
  index.close();
  const timeline = new DatabaseSync(join(dir, 'events.timeline.db'));
  timeline.exec("DROP TABLE fts_time_vocab; UPDATE timeline_state SET value = 5 WHERE key = 'version';");
  if (untimed) timeline.exec("INSERT INTO timeline_state (key, value) VALUES ('untimed', 1)");
  timeline.close();
  return events.length;
}

describe('sqlite index layout', () => {
  it('indexes the text once, keyed by time; an event without a time key is still found by its text', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shoplog-layout-'));
    const store = createSqliteLogStore({ path: join(dir, 'events.db') });
    // 2200 is past the years a time key covers (2106).
    await store.appendBatch([
      txEvent({ message: 'zebra far future', ts: '2200-01-01T00:00:00.000Z' }),
      txEvent({ message: 'zebra today' }),
    ]);
    await store.refresh();
    expect((await search(store, 'zebra')).total).toBe(2);
    expect((await search(store, 'future')).hits.map((hit) => hit.event.message)).toEqual(['zebra far future']);
    expect(await store.autocomplete('message', 'zeb', 5)).toEqual([{ text: 'zebra', field: 'message', count: 2 }]);
    await store.close();
    const index = new DatabaseSync(join(dir, 'events.index.db'), { readOnly: true });
    expect(names(index).filter((name) => name.startsWith('fts'))).toEqual([]);
    expect(names(index)).not.toContain('facts_service_ts');
    index.close();
    const timeline = new DatabaseSync(join(dir, 'events.timeline.db'), { readOnly: true });
    expect(Number((timeline.prepare('SELECT COUNT(*) AS n FROM time_keys').get() as { n: number }).n)).toBe(2);
    timeline.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('filters text with many matches by each row time key: exact beside other filters, sorts and without a range', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shoplog-layout-'));
    const store = createSqliteLogStore({ path: join(dir, 'events.db') });
    const hour = 3_600_000;
    const base = Math.floor(Date.now() / hour) * hour - 48 * hour;
    // More matches than the lookup plan takes (2 000), spread over two days and two users, several per millisecond.
    const events = Array.from({ length: 2_600 }, (_, i) =>
      txEvent({
        message: `zebra order ${i}`,
        user: i % 5 === 0 ? 'user-z' : 'user-y',
        amount: `${(i % 97) + 1}.00`,
        ts: new Date(base + Math.floor(i / 3) * 60_000).toISOString(),
      }),
    );
    await store.appendBatch(events);
    await store.refresh();
    const wanted = events.filter((_, i) => i % 5 === 0);
    const byUser = await store.search({
      filter: { text: 'zebra', userIds: ['user-z'] },
      sort: { field: '@timestamp', order: 'desc' },
      page: 1,
      size: 1_000,
      highlight: false,
    });
    expect(byUser.total).toBe(wanted.length);
    expect(new Set(byUser.hits.map((hit) => hit.id))).toEqual(new Set(wanted.map((event) => event.event.id)));
    expect(byUser.hits.every((hit) => hit.score > 0)).toBe(true);
    const range = { from: base + 10 * hour, to: base + 20 * hour };
    const inRange = events.filter(
      (event) => Date.parse(event['@timestamp']) >= range.from && Date.parse(event['@timestamp']) < range.to,
    );
    const byAmount = await store.search({
      filter: { text: 'zebra', range },
      sort: { field: 'amount', order: 'desc' },
      page: 1,
      size: 1_000,
      highlight: false,
    });
    expect(byAmount.total).toBe(inRange.length);
    expect(byAmount.hits.map((hit) => hit.id).sort()).toEqual(inRange.map((event) => event.event.id).sort());
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('upgrades the timeline of layout version 5 in place, also after an interrupted upgrade; rebuilds its facts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shoplog-layout-'));
    const n = await previousLayout(dir);
    const index = new DatabaseSync(join(dir, 'events.index.db'));
    // Its facts hold text where this layout holds codes: rebuilt from the events, the text copy and index dropped.
    prepareIndexDatabase(index, 'facts');
    expect(version(index, 'state')).toBe(INDEX_VERSION);
    expect(readIndexMark(index, 'facts')).toBe(0);
    expect(names(index).filter((name) => name.startsWith('fts') || name === 'facts_service_ts')).toEqual([]);
    index.close();
    const timeline = new DatabaseSync(join(dir, 'events.timeline.db'));
    const timelineMark = readIndexMark(timeline, 'timeline');
    // A kill during the upgrade: the vocabulary created, the version not yet written. The next open finishes it.
    timeline.exec('CREATE VIRTUAL TABLE fts_time_vocab USING fts5vocab(fts_time, row)');
    prepareIndexDatabase(timeline, 'timeline');
    expect(readIndexMark(timeline, 'timeline')).toBe(timelineMark);
    expect(version(timeline, 'timeline_state')).toBe(INDEX_VERSION);
    timeline.close();

    const store = createSqliteLogStore({ path: join(dir, 'events.db') });
    await store.refresh();
    expect((await search(store, 'zebra')).total).toBe(1);
    expect((await store.autocomplete('message', 'zeb', 5))[0]).toEqual({ text: 'zebra', field: 'message', count: 1 });
    expect(await store.count()).toBe(n);
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('rebuilds the timeline of the previous layout when it held untimed events (their text was only in fts)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shoplog-layout-'));
    const n = await previousLayout(dir, true);
    const timeline = new DatabaseSync(join(dir, 'events.timeline.db'));
    prepareIndexDatabase(timeline, 'timeline');
    expect(readIndexMark(timeline, 'timeline')).toBe(0);
    timeline.close();
    const store = createSqliteLogStore({ path: join(dir, 'events.db') });
    await store.refresh();
    expect((await search(store, 'zebra')).total).toBe(1);
    expect(await store.count()).toBe(n);
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
