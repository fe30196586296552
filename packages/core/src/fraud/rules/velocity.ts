import { z } from 'zod';
import type { FraudDimension } from '../rule.js';
import { defineRule, duration, isFailed, money, type BuiltinFraudRule } from './define.js';

const MIN = 60_000;
const HOUR = 3_600_000;

const LABEL: Record<FraudDimension, string> = {
  userId: 'user',
  cardFingerprint: 'card',
  ip: 'IP address',
  email: 'e-mail address',
};

function velocity(
  code: string,
  dimension: FraudDimension,
  windowMs: number,
  max: number,
  contribution: number,
): BuiltinFraudRule {
  return defineRule({
    code,
    description: `More than \`max\` transactions for one ${LABEL[dimension]} within \`windowMs\`.`,
    params: z.strictObject({
      windowMs: z.int().positive().default(windowMs),
      max: z.int().positive().default(max),
      contribution: z.number().min(0).max(100).default(contribution),
    }),
    create: (p) => ({
      counters: [{ dimension, windowMs: p.windowMs }],
      evaluate(_input, { counts }) {
        const n = counts[0]! + 1;
        if (n <= p.max) return null;
        return {
          contribution: p.contribution,
          detail: `${n} transactions for this ${LABEL[dimension]} in ${duration(p.windowMs)} (limit ${p.max})`,
        };
      },
    }),
  });
}

/** Velocity per user, card fingerprint, IP and e-mail. */
export const VELOCITY_RULES: readonly BuiltinFraudRule[] = [
  velocity('VELOCITY_USER', 'userId', 10 * MIN, 5, 35),
  velocity('VELOCITY_CARD', 'cardFingerprint', HOUR, 5, 35),
  velocity('VELOCITY_IP', 'ip', 10 * MIN, 10, 30),
  velocity('VELOCITY_EMAIL', 'email', HOUR, 5, 30),
];

/** Card testing: many small or failed attempts on one card or from one IP in a short window. */
export const CARD_TESTING = defineRule({
  code: 'CARD_TESTING',
  description:
    'At least `minAttempts` small (≤ `smallAmount` minor units) or failed attempts per card or IP within `windowMs`.',
  params: z.strictObject({
    windowMs: z
      .int()
      .positive()
      .default(10 * MIN),
    minAttempts: z.int().min(2).default(5),
    smallAmount: z.int().nonnegative().default(500),
    contribution: z.number().min(0).max(100).default(70),
  }),
  create: (p) => {
    const weight = (input: { amount: number; status?: string | undefined }): number =>
      input.amount <= p.smallAmount || isFailed(input.status) ? 1 : 0;
    return {
      counters: [
        { dimension: 'cardFingerprint', windowMs: p.windowMs, weight },
        { dimension: 'ip', windowMs: p.windowMs, weight },
      ],
      evaluate(input, { counts }) {
        const own = weight(input);
        const card = input.cardFingerprint === undefined ? 0 : counts[0]! + own;
        const ip = input.ip === undefined ? 0 : counts[1]! + own;
        const n = Math.max(card, ip);
        if (n < p.minAttempts) return null;
        return {
          contribution: p.contribution,
          detail: `${n} small (≤ ${money(p.smallAmount, input.currency)}) or failed attempts from one ${card >= ip ? 'card' : 'IP address'} in ${duration(p.windowMs)}`,
        };
      },
    };
  },
});

/** Impossible request rates: more payments per user or IP in a second than a person can make. */
export const REQUEST_RATE = defineRule({
  code: 'REQUEST_RATE',
  description: 'More than `max` transactions per user or IP within `windowMs` (default 1 s): automation.',
  params: z.strictObject({
    windowMs: z.int().positive().default(1000),
    max: z.int().positive().default(3),
    contribution: z.number().min(0).max(100).default(50),
  }),
  create: (p) => ({
    counters: [
      { dimension: 'ip', windowMs: p.windowMs },
      { dimension: 'userId', windowMs: p.windowMs },
    ],
    evaluate(input, { counts }) {
      const ip = input.ip === undefined ? 0 : counts[0]! + 1;
      const user = input.userId === undefined ? 0 : counts[1]! + 1;
      const n = Math.max(ip, user);
      if (n <= p.max) return null;
      return {
        contribution: p.contribution,
        detail: `${n} transactions from one ${ip >= user ? 'IP address' : 'user'} in ${duration(p.windowMs)}`,
      };
    },
  }),
});

/** The seed platform's `rapid_transactions`: more than 3 transactions for the user in 5 minutes (+25). */
export const RAPID_TRANSACTIONS = defineRule({
  code: 'RAPID_TRANSACTIONS',
  description:
    "The seed platform's rule: more than `max` transactions for the user within `windowMs`. Off by default (VELOCITY_USER covers it).",
  enabledByDefault: false,
  params: z.strictObject({
    windowMs: z
      .int()
      .positive()
      .default(5 * MIN),
    max: z.int().positive().default(3),
    contribution: z.number().min(0).max(100).default(25),
  }),
  create: (p) => ({
    counters: [{ dimension: 'userId', windowMs: p.windowMs }],
    evaluate(input, { counts }) {
      if (input.userId === undefined) return null;
      const n = counts[0]! + 1;
      return n > p.max
        ? { contribution: p.contribution, detail: `${n} transactions in ${duration(p.windowMs)} (limit ${p.max})` }
        : null;
    },
  }),
});

/** The seed platform's `multiple_failed_attempts`: at least 3 failed payments for the user in an hour (+20). */
export const MULTIPLE_FAILED_ATTEMPTS = defineRule({
  code: 'MULTIPLE_FAILED_ATTEMPTS',
  description: 'At least `min` failed or declined transactions for the user within `windowMs`.',
  params: z.strictObject({
    windowMs: z.int().positive().default(HOUR),
    min: z.int().positive().default(3),
    contribution: z.number().min(0).max(100).default(20),
  }),
  create: (p) => {
    const weight = (input: { status?: string | undefined }): number => (isFailed(input.status) ? 1 : 0);
    return {
      counters: [{ dimension: 'userId', windowMs: p.windowMs, weight }],
      evaluate(input, { counts }) {
        if (input.userId === undefined) return null;
        const n = counts[0]! + weight(input);
        return n >= p.min
          ? { contribution: p.contribution, detail: `${n} failed attempts in ${duration(p.windowMs)}` }
          : null;
      },
    };
  },
});
