import { parseOptions } from '../options.js';
import type { FraudReason, TransactionEvent } from '../schema/kinds.js';
import type { ValidationIssue } from '../validate.js';
import { BUILTIN_FRAUD_RULES, type FraudRulesConfig } from './builtin.js';
import { checkFraudInput, FraudInputError, fraudInputOfEvent } from './check-input.js';
import { describeFeature } from './features/describe.js';
import { PROFILE_FEATURE_COUNT, ProfileContext, ProfileFeatures } from './features/profile.js';
import { updateProfile } from './features/update.js';
import { isTransactionEvent, type FraudInput } from './input.js';
import {
  compileModel,
  modelContributions,
  modelMargin,
  modelReasons,
  usedFeatures,
  type CompiledModel,
} from './model/combine.js';
import { DEFAULT_FRAUD_MODEL } from './model/default-model.js';
import { Learner, monotoneSlots } from './model/learner.js';
import { FraudModelSchema, sigmoid, type FraudModel } from './model/model.js';
import { createRuleEngine, type ActiveRule } from './rule-engine.js';
import { canonical, fnv1a, optionError, resolveRules, ScorerOptionsSchema } from './scorer-options.js';
import { createMemoryFraudStateStore } from './state/store.js';
import type { FraudDecision, FraudResult, FraudScorer, FraudScorerOptions, RiskLevel } from './scorer-types.js';
import { createMemoryVelocityStore, type MaybePromise } from './velocity-store.js';

export type { RiskLevel, FraudDecision, FraudScorerOptions, FraudResult, FraudScorer } from './scorer-types.js';

const round2 = (x: number): number => Math.round(x * 100) / 100;
const byContribution = (a: FraudReason, b: FraudReason): number =>
  b.contribution - a.contribution || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0);

/**
 * Creates an explainable fraud scorer. Built-in and custom rules judge each transaction over velocity state; with
 * the default `combine: 'model'`, a learned model (small gradient-boosted trees) combines their hits with profile
 * features (the account's devices, cards, mailboxes, countries, amounts and age), entity links (accounts sharing
 * an IP, card, mailbox or device over days) and shop-wide signals (decline and micro-amount spikes) into a
 * calibrated score, with the features that contributed most as reasons. Every input is checked cheaply first.
 */
export function createFraudScorer(options: FraudScorerOptions = {}): FraudScorer {
  const opts = parseOptions('createFraudScorer', ScorerOptionsSchema, options);
  const store = opts.store ?? createMemoryVelocityStore();
  const now = opts.now ?? Date.now;
  const combine = opts.combine ?? (Array.isArray(opts.rules) ? 'noisy-or' : 'model');
  const modelMode = combine === 'model';
  const initialModel = (opts.model as FraudModel | undefined) ?? DEFAULT_FRAUD_MODEL;
  let active: ActiveRule[] = resolveRules(opts.rules, opts.extraRules);
  if (modelMode && !Array.isArray(opts.rules)) {
    // With the model, a built-in rule runs when the model uses it or the config names it (one the model does not list
    // then joins by noisy-OR); the profile features cover what the others measure, at no velocity-store cost.
    const config = (opts.rules ?? {}) as FraudRulesConfig;
    const used = usedFeatures(initialModel);
    active = active.filter(
      ({ rule }) =>
        !BUILTIN_FRAUD_RULES.has(rule.code) ||
        used.has(rule.code) ||
        (config[rule.code] !== undefined && config[rule.code]!.enabled !== false),
    );
  }
  const engine = createRuleEngine(active, store);
  const profileStore = modelMode ? (opts.profileStore ?? createMemoryFraudStateStore()) : undefined;
  const sync = store.sync && (profileStore?.sync ?? true);
  const known = new Set([...BUILTIN_FRAUD_RULES.keys(), ...active.map((a) => a.rule.code)]);
  const ruleList = active.map((a) => a.rule.code);
  const learner = modelMode
    ? new Learner(
        compileModel(initialModel, ruleList, known).codes,
        opts.featureLog,
        initialModel,
        monotoneSlots(active.length),
      )
    : undefined;
  const baseVersion =
    opts.rulesetVersion ??
    `rs-${fnv1a(canonical({ rules: active.map((a) => ({ code: a.rule.code, weight: a.weight, params: a.rule.params ?? null })), thresholds: opts.thresholds ?? null, combine }))}`;

  let compiled: CompiledModel | undefined;
  let review = 50;
  let block = 75;
  let levels = { low: 25, medium: 50, high: 75 };
  let rulesetVersion = baseVersion;
  /** (Re)derives everything that depends on the active model. */
  const activate = (model: FraudModel | undefined): void => {
    compiled = model ? compileModel(model, ruleList, known) : undefined;
    review = opts.thresholds?.review ?? model?.thresholds?.review ?? 50;
    block = opts.thresholds?.block ?? model?.thresholds?.block ?? 75;
    if (review > block)
      throw optionError(
        ['thresholds'],
        `review ${review} must not exceed block ${block} (with the model's thresholds)`,
      );
    levels = {
      low: opts.riskLevels?.low ?? 25,
      medium: opts.riskLevels?.medium ?? 50,
      high: opts.riskLevels?.high ?? 75,
    };
    if (!(levels.low <= levels.medium && levels.medium <= levels.high))
      throw optionError(['riskLevels'], 'must satisfy low ≤ medium ≤ high');
    rulesetVersion = model ? `${baseVersion}+${model.version}`.slice(0, 64) : baseVersion;
  };
  activate(learner?.model);

  const features = new ProfileFeatures();
  const shared = new ProfileContext();
  // The feature vector: profile features, one slot per active rule, and a last slot always 0 (see CompiledModel).
  const x = new Float64Array(PROFILE_FEATURE_COUNT + active.length + 1);
  const work = new Float64Array(x.length);
  const riskLevelOf = (score: number): RiskLevel =>
    score >= levels.high ? 'high' : score >= levels.medium ? 'medium' : score >= levels.low ? 'low' : 'minimal';
  const decisionOf = (score: number): FraudDecision =>
    score >= block ? 'block' : score >= review ? 'review' : 'allow';
  const resultOf = (
    input: FraudInput,
    timestamp: number,
    score: number,
    reasons: FraudReason[],
    adjustments: ValidationIssue[] | undefined,
  ): FraudResult => {
    const result: FraudResult = {
      score,
      riskLevel: riskLevelOf(score),
      decision: decisionOf(score),
      reasons,
      rulesetVersion,
      timestamp,
    };
    if (input.transactionId !== undefined) result.transactionId = input.transactionId;
    if (adjustments) result.adjustments = adjustments;
    return result;
  };

  /** The rules' noisy-OR or sum (no model). */
  const ruleResult = (
    input: FraudInput,
    timestamp: number,
    adjustments: ValidationIssue[] | undefined,
  ): FraudResult => {
    const { contributions, details } = engine.hits;
    let keep = 1;
    let total = 0;
    let reasons: FraudReason[] = [];
    for (let r = 0; r < active.length; r++) {
      const c = contributions[r]!;
      if (c === 0) continue;
      keep *= 1 - c / 100;
      total += c;
      const detail = details[r];
      reasons.push(
        detail === undefined
          ? { code: active[r]!.rule.code, contribution: c }
          : { code: active[r]!.rule.code, contribution: c, detail: detail.slice(0, 1024) },
      );
    }
    if (reasons.length > 1) reasons = reasons.sort(byContribution);
    return resultOf(
      input,
      timestamp,
      round2(combine === 'sum' ? Math.min(100, total) : 100 * (1 - keep)),
      reasons,
      adjustments,
    );
  };

  // What `describe` describes: set by modelResult just before it builds reasons (synchronously), so no closure per scoring.
  const described = { ctx: shared, input: undefined as unknown as FraudInput };
  const describe = (slot: number): string | undefined =>
    slot < PROFILE_FEATURE_COUNT
      ? describeFeature(described.ctx, slot, described.input)
      : engine.hits.details[slot - PROFILE_FEATURE_COUNT];

  /** The model's score over the profile features (in `ctx`, read and decayed) and the rules' hits. */
  const modelResult = (
    ctx: ProfileContext,
    input: FraudInput,
    timestamp: number,
    adjustments: ValidationIssue[] | undefined,
  ): FraudResult => {
    const m = compiled!;
    const { contributions, details } = engine.hits;
    features.decayAll(ctx);
    features.extract(ctx, input, x);
    let outside = 1;
    for (let r = 0; r < active.length; r++) {
      const fired = contributions[r]! > 0;
      // Recorded whether or not the model weighs it (so a refit can learn a custom rule's weight).
      x[PROFILE_FEATURE_COUNT + r] = fired ? 1 : 0;
      if (fired && m.outside[r]) outside *= 1 - contributions[r]! / 100;
    }
    // Most transactions score under the reasons' half point: the contributions need a second walk only above it.
    let p = sigmoid(modelMargin(m, x));
    if (p >= 0.005) p = sigmoid(modelContributions(m, x, work));
    else work.fill(0);
    const score = round2(100 * (1 - (1 - p) * outside));
    described.ctx = ctx;
    described.input = input;
    let reasons = modelReasons(m, work, round2(100 * p), describe);
    if (outside < 1) {
      for (let r = 0; r < active.length; r++) {
        if (!m.outside[r] || contributions[r] === 0) continue;
        const detail = details[r];
        reasons.push(
          detail === undefined
            ? { code: active[r]!.rule.code, contribution: contributions[r]! }
            : { code: active[r]!.rule.code, contribution: contributions[r]!, detail: detail.slice(0, 1024) },
        );
      }
      reasons = reasons.sort(byContribution);
    }
    const result = resultOf(input, timestamp, score, reasons, adjustments);
    // Blocked or failed transactions never become part of the account's normal amounts.
    const failed =
      input.status === 'failed' ||
      input.status === 'declined' ||
      input.status === 'refunded' ||
      input.status === 'cancelled';
    updateProfile(ctx, result.decision !== 'block' && !failed);
    if (input.transactionId !== undefined) learner!.remember(input.transactionId, x);
    return result;
  };

  const inputOf = (
    transaction: FraudInput | TransactionEvent,
    context: Partial<FraudInput> | undefined,
    out: { adjustments: ValidationIssue[] | undefined },
  ): FraudInput => {
    const base = isTransactionEvent(transaction) ? fraudInputOfEvent(transaction) : transaction;
    return checkFraudInput(context ? { ...base, ...context } : base, out);
  };

  // The scoring in progress on the synchronous path (stores in memory): set before engine.run, read by `finishSync`,
  // so that path builds no closure per scoring.
  const current = {
    input: undefined as unknown as FraudInput,
    timestamp: 0,
    adjustments: undefined as ValidationIssue[] | undefined,
  };
  const finishSync = (): FraudResult =>
    profileStore
      ? modelResult(shared, current.input, current.timestamp, current.adjustments)
      : ruleResult(current.input, current.timestamp, current.adjustments);
  const scoreSyncOnce = (
    transaction: FraudInput | TransactionEvent,
    context: Partial<FraudInput> | undefined,
  ): FraudResult => {
    const input = inputOf(transaction, context, current);
    const timestamp = input.timestamp ?? now();
    current.input = input;
    current.timestamp = timestamp;
    // `sync` holds here: every store answers synchronously (no promise to wait for).
    if (profileStore) {
      features.prepare(shared, input, timestamp);
      void profileStore.read(shared.batch);
    }
    const result = engine.run(input, timestamp, true, finishSync) as FraudResult;
    if (profileStore) void profileStore.write(shared.batch, timestamp);
    return result;
  };

  /** Any store: each scoring its own context (an async store lets other scorings run while it waits). */
  const scoreAsyncOnce = (
    transaction: FraudInput | TransactionEvent,
    context: Partial<FraudInput> | undefined,
  ): MaybePromise<FraudResult> => {
    const out = { adjustments: undefined as ValidationIssue[] | undefined };
    const input = inputOf(transaction, context, out);
    const { adjustments } = out;
    const timestamp = input.timestamp ?? now();
    if (!profileStore) return engine.run(input, timestamp, false, () => ruleResult(input, timestamp, adjustments));
    const ctx = new ProfileContext();
    features.prepare(ctx, input, timestamp);
    const read = profileStore.read(ctx.batch);
    const scored = (): MaybePromise<FraudResult> => {
      const result = engine.run(input, timestamp, false, () => modelResult(ctx, input, timestamp, adjustments));
      const write = (r: FraudResult): MaybePromise<FraudResult> => {
        const written = profileStore.write(ctx.batch, timestamp);
        return written instanceof Promise ? written.then(() => r) : r;
      };
      return result instanceof Promise ? result.then(write) : write(result);
    };
    return read instanceof Promise ? read.then(scored) : scored();
  };

  const failure = (err: unknown, transaction: FraudInput | TransactionEvent): FraudResult => {
    if (opts.onError === 'throw') throw err;
    const message = err instanceof Error ? err.message : String(err);
    const decision = opts.onError;
    const score = decision === 'block' ? 100 : decision === 'review' ? review : 0;
    const result: FraudResult = {
      score,
      riskLevel: riskLevelOf(score),
      decision,
      reasons: [
        {
          code: 'SCORER_ERROR',
          contribution: score,
          detail: `scoring failed (${decision} by the onError policy): ${message}`.slice(0, 1024),
        },
      ],
      rulesetVersion,
      timestamp: now(),
      error: err instanceof FraudInputError ? { message, path: err.path } : { message },
    };
    const id = isTransactionEvent(transaction)
      ? (transaction as TransactionEvent).shop?.transaction?.id
      : (transaction as Partial<FraudInput> | null)?.transactionId;
    if (typeof id === 'string') result.transactionId = id;
    return result;
  };

  const guarded = (
    transaction: FraudInput | TransactionEvent,
    context: Partial<FraudInput> | undefined,
    wantSync: boolean,
  ): MaybePromise<FraudResult> => {
    try {
      if (sync) return scoreSyncOnce(transaction, context);
      if (wantSync)
        throw new TypeError('scoreSync needs synchronous stores; use score() (a store answers asynchronously)');
      const result = scoreAsyncOnce(transaction, context);
      return result instanceof Promise ? result.catch((err: unknown) => failure(err, transaction)) : result;
    } catch (err) {
      // Asking for a synchronous answer from an asynchronous store is a programming error, not a scoring failure.
      if (err instanceof TypeError && /asynchronous/.test(err.message)) throw err;
      return failure(err, transaction);
    }
  };

  const needModel = (what: string): Learner => {
    if (!learner) throw new TypeError(`${what} needs combine: 'model'`);
    return learner;
  };

  return {
    get rulesetVersion() {
      return rulesetVersion;
    },
    sync,
    ruleCodes: active.map((a) => a.rule.code),
    get model() {
      return learner?.model;
    },
    get models() {
      return learner?.models ?? [];
    },
    score: async (transaction, context) => guarded(transaction, context, false),
    scoreSync(transaction, context) {
      if (!sync)
        throw new TypeError('scoreSync needs synchronous stores; use score() (a store answers asynchronously)');
      const result = guarded(transaction, context, true);
      if (result instanceof Promise) throw new TypeError('a store answered asynchronously; use score()');
      return result;
    },
    featuresOf: (id) => learner?.featuresOf(id),
    feedback: (f) => needModel('feedback').feedback(f),
    refit(refitOptions) {
      const l = needModel('refit');
      const model = l.refit((row) => modelMargin(compiled!, row), refitOptions);
      if (refitOptions?.activate ?? true) activate(model);
      return model;
    },
    useModel(model) {
      const l = needModel('useModel');
      const parsed = FraudModelSchema.safeParse(model);
      if (!parsed.success)
        throw optionError(['model', ...parsed.error.issues[0]!.path], parsed.error.issues[0]!.message);
      activate(model);
      l.use(model);
    },
    rollback() {
      const model = needModel('rollback').rollback();
      activate(model);
      return model;
    },
  };
}
