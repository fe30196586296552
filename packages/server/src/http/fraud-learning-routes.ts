import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { BACKTEST_MAX_TRANSACTIONS, BACKTEST_MAX_WINDOW_MS, type BacktestJob } from '../fraud-backtest.js';
import { DEFAULT_VERSION, TooFewLabelsError } from '../fraud-learning.js';
import type { FraudModelRecord } from '../ports.js';
import { guard, principalOf, type Principal } from './auth.js';
import type { ServerContext } from './context.js';
import { HttpError } from './errors.js';
import { IdParams, jsonBody, type ZodTypeProvider } from './route-schema.js';

const LABELS = ['chargeback', 'confirmed_fraud', 'legitimate'] as const;
const VERSION = z
  .string({ error: 'must be a model version' })
  .min(1, 'must be a model version')
  .max(64, 'must be a model version');

const FeedbackBody = jsonBody({
  transaction_id: z
    .string({ error: 'must be a string (the shop.transaction.id)' })
    .min(1, 'must not be empty')
    .max(200, 'must be at most 200 characters')
    .describe('`shop.transaction.id` of a stored transaction'),
  label: z.enum(LABELS, { error: `must be one of ${LABELS.join(', ')}` }),
});
const VersionBody = jsonBody({ version: VERSION.describe('A stored version, or `default` (the built-in model)') });

const DATE = 'must be an ISO 8601 date-time or Unix milliseconds';
const instant = z.union([z.string(), z.number()], { error: DATE }).transform((value, ctx): number => {
  const ms = typeof value === 'number' ? value : Date.parse(value);
  if (Number.isFinite(ms) && ms >= 0) return ms;
  ctx.addIssue({ code: 'custom', message: DATE });
  return z.NEVER;
});
const BacktestBody = jsonBody({
  from: instant.optional().describe('Start of the window (inclusive); default: 24 hours before `to`'),
  to: instant.optional().describe('End of the window (exclusive); default: now'),
  version: VERSION.optional().describe(
    '`rules` (the built-in rules alone, as the server scores without a model), `default`, `active` or a stored version; default: active',
  ),
  limit: z
    .number({ error: `must be an integer from 1 to ${BACKTEST_MAX_TRANSACTIONS}` })
    .int(`must be an integer from 1 to ${BACKTEST_MAX_TRANSACTIONS}`)
    .min(1, `must be an integer from 1 to ${BACKTEST_MAX_TRANSACTIONS}`)
    .max(BACKTEST_MAX_TRANSACTIONS, `must be an integer from 1 to ${BACKTEST_MAX_TRANSACTIONS}`)
    .optional()
    .describe(`Most transactions scored (default and at most ${BACKTEST_MAX_TRANSACTIONS})`),
});

const actorOf = (principal: Principal): string =>
  principal.type === 'user' ? `user:${principal.username}` : `key:${principal.name}`;
const iso = (ms: number): string => new Date(ms).toISOString();

/** The public view of a stored model version (the trees stay out). */
function modelView(record: FraudModelRecord, active: string) {
  return {
    version: record.version,
    active: record.version === active,
    based_on: record.basedOn,
    trigger: record.trigger,
    trained: record.trained,
    trained_on: typeof record.model['trainedOn'] === 'string' ? record.model['trainedOn'] : null,
    metrics_held_back: record.metrics,
    created_at: iso(record.createdAt),
  };
}

function jobView(job: BacktestJob) {
  return {
    id: job.id,
    status: job.status,
    version: job.version,
    from: iso(job.window.from),
    to: iso(job.window.to),
    started_at: iso(job.startedAt),
    report: job.report ?? null,
    error: job.error ?? null,
  };
}

/**
 * Learning from the shop's labels and backtests. Who may do what (least privilege): labels come from the shop's
 * payment backend (an ingest key, which already writes the transactions they judge) or an analyst (`label`);
 * listing versions is reading (`read`); a backtest is heavy work over every stored transaction of a window, for the
 * people who tune fraud (`analyst`: analyst users, admin keys); refit, activate and rollback change what blocks
 * payments (`admin`).
 */
export function registerFraudLearningRoutes(fastify: FastifyInstance, ctx: ServerContext): void {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const learning = ctx.fraudLearning;

  app.post(
    '/api/fraud/feedback',
    {
      preValidation: guard(ctx, 'label'),
      schema: {
        summary:
          'Label a stored transaction (chargeback, confirmed_fraud, legitimate); the same label twice is a no-op',
        permission: 'label',
        body: FeedbackBody,
      },
    },
    async (request, reply) => {
      const { transaction_id: transactionId, label } = request.body;
      const stored = await learning.label({ transactionId, label, actor: actorOf(principalOf(request)) });
      if (!stored)
        throw new HttpError(
          404,
          'unknown_transaction',
          `no stored transaction has shop.transaction.id ${JSON.stringify(transactionId)}`,
          [{ path: 'transaction_id', message: 'no stored transaction has this id' }],
        );
      const { outcome, record } = stored;
      return reply.code(outcome === 'created' ? 201 : 200).send({
        transaction_id: record.transactionId,
        label: record.label,
        outcome,
        transaction_at: iso(record.at),
        labelled_at: iso(record.createdAt),
      });
    },
  );

  app.get(
    '/api/fraud/models',
    {
      preValidation: guard(ctx, 'read'),
      schema: { summary: 'Fraud model versions with their metrics on held-back labels', permission: 'read' },
    },
    async () => {
      const [active, records, labels] = await Promise.all([
        learning.activeVersion(),
        ctx.meta.listFraudModels(100),
        ctx.meta.countFraudLabels(),
      ]);
      return {
        active,
        // A version activated here is what the server scores with when its scorer uses a model.
        live: ctx.fraudScorer.model !== undefined,
        labels,
        versions: [
          ...records.map((r) => modelView(r, active)),
          {
            version: DEFAULT_VERSION,
            active: active === DEFAULT_VERSION,
            based_on: null,
            trigger: 'built-in',
            trained: null,
            trained_on: null,
            metrics_held_back: null,
            created_at: null,
          },
        ],
      };
    },
  );

  app.post(
    '/api/fraud/model/refit',
    {
      preValidation: guard(ctx, 'admin'),
      schema: { summary: 'Refit the active fraud model on the stored labels and activate it', permission: 'admin' },
    },
    async (_request, reply) => {
      try {
        const { record, created } = await learning.refit('manual');
        return reply.code(created ? 201 : 200).send({ created, ...modelView(record, record.version) });
      } catch (error) {
        if (error instanceof TooFewLabelsError) throw new HttpError(422, 'too_few_labels', error.message);
        throw error;
      }
    },
  );

  app.post(
    '/api/fraud/model/activate',
    {
      preValidation: guard(ctx, 'admin'),
      schema: { summary: 'Activate a stored fraud model version (or default)', permission: 'admin', body: VersionBody },
    },
    async (request) => {
      const active = await learning.activate(request.body.version);
      if (!active)
        throw new HttpError(404, 'unknown_version', `no fraud model version ${JSON.stringify(request.body.version)}`, [
          { path: 'version', message: 'no such version' },
        ]);
      return { active };
    },
  );

  app.post(
    '/api/fraud/model/rollback',
    {
      preValidation: guard(ctx, 'admin'),
      schema: { summary: 'Go back to the fraud model version active before', permission: 'admin' },
    },
    async () => {
      const active = await learning.rollback();
      if (!active) throw new HttpError(409, 'no_earlier_model', 'no earlier fraud model version to go back to');
      return { active };
    },
  );

  app.post(
    '/api/fraud/backtest',
    {
      preValidation: guard(ctx, 'analyst'),
      schema: {
        summary:
          'Backtest a ruleset or model version over the stored transactions of a window (runs in the background; poll its id)',
        permission: 'analyst',
        body: BacktestBody,
      },
    },
    async (request, reply) => {
      const body = request.body;
      const to = body.to ?? Date.now();
      const from = body.from ?? to - 86_400_000;
      if (from >= to)
        throw new HttpError(400, 'bad_request', 'invalid to', [{ path: 'to', message: 'must be after from' }]);
      if (to - from > BACKTEST_MAX_WINDOW_MS)
        throw new HttpError(400, 'bad_request', 'invalid to', [
          { path: 'to', message: `the window must be at most ${BACKTEST_MAX_WINDOW_MS / 86_400_000} days` },
        ]);
      const asked = body.version ?? 'active';
      const version = asked === 'active' ? await learning.activeVersion() : asked;
      const model = version === 'rules' ? undefined : await learning.modelOf(version);
      if (version !== 'rules' && !model)
        throw new HttpError(404, 'unknown_version', `no fraud model version ${JSON.stringify(version)}`, [
          { path: 'version', message: 'no such version' },
        ]);
      const { job, busy } = ctx.backtests.start({
        version,
        judge: model ? { kind: 'model', model } : { kind: 'rules' },
        window: { from, to },
        maxTransactions: body.limit ?? BACKTEST_MAX_TRANSACTIONS,
      });
      if (busy)
        throw new HttpError(
          409,
          'backtest_running',
          `backtest ${job.id} is running; poll GET /api/fraud/backtest/${job.id}`,
        );
      return reply.code(202).send(jobView(job));
    },
  );

  app.get(
    '/api/fraud/backtest/:id',
    {
      preValidation: guard(ctx, 'analyst'),
      schema: { summary: 'A backtest: running, or done with its report', permission: 'analyst', params: IdParams },
    },
    async (request) => {
      const job = ctx.backtests.get(request.params.id);
      if (!job) throw new HttpError(404, 'not_found', 'no such backtest (the latest 20 are kept)');
      return jobView(job);
    },
  );
}
