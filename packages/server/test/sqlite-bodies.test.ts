import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DatabaseSync } from 'node:sqlite';
import type { ShoplogEvent } from '@shoplog/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteLogStore, generateTraffic, type LogStore } from '../src/index.js';
import { BLOCK_EVENTS, bodiesSchema, decodeBlock, encodeBlock } from '../src/store/sqlite-bodies.js';
import { eventually, txEvent } from './helpers.js';

const built = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'index.js');
const dirs: string[] = [];
const stores: LogStore[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'shoplog-bodies-'));
  dirs.push(dir);
  return dir;
};

const open = (dir: string): LogStore => {
  const store = createSqliteLogStore({ path: join(dir, 'events.db') });
  stores.push(store);
  return store;
};

const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);

/** What the events file holds, read on a connection of its own. */
function layout(dir: string): { plain: number; packed: number; blocks: number; zstd: number; blockText: string } {
  const db = new DatabaseSync(join(dir, 'events.db'), { readOnly: true });
  try {
    const counts = db
      .prepare(
        "SELECT SUM(typeof(doc) = 'text' AND doc <> '') AS plain, SUM(typeof(doc) = 'blob') AS packed FROM events",
      )
      .get() as { plain: number | null; packed: number | null };
    const has = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'event_blocks'").get() !== undefined;
    const blocks = has ? (db.prepare('SELECT data FROM event_blocks').all() as { data: Uint8Array }[]) : [];
    const blockText = blocks.map((block) => [...decodeBlock(block.data).values()].join('\n')).join('\n');
    const zstd = blocks.filter((block) => Buffer.from(block.data.subarray(0, 4)).equals(ZSTD_MAGIC)).length;
    return {
      plain: Number(counts.plain ?? 0),
      packed: Number(counts.packed ?? 0),
      blocks: blocks.length,
      zstd,
      blockText,
    };
  } finally {
    db.close();
  }
}

/** Today's layout of the events file (plain JSON bodies), written as the store before compressed blocks wrote it. */
function writeOldLayout(dir: string, events: readonly ShoplogEvent[]): void {
  const db = new DatabaseSync(join(dir, 'events.db'));
  db.exec('PRAGMA auto_vacuum=INCREMENTAL; PRAGMA journal_mode=WAL;');
  db.exec(`CREATE TABLE events (seq INTEGER PRIMARY KEY, id TEXT NOT NULL, ts INTEGER NOT NULL, doc TEXT NOT NULL);
    CREATE UNIQUE INDEX events_id ON events(id);`);
  const insert = db.prepare('INSERT INTO events (id, ts, doc) VALUES (?, ?, ?)');
  db.exec('BEGIN');
  for (const event of events) insert.run(event.event.id, Date.parse(event['@timestamp']), JSON.stringify(event));
  db.exec('COMMIT');
  db.close();
}

/** Packs the first `blocks` blocks of 64 plain bodies with raw deflate, as the previous layout (and Node 22) did. */
function packAsBefore(dir: string, blocks: number): void {
  const db = new DatabaseSync(join(dir, 'events.db'));
  db.exec(
    `${bodiesSchema()} CREATE TABLE IF NOT EXISTS maintenance_state (key TEXT PRIMARY KEY, value INTEGER NOT NULL);`,
  );
  const rows = db.prepare('SELECT seq, doc FROM events ORDER BY seq LIMIT ?').all(blocks * 64) as {
    seq: number;
    doc: string;
  }[];
  db.exec('BEGIN');
  for (let start = 0; start < rows.length; start += 64) {
    const slice = rows.slice(start, start + 64);
    db.prepare('INSERT INTO event_blocks (last, first, data) VALUES (?, ?, ?)').run(
      slice[slice.length - 1]!.seq,
      slice[0]!.seq,
      encodeBlock(slice, 'deflate'),
    );
    for (const row of slice) db.prepare("UPDATE events SET doc = x'' WHERE seq = ?").run(row.seq);
  }
  db.prepare("INSERT INTO maintenance_state (key, value) VALUES ('compacted', ?)").run(rows[rows.length - 1]!.seq);
  db.exec('COMMIT');
  db.close();
}

describe('compressed event bodies', () => {
  it('a block gives back each body exactly (unicode, newlines, quotes)', () => {
    const rows = [
      { seq: 3, doc: '{"message":"café ☕ \\n \\"quoted\\""}' },
      { seq: 9, doc: '{\n  "pretty": true\n}' },
      { seq: 10, doc: '{"emoji":"👩‍💻"}' },
    ];
    expect([...decodeBlock(encodeBlock(rows))]).toEqual(rows.map((row) => [row.seq, row.doc]));
  });

  it('reads blocks of either codec: zstd where Node has it, raw deflate (the previous layout, Node 22)', () => {
    const rows = [
      { seq: 1, doc: '{"a":"café"}' },
      { seq: 2, doc: '{"b":2}' },
    ];
    const zstd = encodeBlock(rows);
    expect(Buffer.from(zstd.subarray(0, 4)).equals(ZSTD_MAGIC)).toBe(true);
    expect([...decodeBlock(zstd)]).toEqual(rows.map((row) => [row.seq, row.doc]));
    expect([...decodeBlock(encodeBlock(rows, 'deflate'))]).toEqual(rows.map((row) => [row.seq, row.doc]));
  });

  it('migrates a folder packed by the previous layout (deflate blocks of 64): packs them again and the rest with zstd', async () => {
    const dir = tempDir();
    const events = [...generateTraffic({ count: 1_000, seed: 17 })];
    writeOldLayout(dir, events);
    packAsBefore(dir, 3);
    expect(layout(dir)).toMatchObject({ packed: 192, blocks: 3, zstd: 0 });
    const store = open(dir);
    await store.refresh();
    // Packing the plain bodies and re-packing the deflate blocks are separate background steps: wait for both.
    const after = await eventually(async () => {
      const now = layout(dir);
      return now.plain < BLOCK_EVENTS && now.zstd === now.blocks ? now : undefined;
    }, 50_000);
    // The three deflate blocks of 64 are packed again, with zstd, into blocks of BLOCK_EVENTS.
    expect(after.zstd).toBe(after.blocks);
    expect(after.blocks).toBe(Math.ceil(192 / BLOCK_EVENTS) + Math.floor((1_000 - 192) / BLOCK_EVENTS));
    expect(await store.count({})).toBe(1_000);
    for (const event of events) expect(await store.get(event.event.id)).toEqual(event);
    const page = await store.search({
      filter: { text: 'payment' },
      sort: { field: '@timestamp', order: 'asc' },
      page: 1,
      size: 500,
    });
    const byId = new Map(events.map((event) => [event.event.id, event]));
    expect(page.hits.length).toBeGreaterThan(0);
    for (const hit of page.hits) expect(hit.event).toEqual(byId.get(hit.event.event.id));
  }, 60_000);

  it('packs indexed bodies into compressed blocks; every event reads back the same by id, search and page', async () => {
    const dir = tempDir();
    const store = open(dir);
    const events = [...generateTraffic({ count: 1_000, seed: 11 })];
    await store.appendBatch(events);
    await store.refresh();
    const packed = await eventually(async () => {
      const now = layout(dir);
      return now.plain < BLOCK_EVENTS ? now : undefined;
    }, 20_000);
    expect(packed.packed).toBeGreaterThanOrEqual(1_000 - (BLOCK_EVENTS - 1));
    expect(packed.blocks).toBeGreaterThan(0);
    for (const event of events) expect(await store.get(event.event.id)).toEqual(event);
    const page = await store.search({ filter: {}, sort: { field: '@timestamp', order: 'asc' }, page: 1, size: 200 });
    expect(page.total).toBe(1_000);
    const byId = new Map(events.map((event) => [event.event.id, event]));
    for (const hit of page.hits) expect(hit.event).toEqual(byId.get(hit.event.event.id));
    // A reopened store (index rebuilt from the events) reads the packed bodies too.
    await store.close();
    rmSync(join(dir, 'events.index.db'));
    const again = open(dir);
    await again.refresh();
    expect(await again.count({})).toBe(1_000);
    expect(await again.get(events[500]!.event.id)).toEqual(events[500]);
  });

  it('an erasure takes the person out of the packed blocks; retention deletes packed events; the others stay', async () => {
    const dir = tempDir();
    const store = open(dir);
    const victim = Array.from({ length: 40 }, (_, i) =>
      txEvent({ user: 'erase-me-7', message: `victim purchase ${i}` }),
    );
    const others = [...generateTraffic({ count: 600, seed: 5 })].filter((event) => event.user?.id !== 'erase-me-7');
    await store.appendBatch([...others.slice(0, 300), ...victim, ...others.slice(300)]);
    await store.refresh();
    await eventually(async () => (layout(dir).plain < BLOCK_EVENTS ? true : undefined), 20_000);
    expect(layout(dir).blockText).toContain('erase-me-7');

    const erased = await store.erase!({ userId: 'erase-me-7' });
    expect(erased.events).toBe(40);
    expect(layout(dir).blockText).not.toContain('erase-me-7');
    for (const event of victim) expect(await store.get(event.event.id)).toBeUndefined();
    for (const event of others) expect(await store.get(event.event.id)).toEqual(event);

    // Retention of every transaction: the packed ones go, with their share of the blocks.
    const cutoff = Math.floor(Date.now() / 3_600_000) * 3_600_000 + 3_600_000;
    const expired = await store.expire!({ transaction: cutoff });
    const transactions = others.filter((event) => event.event.dataset === 'shoplog.transaction');
    expect(expired).toBe(transactions.length);
    for (const event of others)
      expect(await store.get(event.event.id)).toEqual(
        event.event.dataset === 'shoplog.transaction' ? undefined : event,
      );
    for (const event of transactions) expect(layout(dir).blockText).not.toContain(event.event.id);
  });

  it('migrates a data folder of plain bodies (today’s layout): indexes it, packs it, loses nothing', async () => {
    const dir = tempDir();
    const events = [...generateTraffic({ count: 3_000, seed: 23 })];
    writeOldLayout(dir, events);
    const before = layout(dir);
    expect(before).toMatchObject({ plain: 3_000, blocks: 0 });
    const store = open(dir);
    await store.refresh();
    const after = await eventually(async () => {
      const now = layout(dir);
      return now.plain < BLOCK_EVENTS ? now : undefined;
    }, 30_000);
    expect(after.packed + after.plain).toBe(3_000);
    expect(await store.count({})).toBe(3_000);
    for (const event of events) expect(await store.get(event.event.id)).toEqual(event);
  });
});

describe.skipIf(!existsSync(built))('migration killed with -9', () => {
  it('loses no event: every body is plain or in its block, and a restart finishes the migration', async () => {
    const dir = tempDir();
    const events = [...generateTraffic({ count: 12_000, seed: 31 })];
    writeOldLayout(dir, events);
    // Half of it packed as the previous layout did (deflate blocks of 64): packed again by the same migration.
    packAsBefore(dir, 90);
    // A real process opens the folder (the built store: its workers index, then pack) and is killed mid-migration.
    const script = join(dir, 'open.mjs');
    writeFileSync(
      script,
      `const { createSqliteLogStore } = await import(${JSON.stringify(pathToFileURL(built).href)});
      createSqliteLogStore({ path: ${JSON.stringify(join(dir, 'events.db'))} }); setInterval(() => {}, 1000);`,
    );
    const child = spawn(process.execPath, [script], { stdio: 'ignore' });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      const started = await eventually(async () => {
        const now = layout(dir);
        return now.zstd > 0 ? now : undefined;
      }, 120_000);
      child.kill('SIGKILL');
      // Killed while packing: some bodies in blocks, the others still plain.
      expect(started.plain).toBeGreaterThan(0);
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
    const killed = layout(dir);
    expect(killed.plain + killed.packed).toBe(12_000);
    const store = open(dir);
    for (const event of events) expect(await store.get(event.event.id)).toEqual(event);
    await store.refresh();
    const done = await eventually(async () => {
      const now = layout(dir);
      return now.plain < BLOCK_EVENTS && now.zstd === now.blocks ? now : undefined;
    }, 120_000);
    expect(done.plain + done.packed).toBe(12_000);
    expect(await store.count({})).toBe(12_000);
    for (const event of events) expect(await store.get(event.event.id)).toEqual(event);
  }, 300_000);
});
