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

const UPPER_SNAKE = /^[A-Z][A-Z0-9_]*$/;
const DIMENSIONS: readonly string[] = ['userId', 'cardFingerprint', 'ip', 'email'];

/**
 * The rule a rule plugin's instance (what `defineRule` returns) makes with its default parameters, checked: an
 * UPPER_SNAKE code, a description, parameters that all have defaults, valid counters. Throws a TypeError saying what is wrong.
 */
export function ruleOfPlugin(instance: unknown): FraudRule {
  const builtin = instance as Partial<BuiltinFraudRule> | null | undefined;
  const fail = (message: string): never => {
    throw new TypeError(message);
  };
  if (!(typeof builtin?.code === 'string' && UPPER_SNAKE.test(builtin.code)))
    fail('create() must return a rule (defineRule) whose code is UPPER_SNAKE');
  if (!(typeof builtin!.description === 'string' && builtin!.description.length > 0))
    fail('the rule needs a description');
  if (!(typeof builtin!.create === 'function' && typeof builtin!.params?.safeParse === 'function'))
    fail('the rule needs params (a zod schema) and create(params)');
  const { code, params, create } = builtin as BuiltinFraudRule;
  const parsed = params.safeParse({});
  if (!parsed.success) fail(`the rule's params must all have defaults: ${parsed.error?.message ?? ''}`);
  const rule = create(parsed.data);
  if (!(rule?.code === code && typeof rule.evaluate === 'function'))
    fail('the rule made by create() must keep its code and have evaluate(input, signals)');
  for (const counter of rule.counters ?? []) {
    if (!DIMENSIONS.includes(counter.dimension))
      fail(`counter dimension ${String(counter.dimension)} is not one of ${DIMENSIONS.join(', ')}`);
    if (!(Number.isInteger(counter.windowMs) && counter.windowMs > 0))
      fail(`counter windowMs ${counter.windowMs} must be a positive integer`);
  }
  return rule;
}
