// The pino transport's worker-side path alone, cold, as pino's worker runs it: a fresh process per run feeds N pino
// lines (the peer survey's record, 1000-line chunks as thread-stream hands them over) to the transport's stream
// with a sink that acknowledges at once; no HTTP, no second process, so far less noise than transport-pino.
// Compared in one run, interleaved: the raw-line path (the default) and the full path (JSON.parse → mapRecord →
// redact → JSON.stringify, forced by a wrapped mapper), both including the JIT warm-up of a fresh worker.
// Reported per log: this thread's CPU, and the whole process's (GC helper threads and the optimising compiler too).
// Usage: pnpm bench transport-pino-path [N=50000] [rounds=5]
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, runOnce } from './lib/harness.mjs';

if (process.argv[2] === '--run') {
  const [, , , path, n] = process.argv;
  const N = Number(n);
  const { default: shoplogPino } = await import('@shoplog/node-transport/pino');
  const { mapRecord } = await import('@shoplog/node-transport');
  const t = Date.UTC(2026, 10, 26, 20, 0, 0);
  const lines = [];
  // The record of transport-pino.bench.mjs, as pino prints it (`logger.info({ orderId, amount, userId }, 'order placed')`).
  for (let j = 0; j < N; j++) {
    lines.push(
      `{"level":30,"time":${t + (j >> 4)},"pid":4242,"hostname":"box","orderId":"ord_${j}","amount":${((j * 7919) % 50000) / 100},"userId":"u_${(j * 31) % 100000}","msg":"order placed"}`,
    );
  }
  const chunks = [];
  for (let i = 0; i < N; i += 1000) chunks.push(lines.slice(i, i + 1000).join('\n') + '\n');
  lines.length = 0;
  let delivered = 0;
  const sink = { name: 'ack', send: async (batch) => ((delivered += batch.length), { duplicates: 0, failures: [] }) };
  const stream = shoplogPino({
    sink,
    validate: false, // as with the HTTP sink (the server validates)
    redact: { mutate: true }, // as in pino's worker
    spoolDir: mkdtempSync(join(tmpdir(), 'bench-path-')),
    exitHooks: false,
    ...(path === 'full' ? { mapRecord: (r) => mapRecord(r) } : {}),
  });
  globalThis.gc?.();
  const c0 = process.cpuUsage();
  const t0 = process.threadCpuUsage();
  for (const c of chunks) await new Promise((resolve) => stream.write(c, resolve));
  await new Promise((resolve) => stream.end(resolve));
  const th = process.threadCpuUsage(t0);
  const all = process.cpuUsage(c0);
  if (delivered !== N) throw new Error(`delivered ${delivered} of ${N}`);
  console.log(
    JSON.stringify({
      lib: path,
      N,
      thread_us_per_log: +((th.user + th.system) / N).toFixed(2),
      process_us_per_log: +((all.user + all.system) / N).toFixed(2),
    }),
  );
  process.exit(0);
}

const N = Number(process.argv[2] ?? 50_000);
const rounds = Number(process.argv[3] ?? 5);
const self = fileURLToPath(import.meta.url);
const runs = { raw: [], full: [] };
for (let r = 0; r < rounds; r++) {
  for (const path of ['full', 'raw']) {
    const out = await runOnce(self, [path, N]);
    console.log(JSON.stringify(out));
    runs[path].push(out);
  }
}
console.log(
  `\npino transport worker path, cold, N=${N}, ${rounds} interleaved rounds, medians (Node ${process.version})`,
);
console.table(
  Object.entries(runs).map(([path, xs]) => ({
    path,
    thread_us_per_log: median(xs.map((x) => x.thread_us_per_log)),
    process_us_per_log: median(xs.map((x) => x.process_us_per_log)),
  })),
);
