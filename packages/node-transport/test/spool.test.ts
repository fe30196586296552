import { existsSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { QueuedEntry } from '../src/sink.js';
import { createFileSpool, type FsyncPolicy, type Spool } from '../src/spool.js';
import { SpoolDirs } from '../src/spool-dir.js';
import { makeEvents, tempDir } from './fixtures/events.js';

// The file spool on its own, in real directories: order, the replay cursor, what it creates and when, the takeover
// of what dead processes left, the fallback when its directory cannot be written.

const entries = (n: number, producer = 'p'): QueuedEntry[] =>
  makeEvents(n, producer).map((e) => ({ line: JSON.stringify(e), id: e.event.id, dataset: e.event.dataset, at: 0 }));

function open(dir: string, opts: { segmentBytes?: number; fsync?: FsyncPolicy } = {}) {
  const warnings: string[] = [];
  const corrupt: string[] = [];
  const warn = (text: string) => warnings.push(text);
  const spool = createFileSpool({
    dirs: new SpoolDirs(dir, warn),
    fsync: opts.fsync ?? 'batch',
    segmentBytes: opts.segmentBytes ?? 1 << 20,
    corrupt: (line) => corrupt.push(line),
    warn,
  });
  return { spool, warnings, corrupt };
}

/** Replays everything (acking each chunk), as the engine does after deliveries. */
function drain(spool: Spool, maxCount = 7): string[] {
  const ids: string[] = [];
  for (let chunk = spool.shift(maxCount, 1 << 20); chunk; chunk = spool.shift(maxCount, 1 << 20)) {
    ids.push(...chunk.entries.map((e) => e.id));
    spool.ack(chunk);
  }
  return ids;
}

const segments = (dir: string) => readdirSync(dir).filter((f) => f.startsWith('seg-'));

describe('file spool', () => {
  it('creates nothing before the first write', () => {
    const dir = join(tempDir(), 'not-yet');
    const { spool } = open(dir);
    expect(spool.shift(10, 1000)).toBeUndefined();
    expect(spool.pendingBytes).toBe(0);
    spool.close();
    expect(existsSync(dir)).toBe(false);
    spool.push(entries(1));
    expect(segments(dir)).toHaveLength(1);
  });

  it('replays oldest first; unshift goes ahead of everything stored; ack forgets; pendingBytes follows', () => {
    const dir = tempDir();
    const { spool } = open(dir, { segmentBytes: 2000 });
    const a = entries(10, 'a');
    const b = entries(10, 'b');
    const c = entries(3, 'c');
    expect(spool.push(a)).toBe(true);
    expect(spool.push(b)).toBe(true);
    expect(spool.unshift(c)).toBe(true);
    const bytes = [...c, ...a, ...b].reduce((n, e) => n + Buffer.byteLength(e.line) + 1, 0);
    expect(spool.pendingBytes).toBe(bytes);
    // Rotated at segmentBytes: more than one segment file, plus the one unshift wrote.
    expect(segments(dir).length).toBeGreaterThan(2);
    expect(drain(spool)).toEqual([...c, ...a, ...b].map((e) => e.id));
    expect(spool.pendingBytes).toBe(0);
    expect(segments(dir)).toEqual([]);
    expect(spool.shift(10, 1000)).toBeUndefined();
  });

  it('shift() hands the same entries again until they are acked, and stops at maxBytes (always one entry)', () => {
    const { spool } = open(tempDir());
    const a = entries(5);
    spool.push(a);
    const first = spool.shift(3, 1 << 20);
    expect(first?.entries.map((e) => e.id)).toEqual(a.slice(0, 3).map((e) => e.id));
    expect(spool.shift(3, 1 << 20)?.entries.map((e) => e.id)).toEqual(a.slice(0, 3).map((e) => e.id));
    expect(spool.shift(10, 1)?.entries).toHaveLength(1);
    if (first) spool.ack(first);
    expect(spool.shift(10, 1 << 20)?.entries.map((e) => e.id)).toEqual(a.slice(3).map((e) => e.id));
  });

  it('a restart resumes from the replay cursor, and only after this process has let go', () => {
    const dir = tempDir();
    const first = open(dir).spool;
    const a = entries(10);
    first.push(a);
    const chunk = first.shift(4, 1 << 20);
    if (chunk) first.ack(chunk);
    expect(segments(dir)).toEqual([expect.stringMatching(/^seg-\d{16}-\d+-[0-9a-f]{8}@4\.ndjson$/)]);
    // A second spool in the same process (two engines of one app) leaves a live owner's segments alone.
    const sibling = open(dir).spool;
    expect(sibling.shift(10, 1 << 20)).toBeUndefined();
    first.close();
    const next = open(dir).spool;
    expect(drain(next)).toEqual(a.slice(4).map((e) => e.id));
    expect(segments(dir)).toEqual([]);
  });

  it('takes over the segments of a dead process, cursor included; leaves those of a live one', () => {
    const dir = tempDir();
    const writer = open(dir).spool;
    const a = entries(6, 'dead');
    writer.push(a);
    const chunk = writer.shift(2, 1 << 20);
    if (chunk) writer.ack(chunk);
    writer.close();
    // Give the segment to a process that is gone (a pid no process has) and to one that runs (our parent).
    const [name] = segments(dir);
    const deadOwner = `${2 ** 22 + 7}-00c0ffee`;
    renameSync(join(dir, name as string), join(dir, (name as string).replace(/-\d+-[0-9a-f]{8}@/, `-${deadOwner}@`)));
    writeFileSync(join(dir, `owner-${deadOwner}.json`), JSON.stringify({ pid: 2 ** 22 + 7, host: hostname() }));
    const liveOwner = `${process.ppid}-0badf00d`;
    writeFileSync(join(dir, `seg-0000000000000001-${liveOwner}.ndjson`), entries(1, 'live')[0]?.line + '\n');
    writeFileSync(join(dir, `owner-${liveOwner}.json`), JSON.stringify({ pid: process.ppid, host: hostname() }));

    const next = open(dir).spool;
    expect(drain(next)).toEqual(a.slice(2).map((e) => e.id));
    expect(readdirSync(dir)).toContain(`seg-0000000000000001-${liveOwner}.ndjson`);
    expect(readdirSync(dir)).not.toContain(`owner-${deadOwner}.json`);
  });

  it('reads what an older version spooled (seg-<n>.ndjson and cursor.json), before anything new', () => {
    const dir = tempDir();
    const old1 = entries(4, 'old1');
    const old2 = entries(2, 'old2');
    writeFileSync(join(dir, 'seg-000000000001.ndjson'), old1.map((e) => e.line + '\n').join(''));
    writeFileSync(join(dir, 'seg-000000000002.ndjson'), old2.map((e) => e.line + '\n').join(''));
    writeFileSync(join(dir, 'cursor.json'), JSON.stringify({ seq: 1, line: 1 }));
    const { spool } = open(dir);
    const fresh = entries(2, 'new');
    spool.push(fresh);
    expect(drain(spool)).toEqual([...old1.slice(1), ...old2, ...fresh].map((e) => e.id));
    expect(readdirSync(dir).filter((f) => f !== 'dead-letter.ndjson' && !f.startsWith('owner-'))).toEqual([]);
  });

  it('hands a torn line (a crash mid-write) to `corrupt` and replays the lines around it', () => {
    const dir = tempDir();
    const a = entries(3);
    const owner = `${2 ** 22 + 9}-0000beef`;
    writeFileSync(
      join(dir, `seg-0000000000000005-${owner}.ndjson`),
      `${a[0]?.line}\n{"event":{"id":"x\n${a[1]?.line}\n${a[2]?.line.slice(0, 30)}`,
    );
    const { spool, corrupt } = open(dir);
    expect(drain(spool)).toEqual([a[0]?.id, a[1]?.id]);
    expect(corrupt).toEqual(['{"event":{"id":"x', a[2]?.line.slice(0, 30)]);
  });

  it('reports a corrupt line once however often it is read, and forgets an empty segment a crash left', () => {
    const dir = tempDir();
    const owner = `${2 ** 22 + 11}-0000cafe`;
    const a = entries(2);
    writeFileSync(join(dir, `seg-0000000000000001-${owner}.ndjson`), '');
    writeFileSync(join(dir, `seg-0000000000000002-${owner}.ndjson`), `${a[0]?.line}\nnot json\n${a[1]?.line}\n`);
    const { spool, corrupt } = open(dir);
    const empty = spool.shift(10, 1 << 20);
    expect(empty?.entries).toEqual([]);
    if (empty) spool.ack(empty);
    // Read twice (a replay that failed and is tried again), acknowledged once.
    spool.shift(10, 1 << 20);
    expect(drain(spool)).toEqual([a[0]?.id, a[1]?.id]);
    expect(corrupt).toEqual(['not json']);
    expect(segments(dir)).toEqual([]);
  });

  it('falls back to a private directory under the OS temp dir, with one warning, when its own cannot be made; a restart finds it', () => {
    const base = tempDir();
    writeFileSync(join(base, 'file'), 'a file where the spool directory should be');
    const dir = join(base, 'file', 'spool');
    const first = open(dir);
    const a = entries(5);
    expect(first.spool.push(a.slice(0, 3))).toBe(true);
    expect(first.spool.push(a.slice(3))).toBe(true);
    expect(first.warnings).toHaveLength(1);
    expect(first.warnings[0]).toMatch(
      new RegExp(
        `^spool directory ${dir} cannot be written \\(ENOTDIR: .*\\): spooling to .*shoplog-spool-\\d+-[0-9a-f]{16} instead$`,
      ),
    );
    first.spool.close();
    const next = open(dir);
    expect(drain(next.spool)).toEqual(a.map((e) => e.id));
    expect(next.warnings).toEqual([]);
  });

  it('when nothing can be written, push() says false and warns once; it never throws', () => {
    const base = tempDir();
    writeFileSync(join(base, 'file'), '');
    const dirs = new SpoolDirs(join(base, 'file', 'spool'), () => undefined);
    // The fallback is taken too: a file where its directory should be.
    writeFileSync(dirs.fallback, '');
    try {
      const warnings: string[] = [];
      const spool = createFileSpool({
        dirs: new SpoolDirs(join(base, 'file', 'spool'), (t) => warnings.push(t)),
        fsync: 'batch',
        segmentBytes: 1000,
        corrupt: () => undefined,
        warn: (t) => warnings.push(t),
      });
      expect(spool.push(entries(2))).toBe(false);
      expect(spool.unshift(entries(2))).toBe(false);
      expect(warnings).toEqual([
        expect.stringMatching(/cannot be written .* nor .* events that cannot be delivered now are dropped/),
      ]);
    } finally {
      rmSync(dirs.fallback, { force: true });
    }
  });

  it.each(['none', 'always'] as const)('fsync %s writes the same lines', (fsync) => {
    const dir = tempDir();
    const { spool } = open(dir, { fsync });
    const a = entries(4);
    spool.push(a);
    spool.close();
    const [name] = segments(dir);
    expect(readFileSync(join(dir, name as string), 'utf8')).toBe(a.map((e) => e.line + '\n').join(''));
  });
});
