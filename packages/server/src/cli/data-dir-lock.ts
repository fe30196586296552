import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from '../store/node-sqlite.js';

/** Who holds a data folder: written beside the lock for the message a second process gets. */
interface LockOwner {
  pid: number;
  command: string;
  url?: string;
}

/** An exclusive hold on a data folder, released by `release()` or by the end of the process (even a kill -9). */
export interface DataDirLock {
  /** Records the server's URL for the message another process gets. */
  setUrl(url: string): void;
  release(): void;
}

/** Thrown when another process holds the data folder; the message says who and what to do. */
export class DataDirLockedError extends Error {
  override name = 'DataDirLockedError';
  constructor(
    message: string,
    /** The holder, when it could be read. */
    readonly owner: LockOwner | undefined,
  ) {
    super(message);
  }
}

function readOwner(path: string): LockOwner | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as LockOwner;
  } catch {
    return undefined;
  }
}

/** The live process holding a data folder, read without touching the lock (`undefined`: nobody holds it now). */
export function dataDirHolder(dir: string): LockOwner | undefined {
  const owner = readOwner(join(dir, 'shoplog.lock.json'));
  if (!owner) return undefined;
  try {
    process.kill(owner.pid, 0);
    return owner;
  } catch (error) {
    // EPERM: alive, another user's. ESRCH: a holder that crashed left its note behind.
    return (error as NodeJS.ErrnoException).code === 'EPERM' ? owner : undefined;
  }
}

/**
 * Takes the data folder for this process: an exclusive SQLite lock on `<dir>/shoplog.lock` (an OS file lock, so a
 * crashed holder never leaves a stale lock behind), and `<dir>/shoplog.lock.json` naming the holder. Throws
 * `DataDirLockedError` at once when another process holds it.
 */
export function lockDataDir(dir: string, command: string): DataDirLock {
  mkdirSync(dir, { recursive: true });
  const ownerFile = join(dir, 'shoplog.lock.json');
  const db = new DatabaseSync(join(dir, 'shoplog.lock'));
  try {
    db.exec('PRAGMA busy_timeout=0; PRAGMA locking_mode=EXCLUSIVE; BEGIN EXCLUSIVE;');
  } catch {
    db.close();
    const owner = readOwner(ownerFile);
    const who = owner
      ? `shoplog ${owner.command} (pid ${owner.pid}${owner.url ? `, ${owner.url}` : ''})`
      : 'another shoplog process';
    throw new DataDirLockedError(
      `the data folder ${dir} is in use by ${who}; stop it first, or use another folder (--data-dir or SHOPLOG_DATA_DIR).`,
      owner,
    );
  }
  const owner: LockOwner = { pid: process.pid, command };
  const write = (): void => writeFileSync(ownerFile, `${JSON.stringify(owner)}\n`);
  write();
  let released = false;
  return {
    setUrl(url) {
      owner.url = url;
      write();
    },
    release() {
      if (released) return;
      released = true;
      rmSync(ownerFile, { force: true });
      db.close();
    },
  };
}
