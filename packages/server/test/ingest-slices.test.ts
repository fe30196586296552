import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ShoplogEvent } from '@shoplog/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteLogStore, generateTraffic, type LogStore } from '../src/index.js';
import { cardTestingAttempts, clientVerdict, perfEvent, startTestServer, type TestServer } from './helpers.js';

// A big bulk request is stored in slices of 1 024 events, the event loop turning between them (ingestor.ts).
let t: TestServer | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await t?.close();
  t = undefined;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

interface BulkReply {
  errors: boolean;
  created: number;
  duplicates: number;
  failed: number;
  items: { line: number; id: string | null; status: number; result: string }[];
}

describe('a big bulk request', () => {
  it('is stored in slices of 1 024 events with the event loop turning between them, so other requests get in', async () => {
    // The store records, at each append, how many event-loop turns went by since the previous one.
    const dir = mkdtempSync(join(tmpdir(), 'shoplog-slices-'));
    dirs.push(dir);
    const store = createSqliteLogStore({ path: join(dir, 'events.db') });
    let turns = 0;
    let ticking = true;
    const tick = (): void => {
      turns++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const appends: { events: number; turnsSincePrevious: number }[] = [];
    let lastTurns = 0;
    const logs = Object.assign(Object.create(store) as LogStore, {
      appendBatch: (...args: Parameters<LogStore['appendBatch']>) => {
        appends.push({ events: args[0].length, turnsSincePrevious: turns - lastTurns });
        lastTurns = turns;
        return store.appendBatch(...args);
      },
    });
    try {
      t = await startTestServer({ stores: { logs }, bodyLimit: 64 * 1024 * 1024, fraudScoring: 'off' });
      const body = [...generateTraffic({ count: 20_000, seed: 21 })].map((e) => JSON.stringify(e)).join('\n');
      const res = await t.call('/api/logs/_bulk', { key: t.keys.ingest, method: 'POST', body });
      expect(res.status).toBe(200);
      const reply = (await res.json()) as BulkReply;
      expect(reply).toMatchObject({ errors: false, created: 20_000, items: [] });
    } finally {
      ticking = false;
    }
    expect(appends.map((a) => a.events)).toEqual([...Array.from({ length: 19 }, () => 1024), 20_000 - 19 * 1024]);
    // Between two slices the loop turned at least once: a request that arrived meanwhile was read and served.
    expect(appends.slice(1).every((a) => a.turnsSincePrevious >= 1)).toBe(true);
    const search = await t.call('/api/search/?query=payment&size=5', { key: t.keys.read });
    expect(search.status).toBe(200);
  });

  it("is not interleaved with another bulk request: each request's events are stored contiguously, in arrival order", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shoplog-slices-'));
    dirs.push(dir);
    const store = createSqliteLogStore({ path: join(dir, 'events.db') });
    const appended: string[] = [];
    const logs = Object.assign(Object.create(store) as LogStore, {
      appendBatch: (...args: Parameters<LogStore['appendBatch']>) => {
        for (const event of args[0]) appended.push(event.service?.name ?? '');
        return store.appendBatch(...args);
      },
    });
    t = await startTestServer({ stores: { logs }, fraudScoring: 'off' });
    const server = t;
    const bodyOf = (service: string): string =>
      Array.from({ length: 3000 }, (_, i) => ({ ...perfEvent(`/r/${i % 5}`, 3), service: { name: service } }))
        .map((e) => JSON.stringify(e))
        .join('\n');
    const send = (body: string) => server.call('/api/logs/_bulk', { key: server.keys.ingest, method: 'POST', body });
    const [a, b] = await Promise.all([send(bodyOf('first')), send(bodyOf('second'))]);
    expect([a.status, b.status]).toEqual([200, 200]);
    // 6 000 events in two runs of 3 000, whichever request the server read first.
    const runs = appended.filter((name, i) => i === 0 || name !== appended[i - 1]);
    expect(runs.sort()).toEqual(['first', 'second']);
    expect(appended).toHaveLength(6000);
  });

  it('numbers a rejected line by its place across slices, and a fraud verdict in a later slice still counts', async () => {
    t = await startTestServer();
    // Line 1–25: a card-testing burst that carries client verdicts 2 000 lines later (another slice); filler between;
    // a bad line at 1 500 and, at the end, a retry of line 1.
    const judged = cardTestingAttempts('sliced-judged');
    const filler: ShoplogEvent[] = Array.from({ length: 2000 }, (_, i) => perfEvent(`/filler/${i % 7}`, 5 + (i % 50)));
    const lines = [...judged, ...filler, ...judged.map(clientVerdict)].map((e) => JSON.stringify(e));
    lines.splice(1499, 0, '{"not": json');
    lines.push(lines[0] as string);
    const res = await t.call('/api/logs/_bulk', { key: t.keys.ingest, method: 'POST', body: lines.join('\n') });
    expect(res.status).toBe(200);
    const reply = (await res.json()) as BulkReply;
    expect(reply.items).toEqual([expect.objectContaining({ line: 1500, status: 400, result: 'error' })]);
    expect(reply).toMatchObject({ created: lines.length - 2, duplicates: 1, failed: 1 });
    await t.server.stores.logs.refresh();
    // The judged transactions' alerts are exactly the client's verdicts: the server scored none of them.
    const alerts = (await (await t.call('/api/fraud/alerts?range=24h', { key: t.keys.read })).json()) as {
      alerts: { transaction_id: string; reasons: { code: string }[] }[];
    };
    const ids = new Set(judged.map((e) => (e.shop as { transaction: { id: string } }).transaction.id));
    const mine = alerts.alerts.filter((a) => ids.has(a.transaction_id));
    expect(mine).toHaveLength(judged.length);
    expect(mine.every((a) => a.reasons[0]?.code === 'CLIENT_RULE')).toBe(true);
  });
});
