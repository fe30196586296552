// Allocation per fraud score: the scoreSync loop of fraud.bench.mjs under V8's sampling heap profiler, counting
// objects already collected too, so it measures bytes allocated per score (and where), whatever the GC did.
// Usage (after `pnpm build`): pnpm exec node bench/fraud-alloc.mjs [customers=20000] [module=@shoplog/core]
// (module: another build of core, e.g. a copy of an older dist, to compare.)
import { Session } from 'node:inspector/promises';

const N = 100_000;
const customers = Number(process.argv[2] ?? 20_000);
const core = await import(process.argv[3] ?? '@shoplog/core');
const inputs = core
  .createTrafficGenerator({ seed: 7, customers })
  .take(2 * N)
  .map((t) => t.input);
const scorer = core.createFraudScorer();
// The first half warms the JIT and the velocity state; the second half is measured.
for (let i = 0; i < N; i++) scorer.scoreSync(inputs[i]);
const session = new Session();
session.connect();
await session.post('HeapProfiler.enable');
await session.post('HeapProfiler.startSampling', {
  samplingInterval: 256,
  includeObjectsCollectedByMajorGC: true,
  includeObjectsCollectedByMinorGC: true,
});
for (let i = N; i < 2 * N; i++) scorer.scoreSync(inputs[i]);
const { profile } = await session.post('HeapProfiler.stopSampling');
session.disconnect();
const bySite = new Map();
const walk = (node) => {
  const { functionName, url, lineNumber } = node.callFrame;
  const site = `${functionName || '(anonymous)'} ${url.split('/').pop()}:${lineNumber + 1}`;
  if (node.selfSize) bySite.set(site, (bySite.get(site) ?? 0) + node.selfSize);
  for (const child of node.children) walk(child);
};
walk(profile.head);
const total = [...bySite.values()].reduce((a, b) => a + b, 0);
console.log(`${customers} customers: ${(total / N).toFixed(1)} bytes allocated per score (sampled); largest sites:`);
for (const [site, bytes] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, 8))
  console.log(`  ${(bytes / N).toFixed(1)}  ${site}`);
