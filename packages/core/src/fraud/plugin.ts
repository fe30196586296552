import { z } from 'zod';
import { parseOptions } from '../options.js';
import { createEvent, type BuildOptions } from '../builders.js';
import { minorToDecimal } from '../schema/common.js';
import type { FraudEvent, ShoplogEvent, TransactionEvent } from '../schema/kinds.js';
import type { PluginContext, ShoplogPlugin } from '../plugin.js';
import { fraudInputFromEvent, isTransactionEvent, type FraudInput } from './input.js';
import type { FraudDecision, FraudResult, FraudScorer } from './scorer.js';

/**
 * Builds the `shoplog.fraud` event of a judged transaction: score, risk level, decision, ranked reasons, ruleset
 * version, transaction id, amount, card facts, billing country, user id and client IP (trace ids are carried
 * over from a transaction event so the two correlate).
 */
export function fraudEventFromResult(
  result: FraudResult,
  transaction: FraudInput | TransactionEvent,
  options: BuildOptions = {},
): FraudEvent {
  const tx = isTransactionEvent(transaction) ? transaction : undefined;
  const input = tx ? fraudInputFromEvent(tx) : (transaction as FraudInput);
  const codes = result.reasons.map((r) => r.code).join(', ');
  const card = tx?.shop.payment?.card;
  const event = createEvent(
    'fraud',
    {
      message: `fraud ${result.decision}: score ${result.score}${codes ? ` (${codes})` : ''}`,
      shop: {
        fraud: {
          score: result.score,
          risk_level: result.riskLevel,
          decision: result.decision,
          reasons: result.reasons.slice(0, 64),
          ruleset_version: result.rulesetVersion,
        },
        transaction: { id: input.transactionId ?? 'unknown' },
        amount: { currency: input.currency, minor: input.amount, value: minorToDecimal(input.amount, input.currency) },
        ...(tx?.shop.payment ? { payment: { method: tx.shop.payment.method, ...(card ? { card } : {}) } } : {}),
        ...(input.billingCountry ? { billing: { country: input.billingCountry } } : {}),
      },
      ...(input.userId !== undefined ? { user: { id: input.userId } } : {}),
      ...(input.ip !== undefined || input.ipCountry !== undefined
        ? {
            client: {
              ...(input.ip !== undefined ? { ip: input.ip } : {}),
              ...(input.ipCountry ? { geo: { country_iso_code: input.ipCountry } } : {}),
            },
          }
        : {}),
      ...(tx?.trace ? { trace: tx.trace } : {}),
      ...(tx?.service ? { service: tx.service } : {}),
    },
    { ...options, now: options.now ?? (() => result.timestamp) },
  );
  return event;
}

/** Options of `createFraudPlugin`. */
export interface FraudPluginOptions {
  /** The scorer that judges each transaction event. */
  scorer: FraudScorer;
  /** A fraud event is emitted for every transaction whose decision is at least this. @default 'review' */
  minDecision?: Exclude<FraudDecision, 'allow'>;
  /** Called with each result (e.g. to block the order or count decisions). */
  onResult?: (result: FraudResult, event: TransactionEvent) => void;
  /** `service.*` and clock of the fraud events built (the transaction's `service` wins). */
  build?: BuildOptions;
}

const OptionsSchema = z.strictObject({
  scorer: z.custom<FraudScorer>(
    (v) => typeof v === 'object' && v !== null && typeof (v as FraudScorer).score === 'function',
    'must be a FraudScorer',
  ),
  minDecision: z.enum(['review', 'block']).default('review'),
  onResult: z
    .custom<(r: FraudResult, e: TransactionEvent) => void>((v) => typeof v === 'function', 'must be a function')
    .optional(),
  build: z.custom<BuildOptions>((v) => typeof v === 'object' && v !== null, 'must be BuildOptions').optional(),
});

/**
 * A pipeline plugin that scores every transaction event and, at or above `minDecision`, emits a `shoplog.fraud`
 * event (through `ctx.emit`). Transactions pass on unchanged; other kinds are untouched.
 */
export function createFraudPlugin(options: FraudPluginOptions): ShoplogPlugin {
  const { scorer, minDecision, onResult, build } = parseOptions('createFraudPlugin', OptionsSchema, options);
  const emitAt = minDecision === 'block' ? 2 : 1;
  let ctx: PluginContext | undefined;
  return {
    name: 'shoplog:fraud',
    setup(context) {
      ctx = context;
    },
    process(event: ShoplogEvent) {
      if (event.event.dataset !== 'shoplog.transaction') return event;
      const tx = event as TransactionEvent;
      const judged = (result: FraudResult): ShoplogEvent => {
        onResult?.(result, tx);
        if (['allow', 'review', 'block'].indexOf(result.decision) >= emitAt) {
          const fraud = fraudEventFromResult(result, tx, build);
          if (ctx) ctx.emit(fraud);
          else throw new Error('fraud plugin used before setup(): it needs the pipeline context to emit fraud events');
        }
        return event;
      };
      // A synchronous store keeps the pipeline on its synchronous fast path.
      return scorer.sync ? judged(scorer.scoreSync(tx)) : scorer.score(tx).then(judged);
    },
  };
}
