import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { generateTraffic, createSqliteLogStore } from '../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, '..', 'dist', 'cli.js');
const KEY = `slk_${'k'.repeat(40)}`;
const dirs: string[] = [];

function startChild(dir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [cli, 'serve'], {
    env: {
      ...process.env,
      SHOPLOG_PORT: '0',
      SHOPLOG_INGEST_PORT: '-1',
      SHOPLOG_DATA_DIR: dir,
      SHOPLOG_BOOTSTRAP_KEY: KEY,
      SHOPLOG_BOOTSTRAP_PASSWORD: 'a long test password',
      SHOPLOG_INGEST_RATE_LIMIT: '100000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /running: (http:\/\/[^/\s]+)/.exec(out);
      if (match?.[1]) resolve({ child, url: match[1] });
    });
    child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('exit', (code) => reject(new Error(`server exited (${code}): ${out}`)));
  });
}

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!existsSync(cli))('kill -9 during ingest', () => {
  it('loses nothing that was acknowledged', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shoplog-crash-'));
    dirs.push(dir);
    const { child, url } = await startChild(dir);
    const events = [...generateTraffic({ count: 20_000, seed: 7 })];
    const acked: string[] = [];
    const sends: Promise<void>[] = [];
    let killed = false;
    // Several concurrent senders; the server is killed while batches are in flight.
    for (let s = 0; s < 4; s++) {
      sends.push(
        (async () => {
          for (let i = s * 500; i < events.length && !killed; i += 2000) {
            const batch = events.slice(i, i + 500);
            try {
              const res = await fetch(`${url}/api/logs/_bulk`, {
                method: 'POST',
                headers: { authorization: `Bearer ${KEY}` },
                body: batch.map((e) => JSON.stringify(e)).join('\n'),
              });
              if (res.status !== 200) continue;
              // The reply lists the rejected lines only: every other line of the batch is acknowledged.
              const body = (await res.json()) as { items: { line: number }[] };
              const rejected = new Set(body.items.map((item) => item.line - 1));
              batch.forEach((event, line) => {
                if (!rejected.has(line)) acked.push(event.event.id);
              });
              if (acked.length >= 3000 && !killed) {
                killed = true;
                child.kill('SIGKILL');
              }
            } catch {
              return; // connection reset by the kill: not acknowledged
            }
          }
        })(),
      );
    }
    await Promise.all(sends);
    if (!killed) child.kill('SIGKILL');
    await new Promise((resolve) =>
      child.exitCode !== null || child.signalCode !== null ? resolve(undefined) : child.once('exit', resolve),
    );
    expect(acked.length).toBeGreaterThanOrEqual(3000);
    const store = createSqliteLogStore({ path: join(dir, 'events.db') });
    try {
      const missing: string[] = [];
      for (const id of acked) if (!(await store.get(id))) missing.push(id);
      expect(missing).toEqual([]);
      // The indexer resumes after the crash: every stored event becomes searchable.
      await store.refresh();
      expect(await store.count()).toBeGreaterThanOrEqual(new Set(acked).size);
    } finally {
      await store.close();
    }
  });
});
