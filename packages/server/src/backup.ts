import { createHash } from 'node:crypto';
import {
  createReadStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  copyFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { backup, DatabaseSync } from './store/node-sqlite.js';

/**
 * The database files of a data folder, in the order they are copied: the metadata, then the two index files, then
 * the events. An index copied before the events never holds an event the events copy lacks (its mark is at most the
 * events' newest seq), so the restored indexers resume where their copy stopped.
 */
export const BACKUP_FILES = ['meta.db', 'events.timeline.db', 'events.index.db', 'events.db'] as const;

/** What a backup folder holds (`manifest.json`, written last: a folder without it is not a backup). */
export interface BackupManifest {
  format: 1;
  createdAt: string;
  /** Events in the copy, and the newest seq. */
  events: number;
  maxSeq: number;
  files: { name: string; bytes: number; sha256: string }[];
}

/** Options of `backupDataDir`. */
export interface BackupOptions {
  /** The data folder of a server, running or not. */
  dataDir: string;
  /** The backup folder: created, and must be empty. */
  out: string;
  /** Copies tried when a purge (retention, erasure) finished during one. @default 5 */
  attempts?: number;
}

/** Pages per backup step: all of them, so each file is copied in one read transaction (a consistent snapshot). */
const ALL_PAGES = 2_147_483_647;

const sha256 = (path: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });

/** Events deleted so far by purges (the counter the maintenance keeps in the events file; 0 before the first). */
function purgedCount(db: DatabaseSync): number {
  const table = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'maintenance_state'").get();
  if (!table) return 0;
  return Number(
    (db.prepare("SELECT value FROM maintenance_state WHERE key = 'purged'").get() as { value: number } | undefined)
      ?.value ?? 0,
  );
}

function open(path: string): DatabaseSync {
  const db = new DatabaseSync(path);
  db.exec('PRAGMA busy_timeout=10000');
  return db;
}

/**
 * Copies the databases of a data folder, while its server runs and ingests, with SQLite's online backup: each file
 * is one consistent snapshot (a read transaction; writers are not blocked), the index files before the events. A
 * purge that completed between the first and the last copy could leave index rows of events the copy lacks: the
 * purge counter is compared and the copy taken again. Writes `manifest.json` (sizes, SHA-256, event count) last.
 */
export async function backupDataDir(options: BackupOptions): Promise<BackupManifest> {
  const present = BACKUP_FILES.filter((name) => existsSync(join(options.dataDir, name)));
  if (!present.includes('events.db') && !present.includes('meta.db'))
    throw new Error(`no Shoplog databases in ${options.dataDir}`);
  if (existsSync(options.out) && readdirSync(options.out).length > 0)
    throw new Error(`the backup folder ${options.out} is not empty`);
  mkdirSync(options.out, { recursive: true });
  const attempts = options.attempts ?? 5;
  for (let attempt = 1; ; attempt++) {
    const events = present.includes('events.db') ? open(join(options.dataDir, 'events.db')) : undefined;
    const before = events ? purgedCount(events) : 0;
    try {
      for (const name of present) {
        const source = name === 'events.db' && events ? events : open(join(options.dataDir, name));
        try {
          await backup(source, join(options.out, name), { rate: ALL_PAGES });
        } finally {
          if (source !== events) source.close();
        }
      }
    } finally {
      events?.close();
    }
    const copy = present.includes('events.db') ? new DatabaseSync(join(options.out, 'events.db')) : undefined;
    try {
      if (copy && purgedCount(copy) !== before && attempt < attempts) {
        for (const name of present) rmSync(join(options.out, name), { force: true });
        continue;
      }
      if (copy && purgedCount(copy) !== before)
        throw new Error(`events were purged during each of ${attempts} copies: try again later`);
      // A purge tombstone (sqlite-purge.ts) is a row with an empty `doc`; a packed body is a zero-length BLOB.
      const stats = copy
        ? (copy
            .prepare(
              "SELECT (SELECT COUNT(*) FROM events WHERE typeof(doc) <> 'text' OR doc <> '') AS n, (SELECT COALESCE(MAX(seq), 0) FROM events) AS max",
            )
            .get() as { n: number; max: number })
        : { n: 0, max: 0 };
      const files = [];
      for (const name of present) {
        const path = join(options.out, name);
        files.push({ name, bytes: statSync(path).size, sha256: await sha256(path) });
      }
      const manifest: BackupManifest = {
        format: 1,
        createdAt: new Date().toISOString(),
        events: Number(stats.n),
        maxSeq: Number(stats.max),
        files,
      };
      writeFileSync(join(options.out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
      return manifest;
    } finally {
      copy?.close();
    }
  }
}

/** Options of `restoreDataDir`. */
export interface RestoreOptions {
  /** A folder written by `backupDataDir`. */
  from: string;
  /** The data folder to restore into (its server stopped). */
  dataDir: string;
  /** Replace the databases a data folder already holds. @default false */
  force?: boolean;
}

/**
 * Restores a backup into a data folder whose server is stopped: checks every file against the manifest (size and
 * SHA-256), refuses to replace existing databases unless `force`, then moves each file in place (copy beside,
 * rename over, stale WAL and shared-memory files removed first).
 */
export async function restoreDataDir(options: RestoreOptions): Promise<BackupManifest> {
  const manifestPath = join(options.from, 'manifest.json');
  if (!existsSync(manifestPath)) throw new Error(`${options.from} is not a Shoplog backup (no manifest.json)`);
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as BackupManifest;
  if (manifest.format !== 1) throw new Error(`unknown backup format ${String(manifest.format)}`);
  for (const file of manifest.files) {
    if (!(BACKUP_FILES as readonly string[]).includes(file.name))
      throw new Error(`unexpected file ${file.name} in the manifest`);
    const path = join(options.from, file.name);
    if (!existsSync(path) || statSync(path).size !== file.bytes || (await sha256(path)) !== file.sha256) {
      throw new Error(`${file.name} in ${options.from} does not match its manifest: the backup is damaged`);
    }
  }
  mkdirSync(options.dataDir, { recursive: true });
  const existing = BACKUP_FILES.filter((name) => existsSync(join(options.dataDir, name)));
  if (existing.length > 0 && !options.force) {
    throw new Error(
      `${options.dataDir} already holds ${existing.join(', ')}: stop its server and pass --force to replace them`,
    );
  }
  // Index files that the backup lacks would not match the restored events: they are rebuilt from them.
  for (const name of BACKUP_FILES) {
    for (const suffix of ['-wal', '-shm', '-journal'])
      rmSync(join(options.dataDir, `${name}${suffix}`), { force: true });
    if (!manifest.files.some((file) => file.name === name)) rmSync(join(options.dataDir, name), { force: true });
  }
  for (const file of manifest.files) {
    const target = join(options.dataDir, file.name);
    copyFileSync(join(options.from, file.name), `${target}.restoring`);
    renameSync(`${target}.restoring`, target);
  }
  return manifest;
}
