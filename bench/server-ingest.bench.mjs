// Embedded-store ingest: NDJSON bulk over HTTP into the reference server (node:sqlite, WAL, synchronous=NORMAL, each
// 2xx = committed), beside the raw ceiling in the same run: JSON.parse + a node:sqlite primary-key insert loop in
// transactions of the same size. Also measures how long after the last ack everything is full-text searchable.
// Usage: pnpm bench server-ingest [--events=100000] [--batch=5000] [--concurrency=2] [--client=child|inline]
//        pnpm bench server-ingest --rate=20000 --seconds=10 [--batch=2000]
// --index-nice=N: the index worker's niceness (the server's default: 0, its own priority).
// BENCH_PROBE_QUERIES=1: the child client also searches every 100 ms while it sends (latency as a user sees it).
// Without a rate, every body is sent at once (a burst) and the figures are the ack rate and how long after the last
// ack everything is searchable. With `--rate` (events/s), the child client holds that rate in bodies of `batch`
// lines and, as each body is acknowledged, the bench waits for the store to make everything committed so far
// searchable: the lag per body (ack → searchable; an upper bound, it includes what was committed just after).
// The HTTP client (bench/lib/bulk-client.mjs) runs in a child process by default, so the request thread's CPU is the
// server's alone; `--client=inline` runs it on the server's thread as before (its CPU then counts there too).
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DatabaseSync } from 'node:sqlite';
import { createServer } from '@shoplog/server';
import { makeBodies, sendAll } from './lib/bulk-client.mjs';

const option = (name) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const arg = (name, dflt) => Number(option(name) ?? dflt);
const RATE = arg('rate', 0);
const BATCH = arg('batch', RATE > 0 ? 2000 : 5000);
const EVENTS = RATE > 0 ? Math.round((RATE * arg('seconds', 10)) / BATCH) * BATCH : arg('events', 100_000);
const CONCURRENCY = arg('concurrency', 2);
const CLIENT = option('client') ?? 'child';

const bodies = makeBodies(EVENTS, BATCH);
const totalBytes = bodies.reduce((s, b) => s + Buffer.byteLength(b), 0);
console.log(`${EVENTS} events, ${bodies.length} bodies of ${BATCH} lines, ${(totalBytes / 1e6).toFixed(1)} MB NDJSON`);

// 1. Raw ceiling: JSON.parse + INSERT (primary key only) per transaction of BATCH lines.
{
  const dir = mkdtempSync(join(tmpdir(), 'shoplog-raw-'));
  const db = new DatabaseSync(join(dir, 'raw.db'));
  db.exec(
    'PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; CREATE TABLE events (id TEXT PRIMARY KEY, doc TEXT NOT NULL) WITHOUT ROWID;',
  );
  const insert = db.prepare('INSERT INTO events (id, doc) VALUES (?, ?) ON CONFLICT(id) DO NOTHING');
  const started = performance.now();
  for (const body of bodies) {
    db.exec('BEGIN');
    for (const line of body.split('\n')) {
      const event = JSON.parse(line);
      insert.run(event.event.id, line);
    }
    db.exec('COMMIT');
  }
  const seconds = (performance.now() - started) / 1000;
  globalThis.rawRate = EVENTS / seconds;
  console.log(`raw JSON.parse + sqlite insert loop: ${Math.round(globalThis.rawRate).toLocaleString('en')} events/s`);
  db.close();
  rmSync(dir, { recursive: true, force: true });
}

// 2. The server: bulk over HTTP, CONCURRENCY requests in flight, until every event is acknowledged.
{
  const dir = mkdtempSync(join(tmpdir(), 'shoplog-ingest-'));
  const key = `slk_${'b'.repeat(40)}`;
  const server = createServer({
    port: 0,
    ingestPort: -1,
    dataDir: dir,
    logLevel: 'silent',
    bootstrapKey: key,
    ingestRateLimit: 1_000_000,
    bodyLimit: 64 * 1024 * 1024,
    ...(option('index-nice') ? { indexNice: arg('index-nice', 10) } : {}),
  });
  const { bootstrap } = await import('@shoplog/server');
  await bootstrap(server);
  const url = await server.start();
  let child;
  if (CLIENT === 'child') {
    child = fork(
      fileURLToPath(new URL('./lib/bulk-client.mjs', import.meta.url)),
      [EVENTS, BATCH, CONCURRENCY, RATE].map(String),
    );
    await new Promise((resolve) => child.once('message', resolve));
  } else if (RATE > 0) {
    throw new Error('--rate needs the child client');
  }
  let acked;
  let clientCpu;
  let queryMs = [];
  // CPU per event beside wall clock (the machine is shared): the whole process (server, index worker, the HTTP
  // client when inline) and this thread alone (the server's ack path; the indexer runs in its own thread).
  const cpu0 = process.cpuUsage();
  const thread0 = process.threadCpuUsage();
  const started = performance.now();
  const lags = [];
  const lagging = [];
  if (child) {
    const done = new Promise((resolve, reject) => {
      child.on('message', (m) => {
        if (m.ack === undefined) return resolve(m);
        const t0 = performance.now();
        lagging.push(server.stores.logs.whenSearchable().then(() => lags.push(performance.now() - t0)));
      });
      child.once('exit', (code) => (code ? reject(new Error(`bench client exited with ${code}`)) : undefined));
    });
    child.send({ url, key });
    ({ acked, cpu: clientCpu, queryMs } = await done);
  } else {
    acked = await sendAll(bodies, url, key, CONCURRENCY);
  }
  const ackSeconds = (performance.now() - started) / 1000;
  const ackThread = process.threadCpuUsage(thread0);
  await Promise.all(lagging);
  await server.stores.logs.refresh();
  const searchableSeconds = (performance.now() - started) / 1000;
  const all = process.cpuUsage(cpu0);
  const perEvent = (usage) => ((usage.user + usage.system) / acked).toFixed(1);
  const rate = acked / ackSeconds;
  const probe = await server.stores.logs.search({
    filter: { text: 'payment' },
    sort: { field: '@timestamp', order: 'desc' },
    page: 1,
    size: 1,
  });
  console.log(
    `shoplog bulk over HTTP (durable acks): ${Math.round(rate).toLocaleString('en')} events/s${RATE > 0 ? ` (paced at ${RATE.toLocaleString('en')}/s in bodies of ${BATCH})` : ''}`,
  );
  if (queryMs.length > 0) {
    queryMs.sort((a, b) => a - b);
    const q = (p) => queryMs[Math.min(queryMs.length - 1, Math.floor(p * queryMs.length))].toFixed(0);
    console.log(
      `searches while ingesting (${queryMs.length}, one every 100 ms): p50 ${q(0.5)} ms, p95 ${q(0.95)} ms, max ${queryMs[queryMs.length - 1].toFixed(0)} ms`,
    );
  }
  if (lags.length > 0) {
    lags.sort((a, b) => a - b);
    const q = (p) => (lags[Math.min(lags.length - 1, Math.floor(p * lags.length))] / 1000).toFixed(2);
    console.log(
      `searchable after each body's ack (${lags.length} bodies): p50 ${q(0.5)} s, p95 ${q(0.95)} s, max ${(lags[lags.length - 1] / 1000).toFixed(2)} s`,
    );
  }
  console.log(
    `all ${acked} searchable ${(searchableSeconds - ackSeconds).toFixed(2)} s after the last ack (indexer: ${Math.round(acked / searchableSeconds).toLocaleString('en')} events/s end to end); probe total ${probe.total}`,
  );
  const client = child
    ? `HTTP client in a child process, ${(clientCpu / acked).toFixed(1)} µs/event there`
    : 'HTTP client included';
  console.log(
    `CPU: ${perEvent(ackThread)} µs/event on the request thread until the last ack (${client}), ${perEvent(all)} µs/event for the whole server process until searchable (index worker included)`,
  );
  if (RATE === 0) console.log(`ratio shoplog / raw loop: ${(rate / globalThis.rawRate).toFixed(2)}x`);
  await server.close();
  rmSync(dir, { recursive: true, force: true });
}
