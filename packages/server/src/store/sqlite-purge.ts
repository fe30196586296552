import type { DatabaseSync, SQLInputValue } from 'node:sqlite';
import type { ShoplogEvent } from '@shoplog/core';
import { bodiesSchema, createBodyReader, decodeBlock, encodeBlock, type StoredDoc } from './sqlite-bodies.js';
import {
  createCodeLookup,
  extractFacts,
  FACT_COLUMNS,
  HOURLY_COUNT_TABLES,
  TIME_KEY_SLOTS,
  timeKey,
  untimedKey,
} from './sqlite-facts.js';
import { eventIdKey } from './sqlite-event-ids.js';
import { inTransaction } from './sqlite-indexer.js';
import { hourlyCountsOf, ROLLUP_BUCKET_MS, rollupCellOf } from './sqlite-rollups.js';

/** Where each part's tables are, as schema names of one connection (`main` or an ATTACHed name). */
export interface PurgeSchemas {
  events: string;
  facts: string;
  timeline: string;
}

/** The DDL of the purge bookkeeping in the events file and in the timeline file. */
function purgeSchema(s: PurgeSchemas): string {
  return `
CREATE TABLE IF NOT EXISTS ${s.events}.purge_queue (seq INTEGER PRIMARY KEY, erase INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS ${s.events}.maintenance_state (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS ${s.timeline}.purge_done (seq INTEGER PRIMARY KEY);
${bodiesSchema(s.events)}
`;
}

/** What a purged event was: the values an erasure reports (user ids and e-mails met, for the fraud state). */
interface Victim {
  seq: number;
  /** Its `event.id` (the key of its `event_ids` row). */
  id: string | undefined;
  ts: number;
  text: string;
  values: ReturnType<typeof extractFacts>['values'];
  userId: string | undefined;
  email: string | undefined;
  erase: boolean;
}

const USER_ID = FACT_COLUMNS.indexOf('user_id');
const RESPONSE_MS = FACT_COLUMNS.indexOf('response_ms');
const AMOUNT = FACT_COLUMNS.indexOf('amount');

/** The deletions of the embedded store, step by step (`createPurger`). */
export interface Purger {
  /** The highest `seq` both indexers have indexed: only events up to it are purged (the others wait). */
  indexedUpTo(): number;
  /** Up to `limit` events of `kind` stamped before `before`, oldest first. */
  expiredSeqs(kind: string, before: number, limit: number): number[];
  /** Up to `limit` events whose `user.id` is `userId`. */
  userSeqs(userId: string, limit: number): number[];
  /** Events after `afterSeq` (at most `limit` read) whose document contains `needle` (lower case) as a whole address. */
  scanDocs(afterSeq: number, limit: number, needle: string): { seqs: number[]; last: number };
  /**
   * Deletes the given events and everything derived from them (facts row, fraud reasons, both text indexes; for an
   * erasure also their share of the hourly rollups and the user sets). Crash-safe: the seqs are queued in the events
   * file first and each step is idempotent, so `resume()` finishes an interrupted purge. Returns what was purged.
   */
  purge(seqs: readonly number[], erase: boolean): Victim[];
  /** Finishes a purge a crash interrupted (called before any new work). */
  resume(): Victim[];
  /** Drops the hourly rollups (and, for performance, the latency sketches) of `kind` before the hour `beforeHour`. */
  dropRollups(kind: string, beforeHour: number): void;
  /** Removes from the user set of `hour` the users none of whose events of that hour is left. */
  pruneUserSet(hour: number): void;
  /** Drops the per-hour user sets before `beforeHour` (every dataset of those hours has expired). */
  dropUserSets(beforeHour: number): void;
  /** Events deleted since the store was created (kept in the events file). */
  purgedTotal(): number;
  /** Returns up to `pages` free pages of each file to the file system (files in incremental auto-vacuum mode); the pages freed. */
  reclaim(pages: number): number;
}

/**
 * The purge steps over one connection that sees the three parts under `schemas`. Every transaction touches one
 * file and starts with a write, so it takes that file's write lock at once (waiting with the busy timeout): a read
 * first would leave it unable to upgrade when another connection wrote meanwhile. The reads of the documents run
 * before, outside any transaction.
 */
export function createPurger(db: DatabaseSync, schemas: PurgeSchemas): Purger {
  const { events: E, facts: F, timeline: T } = schemas;
  db.exec(purgeSchema(schemas));
  const marks = db.prepare(
    `SELECT (SELECT value FROM ${F}.state WHERE key = 'indexed') AS facts, (SELECT value FROM ${T}.timeline_state WHERE key = 'indexed') AS timeline`,
  );
  const kindCode = createCodeLookup(db, `${F}.`);
  const expired = db.prepare(
    `SELECT seq FROM ${F}.facts WHERE kind = ? AND ts < ? AND seq <= ? ORDER BY kind, ts LIMIT ?`,
  );
  const ofUser = db.prepare(`SELECT seq FROM ${F}.facts WHERE user_id = ? AND seq <= ? LIMIT ?`);
  const docsAfter = db.prepare(`SELECT seq, doc FROM ${E}.events WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?`);
  const enqueue = db.prepare(
    `INSERT INTO ${E}.purge_queue (seq, erase) VALUES (?, ?) ON CONFLICT(seq) DO UPDATE SET erase = MAX(erase, excluded.erase)`,
  );
  const queued = db.prepare(
    `SELECT q.seq, q.erase, e.doc FROM ${E}.purge_queue q LEFT JOIN ${E}.events e ON e.seq = q.seq ORDER BY q.seq`,
  );
  const deleteFacts = db.prepare(`DELETE FROM ${F}.facts WHERE seq = ? RETURNING seq`);
  const deleteReasons = db.prepare(`DELETE FROM ${F}.fraud_reasons WHERE seq = ?`);
  const deleteKey = db.prepare(`DELETE FROM ${T}.time_keys WHERE key >= ? AND key < ? AND seq = ? RETURNING key`);
  deleteKey.setReadBigInts(true); // time keys are above 2^53
  const deleteTimeText = db.prepare(`INSERT INTO ${T}.fts_time (fts_time, rowid, body) VALUES ('delete', ?, ?)`);
  const markDone = db.prepare(`INSERT INTO ${T}.purge_done (seq) VALUES (?) ON CONFLICT(seq) DO NOTHING RETURNING seq`);
  const decrement = db.prepare(
    `UPDATE ${T}.rollup_hourly SET n = n - 1, rt_n = rt_n - ?, rt_sum = rt_sum - ?, amt_n = amt_n - ?, amt_sum = amt_sum - ? WHERE ts = ? AND dims = ?`,
  );
  const dropEmptyCell = db.prepare(`DELETE FROM ${T}.rollup_hourly WHERE ts = ? AND dims = ? AND n <= 0`);
  const dropUserHour = db.prepare(`DELETE FROM ${T}.rollup_users WHERE ts = ? AND user_id = ?`);
  const countDown = new Map(
    HOURLY_COUNT_TABLES.map((table) => [
      table,
      db.prepare(`UPDATE ${T}.${table} SET n = n - 1 WHERE ts = ? AND kind = ? AND value = ?`),
    ]),
  );
  const dropEmptyCount = new Map(
    HOURLY_COUNT_TABLES.map((table) => [
      table,
      db.prepare(`DELETE FROM ${T}.${table} WHERE ts = ? AND kind = ? AND value = ? AND n <= 0`),
    ]),
  );
  // After expiry: the users of the hour none of whose events is left (another kind may keep some); one scan of the
  // hour's covering index entries, not one lookup per event (a frequent user id would make those quadratic).
  const pruneUsers = db.prepare(
    `DELETE FROM ${T}.rollup_users WHERE ts = ? AND user_id NOT IN (SELECT user_id FROM ${F}.facts WHERE ts >= ? AND ts < ? AND user_id IS NOT NULL)`,
  );
  const clearDone = db.prepare(`DELETE FROM ${T}.purge_done WHERE seq NOT IN (SELECT seq FROM ${E}.purge_queue)`);
  const deleteEvents = db.prepare(
    `DELETE FROM ${E}.events WHERE seq IN (SELECT seq FROM ${E}.purge_queue) AND seq < (SELECT MAX(seq) FROM ${E}.events)`,
  );
  // The newest event's row stays when it is purged, as a tombstone (an empty `doc`, no id): its `seq` is never handed
  // out again (the indexers' marks are above it, an event stored under it would never be indexed). Its seq is kept in
  // `maintenance_state`, so the next purge after an append finds and deletes it without a scan.
  const tombstone = db.prepare(
    `UPDATE ${E}.events SET doc = '' WHERE seq = (SELECT MAX(seq) FROM ${E}.events) AND seq IN (SELECT seq FROM ${E}.purge_queue) RETURNING seq`,
  );
  const writeTombstone = db.prepare(
    `INSERT INTO ${E}.maintenance_state (key, value) VALUES ('tombstone', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`,
  );
  const sweepTombstone = db.prepare(
    `DELETE FROM ${E}.events WHERE seq = (SELECT value FROM ${E}.maintenance_state WHERE key = 'tombstone') AND seq < (SELECT MAX(seq) FROM ${E}.events)`,
  );
  const deleteId = db.prepare(`DELETE FROM ${E}.event_ids WHERE id = ? AND seq = ?`);
  const clearQueue = db.prepare(`DELETE FROM ${E}.purge_queue`);
  const addPurged = db.prepare(
    `INSERT INTO ${E}.maintenance_state (key, value) VALUES ('purged', ?) ON CONFLICT(key) DO UPDATE SET value = value + excluded.value`,
  );
  const purged = db.prepare(`SELECT value FROM ${E}.maintenance_state WHERE key = 'purged'`);
  const bodies = createBodyReader(db);
  // The blocks holding queued events: rewritten without them (an erased body must not stay in its block).
  const queuedBlocks = db.prepare(
    `SELECT DISTINCT b.last, b.data FROM ${E}.purge_queue q JOIN ${E}.event_blocks b
     ON b.last = (SELECT last FROM ${E}.event_blocks WHERE last >= q.seq ORDER BY last LIMIT 1) AND b.first <= q.seq`,
  );
  const queuedSeqs = db.prepare(`SELECT seq FROM ${E}.purge_queue`);
  const rewriteBlock = db.prepare(`UPDATE ${E}.event_blocks SET data = ? WHERE last = ?`);
  const deleteBlock = db.prepare(`DELETE FROM ${E}.event_blocks WHERE last = ?`);
  /** Takes the queued events out of their blocks (a block left empty is deleted); inside the events transaction. */
  const unpack = (): void => {
    const blocks = queuedBlocks.all() as { last: number; data: Uint8Array }[];
    if (blocks.length === 0) return;
    const gone = new Set((queuedSeqs.all() as { seq: number }[]).map((row) => row.seq));
    for (const block of blocks) {
      const kept = [...decodeBlock(block.data)].filter(([seq]) => !gone.has(seq)).map(([seq, doc]) => ({ seq, doc }));
      if (kept.length === 0) deleteBlock.run(block.last);
      else rewriteBlock.run(encodeBlock(kept), block.last);
    }
  };

  const indexedUpTo = (): number => {
    const row = marks.get() as { facts: number | null; timeline: number | null };
    return Math.min(Number(row.facts ?? 0), Number(row.timeline ?? 0));
  };

  /** The queued events with what their derived rows were built from (the text must be the indexed one). */
  const readQueue = (): Victim[] =>
    bodies
      .resolve(
        (queued.all() as { seq: number; erase: number; doc: StoredDoc | null }[]).map((row) => ({
          ...row,
          doc: row.doc ?? '',
        })),
      )
      .map((row) => {
        if (!row.doc)
          return {
            seq: row.seq,
            id: undefined,
            ts: Number.NaN,
            text: '',
            values: [],
            userId: undefined,
            email: undefined,
            erase: row.erase === 1,
          };
        const event = JSON.parse(row.doc) as ShoplogEvent;
        const facts = extractFacts(event);
        const email = event.user?.email;
        return {
          seq: row.seq,
          id: event.event.id,
          ts: Date.parse(event['@timestamp']),
          text: facts.text,
          values: facts.values,
          userId: event.user?.id,
          email: typeof email === 'string' ? email : undefined,
          erase: row.erase === 1,
        };
      });

  const finish = (): Victim[] => {
    const victims = readQueue();
    if (victims.length === 0) return [];
    const live = victims.filter((v) => v.values.length > 0);
    // The facts part: its rows.
    inTransaction(db, () => {
      for (const v of live) {
        if (deleteFacts.get(v.seq) === undefined) continue;
        deleteReasons.run(v.seq);
      }
    });
    // The timeline part: the time key is the witness of the text in `fts_time`; `purge_done` of the rollup share. As
    // in the indexer, the text goes last in one ordered pass: a statement that opens a statement journal (a delete
    // of several rows) between two FTS5 writes makes FTS5 flush its pending terms to a new segment every time.
    inTransaction(db, () => {
      const texts: { key: bigint; text: string }[] = [];
      for (const v of live) {
        const base = timeKey(v.ts);
        const untimed = untimedKey(v.seq);
        const key =
          (base === undefined
            ? undefined
            : (deleteKey.get(base, base + TIME_KEY_SLOTS, v.seq) as { key: bigint } | undefined)?.key) ??
          (deleteKey.get(untimed, untimed + 1n, v.seq) as { key: bigint } | undefined)?.key;
        if (key !== undefined && v.text) texts.push({ key, text: v.text });
        if (!v.erase) continue;
        const cell = rollupCellOf(v.ts, v.values);
        const user = v.values[USER_ID];
        if (markDone.get(v.seq) !== undefined) {
          const ms = v.values[RESPONSE_MS];
          const amount = v.values[AMOUNT];
          const args: SQLInputValue[] = [
            typeof ms === 'number' ? 1 : 0,
            typeof ms === 'number' ? ms : 0,
            typeof amount === 'number' ? 1 : 0,
            typeof amount === 'number' ? amount : 0,
          ];
          decrement.run(...args, cell.hour, cell.dims);
          dropEmptyCell.run(cell.hour, cell.dims);
          for (const c of hourlyCountsOf(v.ts, v.values)) {
            countDown.get(c.table)?.run(c.hour, c.kind, c.value);
            dropEmptyCount.get(c.table)?.run(c.hour, c.kind, c.value);
          }
        }
        if (typeof user === 'string') dropUserHour.run(cell.hour, user);
      }
      texts.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      for (const { key, text } of texts) deleteTimeText.run(key, text);
    });
    // The events last: until then a restart finds them queued and finishes the job.
    inTransaction(db, () => {
      sweepTombstone.run();
      deleteEvents.run();
      const kept = tombstone.get() as { seq: number } | undefined;
      if (kept) writeTombstone.run(kept.seq);
      unpack();
      for (const v of victims) if (v.id !== undefined) deleteId.run(eventIdKey(v.id), v.seq);
      clearQueue.run();
      addPurged.run(victims.length);
    });
    clearDone.run();
    return victims;
  };

  return {
    indexedUpTo,
    expiredSeqs(kind, before, limit) {
      const code = kindCode('kind', [kind])[0];
      if (code === undefined) return [];
      return (expired.all(code, before, indexedUpTo(), limit) as { seq: number }[]).map((row) => row.seq);
    },
    userSeqs(userId, limit) {
      return (ofUser.all(userId, indexedUpTo(), limit) as { seq: number }[]).map((row) => row.seq);
    },
    scanDocs(afterSeq, limit, needle) {
      const read = docsAfter.all(afterSeq, indexedUpTo(), limit) as { seq: number; doc: StoredDoc }[];
      const rows = bodies.resolve(read);
      const pattern = new RegExp(`(?<![\\w.%+-])${needle.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w-]|\\.\\w)`);
      const seqs: number[] = [];
      for (const row of rows) {
        const doc = row.doc.toLowerCase();
        if (doc.includes(needle) && pattern.test(doc)) seqs.push(row.seq);
      }
      return { seqs, last: read[read.length - 1]?.seq ?? afterSeq };
    },
    purge(seqs, erase) {
      if (seqs.length > 0)
        inTransaction(db, () => {
          for (const seq of seqs) enqueue.run(seq, erase ? 1 : 0);
        });
      return finish();
    },
    resume: finish,
    dropRollups(kind, beforeHour) {
      inTransaction(db, () => {
        db.prepare(`DELETE FROM ${T}.rollup_hourly WHERE ts < ? AND kind = ?`).run(beforeHour, kind);
        for (const table of HOURLY_COUNT_TABLES)
          db.prepare(`DELETE FROM ${T}.${table} WHERE ts < ? AND kind = ?`).run(beforeHour, kind);
        if (kind === 'performance') db.prepare(`DELETE FROM ${T}.latency_sketches WHERE bucket < ?`).run(beforeHour);
      });
    },
    pruneUserSet(hour) {
      inTransaction(db, () => {
        pruneUsers.run(hour, hour, hour + ROLLUP_BUCKET_MS);
      });
    },
    dropUserSets(beforeHour) {
      inTransaction(db, () => {
        db.prepare(`DELETE FROM ${T}.rollup_users WHERE ts < ?`).run(beforeHour);
      });
    },
    purgedTotal() {
      return Number((purged.get() as { value: number } | undefined)?.value ?? 0);
    },
    reclaim(pages) {
      let freed = 0;
      for (const schema of new Set([E, F, T])) {
        const mode = Number((db.prepare(`PRAGMA ${schema}.auto_vacuum`).get() as { auto_vacuum: number }).auto_vacuum);
        if (mode !== 2) continue;
        const before = Number(
          (db.prepare(`PRAGMA ${schema}.freelist_count`).get() as { freelist_count: number }).freelist_count,
        );
        if (before === 0) continue;
        db.exec(`PRAGMA ${schema}.incremental_vacuum(${Math.max(1, Math.floor(pages))})`);
        const after = Number(
          (db.prepare(`PRAGMA ${schema}.freelist_count`).get() as { freelist_count: number }).freelist_count,
        );
        freed += before - after;
      }
      return freed;
    },
  };
}
