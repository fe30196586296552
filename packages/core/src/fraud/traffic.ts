import { z } from 'zod';
import { parseOptions } from '../options.js';
import { createEvent, type BuildOptions } from '../builders.js';
import { minorToDecimal } from '../schema/common.js';
import type { TransactionEvent } from '../schema/kinds.js';
import type { FraudInput } from './input.js';
import { createRandom } from './random.js';
import type { FraudDecision } from './scorer.js';
import { createCustomer, dropBuyers, guestOrder, nextOrderIn, order, saleDay, signUp } from './traffic/customers.js';
import {
  accountTakeover,
  cardTestingBurst,
  cardTestingThin,
  createCrew,
  crossBorder,
  disposableEmail,
  dropBots,
  scriptedBot,
  sleeper,
  stolenCardNewAccount,
  triangulation,
  type Crew,
} from './traffic/episodes.js';
import {
  DAY,
  FRAUD_SCENARIOS,
  HOUR,
  LEGIT_SCENARIOS,
  price,
  SEASONING,
  type Customer,
  type Sim,
  type TrafficScenario,
  type TxFields,
} from './traffic/sim.js';
import { createNetworks } from './traffic/networks.js';
import { poisson } from './traffic/world.js';

export { trafficAddressBlocks, type TrafficAddressBlock } from './traffic/networks.js';

export { FRAUD_SCENARIOS, LEGIT_SCENARIOS, SEASONING };
export type { TrafficScenario };

/** One synthetic transaction with its ground truth. */
export interface LabelledTransaction {
  input: FraudInput;
  /** True for transactions of a fraud scenario. */
  fraud: boolean;
  /** The scenario (fraud) or kind (legitimate) that produced it. */
  scenario: TrafficScenario;
}

/** Options of `createTrafficGenerator`. */
export interface TrafficGeneratorOptions {
  /** Same seed, same traffic. @default 1 */
  seed?: number;
  /** Customers with an account when the stream starts (new ones sign up every day). @default 20000 */
  customers?: number;
  /** Approximate share of fraudulent transactions. @default 0.03 */
  fraudRate?: number;
  /** Fraud scenarios to inject. @default all of FRAUD_SCENARIOS */
  scenarios?: ReadonlyArray<(typeof FRAUD_SCENARIOS)[number]>;
  /** Timestamp of the first day, Unix ms. @default 2026-01-01T00:00:00Z */
  start?: number;
  /** Currency of every amount. @default 'EUR' */
  currency?: string;
  /** Also fill the richer optional fields a shop may have: `deviceId` and `cardBin`. @default false */
  richFields?: boolean;
}

/** An endless, deterministic stream of labelled transactions, in time order. */
export interface TrafficGenerator extends Iterable<LabelledTransaction> {
  next(): LabelledTransaction;
  take(count: number): LabelledTransaction[];
  /** The transactions of the next `days` simulated days (from wherever the stream is). */
  takeDays(days: number): LabelledTransaction[];
}

const OptionsSchema = z.strictObject({
  seed: z.int().default(1),
  customers: z.int().positive().max(5_000_000).default(20_000),
  fraudRate: z.number().min(0).max(0.5).default(0.03),
  scenarios: z.array(z.enum(FRAUD_SCENARIOS)).default([...FRAUD_SCENARIOS]),
  start: z.number().default(Date.UTC(2026, 0, 1)),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/)
    .default('EUR'),
  richFields: z.boolean().default(false),
});

/** Fraud episodes per day for a shop of 20 000 customers at the default fraud rate. */
const EPISODES_PER_DAY: Record<(typeof FRAUD_SCENARIOS)[number], number> = {
  card_testing_thin: 0.2,
  card_testing_burst: 0.12,
  account_takeover: 1.2,
  stolen_card_new_account: 2.5,
  stolen_card_sleeper: 0.5,
  drop_bot: 0, // at drops
  triangulation: 0.06,
  disposable_email: 1.5,
  cross_border: 0.4,
  scripted_bot: 0.2,
};
/** A limited drop every this many days, from day 4; a sale day every 30 days from day 24. */
const DROP_EVERY = 9;
const SALE_EVERY = 30;

/**
 * Creates a deterministic generator of labelled traffic, day by day: customers with habits (devices, networks,
 * cards, amounts) and the legitimate traffic that looks risky (travellers and VPNs, neobank cards, shared networks,
 * sale-day bursts, new cards and devices, big orders, retries, guests, drop buyers), with fraud episodes built from
 * public descriptions of real fraud (thin and burst card testing, takeovers from the victim's country, stolen cards
 * without geographic mismatch, sleepers, drop bots, triangulation, throwaway mailboxes, cross-border, scripts).
 * Every transaction carries its scenario. For detection benchmarks, model training and `shoplog generate`.
 */
export function createTrafficGenerator(options: TrafficGeneratorOptions = {}): TrafficGenerator {
  const o = parseOptions('createTrafficGenerator', OptionsSchema, options);
  const r = createRandom(o.seed);
  const buckets = new Map<number, LabelledTransaction[]>();
  const dayOf = (at: number): number => Math.floor((at - o.start) / DAY);
  const sim: Sim = {
    r,
    nets: createNetworks(createRandom(o.seed ^ 0x2545f491)),
    start: o.start,
    rich: o.richFields,
    customers: [],
    testedCards: [],
    weeks: (at) => (at - o.start) / (7 * DAY),
    emit(at, fields: TxFields, scenario, fraud) {
      const timestamp = Math.round(at);
      const day = dayOf(timestamp);
      let bucket = buckets.get(day);
      if (!bucket) buckets.set(day, (bucket = []));
      bucket.push({ input: { currency: o.currency, timestamp, ...fields }, fraud, scenario });
    },
  };
  const due = new Map<number, Customer[]>();
  const plan = (c: Customer, from: number): void => {
    c.nextAt = from + nextOrderIn(r, c);
    const d = dayOf(c.nextAt);
    let list = due.get(d);
    if (!list) due.set(d, (list = []));
    list.push(c);
  };
  for (let i = 0; i < o.customers; i++) {
    const household = i > 0 && r.chance(0.08) ? sim.customers[r.int(0, i - 1)] : undefined;
    const c = createCustomer(sim, household);
    c.orders = r.int(1, 15); // they bought before the stream starts (the scorer has not seen it)
    sim.customers.push(c);
    plan(c, o.start);
  }
  const size = o.customers / 20_000;
  const scale = size * (o.fraudRate / 0.03);
  const crews: Crew[] = Array.from({ length: Math.max(2, Math.round(6 * size)) }, () => createCrew(sim));
  const enabled = new Set(o.scenarios);

  const simulateDay = (d: number): void => {
    const dayStart = o.start + d * DAY;
    for (const c of due.get(d) ?? []) {
      if (c.lockedUntil <= c.nextAt) order(sim, c, c.nextAt);
      plan(c, c.nextAt);
    }
    due.delete(d);
    for (let i = 0, n = poisson(r, o.customers * 0.003); i < n; i++)
      plan(signUp(sim, dayStart + r.next() * DAY), dayStart + DAY);
    for (let i = 0, n = poisson(r, o.customers * 0.0028); i < n; i++) guestOrder(sim, dayStart + r.next() * DAY);
    if (d % SALE_EVERY === 24 % SALE_EVERY && d > 0) saleDay(sim, dayStart);
    if (d % DROP_EVERY === 4 % DROP_EVERY) {
      const release = dayStart + 18 * HOUR;
      const itemPrice = price(r, 12_000 + r.next() * 25_000);
      dropBuyers(sim, release, itemPrice);
      if (enabled.has('drop_bot') && r.chance(Math.min(1, 0.8 * scale))) dropBots(sim, release, itemPrice);
    }
    const at = (): number => dayStart + r.next() * DAY;
    const crew = (p: number): Crew | undefined => (r.chance(p) ? r.pick(crews) : undefined);
    for (const scenario of FRAUD_SCENARIOS) {
      if (!enabled.has(scenario)) continue;
      for (let i = 0, n = poisson(r, EPISODES_PER_DAY[scenario] * scale); i < n; i++) {
        if (scenario === 'card_testing_thin') cardTestingThin(sim, at());
        else if (scenario === 'card_testing_burst') cardTestingBurst(sim, at());
        else if (scenario === 'account_takeover') accountTakeover(sim, at(), crew(0.3));
        else if (scenario === 'stolen_card_new_account') stolenCardNewAccount(sim, at(), crew(0.5));
        else if (scenario === 'stolen_card_sleeper') sleeper(sim, at(), crew(0.4));
        else if (scenario === 'triangulation') triangulation(sim, at(), r.pick(crews));
        else if (scenario === 'disposable_email') disposableEmail(sim, at(), crew(0.5));
        else if (scenario === 'cross_border') crossBorder(sim, at());
        else if (scenario === 'scripted_bot') scriptedBot(sim, at());
      }
    }
  };

  let day = 0;
  let ready: LabelledTransaction[] = [];
  let cursor = 0;
  let seq = 0;
  const nextDay = (): void => {
    simulateDay(day);
    ready = buckets.get(day) ?? [];
    buckets.delete(day);
    ready.sort((a, b) => a.input.timestamp! - b.input.timestamp!);
    for (const t of ready) t.input.transactionId = `tx-${++seq}`;
    cursor = 0;
    day++;
  };
  const next = (): LabelledTransaction => {
    while (cursor >= ready.length) nextDay();
    return ready[cursor++]!;
  };
  return {
    next,
    take: (count) => Array.from({ length: count }, next),
    takeDays(days) {
      const out: LabelledTransaction[] = [];
      while (cursor < ready.length) out.push(ready[cursor++]!);
      for (let i = 0; i < days; i++) {
        nextDay();
        for (const t of ready) out.push(t);
        cursor = ready.length;
      }
      return out;
    },
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
      ...(input.userId !== undefined || input.email !== undefined
        ? {
            user: {
              ...(input.userId !== undefined ? { id: input.userId } : {}),
              ...(input.email !== undefined ? { email: input.email } : {}),
            },
          }
        : {}),
      ...(input.ip !== undefined
        ? { client: { ip: input.ip, ...(input.ipCountry ? { geo: { country_iso_code: input.ipCountry } } : {}) } }
        : {}),
      ...(input.userAgent !== undefined ? { user_agent: { original: input.userAgent } } : {}),
      ...(input.deviceId !== undefined ? { device: { id: input.deviceId } } : {}),
      shop: {
        transaction: { id: input.transactionId ?? `tx-${at}`, type: 'purchase', status: input.status ?? 'pending' },
        amount: { currency: input.currency, minor: input.amount, value: minorToDecimal(input.amount, input.currency) },
        payment: {
          method: 'card',
          card: {
            ...(input.cardFingerprint ? { fingerprint: input.cardFingerprint } : {}),
            ...(input.issuerCountry ? { issuer_country: input.issuerCountry } : {}),
            ...(input.cardBin ? { bin: input.cardBin } : {}),
          },
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
  /** Area under the ROC curve of the scores (ties count half); `undefined` without scores or without both classes. */
  rocAuc: number | undefined;
  /** Per scenario: transactions, how many were flagged and blocked (for a legitimate kind, flagged / count is its FPR). */
  byScenario: Record<string, { fraud: boolean; count: number; flagged: number; blocked: number }>;
}

/** One judged sample of a labelled run. */
export interface DetectionSample {
  fraud: boolean;
  scenario: string;
  decision: FraudDecision;
  /** The score, for the ROC AUC. */
  score?: number;
}

/** Computes precision, recall, ROC AUC and per-scenario rates of decisions against the labels. */
export function detectionReport(samples: Iterable<DetectionSample>): DetectionReport {
  const report: DetectionReport = {
    total: 0,
    truePositives: 0,
    falsePositives: 0,
    falseNegatives: 0,
    trueNegatives: 0,
    precision: 1,
    recall: 1,
    rocAuc: undefined,
    byScenario: {},
  };
  const scored: Array<{ score: number; fraud: boolean }> = [];
  let allScored = true;
  for (const s of samples) {
    const flagged = s.decision !== 'allow';
    report.total++;
    if (s.fraud && flagged) report.truePositives++;
    else if (s.fraud) report.falseNegatives++;
    else if (flagged) report.falsePositives++;
    else report.trueNegatives++;
    const p = (report.byScenario[s.scenario] ??= { fraud: s.fraud, count: 0, flagged: 0, blocked: 0 });
    p.count++;
    if (flagged) p.flagged++;
    if (s.decision === 'block') p.blocked++;
    if (s.score === undefined) allScored = false;
    else scored.push({ score: s.score, fraud: s.fraud });
  }
  const tp = report.truePositives;
  report.precision = tp + report.falsePositives === 0 ? 1 : tp / (tp + report.falsePositives);
  report.recall = tp + report.falseNegatives === 0 ? 1 : tp / (tp + report.falseNegatives);
  if (allScored) report.rocAuc = rocAuc(scored);
  return report;
}

/** ROC AUC by ranks (Mann–Whitney U), ties counted half; `undefined` unless both classes are present. */
export function rocAuc(samples: ReadonlyArray<{ score: number; fraud: boolean }>): number | undefined {
  const sorted = [...samples].sort((a, b) => a.score - b.score);
  let positives = 0;
  let rankSum = 0;
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j < sorted.length && sorted[j]!.score === sorted[i]!.score) j++;
    const rank = (i + 1 + j) / 2; // average 1-based rank of the tie group
    for (let k = i; k < j; k++) {
      if (sorted[k]!.fraud) {
        positives++;
        rankSum += rank;
      }
    }
    i = j;
  }
  const negatives = sorted.length - positives;
  if (positives === 0 || negatives === 0) return undefined;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}
