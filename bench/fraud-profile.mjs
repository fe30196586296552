// Profiling helper for the fraud scorer: the 20 000-customer scoreSync loop of fraud.bench.mjs, alone, so
// `pnpm exec node --cpu-prof bench/fraud-profile.mjs` shows where a transaction's time goes.
// Usage (after `pnpm build`): node bench/fraud-profile.mjs [transactions=200000] [runs=3] [customers=20000]
import { createFraudScorer, createTrafficGenerator } from '@shoplog/core';

const N = Number(process.argv[2] ?? 200_000);
const RUNS = Number(process.argv[3] ?? 3);
const inputs = createTrafficGenerator({ seed: 7, customers: Number(process.argv[4] ?? 20_000) })
  .take(N)
  .map((t) => t.input);
for (let r = 0; r <= RUNS; r++) {
  const scorer = createFraudScorer();
  const t0 = performance.now();
  let flagged = 0;
  for (let i = 0; i < inputs.length; i++) if (scorer.scoreSync(inputs[i]).decision !== 'allow') flagged++;
  console.log(JSON.stringify({ run: r, tx_per_s: Math.round((N / (performance.now() - t0)) * 1000), flagged }));
}
