// CPU time per operation on the hot paths, measured in one process with process.threadCpuUsage() (this thread's
// CPU only), so the figures hold up on a shared, loaded machine where wall-clock throughput does not.
// Usage: pnpm bench hot-paths [rounds=5] [n=20000]
//   redact      core redactor on a built transaction event (copy, and in place as in pino's worker)
//   pino-worker what the pino transport's worker does per log line: JSON.parse → mapRecord → redact → serialise
//               and queue (the delivery engine with a sink that accepts every batch at once: no network)
//   winston     the winston transport's log() per info object, same null sink
//   middleware  the Express middleware per request: a real Express app driven in-process (app.handle with real
//               http.IncomingMessage / ServerResponse objects, no sockets), bare vs shoplog, delta per request
// Each variant runs interleaved in `rounds` rounds; the median µs of CPU per operation is printed.
import { createRequire } from 'node:module';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { createRedactor, transaction } from '@shoplog/core';
import { createDeliveryEngine, createHttpSink, createShipper, mapRecord } from '@shoplog/node-transport';
import shoplogPino from '@shoplog/node-transport/pino';
import { ShoplogWinstonTransport } from '@shoplog/node-transport/winston';
import { shoplog } from '@shoplog/express-middleware';
import { fakeGetRequest, startFakeBulk } from './lib/harness.mjs';

const require = createRequire(import.meta.url);
const [rounds = 5, N = 20000] = process.argv.slice(2).map(Number);
const only = process.env.ONLY?.split(',');
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
// This thread's CPU, and the whole process's (V8's GC helper threads included) kept aside in `lastProcessUs`.
let lastProcessUs = 0;
const cpuUs = async (fn) => {
  const p0 = process.cpuUsage();
  const t0 = process.threadCpuUsage();
  await fn();
  const t = process.threadCpuUsage(t0);
  const p = process.cpuUsage(p0);
  lastProcessUs = p.user + p.system;
  return t.user + t.system;
};
const nullSink = () => ({ name: 'null', send: async () => ({ duplicates: 0, failures: [] }) });
const spoolDir = () => mkdtempSync(join(tmpdir(), 'bench-hot-'));

const service = { name: 'bench-shop' };
const makeEvent = (j) =>
  transaction(
    {
      message: 'order placed',
      user: { id: `u_${j % 1000}` },
      labels: { producer: 'p', seq: String(j) },
      shop: {
        transaction: { id: `tx_${j}`, type: 'purchase', status: 'completed' },
        amount: { minor: 1999 + (j % 100), currency: 'EUR' },
      },
    },
    { service },
  );

// The peer survey's record (bench/transport-*.bench.mjs log it too).
const makeOrder = (j) => ({ orderId: `ord_${j}`, amount: (1999 + (j % 100)) / 100, userId: `u_${j % 1000}` });

// pino's lines for the same events, as the worker receives them (`order`: the peer survey's record, pino defaults).
async function pinoLines(n, order = false) {
  const { pino } = await import('pino');
  const lines = [];
  let buf = '';
  const dest = new Writable({
    write(chunk, _enc, cb) {
      buf += chunk;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        lines.push(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
      cb();
    },
  });
  const logger = order ? pino(dest) : pino({ timestamp: pino.stdTimeFunctions.isoTime }, dest);
  for (let j = 0; j < n; j++) {
    if (order) logger.info(makeOrder(j), 'order placed');
    else logger.info(makeEvent(j));
  }
  await new Promise((r) => setImmediate(r));
  return lines;
}

const variants = {};
async function setup() {
  const events = Array.from({ length: N }, (_, j) => makeEvent(j));
  const lines = await pinoLines(N);
  const orderLines = await pinoLines(N, true);
  const ID_ALLOW = [
    'event.id',
    'trace.id',
    'span.id',
    'transaction.id',
    'http.request.id',
    'user.id',
    'shop.*.id',
    'shop.transaction.parent_id',
  ];
  const copy = createRedactor({ allow: ID_ALLOW });
  const inPlace = createRedactor({ allow: ID_ALLOW, mutate: true });
  variants['redact (copy)'] = () => {
    for (const e of events) copy.redact(e);
  };
  variants['JSON.parse (pino line)'] = () => {
    for (const l of lines) JSON.parse(l);
  };
  variants['JSON.parse + redact in place'] = () => {
    for (const l of lines) inPlace.redact(JSON.parse(l));
  };
  variants['JSON.stringify (event)'] = () => {
    for (const e of events) JSON.stringify(e);
  };
  const shippers = [];
  // validate: false as with the default HTTP sink (the Shoplog server validates); the ES sink validates (below).
  const pinoShipper = createShipper({
    sink: nullSink(),
    validate: false,
    redact: { mutate: true },
    spoolDir: spoolDir(),
    exitHooks: false,
    flushIntervalMs: 50,
  });
  shippers.push(pinoShipper);
  variants['pino worker: parse + shipper.write'] = () => {
    for (const l of lines) pinoShipper.write(JSON.parse(l));
  };
  variants['pino worker (order): parse + write'] = () => {
    for (const l of orderLines) pinoShipper.write(JSON.parse(l));
  };
  // The pino transport's whole worker-side path on the same lines: its line stream (chunks of 1000 lines, as pino's
  // worker writes them), the raw-line path where it applies, else parse + mapping + redaction + serialisation.
  // `full path`: the same stream with a wrapped mapper, which keeps every line on the parse path (the A/B of the raw path).
  const orderText = [];
  for (let i = 0; i < orderLines.length; i += 1000) orderText.push(orderLines.slice(i, i + 1000).join('\n') + '\n');
  const pinoStream = (extra) =>
    shoplogPino({
      sink: nullSink(),
      validate: false,
      redact: { mutate: true },
      spoolDir: spoolDir(),
      exitHooks: false,
      flushIntervalMs: 50,
      ...extra,
    });
  const feed = (stream) => async () => {
    for (const chunk of orderText)
      await new Promise((resolve, reject) => stream.write(chunk, (err) => (err ? reject(err) : resolve())));
  };
  const rawStream = pinoStream({});
  const fullStream = pinoStream({ mapRecord: (r) => mapRecord(r) });
  variants['pino stream (order): raw-line path'] = feed(rawStream);
  variants['pino stream (order): full path'] = feed(fullStream);
  shippers.push({
    close: () => Promise.all([rawStream, fullStream].map((st) => new Promise((resolve) => st.end(resolve)))),
  });
  variants['JSON.parse (order line)'] = () => {
    for (const l of orderLines) JSON.parse(l);
  };
  // What the HTTP sink does per batch, per log: join the lines, gzip level 1 (bodies over 1 KiB).
  const gzipBatches = (ls) => {
    for (let i = 0; i < ls.length; i += 5000) {
      let text = '';
      for (const l of ls.slice(i, i + 5000)) text += l + '\n';
      gzipSync(Buffer.from(text), { level: 1 });
    }
  };
  variants['HTTP sink body: join + gzip 1 (tx)'] = () => gzipBatches(lines);
  variants['HTTP sink body: join + gzip 1 (order)'] = () => gzipBatches(orderLines);
  const esShipper = createShipper({
    sink: nullSink(),
    validate: true,
    redact: { mutate: true },
    spoolDir: spoolDir(),
    exitHooks: false,
    flushIntervalMs: 50,
  });
  shippers.push(esShipper);
  variants['pino worker, validating (ES sink)'] = () => {
    for (const l of lines) esShipper.write(JSON.parse(l));
  };
  const transport = new ShoplogWinstonTransport({
    sink: nullSink(),
    validate: false,
    spoolDir: spoolDir(),
    exitHooks: false,
    flushIntervalMs: 50,
  });
  const infos = events.map((e) => ({ level: 'info', message: 'order placed', ...e }));
  variants['winston: transport.log(info)'] = () => {
    for (const info of infos) transport.log(info);
  };
  const orderInfos = Array.from({ length: N }, (_, j) => ({ level: 'info', message: 'order placed', ...makeOrder(j) }));
  variants['winston (order): transport.log(info)'] = () => {
    for (const info of orderInfos) transport.log(info);
  };
  // The whole app-thread cost of `logger.info('order placed', { … })`: winston itself (its default `json` format
  // included) with a transport that does nothing, vs with ours; both 1000 logs per event-loop turn.
  const winston = require('winston');
  class NullTransport extends winston.Transport {
    log(_info, callback) {
      callback();
    }
  }
  const ours = new ShoplogWinstonTransport({
    sink: nullSink(),
    validate: false,
    spoolDir: spoolDir(),
    exitHooks: false,
    flushIntervalMs: 50,
  });
  const winstonLoggers = {
    'null transport': winston.createLogger({ transports: [new NullTransport()] }),
    shoplog: winston.createLogger({ transports: [ours] }),
  };
  for (const [name, logger] of Object.entries(winstonLoggers)) {
    variants[`winston (order): info → ${name}`] = async () => {
      for (let i = 0; i < N; i += 1000) {
        for (let j = i; j < Math.min(N, i + 1000); j++) logger.info('order placed', makeOrder(j));
        await new Promise((r) => setImmediate(r));
      }
    };
  }
  shippers.push({
    close: async () => {
      await ours.flush();
      ours.close();
    },
  });
  return async () => {
    for (const s of shippers) await s.close();
    await transport.shipper?.close?.();
    transport.close();
  };
}

// The middleware per request, on a real Express app, without sockets: requests are dispatched with app.handle on
// real IncomingMessage / ServerResponse objects whose output goes nowhere, so only the server side is measured.
function expressApp(logger, sink) {
  const express = require('express');
  const app = express();
  if (logger === 'shoplog') app.use(shoplog({ exporter: sink, service }));
  if (logger === 'pino-http') {
    const pino = require('pino');
    app.use(require('pino-http')({ logger: pino(pino.destination({ dest: '/dev/null', sync: false })) }));
  }
  app.get('/products/:id', (req, res) => {
    res.json({ id: req.params.id, name: `Widget ${req.params.id}`, price: '19.99', currency: 'EUR', inStock: true });
  });
  return app;
}
async function setupMiddleware() {
  const lines = [];
  const sink = { enqueue: (e) => lines.push(JSON.stringify(e)) };
  const bare = expressApp('bare');
  const logged = expressApp('shoplog', sink);
  let dropped = 0;
  const built = expressApp('shoplog', { enqueue: () => void dropped++ });
  // The line written and dropped (express4's direct line, no engine): the middleware's cost with serialisation.
  const lineDropped = expressApp('shoplog', { enqueue: () => void dropped++, enqueueLine: () => void dropped++ });
  const pinoHttp = expressApp('pino-http');
  const bulk = await startFakeBulk();
  const engine = createDeliveryEngine({
    sink: createHttpSink({ url: bulk.url }),
    spoolDir: spoolDir(),
    exitHooks: false,
  });
  const toEngine = expressApp('shoplog', engine);
  // The same engine API without `enqueueLine`: the middleware builds the event object and the engine serialises it
  // (the path before express4's direct line), for a before/after in one run.
  const objectEngine = createDeliveryEngine({
    sink: createHttpSink({ url: bulk.url }),
    spoolDir: spoolDir(),
    exitHooks: false,
  });
  const toObjectEngine = expressApp('shoplog', { enqueue: (e) => objectEngine.enqueue(e) });
  const n = Math.min(N, 5000);
  // 100 requests per event-loop turn, so 'finish' / 'close' (emitted on later ticks) are part of the measure.
  const drive = async (app) => {
    for (let i = 0; i < n; i += 100) {
      for (let j = i; j < i + 100; j++) fakeGetRequest(app, j);
      await new Promise((r) => setImmediate(r));
    }
  };
  variants['express: bare request'] = () => drive(bare);
  variants['express: pino-http request'] = () => drive(pinoHttp);
  // Events built and dropped (no JSON): the middleware's own cost without serialisation.
  variants['express: shoplog, events dropped'] = async () => {
    dropped = 0;
    await drive(built);
    if (dropped < n) throw new Error(`shoplog built ${dropped} events for ${n} requests`);
  };
  variants['express: shoplog, line dropped'] = async () => {
    dropped = 0;
    await drive(lineDropped);
    if (dropped < n) throw new Error(`shoplog wrote ${dropped} lines for ${n} requests`);
  };
  // The bench config that counts (`shoplog-engine`): the real delivery engine (byte queue, 1 s flush, HTTP sink) to
  // the fake `_bulk` endpoint in its own process; the batches are in flight between rounds too, as in a server.
  variants['express: shoplog → engine request'] = async () => {
    const before = engine.metrics().sent + engine.metrics().queued + engine.metrics().inFlight;
    await drive(toEngine);
    const m = engine.metrics();
    if (m.sent + m.queued + m.inFlight - before < n)
      throw new Error(`the engine took ${m.sent + m.queued + m.inFlight - before} events for ${n} requests`);
  };
  variants['express: shoplog → engine, event object'] = async () => {
    const before = objectEngine.metrics().sent + objectEngine.metrics().queued + objectEngine.metrics().inFlight;
    await drive(toObjectEngine);
    const m = objectEngine.metrics();
    if (m.sent + m.queued + m.inFlight - before < n)
      throw new Error(`the engine took ${m.sent + m.queued + m.inFlight - before} events for ${n} requests`);
  };
  variants['express: shoplog request'] = async () => {
    await drive(logged);
    if (lines.length < n) throw new Error(`shoplog exported ${lines.length} events for ${n} requests`);
    if (lines.some((l) => !l.includes('"shoplog.performance"'))) throw new Error('unexpected event kind');
    lines.length = 0;
  };
  return {
    n,
    close: async () => {
      for (const [label, e] of [
        ['engine', engine],
        ['engine, event object', objectEngine],
      ]) {
        await e.close();
        const m = e.metrics();
        console.log(
          `${label}: sent ${m.sent}, spooled ${m.spooled}, dropped ${m.dropped['queue-full-oldest'] + m.dropped['queue-full-newest']}`,
        );
      }
      await bulk.stop();
    },
  };
}

const closeAll = await setup();
const { n: mwN, close: closeMiddleware } = await setupMiddleware();
const names = Object.keys(variants).filter((k) => !only || only.some((o) => k.includes(o)));
const per = Object.fromEntries(names.map((k) => [k, []]));
const perProcess = Object.fromEntries(names.map((k) => [k, []]));
for (const k of names) await variants[k](); // warm-up
for (let r = 0; r < rounds; r++) {
  for (const k of names) {
    globalThis.gc?.();
    const n = k.startsWith('express') ? mwN : N;
    per[k].push((await cpuUs(variants[k])) / n);
    perProcess[k].push(lastProcessUs / n);
    await new Promise((res) => setTimeout(res, 5)); // let timers and batches run between variants
  }
}
await closeAll();
await closeMiddleware();
console.log(
  `node ${process.version}, ${rounds} rounds, n = ${N} (express: ${mwN}), µs CPU per operation (median [min–max]); process = all threads (GC helpers too)`,
);
for (const k of names) {
  const xs = per[k];
  console.log(
    `${k.padEnd(40)} ${median(xs).toFixed(2).padStart(7)}  [${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}]   process ${median(perProcess[k]).toFixed(2)}`,
  );
}
for (const lib of [
  'pino-http',
  'shoplog',
  'shoplog → engine',
  'shoplog → engine, event object',
  'shoplog, events dropped',
  'shoplog, line dropped',
]) {
  const a = per[`express: ${lib}${lib.includes(',') ? '' : ' request'}`];
  const b = per['express: bare request'];
  const pa = perProcess[`express: ${lib}${lib.includes(',') ? '' : ' request'}`];
  if (!pa) continue;
  const pb = perProcess['express: bare request'];
  if (a && b)
    console.log(
      `${`express: ${lib} − bare (per request)`.padEnd(40)} ${(median(a) - median(b)).toFixed(2).padStart(7)}   process ${(median(pa) - median(pb)).toFixed(2)}`,
    );
}
process.exit(0);
