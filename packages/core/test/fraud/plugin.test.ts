import { describe, expect, it } from 'vitest';
import {
  createFraudPlugin,
  createMemoryExporter,
  createPipeline,
  createFraudScorer,
  createTrafficGenerator,
  fraudEventFromResult,
  performance,
  transaction,
  transactionEventFromInput,
  validate,
  type PluginContext,
  type ShoplogEvent,
} from '@shoplog/core';

const T0 = Date.UTC(2026, 10, 26, 9, 0, 0);

function context(emitted: ShoplogEvent[]): PluginContext {
  return {
    emit: (e) => emitted.push(e),
    report: (e) => {
      throw e;
    },
    now: () => T0,
  };
}

describe('fraud pipeline plugin', () => {
  it('emits a valid shoplog.fraud event for each transaction at or above review, and passes every event on', async () => {
    const emitted: ShoplogEvent[] = [];
    // The rules alone (noisy-OR): a decision this test can state exactly (the model's are in model-scenarios.test.ts).
    const plugin = createFraudPlugin({ scorer: createFraudScorer({ combine: 'noisy-or' }) });
    await plugin.setup?.(context(emitted));
    const suspicious = transaction(
      {
        user: { id: 'u-1', email: 'x@yopmail.com' },
        client: { ip: '203.0.113.7', geo: { country_iso_code: 'NG' } },
        trace: { id: 'a'.repeat(32) },
        shop: {
          transaction: { id: 'order-1', type: 'purchase', status: 'completed' },
          amount: { minor: 25_000, currency: 'EUR' },
          payment: { method: 'card', card: { last4: '0004', issuer_country: 'FR', fingerprint: 'fp-9' } },
          billing: { country: 'FR' },
        },
      },
      { now: () => T0 },
    );
    const fine = transaction(
      {
        user: { id: 'u-2' },
        shop: {
          transaction: { id: 'order-2', type: 'purchase', status: 'completed' },
          amount: { value: '10.00', currency: 'EUR' },
        },
      },
      { now: () => T0 },
    );
    const perf = performance({ event: { duration: 1000 }, shop: { performance: { kind: 'db' } } });

    expect(await plugin.process(suspicious)).toBe(suspicious);
    expect(await plugin.process(fine)).toBe(fine);
    expect(await plugin.process(perf)).toBe(perf);

    expect(emitted).toHaveLength(1);
    const fraud = emitted[0]!;
    expect(validate(fraud).ok).toBe(true);
    expect(fraud).toMatchObject({
      event: { dataset: 'shoplog.fraud', kind: 'alert' },
      user: { id: 'u-1' },
      client: { ip: '203.0.113.7', geo: { country_iso_code: 'NG' } },
      trace: { id: 'a'.repeat(32) },
      shop: {
        transaction: { id: 'order-1' },
        amount: { minor: 25_000, value: '250.00', currency: 'EUR' },
        billing: { country: 'FR' },
        fraud: {
          decision: 'review',
          risk_level: 'medium',
          ruleset_version: expect.stringMatching(/^rs-[0-9a-f]{8}$/) as string,
        },
      },
    });
    const reasons = (fraud as Extract<ShoplogEvent, { event: { dataset: 'shoplog.fraud' } }>).shop.fraud.reasons;
    expect(reasons.map((r) => r.code)).toEqual([
      'DISPOSABLE_EMAIL',
      'COUNTRY_MISMATCH_IP_BILLING',
      'COUNTRY_MISMATCH_IP_ISSUER',
    ]);
    expect(fraud['@timestamp']).toBe(new Date(T0).toISOString());
  });

  it('emits only blocks with minDecision block, and reports every result', async () => {
    const emitted: ShoplogEvent[] = [];
    const decisions: string[] = [];
    const plugin = createFraudPlugin({
      scorer: createFraudScorer({ combine: 'noisy-or' }),
      minDecision: 'block',
      onResult: (r) => decisions.push(r.decision),
    });
    await plugin.setup?.(context(emitted));
    const tx = transaction(
      {
        user: { id: 'u', email: 'a@yopmail.com' },
        shop: {
          transaction: { id: 't', type: 'purchase', status: 'completed' },
          amount: { minor: 100, currency: 'EUR' },
        },
      },
      { now: () => T0 },
    );
    await plugin.process(tx);
    expect(decisions).toEqual(['allow']);
    expect(emitted).toEqual([]);
    expect(() => createFraudPlugin({ scorer: createFraudScorer(), minDecision: 'allow' as 'review' })).toThrow(
      /minDecision/,
    );
  });

  it('builds valid transaction and fraud events from synthetic traffic (for shoplog generate)', () => {
    const scorer = createFraudScorer();
    for (const t of createTrafficGenerator({ seed: 5, fraudRate: 0.2 }).take(300)) {
      const ev = transactionEventFromInput(t.input, { service: { name: 'shop' } });
      expect(validate(ev).ok).toBe(true);
      const result = scorer.scoreSync(ev);
      const fraud = fraudEventFromResult(result, ev);
      const v = validate(fraud);
      expect(v.ok, JSON.stringify(v)).toBe(true);
    }
  });
});

describe('fraud plugin in a real pipeline', () => {
  it('passes every transaction to the exporter and adds one fraud event after each suspicious one', async () => {
    const exporter = createMemoryExporter();
    // The plugin's own decisions say which transactions are suspicious (review or block).
    const decisions = new Map<string, string>();
    const plugin = createFraudPlugin({
      scorer: createFraudScorer(),
      onResult: (r, tx) => decisions.set(tx.shop.transaction.id, r.decision),
    });
    const pipeline = createPipeline({ plugins: [plugin, exporter] });
    const gen = createTrafficGenerator({ seed: 11, fraudRate: 0.2 });
    const inputs = gen.take(400);
    const sent: string[] = [];
    for (const t of inputs) {
      const ev = transactionEventFromInput(t.input);
      sent.push(ev.shop.transaction.id);
      await pipeline.process(ev);
    }
    await pipeline.close();
    expect(new Set(sent).size).toBe(400);
    expect(decisions.size).toBe(400);
    const transactions = exporter.events.filter((e) => e.event.dataset === 'shoplog.transaction');
    const frauds = exporter.events.filter((e) => e.event.dataset === 'shoplog.fraud');
    expect(transactions).toHaveLength(400);
    const suspicious = sent.filter((id) => decisions.get(id) !== 'allow');
    expect(suspicious.length).toBeGreaterThan(0);
    expect(suspicious.length).toBeLessThan(400);
    // Each transaction in order, each suspicious one followed by exactly one fraud event that names it and carries
    // its decision; none for the allowed ones.
    const txOf = (e: (typeof exporter.events)[number]) => (e.shop as { transaction: { id: string } }).transaction.id;
    expect(exporter.events.map((e) => `${e.event.dataset}:${txOf(e)}`)).toEqual(
      sent.flatMap((id) =>
        decisions.get(id) === 'allow'
          ? [`shoplog.transaction:${id}`]
          : [`shoplog.transaction:${id}`, `shoplog.fraud:${id}`],
      ),
    );
    expect(frauds.map((f) => (f as { shop: { fraud: { decision: string } } }).shop.fraud.decision)).toEqual(
      suspicious.map((id) => decisions.get(id)),
    );
    for (const f of frauds) expect(validate(f).ok).toBe(true);
  });
});
