import { readdirSync } from 'node:fs';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createDeliveryEngine, createHttpSink, type DeliveryEngine } from '../src/index.js';
import { startBulkServer, type BulkServer } from './fixtures/bulk-server.js';
import { distFile } from './fixtures/dist.js';
import { makeEvents, tempDir, until } from './fixtures/events.js';
import { runChild } from './fixtures/run-child.js';

// A misconfigured or unreachable server must be told to the operator once, clearly, and be readable in metrics();
// the events are kept. The fake server answers like the reference server (packages/server/src/http/auth.ts).

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const fn of cleanup.splice(0)) await fn();
});

async function server(): Promise<BulkServer> {
  const s = await startBulkServer({ keys: { 'ingest-key': 'ingest', 'read-key': 'read' } });
  cleanup.push(() => s.close());
  return s;
}

function engineFor(url: string, apiKey: string | undefined): DeliveryEngine {
  const engine = createDeliveryEngine({
    sink: createHttpSink({ url, ...(apiKey ? { apiKey } : {}) }),
    spoolDir: tempDir(),
    exitHooks: false,
    retryInitialDelayMs: 5,
    retryMaxDelayMs: 20,
    flushIntervalMs: 10,
  });
  cleanup.push(() => engine.close({ deadlineMs: 200 }));
  return engine;
}

const cases = [
  {
    name: 'a wrong key',
    key: 'nope',
    status: 401,
    says: /answered 401: invalid API key \(the API key was refused: check `apiKey`\)/,
  },
  {
    name: 'a read-only key',
    key: 'read-key',
    status: 403,
    says: /answered 403: this route needs the ingest permission \(the API key needs the ingest scope\)/,
  },
  {
    name: 'no key',
    key: undefined,
    status: 401,
    says: /answered 401: an API key or a session is required \(no API key was sent: set `apiKey`/,
  },
] as const;

describe('the default error handler tells the operator once, and metrics() says the same', () => {
  it.each(cases)(
    '$name: the status and the server’s message, once, however many attempts fail',
    async ({ key, status, says }) => {
      const s = await server();
      const warn = vi.spyOn(console, 'warn');
      const engine = engineFor(s.url, key);
      for (const e of makeEvents(20)) engine.enqueue(e);
      await until(() => engine.metrics().retried >= 100, 10_000, 'repeated failures');
      const printed = warn.mock.calls.map((c) => String(c[0]));
      expect(printed).toHaveLength(1);
      expect(printed[0]).toContain(`[shoplog] delivery failed: ${s.url}/api/logs/_bulk`);
      expect(printed[0]).toMatch(says);
      expect(printed[0]).toMatch(/Events are kept and retried/);
      const m = engine.metrics();
      expect(m.healthy).toBe(false);
      expect(m.lastError).toMatchObject({ status });
      expect(m.lastError?.message).toMatch(says);
      expect(m.sent).toBe(0);
      expect(s.stored).toEqual([]);
    },
  );

  it('a server that is down: the URL and the connection error; once it is up, delivery resumes and says so', async () => {
    const s = await server();
    await s.stop();
    const warn = vi.spyOn(console, 'warn');
    const engine = engineFor(s.url, 'ingest-key');
    const events = makeEvents(20);
    for (const e of events) engine.enqueue(e);
    await until(() => engine.metrics().retried >= 100, 10_000, 'repeated failures');
    expect(warn.mock.calls.map((c) => String(c[0]))).toEqual([
      expect.stringMatching(
        new RegExp(`^\\[shoplog\\] delivery failed: cannot reach ${s.url}/api/logs/_bulk: connect ECONNREFUSED`),
      ),
    ]);
    expect(engine.metrics()).toMatchObject({ healthy: false, lastError: { code: 'ECONNREFUSED' } });
    await s.start();
    await s.waitFor(20);
    await until(() => engine.metrics().healthy, 10_000, 'healthy again');
    expect(s.stored).toEqual(events.map((e) => e.event.id));
    expect(String(warn.mock.calls.at(-1)?.[0])).toBe('[shoplog] delivery works again (http sink)');
    // The last error stays readable after the recovery.
    expect(engine.metrics().lastError).toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('a refused key that is fixed on the server: the kept events are delivered, once', async () => {
    const s = await startBulkServer({ keys: { 'late-key': 'read' } });
    cleanup.push(() => s.close());
    vi.spyOn(console, 'warn');
    const engine = engineFor(s.url, 'late-key');
    const events = makeEvents(30);
    for (const e of events) engine.enqueue(e);
    await until(() => engine.metrics().retried >= 30, 10_000, 'failures');
    expect(engine.metrics().lastError?.status).toBe(403);
    // The operator grants the ingest scope (the fake server reads its key table on each request).
    (s.keys as Record<string, string>)['late-key'] = 'ingest';
    await s.waitFor(30);
    await engine.flush();
    expect(s.stored).toEqual(events.map((e) => e.event.id));
    expect(engine.metrics().healthy).toBe(true);
  });

  it('an onError of the app receives every error instead, and nothing is printed', async () => {
    const s = await server();
    const warn = vi.spyOn(console, 'warn');
    const errors: Error[] = [];
    const engine = createDeliveryEngine({
      sink: createHttpSink({ url: s.url, apiKey: 'nope' }),
      spoolDir: tempDir(),
      exitHooks: false,
      retryInitialDelayMs: 5,
      retryMaxDelayMs: 20,
      flushIntervalMs: 10,
      onError: (e) => errors.push(e),
    });
    cleanup.push(() => engine.close({ deadlineMs: 100 }));
    for (const e of makeEvents(5)) engine.enqueue(e);
    await until(() => errors.length >= 3, 10_000, 'errors');
    expect(warn).not.toHaveBeenCalled();
    expect(errors[0]?.message).toMatch(/answered 401: invalid API key/);
  });
});

describe('enqueue() of something that is not an event says what is wrong', () => {
  it.each([
    [{ hello: 'world' }, /got an object without `event` \(keys: hello\)/],
    ['text', /got a string/],
    [null, /got null/],
    [
      { event: { id: 42, dataset: 'shoplog.log' } },
      /got an object whose `event.id` \/ `event.dataset` are not strings/,
    ],
  ])('%j', async (value, got) => {
    const s = await server();
    const engine = engineFor(s.url, 'ingest-key');
    expect(() => engine.enqueue(value as never)).toThrow(TypeError);
    expect(() => engine.enqueue(value as never)).toThrow(
      /enqueue\(\) takes a Shoplog event \(made by the @shoplog\/core builders, e\.g\. transaction\(\{\.\.\.\}\), with string `event\.id` and `event\.dataset`\)/,
    );
    expect(() => engine.enqueue(value as never)).toThrow(got);
    // The engine is unharmed: valid events beside it are delivered.
    const [ok] = makeEvents(1);
    engine.enqueue(ok as never);
    await engine.flush();
    expect(s.stored).toEqual([ok?.event.id]);
  });
});

describe('pino’s worker transport is not silent either', () => {
  beforeAll(() => {
    distFile('pino');
  });

  it.each([
    ['a wrong key', 'nope', /answered 401: invalid API key/],
    [
      'a server that is down',
      'ingest-key',
      /cannot reach http:\/\/127\.0\.0\.1:\d+\/api\/logs\/_bulk: connect ECONNREFUSED/,
    ],
  ])('%s: the worker says so on stderr, and at exit what it spooled and where', async (_name, key, says) => {
    const s = await server();
    if (key === 'ingest-key') await s.stop();
    const spoolDir = tempDir();
    const run = await runChild({
      logger: 'pino',
      url: s.url,
      spoolDir,
      count: 50,
      producer: 'w',
      ending: 'end',
      options: { apiKey: key, closeDeadlineMs: 300 },
    });
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(says);
    expect(run.stderr).toContain(`closed with 50 events not delivered: spooled to ${spoolDir}, sent on the next start`);
    expect(readdirSync(spoolDir).some((f) => f.startsWith('seg-'))).toBe(true);
  });
});
