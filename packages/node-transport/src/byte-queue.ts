import type { QueuedEntry } from './sink.js';

// 256 KiB: a few hundred typical events per chunk, so the JS heap holds one small Buffer object per chunk.
const CHUNK_BYTES = 256 * 1024;

/**
 * A queued entry whose line is kept as UTF-8 bytes in a shared chunk outside the JS heap. The engine may hold
 * events for up to `flushIntervalMs`; as strings they survived young-generation collections (copied, then
 * promoted and collected by the old generation: V8's GC threads cost more than the event itself). `line` decodes
 * on demand for sinks and the spool; the HTTP sink copies the bytes without decoding (`ndjsonBody`).
 */
export class PackedEntry implements QueuedEntry {
  constructor(
    private readonly chunk: Buffer,
    private readonly offset: number,
    /** Bytes of the line in UTF-8 (no newline). */
    readonly size: number,
    readonly id: string,
    readonly dataset: string,
    readonly at: number,
  ) {}

  get line(): string {
    return this.chunk.toString('utf8', this.offset, this.offset + this.size);
  }

  /** Copies the line's bytes to `target` at `pos`; returns the position after them. */
  copyTo(target: Buffer, pos: number): number {
    return pos + this.chunk.copy(target, pos, this.offset, this.offset + this.size);
  }
}

/**
 * Writes lines into chunks of bytes, one after the other. A full chunk is left to the entries that point into it
 * (freed with the last of them), never reused, so an entry a sink keeps stays valid.
 */
export class LinePacker {
  private chunk = Buffer.allocUnsafeSlow(CHUNK_BYTES);
  private pos = 0;

  pack(line: string, id: string, dataset: string, at: number): PackedEntry {
    // UTF-8 takes at most 3 bytes per UTF-16 unit: only near the end of a chunk is the exact size needed.
    if (this.chunk.length - this.pos < line.length * 3) {
      const need = Buffer.byteLength(line);
      if (this.chunk.length - this.pos < need) {
        this.chunk = Buffer.allocUnsafeSlow(Math.max(CHUNK_BYTES, need));
        this.pos = 0;
      }
    }
    const start = this.pos;
    const size = this.chunk.write(line, start);
    this.pos = start + size;
    return new PackedEntry(this.chunk, start, size, id, dataset, at);
  }
}

/** Bytes an entry holds in the queue: its NDJSON line in UTF-8 plus the newline. */
export const entryBytes = (e: QueuedEntry): number => (e instanceof PackedEntry ? e.size : Buffer.byteLength(e.line)) + 1;

/** The NDJSON body of a batch (each line and a newline), copying packed lines' bytes without decoding them. */
export function ndjsonBody(batch: readonly QueuedEntry[]): Buffer {
  let total = 0;
  for (const e of batch) total += entryBytes(e);
  const body = Buffer.allocUnsafe(total);
  let pos = 0;
  for (const e of batch) {
    pos = e instanceof PackedEntry ? e.copyTo(body, pos) : pos + body.write(e.line, pos);
    body[pos++] = 0x0a;
  }
  return body;
}

/**
 * A FIFO of entries that tracks its size in bytes. An array with a moving head: no per-event allocation beyond
 * the entry itself, and the consumed prefix is dropped in one slice once it is most of the array.
 */
export class ByteQueue {
  private items: QueuedEntry[] = [];
  private head = 0;
  /** Bytes of the queued lines (UTF-8, newlines included). */
  bytes = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(entry: QueuedEntry): void {
    this.items.push(entry);
    this.bytes += entryBytes(entry);
  }

  /** Removes and returns up to `maxCount` entries / `maxBytes` (at least one entry when not empty). */
  take(maxCount: number, maxBytes: number): QueuedEntry[] {
    let end = this.head;
    let bytes = 0;
    const max = Math.min(this.items.length, this.head + maxCount);
    while (end < max && (bytes < maxBytes || end === this.head)) {
      bytes += entryBytes(this.items[end] as QueuedEntry);
      end++;
    }
    const out = this.items.slice(this.head, end);
    this.head = end;
    this.bytes -= bytes;
    this.compact();
    return out;
  }

  /** Removes the oldest entries while `over(bytes)` holds; returns them. */
  shiftWhile(over: (bytes: number) => boolean): QueuedEntry[] {
    const start = this.head;
    while (this.head < this.items.length && over(this.bytes)) {
      this.bytes -= entryBytes(this.items[this.head] as QueuedEntry);
      this.head++;
    }
    const out = this.items.slice(start, this.head);
    this.compact();
    return out;
  }

  /** Removes and returns everything. */
  drain(): QueuedEntry[] {
    const out = this.head === 0 ? this.items : this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    this.bytes = 0;
    return out;
  }

  private compact(): void {
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
