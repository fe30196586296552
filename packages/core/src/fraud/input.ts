import { z } from 'zod';
import { completeMoney, CountrySchema, CurrencySchema, IdSchema } from '../schema/common.js';
import { TRANSACTION_STATUSES, type TransactionEvent } from '../schema/kinds.js';

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
  status: z.enum(TRANSACTION_STATUSES).optional(),
  timestamp: z.number().finite().optional(),
});

/** What the fraud scorer judges. Validate untrusted input with `FraudInputSchema`; `score()` does not re-validate. */
export type FraudInput = z.infer<typeof FraudInputSchema>;

/** The flat scorer input of a transaction event (amount in minor units, `@timestamp` as Unix ms). */
export function fraudInputFromEvent(tx: TransactionEvent): FraudInput {
  const money = completeMoney(tx.shop.amount);
  const card = tx.shop.payment?.card;
  const input: FraudInput = {
    transactionId: tx.shop.transaction.id,
    amount: Math.abs(money.minor),
    currency: money.currency,
    status: tx.shop.transaction.status,
    timestamp: Date.parse(tx['@timestamp']),
  };
  // Only defined fields are copied, so `{ ...input, ...context }` never overwrites a value with undefined.
  if (tx.user?.id !== undefined) input.userId = tx.user.id;
  if (tx.user?.email !== undefined) input.email = tx.user.email;
  if (card?.fingerprint !== undefined) input.cardFingerprint = card.fingerprint;
  if (card?.issuer_country !== undefined) input.issuerCountry = card.issuer_country;
  if (tx.client?.ip !== undefined) input.ip = tx.client.ip;
  if (tx.client?.geo?.country_iso_code !== undefined) input.ipCountry = tx.client.geo.country_iso_code;
  if (tx.shop.billing?.country !== undefined) input.billingCountry = tx.shop.billing.country;
  if (tx.user_agent?.original !== undefined) input.userAgent = tx.user_agent.original;
  return input;
}

/** True when `value` looks like a transaction event rather than a flat `FraudInput`. */
export function isTransactionEvent(value: FraudInput | TransactionEvent): value is TransactionEvent {
  return (value as TransactionEvent).shop !== undefined && (value as TransactionEvent).event !== undefined;
}
