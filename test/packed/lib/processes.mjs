// Child processes of the suite: one-shot commands, long-running ones, and the Shoplog server started from the
// installed tarball (`shoplog serve`), as a user starts it.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { join } from 'node:path';

const children = new Set();

// Children run in their own process group (`detached`), so a signal reaches what they started too (bash → npx →
// node): the group is signalled by the child's pid, and only groups this suite started are ever signalled.
function signal(child, sig) {
  try {
    process.kill(-child.pid, sig);
  } catch {
    // The group is gone already.
  }
}

/** Stops every child still running, with what it started (the suite's exit path). */
export function killAll() {
  for (const child of children) signal(child, 'SIGKILL');
}

/** Runs a command to its end (or `timeoutMs`); resolves with `{ code, signal, stdout, stderr, timedOut }`. */
export function runToEnd(cmd, args, { cwd, env, timeoutMs = 120_000, input } = {}) {
  const child = spawn(cmd, args, {
    cwd,
    env,
    detached: true,
    stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  children.add(child);
  if (input !== undefined) child.stdin.end(input);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += c));
  child.stderr.on('data', (c) => (stderr += c));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    signal(child, 'SIGKILL');
  }, timeoutMs);
  return new Promise((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, signal, stdout, stderr, timedOut });
    }),
  );
}

/** Starts a long-running command; `stop()` sends SIGTERM and resolves with how it ended and what it printed. */
export function startProcess(cmd, args, { cwd, env } = {}) {
  const child = spawn(cmd, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (c) => (out.stdout += c));
  child.stderr.on('data', (c) => (out.stderr += c));
  const ended = new Promise((resolve) =>
    child.on('close', (code, signal) => {
      children.delete(child);
      resolve({ code, signal, ...out });
    }),
  );
  return {
    child,
    out,
    ended,
    running: () => child.exitCode === null && child.signalCode === null,
    async stop(timeoutMs = 15_000) {
      signal(child, 'SIGTERM');
      const timer = setTimeout(() => signal(child, 'SIGKILL'), timeoutMs);
      const result = await ended;
      clearTimeout(timer);
      return result;
    },
  };
}

/** A TCP port free right now on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts connections on the port; rejects after `timeoutMs` or when `alive()` turns false. */
export async function waitForPort(port, { timeoutMs = 60_000, alive = () => true } = {}) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!alive()) throw new Error('the process ended before it listened');
    const ok = await new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listened on port ${port} within ${timeoutMs} ms`);
}

/** An admin key the suite's server registers at start (SHOPLOG_BOOTSTRAP_KEY): only the suite uses it. */
export const ADMIN_KEY = `slk_${'packedsuite'.repeat(4)}`;

/**
 * Starts `shoplog serve` from the installed tarball with `node`, on a fresh data folder and free ports (HTTP, and the
 * TCP/UDP JSON-lines port on 127.0.0.1). Resolves with `{ url, ingestPort, dataDir, stop(), committed(), settled() }`;
 * `committed()` is the number of events the server has stored.
 */
export async function startShoplogServer({ node, app, env }) {
  const dataDir = mkdtempSync(join(app, 'server-data-'));
  const port = await freePort();
  const ingestPort = await freePort();
  const proc = startProcess(node, [join(app, 'node_modules', '@shoplog', 'server', 'dist', 'cli.js'), 'serve'], {
    cwd: app,
    env: {
      ...env,
      SHOPLOG_PORT: String(port),
      SHOPLOG_INGEST_PORT: String(ingestPort),
      SHOPLOG_DATA_DIR: dataDir,
      SHOPLOG_BOOTSTRAP_KEY: ADMIN_KEY,
      SHOPLOG_LOG_LEVEL: 'warn',
    },
  });
  try {
    await waitForPort(port, { alive: proc.running });
  } catch (error) {
    const result = await proc.stop();
    throw new Error(`shoplog serve did not start: ${error.message}\n${result.stdout}${result.stderr}`, {
      cause: error,
    });
  }
  const url = `http://127.0.0.1:${port}`;
  const committed = async () => {
    const res = await fetch(`${url}/api/dashboard/health`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    if (res.status !== 200) throw new Error(`health answered ${res.status}`);
    return (await res.json()).index?.committed ?? 0;
  };
  return {
    url,
    ingestPort,
    dataDir,
    proc,
    stop: () => proc.stop(),
    committed,
    /** `committed()` once it has not changed for a moment: what an earlier block sent has landed. */
    async settled() {
      let last = await committed();
      for (;;) {
        await new Promise((r) => setTimeout(r, 300));
        const now = await committed();
        if (now === last) return now;
        last = now;
      }
    },
  };
}
