import { transaction, type ShoplogEvent, type ShoplogPlugin } from '@shoplog/core';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createShipper,
  type QueuedEntry,
  type SendOutcome,
  type Shipper,
  type ShipperOptions,
  type Sink,
} from '../src/index.js';
import { buildShipper } from '../src/shipper.js';
import { startBulkServer, type BulkServer } from './fixtures/bulk-server.js';
import { tempDir } from './fixtures/events.js';

// The chain both logger transports use: record → mapRecord → core pipeline (redaction, plugins) → engine. Against a
// real HTTP server, or, where the option is about a custom sink, a sink written to the public `Sink` contract.

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const fn of cleanup.splice(0)) await fn();
});

async function withServer(
  options: Omit<ShipperOptions, 'url'> = {},
): Promise<{ s: BulkServer; shipper: Shipper; spoolDir: string }> {
  const s = await startBulkServer();
  const spoolDir = tempDir();
  const shipper = createShipper({ url: s.url, spoolDir, exitHooks: false, ...options });
  cleanup.push(async () => {
    await shipper.close({ deadlineMs: 200 });
    await s.close();
  });
  return { s, shipper, spoolDir };
}

/** A sink that stores what it is sent (the `Sink` contract, as an app's own sink would implement it). */
function recordingSink(): Sink & { docs: Record<string, unknown>[] } {
  const docs: Record<string, unknown>[] = [];
  return {
    name: 'recording',
    docs,
    async send(batch: readonly QueuedEntry[]): Promise<SendOutcome> {
      for (const e of batch) docs.push(JSON.parse(e.line) as Record<string, unknown>);
      return { duplicates: 0, failures: [] };
    },
  };
}

const sale = (card = '4111 1111 1111 1111') =>
  transaction({
    message: `paid with ${card}`,
    shop: {
      transaction: { id: 'ord-1', type: 'purchase', status: 'completed' },
      amount: { minor: 4999, currency: 'EUR' },
    },
  });

const deadLetters = (dir: string) =>
  readFileSync(join(dir, 'dead-letter.ndjson'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { reason: string; issues: { path: string }[]; line: string });

describe('shipper', () => {
  it('redacts by default, but never an id (the card masker would match digits inside a UUID)', async () => {
    const { s, shipper } = await withServer();
    const ev = sale();
    shipper.write({ level: 30, ...ev, password: 'hunter2' } as never);
    await shipper.flush();
    const doc = s.docs.get(ev.event.id) as { message: string; event: { id: string } };
    expect(doc.event.id).toBe(ev.event.id);
    expect(doc.message).not.toContain('4111 1111 1111 1111');
    expect(doc.message).toContain('1111');
    expect(JSON.stringify(doc)).not.toContain('hunter2');
  });

  it('runs the app’s plugins after redaction; a plugin may drop an event', async () => {
    const seen: string[] = [];
    const dropTests: ShoplogPlugin = {
      name: 'drop-tests',
      process(event: ShoplogEvent) {
        seen.push(String(event.message));
        return event.labels?.test === 'yes' ? null : event;
      },
    };
    const sink = recordingSink();
    const shipper = createShipper({ sink, spoolDir: tempDir(), exitHooks: false, plugins: [dropTests] });
    const kept = sale();
    shipper.write(kept as never);
    shipper.write({ ...sale('5500 0000 0000 0004'), labels: { test: 'yes' } } as never);
    await shipper.close();
    expect(seen.every((m) => !/\d{4} \d{4} \d{4} \d{4}/.test(m))).toBe(true);
    expect(sink.docs.map((d) => (d.event as { id: string }).id)).toEqual([kept.event.id]);
  });

  it('validates by default with a custom sink: an invalid event goes to the dead-letter file with its issues', async () => {
    const sink = recordingSink();
    const spoolDir = tempDir();
    const shipper = createShipper({ sink, spoolDir, exitHooks: false });
    shipper.write({ ...sale(), event: { id: 'not-a-uuid', dataset: 'shoplog.transaction' } } as never);
    const ok = sale();
    shipper.write(ok as never);
    await shipper.close();
    expect(sink.docs.map((d) => (d.event as { id: string }).id)).toEqual([ok.event.id]);
    expect(shipper.metrics()).toMatchObject({ invalid: 1, deadLettered: 1, sent: 1 });
    const [dead] = deadLetters(spoolDir);
    expect(dead?.reason).toBe('invalid event');
    expect(dead?.issues.map((i) => i.path)).toContain('event.id');
  });

  it('does not validate in front of the Shoplog server by default (it validates with the same schemas)', async () => {
    const { s, shipper } = await withServer();
    shipper.write({ ...sale(), labels: { n: 1 } } as never);
    await shipper.flush();
    // A number label is not valid (labels are strings): it reached the server, which answers per item.
    expect(s.received).toHaveLength(1);
    expect(shipper.metrics().invalid).toBe(0);
  });

  it('a mapRecord that throws: the record is dead-lettered with the reason; one that returns nothing is counted', async () => {
    const { s, shipper, spoolDir } = await withServer({
      mapRecord: (r) => {
        if (r.msg === 'boom') throw new Error('mapper bug');
        return r.msg === 'skip' ? undefined : (sale() as unknown as Record<string, unknown>);
      },
    });
    expect(() => shipper.write({ msg: 'boom' })).not.toThrow();
    shipper.write({ msg: 'skip' });
    shipper.write({ msg: 'ship' });
    await shipper.flush();
    expect(s.stored).toHaveLength(1);
    expect(shipper.metrics()).toMatchObject({ unmapped: 1, deadLettered: 1 });
    expect(deadLetters(spoolDir)[0]).toMatchObject({ reason: 'mapRecord threw: mapper bug', line: '{"msg":"boom"}' });
  });

  it('a failing plugin is reported: to onError when given, else once on stderr; the other events still go', async () => {
    const failing: ShoplogPlugin = {
      name: 'flaky-enricher',
      process(event: ShoplogEvent) {
        if (event.message === 'bad') throw new Error('enricher down');
        return event;
      },
    };
    const warn = vi.spyOn(console, 'warn');
    const sink = recordingSink();
    const shipper = createShipper({ sink, spoolDir: tempDir(), exitHooks: false, plugins: [failing] });
    for (let i = 0; i < 3; i++) shipper.write({ ...sale(), message: 'bad' } as never);
    const ok = sale();
    shipper.write(ok as never);
    await shipper.close();
    expect(warn.mock.calls.map((c) => String(c[0]))).toEqual([
      expect.stringMatching(/^\[shoplog\] pipeline plugin "flaky-enricher" failed: enricher down/),
    ]);
    expect(sink.docs.map((d) => (d.event as { id: string }).id)).toContain(ok.event.id);

    const errors: Error[] = [];
    const reported = createShipper({
      sink: recordingSink(),
      spoolDir: tempDir(),
      exitHooks: false,
      plugins: [failing],
      onError: (e) => errors.push(e),
    });
    reported.write({ ...sale(), message: 'bad' } as never);
    await reported.close();
    expect(errors.map((e) => e.message)).toEqual(['enricher down']);
    expect(warn).toHaveBeenCalledTimes(1);
  });

  it('needs somewhere to send: one TypeError naming the option', () => {
    expect(() => createShipper({ spoolDir: tempDir(), exitHooks: false })).toThrow(
      /invalid options: url: give `url`, `http`, `elasticsearch` or `sink`/,
    );
  });

  it('offers the raw-line path only for the default chain, and declines every line once closing', async () => {
    const sink = recordingSink();
    expect(
      buildShipper({ sink: recordingSink(), spoolDir: tempDir(), exitHooks: false, validate: false }).fastLine,
    ).toBeTypeOf('function');
    expect(buildShipper({ sink: recordingSink(), spoolDir: tempDir(), exitHooks: false }).fastLine).toBeUndefined(); // validates
    expect(
      buildShipper({
        sink: recordingSink(),
        spoolDir: tempDir(),
        exitHooks: false,
        validate: false,
        plugins: [{ name: 'p', process: (e) => e }],
      }).fastLine,
    ).toBeUndefined();
    expect(
      buildShipper({
        sink: recordingSink(),
        spoolDir: tempDir(),
        exitHooks: false,
        validate: false,
        mapRecord: () => undefined,
      }).fastLine,
    ).toBeUndefined();
    expect(
      buildShipper({
        sink: recordingSink(),
        spoolDir: tempDir(),
        exitHooks: false,
        validate: false,
        redact: { paths: ['labels.x'] },
      }).fastLine,
    ).toBeUndefined();
    const { shipper, fastLine } = buildShipper({ sink, spoolDir: tempDir(), exitHooks: false, validate: false });
    const line = JSON.stringify({ level: 30, time: Date.now(), msg: 'cache warmed', pid: 1, hostname: 'h' });
    expect(fastLine?.(line)).toBe(true);
    const closed = shipper.close();
    expect(fastLine?.(line)).toBe(false);
    await closed;
    expect(sink.docs).toHaveLength(1);
    expect(sink.docs[0]).toMatchObject({ event: { dataset: 'shoplog.log' }, message: 'cache warmed' });
  });
});
