import { z } from 'zod';
import { parseOptions } from '../../options.js';
import type { MaybePromise } from '../velocity-store.js';
import { hashCanonicalEmail, hashEmailDomain, hashOut, hashString } from './hash.js';
import { RecordTable } from './record-table.js';

// The profile and link state of the fraud scorer: what it remembers about accounts, IPs, cards, mailboxes,
// devices, e-mail domains, card BINs and the shop as a whole, as fixed-size records of 32-bit words.

/** Kinds of state record; a record is keyed by the kind and a 64-bit hash of the value (never the value itself). */
export const STATE_KINDS = ['account', 'ip', 'card', 'email', 'device', 'domain', 'bin', 'shop'] as const;
/** A kind of state record. */
export type StateKind = (typeof STATE_KINDS)[number];
/** Words of one record of each kind (account, the entities, the shop), in STATE_KINDS order. */
export const RECORD_WORDS: readonly number[] = [32, 12, 12, 12, 12, 12, 12, 16];
/** Words between two records in a batch (the largest record). */
export const STRIDE = 32;

/**
 * The records one scoring reads and writes back: `count` keys (kind index into STATE_KINDS, 64-bit hash as two
 * int32 halves) and, per key, `STRIDE` words in `i32` / `f32` (two views of the same memory; word 0–1 the key,
 * word 2 the time of the last update in seconds since 2000). A record never written reads as zeros.
 */
export interface StateBatch {
  count: number;
  readonly kinds: Int32Array;
  readonly hi: Int32Array;
  readonly lo: Int32Array;
  readonly i32: Int32Array;
  readonly f32: Float32Array;
}

/** A batch with room for `keys` records. */
export function createStateBatch(keys: number): StateBatch {
  const buffer = new ArrayBuffer(keys * STRIDE * 4);
  return {
    count: 0,
    kinds: new Int32Array(keys),
    hi: new Int32Array(keys),
    lo: new Int32Array(keys),
    i32: new Int32Array(buffer),
    f32: new Float32Array(buffer),
  };
}

/**
 * Where the scorer keeps profiles and links. Each method may answer synchronously (in memory) or with a promise
 * (Redis); a store that always answers synchronously sets `sync: true`, so the scorer can offer `scoreSync`.
 *
 * A scoring calls `read` for the records of its keys, updates them, then calls `write` with the same batch. A
 * shared store (Redis) keeps each record as a `RECORD_WORDS[kind] × 4`-byte string under the kind and key hash,
 * with an expiry; concurrent scorings of one account on two servers may lose one update (last writer wins), which
 * only blurs counts that decay anyway.
 */
export interface FraudStateStore {
  readonly sync: boolean;
  /** Fills the batch's records (zeros where a key has none yet). */
  read(batch: StateBatch): MaybePromise<void>;
  /** Stores the batch's records; `now` is Unix ms. */
  write(batch: StateBatch, now: number): MaybePromise<void>;
  /** Forgets the records of these keys (an erasure, see `fraudStateKeys`); resolves with how many there were. */
  erase?(keys: readonly FraudStateKey[]): MaybePromise<number>;
}

/** The key of one state record: its kind (index into STATE_KINDS) and the two halves of its 64-bit hash. */
export interface FraudStateKey {
  kind: number;
  hi: number;
  lo: number;
}

/**
 * The keys of the records that hold a person's profile: the account of each user id and the mailbox of each e-mail
 * address (its canonical form, as the scorer keys it), for `FraudStateStore.erase`.
 */
export function fraudStateKeys(subject: { userIds?: readonly string[]; emails?: readonly string[] }): FraudStateKey[] {
  const keys: FraudStateKey[] = [];
  for (const id of subject.userIds ?? []) {
    if (id === '') continue;
    hashString(id, ACCOUNT_KIND);
    keys.push({ kind: ACCOUNT_KIND, hi: hashOut.hi, lo: hashOut.lo });
  }
  for (const email of subject.emails ?? []) {
    const at = email.lastIndexOf('@');
    if (at <= 0 || at >= email.length - 1) continue;
    const folding = hashEmailDomain(email, at);
    hashCanonicalEmail(email, at, folding, EMAIL_KIND);
    keys.push({ kind: EMAIL_KIND, hi: hashOut.hi, lo: hashOut.lo });
  }
  return keys;
}
const ACCOUNT_KIND = STATE_KINDS.indexOf('account');
const EMAIL_KIND = STATE_KINDS.indexOf('email');

/** Options of `createMemoryFraudStateStore`. */
export interface MemoryFraudStateStoreOptions {
  /** Most accounts remembered (every one up to it); beyond it the least recently active is forgotten first. @default 1000000 */
  maxAccounts?: number;
  /** Most records of each other kind (IPs, cards, mailboxes, devices, domains, BINs). @default maxAccounts */
  maxEntities?: number;
}

const OptionsSchema = z.strictObject({
  maxAccounts: z.int().positive().max(100_000_000).default(1_000_000),
  maxEntities: z.int().positive().max(100_000_000).optional(),
});

const memoryTables = new WeakMap<FraudStateStore, readonly RecordTable[]>();

/** The record tables of a store made by `createMemoryFraudStateStore` (for memory measurements), else `undefined`. */
export function memoryTablesOf(store: FraudStateStore): readonly RecordTable[] | undefined {
  return memoryTables.get(store);
}

/**
 * Creates the in-memory profile store: one bounded table per kind (see `RecordTable`): a record's words (128 bytes per
 * account, 48 per IP, card, mailbox or device) plus 8 bytes of recency links and 16 to 32 of index. Every record is kept
 * up to the bound; beyond it the least recently active is forgotten first. Synchronous; one process only (the server
 * can share state through Redis).
 */
export function createMemoryFraudStateStore(options: MemoryFraudStateStoreOptions = {}): FraudStateStore {
  const o = parseOptions('createMemoryFraudStateStore', OptionsSchema, options);
  const entities = o.maxEntities ?? o.maxAccounts;
  const tables = STATE_KINDS.map(
    (kind, i) =>
      new RecordTable(RECORD_WORDS[i]!, kind === 'account' ? o.maxAccounts : kind === 'shop' ? 1024 : entities),
  );
  // Offsets found by the last read, reused by the write that follows it (checked: the key must still be there).
  let offsets = new Int32Array(16);
  const store: FraudStateStore = {
    sync: true,
    read(batch) {
      if (offsets.length < batch.count) offsets = new Int32Array(batch.count);
      // Every lookup first, then the copies: the lookups are independent, so their cache misses overlap.
      for (let k = 0; k < batch.count; k++) offsets[k] = tables[batch.kinds[k]!]!.find(batch.hi[k]!, batch.lo[k]!);
      const dst = batch.i32;
      for (let k = 0; k < batch.count; k++) {
        const table = tables[batch.kinds[k]!]!;
        const at = offsets[k]!;
        const to = k * STRIDE;
        if (at < 0) {
          dst.fill(0, to, to + STRIDE);
          continue;
        }
        const src = table.i32;
        for (let w = 0, words = table.words; w < words; w++) dst[to + w] = src[at + w]!;
      }
    },
    write(batch) {
      for (let k = 0; k < batch.count; k++) {
        const from = k * STRIDE;
        batch.i32[from] = batch.hi[k]!;
        batch.i32[from + 1] = batch.lo[k]!;
        tables[batch.kinds[k]!]!.put(
          batch.hi[k]!,
          batch.lo[k]!,
          batch.i32,
          from,
          k < offsets.length ? offsets[k]! : -1,
        );
        offsets[k] = -1;
      }
    },
    erase(keys) {
      // A later write must not reuse an offset the erasure freed.
      offsets.fill(-1);
      let erased = 0;
      for (const key of keys) if (tables[key.kind]?.remove(key.hi, key.lo)) erased++;
      return erased;
    },
  };
  memoryTables.set(store, tables);
  return store;
}
