import type { FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { AlertRuleChange } from '../alerts.js';
import type { AlertMetric, AlertRuleRecord, NotificationRecord } from '../ports.js';
import { guard, ownerId, principalOf } from './auth.js';
import type { ServerContext } from './context.js';
import { HttpError } from './errors.js';
import { param, parseDuration, parseFilter } from './query-params.js';
import { IdParams, jsonBody, queryText, type ZodTypeProvider } from './route-schema.js';
import { z } from 'zod';

const METRICS = ['error_rate', 'p95_ms', 'fraud_alerts', 'count'] as const satisfies readonly AlertMetric[];
const WINDOW = 'must be a duration such as 5m, 1h or 1d (1 minute to 30 days)';

// The issues come in this order: name, metric, window, threshold, filters, channels.
const ruleFields = {
  name: z.string({ error: 'must be a non-empty string' }).trim().min(1, 'must be a non-empty string'),
  metric: z.enum(METRICS, { error: `must be one of ${METRICS.join(', ')}` }),
  window: z
    .union([z.string(), z.number()], { error: WINDOW })
    .transform((value, ctx): number => {
      const ms = typeof value === 'string' ? parseDuration(value) : value;
      if (ms !== undefined && ms >= 60_000 && ms <= 30 * 86_400_000) return ms;
      ctx.addIssue({ code: 'custom', message: WINDOW });
      return z.NEVER;
    })
    .describe('5m, 1h, 1d… or milliseconds (1 minute to 30 days)'),
  threshold: z.number({ error: 'must be a number' }),
  filters: z
    .record(z.string(), z.unknown(), { error: 'must be an object of search parameters' })
    .default({})
    .describe('Search parameters (as in the query of GET /api/search/)'),
  channels: z
    .array(z.string(), { error: 'must be a list of at most 10 channel names' })
    .max(10, 'must be a list of at most 10 channel names')
    .optional(),
};
const RuleBody = jsonBody(ruleFields);
// An edit names only what changes; an unknown field (a typo such as `enable`) is refused, not ignored.
const RuleChangeBody = z.preprocess(
  (value) => value ?? {},
  z
    .strictObject(
      {
        name: ruleFields.name.optional(),
        metric: ruleFields.metric.optional(),
        window: ruleFields.window.optional(),
        threshold: ruleFields.threshold.optional(),
        filters: z
          .record(z.string(), z.unknown(), { error: 'must be an object of search parameters' })
          .optional()
          .describe('Search parameters (as in the query of GET /api/search/)'),
        channels: ruleFields.channels,
        enabled: z
          .boolean({ error: 'must be true or false' })
          .optional()
          .describe('false: not evaluated and notifies nobody until enabled again'),
      },
      {
        error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown field: ${issue.keys.join(', ')}` : undefined),
      },
    )
    .refine((body) => Object.keys(body).length > 0, 'name at least one field to change'),
);
const HistoryQuery = z.looseObject({
  rule: queryText('Only the notifications of this rule id'),
  channel: queryText('Only the notifications of this channel'),
  limit: z.coerce
    .number({ error: 'must be an integer from 1 to 500' })
    .int('must be an integer from 1 to 500')
    .min(1, 'must be an integer from 1 to 500')
    .max(500, 'must be an integer from 1 to 500')
    .default(100)
    .describe('Most notifications (1 to 500)'),
});
const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** The public view of a rule. */
export function ruleView(rule: AlertRuleRecord) {
  return {
    id: rule.id,
    name: rule.name,
    metric: rule.metric,
    filters: rule.filters,
    window: `${Math.round(rule.windowMs / 60_000)}m`,
    window_ms: rule.windowMs,
    threshold: rule.threshold,
    state: rule.state,
    last_value: rule.lastValue,
    last_fired_at: iso(rule.lastFiredAt),
    last_evaluated_at: iso(rule.lastEvaluatedAt),
    created_at: iso(rule.createdAt),
    channels: rule.channels ?? [],
    firing_since: iso(rule.firingSince ?? null),
    enabled: rule.enabled !== false,
  };
}

/** The public view of a notification record (the alert history). */
export function notificationView(record: NotificationRecord) {
  return {
    id: record.id,
    notification_id: record.notificationId,
    channel: record.channel,
    type: record.type,
    group: record.group,
    rule_id: record.ruleId,
    title: record.title,
    outcome: record.outcome,
    attempts: record.attempts,
    error: record.error,
    count: record.count,
    at: iso(record.at),
  };
}

/** Problems of a rule's `channels`: distinct configured channel names. */
function channelIssues(
  channels: readonly string[] | undefined,
  configured: readonly string[],
): { path: string; message: string }[] {
  if (channels === undefined) return [];
  const known =
    configured.length > 0 ? `configured: ${configured.join(', ')}` : 'none is configured (setting notifications)';
  return channels.flatMap((name, i) =>
    !configured.includes(name)
      ? [{ path: `channels[${i}]`, message: `no channel named ${name} (${known})` }]
      : channels.indexOf(name) !== i
        ? [{ path: `channels[${i}]`, message: `${name} is listed twice` }]
        : [],
  );
}

/** Threshold alert rules and their state; `POST /api/alerts/evaluate` runs the evaluation now. */
export function registerAlertRoutes(fastify: FastifyInstance, ctx: ServerContext): void {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const canRead = guard(ctx, 'read');
  const canWrite = guard(ctx, 'analyst');

  app.get(
    '/api/alerts/rules',
    { preValidation: canRead, schema: { summary: 'Alert rules', permission: 'read' } },
    async () => ({ rules: (await ctx.meta.listAlertRules()).map(ruleView) }),
  );
  app.get(
    '/api/alerts',
    { preValidation: canRead, schema: { summary: 'Alert rules with their state and last firing', permission: 'read' } },
    async () => ({ alerts: (await ctx.meta.listAlertRules()).map(ruleView) }),
  );

  const create = {
    summary: 'Create an alert rule (with the channels it notifies)',
    permission: 'analyst',
    body: RuleBody,
  } as const;
  app.post('/api/alerts/rules', { preValidation: canWrite, schema: create }, async (request, reply) => {
    const body = request.body;
    const issues = channelIssues(body.channels, ctx.notifications.channelNames);
    if (issues.length > 0) throw new HttpError(400, 'bad_request', 'invalid alert rule', issues);
    const params = Object.fromEntries(Object.entries(body.filters).map(([k, v]) => [k, String(v)]));
    parseFilter(params, Date.now(), 'all');
    const rule: AlertRuleRecord = {
      id: randomUUID(),
      userId: ownerId(principalOf(request)),
      name: body.name,
      metric: body.metric,
      filters: params,
      windowMs: body.window,
      threshold: body.threshold,
      state: 'unknown',
      lastValue: null,
      lastFiredAt: null,
      lastEvaluatedAt: null,
      createdAt: Date.now(),
      channels: body.channels ?? [],
      firingSince: null,
    };
    await ctx.meta.createAlertRule(rule);
    return reply.code(201).send(ruleView(rule));
  });

  const edit = {
    summary: 'Edit an alert rule, or disable / enable it (only the fields given change)',
    permission: 'analyst',
    params: IdParams,
    body: RuleChangeBody,
  } as const;
  app.patch('/api/alerts/rules/:id', { preValidation: canWrite, schema: edit }, async (request) => {
    const { window, filters, ...rest } = request.body;
    const issues = channelIssues(rest.channels, ctx.notifications.channelNames);
    if (issues.length > 0) throw new HttpError(400, 'bad_request', 'invalid alert rule', issues);
    const params =
      filters === undefined ? undefined : Object.fromEntries(Object.entries(filters).map(([k, v]) => [k, String(v)]));
    if (params) parseFilter(params, Date.now(), 'all');
    const change: AlertRuleChange = {
      ...rest,
      ...(window === undefined ? {} : { windowMs: window }),
      ...(params ? { filters: params } : {}),
    };
    const rule = await ctx.editAlertRule(request.params.id, change);
    if (!rule) throw new HttpError(404, 'not_found', 'no such alert rule');
    return ruleView(rule);
  });

  app.delete(
    '/api/alerts/rules/:id',
    { preValidation: canWrite, schema: { summary: 'Delete an alert rule', permission: 'analyst', params: IdParams } },
    async (request, reply) => {
      const { id } = request.params;
      if (!(await ctx.meta.deleteAlertRule(id))) throw new HttpError(404, 'not_found', 'no such alert rule');
      return reply.code(204).send();
    },
  );

  app.post(
    '/api/alerts/evaluate',
    {
      preValidation: canWrite,
      schema: { summary: 'Evaluate the alert rules now, notifying their state changes', permission: 'analyst' },
    },
    async () => ({
      alerts: (await ctx.evaluateAlerts()).map(ruleView),
    }),
  );

  // The configured channels (never their options: they hold secrets) with their delivery counters.
  app.get(
    '/api/alerts/channels',
    {
      preValidation: canRead,
      schema: { summary: 'Notification channels (name, type, fraud) with their delivery counters', permission: 'read' },
    },
    async () => ({ channels: ctx.notifications.channels() }),
  );

  // What was sent, newest first: `rule` and `channel` narrow it, `limit` is 1 to 500 (default 100).
  const history = {
    summary: 'Notifications sent, failed or dropped, newest first (rule, channel, limit)',
    permission: 'read',
    querystring: HistoryQuery,
  } as const;
  app.get('/api/alerts/history', { preValidation: canRead, schema: history }, async (request) => {
    const query = request.query;
    const rule = param(query, 'rule');
    const channel = param(query, 'channel');
    const records = await ctx.meta.listNotifications({
      limit: query.limit,
      ...(rule ? { ruleId: rule } : {}),
      ...(channel ? { channel } : {}),
    });
    return { notifications: records.map(notificationView) };
  });
}
