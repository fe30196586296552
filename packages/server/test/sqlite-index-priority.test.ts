import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSqliteLogStore, loadConfig } from '../src/index.js';
import { txEvent } from './helpers.js';

// The niceness of every thread of this process, by thread id (Linux: /proc/self/task/<tid>/stat, field 19).
function niceByThread(): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      out.set(tid, Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]));
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

// What a store started with `options` adds: the niceness of the threads that were not there before it.
async function startedThreadsNice(options: { indexNice?: number }): Promise<number[]> {
  const dir = mkdtempSync(join(tmpdir(), 'shoplog-nice-'));
  dirs.push(dir);
  const before = niceByThread();
  const store = createSqliteLogStore({ path: join(dir, 'events.db'), ...options });
  try {
    await store.appendBatch([txEvent()]);
    await store.refresh(); // the index worker is up and has indexed the event
    return [...niceByThread()].filter(([tid]) => !before.has(tid)).map(([, nice]) => nice);
  } finally {
    await store.close();
  }
}

describe.runIf(process.platform === 'linux')('the index worker threads give way to other work (indexNice)', () => {
  it('run indexNice nicer than the server: two new threads, the facts and text workers, at that niceness', async () => {
    const base = getPriority();
    const started = await startedThreadsNice({ indexNice: 3 });
    expect(started.filter((nice) => nice === Math.min(19, base + 3))).toHaveLength(2);
    expect(started.filter((nice) => nice !== base && nice !== Math.min(19, base + 3))).toEqual([]);
  });

  it('run 10 nicer by default, and at the server’s niceness with indexNice 0', async () => {
    const base = getPriority();
    const byDefault = await startedThreadsNice({});
    expect(byDefault.filter((nice) => nice === Math.min(19, base + 10))).toHaveLength(2);
    expect(byDefault.filter((nice) => nice !== base && nice !== Math.min(19, base + 10))).toEqual([]);
    expect((await startedThreadsNice({ indexNice: 0 })).filter((nice) => nice !== base)).toEqual([]);
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
