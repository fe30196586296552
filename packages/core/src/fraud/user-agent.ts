import { isbot } from 'isbot';
import { userAgentFamily } from './features/normalize.js';
import { hashOut, hashString } from './state/hash.js';

// What the scorer derives from a user agent (internal): its device family hash (profile features) and whether it
// is a bot (BOT_USER_AGENT), each a pure function of the string, computed once per distinct string and remembered
// for the whole process (bounded: checkout traffic repeats a few thousand user agents).

/** The derivations of one user agent string, each computed on first use. */
interface UserAgentInfo {
  readonly ua: string;
  family: number | undefined;
  bot: boolean | undefined;
}

/** Hash kind of the device family strings kept in an account's device set (not a record kind). */
const FAMILY_HASH = 31;
const MAX_CACHED = 16_384;
const cache = new Map<string, UserAgentInfo>();
// The features and the bot rule ask about the same string in one scoring: the second asks without a map lookup.
let last: UserAgentInfo = { ua: '', family: undefined, bot: undefined };

function infoOf(ua: string): UserAgentInfo {
  if (last.ua === ua) return last;
  let info = cache.get(ua);
  if (info === undefined) {
    if (cache.size >= MAX_CACHED) cache.clear();
    info = { ua, family: undefined, bot: undefined };
    cache.set(ua, info);
  }
  last = info;
  return info;
}

/** The low half of the hash of `userAgentFamily(ua)` (what an account's device set holds without a device id). */
export function userAgentFamilyHash(ua: string): number {
  const info = infoOf(ua);
  if (info.family === undefined) {
    hashString(userAgentFamily(ua), FAMILY_HASH);
    info.family = hashOut.lo;
  }
  return info.family;
}

/** Whether `ua` matches the `isbot` pattern list (crawlers, headless browsers, HTTP libraries). */
export function isBotUserAgent(ua: string): boolean {
  const info = infoOf(ua);
  return (info.bot ??= isbot(ua));
}
