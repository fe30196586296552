/**
 * The disk guard on a real small file system: a 32 MB ext4 image loop-mounted with `errors=remount-ro`. Below the
 * free-space floor ingest answers 507 while queries go on; a disk that really fills up answers 507 too (never a
 * 500) and loses nothing acknowledged; a file system that turns read-only under the running server (an ext4 error,
 * triggered through sysfs) is reported, not fatal. Needs root and loop devices (CI has both); skipped otherwise.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, statfsSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { ShoplogEvent } from '@shoplog/core';
import { afterEach, describe, expect, it, vi } from 'vitest';

// Child processes, real file systems and several stores: slow on a loaded machine (no timing is asserted).
vi.setConfig({ testTimeout: 120_000 });
import { createDiskGuard, type DiskState } from '../src/index.js';
import { eventually, startTestServer, txEvent, type TestServer } from './helpers.js';

function canMount(): boolean {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  try {
    execFileSync('mkfs.ext4', ['-V'], { stdio: 'ignore' });
    execFileSync('losetup', ['-f'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const mountable = canMount();
if (!mountable) console.warn('disk guard tests skipped: they need root, mkfs.ext4 and a free loop device');

interface Disk {
  dir: string;
  /** The loop device's name (`loop3`), for /sys/fs/ext4/<name>. */
  device: string;
  unmount(): void;
}

function mountDisk(megabytes: number): Disk {
  const root = mkdtempSync(join(tmpdir(), 'shoplog-disk-'));
  const image = join(root, 'disk.img');
  const dir = join(root, 'mnt');
  mkdirSync(dir);
  execFileSync('truncate', ['-s', `${megabytes}M`, image]);
  // -m 0: no blocks reserved for root (the tests run as root and would write into them).
  execFileSync('mkfs.ext4', ['-q', '-F', '-m', '0', image]);
  execFileSync('mount', ['-o', 'loop,errors=remount-ro', image, dir]);
  const device = basename(execFileSync('findmnt', ['-n', '-o', 'SOURCE', dir]).toString().trim());
  return {
    dir,
    device,
    unmount() {
      execFileSync('umount', [dir]);
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Writes a filler file until the disk has about `leaveBytes` free (0: until it refuses any more). */
function fill(dir: string, leaveBytes: number): string {
  const path = join(dir, 'filler');
  const fd = openSync(path, 'w');
  try {
    for (const chunk of [1 << 20, 4096, 512]) {
      const buffer = Buffer.alloc(chunk, 7);
      for (;;) {
        const { bavail, bsize } = statfsSync(dir);
        if (leaveBytes > 0 && Number(bavail) * Number(bsize) - chunk < leaveBytes) break;
        try {
          writeSync(fd, buffer);
        } catch {
          break; // ENOSPC
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return path;
}

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function serverOn(disk: Disk, minFreeDiskMb: number): Promise<TestServer> {
  const t = await startTestServer({ dataDir: join(disk.dir, 'data'), minFreeDiskMb });
  cleanup.push(() => t.close());
  return t;
}

const bulk = (t: TestServer, events: ShoplogEvent[]) =>
  t.call('/api/logs/_bulk', {
    key: t.keys.ingest,
    method: 'POST',
    body: events.map((e) => JSON.stringify(e)).join('\n'),
  });
const total = async (t: TestServer, query: string): Promise<number> =>
  (await t.read<{ data: { total: number } }>(`/api/search/?${query}`)).data.total;
type Health = { status: string; disk?: { status: string; message?: string; free_bytes?: number } };
const health = (t: TestServer) => t.read<Health>('/api/dashboard/health');

describe.skipIf(!mountable)('disk guard on a real file system', () => {
  it('answers 507 below the free-space floor while queries go on, and takes writes again once room is back', async () => {
    const disk = mountDisk(32);
    cleanup.push(() => disk.unmount());
    const t = await serverOn(disk, 8);
    const acked = Array.from({ length: 20 }, (_, i) => txEvent({ message: `before the floor ${i}` }));
    expect((await bulk(t, acked)).status).toBe(200);
    const filler = fill(disk.dir, 4 * 1_048_576);
    const low = await eventually(async () => {
      const h = await health(t);
      return h.disk?.status === 'low' ? h : undefined;
    });
    expect(low.status).toBe('degraded');
    expect(low.disk?.message).toMatch(/below the floor of 8 MiB/);
    const refused = await bulk(t, [txEvent({ message: 'refused' })]);
    expect(refused.status).toBe(507);
    expect(refused.headers.get('retry-after')).toBeTruthy();
    const body = (await refused.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('insufficient_storage');
    expect(body.error.message).toMatch(/ingest is paused: .*below the floor/);
    await t.server.stores.logs.refresh();
    expect(await total(t, 'q=floor&range=all')).toBe(20);
    unlinkSync(filler);
    await eventually(async () =>
      (await bulk(t, [txEvent({ message: 'room again' })])).status === 200 ? true : undefined,
    );
    expect((await health(t)).disk?.status).toBe('ok');
  });

  it('turns a write that fails because the disk is full into 507, loses nothing acknowledged and recovers', async () => {
    const disk = mountDisk(32);
    cleanup.push(() => disk.unmount());
    const t = await serverOn(disk, 0);
    const acked = Array.from({ length: 20 }, (_, i) => txEvent({ message: `acknowledged ${i}` }));
    expect((await bulk(t, acked)).status).toBe(200);
    await t.server.stores.logs.refresh();
    const filler = fill(disk.dir, 0);
    const big = Array.from({ length: 4000 }, (_, i) => txEvent({ message: `${'x'.repeat(1000)} ${i}` }));
    const res = await bulk(t, big);
    expect(res.status).toBe(507);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/disk is full/);
    expect((await health(t)).disk?.status).toBe('full');
    // Queries keep working and every acknowledged event is still there.
    expect(await total(t, 'q=acknowledged&range=all')).toBe(20);
    for (const event of acked)
      expect((await t.call(`/api/logs/${event.event.id}`, { key: t.keys.read })).status).toBe(200);
    unlinkSync(filler);
    await eventually(async () => ((await bulk(t, big.slice(0, 100))).status === 200 ? true : undefined));
    await t.server.stores.logs.refresh();
    expect(await total(t, 'q=acknowledged&range=all')).toBe(20);
  });

  it('reports a file system that turned read-only under the running server: 507 for ingest, queries and close still work', async () => {
    const disk = mountDisk(32);
    cleanup.push(() => disk.unmount());
    const t = await serverOn(disk, 0);
    const acked = Array.from({ length: 20 }, (_, i) => txEvent({ message: `stored before ${i}` }));
    expect((await bulk(t, acked)).status).toBe(200);
    await t.server.stores.logs.refresh();
    // What ext4 does on an I/O error with errors=remount-ro.
    execFileSync('sh', ['-c', `echo test > /sys/fs/ext4/${disk.device}/trigger_fs_error`]);
    const res = await bulk(t, [txEvent({ message: 'after the error' })]);
    expect(res.status).toBe(507);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(
      /ingest is paused: the data folder (is read-only|cannot be written)/,
    );
    const h = await eventually(async () => {
      const report = await health(t);
      return report.disk?.status === 'read_only' ? report : undefined;
    });
    expect(h.status).toBe('degraded');
    expect(h.disk?.message).toMatch(/read-only/);
    expect(await total(t, 'q=stored&range=all')).toBe(20);
    expect((await bulk(t, [txEvent({ message: 'still refused' })])).status).toBe(507);
  });
});

describe('disk guard measures', () => {
  it('that overlap (the start-up measure beside a health request) agree: a writable folder is never reported as failing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shoplog-disk-probe-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const changes: DiskState[] = [];
    const guard = createDiskGuard({
      dir,
      minFreeBytes: 0,
      intervalMs: 60_000,
      onChange: (state) => changes.push(state),
    });
    cleanup.push(() => guard.close());
    const states = await Promise.all([guard.check(), guard.check(), guard.check()]);
    expect(states.map((state) => state.status)).toEqual(['ok', 'ok', 'ok']);
    expect(changes).toEqual([]);
    expect(guard.state.status).toBe('ok');
  });
});
