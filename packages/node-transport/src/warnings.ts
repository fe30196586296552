import { writeSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';

/** How long a warning of one kind stays quiet after it was printed (the errors are still counted in metrics). */
export const WARN_INTERVAL_MS = 60_000;

/**
 * Prints one `[shoplog]` line on stderr. In a worker thread (pino's transport) it writes to file descriptor 2
 * directly: a worker's `console` is forwarded through the main thread's event loop, which is blocked while pino
 * waits for the worker on exit, so a warning written there at close would never be seen.
 */
export function printWarning(text: string): void {
  const line = `[shoplog] ${text}`;
  if (isMainThread) {
    console.warn(line);
    return;
  }
  try {
    writeSync(2, `${line}\n`);
  } catch {
    // stderr is gone: nothing else can be told.
  }
}

/** A printer that lets each kind of warning through once per `WARN_INTERVAL_MS`; `reset` lets a kind through again. */
export function createThrottledPrinter(now: () => number = Date.now): {
  print(kind: string, text: string): void;
  reset(): void;
} {
  const last = new Map<string, number>();
  return {
    print(kind, text) {
      const t = now();
      const prev = last.get(kind);
      if (prev !== undefined && t - prev < WARN_INTERVAL_MS) return;
      last.set(kind, t);
      printWarning(text);
    },
    reset() {
      last.clear();
    },
  };
}
