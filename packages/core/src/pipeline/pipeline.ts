import { z } from 'zod';
import { parseOptions } from '../options.js';
import type { PluginContext, ShoplogPlugin } from '../plugin.js';
import type { ShoplogEvent } from '../schema/kinds.js';
import { validate, type ValidationResult } from '../validate.js';
import { PluginContractError, ShoplogValidationError } from './errors.js';
import { StageGuard } from './stage-guard.js';
import { createThrottledWarning } from './throttled-warning.js';
import type { Pipeline, PipelineErrorHandler, PipelineMetrics, PipelineOptions } from './types.js';
import { createNormalizer } from '../normalize/normalize.js';

const PolicySchema = z.enum(['continue', 'drop']);
const PluginSchema = z.custom<ShoplogPlugin>(
  (p) =>
    typeof p === 'object' &&
    p !== null &&
    typeof (p as ShoplogPlugin).name === 'string' &&
    (p as ShoplogPlugin).name !== '' &&
    typeof (p as ShoplogPlugin).process === 'function',
  'must be a plugin: { name: string, process(event) }',
);
const OptionsSchema = z.strictObject({
  plugins: z
    .array(PluginSchema)
    .refine((ps) => new Set(ps.map((p) => p.name)).size === ps.length, 'plugin names must be unique')
    .optional(),
  input: z.enum(['validate', 'normalize', 'trusted']).optional(),
  onError: z.custom<PipelineErrorHandler>((f) => typeof f === 'function', 'must be a function').optional(),
  onPluginError: PolicySchema.optional(),
  pluginErrorPolicy: z.record(z.string(), PolicySchema).optional(),
  now: z.custom<() => number>((f) => typeof f === 'function', 'must be a function').optional(),
  pluginTimeoutMs: z.int().min(0).optional(),
  circuitBreaker: z
    .union([
      z.literal(false),
      z.strictObject({ failures: z.int().min(1).optional(), cooldownMs: z.int().min(0).optional() }),
    ])
    .optional(),
});

interface Queued {
  event: ShoplogEvent;
  from: number;
}

function contractError(name: string, out: unknown): PluginContractError {
  return new PluginContractError(`plugin "${name}" returned ${typeof out} from process(); return the event or null`);
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/**
 * Creates a pipeline. Plugins run in order; a plugin that throws is isolated (the event continues or is dropped
 * per policy, the error goes to `onError`), so `process()` never throws. Synchronous plugins keep the whole run
 * synchronous; events emitted by a plugin (`ctx.emit`) continue from the stage after it.
 */
export function createPipeline(options: PipelineOptions = {}): Pipeline {
  const opts = parseOptions('createPipeline', OptionsSchema, options);
  const plugins: readonly ShoplogPlugin[] = opts.plugins ?? [];
  const now = opts.now ?? Date.now;
  const mode = opts.input ?? 'validate';
  const normalizer = mode === 'normalize' ? createNormalizer({ now }) : undefined;
  const handler = opts.onError ?? createThrottledWarning(now);
  const fallback = opts.onPluginError ?? 'continue';
  // Read when a plugin fails: a plugin loaded by specifier knows its name and policy only once it is loaded.
  const policyOf = (p: ShoplogPlugin) => opts.pluginErrorPolicy?.[p.name] ?? p.errorPolicy ?? fallback;
  const budgetMs = opts.pluginTimeoutMs ?? 5000;
  const breaker =
    opts.circuitBreaker === false
      ? { failures: 0, cooldownMs: 0 }
      : { failures: 5, cooldownMs: 30_000, ...opts.circuitBreaker };
  const guards = plugins.map((p) => new StageGuard(() => p.name, now, breaker.failures, breaker.cooldownMs));
  const n = plugins.length;
  const m: Omit<PipelineMetrics, 'plugins'> = {
    received: 0,
    emitted: 0,
    processed: 0,
    dropped: { invalid: 0, plugin: 0, filtered: 0, closed: 0 },
    errors: {},
  };
  const inFlight = new Set<Promise<unknown>>();
  const queue: Queued[] = [];
  let depth = 0;
  let asyncActive = 0;
  let accepting = true;
  let closed = false;
  let closing: Promise<void> | undefined;
  let setupDone = false;

  function report(error: unknown, plugin: string, event?: unknown): void {
    m.errors[plugin] = (m.errors[plugin] ?? 0) + 1;
    try {
      handler(error, event === undefined ? { plugin } : { plugin, event });
    } catch {
      // An error handler that throws must not take the pipeline (or the shop) down with it.
    }
  }

  function track<T>(promise: Promise<T>): Promise<T> {
    inFlight.add(promise);
    const done = () => inFlight.delete(promise);
    promise.then(done, done);
    return promise;
  }

  /** Handles a plugin failure; true when the event must be dropped. */
  function failed(i: number, error: unknown, event: ShoplogEvent, started?: number): boolean {
    (guards[i] as StageGuard).failed(started, error);
    report(error, (plugins[i] as ShoplogPlugin).name, event);
    if (policyOf(plugins[i] as ShoplogPlugin) === 'drop') {
      m.dropped.plugin++;
      return true;
    }
    return false;
  }

  function runFrom(event: ShoplogEvent, start: number): ShoplogEvent | null | Promise<ShoplogEvent | null> {
    let current = event;
    for (let i = start; i < n; i++) {
      const guard = guards[i] as StageGuard;
      // An open breaker: the plugin is not called; the event goes on unchanged, or is dropped under `drop`.
      if (!guard.admit()) {
        if (policyOf(plugins[i] as ShoplogPlugin) !== 'drop') continue;
        m.dropped.plugin++;
        return null;
      }
      let out: ReturnType<ShoplogPlugin['process']>;
      depth++;
      const started = guard.start();
      try {
        out = (plugins[i] as ShoplogPlugin).process(current);
      } catch (error) {
        depth--;
        if (failed(i, error, current, started)) return null;
        continue;
      }
      depth--;
      if (isThenable(out)) return track(continueAsync(guard.budget(out, budgetMs), i, current, started));
      if (out === null) {
        guard.succeeded(started);
        m.dropped.filtered++;
        return null;
      }
      if (typeof out !== 'object') {
        if (failed(i, contractError((plugins[i] as ShoplogPlugin).name, out), current, started)) return null;
        continue;
      }
      guard.succeeded(started);
      current = out;
    }
    m.processed++;
    return current;
  }

  async function continueAsync(
    pending: PromiseLike<ShoplogEvent | null>,
    i: number,
    event: ShoplogEvent,
    started: number,
  ): Promise<ShoplogEvent | null> {
    // While this event finishes its run, what plugins emit waits, so it follows the event that caused it.
    asyncActive++;
    try {
      return await resume(pending, i, event, started);
    } finally {
      asyncActive--;
      drain();
    }
  }

  async function resume(
    pending: PromiseLike<ShoplogEvent | null>,
    i: number,
    event: ShoplogEvent,
    started: number,
  ): Promise<ShoplogEvent | null> {
    let out: ShoplogEvent | null;
    try {
      out = await pending;
    } catch (error) {
      return failed(i, error, event, started) ? null : runFrom(event, i + 1);
    }
    if (out !== null && typeof out !== 'object')
      return failed(i, contractError((plugins[i] as ShoplogPlugin).name, out), event, started)
        ? null
        : runFrom(event, i + 1);
    (guards[i] as StageGuard).succeeded(started);
    if (out === null) {
      m.dropped.filtered++;
      return null;
    }
    return runFrom(out, i + 1);
  }

  /** Runs the events plugins emitted, each from the stage after its emitter, once no plugin is running. */
  function drain(): void {
    if (depth > 0) return;
    while (queue.length > 0) {
      const { event, from } = queue.shift() as Queued;
      const checked = validate(event);
      if (!checked.ok) {
        m.dropped.invalid++;
        report(new ShoplogValidationError(checked.issues), (plugins[from - 1] as ShoplogPlugin).name, event);
        continue;
      }
      void runFrom(checked.event, from);
    }
  }

  function admit(input: unknown): ShoplogEvent | null {
    if (mode === 'trusted') return input as ShoplogEvent;
    let result: ValidationResult;
    try {
      result = normalizer ? normalizer(input) : validate(input);
    } catch (error) {
      // Only exotic inputs get here (a getter that throws, a revoked proxy): plain data never does.
      result = { ok: false, issues: [{ path: '(root)', message: `could not be read: ${String(error)}` }] };
    }
    if (result.ok) return result.event;
    m.dropped.invalid++;
    report(new ShoplogValidationError(result.issues), 'validate', input);
    return null;
  }

  function processNow(input: unknown, trusted: boolean): ShoplogEvent | null | Promise<ShoplogEvent | null> {
    const event = trusted ? (input as ShoplogEvent) : admit(input);
    if (event === null) return null;
    const out = runFrom(event, 0);
    drain();
    return out;
  }

  function accept(input: unknown, trusted: boolean): ShoplogEvent | null | Promise<ShoplogEvent | null> {
    m.received++;
    if (!accepting) {
      m.dropped.closed++;
      return null;
    }
    if (setupDone) return processNow(input, trusted);
    return track(ready.then(() => processNow(input, trusted)));
  }

  const setups: Promise<unknown>[] = [];
  plugins.forEach((plugin, i) => {
    const ctx: PluginContext = {
      emit(event) {
        m.emitted++;
        if (closed) {
          m.dropped.closed++;
          return;
        }
        queue.push({ event, from: i + 1 });
        if (asyncActive === 0) drain();
      },
      report: (error) => report(error, plugin.name),
      now,
    };
    try {
      const out = plugin.setup?.(ctx);
      if (isThenable(out)) setups.push(Promise.resolve(out).catch((error: unknown) => report(error, plugin.name)));
    } catch (error) {
      report(error, plugin.name);
    }
  });
  const ready = Promise.all(setups).then(() => {
    setupDone = true;
  });
  if (setups.length === 0) setupDone = true;

  async function flushAll(): Promise<void> {
    await ready;
    if (asyncActive === 0) drain();
    // Events in flight may emit more; wait until nothing is left, then flush plugins in stage order.
    while (inFlight.size > 0) await Promise.all([...inFlight]);
    for (const plugin of plugins) {
      try {
        await plugin.flush?.();
      } catch (error) {
        report(error, plugin.name);
      }
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    }
  }

  return {
    ready,
    process(input) {
      return accept(input, false);
    },
    processTrusted(event) {
      return accept(event, true);
    },
    flush: flushAll,
    close() {
      accepting = false;
      closing ??= (async () => {
        await flushAll();
        closed = true;
        for (const plugin of plugins) {
          try {
            await plugin.close?.();
          } catch (error) {
            report(error, plugin.name);
          }
        }
      })();
      return closing;
    },
    metrics: () => ({
      ...m,
      dropped: { ...m.dropped },
      errors: { ...m.errors },
      plugins: guards.map((g) => g.stats()),
    }),
  };
}
