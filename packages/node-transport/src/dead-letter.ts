import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { ItemIssue } from './sink.js';
import type { SpoolDirs } from './spool-dir.js';
import type { FsyncPolicy } from './spool.js';

/** `dead-letter.ndjson`: one `{ reason, issues, line }` per document that can never be delivered. */
export interface DeadLetters {
  /** Appends one record; `false` when it could not be written (reported once). */
  write(line: string, reason: string, issues?: readonly ItemIssue[]): boolean;
  /** Releases the file handle. */
  close(): void;
}

/**
 * Creates the dead-letter file in the spool's directory, on the first record. Each record is one `write` in append
 * mode, so processes that share the directory never interleave inside a record.
 */
export function createDeadLetters(dirs: SpoolDirs, fsync: FsyncPolicy, warn: (text: string) => void): DeadLetters {
  let fd: number | undefined;
  return {
    write(line, reason, issues) {
      try {
        if (fd === undefined) {
          const dir = dirs.writable();
          if (dir === undefined) return false;
          fd = openSync(join(dir, 'dead-letter.ndjson'), 'a');
        }
        writeSync(fd, JSON.stringify({ reason, issues: issues ?? [], line }) + '\n');
        if (fsync !== 'none') fsyncSync(fd);
        return true;
      } catch (err) {
        warn(`cannot write the dead-letter file: ${(err as Error).message}`);
        return false;
      }
    },
    close() {
      if (fd === undefined) return;
      try {
        closeSync(fd);
      } catch {
        // Already closed: nothing to release.
      }
      fd = undefined;
    },
  };
}
