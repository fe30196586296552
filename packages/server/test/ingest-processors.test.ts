import { afterEach, describe, expect, it } from 'vitest';
import {
  createFraudScorer,
  createMemoryVelocityStore,
  uuidv7,
  type PluginContext,
  type ShoplogEvent,
  type ShoplogPlugin,
} from '@shoplog/core';
import { bulkAll, startTestServer, txEvent, type TestServer } from './helpers.js';

interface Alerts {
  alerts: { transaction_id: string; reasons: { code: string }[] }[];
}
let t: TestServer | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const txId = (event: ShoplogEvent) => (event.shop as { transaction: { id: string } }).transaction.id;

/** A geo enricher from a local table (what GeoIP does with a database): client.geo comes from client.ip. */
function tableGeo(table: Record<string, string>): ShoplogPlugin {
  return {
    name: 'table-geo',
    process(event) {
      const ip = event.client?.ip;
      const country = ip === undefined ? undefined : table[ip];
      if (country === undefined) return event;
      return { ...event, client: { ...event.client, geo: { country_iso_code: country } } };
    },
  };
}

/** A sale whose client claims the billing country while its IP is elsewhere. */
function claimedSale(ip: string, claimed: string, billing: string): ShoplogEvent {
  const tx = txEvent({ user: `u-${uuidv7()}`, amount: '40.00' });
  return {
    ...tx,
    client: { ip, geo: { country_iso_code: claimed } },
    shop: { ...(tx.shop as object), billing: { country: billing } },
  } as ShoplogEvent;
}

describe('server processors', () => {
  it('run before storage and before fraud scoring: the scorer judges the country the processor set', async () => {
    // A review threshold of 0 lists every scored transaction with its reasons.
    // The rules alone (as the server's own scorer): the country rule names what the processor set.
    const fraudScorer = createFraudScorer({
      combine: 'noisy-or',
      store: createMemoryVelocityStore(),
      thresholds: { review: 0, block: 100 },
    });
    t = await startTestServer({ fraudScorer, processors: [tableGeo({ '198.18.0.7': 'NG' })] });
    const sale = claimedSale('198.18.0.7', 'FR', 'FR');
    const answer = await bulkAll(t, [sale]);
    expect(answer.created).toBe(1);
    const stored = await t.server.stores.logs.get(sale.event.id);
    // Stored as the processor changed it, not as the line that was sent.
    expect(stored?.client?.geo).toEqual({ country_iso_code: 'NG' });
    const { alerts } = (await (await t.call('/api/fraud/alerts?range=24h', { key: t.keys.read })).json()) as Alerts;
    const alert = alerts.find((a) => a.transaction_id === txId(sale));
    expect(alert?.reasons.map((r) => r.code)).toContain('COUNTRY_MISMATCH_IP_BILLING');
  });

  it('an event a processor drops is an error item naming why; the events beside it are stored', async () => {
    const dropAdmin: ShoplogPlugin = {
      name: 'drop-admin',
      process: (event) => (event.user?.id === 'admin' ? null : event),
    };
    t = await startTestServer({ processors: [dropAdmin], fraudScoring: 'off' });
    const kept = txEvent({ user: 'shopper' });
    const dropped = txEvent({ user: 'admin' });
    const answer = await bulkAll(t, [kept, dropped]);
    expect(answer.created).toBe(1);
    // The reply lists only the rejected lines, after the counts.
    expect(answer.items).toHaveLength(1);
    expect(answer.items[0]).toMatchObject({
      line: 2,
      id: dropped.event.id,
      result: 'error',
      issues: [{ path: '(event)', message: 'dropped by a server processor' }],
    });
    expect(await t.server.stores.logs.get(kept.event.id)).toBeDefined();
    expect(await t.server.stores.logs.get(dropped.event.id)).toBeUndefined();
  });

  it('a processor that throws leaves the event as it came (stored, never lost); events a processor emits are stored too', async () => {
    const emitted: string[] = [];
    let ctx: PluginContext | undefined;
    const broken: ShoplogPlugin = {
      name: 'broken',
      process() {
        throw new Error('enricher bug');
      },
    };
    const audit: ShoplogPlugin = {
      name: 'audit',
      setup(c) {
        ctx = c;
      },
      process(event) {
        if (event.event.dataset === 'shoplog.transaction') {
          const id = uuidv7();
          emitted.push(id);
          ctx?.emit({
            ...event,
            event: { id, dataset: 'shoplog.log' },
            message: `audit ${event.event.id}`,
            shop: undefined,
          } as unknown as ShoplogEvent);
        }
        return event;
      },
    };
    t = await startTestServer({ processors: [broken, audit], fraudScoring: 'off' });
    const sale = txEvent();
    expect((await bulkAll(t, [sale])).created).toBe(1);
    expect((await t.server.stores.logs.get(sale.event.id))?.message).toBe('payment accepted');
    expect(emitted).toHaveLength(1);
    expect((await t.server.stores.logs.get(emitted[0] as string))?.message).toBe(`audit ${sale.event.id}`);
  });

  it('are flushed and closed once when the server closes', async () => {
    const calls: string[] = [];
    const plugin: ShoplogPlugin = {
      name: 'lifecycle',
      process: (e) => e,
      flush: () => void calls.push('flush'),
      close: () => void calls.push('close'),
    };
    const server = await startTestServer({ processors: [plugin] });
    await server.close();
    await server.server.close();
    expect(calls).toEqual(['flush', 'close']);
  });
});
