import type { FraudInput } from '../input.js';
import { isFailed } from '../rules/define.js';
import { hashCanonicalEmail, hashEmailDomain, hashOut, hashString } from '../state/hash.js';
import { STRIDE } from '../state/store.js';
import { ACCOUNT, BIN, CARD, DEVICE, DOMAIN, EMAIL, IP, ProfileContext, SHOP } from './context.js';
import { F, PROFILE_FEATURES } from './catalog.js';
import * as L from './layout.js';
import { userAgentFamilyHash } from '../user-agent.js';
import { domainSuspicion, MAJOR_MAIL_DOMAINS } from './normalize.js';

// The profile features: what the state says about a transaction's account, IP, card, mailbox, device, e-mail
// domain, BIN and shop (see update.ts for how a transaction changes that state, describe.ts for the reasons' words).

const DAY_S = 86_400;

/** Number of profile features. */
export const PROFILE_FEATURE_COUNT = PROFILE_FEATURES.length;

const has = (i32: Int32Array, from: number, n: number, h: number): boolean => {
  for (let k = 0; k < n; k++) if (i32[from + k] === h) return true;
  return false;
};
const clamp = (x: number, lo: number, hi: number): number => (x < lo ? lo : x > hi ? hi : x);
const decay = (dt: number, tau: number): number => (dt <= 0 ? 1 : Math.exp(-dt / tau));
/** log(1 + n) of a decayed count of other accounts, 0 under 0.05 (what decay leaves of a single old pairing is not a link). */
const others = (n: number, self: boolean): number => {
  const v = n - (self ? 1 : 0);
  return v < 0.05 ? 0 : Math.log1p(v);
};
/** How far `observed` (short window) exceeds what the usual `share` of `total` predicts: log ratio, 0–4. */
const spike = (observed: number, total: number, share: number): number =>
  clamp(Math.log((observed + 1) / (total * share + 1)), 0, 4);
/** Appends the key in `hashOut` of kind `kind` to the batch; returns its low half (the hash sets hold it). */
const addKey = (ctx: ProfileContext, kind: number): number => {
  const b = ctx.batch;
  const k = b.count++;
  b.kinds[k] = kind;
  b.hi[k] = hashOut.hi;
  b.lo[k] = hashOut.lo;
  ctx.slot[kind] = k;
  return hashOut.lo;
};

/** Computes and updates the profile features; holds a bounded cache of domains. */
export class ProfileFeatures {
  private readonly domains = new Map<number, number>();
  private readonly majors = new Set<number>();

  constructor() {
    for (const d of MAJOR_MAIL_DOMAINS) {
      hashEmailDomain(`@${d}`, 0);
      this.majors.add(hashOut.lo);
    }
  }

  /** Fills the batch keys of `input` at `nowMs` (Unix ms), and the hashes the features compare. */
  prepare(ctx: ProfileContext, input: FraudInput, nowMs: number): void {
    ctx.batch.count = 0;
    ctx.slot.fill(-1);
    ctx.now = L.toSeconds(nowMs);
    ctx.identity = 0;
    if (input.userId !== undefined && input.userId !== '') {
      hashString(input.userId, ACCOUNT);
      ctx.identity = addKey(ctx, ACCOUNT);
    }
    ctx.ipH = 0;
    if (input.ip !== undefined && input.ip !== '') {
      hashString(input.ip, IP);
      ctx.ipH = addKey(ctx, IP);
    }
    ctx.cardH = 0;
    if (input.cardFingerprint !== undefined && input.cardFingerprint !== '') {
      hashString(input.cardFingerprint, CARD);
      ctx.cardH = addKey(ctx, CARD);
    }
    ctx.emailH = 0;
    ctx.variant = false;
    ctx.domainMajor = false;
    ctx.suspicion = 0;
    const email = input.email;
    const at = email === undefined ? -1 : email.lastIndexOf('@');
    if (email !== undefined && at > 0 && at < email.length - 1) {
      const folding = hashEmailDomain(email, at);
      ctx.domainMajor = this.majors.has(hashOut.lo);
      ctx.suspicion = this.suspicionOf(email, at);
      addKey(ctx, DOMAIN);
      ctx.variant = hashCanonicalEmail(email, at, folding, EMAIL);
      ctx.emailH = addKey(ctx, EMAIL);
    }
    if (ctx.identity === 0) ctx.identity = ctx.emailH || ctx.cardH;
    ctx.deviceSig = 0;
    if (input.deviceId !== undefined && input.deviceId !== '') {
      hashString(input.deviceId, DEVICE);
      ctx.deviceSig = addKey(ctx, DEVICE);
    } else if (input.userAgent !== undefined && input.userAgent !== '') {
      ctx.deviceSig = userAgentFamilyHash(input.userAgent);
    }
    if (input.cardBin !== undefined && input.cardBin !== '') {
      hashString(input.cardBin, BIN);
      addKey(ctx, BIN);
    }
    hashString(input.currency, SHOP);
    addKey(ctx, SHOP);
    const c = input.ipCountry;
    ctx.country = c === undefined || c.length !== 2 ? 0 : ((c.charCodeAt(0) << 8) | c.charCodeAt(1)) + 1;
    ctx.declined = isFailed(input.status);
    ctx.logAmount = input.amount > 0 ? Math.log(input.amount) : 0;
  }

  /** Decays every counter of the batch's records (as read) to now, so extract and update read current values. */
  decayAll(ctx: ProfileContext): void {
    const { i32, f32, count, kinds } = ctx.batch;
    for (let k = 0; k < count; k++) {
      const r = k * STRIDE;
      const updated = i32[r + L.UPDATED]!;
      if (updated === 0) continue;
      const dt = ctx.now - updated;
      if (dt <= 0) continue;
      const kind = kinds[k]!;
      if (kind === ACCOUNT) {
        const day = decay(dt, L.TAU_1D);
        f32[r + L.A_DECLINES]! *= day;
        f32[r + L.A_MICRO]! *= day;
        f32[r + L.A_ATTEMPTS]! *= decay(dt, L.TAU_1H);
        f32[r + L.A_NEW_CARDS]! *= decay(dt, L.TAU_7D);
      } else if (kind === SHOP) {
        const short = decay(dt, L.TAU_15M);
        const long = decay(dt, L.TAU_1D);
        f32[r + L.S_TX_SHORT]! *= short;
        f32[r + L.S_DECLINES_SHORT]! *= short;
        f32[r + L.S_MICRO_SHORT]! *= short;
        f32[r + L.S_TX_LONG]! *= long;
        f32[r + L.S_DECLINES_LONG]! *= long;
        f32[r + L.S_MICRO_LONG]! *= long;
      } else {
        const long = decay(dt, L.TAU_14D);
        for (let w = L.E_ACCOUNTS; w <= L.E_AGED; w++) f32[r + w]! *= long;
        f32[r + L.E_TX]! *= long;
        f32[r + L.E_DECLINES]! *= long;
        f32[r + L.E_MICRO]! *= long;
        f32[r + L.E_TX_DAY]! *= decay(dt, L.TAU_1D);
      }
      i32[r + L.UPDATED] = ctx.now;
    }
  }

  /** Writes the profile features of the transaction into `x[0 …]` (PROFILE_FEATURES order), from the decayed records. */
  extract(ctx: ProfileContext, input: FraudInput, x: Float64Array): void {
    const { i32, f32 } = ctx.batch;
    for (let i = 0; i < PROFILE_FEATURE_COUNT; i++) x[i] = 0;
    // Shop: typical amount, micro amounts, spikes.
    const s = ctx.slot[SHOP]! * STRIDE;
    const shopCount = f32[s + L.S_COUNT]!;
    const shopMean = f32[s + L.S_LOG_MEAN]!;
    ctx.micro = shopCount >= 50 ? ctx.logAmount <= shopMean - Math.LN10 : input.amount <= 300;
    const txShort = f32[s + L.S_TX_SHORT]!;
    const txLong = f32[s + L.S_TX_LONG]!;
    const declineShare = (f32[s + L.S_DECLINES_LONG]! + 1) / (txLong + 20);
    if (ctx.declined) x[F.DECLINED] = 1;
    if (ctx.micro) {
      x[F.MICRO_AMOUNT] = 1;
      if (ctx.declined) x[F.DECLINED_MICRO] = 1;
      x[F.MICRO_SPIKE] = spike(f32[s + L.S_MICRO_SHORT]!, txShort, (f32[s + L.S_MICRO_LONG]! + 1) / (txLong + 20));
    }
    // Account.
    const a = ctx.slot[ACCOUNT]!;
    const r = a * STRIDE;
    ctx.known = a >= 0 && i32[r + L.FIRST_SEEN] !== 0;
    ctx.ageDays = ctx.known ? (ctx.now - i32[r + L.FIRST_SEEN]!) / DAY_S : 0;
    ctx.ok = ctx.known ? f32[r + L.A_OK]! : 0;
    ctx.young = a < 0 || ctx.ageDays < 1;
    ctx.aged = ctx.known && ctx.ageDays >= 14 && ctx.ok >= 2;
    ctx.newDevice = ctx.newCard = ctx.newEmail = ctx.newIp = ctx.newCountry = false;
    if (a < 0) x[F.GUEST] = 1;
    else if (!ctx.known) x[F.ACCOUNT_NEW] = 1;
    ctx.pairIp = a >= 0 ? !has(i32, r + L.A_IPS, 3, ctx.ipH) : true;
    ctx.pairCard = a >= 0 ? !has(i32, r + L.A_CARDS, 3, ctx.cardH) : true;
    ctx.pairEmail = a >= 0 ? !has(i32, r + L.A_EMAILS, 2, ctx.emailH) : true;
    ctx.pairDevice = a >= 0 ? !has(i32, r + L.A_DEVICES, 3, ctx.deviceSig) : true;
    if (ctx.known) this.account(ctx, x, r);
    if (ctx.ok < 1 && shopCount >= 50 && ctx.logAmount > 0)
      x[F.FIRST_ORDER_AMOUNT] = clamp(ctx.logAmount - shopMean, 0, 2.5);
    if (ctx.declined || a < 0 || ctx.young)
      x[F.DECLINE_SPIKE] = spike(f32[s + L.S_DECLINES_SHORT]!, txShort, declineShare);
    // Links: accounts sharing this IP, card, mailbox, device (the transaction's own account not counted).
    if (ctx.slot[IP]! >= 0) {
      const e = ctx.slot[IP]! * STRIDE;
      const self = this.selfIn(ctx, e, ctx.pairIp);
      x[F.IP_ACCOUNTS] = others(f32[e + L.E_ACCOUNTS]!, self);
      // Leave out the account's own pairing, young when the account was (a customer's home IP is not a ring).
      let young = f32[e + L.E_YOUNG]!;
      if (self && (a < 0 || ctx.ageDays < 28)) young = Math.max(0, young - 1);
      if (young < 0.05) young = 0;
      x[F.IP_YOUNG_ACCOUNTS] = Math.log1p(young);
      x[F.IP_YOUNG_SHARE] = young / (f32[e + L.E_ACCOUNTS]! + 2);
      x[F.IP_YOUNG_VS_AGED] = Math.log1p(young / (1 + f32[e + L.E_AGED]!));
      x[F.IP_DECLINES] = Math.log1p(f32[e + L.E_DECLINES]!);
      x[F.IP_ATTEMPTS] = Math.log1p(f32[e + L.E_TX_DAY]!);
    }
    if (ctx.slot[CARD]! >= 0) {
      const e = ctx.slot[CARD]! * STRIDE;
      x[F.CARD_ACCOUNTS] = others(f32[e + L.E_ACCOUNTS]!, this.selfIn(ctx, e, ctx.pairCard));
      x[F.CARD_DECLINES_BEFORE] = Math.log1p(f32[e + L.E_DECLINES]!);
      x[F.CARD_MICRO_BEFORE] = Math.log1p(f32[e + L.E_MICRO]!);
      x[F.CARD_ATTEMPTS] = Math.log1p(f32[e + L.E_TX_DAY]!);
    }
    if (ctx.slot[EMAIL]! >= 0) {
      const e = ctx.slot[EMAIL]! * STRIDE;
      x[F.EMAIL_ACCOUNTS] = others(f32[e + L.E_ACCOUNTS]!, this.selfIn(ctx, e, ctx.pairEmail));
      if (ctx.variant) x[F.EMAIL_VARIANT] = 1;
      x[F.EMAIL_DOMAIN_SUSPICIOUS] = ctx.suspicion;
      const d = ctx.slot[DOMAIN]! * STRIDE;
      if (!ctx.domainMajor) {
        const tx = f32[d + L.E_TX]!;
        if (i32[d + L.FIRST_SEEN] === 0) x[F.DOMAIN_FIRST_SEEN] = 1;
        else x[F.DOMAIN_YOUNG_SHARE] = (f32[d + L.E_YOUNG]! / (tx + 2)) * Math.min(1, tx / 3);
      }
    }
    if (ctx.slot[DEVICE]! >= 0) {
      const e = ctx.slot[DEVICE]! * STRIDE;
      x[F.DEVICE_ACCOUNTS] = others(f32[e + L.E_ACCOUNTS]!, this.selfIn(ctx, e, ctx.pairDevice));
    }
    if (ctx.slot[BIN]! >= 0) {
      const e = ctx.slot[BIN]! * STRIDE;
      x[F.BIN_FAILURES] = clamp(Math.log((f32[e + L.E_DECLINES]! + 1) / (f32[e + L.E_TX]! * declineShare + 1)), 0, 4);
    }
    const ipc = input.ipCountry;
    const billing = input.billingCountry;
    if (ipc !== undefined && billing !== undefined && ipc !== billing && (a < 0 || ctx.young))
      x[F.MISMATCH_NEW_ACCOUNT] = 1;
    if (input.userAgent === undefined || input.userAgent === '') x[F.USER_AGENT_MISSING] = 1;
  }

  /** The features of a known account (record at `r`). */
  private account(ctx: ProfileContext, x: Float64Array, r: number): void {
    const { i32, f32 } = ctx.batch;
    if (ctx.ageDays < 1) x[F.ACCOUNT_YOUNG] = 1;
    x[F.ACCOUNT_HISTORY] = Math.log1p(ctx.ok);
    x[F.ACCOUNT_AGE] = Math.log1p(ctx.ageDays);
    let amountVsAccount = 0;
    if (ctx.ok >= 1 && ctx.logAmount > 0) amountVsAccount = clamp(ctx.logAmount - f32[r + L.A_LOG_MEAN]!, 0, 3);
    x[F.AMOUNT_VS_ACCOUNT] = amountVsAccount;
    if (ctx.ok >= 2 && ctx.logAmount > 0) x[F.AMOUNT_ABOVE_MAX] = clamp(ctx.logAmount - f32[r + L.A_LOG_MAX]!, 0, 3);
    ctx.newDevice = ctx.deviceSig !== 0 && ctx.pairDevice;
    ctx.newCard = ctx.cardH !== 0 && ctx.pairCard;
    ctx.newEmail = ctx.emailH !== 0 && ctx.pairEmail;
    ctx.newIp = ctx.ipH !== 0 && ctx.pairIp;
    ctx.newCountry = ctx.country !== 0 && !has(i32, r + L.A_COUNTRIES, 2, ctx.country);
    if (ctx.newDevice) x[F.NEW_DEVICE] = 1;
    if (ctx.newCard) x[F.NEW_CARD] = 1;
    if (ctx.newEmail) x[F.EMAIL_CHANGED] = 1;
    if (ctx.newIp) x[F.NEW_IP] = 1;
    if (ctx.newCountry) x[F.NEW_COUNTRY] = 1;
    if (ctx.newDevice && ctx.newCard) x[F.NEW_DEVICE_AND_CARD] = 1;
    if (ctx.newDevice && ctx.newEmail) x[F.NEW_DEVICE_AND_EMAIL] = 1;
    const now = ctx.now;
    const deviceAdded = i32[r + L.A_DEVICE_ADDED_AT]!;
    const cardAdded = i32[r + L.A_CARD_ADDED_AT]!;
    const emailAdded = i32[r + L.A_EMAIL_ADDED_AT]!;
    const recentDevice = deviceAdded !== 0 && now - deviceAdded < DAY_S;
    if (ctx.newDevice || recentDevice) x[F.TAKEOVER_AMOUNT] = amountVsAccount;
    if (ctx.newCard || (cardAdded !== 0 && now - cardAdded < DAY_S)) x[F.NEW_CARD_AMOUNT] = amountVsAccount;
    if (ctx.ageDays >= 3 && (recentDevice || (emailAdded !== 0 && now - emailAdded < DAY_S)))
      x[F.RECENT_ACCOUNT_CHANGES] = 1;
    // One earlier decline is how a customer's retry looks; more are a pattern.
    x[F.ACCOUNT_DECLINES] = Math.log1p(Math.max(0, f32[r + L.A_DECLINES]! - 1));
    // The first extra card is how a declined customer retries; more are how a tester works.
    x[F.ACCOUNT_NEW_CARDS] = Math.log1p(Math.max(0, f32[r + L.A_NEW_CARDS]! + (ctx.newCard ? 1 : 0) - 1));
    x[F.ACCOUNT_ATTEMPTS] = Math.log1p(f32[r + L.A_ATTEMPTS]!);
  }

  /** Whether the transaction's own account (or guest) is among the accounts counted by the entity record at `e`. */
  private selfIn(ctx: ProfileContext, e: number, paired: boolean): boolean {
    return ctx.slot[ACCOUNT]! >= 0
      ? !paired
      : ctx.identity !== 0 && ctx.batch.i32[e + L.E_LAST_ACCOUNT] === ctx.identity;
  }

  /** Suspicion of the domain whose hash is in `hashOut` (computed once per domain, bounded cache). */
  private suspicionOf(email: string, at: number): number {
    const lo = hashOut.lo;
    let v = this.domains.get(lo);
    if (v === undefined) {
      const hi = hashOut.hi;
      v = domainSuspicion(email.slice(at + 1));
      if (this.domains.size >= 8192) this.domains.clear();
      this.domains.set(lo, v);
      hashOut.hi = hi;
      hashOut.lo = lo;
    }
    return v;
  }
}

export { ProfileContext };
