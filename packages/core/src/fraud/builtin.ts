import { AMOUNT_ANOMALY, HIGH_AMOUNT, NEW_USER_HIGH_AMOUNT } from './rules/amount.js';
import type { BuiltinFraudRule } from './rules/define.js';
import { BOT_USER_AGENT, DISPOSABLE_EMAIL } from './rules/identity.js';
import { BLOCKED_LOCATION, COUNTRY_RULES } from './rules/location.js';
import {
  CARD_TESTING,
  MULTIPLE_FAILED_ATTEMPTS,
  RAPID_TRANSACTIONS,
  REQUEST_RATE,
  VELOCITY_RULES,
} from './rules/velocity.js';

/** Every built-in rule, by reason code. Rules with `enabledByDefault: false` run only when a config enables them. */
export const BUILTIN_FRAUD_RULES: ReadonlyMap<string, BuiltinFraudRule> = new Map(
  [
    ...VELOCITY_RULES,
    CARD_TESTING,
    REQUEST_RATE,
    AMOUNT_ANOMALY,
    NEW_USER_HIGH_AMOUNT,
    ...COUNTRY_RULES,
    DISPOSABLE_EMAIL,
    BOT_USER_AGENT,
    HIGH_AMOUNT,
    RAPID_TRANSACTIONS,
    MULTIPLE_FAILED_ATTEMPTS,
    BLOCKED_LOCATION,
  ].map((r) => [r.code, r]),
);

/** Configuration of one rule: on/off, a weight multiplying its contribution, its parameters. */
export interface FraudRuleConfig {
  /** @default the rule's `enabledByDefault` */
  enabled?: boolean;
  /** Multiplies the rule's contribution (capped at 100); 0 silences it. @default 1 */
  weight?: number;
  /** The rule's parameters (see the README table); unknown names are rejected. */
  params?: Record<string, unknown>;
}

/** Rule configuration by reason code; codes not listed keep their defaults. */
export type FraudRulesConfig = Record<string, FraudRuleConfig>;

/**
 * The seed platform's rules as configuration: high_amount > 10000.00 (+20), rapid_transactions > 3 in 5 min (+25),
 * blocked location (+15, give `countries`), ip_mismatch (+30, the seed's never-implemented stub: IP vs billing),
 * multiple_failed_attempts ≥ 3 in 1 h (+20); everything else off. Use with `combine: 'sum'` to add contributions
 * as the seed did.
 */
export function seedFraudRules(blockedCountries: readonly string[] = []): FraudRulesConfig {
  const config: FraudRulesConfig = {};
  for (const code of BUILTIN_FRAUD_RULES.keys()) config[code] = { enabled: false };
  config.HIGH_AMOUNT = { enabled: true };
  config.RAPID_TRANSACTIONS = { enabled: true };
  config.MULTIPLE_FAILED_ATTEMPTS = { enabled: true };
  config.BLOCKED_LOCATION = { enabled: true, params: { countries: [...blockedCountries] } };
  config.COUNTRY_MISMATCH_IP_BILLING = { enabled: true, params: { contribution: 30 } };
  return config;
}
