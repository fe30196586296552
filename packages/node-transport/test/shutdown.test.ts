import { readdirSync } from 'node:fs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startBulkServer, type BulkServer } from './fixtures/bulk-server.js';
import { distFile } from './fixtures/dist.js';
import { tempDir } from './fixtures/events.js';
import { runApp, type AppRun } from './fixtures/run-app.js';

// A rolling deploy sends SIGTERM to a running app. Each app here is a real child process with the built transports,
// logging to a real HTTP server; the signal comes once it has logged (nothing delivered yet: the batch interval is a
// second), and the test checks what the server stored, what is left in the spool, and how the process ended.

const servers: BulkServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});
beforeAll(() => {
  distFile('index');
  distFile('pino');
  distFile('winston');
});

async function server() {
  const s = await startBulkServer();
  servers.push(s);
  return s;
}

const spooled = (dir: string) => readdirSync(dir).filter((f) => f.startsWith('seg-'));

/** Every event id stored once and sent once; every request's performance event (by request id) stored once. */
function expectDeliveredOnce(s: BulkServer, ids: readonly string[], requestIds: readonly string[] = []): void {
  const perf = new Map<string, string>();
  for (const id of s.stored) {
    const doc = s.docs.get(id) as { event?: { dataset?: string }; http?: { request?: { id?: string } } };
    if (doc.event?.dataset === 'shoplog.performance') perf.set(id, doc.http?.request?.id ?? '');
  }
  const others = s.stored.filter((id) => !perf.has(id));
  expect(others.length).toBe(ids.length);
  expect(new Set(others)).toEqual(new Set(ids));
  expect([...perf.values()].sort()).toEqual([...requestIds].sort());
  expect(s.received).toHaveLength(s.stored.length);
}

function expectEndedBySignal(run: AppRun): void {
  expect({ code: run.code, signal: run.signal, stderr: run.stderr }).toEqual({
    code: null,
    signal: 'SIGTERM',
    stderr: '',
  });
}

// Real processes (pino's worker, Express) start slowly on a loaded machine: a long timeout, and no timing asserted.
describe(
  'SIGTERM: each transport delivers within its grace period, then the process ends by the signal',
  { timeout: 90_000 },
  () => {
    it.each([['engine'], ['express'], ['pino'], ['winston']] as const)('%s', async (part) => {
      const s = await server();
      const spoolDir = tempDir();
      const run = await runApp({ url: s.url, spoolDir, count: 300, parts: [part] });
      expectEndedBySignal(run);
      expectDeliveredOnce(s, run.ids, run.requestIds);
      expect(spooled(spoolDir)).toEqual([]);
    });

    it('all of them in one app, pino through its plain `target` (no Shoplog call in the main thread for it)', async () => {
      const s = await server();
      const spoolDir = tempDir();
      const run = await runApp({
        url: s.url,
        spoolDir,
        count: 300,
        parts: ['engine', 'express', 'pino-target', 'winston'],
      });
      expectEndedBySignal(run);
      expect(run.ids).toHaveLength(900);
      expectDeliveredOnce(s, run.ids, run.requestIds);
      expect(spooled(spoolDir)).toEqual([]);
    });

    it('SIGINT too', async () => {
      const s = await server();
      const run = await runApp(
        { url: s.url, spoolDir: tempDir(), count: 100, parts: ['engine', 'pino', 'winston'] },
        'SIGINT',
      );
      expect({ code: run.code, signal: run.signal }).toEqual({ code: null, signal: 'SIGINT' });
      expectDeliveredOnce(s, run.ids);
    });

    it('with the server down: spools what is left after the grace period, still ends by the signal, and the next start delivers it once', async () => {
      const s = await server();
      await s.stop();
      const spoolDir = tempDir();
      const options = { closeDeadlineMs: 500 };
      const run = await runApp({ url: s.url, spoolDir, count: 200, parts: ['engine', 'pino', 'winston'], options });
      expect({ code: run.code, signal: run.signal }).toEqual({ code: null, signal: 'SIGTERM' });
      expect(spooled(spoolDir).length).toBeGreaterThan(0);
      // Loud about it: the operator learns that the server was unreachable and what was kept.
      expect(run.stderr).toContain(`cannot reach ${s.url}/api/logs/_bulk`);
      expect(run.stderr).toMatch(/closed with 200 events not delivered: spooled to/);
      await s.start();
      const next = await runApp({ url: s.url, spoolDir, count: 1, parts: ['engine', 'pino', 'winston'] });
      expectEndedBySignal(next);
      expect(new Set(s.stored)).toEqual(new Set([...run.ids, ...next.ids]));
      expect(s.stored).toHaveLength(603);
      expect(spooled(spoolDir)).toEqual([]);
    });
  },
);

describe('SIGTERM handled by the app itself', { timeout: 90_000 }, () => {
  it('is not swallowed: the app ends when it decides, with its own exit code, and what it logs meanwhile is delivered', async () => {
    const s = await server();
    const spoolDir = tempDir();
    const run = await runApp({
      url: s.url,
      spoolDir,
      count: 200,
      parts: ['engine', 'express', 'pino', 'winston'],
      own: 'exit',
    });
    expect({ code: run.code, signal: run.signal }).toEqual({ code: 3, signal: null });
    expect(run.late).toHaveLength(3);
    expectDeliveredOnce(s, [...run.ids, ...run.late], run.requestIds);
    expect(spooled(spoolDir)).toEqual([]);
  });

  it('a request in flight when the app closes its server finishes, and its event is delivered when the loop ends', async () => {
    const s = await server();
    const spoolDir = tempDir();
    const run = await runApp({ url: s.url, spoolDir, count: 20, parts: ['express'], own: 'close' });
    expect({ code: run.code, signal: run.signal, stderr: run.stderr }).toEqual({ code: 0, signal: null, stderr: '' });
    expect(run.requestIds).toContain('req-slow');
    expectDeliveredOnce(s, [], run.requestIds);
  });
});
