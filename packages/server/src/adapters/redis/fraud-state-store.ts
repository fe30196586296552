import {
  parseOptions,
  RECORD_WORDS,
  STATE_KINDS,
  STRIDE,
  type FraudStateKey,
  type FraudStateStore,
  type StateBatch,
} from '@shoplog/core';
import { z } from 'zod';
import { connectionShape, openRedis, runScript } from './connection.js';
import type { RedisConnectionOptions } from './connection.js';

/**
 * The fraud scorer's profile and link state on Redis: core's `FraudStateStore` with `sync: false`, plus `erase` and
 * `close`. Several servers share one view of accounts, entity links and shop-wide signals.
 */
export interface RedisFraudStateStore extends FraudStateStore {
  readonly sync: false;
  read(batch: StateBatch): Promise<void>;
  write(batch: StateBatch, now: number): Promise<void>;
  /** Deletes the records of these keys (`fraudStateKeys` of a person); resolves with how many existed. */
  erase(keys: readonly FraudStateKey[]): Promise<number>;
  /** Closes the connection when the store opened it. */
  close(): Promise<void>;
}

/** Options of `createRedisFraudStateStore`. */
export interface RedisFraudStateStoreOptions extends RedisConnectionOptions {
  /** An account's profile expires this long after its last transaction. @default 15552000000 (180 days) */
  accountTtlMs?: number;
  /** An IP, card, mailbox, device, domain or BIN record expires this long after its last use (its counters decay over 14 days). @default 3888000000 (45 days) */
  entityTtlMs?: number;
  /** The shop-wide record of a currency (counters decaying over a day) expires this long after its last use. @default 604800000 (7 days) */
  shopTtlMs?: number;
  /** A scoring that read records but never wrote them back (it failed) hands them on after this long. @default 2000 */
  leaseMs?: number;
}

const Schema = z.object({
  ...connectionShape,
  accountTtlMs: z
    .int()
    .positive()
    .default(180 * 86_400_000),
  entityTtlMs: z
    .int()
    .positive()
    .default(45 * 86_400_000),
  shopTtlMs: z
    .int()
    .positive()
    .default(7 * 86_400_000),
  leaseMs: z.int().positive().max(60_000).default(2_000),
});

/**
 * One scoring's hold on a record, from its read to its write. Scorings of one key in this process form a chain: the
 * next one takes the record as this one wrote it (no round trip, no lost update), or reads Redis if it wrote none.
 */
interface Hold {
  /** The record's words as written (set by write), undefined until then or when the scoring failed. */
  words?: Int32Array;
  /** Resolves when the record is handed on (written, or the lease ran out). */
  readonly handed: Promise<void>;
  hand(): void;
}

/** The holds of one scoring, from its read to its write. */
interface Lease {
  keys: string[];
  holds: Hold[];
  timer: NodeJS.Timeout;
}

// The records of one turn's writes, each with its expiry: one command.
const WRITE_SCRIPT = `
for i, key in ipairs(KEYS) do
  redis.call('SET', key, ARGV[2 * i - 1], 'PX', ARGV[2 * i])
end
return #KEYS
`;

const hex = (n: number): string => (n >>> 0).toString(16).padStart(8, '0');

function newHold(): Hold {
  let hand!: () => void;
  const handed = new Promise<void>((resolve) => (hand = resolve));
  return { handed, hand };
}

/**
 * Creates the Redis profile store. Each record is a string of its words (`RECORD_WORDS[kind] × 4` bytes) under
 * `<prefix>fraud:<kind>:<64-bit key hash>` (never the e-mail, IP or user id itself) with an expiry, so memory is
 * bounded per entity (a fixed-size record) and in total (what is not used expires). The reads of the scorings in
 * flight go in one `MGET` and their writes in one script call per turn of the event loop; scorings of the same account,
 * IP, card or shop in this process are chained (each sees the previous one's update). Between servers the last
 * writer wins, which only blurs counters that decay anyway.
 */
export function createRedisFraudStateStore(options: RedisFraudStateStoreOptions = {}): RedisFraudStateStore {
  const parsed = parseOptions('createRedisFraudStateStore', Schema, options);
  const { redis, keyPrefix, release } = openRedis(parsed, 'Redis fraud state store');
  const names = STATE_KINDS.map((kind) => `${keyPrefix}fraud:${kind}:`);
  const ttls = STATE_KINDS.map((kind) =>
    kind === 'account' ? parsed.accountTtlMs : kind === 'shop' ? parsed.shopTtlMs : parsed.entityTtlMs,
  );
  const keyOf = (kind: number, hi: number, lo: number): string => `${names[kind]!}${hex(hi)}${hex(lo)}`;
  /** The latest hold of each key held in this process (the tail of its chain). */
  const holds = new Map<string, Hold>();
  let closed = false;
  const leases = new WeakMap<StateBatch, Lease>();

  // Reads of one turn, fetched by one MGET.
  let reads: { key: string; done: (value: Buffer | null) => void; fail: (error: unknown) => void }[] = [];
  // While the connection is lost, fail at once (the scoring is judged by the scorer's onError policy) rather than
  // hold every decision for ioredis's reconnection attempts; before the first connection, commands wait for it.
  const unreachable = (): Error | undefined =>
    redis.status === 'reconnecting' || redis.status === 'close' || redis.status === 'end'
      ? new Error(`Redis fraud state store unreachable (connection ${redis.status})`)
      : undefined;
  const failure = (error: unknown): Error =>
    new Error(`Redis fraud state store unreachable: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  const fetch = (key: string): Promise<Buffer | null> =>
    new Promise((done, fail) => {
      if (reads.length === 0) queueMicrotask(flushReads);
      reads.push({ key, done, fail });
    });
  const flushReads = (): void => {
    const batch = reads;
    reads = [];
    redis.mgetBuffer(...batch.map((r) => r.key)).then(
      (values) => batch.forEach((r, i) => r.done(values[i] ?? null)),
      (error: unknown) => batch.forEach((r) => r.fail(failure(error))),
    );
  };
  // Writes of one turn, sent as one pipeline.
  let writes: { key: string; value: Buffer; ttl: number; done: () => void; fail: (error: unknown) => void }[] = [];
  const store = (key: string, value: Buffer, ttl: number): Promise<void> =>
    new Promise((done, fail) => {
      // After the microtasks: the scorings chained behind this one write in the same turn, and go in the same call.
      if (writes.length === 0) setImmediate(flushWrites);
      writes.push({ key, value, ttl, done, fail });
    });
  const flushWrites = (): void => {
    const batch = writes;
    writes = [];
    // Scorings chained on a key (the shop's record above all) wrote it in turn: only the last version is sent.
    const last = new Map<string, { value: Buffer; ttl: number }>();
    for (const w of batch) last.set(w.key, w);
    const args: (Buffer | number)[] = [];
    for (const w of last.values()) args.push(w.value, w.ttl);
    runScript(redis, WRITE_SCRIPT, [...last.keys()], args).then(
      () => batch.forEach((w) => w.done()),
      (error: unknown) => batch.forEach((w) => w.fail(failure(error))),
    );
  };

  const fill = (batch: StateBatch, k: number, words: Int32Array | Buffer | null): void => {
    const to = k * STRIDE;
    batch.i32.fill(0, to, to + STRIDE);
    if (!words) return;
    if (words instanceof Int32Array) {
      batch.i32.set(words, to);
      return;
    }
    // A record of the expected size, else (another version's layout, a foreign key) none.
    const n = RECORD_WORDS[batch.kinds[k]!]!;
    if (words.length !== n * 4) return;
    for (let w = 0; w < n; w++) batch.i32[to + w] = words.readInt32LE(w * 4);
  };

  const handOn = (lease: Lease): void => {
    clearTimeout(lease.timer);
    for (const hold of lease.holds) hold.hand();
  };
  /** Hands on without a record (the scoring failed): the next scorings of these keys read Redis. */
  const abandon = (lease: Lease): void => {
    handOn(lease);
    lease.keys.forEach((key, k) => {
      if (holds.get(key) === lease.holds[k]) holds.delete(key);
    });
  };

  return {
    sync: false,
    async read(batch) {
      const down = unreachable();
      if (down) throw down;
      const keys: string[] = [];
      const mine: Hold[] = [];
      const before: (Hold | undefined)[] = [];
      for (let k = 0; k < batch.count; k++) {
        const key = keyOf(batch.kinds[k]!, batch.hi[k]!, batch.lo[k]!);
        const hold = newHold();
        keys.push(key);
        mine.push(hold);
        before.push(holds.get(key));
        holds.set(key, hold);
      }
      const lease: Lease = { keys, holds: mine, timer: setTimeout(() => abandon(lease), parsed.leaseMs) };
      lease.timer.unref();
      leases.set(batch, lease);
      try {
        await Promise.all(
          keys.map(async (key, k) => {
            const previous = before[k];
            if (previous) await previous.handed;
            fill(batch, k, previous?.words ?? (await fetch(key)));
          }),
        );
      } catch (error) {
        // Nothing will be written: the scorings waiting on these keys read Redis themselves.
        leases.delete(batch);
        abandon(lease);
        throw error;
      }
    },
    async write(batch) {
      const lease = leases.get(batch);
      leases.delete(batch);
      const pending: Promise<void>[] = [];
      for (let k = 0; k < batch.count; k++) {
        const kind = batch.kinds[k]!;
        const from = k * STRIDE;
        const n = RECORD_WORDS[kind]!;
        const words = batch.i32.slice(from, from + n);
        words[0] = batch.hi[k]!;
        words[1] = batch.lo[k]!;
        const key = lease?.keys[k] ?? keyOf(kind, batch.hi[k]!, batch.lo[k]!);
        const hold = lease?.holds[k];
        if (hold) hold.words = words;
        const sent = store(key, Buffer.from(words.buffer, words.byteOffset, n * 4), ttls[kind]!);
        // The hold stays the chain's tail until Redis has the record, so a later read never fetches an older one.
        const settle = (): void => {
          if (hold && holds.get(key) === hold) holds.delete(key);
        };
        pending.push(
          sent.then(settle, (error: unknown) => {
            settle();
            throw error;
          }),
        );
      }
      if (lease) handOn(lease);
      await Promise.all(pending);
    },
    async erase(keys) {
      if (keys.length === 0) return 0;
      return redis.unlink(...keys.map((key) => keyOf(key.kind, key.hi, key.lo)));
    },
    async close() {
      if (closed) return;
      closed = true;
      await release();
    },
  };
}
