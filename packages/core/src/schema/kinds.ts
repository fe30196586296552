import { z } from 'zod';
import { CountrySchema, DATASETS, EnvelopeBaseSchema, EventFieldsSchema, IdSchema, MoneySchema } from './common.js';

const datasetEvent = <D extends string>(dataset: D) => EventFieldsSchema.extend({ dataset: z.literal(dataset) });

/** Payment card facts that are safe to log: never the number, at most the last four digits. */
export const CardSchema = z.strictObject({
  last4: z
    .string()
    .regex(/^\d{4}$/, 'must be exactly 4 digits')
    .optional(),
  brand: z.string().max(32).optional(),
  /** A stable, non-reversible fingerprint of the card (from the payment provider), for velocity rules. */
  fingerprint: z.string().min(1).max(128).optional(),
  /** Country of the issuing bank (from the BIN). */
  issuer_country: CountrySchema.optional(),
  bin: z
    .string()
    .regex(/^\d{6,8}$/, 'must be the 6 to 8 first digits')
    .optional(),
});

/** Transaction types. */
export const TRANSACTION_TYPES = ['purchase', 'refund', 'subscription', 'authorization', 'capture', 'payout'] as const;
/** Transaction statuses. */
export const TRANSACTION_STATUSES = ['completed', 'pending', 'failed', 'declined', 'refunded', 'cancelled'] as const;

/** Risk levels, lowest first. */
export const RISK_LEVELS = ['minimal', 'low', 'medium', 'high'] as const;
/** Fraud decisions. */
export const FRAUD_DECISIONS = ['allow', 'review', 'block'] as const;

/** One reason of a fraud score: a stable code, its contribution to the score and a human explanation. */
export const FraudReasonSchema = z.strictObject({
  code: z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'must be an UPPER_SNAKE_CASE reason code'),
  contribution: z.number().min(0).max(100),
  detail: z.string().max(1024).optional(),
});

/**
 * A fraud verdict: score, risk level, decision, ranked reasons and the ruleset that gave them. A fraud event carries
 * one; a transaction carries the one its shop acted on (the Express middleware attaches it), so the server neither
 * judges that sale again nor raises an alert the shop did not.
 */
export const FraudVerdictSchema = z.strictObject({
  score: z.number().min(0).max(100),
  risk_level: z.enum(RISK_LEVELS),
  decision: z.enum(FRAUD_DECISIONS),
  reasons: z.array(FraudReasonSchema).max(64),
  ruleset_version: z.string().min(1).max(64),
});

/** `shop.*` of a transaction: order, payment or refund. */
export const TransactionShopSchema = z.strictObject({
  transaction: z.strictObject({
    id: IdSchema,
    type: z.enum(TRANSACTION_TYPES),
    status: z.enum(TRANSACTION_STATUSES),
    /** For a refund: the id of the transaction it refunds. */
    parent_id: IdSchema.optional(),
    attempt: z.int().positive().optional(),
    decline_code: z.string().max(64).optional(),
  }),
  amount: MoneySchema,
  order: z.strictObject({ id: IdSchema, items: z.int().nonnegative().optional() }).optional(),
  payment: z
    .strictObject({
      method: z.string().min(1).max(64),
      provider: z.string().max(64).optional(),
      card: CardSchema.optional(),
    })
    .optional(),
  merchant: z.strictObject({ id: IdSchema }).optional(),
  billing: z.strictObject({ country: CountrySchema.optional(), postal_code: z.string().max(16).optional() }).optional(),
  shipping: z.strictObject({ country: CountrySchema.optional() }).optional(),
  session: z.strictObject({ id: IdSchema }).optional(),
  /** The client-side verdict the shop acted on (see `FraudVerdictSchema`). */
  fraud: FraudVerdictSchema.optional(),
});

/** Kinds of application error. */
export const ERROR_KINDS = ['http', 'timeout', 'aborted', 'exception', 'validation', 'dependency'] as const;

/** `shop.*` of an application error. */
export const ErrorShopSchema = z
  .strictObject({
    error: z.strictObject({
      kind: z.enum(ERROR_KINDS),
      handled: z.boolean().optional(),
    }),
    session: z.strictObject({ id: IdSchema }).optional(),
    order: z.strictObject({ id: IdSchema }).optional(),
  })
  .optional();

/** User behaviour actions. */
export const USER_ACTIONS = [
  'page_view',
  'search',
  'add_to_cart',
  'remove_from_cart',
  'checkout_started',
  'checkout_completed',
  'cart_abandoned',
] as const;

/** `shop.*` of a user behaviour event. */
export const UserBehaviorShopSchema = z.strictObject({
  action: z.enum(USER_ACTIONS),
  session: z.strictObject({ id: IdSchema }),
  cart: z
    .strictObject({
      id: IdSchema.optional(),
      value: MoneySchema.optional(),
      items: z.int().nonnegative().optional(),
    })
    .optional(),
  product: z
    .strictObject({
      id: IdSchema,
      name: z.string().max(512).optional(),
      category: z.string().max(256).optional(),
      quantity: z.int().positive().optional(),
      price: MoneySchema.optional(),
    })
    .optional(),
  search: z.strictObject({ query: z.string().max(1024), results: z.int().nonnegative().optional() }).optional(),
  page: z.strictObject({ name: z.string().max(256).optional(), referrer: z.string().max(4096).optional() }).optional(),
  order: z.strictObject({ id: IdSchema }).optional(),
});

/** What a performance event measures. */
export const PERFORMANCE_KINDS = ['http', 'db', 'cache', 'external'] as const;

/** `shop.*` of a performance event. */
export const PerformanceShopSchema = z.strictObject({
  performance: z.strictObject({
    kind: z.enum(PERFORMANCE_KINDS),
    /** DB operation, cache operation or external call name, e.g. `SELECT orders`, `GET product:*`, `stripe.charge`. */
    operation: z.string().max(512).optional(),
    /** Database, cache or remote service name. */
    target: z.string().max(256).optional(),
    cache_hit: z.boolean().optional(),
    /** Time spent in the database while serving an HTTP request, in nanoseconds. */
    db_duration: z.int().nonnegative().optional(),
  }),
});

/** `shop.*` of a fraud event. */
export const FraudShopSchema = z.strictObject({
  fraud: FraudVerdictSchema,
  /** The transaction that was judged. */
  transaction: z.strictObject({ id: IdSchema }),
  amount: MoneySchema.optional(),
  payment: z.strictObject({ method: z.string().max(64).optional(), card: CardSchema.optional() }).optional(),
  billing: z.strictObject({ country: CountrySchema.optional() }).optional(),
});

/** `shop.*` of a plain application log line: only the shop context it happened in, all optional. */
export const LogShopSchema = z
  .strictObject({
    session: z.strictObject({ id: IdSchema }).optional(),
    order: z.strictObject({ id: IdSchema }).optional(),
    transaction: z.strictObject({ id: IdSchema }).optional(),
  })
  .optional();

/** A transaction event (`shoplog.transaction`). */
export const TransactionEventSchema = EnvelopeBaseSchema.extend({
  event: datasetEvent(DATASETS.transaction),
  shop: TransactionShopSchema,
});

/** An application error event (`shoplog.error`). Requires `error.message` or an HTTP status. */
export const ErrorEventSchema = EnvelopeBaseSchema.extend({
  event: datasetEvent(DATASETS.error),
  shop: ErrorShopSchema,
}).superRefine((event, ctx) => {
  if (!event.error?.message && !event.error?.type && event.http?.response?.status_code === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['error'],
      message: 'an error needs error.message, error.type or http.response.status_code',
    });
  }
});

/** A user behaviour event (`shoplog.user_behavior`). */
export const UserBehaviorEventSchema = EnvelopeBaseSchema.extend({
  event: datasetEvent(DATASETS.user_behavior),
  shop: UserBehaviorShopSchema,
});

/** A performance event (`shoplog.performance`): `event.duration` (nanoseconds) is required. */
export const PerformanceEventSchema = EnvelopeBaseSchema.extend({
  event: datasetEvent(DATASETS.performance).extend({ duration: z.int().nonnegative() }),
  shop: PerformanceShopSchema,
});

/** A fraud event (`shoplog.fraud`). */
export const FraudEventSchema = EnvelopeBaseSchema.extend({
  event: datasetEvent(DATASETS.fraud),
  shop: FraudShopSchema,
});

/** A plain application log line (`shoplog.log`): a message at a level, with the usual ECS context. */
export const LogEventSchema = EnvelopeBaseSchema.extend({
  event: datasetEvent(DATASETS.log),
  message: z.string().min(1, 'a log line needs a message').max(32_768, 'must be at most 32768 characters'),
  shop: LogShopSchema,
});

/** Any Shoplog event. Validate with `validate()` for issues keyed on `event.dataset`. */
export const ShoplogEventSchema = z.union([
  TransactionEventSchema,
  ErrorEventSchema,
  UserBehaviorEventSchema,
  PerformanceEventSchema,
  FraudEventSchema,
  LogEventSchema,
]);

/** A transaction event. */
export type TransactionEvent = z.infer<typeof TransactionEventSchema>;
/** An application error event. */
export type ErrorEvent = z.infer<typeof ErrorEventSchema>;
/** A user behaviour event. */
export type UserBehaviorEvent = z.infer<typeof UserBehaviorEventSchema>;
/** A performance event. */
export type PerformanceEvent = z.infer<typeof PerformanceEventSchema>;
/** A fraud event. */
export type FraudEvent = z.infer<typeof FraudEventSchema>;
/** A plain application log line. */
export type LogEvent = z.infer<typeof LogEventSchema>;
/** Any Shoplog event. */
export type ShoplogEvent = TransactionEvent | ErrorEvent | UserBehaviorEvent | PerformanceEvent | FraudEvent | LogEvent;
/** A fraud reason. */
export type FraudReason = z.infer<typeof FraudReasonSchema>;
/** A fraud verdict (`shop.fraud` of a fraud event, or of a transaction judged by its shop). */
export type FraudVerdict = z.infer<typeof FraudVerdictSchema>;

/** The schema of each kind. */
export const KIND_SCHEMAS = {
  transaction: TransactionEventSchema,
  error: ErrorEventSchema,
  user_behavior: UserBehaviorEventSchema,
  performance: PerformanceEventSchema,
  fraud: FraudEventSchema,
  log: LogEventSchema,
} as const;

/** The event type of each kind. */
export interface EventByKind {
  transaction: TransactionEvent;
  error: ErrorEvent;
  user_behavior: UserBehaviorEvent;
  performance: PerformanceEvent;
  fraud: FraudEvent;
  log: LogEvent;
}
