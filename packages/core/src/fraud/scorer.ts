import { parseOptions } from '../options.js';
import type { FRAUD_DECISIONS, RISK_LEVELS, FraudReason, TransactionEvent } from '../schema/kinds.js';
import type { FraudRulesConfig } from './builtin.js';
import { canonical, fnv1a, resolveRules, ScorerOptionsSchema } from './scorer-options.js';
import { fraudInputFromEvent, isTransactionEvent, type FraudInput } from './input.js';
import type { FraudRule, FraudRuleHit } from './rule.js';
import { createMemoryVelocityStore, userHistoryOf, type MaybePromise, type SeriesStats, type VelocityHit, type VelocityStore } from './velocity-store.js';

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
  /** Index of the rule's first counter in the per-transaction hit list. */
  first: number;
}

function then<T, R>(value: MaybePromise<T>, next: (v: T) => MaybePromise<R>): MaybePromise<R> {
  return value instanceof Promise ? value.then(next) : next(value);
}

const DONE_STATUSES = new Set(['failed', 'declined', 'refunded', 'cancelled']);

/**
 * Creates a rule-based, explainable fraud scorer. Each active rule returns a contribution c_i (0–100, × its
 * weight, capped at 100) and a reason; the score combines them (noisy-OR by default), the decision and risk
 * level follow from the thresholds, and every scored transaction is recorded into the velocity store.
 */
export function createFraudScorer(options: FraudScorerOptions = {}): FraudScorer {
  const opts = parseOptions('createFraudScorer', ScorerOptionsSchema, options);
  const store = opts.store ?? createMemoryVelocityStore();
  const now = opts.now ?? Date.now;
  // With the in-memory store, a user's amount history lives beside the user's counters (no separate series key).
  const userHistory = userHistoryOf(store);
  const { review, block } = opts.thresholds;
  const levels = opts.riskLevels;
  const sum = opts.combine === 'sum';

  const active: ActiveRule[] = [];
  let counters = 0;
  for (const { rule, weight } of resolveRules(opts.rules, opts.extraRules)) {
    active.push({ rule, weight, first: counters });
    counters += rule.counters?.length ?? 0;
  }
  const slotsPerDimension = new Map<string, number>();
  const counterOf = active.flatMap(({ rule }) =>
    (rule.counters ?? []).map((c, i) => {
      const slot = slotsPerDimension.get(c.dimension) ?? 0;
      slotsPerDimension.set(c.dimension, slot + 1);
      return { ...c, counter: `${rule.code}#${i}`, slot, index: 0 };
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
  const signals = { counts: [] as number[], history: undefined as SeriesStats | undefined, now: 0 };

  const evaluate = (input: FraudInput, timestamp: number, counts: readonly number[], history: SeriesStats | undefined): FraudResult => {
    const reasons: FraudReason[] = [];
    let keep = 1;
    let total = 0;
    signals.history = history;
    signals.now = timestamp;
    for (let r = 0; r < active.length; r++) {
      const { rule, weight, first } = active[r]!;
      const own = ruleCounts[r]!;
      for (let j = 0; j < own.length; j++) own[j] = counts[first + j]!;
      signals.counts = own;
      const hit: FraudRuleHit | null = rule.evaluate(input, signals);
      if (hit === null) continue;
      const contribution = Math.round(Math.min(100, Math.max(0, hit.contribution * weight)) * 100) / 100;
      if (contribution === 0) continue;
      keep *= 1 - contribution / 100;
      total += contribution;
      reasons.push(hit.detail === undefined ? { code: rule.code, contribution } : { code: rule.code, contribution, detail: hit.detail.slice(0, 1024) });
    }
    if (reasons.length > 1) reasons.sort((a, b) => b.contribution - a.contribution || (a.code < b.code ? -1 : 1));
    const score = Math.round((sum ? Math.min(100, total) : 100 * (1 - keep)) * 100) / 100;
    const result: FraudResult = {
      score,
      riskLevel: score >= levels.high ? 'high' : score >= levels.medium ? 'medium' : score >= levels.low ? 'low' : 'minimal',
      decision: score >= block ? 'block' : score >= review ? 'review' : 'allow',
      reasons,
      rulesetVersion,
      timestamp,
    };
    if (input.transactionId !== undefined) result.transactionId = input.transactionId;
    return result;
  };

  /** The store requests of one transaction. With `pool`, hit objects and index buffers are reused (sync path). */
  interface Prepared {
    input: FraudInput;
    timestamp: number;
    hits: VelocityHit[];
    at: number[];
    /** The series key of the user's amount history, or the user id itself with `userHistory`. */
    historyKey: string | undefined;
  }
  const pool: Prepared = { input: { amount: 0, currency: 'XXX' }, timestamp: 0, hits: [], at: new Array<number>(counters).fill(-1), historyKey: undefined };
  const hitPool: VelocityHit[] = hitOrder.map((c) => ({ counter: c.counter, dimension: c.dimension, value: '', slot: c.slot, windowMs: c.windowMs, weight: 1 }));

  const prepare = (transaction: FraudInput | TransactionEvent, context: Partial<FraudInput> | undefined, pooled: boolean): Prepared => {
    let input = isTransactionEvent(transaction) ? fraudInputFromEvent(transaction) : transaction;
    if (context) input = { ...input, ...context };
    const p: Prepared = pooled ? pool : { input, timestamp: 0, hits: [], at: new Array<number>(counters), historyKey: undefined };
    p.input = input;
    p.timestamp = input.timestamp ?? now();
    // Position of each counter in `hits`, or -1 when the transaction lacks the counter's dimension (reads 0).
    const email = input.email?.toLowerCase();
    let n = 0;
    for (let k = 0; k < counters; k++) {
      const c = hitOrder[k]!;
      const value = c.dimension === 'email' ? email : input[c.dimension];
      if (value === undefined || value === '') {
        p.at[c.index] = -1;
        continue;
      }
      const weight = c.weight ? c.weight(input) : 1;
      if (pooled) {
        const h = hitPool[n]!;
        h.counter = c.counter;
        h.dimension = c.dimension;
        h.slot = c.slot;
        h.windowMs = c.windowMs;
        h.value = value;
        h.weight = weight;
      } else {
        p.hits.push({ counter: c.counter, dimension: c.dimension, value, slot: c.slot, windowMs: c.windowMs, weight });
      }
      p.at[c.index] = n++;
    }
    if (pooled) p.hits = n === hitPool.length ? hitPool : hitPool.slice(0, n);
    p.historyKey = !usesHistory || input.userId === undefined ? undefined : userHistory ? input.userId : `amount|${input.currency}|${input.userId}`;
    return p;
  };

  const readHistory = (p: Prepared): MaybePromise<SeriesStats | undefined> =>
    p.historyKey === undefined ? undefined : userHistory ? userHistory.history(p.historyKey, p.input.currency) : store.stats(p.historyKey);

  const countsBuffer = new Array<number>(counters).fill(0);
  const finish = (p: Prepared, history: SeriesStats | undefined, read: readonly number[], counts: number[]): MaybePromise<FraudResult> => {
    for (let i = 0; i < counters; i++) counts[i] = p.at[i]! < 0 ? 0 : read[p.at[i]!]!;
    const { input, historyKey } = p;
    const result = evaluate(input, p.timestamp, counts, history);
    // Only what the scorer let through becomes the user's normal, so a fraudster cannot train the baseline.
    if (historyKey !== undefined && result.decision === 'allow' && input.amount > 0 && !DONE_STATUSES.has(input.status ?? '')) {
      if (userHistory) userHistory.observeHistory(historyKey, input.currency, Math.log(input.amount));
      else return then(store.observe(historyKey, Math.log(input.amount), p.timestamp), () => result);
    }
    return result;
  };

  const runSync = (transaction: FraudInput | TransactionEvent, context?: Partial<FraudInput>): MaybePromise<FraudResult> => {
    const p = prepare(transaction, context, true);
    const history = readHistory(p);
    const read = p.hits.length === 0 ? [] : store.hit(p.hits, p.timestamp);
    if (history instanceof Promise || read instanceof Promise) throw new TypeError('the velocity store answered asynchronously; use score()');
    return finish(p, history, read, countsBuffer);
  };

  const run = (transaction: FraudInput | TransactionEvent, context?: Partial<FraudInput>): MaybePromise<FraudResult> => {
    const p = prepare(transaction, context, false);
    return then(readHistory(p), (history) =>
      then(p.hits.length === 0 ? [] : store.hit(p.hits, p.timestamp), (read) => finish(p, history, read, new Array<number>(counters))),
    );
  };

  return {
    rulesetVersion,
    sync: store.sync,
    ruleCodes: active.map((a) => a.rule.code),
    score: async (transaction, context) => (store.sync ? runSync(transaction, context) : run(transaction, context)),
    scoreSync(transaction, context) {
      if (!store.sync) throw new TypeError('scoreSync needs a synchronous velocity store; use score()');
      const result = runSync(transaction, context);
      if (result instanceof Promise) throw new TypeError('the velocity store answered asynchronously; use score()');
      return result;
    },
  };
}
