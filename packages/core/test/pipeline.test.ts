import { describe, expect, it } from 'vitest';
import {
  createEvent,
  createMemoryExporter,
  createPipeline,
  createRedactor,
  transaction,
  type PipelineErrorInfo,
  type ShoplogEvent,
  type ShoplogPlugin,
} from '@shoplog/core';

const tx = (id: string, extra: Record<string, unknown> = {}) =>
  transaction({
    user: { id: 'u-1' },
    shop: { transaction: { id, type: 'purchase', status: 'completed' }, amount: { value: '12.50', currency: 'EUR' } },
    ...extra,
  });

function collectErrors() {
  const errors: { error: unknown; info: PipelineErrorInfo }[] = [];
  return { errors, onError: (error: unknown, info: PipelineErrorInfo) => errors.push({ error, info }) };
}

const tagger = (name: string, tag: string): ShoplogPlugin => ({
  name,
  process: (e) => ({ ...e, tags: [...(e.tags ?? []), tag] }),
});

describe('createPipeline', () => {
  it('runs plugins in order, synchronously when every plugin is sync', () => {
    const exporter = createMemoryExporter();
    const pipeline = createPipeline({ plugins: [tagger('a', 'a'), tagger('b', 'b'), exporter] });
    const out = pipeline.process(tx('tx-1'));
    expect(out).not.toBeInstanceOf(Promise);
    expect((out as ShoplogEvent).tags).toEqual(['a', 'b']);
    expect(exporter.events.map((e) => e.tags)).toEqual([['a', 'b']]);
    expect(pipeline.metrics()).toMatchObject({
      received: 1,
      processed: 1,
      dropped: { invalid: 0, plugin: 0, filtered: 0 },
    });
  });

  it('drops invalid input with its issues reported, never throwing', () => {
    const { errors, onError } = collectErrors();
    const exporter = createMemoryExporter();
    const pipeline = createPipeline({ plugins: [exporter], onError });
    expect(pipeline.process({ event: { dataset: 'shoplog.transaction' } })).toBeNull();
    expect(pipeline.process('not an event')).toBeNull();
    expect(exporter.events).toHaveLength(0);
    expect(pipeline.metrics().dropped.invalid).toBe(2);
    expect(errors[0]?.info.plugin).toBe('validate');
    expect((errors[0]?.error as { issues: { path: string }[] }).issues.map((i) => i.path)).toContain('@timestamp');
  });

  it('runs a trusted event through every plugin without validating it, and still counts and closes', async () => {
    const { errors, onError } = collectErrors();
    const exporter = createMemoryExporter();
    const seen: string[] = [];
    const tagger: ShoplogPlugin = { name: 'tagger', process: (e) => (seen.push(e.event.dataset), e) };
    const pipeline = createPipeline({ plugins: [createRedactor(), tagger, exporter], onError });
    const event = transaction({
      message: 'card 4242424242424242',
      shop: { transaction: { id: 't1', type: 'purchase', status: 'completed' }, amount: { minor: 1, currency: 'EUR' } },
    });
    // Not valid (a field of the wrong type): process() drops it, processTrusted() does not look.
    const unchecked = { ...event, labels: 7 } as unknown as ShoplogEvent;
    expect(pipeline.process(unchecked)).toBeNull();
    const out = pipeline.processTrusted(unchecked) as ShoplogEvent;
    expect(out.message).toBe('card ************4242'); // the redactor (a plugin) still ran
    expect(seen).toEqual(['shoplog.transaction']);
    expect(exporter.events).toHaveLength(1);
    expect(pipeline.metrics()).toMatchObject({ received: 2, processed: 1, dropped: { invalid: 1 } });
    expect(errors.map((e) => e.info.plugin)).toEqual(['validate']);
    await pipeline.close();
    expect(pipeline.processTrusted(event)).toBeNull();
    expect(pipeline.metrics().dropped.closed).toBe(1);
  });

  it('isolates a throwing plugin: the event continues by default and the error is reported', () => {
    const { errors, onError } = collectErrors();
    const exporter = createMemoryExporter();
    const broken: ShoplogPlugin = {
      name: 'broken',
      process: () => {
        throw new Error('boom');
      },
    };
    const pipeline = createPipeline({ plugins: [tagger('a', 'a'), broken, tagger('c', 'c'), exporter], onError });
    for (let i = 0; i < 3; i++) expect(() => pipeline.process(tx(`tx-${i}`))).not.toThrow();
    expect(exporter.events.map((e) => e.tags)).toEqual([
      ['a', 'c'],
      ['a', 'c'],
      ['a', 'c'],
    ]);
    expect(errors).toHaveLength(3);
    expect(errors[0]?.info.plugin).toBe('broken');
    expect((errors[0]?.info.event as ShoplogEvent).shop).toMatchObject({ transaction: { id: 'tx-0' } });
    expect(pipeline.metrics().errors).toEqual({ broken: 3 });
  });

  it('drops the event of a throwing plugin under the drop policy (pipeline-wide, per plugin, or the plugin’s own)', () => {
    const broken = (name: string, errorPolicy?: 'drop'): ShoplogPlugin => ({
      name,
      ...(errorPolicy ? { errorPolicy } : {}),
      process: () => {
        throw new Error(name);
      },
    });
    const cases = [
      { plugins: [broken('x')], options: { onPluginError: 'drop' as const } },
      { plugins: [broken('x')], options: { pluginErrorPolicy: { x: 'drop' as const } } },
      { plugins: [broken('x', 'drop')], options: {} },
    ];
    for (const { plugins, options } of cases) {
      const exporter = createMemoryExporter();
      const pipeline = createPipeline({ plugins: [...plugins, exporter], onError: () => {}, ...options });
      expect(pipeline.process(tx('tx-1'))).toBeNull();
      expect(exporter.events).toHaveLength(0);
      expect(pipeline.metrics().dropped.plugin).toBe(1);
    }
  });

  it('fails closed when the redactor throws', () => {
    const exporter = createMemoryExporter();
    const hostile = {
      get authorization(): string {
        throw new Error('getter');
      },
    };
    const pipeline = createPipeline({ plugins: [createRedactor(), exporter], onError: () => {}, input: 'trusted' });
    void pipeline.process(tx('tx-1', { http: { request: { headers: hostile } } }));
    expect(exporter.events).toHaveLength(0);
    expect(pipeline.metrics().dropped.plugin).toBe(1);
  });

  it('counts events filtered by a plugin returning null', () => {
    const exporter = createMemoryExporter();
    const onlyBig: ShoplogPlugin = { name: 'only-big', process: (e) => (e.tags?.includes('big') ? e : null) };
    const pipeline = createPipeline({ plugins: [onlyBig, exporter] });
    void pipeline.process(tx('tx-1'));
    void pipeline.process(tx('tx-2', { tags: ['big'] }));
    expect(exporter.events).toHaveLength(1);
    expect(pipeline.metrics().dropped.filtered).toBe(1);
  });

  it('goes async only when a plugin is async, and isolates rejected promises', async () => {
    const { errors, onError } = collectErrors();
    const exporter = createMemoryExporter();
    const slow: ShoplogPlugin = {
      name: 'slow',
      process: async (e) => {
        await new Promise((r) => setTimeout(r, 5));
        if (e.tags?.includes('fail')) throw new Error('remote down');
        return { ...e, labels: { enriched: 'yes' } };
      },
    };
    const pipeline = createPipeline({ plugins: [slow, exporter], onError });
    const a = pipeline.process(tx('tx-1'));
    const b = pipeline.process(tx('tx-2', { tags: ['fail'] }));
    expect(a).toBeInstanceOf(Promise);
    await pipeline.flush();
    expect(exporter.events).toHaveLength(2);
    expect((await a)?.labels).toEqual({ enriched: 'yes' });
    expect((await b)?.labels).toBeUndefined();
    expect(errors.map((e) => e.info.plugin)).toEqual(['slow']);
  });

  it('reports a plugin that returns undefined instead of the event', () => {
    const { errors, onError } = collectErrors();
    const exporter = createMemoryExporter();
    const forgetful = { name: 'forgetful', process: () => undefined } as unknown as ShoplogPlugin;
    const pipeline = createPipeline({ plugins: [forgetful, exporter], onError });
    void pipeline.process(tx('tx-1'));
    expect(exporter.events).toHaveLength(1);
    expect(String(errors[0]?.error)).toMatch(/returned undefined/);
    const weird = createPipeline({ plugins: [{ name: 'weird', process: () => 'x' as never }, exporter], onError });
    void weird.process(tx('tx-2'));
    expect(exporter.events).toHaveLength(2);
    expect(String(errors[1]?.error)).toMatch(/returned string/);
  });

  it('runs emitted events from the stage after the emitter, after the event that caused them', () => {
    const seen: string[] = [];
    const exporter = createMemoryExporter();
    const spy = (name: string): ShoplogPlugin => ({
      name,
      process: (e) => {
        seen.push(`${name}:${e.event.dataset}`);
        return e;
      },
    });
    let emit: ((e: ShoplogEvent) => void) | undefined;
    const fraud: ShoplogPlugin = {
      name: 'fraud',
      setup: (ctx) => {
        emit = ctx.emit;
      },
      process: (e) => {
        if (e.event.dataset === 'shoplog.transaction') {
          emit?.(
            createEvent('fraud', {
              shop: {
                fraud: {
                  score: 80,
                  risk_level: 'high',
                  decision: 'block',
                  reasons: [{ code: 'HIGH_AMOUNT', contribution: 80 }],
                  ruleset_version: '1',
                },
                transaction: { id: (e.shop as { transaction: { id: string } }).transaction.id },
              },
            }),
          );
        }
        return e;
      },
    };
    const pipeline = createPipeline({ plugins: [spy('before'), fraud, spy('after'), exporter] });
    void pipeline.process(tx('tx-1'));
    expect(seen).toEqual(['before:shoplog.transaction', 'after:shoplog.transaction', 'after:shoplog.fraud']);
    expect(exporter.events.map((e) => e.event.dataset)).toEqual(['shoplog.transaction', 'shoplog.fraud']);
    expect(pipeline.metrics()).toMatchObject({ received: 1, emitted: 1, processed: 2 });
  });

  it('waits for async setup, flushes and closes plugins once in stage order, then drops later input', async () => {
    const calls: string[] = [];
    const exporter = createMemoryExporter();
    const stage = (name: string): ShoplogPlugin => ({
      name,
      setup: async () => {
        await new Promise((r) => setTimeout(r, 5));
        calls.push(`setup:${name}`);
      },
      process: (e) => e,
      flush: () => void calls.push(`flush:${name}`),
      close: () => void calls.push(`close:${name}`),
    });
    const pipeline = createPipeline({ plugins: [stage('a'), stage('b'), exporter] });
    const first = pipeline.process(tx('tx-1'));
    expect(first).toBeInstanceOf(Promise);
    await pipeline.close();
    await pipeline.close();
    expect(exporter.events).toHaveLength(1);
    expect(calls).toEqual(['setup:a', 'setup:b', 'flush:a', 'flush:b', 'close:a', 'close:b']);
    expect(exporter.closed).toBe(true);
    expect(pipeline.process(tx('tx-2'))).toBeNull();
    expect(pipeline.metrics().dropped.closed).toBe(1);
  });

  it('reports unreadable input as invalid instead of throwing', () => {
    const pipeline = createPipeline({ onError: () => {} });
    const hostile = tx('tx-1');
    Object.defineProperty(hostile, 'message', {
      enumerable: true,
      get: () => {
        throw new Error('getter');
      },
    });
    expect(pipeline.process(hostile)).toBeNull();
    expect(pipeline.metrics().dropped.invalid).toBe(1);
  });

  it('accepts the seed shapes in normalize mode', () => {
    const exporter = createMemoryExporter();
    const pipeline = createPipeline({ plugins: [createRedactor(), exporter], input: 'normalize', onError: () => {} });
    void pipeline.process({
      type: 'transaction',
      data: { order_id: '12345', amount: 99.99, note: 'card 4242424242424242' },
    });
    void pipeline.process({ log_type: 'nope' });
    expect(exporter.events).toHaveLength(1);
    expect(exporter.events[0]?.labels).toEqual({ note: 'card ************4242' });
    expect(pipeline.metrics().dropped.invalid).toBe(1);
  });

  it('survives an error handler that throws', () => {
    const exporter = createMemoryExporter();
    const pipeline = createPipeline({
      plugins: [
        {
          name: 'x',
          process: () => {
            throw new Error('x');
          },
        },
        exporter,
      ],
      onError: () => {
        throw new Error('handler');
      },
    });
    expect(() => pipeline.process(tx('tx-1'))).not.toThrow();
    expect(exporter.events).toHaveLength(1);
  });

  it('rejects bad options with one clear error', () => {
    expect(() =>
      createPipeline({
        plugins: [
          { name: 'a', process: (e) => e },
          { name: 'a', process: (e) => e },
        ],
      }),
    ).toThrow(/createPipeline: invalid options: plugins: plugin names must be unique/);
    expect(() => createPipeline({ plugins: [{ name: 'a' } as never] })).toThrow(/plugins\[0\]: must be a plugin/);
    expect(() => createPipeline({ onPluginError: 'ignore' as never })).toThrow(/onPluginError/);
  });
});

describe('createMemoryExporter', () => {
  it('keeps events by kind, clears, and resolves waitFor when enough arrived', async () => {
    const exporter = createMemoryExporter();
    const pipeline = createPipeline({ plugins: [exporter] });
    const waiting = exporter.waitFor(2);
    void pipeline.process(tx('tx-1'));
    void pipeline.process(createEvent('error', { error: { message: 'x' }, shop: { error: { kind: 'exception' } } }));
    expect(await waiting).toHaveLength(2);
    expect(exporter.ofKind('error')).toHaveLength(1);
    expect(exporter.ofKind('transaction')[0]?.shop.transaction.id).toBe('tx-1');
    exporter.clear();
    expect(exporter.events).toHaveLength(0);
    await expect(exporter.waitFor(1, 10)).rejects.toThrow(/0 of 1 events/);
  });
});

describe('default error handler', () => {
  it('prints one warning per plugin per minute and counts the rest', () => {
    const lines: string[] = [];
    const original = console.warn;
    console.warn = (...args: unknown[]) => void lines.push(args.join(' '));
    try {
      let t = 0;
      const pipeline = createPipeline({
        now: () => t,
        plugins: [
          {
            name: 'flaky',
            process: () => {
              throw new Error('down');
            },
          },
          {
            name: 'other',
            process: () => {
              throw new Error('also down');
            },
          },
          createMemoryExporter(),
        ],
      });
      for (let i = 0; i < 5; i++) void pipeline.process(tx(`tx-${i}`));
      t = 61_000;
      void pipeline.process(tx('tx-late'));
      expect(lines).toHaveLength(4);
      expect(lines[0]).toMatch(/\[shoplog\] flaky: Error: down/);
      expect(pipeline.metrics().errors).toEqual({ flaky: 6, other: 6 });
    } finally {
      console.warn = original;
    }
  });
});
