/**
 * `GET /api/dashboard/health`: embedded stores are probed directly; with scale-out stores the server reports what
 * `createScaleOut(...).health()` says (real Redis), and an unreachable Redis or a closed event store shows up.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { createScaleOut } from '../src/adapters/scale-out.js';
import { createSqliteLogStore, scaleOutHealthCheck, type HealthReport, type LogStore } from '../src/index.js';
import { REDIS_URL, deletePrefix, uniquePrefix } from './adapters/redis-env.js';
import { startTestServer, txEvent, type TestServer } from './helpers.js';
import { evaluateInWorkers, holdUntil } from './worker-threads.js';

const byName = (report: HealthReport) => Object.fromEntries(report.dependencies.map((d) => [d.name, d]));

describe('dashboard health', () => {
  let t: TestServer | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('reports each embedded store as ok with its kind, readable with a read key', async () => {
    t = await startTestServer();
    const res = await t.call('/api/dashboard/health', { key: t.keys.read });
    expect(res.status).toBe(200);
    const report = (await res.json()) as HealthReport;
    expect(report.status).toBe('ok');
    const deps = byName(report);
    expect(deps['logs']).toMatchObject({ kind: 'sqlite', status: 'ok' });
    expect(deps['meta']).toMatchObject({ kind: 'sqlite', status: 'ok' });
    expect(deps['cache']).toMatchObject({ kind: 'memory', status: 'ok' });
    expect(deps['velocity']).toMatchObject({ kind: 'memory', status: 'ok' });
    // The event store reports from memory the round trip of its latest read.
    await t.read('/api/search/?q=anything');
    const after = byName((await (await t.call('/api/dashboard/health', { key: t.keys.read })).json()) as HealthReport);
    expect(typeof after['logs']?.latency_ms).toBe('number');
  });

  it('reports how far search is behind the stored events, per indexer', async () => {
    t = await startTestServer();
    await t.server.stores.logs.refresh();
    const health = async () =>
      ((await (await t?.call('/api/dashboard/health', { key: t.keys.read }))?.json()) as HealthReport).index;
    const before = await health();
    expect(before?.pending).toBe(0);
    expect(before?.parts.map((p) => p.name)).toEqual(['facts', 'timeline']);
    // The facts file locked, as during a long batch: three events stored, the timeline indexes them, the facts wait.
    const holder = new DatabaseSync(join(t.dir, 'events.index.db'));
    holder.exec('PRAGMA busy_timeout=5000; BEGIN IMMEDIATE');
    try {
      const body = [
        txEvent({ message: 'lag one' }),
        txEvent({ message: 'lag two' }),
        txEvent({ message: 'lag three' }),
      ];
      expect(
        (
          await t.call('/api/logs/ingest', {
            method: 'POST',
            key: t.keys.ingest,
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(body),
          })
        ).status,
      ).toBe(201);
      await expect
        .poll(async () => (await health())?.parts.find((p) => p.name === 'timeline')?.pending, { timeout: 20_000 })
        .toBe(0);
      const lagging = await health();
      expect(lagging?.committed).toBe((before?.committed ?? 0) + 3);
      expect(lagging?.parts.find((p) => p.name === 'facts')?.pending).toBe(3);
      expect(lagging?.pending).toBe(3);
      expect(((await (await t.call('/api/dashboard/health')).json()) as HealthReport).status).toBe('ok');
    } finally {
      holder.exec('COMMIT');
      holder.close();
    }
    await t.server.stores.logs.refresh();
    expect(await health()).toMatchObject({ committed: (before?.committed ?? 0) + 3, pending: 0 });
  });

  it('answers while another connection holds the events file’s write lock and an append waits for it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shoplog-health-lock-'));
    const store = createSqliteLogStore({ path: join(dir, 'events.db') });
    // The real store, told when an append reaches it (its work then starts at once, in the same turn).
    let reached: () => void = () => {};
    const appending = new Promise<void>((resolve) => (reached = resolve));
    const logs: LogStore = { ...store, appendBatch: (...args) => (reached(), store.appendBatch(...args)) };
    t = await startTestServer({ stores: { logs } });
    const holder = new DatabaseSync(join(dir, 'events.db'));
    holder.exec('BEGIN IMMEDIATE');
    try {
      let acked = false;
      const ingest = t
        .call('/api/logs/ingest', {
          method: 'POST',
          key: t.keys.ingest,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify([txEvent({ message: 'held commit' })]),
        })
        .then((res) => ((acked = true), res.status));
      await appending;
      const res = await t.call('/api/dashboard/health', { key: t.keys.read });
      expect(res.status).toBe(200);
      expect(byName((await res.json()) as HealthReport)['logs']).toMatchObject({ status: 'ok' });
      // The append still waits for the lock: the health answer did not wait for it.
      expect(acked).toBe(false);
      holder.exec('COMMIT');
      expect(await ingest).toBe(201);
    } finally {
      if (holder.isTransaction) holder.exec('ROLLBACK');
      holder.close();
      await t.close();
      t = undefined;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('answers while every read worker is busy with a long query', async () => {
    t = await startTestServer();
    const flag = join(t.dir, 'release');
    expect(await evaluateInWorkers('shoplog-reader', holdUntil(flag))).toBe(2);
    let searched = false;
    const search = t
      .call('/api/search/?q=payment', { key: t.keys.read })
      .then((res) => ((searched = true), res.status));
    const res = await t.call('/api/dashboard/health', { key: t.keys.read });
    expect(res.status).toBe(200);
    expect(((await res.json()) as HealthReport).status).toBe('ok');
    expect(searched).toBe(false);
    writeFileSync(flag, '');
    expect(await search).toBe(200);
  });

  it('is down with the error when the event store fails', async () => {
    t = await startTestServer();
    await t.server.stores.logs.close();
    const report = (await (await t.call('/api/dashboard/health')).json()) as HealthReport;
    expect(report.status).toBe('down');
    expect(byName(report)['logs']).toMatchObject({ kind: 'sqlite', status: 'down' });
    expect(byName(report)['logs']?.error).toBeTruthy();
  });

  it('is degraded when Redis cannot be reached', async () => {
    const scaleOut = await createScaleOut({
      REDIS_URL: 'redis://127.0.0.1:1',
      SHOPLOG_REDIS_PREFIX: uniquePrefix(),
      SHOPLOG_DATA_DIR: '/nonexistent',
    });
    try {
      // Only the health check is wired: the stores stay embedded, so only Redis is down.
      t = await startTestServer({ health: scaleOutHealthCheck(() => scaleOut.health()) });
      const report = (await (await t.call('/api/dashboard/health')).json()) as HealthReport;
      expect(report.status).toBe('degraded');
      expect(byName(report)['cache']).toMatchObject({ kind: 'redis', status: 'down' });
      expect(byName(report)['velocity']).toMatchObject({ kind: 'redis', status: 'down' });
      expect(byName(report)['logs']).toMatchObject({ kind: 'sqlite', status: 'ok' });
    } finally {
      await t?.close();
      t = undefined;
      await scaleOut.close();
    }
  });

  describe.skipIf(!REDIS_URL)('with Redis', () => {
    it('reports the Redis-backed roles from the scale-out health check', async () => {
      const prefix = uniquePrefix();
      const dir = mkdtempSync(join(tmpdir(), 'shoplog-health-'));
      const scaleOut = await createScaleOut({ REDIS_URL, SHOPLOG_REDIS_PREFIX: prefix, SHOPLOG_DATA_DIR: dir });
      t = await startTestServer({ stores: scaleOut.stores, health: scaleOutHealthCheck(() => scaleOut.health()) });
      try {
        const report = (await (await t.call('/api/dashboard/health')).json()) as HealthReport;
        expect(report.status).toBe('ok');
        const deps = byName(report);
        for (const name of ['cache', 'velocity', 'fraud_state', 'rate_limits']) {
          expect(deps[name]).toMatchObject({ kind: 'redis', status: 'ok' });
          expect(typeof deps[name]?.latency_ms).toBe('number');
        }
        expect(deps['meta']).toMatchObject({ kind: 'sqlite', status: 'ok' });
      } finally {
        await t.close();
        t = undefined;
        await scaleOut.close();
        await deletePrefix(prefix);
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
