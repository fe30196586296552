import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { startCheckpointer, type Checkpointer } from '../src/store/sqlite-checkpointer.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const walPages = (db: DatabaseSync): number =>
  (db.prepare('PRAGMA wal_checkpoint(PASSIVE)').get() as { log: number }).log;

/**
 * A writer on a new WAL file (autocheckpoint off, one table), its checkpoint worker (a checkpoint asked at every
 * commit) and a reader holding a snapshot from before any row: it stops every checkpoint short of the WAL's end.
 */
function setUp(backlogPages: number, onBacklog: (inline: boolean) => void) {
  const dir = mkdtempSync(join(tmpdir(), 'shoplog-ckpt-'));
  dirs.push(dir);
  const path = join(dir, 'events.db');
  const writer = new DatabaseSync(path);
  writer.exec('PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0; CREATE TABLE t (doc TEXT NOT NULL)');
  const checkpointer: Checkpointer = startCheckpointer({
    path,
    synchronous: 'NORMAL',
    thresholdBytes: 1,
    backlogPages,
    onBacklog,
    onFailure: (error) => {
      throw error;
    },
  });
  const reader = new DatabaseSync(path);
  reader.exec('BEGIN');
  reader.prepare('SELECT COUNT(*) FROM t').get();
  const insert = writer.prepare('INSERT INTO t (doc) VALUES (?)');
  /** Commits `rows` rows of 1,000 bytes; checkpoints inline when the checkpointer says so, as the store does. */
  const append = (rows: number): void => {
    writer.exec('BEGIN');
    for (let i = 0; i < rows; i++) insert.run('x'.repeat(1000));
    writer.exec('COMMIT');
    if (checkpointer.committed(rows * 1000)) walPages(writer);
  };
  return { path, writer, checkpointer, reader, append };
}

describe('checkpoint worker', () => {
  it('asks the writer to checkpoint inline while the WAL outgrows its bound, and stops asking once it restarted', async () => {
    const calls: boolean[] = [];
    // The reader stops every checkpoint short of the WAL's end, as a writer that never pauses does.
    const { writer, checkpointer, reader, append } = setUp(50, (inline) => calls.push(inline));
    for (let round = 0; round < 100 && !calls.includes(true); round++) {
      append(100);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(calls).toEqual([true]);
    expect(walPages(writer)).toBeGreaterThan(50);

    // The reader lets go; the writer's own checkpoint (what `true` asks for) copies the whole WAL, the next commit
    // restarts it, and the next checkpoint of the worker sees it short again.
    reader.exec('COMMIT');
    reader.close();
    writer.prepare('PRAGMA wal_checkpoint(PASSIVE)').get();
    for (let round = 0; round < 100 && calls.length < 2; round++) {
      append(5);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(calls).toEqual([true, false]);
    await checkpointer.close();
    writer.close();
  });

  it('bounds the WAL of a writer that appends without ever yielding: it checkpoints inline when no answer is seen', async () => {
    const { path, writer, checkpointer, reader, append } = setUp(50, () => {});
    reader.exec('COMMIT');
    reader.close();
    // 10 MB in one synchronous loop: the worker's answers cannot be read, so it is asked for one checkpoint only.
    for (let i = 0; i < 100; i++) append(100);
    // Without the inline checkpoints the WAL holds every row (> 10 MB); with them it restarts every ≈ 200 kB.
    expect(statSync(`${path}-wal`).size).toBeLessThan(2_000_000);
    expect(statSync(path).size).toBeGreaterThan(5_000_000);
    await checkpointer.close();
    writer.close();
  });

  it('finishes a checkpoint left short by a reader once the reader lets go, without another commit', async () => {
    // The reader (as an index worker reading the events) holds a snapshot from before the appends.
    const { path, writer, checkpointer, reader, append } = setUp(1_000_000, () => {});
    append(200);
    await new Promise((resolve) => setTimeout(resolve, 300));
    // The checkpoint could not copy the rows past the reader's snapshot: they are still only in the WAL.
    expect(statSync(path).size).toBeLessThan(100_000);
    reader.exec('COMMIT');
    reader.close();
    // No other commit comes; the short checkpoint is tried again and copies them into the file.
    await expect.poll(() => statSync(path).size, { timeout: 10_000, interval: 50 }).toBeGreaterThan(200_000);
    await checkpointer.close();
    writer.close();
  });
});
