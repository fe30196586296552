import { STRIDE } from '../state/store.js';
import { ACCOUNT, BIN, CARD, DEVICE, DOMAIN, EMAIL, IP, SHOP, type ProfileContext } from './context.js';
import * as L from './layout.js';

// How a transaction changes the profile state (the records of its batch, decayed to now by ProfileFeatures.decayAll).

/** Moves (or inserts) `h` to the front of a most-recently-used set. */
const touch = (i32: Int32Array, from: number, n: number, h: number): void => {
  let k = 0;
  while (k < n - 1 && i32[from + k] !== h) k++;
  for (; k > 0; k--) i32[from + k] = i32[from + k - 1]!;
  i32[from] = h;
};
/** Marks the record at `r` updated at `now` (and first seen, when new). */
const stamp = (i32: Int32Array, r: number, now: number): void => {
  if (i32[r + L.FIRST_SEEN] === 0) i32[r + L.FIRST_SEEN] = now;
  if (i32[r + L.UPDATED]! < now) i32[r + L.UPDATED] = now;
};

/** Records the transaction in the batch's records; `joinsHistory`: its amount becomes part of the account's normal. */
export function updateProfile(ctx: ProfileContext, joinsHistory: boolean): void {
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
  entity(ctx, IP, a >= 0 && ctx.pairIp, declined, micro);
  entity(ctx, CARD, a >= 0 && ctx.pairCard, declined, micro);
  entity(ctx, EMAIL, a >= 0 && ctx.pairEmail, declined, micro);
  entity(ctx, DEVICE, a >= 0 && ctx.pairDevice, declined, micro);
  entity(ctx, DOMAIN, true, declined, micro); // a domain counts transactions, young or not
  entity(ctx, BIN, false, declined, micro);
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

/** Counts the transaction in the entity record of `kind` (a new pairing when `paired`). */
function entity(ctx: ProfileContext, kind: number, paired: boolean, declined: number, micro: number): void {
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
