import {
  BUILTIN_FRAUD_RULES,
  loadPlugin,
  moduleOf,
  ruleOfPlugin,
  StageGuard,
  type FraudRule,
  type FraudRuleHit,
  type PluginLoaderOptions,
  type PluginSpec,
} from '@shoplog/core';
import { guardedHealth, type PluginHealth } from './plugins.js';

/** A fraud rule plugin named in the `fraudRules` setting, as the server's scorer runs it. */
export interface RulePlugin {
  /** The plugin's rule, timed, counted and circuit-broken; it throws while the plugin fails, or always when it was refused. */
  readonly rule: FraudRule;
  /** Its entry on `GET /api/dashboard/health`. */
  health(): PluginHealth;
}

/** Options of `loadRulePlugins`. */
export interface RulePluginsOptions {
  /** How modules are found (the server's loader: the config file's folder first). */
  loader: PluginLoaderOptions;
  /** Told once for each plugin refused at load, with a message naming it and why. */
  onRefused: (message: string) => void;
  /** Told on each failed call of a plugin, with its name (`/metrics` counts them). */
  onFailure: (plugin: string) => void;
  /** Consecutive failures that open a plugin's circuit breaker. @default 5 */
  failures?: number;
  /** How long an open breaker waits before one call tries the plugin again, in ms. @default 30000 */
  cooldownMs?: number;
  /** Current time in epoch ms (the breaker's clock). @default Date.now */
  now?: () => number;
}

const what = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * Runs a plugin's rule through its guard. A throw, an invalid hit or an open breaker is thrown on to the scorer, whose
 * policy judges the transaction `review` with a `SCORER_ERROR` reason: a failing rule never lets a transaction through.
 */
function guardedRule(name: string, rule: FraudRule, guard: StageGuard, onFailure: (plugin: string) => void): FraudRule {
  return {
    code: rule.code,
    ...(rule.counters ? { counters: rule.counters } : {}),
    ...(rule.usesHistory ? { usesHistory: true } : {}),
    params: rule.params ?? null,
    evaluate(input, signals) {
      if (!guard.admit())
        throw new Error(
          `rule plugin ${name} is not called while its circuit breaker is open (${guard.stats().lastError ?? 'failing'})`,
        );
      const started = guard.start();
      let hit: FraudRuleHit | null;
      try {
        hit = rule.evaluate(input, signals);
        if (
          hit !== null &&
          !(typeof hit === 'object' && typeof hit.contribution === 'number' && Number.isFinite(hit.contribution))
        ) {
          throw new TypeError(
            `evaluate() returned ${JSON.stringify(hit)?.slice(0, 80)}: return null or { contribution: 0-100, detail? }`,
          );
        }
      } catch (error) {
        guard.failed(started, error);
        onFailure(name);
        throw new Error(`rule plugin ${name} failed: ${what(error)}`, { cause: error });
      }
      guard.succeeded(started);
      return hit;
    },
  };
}

/** A plugin refused at load: in the scorer as a rule that always fails, so that no transaction is judged without it. */
function refusedPlugin(index: number, name: string, version: string, message: string): RulePlugin {
  return {
    rule: {
      code: `RULE_PLUGIN_${index + 1}_REFUSED`,
      evaluate() {
        throw new Error(message);
      },
    },
    health: () => ({
      name,
      version,
      kind: 'rule',
      stage: 'fraud',
      state: 'refused',
      calls: 0,
      errors: 0,
      timeouts: 0,
      total_ms: 0,
      last_error: message,
    }),
  };
}

/**
 * Loads the fraud rule plugins of the `fraudRules` setting through the server's loader: each module's definition,
 * its plugin API version, its options (checked with its schema) and its rule (`ruleOfPlugin`). A plugin that cannot
 * be loaded, or whose rule code is taken, is refused (told once to `onRefused`) and never stops the server: it stays
 * in the scorer as a rule that fails, so transactions are judged `review` until it is fixed, never `allow`.
 */
export async function loadRulePlugins(
  specs: readonly PluginSpec[],
  options: RulePluginsOptions,
): Promise<RulePlugin[]> {
  const now = options.now ?? Date.now;
  const settled = await Promise.allSettled(
    specs.map((spec) => loadPlugin(spec, { ...options.loader, kinds: ['rule'] })),
  );
  const taken = new Map<string, string>();
  return settled.map((outcome, i) => {
    const module = moduleOf(specs[i]!);
    const info = outcome.status === 'fulfilled' ? outcome.value.info : undefined;
    const name = info?.name ?? module;
    const version = info?.version ?? 'unknown';
    try {
      if (outcome.status === 'rejected') throw outcome.reason;
      const label = `plugin ${name}@${version} (module "${module}")`;
      let rule: FraudRule;
      try {
        rule = ruleOfPlugin(outcome.value.instance);
      } catch (error) {
        throw new TypeError(`${label}: ${what(error)}`, { cause: error });
      }
      const owner = BUILTIN_FRAUD_RULES.has(rule.code) ? 'a built-in rule' : taken.get(rule.code);
      if (owner !== undefined)
        throw new TypeError(`${label}: its rule code ${rule.code} is already the code of ${owner}`);
      taken.set(rule.code, label);
      const guard = new StageGuard(() => name, now, options.failures ?? 5, options.cooldownMs ?? 30_000);
      return {
        rule: guardedRule(name, rule, guard, options.onFailure),
        health: () => guardedHealth({ name, version, kind: 'rule', stage: 'fraud' }, guard.stats()),
      };
    } catch (error) {
      const message = `fraud rule plugin refused: ${what(error)}`;
      options.onRefused(message);
      return refusedPlugin(i, name, version, message);
    }
  });
}
