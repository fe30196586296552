// Express middleware overhead: req/s of a small app bare, with pino-http, with morgan and with Shoplog, in one run.
// Usage: pnpm bench express [rounds=3] [seconds=4] [connections=50]   (CONFIGS=bare,shoplog to choose)
// Each measurement: a fresh server process (pinned to CPU 1 with taskset when available), a 1 s warm-up, then
// autocannon (programmatic, in this process, pinned to CPU 0). Configurations are interleaved round by round so
// drifting machine load hits them all alike; the summary is the median per configuration and its ratio to bare.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const here = dirname(fileURLToPath(import.meta.url));
const [rounds = 3, seconds = 4, connections = 50] = process.argv.slice(2).map(Number);
const CONFIGS = (process.env.CONFIGS ?? 'bare,pino-http,morgan,shoplog,shoplog-client').split(',');
const PORT = 3190;
const hasTaskset = spawnSync('taskset', ['-V']).status === 0;
if (hasTaskset) spawnSync('taskset', ['-p', '-c', '0', String(process.pid)], { stdio: 'ignore' });

function startServer(cfg) {
  const args = [join(here, 'express', 'app.mjs'), cfg, String(PORT)];
  const child = hasTaskset ? spawn('taskset', ['-c', '1', process.execPath, ...args], { stdio: ['ignore', 'pipe', 'inherit'] }) : spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
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

function load(duration) {
  return autocannon({ url: `http://127.0.0.1:${PORT}/products/123`, connections, duration });
}

async function stop(child) {
  child.removeAllListeners('exit');
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

const rows = [];
for (let round = 1; round <= rounds; round++) {
  for (const cfg of CONFIGS) {
    const server = await startServer(cfg);
    try {
      await load(1);
      const c0 = cpuMs(server.pid);
      const r = await load(seconds);
      const cpuUsPerReq = ((cpuMs(server.pid) - c0) * 1000) / r.requests.total;
      const row = { round, cfg, reqPerSec: r.requests.average, cpuUsPerReq: +cpuUsPerReq.toFixed(1), p99Ms: r.latency.p99, errors: r.errors, non2xx: r.non2xx };
      rows.push(row);
      console.log(JSON.stringify(row));
    } finally {
      await stop(server);
    }
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
};
const bare = median(rows.filter((r) => r.cfg === 'bare').map((r) => r.reqPerSec));
const pino = median(rows.filter((r) => r.cfg === 'pino-http').map((r) => r.reqPerSec));
const bareCpu = median(rows.filter((r) => r.cfg === 'bare').map((r) => r.cpuUsPerReq));
console.log(`\nnode ${process.version}, ${rounds} rounds × ${seconds} s, ${connections} connections, taskset: ${hasTaskset}`);
console.log('config           req/s median [min–max]      p99 ms   × bare   × pino-http   CPU µs/req   CPU × bare');
for (const cfg of CONFIGS) {
  const rs = rows.filter((r) => r.cfg === cfg);
  const q = rs.map((r) => r.reqPerSec);
  const m = median(q);
  const range = `${m.toFixed(0)} [${Math.min(...q).toFixed(0)}–${Math.max(...q).toFixed(0)}]`;
  console.log(`${cfg.padEnd(16)} ${range.padEnd(27)} ${String(median(rs.map((r) => r.p99Ms))).padEnd(8)} ${(m / bare).toFixed(3).padEnd(8)} ${(pino ? (m / pino).toFixed(3) : '-').padEnd(13)} ${String(median(rs.map((r) => r.cpuUsPerReq))).padEnd(12)} ${(median(rs.map((r) => r.cpuUsPerReq)) / bareCpu).toFixed(3)}`);
}
