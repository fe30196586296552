import { describe, expect, it } from 'vitest';
import {
  createFraudScorer,
  createTrafficGenerator,
  detectionReport,
  FRAUD_SCENARIOS,
  type FraudInput,
  type FraudResult,
} from '@shoplog/core';
import { chromeWindows, codes, frenchPurchase, MIN } from './fixtures.js';

const CHROME_WIN = chromeWindows();

const T0 = Date.UTC(2026, 10, 26, 9, 0, 0);

/** A regular French customer: same card, IP, browser; amounts around `typical` minor units. */
function customer(id: string, typical: number) {
  return (at: number, amount = typical, extra: Partial<FraudInput> = {}): FraudInput =>
    frenchPurchase(id, {
      transactionId: `${id}-${at}`,
      email: `${id}@gmail.com`,
      amount,
      userAgent: CHROME_WIN,
      timestamp: at,
      ...extra,
    });
}

// The rules' own scenarios, combined as the rules alone score (noisy-OR); the learned model's scenarios are in
// model-scenarios.test.ts.
describe('rule scenarios (noisy-OR of the rules) at the default thresholds', () => {
  it('normal repeat customer: allowed, no reasons', () => {
    const scorer = createFraudScorer({ combine: 'noisy-or' });
    const alice = customer('alice', 4500);
    let last: FraudResult | undefined;
    // Twice a week for ten weeks, amounts varying ±30 %.
    for (let i = 0; i < 20; i++)
      last = scorer.scoreSync(alice(T0 + i * 3.5 * 24 * 60 * MIN, 4500 + ((i * 37) % 27) * 100 - 1300));
    expect(last).toMatchObject({ decision: 'allow', riskLevel: 'minimal', score: 0, reasons: [] });
  });

  it('big but habitual purchase: a customer who always spends ~2000 EUR is not flagged for 2400 EUR', () => {
    const scorer = createFraudScorer({ combine: 'noisy-or' });
    const bob = customer('bob', 200_000);
    for (let i = 0; i < 8; i++) scorer.scoreSync(bob(T0 + i * 7 * 24 * 60 * MIN, 180_000 + i * 5_000));
    const r = scorer.scoreSync(bob(T0 + 60 * 24 * 60 * MIN, 240_000));
    expect(r.decision).toBe('allow');
    expect(codes(r)).not.toContain('AMOUNT_ANOMALY');
    expect(codes(r)).not.toContain('HIGH_AMOUNT');
  });

  it('the same customer paying 20× the usual is an amount anomaly against their own history', () => {
    const scorer = createFraudScorer({ combine: 'noisy-or' });
    const carol = customer('carol', 3000);
    for (let i = 0; i < 8; i++) scorer.scoreSync(carol(T0 + i * 24 * 60 * MIN, 2500 + i * 100));
    const r = scorer.scoreSync(carol(T0 + 10 * 24 * 60 * MIN, 60_000));
    expect(codes(r)).toEqual(['AMOUNT_ANOMALY']);
    expect(r.reasons[0]!.detail).toMatch(/× this user's typical/);
  });

  it('card testing burst: small declined attempts on one card from one IP end in block', () => {
    const scorer = createFraudScorer({ combine: 'noisy-or' });
    const results: FraudResult[] = [];
    for (let i = 0; i < 8; i++) {
      results.push(
        scorer.scoreSync({
          transactionId: `ct-${i}`,
          userId: `guest-${i}`,
          amount: 100 + i,
          currency: 'USD',
          cardFingerprint: 'stolen-card',
          ip: '203.0.113.9',
          status: i % 3 === 2 ? 'completed' : 'declined',
          userAgent: CHROME_WIN,
          timestamp: T0 + i * 20_000,
        }),
      );
    }
    // Four attempts are not yet a pattern; the fifth is.
    expect(results.slice(0, 4).every((r) => r.decision === 'allow')).toBe(true);
    expect(codes(results[4]!)).toContain('CARD_TESTING');
    const last = results[7]!;
    expect(last.decision).toBe('block');
    expect(last.riskLevel).toBe('high');
    expect(codes(last)).toEqual(['CARD_TESTING', 'VELOCITY_CARD']);
    expect(last.reasons[0]!.detail).toMatch(/8 small .* or failed attempts from one card in 10 min/);
  });

  it('account takeover velocity: rapid purchases from abroad on an established account end in block', () => {
    const scorer = createFraudScorer({ combine: 'noisy-or' });
    const dave = customer('dave', 5000);
    for (let i = 0; i < 10; i++) scorer.scoreSync(dave(T0 + i * 24 * 60 * MIN, 4000 + i * 200));
    const takeover = (i: number): FraudInput =>
      dave(T0 + 20 * 24 * 60 * MIN + i * MIN, 90_000, {
        ip: '198.51.100.77',
        ipCountry: 'NG',
        transactionId: `ato-${i}`,
      });
    const first = scorer.scoreSync(takeover(0));
    expect(first.decision).toBe('review');
    expect(codes(first)).toEqual(['AMOUNT_ANOMALY', 'COUNTRY_MISMATCH_IP_BILLING', 'COUNTRY_MISMATCH_IP_ISSUER']);
    let r = first;
    for (let i = 1; i < 6; i++) r = scorer.scoreSync(takeover(i));
    expect(r.decision).toBe('block');
    expect(codes(r)).toContain('VELOCITY_USER');
    expect(r.reasons.map((x) => x.contribution)).toEqual(
      [...r.reasons.map((x) => x.contribution)].sort((a, b) => b - a),
    );
  });

  it('country mismatch + disposable e-mail on a first purchase: review, with every reason explained', () => {
    const scorer = createFraudScorer({ combine: 'noisy-or' });
    const r = scorer.scoreSync({
      transactionId: 'md-1',
      userId: 'new-user',
      email: 'Someone@Mailinator.com',
      amount: 12_000,
      currency: 'EUR',
      ip: '192.0.2.1',
      ipCountry: 'VN',
      billingCountry: 'DE',
      issuerCountry: 'BR',
      userAgent: CHROME_WIN,
      timestamp: T0,
    });
    expect(r.decision).toBe('review');
    expect(r.riskLevel).toBe('medium');
    expect(codes(r)).toEqual([
      'DISPOSABLE_EMAIL',
      'COUNTRY_MISMATCH_IP_BILLING',
      'COUNTRY_MISMATCH_IP_ISSUER',
      'COUNTRY_MISMATCH_BILLING_ISSUER',
    ]);
    expect(r.reasons[0]!.detail).toBe('disposable e-mail domain mailinator.com');
    // Noisy-OR of 35, 25, 20, 15.
    expect(r.score).toBeCloseTo(100 * (1 - 0.65 * 0.75 * 0.8 * 0.85), 2);
    expect(r.transactionId).toBe('md-1');
  });

  it('scripted checkout: a bot user agent is reviewed, and an impossible request rate adds up to block', () => {
    const scorer = createFraudScorer({ combine: 'noisy-or' });
    const bot = (i: number): FraudInput => ({
      userId: `b${i}`,
      amount: 5000,
      currency: 'EUR',
      ip: '203.0.113.50',
      userAgent: 'python-requests/2.31.0',
      cardFingerprint: `c${i}`,
      timestamp: T0 + i * 150,
    });
    expect(codes(scorer.scoreSync(bot(0)))).toEqual(['BOT_USER_AGENT']);
    expect(scorer.scoreSync(bot(0)).decision).toBe('review');
    let r = scorer.scoreSync(bot(1));
    for (let i = 2; i < 6; i++) r = scorer.scoreSync(bot(i));
    expect(codes(r)).toEqual(['BOT_USER_AGENT', 'REQUEST_RATE']);
    expect(r.decision).toBe('block');
  });
});

describe('labelled synthetic traffic', () => {
  it('is deterministic', () => {
    const a = createTrafficGenerator({ seed: 7 }).take(50);
    const b = createTrafficGenerator({ seed: 7 }).take(50);
    expect(a).toEqual(b);
    expect(createTrafficGenerator({ seed: 8 }).take(50)).not.toEqual(a);
  });

  // A held-out seed (the default model is trained on seeds 101–105, the benchmark judges 9001–9002), more fraud than
  // usual so that every scenario has examples: profiles fill for 30 days, the next 60 are judged.
  let report: ReturnType<typeof detectionReport> | undefined;
  const judged = (): ReturnType<typeof detectionReport> => (report ??= judge());
  const judge = (): ReturnType<typeof detectionReport> => {
    const scorer = createFraudScorer();
    const start = Date.UTC(2026, 0, 31);
    const samples = [];
    for (const t of createTrafficGenerator({ seed: 4243, customers: 15_000, fraudRate: 0.05 }).takeDays(90)) {
      const r = scorer.scoreSync(t.input);
      if (t.input.timestamp! >= start) samples.push({ ...t, decision: r.decision, score: r.score });
    }
    return detectionReport(samples);
  };

  it('is detected with high precision, recall and ROC AUC at the default thresholds', () => {
    // Floors under the measured figures (0.986 / 0.752 / 0.996): they catch a broken feature or model, not noise.
    expect(judged().precision).toBeGreaterThan(0.95);
    expect(judged().recall).toBeGreaterThan(0.6);
    expect(judged().rocAuc).toBeGreaterThan(0.99);
  });

  it('catches every fraud scenario of issue #16 and keeps every legitimate kind clean', () => {
    // Share flagged (review or block) per fraud scenario: floors about 0.7× the measured shares.
    const floors: Record<(typeof FRAUD_SCENARIOS)[number], number> = {
      card_testing_thin: 0.8,
      card_testing_burst: 0.9,
      account_takeover: 0.4,
      stolen_card_new_account: 0.2,
      stolen_card_sleeper: 0.5,
      drop_bot: 0.7,
      triangulation: 0.17,
      disposable_email: 0.55,
      cross_border: 0.3,
      scripted_bot: 0.7,
    };
    const recall: Record<string, number> = {};
    for (const s of FRAUD_SCENARIOS) recall[s] = judged().byScenario[s]!.flagged / judged().byScenario[s]!.count;
    for (const s of FRAUD_SCENARIOS) expect(recall[s], s).toBeGreaterThanOrEqual(floors[s]);
    // Every legitimate kind with enough examples to measure a rate: at most 1 % flagged.
    const legit = Object.entries(judged().byScenario).filter(([, x]) => !x.fraud && x.count >= 100);
    expect(legit.length).toBeGreaterThanOrEqual(12);
    for (const [kind, x] of legit) expect(x.flagged / x.count, kind).toBeLessThanOrEqual(0.01);
  });
});
