import { afterEach, describe, expect, it } from 'vitest';
import { createFraudScorer, createMemoryExporter, ShoplogValidationError } from '@shoplog/core';
import { shoplog } from '../src/index.js';
import { EXPRESS_VERSIONS, allValid, listen, send, type Running } from './harness.js';

// The README's Quick start passes `amount: { value: req.body.total }`: a JSON number. It must be judged on the
// amount it says, or refused by name at the call; never scored as garbage, allowed by accident and dead-lettered.
describe.each(EXPRESS_VERSIONS)('req.shoplog.transaction() with the amount of a JSON body (%s)', (_name, express) => {
  let running: Running | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });

  function app(exporter: ReturnType<typeof createMemoryExporter>, errors: unknown[]) {
    const a = express();
    a.use(express.json());
    // The rules alone (noisy-OR): exact scores and reasons this test can state (core's default is the learned model).
    a.use(
      shoplog({
        exporter,
        fraudScorer: createFraudScorer({ combine: 'noisy-or', thresholds: { review: 20, block: 30 } }),
        onError: (e) => errors.push(e),
      }),
    );
    a.post('/checkout', async (req, res) => {
      try {
        const { decision, fraud } = await req.shoplog!.transaction({
          transaction: { id: req.body.orderId, type: 'purchase', status: 'pending' },
          amount: { value: req.body.total, currency: req.body.currency ?? 'EUR' },
          email: req.body.email,
        });
        res.status(decision === 'block' ? 402 : 201).json({ decision, reasons: fraud?.reasons.map((r) => r.code) });
      } catch (err) {
        const issues = err instanceof ShoplogValidationError ? err.issues : [];
        res.status(400).json({ error: (err as Error).name, issues });
      }
    });
    return a;
  }

  const checkout = (port: number, body: string) =>
    send(port, '/checkout', { method: 'POST', headers: { 'content-type': 'application/json' }, body });

  it('scores an exact number amount as its decimal string and ships a valid transaction with its verdict', async () => {
    const exporter = createMemoryExporter();
    const errors: unknown[] = [];
    running = await listen(app(exporter, errors));
    const ok = await checkout(running.port, '{"orderId":"o-1","total":99.99,"email":"ann@example.com"}');
    expect(ok.status).toBe(201);
    expect(JSON.parse(ok.body)).toEqual({ decision: 'allow', reasons: [] });
    const flagged = await checkout(running.port, '{"orderId":"o-2","total":12,"email":"bot@mailinator.com"}');
    expect(flagged.status).toBe(402);
    await exporter.waitFor(5); // 2 transactions, 1 fraud event, 2 performance events
    allValid(exporter.events);
    expect(errors).toEqual([]);
    const [first, second] = exporter.ofKind('transaction');
    expect(first?.shop.amount).toEqual({ value: '99.99', currency: 'EUR' });
    expect(first?.shop.fraud).toMatchObject({ decision: 'allow', score: 0, reasons: [] });
    expect(second?.shop.fraud).toMatchObject({ decision: 'block', reasons: [{ code: 'DISPOSABLE_EMAIL' }] });
    expect(exporter.ofKind('fraud').map((e) => [e.shop.transaction.id, e.shop.amount])).toEqual([
      ['o-2', { value: '12', currency: 'EUR' }],
    ]);
  });

  it('refuses at the call, naming the field, an amount that is not exact: nothing scored, nothing shipped', async () => {
    const exporter = createMemoryExporter();
    const errors: unknown[] = [];
    running = await listen(app(exporter, errors));
    for (const [orderId, total, currency] of [
      ['o-3', '0.30000000000000004', 'EUR'],
      ['o-4', '12.5', 'JPY'],
      ['o-5', '"12,50"', 'EUR'],
      ['o-6', 'null', 'EUR'],
    ]) {
      const res = await checkout(running.port, `{"orderId":"${orderId}","total":${total},"currency":"${currency}"}`);
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body)).toEqual({
        error: 'ShoplogValidationError',
        issues: [{ path: 'shop.amount.value', message: expect.any(String) }],
      });
    }
    const lower = await checkout(running.port, '{"orderId":"o-7","total":10,"currency":"eur"}');
    expect(JSON.parse(lower.body).issues).toEqual([
      { path: 'shop.amount.currency', message: expect.stringMatching(/ISO 4217/) },
    ]);
    await exporter.waitFor(5); // the five requests' performance events
    expect(exporter.ofKind('transaction')).toEqual([]);
    expect(exporter.ofKind('fraud')).toEqual([]);
    expect(errors).toEqual([]); // the scorer never saw them
  });

  it('track() converts an exact cart value and reports an inexact one by name instead of shipping it', async () => {
    const exporter = createMemoryExporter();
    const errors: unknown[] = [];
    const a = express();
    a.use(express.json());
    a.use(shoplog({ exporter, onError: (e) => errors.push(e) }));
    a.post('/cart', (req, res) => {
      req.shoplog!.track('add_to_cart', {
        product: { id: 'sku-1' },
        cart: { items: 1, value: { value: req.body.total, currency: 'EUR' } },
      });
      res.sendStatus(201);
    });
    running = await listen(a);
    for (const total of ['19.9', '0.30000000000000004']) {
      expect(
        (
          await send(running.port, '/cart', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: `{"total":${total}}`,
          })
        ).status,
      ).toBe(201);
    }
    await exporter.waitFor(3); // one tracked action, two performance events
    expect(exporter.ofKind('user_behavior').map((e) => e.shop.cart?.value)).toEqual([
      { value: '19.9', currency: 'EUR' },
    ]);
    expect(errors).toHaveLength(1);
    expect((errors[0] as ShoplogValidationError).issues).toEqual([
      { path: 'shop.cart.value.value', message: expect.stringMatching(/decimal string/) },
    ]);
  });
});
