// The server of `bench/server-mixed.bench.mjs`, in a process of its own: `node mixed-server.mjs <module> <dataDir>
// [--profile] [--readers=N]` starts the server of the build `module` (a server dist/index.js) on the embedded store in `dataDir`
// and sends `{ url, key }`. `go` starts the measurement (event-loop delay, CPU of the process and of the request
// thread); `stop` answers with them, closes the server and exits. With `--profile`, the stores are wrapped so that
// the time each call holds the request thread (node:sqlite is synchronous: a call's whole work happens before its
// promise is returned) is summed per method.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

const [module, dataDir, ...flags] = process.argv.slice(2);
const readers = flags.find((flag) => flag.startsWith('--readers='))?.slice('--readers='.length);
const mod = await import(pathToFileURL(module).href);
const profile = flags.includes('--profile');
const key = `slk_${'m'.repeat(40)}`;
const held = new Map();

/** The store with each method timed: how long the call ran before returning its promise. */
function timed(name, store) {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args) => {
        const t0 = performance.now();
        const out = value.apply(target, args);
        const ms = performance.now() - t0;
        const entry = held.get(`${name}.${String(prop)}`) ?? { calls: 0, ms: 0, max: 0 };
        entry.calls++;
        entry.ms += ms;
        entry.max = Math.max(entry.max, ms);
        held.set(`${name}.${String(prop)}`, entry);
        return out;
      };
    },
  });
}

const settings = {
  port: 0,
  ingestPort: -1,
  dataDir,
  logLevel: 'silent',
  bootstrapKey: key,
  ingestRateLimit: 1_000_000,
  ...(readers ? { readers: Number(readers) } : {}),
};
const stores = profile
  ? {
      logs: timed(
        'logs',
        mod.createSqliteLogStore({
          path: join(dataDir, 'events.db'),
          ...(readers ? { readers: Number(readers) } : {}),
        }),
      ),
      meta: timed('meta', mod.createSqliteMetaStore({ path: join(dataDir, 'meta.db') })),
    }
  : undefined;
const server = mod.createServer({ ...settings, ...(stores ? { stores } : {}) });
await mod.bootstrap(server);
const url = await server.start();
process.send({ url, key });

/**
 * Per thread name (Linux; threads named after their worker, e.g. shoplog-reader-): seconds on a CPU, and seconds ready
 * to run but waiting for a CPU (the run queue, from schedstat) — a thread that is neither is blocked (a lock, I/O).
 */
function threadCpu() {
  const out = {};
  if (process.platform !== 'linux') return out;
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const name = readFileSync(`/proc/self/task/${tid}/comm`, 'utf8')
        .trim()
        .replace(/-\d*$|-[ft]$/, '');
      const [onCpu, queued] = readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ').map(Number);
      const entry = (out[name] ??= { cpu: 0, queued: 0 });
      entry.cpu += onCpu / 1e9;
      entry.queued += queued / 1e9;
    } catch {
      // The thread ended meanwhile.
    }
  }
  return out;
}

const delay = monitorEventLoopDelay({ resolution: 10 });
let threads0 = {};
let cpu0;
let thread0;
let started;
process.on('message', async (message) => {
  if (message === 'go') {
    held.clear();
    delay.reset();
    delay.enable();
    cpu0 = process.cpuUsage();
    thread0 = process.threadCpuUsage();
    threads0 = threadCpu();
    started = performance.now();
  } else if (message === 'stop') {
    delay.disable();
    const wall = performance.now() - started;
    const cpu = process.cpuUsage(cpu0);
    const thread = process.threadCpuUsage(thread0);
    const index = server.stores.logs.indexStatus?.();
    const result = {
      wallMs: wall,
      processCpu: (cpu.user + cpu.system) / 1000 / wall,
      threadCpu: (thread.user + thread.system) / 1000 / wall,
      loopDelay: { p50: delay.percentile(50) / 1e6, p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 },
      indexPending: index ? Math.max(...index.parts.map((part) => index.committed - part.indexed)) : undefined,
      threads: Object.fromEntries(
        Object.entries(threadCpu())
          .map(([name, t]) => {
            const before = threads0[name] ?? { cpu: 0, queued: 0 };
            return [
              name,
              { cpu: (t.cpu - before.cpu) / (wall / 1000), queued: (t.queued - before.queued) / (wall / 1000) },
            ];
          })
          .filter(([, share]) => share.cpu >= 0.01)
          .sort((a, b) => b[1].cpu - a[1].cpu),
      ),
      held: Object.fromEntries([...held.entries()].sort((a, b) => b[1].ms - a[1].ms)),
    };
    process.send(result, async () => {
      await server.close();
      process.exit(0);
    });
  }
});
