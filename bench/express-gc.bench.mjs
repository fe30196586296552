// Whole-process CPU per request of the Express middleware shipping every event through the real delivery engine
// (the `shoplog-engine` config of the express bench) at a fixed request rate, in-process: what the request thread
// costs and what V8's GC helper threads add while the engine holds up to a second of events.
// Usage: pnpm bench express-gc [rounds=4] [rate=5000] [seconds=3]
//   ENGINES=label=<engine>[+<middleware>],… compares builds (A/B): <engine> a node-transport dist/index.js, <middleware>
//   an express-middleware dist/index.js, `-` for this worktree's; default `shoplog=-`. XOPTS / XOPTS_<label>: options.
// Each variant runs in a fresh process, interleaved: a real Express app driven with app.handle on real
// IncomingMessage / ServerResponse objects (no sockets), `rate` requests/s in 10 ms ticks, the engine's HTTP sink
// posting to the fake `_bulk` endpoint (its own process). After 1 s of warm-up it reports this thread's and the
// whole process's CPU per request (GC helper threads included) and V8's GC pauses; `bare` has no logger.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fakeGetRequest, fixedRate, median, startFakeBulk } from './lib/harness.mjs';

if (process.argv[2] === '--run') {
  const [label, modulePath, url, rateText, secsText] = process.argv.slice(3);
  const rate = Number(rateText);
  const secs = Number(secsText);
  const express = createRequire(import.meta.url)('express');
  const app = express();
  let engine;
  const [enginePath, middlewarePath = '-'] = modulePath.split('+');
  const { shoplog } = await import(middlewarePath === '-' ? '@shoplog/express-middleware' : middlewarePath);
  // XOPTS: extra middleware options as JSON (diagnostics, e.g. {"timeoutMs":0}); XOPTS_<label> for one variant only
  // (e.g. {"captureBody":true} keeps the event-object path: the app has no body parser, so the event is the same).
  const extra = JSON.parse(process.env[`XOPTS_${label}`] ?? process.env.XOPTS ?? '{}');
  if (label.startsWith('dropped')) {
    // Diagnostic: events built by the middleware and dropped (no serialisation, no engine).
    app.use(shoplog({ exporter: { enqueue: () => true }, service: { name: 'bench-shop' }, ...extra }));
  } else if (label !== 'bare') {
    const { createDeliveryEngine, createHttpSink } = await import(
      enginePath === '-' ? '@shoplog/node-transport' : enginePath
    );
    engine = createDeliveryEngine({
      sink: createHttpSink({ url }),
      spoolDir: mkdtempSync(join(tmpdir(), 'bench-xgc-')),
      exitHooks: false,
    });
    app.use(shoplog({ exporter: engine, service: { name: 'bench-shop' }, ...extra }));
  }
  app.get('/products/:id', (req, res) => {
    res.json({ id: req.params.id, name: `Widget ${req.params.id}`, price: '19.99', currency: 'EUR', inStock: true });
  });
  const {
    total: j,
    measured: n,
    threadUs,
    processUs,
    gcMs,
  } = await fixedRate(rate, secs, (i) => fakeGetRequest(app, i));
  let sent = n;
  if (engine) {
    await engine.close();
    const m = engine.metrics();
    sent = m.sent;
    if (m.sent !== j) throw new Error(`${label}: ${m.sent} events sent for ${j} requests`);
  }
  console.log(
    JSON.stringify({
      label,
      thread_us: +(threadUs / n).toFixed(2),
      process_us: +(processUs / n).toFixed(2),
      gc_pause_us: +((gcMs * 1000) / n).toFixed(2),
      sent,
    }),
  );
  process.exit(0);
}

const [rounds = 4, rate = 5000, secs = 3] = process.argv.slice(2, 5).map(Number);
const engines = (process.env.ENGINES ?? 'shoplog=-').split(',').map((s) => s.split('='));
const variants = [['bare', '-'], ...engines];
const self = fileURLToPath(import.meta.url);
const bulk = await startFakeBulk();
const runs = new Map(variants.map(([label]) => [label, []]));
try {
  for (let r = 0; r < rounds; r++) {
    for (const [label, path] of variants) {
      const out = await new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [self, '--run', label, path, bulk.url, rate, secs].map(String), {
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        let text = '';
        child.stdout.on('data', (c) => (text += c));
        child.on('error', reject);
        child.on('close', (code) =>
          code === 0
            ? resolve(JSON.parse(text.trim().split('\n').pop()))
            : reject(new Error(`${label} exited ${code}`)),
        );
      });
      console.log(JSON.stringify(out));
      runs.get(label).push(out);
    }
  }
} finally {
  bulk.stop();
}
const bare = runs.get('bare');
console.log(
  `\nExpress → engine at ${rate} req/s, ${secs} s, ${rounds} interleaved rounds, medians, µs CPU per request (Node ${process.version})`,
);
console.table(
  [...runs].map(([label, xs]) => ({
    variant: label,
    thread_us: median(xs.map((x) => x.thread_us)),
    process_us: median(xs.map((x) => x.process_us)),
    'process − bare': +(median(xs.map((x) => x.process_us)) - median(bare.map((x) => x.process_us))).toFixed(2),
    gc_pause_us: median(xs.map((x) => x.gc_pause_us)),
  })),
);
