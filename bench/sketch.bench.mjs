// Percentile sketch: insert rate and relative error at p50/p95/p99 on 10^6 log-normal latencies (ms), Shoplog's
// sketch beside tdigest, hdr-histogram-js and @datadog/sketches-js, in one process, same data, same order.
// Method as /work/shared/peer-bench/bench-sketches.mjs: median 50 ms, sigma 1; exact = nearest rank on the sorted
// values; hdr records integer microseconds (pre-computed outside the timed loop); run 0 is a warm-up.
// Usage: pnpm bench sketch [N=1000000] [runs=3]
import { createRequire } from 'node:module';
import { createRandom, createSketch, decodeSketch, encodeSketch } from '@shoplog/core';

const require = createRequire(import.meta.url);
const { TDigest } = require('tdigest');
const hdr = require('hdr-histogram-js');
const { DDSketch } = require('@datadog/sketches-js');

const N = Number(process.argv[2] ?? 1e6);
const RUNS = Number(process.argv[3] ?? 3);
const QS = [0.5, 0.95, 0.99];

function lognormal(n, seed) {
  const r = createRandom(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.exp(Math.log(50) + r.normal());
  return out;
}
const exactQ = (sorted, q) => sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1];

const timed = (fn) => {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
};

const impls = {
  shoplog: (vals) => {
    const s = createSketch(); // relativeAccuracy 0.001
    const ms = timed(() => {
      for (let i = 0; i < vals.length; i++) s.add(vals[i]);
    });
    return { ms, est: QS.map((q) => s.quantile(q)), size: `${encodeSketch(s).length} B base64` };
  },
  tdigest: (vals) => {
    const td = new TDigest();
    const ms = timed(() => {
      for (let i = 0; i < vals.length; i++) td.push(vals[i]);
    });
    return { ms, est: QS.map((q) => td.percentile(q)), size: `${td.size()} centroids` };
  },
  'hdr-histogram-js': (vals, ints) => {
    const h = hdr.build();
    const ms = timed(() => {
      for (let i = 0; i < ints.length; i++) h.recordValue(ints[i]);
    });
    return {
      ms,
      est: QS.map((q) => h.getValueAtPercentile(q * 100) / 1000),
      size: `${h.estimatedFootprintInBytes} B footprint`,
    };
  },
  'ddsketch (1 %)': (vals) => {
    const sk = new DDSketch();
    const ms = timed(() => {
      for (let i = 0; i < vals.length; i++) sk.accept(vals[i]);
    });
    return { ms, est: QS.map((q) => sk.getValueAtQuantile(q)), size: '' };
  },
};

const med = (a) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const res = Object.fromEntries(Object.keys(impls).map((k) => [k, { rate: [], err: QS.map(() => []), size: '' }]));
let mergeInfo;
for (let r = 0; r <= RUNS; r++) {
  const vals = lognormal(N, 1000 + r);
  const ints = new Float64Array(N);
  for (let i = 0; i < N; i++) ints[i] = Math.round(vals[i] * 1000);
  const sorted = Float64Array.from(vals).sort();
  const exact = QS.map((q) => exactQ(sorted, q));
  for (const [name, run] of Object.entries(impls)) {
    const x = run(vals, ints);
    if (r === 0) continue;
    res[name].rate.push((N / x.ms) * 1000);
    x.est.forEach((e, i) => res[name].err[i].push(Math.abs(e - exact[i]) / exact[i]));
    res[name].size = x.size;
  }
  if (r === RUNS) {
    // 16 shards, shipped as base64 and merged: the error must not grow.
    const shards = Array.from({ length: 16 }, () => createSketch());
    for (let i = 0; i < N; i++) shards[i & 15].add(vals[i]);
    const wire = shards.map(encodeSketch);
    const merged = createSketch();
    const mergeMs = timed(() => {
      for (const w of wire) merged.merge(decodeSketch(w));
    });
    mergeInfo = {
      shards: 16,
      bytesPerShard: Math.round(wire.reduce((a, w) => a + w.length, 0) / 16),
      decodeAndMergeMs: +mergeMs.toFixed(2),
      relErrPct: QS.map((q, i) => +((Math.abs(merged.quantile(q) - exact[i]) / exact[i]) * 100).toFixed(4)),
    };
  }
}

const hdrRate = med(res['hdr-histogram-js'].rate);
console.log(`sketch insert, N=${N}, ${RUNS} runs (+1 warm-up), Node ${process.version}, ${new Date().toISOString()}`);
console.log('| sketch | values/s (median) | × hdr | rel. err p50 / p95 / p99 (median %) | max err % | size |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const [name, x] of Object.entries(res)) {
  const rate = med(x.rate);
  const errs = x.err.map((e) => (med(e) * 100).toFixed(3)).join(' / ');
  const maxErr = Math.max(...x.err.flat()) * 100;
  console.log(
    `| ${name} | ${(rate / 1e6).toFixed(1)}M | ${(rate / hdrRate).toFixed(2)} | ${errs} | ${maxErr.toFixed(3)} | ${x.size} |`,
  );
}
console.log(`merge: ${JSON.stringify(mergeInfo)}`);
