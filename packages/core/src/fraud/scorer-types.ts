import type { FRAUD_DECISIONS, RISK_LEVELS, FraudReason, TransactionEvent } from '../schema/kinds.js';
import type { ValidationIssue } from '../validate.js';
import type { FraudRulesConfig } from './builtin.js';
import type { FraudInput } from './input.js';
import type { FraudFeedback, RefitOptions } from './model/learner.js';
import type { FraudModel } from './model/model.js';
import type { FraudRule } from './rule.js';
import type { FraudStateStore } from './state/store.js';
import type { VelocityStore } from './velocity-store.js';

// The public types of createFraudScorer: its options, its result and the scorer itself.

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
  /**
   * How rule hits and profile features become the score. `model`: the learned model (`model` option) over the
   * profile, link and shop-wide features and the rules that fired; rules the model has no weight for (your own)
   * join by noisy-OR. `noisy-or`: 100 × (1 − Π(1 − cᵢ/100)) of the rules' contributions; `sum`: min(100, Σ cᵢ),
   * the seed platform's way (neither keeps profiles).
   * @default 'model' with a rules config, 'noisy-or' with an explicit list of rules
   */
  combine?: 'model' | 'noisy-or' | 'sum';
  /** The learned model (see `FraudModel`). @default DEFAULT_FRAUD_MODEL */
  model?: FraudModel;
  /** Decision thresholds: allow < review ≤ score < block ≤ score. @default the model's thresholds, else { review: 50, block: 75 } */
  thresholds?: { review?: number; block?: number };
  /** Risk level thresholds (the seed platform's levels). @default { low: 25, medium: 50, high: 75 } */
  riskLevels?: { low?: number; medium?: number; high?: number };
  /** Velocity state of the rules. @default createMemoryVelocityStore() */
  store?: VelocityStore;
  /** Profile and link state of the model. @default createMemoryFraudStateStore() */
  profileStore?: FraudStateStore;
  /**
   * What a scoring that fails (bad input, a throwing rule, a store down) returns: a result with this decision, the
   * reason `SCORER_ERROR` and `error`, or `'throw'` to reject. An error never becomes a silent `allow`.
   * @default 'review'
   */
  onError?: 'review' | 'block' | 'allow' | 'throw';
  /** Feature vectors of this many recent scorings are kept, so labels can be fed back by transaction id. @default 10000 */
  featureLog?: number;
  /** Clock in Unix ms, for transactions without a timestamp. @default Date.now */
  now?: () => number;
  /** Overrides the computed ruleset version (a hash of the effective configuration; the model version is appended). */
  rulesetVersion?: string;
}

/** The judgement of one transaction. */
export interface FraudResult {
  /** 0–100, two decimals (with the model: a calibrated probability of fraud, in percent). */
  score: number;
  riskLevel: RiskLevel;
  decision: FraudDecision;
  /**
   * Reasons, highest contribution first. With the model, a feature's contribution is its share of the score (they
   * add up to it); with noisy-OR or sum, what that rule alone scores.
   */
  reasons: FraudReason[];
  rulesetVersion: string;
  transactionId?: string;
  /** When the transaction happened (Unix ms), as used for the velocity windows and profiles. */
  timestamp: number;
  /** What score() changed or ignored in the input to judge it (a timestamp in seconds, a lower-case country, …). */
  adjustments?: ValidationIssue[];
  /** Set when the scoring failed: the decision is then the `onError` one. */
  error?: { message: string; path?: string };
}

/** A configured fraud scorer. */
export interface FraudScorer {
  /** Scores a transaction event or a flat input; `context` fields (e.g. an IP country from geo lookup) win. */
  score(transaction: FraudInput | TransactionEvent, context?: Partial<FraudInput>): Promise<FraudResult>;
  /** Same, synchronously: only with synchronous stores (the in-memory ones); throws a TypeError otherwise. */
  scoreSync(transaction: FraudInput | TransactionEvent, context?: Partial<FraudInput>): FraudResult;
  /** Version of the effective rules, thresholds and model. */
  readonly rulesetVersion: string;
  /** True when `scoreSync` is available (every store is synchronous). */
  readonly sync: boolean;
  /** Reason codes of the active rules. */
  readonly ruleCodes: readonly string[];
  /** The active model (`combine: 'model'`), else undefined. */
  readonly model: FraudModel | undefined;
  /** Models activated so far, oldest first (the active one last). */
  readonly models: readonly FraudModel[];
  /** The model features of a recently scored transaction (non-zero ones, by code), to store beside it for later labels. */
  featuresOf(transactionId: string): Record<string, number> | undefined;
  /** Feeds a label; false when the transaction's features are no longer kept (then pass `features`). */
  feedback(feedback: FraudFeedback): boolean;
  /** Refits the model on the labels fed so far, close to the active model; activates it unless `activate: false`. */
  refit(options?: RefitOptions): FraudModel;
  /** Activates `model` (validated); the previous one stays available to `rollback`. */
  useModel(model: FraudModel): void;
  /** Goes back to the previously active model and returns it. */
  rollback(): FraudModel;
}
