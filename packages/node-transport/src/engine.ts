import { backoffDelay, parseOptions, type ShoplogEvent } from '@shoplog/core';
import {
  DeliveryEngineOptionsSchema,
  type CloseOptions,
  type DeliveryEngine,
  type DeliveryEngineOptions,
  type ResolvedEngineOptions,
} from './engine-options.js';
import { registerExitHooks } from './exit-hooks.js';
import { ByteQueue, LinePacker } from './byte-queue.js';
import { createDeadLetters, type DeadLetters } from './dead-letter.js';
import { Counters, type DeliveryMetrics } from './metrics.js';
import {
  DeliveryError,
  type ItemFailure,
  type ItemIssue,
  type QueuedEntry,
  type SendOutcome,
  type Sink,
} from './sink.js';
import { createFileSpool, type Spool, type SpoolChunk } from './spool.js';
import { SpoolDirs } from './spool-dir.js';
import { notAnEvent, Reporter } from './report.js';
import { withPlugins } from './engine-plugins.js';

interface Batch {
  /** Parts still to send, in order; the first is in flight. A 413 splits a part, a partial failure shrinks it. */
  parts: QueuedEntry[][];
  /** The spool chunk being replayed, or `undefined` for a batch taken from memory. */
  chunk: SpoolChunk | undefined;
  attempts: number;
  abort: AbortController;
}

/** Attempts of a batch before an app's `flush()` stops waiting for the backend and spools it. */
const URGENT_ATTEMPTS = 3;
/** Longest wait between attempts while the process shuts down, so the grace period holds several attempts. */
const SHUTDOWN_RETRY_MS = 1000;

class Engine implements DeliveryEngine {
  private readonly o: ResolvedEngineOptions;
  private readonly sink: Sink;
  private readonly dirs: SpoolDirs;
  private readonly spool: Spool;
  private readonly dead: DeadLetters;
  private readonly c = new Counters();
  private readonly reporter: Reporter;
  private readonly queue = new ByteQueue();
  private readonly packer = new LinePacker();
  private inFlight: Batch | undefined;
  private inFlightBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private backoff: NodeJS.Timeout | undefined;
  private due = false;
  private failures = 0;
  /** Events accepted from the app / whose fate is settled (delivered, dead-lettered, spooled or dropped), in order. */
  private accepted = 0;
  private settled = 0;
  private waiters: { target: number; resolve: () => void }[] = [];
  /** Resolved once nothing is queued, in flight or spooled (shutdown: what an outage spooled goes too). */
  private idle: (() => void)[] = [];
  /** A signal arrived and the app handles it: send now and never spool early, the process is about to end. */
  private draining = false;
  private closing = false;
  private closed = false;
  private closePromise: Promise<void> | undefined;
  private unhook: (() => void) | undefined;

  constructor(options: DeliveryEngineOptions) {
    this.o = parseOptions('createDeliveryEngine', DeliveryEngineOptionsSchema, options);
    this.sink = this.o.sink;
    this.reporter = new Reporter(this.c, this.o.onError, this.sink.name);
    const warn = (text: string) => this.reporter.notice('spool', new Error(text));
    this.dirs = new SpoolDirs(this.o.spoolDir, warn);
    this.dead = createDeadLetters(this.dirs, this.o.fsync, warn);
    this.spool = createFileSpool({
      dirs: this.dirs,
      fsync: this.o.fsync,
      segmentBytes: this.o.spoolSegmentBytes,
      corrupt: (line) => this.deadLetter(line, 'corrupt spool line (torn write?)'),
      warn,
    });
    if (this.o.exitHooks) this.unhook = registerExitHooks(this);
    // Replay what a previous run left behind, first and in order.
    if (this.spool.pendingBytes > 0) setImmediate(() => this.pump()).unref();
  }

  enqueue(event: ShoplogEvent): boolean {
    const head = (event as { event?: { id?: unknown; dataset?: unknown } } | null | undefined)?.event;
    if (typeof event !== 'object' || typeof head?.id !== 'string' || typeof head.dataset !== 'string')
      throw notAnEvent(event);
    let line: string;
    try {
      line = JSON.stringify(event);
    } catch (err) {
      this.reporter.notice(
        'enqueue',
        new Error(`enqueue(): the event cannot be serialised (${(err as Error).message}): dropped`),
      );
      return false;
    }
    return this.enqueueLine(line, event.event.id, event.event.dataset);
  }

  enqueueLine(line: string, id: string, dataset: string): boolean {
    // The line's bytes go off the JS heap now: the string dies young instead of waiting for the flush.
    const entry = this.packer.pack(line, id, dataset, Date.now());
    this.accepted++;
    if (this.closed) {
      // Late events after close still must not vanish: they go straight to disk.
      this.toSpool([entry], false);
      this.settle(1);
      return true;
    }
    const size = entry.size + 1;
    if (this.queue.bytes + this.inFlightBytes + size > this.o.maxQueueBytes && !this.makeRoom(size)) {
      this.c.droppedNewest++;
      this.settle(1);
      return false;
    }
    this.queue.push(entry);
    if (this.inFlight === undefined && this.backoff === undefined) {
      // Shutting down: what the app still logs goes out at once, not at the next interval.
      if (
        this.queue.length >= this.o.maxBatchCount ||
        this.queue.bytes >= this.o.maxBatchBytes ||
        this.draining ||
        this.closing
      )
        this.pump();
    }
    if (this.timer === undefined && !this.closed) {
      this.timer = setTimeout(this.onTimer, this.o.flushIntervalMs);
      this.timer.unref();
    }
    return true;
  }

  flush(): Promise<void> {
    if (this.settled >= this.accepted) return Promise.resolve();
    const p = new Promise<void>((resolve) => this.waiters.push({ target: this.accepted, resolve }));
    // The backend is known to be down: spool now rather than wait out the backoff (not while shutting down: the
    // process is about to end, and a spool on a container's disk goes with it).
    if (this.backoff !== undefined && this.failures >= URGENT_ATTEMPTS && this.maySpoolEarly()) {
      this.spillInFlight();
      this.spillMemory();
    }
    this.due = true;
    this.pump();
    return p;
  }

  /** For the process hooks: a signal the app handles itself arrived; send what is queued now, retrying soon. */
  drain(): Promise<void> {
    this.draining = true;
    this.retrySoon();
    return this.flush().then(() => this.whenIdle());
  }

  /** Resolves once nothing is queued, in flight or waiting in the spool. */
  private whenIdle(): Promise<void> {
    if (this.inFlight === undefined && this.queue.length === 0 && this.spool.pendingBytes === 0)
      return Promise.resolve();
    const p = new Promise<void>((resolve) => this.idle.push(resolve));
    this.pump();
    return p;
  }

  close(options: CloseOptions = {}): Promise<void> {
    this.closePromise ??= this.doClose(options.deadlineMs ?? this.o.closeDeadlineMs);
    return this.closePromise;
  }

  spoolNow(): void {
    if (this.closed) return;
    this.spillInFlight();
    this.spillMemory();
    this.spool.close();
    this.dead.close();
  }

  /** Spools what is left of a batch taken from memory, ahead of anything spooled since it was taken. */
  private spillInFlight(): void {
    const batch = this.inFlight;
    if (batch === undefined) return;
    // A batch replayed from the spool is still there: its cursor did not move.
    if (batch.chunk === undefined) {
      const rest = batch.parts.flat();
      this.toSpool(rest, true);
      this.settle(rest.length);
    }
    batch.abort.abort();
    this.inFlight = undefined;
    this.inFlightBytes = 0;
  }

  /** Writes entries to the spool (`front`: ahead of everything there); counts them as spooled, or dropped when it cannot be written. */
  private toSpool(entries: readonly QueuedEntry[], front: boolean): void {
    if (entries.length === 0) return;
    if (front ? this.spool.unshift(entries) : this.spool.push(entries)) this.c.spooled += entries.length;
    else this.c.droppedSpool += entries.length;
  }

  deadLetter(input: unknown, reason: string, issues?: ItemIssue[]): void {
    let line: string;
    try {
      line = typeof input === 'string' ? input : (JSON.stringify(input) ?? String(input));
    } catch {
      line = String(input);
    }
    this.dead.write(line, reason, issues);
    this.c.deadLettered++;
  }

  metrics(): DeliveryMetrics {
    const inFlight = this.inFlight ? this.inFlight.parts.reduce((n, p) => n + p.length, 0) : 0;
    return this.c.snapshot(this.queue.length, this.queue.bytes + this.inFlightBytes, inFlight, this.spool.pendingBytes);
  }

  /** Keeps delivering until everything is settled or the deadline passes, then spools the rest and lets go. */
  private async doClose(deadlineMs: number): Promise<void> {
    this.closing = true;
    const spooledBefore = this.c.spooled;
    this.retrySoon();
    // A ref'd timer: the process stays up for the grace period even while every retry timer is unref'd.
    let timeout: NodeJS.Timeout | undefined;
    await Promise.race([
      // What an outage spooled is sent too: the spool may be on a disk that goes with the container.
      this.flush().then(() => this.whenIdle()),
      new Promise<void>((resolve) => {
        timeout = setTimeout(resolve, deadlineMs);
      }),
    ]);
    clearTimeout(timeout);
    this.spoolNow();
    this.closed = true;
    clearTimeout(this.timer);
    clearTimeout(this.backoff);
    this.timer = this.backoff = undefined;
    this.unhook?.();
    try {
      await this.sink.close?.();
    } catch (err) {
      this.reporter.notice('close', err);
    }
    const left = this.c.spooled - spooledBefore;
    if (left > 0) {
      const last = this.reporter.lastFailure ? `; last delivery error: ${this.reporter.lastFailure}` : '';
      this.reporter.notice(
        'close',
        new Error(
          `closed with ${left} events not delivered: spooled to ${this.dirs.writable() ?? this.dirs.configured}, sent on the next start${last}`,
        ),
      );
    }
  }

  /** While shutting down, a retry waiting out a long backoff is brought forward. */
  private retrySoon(): void {
    if (this.backoff === undefined) return;
    clearTimeout(this.backoff);
    this.backoff = undefined;
    const batch = this.inFlight;
    if (batch !== undefined) void this.run(batch);
    else this.pump();
  }

  /** An app's `flush()` may spool after a few failures; shutting down never does before its deadline. */
  private maySpoolEarly(): boolean {
    return !this.closing && !this.draining;
  }

  private readonly onTimer = (): void => {
    this.timer = undefined;
    this.due = true;
    this.pump();
  };

  /** Frees room for `size` bytes by the overflow policy; `false` means drop the new event. */
  private makeRoom(size: number): boolean {
    if (this.o.overflow === 'drop-newest') return false;
    // Evict down to a low-water mark, so the spool is written in chunks, not one event at a time.
    const target = this.o.overflow === 'spool' ? this.o.maxQueueBytes - this.o.maxBatchBytes : this.o.maxQueueBytes;
    const evicted = this.queue.shiftWhile((bytes) => bytes + this.inFlightBytes + size > target);
    if (this.o.overflow === 'spool') {
      this.toSpool(evicted, false);
    } else {
      this.c.droppedOldest += evicted.length;
    }
    this.settle(evicted.length);
    return this.queue.bytes + this.inFlightBytes + size <= this.o.maxQueueBytes;
  }

  /** Moves every queued event to the spool (the sink is down and someone is waiting). */
  private spillMemory(): void {
    if (this.queue.length === 0) return;
    const entries = this.queue.drain();
    this.toSpool(entries, false);
    this.settle(entries.length);
  }

  private settle(n: number): void {
    this.settled += n;
    while (this.waiters.length > 0 && (this.waiters[0] as { target: number }).target <= this.settled) {
      this.waiters.shift()?.resolve();
    }
  }

  private pump(): void {
    if (this.inFlight !== undefined || this.backoff !== undefined || this.closed) return;
    const chunk = this.spool.shift(this.o.maxBatchCount, this.o.maxBatchBytes);
    if (chunk) {
      if (chunk.entries.length === 0) {
        this.spool.ack(chunk);
        this.pump();
        return;
      }
      this.start({ parts: [chunk.entries], chunk, attempts: 0, abort: new AbortController() });
      return;
    }
    const available = this.queue.length;
    if (available === 0) {
      for (const resolve of this.idle.splice(0)) resolve();
      return;
    }
    const urgent = this.due || this.waiters.length > 0 || this.closing || this.draining;
    if (!urgent && available < this.o.maxBatchCount && this.queue.bytes < this.o.maxBatchBytes) return;
    const before = this.queue.bytes;
    const entries = this.queue.take(this.o.maxBatchCount, this.o.maxBatchBytes);
    this.inFlightBytes = before - this.queue.bytes;
    if (this.queue.length === 0) this.due = false;
    this.start({ parts: [entries], chunk: undefined, attempts: 0, abort: new AbortController() });
  }

  private start(batch: Batch): void {
    this.inFlight = batch;
    void this.run(batch);
  }

  private async run(batch: Batch): Promise<void> {
    const part = batch.parts[0] as QueuedEntry[];
    let outcome: SendOutcome;
    try {
      outcome = await this.sink.send(part, batch.abort.signal);
    } catch (err) {
      if (this.inFlight === batch) this.onError(batch, part, err);
      return;
    }
    if (this.inFlight === batch) this.onOutcome(batch, part, outcome);
  }

  private onOutcome(batch: Batch, part: QueuedEntry[], outcome: SendOutcome): void {
    const retry: QueuedEntry[] = [];
    let dead = 0;
    for (const f of outcome.failures) {
      const entry = part[f.index];
      if (!entry) continue;
      if (f.retryable) retry.push(entry);
      else {
        this.deadLetterEntry(entry, f);
        dead++;
      }
    }
    const delivered = part.length - retry.length - dead;
    this.c.sent += delivered;
    this.c.duplicates += outcome.duplicates;
    if (batch.chunk !== undefined) this.c.replayed += delivered;
    else this.settle(delivered + dead);
    if (delivered > 0) this.c.latency(Date.now() - (part[0] as QueuedEntry).at);
    if (retry.length > 0) {
      batch.parts[0] = retry;
      this.failed(
        batch,
        new DeliveryError(`${retry.length} of ${part.length} documents throttled or failed on the server`, {
          retryable: true,
        }),
      );
      return;
    }
    this.failures = 0;
    this.reporter.success();
    batch.parts.shift();
    if (batch.parts.length > 0) {
      void this.run(batch);
      return;
    }
    if (batch.chunk) this.spool.ack(batch.chunk);
    this.finish();
  }

  private onError(batch: Batch, part: QueuedEntry[], err: unknown): void {
    const e =
      err instanceof DeliveryError
        ? err
        : new DeliveryError(err instanceof Error ? err.message : String(err), { retryable: true, cause: err });
    if (e.tooLarge) {
      if (part.length > 1) {
        const half = Math.ceil(part.length / 2);
        batch.parts.splice(0, 1, part.slice(0, half), part.slice(half));
        void this.run(batch);
        return;
      }
      this.deadLetterPart(batch, part, `too large for the backend (${e.status ?? 413})`);
      return;
    }
    if (!e.retryable && e.status === 400) {
      this.deadLetterPart(batch, part, e.message);
      return;
    }
    // Anything else (including 401/403: a configuration problem) keeps the data and retries later.
    this.failed(batch, e);
  }

  private deadLetterPart(batch: Batch, part: QueuedEntry[], reason: string): void {
    this.onOutcome(batch, part, {
      duplicates: 0,
      failures: part.map((_, index) => ({ index, retryable: false, reason })),
    });
  }

  private deadLetterEntry(entry: QueuedEntry, f: ItemFailure): void {
    this.dead.write(entry.line, f.reason, f.issues);
    this.c.deadLettered++;
  }

  private failed(batch: Batch, e: DeliveryError): void {
    this.reporter.failure(e);
    this.failures++;
    batch.attempts++;
    const urgent = this.waiters.length > 0;
    const delay = this.delay(e);
    const spill =
      (urgent && batch.attempts >= URGENT_ATTEMPTS) ||
      (batch.chunk === undefined && batch.attempts > this.o.maxRetries);
    if (spill && this.maySpoolEarly()) {
      // A spool batch is still on disk (its cursor did not move): only memory needs writing.
      this.spillInFlight();
      if (urgent) this.spillMemory();
      this.finish(delay);
      return;
    }
    for (const p of batch.parts) this.c.retried += p.length;
    this.backoff = setTimeout(() => {
      this.backoff = undefined;
      if (this.inFlight === batch) void this.run(batch);
      else this.pump();
    }, delay);
    // Closing keeps the process up until the deadline; otherwise a retry never holds the app open.
    if (!this.closing) this.backoff.unref();
  }

  /** Ends the batch in flight; with `delay`, waits that long before sending anything else. */
  private finish(delay?: number): void {
    this.inFlight = undefined;
    this.inFlightBytes = 0;
    if (delay !== undefined && !this.closed) {
      this.backoff = setTimeout(() => {
        this.backoff = undefined;
        this.pump();
      }, delay);
      this.backoff.unref();
      return;
    }
    this.pump();
  }

  private delay(e: DeliveryError): number {
    const wait = backoffDelay(
      this.failures,
      { initialDelayMs: this.o.retryInitialDelayMs, maxDelayMs: this.o.retryMaxDelayMs },
      e.retryAfterMs,
    );
    return this.closing || this.draining ? Math.min(wait, SHUTDOWN_RETRY_MS) : wait;
  }
}

/** Creates a delivery engine for one sink. */
export function createDeliveryEngine(options: DeliveryEngineOptions): DeliveryEngine {
  const engine = new Engine(options);
  return (options.plugins?.length ?? 0) > 0 ? withPlugins(engine, options) : engine;
}
