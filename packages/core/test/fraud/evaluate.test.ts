import { describe, expect, it } from 'vitest';
import {
  createFraudModelEvaluator,
  createFraudScorer,
  createTrafficGenerator,
  DEFAULT_FRAUD_MODEL,
} from '@shoplog/core';

describe('createFraudModelEvaluator', () => {
  it('gives a feature vector the score the scorer gave its transaction, for the default and a refitted model', () => {
    const scorer = createFraudScorer({});
    const txs = createTrafficGenerator({ seed: 21, customers: 500, fraudRate: 0.2 }).take(1500);
    const check = (from: number, to: number): void => {
      const evaluate = createFraudModelEvaluator(scorer.model!);
      for (const tx of txs.slice(from, to)) {
        const result = scorer.scoreSync(tx.input);
        expect(evaluate(scorer.featuresOf(tx.input.transactionId!)!)).toBe(result.score);
      }
    };
    check(0, 500);
    for (const tx of txs.slice(0, 500))
      scorer.feedback({ transactionId: tx.input.transactionId!, label: tx.fraud ? 'fraud' : 'legitimate' });
    const refitted = scorer.refit();
    expect(refitted.trees.length).toBeGreaterThan(DEFAULT_FRAUD_MODEL.trees.length);
    check(500, 1500);
  });

  it('reads absent features as 0', () => {
    const evaluate = createFraudModelEvaluator(DEFAULT_FRAUD_MODEL);
    expect(evaluate({})).toBe(evaluate({ DECLINED: 0 }));
    expect(evaluate({ DECLINED: 1, DECLINED_MICRO: 1, MICRO_AMOUNT: 1 })).toBeGreaterThan(evaluate({}));
  });
});
