import { z } from 'zod';
import type { FsyncPolicy } from './spool.js';
import type { CircuitBreakerOptions, LineExporter, PluginEntry, ShoplogEvent } from '@shoplog/core';
import type { DeliveryMetrics } from './metrics.js';
import type { ItemIssue, Sink } from './sink.js';

/** What to do with a new event when the byte-bounded queue is full. */
export type OverflowPolicy = 'spool' | 'drop-oldest' | 'drop-newest';

/** Options of `createDeliveryEngine`. */
export interface DeliveryEngineOptions {
  /** Where batches go (`createHttpSink`, `createElasticsearchSink` or your own `Sink`). */
  sink: Sink;
  /** Upper bound of the in-memory queue plus the batch in flight, in bytes of NDJSON. @default 67108864 (64 MiB) */
  maxQueueBytes?: number;
  /** A batch is sent once it holds this many events. @default 5000 */
  maxBatchCount?: number;
  /** A batch is sent once it holds this many bytes. @default 5242880 (5 MiB) */
  maxBatchBytes?: number;
  /** A non-empty queue is sent at least this often, in milliseconds. @default 1000 */
  flushIntervalMs?: number;
  /** When the queue is full: move the oldest events to the spool, or drop the oldest / the newest. @default 'spool' */
  overflow?: OverflowPolicy;
  /** Attempts of one batch before it is spooled (the sink is then probed by replaying the spool). @default 5 */
  maxRetries?: number;
  /** First backoff delay; it doubles per consecutive failure, with full jitter. @default 100 */
  retryInitialDelayMs?: number;
  /** Largest backoff delay. A larger `Retry-After` is still honoured (up to 5 minutes). @default 30000 */
  retryMaxDelayMs?: number;
  /**
   * Directory of the spool segments and `dead-letter.ndjson`, created on the first write. When it cannot be written
   * (read-only or non-root container), a private directory under the OS temp dir is used instead, with one warning.
   * Processes may share it: each replays only its own segments and those of dead processes.
   * @default './.shoplog-spool'
   */
  spoolDir?: string;
  /** `'batch'` / `'always'`: fsync each spooled batch, segment rotation and dead letter; `'none'`: leave it to the OS. @default 'batch' */
  fsync?: FsyncPolicy;
  /** Size at which the overflow segment is rotated. @default 16777216 (16 MiB) */
  spoolSegmentBytes?: number;
  /**
   * The grace period: how long `close()`, and the process hooks on SIGTERM / SIGINT / `beforeExit`, keep trying to
   * deliver before they spool what is left. At most 30 s (Kubernetes' default termination grace period); in pino's
   * worker at most 8 s (pino waits 10 s for the worker on exit).
   * @default 5000
   */
  closeDeadlineMs?: number;
  /**
   * Process hooks: on SIGTERM / SIGINT deliver within `closeDeadlineMs` (then end the process by that signal, unless
   * the app listens for it too: then only deliver); close on `beforeExit`; spool synchronously on `exit`.
   * @default true
   */
  exitHooks?: boolean;
  /**
   * Receives delivery, spool and close errors (they are never thrown at the app).
   * @default a warning on stderr naming the cause (refused key with the server's message, unreachable URL, …),
   * each kind once a minute at most; see also `metrics().healthy` and `metrics().lastError`
   */
  onError?: (error: Error) => void;
  /**
   * Processors every event runs before it is queued (instances, or module specifiers loaded at start), also the
   * lines given to `enqueueLine` (parsed for them). @default [] (events are queued as given)
   */
  plugins?: PluginEntry[];
  /** Time budget of one call of an async plugin, in milliseconds (`0`: none). @default 5000 */
  pluginTimeoutMs?: number;
  /** When a failing plugin is skipped and retried (core's `circuitBreaker`). @default { failures: 5, cooldownMs: 30000 } */
  circuitBreaker?: CircuitBreakerOptions | false;
}

const positiveInt = z.int().positive();

/** Validates engine options once, with one error naming the bad option. */
export const DeliveryEngineOptionsSchema = z
  .object({
    // `url` / `apiKey` are options of the transports and createShipper, not of the engine: the message says so.
    sink: z.custom<Sink>(
      (v) => typeof (v as Sink | null)?.send === 'function',
      'must be a Sink with a send() method, e.g. createHttpSink({ url, apiKey })',
    ),
    maxQueueBytes: positiveInt.default(64 * 1024 * 1024),
    maxBatchCount: positiveInt.default(5000),
    maxBatchBytes: positiveInt.default(5 * 1024 * 1024),
    flushIntervalMs: positiveInt.default(1000),
    overflow: z.enum(['spool', 'drop-oldest', 'drop-newest']).default('spool'),
    maxRetries: z.int().nonnegative().default(5),
    retryInitialDelayMs: positiveInt.default(100),
    retryMaxDelayMs: positiveInt.default(30_000),
    spoolDir: z.string().min(1).default('./.shoplog-spool'),
    fsync: z.enum(['always', 'batch', 'none']).default('batch'),
    spoolSegmentBytes: positiveInt.default(16 * 1024 * 1024),
    closeDeadlineMs: z.int().nonnegative().max(30_000).default(5000),
    exitHooks: z.boolean().default(true),
    onError: z
      .custom<(error: Error) => void>((v) => v === undefined || typeof v === 'function', 'must be a function')
      .optional(),
    plugins: z.array(z.unknown()).optional(),
    pluginTimeoutMs: z.int().min(0).optional(),
    circuitBreaker: z.unknown().optional(),
  })
  .refine((o) => o.maxBatchBytes * 2 <= o.maxQueueBytes, {
    path: ['maxBatchBytes'],
    message: 'must be at most half of maxQueueBytes',
  });

/** Engine options after defaults. */
export type ResolvedEngineOptions = z.output<typeof DeliveryEngineOptionsSchema>;

/** Options of `DeliveryEngine.close()`. */
export interface CloseOptions {
  /** Milliseconds to keep delivering; what is left is then spooled. @default the engine's `closeDeadlineMs` */
  deadlineMs?: number;
}

/**
 * The delivery engine: a byte-bounded queue, batching, retries, spool, dead letters and metrics. An exporter that is
 * also a `LineExporter` (core): the fast paths (pino raw lines, the Express performance line) queue JSON lines.
 */
export interface DeliveryEngine extends LineExporter {
  /**
   * Serialises the event once and queues it; returns `false` when it was dropped. Delivery problems never throw;
   * a value that is not a Shoplog event (no string `event.id` / `event.dataset`) throws a `TypeError` saying so.
   */
  enqueue(event: ShoplogEvent): boolean;
  /**
   * Queues an event that is already serialised (`LineExporter`): `line` must be what `JSON.stringify(event)` gives,
   * `id` and `dataset` its `event.id` and `event.dataset`. Never throws; returns `false` when it was dropped.
   */
  enqueueLine(line: string, id: string, dataset: string): boolean;
  /** Resolves when everything enqueued before the call is delivered, dead-lettered or spooled. */
  flush(): Promise<void>;
  /** Keeps delivering until everything is settled or the deadline, spools the rest, then releases every handle. Idempotent. */
  close(options?: CloseOptions): Promise<void>;
  /** Writes everything not yet delivered to the spool, synchronously (the `exit` path). */
  spoolNow(): void;
  /** Records an input that can never be delivered in `dead-letter.ndjson`, with the reason and issues. */
  deadLetter(input: unknown, reason: string, issues?: ItemIssue[]): void;
  /** A snapshot of the delivery metrics. */
  metrics(): DeliveryMetrics;
}
