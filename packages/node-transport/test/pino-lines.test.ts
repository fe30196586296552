import build from 'pino-abstract-transport';
import type { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLineStream } from '../src/pino-lines.js';
import type { LogRecord } from '../src/record.js';

// The transport's line splitter replaced pino-abstract-transport's split2 stream (the previous path, kept here as
// the oracle): the same written chunks must give the same records in the same order, the same 'unknown' lines, and
// a close that runs once, before 'close'.

interface Seen {
  records: LogRecord[];
  unknown: { line: string; reason: string }[];
  closes: number;
  closedBeforeCloseEvent: boolean;
  error: string | undefined;
}

function oracle(close: () => Promise<void>, onRecord: (r: LogRecord) => void): Writable {
  return build(
    (source) => {
      source.on('data', (record: LogRecord) => onRecord(record));
    },
    { close, metadata: false },
  ) as unknown as Writable;
}

async function feed(
  make: typeof createLineStream,
  chunks: (string | Buffer)[],
  opts: { failClose?: boolean } = {},
): Promise<Seen> {
  const seen: Seen = { records: [], unknown: [], closes: 0, closedBeforeCloseEvent: false, error: undefined };
  const stream = make(
    (r) => seen.records.push(r),
    async () => {
      seen.closes++;
      await new Promise((r) => setTimeout(r, 5));
      if (opts.failClose) throw new Error('close failed');
    },
  );
  stream.on('unknown', (line: string, reason: unknown) =>
    seen.unknown.push({ line, reason: reason instanceof Error ? reason.message : String(reason) }),
  );
  const done = new Promise<void>((resolve) => {
    stream.on('error', (e) => (seen.error = e.message));
    stream.on('close', () => {
      seen.closedBeforeCloseEvent = seen.closes === 1;
      resolve();
    });
  });
  for (const c of chunks) stream.write(c);
  stream.end();
  await done;
  return seen;
}

const viaOracle: typeof createLineStream = (onRecord, close) => oracle(close, onRecord);

/** Scalar records get `time: Date.now()` when parsed: equal up to that clock, so compare them without it. */
function timeless(seen: Seen): Seen {
  return {
    ...seen,
    records: seen.records.map((r) =>
      Object.keys(r).length === 2 && 'data' in r && typeof r.time === 'number' ? { data: r.data } : r,
    ) as LogRecord[],
  };
}

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

const WORDS = ['order placed', 'naïve café', '支払い', 'emoji 🧾', 'quote "x"', 'back\\slash', 'tab\tin', ''];

function randomLine(rnd: () => number, i: number): string {
  const k = rnd();
  if (k < 0.72) {
    const rec: Record<string, unknown> = {
      level: [30, 40, 50][i % 3],
      time: 1_795_000_000_000 + i,
      pid: 1,
      hostname: 'h',
      orderId: `ord_${i}`,
      amount: Math.round(rnd() * 1e4) / 100,
      msg: WORDS[i % WORDS.length],
    };
    if (rnd() < 0.2) rec.err = { type: 'Error', message: 'boom', stack: 'Error: boom\n    at x' };
    if (rnd() < 0.1) rec.nested = { a: [1, 2, { b: null }], s: '\u00e9\u{1F600}' };
    return JSON.stringify(rec);
  }
  if (k < 0.76) return ''; // empty line
  if (k < 0.8) return '{"broken": ';
  if (k < 0.83) return 'null';
  if (k < 0.86) return String(Math.round(rnd() * 100));
  if (k < 0.88) return '"a string"';
  if (k < 0.9) return 'true';
  if (k < 0.93) return '[1,2,3]';
  if (k < 0.96) return `{"lone":"x\ud800y","i":${i}}`; // a lone surrogate: UTF-8 turns it into U+FFFD
  return 'plain text, not json';
}

/** The text cut at random places: strings at random characters, or its UTF-8 bytes at random bytes. */
function cut(rnd: () => number, text: string, asBuffers: boolean, maxChunk: number): (string | Buffer)[] {
  const out: (string | Buffer)[] = [];
  if (asBuffers) {
    const bytes = Buffer.from(text);
    for (let at = 0; at < bytes.length;) {
      const n = 1 + Math.floor(rnd() * maxChunk);
      out.push(bytes.subarray(at, at + n));
      at += n;
    }
  } else {
    for (let at = 0; at < text.length;) {
      const n = 1 + Math.floor(rnd() * maxChunk);
      out.push(text.slice(at, at + n));
      at += n;
    }
  }
  return out;
}

describe('pino line stream ≡ pino-abstract-transport (split2) path', () => {
  it('gives the same records, in order, and the same unknown lines, for random text cut at random places', async () => {
    let records = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const rnd = lcg(seed);
      const count = seed % 10 === 0 ? 4500 : 1 + Math.floor(rnd() * 300);
      const eols = seed % 3 === 0 ? ['\r\n', '\n'] : ['\n'];
      let text = '';
      for (let i = 0; i < count; i++) text += randomLine(rnd, i) + (eols[Math.floor(rnd() * eols.length)] as string);
      if (seed % 4 === 0) text = text.replace(/\r?\n$/, ''); // the last line without its newline
      if (seed % 7 === 0) text += '\r'; // a stray carriage return at the very end
      const asBuffers = seed % 2 === 0;
      // Small chunks cut lines, surrogate pairs and UTF-8 sequences; whole-text chunks hold thousands of lines.
      const chunks =
        seed % 5 === 0 ? [asBuffers ? Buffer.from(text) : text] : cut(rnd, text, asBuffers, seed % 3 === 0 ? 7 : 400);
      const [ours, theirs] = await Promise.all([feed(createLineStream, chunks), feed(viaOracle, chunks)]);
      expect(timeless(ours)).toEqual(timeless(theirs));
      records += ours.records.length;
    }
    expect(records).toBeGreaterThan(10_000);
  });

  it('hands on every line of a chunk larger than one turn’s share, in order, before close', async () => {
    const lines = Array.from({ length: 12_345 }, (_, i) => JSON.stringify({ level: 30, i, msg: 'x' }));
    const [ours, theirs] = await Promise.all([
      feed(createLineStream, [lines.join('\n') + '\n']),
      feed(viaOracle, [lines.join('\n') + '\n']),
    ]);
    expect(ours.records.map((r) => r.i)).toEqual(lines.map((_, i) => i));
    expect(ours).toEqual(theirs);
    expect(ours.closes).toBe(1);
    expect(ours.closedBeforeCloseEvent).toBe(true);
  });

  it('reports a failing close as the stream’s error, as before', async () => {
    const [ours, theirs] = await Promise.all([
      feed(createLineStream, ['{"a":1}\n'], { failClose: true }),
      feed(viaOracle, ['{"a":1}\n'], { failClose: true }),
    ]);
    expect(ours.error).toBe('close failed');
    expect(ours).toEqual(theirs);
  });
});
