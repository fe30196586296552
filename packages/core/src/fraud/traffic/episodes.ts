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
  SEASONING,
  type Card,
  type Customer,
  type Device,
  type Sim,
  type TrafficScenario,
} from './sim.js';
import {
  exponential,
  FAR_COUNTRIES,
  gmailVariant,
  hex,
  identity,
  LISTED_DISPOSABLE,
  poisson,
  SCRIPT_AGENTS,
  SHOP_COUNTRIES,
  unlistedDisposableDomain,
  weighted,
} from './world.js';

// The fraud side of the generator: episodes built from public descriptions of how shops are defrauded. Fraudsters
// use the same countries, networks, mailboxes and browsers as customers; only their behaviour differs.

/** A fraud crew's infrastructure, reused across its episodes for weeks: residential proxies and a few devices. */
export interface Crew {
  country: string;
  proxies: string[];
  devices: Device[];
}

/** A crew operating from `country` (residential proxies there, sometimes a hosting exit). */
export function createCrew(sim: Sim): Crew {
  const { r, nets } = sim;
  const country = weighted(r, SHOP_COUNTRIES);
  const proxies = Array.from({ length: r.int(2, 5) }, () =>
    r.chance(0.8) ? nets.residential(country) : nets.vpn()[0],
  );
  return { country, proxies, devices: Array.from({ length: r.int(1, 3) }, () => newDevice(r)) };
}

type Status = 'completed' | 'declined';

interface Attempt {
  userId?: string | undefined;
  email?: string | undefined;
  amount: number;
  card: Card;
  device: Device;
  ip: string;
  ipCountry: string;
  billing: string;
  status: Status;
}

const fraud = (sim: Sim, at: number, a: Attempt, scenario: TrafficScenario): void =>
  sim.emit(at, payment(sim, at, a), scenario, true);

/** A new account's mailbox: a person's (most), a listed or unlisted throwaway one. */
function fraudEmail(r: Random, country: string, throwaway: number): string {
  const person = identity(r, country);
  if (!r.chance(throwaway)) return person.email;
  const local = person.email.slice(0, person.email.indexOf('@')).replace(/\+.*/, '');
  return `${local}@${r.chance(0.5) ? r.pick(LISTED_DISPOSABLE) : unlistedDisposableDomain(r)}`;
}

/** A micro authorisation amount, as card testers use (a cent-level charge or the cheapest item). */
const microAmount = (r: Random, fixed: number | undefined): number => fixed ?? r.int(50, 500);

/** A stolen card from `country` to cash out: one that passed a test there (when there is one), else a fresh one. */
function stolenCard(sim: Sim, country: string): Card {
  const { r, testedCards } = sim;
  if (r.chance(0.4)) {
    const at = testedCards.findIndex((c) => c.issuer === country);
    if (at >= 0) return testedCards.splice(at, 1)[0]!;
  }
  return newCard(r, country);
}

/**
 * Card testing spread thin: a batch of stolen numbers (often from one bank) tried with micro amounts over hours or
 * days, a few cards per throwaway account, through rotating residential proxies in the cardholders' country.
 * Most numbers are dead (declined); the live ones are kept for cashing out.
 */
export function cardTestingThin(sim: Sim, t0: number): void {
  const { r, nets } = sim;
  const country = weighted(r, SHOP_COUNTRIES);
  const bin = r.chance(0.6) ? `${r.int(4, 5)}${String(r.int(0, 99_999)).padStart(5, '0')}` : undefined;
  const cards = Array.from({ length: r.int(12, 45) }, () => newCard(r, country, bin));
  const fixed = r.chance(0.5) ? r.pick([50, 100, 100, 199, 200, 299, 99]) : undefined;
  const span = (6 + r.next() * 42) * HOUR;
  for (let i = 0; i < cards.length;) {
    const guest = r.chance(0.3);
    const userId = guest ? undefined : newUserId(r);
    const email = fraudEmail(r, country, 0.15);
    const device = newDevice(r);
    let ip = nets.residential(country);
    let t = t0 + r.next() * span;
    for (let k = 0, n = r.int(2, 4); k < n && i < cards.length; k++, i++) {
      const card = cards[i]!;
      const live = r.chance(0.22);
      for (let a = 0, tries = live ? 1 : r.int(1, 2); a < tries; a++) {
        if (r.chance(0.7)) ip = nets.residential(country);
        fraud(
          sim,
          t,
          {
            userId,
            email,
            amount: microAmount(r, fixed),
            card,
            device,
            ip,
            ipCountry: country,
            billing: country,
            status: live ? 'completed' : 'declined',
          },
          'card_testing_thin',
        );
        t += (1 + exponential(r, 12)) * MINUTE;
      }
      if (live) sim.testedCards.push(card);
    }
  }
}

/** A card-testing burst: every attempt a new account (or guest), IP and card, within the hour. */
export function cardTestingBurst(sim: Sim, t0: number): void {
  const { r, nets } = sim;
  const country = weighted(r, SHOP_COUNTRIES);
  const bins = Array.from({ length: r.int(1, 3) }, () => `${r.int(4, 5)}${String(r.int(0, 99_999)).padStart(5, '0')}`);
  const span = (15 + r.next() * 60) * MINUTE;
  for (let i = 0, n = r.int(25, 120); i < n; i++) {
    const card = newCard(r, country, r.pick(bins));
    const live = r.chance(0.15);
    fraud(
      sim,
      t0 + r.next() * span,
      {
        userId: r.chance(0.5) ? newUserId(r) : undefined,
        email: fraudEmail(r, country, 0.2),
        amount: microAmount(r, undefined),
        card,
        device: newDevice(r),
        ip: nets.residential(country),
        ipCountry: country,
        billing: country,
        status: live ? 'completed' : 'declined',
      },
      'card_testing_burst',
    );
    if (live) sim.testedCards.push(card);
  }
}

/**
 * Account takeover from the victim's own country: a new device on an aged account, often a changed mailbox or a
 * new card, sometimes a run of declined cards first, then orders several times the account's usual amount (with
 * the stored card too). The owner is locked out for a while.
 */
export function accountTakeover(sim: Sim, t0: number, crew: Crew | undefined): void {
  const { r, nets, customers } = sim;
  let victim: Customer | undefined;
  for (let tries = 0; tries < 20 && !victim; tries++) {
    const c = r.pick(customers);
    if (c.orders >= 2 && c.lockedUntil < t0 && !(c.abroad && c.abroad.until > t0)) victim = c;
  }
  if (!victim) return;
  victim.lockedUntil = t0 + (5 + r.next() * 15) * DAY;
  const home = victim.country;
  const sameFamily = r.chance(0.25);
  const device =
    crew && r.chance(0.5)
      ? r.pick(crew.devices)
      : newDevice(r, sameFamily ? victim.devices[0]!.browser.family : undefined);
  const proxy = (): string =>
    crew && crew.country === home && r.chance(0.5)
      ? r.pick(crew.proxies)
      : r.chance(0.7)
        ? nets.residential(home)
        : nets.mobile(home);
  let ip = proxy();
  const email = r.chance(0.4) ? identity(r, home).email : victim.email;
  const usual = Math.exp(victim.logAmount);
  let t = t0;
  const step = (amount: number, card: Card, status: Status): void => {
    if (r.chance(0.3)) ip = proxy();
    fraud(
      sim,
      t,
      { userId: victim.id, email, amount, card, device, ip, ipCountry: home, billing: home, status },
      'account_takeover',
    );
    t += (1 + exponential(r, 6)) * MINUTE;
  };
  if (r.chance(0.35))
    for (let i = 0, n = r.int(1, 4); i < n; i++)
      step(r.chance(0.5) ? microAmount(r, undefined) : price(r, usual), newCard(r, home), 'declined');
  const stored = r.chance(0.4);
  const card = stored ? victim.cards[0]! : stolenCard(sim, home);
  for (let i = 0, n = r.int(1, 3); i < n; i++)
    step(price(r, Math.max(25_000, usual * (3 + r.next() * 9))), card, r.chance(0.9) ? 'completed' : 'declined');
}

/** Stolen card, no geographic mismatch: a new account whose first order is large. */
export function stolenCardNewAccount(sim: Sim, t0: number, crew: Crew | undefined): void {
  const { r, nets } = sim;
  const country = crew?.country ?? weighted(r, SHOP_COUNTRIES);
  const card = stolenCard(sim, country);
  const viaCrew = crew !== undefined && crew.country === country;
  const device = viaCrew && r.chance(0.6) ? r.pick(crew.devices) : newDevice(r);
  const ip = viaCrew && r.chance(0.7) ? r.pick(crew.proxies) : nets.residential(country);
  const userId = newUserId(r);
  const email = fraudEmail(r, country, 0.1);
  let t = t0;
  for (let i = 0, n = r.chance(0.35) ? 2 : 1; i < n; i++) {
    fraud(
      sim,
      t,
      {
        userId,
        email,
        amount: price(r, Math.exp(Math.log(35_000) + 0.5 * r.normal())),
        card,
        device,
        ip,
        ipCountry: country,
        billing: country,
        status: r.chance(0.9) ? 'completed' : 'declined',
      },
      'stolen_card_new_account',
    );
    t += (2 + exponential(r, 20)) * MINUTE;
  }
}

/**
 * A sleeper account: seasoned for weeks with small genuine-looking orders (labelled `sleeper_seasoning`, not
 * fraud), then a new card and a big order.
 */
export function sleeper(sim: Sim, t0: number, crew: Crew | undefined): void {
  const { r, nets } = sim;
  const country = crew?.country ?? weighted(r, SHOP_COUNTRIES);
  const userId = newUserId(r);
  const email = fraudEmail(r, country, 0.05);
  const device = crew && r.chance(0.5) ? r.pick(crew.devices) : newDevice(r);
  const ip = crew && r.chance(0.5) ? r.pick(crew.proxies) : nets.residential(country);
  const ownCard = newCard(r, country);
  let t = t0;
  let spent = 0;
  const n = r.int(2, 5);
  for (let i = 0; i < n; i++) {
    const amount = price(r, 1000 + r.next() * 3500);
    spent += amount;
    sim.emit(
      t,
      payment(sim, t, {
        userId,
        email,
        amount,
        card: ownCard,
        device,
        ip,
        ipCountry: country,
        billing: country,
        status: 'completed',
      }),
      SEASONING,
      false,
    );
    t += (2 + exponential(r, 6)) * DAY;
  }
  const card = stolenCard(sim, country);
  for (let i = 0, k = r.int(1, 2); i < k; i++) {
    fraud(
      sim,
      t,
      {
        userId,
        email,
        amount: price(r, Math.max(20_000, (spent / n) * (6 + r.next() * 15))),
        card,
        device,
        ip,
        ipCountry: country,
        billing: country,
        status: r.chance(0.9) ? 'completed' : 'declined',
      },
      'stolen_card_sleeper',
    );
    t += (5 + exponential(r, 30)) * MINUTE;
  }
}

/**
 * Bots on a limited drop: many accounts on variants of a few Gmail mailboxes (dots, `+tags`), rotating realistic
 * browsers and proxies, a few cards shared across accounts, all buying the item within minutes of the release.
 */
export function dropBots(sim: Sim, at: number, itemPrice: number): void {
  const { r, nets } = sim;
  const country = weighted(r, SHOP_COUNTRIES);
  const mailboxes = Array.from({ length: r.int(1, 3) }, () => {
    const p = identity(r, country);
    return `${p.first}${p.last}${r.int(1, 99)}`;
  });
  const cards = Array.from({ length: r.int(2, 6) }, () => newCard(r, country));
  for (let i = 0, n = r.int(12, 50); i < n; i++) {
    const userId = newUserId(r);
    const email = gmailVariant(r, r.pick(mailboxes));
    const device = newDevice(r);
    const [vpnIp, vpnCountry] = nets.vpn();
    const proxy = r.chance(0.7);
    let t = at + exponential(r, 90_000);
    for (let k = 0, orders = r.chance(0.3) ? 2 : 1; k < orders; k++) {
      fraud(
        sim,
        t,
        {
          userId,
          email,
          amount: itemPrice,
          card: r.pick(cards),
          device,
          ip: proxy ? nets.residential(country) : vpnIp,
          ipCountry: proxy ? country : vpnCountry,
          billing: country,
          status: r.chance(0.75) ? 'completed' : 'declined',
        },
        'drop_bot',
      );
      t += exponential(r, 40_000);
    }
  }
}

/**
 * Triangulation: a crew resells goods it orders with stolen cards for its buyers: ordinary baskets, one new account
 * per buyer (sometimes reused), each order a different card, all from the crew's few proxies and devices for weeks.
 */
export function triangulation(sim: Sim, t0: number, crew: Crew): void {
  const { r } = sim;
  const days = r.int(21, 42);
  const accounts: Array<{ userId: string; email: string; billing: string }> = [];
  for (let d = 0; d < days; d++) {
    for (let i = 0, n = poisson(r, 2.5); i < n; i++) {
      let account = accounts.length > 0 && r.chance(0.2) ? r.pick(accounts) : undefined;
      if (!account) {
        const billing = r.chance(0.85) ? crew.country : weighted(r, SHOP_COUNTRIES);
        account = { userId: newUserId(r), email: fraudEmail(r, billing, 0.05), billing };
        accounts.push(account);
      }
      const at = t0 + d * DAY + (8 + r.next() * 14) * HOUR;
      const card = newCard(r, account.billing);
      const ip = r.pick(crew.proxies);
      fraud(
        sim,
        at,
        {
          ...account,
          amount: price(r, Math.exp(Math.log(7000) + 0.5 * r.normal())),
          card,
          device: r.pick(crew.devices),
          ip,
          ipCountry: crew.country,
          status: r.chance(0.92) ? 'completed' : 'declined',
        },
        'triangulation',
      );
    }
  }
}

/** A throwaway mailbox (listed or not) on a new account paying with a stolen card. */
export function disposableEmail(sim: Sim, t0: number, crew: Crew | undefined): void {
  const { r, nets } = sim;
  const country = crew?.country ?? weighted(r, SHOP_COUNTRIES);
  const card = stolenCard(sim, country);
  const person = identity(r, country);
  const local = person.email.slice(0, person.email.indexOf('@')).replace(/\+.*/, '');
  const email = `${r.chance(0.3) ? hex(r, 8) : local}@${r.chance(0.5) ? r.pick(LISTED_DISPOSABLE) : unlistedDisposableDomain(r)}`;
  const abroad = r.chance(0.3);
  const [vpnIp, vpnCountry] = nets.vpn();
  const ip = abroad
    ? vpnIp
    : crew && crew.country === country && r.chance(0.5)
      ? r.pick(crew.proxies)
      : nets.residential(country);
  const device = crew && r.chance(0.4) ? r.pick(crew.devices) : newDevice(r);
  const userId = newUserId(r);
  let t = t0;
  for (let i = 0, n = r.chance(0.4) ? 2 : 1; i < n; i++) {
    fraud(
      sim,
      t,
      {
        userId,
        email,
        amount: price(r, Math.exp(Math.log(15_000) + 0.6 * r.normal())),
        card,
        device,
        ip,
        ipCountry: abroad ? vpnCountry : country,
        billing: country,
        status: r.chance(0.88) ? 'completed' : 'declined',
      },
      'disposable_email',
    );
    t += (3 + exponential(r, 30)) * MINUTE;
  }
}

/** Classic cross-border fraud: a new account ordering from far away with a card and address from the shop's countries. */
export function crossBorder(sim: Sim, t0: number): void {
  const { r, nets } = sim;
  const country = weighted(r, SHOP_COUNTRIES);
  const far = r.pick(FAR_COUNTRIES);
  const userId = newUserId(r);
  const email = fraudEmail(r, country, 0.2);
  const device = newDevice(r);
  const ip = nets.residential(far);
  let t = t0;
  for (let i = 0, n = r.int(1, 3); i < n; i++) {
    fraud(
      sim,
      t,
      {
        userId,
        email,
        amount: price(r, Math.exp(Math.log(25_000) + 0.5 * r.normal())),
        card: newCard(r, country),
        device,
        ip,
        ipCountry: far,
        billing: country,
        status: r.chance(0.8) ? 'completed' : 'declined',
      },
      'cross_border',
    );
    t += (2 + exponential(r, 15)) * MINUTE;
  }
}

/** A script that announces itself (HTTP library or headless browser) checking out fast from one address. */
export function scriptedBot(sim: Sim, t0: number): void {
  const { r, nets } = sim;
  const country = weighted(r, SHOP_COUNTRIES);
  const [vpnIp, vpnCountry] = nets.vpn();
  const viaVpn = r.chance(0.5);
  const ip = viaVpn ? vpnIp : nets.residential(country);
  const agent = r.pick(SCRIPT_AGENTS);
  const device: Device = { browser: { family: -1, userAgent: () => agent }, id: `d_${hex(r, 12)}`, mobile: false };
  let t = t0;
  for (let i = 0, n = r.int(3, 10); i < n; i++) {
    fraud(
      sim,
      t,
      {
        userId: newUserId(r),
        email: fraudEmail(r, country, 0.3),
        amount: price(r, 2000 + r.next() * 15_000),
        card: newCard(r, country),
        device,
        ip,
        ipCountry: viaVpn ? vpnCountry : country,
        billing: country,
        status: r.chance(0.5) ? 'completed' : 'declined',
      },
      'scripted_bot',
    );
    t += r.int(300, 4000);
  }
}
