// Trains the default fraud model (core's DEFAULT_FRAUD_MODEL) and writes packages/core/src/fraud/model/default-model.ts.
//
// Data: labelled traffic of createTrafficGenerator with the TRAINING seeds below only (the detection benchmark,
// bench/fraud.bench.mjs, evaluates on other seeds, which this script never generates). Each seed simulates a shop
// for DAYS days; the first WARM_DAYS only fill the profiles (the scorer starts cold), the later days give examples.
// Two passes: the features depend on the scorer's own decisions (a blocked order never joins an account's normal
// amounts), so pass 1 extracts them with a model that allows everything and fits; pass 2 extracts them again with
// that model and fits the final one. The model is small gradient-boosted trees (core's fitTrees: TREES trees of
// depth DEPTH, increasing in every risk feature and rule and decreasing in the trust features, so a risk signal
// never lowers a score and a longer history never raises one); the fit is
// deterministic, so the same code and seeds give the same trees. Decision thresholds: the lowest integer scores whose precision on the training examples
// reaches REVIEW_PRECISION (review) and BLOCK_PRECISION (block) while flagging at most MAX_KIND_FPR of each
// legitimate kind of the training traffic.
//
// Usage: node bench/fraud-train.mjs [--dry-run]   (needs `pnpm build` first, or run with
//        npx tsx --conditions=@shoplog/source bench/fraud-train.mjs)
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createFraudScorer, createTrafficGenerator, fitTrees, PROFILE_FEATURES } from '@shoplog/core';

const TRAINING = [
  { seed: 101, customers: 20_000, richFields: false },
  { seed: 102, customers: 20_000, richFields: false },
  { seed: 103, customers: 20_000, richFields: true },
  { seed: 104, customers: 20_000, richFields: false },
  { seed: 105, customers: 20_000, richFields: false },
];
// The rules the model may weigh: the stateless ones. The velocity rules' sliding windows are left out: the profile
// features measure the same (decayed attempts, declines and accounts per account, IP, card, mailbox), and a rule the
// model does not weigh costs nothing at scoring time.
const RULES = {
  COUNTRY_MISMATCH_IP_BILLING: {},
  COUNTRY_MISMATCH_IP_ISSUER: {},
  COUNTRY_MISMATCH_BILLING_ISSUER: {},
  DISPOSABLE_EMAIL: {},
  BOT_USER_AGENT: {},
};
const DAYS = 90;
const WARM_DAYS = 30;
// 120 trees rather than 60: chosen on validation seeds 106 and 107 (neither trained on nor judged by the benchmark or
// the tests), where they caught more at the same precision and the same worst legitimate kind.
const TREES = 120;
const DEPTH = 3;
const LEARNING_RATE = 0.2;
const L2 = 5;
const REVIEW_PRECISION = 0.93;
const BLOCK_PRECISION = 0.995;
const MAX_KIND_FPR = 0.004;
const OUT = fileURLToPath(new URL('../packages/core/src/fraud/model/default-model.ts', import.meta.url));

/** Scores every seed's traffic with `model`; returns the feature rows of the days after the warm-up. */
function extract(model) {
  const rows = [];
  const labels = [];
  const kinds = [];
  let codes;
  for (const t of TRAINING) {
    const scorer = createFraudScorer({ model, rules: RULES, featureLog: 1 });
    codes ??= [...PROFILE_FEATURES.map((f) => f.code), ...scorer.ruleCodes];
    const at = new Map(codes.map((c, i) => [c, i]));
    const gen = createTrafficGenerator({ seed: t.seed, customers: t.customers, richFields: t.richFields });
    const start = Date.UTC(2026, 0, 1) + WARM_DAYS * 86_400_000;
    for (const tx of gen.takeDays(DAYS)) {
      scorer.scoreSync(tx.input);
      if (tx.input.timestamp < start) continue;
      const row = new Float32Array(codes.length);
      for (const [code, v] of Object.entries(scorer.featuresOf(tx.input.transactionId))) row[at.get(code)] = v;
      rows.push(row);
      labels.push(tx.fraud ? 1 : 0);
      kinds.push(tx.scenario);
    }
  }
  const x = new Float32Array(rows.length * codes.length);
  rows.forEach((r, i) => x.set(r, i * codes.length));
  return { codes, kinds, data: { dims: codes.length, rows: rows.length, x, y: Uint8Array.from(labels) } };
}

function fit(codes, data) {
  const monotone = codes.map((c) => (PROFILE_FEATURES.find((f) => f.code === c)?.kind === 'trust' ? -1 : 1));
  const t0 = performance.now();
  const { bias, trees } = fitTrees(data, { trees: TREES, depth: DEPTH, learningRate: LEARNING_RATE, l2: L2, monotone });
  const round = (v) => Number(v.toPrecision(6));
  console.error(
    `fit: ${data.rows} examples, ${data.y.reduce((a, b) => a + b, 0)} fraud, ${trees.length} trees, ${Math.round(performance.now() - t0)} ms`,
  );
  return {
    bias: round(bias),
    trees: trees.map((t) => ({ ...t, threshold: t.threshold.map(round), value: t.value.map(round) })),
  };
}

/**
 * The lowest integer threshold whose precision on the training examples reaches `target` and that flags at most
 * MAX_KIND_FPR of every legitimate kind (the training seeds' own kinds).
 */
function threshold(scores, y, kinds, target) {
  for (let t = 1; t < 100; t++) {
    let tp = 0;
    let fp = 0;
    const byKind = new Map();
    for (let i = 0; i < scores.length; i++) {
      const flagged = scores[i] >= t;
      if (flagged && y[i]) tp++;
      else if (flagged) fp++;
      if (!y[i] && kinds[i].startsWith('legit_')) {
        const k = byKind.get(kinds[i]) ?? [0, 0];
        k[0] += flagged ? 1 : 0;
        k[1]++;
        byKind.set(kinds[i], k);
      }
    }
    const measured = [...byKind].filter(([, [, n]]) => n >= 100);
    const worst = Math.max(...measured.map(([, [f, n]]) => f / n));
    if (tp + fp > 0 && tp / (tp + fp) >= target && worst <= MAX_KIND_FPR) return t;
    if (t % 10 === 0) {
      const [kind, [f, n]] = measured.reduce((a, b) => (b[1][0] / b[1][1] > a[1][0] / a[1][1] ? b : a));
      console.error(
        `  threshold ${t}: precision ${(tp / (tp + fp)).toFixed(3)}, recall ${(tp / positives(y)).toFixed(3)}, worst legitimate kind ${kind} ${f}/${n}`,
      );
    }
  }
  return 99;
}

const positives = (y) => y.reduce((a, b) => a + b, 0);

function scoresOf(codes, data, m) {
  const out = new Float64Array(data.rows);
  for (let i = 0; i < data.rows; i++) {
    let z = m.bias;
    for (const t of m.trees) {
      let node = 0;
      while (t.feature[node] >= 0)
        node = data.x[i * codes.length + t.feature[node]] <= t.threshold[node] ? t.left[node] : t.right[node];
      z += t.value[node];
    }
    out[i] = 100 / (1 + Math.exp(-z));
  }
  return out;
}

const model = (version, codes, m, thresholds, trainedOn) => ({
  version,
  features: codes,
  bias: m.bias,
  trees: m.trees,
  thresholds,
  trainedOn,
});

const description = `gradient-boosted trees (monotone), createTrafficGenerator seeds ${TRAINING.map((t) => t.seed).join(', ')} (${TRAINING.map((t) => `${t.customers} customers${t.richFields ? ', rich fields' : ''}`).join('; ')}), days ${WARM_DAYS}–${DAYS} of each (the first ${WARM_DAYS} fill the profiles), two passes, ${TREES} trees of depth ${DEPTH}, learning rate ${LEARNING_RATE}, L2 ${L2}; thresholds at training precision ${REVIEW_PRECISION} (review) and ${BLOCK_PRECISION} (block), ≤ ${MAX_KIND_FPR * 100} % of each legitimate kind flagged; by bench/fraud-train.mjs`;
const bootstrap = { version: 'bootstrap', features: [], bias: -20, trees: [] };
const first = extract(bootstrap);
const w1 = fit(first.codes, first.data);
const s1 = scoresOf(first.codes, first.data, w1);
const pass1 = model(
  'pass-1',
  first.codes,
  w1,
  {
    review: threshold(s1, first.data.y, first.kinds, REVIEW_PRECISION),
    block: threshold(s1, first.data.y, first.kinds, BLOCK_PRECISION),
  },
  'pass 1',
);
const second = extract(pass1);
const w2 = fit(second.codes, second.data);
const s2 = scoresOf(second.codes, second.data, w2);
const thresholds = {
  review: threshold(s2, second.data.y, second.kinds, REVIEW_PRECISION),
  block: threshold(s2, second.data.y, second.kinds, BLOCK_PRECISION),
};
const final = model('default-2', second.codes, w2, thresholds, description);

const tree = (t) =>
  `    { feature: ${JSON.stringify(t.feature)}, threshold: ${JSON.stringify(t.threshold)}, left: ${JSON.stringify(t.left)}, right: ${JSON.stringify(t.right)}, value: ${JSON.stringify(t.value)} },`;
const source = `import type { FraudModel } from './model.js';

// Generated by bench/fraud-train.mjs: do not edit by hand (run the script again). One tree per line.

/**
 * The default fraud model: ${description}. Not tuned on any evaluation set: the detection benchmark
 * (bench/fraud.bench.mjs) uses other seeds.
 */
export const DEFAULT_FRAUD_MODEL: FraudModel = {
  version: ${JSON.stringify(final.version)},
  features: ${JSON.stringify(final.features)},
  bias: ${final.bias},
  thresholds: { review: ${thresholds.review}, block: ${thresholds.block} },
  trainedOn: ${JSON.stringify(description)},
  trees: [
${final.trees.map(tree).join('\n')}
  ],
};
`;
console.error(
  `thresholds ${JSON.stringify(thresholds)}; ${final.trees.length} trees, ${final.trees.reduce((s, t) => s + t.feature.length, 0)} nodes`,
);
if (!process.argv.includes('--dry-run')) {
  writeFileSync(OUT, source);
  console.error(`wrote ${OUT}`);
}
