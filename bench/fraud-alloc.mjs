// Allocation and CPU per fraud score: the 20 000-customer scoreSync loop of fraud.bench.mjs, measuring heap bytes
// allocated per score (heapUsed delta; the young generation is large enough that no GC runs during the measured
// pass: check with --trace-gc) and CPU per score (no GC cost, so this is not the bench's figure).
// Usage (after `pnpm build`): pnpm exec node --expose-gc --max-semi-space-size=1024 bench/fraud-alloc.mjs
//   [transactions=100000] [customers=20000] [module=@shoplog/core]
const N = Number(process.argv[2] ?? 100_000);
const customers = Number(process.argv[3] ?? 20_000);
const core = await import(process.argv[4] ?? '@shoplog/core');
const inputs = core.createTrafficGenerator({ seed: 7, customers }).take(2 * N).map((t) => t.input);
const warm = inputs.slice(0, N);
const measured = inputs.slice(N);
for (let round = 0; round < 3; round++) {
  const scorer = core.createFraudScorer();
  for (let i = 0; i < warm.length; i++) scorer.scoreSync(warm[i]);
  globalThis.gc();
  const before = process.memoryUsage().heapUsed;
  const c0 = process.cpuUsage();
  let flagged = 0;
  for (let i = 0; i < measured.length; i++) if (scorer.scoreSync(measured[i]).decision !== 'allow') flagged++;
  const c = process.cpuUsage(c0);
  const after = process.memoryUsage().heapUsed;
  console.log(JSON.stringify({ round, bytes_per_score: Math.round((after - before) / N), cpu_us_per_score: +((c.user + c.system) / N).toFixed(3), flagged }));
}
