import {
  createFraudPlugin,
  createNormalizer,
  createPipeline,
  type FraudScorer,
  type PipelineErrorHandler,
  type PluginStats,
  type ShoplogEvent,
  type ShoplogPlugin,
  type ValidationIssue,
} from '@shoplog/core';
import type { AppendResult, Cache, LogStore } from '../ports.js';
import { withContentId } from './content-id.js';
import { createProcessorStage, DROPPED } from './processor-stage.js';
import { createEventLimitCheck, DEFAULT_INGEST_LIMITS, lineTooLong, type IngestLimits } from './limits.js';

/** The outcome of one input of a batch. */
export interface IngestItem {
  /** `event.id` (of the normalised event), or `null` when the input had none usable. */
  id: string | null;
  result: AppendResult | 'error';
  issues?: ValidationIssue[];
}

/** Normalises, validates and stores inputs; the same path for HTTP, bulk, upload, TCP and UDP. */
export interface Ingestor {
  /**
   * Ingests parsed inputs (envelopes or seed shapes); resolves once the valid ones are durably committed. An input
   * over a per-event limit is an error item naming the field; the others are stored. `texts[i]`, when given, is the
   * JSON text `inputs[i]` was parsed from (the inputs are then the caller's to give away): stored as is when valid.
   */
  ingest(inputs: readonly unknown[], texts?: readonly (string | undefined)[]): Promise<IngestItem[]>;
  /**
   * Ingests JSON lines (blank lines skipped; a line that is not JSON, or too long to parse, is an error item with
   * `line`). `map` turns each parsed line (and its 0-based index) into the input to ingest, e.g. an Elasticsearch
   * bulk document with its action's `_id` and `_index` applied; a line it changes is not stored as sent.
   */
  ingestLines(lines: readonly string[], map?: LineMapper): Promise<(IngestItem & { line: number })[]>;
  /** Waits for the batches in progress, then flushes and closes the processors. */
  close(): Promise<void>;
  /** Each processor with its counters (calls, errors, timeouts, time, breaker state), in order. */
  processorStats(): { stage: ShoplogPlugin; stats: PluginStats }[];
  /** The limits applied to every input. */
  readonly limits: IngestLimits;
}

/** Maps a parsed JSON line (and its 0-based index in the lines) to the input to ingest. */
export type LineMapper = (parsed: unknown, index: number) => unknown;

/** Options of the ingest path. */
export interface IngestorOptions {
  logs: LogStore;
  cache: Cache;
  /** Cache key prefixes dropped after each stored batch. @default ['q:'] */
  invalidatePrefixes?: readonly string[];
  /**
   * Scores newly stored transactions that arrived without a client-side verdict (no `shop.fraud` on the transaction
   * and no fraud event for its `shop.transaction.id` in the same batch), storing a `shoplog.fraud` event for each
   * `review` or `block` decision before the batch is acknowledged. Omit to turn server-side scoring off.
   */
  fraudScorer?: FraudScorer;
  /** Receives the fraud events the server's scoring stored (after they are committed), e.g. to notify blocks. */
  onFraudEvents?: (events: readonly ShoplogEvent[]) => void;
  /**
   * Processors (core plugins such as GeoIP) run, in order, on every valid event before it is stored and before
   * fraud scoring, so the scorer sees what they set (the IP's country, not the one the client claimed). An event a
   * processor drops is an error item; events a processor emits are stored too. @default []
   */
  processors?: readonly ShoplogPlugin[];
  /** Receives processor errors (the event goes on unchanged unless the plugin's policy drops it). @default core's throttled console warning */
  onProcessorError?: PipelineErrorHandler;
  /** Bounds on each event and line (`maxRequestLines` is the routes' to apply). @default DEFAULT_INGEST_LIMITS */
  limits?: IngestLimits;
}

interface LooseTx {
  shop?: { fraud?: unknown; transaction?: { id?: string } };
}

/**
 * The server-side fraud stage: a core pipeline (trusted input: the events are already validated) with the core
 * fraud plugin; the fraud events it emits are collected for storage.
 */
function createFraudStage(
  scorer: FraudScorer,
): (fresh: readonly ShoplogEvent[], judged: ReadonlySet<string>) => Promise<ShoplogEvent[]> {
  const emitted: ShoplogEvent[] = [];
  const pipeline = createPipeline({
    input: 'trusted',
    plugins: [
      createFraudPlugin({ scorer }),
      {
        name: 'server:collect-fraud',
        process(event) {
          if (event.event.dataset === 'shoplog.fraud') emitted.push(event);
          return event;
        },
      },
    ],
  });
  return async (fresh, judged) => {
    const pending: Promise<unknown>[] = [];
    for (const event of fresh) {
      if (event.event.dataset !== 'shoplog.transaction') continue;
      const shop = (event as LooseTx).shop;
      if (shop?.fraud !== undefined || (shop?.transaction?.id && judged.has(shop.transaction.id))) continue;
      const out = pipeline.process(event);
      if (out instanceof Promise) pending.push(out);
    }
    // A synchronous velocity store emits during the loop: take this batch's alerts before yielding to another batch.
    if (pending.length === 0) return emitted.splice(0);
    await Promise.all(pending);
    return emitted.splice(0);
  };
}

/** The transaction ids a batch already carries a client-side fraud verdict for (a `shoplog.fraud` event). */
function judgedIds(batch: readonly ShoplogEvent[]): Set<string> {
  const judged = new Set<string>();
  for (const event of batch) {
    const id = (event as LooseTx).shop?.transaction?.id;
    if (event.event.dataset === 'shoplog.fraud' && id) judged.add(id);
  }
  return judged;
}

/**
 * Events per slice of a big batch (a multiple of the store's 64-row statements): each slice is appended (committed)
 * on its own and the event loop turns between slices, so a 5 000-line bulk request does not hold the thread for its
 * whole ≈ 50 ms: searches and dashboard calls arriving meanwhile are served between slices. The ack still comes after
 * the last commit. Batches themselves are ingested one after the other (`serial`): two bulk requests interleaving
 * their slices would both finish late, and the clients would send their next batches only then, leaving the server
 * idle while the bodies arrive.
 */
const SLICE = 1024;
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function idOf(input: unknown): string | null {
  const id = (input as { event?: { id?: unknown } } | null)?.event?.id;
  // An id too long to be one (the schema's bound) is not echoed back in the answer.
  return typeof id === 'string' && id.length <= 256 ? id : null;
}

// The limits are checked first, before `withContentId` serialises a seed document: the normalisers need not walk
// the input again. Parsed lines belong to the ingestor: an envelope that normalisation leaves unchanged is validated
// in one walk without a copy, and the line it came from is stored as sent.
const normalizeOwned = createNormalizer({ reuseInput: true, limits: false });
const normalizeShared = createNormalizer({ limits: false });

/** Creates the ingest path: `normalize()` of @shoplog/core (seed shapes → envelope, validated), append, invalidate caches. */
export function createIngestor(options: IngestorOptions): Ingestor {
  const limits = options.limits ?? DEFAULT_INGEST_LIMITS;
  const overLimit = createEventLimitCheck(limits);
  const prefixes = options.invalidatePrefixes ?? ['q:'];
  const invalidate = () => Promise.all(prefixes.map((prefix) => options.cache.invalidatePrefix(prefix)));
  // The store indexes in order, so when the newest batch is searchable every earlier one is too: one invalidation
  // per catch-up, not one per request (each is a key scan, a network round trip with Redis).
  let newestBatch = 0;
  const invalidateWhenSearchable = (): void => {
    const batch = ++newestBatch;
    options.logs
      .whenSearchable()
      .then(() => (batch === newestBatch ? invalidate() : undefined))
      .catch(() => {});
  };
  const scoreFraud = options.fraudScorer ? createFraudStage(options.fraudScorer) : undefined;
  const processors = options.processors?.length
    ? createProcessorStage(options.processors, options.onProcessorError)
    : undefined;
  // One batch at a time, in arrival order: a batch's events are stored contiguously, and the first one is acked first.
  let tail: Promise<unknown> = Promise.resolve();
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const run = tail.then(work);
    tail = run.catch(() => undefined);
    return run;
  };
  // `texts[i]`: the JSON text `inputs[i]` was parsed from, stored as is when normalisation left the input unchanged.
  const ingestParsed = async (
    inputs: readonly unknown[],
    texts?: readonly (string | undefined)[],
  ): Promise<IngestItem[]> => {
    const items: IngestItem[] = new Array<IngestItem>(inputs.length);
    const valid: ShoplogEvent[] = [];
    const docs: (string | undefined)[] = [];
    const slots: number[] = [];
    // Inputs parsed here from lines are owned: the normaliser may return them themselves (no copy) when unchanged.
    const normalizeInput = texts ? normalizeOwned : normalizeShared;
    for (let index = 0; index < inputs.length; index++) {
      if (index > 0 && index % SLICE === 0) await nextTurn();
      const input = inputs[index];
      const exceeded = overLimit(input);
      if (exceeded) {
        items[index] = { id: idOf(input), result: 'error', issues: [exceeded] };
        continue;
      }
      const normalized = withContentId(input);
      const checked = normalizeInput(normalized);
      if (checked.ok) {
        valid.push(checked.event);
        docs.push(texts && checked.unchanged === true && normalized === input ? texts[index] : undefined);
        slots.push(index);
      } else {
        items[index] = { id: idOf(normalized), result: 'error', issues: checked.issues };
      }
    }
    if (valid.length === 0) return items;
    let emitted: ShoplogEvent[] = [];
    if (processors) {
      const processed = await processors.run(valid);
      emitted = processed.emitted;
      let kept = 0;
      for (let i = 0; i < valid.length; i++) {
        const event = processed.out[i] ?? null;
        const slot = slots[i] ?? 0;
        if (event === null) {
          items[slot] = { id: valid[i]?.event.id ?? null, result: 'error', issues: DROPPED };
          continue;
        }
        // A changed event is stored as changed, not as the line it came from.
        docs[kept] = event === valid[i] ? docs[i] : undefined;
        valid[kept] = event;
        slots[kept++] = slot;
      }
      valid.length = docs.length = slots.length = kept;
    }
    // A transaction with a fraud event for it anywhere in the request is not scored again, whichever slice holds it.
    const judged = scoreFraud ? judgedIds(valid) : undefined;
    let created = false;
    for (let start = 0; start < valid.length; start += SLICE) {
      if (start > 0) await nextTurn();
      const part = valid.slice(start, start + SLICE);
      const results = await options.logs.appendBatch(part, texts ? docs.slice(start, start + SLICE) : undefined);
      for (let i = 0; i < results.length; i++) {
        items[slots[start + i] ?? 0] = { id: part[i]?.event.id ?? null, result: results[i] ?? 'error' };
      }
      if (scoreFraud && judged) {
        // Only transactions stored now: a retried batch (duplicates) is neither scored twice nor alerted twice.
        const fresh = part.filter((_event, i) => results[i] === 'created');
        const alerts = fresh.length > 0 ? await scoreFraud(fresh, judged) : [];
        if (alerts.length > 0) {
          await options.logs.appendBatch(alerts);
          options.onFraudEvents?.(alerts);
        }
      }
      if (results.includes('created')) created = true;
    }
    if (emitted.length > 0 && (await options.logs.appendBatch(emitted)).includes('created')) created = true;
    if (created) {
      await invalidate();
      // Again once the new events are searchable: a query answered while indexing lagged must not stay cached.
      invalidateWhenSearchable();
    }
    return items;
  };
  return {
    ingest: (inputs, texts) => serial(() => ingestParsed(inputs, texts)),
    ingestLines: (lines, map) => serial(() => ingestLines(lines, map)),
    close: () => serial(async () => processors?.close()),
    processorStats: () => processors?.stats() ?? [],
    limits,
  };

  async function ingestLines(lines: readonly string[], map?: LineMapper): Promise<(IngestItem & { line: number })[]> {
    const parsed: unknown[] = [];
    const texts: (string | undefined)[] = [];
    const lineNumbers: number[] = [];
    const out: (IngestItem & { line: number })[] = [];
    const errors: (IngestItem & { line: number })[] = [];
    for (let index = 0; index < lines.length; index++) {
      if (index > 0 && index % SLICE === 0) await nextTurn();
      const raw = lines[index] ?? '';
      if (raw.length > limits.maxLineLength) {
        errors.push({ line: index + 1, id: null, result: 'error', issues: [lineTooLong(limits, raw.length)] });
        continue;
      }
      const text = raw.trim();
      if (text === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (error) {
        errors.push({
          line: index + 1,
          id: null,
          result: 'error',
          issues: [{ path: '(line)', message: `not JSON: ${(error as Error).message}` }],
        });
        continue;
      }
      const input = map ? map(value, index) : value;
      parsed.push(input);
      texts.push(input === value ? text : undefined);
      lineNumbers.push(index + 1);
    }
    const items = await ingestParsed(parsed, texts);
    // Merge the parsed items and the unparseable lines back into line order (both lists are ordered by line).
    let e = 0;
    for (let i = 0; i < items.length; i++) {
      const line = lineNumbers[i] ?? 0;
      while (e < errors.length && (errors[e]?.line ?? 0) < line) out.push(errors[e++] as IngestItem & { line: number });
      const item = items[i] as IngestItem;
      out.push({ line, id: item.id, result: item.result, ...(item.issues ? { issues: item.issues } : {}) });
    }
    while (e < errors.length) out.push(errors[e++] as IngestItem & { line: number });
    return out;
  }
}
