import type * as NodeSqlite from 'node:sqlite';
import { nodeVersionProblem } from './node-version.js';

/** Flags for the server's worker threads: Node 22 prints `ExperimentalWarning: SQLite …` once per thread otherwise. */
export const WORKER_EXEC_ARGV = ['--disable-warning=ExperimentalWarning'];

const isSqliteWarning = (warning: Error): boolean =>
  warning.name === 'ExperimentalWarning' && /\bSQLite\b/.test(warning.message);

/**
 * Loads `node:sqlite` through `process.getBuiltinModule` instead of a static import, so an older Node.js gets one
 * sentence (a static import fails at link time with a stack trace before any code runs), and so Node 22's
 * `ExperimentalWarning: SQLite …` is not printed: Node emits it on the next tick, and only that one warning is held
 * back from the listeners (every other warning reaches them as before).
 */
function loadSqlite(): typeof NodeSqlite {
  const problem = nodeVersionProblem();
  if (problem) throw new Error(problem);
  const listeners = process.listeners('warning');
  process.removeAllListeners('warning');
  const filter = (warning: Error): void => {
    if (isSqliteWarning(warning)) return;
    for (const listener of listeners) listener.call(process, warning);
  };
  process.on('warning', filter);
  try {
    const sqlite = process.getBuiltinModule('node:sqlite') as typeof NodeSqlite | undefined;
    if (!sqlite)
      throw new Error(
        `the Shoplog server needs node:sqlite, which this Node.js ${process.versions.node} does not have.`,
      );
    return sqlite;
  } finally {
    // After the tick on which Node delivers the warning, the listeners are put back as they were.
    process.nextTick(() => {
      process.removeListener('warning', filter);
      for (const listener of listeners) process.on('warning', listener);
    });
  }
}

const sqlite = loadSqlite();

/** `node:sqlite`'s `DatabaseSync`, loaded once (see `loadSqlite`). */
export const DatabaseSync: typeof NodeSqlite.DatabaseSync = sqlite.DatabaseSync;
/** A `node:sqlite` database connection. */
export type DatabaseSync = NodeSqlite.DatabaseSync;
/** `node:sqlite`'s online `backup()`, loaded once (see `loadSqlite`). */
export const backup: typeof NodeSqlite.backup = sqlite.backup;
