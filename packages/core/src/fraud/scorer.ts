import { parseOptions } from '../options.js';
import type { FRAUD_DECISIONS, RISK_LEVELS, FraudReason, TransactionEvent } from '../schema/kinds.js';
import type { FraudRulesConfig } from './builtin.js';
import { canonical, fnv1a, resolveRules, ScorerOptionsSchema } from './scorer-options.js';
import { fraudInputFromEvent, isTransactionEvent, type FraudInput } from './input.js';
import { lowerCased } from './lower-case.js';
import type { FraudDimension, FraudRule, FraudRuleHit } from './rule.js';
import { createMemoryVelocityStore, memoryCellsOf, type MaybePromise, type MemoryCells, type SeriesStats, type VelocityHit, type VelocityStore } from './velocity-store.js';

/** A risk level, lowest first. */
export type RiskLevel = (typeof RISK_LEVELS)[number];
/** A fraud decision. */
export type FraudDecision = (typeof FRAUD_DECISIONS)[number];

/** Options of `createFraudScorer`. */
export interface FraudScorerOptions {
  /**
   * Either a config of the built-in rules by reason code (`{ VELOCITY_USER: { weight: 2, params: { max: 3 } } }`;
   * codes not listed keep their defaults), or an explicit list of rules (then exactly those run).
   * @default every built-in rule that is enabled by default
   */
  rules?: FraudRulesConfig | readonly FraudRule[];
  /** Your own rules, added to the built-ins (a rules config may re-weight or disable them by code). @default [] */
  extraRules?: readonly FraudRule[];
  /** Decision thresholds: allow < review ≤ score < block ≤ score. @default { review: 50, block: 75 } */
  thresholds?: { review?: number; block?: number };
  /** Risk level thresholds (the seed's levels). @default { low: 25, medium: 50, high: 75 } */
  riskLevels?: { low?: number; medium?: number; high?: number };
  /**
   * How contributions c_i combine: `noisy-or` is 100 × (1 − Π(1 − c_i/100)) (in 0–100, monotone, never
   * saturates from weak signals alone); `sum` is min(100, Σ c_i), the seed platform's way.
   * @default 'noisy-or'
   */
  combine?: 'noisy-or' | 'sum';
  /** Velocity state. @default createMemoryVelocityStore() */
  store?: VelocityStore;
  /** Clock in Unix ms, for transactions without a timestamp. @default Date.now */
  now?: () => number;
  /** Overrides the computed ruleset version (a hash of the effective configuration). */
  rulesetVersion?: string;
}

/** The judgement of one transaction. */
export interface FraudResult {
  /** 0–100, two decimals. */
  score: number;
  riskLevel: RiskLevel;
  decision: FraudDecision;
  /** Reasons that fired, highest contribution first; each contribution is what that rule alone scores. */
  reasons: FraudReason[];
  rulesetVersion: string;
  transactionId?: string;
  /** When the transaction happened (Unix ms), as used for the velocity windows. */
  timestamp: number;
}

/** A configured fraud scorer. */
export interface FraudScorer {
  /** Scores a transaction event or a flat input; `context` fields (e.g. an IP country from geo lookup) win. */
  score(transaction: FraudInput | TransactionEvent, context?: Partial<FraudInput>): Promise<FraudResult>;
  /** Same, synchronously: only with a synchronous store (the in-memory one); throws a TypeError otherwise. */
  scoreSync(transaction: FraudInput | TransactionEvent, context?: Partial<FraudInput>): FraudResult;
  /** Version of the effective rules and thresholds. */
  readonly rulesetVersion: string;
  /** True when `scoreSync` is available (the velocity store is synchronous). */
  readonly sync: boolean;
  /** Reason codes of the active rules. */
  readonly ruleCodes: readonly string[];
}


interface ActiveRule {
  rule: FraudRule;
  weight: number;
}

function then<T, R>(value: MaybePromise<T>, next: (v: T) => MaybePromise<R>): MaybePromise<R> {
  return value instanceof Promise ? value.then(next) : next(value);
}

const DONE_STATUSES = new Set(['failed', 'declined', 'refunded', 'cancelled']);
/** Order of reasons: highest contribution first, then by code. */
const byContribution = (a: FraudReason, b: FraudReason): number => b.contribution - a.contribution || (a.code < b.code ? -1 : 1);

/**
 * Inserts `reason` into the first `n` entries of `reasons` (kept in `byContribution` order) after every reason it
 * does not come before: the order the stable sort() at the end gave (also for two rules sharing a code), without the
 * work array sort() allocates on every call.
 */
function insertSorted(reasons: FraudReason[], n: number, reason: FraudReason): void {
  let i = n;
  while (i > 0 && byContribution(reason, reasons[i - 1]!) < 0) i--;
  for (let j = n; j > i; j--) reasons[j] = reasons[j - 1]!;
  reasons[i] = reason;
}

/**
 * Creates a rule-based, explainable fraud scorer. Each active rule returns a contribution c_i (0–100, × its
 * weight, capped at 100) and a reason; the score combines them (noisy-OR by default), the decision and risk
 * level follow from the thresholds, and every scored transaction is recorded into the velocity store.
 */
export function createFraudScorer(options: FraudScorerOptions = {}): FraudScorer {
  const opts = parseOptions('createFraudScorer', ScorerOptionsSchema, options);
  const store = opts.store ?? createMemoryVelocityStore();
  const now = opts.now ?? Date.now;
  // With the in-memory store, the scorer reads and updates each value's cells directly (see MemoryCells).
  const memory = memoryCellsOf(store);
  const { review, block } = opts.thresholds;
  const levels = opts.riskLevels;
  const sum = opts.combine === 'sum';

  const active: ActiveRule[] = [];
  for (const { rule, weight } of resolveRules(opts.rules, opts.extraRules)) active.push({ rule, weight });
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
  const hitOrder = [...counterOf].sort((a, b) => (a.dimension < b.dimension ? -1 : a.dimension > b.dimension ? 1 : a.slot - b.slot));
  const usesHistory = active.some((a) => a.rule.usesHistory);
  const rulesetVersion =
    opts.rulesetVersion ??
    `rs-${fnv1a(canonical({ rules: active.map((a) => ({ code: a.rule.code, weight: a.weight, params: a.rule.params ?? null })), thresholds: opts.thresholds, combine: opts.combine }))}`;

  // Reused buffers: evaluate() runs synchronously from start to end, so even interleaved async scorings never share
  // them while in use. Rules must not keep `signals.counts` beyond their evaluate() call.
  const ruleCounts = active.map((a) => new Array<number>(a.rule.counters?.length ?? 0).fill(0));
  // Reasons of the scoring in progress, sorted as they fire (entries beyond the count are stale).
  const firedReasons: FraudReason[] = [];
  const signals = { counts: [] as number[], history: undefined as SeriesStats | undefined, now: 0 };

  /**
   * Judges `input` from the counts already in `ruleCounts`, at the time the caller put in `signals.now` (passed there,
   * not as an argument: a double argument is boxed, an allocation per scoring).
   */
  const evaluate = (input: FraudInput, history: SeriesStats | undefined): FraudResult => {
    const timestamp = signals.now;
    let fired = 0;
    let keep = 1;
    let total = 0;
    signals.history = history;
    for (let r = 0; r < active.length; r++) {
      const { rule, weight } = active[r]!;
      signals.counts = ruleCounts[r]!;
      const hit: FraudRuleHit | null = rule.evaluate(input, signals);
      if (hit === null) continue;
      const contribution = Math.round(Math.min(100, Math.max(0, hit.contribution * weight)) * 100) / 100;
      if (contribution === 0) continue;
      keep *= 1 - contribution / 100;
      total += contribution;
      const reason: FraudReason =
        hit.detail === undefined ? { code: rule.code, contribution } : { code: rule.code, contribution, detail: hit.detail.slice(0, 1024) };
      insertSorted(firedReasons, fired++, reason);
    }
    // An exact-size copy: growing the result's array by push would allocate a 17-slot store for one or two reasons.
    const reasons = fired === 0 ? [] : firedReasons.slice(0, fired);
    const score = Math.round((sum ? Math.min(100, total) : 100 * (1 - keep)) * 100) / 100;
    const riskLevel: RiskLevel = score >= levels.high ? 'high' : score >= levels.medium ? 'medium' : score >= levels.low ? 'low' : 'minimal';
    const decision: FraudDecision = score >= block ? 'block' : score >= review ? 'review' : 'allow';
    const { transactionId } = input;
    // One literal per shape (same key order): adding transactionId afterwards would allocate an out-of-object property store.
    return transactionId === undefined
      ? { score, riskLevel, decision, reasons, rulesetVersion, timestamp }
      : { score, riskLevel, decision, reasons, rulesetVersion, timestamp, transactionId };
  };

  // Only what the scorer let through becomes the user's normal, so a fraudster cannot train the baseline.
  const feedsHistory = (input: FraudInput, result: FraudResult): boolean =>
    result.decision === 'allow' && input.amount > 0 && !DONE_STATUSES.has(input.status ?? '');
  const inputOf = (transaction: FraudInput | TransactionEvent, context: Partial<FraudInput> | undefined): FraudInput => {
    const input = isTransactionEvent(transaction) ? fraudInputFromEvent(transaction) : transaction;
    return context ? { ...input, ...context } : input;
  };

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
  const runMemory = (memory: MemoryCells, transaction: FraudInput | TransactionEvent, context?: Partial<FraudInput>): FraudResult => {
    const input = inputOf(transaction, context);
    const timestamp = input.timestamp ?? now();
    signals.now = timestamp;
    let user = -1;
    // Every lookup first, then the counting: the lookups are independent, so their cache misses overlap.
    for (let g = 0; g < groups.length; g++) {
      const { dimension, values, size } = groups[g]!;
      const value = dimension === 'email' ? (input.email === undefined ? undefined : lowerCased(input.email)) : input[dimension];
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
    if (userId === undefined || userValues === undefined) return evaluate(input, undefined);
    // A user without counters of its own (a '' id, or rules that count no user) is looked up for its history only.
    if (user < 0) user = userValues.find(userId);
    const currency = memory.currency(input.currency);
    const result = evaluate(input, userValues.readHistory(user, currency, userHistory) ? userHistory : undefined);
    if (feedsHistory(input, result)) userValues.observeHistory(userId, user, currency, input.amount);
    return result;
  };

  /** Any other store: the hits of one transaction (`at`: position of each counter's hit, -1 when it has none). */
  const prepare = (input: FraudInput): { timestamp: number; hits: VelocityHit[]; at: number[]; historyKey: string | undefined } => {
    const timestamp = input.timestamp ?? now();
    const hits: VelocityHit[] = [];
    const at = new Array<number>(counterOf.length);
    const email = input.email === undefined ? undefined : lowerCased(input.email);
    for (const c of hitOrder) {
      const value = c.dimension === 'email' ? email : input[c.dimension];
      if (value === undefined || value === '') {
        at[c.index] = -1;
        continue;
      }
      at[c.index] = hits.length;
      hits.push({ counter: c.counter, dimension: c.dimension, value, slot: c.slot, windowMs: c.windowMs, weight: c.weight ? c.weight(input) : 1 });
    }
    const historyKey = !usesHistory || input.userId === undefined ? undefined : `amount|${input.currency}|${input.userId}`;
    return { timestamp, hits, at, historyKey };
  };

  const run = (transaction: FraudInput | TransactionEvent, context: Partial<FraudInput> | undefined, sync: boolean): MaybePromise<FraudResult> => {
    const input = inputOf(transaction, context);
    const { timestamp, hits, at, historyKey } = prepare(input);
    const history = historyKey === undefined ? undefined : store.stats(historyKey);
    if (sync && history instanceof Promise) throw new TypeError('the velocity store answered asynchronously; use score()');
    return then(history, (h) => {
      const read = hits.length === 0 ? [] : store.hit(hits, timestamp);
      if (sync && read instanceof Promise) throw new TypeError('the velocity store answered asynchronously; use score()');
      return then(read, (counts) => {
        for (const c of counterOf) ruleCounts[c.rule]![c.j] = at[c.index]! < 0 ? 0 : counts[at[c.index]!]!;
        signals.now = timestamp;
        const result = evaluate(input, h);
        if (historyKey === undefined || !feedsHistory(input, result)) return result;
        return then(store.observe(historyKey, Math.log(input.amount), timestamp), () => result);
      });
    });
  };

  return {
    rulesetVersion,
    sync: store.sync,
    ruleCodes: active.map((a) => a.rule.code),
    score: async (transaction, context) => (memory ? runMemory(memory, transaction, context) : run(transaction, context, store.sync)),
    scoreSync(transaction, context) {
      if (memory) return runMemory(memory, transaction, context);
      if (!store.sync) throw new TypeError('scoreSync needs a synchronous velocity store; use score()');
      const result = run(transaction, context, true);
      if (result instanceof Promise) throw new TypeError('the velocity store answered asynchronously; use score()');
      return result;
    },
  };
}
