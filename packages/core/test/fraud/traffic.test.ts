import { BlockList, isIPv6 } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  canonicalEmail,
  createTrafficGenerator,
  FRAUD_SCENARIOS,
  LEGIT_SCENARIOS,
  trafficAddressBlocks,
  type LabelledTransaction,
} from '@shoplog/core';

// The labelled traffic generator (issue #16): the fraud scenarios as public descriptions of real fraud give them,
// and the legitimate traffic that must stay clean, with only the fields a typical shop sends.

const TYPICAL = [
  'transactionId',
  'userId',
  'email',
  'ip',
  'ipCountry',
  'billingCountry',
  'cardFingerprint',
  'issuerCountry',
  'amount',
  'currency',
  'status',
  'userAgent',
  'timestamp',
];
// One month of a mid-sized shop, with more fraud than usual so that every scenario shows up.
const month = createTrafficGenerator({ seed: 21, customers: 10_000, fraudRate: 0.08 }).takeDays(30);
const of = (scenario: string): LabelledTransaction[] => month.filter((t) => t.scenario === scenario);
const groupBy = <T>(items: readonly T[], key: (t: T) => string | undefined): Map<string, T[]> => {
  const m = new Map<string, T[]>();
  for (const t of items) {
    const k = key(t);
    if (k !== undefined) m.set(k, [...(m.get(k) ?? []), t]);
  }
  return m;
};

describe('createTrafficGenerator', () => {
  it('is deterministic, in time order, with unique ids, and labels every transaction', () => {
    expect(createTrafficGenerator({ seed: 21, customers: 10_000, fraudRate: 0.08 }).take(2000)).toEqual(
      month.slice(0, 2000),
    );
    expect(createTrafficGenerator({ seed: 22, customers: 10_000 }).take(200)).not.toEqual(month.slice(0, 200));
    for (let i = 1; i < month.length; i++)
      expect(month[i]!.input.timestamp!).toBeGreaterThanOrEqual(month[i - 1]!.input.timestamp!);
    expect(new Set(month.map((t) => t.input.transactionId)).size).toBe(month.length);
    for (const t of month) expect(t.fraud).toBe((FRAUD_SCENARIOS as readonly string[]).includes(t.scenario));
    const share = month.filter((t) => t.fraud).length / month.length;
    expect(share).toBeGreaterThan(0.04);
    expect(share).toBeLessThan(0.16);
  });

  it('produces every fraud scenario and the legitimate kinds that must stay clean', () => {
    const seen = new Set(month.map((t) => t.scenario));
    for (const s of FRAUD_SCENARIOS) expect(seen, s).toContain(s);
    for (const s of LEGIT_SCENARIOS.filter((k) => k !== 'legit_second_account')) expect(seen, s).toContain(s);
  });

  it('sends only the fields a typical shop has, unless asked for the richer ones', () => {
    for (const t of month.slice(0, 3000)) for (const k of Object.keys(t.input)) expect(TYPICAL).toContain(k);
    const rich = createTrafficGenerator({ seed: 21, customers: 2000, richFields: true }).take(300);
    expect(rich.every((t) => typeof t.input.deviceId === 'string' && /^\d{6}$/.test(t.input.cardBin ?? ''))).toBe(true);
  });

  it('card testing spread thin: micro amounts, mostly declined, over hours, a few cards per account, rotating same-country IPs', () => {
    const thin = of('card_testing_thin');
    expect(thin.every((t) => t.input.amount <= 500 && t.input.ipCountry === t.input.issuerCountry)).toBe(true);
    expect(thin.filter((t) => t.input.status === 'declined').length / thin.length).toBeGreaterThan(0.6);
    const perAccount = [...groupBy(thin, (t) => t.input.userId).values()];
    expect(perAccount.some((txs) => new Set(txs.map((t) => t.input.cardFingerprint)).size >= 3)).toBe(true);
    expect(Math.max(...perAccount.map((txs) => txs.length))).toBeLessThan(12); // no per-account velocity to trip
    expect(new Set(thin.map((t) => t.input.ip)).size).toBeGreaterThan(thin.length * 0.5);
    const burst = of('card_testing_burst');
    expect(new Set(burst.map((t) => t.input.cardFingerprint)).size).toBe(burst.length); // a new card every attempt
  });

  it("account takeover from the victim's own country, on an account with history, then orders several times its usual", () => {
    const ato = of('account_takeover');
    expect(ato.every((t) => t.input.ipCountry === t.input.billingCountry)).toBe(true);
    for (const [user, txs] of groupBy(ato, (t) => t.input.userId)) {
      const earlier = month.filter(
        (t) => t.input.userId === user && !t.fraud && t.input.timestamp! < txs[0]!.input.timestamp!,
      );
      const cashOut = txs.filter((t) => t.input.status === 'completed');
      if (earlier.length === 0 || cashOut.length === 0) continue;
      const usual = earlier.reduce((s, t) => s + t.input.amount, 0) / earlier.length;
      expect(Math.max(...cashOut.map((t) => t.input.amount))).toBeGreaterThan(2 * usual);
    }
  });

  it('stolen cards without any geographic mismatch: big first orders, and sleepers seasoned before a new card', () => {
    for (const t of [...of('stolen_card_new_account'), ...of('stolen_card_sleeper')]) {
      expect(t.input.ipCountry === t.input.billingCountry && t.input.billingCountry === t.input.issuerCountry).toBe(
        true,
      );
    }
    const seasoning = of('sleeper_seasoning');
    expect(seasoning.every((t) => !t.fraud)).toBe(true);
    const seasoned = new Set(seasoning.map((t) => t.input.userId));
    expect(of('stolen_card_sleeper').some((t) => seasoned.has(t.input.userId))).toBe(true);
  });

  it('drop bots: many accounts on dot and +tag variants of a few Gmail mailboxes, realistic browsers', () => {
    const bots = of('drop_bot');
    const accounts = new Set(bots.map((t) => t.input.userId));
    const mailboxes = new Set(bots.map((t) => canonicalEmail(t.input.email!)));
    expect(accounts.size).toBeGreaterThan(3 * mailboxes.size);
    expect(
      bots.every((t) => t.input.email!.endsWith('@gmail.com') && t.input.userAgent!.startsWith('Mozilla/5.0')),
    ).toBe(true);
  });

  it('triangulation: a few IPs reused across many accounts for weeks; throwaway mailboxes, listed or not', () => {
    const ring = of('triangulation');
    const byIp = groupBy(ring, (t) => t.input.ip);
    const accountsPerIp = [...byIp.values()].map((txs) => new Set(txs.map((t) => t.input.userId)).size);
    expect(Math.max(...accountsPerIp)).toBeGreaterThan(5);
    const days =
      (Math.max(...ring.map((t) => t.input.timestamp!)) - Math.min(...ring.map((t) => t.input.timestamp!))) /
      86_400_000;
    expect(days).toBeGreaterThan(7);
    const domains = new Set(of('disposable_email').map((t) => t.input.email!.split('@')[1]));
    expect(
      [...domains].some(
        (d) => d === 'mailinator.com' || d === 'yopmail.com' || d === 'guerrillamail.com' || d === 'trashmail.com',
      ),
    ).toBe(true);
    expect(domains.size).toBeGreaterThan(5);
  });

  it('legitimate traffic that looks risky: travellers abroad, neobank cards, shared networks, one card in a burst', () => {
    expect(of('legit_traveller').some((t) => t.input.ipCountry !== t.input.billingCountry)).toBe(true);
    expect(of('legit_expat_card').every((t) => t.input.issuerCountry !== t.input.billingCountry)).toBe(true);
    const shared = groupBy(of('legit_shared_network'), (t) => t.input.ip);
    expect(
      Math.max(...[...shared.values()].map((txs) => new Set(txs.map((t) => t.input.userId)).size)),
    ).toBeGreaterThan(10);
    const bursts = groupBy(of('legit_sale_burst'), (t) => t.input.cardFingerprint);
    expect(Math.max(...[...bursts.values()].map((txs) => txs.length))).toBeGreaterThanOrEqual(3);
  });

  it('draws every client address from a listed block of the country it claims (what a GeoIP test checks)', () => {
    const blocks = trafficAddressBlocks();
    const byCountry = new Map<string, BlockList>();
    for (const { cidr, country } of blocks) {
      const [net, bits] = cidr.split('/');
      const list = byCountry.get(country) ?? new BlockList();
      list.addSubnet(net!, Number(bits), isIPv6(net!) ? 'ipv6' : 'ipv4');
      byCountry.set(country, list);
    }
    const vpn = new BlockList();
    for (const { cidr, pool } of blocks) if (pool === 'vpn') vpn.addSubnet(cidr.split('/')[0]!, 24, 'ipv4');
    const outside = month.filter((t) => {
      const { ip, ipCountry } = t.input;
      return !byCountry.get(ipCountry!)?.check(ip!, isIPv6(ip!) ? 'ipv6' : 'ipv4');
    });
    // The one exception: a fraud crew's hosting exit is a VPN exit (shared with everyone using it, who claim its
    // country), while the crew's transactions claim the crew's country; a GeoIP database tells the exit's country.
    expect(outside.filter((t) => !(t.fraud && vpn.check(t.input.ip!, 'ipv4')))).toEqual([]);
    expect(outside.length).toBeLessThan(month.length / 1000);
    // Every pool of every country is used, and every VPN country has its exits.
    const pools = new Set(blocks.map((b) => b.pool));
    expect([...pools].sort()).toEqual(['campus', 'mobile', 'residential', 'vpn']);
    expect(new Set(month.map((t) => t.input.ipCountry)).size).toBeGreaterThan(25);
    // No block overlaps another: an address names one country and one pool.
    const all = new BlockList();
    for (const { cidr } of blocks) {
      const [net, bits] = cidr.split('/');
      const type = isIPv6(net!) ? 'ipv6' : 'ipv4';
      expect(all.check(net!, type), cidr).toBe(false);
      all.addSubnet(net!, Number(bits), type);
    }
  });

  it('rejects bad options naming them', () => {
    expect(() => createTrafficGenerator({ scenarios: ['nope' as 'drop_bot'] })).toThrow(/scenarios/);
    expect(() => createTrafficGenerator({ customers: 0 })).toThrow(/customers/);
  });
});
