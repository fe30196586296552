// Fraud scoring: detection on HELD-OUT labelled traffic, speed and memory.
//
// 1. Detection: createTrafficGenerator with evaluation seeds the training script (bench/fraud-train.mjs) never
//    uses; DAYS simulated days, the first WARM_DAYS only fill the profiles. Precision, recall and ROC AUC at the
//    default thresholds, the rate flagged per scenario (recall for fraud, false-positive rate for each legitimate
//    kind), and the rules-only noisy-OR scorer on the same traffic as the baseline of the same run.
// 2. Speed: transactions per second of scoreSync on one core (default scorer: rules + profiles + model, in-memory
//    stores), wall and per CPU-second, and the latency of single decisions (p50, p99, p99.9).
// 3. Memory: bytes of profile state per tracked account (record tables, and the process's array-buffer growth),
//    filling ACCOUNTS distinct accounts (each with its own IP, card and mailbox: the worst case).
//    With --baseline=<path of another build's index.js> (e.g. main's packages/core/dist copied aside), the speed runs
//    alternate that build and this one (order swapped each run), each scorer over the same transactions.
// Usage: pnpm bench fraud [detection|speed|memory|all=all] [--accounts=1000000] [--days=80] [--baseline=<path>]
import {
  createFraudScorer,
  createMemoryFraudStateStore,
  createTrafficGenerator,
  detectionReport,
  FRAUD_SCENARIOS,
} from '@shoplog/core';

const text = (name) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const arg = (name, fallback) => Number(text(name) ?? fallback);
const baselinePath = text('baseline');
const builds = [{ name: 'this build', core: { createFraudScorer } }];
if (baselinePath) builds.unshift({ name: 'baseline', core: await import(baselinePath) });
const part = process.argv.slice(2).find((a) => !a.startsWith('--')) ?? 'all';
const EVAL = [
  { seed: 9001, customers: 20_000, richFields: false, label: 'typical fields' },
  { seed: 9002, customers: 20_000, richFields: true, label: 'with device id and BIN' },
];
const DAYS = arg('days', 90);
const WARM_DAYS = 30;
const pct = (x) => `${(x * 100).toFixed(1)} %`;

const generatorOf = ({ seed, customers, richFields }) => createTrafficGenerator({ seed, customers, richFields });

function detection({ seed, customers, richFields, label }) {
  const traffic = generatorOf({ seed, customers, richFields }).takeDays(DAYS);
  const start = Date.UTC(2026, 0, 1) + WARM_DAYS * 86_400_000;
  const model = createFraudScorer();
  const rules = createFraudScorer({ combine: 'noisy-or' });
  const judged = { model: [], rules: [] };
  for (const t of traffic) {
    const m = model.scoreSync(t.input);
    const r = rules.scoreSync(t.input);
    if (t.input.timestamp < start) continue;
    judged.model.push({ fraud: t.fraud, scenario: t.scenario, decision: m.decision, score: m.score });
    judged.rules.push({ fraud: t.fraud, scenario: t.scenario, decision: r.decision, score: r.score });
  }
  const m = detectionReport(judged.model);
  const r = detectionReport(judged.rules);
  console.log(
    `\n## Detection, seed ${seed} (${label}): ${customers} customers, days ${WARM_DAYS}–${DAYS} judged (${m.total} transactions, ${m.truePositives + m.falseNegatives} fraud), model ${model.model.version}, thresholds review ${model.model.thresholds?.review} / block ${model.model.thresholds?.block}`,
  );
  console.log('| scorer | precision | recall | ROC AUC | TP | FP | FN |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const [name, x] of [
    ['model (default)', m],
    ['rules only, noisy-OR (baseline)', r],
  ]) {
    console.log(
      `| ${name} | ${pct(x.precision)} | ${pct(x.recall)} | ${x.rocAuc?.toFixed(3)} | ${x.truePositives} | ${x.falsePositives} | ${x.falseNegatives} |`,
    );
  }
  console.log('\n| scenario | fraud | transactions | flagged by the model | blocked | flagged by rules only |');
  console.log('| --- | --- | ---: | ---: | ---: | ---: |');
  const order = Object.keys(m.byScenario).sort(
    (a, b) => Number(m.byScenario[b].fraud) - Number(m.byScenario[a].fraud) || a.localeCompare(b),
  );
  for (const s of order) {
    const x = m.byScenario[s];
    const y = r.byScenario[s];
    console.log(
      `| ${s} | ${x.fraud ? 'yes' : 'no'} | ${x.count} | ${x.flagged} (${pct(x.flagged / x.count)}) | ${x.blocked} | ${y.flagged} (${pct(y.flagged / y.count)}) |`,
    );
  }
  // Kinds with fewer than 100 transactions say little about a rate (one flag is 1 % or more).
  const legit = order.filter(
    (s) => !m.byScenario[s].fraud && s !== 'sleeper_seasoning' && m.byScenario[s].count >= 100,
  );
  const worst = legit.reduce(
    (w, s) =>
      m.byScenario[s].flagged / m.byScenario[s].count > m.byScenario[w].flagged / m.byScenario[w].count ? s : w,
    legit[0],
  );
  console.log(
    `\nworst legitimate kind (of those with ≥ 100 transactions): ${worst} at ${pct(m.byScenario[worst].flagged / m.byScenario[worst].count)} flagged; fraud scenarios: ${FRAUD_SCENARIOS.filter((s) => m.byScenario[s]).length} of ${FRAUD_SCENARIOS.length}`,
  );
  return traffic.map((t) => t.input);
}

function quantile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function speed(inputs) {
  console.log(
    `\n## Speed: scoreSync of ${inputs.length} transactions (the held-out traffic, JSON-parsed as a server receives them), a fresh scorer per run, Node ${process.version}`,
  );
  console.log(
    'The default scorer (rules + profiles + model, in-memory stores) beside the rules alone (noisy-OR, the previous default) in the same runs.',
  );
  if (baselinePath)
    console.log(`Baseline build: ${baselinePath}, alternated with this build (order swapped each run).`);
  console.log('| run | build | scorer | tx/s wall | tx per CPU-second | p50 µs | p99 µs | p99.9 µs |');
  console.log('| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |');
  const fresh = JSON.parse(JSON.stringify(inputs)); // strings not shared with the generator, as over the wire
  const rows = [];
  for (let run = 0; run <= 3; run++) {
    for (const build of run % 2 ? [...builds].reverse() : builds) {
      for (const [name, make] of [
        ['model', () => build.core.createFraudScorer()],
        ['rules', () => build.core.createFraudScorer({ combine: 'noisy-or' })],
      ]) {
        const scorer = make();
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        for (let i = 0; i < fresh.length; i++) scorer.scoreSync(fresh[i]);
        const ms = performance.now() - t0;
        const c = process.cpuUsage(c0);
        // Latency of single decisions, on a second fresh scorer (timer overhead included, ≈ 0.05 µs).
        const lat = new Float64Array(fresh.length);
        const timed = make();
        for (let i = 0; i < fresh.length; i++) {
          const s = performance.now();
          timed.scoreSync(fresh[i]);
          lat[i] = (performance.now() - s) * 1000;
        }
        lat.sort();
        if (run === 0) continue; // run 0 warms the JIT
        const cpu = fresh.length / ((c.user + c.system) / 1e6);
        rows.push({ build: build.name, name, cpu, p50: quantile(lat, 0.5), p99: quantile(lat, 0.99) });
        console.log(
          `| ${run} | ${build.name} | ${name} | ${Math.round((fresh.length / ms) * 1000)} | ${Math.round(cpu)} | ${quantile(lat, 0.5).toFixed(2)} | ${quantile(lat, 0.99).toFixed(2)} | ${quantile(lat, 0.999).toFixed(2)} |`,
        );
      }
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  const of = (build, name, key) => median(rows.filter((r) => r.build === build && r.name === name).map((r) => r[key]));
  for (const { name: build } of builds) {
    console.log(
      `${build}, median tx per CPU-second: model ${Math.round(of(build, 'model', 'cpu'))} (p50 ${of(build, 'model', 'p50').toFixed(2)} µs, p99 ${of(build, 'model', 'p99').toFixed(2)} µs), rules alone ${Math.round(of(build, 'rules', 'cpu'))}; model / rules ${(of(build, 'model', 'cpu') / of(build, 'rules', 'cpu')).toFixed(2)}`,
    );
  }
  if (baselinePath) {
    const ratio = (name) => (of('this build', name, 'cpu') / of('baseline', name, 'cpu')).toFixed(2);
    console.log(`this build / baseline, tx per CPU-second: model ${ratio('model')}, rules alone ${ratio('rules')}`);
  }
}

function memory(accounts) {
  const profileStore = createMemoryFraudStateStore({ maxAccounts: accounts });
  const scorer = createFraudScorer({ profileStore, featureLog: 0 });
  globalThis.gc?.();
  const before = process.memoryUsage();
  const t0 = Date.UTC(2026, 0, 1);
  for (let i = 0; i < accounts; i++) {
    scorer.scoreSync({
      userId: `u${i}`,
      email: `person${i}@example${i % 1000}.com`,
      ip: `${10 + (i >>> 24)}.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`,
      cardFingerprint: `fp_${i.toString(16).padStart(12, '0')}`,
      amount: 1000 + (i % 9000),
      currency: 'EUR',
      ipCountry: 'FR',
      billingCountry: 'FR',
      issuerCountry: 'FR',
      status: 'completed',
      userAgent:
        'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
      timestamp: t0 + i * 50,
    });
  }
  globalThis.gc?.();
  const after = process.memoryUsage();
  const mb = (b) => `${b < 0 ? '−' : '+'}${(Math.abs(b) / 2 ** 20).toFixed(0)} MB`;
  const growth = after.arrayBuffers - before.arrayBuffers + (after.heapUsed - before.heapUsed);
  console.log(
    `\n## Memory: ${accounts} accounts, each with its own IP, card and mailbox (worst case), maxAccounts ${accounts}`,
  );
  console.log(
    `profile state (array buffers) ${mb(after.arrayBuffers - before.arrayBuffers)}, JS heap ${mb(after.heapUsed - before.heapUsed)}, RSS ${mb(after.rss - before.rss)}; ${(growth / accounts).toFixed(0)} bytes per account (array buffers + heap)`,
  );
  console.log(
    '(the velocity store of the rules is bounded separately by its maxKeys, 100000 values per dimension by default)',
  );
}

if (part === 'detection' || part === 'all' || part === 'speed') {
  const inputs = EVAL.map((e) =>
    part === 'speed' && e !== EVAL[0]
      ? []
      : part === 'speed'
        ? generatorOf(e)
            .takeDays(DAYS)
            .map((t) => t.input)
        : detection(e),
  );
  if (part !== 'detection') speed(inputs[0]);
}
if (part === 'memory' || part === 'all') memory(arg('accounts', 1_000_000));
