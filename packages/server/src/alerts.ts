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
      const [total, errors] = await Promise.all([logs.count(windowed), logs.count({ ...windowed, levels: ['error', 'fatal'] })]);
      return total === 0 ? 0 : (errors / total) * 100;
    }
    case 'fraud_alerts':
      return logs.count({ ...windowed, kinds: ['fraud'], fraudDecisions: ['review', 'block'] });
    case 'p95_ms':
      return (await logs.latency(windowed, 'route', { size: 1 })).overall.p95 ?? 0;
  }
}

/** Evaluates every rule once and stores its state, value and last firing. */
export async function evaluateAlertRules(logs: LogStore, meta: MetaStore, now: number = Date.now()): Promise<AlertRuleRecord[]> {
  const rules = await meta.listAlertRules();
  const out: AlertRuleRecord[] = [];
  for (const rule of rules) {
    const value = await evaluateMetric(logs, rule, now);
    const firing = value > rule.threshold;
    const next: AlertRuleRecord = {
      ...rule,
      state: firing ? 'firing' : 'ok',
      lastValue: Math.round(value * 100) / 100,
      lastEvaluatedAt: now,
      lastFiredAt: firing ? now : rule.lastFiredAt,
    };
    await meta.updateAlertRule(next);
    out.push(next);
  }
  return out;
}
