import type { DatabaseSync, SQLOutputValue } from 'node:sqlite';
import {
  BLOCK_CODEC,
  BLOCK_EVENTS,
  blockCodec,
  bodiesSchema,
  decodeBlock,
  encodeBlock,
  unreadableBlock,
} from './sqlite-bodies.js';
import { inTransaction } from './sqlite-indexer.js';

/** Blocks written per compaction transaction (each transaction holds the events file's write lock briefly). */
const BLOCKS_PER_STEP = 16;

interface Row {
  seq: number;
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
  /**
   * Packs the next run of blocks of another codec or smaller than `BLOCK_EVENTS` (an older layout's: deflate, 64
   * events) again, consecutive ones merged up to `BLOCK_EVENTS` events, in one transaction with its mark; returns the
   * blocks read (0 when none is left after the mark). Idempotent and resumable: a kill leaves the old blocks or the new.
   */
  recode(): number;
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
  const pending = db.prepare(`SELECT seq, doc FROM ${schema}.events WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?`);
  const insertBlock = db.prepare(`INSERT INTO ${schema}.event_blocks (last, first, data) VALUES (?, ?, ?)`);
  // Deleted and inserted again rather than updated: an UPDATE that shrinks a row leaves its page as full as it was
  // (SQLite rebalances pages after deletes, not after shrinking updates), so the space would never come back.
  const deleteRow = db.prepare(`DELETE FROM ${schema}.events WHERE seq = ?`);
  const insertPacked = db.prepare(`INSERT INTO ${schema}.events (seq, doc) VALUES (?, x'')`);
  let compacted = Number((readMark.get() as { value: number } | undefined)?.value ?? 0);
  const readRecoded = db.prepare(`SELECT value FROM ${schema}.maintenance_state WHERE key = 'recoded'`);
  const writeRecoded = db.prepare(
    `INSERT INTO ${schema}.maintenance_state (key, value) VALUES ('recoded', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`,
  );
  const blocksAfter = db.prepare(
    `SELECT last, first, data FROM ${schema}.event_blocks WHERE last > ? ORDER BY last LIMIT ?`,
  );
  const deleteBlock = db.prepare(`DELETE FROM ${schema}.event_blocks WHERE last = ?`);
  let recoded = Number((readRecoded.get() as { value: number } | undefined)?.value ?? 0);
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
          insertBlock.run(
            (block.rows[block.rows.length - 1] as { seq: number }).seq,
            (block.rows[0] as { seq: number }).seq,
            block.data,
          );
          for (const row of block.rows) deleteRow.run(row.seq);
          for (const row of block.rows) insertPacked.run(row.seq);
        }
        writeMark.run(mark);
      });
      compacted = mark;
      return blocks.length * BLOCK_EVENTS;
    },
    recode() {
      const read = blocksAfter.all(recoded, BLOCKS_PER_STEP * 2) as { last: number; first: number; data: Uint8Array }[];
      if (read.length === 0) return 0;
      // Runs of consecutive blocks to merge; a block already of this layout ends a run and stays as it is.
      const runs: { blocks: typeof read; rows: { seq: number; doc: string }[] }[] = [];
      let run: (typeof runs)[number] | undefined;
      for (const block of read) {
        // A block this Node cannot read (zstd on a Node without it) stays as it is too.
        const current = blockCodec(block.data) === BLOCK_CODEC && block.last - block.first + 1 >= BLOCK_EVENTS;
        if (current || unreadableBlock(block.data)) {
          run = undefined;
          continue;
        }
        const rows = [...decodeBlock(block.data)].map(([seq, doc]) => ({ seq, doc }));
        if (!run || run.rows.length + rows.length > BLOCK_EVENTS) runs.push((run = { blocks: [], rows: [] }));
        run.blocks.push(block);
        run.rows.push(...rows);
      }
      const mark = (read[read.length - 1] as { last: number }).last;
      const packed = runs.map((r) => ({ old: r.blocks, rows: r.rows, data: encodeBlock(r.rows) }));
      inTransaction(db, () => {
        for (const { old, rows, data } of packed) {
          for (const block of old) deleteBlock.run(block.last);
          const last = (old[old.length - 1] as { last: number }).last;
          if (rows.length > 0) insertBlock.run(last, (old[0] as { first: number }).first, data);
        }
        writeRecoded.run(mark);
      });
      recoded = mark;
      return read.length;
    },
  };
}
