// The small app of the Express benchmark, one configuration per process (same shape as ../../shared/peer-bench).
// Usage: node app.mjs <bare|pino-http|morgan|shoplog|shoplog-client|shoplog-engine|floor|floor-hooks|…> <port>. Prints {"ready":true} when listening.
// Every logger writes to /dev/null, so what is measured is the cost of building and serialising log records.
import { createRequire } from 'node:module';
import fs from 'node:fs';

const require = createRequire(import.meta.url);
const express = require('express');
const cfg = process.argv[2] ?? 'bare';
const port = Number(process.argv[3] ?? 3100);
const DEST = '/dev/null';
const app = express();
let engine;

/** Batches events as NDJSON into one write per event-loop turn, as a delivery engine batches before sending. */
function ndjsonExporter(path) {
  const stream = fs.createWriteStream(path);
  let lines = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    const batch = lines;
    lines = [];
    stream.write(batch.join('\n') + '\n');
  };
  return {
    name: 'ndjson-dev-null',
    process(event) {
      lines.push(JSON.stringify(event));
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
      return event;
    },
  };
}

if (cfg === 'pino-http') {
  const pino = require('pino');
  const pinoHttp = require('pino-http');
  app.use(pinoHttp({ logger: pino(pino.destination(DEST)) }));
} else if (cfg === 'morgan') {
  const morgan = require('morgan');
  app.use(morgan('combined', { stream: fs.createWriteStream(DEST) }));
} else if (cfg === 'shoplog') {
  const { shoplog } = await import('@shoplog/express-middleware');
  app.use(shoplog({ exporter: ndjsonExporter(DEST), service: { name: 'bench-shop' } }));
} else if (cfg === 'shoplog-serialise') {
  // Diagnostic: every event built and JSON-serialised, then discarded (no I/O): the middleware's own CPU plus
  // serialisation, without the exporter's writes.
  const { shoplog } = await import('@shoplog/express-middleware');
  let bytes = 0;
  app.use(
    shoplog({
      exporter: { enqueue: (event) => void (bytes += JSON.stringify(event).length) },
      service: { name: 'bench-shop' },
    }),
  );
} else if (cfg === 'shoplog-noop') {
  // Diagnostic: events built by the middleware and dropped (no serialisation, no I/O): the middleware's own CPU.
  const { shoplog } = await import('@shoplog/express-middleware');
  let count = 0;
  app.use(shoplog({ exporter: { enqueue: () => void count++ }, service: { name: 'bench-shop' } }));
} else if (cfg.startsWith('shoplog-engine')) {
  // The real delivery engine (byte queue, batching, gzip, HTTP sink) to the local fake `_bulk` endpoint given in
  // SHOPLOG_BULK_URL: every event shipped, none sampled away. SIGTERM closes the engine, so all of them arrive.
  // `shoplog-engine-<label>`: the engine built at $SHOPLOG_ENGINE_MODULE_<label> and the middleware at
  // $SHOPLOG_MIDDLEWARE_MODULE_<label> if set (to compare two builds in one run).
  const label = cfg.slice('shoplog-engine-'.length);
  const { shoplog } = await import(
    (label && process.env[`SHOPLOG_MIDDLEWARE_MODULE_${label}`]) || '@shoplog/express-middleware'
  );
  const modulePath = label ? process.env[`SHOPLOG_ENGINE_MODULE_${label}`] : '@shoplog/node-transport';
  if (!modulePath) throw new Error(`${cfg} needs SHOPLOG_ENGINE_MODULE_${label}`);
  const { createDeliveryEngine, createHttpSink } = await import(modulePath);
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const url = process.env.SHOPLOG_BULK_URL;
  if (!url) throw new Error('shoplog-engine needs SHOPLOG_BULK_URL');
  engine = createDeliveryEngine({
    sink: createHttpSink({ url }),
    spoolDir: mkdtempSync(join(tmpdir(), 'bench-express-')),
    exitHooks: false,
  });
  app.use(shoplog({ exporter: engine, service: { name: 'bench-shop' } }));
} else if (cfg === 'shoplog-client') {
  // Through core's client: every event is validated against the schemas and redacted again before export.
  const { createShoplog } = await import('@shoplog/core');
  const { shoplog } = await import('@shoplog/express-middleware');
  const client = createShoplog({ service: 'bench-shop', exporter: ndjsonExporter(DEST) });
  app.use(shoplog({ exporter: client }));
} else if (cfg === 'floor-hooks' || cfg === 'floor') {
  // Reference floors, not loggers anyone would ship. `floor-hooks`: only what any request logger must do — a 'close'
  // listener and a request-id header. `floor`: a hand-written minimal logger on top of that, with nothing of
  // Shoplog's: one ≈ 300-byte JSON line per request (ISO time, method, status, route, path, an id, the duration)
  // joined into one write per event-loop turn to /dev/null. Whatever a logger costs above `floor` is its own.
  const out = fs.createWriteStream(DEST);
  let lines = [];
  let scheduled = false;
  let n = 0;
  const flush = () => {
    scheduled = false;
    out.write(lines.join('\n') + '\n');
    lines = [];
  };
  const started = Symbol('started');
  const onClose = function () {
    if (cfg === 'floor-hooks') return;
    const req = this.req;
    const route = req.route ? req.baseUrl + req.route.path : 'unmatched';
    lines.push(
      `{"@timestamp":"${new Date().toISOString()}","message":"${req.method} ${route} ${this.statusCode}","event":{"id":"${this.getHeader('x-request-id')}","dataset":"shoplog.performance","duration":${Math.round((performance.now() - this[started]) * 1e6)}},"http":{"request":{"method":"${req.method}"},"response":{"status_code":${this.statusCode}},"route":"${route}"},"url":{"path":"${req.url}"}}`,
    );
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };
  app.use((req, res, next) => {
    res[started] = performance.now();
    res.setHeader('x-request-id', `r${(n++).toString(36)}`);
    res.on('close', onClose);
    next();
  });
} else if (cfg === 'shoplog-nullsink') {
  // Diagnostic: the real delivery engine with a sink that accepts every batch at once (no network): the cost of the
  // middleware and the queue without the HTTP shipping that `shoplog-engine` adds.
  const { shoplog } = await import('@shoplog/express-middleware');
  const { createDeliveryEngine } = await import('@shoplog/node-transport');
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const sink = { name: 'null', send: async () => ({ failures: [], duplicates: 0 }), close: async () => {} };
  engine = createDeliveryEngine({ sink, spoolDir: mkdtempSync(join(tmpdir(), 'bench-express-')), exitHooks: false });
  app.use(shoplog({ exporter: engine, service: { name: 'bench-shop' } }));
} else if (cfg !== 'bare') {
  throw new Error(`unknown config ${cfg}`);
}

app.get('/products/:id', (req, res) => {
  res.json({ id: req.params.id, name: `Widget ${req.params.id}`, price: '19.99', currency: 'EUR', inStock: true });
});

// BENCH_GC=1: count V8's garbage collections and their pause time (printed on SIGTERM), to tell GC from work.
const gc = { count: 0, ms: 0, byKind: {} };
if (process.env.BENCH_GC) {
  const { PerformanceObserver } = await import('node:perf_hooks');
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gc.count++;
      gc.ms += e.duration;
      const k = e.detail?.kind ?? 0;
      gc.byKind[k] = (gc.byKind[k] ?? 0) + 1;
    }
  }).observe({ entryTypes: ['gc'] });
}

const server = app.listen(port, '127.0.0.1', () =>
  console.log(JSON.stringify({ ready: true, cfg, port, pid: process.pid })),
);
process.on('SIGTERM', async () => {
  server.close();
  if (process.env.BENCH_GC)
    console.error(
      JSON.stringify({
        cfg,
        gc: { count: gc.count, ms: +gc.ms.toFixed(1), byKind: gc.byKind },
        cpu: process.cpuUsage(),
      }),
    );
  if (engine) {
    await engine.close({ deadlineMs: 10_000 });
    const m = engine.metrics();
    console.error(JSON.stringify({ cfg, delivery: m }));
  }
  process.exit(0);
});
