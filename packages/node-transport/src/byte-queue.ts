import type { QueuedEntry } from './sink.js';

/** Bytes an entry holds in the queue: its NDJSON line plus the newline. */
export const entryBytes = (e: QueuedEntry): number => e.line.length + 1;

/**
 * A FIFO of entries that tracks its size in bytes. An array with a moving head: no per-event allocation beyond
 * the entry itself, and the consumed prefix is dropped in one slice once it is most of the array.
 */
export class ByteQueue {
  private items: QueuedEntry[] = [];
  private head = 0;
  /** Bytes of the queued lines. */
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
