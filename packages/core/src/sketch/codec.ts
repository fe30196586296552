import { base64ToBytes, bytesToBase64 } from './base64.js';
import { sketchFromJson, type PercentileSketch, type SketchJson } from './dd-sketch.js';

// Binary layout (version 1), little-endian:
//   u8 version · f64 relativeAccuracy · varint maxBuckets · f64 sum · f64 min · f64 max · varint zero
//   · zigzag-varint offset · varint bucketCount · bucketCount × varint count
// Counts are integers, so varints make a typical latency sketch a few hundred bytes; `count` is implied.
const VERSION = 1;

class Writer {
  private bytes: Uint8Array;
  private view: DataView;
  length = 0;

  /** `capacity`: the expected size, so a typical sketch is written without growing the buffer. */
  constructor(capacity: number) {
    this.bytes = new Uint8Array(capacity);
    this.view = new DataView(this.bytes.buffer);
  }

  private ensure(extra: number): void {
    if (this.length + extra <= this.bytes.length) return;
    const next = new Uint8Array(Math.max(this.bytes.length * 2, this.length + extra));
    next.set(this.bytes);
    this.bytes = next;
    this.view = new DataView(next.buffer);
  }
  u8(v: number): void {
    this.ensure(1);
    this.bytes[this.length++] = v;
  }
  f64(v: number): void {
    this.ensure(8);
    this.view.setFloat64(this.length, v, true);
    this.length += 8;
  }
  /** Unsigned integer up to 2^53, seven bits a byte (arithmetic, since bitwise operators stop at 32 bits). */
  varint(v: number): void {
    this.ensure(8);
    while (v >= 0x80) {
      this.bytes[this.length++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.bytes[this.length++] = v;
  }
  result(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }
}

class Reader {
  private readonly view: DataView;
  private at = 0;
  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  private need(n: number): void {
    if (this.at + n > this.bytes.length) throw new RangeError('invalid sketch encoding: truncated');
  }
  u8(): number {
    this.need(1);
    return this.bytes[this.at++]!;
  }
  f64(): number {
    this.need(8);
    const v = this.view.getFloat64(this.at, true);
    this.at += 8;
    return v;
  }
  varint(): number {
    let v = 0;
    let scale = 1;
    for (;;) {
      const b = this.u8();
      v += (b & 0x7f) * scale;
      if (b < 0x80) return v;
      scale *= 0x80;
      if (scale > 2 ** 56) throw new RangeError('invalid sketch encoding: varint too long');
    }
  }
  done(): boolean {
    return this.at === this.bytes.length;
  }
}

/** Encodes a sketch in its compact binary form. */
export function encodeSketchBytes(sketch: PercentileSketch): Uint8Array {
  const json = sketch.toJSON();
  // Header ≤ 45 bytes; a count takes one to three bytes as a rule.
  const w = new Writer(48 + json.counts.length * 2);
  w.u8(VERSION);
  w.f64(json.relativeAccuracy);
  w.varint(json.maxBuckets);
  w.f64(json.sum);
  w.f64(json.min);
  w.f64(json.max);
  w.varint(json.zero);
  w.varint(json.offset >= 0 ? json.offset * 2 : -json.offset * 2 - 1);
  w.varint(json.counts.length);
  for (const c of json.counts) w.varint(c);
  return w.result();
}

/** Decodes `encodeSketchBytes` output; throws a `RangeError` on a malformed input. */
export function decodeSketchBytes(bytes: Uint8Array): PercentileSketch {
  const r = new Reader(bytes);
  const version = r.u8();
  if (version !== VERSION) throw new RangeError(`invalid sketch encoding: unknown version ${version}`);
  const relativeAccuracy = r.f64();
  const maxBuckets = r.varint();
  const sum = r.f64();
  const min = r.f64();
  const max = r.f64();
  const zero = r.varint();
  const zz = r.varint();
  const offset = zz % 2 === 0 ? zz / 2 : -(zz + 1) / 2;
  const length = r.varint();
  if (length > maxBuckets) throw new RangeError('invalid sketch encoding: more buckets than maxBuckets');
  const counts = new Array<number>(length);
  let count = zero;
  for (let i = 0; i < length; i++) {
    counts[i] = r.varint();
    count += counts[i]!;
  }
  if (!r.done()) throw new RangeError('invalid sketch encoding: trailing bytes');
  const json: SketchJson = { v: 1, relativeAccuracy, maxBuckets, count, sum, min, max, zero, offset, counts };
  return sketchFromJson(json);
}

/** Encodes a sketch as a base64 string (compact, JSON-safe): for transports and server shards. */
export function encodeSketch(sketch: PercentileSketch): string {
  return bytesToBase64(encodeSketchBytes(sketch));
}

/** Decodes `encodeSketch` output. */
export function decodeSketch(text: string): PercentileSketch {
  return decodeSketchBytes(base64ToBytes(text));
}
