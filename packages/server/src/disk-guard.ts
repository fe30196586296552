import { statfs, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HttpError } from './http/errors.js';
import type { LogStore } from './ports.js';

/** How often the free space of the data folder is measured. */
const CHECK_INTERVAL_MS = 5_000;
/** Free space needed after a write failed for lack of space before ingest resumes (when the floor is lower). */
const FULL_RECOVERY_BYTES = 4 * 1_048_576;

/** The state of the data folder's disk, as `/api/dashboard/health` and `/metrics` report it. */
export interface DiskState {
  /** `low`: below the floor; `full`: a write failed for lack of space; `read_only`: the folder cannot be written. */
  status: 'ok' | 'low' | 'full' | 'read_only' | 'error';
  /** Bytes an unprivileged writer may still use (`statfs` bavail × bsize), when measured. */
  freeBytes?: number;
  floorBytes: number;
  /** Why ingest is refused, for people. */
  message?: string;
}

/** Answered by ingest while the disk guard holds: 507, retryable (clients spool and send again later). */
export class InsufficientStorageError extends HttpError {
  /** Creates the error with the reason given to the client. */
  constructor(message: string) {
    super(507, 'insufficient_storage', message, undefined, { 'retry-after': '30' });
    this.name = 'InsufficientStorageError';
  }
}

/** Watches the free space and writability of the data folder and refuses appends when either runs out. */
export interface DiskGuard {
  readonly state: DiskState;
  /** Measures now. */
  check(): Promise<DiskState>;
  /** Records a write that failed for a disk reason (see `diskFailure`): refused until a measure finds room again. */
  trip(failure: Pick<DiskState, 'status' | 'message'>): void;
  /** Stops the periodic measure. */
  close(): void;
}

/** Options of `createDiskGuard`. */
export interface DiskGuardOptions {
  /** The data folder. */
  dir: string;
  /** Free bytes below which ingest is refused (0: only failed writes trip the guard). */
  minFreeBytes: number;
  /** @default 5000 */
  intervalMs?: number;
  /** Called when the state changes (to log it once). */
  onChange?(state: DiskState): void;
}

// SQLite primary result codes: SQLITE_READONLY 8, SQLITE_IOERR 10, SQLITE_FULL 13.
const DISK_CODES = new Set([8, 10, 13]);

/** What a failed write says about the disk, or `undefined` when it is another failure. */
export function diskFailure(error: unknown): Pick<DiskState, 'status' | 'message'> | undefined {
  const code = (error as { errcode?: unknown } | undefined)?.errcode;
  const text = error instanceof Error ? error.message : String(error);
  const sqlite = typeof code === 'number' ? code & 0xff : undefined;
  if (sqlite === 13 || /ENOSPC|disk is full/i.test(text))
    return { status: 'full', message: `the data folder's disk is full (${text})` };
  if (sqlite === 8 || /EROFS|read-?only/i.test(text))
    return { status: 'read_only', message: `the data folder is read-only (${text})` };
  if ((sqlite !== undefined && DISK_CODES.has(sqlite)) || /disk I\/O error|EIO\b/i.test(text))
    return { status: 'error', message: `the data folder cannot be written (${text})` };
  return undefined;
}

const mib = (bytes: number): string => `${Math.round(bytes / 1_048_576)} MiB`;

/** Measures the data folder every few seconds (`statfs`, a probe file written and removed); see `guardAppends`. */
export function createDiskGuard(options: DiskGuardOptions): DiskGuard {
  let state: DiskState = { status: 'ok', floorBytes: options.minFreeBytes };
  const set = (next: DiskState): DiskState => {
    const changed = next.status !== state.status;
    state = next;
    if (changed) options.onChange?.(next);
    return next;
  };
  const measure = async (): Promise<DiskState> => {
    const floorBytes = options.minFreeBytes;
    try {
      // A real write: a file system remounted read-only after an error (ext4 errors=remount-ro) still passes an
      // access(W_OK) check, but refuses to create a file.
      const probe = join(options.dir, '.disk-probe');
      await writeFile(probe, '');
      await unlink(probe);
    } catch (error) {
      const failure = diskFailure(error) ?? {
        status: 'error' as const,
        message: `the data folder cannot be written (${(error as Error).message})`,
      };
      return set({ ...failure, floorBytes });
    }
    try {
      const fs = await statfs(options.dir);
      const freeBytes = Number(fs.bavail) * Number(fs.bsize);
      if (freeBytes < floorBytes) {
        return set({
          status: 'low',
          freeBytes,
          floorBytes,
          message: `${mib(freeBytes)} free in the data folder, below the floor of ${mib(floorBytes)} (SHOPLOG_MIN_FREE_DISK_MB): free space or raise the disk`,
        });
      }
      // A write that failed for lack of space stays refused until some room is back (a few free pages are not).
      if (state.status === 'full' && freeBytes < Math.max(floorBytes, FULL_RECOVERY_BYTES))
        return set({ ...state, freeBytes });
      return set({ status: 'ok', freeBytes, floorBytes });
    } catch (error) {
      return set({
        status: 'error',
        floorBytes,
        message: `cannot measure the data folder's disk: ${(error as Error).message}`,
      });
    }
  };
  // One measure at a time: two would share the probe file, and one would fail to remove what the other removed.
  let running: Promise<DiskState> | undefined;
  const check = (): Promise<DiskState> =>
    (running ??= measure().finally(() => {
      running = undefined;
    }));
  const timer = setInterval(() => void check(), options.intervalMs ?? CHECK_INTERVAL_MS);
  timer.unref();
  void check();
  return {
    get state() {
      return state;
    },
    check,
    trip(failure) {
      set({ ...failure, floorBytes: options.minFreeBytes });
    },
    close() {
      clearInterval(timer);
    },
  };
}

/**
 * The log store with appends refused (`InsufficientStorageError`, 507) while the guard holds, and a write that fails
 * for a disk reason (full, read-only, I/O) turned into the same answer instead of a 500. Nothing is acknowledged
 * unless committed, so a client that spools and retries loses nothing; queries go to the store unchanged.
 */
export function guardAppends(logs: LogStore, guard: DiskGuard): LogStore {
  const guarded = Object.create(logs) as LogStore;
  guarded.appendBatch = async (events, texts) => {
    const state = guard.state;
    if (state.status !== 'ok') throw new InsufficientStorageError(`ingest is paused: ${state.message ?? state.status}`);
    try {
      return await logs.appendBatch(events, texts);
    } catch (error) {
      const failure = diskFailure(error);
      if (!failure) throw error;
      guard.trip(failure);
      throw new InsufficientStorageError(`ingest is paused: ${failure.message ?? failure.status}`);
    }
  };
  return guarded;
}
