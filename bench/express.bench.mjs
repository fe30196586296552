// Express middleware overhead: req/s of a small app bare, with pino-http, with morgan and with Shoplog, in one run.
// Usage: pnpm bench express [rounds=6] [seconds=2] [connections=50] [rate=0]   (CONFIGS=bare,shoplog to choose)
// Besides the loggers, express/app.mjs has reference floors (`floor-hooks`: a 'close' listener and a request-id header;
// `floor`: a hand-written minimal logger writing one line per request to /dev/null) and diagnostics
// (`shoplog-noop`, `shoplog-serialise`, `shoplog-nullsink`) that split a logger's cost into its parts.
// rate > 0 holds every configuration at that many req/s (autocannon overallRate): server CPU per request then
// compares like with like (at full speed, a server that gets fewer req/s, e.g. because the fake _bulk endpoint
// shares the load generator's core, pays more fixed cost per request and looks worse than it is).
// One server process per configuration (pinned to CPU 1 with taskset when available), all started up front and
// warmed up; autocannon (programmatic, in this process, pinned to CPU 0) then loads them in short interleaved
// bursts, round after round, so drifting load on this shared machine hits every configuration alike. The summary
// gives the median req/s, the median of the per-round ratios to bare (paired, the robust figure), and the
// server's CPU time per request.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { fakeStats, startFakeBulk } from './lib/harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const [rounds = 6, seconds = 2, connections = 50, rate = 0] = process.argv.slice(2).map(Number);
const CONFIGS = (process.env.CONFIGS ?? 'bare,pino-http,morgan,shoplog,shoplog-client').split(',');
const BASE_PORT = 3190;
const hasTaskset = spawnSync('taskset', ['-V']).status === 0;
if (hasTaskset) spawnSync('taskset', ['-p', '-c', '0', String(process.pid)], { stdio: 'ignore' });

// `shoplog-engine` ships through the real delivery engine to the fake `_bulk` endpoint (its own process);
// `shoplog-engine-<label>` does the same with the engine built at $SHOPLOG_ENGINE_MODULE_<label> (A/B of two builds).
const engineConfigs = CONFIGS.filter((c) => c.startsWith('shoplog-engine'));
const bulk = engineConfigs.length > 0 ? await startFakeBulk() : undefined;
const served = new Map();

function startServer(cfg, port) {
  const args = [join(here, 'express', 'app.mjs'), cfg, String(port)];
  const opts = {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...(bulk ? { SHOPLOG_BULK_URL: bulk.url } : {}) },
  };
  const child = hasTaskset
    ? spawn('taskset', ['-c', '1', process.execPath, ...args], opts)
    : spawn(process.execPath, args, opts);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('"ready"')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`${cfg} server exited with ${code}`)));
  });
}

// Server CPU (user + system) from /proc: CPU time per request is far less sensitive to other work on this shared
// machine than req/s, so the summary reports both.
const HZ = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
function cpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / HZ;
  } catch {
    return NaN;
  }
}

// The same split by thread: the request (main) thread, V8's helper threads (parallel scavenge, concurrent marking:
// `V8Worker`) and the rest (libuv pool, inspector): the GC threads share the server's pinned core.
function cpuMsByThread(pid) {
  const out = { main: 0, v8: 0, other: 0 };
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ms = ((Number(f[11]) + Number(f[12])) * 1000) / HZ;
      out[tid === String(pid) ? 'main' : name.startsWith('V8') ? 'v8' : 'other'] += ms;
    }
  } catch {
    // The thread ended between the listing and the read: its time is lost from this sample only.
  }
  return out;
}

async function load(port, duration, cfg) {
  const r = await autocannon({
    url: `http://127.0.0.1:${port}/products/123`,
    connections,
    duration,
    ...(rate > 0 ? { overallRate: rate } : {}),
  });
  if (cfg) served.set(cfg, (served.get(cfg) ?? 0) + r.requests.total + r.non2xx);
  return r;
}

async function stop(child) {
  child.removeAllListeners('exit');
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

const servers = new Map();
try {
  for (const [i, cfg] of CONFIGS.entries())
    servers.set(cfg, { port: BASE_PORT + i, child: await startServer(cfg, BASE_PORT + i) });
  for (const [cfg, { port }] of servers) await load(port, 1, cfg); // JIT warm-up, discarded from the figures
} catch (err) {
  for (const { child } of servers.values()) await stop(child);
  throw err;
}
const rows = [];
try {
  for (let round = 1; round <= rounds; round++) {
    for (const cfg of CONFIGS) {
      const { port, child } = servers.get(cfg);
      const c0 = cpuMs(child.pid);
      const t0 = cpuMsByThread(child.pid);
      const r = await load(port, seconds, cfg);
      const cpuUsPerReq = ((cpuMs(child.pid) - c0) * 1000) / r.requests.total;
      const t1 = cpuMsByThread(child.pid);
      const per = (k) => +(((t1[k] - t0[k]) * 1000) / r.requests.total).toFixed(1);
      const row = {
        round,
        cfg,
        reqPerSec: r.requests.average,
        cpuUsPerReq: +cpuUsPerReq.toFixed(1),
        mainUs: per('main'),
        v8Us: per('v8'),
        p99Ms: r.latency.p99,
        errors: r.errors,
        non2xx: r.non2xx,
      };
      rows.push(row);
      console.log(JSON.stringify(row));
    }
  }
} finally {
  for (const { child } of servers.values()) await stop(child);
}
if (bulk) {
  // autocannon counts answered requests; a request cut off at the end of a burst may still be logged (aborted), so
  // the server may hold slightly more events than requests counted, never fewer.
  const stats = await fakeStats(bulk.url);
  const sent = engineConfigs.reduce((n, c) => n + (served.get(c) ?? 0), 0);
  console.log(
    `${engineConfigs.join(' + ')}: ${sent} requests answered, ${stats.docs} events at the fake _bulk endpoint (${stats.unique} unique, ${stats.dupes} duplicates)`,
  );
  bulk.stop();
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
};
const pino = median(rows.filter((r) => r.cfg === 'pino-http').map((r) => r.reqPerSec));
const bareCpu = median(rows.filter((r) => r.cfg === 'bare').map((r) => r.cpuUsPerReq));
console.log(
  `\nnode ${process.version}, ${rounds} rounds × ${seconds} s, ${connections} connections, ${rate > 0 ? `fixed rate ${rate} req/s` : 'full speed'}, taskset: ${hasTaskset}`,
);
const paired = (cfg, ref) => {
  const ratios = [];
  for (let round = 1; round <= rounds; round++) {
    const a = rows.find((r) => r.round === round && r.cfg === cfg);
    const b = rows.find((r) => r.round === round && r.cfg === ref);
    if (a && b) ratios.push(a.reqPerSec / b.reqPerSec);
  }
  return ratios.length ? median(ratios).toFixed(3) : '-';
};
console.log(
  'config               req/s median [min–max]      p99 ms   × bare (paired)   × pino-http (paired)   CPU µs/req   CPU × bare   main / V8 helpers µs/req',
);
for (const cfg of CONFIGS) {
  const rs = rows.filter((r) => r.cfg === cfg);
  const q = rs.map((r) => r.reqPerSec);
  const m = median(q);
  const range = `${m.toFixed(0)} [${Math.min(...q).toFixed(0)}–${Math.max(...q).toFixed(0)}]`;
  console.log(
    `${cfg.padEnd(20)} ${range.padEnd(27)} ${String(median(rs.map((r) => r.p99Ms))).padEnd(8)} ${paired(cfg, 'bare').padEnd(17)} ${(pino ? paired(cfg, 'pino-http') : '-').padEnd(22)} ${median(
      rs.map((r) => r.cpuUsPerReq),
    )
      .toFixed(1)
      .padEnd(
        12,
      )} ${(median(rs.map((r) => r.cpuUsPerReq)) / bareCpu).toFixed(3).padEnd(12)} ${median(rs.map((r) => r.mainUs)).toFixed(1)} / ${median(rs.map((r) => r.v8Us)).toFixed(1)}`,
  );
}
