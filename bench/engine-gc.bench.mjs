// GC cost of the delivery engine's flush interval at a fixed event rate (the Express middleware's case: a steady
// stream well below the 5000-event batch size, so events wait in the queue until the timer sends them).
// Usage: pnpm bench engine-gc [rounds=4] [rate=5000] [seconds=3] [intervals=1000,250]
//   ENGINES=label=/path/to/node-transport/dist/index.js,… compares builds of the engine (A/B), default: this one.
// Each interval runs in a fresh process, interleaved: pino-http-like lines through createShipper (redaction on,
// the mapping of pino-http lines) into the HTTP sink posting to the fake `_bulk` endpoint (its own process), at
// `rate` events/s in 10 ms ticks; after 1 s of warm-up it reports this thread's and the process's CPU per event
// and V8's GC pauses.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixedRate, median, startFakeBulk } from './lib/harness.mjs';

if (process.argv[2] === '--run') {
  const [interval, rate, secs] = process.argv.slice(3, 6).map(Number);
  const [modulePath, url] = process.argv.slice(6);
  const { createShipper, createHttpSink } = await import(modulePath === '-' ? '@shoplog/node-transport' : modulePath);
  const sink = createHttpSink({ url });
  const shipper = createShipper({
    sink,
    validate: false,
    spoolDir: mkdtempSync(join(tmpdir(), 'bench-gc-')),
    exitHooks: false,
    flushIntervalMs: interval,
  });
  const line = (j) =>
    `{"level":30,"time":${Date.now()},"pid":1234,"hostname":"box","req":{"id":${j},"method":"GET","url":"/products/${j % 1000}","headers":{"host":"127.0.0.1","user-agent":"autocannon/9"}},"res":{"statusCode":200},"responseTime":0.8,"msg":"request completed"}`;
  const {
    total: j,
    measured: n,
    threadUs,
    processUs,
    gcMs,
  } = await fixedRate(rate, secs, (i) => shipper.write(JSON.parse(line(i))));
  await shipper.close();
  const sent = shipper.metrics().sent;
  if (sent !== j) throw new Error(`${sent} events sent for ${j} written`);
  const label = process.argv[8];
  console.log(
    JSON.stringify({
      interval,
      engine: label,
      thread_us_per_event: +(threadUs / n).toFixed(2),
      process_us_per_event: +(processUs / n).toFixed(2),
      gc_pause_us_per_event: +((gcMs * 1000) / n).toFixed(2),
    }),
  );
  process.exit(0);
}

const [rounds = 4, rate = 5000, secs = 3] = process.argv.slice(2, 5).map(Number);
const intervals = (process.argv[5] ?? '1000,250').split(',').map(Number);
const engines = (process.env.ENGINES ?? 'this=-').split(',').map((s) => s.split('='));
const self = fileURLToPath(import.meta.url);
const keys = intervals.flatMap((interval) => engines.map(([label, path]) => ({ interval, label, path })));
const runs = new Map(keys.map((k) => [k, []]));
const bulk = await startFakeBulk();
try {
  for (let r = 0; r < rounds; r++) {
    for (const k of keys) {
      const out = await new Promise((resolve, reject) => {
        const child = spawn(
          process.execPath,
          [self, '--run', k.interval, rate, secs, k.path, bulk.url, k.label].map(String),
          { stdio: ['ignore', 'pipe', 'inherit'] },
        );
        let text = '';
        child.stdout.on('data', (c) => (text += c));
        child.on('error', reject);
        child.on('close', (code) =>
          code === 0 ? resolve(JSON.parse(text.trim().split('\n').pop())) : reject(new Error(`run exited ${code}`)),
        );
      });
      console.log(JSON.stringify(out));
      runs.get(k).push(out);
    }
  }
} finally {
  bulk.stop();
}
console.log(
  `\nengine flush interval at ${rate} events/s, ${secs} s, ${rounds} interleaved rounds, medians (Node ${process.version})`,
);
console.table(
  [...runs].map(([k, xs]) => ({
    flushIntervalMs: k.interval,
    engine: k.label,
    thread_us_per_event: median(xs.map((x) => x.thread_us_per_event)),
    process_us_per_event: median(xs.map((x) => x.process_us_per_event)),
    gc_pause_us_per_event: median(xs.map((x) => x.gc_pause_us_per_event)),
  })),
);
