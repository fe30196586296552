// pino → local bulk endpoint: @shoplog/node-transport/pino vs pino-elasticsearch, both in pino's worker thread,
// interleaved in one run against the same fake server (bench/fake-bulk.mjs, its own process).
// Usage: pnpm bench transport-pino [N=100000] [rounds=2]
// Each run logs N records, 1000 per event-loop turn, ends the stream and waits until the server has every document.
// The record is the peer survey's (/work/shared/peer-bench/bench-pino-es.mjs), with pino's defaults:
// `logger.info({ orderId, amount, userId }, 'order placed')`, so the main-thread figure compares with DESIGN.md's.
// An extra Shoplog row (`shoplog(tx)`) logs a nested transaction event built with the core builder instead. Reported: logs/s until all delivered, main-thread CPU per
// log, how long closing the stream took (pino's exit path waits that long), duplicates and out-of-order documents.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setImmediate as tick } from 'node:timers/promises';
import {
  benchTransaction,
  fakeReset,
  fakeStats,
  interleave,
  lcg,
  median,
  peerOrder,
  waitDocs,
} from './lib/harness.mjs';

const self = fileURLToPath(import.meta.url);
// Extra options of the Shoplog transport for A/B runs, e.g. SHOPLOG_OPTIONS='{"http":{"url":"…","gzipMinBytes":false}}'.
const shoplogExtra = JSON.parse(process.env.SHOPLOG_OPTIONS ?? '{}');
const BATCH = 1000;

if (process.argv[2] === '--run') {
  const [, , , lib, n, url, variant] = process.argv;
  const N = Number(n);
  const { pino } = await import('pino');
  const { transaction } = await import('@shoplog/core');
  await fakeReset(url);
  const stream =
    lib === 'shoplog'
      ? pino.transport({
          target: '@shoplog/node-transport/pino',
          options: { url, spoolDir: mkdtempSync(join(tmpdir(), 'bench-spool-')), ...shoplogExtra },
        })
      : pino.transport({
          target: 'pino-elasticsearch',
          options: {
            node: url,
            index: 'orders',
            esVersion: 8,
            ...(variant === '5mb' ? { flushBytes: 5_000_000 } : {}),
          },
        });
  const errors = [];
  // pino-elasticsearch's worker outlives thread-stream's 10 s `end()` limit: record it, do not crash.
  stream.on('error', (e) => errors.push(String(e.message ?? e)));
  await new Promise((resolve) => stream.once('ready', resolve));
  const rich = variant === 'tx';
  const logger = rich ? pino({ timestamp: pino.stdTimeFunctions.isoTime }, stream) : pino(stream);
  const service = { name: 'bench-shop' };
  const order = peerOrder;
  const tx = (rnd, j) => benchTransaction(transaction, service, rnd, j);
  const log = rich ? (rnd, j) => logger.info(tx(rnd, j)) : (rnd, j) => logger.info(order(rnd, j), 'order placed');
  // Baseline: building the events alone, so the logger's own main-thread cost can be told apart.
  let sink = 0;
  const rnd0 = lcg();
  const b0 = process.threadCpuUsage();
  if (rich) for (let j = 0; j < N; j++) sink += tx(rnd0, j).event.id.length;
  else for (let j = 0; j < N; j++) sink += order(rnd0, j).orderId.length;
  if (sink === 0) throw new Error('unreachable');
  const b1 = process.threadCpuUsage(b0);
  const buildUs = (b1.user + b1.system) / N;
  const rnd = lcg();
  globalThis.gc?.();
  const th0 = process.threadCpuUsage();
  const cpu0 = process.cpuUsage();
  const start = Date.now();
  for (let i = 0; i < N; i += BATCH) {
    const end = Math.min(N, i + BATCH);
    for (let j = i; j < end; j++) log(rnd, j);
    await tick();
  }
  const tEnd = performance.now();
  // thread-stream's end() blocks the main thread (now or once its buffer drains) until the worker closed the
  // transport, then emits 'close' (or 'error' after 10 s): the time to that event is what the app waits on exit.
  const closed = new Promise((resolve) => {
    stream.once('close', resolve);
    stream.once('error', resolve);
  });
  const keepAlive = setInterval(() => {}, 1000); // the worker is unref'd: keep the loop up until 'close'
  stream.end();
  await closed;
  clearInterval(keepAlive);
  const endBlockedMs = performance.now() - tEnd;
  const th1 = process.threadCpuUsage(th0);
  const cpu1 = process.cpuUsage(cpu0);
  const s = await waitDocs(url, N, 60_000);
  await new Promise((r) => setTimeout(r, 200));
  const fin = await fakeStats(url);
  const wallMs = Math.max(1, s.lastDocAt - start);
  const mainCpuMs = (th1.user + th1.system) / 1000;
  console.log(
    JSON.stringify({
      lib: lib + (variant ? `(${variant})` : ''),
      N,
      logs_per_s: Math.round(N / (wallMs / 1000)),
      main_cpu_us_per_log: +((mainCpuMs * 1000) / N).toFixed(2),
      // Minus the cost of building the event (the app's, the same for every contender).
      logger_main_cpu_us_per_log: +((mainCpuMs * 1000) / N - buildUs).toFixed(2),
      build_us_per_event: +buildUs.toFixed(2),
      // The rest of the process (pino's worker thread with the transport, zlib's pool threads) until 'close'.
      worker_cpu_us_per_log: +((cpu1.user + cpu1.system - th1.user - th1.system) / N).toFixed(2),
      close_ms: Math.round(endBlockedMs),
      delivered: fin.unique,
      dupes: fin.dupes,
      out_of_order: fin.outOfOrder,
      requests: fin.requests,
      errors: errors.slice(0, 2),
    }),
  );
  process.exit(0);
}

const N = Number(process.argv[2] ?? 100_000);
const rounds = Number(process.argv[3] ?? 2);
const results = await interleave(self, rounds, [
  ['shoplog', N],
  ['pino-es', N],
  ['pino-es', N, '5mb'],
  ['shoplog', N, 'tx'],
]);
const summary = [...results].map(([lib, runs]) => ({
  lib,
  logs_per_s: median(runs.map((x) => x.logs_per_s)),
  main_cpu_us_per_log: median(runs.map((x) => x.main_cpu_us_per_log)),
  logger_main_cpu_us_per_log: median(runs.map((x) => x.logger_main_cpu_us_per_log)),
  worker_cpu_us_per_log: median(runs.map((x) => x.worker_cpu_us_per_log)),
  close_ms: median(runs.map((x) => x.close_ms)),
  all_delivered_once: runs.every((x) => x.delivered === N && x.dupes === 0),
  out_of_order: Math.max(...runs.map((x) => x.out_of_order)),
}));
console.log(
  `\npino transport → local bulk endpoint, N=${N}, ${rounds} interleaved rounds, medians (Node ${process.version})`,
);
console.table(summary);
const ours = summary.find((s) => s.lib === 'shoplog');
for (const peer of summary.filter((s) => !s.lib.startsWith('shoplog'))) {
  console.log(
    `shoplog vs ${peer.lib}: ${(ours.logs_per_s / peer.logs_per_s).toFixed(2)}× logs/s, ` +
      `${(ours.main_cpu_us_per_log / peer.main_cpu_us_per_log).toFixed(2)}× main-thread CPU/log, close ${ours.close_ms} ms vs ${peer.close_ms} ms`,
  );
}
