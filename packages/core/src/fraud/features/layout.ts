// Word positions inside the state records (internal). Times are int32 seconds since 2000-01-01 UTC; counters are
// float32, decayed exponentially from the record's UPDATED time with the time constant named beside them.

/** Every record: key hash halves, last update, first seen (0: never). */
export const KEY_HI = 0;
export const KEY_LO = 1;
export const UPDATED = 2;
export const FIRST_SEEN = 3;

/** Account record (32 words). */
export const A_TX = 4; // attempts, ever
export const A_OK = 5; // successful orders in the history
export const A_LOG_MEAN = 6; // Welford over log(amount) of those orders
export const A_LOG_M2 = 7;
export const A_LOG_MAX = 8;
export const A_DECLINES = 9; // τ 1 day
export const A_ATTEMPTS = 10; // τ 1 hour
export const A_NEW_CARDS = 11; // τ 7 days
export const A_DEVICE_ADDED_AT = 12; // seconds
export const A_CARD_ADDED_AT = 13;
export const A_EMAIL_ADDED_AT = 14;
export const A_MICRO = 15; // τ 1 day
/** Most recently used first: 3 devices, 3 cards, 2 mailboxes, 3 IPs, 2 countries (32-bit hashes; 0 = empty). */
export const A_DEVICES = 16;
export const A_CARDS = 19;
export const A_EMAILS = 22;
export const A_IPS = 24;
export const A_COUNTRIES = 27;
export const SET_SIZES = { devices: 3, cards: 3, emails: 2, ips: 3, countries: 2 } as const;

/** Entity record: IP, card, mailbox, device, domain, BIN (12 words). */
export const E_ACCOUNTS = 4; // distinct accounts seen (new pairings), τ 14 days; a domain counts transactions
export const E_YOUNG = 5; // of which by accounts less than a day old (or guests), τ 14 days
export const E_AGED = 6; // of which by accounts ≥ 14 days old with ≥ 2 orders, τ 14 days
export const E_TX_DAY = 7; // τ 1 day
export const E_TX = 8; // τ 14 days
export const E_DECLINES = 9; // τ 14 days
export const E_MICRO = 10; // τ 14 days
export const E_LAST_ACCOUNT = 11; // identity hash of the last account or guest

/** Shop record, one per currency (16 words). */
export const S_TX_SHORT = 4; // τ 15 min
export const S_DECLINES_SHORT = 5;
export const S_MICRO_SHORT = 6;
export const S_TX_LONG = 7; // τ 1 day
export const S_DECLINES_LONG = 8;
export const S_MICRO_LONG = 9;
export const S_LOG_MEAN = 10; // exponentially weighted log(amount) of successful orders
export const S_LOG_VAR = 11;
export const S_COUNT = 12; // successful orders seen (capped weight of the average)

/** Time constants, seconds. */
export const TAU_15M = 900;
export const TAU_1H = 3600;
export const TAU_1D = 86_400;
export const TAU_7D = 7 * 86_400;
export const TAU_14D = 14 * 86_400;

/** Unix ms → the records' seconds since 2000-01-01 UTC. */
export const toSeconds = (ms: number): number => Math.floor(ms / 1000) - 946_684_800;
