import { describe, expect, it } from 'vitest';
import { createFraudScorer, type FraudInput, type FraudResult } from '@shoplog/core';

// The default scorer (learned model over profiles, links and shop-wide signals) on hand-built cases of issue #16:
// the fraud that has no geographic mismatch, and the legitimate traffic that must stay clean.

const T0 = Date.UTC(2026, 3, 1, 9);
const MIN = 60_000;
const DAY = 86_400_000;
const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
const CHROME_WIN = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const FIREFOX_LINUX = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';
const codes = (r: FraudResult): string[] => r.reasons.map((x) => x.code);

/** A shop with ordinary traffic (300 customers, a month of weekly orders), and one loyal customer, Claire. */
function shop() {
  const scorer = createFraudScorer();
  let seq = 0;
  const score = (t: FraudInput): FraudResult => scorer.scoreSync({ transactionId: `t${++seq}`, ...t });
  const claire: FraudInput = {
    userId: 'claire',
    email: 'claire.martin@orange.fr',
    amount: 4500,
    currency: 'EUR',
    cardFingerprint: 'card-claire',
    ip: '82.64.1.10',
    ipCountry: 'FR',
    billingCountry: 'FR',
    issuerCountry: 'FR',
    userAgent: IPHONE,
    status: 'completed',
  };
  for (let day = 0; day < 35; day++) {
    for (let c = day % 7; c < 300; c += 7) {
      score({ ...claire, userId: `c${c}`, email: `customer${c}@gmail.com`, cardFingerprint: `card-${c}`, ip: `90.1.${c >> 8}.${c & 255}`, amount: 3000 + ((c * 37) % 50) * 100, timestamp: T0 + day * DAY + (c % 12) * 3600_000 });
    }
    if (day % 4 === 0) score({ ...claire, amount: 4000 + (day % 3) * 500, timestamp: T0 + day * DAY + 20 * 3600_000 });
  }
  return { score, claire, now: T0 + 36 * DAY };
}

describe('the default scorer on the cases of issue #16', () => {
  it('keeps a loyal customer clean: travelling, a new card, a new phone, a sale-day burst on one card, a retry', () => {
    const { score, claire, now } = shop();
    const clean: FraudResult[] = [
      score({ ...claire, ip: '185.12.7.3', ipCountry: 'ES', timestamp: now }), // hotel Wi-Fi in Spain
      score({ ...claire, cardFingerprint: 'card-claire-2026', timestamp: now + DAY }), // her renewed card
      score({ ...claire, userAgent: CHROME_WIN, timestamp: now + 2 * DAY }), // her laptop
      score({ ...claire, amount: 19_900, timestamp: now + 3 * DAY }), // a bigger order than usual
    ];
    for (let i = 0; i < 5; i++) clean.push(score({ ...claire, amount: 2500 + i * 700, timestamp: now + 4 * DAY + i * 8 * MIN })); // sale day
    clean.push(score({ ...claire, status: 'declined', timestamp: now + 5 * DAY }), score({ ...claire, timestamp: now + 5 * DAY + 2 * MIN }));
    for (const r of clean) expect([r.decision, r.score], JSON.stringify(r.reasons)).toEqual(['allow', expect.any(Number)]);
  });

  it("flags an account takeover from the victim's own country: new device, changed mailbox, declines, then a big order", () => {
    const { score, claire, now } = shop();
    const attacker: FraudInput = { ...claire, userAgent: FIREFOX_LINUX, ip: '91.170.3.77', email: 'c.martin.secure@gmail.com' };
    score({ ...attacker, cardFingerprint: 'stolen-1', status: 'declined', timestamp: now });
    score({ ...attacker, cardFingerprint: 'stolen-2', status: 'declined', timestamp: now + 3 * MIN });
    const cashOut = score({ ...attacker, cardFingerprint: 'stolen-3', amount: 64_900, timestamp: now + 6 * MIN });
    expect(cashOut.decision, JSON.stringify(cashOut.reasons)).not.toBe('allow');
    expect(codes(cashOut).some((c) => ['NEW_DEVICE_AND_CARD', 'TAKEOVER_AMOUNT', 'NEW_CARD_AMOUNT', 'RECENT_ACCOUNT_CHANGES', 'EMAIL_CHANGED', 'ACCOUNT_NEW_CARDS', 'ACCOUNT_DECLINES'].includes(c))).toBe(true);
    expect(cashOut.reasons[0]!.detail).toBeTruthy();
  });

  it('flags card testing spread thin: micro amounts on fresh accounts and cards, rotating IPs, mostly declined', () => {
    const { score, now } = shop();
    const results: FraudResult[] = [];
    for (let i = 0; i < 40; i++) {
      const account = `tester-${i >> 1}`;
      results.push(score({ userId: account, email: `${account}@gmail.com`, amount: 100, currency: 'EUR', cardFingerprint: `bin-4970-${i}`, ip: `86.200.${i}.9`, ipCountry: 'FR', billingCountry: 'FR', issuerCountry: 'FR', userAgent: CHROME_WIN, status: i % 6 === 0 ? 'completed' : 'declined', timestamp: now + i * 7 * MIN }));
    }
    const flagged = results.filter((r) => r.decision !== 'allow').length;
    expect(flagged).toBeGreaterThan(30);
    expect(codes(results[39]!).some((c) => ['MICRO_AMOUNT', 'DECLINED_MICRO', 'MICRO_SPIKE', 'DECLINE_SPIKE'].includes(c))).toBe(true);
  });

  it('flags drop bots on variants of one Gmail mailbox', () => {
    const { score, now } = shop();
    const variants = ['marcdupont77', 'marc.dupont77', 'm.arcdupont77+a1', 'marcdu.pont77+x', 'marc.du.pont77', 'ma.rcdupont77+drop3', 'marcdupont.77+7', 'm.a.rcdupont77'];
    const results = variants.map((local, i) =>
      score({ userId: `drop-${i}`, email: `${local}@gmail.com`, amount: 18_999, currency: 'EUR', cardFingerprint: `drop-card-${i % 2}`, ip: `77.${i}.3.4`, ipCountry: 'FR', billingCountry: 'FR', issuerCountry: 'FR', userAgent: i % 2 ? CHROME_WIN : IPHONE, timestamp: now + i * 20_000 }),
    );
    expect(results.slice(4).every((r) => r.decision !== 'allow')).toBe(true);
    expect(codes(results[7]!).some((c) => ['EMAIL_ACCOUNTS', 'EMAIL_VARIANT', 'CARD_ACCOUNTS'].includes(c))).toBe(true);
  });
});
