import type { DependencyHealth } from './adapters/scale-out.js';
import type { PluginHealth } from './plugins.js';
import type { DiskState } from './disk-guard.js';
import type { SocketIngestStats } from './ingest/socket-ingest.js';
import type { Cache, IndexStatus, LogStore, MetaStore, StoreStatus } from './ports.js';

/** What backs a dependency (`other` for a store given to the server without a health check). */
export type DependencyKind = 'sqlite' | 'elasticsearch' | 'redis' | 'mongodb' | 'memory' | 'other';

/** The state of one dependency, as `GET /api/dashboard/health` reports it. */
export interface DependencyStatus {
  /** What the server uses it for: `logs`, `meta`, `cache`, `velocity`, `fraud_state`, `rate_limits`. */
  name: string;
  kind: DependencyKind;
  status: 'ok' | 'down';
  /** Round trip of the probe in milliseconds (of the store's latest read, when it reports its state from memory). */
  latency_ms?: number;
  /** Why it is down. */
  error?: string;
}

/** How far search is behind the stored events: per indexer, the events stored but not yet indexed (`pending`). */
export interface IndexReport {
  committed: number;
  /** Events stored but not yet searchable (the most any indexer still has to do). */
  pending: number;
  parts: { name: string; indexed: number; pending: number; error?: string }[];
}

/**
 * The body of `GET /api/dashboard/health`: `down` when the event store is down, `degraded` when anything else is;
 * `index` when the event store indexes after the ack (the embedded one). An index catching up is not a fault.
 */
export interface HealthReport {
  status: 'ok' | 'degraded' | 'down';
  dependencies: DependencyStatus[];
  index?: IndexReport;
  /** The data folder's disk (embedded store): while `status` is not `ok`, ingest answers 507 and `message` says why. */
  disk?: { status: DiskState['status']; free_bytes?: number; floor_bytes: number; message?: string };
  /** What the TCP/UDP listeners did with the lines they read (when they run): stored, rejected, dropped. */
  ingest?: SocketIngestStats;
  /** Every plugin the server runs (ingest processors, notification channels) with its counters and state. */
  plugins?: PluginHealth[];
}

/** Checks dependencies the server cannot probe itself (scale-out backends); names it returns replace the built-in probes. */
export type HealthCheck = () => Promise<DependencyStatus[]>;

// Which server roles each scale-out backend serves (see createScaleOut).
const ROLES: Record<string, { kind: DependencyKind; names: string[] }> = {
  elasticsearch: { kind: 'elasticsearch', names: ['logs'] },
  redis: { kind: 'redis', names: ['cache', 'velocity', 'fraud_state', 'rate_limits'] },
  mongodb: { kind: 'mongodb', names: ['meta'] },
};

/** Adapts `createScaleOut(...).health` to the server's `health` option (one entry per role each backend serves). */
export function scaleOutHealthCheck(health: () => Promise<Record<string, DependencyHealth>>): HealthCheck {
  return async () => {
    const out: DependencyStatus[] = [];
    for (const [backend, result] of Object.entries(await health())) {
      const role = ROLES[backend] ?? { kind: 'other' as const, names: [backend] };
      for (const name of role.names) {
        out.push({
          name,
          kind: role.kind,
          status: result.status === 'up' ? 'ok' : 'down',
          ...(result.latencyMs === undefined ? {} : { latency_ms: result.latencyMs }),
          ...(result.status === 'up' ? {} : { error: result.detail }),
        });
      }
    }
    return out;
  };
}

async function probe(name: string, kind: DependencyKind, run: () => Promise<unknown>): Promise<DependencyStatus> {
  const started = performance.now();
  try {
    await run();
    return { name, kind, status: 'ok', latency_ms: Math.round((performance.now() - started) * 100) / 100 };
  } catch (error) {
    return { name, kind, status: 'down', error: error instanceof Error ? error.message : String(error) };
  }
}

function fromStatus(kind: DependencyKind, state: StoreStatus): DependencyStatus {
  return {
    name: 'logs',
    kind,
    status: state.status,
    ...(state.latencyMs === undefined ? {} : { latency_ms: state.latencyMs }),
    ...(state.error === undefined ? {} : { error: state.error }),
  };
}

/** What the server knows about its stores, to probe those no health check covers. */
export interface HealthSources {
  stores: { logs: LogStore; meta: MetaStore; cache: Cache };
  /** The kind of each store (embedded ones are known; given ones are `other`). */
  kinds: { logs: DependencyKind; meta: DependencyKind; cache: DependencyKind; velocity: DependencyKind };
  check?: HealthCheck | undefined;
  /** The disk guard's state, when the server watches its data folder. */
  disk?: DiskState | undefined;
}

/** Builds the health report: the given check's entries, plus a cheap probe of each store it does not cover. */
export async function healthReport(sources: HealthSources): Promise<HealthReport> {
  const { stores, kinds } = sources;
  let given: DependencyStatus[] = [];
  if (sources.check) {
    try {
      given = await sources.check();
    } catch (error) {
      given = [
        {
          name: 'health_check',
          kind: 'other',
          status: 'down',
          error: error instanceof Error ? error.message : String(error),
        },
      ];
    }
  }
  const covered = new Set(given.map((d) => d.name));
  const probes: Promise<DependencyStatus>[] = [];
  // The event store's own state when it keeps one (from memory: answered at once however busy it is); else cheap
  // reads: the newest event, an unknown user id, an unknown cache key.
  if (!covered.has('logs'))
    probes.push(
      stores.logs.status
        ? Promise.resolve(fromStatus(kinds.logs, stores.logs.status()))
        : probe('logs', kinds.logs, () => stores.logs.recent({ limit: 1 })),
    );
  if (!covered.has('meta')) probes.push(probe('meta', kinds.meta, () => stores.meta.getUserById('health-probe')));
  if (!covered.has('cache')) probes.push(probe('cache', kinds.cache, () => stores.cache.get('health:probe')));
  // An in-process store cannot be down; a given store without a check is not reported rather than guessed.
  if (!covered.has('velocity') && kinds.velocity === 'memory')
    probes.push(Promise.resolve({ name: 'velocity', kind: kinds.velocity, status: 'ok' }));
  const dependencies = [...(await Promise.all(probes)), ...given];
  const down = dependencies.filter((d) => d.status === 'down');
  const diskBad = sources.disk !== undefined && sources.disk.status !== 'ok';
  const index = indexReport(stores.logs);
  // An indexer retrying a failed batch is a fault (search falls behind until it passes); catching up is not.
  const failing = index?.parts.some((part) => part.error !== undefined) ?? false;
  const status = down.some((d) => d.name === 'logs')
    ? 'down'
    : down.length > 0 || diskBad || failing
      ? 'degraded'
      : 'ok';
  const disk = sources.disk && {
    status: sources.disk.status,
    ...(sources.disk.freeBytes === undefined ? {} : { free_bytes: sources.disk.freeBytes }),
    floor_bytes: sources.disk.floorBytes,
    ...(sources.disk.message === undefined ? {} : { message: sources.disk.message }),
  };
  return { status, dependencies, ...(index ? { index } : {}), ...(disk ? { disk } : {}) };
}

function indexReport(logs: LogStore): IndexReport | undefined {
  let status: IndexStatus | undefined;
  try {
    status = logs.indexStatus?.();
  } catch {
    return undefined; // a closed store: the probe above reports it down
  }
  if (!status) return undefined;
  const parts = status.parts.map((part) => ({ ...part, pending: Math.max(0, status.committed - part.indexed) }));
  return { committed: status.committed, pending: Math.max(0, ...parts.map((part) => part.pending)), parts };
}
