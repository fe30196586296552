import { createHash, randomBytes } from 'node:crypto';
import {
  accessSync,
  constants,
  lstatSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** How often a process that owns spooled segments marks its owner file alive (for processes on other hosts). */
const HEARTBEAT_MS = 30_000;
/** An owner file on another host not marked alive for this long belongs to a dead process. */
const STALE_MS = 180_000;

/**
 * Where the spool lives: the configured directory, created on first write (never at start-up), or, when that
 * cannot be written (a read-only or non-root container, a file in the way), a private directory under the OS temp
 * dir, with one warning. A restart with the same configuration finds both again.
 */
export class SpoolDirs {
  readonly configured: string;
  readonly fallback: string;
  /** `undefined`: not chosen yet; `null`: neither directory can be written. */
  private chosen: string | null | undefined;

  constructor(
    dir: string,
    private readonly warn: (text: string) => void,
  ) {
    this.configured = resolve(dir);
    // Per user and per configured path, so two apps (or two users) never share a fallback by accident.
    const uid = process.getuid?.() ?? 'u';
    this.fallback = join(
      tmpdir(),
      `shoplog-spool-${uid}-${createHash('sha256').update(this.configured).digest('hex').slice(0, 16)}`,
    );
  }

  /** The directories that exist now and may hold what an earlier run spooled. */
  existing(): string[] {
    return [this.configured, this.fallback].filter((dir) => {
      try {
        return statSync(dir).isDirectory();
      } catch {
        return false;
      }
    });
  }

  /** The directory to write to (created now if needed); `undefined` when none can be written (said once). */
  writable(): string | undefined {
    if (this.chosen !== undefined) return this.chosen ?? undefined;
    const first = usable(this.configured, false);
    if (first.ok) return (this.chosen = this.configured);
    const second = usable(this.fallback, true);
    if (second.ok) {
      this.warn(
        `spool directory ${this.configured} cannot be written (${first.reason}): spooling to ${this.fallback} instead`,
      );
      return (this.chosen = this.fallback);
    }
    this.warn(
      `spool directory ${this.configured} cannot be written (${first.reason}), nor ${this.fallback} (${second.reason}): ` +
        "events that cannot be delivered now are dropped (metrics().dropped['spool-unwritable'])",
    );
    this.chosen = null;
    return undefined;
  }

  /** Forgets the choice, so the next write tries the configured directory again (it was removed behind our back). */
  retry(): void {
    this.chosen = undefined;
  }
}

function usable(dir: string, private_: boolean): { ok: true } | { ok: false; reason: string } {
  try {
    mkdirSync(dir, { recursive: true, mode: private_ ? 0o700 : 0o777 });
    if (private_) {
      // A predictable name under a shared temp dir: it must be our own directory, not a link someone planted.
      const st = lstatSync(dir);
      if (!st.isDirectory() || (process.getuid && st.uid !== process.getuid()))
        return { ok: false, reason: 'not a directory of this user' };
    }
    accessSync(dir, constants.W_OK);
    return { ok: true };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return { ok: false, reason: e.message.startsWith(`${e.code}:`) || !e.code ? e.message : `${e.code}: ${e.message}` };
  }
}

/** Owners of this process that have not let go (two engines of one app may share a directory). */
const liveHere = new Set<string>();

/**
 * This process as the owner of spooled segments. Several processes may share one spool directory (a cluster, a
 * restart): each writes and replays only its own segments, and takes over (renames) those of a dead owner, so no
 * segment is appended to by two processes or replayed by two. The owner file says who it is and, refreshed
 * periodically, that it is alive.
 */
export class SpoolOwner {
  readonly id = `${process.pid}-${randomBytes(4).toString('hex')}`;
  private readonly dirs = new Set<string>();
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly verdicts = new Map<string, boolean>();

  /** Writes this owner's file in `dir` (before its first segment there). */
  claim(dir: string): void {
    if (this.dirs.has(dir)) return;
    // Written whole or not at all: a half-written owner file would read as a dead owner's.
    const file = ownerFile(dir, this.id);
    writeFileSync(`${file}.tmp`, JSON.stringify({ pid: process.pid, host: hostname() }));
    renameSync(`${file}.tmp`, file);
    this.dirs.add(dir);
    liveHere.add(this.id);
    this.heartbeat ??= setInterval(() => this.beat(), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  /** Removes this owner's files (in the directories where `keep` says it holds no segment) and stops the heartbeat. */
  release(keep: (dir: string) => boolean): void {
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    liveHere.delete(this.id);
    for (const dir of this.dirs) {
      if (!keep(dir)) rmSync(ownerFile(dir, this.id), { force: true });
    }
    this.dirs.clear();
  }

  /** Whether the owner `id` of segments in `dir` is a live process (answers are kept for this process's life). */
  isAlive(dir: string, id: string): boolean {
    if (id === this.id || liveHere.has(id)) return true;
    const key = `${dir}\0${id}`;
    let alive = this.verdicts.get(key);
    if (alive === undefined) {
      alive = ownerAlive(dir, id);
      // A dead owner stays dead; a live one may die later, so only the dead verdict is kept.
      if (!alive) this.verdicts.set(key, false);
    }
    return alive;
  }

  /** Removes the owner file of a dead owner (after its segments were taken over). */
  forget(dir: string, id: string): void {
    rmSync(ownerFile(dir, id), { force: true });
  }

  private beat(): void {
    const now = new Date();
    for (const dir of this.dirs) {
      try {
        utimesSync(ownerFile(dir, this.id), now, now);
      } catch {
        // Removed or unwritable: the next write recreates it.
        this.dirs.delete(dir);
      }
    }
  }
}

const ownerFile = (dir: string, id: string) => join(dir, `owner-${id}.json`);

function ownerAlive(dir: string, id: string): boolean {
  let info: { pid?: unknown; host?: unknown };
  let mtime: number;
  try {
    const file = ownerFile(dir, id);
    mtime = statSync(file).mtimeMs;
    info = JSON.parse(readFileSync(file, 'utf8')) as typeof info;
  } catch {
    // No owner file: written by a process that crashed before it could say who it was, or by an older version.
    return false;
  }
  if (info.host === hostname() && typeof info.pid === 'number') {
    // Our own pid under an id this process does not hold: an earlier run of this container or process slot.
    if (info.pid === process.pid) return false;
    try {
      process.kill(info.pid, 0);
      return true;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EPERM';
    }
  }
  return Date.now() - mtime < STALE_MS;
}
