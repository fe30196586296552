import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  canonicalEmail,
  createFraudScorer,
  createMemoryFraudStateStore,
  createTrafficGenerator,
  domainSuspicion,
  fraudStateKeys,
  PROFILE_FEATURES,
  RECORD_WORDS,
  STATE_KINDS,
  userAgentFamily,
  type FraudInput,
  type FraudStateStore,
} from '@shoplog/core';
import { chromeWindows as CHROME_WIN, DAY, frenchPurchase, IPHONE, PIXEL } from './fixtures.js';

const T0 = Date.UTC(2026, 3, 1, 9);

describe('normal forms', () => {
  it('folds mailboxes where the provider does: Gmail dots and +tags, +tags elsewhere', () => {
    expect(canonicalEmail('J.Doe+shop@GMail.com')).toBe('jdoe@gmail.com');
    expect(canonicalEmail('j.d.o.e@googlemail.com')).toBe('jdoe@gmail.com');
    expect(canonicalEmail('jane.doe+news@outlook.com')).toBe('jane.doe@outlook.com');
    expect(canonicalEmail('jane.doe+news@orange.fr')).toBe('jane.doe+news@orange.fr'); // unknown rules: kept
    expect(canonicalEmail(' Bob@Example.COM ')).toBe('bob@example.com');
  });

  it('reduces a user agent to its device family: versions do not count, the phone model does', () => {
    expect(userAgentFamily(CHROME_WIN(120))).toBe(userAgentFamily(CHROME_WIN(131)));
    expect(userAgentFamily(CHROME_WIN(131))).toBe('chrome/windows');
    expect(userAgentFamily(PIXEL)).toBe('chrome/android/Pixel 8');
    expect(userAgentFamily(PIXEL.replace('Pixel 8', 'SM-S918B'))).toBe('chrome/android/SM-S918B');
    expect(userAgentFamily(IPHONE)).toBe('safari/iphone');
    expect(userAgentFamily('python-requests/2.31.0')).toBe('python-requests/other');
  });

  it('scores how much a domain looks like a throwaway one, from its name alone', () => {
    expect(domainSuspicion('gmail.com')).toBe(0);
    expect(domainSuspicion('orange.fr')).toBe(0);
    expect(domainSuspicion('acme-industries.de')).toBe(0);
    expect(domainSuspicion('tempinbox.xyz')).toBeGreaterThanOrEqual(0.8);
    expect(domainSuspicion('mail24.top')).toBeGreaterThanOrEqual(0.6);
    expect(domainSuspicion('qxvkzt.com')).toBeGreaterThanOrEqual(0.3);
  });
});

/** A customer with a history: `orders` orders of about 45 EUR, one a week, same card, phone and home IP. */
function history(scorer: ReturnType<typeof createFraudScorer>, id: string, orders: number): FraudInput {
  const last: FraudInput = frenchPurchase(id, { userAgent: IPHONE, timestamp: T0 });
  for (let i = 0; i < orders; i++)
    scorer.scoreSync({
      ...last,
      transactionId: `${id}-${i}`,
      amount: 4000 + (i % 4) * 300,
      timestamp: T0 + i * 7 * DAY,
    });
  return { ...last, timestamp: T0 + orders * 7 * DAY };
}

describe('profile features', () => {
  it("see a new device, a new card and a changed mailbox on an aged account, and the amount against the account's own", () => {
    const scorer = createFraudScorer();
    const next = history(scorer, 'alice', 8);
    scorer.scoreSync({ ...next, transactionId: 'normal' });
    expect(scorer.featuresOf('normal')).toMatchObject({
      ACCOUNT_HISTORY: expect.any(Number),
      ACCOUNT_AGE: expect.any(Number),
    });
    expect(scorer.featuresOf('normal')!.NEW_DEVICE).toBeUndefined();
    scorer.scoreSync({
      ...next,
      transactionId: 'odd',
      userAgent: CHROME_WIN(131),
      cardFingerprint: 'card-new',
      email: 'a.l.i.c.e+x@gmail.com',
      amount: 60_000,
      timestamp: next.timestamp! + 3600_000,
    });
    const f = scorer.featuresOf('odd')!;
    expect(f).toMatchObject({
      NEW_DEVICE: 1,
      NEW_CARD: 1,
      EMAIL_CHANGED: 1,
      NEW_DEVICE_AND_CARD: 1,
      NEW_DEVICE_AND_EMAIL: 1,
      EMAIL_VARIANT: 1,
    });
    expect(f.AMOUNT_VS_ACCOUNT).toBeGreaterThan(2.5); // log(600 / ≈ 44)
    expect(f.TAKEOVER_AMOUNT).toBe(f.AMOUNT_VS_ACCOUNT);
    // A browser update is not a new device.
    scorer.scoreSync({
      ...next,
      transactionId: 'update',
      userAgent: IPHONE.replace('17_5', '17_6'),
      timestamp: next.timestamp! + 2 * 3600_000,
    });
    expect(scorer.featuresOf('update')!.NEW_DEVICE).toBeUndefined();
  });

  it('link accounts over days: one mailbox behind dotted and tagged variants, one IP behind many new accounts', () => {
    const scorer = createFraudScorer();
    const variants = ['johnsmith77', 'john.smith77', 'j.ohnsmith77+a1', 'johnsmith.77+drop'];
    variants.forEach((local, i) => {
      scorer.scoreSync({
        transactionId: `v${i}`,
        userId: `acct-${i}`,
        email: `${local}@gmail.com`,
        amount: 18_999,
        currency: 'EUR',
        ip: `203.0.113.${i}`,
        timestamp: T0 + i * 60_000,
      });
    });
    expect(scorer.featuresOf('v0')!.EMAIL_ACCOUNTS).toBeUndefined();
    expect(scorer.featuresOf('v3')!.EMAIL_ACCOUNTS).toBeCloseTo(Math.log1p(3), 1);
    for (let i = 0; i < 12; i++) {
      scorer.scoreSync({
        transactionId: `r${i}`,
        userId: `ring-${i}`,
        email: `buyer${i}@example.com`,
        amount: 7000,
        currency: 'EUR',
        ip: '198.51.100.7',
        cardFingerprint: `c${i}`,
        timestamp: T0 + i * DAY,
      });
    }
    const ring = scorer.featuresOf('r11')!;
    expect(ring.IP_ACCOUNTS).toBeGreaterThan(Math.log1p(5)); // 11 earlier accounts, decayed over days
    expect(ring.IP_YOUNG_ACCOUNTS).toBeGreaterThan(Math.log1p(5));
  });

  it('see shop-wide spikes of declines and micro amounts, not only per account', () => {
    const scorer = createFraudScorer();
    // A normal day: 300 orders of about 50 EUR, a few declined.
    for (let i = 0; i < 300; i++) {
      scorer.scoreSync({
        transactionId: `n${i}`,
        userId: `c${i}`,
        amount: 5000 + (i % 7) * 100,
        currency: 'EUR',
        status: i % 40 === 0 ? 'declined' : 'completed',
        cardFingerprint: `k${i}`,
        timestamp: T0 + i * 240_000,
      });
    }
    const calm = scorer.featuresOf('n299')!;
    expect(calm.MICRO_SPIKE).toBeUndefined();
    // Then, within minutes, micro authorisations on fresh accounts and cards, mostly declined.
    for (let i = 0; i < 40; i++) {
      scorer.scoreSync({
        transactionId: `t${i}`,
        userId: `x${i}`,
        amount: 100,
        currency: 'EUR',
        status: i % 5 === 0 ? 'completed' : 'declined',
        cardFingerprint: `s${i}`,
        timestamp: T0 + 300 * 240_000 + i * 15_000,
      });
    }
    const spike = scorer.featuresOf('t39')!;
    expect(spike.MICRO_AMOUNT).toBe(1);
    expect(spike.MICRO_SPIKE).toBeGreaterThan(1);
    expect(spike.DECLINE_SPIKE).toBeGreaterThan(1);
  });
});

describe('profile state', () => {
  it('is bounded: past maxAccounts the least recently active accounts are forgotten', () => {
    const profileStore = createMemoryFraudStateStore({ maxAccounts: 1000, maxEntities: 1000 });
    const scorer = createFraudScorer({ profileStore });
    const keep: FraudInput = { transactionId: 'keep', userId: 'loyal', amount: 5000, currency: 'EUR', timestamp: T0 };
    for (let i = 0; i < 20_000; i++) {
      scorer.scoreSync({ userId: `u${i}`, amount: 5000, currency: 'EUR', timestamp: T0 + i * 1000 });
      if (i % 500 === 0) scorer.scoreSync({ ...keep, timestamp: T0 + i * 1000 });
    }
    scorer.scoreSync({ ...keep, transactionId: 'keep-last', timestamp: T0 + 20_000 * 1000 });
    expect(scorer.featuresOf('keep-last')!.ACCOUNT_NEW).toBeUndefined(); // remembered: recently active
    scorer.scoreSync({
      transactionId: 'early',
      userId: 'u1',
      amount: 5000,
      currency: 'EUR',
      timestamp: T0 + 20_001 * 1000,
    });
    expect(scorer.featuresOf('early')!.ACCOUNT_NEW).toBe(1); // forgotten
    expect(() => createMemoryFraudStateStore({ maxAccounts: 0 })).toThrow(/maxAccounts/);
  });

  it('erases a person: their account and mailbox are new again, other accounts keep their history', () => {
    const profileStore = createMemoryFraudStateStore();
    const scorer = createFraudScorer({ profileStore });
    const order = (id: string, userId: string, email: string, day: number): FraudInput => ({
      transactionId: id,
      userId,
      email,
      amount: 5000,
      currency: 'EUR',
      timestamp: T0 + day * DAY,
    });
    for (let d = 0; d < 3; d++) {
      scorer.scoreSync(order(`g${d}`, 'grace', 'Grace.Hopper+shop@gmail.com', d));
      scorer.scoreSync(order(`a${d}`, 'ada', 'ada@example.org', d));
    }
    expect(profileStore.erase!(fraudStateKeys({ userIds: ['grace'], emails: ['gracehopper@gmail.com'] }))).toBe(2);
    expect(profileStore.erase!(fraudStateKeys({ userIds: ['grace'] }))).toBe(0);
    scorer.scoreSync(order('g-after', 'grace', 'grace.hopper@gmail.com', 4));
    scorer.scoreSync(order('a-after', 'ada', 'ada@example.org', 4));
    expect(scorer.featuresOf('g-after')!.ACCOUNT_NEW).toBe(1);
    expect(scorer.featuresOf('a-after')!.ACCOUNT_NEW).toBeUndefined();
    expect(scorer.featuresOf('a-after')!.ACCOUNT_HISTORY).toBeGreaterThan(0);
  });

  it('an asynchronous store (as Redis would be) judges exactly as the in-memory fast path', async () => {
    const memory = createMemoryFraudStateStore();
    // Records travel as copies of their words, as they would to and from Redis.
    const saved = new Map<string, Int32Array>();
    const keyOf = (kind: number, hi: number, lo: number) => `${STATE_KINDS[kind]}:${hi}:${lo}`;
    const remote: FraudStateStore = {
      sync: false,
      async read(batch) {
        for (let k = 0; k < batch.count; k++) {
          const words = RECORD_WORDS[batch.kinds[k]!]!;
          const record = saved.get(keyOf(batch.kinds[k]!, batch.hi[k]!, batch.lo[k]!));
          batch.i32.fill(0, k * 32, k * 32 + 32);
          if (record) batch.i32.set(record.subarray(0, words), k * 32);
        }
      },
      async write(batch) {
        for (let k = 0; k < batch.count; k++) {
          const words = RECORD_WORDS[batch.kinds[k]!]!;
          saved.set(keyOf(batch.kinds[k]!, batch.hi[k]!, batch.lo[k]!), batch.i32.slice(k * 32, k * 32 + words));
        }
      },
    };
    const fast = createFraudScorer({ profileStore: memory });
    const slow = createFraudScorer({ profileStore: remote });
    expect(slow.sync).toBe(false);
    let flagged = 0;
    for (const t of createTrafficGenerator({ seed: 11, customers: 3000, fraudRate: 0.2 }).takeDays(6)) {
      const a = fast.scoreSync(t.input);
      expect(await slow.score(t.input)).toEqual(a);
      if (a.decision !== 'allow') flagged++;
    }
    expect(flagged).toBeGreaterThan(20);
    expect(() => slow.scoreSync({ amount: 1, currency: 'EUR', timestamp: T0 })).toThrow(/synchronous/);
  });

  it('documents every profile feature it computes, in the README too', () => {
    const codes = PROFILE_FEATURES.map((f) => f.code);
    expect(new Set(codes).size).toBe(codes.length);
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    for (const f of PROFILE_FEATURES) {
      expect(f.code).toMatch(/^[A-Z][A-Z0-9_]*$/);
      expect(f.description.length).toBeGreaterThan(10);
      expect(readme).toContain(`| \`${f.code}\` | ${f.kind} | ${f.description} |`);
    }
  });
});
