import type { z } from 'zod';
import { minorToDecimal } from '../../schema/common.js';
import type { FraudRule } from '../rule.js';

/** A built-in rule: its reason code, whether it is on by default, its parameters (zod, with defaults) and factory. */
export interface BuiltinFraudRule {
  readonly code: string;
  readonly description: string;
  readonly enabledByDefault: boolean;
  readonly params: z.ZodType;
  /** Builds the rule from parameters already parsed by `params`. */
  create(params: unknown): FraudRule;
}

/** Declares a built-in rule with typed parameters. */
export function defineRule<S extends z.ZodType>(def: {
  code: string;
  description: string;
  enabledByDefault?: boolean;
  params: S;
  create(params: z.output<S>): Omit<FraudRule, 'code' | 'params'>;
}): BuiltinFraudRule {
  return {
    code: def.code,
    description: def.description,
    enabledByDefault: def.enabledByDefault ?? true,
    params: def.params,
    create: (params) => ({ ...def.create(params as z.output<S>), code: def.code, params }),
  };
}

/** `12.50 EUR` */
export function money(minor: number, currency: string): string {
  return `${minorToDecimal(minor, currency)} ${currency}`;
}

/** `10 min`, `1 h`, `2 s` */
export function duration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms % 1000 === 0) return `${ms / 1000} s`;
  return `${ms} ms`;
}

/** A status that means the payment did not go through. */
export function isFailed(status: string | undefined): boolean {
  return status === 'failed' || status === 'declined';
}
