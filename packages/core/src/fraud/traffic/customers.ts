import type { Random } from '../random.js';
import {
  DAY,
  HOUR,
  MINUTE,
  newCard,
  newDevice,
  newUserId,
  payment,
  price,
  type Card,
  type Customer,
  type Device,
  type Sim,
  type TrafficScenario,
} from './sim.js';
import {
  exponential,
  gmailVariant,
  identity,
  LISTED_DISPOSABLE,
  NEOBANK_ISSUERS,
  SHOP_COUNTRIES,
  weighted,
} from './world.js';

// The legitimate side of the generator: customers and their habits, and the legitimate traffic that looks risky
// (travellers, VPNs, neobank cards, shared networks, sale-day bursts, new cards and devices, big orders, retries).

/** Orders per day of a customer: most buy every month or two, a few every week. */
const orderRate = (r: Random): number => Math.exp(Math.log(1 / 40) + 0.8 * r.normal());

/** Creates a customer living in one of the shop's countries; `like` makes a household member of another. */
export function createCustomer(sim: Sim, like?: Customer): Customer {
  const { r, nets } = sim;
  const country = like?.country ?? weighted(r, SHOP_COUNTRIES);
  const expat = r.chance(0.08);
  let issuer = country;
  if (expat) while (issuer === country) issuer = r.pick(NEOBANK_ISSUERS);
  const person = identity(r, country);
  const devices = [newDevice(r)];
  if (r.chance(0.45)) devices.push(newDevice(r));
  const sharesCard = like !== undefined && r.chance(0.25);
  return {
    id: newUserId(r),
    // A few privacy-minded customers use a throwaway mailbox for shops.
    email: r.chance(0.002) ? `${person.first}${r.int(1, 99)}@${r.pick(LISTED_DISPOSABLE)}` : person.email,
    country,
    cards: [sharesCard ? like.cards[0]! : newCard(r, issuer)],
    devices,
    homeIp: like?.homeIp ?? nets.residential(country),
    work: r.chance(0.12) ? nets.campus(country) : undefined,
    vpn: r.chance(0.06),
    logAmount: Math.log(6000) + 0.6 * r.normal(),
    rate: orderRate(r),
    orders: 0,
    abroad: undefined,
    lockedUntil: 0,
    nextAt: 0,
  };
}

/** Where a customer connects from for one order, and the kind that makes it look unusual (if any). */
function network(
  sim: Sim,
  c: Customer,
  device: Device,
  at: number,
): { ip: string; ipCountry: string; kind: TrafficScenario | undefined } {
  const { r, nets } = sim;
  if (c.abroad && at < c.abroad.until) {
    // Hotel or local Wi-Fi shows the country visited; mobile data while roaming exits at home.
    if (device.mobile && r.chance(0.5))
      return { ip: nets.mobile(c.country), ipCountry: c.country, kind: 'legit_traveller' };
    return { ip: nets.residential(c.abroad.country), ipCountry: c.abroad.country, kind: 'legit_traveller' };
  }
  if (c.vpn && r.chance(0.4)) {
    const [ip, country] = nets.vpn();
    return { ip, ipCountry: country, kind: 'legit_vpn' };
  }
  if (device.mobile && r.chance(0.65))
    return { ip: nets.mobile(c.country), ipCountry: c.country, kind: 'legit_shared_network' };
  if (!device.mobile && c.work !== undefined && r.chance(0.35))
    return { ip: c.work, ipCountry: c.country, kind: 'legit_shared_network' };
  return { ip: c.homeIp, ipCountry: c.country, kind: undefined };
}

/** Life events between two orders: a move, a trip, a new phone, a new card, a new mailbox. */
function lifeEvents(sim: Sim, c: Customer, at: number): TrafficScenario | undefined {
  const { r, nets } = sim;
  if (r.chance(0.03)) c.homeIp = nets.residential(c.country); // the ISP hands out a new address
  if ((!c.abroad || at > c.abroad.until) && r.chance(0.04))
    c.abroad = { country: nets.travelCountry(c.country), until: at + (2 + exponential(r, 8)) * DAY };
  if (r.chance(0.012)) {
    c.cards.unshift(newCard(r, c.cards[0]!.issuer));
    if (c.cards.length > 3) c.cards.pop();
    return 'legit_new_card';
  }
  if (r.chance(0.015)) {
    c.devices.unshift(newDevice(r));
    if (c.devices.length > 3) c.devices.pop();
    return 'legit_new_device';
  }
  if (r.chance(0.003)) {
    c.email = identity(r, c.country).email;
    return 'legit_email_change';
  }
  return undefined;
}

/** Precedence of the kinds an order can be at once (the rarer, riskier-looking one labels it). */
const PRECEDENCE: readonly TrafficScenario[] = [
  'legit_sale_burst',
  'legit_drop_buyer',
  'legit_retry',
  'legit_second_account',
  'legit_new_card',
  'legit_new_device',
  'legit_email_change',
  'legit_big_first_order',
  'legit_new_customer',
  'legit_big_ticket',
  'legit_traveller',
  'legit_vpn',
  'legit_expat_card',
  'legit_shared_network',
];
const rank = (k: TrafficScenario | undefined): number => (k === undefined ? PRECEDENCE.length : PRECEDENCE.indexOf(k));
const first = (...kinds: Array<TrafficScenario | undefined>): TrafficScenario =>
  kinds.reduce<TrafficScenario | undefined>((a, b) => (rank(b) < rank(a) ? b : a), undefined) ?? 'legit_regular';

/** Options of one customer order. */
export interface OrderOptions {
  /** The kind the occasion gives the order (first order, drop, sale burst). */
  kind?: TrafficScenario;
  /** A fixed price (a drop's item). */
  amount?: number;
  /** Bursts and drops skip life events (the same session). */
  sameSession?: boolean;
}

/**
 * One order of customer `c` at `at`: device, network, card and amount from their habits; a decline is retried a few
 * minutes later (same card or another one) as a real customer does.
 */
export function order(sim: Sim, c: Customer, at: number, options: OrderOptions = {}): void {
  const { r } = sim;
  const life = options.sameSession ? undefined : lifeEvents(sim, c, at);
  const device = life === 'legit_new_device' || r.chance(0.7) ? c.devices[0]! : r.pick(c.devices);
  const net = network(sim, c, device, at);
  const big = options.amount === undefined && r.chance(c.orders === 0 ? 0.05 : 0.015);
  let amount = options.amount ?? price(r, Math.exp(c.logAmount + 0.45 * r.normal()));
  if (big) amount = price(r, amount * (3 + r.next() * 7));
  // A few cheap orders: a gift card top-up, a digital item, a sample.
  else if (options.amount === undefined && r.chance(0.006)) amount = price(r, 99 + r.next() * 400);
  const bigKind = big
    ? c.orders === 0
      ? 'legit_big_first_order'
      : 'legit_big_ticket'
    : c.orders === 0
      ? 'legit_new_customer'
      : undefined;
  const expat = c.cards[0]!.issuer !== c.country ? 'legit_expat_card' : undefined;
  const declined = r.chance(0.03);
  const card = c.cards[0]!;
  const kind = first(options.kind, declined ? 'legit_retry' : undefined, life, bigKind, net.kind, expat);
  const pay = (t: number, paid: Card, status: 'completed' | 'declined', k: TrafficScenario): void =>
    sim.emit(
      t,
      payment(sim, t, {
        userId: c.id,
        email: c.email,
        amount,
        card: paid,
        device,
        ip: net.ip,
        ipCountry: net.ipCountry,
        billing: c.country,
        status,
      }),
      k,
      false,
    );
  pay(at, card, declined ? 'declined' : 'completed', kind);
  c.orders++;
  if (!declined || !r.chance(0.75)) return;
  // The retry: the same card again (a typo, 3-D Secure timeout) or another card, possibly one never used here.
  let other = card;
  if (r.chance(0.45)) {
    if (c.cards.length < 2) c.cards.push(newCard(r, card.issuer));
    other = c.cards[1]!;
  }
  pay(
    at + (0.5 + exponential(r, 3)) * MINUTE,
    other,
    r.chance(0.15) ? 'declined' : 'completed',
    first(options.kind, 'legit_retry'),
  );
}

/** A guest checkout: no account, a person's own card and mailbox. */
export function guestOrder(sim: Sim, at: number): void {
  const { r, nets } = sim;
  const country = weighted(r, SHOP_COUNTRIES);
  const person = identity(r, country);
  const device = newDevice(r);
  const mobile = device.mobile && r.chance(0.6);
  const card = newCard(r, r.chance(0.08) ? r.pick(NEOBANK_ISSUERS) : country);
  const amount = price(r, Math.exp(Math.log(5000) + 0.7 * r.normal()));
  sim.emit(
    at,
    payment(sim, at, {
      email: person.email,
      amount,
      card,
      device,
      ip: mobile ? nets.mobile(country) : nets.residential(country),
      ipCountry: country,
      billing: country,
      status: r.chance(0.03) ? 'declined' : 'completed',
    }),
    'legit_guest',
    false,
  );
}

/**
 * A customer who signs up: first order now; a few are an existing customer's second account (a mailbox variant,
 * the same card and phone), a few a household member of another customer (same home network, sometimes same card).
 */
export function signUp(sim: Sim, at: number): Customer {
  const { r, customers } = sim;
  const existing = customers.length > 0 ? r.pick(customers) : undefined;
  const household = existing !== undefined && r.chance(0.08) ? existing : undefined;
  const c = createCustomer(sim, household);
  if (existing && !household && r.chance(0.003) && existing.email.endsWith('@gmail.com')) {
    c.email = gmailVariant(r, existing.email.slice(0, existing.email.indexOf('@')));
    c.cards = [existing.cards[0]!];
    c.devices = [existing.devices[0]!];
    c.country = existing.country;
    c.homeIp = existing.homeIp;
    order(sim, c, at, { kind: 'legit_second_account' });
  } else {
    order(sim, c, at);
  }
  if (r.chance(0.3)) c.rate = 1 / 2000; // one-time buyers
  customers.push(c);
  return c;
}

/** A customer's time until the next order. */
export const nextOrderIn = (r: Random, c: Customer): number => exponential(r, DAY / c.rate);

/** Sale day (Black Friday): extra buyers, and some who place several orders on one card within the hour. */
export function saleDay(sim: Sim, dayStart: number): void {
  const { r, customers } = sim;
  const buyers = Math.round(customers.length * 0.05);
  for (let i = 0; i < buyers; i++) {
    const c = r.pick(customers);
    if (c.lockedUntil > dayStart) continue;
    const at = dayStart + (7 + r.next() * 16) * HOUR;
    if (!r.chance(0.1)) {
      order(sim, c, at);
      continue;
    }
    let t = at;
    for (let k = 0, n = r.int(3, 7); k < n; k++) {
      order(sim, c, t, { kind: 'legit_sale_burst', sameSession: k > 0 });
      t += (1 + exponential(r, 8)) * MINUTE;
    }
  }
}

/** Genuine buyers of a limited drop at `at`: one item at `itemPrice` within minutes of the release. */
export function dropBuyers(sim: Sim, at: number, itemPrice: number): void {
  const { r, customers } = sim;
  for (let i = 0, n = r.int(40, 120); i < n; i++) {
    const c = r.pick(customers);
    if (c.lockedUntil > at) continue;
    order(sim, c, at + exponential(r, 4 * MINUTE), {
      kind: 'legit_drop_buyer',
      amount: itemPrice * (r.chance(0.15) ? 2 : 1),
    });
  }
}

export type { Device };
