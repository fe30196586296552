import { z } from 'zod';
import { defineRule, money } from './define.js';

/** Amount far above the user's own history (log-amount z-score), not a fixed limit. */
export const AMOUNT_ANOMALY = defineRule({
  code: 'AMOUNT_ANOMALY',
  description:
    'Amount at least `zScore` standard deviations and `minRatio` times above the user’s typical amount (geometric mean of earlier allowed transactions in the same currency), once the user has `minHistory` of them.',
  params: z.strictObject({
    minHistory: z.int().min(2).default(3),
    zScore: z.number().positive().default(3),
    minRatio: z.number().min(1).default(3),
    /** Floor of the log-amount standard deviation, so a user who always pays the same is not flagged for +10 %. */
    minStdDev: z.number().positive().default(0.25),
    contribution: z.number().min(0).max(100).default(40),
  }),
  create: (p) => ({
    usesHistory: true,
    evaluate(input, { history }) {
      if (!history || history.count < p.minHistory || input.amount <= 0) return null;
      const sd = Math.max(p.minStdDev, Math.sqrt(history.m2 / (history.count - 1)));
      const z = (Math.log(input.amount) - history.mean) / sd;
      const typical = Math.exp(history.mean);
      const ratio = input.amount / typical;
      if (z < p.zScore || ratio < p.minRatio) return null;
      return {
        contribution: p.contribution,
        detail: `${money(input.amount, input.currency)} is ${ratio.toFixed(1)}× this user's typical ${money(Math.round(typical), input.currency)} (z = ${z.toFixed(1)} over ${history.count} transactions)`,
      };
    },
  }),
});

/** A user never seen before (no allowed transaction in this currency) paying a high amount. */
export const NEW_USER_HIGH_AMOUNT = defineRule({
  code: 'NEW_USER_HIGH_AMOUNT',
  description:
    'First transaction of a user (none allowed before in this currency) at or above `amount` minor units. Guests (no user id) are not judged.',
  params: z.strictObject({
    amount: z.int().nonnegative().default(50_000),
    contribution: z.number().min(0).max(100).default(30),
  }),
  create: (p) => ({
    usesHistory: true,
    evaluate(input, { history }) {
      if (input.userId === undefined || (history && history.count > 0) || input.amount < p.amount) return null;
      return {
        contribution: p.contribution,
        detail: `first transaction of this user, ${money(input.amount, input.currency)} (≥ ${money(p.amount, input.currency)})`,
      };
    },
  }),
});

/** The seed platform's `high_amount`: amount above a fixed limit (10000.00 → 1 000 000 minor units), +20. */
export const HIGH_AMOUNT = defineRule({
  code: 'HIGH_AMOUNT',
  description:
    "The seed platform's fixed limit: amount above `amount` minor units. Off by default (AMOUNT_ANOMALY judges against the user's history).",
  enabledByDefault: false,
  params: z.strictObject({
    amount: z.int().nonnegative().default(1_000_000),
    contribution: z.number().min(0).max(100).default(20),
  }),
  create: (p) => ({
    evaluate(input) {
      if (input.amount <= p.amount) return null;
      return {
        contribution: p.contribution,
        detail: `${money(input.amount, input.currency)} above ${money(p.amount, input.currency)}`,
      };
    },
  }),
});
