import { z } from 'zod';
import { parseOptions } from '../options.js';
import { createEvent, type BuildOptions } from '../builders.js';
import { minorToDecimal } from '../schema/common.js';
import type { TransactionEvent } from '../schema/kinds.js';
import type { FraudInput } from './input.js';
import { createRandom, type Random } from './random.js';
import type { FraudDecision } from './scorer.js';

/** The kind of traffic a synthetic transaction belongs to. */
export type TrafficPattern = 'normal' | 'card_testing' | 'account_takeover' | 'mismatch_disposable' | 'bot';

/** The fraud patterns the generator injects. */
export const FRAUD_PATTERNS = ['card_testing', 'account_takeover', 'mismatch_disposable', 'bot'] as const;

/** One synthetic transaction with its ground truth. */
export interface LabelledTransaction {
  input: FraudInput;
  /** True for transactions of an injected fraud pattern. */
  fraud: boolean;
  pattern: TrafficPattern;
}

/** Options of `createTrafficGenerator`. */
export interface TrafficGeneratorOptions {
  /** Same seed, same traffic. @default 1 */
  seed?: number;
  /** Number of regular customers. @default 20000 */
  customers?: number;
  /** Approximate share of fraudulent transactions. @default 0.03 */
  fraudRate?: number;
  /** Fraud patterns to inject. @default all of FRAUD_PATTERNS */
  patterns?: ReadonlyArray<(typeof FRAUD_PATTERNS)[number]>;
  /** Timestamp of the first transaction, Unix ms. @default 2026-01-01T00:00:00Z */
  start?: number;
  /** Mean regular transactions per second (the shop's traffic: a customer buys a few times a day at most). @default 2 */
  ratePerSecond?: number;
  /** Currency of every amount. @default 'EUR' */
  currency?: string;
}

/** An endless, deterministic stream of labelled transactions. */
export interface TrafficGenerator extends Iterable<LabelledTransaction> {
  next(): LabelledTransaction;
  take(count: number): LabelledTransaction[];
}

const OptionsSchema = z.strictObject({
  seed: z.int().default(1),
  customers: z.int().positive().default(20_000),
  fraudRate: z.number().min(0).max(0.5).default(0.03),
  patterns: z.array(z.enum(FRAUD_PATTERNS)).default([...FRAUD_PATTERNS]),
  start: z.number().default(Date.UTC(2026, 0, 1)),
  ratePerSecond: z.number().positive().default(2),
  currency: z.string().regex(/^[A-Z]{3}$/).default('EUR'),
});

const COUNTRIES = ['FR', 'DE', 'ES', 'IT', 'NL', 'BE', 'GB', 'US', 'PL', 'SE'];
const FAR_COUNTRIES = ['NG', 'RU', 'VN', 'BR', 'ID', 'PK'];
const MAIL = ['gmail.com', 'outlook.com', 'yahoo.com', 'orange.fr', 'gmx.de', 'proton.me'];
const DISPOSABLE = ['mailinator.com', 'guerrillamail.com', 'yopmail.com', '10minutemail.com', 'sharklasers.com', 'trashmail.com'];
const BROWSERS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
];
const BOTS = ['python-requests/2.31.0', 'curl/8.5.0', 'axios/1.7.2', 'Go-http-client/1.1', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36'];

interface Customer {
  id: string;
  email: string;
  country: string;
  card: string;
  ip: string;
  userAgent: string;
  /** Mean of the log of the customer's usual amount (minor units). */
  logAmount: number;
}

const ip = (r: Random): string => `${r.int(11, 223)}.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(1, 254)}`;
const hex = (r: Random): string => r.int(0, 0xffffffff).toString(16).padStart(8, '0') + r.int(0, 0xffffffff).toString(16).padStart(8, '0');

/**
 * Creates a deterministic generator of labelled traffic: regular customers (habitual amounts, the odd trip abroad,
 * decline or big purchase) with injected fraud episodes: card-testing bursts, account-takeover velocity, country
 * mismatch with a disposable e-mail, and scripted bot checkouts. For detection benchmarks and `shoplog generate`.
 */
export function createTrafficGenerator(options: TrafficGeneratorOptions = {}): TrafficGenerator {
  const o = parseOptions('createTrafficGenerator', OptionsSchema, options);
  const r = createRandom(o.seed);
  const customers: Customer[] = Array.from({ length: o.customers }, (_, i) => {
    const country = r.pick(COUNTRIES);
    return {
      id: `u-${i}`,
      email: `customer${i}@${r.pick(MAIL)}`,
      country,
      card: `fp-${hex(r)}`,
      ip: ip(r),
      userAgent: r.pick(BROWSERS),
      logAmount: Math.log(1000) + r.next() * Math.log(60), // 10.00 to 600.00
    };
  });
  let clock = o.start;
  let seq = 0;
  let outsiders = 0;
  const pending: LabelledTransaction[] = [];
  const meanGap = 1000 / o.ratePerSecond;
  // Mean episode lengths: card testing 14, takeover 4.5, mismatch 1.5, bot 7.
  const meanEpisode = o.patterns.length === 0 ? 1 : o.patterns.reduce((s, p) => s + { card_testing: 14, account_takeover: 4.5, mismatch_disposable: 1.5, bot: 7 }[p], 0) / o.patterns.length;
  const episodeChance = o.patterns.length === 0 ? 0 : o.fraudRate / ((1 - o.fraudRate) * meanEpisode);

  const tx = (at: number, fields: Omit<FraudInput, 'transactionId' | 'timestamp' | 'currency'>): FraudInput => ({
    transactionId: `tx-${++seq}`,
    currency: o.currency,
    timestamp: Math.round(at),
    ...fields,
  });

  const queue = (items: LabelledTransaction[]): void => {
    pending.push(...items);
    pending.sort((a, b) => a.input.timestamp! - b.input.timestamp!);
  };

  const episode = (pattern: (typeof FRAUD_PATTERNS)[number], t: number): LabelledTransaction[] => {
    const out: LabelledTransaction[] = [];
    const push = (at: number, fields: Omit<FraudInput, 'transactionId' | 'timestamp' | 'currency'>): void => {
      out.push({ input: tx(at, fields), fraud: true, pattern });
    };
    if (pattern === 'card_testing') {
      const attackerIp = ip(r);
      const rotate = r.chance(0.5);
      const card = `fp-${hex(r)}`;
      const country = r.pick(FAR_COUNTRIES);
      for (let i = 0, n = r.int(8, 20); i < n; i++) {
        t += r.int(1000, 8000);
        push(t, {
          userId: `guest-${++outsiders}`,
          amount: r.int(50, 300),
          cardFingerprint: rotate ? `fp-${hex(r)}` : card,
          ip: attackerIp,
          ipCountry: country,
          issuerCountry: r.pick(COUNTRIES),
          status: r.chance(0.7) ? 'declined' : 'completed',
          userAgent: r.pick(BROWSERS),
        });
      }
    } else if (pattern === 'account_takeover') {
      const victim = r.pick(customers);
      const attackerIp = ip(r);
      const country = r.pick(FAR_COUNTRIES);
      for (let i = 0, n = r.int(3, 6); i < n; i++) {
        t += r.int(20_000, 90_000);
        push(t, {
          userId: victim.id,
          email: victim.email,
          amount: Math.round(Math.exp(victim.logAmount) * (5 + r.next() * 10)),
          cardFingerprint: victim.card,
          ip: attackerIp,
          ipCountry: country,
          billingCountry: victim.country,
          issuerCountry: victim.country,
          status: 'completed',
          userAgent: r.pick(BROWSERS),
        });
      }
    } else if (pattern === 'mismatch_disposable') {
      const user = `new-${++outsiders}`;
      const [a, b, c] = [r.pick(FAR_COUNTRIES), r.pick(COUNTRIES), r.pick(COUNTRIES)];
      for (let i = 0, n = r.int(1, 2); i < n; i++) {
        t += r.int(30_000, 300_000);
        push(t, {
          userId: user,
          email: `${user}@${r.pick(DISPOSABLE)}`,
          amount: r.int(8_000, 90_000),
          cardFingerprint: `fp-${hex(r)}`,
          ip: ip(r),
          ipCountry: a,
          billingCountry: b,
          issuerCountry: c === b ? r.pick(FAR_COUNTRIES) : c,
          status: 'completed',
          userAgent: r.pick(BROWSERS),
        });
      }
    } else {
      const botIp = ip(r);
      const ua = r.pick(BOTS);
      const country = r.pick(COUNTRIES);
      for (let i = 0, n = r.int(4, 10); i < n; i++) {
        t += r.int(100, 600);
        push(t, {
          userId: `bot-${++outsiders}`,
          email: `shopper${outsiders}@${r.pick(MAIL)}`,
          amount: r.int(2_000, 20_000),
          cardFingerprint: `fp-${hex(r)}`,
          ip: botIp,
          ipCountry: country,
          billingCountry: country,
          issuerCountry: country,
          status: r.chance(0.5) ? 'completed' : 'declined',
          userAgent: ua,
        });
      }
    }
    return out;
  };

  const normal = (t: number): LabelledTransaction => {
    // Mildly skewed towards a core of regular customers, like real repeat business.
    const c = customers[Math.floor(r.next() ** 1.2 * customers.length)]!;
    const abroad = r.chance(0.03);
    const big = r.chance(0.01);
    return {
      input: tx(t, {
        userId: c.id,
        email: c.email,
        amount: Math.max(100, Math.round(Math.exp(c.logAmount + 0.35 * r.normal()) * (big ? 2.5 : 1))),
        cardFingerprint: c.card,
        ip: abroad ? ip(r) : c.ip,
        ipCountry: abroad ? r.pick(COUNTRIES) : c.country,
        billingCountry: c.country,
        issuerCountry: c.country,
        status: r.chance(0.03) ? 'declined' : 'completed',
        userAgent: c.userAgent,
      }),
      fraud: false,
      pattern: 'normal',
    };
  };

  const next = (): LabelledTransaction => {
    const nextNormal = clock - Math.log(1 - r.next()) * meanGap;
    if (pending.length > 0 && pending[0]!.input.timestamp! <= nextNormal) return pending.shift()!;
    clock = nextNormal;
    if (r.chance(episodeChance)) queue(episode(r.pick(o.patterns), clock));
    return normal(clock);
  };

  return {
    next,
    take: (count) => Array.from({ length: count }, next),
    *[Symbol.iterator]() {
      for (;;) yield next();
    },
  };
}

/** Builds the transaction event of a synthetic (or any flat) input, e.g. for `shoplog generate`. */
export function transactionEventFromInput(input: FraudInput, options: BuildOptions = {}): TransactionEvent {
  const at = input.timestamp ?? (options.now ?? Date.now)();
  return createEvent(
    'transaction',
    {
      message: `purchase ${input.status ?? 'pending'}`,
      ...(input.userId !== undefined || input.email !== undefined ? { user: { ...(input.userId !== undefined ? { id: input.userId } : {}), ...(input.email !== undefined ? { email: input.email } : {}) } } : {}),
      ...(input.ip !== undefined ? { client: { ip: input.ip, ...(input.ipCountry ? { geo: { country_iso_code: input.ipCountry } } : {}) } } : {}),
      ...(input.userAgent !== undefined ? { user_agent: { original: input.userAgent } } : {}),
      shop: {
        transaction: { id: input.transactionId ?? `tx-${at}`, type: 'purchase', status: input.status ?? 'pending' },
        amount: { currency: input.currency, minor: input.amount, value: minorToDecimal(input.amount, input.currency) },
        payment: {
          method: 'card',
          card: { ...(input.cardFingerprint ? { fingerprint: input.cardFingerprint } : {}), ...(input.issuerCountry ? { issuer_country: input.issuerCountry } : {}) },
        },
        ...(input.billingCountry ? { billing: { country: input.billingCountry } } : {}),
      },
    },
    { ...options, now: () => at },
  );
}

/** Detection quality of a labelled run; "flagged" means a decision of review or block. */
export interface DetectionReport {
  total: number;
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  trueNegatives: number;
  /** TP / (TP + FP); 1 when nothing was flagged. */
  precision: number;
  /** TP / (TP + FN); 1 when there was no fraud. */
  recall: number;
  /** Per pattern: transactions and how many were flagged. */
  byPattern: Record<string, { count: number; flagged: number; blocked: number }>;
}

/** Computes precision and recall of decisions against the labels. */
export function detectionReport(samples: Iterable<{ fraud: boolean; pattern: string; decision: FraudDecision }>): DetectionReport {
  const report: DetectionReport = { total: 0, truePositives: 0, falsePositives: 0, falseNegatives: 0, trueNegatives: 0, precision: 1, recall: 1, byPattern: {} };
  for (const s of samples) {
    const flagged = s.decision !== 'allow';
    report.total++;
    if (s.fraud && flagged) report.truePositives++;
    else if (s.fraud) report.falseNegatives++;
    else if (flagged) report.falsePositives++;
    else report.trueNegatives++;
    const p = (report.byPattern[s.pattern] ??= { count: 0, flagged: 0, blocked: 0 });
    p.count++;
    if (flagged) p.flagged++;
    if (s.decision === 'block') p.blocked++;
  }
  const tp = report.truePositives;
  report.precision = tp + report.falsePositives === 0 ? 1 : tp / (tp + report.falsePositives);
  report.recall = tp + report.falseNegatives === 0 ? 1 : tp / (tp + report.falseNegatives);
  return report;
}
