import { z } from 'zod';
import { CountrySchema, CurrencySchema, IdSchema } from '../schema/common.js';
import { TRANSACTION_STATUSES, type TransactionEvent } from '../schema/kinds.js';
import { fraudInputOfEvent } from './check-input.js';

/**
 * The canonical input of the fraud scorer: a flat view of one transaction. Amounts are integer minor units
 * (cents) of `currency`; `timestamp` is Unix ms (the scorer's clock when absent).
 */
export const FraudInputSchema = z.strictObject({
  transactionId: IdSchema.optional(),
  userId: IdSchema.optional(),
  amount: z.int().nonnegative(),
  currency: CurrencySchema,
  cardFingerprint: z.string().min(1).max(128).optional(),
  ip: z.string().min(1).max(64).optional(),
  email: z.string().min(3).max(320).optional(),
  ipCountry: CountrySchema.optional(),
  billingCountry: CountrySchema.optional(),
  issuerCountry: CountrySchema.optional(),
  userAgent: z.string().max(2048).optional(),
  /** A device id from the shop's own fingerprinting, where it has one (richer than the user agent). */
  deviceId: z.string().min(1).max(128).optional(),
  /** The card's first 6 to 8 digits, where the payment provider gives them (shop-wide signals per BIN). */
  cardBin: z
    .string()
    .regex(/^\d{6,8}$/, 'must be the 6 to 8 first digits')
    .optional(),
  status: z.enum(TRANSACTION_STATUSES).optional(),
  timestamp: z.number().finite().optional(),
});

/** What the fraud scorer judges. `score()` checks it cheaply (see `FraudResult.adjustments`); `FraudInputSchema` is the full schema. */
export type FraudInput = z.infer<typeof FraudInputSchema>;

/**
 * The flat scorer input of a transaction event (amount in minor units, `@timestamp` as Unix ms). A decimal
 * `shop.amount.value` may be a string or a JSON number, converted exactly (see `moneyToMinor`); what cannot be read
 * throws a `FraudInputError` naming the field.
 */
export function fraudInputFromEvent(tx: TransactionEvent): FraudInput {
  return fraudInputOfEvent(tx);
}

/** True when `value` looks like a transaction event rather than a flat `FraudInput`. */
export function isTransactionEvent(value: FraudInput | TransactionEvent): value is TransactionEvent {
  return (value as TransactionEvent).shop !== undefined && (value as TransactionEvent).event !== undefined;
}
