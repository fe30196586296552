import type { QueuedEntry } from './sink.js';

// 256 KiB: a few hundred typical events per chunk, so the JS heap holds one small Buffer object per chunk.
const CHUNK_BYTES = 256 * 1024;

/**
 * A queued entry whose line is kept as UTF-8 bytes in a shared chunk outside the JS heap. The engine may hold
 * events for up to `flushIntervalMs`; as strings they survived young-generation collections (copied, then
 * promoted and collected by the old generation: V8's GC threads cost more than the event itself). `line` decodes
 * on demand for sinks and the spool; the HTTP sink sends the bytes as they are (`ndjsonParts`).
 */
export class PackedEntry implements QueuedEntry {
  constructor(
    /** The chunk holding the line's bytes, followed by a newline. */
    readonly chunk: Buffer,
    /** Where the line starts in `chunk`. */
    readonly offset: number,
    /** Bytes of the line in UTF-8 (no newline). */
    readonly size: number,
    readonly id: string,
    readonly dataset: string,
    readonly at: number,
  ) {}

  get line(): string {
    return this.chunk.toString('utf8', this.offset, this.offset + this.size);
  }
}

/**
 * Writes lines into chunks of bytes, one after the other, each followed by its newline: lines packed one after the
 * other are already NDJSON, and a batch of them is sent as views of the chunks (`ndjsonParts`), not copied. A full
 * chunk is left to the entries that point into it (freed with the last of them), never reused, so an entry a sink
 * keeps, or a body being written, stays valid.
 */
export class LinePacker {
  private chunk = Buffer.allocUnsafeSlow(CHUNK_BYTES);
  private pos = 0;

  pack(line: string, id: string, dataset: string, at: number): PackedEntry {
    // UTF-8 takes at most 3 bytes per UTF-16 unit: only near the end of a chunk is the exact size needed.
    if (this.chunk.length - this.pos <= line.length * 3) {
      const need = Buffer.byteLength(line) + 1;
      if (this.chunk.length - this.pos < need) {
        this.chunk = Buffer.allocUnsafeSlow(Math.max(CHUNK_BYTES, need));
        this.pos = 0;
      }
    }
    const start = this.pos;
    const size = this.chunk.write(line, start);
    this.chunk[start + size] = 0x0a;
    this.pos = start + size + 1;
    return new PackedEntry(this.chunk, start, size, id, dataset, at);
  }
}

/** Bytes an entry holds in the queue: its NDJSON line in UTF-8 plus the newline. */
export const entryBytes = (e: QueuedEntry): number =>
  (e instanceof PackedEntry ? e.size : Buffer.byteLength(e.line)) + 1;

/**
 * The NDJSON body of a batch (each line and a newline) as consecutive parts: a run of lines packed one after the
 * other in one chunk is one view of that chunk (no copy, no decoding); other lines are encoded on their own.
 */
export function ndjsonParts(batch: readonly QueuedEntry[]): { parts: Buffer[]; length: number } {
  const parts: Buffer[] = [];
  let length = 0;
  let chunk: Buffer | undefined;
  let start = 0;
  let end = 0;
  for (const e of batch) {
    if (e instanceof PackedEntry) {
      length += e.size + 1;
      if (e.chunk === chunk && e.offset === end) {
        end += e.size + 1;
        continue;
      }
      if (chunk) parts.push(chunk.subarray(start, end));
      chunk = e.chunk;
      start = e.offset;
      end = start + e.size + 1;
    } else {
      if (chunk) parts.push(chunk.subarray(start, end));
      chunk = undefined;
      const bytes = Buffer.from(`${e.line}\n`);
      parts.push(bytes);
      length += bytes.length;
    }
  }
  if (chunk) parts.push(chunk.subarray(start, end));
  return { parts, length };
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
