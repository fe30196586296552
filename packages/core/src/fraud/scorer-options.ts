import { z } from 'zod';
import { BUILTIN_FRAUD_RULES, type FraudRulesConfig } from './builtin.js';
import type { FraudRule } from './rule.js';
import { FraudModelSchema } from './model/model.js';
import type { FraudStateStore } from './state/store.js';
import type { VelocityStore } from './velocity-store.js';
import { OptionsError } from '../options.js';
import { formatPath } from '../validate.js';

// Options of createFraudScorer: the schema, rule resolution and the ruleset version hash.

/** A fraud rule plugin, checked structurally. */
export const RuleSchema = z.custom<FraudRule>(
  (v) =>
    typeof v === 'object' &&
    v !== null &&
    typeof (v as FraudRule).code === 'string' &&
    /^[A-Z][A-Z0-9_]*$/.test((v as FraudRule).code) &&
    typeof (v as FraudRule).evaluate === 'function',
  'must be a fraud rule: { code: UPPER_SNAKE string, evaluate(input, signals) }',
);
/** One entry of a rules config. */
export const RuleConfigSchema = z.strictObject({
  enabled: z.boolean().optional(),
  weight: z.number().min(0).max(100).optional(),
  params: z.record(z.string(), z.unknown()).optional(),
});
/** The scorer options schema (rules are checked in resolveRules, with their paths). */
export const ScorerOptionsSchema = z
  .strictObject({
    // Checked in resolveRules: a union would lose the path of the bad entry.
    rules: z
      .custom<FraudRulesConfig | readonly FraudRule[]>(
        (v) => typeof v === 'object' && v !== null,
        'must be a rules config object or a list of rules',
      )
      .optional(),
    extraRules: z.array(RuleSchema).default([]),
    thresholds: z
      .strictObject({ review: z.number().min(0).max(100).optional(), block: z.number().min(0).max(100).optional() })
      .optional(),
    riskLevels: z
      .strictObject({
        low: z.number().min(0).max(100).optional(),
        medium: z.number().min(0).max(100).optional(),
        high: z.number().min(0).max(100).optional(),
      })
      .optional(),
    combine: z.enum(['model', 'noisy-or', 'sum']).optional(),
    model: z.unknown().optional(),
    store: z
      .custom<VelocityStore>(
        (v) => typeof v === 'object' && v !== null && typeof (v as VelocityStore).hit === 'function',
        'must be a VelocityStore',
      )
      .optional(),
    profileStore: z
      .custom<FraudStateStore>(
        (v) =>
          typeof v === 'object' &&
          v !== null &&
          typeof (v as FraudStateStore).read === 'function' &&
          typeof (v as FraudStateStore).write === 'function',
        'must be a FraudStateStore',
      )
      .optional(),
    onError: z.enum(['review', 'block', 'allow', 'throw']).default('review'),
    featureLog: z.int().min(0).max(1_000_000).default(10_000),
    now: z.custom<() => number>((v) => typeof v === 'function', 'must be a function returning Unix ms').optional(),
    rulesetVersion: z.string().min(1).max(64).optional(),
  })
  .superRefine((o, ctx) => {
    const t = o.thresholds;
    if (t?.review !== undefined && t.block !== undefined && t.review > t.block)
      ctx.addIssue({ code: 'custom', path: ['thresholds', 'review'], message: 'must not exceed thresholds.block' });
    if (o.model !== undefined) {
      const m = FraudModelSchema.safeParse(o.model);
      if (!m.success) {
        const issue = m.error.issues[0]!;
        ctx.addIssue({
          code: 'custom',
          path: ['model', ...issue.path.map((p) => (typeof p === 'number' ? p : String(p)))],
          message: issue.message,
        });
      }
    }
  });
/** An option error with the same message shape as parseOptions (for the checks that run after it). */
export function optionError(path: PropertyKey[], message: string): OptionsError {
  const issue = { path: formatPath(path), message };
  return new OptionsError(`createFraudScorer: invalid options: ${issue.path}: ${message}`, [issue]);
}

/** Resolves the rules config into active rules, validating each rule's parameters with its own schema. */
export function resolveRules(
  rules: FraudRulesConfig | readonly FraudRule[] | undefined,
  extra: readonly FraudRule[],
): Array<{ rule: FraudRule; weight: number }> {
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
    if (!BUILTIN_FRAUD_RULES.has(code) && !extraByCode.has(code))
      throw optionError(['rules', code], 'unknown rule code');
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
    if (c.params !== undefined)
      throw optionError(['rules', rule.code, 'params'], 'a custom rule takes its parameters when you create it');
    if (c.enabled ?? true) out.push({ rule, weight: c.weight ?? 1 });
  }
  return out;
}

/** Stable JSON (sorted keys) for hashing the configuration. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** FNV-1a 32-bit hash as 8 hex digits. */
export function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}
