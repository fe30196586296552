import type { FraudInput } from './input.js';
import type { SeriesStats } from './velocity-store.js';

/** Input fields a velocity counter can be keyed on. */
export type FraudDimension = 'userId' | 'cardFingerprint' | 'ip' | 'email';

/** A sliding-window counter a rule reads; the scorer keeps it in the velocity store. */
export interface FraudCounter {
  /** Keyed on this input field; a transaction without it neither reads nor feeds the counter (reads 0). */
  dimension: FraudDimension;
  windowMs: number;
  /** What this transaction adds to the window (e.g. 1 only when declined). @default 1 for every transaction */
  weight?: (input: FraudInput) => number;
}

/** What a rule sees besides the transaction. */
export interface FraudSignals {
  /**
   * Per counter of the rule (same order as `counters`): the window's total from EARLIER transactions. The
   * transaction being scored is added atomically right after being read, so it never counts towards its own velocity.
   * The array is reused: read it during `evaluate`, do not keep it.
   */
  counts: readonly number[];
  /**
   * The user's history in this currency (natural log of minor amounts of earlier allowed transactions). The object
   * may be reused, like `counts`: read it during `evaluate`, do not keep it.
   */
  history: SeriesStats | undefined;
  /** Time of the transaction, Unix ms. */
  now: number;
}

/** A rule's verdict: how much it alone would score (0–100) and why. */
export interface FraudRuleHit {
  contribution: number;
  detail?: string;
}

/** A fraud rule plugin. Built-in rules and user rules use this same interface. */
export interface FraudRule {
  /** Stable UPPER_SNAKE reason code. */
  readonly code: string;
  /** Counters the rule reads (and the scorer feeds). */
  readonly counters?: readonly FraudCounter[];
  /** True when the rule reads `signals.history`. */
  readonly usesHistory?: boolean;
  /** Fingerprint of the rule's parameters, folded into the ruleset version. */
  readonly params?: unknown;
  /** Judges one transaction: a hit, or null when the rule has nothing to say. Must not throw on missing fields. */
  evaluate(input: FraudInput, signals: FraudSignals): FraudRuleHit | null;
}
