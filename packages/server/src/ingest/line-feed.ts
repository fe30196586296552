import type { Ingestor } from './ingestor.js';

/** What a listener without a reply channel (TCP, UDP) did with the lines it read; shown by the health route. */
export interface LineStats {
  /** Non-blank lines read. */
  lines: number;
  stored: number;
  duplicates: number;
  /** Lines refused alone (not JSON, invalid, over a limit): each costs itself only. */
  rejected: number;
  /** Lines of batches the store failed to commit (reported to the server log). */
  failed: number;
  /** The newest rejection: the line's number in its batch and the first issue. */
  last_rejection?: string;
}

/** Creates zeroed line counters. */
export const createLineStats = (): LineStats => ({ lines: 0, stored: 0, duplicates: 0, rejected: 0, failed: 0 });

/** Lines waiting for the ingestor, handed over in batches, one batch in flight at a time. */
export interface LineBatcher {
  /** Queues lines (in order); the next batch takes every line queued by then. */
  push(lines: readonly string[]): void;
  /** Lines queued and not yet handed over. */
  readonly pending: number;
  /** Resolves once every queued line is ingested (or failed). */
  idle(): Promise<void>;
}

/**
 * Feeds lines to `ingest` (the ingestor's `ingestLines`, or a gate in front of it) in order, one batch at a time, and
 * counts the outcome of each line into `stats`. A rejected line costs itself alone (the ingestor answers an error
 * item for it); a batch the store fails to commit is counted as failed and reported, and the batches after it still
 * run. `onIdle` is called whenever the queue drains.
 */
export function createLineBatcher(
  ingest: Ingestor['ingestLines'],
  stats: LineStats,
  onError: (error: Error) => void,
  onIdle?: () => void,
): LineBatcher {
  let queue: string[] = [];
  let running = false;
  let done: Promise<void> = Promise.resolve();
  const run = async (): Promise<void> => {
    while (queue.length > 0) {
      const batch = queue;
      queue = [];
      try {
        for (const item of await ingest(batch)) {
          stats.lines++;
          if (item.result === 'created') stats.stored++;
          else if (item.result === 'duplicate') stats.duplicates++;
          else {
            stats.rejected++;
            const issue = item.issues?.[0];
            stats.last_rejection =
              `line ${item.line} of a batch: ${issue ? `${issue.path}: ${issue.message}` : 'rejected'}`.slice(0, 300);
          }
        }
      } catch (error) {
        const lost = batch.filter((line) => line.trim() !== '').length;
        stats.lines += lost;
        stats.failed += lost;
        onError(error instanceof Error ? error : new Error(String(error)));
      }
    }
    running = false;
    onIdle?.();
  };
  return {
    push(lines) {
      for (const line of lines) queue.push(line);
      // The flag is set before `run` starts: a run with nothing to wait for ends before its promise is assigned.
      if (!running && queue.length > 0) {
        running = true;
        done = run();
      }
    },
    get pending() {
      return queue.length;
    },
    idle: () => done,
  };
}
