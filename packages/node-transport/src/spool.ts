import {
  closeSync,
  fsyncSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { QueuedEntry } from './sink.js';
import { SpoolOwner, type SpoolDirs } from './spool-dir.js';

/** When spool writes are forced to disk. */
export type FsyncPolicy = 'always' | 'batch' | 'none';

/**
 * Where events that cannot be delivered now wait, oldest first. What `shift()` hands out stays stored until it is
 * `ack`ed, so a crash in between sends it again (harmless: delivery is idempotent on `event.id`).
 */
export interface Spool {
  /** Stores entries after everything stored. `false`: they could not be stored (said once; counted by the caller). */
  push(entries: readonly QueuedEntry[]): boolean;
  /** Stores entries before everything stored: a batch that was in flight goes back ahead of what was spooled since. */
  unshift(entries: readonly QueuedEntry[]): boolean;
  /** The oldest stored entries (up to `maxCount`, or `maxBytes` once there is one), still stored; `undefined` when empty. */
  shift(maxCount: number, maxBytes: number): SpoolChunk | undefined;
  /** Forgets a chunk from `shift()`: it was delivered or dead-lettered. */
  ack(chunk: SpoolChunk): void;
  /** Bytes stored (approximate once a replay has started). */
  readonly pendingBytes: number;
  /** Makes what is stored durable and releases file handles; the spool can still be written afterwards. */
  close(): void;
}

/** A run of stored entries from `shift()`. */
export interface SpoolChunk {
  readonly entries: QueuedEntry[];
}

/** Settings of `createFileSpool`. */
export interface FileSpoolOptions {
  /** Resolved directories (configured and fallback). */
  dirs: SpoolDirs;
  fsync: FsyncPolicy;
  /** Size at which the segment being appended to is closed and a new one started. */
  segmentBytes: number;
  /** Receives a stored line that cannot be read back (a torn write from a crash). */
  corrupt: (line: string) => void;
  /** Receives a failure to write or read the spool. */
  warn: (text: string) => void;
}

interface Segment {
  dir: string;
  seq: number;
  /** Lines of this segment already delivered (the replay cursor, kept in the file name). */
  line: number;
  /** Bytes written, and bytes acknowledged since this process opened it. */
  bytes: number;
  done: number;
  /** Lines before this one were already read once (a corrupt line is reported once, however often it is read). */
  read: number;
}

interface FileChunk extends SpoolChunk {
  segment: Segment;
  /** Line index after the last entry. */
  end: number;
  /** Bytes of the lines read (corrupt ones included). */
  bytes: number;
  /** This chunk finishes its segment. */
  last: boolean;
}

// `seg-<sequence>-<owner>[@<replayed lines>].ndjson`: the owner part keeps processes that share the directory apart,
// the cursor in the name moves with the segment when another process takes it over (one atomic rename).
const SEGMENT = /^seg-(\d{16})-(\d+-[0-9a-f]{8})(?:@(\d+))?\.ndjson$/;
// Written by versions before owners: `seg-<n>.ndjson` plus one `cursor.json` for the oldest.
const LEGACY = /^seg-(\d{12})\.ndjson$/;
const OWNER = /^owner-(\d+-[0-9a-f]{8})\.json$/;

/** Creates the file spool: append-only NDJSON segments, per owning process, replayed oldest first. */
export function createFileSpool(options: FileSpoolOptions): Spool {
  return new FileSpool(options);
}

/**
 * Writes are synchronous on purpose: the spool is used when the backend is down and on the `exit` path, where only
 * synchronous I/O still runs. Nothing is created before the first write.
 */
class FileSpool implements Spool {
  private readonly owner = new SpoolOwner();
  /** This process's segments (its own and those taken over), oldest first. */
  private readonly segments: Segment[] = [];
  private active: { segment: Segment; fd: number } | undefined;
  private cached: { segment: Segment; lines: string[] } | undefined;
  private bytes = 0;
  private lastSeq = 0;

  constructor(private readonly o: FileSpoolOptions) {
    for (const dir of o.dirs.existing()) this.adopt(dir);
  }

  get pendingBytes(): number {
    return this.bytes;
  }

  push(entries: readonly QueuedEntry[]): boolean {
    if (entries.length === 0) return true;
    return this.guard(() => {
      if (this.active === undefined) {
        const segment = this.create(this.nextSeq());
        if (segment === undefined) return false;
        this.active = { segment, fd: openSync(this.path(segment), 'a') };
        this.insert(segment);
      }
      const size = writeLines(this.active.fd, entries);
      this.active.segment.bytes += size;
      this.bytes += size;
      if (this.o.fsync !== 'none') fsyncSync(this.active.fd);
      if (this.active.segment.bytes >= this.o.segmentBytes) this.rotate();
      return true;
    });
  }

  unshift(entries: readonly QueuedEntry[]): boolean {
    if (entries.length === 0) return true;
    return this.guard(() => {
      // Before the oldest; after it only when that is a segment of an older version numbered from 0.
      const first = this.segments[0]?.seq;
      const segment = this.create(
        first !== undefined && first > 0 ? Math.min(first, this.nextSeq()) - 1 : this.nextSeq(),
      );
      if (segment === undefined) return false;
      const fd = openSync(this.path(segment), 'wx');
      try {
        segment.bytes = writeLines(fd, entries);
        if (this.o.fsync !== 'none') fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      this.bytes += segment.bytes;
      this.insert(segment);
      return true;
    });
  }

  shift(maxCount: number, maxBytes: number): FileChunk | undefined {
    const segment = this.segments[0];
    if (segment === undefined) return undefined;
    if (segment === this.active?.segment) this.rotate();
    if (this.cached?.segment !== segment) {
      let text = '';
      try {
        text = readFileSync(this.path(segment), 'utf8');
      } catch (err) {
        // Removed behind our back: nothing left to replay from it.
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
          this.o.warn(`cannot read spool segment ${this.path(segment)}: ${(err as Error).message}`);
      }
      const lines = text.split('\n');
      if (lines.at(-1) === '') lines.pop();
      this.cached = { segment, lines };
    }
    const lines = this.cached.lines;
    const entries: QueuedEntry[] = [];
    let bytes = 0;
    let i = segment.line;
    const now = Date.now();
    for (; i < lines.length && entries.length < maxCount && (bytes < maxBytes || entries.length === 0); i++) {
      const line = lines[i] ?? '';
      const head = parseHead(line);
      // A torn write from a crash: kept for a person to look at, never dropped silently.
      if (head === undefined) {
        if (i >= segment.read) this.o.corrupt(line);
      } else entries.push({ line, id: head.id, dataset: head.dataset, at: now });
      bytes += Buffer.byteLength(line) + 1;
    }
    segment.read = Math.max(segment.read, i);
    return { entries, segment, end: i, bytes, last: i >= lines.length };
  }

  ack(chunk: SpoolChunk): void {
    const { segment, end, bytes, last } = chunk as FileChunk;
    const index = this.segments.indexOf(segment);
    // A chunk that read no line (an empty segment, left by a crash) still finishes its segment.
    if (index === -1 || (!last && end <= segment.line)) return;
    const before = this.path(segment);
    if (last) {
      this.segments.splice(index, 1);
      if (this.cached?.segment === segment) this.cached = undefined;
      this.bytes -= Math.max(0, segment.bytes - segment.done);
      this.guard(() => {
        rmSync(before, { force: true });
        return true;
      });
    } else {
      this.bytes -= bytes;
      segment.done += bytes;
      segment.line = end;
      // A failed rename leaves the old cursor: the chunk is sent again after a restart (idempotent), never lost.
      this.guard(() => {
        renameSync(before, this.path(segment));
        return true;
      });
    }
    if (this.segments.length === 0 || this.bytes < 0) this.bytes = 0;
  }

  close(): void {
    this.guard(() => {
      this.rotate();
      return true;
    });
    this.owner.release((dir) => this.segments.some((s) => s.dir === dir));
  }

  /** Closes the segment being appended to, so the next push starts a new one. */
  private rotate(): void {
    if (this.active === undefined) return;
    const { fd } = this.active;
    this.active = undefined;
    try {
      if (this.o.fsync !== 'none') fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  /** A new segment of this owner in the writable directory (the owner file first); `undefined`: nowhere to write. */
  private create(seq: number): Segment | undefined {
    const dir = this.o.dirs.writable();
    if (dir === undefined) return undefined;
    try {
      this.owner.claim(dir);
    } catch (err) {
      // The directory went away since it was chosen: choose again once.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      this.o.dirs.retry();
      const again = this.o.dirs.writable();
      if (again === undefined) return undefined;
      this.owner.claim(again);
      return { dir: again, seq, line: 0, bytes: 0, done: 0, read: 0 };
    }
    return { dir, seq, line: 0, bytes: 0, done: 0, read: 0 };
  }

  /** Takes over what earlier or dead processes left in `dir`, and finds this process's own segments. */
  private adopt(dir: string): void {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      return;
    }
    const legacyCursor = readLegacyCursor(dir, names);
    const dead = new Set<string>();
    for (const name of names) {
      const ownerName = OWNER.exec(name);
      if (ownerName && !this.owner.isAlive(dir, ownerName[1] as string)) dead.add(ownerName[1] as string);
      const m = SEGMENT.exec(name);
      const legacy = m ? undefined : LEGACY.exec(name);
      if (!m && !legacy) continue;
      const owner = m ? (m[2] as string) : '';
      if (m && this.owner.isAlive(dir, owner)) continue;
      const seq = Number(m ? m[1] : legacy?.[1]);
      const line = m ? Number(m[3] ?? 0) : legacyCursor?.seq === seq ? legacyCursor.line : 0;
      const segment: Segment = { dir, seq, line, bytes: 0, done: 0, read: 0 };
      try {
        // The owner file first, so that nobody takes this segment from us in turn; a lost race is ENOENT.
        this.owner.claim(dir);
        renameSync(join(dir, name), this.path(segment));
        segment.bytes = statSync(this.path(segment)).size;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
          this.o.warn(`cannot take over spooled segment ${join(dir, name)}: ${(err as Error).message}`);
        continue;
      }
      this.insert(segment);
      this.bytes += segment.bytes;
    }
    for (const owner of dead) this.owner.forget(dir, owner);
    if (legacyCursor) rmSync(join(dir, 'cursor.json'), { force: true });
  }

  private insert(segment: Segment): void {
    let i = this.segments.length;
    while (i > 0 && (this.segments[i - 1] as Segment).seq > segment.seq) i--;
    this.segments.splice(i, 0, segment);
    this.lastSeq = Math.max(this.lastSeq, segment.seq);
  }

  /** Sequence numbers follow the clock (µs), so what a restarted process spools sorts after what it took over. */
  private nextSeq(): number {
    this.lastSeq = Math.max(Date.now() * 1000, this.lastSeq + 1);
    return this.lastSeq;
  }

  private path(s: Segment): string {
    return join(
      s.dir,
      `seg-${String(s.seq).padStart(16, '0')}-${this.owner.id}${s.line > 0 ? `@${s.line}` : ''}.ndjson`,
    );
  }

  /** Runs a file operation; a failure is reported and becomes `false`, never an exception in the app. */
  private guard(op: () => boolean): boolean {
    try {
      return op();
    } catch (err) {
      this.o.warn(
        `spool write failed in ${this.active?.segment.dir ?? this.o.dirs.configured}: ${(err as Error).message}`,
      );
      return false;
    }
  }
}

function writeLines(fd: number, entries: readonly QueuedEntry[]): number {
  let text = '';
  for (const e of entries) text += e.line + '\n';
  const buf = Buffer.from(text);
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off);
  return buf.length;
}

function readLegacyCursor(dir: string, names: readonly string[]): { seq: number; line: number } | undefined {
  if (!names.includes('cursor.json')) return undefined;
  try {
    const c = JSON.parse(readFileSync(join(dir, 'cursor.json'), 'utf8')) as { seq?: unknown; line?: unknown };
    return typeof c.seq === 'number' && typeof c.line === 'number' ? { seq: c.seq, line: c.line } : undefined;
  } catch {
    return undefined;
  }
}

function parseHead(line: string): { id: string; dataset: string } | undefined {
  try {
    const doc = JSON.parse(line) as { event?: { id?: unknown; dataset?: unknown } };
    const id = doc.event?.id;
    return typeof id === 'string'
      ? { id, dataset: typeof doc.event?.dataset === 'string' ? doc.event.dataset : '' }
      : undefined;
  } catch {
    return undefined;
  }
}
