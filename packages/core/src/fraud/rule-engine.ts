import type { FraudInput } from './input.js';
import { lowerCased } from './lower-case.js';
import type { FraudDimension, FraudRule, FraudRuleHit } from './rule.js';
import {
  memoryCellsOf,
  type MaybePromise,
  type MemoryCells,
  type SeriesStats,
  type VelocityHit,
  type VelocityStore,
} from './velocity-store.js';

// The rules' side of a scoring (internal): the velocity counters they read, their evaluation, and the user's amount
// history they judge against. The scorer turns the hits into a result (learned model or noisy-OR).

/** An active rule and the weight its configuration gives it. */
export interface ActiveRule {
  rule: FraudRule;
  weight: number;
}

/** Outcome of one rule for the scoring in progress (reused: read it in `finish`, do not keep it). */
export interface RuleHits {
  /** Per active rule: its contribution × weight, capped to 0–100, two decimals; 0 when silent. */
  readonly contributions: Float64Array;
  readonly details: Array<string | undefined>;
}

function then<T, R>(value: MaybePromise<T>, next: (v: T) => MaybePromise<R>): MaybePromise<R> {
  return value instanceof Promise ? value.then(next) : next(value);
}

const DONE_STATUSES = new Set(['failed', 'declined', 'refunded', 'cancelled']);

/** The rules of a scorer over its velocity store. */
export interface RuleEngine {
  readonly hits: RuleHits;
  /** True when the store is the in-memory one (everything synchronous, direct cell access). */
  readonly memory: boolean;
  /**
   * Counts, evaluates every rule at `timestamp`, then calls `finish` synchronously (the hits are valid during it)
   * and feeds the user's amount history when `finish`'s decision allows it. `sync`: throw if the store is async.
   */
  run<R extends { decision: string }>(
    input: FraudInput,
    timestamp: number,
    sync: boolean,
    finish: () => R,
  ): MaybePromise<R>;
}

/** Builds the rule engine of `active` rules over `store`. */
export function createRuleEngine(active: readonly ActiveRule[], store: VelocityStore): RuleEngine {
  const memory = memoryCellsOf(store);
  const slotsPerDimension = new Map<string, number>();
  const counterOf = active.flatMap(({ rule }, r) =>
    (rule.counters ?? []).map((c, j) => {
      const slot = slotsPerDimension.get(c.dimension) ?? 0;
      slotsPerDimension.set(c.dimension, slot + 1);
      return { ...c, counter: `${rule.code}#${j}`, slot, index: 0, rule: r, j };
    }),
  );
  counterOf.forEach((c, i) => (c.index = i));
  // Hits of one dimension go out together, so the store looks each value up once.
  const hitOrder = [...counterOf].sort((a, b) =>
    a.dimension < b.dimension ? -1 : a.dimension > b.dimension ? 1 : a.slot - b.slot,
  );
  const usesHistory = active.some((a) => a.rule.usesHistory);
  // Reused buffers: evaluate() and finish() run synchronously from start to end, so interleaved async scorings never
  // share them while in use. Rules must not keep `signals.counts` beyond their evaluate() call.
  const ruleCounts = active.map((a) => new Array<number>(a.rule.counters?.length ?? 0).fill(0));
  const hits: RuleHits = {
    contributions: new Float64Array(active.length),
    details: new Array<string | undefined>(active.length),
  };
  const signals = { counts: [] as number[], history: undefined as SeriesStats | undefined, now: 0 };

  /** Evaluates every rule from the counts in `ruleCounts`, at the time in `signals.now`. */
  const evaluate = (input: FraudInput, history: SeriesStats | undefined): void => {
    signals.history = history;
    const { contributions, details } = hits;
    for (let r = 0; r < active.length; r++) {
      const { rule, weight } = active[r]!;
      signals.counts = ruleCounts[r]!;
      const hit: FraudRuleHit | null = rule.evaluate(input, signals);
      if (hit === null) {
        contributions[r] = 0;
        continue;
      }
      contributions[r] = Math.round(Math.min(100, Math.max(0, hit.contribution * weight)) * 100) / 100;
      details[r] = hit.detail;
    }
  };

  // Only what the scorer let through becomes the user's normal, so a fraudster cannot train the baseline.
  const feedsHistory = (input: FraudInput, decision: string): boolean =>
    decision === 'allow' && input.amount > 0 && !DONE_STATUSES.has(input.status ?? '');

  // In-memory store: one lookup per (dimension, value), counts written straight into the rules' buffers.
  const groups = memory
    ? [...slotsPerDimension].map(([dimension, size]) => ({
        dimension: dimension as FraudDimension,
        values: memory.dimension(dimension),
        size,
        counters: hitOrder.filter((c) => c.dimension === dimension),
      }))
    : [];
  const entries = groups.map(() => -1);
  const userValues = memory?.dimension('userId');
  // The user's history, refilled for each scoring (rules read `signals.history` during evaluate only, as `counts`).
  const userHistory: SeriesStats = { count: 0, mean: 0, m2: 0 };
  const runMemory = <R extends { decision: string }>(
    cells: MemoryCells,
    input: FraudInput,
    timestamp: number,
    finish: () => R,
  ): R => {
    signals.now = timestamp;
    let user = -1;
    // Every lookup first, then the counting: the lookups are independent, so their cache misses overlap.
    for (let g = 0; g < groups.length; g++) {
      const { dimension, values, size } = groups[g]!;
      const value =
        dimension === 'email' ? (input.email === undefined ? undefined : lowerCased(input.email)) : input[dimension];
      entries[g] = value === undefined || value === '' ? -1 : values.entry(value, size);
    }
    for (let g = 0; g < groups.length; g++) {
      const { dimension, values, counters: own } = groups[g]!;
      const at = entries[g]!;
      if (at < 0) {
        for (let k = 0; k < own.length; k++) ruleCounts[own[k]!.rule]![own[k]!.j] = 0;
        continue;
      }
      if (dimension === 'userId') user = at;
      for (let k = 0; k < own.length; k++) {
        const c = own[k]!;
        ruleCounts[c.rule]![c.j] = values.count(at, c.slot, c.windowMs, c.weight ? c.weight(input) : 1, timestamp);
      }
    }
    const userId = usesHistory ? input.userId : undefined;
    if (userId === undefined || userValues === undefined) {
      evaluate(input, undefined);
      return finish();
    }
    // A user without counters of its own (a '' id, or rules that count no user) is looked up for its history only.
    if (user < 0) user = userValues.find(userId);
    const currency = cells.currency(input.currency);
    evaluate(input, userValues.readHistory(user, currency, userHistory) ? userHistory : undefined);
    const result = finish();
    if (feedsHistory(input, result.decision)) userValues.observeHistory(userId, user, currency, input.amount);
    return result;
  };

  /** Any other store: the hits of one transaction (`at`: position of each counter's hit, -1 when it has none). */
  const prepare = (input: FraudInput): { hits: VelocityHit[]; at: number[]; historyKey: string | undefined } => {
    const out: VelocityHit[] = [];
    const at = new Array<number>(counterOf.length);
    const email = input.email === undefined ? undefined : lowerCased(input.email);
    for (const c of hitOrder) {
      const value = c.dimension === 'email' ? email : input[c.dimension];
      if (value === undefined || value === '') {
        at[c.index] = -1;
        continue;
      }
      at[c.index] = out.length;
      out.push({
        counter: c.counter,
        dimension: c.dimension,
        value,
        slot: c.slot,
        windowMs: c.windowMs,
        weight: c.weight ? c.weight(input) : 1,
      });
    }
    const historyKey =
      !usesHistory || input.userId === undefined ? undefined : `amount|${input.currency}|${input.userId}`;
    return { hits: out, at, historyKey };
  };

  const runStore = <R extends { decision: string }>(
    input: FraudInput,
    timestamp: number,
    sync: boolean,
    finish: () => R,
  ): MaybePromise<R> => {
    const { hits: velocityHits, at, historyKey } = prepare(input);
    const history = historyKey === undefined ? undefined : store.stats(historyKey);
    if (sync && history instanceof Promise)
      throw new TypeError('the velocity store answered asynchronously; use score()');
    return then(history, (h) => {
      const read = velocityHits.length === 0 ? [] : store.hit(velocityHits, timestamp);
      if (sync && read instanceof Promise)
        throw new TypeError('the velocity store answered asynchronously; use score()');
      return then(read, (counts) => {
        for (const c of counterOf) ruleCounts[c.rule]![c.j] = at[c.index]! < 0 ? 0 : counts[at[c.index]!]!;
        signals.now = timestamp;
        evaluate(input, h);
        const result = finish();
        if (historyKey === undefined || !feedsHistory(input, result.decision)) return result;
        return then(store.observe(historyKey, Math.log(input.amount), timestamp), () => result);
      });
    });
  };

  return {
    hits,
    memory: memory !== undefined,
    run: (input, timestamp, sync, finish) =>
      memory ? runMemory(memory, input, timestamp, finish) : runStore(input, timestamp, sync, finish),
  };
}
