/**
 * Retention by age through the server: the settings (default and per-dataset overrides, validated), the hour-aligned
 * cutoffs, and a server that deletes expired events by itself (a pass at start, then periodically) while fresh ones
 * stay searchable.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteLogStore, loadConfig, retentionCutoffs } from '../src/index.js';
import { eventually, errorEvent, startTestServer, txEvent, type TestServer } from './helpers.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

describe('retention settings', () => {
  it('defaults to 30 days, takes per-dataset overrides and names a bad one', () => {
    const config = loadConfig({ SHOPLOG_RETENTION_BY_DATASET: 'fraud=365, shoplog.performance=7,error=0' });
    expect(config.retentionDays).toBe(30);
    expect(config.retentionByDataset).toEqual({ fraud: 365, performance: 7, error: 0 });
    expect(loadConfig({ SHOPLOG_CONFIG: undefined }).retentionByDataset).toEqual({});
    expect(() => loadConfig({ SHOPLOG_RETENTION_BY_DATASET: 'orders=3' })).toThrow(
      /retentionByDataset\.orders \(SHOPLOG_RETENTION_BY_DATASET\): unknown dataset/,
    );
    expect(() => loadConfig({ SHOPLOG_RETENTION_DAYS: '-1' })).toThrow(/retentionDays \(SHOPLOG_RETENTION_DAYS\)/);
  });

  it('cuts at the start of an hour, per kind; 0 keeps a kind forever', () => {
    const now = Date.UTC(2026, 5, 15, 10, 42);
    const cutoffs = retentionCutoffs({ days: 30, byDataset: { fraud: 365, error: 0 } }, now);
    expect(cutoffs.transaction).toBe(Date.UTC(2026, 4, 16, 10));
    expect(cutoffs.fraud).toBe(Date.UTC(2025, 5, 15, 10));
    expect(cutoffs.error).toBeUndefined();
    expect(retentionCutoffs({ days: 0, byDataset: {} }, now)).toEqual({});
  });
});

describe('retention in a running server', () => {
  it('deletes expired events by itself, per dataset, and keeps fresh ones searchable', async () => {
    // Stored before the server starts: its first pass runs at start (then one every few minutes).
    const dir = mkdtempSync(join(tmpdir(), 'shoplog-retention-'));
    const old = new Date(Date.now() - 40 * DAY).toISOString();
    const expired = Array.from({ length: 10 }, (_, i) => txEvent({ message: `expired order ${i}`, ts: old }));
    const keptError = errorEvent('500', 'OldError', 'old error kept forever', old);
    const fresh = txEvent({ message: 'fresh order' });
    const before = createSqliteLogStore({ path: join(dir, 'events.db') });
    await before.appendBatch([...expired, keptError, fresh]);
    await before.close();
    const t: TestServer = await startTestServer({ dataDir: dir, retentionDays: 30, retentionByDataset: { error: 0 } });
    closers.push(async () => {
      await t.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const logs = t.server.stores.logs;
    await eventually(async () => ((await logs.count({})) === 2 ? true : undefined));
    expect(await logs.get(expired[0]!.event.id)).toBeUndefined();
    expect(await logs.get(keptError.event.id)).toBeDefined();
    const page = await logs.search({
      filter: { text: 'order' },
      sort: { field: '@timestamp', order: 'desc' },
      page: 1,
      size: 20,
    });
    expect(page.hits.map((hit) => hit.id)).toEqual([fresh.event.id]);
    // Counted once the pass is over (it then gives the freed pages back).
    await eventually(async () =>
      /^shoplog_retention_deleted_events_total 10$/m.test(await (await t.call('/metrics')).text()) ? true : undefined,
    );
  });
});
