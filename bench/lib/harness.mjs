// Shared plumbing of the transport benchmarks: the fake bulk server process, child runs, medians, the ratio table.
import { spawn } from 'node:child_process';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { PerformanceObserver } from 'node:perf_hooks';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** Starts `fake-bulk.mjs` in its own process; resolves with its URL and a stop function. */
export function startFakeBulk() {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(here, '..', 'fake-bulk.mjs'), '0'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    child.on('error', reject);
    child.stdout.once('data', (chunk) => {
      const port = /listening (\d+)/.exec(String(chunk))?.[1];
      if (!port) return reject(new Error(`fake-bulk said ${chunk}`));
      resolve({ url: `http://127.0.0.1:${port}`, stop: () => child.kill() });
    });
  });
}

/** Runs `script --run …args` in a fresh Node process (clean heap, clean CPU counters); resolves with its JSON line. */
export function runOnce(script, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', script, '--run', ...args.map(String)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.trim().split('\n').pop();
      try {
        resolve(JSON.parse(line));
      } catch {
        reject(new Error(`run ${args.join(' ')} exited ${code}: ${out}`));
      }
    });
  });
}

/**
 * Runs each contender's `args` in a fresh process, interleaved over `rounds` against one fake `_bulk` endpoint (so
 * machine noise hits every contender alike); prints each JSON line; returns the runs grouped by their `lib` field.
 */
export async function interleave(script, rounds, contenders) {
  const server = await startFakeBulk();
  const results = new Map();
  try {
    for (let r = 0; r < rounds; r++) {
      for (const args of contenders) {
        const out = await runOnce(script, [...args.slice(0, 2), server.url, ...args.slice(2)]);
        console.log(JSON.stringify(out));
        if (!results.has(out.lib)) results.set(out.lib, []);
        results.get(out.lib).push(out);
      }
    }
  } finally {
    server.stop();
  }
  return results;
}

export async function fakeStats(url) {
  return (await fetch(`${url}/_fake/stats`)).json();
}

export async function fakeReset(url) {
  await fetch(`${url}/_fake/reset`, { method: 'POST' });
}

/** Polls the fake server until `n` unique documents arrived (or `timeoutMs`). */
export async function waitDocs(url, n, timeoutMs = 120_000) {
  const start = Date.now();
  for (;;) {
    const s = await fakeStats(url);
    if (s.unique >= n || Date.now() - start > timeoutMs) return s;
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN;
};

/** Deterministic pseudo-random numbers, the same sequence for every contender. */
export function lcg(seed = 12345) {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) >>> 0) / 4294967296;
}

/** The peer survey's record (`{ orderId, amount, userId }`); `orderId` carries the sequence number fake-bulk checks order by. */
export const peerOrder = (rnd, j) => ({
  orderId: 'ord_' + j,
  amount: Math.round(rnd() * 50000) / 100,
  userId: 'u_' + ((rnd() * 100000) | 0),
});

/** The richer row of the transport benches: a nested Shoplog transaction built with core's `transaction` builder. */
export const benchTransaction = (transaction, service, rnd, j) =>
  transaction(
    {
      message: 'order placed',
      user: { id: `u_${(rnd() * 100000) | 0}` },
      labels: { producer: 'p', seq: String(j) },
      shop: {
        transaction: { id: `tx_${j}`, type: 'purchase', status: 'completed' },
        amount: { minor: Math.round(rnd() * 50000), currency: 'EUR' },
      },
    },
    { service },
  );

/**
 * Sends one in-process `GET /products/<i % 1000>` through an Express app, no socket I/O: a request object over an
 * unconnected socket and a response writing into a sink, `close` emitted after `finish` as Node does.
 */
export function fakeGetRequest(app, i) {
  const req = new IncomingMessage(new Socket());
  req.method = 'GET';
  req.url = `/products/${i % 1000}`;
  req.headers = { host: '127.0.0.1', 'user-agent': 'autocannon/9', accept: '*/*' };
  const res = new ServerResponse(req);
  res.assignSocket(new Writable({ write: (_c, _e, cb) => cb() }));
  res.once('finish', () => res.emit('close'));
  app.handle(req, res, () => {});
}

/**
 * Calls `send(j)` (j = 0, 1, …) `rate` times a second in 10 ms ticks: one second of warm-up, then `secs` seconds
 * measured. Returns the calls made in all, those measured, and the measured part's thread and process CPU (µs) and
 * GC pause time (ms).
 */
export async function fixedRate(rate, secs, send) {
  let gcMs = 0;
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcMs += e.duration;
  });
  observer.observe({ entryTypes: ['gc'] });
  let j = 0;
  const run = async (s) => {
    for (let t = 0; t < s * 100; t++) {
      for (let k = 0; k < rate / 100; k++) send(j++);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  await run(1);
  gcMs = 0;
  const t0 = process.threadCpuUsage();
  const c0 = process.cpuUsage();
  const n0 = j;
  await run(secs);
  const t = process.threadCpuUsage(t0);
  const c = process.cpuUsage(c0);
  observer.disconnect();
  return { total: j, measured: j - n0, threadUs: t.user + t.system, processUs: c.user + c.system, gcMs };
}
