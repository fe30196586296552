// Ingest and search at once on the embedded store: the server (its own process) on a copy of a data set of N
// generated events, then three phases, each on a fresh copy of the data set: ingest alone (C connections sending
// NDJSON `_bulk` bodies of `batch` new events back to back), search alone (C connections on the search route,
// uncached), and both at once (C + C). `/api/dashboard/health` is probed throughout every phase, one request at a
// time every 50 ms. Each load runs in a child process (bench/lib/load-client.mjs), so the server's CPU is its own.
// Reports per phase: req/s, p50/p99 of each side and of health, the server's CPU (process, request thread) and its
// event-loop delay; then the mixed/alone ratios against the goal (each side ≥ 70 % of its alone throughput, p99 ≤ 3×
// its alone p99, health p99 ≤ 100 ms in every phase).
// Usage: pnpm bench server-mixed [--events=200000] [--seconds=10] [--warmup=1] [--connections=8] [--batch=500]
//        [--rounds=1] [--dir=/tmp/shoplog-mixed-200000] [--dist=<path to another build's server dist/index.js>]…
//        [--profile] [--readers=N]
// `--dist` runs another build (e.g. main's) alternated with this one, phase by phase, in the same run. `--profile`
// sums, per store method, how long its calls held the server's request thread (the stores wrapped by the server);
// `--readers` sets this build's `readers` (the `--dist` builds keep their defaults).
import { fork } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const option = (name) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const arg = (name, dflt) => Number(option(name) ?? dflt);
const EVENTS = arg('events', 200_000);
const SECONDS = arg('seconds', 10);
const WARMUP = arg('warmup', 1);
const CONNECTIONS = arg('connections', 8);
const BATCH = arg('batch', 500);
const ROUNDS = arg('rounds', 1);
const DIR = option('dir') ?? join(tmpdir(), `shoplog-mixed-${EVENTS}`);
const PROFILE = process.argv.includes('--profile');
const READERS = option('readers');
const HEALTH_EVERY_MS = 50;
const FILES = ['events.db', 'events.index.db', 'events.timeline.db'];

const thisBuild = createRequire(import.meta.url)
  .resolve('@shoplog/server')
  .replace(/index\.cjs$/, 'index.js');
const builds = [{ name: 'this build', module: thisBuild }];
for (const a of process.argv.filter((x) => x.startsWith('--dist=')))
  builds.push({ name: a.slice(7), module: a.slice(7) });

// The data set: generated events appended through the store and indexed, kept in DIR for later runs.
{
  const { createSqliteLogStore, generateTraffic } = await import('@shoplog/server');
  mkdirSync(DIR, { recursive: true });
  const store = createSqliteLogStore({ path: join(DIR, 'events.db') });
  await store.refresh();
  const have = await store.count();
  if (have < EVENTS) {
    let batch = [];
    for (const event of generateTraffic({ count: EVENTS - have, days: 7, seed: 2000 + have })) {
      batch.push(event);
      if (batch.length === 10_000) {
        await store.appendBatch(batch);
        batch = [];
      }
    }
    if (batch.length) await store.appendBatch(batch);
    await store.refresh();
  }
  console.log(
    `data set: ${await store.count()} events (${DIR}); phases of ${WARMUP} s warm-up + ${SECONDS} s, ${CONNECTIONS} connections per side, bodies of ${BATCH} lines`,
  );
  await store.close();
}

const once = (child, predicate = () => true) =>
  new Promise((resolve, reject) => {
    const onMessage = (message) => {
      if (!predicate(message)) return;
      child.off('message', onMessage);
      resolve(message);
    };
    child.on('message', onMessage);
    child.once('exit', (code) => (code ? reject(new Error(`child exited with ${code}`)) : undefined));
  });

const pct = (sorted, q) =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
const summary = (result) => {
  if (!result) return undefined;
  const sorted = [...result.latencies].sort((a, b) => a - b);
  return {
    rate: sorted.length / result.seconds,
    p50: pct(sorted, 0.5),
    p99: pct(sorted, 0.99),
    max: sorted[sorted.length - 1] ?? NaN,
    n: sorted.length,
  };
};

/**
 * Cores' worth of CPU the whole machine spent (everything but idle and I/O wait, from /proc/stat) since `from`, per
 * second; with no `from`, the counters to start from. Linux only (elsewhere NaN).
 */
function machineBusy(from) {
  let fields;
  try {
    fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  } catch {
    return from ? NaN : undefined;
  }
  const idle = fields[3] + fields[4];
  const total = fields.reduce((a, b) => a + b, 0);
  const now = { busy: total - idle, at: performance.now() };
  return from ? (now.busy - from.busy) / 100 / ((now.at - from.at) / 1000) : now;
}

/** One phase on a fresh copy of the data set: the server, its loads, the health probe; the summaries. */
async function phase(build, sides) {
  const dataDir = mkdtempSync(join(tmpdir(), 'shoplog-mixed-run-'));
  for (const file of FILES) if (existsSync(join(DIR, file))) copyFileSync(join(DIR, file), join(dataDir, file));
  const server = fork(join(here, 'lib', 'mixed-server.mjs'), [
    build.module,
    dataDir,
    ...(PROFILE ? ['--profile'] : []),
    ...(READERS && build === builds[0] ? [`--readers=${READERS}`] : []),
  ]);
  try {
    const { url, key } = await once(server);
    const base = { url, key, seconds: SECONDS, warmup: WARMUP, connections: CONNECTIONS, everyMs: HEALTH_EVERY_MS };
    const loads = [...sides, 'health'].map((mode) => {
      const child = fork(join(here, 'lib', 'load-client.mjs'));
      child.send({ ...base, mode, batch: BATCH, templateEvents: 20 * BATCH, seed: 77, salt: 1 });
      return { mode, child };
    });
    await Promise.all(loads.map(({ child }) => once(child, (m) => m.ready)));
    const results = loads.map(({ child }) => once(child, (m) => m.latencies));
    for (const { child } of loads) child.send('go');
    await new Promise((resolve) => setTimeout(resolve, WARMUP * 1000));
    server.send('go');
    const busy0 = machineBusy();
    const done = await Promise.all(results);
    const busy = machineBusy(busy0);
    const stats = once(server, (m) => m.wallMs !== undefined);
    server.send('stop');
    const byMode = Object.fromEntries(done.map((r) => [r.mode, summary(r)]));
    const serverStats = await stats;
    const loadsCpu = done.reduce((sum, r) => sum + (r.cpuShare ?? 0), 0);
    return { ...byMode, server: serverStats, machine: busy, loadsCpu, cost: serverStats.processCpu + loadsCpu };
  } finally {
    await new Promise((resolve) => (server.exitCode === null ? server.once('exit', resolve) : resolve()));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const f0 = (n) => (Number.isFinite(n) ? n.toFixed(0) : '-');
const side = (s) =>
  s ? `${f0(s.rate).padStart(5)} req/s  p50 ${f0(s.p50).padStart(5)}  p99 ${f0(s.p99).padStart(5)} ms` : ' '.repeat(36);

for (let round = 0; round < ROUNDS; round++) {
  const runs = new Map(builds.map((b) => [b.name, {}]));
  // Phase by phase, each build in turn: the machine's noise falls on every build alike.
  for (const [name, sides] of [
    ['ingest', ['ingest']],
    ['search', ['search']],
    ['mixed', ['ingest', 'search']],
  ]) {
    for (const build of builds) runs.get(build.name)[name] = await phase(build, sides);
  }
  for (const build of builds) {
    const r = runs.get(build.name);
    console.log(`\n${build.name}${ROUNDS > 1 ? `, round ${round + 1}` : ''}`);
    console.log(
      'phase   | ingest (bulk)                        | search                               | health p50 / p99 / max ms | server CPU (process / request thread) | loop delay p99 / max ms',
    );
    for (const name of ['ingest', 'search', 'mixed']) {
      const p = r[name];
      const s = p.server;
      console.log(
        `${name.padEnd(7)} | ${side(p.ingest)} | ${side(p.search)} | ${f0(p.health.p50).padStart(5)} / ${f0(p.health.p99).padStart(5)} / ${f0(p.health.max).padStart(5)}     | ${(s.processCpu * 100).toFixed(0).padStart(4)} % / ${(s.threadCpu * 100).toFixed(0).padStart(3)} %` +
          `${' '.repeat(19)}| ${f0(s.loopDelay.p99)} / ${f0(s.loopDelay.max)}${s.indexPending !== undefined ? `  (index behind by ${s.indexPending} at the end)` : ''}`,
      );
      console.log(
        `          CPU, share of a core: server ${(s.processCpu * 100).toFixed(0)} % + load clients ${(p.loadsCpu * 100).toFixed(0)} %; the whole machine ${(p.machine * 100).toFixed(0)} % of ${cpus().length * 100} %`,
      );
      const threads = Object.entries(s.threads ?? {}).map(
        ([name, t]) => `${name} ${(t.cpu * 100).toFixed(0)} % (+${(t.queued * 100).toFixed(0)} % queued)`,
      );
      if (threads.length > 0)
        console.log(`          threads, share of a core on a CPU (+ ready, waiting for one): ${threads.join(', ')}`);
      if (PROFILE) {
        const top = Object.entries(s.held)
          .slice(0, 6)
          .map(([method, h]) => `${method} ${f0(h.ms)} ms/${h.calls} (max ${f0(h.max)})`);
        console.log(`          request thread held by: ${top.join(', ')}`);
      }
    }
    const ratio = (a, b) => a / b;
    const ingestKeep = ratio(r.mixed.ingest.rate, r.ingest.ingest.rate);
    const searchKeep = ratio(r.mixed.search.rate, r.search.search.rate);
    const ingestP99 = ratio(r.mixed.ingest.p99, r.ingest.ingest.p99);
    const searchP99 = ratio(r.mixed.search.p99, r.search.search.p99);
    const healthP99 = Math.max(r.ingest.health.p99, r.search.health.p99, r.mixed.health.p99);
    const mark = (ok) => (ok ? 'ok' : 'MISSED');
    // If each request costs (server + load clients) what it cost alone, the mixed phase keeps shares a and b only
    // while a × (CPU, ingest alone) + b × (CPU, search alone) fits in the CPU it gets.
    const need = 0.7 * r.ingest.cost + 0.7 * r.search.cost;
    const explained = (ingestKeep * r.ingest.cost + searchKeep * r.search.cost) / r.mixed.cost;
    console.log(
      `CPU (server + load clients): 70 % + 70 % at the alone phases' cost per request needs ${(need * 100).toFixed(0)} % of a core; ` +
        `the mixed phase got ${(r.mixed.cost * 100).toFixed(0)} % (machine ${cpus().length * 100} %), and its kept shares account for ${(explained * 100).toFixed(0)} % of it`,
    );
    console.log(
      `mixed / alone: ingest ${(ingestKeep * 100).toFixed(0)} % of its req/s (${mark(ingestKeep >= 0.7)}), p99 ${ingestP99.toFixed(2)}× (${mark(ingestP99 <= 3)}); ` +
        `search ${(searchKeep * 100).toFixed(0)} % (${mark(searchKeep >= 0.7)}), p99 ${searchP99.toFixed(2)}× (${mark(searchP99 <= 3)}); ` +
        `health p99 ${f0(healthP99)} ms in the worst phase (${mark(healthP99 <= 100)})`,
    );
  }
}
