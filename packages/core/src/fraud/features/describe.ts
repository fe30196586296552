import type { FraudInput } from '../input.js';
import { STRIDE } from '../state/store.js';
import { F, PROFILE_FEATURES } from './catalog.js';
import { ACCOUNT, CARD, EMAIL, IP, SHOP, type ProfileContext } from './context.js';
import * as L from './layout.js';

// The details of the reasons a profile feature gives: what the scorer saw, in words.

/** A human detail for profile feature `f` of the transaction just extracted (before update). */
export function describeFeature(ctx: ProfileContext, f: number, input: FraudInput): string | undefined {
  const { i32, f32 } = ctx.batch;
  const r = ctx.slot[ACCOUNT]! * STRIDE;
  const money = (log: number): string => (Math.exp(log) / 100).toFixed(2);
  const count = (kind: number, word: number): number =>
    ctx.slot[kind]! < 0 ? 0 : Math.round(f32[ctx.slot[kind]! * STRIDE + word]!);
  const age = `account first seen ${ctx.ageDays < 1 ? `${Math.round(ctx.ageDays * 24)} h` : `${Math.round(ctx.ageDays)} days`} ago`;
  switch (f) {
    case F.ACCOUNT_AGE:
    case F.ACCOUNT_YOUNG:
      return age;
    case F.ACCOUNT_HISTORY:
      return `${Math.round(ctx.ok)} earlier successful orders; ${age}`;
    case F.ACCOUNT_NEW:
      return 'first transaction of this account';
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
