// Fraud scoring: transactions/s on one core (scoreSync, in-memory velocity store, every default rule) and
// precision/recall at the default thresholds on labelled synthetic traffic (createTrafficGenerator).
// No peer library scores e-commerce fraud in-process, so the reference is the DESIGN.md goal (≥ 200k tx/s) and a
// floor run that only reads the inputs (the cost of the benchmark loop itself).
// Usage: pnpm bench fraud [transactions=200000] [runs=3]
import { createFraudScorer, createTrafficGenerator, detectionReport } from '@shoplog/core';

const N = Number(process.argv[2] ?? 200_000);
const RUNS = Number(process.argv[3] ?? 3);
const WARM = 20_000;

const med = (a) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// 1. Detection quality: customers build a history during the warm-up, then N labelled transactions are judged.
{
  const scorer = createFraudScorer();
  const gen = createTrafficGenerator({ seed: 42 });
  for (const t of gen.take(WARM)) scorer.scoreSync(t.input);
  const samples = gen.take(N).map((t) => ({ ...t, decision: scorer.scoreSync(t.input).decision }));
  const r = detectionReport(samples);
  console.log(`detection on ${N} labelled transactions after ${WARM} warm-up (seed 42, fraud rate ≈ 3 %), ruleset ${scorer.rulesetVersion}`);
  console.log(`precision ${(r.precision * 100).toFixed(1)} %, recall ${(r.recall * 100).toFixed(1)} % (flagged = review or block)`);
  console.log(`TP ${r.truePositives}, FP ${r.falsePositives}, FN ${r.falseNegatives}, TN ${r.trueNegatives}`);
  console.log('| pattern | transactions | flagged | blocked |');
  console.log('| --- | --- | --- | --- |');
  for (const [p, x] of Object.entries(r.byPattern)) console.log(`| ${p} | ${x.count} | ${x.flagged} (${((x.flagged / x.count) * 100).toFixed(1)} %) | ${x.blocked} |`);
}

// 2. Throughput: pre-generated inputs, a fresh scorer per run (state grows as in production).
{
  const inputs = createTrafficGenerator({ seed: 7 }).take(N).map((t) => t.input);
  const rates = [];
  const floor = [];
  for (let r = 0; r <= RUNS; r++) {
    const scorer = createFraudScorer();
    let t0 = performance.now();
    let flagged = 0;
    for (let i = 0; i < inputs.length; i++) if (scorer.scoreSync(inputs[i]).decision !== 'allow') flagged++;
    const ms = performance.now() - t0;
    t0 = performance.now();
    let sum = 0;
    for (let i = 0; i < inputs.length; i++) sum += inputs[i].amount;
    const floorMs = performance.now() - t0;
    if (r === 0 || sum < 0) continue; // run 0 warms the JIT
    rates.push((N / ms) * 1000);
    floor.push((N / floorMs) * 1000);
    console.log(JSON.stringify({ run: r, tx_per_s: Math.round((N / ms) * 1000), flagged }));
  }
  const rate = med(rates);
  console.log(`fraud scoring, ${N} tx × ${RUNS} runs, one core, in-memory store, Node ${process.version}, ${new Date().toISOString()}`);
  console.log(`| what | tx/s (median) | min | max | × goal (200k) |`);
  console.log('| --- | --- | --- | --- | --- |');
  console.log(`| scoreSync, all default rules | ${Math.round(rate)} | ${Math.round(Math.min(...rates))} | ${Math.round(Math.max(...rates))} | ${(rate / 200_000).toFixed(2)} |`);
  console.log(`| loop floor (read inputs only) | ${Math.round(med(floor))} | | | |`);
}
