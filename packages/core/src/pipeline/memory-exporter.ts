import type { ShoplogPlugin } from '../plugin.js';
import type { EventKind } from '../schema/common.js';
import type { EventByKind, ShoplogEvent } from '../schema/kinds.js';
import { kindOfDataset } from '../validate.js';
import { startTimer } from '../runtime.js';

/** An exporter that keeps events in memory: the test double of every Shoplog package, and handy in examples. */
export interface MemoryExporter extends ShoplogPlugin {
  /** Every event exported so far, in order. */
  readonly events: readonly ShoplogEvent[];
  /** The exported events of one kind. */
  ofKind<K extends EventKind>(kind: K): EventByKind[K][];
  /** Forgets every event exported so far. */
  clear(): void;
  /** Resolves once at least `count` events have been exported; rejects after `timeoutMs`. */
  waitFor(count: number, timeoutMs?: number): Promise<readonly ShoplogEvent[]>;
  /** Number of `flush()` calls received. */
  readonly flushes: number;
  /** Whether `close()` has been called. */
  readonly closed: boolean;
}

/** Options of `createMemoryExporter()`. */
export interface MemoryExporterOptions {
  /** Plugin name. @default 'memory' */
  name?: string;
}

/** Creates an exporter that keeps every event in memory (last stage of a pipeline). */
export function createMemoryExporter(options: MemoryExporterOptions = {}): MemoryExporter {
  const events: ShoplogEvent[] = [];
  const waiters = new Set<{ count: number; resolve: (events: readonly ShoplogEvent[]) => void }>();
  let flushes = 0;
  let closed = false;
  const wake = () => {
    for (const w of waiters) {
      if (events.length >= w.count) {
        waiters.delete(w);
        w.resolve(events);
      }
    }
  };
  return {
    name: options.name ?? 'memory',
    get events() {
      return events;
    },
    get flushes() {
      return flushes;
    },
    get closed() {
      return closed;
    },
    process(event) {
      events.push(event);
      if (waiters.size > 0) wake();
      return event;
    },
    ofKind<K extends EventKind>(kind: K) {
      return events.filter((e) => kindOfDataset(e.event.dataset) === kind) as EventByKind[K][];
    },
    clear() {
      events.length = 0;
    },
    waitFor(count, timeoutMs = 5000) {
      if (events.length >= count) return Promise.resolve(events);
      return new Promise((resolve, reject) => {
        const waiter = {
          count,
          resolve: (evs: readonly ShoplogEvent[]) => {
            cancel();
            resolve(evs);
          },
        };
        const cancel = startTimer(() => {
          waiters.delete(waiter);
          reject(new Error(`memory exporter: ${events.length} of ${count} events after ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    flush() {
      flushes++;
    },
    close() {
      closed = true;
    },
  };
}
