import { afterEach, describe, expect, it } from 'vitest';
import { createFraudScorer, createMemoryVelocityStore, type ShoplogEvent } from '@shoplog/core';
import { loadConfig } from '../src/index.js';
import {
  cardTestingAttempts as attempts,
  clientVerdict,
  bulkAll,
  startTestServer,
  txEvent,
  type TestServer,
} from './helpers.js';

interface Alerts {
  total: number;
  alerts: { transaction_id: string; decision: string; reasons: { code: string }[] }[];
}

let t: TestServer | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});
const ingest = async (server: TestServer, events: ShoplogEvent[]): Promise<void> =>
  void (await bulkAll(server, events));
const alerts = async (server: TestServer): Promise<Alerts> =>
  (await (await server.call('/api/fraud/alerts?range=24h', { key: server.keys.read })).json()) as Alerts;

describe('fraud scoring at ingest', () => {
  it('is on by default: transactions without a client verdict get server-side alerts, once, and judged ones none', async () => {
    t = await startTestServer();
    const scored = attempts('tester');
    const judged = attempts('judged');
    const batch = [...scored, ...judged, ...judged.map(clientVerdict)];
    await ingest(t, batch);
    const first = await alerts(t);
    const txIds = (events: ShoplogEvent[]) =>
      new Set(events.map((e) => (e.shop as { transaction: { id: string } }).transaction.id));
    const serverAlerts = first.alerts.filter((a) => txIds(scored).has(a.transaction_id));
    expect(serverAlerts.length).toBeGreaterThan(0);
    for (const alert of serverAlerts) {
      expect(['review', 'block']).toContain(alert.decision);
      expect(alert.reasons.length).toBeGreaterThan(0);
    }
    // The judged user's alerts are exactly the client's verdicts: the server added none.
    const judgedAlerts = first.alerts.filter((a) => txIds(judged).has(a.transaction_id));
    expect(judgedAlerts.length).toBe(judged.length);
    expect(judgedAlerts.every((a) => a.reasons[0]?.code === 'CLIENT_RULE')).toBe(true);
    // A retried batch is all duplicates: nothing is scored or alerted twice.
    await ingest(t, batch);
    expect((await alerts(t)).total).toBe(first.total);
  });

  it('respects the verdict a transaction carries in shop.fraud: stored as sent, never judged again', async () => {
    // A scorer that flags everything it judges: a server-side alert would show.
    t = await startTestServer({
      fraudScorer: createFraudScorer({ store: createMemoryVelocityStore(), thresholds: { review: 0, block: 100 } }),
    });
    const verdict = { score: 4, risk_level: 'minimal', decision: 'allow', reasons: [], ruleset_version: 'shop-1' };
    const approved = attempts('approved').map(
      (tx) => ({ ...tx, shop: { ...(tx.shop as object), fraud: verdict } }) as ShoplogEvent,
    );
    await ingest(t, approved);
    expect((await alerts(t)).total).toBe(0);
    const stored = await t.server.stores.logs.get(approved[0]!.event.id);
    expect((stored?.shop as { fraud?: unknown }).fraud).toEqual(verdict);
  });

  it('uses the scorer given to createServer (its rules and thresholds decide)', async () => {
    // A review threshold of 0 flags every transaction, even an ordinary one the built-in defaults allow.
    const scorer = createFraudScorer({ store: createMemoryVelocityStore(), thresholds: { review: 0, block: 100 } });
    t = await startTestServer({ fraudScorer: scorer });
    const ordinary = txEvent({ user: 'regular', amount: '25.00' });
    await ingest(t, [ordinary]);
    const got = await alerts(t);
    expect(got.alerts.map((a) => [a.transaction_id, a.decision])).toEqual([
      [(ordinary.shop as { transaction: { id: string } }).transaction.id, 'review'],
    ]);
  });

  it('SHOPLOG_FRAUD_SCORING=off stores the transactions without scoring them', async () => {
    const config = loadConfig({ SHOPLOG_FRAUD_SCORING: 'off' });
    expect(config.fraudScoring).toBe('off');
    t = await startTestServer({ fraudScoring: config.fraudScoring });
    await ingest(t, attempts('tester'));
    expect((await alerts(t)).total).toBe(0);
    expect(() => loadConfig({ SHOPLOG_FRAUD_SCORING: 'maybe' })).toThrow(/fraudScoring \(SHOPLOG_FRAUD_SCORING\)/);
  });
});
