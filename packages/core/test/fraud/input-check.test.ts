import { describe, expect, it } from 'vitest';
import {
  createFraudScorer,
  fraudInputFromEvent,
  transactionEventFromInput,
  type FraudInput,
  type FraudRule,
  type FraudStateStore,
  type TransactionEvent,
  type VelocityStore,
} from '@shoplog/core';
import { codes, frenchPurchase } from './fixtures.js';

// Issue #15, "never a wrong decision from a typo": score() checks its input cheaply, normalises what is
// unambiguous and says so, rejects what it cannot judge with the field named, and never turns an error into allow.

const T0 = Date.UTC(2026, 10, 26, 9, 0, 0);
const base: FraudInput = frenchPurchase('alice', { transactionId: 't-1', email: 'alice@example.com', timestamp: T0 });
/** A transaction event whose amount is whatever a careless caller put there (the README's `value: req.body.total`). */
const eventWithAmount = (amount: unknown): TransactionEvent => {
  const ev = transactionEventFromInput(base);
  return { ...ev, shop: { ...ev.shop, amount: amount as TransactionEvent['shop']['amount'] } };
};

describe('score() input checks (issue #15)', () => {
  it('reads a timestamp in seconds as seconds and says so, instead of seeing a burst of velocity', () => {
    // The rules alone (noisy-OR) show the failure plainly: eight orders two hours apart, stamped in seconds, read as
    // milliseconds are eight orders within a minute.
    const scorer = createFraudScorer({ combine: 'noisy-or' });
    const results = Array.from({ length: 8 }, (_, i) =>
      scorer.scoreSync({ ...base, transactionId: `t-${i}`, timestamp: T0 / 1000 + i * 7200 }),
    );
    for (const r of results) {
      expect(r.decision).toBe('allow');
      expect(codes(r)).toEqual([]);
      expect(r.timestamp).toBeGreaterThan(T0 - 1);
      expect(r.adjustments?.[0]).toMatchObject({
        path: 'timestamp',
        message: expect.stringMatching(/read as seconds/),
      });
    }
  });

  it('upper-cases a lower-case country instead of scoring a country mismatch, and says so', () => {
    const r = createFraudScorer({ combine: 'noisy-or' }).scoreSync({ ...base, ipCountry: 'fr' });
    expect(codes(r)).toEqual([]);
    expect(r.adjustments).toEqual([{ path: 'ipCountry', message: '"fr" read as FR' }]);
  });

  it('treats an invalid country as unknown (never a mismatch), and says so', () => {
    const r = createFraudScorer({ combine: 'noisy-or' }).scoreSync({ ...base, billingCountry: 'France' });
    expect(codes(r)).toEqual([]);
    expect(r.adjustments?.[0]).toMatchObject({
      path: 'billingCountry',
      message: expect.stringMatching(/not an ISO 3166-1 alpha-2 code/),
    });
  });

  it("says when a transaction has no timestamp and was scored at the scorer's clock", () => {
    const { timestamp: _, ...untimed } = base;
    const r = createFraudScorer({ now: () => T0 + 5 }).scoreSync(untimed);
    expect(r.timestamp).toBe(T0 + 5);
    expect(r.adjustments).toEqual([
      { path: 'timestamp', message: expect.stringMatching(/missing: scored at the scorer's clock/) },
    ]);
    // A complete input has no adjustments at all.
    expect(createFraudScorer().scoreSync(base).adjustments).toBeUndefined();
  });

  it('converts a JSON-number amount of a transaction event exactly (12.5 EUR → 1250 cents)', async () => {
    expect(fraudInputFromEvent(eventWithAmount({ value: 12.5, currency: 'EUR' })).amount).toBe(1250);
    expect(fraudInputFromEvent(eventWithAmount({ value: 1999.99, currency: 'EUR' })).amount).toBe(199_999);
    expect(fraudInputFromEvent(eventWithAmount({ value: 500, currency: 'JPY' })).amount).toBe(500);
    const r = await createFraudScorer().score(eventWithAmount({ value: 12.5, currency: 'EUR' }));
    expect(r.error).toBeUndefined();
    expect(r.transactionId).toBe('t-1');
  });

  it('rejects an amount it cannot convert exactly, naming the field, and reviews instead of allowing', async () => {
    for (const [amount, path] of [
      [{ value: 12.345, currency: 'EUR' }, 'shop.amount.value'],
      [{ value: 0.1 + 0.2, currency: 'EUR' }, 'shop.amount.value'],
      [{ value: '12,50', currency: 'EUR' }, 'shop.amount.value'],
      [{ value: null, currency: 'EUR' }, 'shop.amount.value'],
      [{ minor: 12.5, currency: 'EUR' }, 'shop.amount.minor'],
      [{ minor: 1250, value: '12.51', currency: 'EUR' }, 'shop.amount.minor'],
    ] as const) {
      expect(() => fraudInputFromEvent(eventWithAmount(amount))).toThrow(
        new RegExp(`fraud input ${path.replace(/\./g, '\\.')}`),
      );
      const r = await createFraudScorer().score(eventWithAmount(amount));
      expect(r.decision).toBe('review');
      expect(r.error?.path).toBe(path);
      expect(codes(r)).toEqual(['SCORER_ERROR']);
    }
  });

  it('rejects a flat amount that is not integer minor units, and an unknown field (a typo), naming them', () => {
    const scorer = createFraudScorer();
    const float = scorer.scoreSync({ ...base, amount: 12.5 });
    expect(float).toMatchObject({ decision: 'review', error: { path: 'amount' } });
    expect(float.error?.message).toMatch(/integer minor units/);
    const typo = scorer.scoreSync({ ...base, userID: 'alice' } as unknown as FraudInput);
    expect(typo).toMatchObject({
      decision: 'review',
      error: { path: 'userID', message: expect.stringMatching(/unknown field/) },
    });
    expect(scorer.scoreSync({ ...base, status: 'DECLINED' as 'declined' }).adjustments).toEqual([
      { path: 'status', message: '"DECLINED" read as declined' },
    ]);
    expect(scorer.scoreSync({ ...base, status: 'paid' as 'completed' }).error?.path).toBe('status');
  });
});

describe('scorer errors: the onError policy (issue #15)', () => {
  const throwing: FraudRule = {
    code: 'BROKEN_RULE',
    evaluate: () => {
      throw new Error('lookup service down');
    },
  };

  it('reviews by default when a rule throws: never an allow by accident', async () => {
    const scorer = createFraudScorer({ extraRules: [throwing] });
    const r = await scorer.score(base);
    expect(r).toMatchObject({ decision: 'review', transactionId: 't-1', error: { message: 'lookup service down' } });
    expect(r.reasons[0]).toMatchObject({
      code: 'SCORER_ERROR',
      detail: expect.stringMatching(/\(review by the onError policy\): lookup service down/),
    });
    expect(r.score).toBeGreaterThanOrEqual(50);
  });

  it('blocks, allows (explicitly, with the reason) or throws as configured', async () => {
    expect((await createFraudScorer({ extraRules: [throwing], onError: 'block' }).score(base)).decision).toBe('block');
    const open = await createFraudScorer({ extraRules: [throwing], onError: 'allow' }).score(base);
    expect(open).toMatchObject({ decision: 'allow', score: 0, reasons: [{ code: 'SCORER_ERROR' }] });
    await expect(createFraudScorer({ extraRules: [throwing], onError: 'throw' }).score(base)).rejects.toThrow(
      'lookup service down',
    );
    expect(() => createFraudScorer({ onError: 'ignore' as 'allow' })).toThrow(/onError/);
  });

  it('reviews when an asynchronous store fails (a Redis outage), instead of rejecting', async () => {
    const down: VelocityStore = {
      sync: false,
      hit: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6379')),
      stats: () => Promise.resolve(undefined),
      observe: () => Promise.resolve(),
    };
    const r = await createFraudScorer({ store: down, rules: { VELOCITY_USER: {} } }).score(base);
    expect(r).toMatchObject({ decision: 'review', error: { message: expect.stringMatching(/ECONNREFUSED/) } });
  });

  it("reviews when the model's profile store fails, reading or writing, synchronously or not: never an allow", async () => {
    const refused = new Error('connect ECONNREFUSED 127.0.0.1:6379');
    const stores: FraudStateStore[] = [
      { sync: false, read: () => Promise.reject(refused), write: () => Promise.resolve() },
      { sync: false, read: () => Promise.resolve(), write: () => Promise.reject(refused) },
      {
        sync: true,
        read: () => {
          throw refused;
        },
        write: () => {},
      },
    ];
    for (const profileStore of stores) {
      const scorer = createFraudScorer({ profileStore });
      const r = await scorer.score(base);
      expect(r).toMatchObject({
        decision: 'review',
        transactionId: 't-1',
        error: { message: expect.stringMatching(/ECONNREFUSED/) },
      });
      expect(codes(r)).toEqual(['SCORER_ERROR']);
      if (scorer.sync) expect(scorer.scoreSync(base).decision).toBe('review');
    }
    const blocked = await createFraudScorer({ profileStore: stores[0]!, onError: 'block' }).score(base);
    expect(blocked.decision).toBe('block');
  });
});
