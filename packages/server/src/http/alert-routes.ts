import type { FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { AlertMetric, AlertRuleRecord, NotificationRecord } from '../ports.js';
import { guard, ownerId, principalOf } from './auth.js';
import type { ServerContext } from './context.js';
import { HttpError } from './errors.js';
import { parseDuration, parseFilter, type Query } from './query-params.js';

const METRICS: readonly AlertMetric[] = ['error_rate', 'p95_ms', 'fraud_alerts', 'count'];
const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** The public view of a rule. */
export function ruleView(rule: AlertRuleRecord) {
  return {
    id: rule.id, name: rule.name, metric: rule.metric, filters: rule.filters, window: `${Math.round(rule.windowMs / 60_000)}m`,
    window_ms: rule.windowMs, threshold: rule.threshold, state: rule.state, last_value: rule.lastValue,
    last_fired_at: iso(rule.lastFiredAt), last_evaluated_at: iso(rule.lastEvaluatedAt), created_at: iso(rule.createdAt),
    channels: rule.channels ?? [], firing_since: iso(rule.firingSince ?? null),
  };
}

/** The public view of a notification record (the alert history). */
export function notificationView(record: NotificationRecord) {
  return {
    id: record.id, notification_id: record.notificationId, channel: record.channel, type: record.type, group: record.group,
    rule_id: record.ruleId, title: record.title, outcome: record.outcome, attempts: record.attempts, error: record.error,
    count: record.count, at: iso(record.at),
  };
}

/** Problems of a rule's `channels`: a list of distinct configured channel names. */
function channelIssues(channels: unknown, configured: readonly string[]): { path: string; message: string }[] {
  if (channels === undefined) return [];
  if (!Array.isArray(channels) || channels.length > 10) return [{ path: 'channels', message: 'must be a list of at most 10 channel names' }];
  const known = configured.length > 0 ? `configured: ${configured.join(', ')}` : 'none is configured (setting notifications)';
  return channels.flatMap((name, i) =>
    typeof name !== 'string' || !configured.includes(name)
      ? [{ path: `channels[${i}]`, message: `no channel named ${String(name)} (${known})` }]
      : channels.indexOf(name) !== i ? [{ path: `channels[${i}]`, message: `${name} is listed twice` }] : [],
  );
}

/** Threshold alert rules and their state; `POST /api/alerts/evaluate` runs the evaluation now. */
export function registerAlertRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const canRead = guard(ctx, 'read');
  const canWrite = guard(ctx, 'analyst');

  app.get('/api/alerts/rules', { preHandler: canRead }, async () => ({ rules: (await ctx.meta.listAlertRules()).map(ruleView) }));
  app.get('/api/alerts', { preHandler: canRead }, async () => ({ alerts: (await ctx.meta.listAlertRules()).map(ruleView) }));

  app.post('/api/alerts/rules', { preHandler: canWrite }, async (request, reply) => {
    const body = (request.body ?? {}) as { name?: unknown; metric?: unknown; filters?: unknown; window?: unknown; threshold?: unknown; channels?: unknown };
    const windowMs = typeof body.window === 'string' ? parseDuration(body.window) : typeof body.window === 'number' ? body.window : undefined;
    const filters = body.filters ?? {};
    const issues = [
      ...(typeof body.name !== 'string' || body.name.trim() === '' ? [{ path: 'name', message: 'must be a non-empty string' }] : []),
      ...(!METRICS.includes(body.metric as AlertMetric) ? [{ path: 'metric', message: `must be one of ${METRICS.join(', ')}` }] : []),
      ...(windowMs === undefined || windowMs < 60_000 || windowMs > 30 * 86_400_000 ? [{ path: 'window', message: 'must be a duration such as 5m, 1h or 1d (1 minute to 30 days)' }] : []),
      ...(typeof body.threshold !== 'number' || !Number.isFinite(body.threshold) ? [{ path: 'threshold', message: 'must be a number' }] : []),
      ...(typeof filters !== 'object' || filters === null || Array.isArray(filters) ? [{ path: 'filters', message: 'must be an object of search parameters' }] : []),
      ...channelIssues(body.channels, ctx.notifications.channelNames),
    ];
    if (issues.length > 0) throw new HttpError(400, 'bad_request', 'invalid alert rule', issues);
    const params = Object.fromEntries(Object.entries(filters as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
    parseFilter(params as Query, Date.now(), 'all');
    const rule: AlertRuleRecord = {
      id: randomUUID(), userId: ownerId(principalOf(request)), name: (body.name as string).trim(), metric: body.metric as AlertMetric,
      filters: params, windowMs: windowMs ?? 300_000, threshold: body.threshold as number, state: 'unknown',
      lastValue: null, lastFiredAt: null, lastEvaluatedAt: null, createdAt: Date.now(), channels: (body.channels as string[] | undefined) ?? [], firingSince: null,
    };
    await ctx.meta.createAlertRule(rule);
    return reply.code(201).send(ruleView(rule));
  });

  app.delete('/api/alerts/rules/:id', { preHandler: canWrite }, async (request, reply) => {
    const { id } = request.params as { id: string };
    if (!(await ctx.meta.deleteAlertRule(id))) throw new HttpError(404, 'not_found', 'no such alert rule');
    return reply.code(204).send();
  });

  app.post('/api/alerts/evaluate', { preHandler: canWrite }, async () => ({
    alerts: (await ctx.evaluateAlerts()).map(ruleView),
  }));

  // The configured channels (never their options: they hold secrets) with their delivery counters.
  app.get('/api/alerts/channels', { preHandler: canRead }, async () => ({ channels: ctx.notifications.channels() }));

  // What was sent, newest first: `rule` and `channel` narrow it, `limit` is 1 to 500 (default 100).
  app.get('/api/alerts/history', { preHandler: canRead }, async (request) => {
    const query = request.query as { rule?: string; channel?: string; limit?: string };
    const limit = query.limit === undefined ? 100 : Number(query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new HttpError(400, 'bad_request', 'invalid history query', [{ path: 'limit', message: 'must be an integer from 1 to 500' }]);
    const records = await ctx.meta.listNotifications({
      limit,
      ...(query.rule ? { ruleId: query.rule } : {}),
      ...(query.channel ? { channel: query.channel } : {}),
    });
    return { notifications: records.map(notificationView) };
  });
}
