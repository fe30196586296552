import type { DatabaseSync, StatementSync } from 'node:sqlite';
import * as zlib from 'node:zlib';

// Stored event bodies. An append writes each event's JSON as is in `events.doc` (the ack costs no compression); once
// both indexers are past it, the compactor (sqlite-compactor.ts, on the maintenance connection) packs consecutive
// bodies by `seq` into compressed blocks of `event_blocks` and leaves a zero-length BLOB in their `doc`. One event
// alone compresses poorly and costs a compression stream per call; a block shares one stream and the repeats between
// its events. A block is zstd where this Node has it (24; 22 from 22.15), else raw deflate; a reader tells them apart
// by zstd's magic number (which no raw deflate stream starts with), so blocks of either codec are read alike. Each
// block is written with the `doc` updates of its events and the compaction mark in one transaction, so a folder of
// plain rows (any older layout) is migrated by the same steps, and a kill at any point leaves every body either plain
// or in its block.

/** The DDL of the blocks table in the events file (`schema` as the connection names it). */
export function bodiesSchema(schema = 'main'): string {
  return `CREATE TABLE IF NOT EXISTS ${schema}.event_blocks (last INTEGER PRIMARY KEY, first INTEGER NOT NULL, data BLOB NOT NULL);`;
}

/** Events per compressed block: bigger blocks compress better, and a random read decompresses a whole block. */
export const BLOCK_EVENTS = 128;
/** A stored body as read: the JSON text, '' for a purge tombstone, or a zero-length BLOB when it is in its block. */
export type StoredDoc = string | Uint8Array;

/** The first bytes of every zstd frame. */
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd] as const;
/** zstd's fast default level: past it, a level costs several times the CPU for a few per cent. */
const ZSTD_LEVEL = 3;

type Codec = (data: Uint8Array) => Buffer;
const zstdCompress: Codec | undefined =
  typeof zlib.zstdCompressSync === 'function'
    ? (data) => zlib.zstdCompressSync(data, { params: { [zlib.constants.ZSTD_c_compressionLevel]: ZSTD_LEVEL } })
    : undefined;
const zstdDecompress: Codec | undefined =
  typeof zlib.zstdDecompressSync === 'function' ? (data) => zlib.zstdDecompressSync(data) : undefined;

const isZstd = (data: Uint8Array): boolean => ZSTD_MAGIC.every((byte, i) => data[i] === byte);

/** The codec of new blocks: zstd where this Node has it. */
export const BLOCK_CODEC: 'zstd' | 'deflate' = zstdCompress ? 'zstd' : 'deflate';

/**
 * Packs bodies (in `seq` order) into one block: a header line `[seq, length, …]`, then the bodies end to end,
 * compressed with `codec` (zstd only where this Node has it).
 */
export function encodeBlock(
  rows: readonly { seq: number; doc: string }[],
  codec: 'zstd' | 'deflate' = BLOCK_CODEC,
): Uint8Array {
  const header: number[] = [];
  for (const row of rows) header.push(row.seq, row.doc.length);
  const text = Buffer.from(`${JSON.stringify(header)}\n${rows.map((row) => row.doc).join('')}`);
  return codec === 'zstd' && zstdCompress ? zstdCompress(text) : zlib.deflateRawSync(text);
}

/** The codec of a stored block. */
export function blockCodec(data: Uint8Array): 'zstd' | 'deflate' {
  return isZstd(data) ? 'zstd' : 'deflate';
}

/** Whether `data` is a block this Node cannot read (zstd, written by a newer Node than this one). */
export function unreadableBlock(data: Uint8Array): boolean {
  return isZstd(data) && zstdDecompress === undefined;
}

/** The bodies of a block by `seq`, whichever codec wrote it. */
export function decodeBlock(data: Uint8Array): Map<number, string> {
  if (unreadableBlock(data)) {
    throw new Error(
      `stored events are packed with zstd, which this Node.js ${process.versions.node} lacks: run the server on Node.js 24 or newer`,
    );
  }
  const text = (isZstd(data) && zstdDecompress ? zstdDecompress(data) : zlib.inflateRawSync(data)).toString('utf8');
  const newline = text.indexOf('\n');
  const header = JSON.parse(text.slice(0, newline)) as number[];
  const out = new Map<number, string>();
  let at = newline + 1;
  for (let i = 0; i < header.length; i += 2) {
    const length = header[i + 1] as number;
    out.set(header[i] as number, text.slice(at, at + length));
    at += length;
  }
  return out;
}

/** Reads bodies that may be in blocks, on a connection that sees `event_blocks` (main or attached). */
export interface BodyReader {
  /** The body of each row (`doc` as selected); rows whose body is in no block (purged meanwhile) are left out. */
  resolve<T extends { seq: number; doc: StoredDoc }>(rows: readonly T[]): (T & { doc: string })[];
}

/** A body reader; it keeps the last block it inflated, so reading events in `seq` order inflates each block once. */
export function createBodyReader(db: DatabaseSync): BodyReader {
  // Prepared at the first packed body: a connection opened before the store created the table never needs it.
  let select: StatementSync | undefined;
  let cached: { first: number; last: number; docs: Map<number, string> } | undefined;
  const bodyOf = (seq: number): string | undefined => {
    if (!cached || seq < cached.first || seq > cached.last) {
      select ??= db.prepare('SELECT first, last, data FROM event_blocks WHERE last >= ? ORDER BY last LIMIT 1');
      const block = select.get(seq) as { first: number; last: number; data: Uint8Array } | undefined;
      if (!block || block.first > seq) return undefined;
      cached = { first: block.first, last: block.last, docs: decodeBlock(block.data) };
    }
    return cached.docs.get(seq);
  };
  return {
    resolve(rows) {
      // A snapshot may differ between two calls (a purge rewrites a block): the cache lives for one call.
      cached = undefined;
      const out: ((typeof rows)[number] & { doc: string })[] = [];
      for (const row of rows) {
        if (typeof row.doc === 'string') {
          out.push(row as typeof row & { doc: string });
          continue;
        }
        const doc = bodyOf(row.seq);
        if (doc !== undefined) out.push({ ...row, doc });
      }
      cached = undefined;
      return out;
    },
  };
}
