// Search and overview latency over 1 million stored events on the embedded store. The events (generateTraffic:
// all five kinds over 7 days) are appended directly through the store, then indexed; the database is kept in
// --dir and reused by later runs. Queries go over real HTTP with the cache bypassed (each request has a unique
// parameter), so every figure is a real query. Reports p50/p95 per query kind, and for the growth curve (#18): the
// data folder's size, the largest its WAL files reached while loading, and the process's RSS.
// Usage: pnpm bench server-query [--events=1000000] [--requests=40] [--dir=/tmp/shoplog-bench-1m]
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { bootstrap, createServer, createSqliteLogStore, generateTraffic } from '@shoplog/server';

const arg = (name, dflt) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt;
const EVENTS = Number(arg('events', 1_000_000));
const REQUESTS = Number(arg('requests', 40));
const DIR = arg('dir', join(tmpdir(), `shoplog-bench-${EVENTS}`));

const MB = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;
/** Bytes of the folder's files whose name passes `keep`. */
const folderBytes = (keep = () => true) =>
  readdirSync(DIR)
    .filter(keep)
    .reduce((sum, name) => sum + statSync(join(DIR, name)).size, 0);
let walPeak = 0;
const walWatch = setInterval(() => {
  walPeak = Math.max(
    walPeak,
    folderBytes((name) => name.endsWith('-wal')),
  );
}, 500);

mkdirSync(DIR, { recursive: true });
{
  const store = createSqliteLogStore({ path: join(DIR, 'events.db') });
  // A previous run may have been stopped while indexing: let the indexer catch up before counting.
  await store.refresh();
  const have = await store.count();
  if (have < EVENTS) {
    const started = performance.now();
    let batch = [];
    let n = 0;
    // Ends now, so the 24h / 7d ranges hold real data; a fixed seed keeps the mix reproducible.
    for (const event of generateTraffic({ count: EVENTS - have, days: 7, seed: 1000 + have })) {
      batch.push(event);
      if (batch.length === 10_000) {
        await store.appendBatch(batch);
        n += batch.length;
        batch = [];
        if (n % 200_000 === 0) console.log(`appended ${n}`);
      }
    }
    if (batch.length) await store.appendBatch(batch);
    const appended = (performance.now() - started) / 1000;
    await store.refresh();
    const indexed = (performance.now() - started) / 1000;
    console.log(
      `loaded ${EVENTS - have} events: appended in ${appended.toFixed(1)} s, indexed (facts + FTS5) after ${indexed.toFixed(1)} s`,
    );
  }
  console.log(`store holds ${await store.count()} events (${DIR})`);
  await store.close();
}
clearInterval(walWatch);
console.log(
  `data folder ${MB(folderBytes())}; WAL files at most ${MB(walPeak)} while loading; RSS ${MB(process.memoryUsage().rss)}`,
);

const key = `slk_${'q'.repeat(40)}`;
const server = createServer({ port: 0, ingestPort: -1, dataDir: DIR, logLevel: 'silent', bootstrapKey: key });
await bootstrap(server);
const url = await server.start();
const get = async (path) => {
  const started = performance.now();
  const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${key}` } });
  const body = await res.json();
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(body)}`);
  return { ms: performance.now() - started, body };
};
const pct = (xs, q) => [...xs].sort((a, b) => a - b)[Math.max(0, Math.ceil(q * xs.length) - 1)];
const QUERIES = {
  'search: free text, 24h, page 1': (i) => `/api/search/?q=payment&range=24h&size=20&nocache=${i}`,
  'search: filters (level, service), 7d, page 5': (i) =>
    `/api/search/?level=info&service=payments&range=7d&page=5&size=20&nocache=${i}`,
  'search: amount sort, 7d': (i) => `/api/search/?log_type=transaction&sort_field=amount&range=7d&nocache=${i}`,
  'search: all 7d, exact total': (i) => `/api/search/?range=7d&nocache=${i}`,
  'overview 24h': (i) => `/api/dashboard/overview?range=24h&nocache=${i}`,
  'overview 7d': (i) => `/api/dashboard/overview?range=7d&nocache=${i}`,
};
const rows = [];
for (const [name, path] of Object.entries(QUERIES)) {
  await get(path(-1)); // warm-up
  const times = [];
  let total;
  for (let i = 0; i < REQUESTS; i++) {
    const { ms, body } = await get(path(i));
    times.push(ms);
    total ??= body.data?.total ?? body.total_logs;
  }
  rows.push({ name, p50: pct(times, 0.5), p95: pct(times, 0.95), total });
  console.log(
    `${name.padEnd(46)} p50 ${pct(times, 0.5).toFixed(1)} ms  p95 ${pct(times, 0.95).toFixed(1)} ms  (matches ${total})`,
  );
}
console.log(`RSS after the queries ${MB(process.memoryUsage().rss)}`);
await server.close();
if (!existsSync(DIR)) console.log('dir removed');
