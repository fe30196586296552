import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { error } from '@shoplog/core';
import { describe, expect, it } from 'vitest';
import { ByteQueue, LinePacker, entryBytes, ndjsonParts, type PackedEntry } from '../src/byte-queue.js';
import { createDeliveryEngine, createHttpSink, type QueuedEntry } from '../src/index.js';
import { startBulkServer } from './fixtures/bulk-server.js';
import { tempDir } from './fixtures/events.js';

// Text that UTF-8 encodes in 1, 2, 3 and 4 bytes, quotes, escapes and control characters, as JSON.stringify
// writes them (a lone surrogate comes out escaped, so every line is well-formed and survives the round trip).
const SAMPLES = [
  'plain',
  'quote " and \\ back',
  'ünïcødé',
  '価格 €',
  '🛒🧾 emoji',
  'ctl \u0000\u0001\u001f\t\n',
  'lone \ud800 half',
  '',
];

function lines(n: number, seed = 1): string[] {
  let x = seed;
  const next = () => (x = (x * 1103515245 + 12345) % 2 ** 31);
  return Array.from({ length: n }, (_, i) => {
    const parts = Array.from({ length: 1 + (next() % 12) }, () => SAMPLES[next() % SAMPLES.length]);
    return JSON.stringify({ i, text: parts.join(' '), pad: 'x'.repeat(next() % 3000) });
  });
}

describe('packed lines', () => {
  it('give back the exact line, its UTF-8 size and metadata, across chunk ends and for lines bigger than a chunk', () => {
    const packer = new LinePacker();
    const texts = [...lines(2000), JSON.stringify({ big: '€'.repeat(200_000) }), ...lines(200, 7)];
    const entries = texts.map((l, i) => packer.pack(l, `id-${i}`, 'shoplog.performance', 1000 + i));
    entries.forEach((e, i) => {
      expect(e.line).toBe(texts[i]);
      expect(e.size).toBe(Buffer.byteLength(texts[i] as string));
      expect(entryBytes(e)).toBe(Buffer.byteLength(texts[i] as string) + 1);
      expect([e.id, e.dataset, e.at]).toEqual([`id-${i}`, 'shoplog.performance', 1000 + i]);
    });
  });

  it('make the same NDJSON body as joining the lines, for packed, plain and mixed batches', () => {
    const packer = new LinePacker();
    const texts = lines(1500, 3);
    const packed: QueuedEntry[] = texts.map((l, i) => packer.pack(l, `id-${i}`, 'd', 0));
    const plain: QueuedEntry[] = texts.map((line, i) => ({ line, id: `id-${i}`, dataset: 'd', at: 0 }));
    const mixed = packed.map((e, i) => (i % 3 === 0 ? (plain[i] as QueuedEntry) : e));
    const expected = Buffer.from(texts.join('\n') + '\n');
    for (const batch of [packed, plain, mixed]) {
      const { parts, length } = ndjsonParts(batch);
      expect(Buffer.concat(parts).equals(expected)).toBe(true);
      expect(length).toBe(expected.length);
    }
    expect(ndjsonParts([])).toEqual({ parts: [], length: 0 });
    // Lines packed one after the other go out as one view per chunk; a batch with gaps (a retry of some lines)
    // or out of order still makes exactly its own lines.
    const chunks = new Set(packed.map((e) => (e as PackedEntry).chunk)).size;
    expect(ndjsonParts(packed).parts).toHaveLength(chunks);
    const some = packed.filter((_, i) => i % 4 !== 1);
    const reordered = [...packed.slice(700), ...packed.slice(0, 700)];
    for (const batch of [some, reordered])
      expect(
        Buffer.concat(ndjsonParts(batch).parts).equals(Buffer.from(batch.map((e) => `${e.line}\n`).join(''))),
      ).toBe(true);
  });

  it('are counted by the queue in UTF-8 bytes, and taken in order within the byte limit', () => {
    const packer = new LinePacker();
    const q = new ByteQueue();
    const texts = lines(300, 5);
    for (const [i, l] of texts.entries()) q.push(packer.pack(l, String(i), 'd', 0));
    const total = texts.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
    expect(q.bytes).toBe(total);
    const first = q.take(1000, 64 * 1024);
    const taken = first.reduce((n, e) => n + entryBytes(e), 0);
    expect(taken - entryBytes(first[first.length - 1] as QueuedEntry)).toBeLessThan(64 * 1024);
    expect(q.bytes).toBe(total - taken);
    expect([...first, ...q.drain()].map((e) => e.line)).toEqual(texts);
  });
});

describe('the engine with packed lines', () => {
  it('delivers and spools events with non-ASCII text exactly as JSON.stringify wrote them', async () => {
    const server = await startBulkServer();
    const events = lines(400, 11).map((text, i) =>
      error({ message: `${SAMPLES[i % SAMPLES.length]} ${i}`, error: { type: 'Error', message: text } }),
    );
    const engine = createDeliveryEngine({
      sink: createHttpSink({ url: server.url }),
      spoolDir: tempDir(),
      exitHooks: false,
      maxBatchCount: 64,
    });
    for (const e of events) expect(engine.enqueue(e)).toBe(true);
    await engine.flush();
    await engine.close();
    await server.close();
    expect(server.stored).toEqual(events.map((e) => e.event.id));
    for (const e of events) expect(server.docs.get(e.event.id)).toEqual(JSON.parse(JSON.stringify(e)));

    // Backend down: close() spools the queued events; the spool holds the same lines.
    const spoolDir = tempDir();
    const down = createDeliveryEngine({
      sink: createHttpSink({ url: server.url }),
      spoolDir,
      exitHooks: false,
      retryInitialDelayMs: 5,
      retryMaxDelayMs: 20,
    });
    for (const e of events.slice(0, 50)) down.enqueue(e);
    await down.close({ deadlineMs: 200 });
    const spooled = readSpool(spoolDir);
    expect(spooled).toEqual(events.slice(0, 50).map((e) => JSON.stringify(e)));
  });
});

function readSpool(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.startsWith('seg-') && f.endsWith('.ndjson'))
    .sort()
    .flatMap((f) =>
      readFileSync(join(dir, f), 'utf8')
        .split('\n')
        .filter((l) => l.length > 0),
    );
}
