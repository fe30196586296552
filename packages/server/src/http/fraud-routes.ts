import type { FastifyInstance } from 'fastify';
import type { FraudEvent } from '@shoplog/core';
import type { LogFilter } from '../ports.js';
import { guard } from './auth.js';
import { cached, queryKey } from './cached.js';
import type { ServerContext } from './context.js';
import { windowOf } from './analytics-routes.js';
import { HttpError } from './errors.js';
import { numberParam, type Query } from './query-params.js';
import { scoreTransaction } from '../fraud.js';

/** Fraud alerts, stats and on-demand scoring. */
export function registerFraudRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const canRead = guard(ctx, 'read');
  const scorer = ctx.fraudScorer;

  app.get('/api/fraud/alerts', { preHandler: canRead }, async (request) => {
    const query = request.query as Query;
    const { range } = windowOf(query, Date.now());
    const limit = numberParam(query, 'limit', { fallback: 100, min: 1, max: 1000, clamp: true });
    const filter: LogFilter = { range, kinds: ['fraud'], fraudDecisions: ['review', 'block'] };
    const page = await ctx.logs.search({ filter, sort: { field: '@timestamp', order: 'desc' }, page: 1, size: limit, highlight: false });
    return {
      total: page.total,
      alerts: page.hits.map(({ event }) => {
        const fraud = event as FraudEvent;
        const amount = fraud.shop.amount;
        return {
          id: fraud.event.id,
          '@timestamp': fraud['@timestamp'],
          score: fraud.shop.fraud.score,
          risk_level: fraud.shop.fraud.risk_level,
          decision: fraud.shop.fraud.decision,
          reasons: fraud.shop.fraud.reasons,
          transaction_id: fraud.shop.transaction.id,
          user_id: fraud.user?.id ?? null,
          amount: amount ? Number(amount.value ?? (amount.minor ?? 0) / 100) : null,
          currency: amount?.currency ?? null,
        };
      }),
    };
  });

  app.get('/api/fraud/stats', { preHandler: canRead }, async (request) => {
    const query = request.query as Query;
    const now = Date.now();
    const { range } = windowOf(query, now);
    return cached(ctx, `fraud:${Math.floor(now / 10_000)}:${queryKey(query)}`, async () => {
      const filter: LogFilter = { range, kinds: ['fraud'] };
      const buckets = Array.from({ length: 10 }, (_, i) => ({ from: i * 10, to: i === 9 ? 100 : (i + 1) * 10 }));
      const [count, score, decisions, reasons, histogram] = await Promise.all([
        ctx.logs.count(filter),
        ctx.logs.stats(filter, 'fraud_score'),
        ctx.logs.terms(filter, 'fraud_decision', { size: 5 }),
        ctx.logs.terms(filter, 'fraud_reason', { size: 10 }),
        Promise.all(buckets.map((b) => ctx.logs.count({ ...filter, minFraudScore: b.from, ...(b.to === 100 ? {} : { maxFraudScore: b.to }) }))),
      ]);
      return {
        count,
        avg_score: score.avg === null ? null : Math.round(score.avg * 100) / 100,
        by_decision: Object.fromEntries(decisions.map((d) => [d.value, d.count])),
        top_reasons: reasons.map((r) => ({ code: r.value, count: r.count })),
        score_histogram: buckets.map((b, i) => ({ ...b, count: histogram[i] ?? 0 })),
      };
    });
  });

  // Scoring records the transaction into the velocity windows (as an ingested one would be): a read-only key must
  // not be able to fill a victim's windows and have their next real sale blocked, so this needs the ingest permission.
  app.post('/api/fraud/detect', { preHandler: guard(ctx, 'ingest') }, async (request) => {
    const body = request.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, 'bad_request', 'send one transaction as a JSON object');
    const result = await scoreTransaction(scorer, body as Record<string, unknown>);
    if ('issues' in result) throw new HttpError(400, 'invalid_event', 'not a valid transaction', result.issues);
    return result;
  });
}
