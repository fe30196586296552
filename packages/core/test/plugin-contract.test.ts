import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  definePlugin,
  defineRule,
  PLUGIN_API_VERSION,
  type Notification,
  type ShoplogEvent,
  type ShoplogPlugin,
} from '@shoplog/core';
import { pluginContractChecks, runPluginContract, type PluginContractOptions } from '@shoplog/core/testing';

// One honest plugin per kind passes the whole suite; a broken variant of each is caught by the check it breaks.
const meta = {
  version: '1.0.0',
  apiVersion: PLUGIN_API_VERSION,
  options: z.strictObject({ limit: z.number().int().positive().default(10) }),
} as const;
const bad = { options: { limit: -1 }, path: 'limit' };

/** An exporter over an in-memory "destination": it buffers and delivers on flush, as a batching exporter does. */
function bufferingExporter(name: string, destination: ShoplogEvent[], lose?: (i: number) => boolean) {
  return definePlugin({
    ...meta,
    name,
    kind: 'exporter',
    create() {
      let buffer: ShoplogEvent[] = [];
      let n = 0;
      const flush = () => {
        destination.push(...buffer.filter(() => !lose?.(n++)));
        buffer = [];
      };
      return { name, process: (e: ShoplogEvent) => (buffer.push(e), e), flush, close: flush } satisfies ShoplogPlugin;
    },
  });
}

const ruleDefinition = (
  name: string,
  evaluate: (input: { amount: number; email?: string }) => { contribution: number; detail?: string } | null,
) =>
  definePlugin({
    ...meta,
    name,
    kind: 'rule',
    create: () =>
      defineRule({
        code: 'BIG_ORDER',
        description: 'orders of at least 1000.00',
        params: z.strictObject({ minor: z.int().default(100_000) }),
        create: () => ({ evaluate }),
      }),
  });
const honestRule = ruleDefinition('big-order', (input) =>
  input.amount >= 100_000 ? { contribution: 40, detail: 'a big order' } : null,
);
const HIT = { input: { amount: 250_000, currency: 'EUR' } };

const received: Notification[] = [];
const notifier = (name: string, notify: (n: Notification) => Promise<void>) =>
  definePlugin({ ...meta, name, kind: 'notifier', create: () => ({ name, notify }) });
const honestNotifier = notifier('memory-channel', async (n) => void received.push(n));

const processor = (name: string, process: (e: ShoplogEvent) => ShoplogEvent | null) =>
  definePlugin({ ...meta, name, kind: 'processor', create: () => ({ name, process }) });

const destination: ShoplogEvent[] = [];
const runner = { describe, it };
runPluginContract(
  {
    plugin: processor('stamp', (e) => ({ ...e, labels: { ...e.labels, stamped: 'yes' } })),
    options: {},
    badOptions: bad,
  },
  runner,
);
runPluginContract(
  { plugin: bufferingExporter('buffered', destination), options: {}, badOptions: bad, delivered: () => destination },
  runner,
);
runPluginContract({ plugin: honestRule, options: {}, badOptions: bad, hit: HIT }, runner);
runPluginContract(
  {
    plugin: honestNotifier,
    options: {},
    badOptions: bad,
    received: async (n) => expect(received.at(-1)?.id).toBe(n.id),
  },
  runner,
);

/** Runs the named check of a contract, expecting it to fail with `message`. */
async function expectCaught(options: PluginContractOptions, check: string, message: RegExp) {
  const found = pluginContractChecks(options).find((c) => c.name.startsWith(check));
  expect(found, `no check starting "${check}"`).toBeDefined();
  await expect(found?.run()).rejects.toThrow(message);
}

describe('the contract suite catches a broken plugin of each kind', () => {
  it('processor: one that leaves events invalid', async () => {
    const breaker = processor(
      'breaker',
      (e) => ({ ...e, event: { ...e.event, dataset: 'nope' } }) as unknown as ShoplogEvent,
    );
    await expectCaught(
      { plugin: breaker, options: {}, badOptions: bad },
      'passes every event',
      /left the plugin invalid/,
    );
  });

  it('exporter: one that loses every third event, one that delivers twice on close, one that says nothing of where events go', async () => {
    const lossy: ShoplogEvent[] = [];
    await expectCaught(
      {
        plugin: bufferingExporter('lossy', lossy, (i) => i % 3 === 2),
        options: {},
        badOptions: bad,
        delivered: () => lossy,
      },
      'receives every event',
      /was not delivered/,
    );
    const twice: ShoplogEvent[] = [];
    const doubler = definePlugin({
      ...meta,
      name: 'doubler',
      kind: 'exporter',
      create: () => ({
        name: 'doubler',
        process: (e: ShoplogEvent) => (twice.push(e), e),
        close: () => void twice.push(...twice.slice(-1)),
      }),
    });
    await expectCaught(
      { plugin: doubler, options: {}, badOptions: bad, delivered: () => twice },
      'flushes and closes idempotently',
      /3 events given, [45] delivered after flush and close twice/,
    );
    await expectCaught(
      { plugin: bufferingExporter('blind', []), options: {}, badOptions: bad },
      'receives every event',
      /give `delivered`/,
    );
  });

  it('rule: one that throws on an e-mail without @, one that scores above 100, one that never hits', async () => {
    const thrower = ruleDefinition('thrower', (input) =>
      (input.email?.split('@')[1] as string).length > 0 || input.amount >= 100_000 ? { contribution: 40 } : null,
    );
    await expectCaught(
      { plugin: thrower, options: {}, badOptions: bad, hit: HIT },
      'never throws on hostile',
      /evaluate\(\) threw on/,
    );
    const overshoot = ruleDefinition('overshoot', (input) => ({ contribution: input.amount / 1000 }));
    await expectCaught(
      { plugin: overshoot, options: {}, badOptions: bad, hit: HIT },
      'judges the crafted transaction',
      /contribution 250 is not a number from 0 to 100/,
    );
    const silent = ruleDefinition('silent', () => null);
    await expectCaught(
      { plugin: silent, options: {}, badOptions: bad, hit: HIT },
      'judges the crafted transaction',
      /returned null on the crafted transaction/,
    );
    const lower = definePlugin({
      ...meta,
      name: 'lower',
      kind: 'rule',
      create: () =>
        defineRule({
          code: 'big_order',
          description: 'x',
          params: z.strictObject({}),
          create: () => ({ evaluate: () => null }),
        }),
    });
    await expectCaught({ plugin: lower, options: {}, badOptions: bad, hit: HIT }, 'is a rule', /UPPER_SNAKE/);
  });

  it('notifier: one whose notify() is not a promise, and one that never reaches its receiver', async () => {
    const sync = definePlugin({
      ...meta,
      name: 'sync',
      kind: 'notifier',
      create: () => ({ name: 'sync', notify: (() => undefined) as unknown as () => Promise<void> }),
    });
    await expectCaught(
      { plugin: sync, options: {}, badOptions: bad },
      'delivers a notification',
      /must return a promise/,
    );
    const liar = notifier('liar', async () => {});
    const box: Notification[] = [];
    await expectCaught(
      {
        plugin: liar,
        options: {},
        badOptions: bad,
        received: async (n) => expect(box.map((x) => x.id)).toContain(n.id),
      },
      'delivers a notification',
      /expected \[\] to include/,
    );
  });

  it('any kind: options it should refuse, accepted', async () => {
    await expectCaught(
      { plugin: honestRule, options: {}, badOptions: { options: { limit: 5 }, path: 'limit' }, hit: HIT },
      'refuses bad options',
      /were accepted/,
    );
  });
});
