import { describe, expect, it } from 'vitest';
import { pluginContractChecks, runPluginContract } from '@shoplog/core/testing';
import { createPluginInstance, transaction, type ShoplogEvent } from '@shoplog/core';
import highValue, { rule as highValueRule } from 'shoplog-plugin-high-value';

runPluginContract(
  { plugin: highValue, options: { minAmount: 100 }, badOptions: { options: { minAmount: -5 }, path: 'minAmount' } },
  { describe, it },
);
runPluginContract(
  {
    plugin: highValueRule,
    options: { minAmount: 100 },
    badOptions: { options: { minAmount: 100, contribution: 101 }, path: 'contribution' },
    hit: { input: { amount: 25_000, currency: 'EUR' } },
  },
  { describe, it },
);

describe('the contract suite itself', () => {
  it('catches a plugin that breaks the contract (a read-only claim that changes events, a lost event)', async () => {
    const liar = { ...highValue, capabilities: { mutates: false, async: false } };
    const checks = pluginContractChecks({
      plugin: liar,
      options: { minAmount: 100 },
      badOptions: { options: {}, path: 'minAmount' },
    });
    const honest = checks.find((c) => c.name.startsWith('keeps its capabilities honest'));
    await expect(honest?.run()).rejects.toThrow(/changed an event; declare capabilities: \{ mutates: true \}/);
    const loser = {
      ...highValue,
      create: () => ({
        name: 'loser',
        process: (e: ShoplogEvent) => (e.event.dataset === 'shoplog.error' ? undefined : e) as ShoplogEvent,
      }),
    };
    const lost = pluginContractChecks({
      plugin: loser,
      options: { minAmount: 1 },
      badOptions: { options: {}, path: 'minAmount' },
    });
    await expect(lost.find((c) => c.name.startsWith('passes every event'))?.run()).rejects.toThrow(
      /failed on valid events|lost/,
    );
  });

  it('tags transactions from the threshold on', async () => {
    const p = await createPluginInstance(highValue, { minAmount: 100 }, { host: 'sdk', warn: () => {} });
    const sale = (value: string) =>
      transaction({
        shop: {
          transaction: { id: `t-${value}`, type: 'purchase', status: 'completed' },
          amount: { value, currency: 'EUR' },
        },
      });
    expect((p.process(sale('100.00')) as ShoplogEvent).tags).toEqual(['high-value']);
    expect((p.process(sale('99.99')) as ShoplogEvent).tags).toBeUndefined();
  });
});
