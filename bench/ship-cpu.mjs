// CPU per event of shipping through the delivery engine, in process: the HTTP sink to a `_bulk` endpoint against a
// sink that accepts every batch at once (the difference is the sink's: body, write, reply).
// Usage (build first; run the endpoint on the other core: `taskset -c 0 node bench/fake-bulk.mjs 3399`):
//   SHOPLOG_BULK_URL=http://127.0.0.1:3399 npx -y pnpm@10 exec node bench/ship-cpu.mjs http [n=100000] [perTick=50]
//   npx -y pnpm@10 exec node bench/ship-cpu.mjs null [n]
// Keep n × ~700 B under the engine's 64 MiB queue or the run measures the spool. SHOPLOG_TRANSPORT=<path of another
// build's dist/index.js> measures that build instead (e.g. a copy of main's, placed under packages/node-transport/).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const { createDeliveryEngine, createHttpSink } = await import(
  process.env.SHOPLOG_TRANSPORT ?? '@shoplog/node-transport'
);
const [mode = 'http', n = 100000, perTick = 50] = process.argv.slice(2).map((a, i) => (i === 0 ? a : Number(a)));
const url = process.env.SHOPLOG_BULK_URL;
const sink =
  mode === 'http' ? createHttpSink({ url }) : { name: 'null', send: async () => ({ failures: [], duplicates: 0 }) };
const engine = createDeliveryEngine({ sink, spoolDir: mkdtempSync(join(tmpdir(), 'ship-')), exitHooks: false });
const line = (i) =>
  `{"@timestamp":"2026-11-26T22:00:00.000Z","message":"GET /products/:id 200","event":{"id":"0196f0a0-0000-7000-8000-${String(i).padStart(12, '0')}","dataset":"shoplog.performance","duration":1234567,"outcome":"success","kind":"event"},"log":{"level":"info"},"service":{"name":"bench-shop"},"http":{"request":{"method":"GET","id":"abcdef0123456789"},"response":{"status_code":200,"bytes":312},"route":"/products/:id"},"url":{"path":"/products/123"},"client":{"ip":"127.0.0.1"},"user_agent":{"original":"autocannon"},"trace":{"id":"0123456789abcdef0123456789abcdef"},"span":{"id":"0123456789abcdef"},"shop":{"performance":{"kind":"http"}}}`;
const c0 = process.cpuUsage();
const t0 = performance.now();
let i = 0;
await new Promise((resolve) => {
  const tick = () => {
    for (let k = 0; k < perTick && i < n; k++, i++) engine.enqueueLine(line(i), 'id' + i, 'shoplog.performance');
    if (i < n) setImmediate(tick);
    else resolve();
  };
  tick();
});
await engine.close({ deadlineMs: 30000 });
const c = process.cpuUsage(c0);
console.log(
  mode,
  'cpu µs/event',
  ((c.user + c.system) / n).toFixed(2),
  'user',
  (c.user / n).toFixed(2),
  'sys',
  (c.system / n).toFixed(2),
  'wall ms',
  (performance.now() - t0).toFixed(0),
  JSON.stringify((({ sent, spooled, replayed }) => ({ sent, spooled, replayed }))(engine.metrics())),
);
