import { createPipeline, pluginStages, type ShoplogEvent, type ShoplogPlugin } from '@shoplog/core';
import type { DeliveryEngine, DeliveryEngineOptions } from './engine-options.js';
import { transportPluginLoader } from './plugin-host.js';
import { notAnEvent } from './report.js';
import { createThrottledPrinter } from './warnings.js';

/**
 * The engine behind its processors (`plugins` option): every event, given as an object or as a serialised line,
 * runs the plugins before it is queued, so a line writer's shortcut (`enqueueLine`) never skips a configured plugin.
 */
export function withPlugins(
  engine: DeliveryEngine,
  options: Pick<DeliveryEngineOptions, 'plugins' | 'pluginTimeoutMs' | 'circuitBreaker' | 'onError'>,
): DeliveryEngine {
  const warnings = createThrottledPrinter();
  const report = (error: Error, key: string) =>
    options.onError ? options.onError(error) : warnings.print(key, error.message);
  const exporter: ShoplogPlugin = {
    name: 'shoplog-delivery',
    process(event) {
      engine.enqueue(event);
      return event;
    },
  };
  const loader = transportPluginLoader((message) => report(new Error(message), `plugin-warning:${message}`));
  const pipeline = createPipeline({
    plugins: [...pluginStages(options.plugins ?? [], loader), exporter],
    // The engine takes what its producer built (a transport, the middleware); validation is the server's job.
    input: 'trusted',
    ...(options.pluginTimeoutMs === undefined ? {} : { pluginTimeoutMs: options.pluginTimeoutMs }),
    ...(options.circuitBreaker === undefined ? {} : { circuitBreaker: options.circuitBreaker }),
    onError(error, info) {
      const e = error instanceof Error ? error : new Error(String(error));
      report(
        new Error(`pipeline plugin "${info.plugin}" failed: ${e.message} (printed once a minute at most)`),
        `plugin:${info.plugin}`,
      );
    },
  });
  const run = (event: ShoplogEvent): boolean => {
    const out = pipeline.processTrusted(event);
    // Only async plugins return a promise; the pipeline never rejects, this only keeps the promise handled.
    if (out instanceof Promise) out.catch(() => undefined);
    return out !== null;
  };
  return {
    enqueue(event) {
      const head = (event as { event?: { id?: unknown; dataset?: unknown } } | null | undefined)?.event;
      if (typeof event !== 'object' || typeof head?.id !== 'string' || typeof head.dataset !== 'string')
        throw notAnEvent(event);
      return run(event);
    },
    enqueueLine(line, id, dataset) {
      let event: ShoplogEvent;
      try {
        event = JSON.parse(line) as ShoplogEvent;
      } catch (error) {
        engine.deadLetter(line, `enqueueLine(): not JSON (${(error as Error).message})`);
        return false;
      }
      if (event?.event?.id !== id || event.event.dataset !== dataset) {
        engine.deadLetter(line, 'enqueueLine(): id or dataset differ from the line');
        return false;
      }
      return run(event);
    },
    async flush() {
      await pipeline.flush();
      await engine.flush();
    },
    async close(closeOptions) {
      await pipeline.close();
      await engine.close(closeOptions);
    },
    spoolNow: () => engine.spoolNow(),
    deadLetter: (input, reason, issues) => engine.deadLetter(input, reason, issues),
    metrics: () => ({ ...engine.metrics(), plugins: pipeline.metrics().plugins }),
  };
}
