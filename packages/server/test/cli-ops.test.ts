/**
 * The operations commands of the built CLI on a data folder whose server is stopped: `shoplog erase` (with its
 * audit record) and `shoplog vacuum` (a file created before incremental vacuum is converted and compacted); and
 * `shoplog erase --server` through a running server's admin API.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';

// Child processes, real file systems and several stores: slow on a loaded machine (no timing is asserted).
vi.setConfig({ testTimeout: 120_000 });
import { createFraudScorer, fraudStateKeys, STATE_KINDS } from '@shoplog/core';
import { Redis } from 'ioredis';
import { createRedisFraudStateStore } from '../src/adapters/redis/index.js';
import { createSqliteLogStore, createSqliteMetaStore } from '../src/index.js';
import { REDIS_URL, deletePrefix, uniquePrefix } from './adapters/redis-env.js';
import { ADMIN_KEY, startTestServer, txEvent } from './helpers.js';

const run = promisify(execFile);
const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli.js');
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'shoplog-cli-ops-'));
  dirs.push(dir);
  return dir;
};
// Without REDIS_URL unless a test sets it: `shoplog erase` would erase the shared fraud state there too.
const env = (dataDir: string, extra: Record<string, string> = {}) => ({
  ...process.env,
  REDIS_URL: '',
  SHOPLOG_DATA_DIR: dataDir,
  ...extra,
});

describe.skipIf(!existsSync(cli))('shoplog erase / vacuum', () => {
  it('erases a user in a stopped data folder and records it', async () => {
    const dir = tempDir();
    const store = createSqliteLogStore({ path: join(dir, 'events.db') });
    await store.appendBatch([
      txEvent({ user: 'cli-user', message: 'to forget' }),
      txEvent({ user: 'other', message: 'to keep' }),
    ]);
    await store.close();
    const { stdout } = await run(process.execPath, [cli, 'erase', '--user', 'cli-user'], { env: env(dir) });
    expect(stdout).toMatch(/^erased 1 events \(audit record [0-9a-f-]+, subject hash [0-9a-f]{64}\)/);
    const reopened = createSqliteLogStore({ path: join(dir, 'events.db') });
    await reopened.refresh();
    expect(await reopened.count({})).toBe(1);
    expect(
      (
        await reopened.search({
          filter: { text: 'forget' },
          sort: { field: '@timestamp', order: 'desc' },
          page: 1,
          size: 5,
        })
      ).total,
    ).toBe(0);
    await reopened.close();
    const meta = createSqliteMetaStore({ path: join(dir, 'meta.db') });
    expect((await meta.listAuditRecords(5)).map((r) => [r.actor, r.counts.events])).toEqual([['cli', 1]]);
    await meta.close();
    await expect(
      run(process.execPath, [cli, 'erase', '--user', 'a', '--email', 'b@c.d'], { env: env(dir) }),
    ).rejects.toThrow(/exactly one/);
  });

  it.skipIf(!REDIS_URL)(
    "with REDIS_URL, also erases the person's fraud profile the servers share in Redis",
    async () => {
      const dir = tempDir();
      const store = createSqliteLogStore({ path: join(dir, 'events.db') });
      await store.appendBatch([txEvent({ user: 'cli-redis-user', message: 'to forget' })]);
      await store.close();
      const prefix = uniquePrefix();
      const fraudState = createRedisFraudStateStore({ url: REDIS_URL, keyPrefix: prefix });
      const redis = new Redis(REDIS_URL!);
      try {
        await createFraudScorer({ profileStore: fraudState }).score({
          userId: 'cli-redis-user',
          amount: 2500,
          currency: 'EUR',
        });
        const [account] = fraudStateKeys({ userIds: ['cli-redis-user'] });
        const key = `${prefix}fraud:${STATE_KINDS[account!.kind]}:${(account!.hi >>> 0).toString(16).padStart(8, '0')}${(account!.lo >>> 0).toString(16).padStart(8, '0')}`;
        expect(await redis.exists(key)).toBe(1);
        const { stdout } = await run(process.execPath, [cli, 'erase', '--user', 'cli-redis-user'], {
          env: env(dir, { REDIS_URL: REDIS_URL!, SHOPLOG_REDIS_PREFIX: prefix }),
        });
        expect(stdout).toMatch(/^erased 1 events, fraud state: 1 records deleted \(audit record /);
        expect(await redis.exists(key)).toBe(0);
      } finally {
        await redis.quit();
        await fraudState.close();
        await deletePrefix(prefix);
      }
    },
  );

  it('erases through a running server with --server and an admin key', async () => {
    const t = await startTestServer();
    try {
      const res = await t.call('/api/logs/ingest', {
        key: t.keys.ingest,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(txEvent({ user: 'remote-user' })),
      });
      expect(res.status).toBe(201);
      const { stdout } = await run(
        process.execPath,
        [cli, 'erase', '--email', 'nobody@example.com', '--server', t.url],
        { env: env(tempDir(), { SHOPLOG_API_KEY: ADMIN_KEY }) },
      );
      expect(JSON.parse(stdout)).toMatchObject({ action: 'erase', counts: { events: 0 } });
      const byUser = await run(process.execPath, [cli, 'erase', '--user', 'remote-user', '--server', t.url], {
        env: env(tempDir(), { SHOPLOG_API_KEY: ADMIN_KEY }),
      });
      expect(JSON.parse(byUser.stdout)).toMatchObject({ counts: { events: 1 } });
    } finally {
      await t.close();
    }
  });

  it('converts a database made before incremental vacuum and gives its free pages back', async () => {
    const dir = tempDir();
    // A file as an older version wrote it: auto_vacuum off, then most of its rows deleted.
    const old = new DatabaseSync(join(dir, 'events.db'));
    old.exec(
      'PRAGMA auto_vacuum=NONE; PRAGMA journal_mode=WAL; CREATE TABLE events (seq INTEGER PRIMARY KEY, id TEXT NOT NULL, ts INTEGER NOT NULL, doc TEXT NOT NULL)',
    );
    const insert = old.prepare('INSERT INTO events (id, ts, doc) VALUES (?, 0, ?)');
    for (let i = 0; i < 2000; i++) insert.run(`id-${i}`, 'x'.repeat(2000));
    old.exec('DELETE FROM events WHERE seq > 10');
    const pages = () => Number((old.prepare('PRAGMA page_count').get() as { page_count: number }).page_count);
    const before = pages();
    old.close();
    const { stdout } = await run(process.execPath, [cli, 'vacuum'], { env: env(dir) });
    expect(stdout).toMatch(/events\.db: \d+ → \d+ bytes, incremental vacuum on/);
    const after = new DatabaseSync(join(dir, 'events.db'));
    expect((after.prepare('PRAGMA auto_vacuum').get() as { auto_vacuum: number }).auto_vacuum).toBe(2);
    expect(Number((after.prepare('PRAGMA page_count').get() as { page_count: number }).page_count)).toBeLessThan(
      before / 10,
    );
    expect((after.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n).toBe(10);
    after.close();
  });
});
