import { describe, expect, it } from 'vitest';
import {
  createMemoryExporter,
  createPipeline,
  PluginTimeoutError,
  transaction,
  type ShoplogPlugin,
} from '@shoplog/core';

const tx = (id: string) =>
  transaction({
    shop: { transaction: { id, type: 'purchase', status: 'completed' }, amount: { value: '1.00', currency: 'EUR' } },
  });
const quiet = () => {};

function flaky(): ShoplogPlugin & { fail: boolean; calls: number } {
  const p = {
    name: 'flaky',
    fail: true,
    calls: 0,
    process(e: ReturnType<typeof tx>) {
      p.calls++;
      if (p.fail) throw new Error('backend down');
      return { ...e, tags: ['flaky-ok'] };
    },
  };
  return p;
}

describe('plugin isolation', () => {
  it('gives an async plugin a time budget: a call that does not settle in time fails per policy and counts as a timeout', async () => {
    const exporter = createMemoryExporter();
    const errors: unknown[] = [];
    const hang: ShoplogPlugin = { name: 'hang', process: () => new Promise(() => {}) };
    const pipeline = createPipeline({ plugins: [hang, exporter], pluginTimeoutMs: 30, onError: (e) => errors.push(e) });
    const out = await pipeline.process(tx('t-1'));
    expect(out).not.toBeNull();
    expect(exporter.events).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(PluginTimeoutError);
    expect(pipeline.metrics().plugins[0]).toMatchObject({
      name: 'hang',
      calls: 1,
      errors: 1,
      timeouts: 1,
      lastError: expect.stringMatching(/did not settle within 30 ms/),
    });
  });

  it('opens the breaker after consecutive failures, skips the plugin per policy, then retries it half-open', async () => {
    let clock = 1_000;
    const exporter = createMemoryExporter();
    const plugin = flaky();
    const pipeline = createPipeline({
      plugins: [plugin, exporter],
      now: () => clock,
      circuitBreaker: { failures: 3, cooldownMs: 10_000 },
      onError: quiet,
    });
    for (let i = 0; i < 5; i++) void pipeline.process(tx(`t-${i}`));
    // Three calls fail, then the breaker is open: two events go on unchanged (policy continue) without a call.
    expect(plugin.calls).toBe(3);
    expect(exporter.events).toHaveLength(5);
    expect(pipeline.metrics().plugins[0]).toMatchObject({ calls: 3, errors: 3, skipped: 2, state: 'open' });
    clock += 10_000;
    expect(pipeline.metrics().plugins[0]?.state).toBe('half-open');
    // Half-open: one call tries; it fails, so the breaker opens for another cooldown.
    void pipeline.process(tx('t-5'));
    void pipeline.process(tx('t-6'));
    expect(plugin.calls).toBe(4);
    expect(pipeline.metrics().plugins[0]).toMatchObject({ state: 'open', skipped: 3 });
    clock += 10_000;
    plugin.fail = false;
    void pipeline.process(tx('t-7'));
    void pipeline.process(tx('t-8'));
    expect(plugin.calls).toBe(6);
    expect(pipeline.metrics().plugins[0]?.state).toBe('closed');
    expect(exporter.events.slice(-2).map((e) => e.tags)).toEqual([['flaky-ok'], ['flaky-ok']]);
    expect(exporter.events).toHaveLength(9);
  });

  it('an open breaker of a fail-closed plugin drops what it would have seen', () => {
    const exporter = createMemoryExporter();
    const plugin = { ...flaky(), errorPolicy: 'drop' as const };
    const pipeline = createPipeline({ plugins: [plugin, exporter], circuitBreaker: { failures: 1 }, onError: quiet });
    void pipeline.process(tx('a'));
    void pipeline.process(tx('b'));
    expect(exporter.events).toHaveLength(0);
    expect(pipeline.metrics().dropped.plugin).toBe(2);
    expect(pipeline.metrics().plugins[0]).toMatchObject({ calls: 1, skipped: 1, state: 'open' });
  });

  it('counts calls and time per stage', async () => {
    const exporter = createMemoryExporter();
    const slow: ShoplogPlugin = { name: 'slow', process: (e) => new Promise((r) => setTimeout(() => r(e), 20)) };
    const pipeline = createPipeline({ plugins: [slow, exporter] });
    await pipeline.process(tx('a'));
    const [stats] = pipeline.metrics().plugins;
    expect(stats).toMatchObject({ name: 'slow', calls: 1, errors: 0, timeouts: 0, state: 'closed' });
    expect(stats?.totalMs).toBeGreaterThanOrEqual(15);
  });
});
