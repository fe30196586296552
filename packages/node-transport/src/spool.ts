import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { ItemIssue, QueuedEntry } from './sink.js';

/** When spool writes are forced to disk. */
export type FsyncPolicy = 'always' | 'batch' | 'none';

/** Spool settings, already validated by the engine's options schema. */
export interface SpoolConfig {
  dir: string;
  fsync: FsyncPolicy;
  segmentBytes: number;
}

/** A run of spooled entries handed to the sink; `ack` it once delivered. */
export interface SpoolChunk {
  entries: QueuedEntry[];
  seq: number;
  /** Line index after the last entry of this chunk. */
  end: number;
  /** This chunk finishes its segment. */
  last: boolean;
}

const SEGMENT = /^seg-(\d{12})\.ndjson$/;
const segName = (seq: number) => `seg-${String(seq).padStart(12, '0')}.ndjson`;

/**
 * Append-only NDJSON segments in one directory, replayed oldest first. Writes are synchronous on purpose: the
 * spool is used when the backend is down and on the `exit` path, where only synchronous I/O still runs.
 * A cursor file records how far the oldest segment was replayed, so a crash mid-replay resumes there
 * (a line sent twice is harmless: delivery is idempotent on `event.id`).
 */
export class Spool {
  readonly dir: string;
  private readonly cfg: SpoolConfig;
  private readonly segments: number[] = [];
  private nextSeq = 1;
  private activeFd: number | undefined;
  private activeSeq = 0;
  private activeBytes = 0;
  private cursorSeq = 0;
  private cursorLine = 0;
  private cached: { seq: number; lines: string[] } | undefined;
  private bytes = 0;
  private dlqFd: number | undefined;

  constructor(cfg: SpoolConfig) {
    this.cfg = cfg;
    this.dir = cfg.dir;
    mkdirSync(cfg.dir, { recursive: true });
    for (const name of readdirSync(cfg.dir)) {
      const m = SEGMENT.exec(name);
      if (!m) continue;
      const seq = Number(m[1]);
      this.segments.push(seq);
      this.bytes += statSync(join(cfg.dir, name)).size;
    }
    this.segments.sort((a, b) => a - b);
    this.nextSeq = (this.segments.at(-1) ?? 0) + 1;
    try {
      const cursor = JSON.parse(readFileSync(join(cfg.dir, 'cursor.json'), 'utf8')) as { seq?: number; line?: number };
      if (typeof cursor.seq === 'number' && typeof cursor.line === 'number') {
        this.cursorSeq = cursor.seq;
        this.cursorLine = cursor.line;
      }
    } catch {
      // No cursor: nothing of the oldest segment was replayed yet.
    }
  }

  /** Bytes currently held in segments (approximate once replay has started). */
  get pendingBytes(): number {
    return this.bytes;
  }

  /** Whether anything waits for replay. */
  get hasPending(): boolean {
    return this.segments.length > 0;
  }

  /** Reserves a segment number for a batch taken from memory now, so that if it is spooled later it sorts before anything spooled meanwhile. */
  reserve(): number {
    this.rotate();
    return this.nextSeq++;
  }

  /** Writes a batch as its own segment (numbered by `reserve()`, or next). */
  writeSegment(entries: readonly QueuedEntry[], seq: number = this.reserve()): void {
    if (entries.length === 0) return;
    const fd = openSync(join(this.dir, segName(seq)), 'a');
    try {
      const size = this.writeLines(fd, entries);
      if (this.cfg.fsync !== 'none') fsyncSync(fd);
      this.bytes += size;
    } finally {
      closeSync(fd);
    }
    this.insertSegment(seq);
  }

  /** Appends entries to the active overflow segment (rotated at `segmentBytes`). */
  append(entries: readonly QueuedEntry[]): void {
    if (entries.length === 0) return;
    if (this.activeFd === undefined) {
      this.activeSeq = this.nextSeq++;
      this.activeFd = openSync(join(this.dir, segName(this.activeSeq)), 'a');
      this.activeBytes = 0;
      this.insertSegment(this.activeSeq);
    }
    const size = this.writeLines(this.activeFd, entries);
    this.activeBytes += size;
    this.bytes += size;
    if (this.cfg.fsync === 'always') fsyncSync(this.activeFd);
    if (this.activeBytes >= this.cfg.segmentBytes) this.rotate();
  }

  /** Reads up to `maxCount` entries / `maxBytes` from the oldest segment, after the cursor. */
  next(maxCount: number, maxBytes: number): SpoolChunk | undefined {
    const seq = this.segments[0];
    if (seq === undefined) return undefined;
    if (seq === this.activeSeq) this.rotate();
    if (this.cached?.seq !== seq) {
      let text = '';
      try {
        text = readFileSync(join(this.dir, segName(seq)), 'utf8');
      } catch {
        // Removed behind our back: treat as empty.
      }
      const lines = text.split('\n');
      if (lines.at(-1) === '') lines.pop();
      this.cached = { seq, lines };
    }
    const lines = this.cached.lines;
    let i = this.cursorSeq === seq ? this.cursorLine : 0;
    const entries: QueuedEntry[] = [];
    let bytes = 0;
    const now = Date.now();
    for (; i < lines.length && entries.length < maxCount && (bytes < maxBytes || entries.length === 0); i++) {
      const line = lines[i] ?? '';
      const parsed = parseHead(line);
      if (!parsed) {
        // A torn write from a crash: keep it for a person to look at, never drop it silently.
        this.deadLetter(line, 'corrupt spool line (torn write?)');
        continue;
      }
      entries.push({ line, id: parsed.id, dataset: parsed.dataset, at: now });
      bytes += line.length + 1;
    }
    return { entries, seq, end: i, last: i >= lines.length };
  }

  /** Records that a chunk from `next()` was delivered (or dead-lettered). */
  ack(chunk: SpoolChunk): void {
    let bytes = 0;
    for (const e of chunk.entries) bytes += e.line.length + 1;
    this.bytes = Math.max(0, this.bytes - bytes);
    if (chunk.last) {
      rmSync(join(this.dir, segName(chunk.seq)), { force: true });
      this.segments.shift();
      this.cached = undefined;
      this.cursorSeq = 0;
      this.cursorLine = 0;
      rmSync(join(this.dir, 'cursor.json'), { force: true });
      if (this.segments.length === 0) this.bytes = 0;
      return;
    }
    this.cursorSeq = chunk.seq;
    this.cursorLine = chunk.end;
    const tmp = join(this.dir, 'cursor.json.tmp');
    const fd = openSync(tmp, 'w');
    writeSync(fd, JSON.stringify({ seq: chunk.seq, line: chunk.end }));
    if (this.cfg.fsync === 'always') fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, join(this.dir, 'cursor.json'));
  }

  /** Appends a document that can never be stored to `dead-letter.ndjson` with the reason. */
  deadLetter(line: string, reason: string, issues?: ItemIssue[]): void {
    this.dlqFd ??= openSync(join(this.dir, 'dead-letter.ndjson'), 'a');
    writeSync(this.dlqFd, JSON.stringify({ reason, issues: issues ?? [], line }) + '\n');
    if (this.cfg.fsync !== 'none') fsyncSync(this.dlqFd);
  }

  /** Closes the active segment so further appends start a new one. */
  rotate(): void {
    if (this.activeFd === undefined) return;
    if (this.cfg.fsync !== 'none') fsyncSync(this.activeFd);
    closeSync(this.activeFd);
    this.activeFd = undefined;
    this.activeSeq = 0;
  }

  /** Flushes and closes every file handle. */
  close(): void {
    this.rotate();
    if (this.dlqFd !== undefined) {
      closeSync(this.dlqFd);
      this.dlqFd = undefined;
    }
  }

  private writeLines(fd: number, entries: readonly QueuedEntry[]): number {
    let text = '';
    for (const e of entries) text += e.line + '\n';
    const buf = Buffer.from(text);
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off);
    return buf.length;
  }

  private insertSegment(seq: number): void {
    let i = this.segments.length;
    while (i > 0 && (this.segments[i - 1] ?? 0) > seq) i--;
    this.segments.splice(i, 0, seq);
  }
}

function parseHead(line: string): { id: string; dataset: string } | undefined {
  try {
    const doc = JSON.parse(line) as { event?: { id?: unknown; dataset?: unknown } };
    const id = doc.event?.id;
    return typeof id === 'string' ? { id, dataset: typeof doc.event?.dataset === 'string' ? doc.event.dataset : '' } : undefined;
  } catch {
    return undefined;
  }
}
