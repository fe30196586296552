import type { FraudInput } from '../input.js';
import type { Random } from '../random.js';
import type { Networks } from './networks.js';
import { browser, hex, type Browser } from './world.js';

// What the generator's customers and fraud episodes share (internal).

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** Fraud scenarios of the generator. */
export const FRAUD_SCENARIOS = [
  'card_testing_thin',
  'card_testing_burst',
  'account_takeover',
  'stolen_card_new_account',
  'stolen_card_sleeper',
  'drop_bot',
  'triangulation',
  'disposable_email',
  'cross_border',
  'scripted_bot',
] as const;

/** Legitimate kinds of the generator (the traffic that must stay clean). */
export const LEGIT_SCENARIOS = [
  'legit_regular',
  'legit_new_customer',
  'legit_big_first_order',
  'legit_big_ticket',
  'legit_traveller',
  'legit_vpn',
  'legit_expat_card',
  'legit_shared_network',
  'legit_sale_burst',
  'legit_new_card',
  'legit_new_device',
  'legit_retry',
  'legit_guest',
  'legit_drop_buyer',
  'legit_email_change',
  'legit_second_account',
] as const;

/** A fraudster's account seasoned with small genuine orders before the fraud: not fraud itself, not a customer kind. */
export const SEASONING = 'sleeper_seasoning';

/** The scenario a synthetic transaction belongs to. */
export type TrafficScenario = (typeof FRAUD_SCENARIOS)[number] | (typeof LEGIT_SCENARIOS)[number] | typeof SEASONING;

/** A transaction's fields before the generator stamps id, time and currency. */
export type TxFields = Omit<FraudInput, 'transactionId' | 'timestamp' | 'currency'>;

/** A payment card: fingerprint, first six digits, issuing country. */
export interface Card {
  fp: string;
  bin: string;
  issuer: string;
}

/** A device: its browser and, where a shop has one, a device id. */
export interface Device {
  browser: Browser;
  id: string;
  mobile: boolean;
}

/** A registered customer and their habits. */
export interface Customer {
  id: string;
  email: string;
  country: string;
  cards: Card[];
  devices: Device[];
  homeIp: string;
  /** A campus or company NAT address they also shop from. */
  work: string | undefined;
  /** Uses a VPN for some orders. */
  vpn: boolean;
  /** Mean log amount (minor units) of their orders. */
  logAmount: number;
  /** Orders per day. */
  rate: number;
  orders: number;
  /** Trip abroad: country and end time. */
  abroad: { country: string; until: number } | undefined;
  /** Set when the account was taken over: its owner stops shopping for a while. */
  lockedUntil: number;
  /** When they order next. */
  nextAt: number;
}

/** The generator's state and services shared by customers and fraud episodes. */
export interface Sim {
  readonly r: Random;
  readonly nets: Networks;
  readonly start: number;
  /** Include the richer optional fields (device id, card BIN). */
  readonly rich: boolean;
  readonly customers: Customer[];
  /** Cards a card-testing campaign found valid, waiting to be cashed out. */
  readonly testedCards: Card[];
  /** Schedules a transaction at `at` (Unix ms). */
  emit(at: number, fields: TxFields, scenario: TrafficScenario, fraud: boolean): void;
  /** Weeks since the start (browsers update with time). */
  weeks(at: number): number;
}

/** A fresh account id (customers and fraudsters alike). */
export const newUserId = (r: Random): string => `u${hex(r, 9)}`;

/** A fresh card issued in `country`; `bin` reuses a bank's range. */
export function newCard(r: Random, country: string, bin?: string): Card {
  return {
    fp: `fp_${hex(r, 16)}`,
    bin: bin ?? `${r.int(4, 5)}${String(r.int(0, 99_999)).padStart(5, '0')}`,
    issuer: country,
  };
}

/** A fresh device with the population's browser mix (or of browser family `family`). */
export function newDevice(r: Random, family?: number): Device {
  const b = browser(r, family);
  return { browser: b, id: `d_${hex(r, 12)}`, mobile: b.family >= 5 && b.family <= 8 };
}

/** The transaction fields of paying with `card` from `device` at `ip` (country `ipCountry`). */
export function payment(
  sim: Sim,
  at: number,
  p: {
    userId?: string | undefined;
    email?: string | undefined;
    amount: number;
    card: Card;
    device: Device;
    ip: string;
    ipCountry: string;
    billing: string;
    status: 'completed' | 'declined';
  },
): TxFields {
  const fields: TxFields = {
    amount: Math.max(1, Math.round(p.amount)),
    cardFingerprint: p.card.fp,
    ip: p.ip,
    ipCountry: p.ipCountry,
    billingCountry: p.billing,
    issuerCountry: p.card.issuer,
    status: p.status,
    userAgent: p.device.browser.userAgent(sim.weeks(at)),
  };
  if (p.userId !== undefined) fields.userId = p.userId;
  if (p.email !== undefined) fields.email = p.email;
  if (sim.rich) {
    fields.deviceId = p.device.id;
    fields.cardBin = p.card.bin;
  }
  return fields;
}

/** A shop price near `minor` (x.99 or round euros, as catalogues price). */
export function price(r: Random, minor: number): number {
  const m = Math.max(50, minor);
  if (m < 1000) return Math.round(m / 10) * 10 - (r.chance(0.5) ? 1 : 0);
  return r.chance(0.6) ? Math.round(m / 100) * 100 - 1 : Math.round(m / 100) * 100;
}
