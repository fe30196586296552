import type { FraudInput } from '../input.js';
import { isFailed } from '../rules/define.js';
import { hashCanonicalEmail, hashEmailDomain, hashOut, hashString } from '../state/hash.js';
import { createStateBatch, STRIDE, type StateBatch } from '../state/store.js';
import { F, PROFILE_FEATURES } from './catalog.js';
import * as L from './layout.js';
import { domainSuspicion, MAJOR_MAIL_DOMAINS, userAgentFamily } from './normalize.js';

// The profile features: what the state says about a transaction's account, IP, card, mailbox, device, e-mail
// domain, BIN and shop (extract), and how the transaction changes that state (update).

/** Record kinds, as indices of STATE_KINDS. */
const ACCOUNT = 0;
const IP = 1;
const CARD = 2;
const EMAIL = 3;
const DEVICE = 4;
const DOMAIN = 5;
const BIN = 6;
const SHOP = 7;
/** Hash kind of the device family strings kept in an account's device set (not a record kind). */
const FAMILY_HASH = 31;
const DAY_S = 86_400;

/** The working state of one scoring (one per scoring in flight: an async scoring must not share it). */
export class ProfileContext {
  readonly batch: StateBatch = createStateBatch(8);
  /** Batch position of each record kind, -1 when the transaction has none. */
  readonly slot = new Int32Array(8);
  now = 0;
  identity = 0;
  deviceSig = 0;
  cardH = 0;
  ipH = 0;
  emailH = 0;
  country = 0;
  variant = false;
  domainMajor = false;
  suspicion = 0;
  declined = false;
  micro = false;
  known = false;
  young = false;
  aged = false;
  ageDays = 0;
  ok = 0;
  newDevice = false;
  newCard = false;
  newEmail = false;
  newIp = false;
  newCountry = false;
  pairIp = false;
  pairCard = false;
  pairEmail = false;
  pairDevice = false;
  logAmount = 0;
}

/** Number of profile features. */
export const PROFILE_FEATURE_COUNT = PROFILE_FEATURES.length;

const has = (i32: Int32Array, from: number, n: number, h: number): boolean => {
  for (let k = 0; k < n; k++) if (i32[from + k] === h) return true;
  return false;
};
/** Moves (or inserts) `h` to the front of a most-recently-used set. */
const touch = (i32: Int32Array, from: number, n: number, h: number): void => {
  let k = 0;
  while (k < n - 1 && i32[from + k] !== h) k++;
  for (; k > 0; k--) i32[from + k] = i32[from + k - 1]!;
  i32[from] = h;
};
const clamp = (x: number, lo: number, hi: number): number => (x < lo ? lo : x > hi ? hi : x);
const decay = (dt: number, tau: number): number => (dt <= 0 ? 1 : Math.exp(-dt / tau));
/** log(1 + n) of a decayed count of other accounts, 0 under 0.05 (what decay leaves of a single old pairing is not a link). */
const others = (n: number, self: boolean): number => {
  const v = n - (self ? 1 : 0);
  return v < 0.05 ? 0 : Math.log1p(v);
};
/** How far `observed` (short window) exceeds what the usual `share` of `total` predicts: log ratio, 0–4. */
const spike = (observed: number, total: number, share: number): number => clamp(Math.log((observed + 1) / (total * share + 1)), 0, 4);
/** Marks the record at `r` updated at `now` (and first seen, when new). */
const stamp = (i32: Int32Array, r: number, now: number): void => {
  if (i32[r + L.FIRST_SEEN] === 0) i32[r + L.FIRST_SEEN] = now;
  if (i32[r + L.UPDATED]! < now) i32[r + L.UPDATED] = now;
};
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

/** Computes and updates the profile features; holds bounded caches (user-agent families, domains). */
export class ProfileFeatures {
  private readonly families = new Map<string, number>();
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
      ctx.deviceSig = this.familyOf(input.userAgent);
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
    if (ctx.ok < 1 && shopCount >= 50 && ctx.logAmount > 0) x[F.FIRST_ORDER_AMOUNT] = clamp(ctx.logAmount - shopMean, 0, 2.5);
    if (ctx.declined || a < 0 || ctx.young) x[F.DECLINE_SPIKE] = spike(f32[s + L.S_DECLINES_SHORT]!, txShort, declineShare);
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
    if (ipc !== undefined && billing !== undefined && ipc !== billing && (a < 0 || ctx.young)) x[F.MISMATCH_NEW_ACCOUNT] = 1;
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
    if (ctx.ageDays >= 3 && (recentDevice || (emailAdded !== 0 && now - emailAdded < DAY_S))) x[F.RECENT_ACCOUNT_CHANGES] = 1;
    // One earlier decline is how a customer's retry looks; more are a pattern.
    x[F.ACCOUNT_DECLINES] = Math.log1p(Math.max(0, f32[r + L.A_DECLINES]! - 1));
    // The first extra card is how a declined customer retries; more are how a tester works.
    x[F.ACCOUNT_NEW_CARDS] = Math.log1p(Math.max(0, f32[r + L.A_NEW_CARDS]! + (ctx.newCard ? 1 : 0) - 1));
    x[F.ACCOUNT_ATTEMPTS] = Math.log1p(f32[r + L.A_ATTEMPTS]!);
  }

  /** Whether the transaction's own account (or guest) is among the accounts counted by the entity record at `e`. */
  private selfIn(ctx: ProfileContext, e: number, paired: boolean): boolean {
    return ctx.slot[ACCOUNT]! >= 0 ? !paired : ctx.identity !== 0 && ctx.batch.i32[e + L.E_LAST_ACCOUNT] === ctx.identity;
  }

  /** Records the transaction in the batch's records; `joinsHistory`: its amount becomes part of the account's normal. */
  update(ctx: ProfileContext, joinsHistory: boolean): void {
    const { i32, f32 } = ctx.batch;
    const now = ctx.now;
    const declined = ctx.declined ? 1 : 0;
    const micro = ctx.micro ? 1 : 0;
    const a = ctx.slot[ACCOUNT]!;
    if (a >= 0) {
      const r = a * STRIDE;
      f32[r + L.A_TX]! += 1;
      f32[r + L.A_ATTEMPTS]! += 1;
      f32[r + L.A_DECLINES]! += declined;
      f32[r + L.A_MICRO]! += micro;
      if (ctx.newCard) {
        f32[r + L.A_NEW_CARDS]! += 1;
        i32[r + L.A_CARD_ADDED_AT] = now;
      }
      if (ctx.newDevice) i32[r + L.A_DEVICE_ADDED_AT] = now;
      if (ctx.newEmail) i32[r + L.A_EMAIL_ADDED_AT] = now;
      if (ctx.deviceSig !== 0) touch(i32, r + L.A_DEVICES, 3, ctx.deviceSig);
      if (ctx.cardH !== 0) touch(i32, r + L.A_CARDS, 3, ctx.cardH);
      if (ctx.emailH !== 0) touch(i32, r + L.A_EMAILS, 2, ctx.emailH);
      if (ctx.ipH !== 0) touch(i32, r + L.A_IPS, 3, ctx.ipH);
      if (ctx.country !== 0) touch(i32, r + L.A_COUNTRIES, 2, ctx.country);
      if (joinsHistory && ctx.logAmount > 0) {
        const n = (f32[r + L.A_OK]! += 1);
        const delta = ctx.logAmount - f32[r + L.A_LOG_MEAN]!;
        f32[r + L.A_LOG_MEAN]! += delta / n;
        f32[r + L.A_LOG_M2]! += delta * (ctx.logAmount - f32[r + L.A_LOG_MEAN]!);
        if (n === 1 || ctx.logAmount > f32[r + L.A_LOG_MAX]!) f32[r + L.A_LOG_MAX] = ctx.logAmount;
      }
      stamp(i32, r, now);
    }
    // A guest's pairings are judged against the last identity seen (it has no sets of its own).
    this.entity(ctx, IP, a >= 0 && ctx.pairIp, declined, micro);
    this.entity(ctx, CARD, a >= 0 && ctx.pairCard, declined, micro);
    this.entity(ctx, EMAIL, a >= 0 && ctx.pairEmail, declined, micro);
    this.entity(ctx, DEVICE, a >= 0 && ctx.pairDevice, declined, micro);
    this.entity(ctx, DOMAIN, true, declined, micro); // a domain counts transactions, young or not
    this.entity(ctx, BIN, false, declined, micro);
    const s = ctx.slot[SHOP]! * STRIDE;
    f32[s + L.S_TX_SHORT]! += 1;
    f32[s + L.S_TX_LONG]! += 1;
    f32[s + L.S_DECLINES_SHORT]! += declined;
    f32[s + L.S_DECLINES_LONG]! += declined;
    f32[s + L.S_MICRO_SHORT]! += micro;
    f32[s + L.S_MICRO_LONG]! += micro;
    if (!ctx.declined && ctx.logAmount > 0) {
      const n = (f32[s + L.S_COUNT]! += 1);
      const alpha = 1 / Math.min(n, 2000);
      const delta = ctx.logAmount - f32[s + L.S_LOG_MEAN]!;
      f32[s + L.S_LOG_MEAN]! += alpha * delta;
      f32[s + L.S_LOG_VAR] = (1 - alpha) * (f32[s + L.S_LOG_VAR]! + alpha * delta * delta);
    }
    stamp(i32, s, now);
  }

  private entity(ctx: ProfileContext, kind: number, paired: boolean, declined: number, micro: number): void {
    const k = ctx.slot[kind]!;
    if (k < 0) return;
    const { i32, f32 } = ctx.batch;
    const e = k * STRIDE;
    const fresh = paired || (ctx.slot[ACCOUNT]! < 0 && i32[e + L.E_LAST_ACCOUNT] !== ctx.identity) ? 1 : 0;
    f32[e + L.E_ACCOUNTS]! += fresh;
    f32[e + L.E_YOUNG]! += ctx.young ? fresh : 0;
    f32[e + L.E_AGED]! += ctx.aged ? fresh : 0;
    f32[e + L.E_TX_DAY]! += 1;
    f32[e + L.E_TX]! += 1;
    f32[e + L.E_DECLINES]! += declined;
    f32[e + L.E_MICRO]! += micro;
    i32[e + L.E_LAST_ACCOUNT] = ctx.identity;
    stamp(i32, e, ctx.now);
  }

  /** A human detail for profile feature `f` of the transaction just extracted (before update). */
  detail(ctx: ProfileContext, f: number, input: FraudInput): string | undefined {
    const { i32, f32 } = ctx.batch;
    const r = ctx.slot[ACCOUNT]! * STRIDE;
    const money = (log: number): string => (Math.exp(log) / 100).toFixed(2);
    const count = (kind: number, word: number): number => (ctx.slot[kind]! < 0 ? 0 : Math.round(f32[ctx.slot[kind]! * STRIDE + word]!));
    const age = `account first seen ${ctx.ageDays < 1 ? `${Math.round(ctx.ageDays * 24)} h` : `${Math.round(ctx.ageDays)} days`} ago`;
    switch (f) {
      case F.AMOUNT_VS_ACCOUNT:
      case F.TAKEOVER_AMOUNT:
      case F.NEW_CARD_AMOUNT:
        return `${money(ctx.logAmount)} ${input.currency} is ${Math.exp(ctx.logAmount - f32[r + L.A_LOG_MEAN]!).toFixed(1)}× this account's typical ${money(f32[r + L.A_LOG_MEAN]!)} (${Math.round(ctx.ok)} orders)${f === F.TAKEOVER_AMOUNT ? ', on a new device' : f === F.NEW_CARD_AMOUNT ? ', with a new card' : ''}`;
      case F.AMOUNT_ABOVE_MAX:
        return `${money(ctx.logAmount)} ${input.currency} is above this account's largest order ${money(f32[r + L.A_LOG_MAX]!)}`;
      case F.NEW_DEVICE:
      case F.NEW_CARD:
      case F.EMAIL_CHANGED:
      case F.NEW_DEVICE_AND_CARD:
      case F.NEW_DEVICE_AND_EMAIL:
        return `${PROFILE_FEATURES[f]!.description.replace(/^a known account/, 'account')}; ${age}`;
      case F.NEW_COUNTRY:
        return `IP country ${input.ipCountry} never used by this account; ${age}`;
      case F.IP_ACCOUNTS:
      case F.IP_YOUNG_ACCOUNTS:
      case F.IP_YOUNG_SHARE:
      case F.IP_YOUNG_VS_AGED:
        return `${count(IP, L.E_ACCOUNTS)} accounts on this IP address in about two weeks, ${count(IP, L.E_YOUNG)} of them less than a day old`;
      case F.CARD_ACCOUNTS:
        return `${count(CARD, L.E_ACCOUNTS)} accounts used this card in about two weeks`;
      case F.CARD_DECLINES_BEFORE:
      case F.CARD_MICRO_BEFORE:
        return `${count(CARD, L.E_DECLINES)} declined and ${count(CARD, L.E_MICRO)} micro attempts with this card recently`;
      case F.EMAIL_ACCOUNTS:
        return `${count(EMAIL, L.E_ACCOUNTS)} accounts on this mailbox (dots and +tags folded)`;
      case F.ACCOUNT_DECLINES:
        return `${Math.round(f32[r + L.A_DECLINES]!)} declined attempts of this account in the last day`;
      case F.ACCOUNT_NEW_CARDS:
        return `${Math.round(f32[r + L.A_NEW_CARDS]! + (ctx.newCard ? 1 : 0))} cards added to this account in the last week`;
      case F.IP_DECLINES:
        return `${count(IP, L.E_DECLINES)} declined attempts from this IP address recently`;
      case F.FIRST_ORDER_AMOUNT:
        return `first order of ${money(ctx.logAmount)} ${input.currency}, ${Math.exp(ctx.logAmount - f32[ctx.slot[SHOP]! * STRIDE + L.S_LOG_MEAN]!).toFixed(1)}× the shop's typical order`;
      case F.EMAIL_DOMAIN_SUSPICIOUS:
      case F.DOMAIN_FIRST_SEEN:
      case F.DOMAIN_YOUNG_SHARE:
        return `e-mail domain ${input.email!.slice(input.email!.lastIndexOf('@') + 1).toLowerCase()}: ${PROFILE_FEATURES[f]!.description}`;
      default:
        return i32.length > 0 ? PROFILE_FEATURES[f]!.description : undefined;
    }
  }

  private familyOf(ua: string): number {
    let h = this.families.get(ua);
    if (h === undefined) {
      hashString(userAgentFamily(ua), FAMILY_HASH);
      h = hashOut.lo;
      if (this.families.size >= 16_384) this.families.clear();
      this.families.set(ua, h);
    }
    return h;
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

