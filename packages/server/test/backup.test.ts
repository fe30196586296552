/**
 * Backup and restore: `shoplog backup DIR` (a separate process) copies a live server's databases while it ingests;
 * `shoplog restore DIR` puts them in another data folder; the restored store answers as the original did for the
 * copied events, and its copied index answers as an index rebuilt from the copied events does.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import {
  backupDataDir,
  createSqliteLogStore,
  generateTraffic,
  restoreDataDir,
  type BackupManifest,
  type LogStore,
} from '../src/index.js';
import { startTestServer, type TestServer } from './helpers.js';

const run = promisify(execFile);
const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli.js');
const HOUR = 3_600_000;

const dirs: string[] = [];
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'shoplog-backup-'));
  dirs.push(dir);
  return dir;
};
const openStore = (dir: string): LogStore => {
  const store = createSqliteLogStore({ path: join(dir, 'events.db') });
  closers.push(() => store.close());
  return store;
};

async function ingest(t: TestServer, count: number, seed: number): Promise<void> {
  const lines = [...generateTraffic({ count, days: 2, seed })].map((e) => JSON.stringify(e)).join('\n');
  const res = await t.call('/api/logs/_bulk', { key: t.keys.ingest, method: 'POST', body: lines });
  expect(res.status).toBe(200);
}

/** Answers of the store to a set of queries, for comparison. */
async function answers(store: LogStore): Promise<unknown> {
  const all = { range: { from: 0, to: Date.now() + HOUR } };
  const page = await store.search({
    filter: { ...all, text: 'payment' },
    sort: { field: '@timestamp', order: 'desc' },
    page: 1,
    size: 50,
  });
  return {
    count: await store.count(all),
    transactions: await store.count({ ...all, kinds: ['transaction'] }),
    text: { total: page.total, ids: page.hits.map((hit) => hit.id) },
    services: await store.terms(all, 'service'),
    hours: await store.histogram(all, { intervalMs: HOUR, errors: true }),
    amounts: await store.stats(all, 'amount'),
    users: await store.cardinality(all, 'user_id'),
    latency: (await store.latency({ ...all, kinds: ['performance'] }, 'route')).overall,
  };
}

const cliEnv = (dataDir: string) => ({ ...process.env, SHOPLOG_DATA_DIR: dataDir });

describe.skipIf(!existsSync(cli))('backup and restore (shoplog backup / restore)', () => {
  it('copies a live server while it ingests; the restored store holds exactly the copied events, its index agrees with a rebuilt one', async () => {
    const t = await startTestServer({ ingestRateLimit: 100_000 });
    closers.push(() => t.close());
    await ingest(t, 3000, 1);
    let ingesting = true;
    let seed = 100;
    const load = (async () => {
      while (ingesting) await ingest(t, 300, seed++);
    })();
    const out = join(tempDir(), 'backup');
    const { stdout } = await run(process.execPath, [cli, 'backup', out], { env: cliEnv(t.dir) });
    const during = seed;
    ingesting = false;
    await load;
    expect(stdout).toMatch(/backed up \d+ events/);
    expect(during).toBeGreaterThan(100); // the copy ran while batches were being ingested
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as BackupManifest;
    expect(manifest.files.map((f) => f.name).sort()).toEqual([
      'events.db',
      'events.index.db',
      'events.timeline.db',
      'meta.db',
    ]);
    expect(manifest.events).toBeGreaterThanOrEqual(3000);

    const restored = tempDir();
    const res = await run(process.execPath, [cli, 'restore', out], { env: cliEnv(restored) });
    expect(res.stdout).toMatch(new RegExp(`restored ${manifest.events} events`));
    // The same backup restored again, its index files dropped: rebuilt from the copied events.
    const rebuilt = tempDir();
    await restoreDataDir({ from: out, dataDir: rebuilt });
    rmSync(join(rebuilt, 'events.index.db'));
    rmSync(join(rebuilt, 'events.timeline.db'));

    const b = openStore(restored);
    const c = openStore(rebuilt);
    await b.refresh();
    await c.refresh();
    expect(await b.count({})).toBe(manifest.events);
    expect(await answers(b)).toEqual(await answers(c));
    // Every copied event is the original's, byte for byte (a sample across the copy).
    const original = t.server.stores.logs;
    const sample = await b.search({ filter: {}, sort: { field: '@timestamp', order: 'asc' }, page: 1, size: 1000 });
    for (const hit of sample.hits.filter((_, i) => i % 10 === 0)) expect(await original.get(hit.id)).toEqual(hit.event);
    // The metadata came along: the original's keys open the restored server.
    const restoredServer = await startTestServer({ dataDir: restored });
    closers.push(() => restoredServer.close());
    expect((await restoredServer.call('/api/logs/types', { key: t.keys.read })).status).toBe(200);
  }, 180_000);

  it('a restored quiet server answers every query as the original', async () => {
    const t = await startTestServer({ ingestRateLimit: 100_000 });
    closers.push(() => t.close());
    await ingest(t, 4000, 7);
    await t.server.stores.logs.refresh();
    const out = join(tempDir(), 'backup');
    const manifest = await backupDataDir({ dataDir: t.dir, out });
    expect(manifest.events).toBe(4000);
    const restored = tempDir();
    await restoreDataDir({ from: out, dataDir: restored });
    const b = openStore(restored);
    await b.refresh();
    expect(await answers(b)).toEqual(await answers(t.server.stores.logs));
  }, 120_000);

  it('refuses to overwrite a data folder without --force, and a damaged backup', async () => {
    const t = await startTestServer();
    closers.push(() => t.close());
    await ingest(t, 50, 3);
    const out = join(tempDir(), 'backup');
    await backupDataDir({ dataDir: t.dir, out });
    await expect(backupDataDir({ dataDir: t.dir, out })).rejects.toThrow(/not empty/);
    const target = tempDir();
    await restoreDataDir({ from: out, dataDir: target });
    await expect(restoreDataDir({ from: out, dataDir: target })).rejects.toThrow(/already holds .*events\.db.*--force/);
    await restoreDataDir({ from: out, dataDir: target, force: true });
    writeFileSync(join(out, 'events.db'), 'not a database');
    await expect(restoreDataDir({ from: out, dataDir: tempDir() })).rejects.toThrow(
      /events.db .* does not match its manifest/,
    );
  });
});
