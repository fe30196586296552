import {
  createPipeline,
  type PipelineErrorHandler,
  type PluginStats,
  type ShoplogEvent,
  type ShoplogPlugin,
  type ValidationIssue,
} from '@shoplog/core';

/** What the processors made of a batch: each event (or `null` when dropped), and the events they emitted. */
export interface Processed {
  out: (ShoplogEvent | null)[];
  emitted: ShoplogEvent[];
}

/**
 * The server's processors (GeoIP and other enrichers) as one core pipeline over trusted (already validated) events,
 * with a collector at its end; ingest runs each batch's valid events through it before storing and scoring them.
 */
export function createProcessorStage(processors: readonly ShoplogPlugin[], onError?: PipelineErrorHandler) {
  const reached: ShoplogEvent[] = [];
  const pipeline = createPipeline({
    input: 'trusted',
    plugins: [
      ...processors,
      {
        name: 'server:collect-processed',
        process(event) {
          reached.push(event);
          return event;
        },
      },
    ],
    ...(onError ? { onError } : {}),
  });
  const run = async (events: readonly ShoplogEvent[]): Promise<Processed> => {
    const results = events.map((event) => pipeline.processTrusted(event));
    const out = results.some((r) => r instanceof Promise)
      ? await Promise.all(results)
      : (results as (ShoplogEvent | null)[]);
    // Whatever reached the end and is not one of the batch's own events was emitted by a processor.
    const own = new Set(out);
    return { out, emitted: reached.splice(0).filter((event) => !own.has(event)) };
  };
  // The collector is the server's own stage, not a processor: its counters are left out.
  const stats = () => {
    const all = pipeline.metrics().plugins;
    return processors.map((stage, i) => ({ stage, stats: all[i] as PluginStats }));
  };
  return { run, stats, close: () => pipeline.close() };
}

/** The issue of an event a processor dropped. */
export const DROPPED: ValidationIssue[] = [{ path: '(event)', message: 'dropped by a server processor' }];
