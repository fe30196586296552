import type { AlertRuleRecord, LogStore, MetaStore } from './ports.js';
import { parseFilter, type Query } from './http/query-params.js';

/** Computes the current value of a rule's metric over its window. */
export async function evaluateMetric(logs: LogStore, rule: AlertRuleRecord, now: number): Promise<number> {
  const { filter } = parseFilter(rule.filters as Query, now, 'all');
  const windowed = { ...filter, range: { from: now - rule.windowMs, to: now + 1 } };
  switch (rule.metric) {
    case 'count':
      return logs.count(windowed);
    case 'error_rate': {
      const [total, errors] = await Promise.all([
        logs.count(windowed),
        logs.count({ ...windowed, levels: ['error', 'fatal'] }),
      ]);
      return total === 0 ? 0 : (errors / total) * 100;
    }
    case 'fraud_alerts':
      return logs.count({ ...windowed, kinds: ['fraud'], fraudDecisions: ['review', 'block'] });
    case 'p95_ms':
      return (await logs.latency(windowed, 'route', { size: 1 })).overall.p95 ?? 0;
  }
}

/** A rule that started firing (`since` = now) or stopped (`since` = when that firing started). */
export type AlertChange = (rule: AlertRuleRecord, change: 'firing' | 'resolved', since: number, now: number) => void;

/**
 * Evaluates every rule once and stores its state, value, last firing and when the current firing started;
 * `onChange` hears of each rule that starts or stops firing (once per change: the state is stored first).
 */
export async function evaluateAlertRules(
  logs: LogStore,
  meta: MetaStore,
  now: number = Date.now(),
  onChange?: AlertChange,
): Promise<AlertRuleRecord[]> {
  const rules = await meta.listAlertRules();
  const out: AlertRuleRecord[] = [];
  for (const rule of rules) {
    if (rule.enabled === false) {
      out.push(rule);
      continue;
    }
    const value = await evaluateMetric(logs, rule, now);
    const firing = value > rule.threshold;
    const wasFiring = rule.state === 'firing';
    // A rule stored as firing before `firingSince` existed started at the latest at its last firing.
    const startedAt = rule.firingSince ?? rule.lastFiredAt ?? now;
    const next: AlertRuleRecord = {
      ...rule,
      state: firing ? 'firing' : 'ok',
      lastValue: Math.round(value * 100) / 100,
      lastEvaluatedAt: now,
      lastFiredAt: firing ? now : rule.lastFiredAt,
      firingSince: firing ? (wasFiring ? startedAt : now) : null,
    };
    await meta.updateAlertRule(next);
    if (firing && !wasFiring) onChange?.(next, 'firing', now, now);
    if (!firing && wasFiring) onChange?.(next, 'resolved', startedAt, now);
    out.push(next);
  }
  return out;
}

/** What an edit may change of a rule (validated by the route). */
export type AlertRuleChange = Partial<
  Pick<AlertRuleRecord, 'name' | 'metric' | 'filters' | 'windowMs' | 'threshold' | 'channels' | 'enabled'>
>;

/**
 * Edits a rule (`undefined` when there is none with that id). Disabling a firing rule ends its firing: its channels
 * are told it resolved, so no incident stays open on their side. A changed condition is judged by the next
 * evaluation (which notifies a change of state then); an enabled rule starts again from `unknown`.
 */
export async function editAlertRule(
  meta: MetaStore,
  id: string,
  change: AlertRuleChange,
  now: number,
  onChange?: AlertChange,
): Promise<AlertRuleRecord | undefined> {
  const rule = (await meta.listAlertRules()).find((r) => r.id === id);
  if (!rule) return undefined;
  const wasEnabled = rule.enabled !== false;
  const next: AlertRuleRecord = { ...rule, ...change };
  const disabling = wasEnabled && change.enabled === false;
  if (disabling || (!wasEnabled && change.enabled === true)) {
    next.state = 'unknown';
    next.firingSince = null;
  }
  await meta.updateAlertRule(next);
  // Told with the channels the rule had while it fired.
  if (disabling && rule.state === 'firing')
    onChange?.(rule, 'resolved', rule.firingSince ?? rule.lastFiredAt ?? now, now);
  return next;
}
