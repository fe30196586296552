// JS heap bytes allocated per request by the Express middleware, bare vs pino-http vs Shoplog, in-process (the app
// of hot-paths driven with app.handle on real IncomingMessage / ServerResponse objects). Unlike CPU time, this
// does not depend on what else runs on the machine: the young generation is made big enough that no GC runs
// during a measure, so the growth of the used heap is what the requests allocated.
// Usage: pnpm bench express-alloc [rounds=5] [n=2000]
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import { fakeGetRequest } from './lib/harness.mjs';

const FLAGS = ['--expose-gc', '--max-semi-space-size=512', '--min-semi-space-size=512'];
if (typeof globalThis.gc !== 'function') {
  const run = spawnSync(process.execPath, [...FLAGS, fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  process.exit(run.status ?? 1);
}
const { shoplog } = await import('@shoplog/express-middleware');
const require = createRequire(import.meta.url);
const express = require('express');
const [rounds = 5, n = 2000] = process.argv.slice(2).map(Number);

let gcs = 0;
new PerformanceObserver((list) => (gcs += list.getEntries().length)).observe({ entryTypes: ['gc'] });
const lines = [];
let dropped = 0;
function app(logger) {
  const a = express();
  if (logger === 'pino-http') {
    const pino = require('pino');
    a.use(require('pino-http')({ logger: pino(pino.destination({ dest: '/dev/null', sync: false })) }));
  }
  if (logger === 'shoplog')
    a.use(shoplog({ exporter: { enqueue: (e) => lines.push(JSON.stringify(e)) }, service: { name: 'bench-shop' } }));
  // An engine-shaped sink with `enqueueLine`: the middleware writes the event's JSON line directly (express4).
  if (logger === 'shoplog-line')
    a.use(
      shoplog({
        exporter: { enqueue: (e) => lines.push(JSON.stringify(e)), enqueueLine: (l) => lines.push(l) },
        service: { name: 'bench-shop' },
      }),
    );
  if (logger === 'shoplog-dropped')
    a.use(shoplog({ exporter: { enqueue: () => void dropped++ }, service: { name: 'bench-shop' } }));
  a.get('/products/:id', (req, res) => {
    res.json({ id: req.params.id, name: `Widget ${req.params.id}`, price: '19.99', currency: 'EUR', inStock: true });
  });
  return a;
}
async function drive(a, count) {
  for (let i = 0; i < count; i += 100) {
    for (let j = i; j < i + 100; j++) fakeGetRequest(a, j);
    await new Promise((r) => setImmediate(r));
  }
}
const apps = {
  bare: app('bare'),
  'pino-http': app('pino-http'),
  shoplog: app('shoplog'),
  'shoplog, line (enqueueLine)': app('shoplog-line'),
  'shoplog, events dropped': app('shoplog-dropped'),
};
for (const a of Object.values(apps)) await drive(a, 5000); // JIT warm-up
lines.length = 0;
const per = Object.fromEntries(Object.keys(apps).map((k) => [k, []]));
for (let r = 0; r < rounds; r++) {
  for (const [name, a] of Object.entries(apps)) {
    globalThis.gc();
    await new Promise((res) => setTimeout(res, 5));
    const g0 = gcs;
    const h0 = v8.getHeapStatistics().used_heap_size;
    await drive(a, n);
    const h1 = v8.getHeapStatistics().used_heap_size;
    await new Promise((res) => setTimeout(res, 5)); // a GC during the drive is reported by now
    if (gcs === g0) per[name].push((h1 - h0) / n);
    lines.length = 0;
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
console.log(
  `node ${process.version}, ${rounds} rounds × ${n} requests, JS heap bytes allocated per request (median of the rounds without a GC)`,
);
for (const [name, xs] of Object.entries(per)) {
  if (xs.length === 0) console.log(`${name.padEnd(30)} (a GC ran in every round: lower n)`);
  else
    console.log(
      `${name.padEnd(30)} ${median(xs).toFixed(0).padStart(7)}   − bare ${(median(xs) - median(per.bare)).toFixed(0).padStart(6)}   (${xs.length} rounds)`,
    );
}
