// pino-elasticsearch → Shoplog's Elasticsearch-compatible bulk API vs → the fake bulk endpoint (bench/fake-bulk.mjs),
// interleaved in one run: how fast the peer's own transport ingests into Shoplog compared with a `_bulk` that only
// counts lines. Usage: pnpm bench es-ingest [N=50000] [rounds=2]
// Each run is a fresh process: pino with pino-elasticsearch as its destination stream (its README's usage), logging
// the peer survey's record `logger.info({ orderId, amount, userId }, 'order placed')`, 1000 per event-loop turn, then
// `end()`; the time is until the last bulk answer, i.e. until every line is acknowledged (by Shoplog: durably
// committed), and until the helper's closing `_refresh` is answered (by Shoplog: once everything is searchable). Both targets run in their own process: the fake, and a Shoplog server on a temp
// data dir (embedded store, `ingestRateLimit` raised so pino-elasticsearch's default 1 kB bulks are not throttled).
// Delivered: unique documents the fake counted / events Shoplog stored (from `index.committed` of its health).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setImmediate as tick } from 'node:timers/promises';
import { fakeReset, fakeStats, lcg, median, peerOrder, runOnce, startFakeBulk } from './lib/harness.mjs';

const self = fileURLToPath(import.meta.url);
const BATCH = 1000;
const KEY = `slk_${'b'.repeat(40)}`;

if (process.argv[2] === '--serve') {
  // The Shoplog server process: prints `listening <url>` once started.
  const { bootstrap, createServer } = await import('@shoplog/server');
  const dir = mkdtempSync(join(tmpdir(), 'bench-es-ingest-'));
  const server = createServer({
    port: 0,
    ingestPort: -1,
    dataDir: dir,
    logLevel: 'silent',
    bootstrapKey: KEY,
    bootstrapPassword: 'bench-password-not-secret',
    ingestRateLimit: 1_000_000,
  });
  await bootstrap(server);
  console.log(`listening ${await server.start()}`);
  const stop = async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} else if (process.argv[2] === '--run') {
  const [, , , target, n, url, variant] = process.argv;
  const N = Number(n);
  const { pino } = await import('pino');
  const { default: pinoElastic } = await import('pino-elasticsearch');
  const shoplog = target === 'shoplog';
  const committed = async () =>
    (await (await fetch(`${url}/api/dashboard/health`, { headers: { authorization: `Bearer ${KEY}` } })).json()).index
      .committed;
  const before = shoplog ? await committed() : (await fakeReset(url), 0);
  // pino-elasticsearch's own client class, recording when each bulk answer arrives: the helper's last act is a
  // `_refresh` (refreshOnCompletion), which Shoplog answers once everything is searchable, the fake at once.
  const { Client } = createRequire(createRequire(import.meta.url).resolve('pino-elasticsearch'))(
    '@elastic/elasticsearch',
  );
  let lastBulkAck = 0;
  class TimedClient extends Client {
    constructor(options) {
      super(options);
      this.diagnostic.on('response', (_error, result) => {
        if (result?.meta?.request?.params?.path?.endsWith('/_bulk')) lastBulkAck = performance.now();
      });
    }
  }
  const stream = pinoElastic(
    {
      node: url,
      index: 'orders',
      esVersion: 8,
      ...(shoplog ? { auth: { apiKey: KEY } } : {}),
      ...(variant === '5mb' ? { flushBytes: 5_000_000 } : {}),
    },
    { Client: TimedClient },
  );
  const errors = [];
  stream.on('insertError', (e) => errors.push(String(e.message)));
  stream.on('error', (e) => errors.push(String(e.message ?? e)));
  const inserted = new Promise((resolve) => stream.on('insert', resolve));
  const logger = pino(stream);
  const rnd = lcg();
  const start = performance.now();
  for (let i = 0; i < N; i += BATCH) {
    const end = Math.min(N, i + BATCH);
    for (let j = i; j < end; j++) logger.info(peerOrder(rnd, j), 'order placed');
    await tick();
  }
  stream.end();
  const stats = await inserted;
  const searchableSeconds = (performance.now() - start) / 1000;
  const seconds = (lastBulkAck - start) / 1000;
  const delivered = shoplog ? (await committed()) - before : (await fakeStats(url)).unique;
  console.log(
    JSON.stringify({
      lib: `pino-es→${target}${variant ? `(${variant})` : ''}`,
      N,
      logs_per_s: Math.round(N / seconds),
      // Until the helper finished, its closing `_refresh` included (Shoplog: everything searchable).
      logs_per_s_to_refresh: Math.round(N / searchableSeconds),
      acked: stats.successful,
      delivered,
      failed: stats.failed,
      errors: errors.slice(0, 2),
    }),
  );
  process.exit(0);
} else {
  const N = Number(process.argv[2] ?? 50_000);
  const rounds = Number(process.argv[3] ?? 2);
  const fake = await startFakeBulk();
  const shoplog = await new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [self, '--serve'], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.on('error', reject);
    child.stdout.once('data', (chunk) => {
      const url = /listening (\S+)/.exec(String(chunk))?.[1];
      if (!url) return reject(new Error(`the server said ${chunk}`));
      resolve({ url, stop: () => child.kill('SIGTERM') });
    });
  });
  const results = new Map();
  try {
    for (let r = 0; r < rounds; r++) {
      for (const variant of [undefined, '5mb']) {
        for (const [target, url] of [
          ['fake', fake.url],
          ['shoplog', shoplog.url],
        ]) {
          const out = await runOnce(self, [target, N, url, ...(variant ? [variant] : [])]);
          console.log(JSON.stringify(out));
          if (!results.has(out.lib)) results.set(out.lib, []);
          results.get(out.lib).push(out);
        }
      }
    }
  } finally {
    fake.stop();
    shoplog.stop();
  }
  const summary = [...results].map(([lib, runs]) => ({
    lib,
    logs_per_s: median(runs.map((x) => x.logs_per_s)),
    logs_per_s_to_refresh: median(runs.map((x) => x.logs_per_s_to_refresh)),
    all_delivered_once: runs.every((x) => x.delivered === N && x.failed === 0),
  }));
  console.log(
    `\npino-elasticsearch → fake _bulk vs → Shoplog's bulk API, N=${N}, ${rounds} interleaved rounds, medians (Node ${process.version})`,
  );
  console.table(summary);
  for (const variant of ['', '(5mb)']) {
    const fakeRow = summary.find((s) => s.lib === `pino-es→fake${variant}`);
    const ours = summary.find((s) => s.lib === `pino-es→shoplog${variant}`);
    console.log(
      `pino-elasticsearch${variant || '(defaults)'}: into Shoplog ${(ours.logs_per_s / fakeRow.logs_per_s).toFixed(2)}× its rate into the fake endpoint ` +
        `until acknowledged, ${(ours.logs_per_s_to_refresh / fakeRow.logs_per_s_to_refresh).toFixed(2)}× until its closing _refresh answered`,
    );
  }
}
