import type { FastifyInstance } from 'fastify';
import type { FraudEvent } from '@shoplog/core';
import type { LogFilter } from '../ports.js';
import { guard } from './auth.js';
import { cached, queryKey } from './cached.js';
import type { ServerContext } from './context.js';
import { HttpError } from './errors.js';
import { windowOf } from './query-params.js';
import { RANGE_QUERY, RangeQuery } from './query-schemas.js';
import { queryNumber, type ZodTypeProvider } from './route-schema.js';
import { z } from 'zod';

const AlertsQuery = z.looseObject({
  ...RANGE_QUERY,
  limit: queryNumber('Most alerts (1 to 1000, clamped)', { fallback: 100, min: 1, max: 1000, clamp: true }),
});
// Core validates the transaction itself (scoreTransaction): the route only requires an object.
const DetectBody = z
  .record(z.string(), z.unknown(), { error: 'send one transaction as a JSON object' })
  .describe("A transaction: an envelope or the seed's flat shape");
import { scoreTransaction } from '../fraud.js';

/** Fraud alerts, stats and on-demand scoring. */
export function registerFraudRoutes(fastify: FastifyInstance, ctx: ServerContext): void {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const canRead = guard(ctx, 'read');
  const scorer = ctx.fraudScorer;

  app.get(
    '/api/fraud/alerts',
    {
      preValidation: canRead,
      schema: { summary: 'Fraud alerts (review or block) with reasons', permission: 'read', querystring: AlertsQuery },
    },
    async (request) => {
      const query = request.query;
      const { range } = windowOf(query, Date.now());
      const limit = query.limit;
      const filter: LogFilter = { range, kinds: ['fraud'], fraudDecisions: ['review', 'block'] };
      const page = await ctx.logs.search({
        filter,
        sort: { field: '@timestamp', order: 'desc' },
        page: 1,
        size: limit,
        highlight: false,
      });
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
    },
  );

  app.get(
    '/api/fraud/stats',
    { preValidation: canRead, schema: { summary: 'Fraud statistics', permission: 'read', querystring: RangeQuery } },
    async (request) => {
      const query = request.query;
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
          Promise.all(
            buckets.map((b) =>
              ctx.logs.count({ ...filter, minFraudScore: b.from, ...(b.to === 100 ? {} : { maxFraudScore: b.to }) }),
            ),
          ),
        ]);
        return {
          count,
          avg_score: score.avg === null ? null : Math.round(score.avg * 100) / 100,
          by_decision: Object.fromEntries(decisions.map((d) => [d.value, d.count])),
          top_reasons: reasons.map((r) => ({ code: r.value, count: r.count })),
          score_histogram: buckets.map((b, i) => ({ ...b, count: histogram[i] ?? 0 })),
        };
      });
    },
  );

  // Scoring records the transaction into the velocity windows (as an ingested one would be): a read-only key must
  // not be able to fill a victim's windows and have their next real sale blocked, so this needs the ingest permission.
  const detect = {
    summary: 'Score a transaction (recorded into the velocity windows, as on ingest)',
    permission: 'ingest',
    body: DetectBody,
  } as const;
  app.post('/api/fraud/detect', { preValidation: guard(ctx, 'ingest'), schema: detect }, async (request) => {
    const result = await scoreTransaction(scorer, request.body);
    if ('issues' in result) throw new HttpError(400, 'invalid_event', 'not a valid transaction', result.issues);
    return result;
  });
}
