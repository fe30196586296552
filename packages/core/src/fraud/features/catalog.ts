// The profile, link and shop-wide features the learned model reads besides the rules (internal catalog, also
// documented in the README). Each feature is a number (0 when it does not apply), named by the reason code it
// gives when it contributes to a score.

/** A model feature computed from the profile state. */
export interface FeatureInfo {
  /** Reason code (UPPER_SNAKE). */
  readonly code: string;
  /** What it measures. */
  readonly description: string;
  /**
   * 'risk': the model's score may only grow with it (a risk signal never lowers a score); 'trust': may only shrink
   * with it (a longer history never raises one). Both are enforced in training (monotone trees).
   */
  readonly kind: 'risk' | 'trust';
}

const risk = (code: string, description: string): FeatureInfo => ({ code, description, kind: 'risk' });
const trust = (code: string, description: string): FeatureInfo => ({ code, description, kind: 'trust' });

/** Every profile feature, in vector order (see `F`). */
export const PROFILE_FEATURES: readonly FeatureInfo[] = [
  risk('ACCOUNT_NEW', "the account's first transaction"),
  risk('GUEST', 'no account (guest checkout)'),
  risk('ACCOUNT_YOUNG', 'an account first seen less than a day ago'),
  trust('ACCOUNT_HISTORY', "log(1 + the account's earlier successful orders)"),
  trust('ACCOUNT_AGE', 'log(1 + days since the account was first seen)'),
  risk(
    'AMOUNT_VS_ACCOUNT',
    "log of the amount over the account's typical amount (geometric mean of its successful orders), 0–3",
  ),
  risk('AMOUNT_ABOVE_MAX', "log of the amount over the account's largest successful order, 0–3 (from 2 orders)"),
  risk('NEW_DEVICE', 'a known account on a device (device id, else browser family, OS and model) it never used'),
  risk('NEW_CARD', 'a known account paying with a card it never used'),
  risk('EMAIL_CHANGED', 'a known account with a mailbox it never had (canonical form)'),
  risk('NEW_IP', 'a known account from an IP address not among its recent ones'),
  risk('NEW_COUNTRY', 'a known account from an IP country it never used'),
  risk('NEW_DEVICE_AND_CARD', 'new device and new card together on a known account'),
  risk('NEW_DEVICE_AND_EMAIL', 'new device and changed mailbox together on a known account'),
  risk('TAKEOVER_AMOUNT', 'a device new to the account (now or within a day) × AMOUNT_VS_ACCOUNT'),
  risk('NEW_CARD_AMOUNT', 'a card new to the account (now or within a day) × AMOUNT_VS_ACCOUNT'),
  risk('RECENT_ACCOUNT_CHANGES', 'an account older than 3 days whose device or mailbox changed within the last day'),
  risk('ACCOUNT_DECLINES', "log(1 + the account's declined attempts in the last day beyond the first, decayed)"),
  risk(
    'ACCOUNT_NEW_CARDS',
    'log(1 + cards the account added in the last week beyond the first, decayed, this one included)',
  ),
  risk('ACCOUNT_ATTEMPTS', "log(1 + the account's attempts in the last hour, decayed)"),
  risk(
    'FIRST_ORDER_AMOUNT',
    "no successful order yet (new account or guest): log of the amount over the shop's typical amount, 0–2.5 (a big first order alone is common)",
  ),
  risk('IP_ACCOUNTS', 'log(1 + other accounts seen on this IP address over about two weeks)'),
  risk('IP_YOUNG_ACCOUNTS', 'log(1 + accounts less than a day old seen on this IP address over about two weeks)'),
  risk('IP_YOUNG_SHARE', 'share of those accounts that were less than a day old'),
  risk(
    'IP_YOUNG_VS_AGED',
    'log(1 + young accounts / (1 + accounts at least 14 days old with 2 orders) seen on this IP address): a ring of fresh accounts, not a shared network',
  ),
  risk('CARD_ACCOUNTS', 'log(1 + other accounts that used this card over about two weeks)'),
  risk('CARD_DECLINES_BEFORE', 'log(1 + declined attempts with this card over about two weeks, decayed)'),
  risk(
    'CARD_MICRO_BEFORE',
    'log(1 + micro-amount attempts with this card over about two weeks, decayed: a tested card)',
  ),
  risk(
    'EMAIL_ACCOUNTS',
    'log(1 + other accounts on the same mailbox: dots and +tags folded where the provider ignores them)',
  ),
  risk('EMAIL_VARIANT', 'the address is written with dots or a +tag its provider ignores'),
  risk('DEVICE_ACCOUNTS', 'log(1 + other accounts seen on this device id over about two weeks)'),
  risk('IP_DECLINES', 'log(1 + declined attempts from this IP address over about two weeks, decayed)'),
  risk('IP_ATTEMPTS', 'log(1 + attempts from this IP address in the last day, decayed)'),
  risk('CARD_ATTEMPTS', 'log(1 + attempts with this card in the last day, decayed)'),
  risk(
    'DOMAIN_YOUNG_SHARE',
    'an e-mail domain that is not a big provider, whose recent orders come mostly from new accounts and guests',
  ),
  risk('DOMAIN_FIRST_SEEN', 'an e-mail domain the shop never saw, not a big provider'),
  risk(
    'EMAIL_DOMAIN_SUSPICIOUS',
    'how much the e-mail domain looks like a throwaway one (words, TLD, random-looking name), 0–1',
  ),
  risk('DECLINED', 'this attempt was declined or failed'),
  risk('MICRO_AMOUNT', "an amount under a tenth of the shop's typical amount"),
  risk('DECLINED_MICRO', 'a declined micro amount (how card testing looks)'),
  risk('MICRO_SPIKE', 'a micro amount while micro amounts run above their usual share shop-wide (log ratio, 0–4)'),
  risk(
    'DECLINE_SPIKE',
    'a decline, or a new account or guest, while declines run above their usual share shop-wide (log ratio, 0–4)',
  ),
  risk(
    'BIN_FAILURES',
    "declines of the card's BIN in the last week above the shop's decline rate (log ratio, 0–4; needs cardBin)",
  ),
  risk('MISMATCH_NEW_ACCOUNT', 'IP country differs from the billing country on a new or young account or a guest'),
  risk('USER_AGENT_MISSING', 'no user agent'),
];

/** Vector positions of the profile features (same order as PROFILE_FEATURES). */
export const F = Object.fromEntries(PROFILE_FEATURES.map((f, i) => [f.code, i])) as Record<
  | 'ACCOUNT_NEW'
  | 'GUEST'
  | 'ACCOUNT_YOUNG'
  | 'ACCOUNT_HISTORY'
  | 'ACCOUNT_AGE'
  | 'AMOUNT_VS_ACCOUNT'
  | 'AMOUNT_ABOVE_MAX'
  | 'NEW_DEVICE'
  | 'NEW_CARD'
  | 'EMAIL_CHANGED'
  | 'NEW_IP'
  | 'NEW_COUNTRY'
  | 'NEW_DEVICE_AND_CARD'
  | 'NEW_DEVICE_AND_EMAIL'
  | 'TAKEOVER_AMOUNT'
  | 'NEW_CARD_AMOUNT'
  | 'RECENT_ACCOUNT_CHANGES'
  | 'ACCOUNT_DECLINES'
  | 'ACCOUNT_NEW_CARDS'
  | 'ACCOUNT_ATTEMPTS'
  | 'FIRST_ORDER_AMOUNT'
  | 'IP_ACCOUNTS'
  | 'IP_YOUNG_ACCOUNTS'
  | 'IP_YOUNG_SHARE'
  | 'IP_YOUNG_VS_AGED'
  | 'CARD_ACCOUNTS'
  | 'CARD_DECLINES_BEFORE'
  | 'CARD_MICRO_BEFORE'
  | 'EMAIL_ACCOUNTS'
  | 'EMAIL_VARIANT'
  | 'DEVICE_ACCOUNTS'
  | 'IP_DECLINES'
  | 'IP_ATTEMPTS'
  | 'CARD_ATTEMPTS'
  | 'DOMAIN_YOUNG_SHARE'
  | 'DOMAIN_FIRST_SEEN'
  | 'EMAIL_DOMAIN_SUSPICIOUS'
  | 'DECLINED'
  | 'MICRO_AMOUNT'
  | 'DECLINED_MICRO'
  | 'MICRO_SPIKE'
  | 'DECLINE_SPIKE'
  | 'BIN_FAILURES'
  | 'MISMATCH_NEW_ACCOUNT'
  | 'USER_AGENT_MISSING',
  number
>;
