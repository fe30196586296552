import type { DatabaseSync, SQLOutputValue } from 'node:sqlite';
import { BLOCK_EVENTS, bodiesSchema, encodeBlock } from './sqlite-bodies.js';
import { inTransaction } from './sqlite-indexer.js';

/** Blocks written per compaction transaction (each transaction holds the events file's write lock briefly). */
const BLOCKS_PER_STEP = 16;

interface Row {
  seq: number;
  id: string;
  ts: number;
  doc: SQLOutputValue;
}

/** The compaction of one connection that writes the events file (main or attached as `schema`). */
export interface Compactor {
  /** The highest `seq` below which every plain body has been considered. */
  readonly compacted: number;
  /**
   * Packs the next full blocks of plain bodies with `seq` ≤ `upTo` in one transaction; returns the events packed (0
   * when fewer than `BLOCK_EVENTS` are waiting).
   */
  step(upTo: number): number;
}

/**
 * The compactor of the events file under `schema` on `db` (the only connection that compacts; its purger's
 * `maintenance_state` table holds the mark).
 */
export function createCompactor(db: DatabaseSync, schema = 'main'): Compactor {
  db.exec(bodiesSchema(schema));
  const readMark = db.prepare(`SELECT value FROM ${schema}.maintenance_state WHERE key = 'compacted'`);
  const writeMark = db.prepare(
    `INSERT INTO ${schema}.maintenance_state (key, value) VALUES ('compacted', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`,
  );
  const pending = db.prepare(`SELECT seq, id, ts, doc FROM ${schema}.events WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?`);
  const insertBlock = db.prepare(`INSERT INTO ${schema}.event_blocks (last, first, data) VALUES (?, ?, ?)`);
  // Deleted and inserted again rather than updated: an UPDATE that shrinks a row leaves its page as full as it was
  // (SQLite rebalances pages after deletes, not after shrinking updates), so the space would never come back.
  const deleteRow = db.prepare(`DELETE FROM ${schema}.events WHERE seq = ?`);
  const insertPacked = db.prepare(`INSERT INTO ${schema}.events (seq, id, ts, doc) VALUES (?, ?, ?, x'')`);
  let compacted = Number((readMark.get() as { value: number } | undefined)?.value ?? 0);
  return {
    get compacted() {
      return compacted;
    },
    step(upTo) {
      const rows = pending.all(compacted, upTo, BLOCK_EVENTS * BLOCKS_PER_STEP) as unknown as Row[];
      // Plain bodies only: a tombstone ('') stays as it is.
      const plain = rows.filter((row): row is Row & { doc: string } => typeof row.doc === 'string' && row.doc !== '');
      const blocks: { rows: typeof plain; data: Uint8Array }[] = [];
      for (let start = 0; start + BLOCK_EVENTS <= plain.length; start += BLOCK_EVENTS) {
        const slice = plain.slice(start, start + BLOCK_EVENTS);
        blocks.push({ rows: slice, data: encodeBlock(slice) });
      }
      const lastBlock = blocks[blocks.length - 1]?.rows;
      if (!lastBlock) return 0;
      // Compressed before the transaction; the rows cannot change meanwhile (appends add higher seqs, and purges
      // run on this same connection).
      const mark = lastBlock[lastBlock.length - 1]?.seq as number;
      inTransaction(db, () => {
        for (const block of blocks) {
          insertBlock.run((block.rows[block.rows.length - 1] as { seq: number }).seq, (block.rows[0] as { seq: number }).seq, block.data);
          for (const row of block.rows) deleteRow.run(row.seq);
          for (const row of block.rows) insertPacked.run(row.seq, row.id, row.ts);
        }
        writeMark.run(mark);
      });
      compacted = mark;
      return blocks.length * BLOCK_EVENTS;
    },
  };
}
