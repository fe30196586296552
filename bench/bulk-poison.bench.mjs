// Hostile bodies against the reference server (issue #20, poison input): what one request costs the server in time,
// reply bytes and memory, and how `/health` answers meanwhile. The server runs in its own process (its RSS is read
// from /proc every 20 ms); this process sends the body and probes `GET /health` every 20 ms while it is handled.
// Usage: pnpm bench bulk-poison [--lines=1000000] [--cap-lines=50000] [--item-mb=60] [--settle-ms=5000]
// Cases: `_bulk` with N lines of `{}` (3 bytes each), the same with as many lines as the default cap allows, and a
// JSON-array upload holding one item of M MB between two good ones. Only options every server version has are used,
// so the same script measures an older build.
import { fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const option = (name, dflt) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt);
const KEY = `slk_${'p'.repeat(40)}`;

if (process.argv[2] === '--child') {
  // The server process: default settings, but no rate limit in the way of the probes.
  const { bootstrap, createServer } = await import('@shoplog/server');
  const server = createServer({
    port: 0,
    ingestPort: -1,
    dataDir: process.argv[3],
    logLevel: 'silent',
    bootstrapKey: KEY,
    ingestRateLimit: 1_000_000,
  });
  await bootstrap(server);
  process.send({ url: await server.start() });
  process.on('message', async (message) => {
    if (message === 'close') {
      await server.close();
      process.exit(0);
    }
  });
} else {
  const rssOf = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  const pct = (values, p) => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN;
  };
  const round = (n) => Math.round(n * 10) / 10;

  /** Starts a fresh server, runs `send(url)` while probing it; the figures of that one request. */
  async function measure(name, send) {
    const dir = mkdtempSync(join(tmpdir(), 'shoplog-poison-bench-'));
    const child = fork(fileURLToPath(import.meta.url), ['--child', dir], { stdio: 'inherit' });
    const { url } = await new Promise((resolve) => child.once('message', resolve));
    await fetch(`${url}/health`);
    const before = rssOf(child.pid);
    let peak = before;
    let done = false;
    const sampler = setInterval(() => (peak = Math.max(peak, rssOf(child.pid))), 20);
    const health = [];
    const probing = (async () => {
      while (!done) {
        const t0 = performance.now();
        await fetch(`${url}/health`).then((r) => r.arrayBuffer());
        health.push(performance.now() - t0);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const t0 = performance.now();
    const { status, bytes } = await send(url);
    const seconds = (performance.now() - t0) / 1000;
    done = true;
    await probing;
    clearInterval(sampler);
    const after = rssOf(child.pid);
    await new Promise((r) => setTimeout(r, option('settle-ms', 5000)));
    const settled = rssOf(child.pid);
    child.send('close');
    await new Promise((resolve) => child.once('exit', resolve));
    rmSync(dir, { recursive: true, force: true });
    const row = {
      case: name,
      status,
      seconds: round(seconds),
      reply_kb: round(bytes / 1024),
      rss_before_mb: round(before),
      rss_peak_mb: round(peak),
      rss_after_mb: round(after),
      rss_settled_mb: round(settled),
      health_probes: health.length,
      health_p50_ms: round(pct(health, 50)),
      health_p99_ms: round(pct(health, 99)),
      health_max_ms: round(Math.max(...health)),
    };
    console.log(JSON.stringify(row));
    return row;
  }

  const bulk = (lines) => async (url) => {
    const res = await fetch(`${url}/api/logs/_bulk`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/x-ndjson' },
      body: '{}\n'.repeat(lines),
    });
    return { status: res.status, bytes: (await res.arrayBuffer()).byteLength };
  };
  const event = (user) =>
    JSON.stringify({
      '@timestamp': new Date().toISOString(),
      event: { id: crypto.randomUUID(), dataset: 'shoplog.log' },
      log: { level: 'info' },
      message: 'good',
      user: { id: user },
    });
  const upload = (mb) => async (url) => {
    const body = `[${event('before')},{"message":"${'x'.repeat(mb * 1024 * 1024)}"},${event('after')}]`;
    const res = await fetch(`${url}/api/logs/upload?filename=big.json`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/octet-stream' },
      body,
    });
    const { job_id: id } = await res.json();
    for (;;) {
      const job = await (
        await fetch(`${url}/api/logs/uploads/${id}`, { headers: { authorization: `Bearer ${KEY}` } })
      ).json();
      if (job.status === 'completed' || job.status === 'failed')
        return { status: `${res.status} ${job.status} accepted ${job.accepted} rejected ${job.rejected}`, bytes: 0 };
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  const lines = option('lines', 1_000_000);
  const cap = option('cap-lines', 50_000);
  const mb = option('item-mb', 60);
  const rows = [
    await measure(`_bulk ${lines} lines of {}`, bulk(lines)),
    await measure(`_bulk ${cap} lines of {}`, bulk(cap)),
    await measure(`upload [good, ${mb} MB item, good]`, upload(mb)),
  ];
  console.table(rows);
}
