// The HTTP client of `bench/server-ingest.bench.mjs`: builds the NDJSON bodies and sends them to `_bulk`. Run as a
// child process (`fork` this file) so its CPU is not counted on the server's request thread; the bench imports the
// same functions for the in-process (`--client=inline`) variant and for the raw loop's bodies.
import { fileURLToPath } from 'node:url';
import { generateTraffic } from '@shoplog/server';

/** The generated events (7 days, seed 11) as NDJSON bodies of `batch` lines. */
export function makeBodies(count, batch) {
  const events = [...generateTraffic({ count, days: 7, seed: 11 })];
  const bodies = [];
  for (let i = 0; i < events.length; i += batch)
    bodies.push(
      events
        .slice(i, i + batch)
        .map((e) => JSON.stringify(e))
        .join('\n'),
    );
  return bodies;
}

/** Sends every body to `_bulk`, `concurrency` requests in flight; resolves with the number of acknowledged events. */
export async function sendAll(bodies, url, key, concurrency) {
  let next = 0;
  let acked = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < bodies.length) {
        const n = await post(url, key, bodies[next++]);
        acked += n; // not `acked += await …`: that reads `acked` before the other requests in flight add to it
      }
    }),
  );
  return acked;
}

/** One `_bulk` request; resolves with the number of acknowledged events. */
async function post(url, key, body) {
  const res = await fetch(`${url}/api/logs/_bulk`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-ndjson' },
    body,
  });
  const out = await res.json();
  if (res.status !== 200 || out.errors) throw new Error(`bulk failed: ${res.status}`);
  return out.created + out.duplicates + out.failed;
}

/**
 * Sends body i at `i * lines / rate` seconds from the start (a shipper holding a steady `rate` events/s in batches of
 * `lines`), `concurrency` requests at most in flight; calls `onAck(i)` as each is acknowledged.
 */
export async function sendPaced(bodies, url, key, concurrency, rate, lines, onAck) {
  const started = performance.now();
  let next = 0;
  let acked = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < bodies.length) {
        const i = next++;
        const wait = started + (i * lines * 1000) / rate - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        const n = await post(url, key, bodies[i]);
        acked += n;
        onAck(i);
      }
    }),
  );
  return acked;
}

/**
 * Until `done` settles, a search (`query`, one page of 20) every `everyMs`, one at a time: what a person at the
 * dashboard waits while the server ingests. Resolves with the latencies in ms.
 */
export async function probeQueries(url, key, done, everyMs = 100, query = 'payment') {
  const latencies = [];
  let finished = false;
  done.then(
    () => (finished = true),
    () => (finished = true),
  );
  while (!finished) {
    const t0 = performance.now();
    const res = await fetch(`${url}/api/search/?query=${encodeURIComponent(query)}&size=20`, {
      headers: { authorization: `Bearer ${key}` },
    });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`search failed: ${res.status}`);
    latencies.push(performance.now() - t0);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  return latencies;
}

// As a child: build the bodies, say `ready`, send them on `{ url, key }`, report the acked count and this process's
// CPU. With a rate (events/s), bodies are paced and each ack is reported as `{ ack: i }` when it arrives.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [count, batch, concurrency, rate = 0] = process.argv.slice(2).map(Number);
  const bodies = makeBodies(count, batch);
  process.send({ ready: true });
  process.once('message', ({ url, key }) => {
    const cpu0 = process.cpuUsage();
    const sending =
      rate > 0
        ? sendPaced(bodies, url, key, concurrency, rate, batch, (i) => process.send({ ack: i }))
        : sendAll(bodies, url, key, concurrency);
    const probing = process.env.BENCH_PROBE_QUERIES ? probeQueries(url, key, sending) : Promise.resolve([]);
    Promise.all([sending, probing]).then(
      ([acked, queryMs]) => {
        const cpu = process.cpuUsage(cpu0);
        process.send({ acked, cpu: cpu.user + cpu.system, queryMs }, () => process.disconnect());
      },
      (error) => {
        console.error(error);
        process.exit(1);
      },
    );
  });
}
