// One side of `bench/server-mixed.bench.mjs`, run as a child process (`fork` this file) so its CPU is not the
// server's: `ingest` (NDJSON `_bulk` bodies, every event new), `search` (the search route, uncached) or `health`
// (`/api/dashboard/health`, one at a time, every `everyMs`). The parent sends `{ url, key, … }`, the child prepares
// and answers `{ ready }`, then `go` starts the load: it runs `warmup + seconds` seconds and answers with the
// latencies (ms) of the requests started after the warm-up and its own CPU (cores' worth).
import { Agent, request } from 'node:http';
import { generateTraffic } from '@shoplog/server';

/**
 * NDJSON body templates of `batch` lines: the text around each `event.id`, so that every send gets ids of its own
 * (the first 24 characters of the generated UUIDv7, then 12 hex digits of a counter) without serialising again.
 */
function bodyTemplates(events, batch, seed) {
  const generated = [...generateTraffic({ count: events, days: 7, seed })];
  const templates = [];
  for (let i = 0; i < generated.length; i += batch) {
    const parts = [];
    const prefixes = [];
    let text = '';
    for (const event of generated.slice(i, i + batch)) {
      const line = JSON.stringify(event);
      const at = line.indexOf(event.event.id);
      parts.push(text + line.slice(0, at));
      prefixes.push(event.event.id.slice(0, 24));
      text = line.slice(at + event.event.id.length) + '\n';
    }
    templates.push({ parts, prefixes, tail: text.slice(0, -1) });
  }
  return templates;
}

let counter = 0;
function fillBody(template, salt) {
  let out = '';
  for (let j = 0; j < template.parts.length; j++) {
    out +=
      template.parts[j] + template.prefixes[j] + (salt * 2 ** 32 + counter++).toString(16).padStart(12, '0').slice(-12);
  }
  return out + template.tail;
}

/** Search route queries of the dashboard's kinds; `nocache` makes every request a real query. */
const SEARCHES = [
  (i) => `/api/search/?q=payment&range=24h&size=20&nocache=${i}`,
  (i) => `/api/search/?level=error&range=7d&size=20&nocache=${i}`,
  (i) => `/api/search/?log_type=transaction&sort_field=amount&range=7d&nocache=${i}`,
  (i) => `/api/search/?q=checkout&service=checkout&range=7d&page=2&size=20&nocache=${i}`,
  (i) => `/api/search/?range=24h&size=50&nocache=${i}`,
];

function send(agent, url, key, method, path, body) {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, {
      agent,
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body ? { 'content-type': 'application/x-ndjson', 'content-length': Buffer.byteLength(body) } : {}),
      },
    });
    req.once('error', reject);
    req.once('response', (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.once('end', () => {
        if (res.statusCode !== 200)
          reject(
            new Error(
              `${method} ${path.slice(0, 60)}: ${res.statusCode} ${Buffer.concat(chunks).toString().slice(0, 200)}`,
            ),
          );
        else resolve();
      });
    });
    req.end(body);
  });
}

async function run(options) {
  const { url, key, mode, connections, seconds, warmup, everyMs } = options;
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const templates = mode === 'ingest' ? bodyTemplates(options.templateEvents, options.batch, options.seed) : [];
  process.send({ ready: true });
  await new Promise((resolve) => process.once('message', resolve));
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  const measureFrom = started + warmup * 1000;
  const end = measureFrom + seconds * 1000;
  const latencies = [];
  let next = 0;
  const loop = async () => {
    while (performance.now() < end) {
      const i = next++;
      const body = mode === 'ingest' ? fillBody(templates[i % templates.length], options.salt) : undefined;
      const path =
        mode === 'ingest'
          ? '/api/logs/_bulk'
          : mode === 'search'
            ? SEARCHES[i % SEARCHES.length](i)
            : '/api/dashboard/health';
      const t0 = performance.now();
      await send(agent, url, key, body ? 'POST' : 'GET', path, body);
      const t1 = performance.now();
      if (t0 >= measureFrom && t1 <= end) latencies.push(t1 - t0);
      if (mode === 'health') {
        const wait = t0 + everyMs - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  };
  await Promise.all(Array.from({ length: mode === 'health' ? 1 : connections }, loop));
  agent.destroy();
  const cpu = process.cpuUsage(cpu0);
  // Cores' worth of CPU this client spent over its whole run (warm-up included).
  const cpuShare = (cpu.user + cpu.system) / 1000 / (performance.now() - started);
  return { mode, latencies, seconds, cpuShare };
}

process.once('message', (options) => {
  run(options).then(
    (result) => process.send(result, () => process.disconnect()),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
});
