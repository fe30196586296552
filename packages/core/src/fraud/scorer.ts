import { z } from 'zod';
import { parseOptions } from '../options.js';
import type { FRAUD_DECISIONS, RISK_LEVELS, FraudReason, TransactionEvent } from '../schema/kinds.js';
import { BUILTIN_FRAUD_RULES, type FraudRulesConfig } from './builtin.js';
import { fraudInputFromEvent, isTransactionEvent, type FraudInput } from './input.js';
import type { FraudRule, FraudRuleHit } from './rule.js';
import { createMemoryVelocityStore, type MaybePromise, type SeriesStats, type VelocityHit, type VelocityStore } from './velocity-store.js';

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

const RuleSchema = z.custom<FraudRule>(
  (v) =>
    typeof v === 'object' &&
    v !== null &&
    typeof (v as FraudRule).code === 'string' &&
    /^[A-Z][A-Z0-9_]*$/.test((v as FraudRule).code) &&
    typeof (v as FraudRule).evaluate === 'function',
  'must be a fraud rule: { code: UPPER_SNAKE string, evaluate(input, signals) }',
);
const RuleConfigSchema = z.strictObject({
  enabled: z.boolean().optional(),
  weight: z.number().min(0).max(100).optional(),
  params: z.record(z.string(), z.unknown()).optional(),
});
const OptionsSchema = z
  .strictObject({
    // Checked in resolveRules: a union would lose the path of the bad entry.
    rules: z.custom<FraudRulesConfig | readonly FraudRule[]>((v) => typeof v === 'object' && v !== null, 'must be a rules config object or a list of rules').optional(),
    extraRules: z.array(RuleSchema).default([]),
    thresholds: z.strictObject({ review: z.number().min(0).max(100).default(50), block: z.number().min(0).max(100).default(75) }).default({ review: 50, block: 75 }),
    riskLevels: z
      .strictObject({ low: z.number().min(0).max(100).default(25), medium: z.number().min(0).max(100).default(50), high: z.number().min(0).max(100).default(75) })
      .default({ low: 25, medium: 50, high: 75 }),
    combine: z.enum(['noisy-or', 'sum']).default('noisy-or'),
    store: z.custom<VelocityStore>((v) => typeof v === 'object' && v !== null && typeof (v as VelocityStore).hit === 'function', 'must be a VelocityStore').optional(),
    now: z.custom<() => number>((v) => typeof v === 'function', 'must be a function returning Unix ms').optional(),
    rulesetVersion: z.string().min(1).max(64).optional(),
  })
  .superRefine((o, ctx) => {
    if (o.thresholds.review > o.thresholds.block) ctx.addIssue({ code: 'custom', path: ['thresholds', 'review'], message: 'must not exceed thresholds.block' });
    if (!(o.riskLevels.low <= o.riskLevels.medium && o.riskLevels.medium <= o.riskLevels.high)) {
      ctx.addIssue({ code: 'custom', path: ['riskLevels'], message: 'must satisfy low ≤ medium ≤ high' });
    }
  });

interface ActiveRule {
  rule: FraudRule;
  weight: number;
  /** Index of the rule's first counter in the per-transaction hit list. */
  first: number;
}

// Same message shape as parseOptions, for the per-rule checks that run after it.
function optionError(path: PropertyKey[], message: string): TypeError {
  return new TypeError(`createFraudScorer: invalid options: ${path.map(String).join('.') || '(root)'}: ${message}`);
}

/** Resolves the rules config into active rules, validating each rule's parameters with its own schema. */
function resolveRules(rules: FraudRulesConfig | readonly FraudRule[] | undefined, extra: readonly FraudRule[]): Array<{ rule: FraudRule; weight: number }> {
  if (Array.isArray(rules)) {
    rules.forEach((rule: unknown, i) => {
      const ok = RuleSchema.safeParse(rule);
      if (!ok.success) throw optionError(['rules', i], ok.error.issues[0]!.message);
    });
    return [...(rules as readonly FraudRule[]), ...extra].map((rule) => ({ rule, weight: 1 }));
  }
  const config = (rules ?? {}) as FraudRulesConfig;
  for (const [code, c] of Object.entries(config)) {
    const ok = RuleConfigSchema.safeParse(c);
    if (!ok.success) throw optionError(['rules', code, ...ok.error.issues[0]!.path], ok.error.issues[0]!.message);
  }
  const extraByCode = new Map(extra.map((r) => [r.code, r]));
  for (const code of Object.keys(config)) {
    if (!BUILTIN_FRAUD_RULES.has(code) && !extraByCode.has(code)) throw optionError(['rules', code], 'unknown rule code');
  }
  const out: Array<{ rule: FraudRule; weight: number }> = [];
  for (const def of BUILTIN_FRAUD_RULES.values()) {
    const c = config[def.code] ?? {};
    if (!(c.enabled ?? def.enabledByDefault)) continue;
    const params = def.params.safeParse(c.params ?? {});
    if (!params.success) {
      const issue = params.error.issues[0]!;
      throw optionError(['rules', def.code, 'params', ...issue.path], issue.message);
    }
    out.push({ rule: def.create(params.data), weight: c.weight ?? 1 });
  }
  for (const rule of extra) {
    const c = config[rule.code] ?? {};
    if (c.params !== undefined) throw optionError(['rules', rule.code, 'params'], 'a custom rule takes its parameters when you create it');
    if (c.enabled ?? true) out.push({ rule, weight: c.weight ?? 1 });
  }
  return out;
}

/** Stable JSON (sorted keys) for hashing the configuration. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
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
  const opts = parseOptions('createFraudScorer', OptionsSchema, options);
  const store = opts.store ?? createMemoryVelocityStore();
  const now = opts.now ?? Date.now;
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

  const evaluate = (input: FraudInput, timestamp: number, counts: number[], history: SeriesStats | undefined): FraudResult => {
    const reasons: FraudReason[] = [];
    let keep = 1;
    let total = 0;
    for (const { rule, weight, first } of active) {
      const n = rule.counters?.length ?? 0;
      const hit: FraudRuleHit | null = rule.evaluate(input, { counts: n === 0 ? [] : counts.slice(first, first + n), history, now: timestamp });
      if (hit === null) continue;
      const contribution = Math.round(Math.min(100, Math.max(0, hit.contribution * weight)) * 100) / 100;
      if (contribution === 0) continue;
      keep *= 1 - contribution / 100;
      total += contribution;
      reasons.push(hit.detail === undefined ? { code: rule.code, contribution } : { code: rule.code, contribution, detail: hit.detail.slice(0, 1024) });
    }
    reasons.sort((a, b) => b.contribution - a.contribution || (a.code < b.code ? -1 : 1));
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

  const run = (transaction: FraudInput | TransactionEvent, context?: Partial<FraudInput>): MaybePromise<FraudResult> => {
    let input = isTransactionEvent(transaction) ? fraudInputFromEvent(transaction) : transaction;
    if (context) input = { ...input, ...context };
    const timestamp = input.timestamp ?? now();
    const hits: VelocityHit[] = [];
    // Position of each counter in `hits`, or -1 when the transaction lacks the counter's dimension (reads 0).
    const at = new Array<number>(counters);
    const email = input.email?.toLowerCase();
    for (let k = 0; k < counters; k++) {
      const c = hitOrder[k]!;
      const value = c.dimension === 'email' ? email : input[c.dimension];
      if (value === undefined || value === '') {
        at[c.index] = -1;
        continue;
      }
      at[c.index] = hits.length;
      hits.push({ counter: c.counter, dimension: c.dimension, value, slot: c.slot, windowMs: c.windowMs, weight: c.weight ? c.weight(input) : 1 });
    }
    const historyKey = usesHistory && input.userId !== undefined ? `amount|${input.currency}|${input.userId}` : undefined;
    return then(historyKey === undefined ? undefined : store.stats(historyKey), (history) =>
      then(hits.length === 0 ? [] : store.hit(hits, timestamp), (read) => {
        const counts = new Array<number>(counters);
        for (let i = 0; i < counters; i++) counts[i] = at[i]! < 0 ? 0 : read[at[i]!]!;
        const result = evaluate(input, timestamp, counts, history);
        // Only what the scorer let through becomes the user's normal, so a fraudster cannot train the baseline.
        if (historyKey !== undefined && result.decision === 'allow' && input.amount > 0 && !DONE_STATUSES.has(input.status ?? '')) {
          return then(store.observe(historyKey, Math.log(input.amount), timestamp), () => result);
        }
        return result;
      }),
    );
  };

  return {
    rulesetVersion,
    sync: store.sync,
    ruleCodes: active.map((a) => a.rule.code),
    score: async (transaction, context) => run(transaction, context),
    scoreSync(transaction, context) {
      if (!store.sync) throw new TypeError('scoreSync needs a synchronous velocity store; use score()');
      const result = run(transaction, context);
      if (result instanceof Promise) throw new TypeError('the velocity store answered asynchronously; use score()');
      return result;
    },
  };
}
