import { existsSync, statfsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { parseArgs } from 'node:util';
import { backupDataDir, BACKUP_FILES, restoreDataDir } from './backup.js';
import { loadServerConfig } from './config-file.js';
import { eraseSubject, parseErasureSubject } from './erasure.js';
import { createMemoryCache } from './store/memory-cache.js';
import { createSqliteLogStore } from './store/sqlite-log-store.js';
import { createSqliteMetaStore } from './store/sqlite-meta-store.js';

/** Usage lines of the operations commands (`shoplog help`). */
export const OPS_USAGE = `  erase --user ID | --email ADDR [--server URL]   erase a person's events (GDPR art. 17); with --server (and
                                               SHOPLOG_API_KEY, admin) through a running server, else in the data dir (server stopped)
  backup DIR                                   copy the databases of the data dir, also while the server runs
  restore DIR [--force]                        restore a backup into the data dir (server stopped)
  vacuum                                       compact the data dir's databases and turn on incremental vacuum (server stopped)`;

async function erase(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { user: { type: 'string' }, email: { type: 'string' }, server: { type: 'string' } } });
  const subject = parseErasureSubject({ userId: values.user, email: values.email });
  if (values.server) {
    const key = process.env['SHOPLOG_API_KEY'];
    if (!key) throw new Error('--server needs SHOPLOG_API_KEY (an admin key)');
    const res = await fetch(new URL('/api/admin/erase', values.server), {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify('userId' in subject ? { user_id: subject.userId } : { email: subject.email }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`the server answered ${res.status}: ${text}`);
    console.log(text);
    return;
  }
  const { config } = await loadServerConfig();
  const logs = createSqliteLogStore({ path: join(config.dataDir, 'events.db'), synchronous: config.synchronous, indexNice: 0 });
  const meta = createSqliteMetaStore({ path: join(config.dataDir, 'meta.db') });
  try {
    const record = await eraseSubject({ logs, meta, cache: createMemoryCache(), velocity: [] }, subject, 'cli');
    console.log(`erased ${record.counts.events} events (audit record ${record.id}, subject hash ${record.subject.hash})`);
  } finally {
    await logs.close();
    await meta.close();
  }
}

async function backupCommand(args: string[]): Promise<void> {
  const [out] = args;
  if (!out) throw new Error('usage: shoplog backup DIR');
  const manifest = await backupDataDir({ dataDir: (await loadServerConfig()).config.dataDir, out });
  console.log(`backed up ${manifest.events} events (${manifest.files.map((f) => `${f.name} ${f.bytes} B`).join(', ')}) to ${out}`);
}

async function restoreCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { force: { type: 'boolean', default: false } } });
  const [from] = positionals;
  if (!from) throw new Error('usage: shoplog restore DIR [--force]');
  const dataDir = (await loadServerConfig()).config.dataDir;
  const manifest = await restoreDataDir({ from, dataDir, force: values.force });
  console.log(`restored ${manifest.events} events from the backup of ${manifest.createdAt} into ${dataDir}`);
}

/**
 * Rewrites each database with `auto_vacuum=INCREMENTAL` (files created before it reuse their free pages but never
 * give them back) and without free pages. Needs the file's size free on the disk, and the server stopped.
 */
async function vacuum(): Promise<void> {
  const dataDir = (await loadServerConfig()).config.dataDir;
  for (const name of BACKUP_FILES) {
    const path = join(dataDir, name);
    if (!existsSync(path)) continue;
    const size = statSync(path).size;
    const fs = statfsSync(dataDir);
    if (Number(fs.bavail) * Number(fs.bsize) < size) throw new Error(`vacuum of ${name} needs ${size} bytes free beside it`);
    const db = new DatabaseSync(path);
    try {
      db.exec('PRAGMA busy_timeout=5000; PRAGMA auto_vacuum=INCREMENTAL; VACUUM;');
    } finally {
      db.close();
    }
    console.log(`${name}: ${size} → ${statSync(path).size} bytes, incremental vacuum on`);
  }
}

/** The operations commands of the CLI: erase, backup, restore, vacuum. */
export const OPS_COMMANDS: Record<string, (args: string[]) => Promise<void>> = {
  erase,
  backup: backupCommand,
  restore: restoreCommand,
  vacuum: () => vacuum(),
};
