import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  createFraudModelEvaluator,
  createFraudScorer,
  createTrafficGenerator,
  fitTrees,
  type FraudInput,
  type FraudModel,
  type FraudResult,
} from '@shoplog/core';

// The scorer's speed work must never change a decision: every score, decision, reason and detail of generated
// traffic is pinned here by a hash recorded from the scorer before that work (commit b3ad204), with a frozen copy of
// the default model of then (default-2), so retraining the shipped model does not move it.
// The model pins were re-recorded twice, each time for what the profile store remembers, never for the speed work:
// when the traffic world moved to an address plan GeoIP can place (same transactions, other IP texts), and when the
// store stopped forgetting a record whose 8-slot hash bucket was full while the table was far below its bound (217
// and 205 of the results changed, one decision; the new pins equal what the old store gave when sized up front, so
// that no bucket ever filled). The rules-only pin held both times.
const FROZEN: FraudModel = JSON.parse(
  readFileSync(new URL('./fixtures/model-default-2.json', import.meta.url), 'utf8'),
) as FraudModel;

/** Held-out traffic (a seed no training uses), JSON-parsed as a server receives it. */
const traffic = (seed: number, richFields: boolean): FraudInput[] =>
  JSON.parse(
    JSON.stringify(
      createTrafficGenerator({ seed, customers: 3000, fraudRate: 0.08, richFields })
        .takeDays(35)
        .map((t) => t.input),
    ),
  ) as FraudInput[];

const digest = (results: readonly FraudResult[]): string =>
  createHash('sha256').update(JSON.stringify(results)).digest('hex').slice(0, 16);

describe('the scorer gives exactly the results it gave before its speed work', () => {
  it('model: same scores, decisions, reasons and details, with typical and rich fields', () => {
    for (const [seed, rich, expected] of [
      [4401, false, 'f00778a2523bcb72'],
      [4402, true, 'e1c785dd4329590d'],
    ] as const) {
      const scorer = createFraudScorer({ model: FROZEN });
      const inputs = traffic(seed, rich);
      const results = inputs.map((input) => scorer.scoreSync(input));
      expect(results.filter((r) => r.decision !== 'allow').length).toBeGreaterThan(50);
      expect(results.filter((r) => r.reasons.length > 0).length).toBeGreaterThan(500);
      expect(digest(results), `seed ${seed}`).toBe(expected);
    }
  });

  it('rules only (noisy-OR): same scores, decisions and reasons', () => {
    const scorer = createFraudScorer({ combine: 'noisy-or' });
    const results = traffic(4401, false).map((input) => scorer.scoreSync(input));
    expect(results.filter((r) => r.reasons.length > 0).length).toBeGreaterThan(100);
    expect(digest(results)).toBe('e7ad4c8140d9308d');
  });

  it('the model evaluator and the scorer agree with a plain walk of the trees, deep trees included', () => {
    // A reference walk straight from the model's JSON (node arrays, any depth).
    const walk = (m: FraudModel, x: Readonly<Record<string, number>>): number => {
      let z = m.bias;
      for (const t of m.trees) {
        let n = 0;
        while (t.feature[n]! >= 0)
          n = (x[m.features[t.feature[n]!]!] ?? 0) <= t.threshold[n]! ? t.left[n]! : t.right[n]!;
        z += t.value[n]!;
      }
      return Math.round(10_000 * (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)))) / 100;
    };
    const scorer = createFraudScorer({ model: FROZEN });
    const rows: Array<Record<string, number>> = [];
    for (const input of traffic(4403, false).slice(0, 3000)) {
      scorer.scoreSync(input);
      rows.push(scorer.featuresOf(input.transactionId!)!);
    }
    // Deeper trees than the default's (depth 6, uneven), fitted on those rows.
    const codes = FROZEN.features;
    const x = new Float32Array(rows.length * codes.length);
    rows.forEach((r, i) => codes.forEach((c, j) => (x[i * codes.length + j] = r[c] ?? 0)));
    const y = Uint8Array.from(rows, (r, i) => ((r.DECLINED ?? 0) + (i % 7 === 0 ? 1 : 0) > 0 ? 1 : 0));
    const deep = fitTrees({ dims: codes.length, rows: rows.length, x, y }, { trees: 8, depth: 6 });
    const deepModel: FraudModel = { version: 'deep', features: codes, bias: deep.bias, trees: deep.trees };
    for (const model of [FROZEN, deepModel]) {
      const evaluate = createFraudModelEvaluator(model);
      for (const r of rows) expect(evaluate(r)).toBe(walk(model, r));
    }
  });
});
