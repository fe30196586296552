import { existsSync, statfsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { backupDataDir, BACKUP_FILES, restoreDataDir } from '../backup.js';
import { createScaleOut } from '../adapters/scale-out.js';
import { eraseSubject, parseErasureSubject } from '../erasure.js';
import { createMemoryCache } from '../store/memory-cache.js';
import { DatabaseSync } from '../store/node-sqlite.js';
import { createSqliteLogStore } from '../store/sqlite-log-store.js';
import { createSqliteMetaStore } from '../store/sqlite-meta-store.js';
import { loadCliConfig, UsageError, type CliArgs } from './args.js';
import { lockDataDir } from './data-dir-lock.js';

const text = (args: CliArgs, name: string): string | undefined => {
  const value = args.values[name];
  return typeof value === 'string' ? value : undefined;
};

/** Runs `work` holding the data folder: refused, naming the holder, while a server (or another command) uses it. */
async function holding<T>(args: CliArgs, command: string, work: (dataDir: string) => Promise<T>): Promise<T> {
  const dataDir = resolve((await loadCliConfig(args)).config.dataDir);
  const lock = lockDataDir(dataDir, command);
  try {
    return await work(dataDir);
  } finally {
    lock.release();
  }
}

/** `shoplog erase`: a person's events, in the data folder (server stopped) or through a running server (`--server`). */
export async function erase(args: CliArgs): Promise<void> {
  if (args.positionals.length > 0) throw new UsageError(`erase: unexpected argument '${args.positionals[0]}'`);
  const subject = parseErasureSubject({ userId: text(args, 'user'), email: text(args, 'email') });
  const server = text(args, 'server');
  if (server) {
    const key = process.env['SHOPLOG_API_KEY'];
    if (!key) throw new Error('--server needs SHOPLOG_API_KEY (an admin key)');
    const res = await fetch(new URL('/api/admin/erase', server), {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify('userId' in subject ? { user_id: subject.userId } : { email: subject.email }),
    });
    const body = await res.text();
    if (!res.ok) throw new Error(`the server answered ${res.status}: ${body}`);
    console.log(body);
    return;
  }
  const { config } = await loadCliConfig(args);
  await holding(args, 'erase', async (dataDir) => {
    // With REDIS_URL, the fraud velocity and profiles the servers share live there: erased too.
    const redisUrl = process.env['REDIS_URL'];
    const shared = redisUrl
      ? await createScaleOut({ REDIS_URL: redisUrl, SHOPLOG_REDIS_PREFIX: process.env['SHOPLOG_REDIS_PREFIX'] })
      : undefined;
    const logs = createSqliteLogStore({
      path: join(dataDir, 'events.db'),
      synchronous: config.synchronous,
      indexNice: 0,
    });
    const meta = createSqliteMetaStore({ path: join(dataDir, 'meta.db') });
    try {
      const deps = {
        logs,
        meta,
        cache: createMemoryCache(),
        velocity: shared?.velocity ? [shared.velocity] : [],
        fraudState: shared?.fraudState ? [shared.fraudState] : [],
      };
      const record = await eraseSubject(deps, subject, 'cli');
      const fraud =
        record.counts.fraudState === null ? '' : `, fraud state: ${record.counts.fraudState} records deleted`;
      console.log(
        `erased ${record.counts.events} events${fraud} (audit record ${record.id}, subject hash ${record.subject.hash})`,
      );
    } finally {
      await logs.close();
      await meta.close();
      await shared?.close();
    }
  });
}

/** `shoplog backup DIR`: an online copy of the data folder's databases, also while the server runs. */
export async function backup(args: CliArgs): Promise<void> {
  const [out, ...extra] = args.positionals;
  if (!out || extra.length > 0) throw new UsageError('backup: expected one DIR');
  const manifest = await backupDataDir({ dataDir: (await loadCliConfig(args)).config.dataDir, out });
  console.log(
    `backed up ${manifest.events} events (${manifest.files.map((f) => `${f.name} ${f.bytes} B`).join(', ')}) to ${out}`,
  );
}

/** `shoplog restore DIR`: a checked backup back into the data folder (server stopped). */
export async function restore(args: CliArgs): Promise<void> {
  const [from, ...extra] = args.positionals;
  if (!from || extra.length > 0) throw new UsageError('restore: expected one DIR');
  await holding(args, 'restore', async (dataDir) => {
    const manifest = await restoreDataDir({ from, dataDir, force: args.values['force'] === true });
    console.log(`restored ${manifest.events} events from the backup of ${manifest.createdAt} into ${dataDir}`);
  });
}

/**
 * `shoplog vacuum`: rewrites each database with `auto_vacuum=INCREMENTAL` (files created before it reuse their free
 * pages but never give them back) and without free pages. Needs the file's size free on the disk, and the server
 * stopped.
 */
export async function vacuum(args: CliArgs): Promise<void> {
  if (args.positionals.length > 0) throw new UsageError(`vacuum: unexpected argument '${args.positionals[0]}'`);
  await holding(args, 'vacuum', async (dataDir) => {
    for (const name of BACKUP_FILES) {
      const path = join(dataDir, name);
      if (!existsSync(path)) continue;
      const size = statSync(path).size;
      const fs = statfsSync(dataDir);
      if (Number(fs.bavail) * Number(fs.bsize) < size)
        throw new Error(`vacuum of ${name} needs ${size} bytes free beside it`);
      const db = new DatabaseSync(path);
      try {
        db.exec('PRAGMA busy_timeout=5000; PRAGMA auto_vacuum=INCREMENTAL; VACUUM;');
      } finally {
        db.close();
      }
      console.log(`${name}: ${size} → ${statSync(path).size} bytes, incremental vacuum on`);
    }
  });
}
