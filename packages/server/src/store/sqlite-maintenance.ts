import type { DatabaseSync } from 'node:sqlite';
import { Worker } from 'node:worker_threads';
import { EVENT_KINDS } from '@shoplog/core';
import type { ErasureResult, ErasureSubject, RetentionCutoffs } from '../ports.js';
import { builtExecArgv, workerFile } from './sqlite-worker-file.js';
import { createCompactor, type Compactor } from './sqlite-compactor.js';
import { createPurger, type Purger, type PurgeSchemas } from './sqlite-purge.js';
import { ROLLUP_BUCKET_MS } from './sqlite-rollups.js';

/** Events purged per step: each step holds a file's write lock for a few milliseconds. */
export const PURGE_BATCH = 256;
/** Documents read per step of an e-mail scan. */
const SCAN_BATCH = 2_000;
/** Pages returned to the file system per step of the incremental vacuum (4 MiB of 4 KiB pages). */
const RECLAIM_PAGES = 1_024;

/** The deletions of the embedded store, run off the request thread (a worker) or inline (an in-memory store). */
export interface Maintenance {
  /** Deletes the events of each kind before its cutoff, in steps; resolves with the number deleted. */
  expire(cutoffs: RetentionCutoffs): Promise<number>;
  /** Deletes the subject's events (only those both indexers have indexed: call once the index caught up). */
  erase(subject: ErasureSubject): Promise<ErasureResult>;
  /** Packs the indexed plain bodies into compressed blocks (sqlite-bodies.ts), in steps; resolves with the number packed. */
  compact(): Promise<number>;
  /** Stops the worker after the job in progress. */
  close(): Promise<void>;
}

type MaintenanceRequest =
  | { op: 'expire'; cutoffs: RetentionCutoffs }
  | { op: 'erase'; subject: ErasureSubject }
  | { op: 'compact' }
  | { op: 'close' };

/** A request to the maintenance worker. */
export type ToMaintenanceWorker = MaintenanceRequest & { id: number };

/** An answer of the maintenance worker. */
export interface FromMaintenanceWorker {
  id: number;
  result?: unknown;
  error?: string;
  /** The job was interrupted by a close. */
  stopped?: boolean;
}

/** What the maintenance worker is started with. */
export interface MaintenanceWorkerData {
  eventsPath: string;
  indexPath: string;
  timelinePath: string;
  nice: number;
}

/**
 * The jobs over a purger: each step purges at most `PURGE_BATCH` events, then `pause` lets the other writers (the
 * appends, the indexers) have the files; a crash-interrupted purge is finished first.
 */
export function createMaintenanceJobs(
  purger: Purger,
  compactor: Compactor,
  pause: (busyMs: number) => Promise<void>,
  stopping: () => boolean,
) {
  const step = async <T>(work: () => T): Promise<T> => {
    // A closing store stops a long job between two steps (a purge left queued is finished by the next job).
    if (stopping()) throw new MaintenanceStoppedError();
    const started = performance.now();
    const result = work();
    await pause(performance.now() - started);
    return result;
  };
  const reclaim = async (): Promise<void> => {
    while ((await step(() => purger.reclaim(RECLAIM_PAGES))) > 0);
  };
  return {
    async compact(): Promise<number> {
      let packed = 0;
      for (;;) {
        const n = await step(() => compactor.step(purger.indexedUpTo()));
        if (n === 0) break;
        packed += n;
      }
      // Blocks of an older layout (another codec, fewer events) packed again; after the first pass, one read per job.
      while ((await step(() => compactor.recode())) > 0);
      // Also after a job that a close interrupted before its reclaim (the migration of a big folder).
      await reclaim();
      return packed;
    },
    async expire(cutoffs: RetentionCutoffs): Promise<number> {
      const hours = new Set<number>();
      const purged = (victims: readonly { ts: number; erase: boolean }[]): number => {
        for (const victim of victims)
          if (!victim.erase && Number.isFinite(victim.ts))
            hours.add(Math.floor(victim.ts / ROLLUP_BUCKET_MS) * ROLLUP_BUCKET_MS);
        return victims.length;
      };
      let deleted = purged(await step(() => purger.resume()));
      for (const [kind, before] of Object.entries(cutoffs)) {
        if (before === undefined) continue;
        for (;;) {
          const seqs = purger.expiredSeqs(kind, before, PURGE_BATCH);
          if (seqs.length === 0) break;
          deleted += purged(await step(() => purger.purge(seqs, false)));
        }
        // Whole hours only: the cutoff is an hour boundary for the server's retention, so the rollups stay exact.
        await step(() => purger.dropRollups(kind, Math.floor(before / ROLLUP_BUCKET_MS) * ROLLUP_BUCKET_MS));
      }
      // The hours that lost events keep only the users still seen in them; a whole set goes once every kind expired.
      for (const hour of hours) await step(() => purger.pruneUserSet(hour));
      const all = EVENT_KINDS.map((kind) => cutoffs[kind]);
      if (all.every((before) => before !== undefined)) {
        const oldest = Math.min(...(all as number[]));
        await step(() => purger.dropUserSets(Math.floor(oldest / ROLLUP_BUCKET_MS) * ROLLUP_BUCKET_MS));
      }
      if (deleted > 0) await reclaim();
      return deleted;
    },
    async erase(subject: ErasureSubject): Promise<ErasureResult> {
      const userIds = new Set<string>();
      const emails = new Set<string>();
      let events = 0;
      const purge = async (seqs: number[]): Promise<void> => {
        for (const victim of await step(() => purger.purge(seqs, true))) {
          events++;
          if (victim.userId !== undefined) userIds.add(victim.userId);
          if (victim.email !== undefined) emails.add(victim.email.toLowerCase());
        }
      };
      await step(() => purger.resume());
      if ('email' in subject) {
        const needle = subject.email.trim().toLowerCase();
        emails.add(needle);
        const upTo = purger.indexedUpTo();
        for (let after = 0; after < upTo;) {
          const { seqs, last } = await step(() => purger.scanDocs(after, SCAN_BATCH, needle));
          if (last === after) break;
          after = last;
          for (let i = 0; i < seqs.length; i += PURGE_BATCH) await purge(seqs.slice(i, i + PURGE_BATCH));
        }
      } else {
        userIds.add(subject.userId);
      }
      // The events of the person's user ids: given, or met beside the e-mail address.
      for (const userId of [...userIds]) {
        for (;;) {
          const seqs = purger.userSeqs(userId, PURGE_BATCH);
          if (seqs.length === 0) break;
          await purge(seqs);
        }
      }
      if (events > 0) await reclaim();
      return { events, userIds: [...userIds], emails: [...emails] };
    },
  };
}

/** A job interrupted because the store is closing. */
export class MaintenanceStoppedError extends Error {
  /** Creates the error. */
  constructor() {
    super('the log store is closing: maintenance stopped');
    this.name = 'MaintenanceStoppedError';
  }
}

/** The schema names of a connection whose main database is the events file with both index files ATTACHed. */
export const ATTACHED_SCHEMAS: PurgeSchemas = { events: 'main', facts: 'idx', timeline: 'timeline' };

/** Maintenance on the caller's connection (an in-memory store, whose tables no other connection can see). */
export function createInlineMaintenance(db: DatabaseSync): Maintenance {
  let closing = false;
  const purger = createPurger(db, { events: 'main', facts: 'main', timeline: 'main' });
  const jobs = createMaintenanceJobs(
    purger,
    createCompactor(db),
    () => new Promise((resolve) => setImmediate(resolve)),
    () => closing,
  );
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work, work);
    queue = next.catch(() => {});
    return next;
  };
  return {
    expire: (cutoffs) => serial(() => jobs.expire(cutoffs)),
    erase: (subject) => serial(() => jobs.erase(subject)),
    compact: () => serial(() => jobs.compact()),
    close: async () => {
      closing = true;
      await queue;
    },
  };
}

/**
 * Maintenance in a worker thread with its own connection (events file as main, both index files ATTACHed), niced
 * like the indexers, started at the first job. Jobs run one at a time in arrival order.
 */
export function startMaintenanceWorker(data: MaintenanceWorkerData): Maintenance {
  let worker: Worker | undefined;
  let exited: Promise<void> = Promise.resolve();
  let nextId = 1;
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  const fail = (error: Error): void => {
    for (const waiter of pending.values()) waiter.reject(error);
    pending.clear();
    worker = undefined;
  };
  const started = (): Worker => {
    if (worker) return worker;
    const w = new Worker(workerFile('sqlite-maintenance-worker'), { workerData: data, execArgv: builtExecArgv() });
    exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
    w.on('message', (message: FromMaintenanceWorker) => {
      const waiter = pending.get(message.id);
      if (!waiter) return;
      pending.delete(message.id);
      if (message.stopped) waiter.reject(new MaintenanceStoppedError());
      else if (message.error !== undefined) waiter.reject(new Error(`maintenance: ${message.error}`));
      else waiter.resolve(message.result);
      if (pending.size === 0) w.unref();
    });
    w.on('error', fail);
    w.once('exit', () => fail(new Error('the maintenance worker exited')));
    worker = w;
    return w;
  };
  const call = <T>(request: MaintenanceRequest): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const w = started();
      const id = nextId++;
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      w.ref();
      w.postMessage({ ...request, id } satisfies ToMaintenanceWorker);
    });
  return {
    expire: (cutoffs) => call<number>({ op: 'expire', cutoffs }),
    erase: (subject) => call<ErasureResult>({ op: 'erase', subject }),
    compact: () => call<number>({ op: 'compact' }),
    async close() {
      if (!worker) return;
      worker.ref();
      worker.postMessage({ id: 0, op: 'close' } satisfies ToMaintenanceWorker);
      await exited;
    },
  };
}
