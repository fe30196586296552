import type { ShoplogEvent } from '../schema/kinds.js';

/**
 * Where a front end (the Express middleware, a logger transport) hands its events: an exporter or a pipeline
 * (`process(event)`: core's memory exporter, any plugin, `createPipeline()`), a core client (`createShoplog()`,
 * through its `pipeline`), or a queue such as the delivery engine of `@shoplog/node-transport` (`enqueue(event)`).
 */
export type EventExporter =
  | { process(event: ShoplogEvent): unknown }
  | { enqueue(event: ShoplogEvent): unknown }
  | { pipeline: { process(event: ShoplogEvent): unknown } };

/**
 * The fast-line seam: a queue that also takes an event already serialised, so a front end that writes an event's
 * JSON straight from its values never builds the object. `line` must be exactly `JSON.stringify(event)`, `id` and
 * `dataset` its `event.id` and `event.dataset`; the differential tests of each line writer hold it to that. The
 * delivery engine of `@shoplog/node-transport` is one.
 */
export interface LineExporter {
  /** Queues an event object. */
  enqueue(event: ShoplogEvent): unknown;
  /** Queues the JSON line of an event (the delivery engine returns `false` when it dropped it). */
  enqueueLine(line: string, id: string, dataset: string): unknown;
}

/** How a front end reaches an exporter, resolved once by `exporterPaths`. */
export interface ExporterPaths {
  /** Hands one event over (`process`, the client's `pipeline.process`, or `enqueue`). */
  send: (event: ShoplogEvent) => unknown;
  /** A core pipeline's `processTrusted`, for events valid by construction; unset when the exporter has none. */
  sendTrusted: ((event: ShoplogEvent) => unknown) | undefined;
  /** A `LineExporter`'s `enqueueLine`; unset for any other exporter. */
  sendLine: LineExporter['enqueueLine'] | undefined;
}

type Methods = {
  process?: unknown;
  processTrusted?: unknown;
  enqueue?: unknown;
  enqueueLine?: unknown;
  pipeline?: unknown;
};

const bound = <F>(target: Methods, name: keyof Methods): F | undefined =>
  typeof target[name] === 'function' ? ((target[name] as (...args: never[]) => unknown).bind(target) as F) : undefined;

/**
 * Resolves how to hand events to `exporter` (an `EventExporter`, possibly a `LineExporter`): the one place that looks
 * at an exporter's methods. `undefined` when it is neither.
 */
export function exporterPaths(exporter: unknown): ExporterPaths | undefined {
  if (typeof exporter !== 'object' || exporter === null) return undefined;
  const e = exporter as Methods;
  if (typeof e.process === 'function') {
    return { send: bound(e, 'process')!, sendTrusted: bound(e, 'processTrusted'), sendLine: undefined };
  }
  if (typeof e.enqueue === 'function') {
    return { send: bound(e, 'enqueue')!, sendTrusted: undefined, sendLine: bound(e, 'enqueueLine') };
  }
  const pipeline = e.pipeline as Methods | null | undefined;
  if (typeof pipeline === 'object' && pipeline !== null && typeof pipeline.process === 'function') {
    return { send: bound(pipeline, 'process')!, sendTrusted: bound(pipeline, 'processTrusted'), sendLine: undefined };
  }
  return undefined;
}
