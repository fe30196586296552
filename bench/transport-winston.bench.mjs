// winston → local bulk endpoint: @shoplog/node-transport/winston vs winston-elasticsearch, interleaved in one run
// against the same fake server (bench/fake-bulk.mjs, its own process).
// Usage: pnpm bench transport-winston [N=50000] [rounds=2]
// Each run logs N records, 1000 per event-loop turn, ends the logger and waits until the server has every document.
// The record is the peer survey's (/work/shared/peer-bench/bench-winston-es.mjs):
// `logger.info('order placed', { orderId, amount, userId })`. An extra Shoplog row (`shoplog(tx)`) logs a nested
// transaction event built with the core builder instead. Reported: logs/s until all delivered, CPU per log of the logging
// process (both transports work in the app's thread), peak RSS growth, duplicates and out-of-order documents.
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
const BATCH = 1000;

if (process.argv[2] === '--run') {
  const [, , , lib, n, url, variant] = process.argv;
  const N = Number(n);
  const winston = (await import('winston')).default;
  const { transaction } = await import('@shoplog/core');
  await fakeReset(url);
  const errors = [];
  let transport;
  if (lib === 'shoplog') {
    const { createWinstonTransport } = await import('@shoplog/node-transport/winston');
    transport = createWinstonTransport({ url, spoolDir: mkdtempSync(join(tmpdir(), 'bench-spool-')) });
  } else {
    const { ElasticsearchTransport } = await import('winston-elasticsearch');
    transport = new ElasticsearchTransport({ level: 'info', clientOpts: { node: url } });
    // Its start-up probes (cluster health, index template) must be done before timing.
    const t = Date.now();
    while (!transport.bulkWriter.esConnection && Date.now() - t < 10_000) await new Promise((r) => setTimeout(r, 10));
  }
  transport.on('error', (e) => errors.push(String(e.message ?? e)));
  const logger = winston.createLogger({ transports: [transport] });
  await new Promise((r) => setTimeout(r, 200));
  const service = { name: 'bench-shop' };
  const rnd = lcg();
  globalThis.gc?.();
  const rss0 = process.memoryUsage.rss();
  let peakRss = rss0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 20);
  const cpu0 = process.cpuUsage();
  const start = Date.now();
  for (let i = 0; i < N; i += BATCH) {
    const end = Math.min(N, i + BATCH);
    if (variant === 'tx') for (let j = i; j < end; j++) logger.info(benchTransaction(transaction, service, rnd, j));
    else for (let j = i; j < end; j++) logger.info('order placed', peerOrder(rnd, j));
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    await tick();
  }
  const tEnd = performance.now();
  const finished = new Promise((resolve) => transport.once('finish', resolve));
  logger.end();
  const s = await waitDocs(url, N, 60_000);
  const deliveredAt = performance.now();
  await Promise.race([finished, new Promise((r) => setTimeout(r, 15_000))]);
  const finishMs = performance.now() - tEnd;
  const cpu = process.cpuUsage(cpu0);
  clearInterval(sampler);
  await new Promise((r) => setTimeout(r, 200));
  const fin = await fakeStats(url);
  const wallMs = Math.max(1, s.lastDocAt - start);
  console.log(
    JSON.stringify({
      lib: lib + (variant ? `(${variant})` : ''),
      N,
      logs_per_s: Math.round(N / (wallMs / 1000)),
      cpu_us_per_log: +((cpu.user + cpu.system) / N).toFixed(2),
      peak_rss_growth_mb: +((peakRss - rss0) / 2 ** 20).toFixed(1),
      finish_ms: Math.round(finishMs),
      finish_after_delivery: finishMs >= deliveredAt - tEnd,
      delivered: fin.unique,
      dupes: fin.dupes,
      out_of_order: fin.outOfOrder,
      requests: fin.requests,
      errors: errors.slice(0, 2),
    }),
  );
  process.exit(0);
}

const N = Number(process.argv[2] ?? 50_000);
const rounds = Number(process.argv[3] ?? 2);
const results = await interleave(self, rounds, [
  ['shoplog', N],
  ['winston-es', N],
  ['shoplog', N, 'tx'],
]);
const summary = [...results].map(([lib, runs]) => ({
  lib,
  logs_per_s: median(runs.map((x) => x.logs_per_s)),
  cpu_us_per_log: median(runs.map((x) => x.cpu_us_per_log)),
  peak_rss_growth_mb: median(runs.map((x) => x.peak_rss_growth_mb)),
  all_delivered_once: runs.every((x) => x.delivered === N && x.dupes === 0),
  out_of_order: Math.max(...runs.map((x) => x.out_of_order)),
}));
console.log(
  `\nwinston transport → local bulk endpoint, N=${N}, ${rounds} interleaved rounds, medians (Node ${process.version})`,
);
console.table(summary);
const [ours, peer] = summary; // shoplog, winston-es (first round's order)
console.log(
  `shoplog vs winston-elasticsearch: ${(ours.logs_per_s / peer.logs_per_s).toFixed(2)}× logs/s, ` +
    `${(ours.cpu_us_per_log / peer.cpu_us_per_log).toFixed(2)}× CPU/log, RSS growth ${ours.peak_rss_growth_mb} MB vs ${peer.peak_rss_growth_mb} MB`,
);
