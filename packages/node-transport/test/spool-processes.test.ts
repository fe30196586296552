import { chmodSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startBulkServer, type BulkServer } from './fixtures/bulk-server.js';
import { distFile } from './fixtures/dist.js';
import { tempDir } from './fixtures/events.js';
import { runChild } from './fixtures/run-child.js';

// The spool with real processes: several apps sharing one spool folder (a cluster, replicas on one volume), and an
// app that cannot write its working directory (a non-root container; the tests run as root, so the app runs as
// `nobody` in a root-owned directory).

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0)) await fn();
});
beforeAll(() => {
  distFile('winston');
});

async function server(): Promise<BulkServer> {
  const s = await startBulkServer();
  cleanup.push(() => s.close());
  return s;
}

const segments = (dir: string) => readdirSync(dir).filter((f) => f.startsWith('seg-'));
const spooledLines = (dir: string) =>
  segments(dir).reduce(
    (n, f) =>
      n +
      readFileSync(join(dir, f), 'utf8')
        .split('\n')
        .filter((l) => l !== '').length,
    0,
  );

describe('several processes sharing one spool folder', () => {
  // Six app processes: slow to start on a loaded machine, hence the longer timeout (no timing is asserted).
  it(
    'spool at once without corrupting it, then replay it at once, each line sent exactly once',
    { timeout: 120_000 },
    async () => {
      const s = await server();
      await s.stop();
      const spoolDir = tempDir();
      const options = { closeDeadlineMs: 200, maxBatchCount: 100 };
      // Three apps spool at the same time; one of them crashes once it has spooled everything.
      const first = await Promise.all([
        runChild({ logger: 'winston', url: s.url, spoolDir, count: 1500, producer: 'a', ending: 'end', options }),
        runChild({ logger: 'winston', url: s.url, spoolDir, count: 1500, producer: 'b', ending: 'end', options }),
        // One batch (the default maxBatchCount), spooled whole after its retries: then the crash.
        runChild({
          logger: 'winston',
          url: s.url,
          spoolDir,
          count: 1500,
          producer: 'c',
          ending: 'sigkill',
          waitSpooled: 1500,
          options: { closeDeadlineMs: 200 },
        }),
      ]);
      expect(first.map((r) => r.signal)).toEqual([null, null, 'SIGKILL']);
      // Everything is on disk, whichever process's segment holds it (a process may take over a dead one's segment).
      expect(spooledLines(spoolDir)).toBe(4500);
      await s.start();
      // Three apps start at the same time and replay what is there while they log.
      const second = await Promise.all(
        ['d', 'e', 'f'].map((producer) =>
          runChild({
            logger: 'winston',
            url: s.url,
            spoolDir,
            count: 10,
            producer,
            ending: 'end',
            waitDrained: true,
            options,
          }),
        ),
      );
      const all = [...first, ...second].flatMap((r) => r.ids);
      expect(all).toHaveLength(4530);
      expect(new Set(s.stored)).toEqual(new Set(all));
      // Exactly once on the wire too: no line of the shared spool was sent by two processes.
      expect(s.received).toHaveLength(4530);
      // Each producer's events arrived in the order they were logged.
      for (const run of first) expect(s.stored.filter((id) => run.ids.includes(id))).toEqual(run.ids);
      expect(segments(spoolDir)).toEqual([]);
    },
  );
});

describe('an app whose working directory cannot be written', () => {
  it('does not crash: it spools under the OS temp dir with one warning, and the next start delivers from there', async () => {
    const s = await server();
    await s.stop();
    // Root-owned and not writable by `nobody`, who runs the app with the default spoolDir (./.shoplog-spool).
    const cwd = tempDir('shoplog-readonly-cwd-');
    chmodSync(cwd, 0o755);
    const nobody = 65534;
    const options = { closeDeadlineMs: 200 };
    const first = await runChild(
      { logger: 'winston', url: s.url, spoolDir: undefined, count: 300, producer: 'ro', ending: 'end', options },
      { cwd, uid: nobody },
    );
    expect(first.code).toBe(0);
    const warnings = first.stderr.split('\n').filter((l) => l.includes('spool directory'));
    expect(warnings).toEqual([
      expect.stringMatching(
        new RegExp(
          `^\\[shoplog\\] spool directory ${cwd}/\\.shoplog-spool cannot be written \\(EACCES: .*\\): spooling to ${tmpdir()}/shoplog-spool-${nobody}-[0-9a-f]{16} instead$`,
        ),
      ),
    ]);
    const fallback = /spooling to (\S+) instead/.exec(warnings[0] ?? '')?.[1] as string;
    cleanup.push(() => rmSync(fallback, { recursive: true, force: true }));
    expect(statSync(fallback).uid).toBe(nobody);
    expect(segments(fallback).length).toBeGreaterThan(0);
    expect(readdirSync(cwd)).toEqual([]);

    await s.start();
    const next = await runChild(
      {
        logger: 'winston',
        url: s.url,
        spoolDir: undefined,
        count: 5,
        producer: 'ro2',
        ending: 'end',
        options: { closeDeadlineMs: 5000 },
      },
      { cwd, uid: nobody },
    );
    expect(next.code).toBe(0);
    expect(s.stored).toEqual([...first.ids, ...next.ids]);
    expect(segments(fallback)).toEqual([]);
  });
});
