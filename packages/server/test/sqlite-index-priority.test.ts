import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteLogStore, loadConfig } from '../src/index.js';
import { txEvent } from './helpers.js';

// The name and niceness of every thread of this process, by thread id (Linux: /proc/self/task/<tid>/comm and stat,
// field 19). A worker thread carries its `name` option (cut to 15 characters): `shoplog-index-f`, `shoplog-index-t`.
function threads(): Map<string, { name: string; nice: number }> {
  const out = new Map<string, { name: string; nice: number }>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const name = readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim();
      out.set(tid, { name, nice: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]) });
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return out;
}

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

interface Started {
  /** The niceness of the two index workers (facts, timeline), by name. */
  index: number[];
  /** The niceness of libuv's thread pool if the store started it: the process's shared pool keeps the server's. */
  pool: number[];
  /** Every other new thread's: helpers a worker starts inherit the worker's niceness, nothing else changes. */
  others: number[];
}

// What a store started with `options` adds: the threads that were not there before it, by kind.
async function startedThreads(options: { indexNice?: number }): Promise<Started> {
  const dir = mkdtempSync(join(tmpdir(), 'shoplog-nice-'));
  dirs.push(dir);
  const before = threads();
  const store = createSqliteLogStore({ path: join(dir, 'events.db'), ...options });
  try {
    await store.appendBatch([txEvent()]);
    await store.refresh(); // the index worker is up and has indexed the event
    const added = [...threads()].filter(([tid]) => !before.has(tid)).map(([, t]) => t);
    return {
      index: added.filter((t) => t.name.startsWith('shoplog-index-')).map((t) => t.nice),
      pool: added.filter((t) => t.name === 'libuv-worker').map((t) => t.nice),
      others: added.filter((t) => !t.name.startsWith('shoplog-index-') && t.name !== 'libuv-worker').map((t) => t.nice),
    };
  } finally {
    await store.close();
  }
}

describe.runIf(process.platform === 'linux')('the index worker threads give way to other work (indexNice)', () => {
  it('run indexNice nicer than the server: the facts and timeline workers at that niceness, nothing else niced', async () => {
    const base = getPriority();
    const nice = Math.min(19, base + 3);
    const started = await startedThreads({ indexNice: 3 });
    expect(started.index).toEqual([nice, nice]);
    expect(started.pool.filter((n) => n !== base)).toEqual([]);
    expect(started.others.filter((n) => n !== base && n !== nice)).toEqual([]);
  });

  it('run 10 nicer by default, and at the server’s niceness with indexNice 0', async () => {
    const base = getPriority();
    const nice = Math.min(19, base + 10);
    const byDefault = await startedThreads({});
    expect(byDefault.index).toEqual([nice, nice]);
    expect(byDefault.pool.filter((n) => n !== base)).toEqual([]);
    expect(byDefault.others.filter((n) => n !== base && n !== nice)).toEqual([]);
    const atZero = await startedThreads({ indexNice: 0 });
    expect(atZero.index).toEqual([base, base]);
    expect([...atZero.pool, ...atZero.others].filter((n) => n !== base)).toEqual([]);
  });
});

describe('SHOPLOG_INDEX_NICE', () => {
  it('defaults to 10 and rejects a value outside 0–19, naming the setting', () => {
    expect(loadConfig({}).indexNice).toBe(10);
    expect(loadConfig({ SHOPLOG_INDEX_NICE: '0' }).indexNice).toBe(0);
    expect(() => loadConfig({ SHOPLOG_INDEX_NICE: '20' })).toThrow(/indexNice \(SHOPLOG_INDEX_NICE\)/);
    expect(() => loadConfig({ SHOPLOG_INDEX_NICE: 'low' })).toThrow(/indexNice \(SHOPLOG_INDEX_NICE\)/);
  });
});
