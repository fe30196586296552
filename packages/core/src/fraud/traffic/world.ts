import type { Random } from '../random.js';

// The synthetic world of the traffic generator (internal): countries, people's names and mailboxes, browsers (its IP
// space is in networks.ts). Fraudsters and customers draw from the same pools, so nothing but behaviour tells them
// apart.

/** The shop's customer countries, with their share of customers. */
export const SHOP_COUNTRIES: ReadonlyArray<readonly [string, number]> = [
  ['FR', 0.28],
  ['DE', 0.18],
  ['ES', 0.08],
  ['IT', 0.08],
  ['GB', 0.07],
  ['NL', 0.06],
  ['US', 0.06],
  ['BE', 0.05],
  ['PL', 0.04],
  ['SE', 0.03],
  ['AT', 0.03],
  ['PT', 0.02],
  ['IE', 0.02],
];
/** Issuers of neobank and expat cards (issuer ≠ billing country). */
export const NEOBANK_ISSUERS = ['LT', 'GB', 'DE', 'IE', 'BE', 'FR', 'US'];
/** Countries classic cross-border fraud comes from. */
export const FAR_COUNTRIES = ['NG', 'RU', 'VN', 'BR', 'ID', 'PK', 'UA', 'BD'];

/** Picks a key of `[key, weight]` pairs by weight. */
export function weighted<T>(r: Random, items: ReadonlyArray<readonly [T, number]>): T {
  let total = 0;
  for (const [, w] of items) total += w;
  let x = r.next() * total;
  for (const [item, w] of items) {
    x -= w;
    if (x < 0) return item;
  }
  return items[items.length - 1]![0];
}

/** Exponential waiting time of mean `mean`. */
export const exponential = (r: Random, mean: number): number => -Math.log(1 - r.next()) * mean;

/** Poisson-distributed count of mean `mean` (Knuth's method: means here are small). */
export function poisson(r: Random, mean: number): number {
  if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * r.normal()));
  const limit = Math.exp(-mean);
  let k = 0;
  for (let p = r.next(); p > limit; p *= r.next()) k++;
  return k;
}

/** A random lower-case hex string of `length` digits. */
export function hex(r: Random, length: number): string {
  let s = '';
  while (s.length < length) s += r.int(0, 0xfffffff).toString(16).padStart(7, '0');
  return s.slice(0, length);
}

const FIRST = [
  'marie',
  'julie',
  'camille',
  'lea',
  'sarah',
  'emma',
  'laura',
  'anna',
  'sophie',
  'lisa',
  'maria',
  'elena',
  'giulia',
  'lucia',
  'hannah',
  'lena',
  'katarzyna',
  'olivia',
  'emily',
  'chloe',
  'ines',
  'nora',
  'eva',
  'alice',
  'claire',
  'thomas',
  'nicolas',
  'julien',
  'pierre',
  'antoine',
  'lucas',
  'hugo',
  'max',
  'jonas',
  'felix',
  'paul',
  'david',
  'daniel',
  'marco',
  'luca',
  'javier',
  'carlos',
  'pablo',
  'piotr',
  'jan',
  'tom',
  'james',
  'jack',
  'oliver',
  'noah',
  'erik',
  'lars',
  'sven',
  'joao',
  'miguel',
  'sean',
  'liam',
  'adam',
  'mehdi',
  'karim',
  'yusuf',
  'amir',
  'kevin',
];
const LAST = [
  'martin',
  'bernard',
  'dubois',
  'thomas',
  'robert',
  'richard',
  'petit',
  'durand',
  'leroy',
  'moreau',
  'simon',
  'laurent',
  'lefebvre',
  'michel',
  'garcia',
  'muller',
  'schmidt',
  'schneider',
  'fischer',
  'weber',
  'meyer',
  'wagner',
  'becker',
  'rossi',
  'russo',
  'ferrari',
  'esposito',
  'bianchi',
  'romano',
  'fernandez',
  'lopez',
  'martinez',
  'sanchez',
  'perez',
  'gomez',
  'nowak',
  'kowalski',
  'wisniewski',
  'smith',
  'jones',
  'williams',
  'brown',
  'taylor',
  'wilson',
  'devries',
  'jansen',
  'peeters',
  'janssens',
  'andersson',
  'johansson',
  'silva',
  'santos',
  'murphy',
  'kelly',
  'gruber',
  'huber',
  'benali',
  'nguyen',
  'yilmaz',
  'haddad',
  'kaya',
];
const PROVIDERS: ReadonlyArray<readonly [string, number]> = [
  ['gmail.com', 0.42],
  ['outlook.com', 0.07],
  ['hotmail.com', 0.07],
  ['yahoo.com', 0.05],
  ['icloud.com', 0.07],
  ['live.com', 0.02],
  ['proton.me', 0.01],
  ['aol.com', 0.01],
  ['googlemail.com', 0.01],
];
const LOCAL_PROVIDERS: Record<string, readonly string[]> = {
  FR: ['orange.fr', 'free.fr', 'laposte.net', 'sfr.fr', 'wanadoo.fr'],
  DE: ['gmx.de', 'web.de', 't-online.de', 'gmx.net'],
  IT: ['libero.it', 'virgilio.it', 'alice.it'],
  ES: ['hotmail.es', 'telefonica.net', 'yahoo.es'],
  GB: ['btinternet.com', 'sky.com', 'virginmedia.com'],
  NL: ['ziggo.nl', 'kpnmail.nl', 'hetnet.nl'],
  BE: ['skynet.be', 'telenet.be'],
  PL: ['wp.pl', 'onet.pl', 'o2.pl'],
  SE: ['telia.com', 'bredband.net'],
  AT: ['gmx.at', 'aon.at'],
  PT: ['sapo.pt'],
  IE: ['eircom.net'],
  US: ['comcast.net', 'att.net', 'verizon.net'],
};
const COMPANY_WORDS = [
  'nova',
  'alpine',
  'tech',
  'solutions',
  'group',
  'partners',
  'consult',
  'studio',
  'bau',
  'data',
  'green',
  'atlas',
  'media',
  'legal',
];

/** Throwaway providers that are on the public disposable lists. */
export const LISTED_DISPOSABLE = [
  'mailinator.com',
  'guerrillamail.com',
  'yopmail.com',
  '10minutemail.com',
  'sharklasers.com',
  'trashmail.com',
  'temp-mail.org',
  'maildrop.cc',
  'getnada.com',
  'dispostable.com',
];

/** Throwaway domains missing from every list: new services, and catch-all domains a fraud crew registers. */
export function unlistedDisposableDomain(r: Random): string {
  const word = r.pick([
    'quick',
    'inbox',
    'swift',
    'mail',
    'post',
    'letter',
    'box',
    'drop',
    'zap',
    'one',
    'fast',
    'hide',
    'spam',
    'burn',
    'tmp',
    'void',
  ]);
  const tld = r.pick([
    '.com',
    '.net',
    '.xyz',
    '.top',
    '.site',
    '.online',
    '.shop',
    '.store',
    '.click',
    '.email',
    '.cc',
    '.io',
  ]);
  switch (r.int(0, 3)) {
    case 0:
      return `${word}${r.pick(['mail', 'box', 'inbox', 'post'])}${tld}`;
    case 1:
      return `${word}${r.int(2, 99)}${tld}`;
    case 2:
      // A catch-all domain: a random pronounceable name.
      return `${r.pick(['ka', 'zo', 'vi', 'lu', 'me', 'ra', 'to', 'xi'])}${r.pick(['ro', 'na', 'ly', 'ta', 'ven', 'mo'])}${r.pick(['sa', 'ko', 'line', 'ix', 'on'])}${tld}`;
    default:
      return `${hex(r, r.int(5, 8)).replace(/[0-9]/g, (d) => 'qwxzvkjhgp'[Number(d)]!)}${tld}`;
  }
}

/** A person: name parts and a mailbox. */
export interface Identity {
  first: string;
  last: string;
  email: string;
}

/** A plausible mailbox local part for a person (the shapes people really use). */
function localPart(r: Random, first: string, last: string): string {
  const year = String(r.int(55, 99) + (r.chance(0.3) ? 1900 : 0)).slice(-2);
  switch (
    weighted(r, [
      [0, 0.35],
      [1, 0.2],
      [2, 0.15],
      [3, 0.1],
      [4, 0.1],
      [5, 0.1],
    ])
  ) {
    case 0:
      return `${first}.${last}`;
    case 1:
      return `${first}${last}${r.chance(0.5) ? year : ''}`;
    case 2:
      return `${first[0]}${last}${r.chance(0.5) ? r.int(1, 99) : ''}`;
    case 3:
      return `${first}_${last}`;
    case 4:
      return `${last}.${first}${r.chance(0.3) ? year : ''}`;
    default:
      return `${first}${r.int(1, 999)}`;
  }
}

/** A person living in `country`, with an ordinary mailbox (some with a `+shop` tag, a few at a company domain). */
export function identity(r: Random, country: string): Identity {
  const first = r.pick(FIRST);
  const last = r.pick(LAST);
  let domain: string;
  if (r.chance(0.05))
    domain = `${r.pick(COMPANY_WORDS)}${r.pick(COMPANY_WORDS)}.${r.pick(['com', 'de', 'fr', 'eu', 'io', 'net'])}`;
  else if (r.chance(0.3) && LOCAL_PROVIDERS[country]) domain = r.pick(LOCAL_PROVIDERS[country]!);
  else domain = weighted(r, PROVIDERS);
  let local = localPart(r, first, last);
  if (domain === 'gmail.com' && r.chance(0.03)) local += `+${r.pick(['shop', 'shopping', 'orders', 'promo'])}`;
  return { first, last, email: `${local}@${domain}` };
}

/** A variant of a Gmail mailbox that delivers to the same inbox: dots moved and a `+tag` added. */
export function gmailVariant(r: Random, local: string): string {
  const bare = local.replace(/\./g, '');
  let out = '';
  for (let i = 0; i < bare.length; i++) {
    out += bare[i];
    if (i < bare.length - 1 && r.chance(0.25)) out += '.';
  }
  if (r.chance(0.5)) out += `+${r.pick(['', 'x', 'drop', 'a', 'sneaker', 'b'])}${r.int(1, 999)}`;
  return `${out}@gmail.com`;
}

/** Browser families (engine, OS, form factor) and the share of shoppers using each. */
const FAMILIES: ReadonlyArray<readonly [(r: Random, age: number) => string, number]> = [
  [
    (r, a) =>
      `Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${118 + a + r.int(0, 1)}.0.0.0 Safari/537.36`,
    0.22,
  ],
  [
    (r, a) =>
      `Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${118 + a}.0.0.0 Safari/537.36 Edg/${118 + a}.0.${r.int(1000, 2999)}.${r.int(10, 99)}`,
    0.06,
  ],
  [(r, a) => `Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:${120 + a}.0) Gecko/20100101 Firefox/${120 + a}.0`, 0.04],
  [
    (r, a) =>
      `Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.${Math.min(6, r.int(0, 2) + (a >> 1))} Safari/605.1.15`,
    0.07,
  ],
  [
    (r, a) =>
      `Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${118 + a}.0.0.0 Safari/537.36`,
    0.05,
  ],
  [
    (r, a) =>
      `Mozilla/5.0 (iPhone; CPU iPhone OS 17_${Math.min(6, r.int(0, 3) + (a >> 1))} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.${r.int(0, 5)} Mobile/15E148 Safari/604.1`,
    0.25,
  ],
  [
    (r) =>
      `Mozilla/5.0 (iPad; CPU OS 17_${r.int(0, 5)} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.${r.int(0, 5)} Mobile/15E148 Safari/604.1`,
    0.03,
  ],
  [
    (r, a) =>
      `Mozilla/5.0 (Linux; Android ${r.int(12, 14)}; ${r.pick(['SM-S918B', 'SM-A546B', 'Pixel 7', 'Pixel 8', '2201117TG', 'CPH2451', 'SM-G991B'])}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${118 + a}.0.0.0 Mobile Safari/537.36`,
    0.2,
  ],
  [
    (r, a) =>
      `Mozilla/5.0 (Linux; Android ${r.int(12, 14)}; SAMSUNG SM-A${r.int(13, 54)}5B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/${22 + (a >> 2)}.0 Chrome/${111 + a}.0.0.0 Mobile Safari/537.36`,
    0.05,
  ],
  [(r, a) => `Mozilla/5.0 (X11; Linux x86_64; rv:${120 + a}.0) Gecko/20100101 Firefox/${120 + a}.0`, 0.01],
  [
    (r, a) =>
      `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${118 + a}.0.0.0 Safari/537.36`,
    0.02,
  ],
];

/** A browser: which family, and its user agent at a given age of the simulation (browsers update). */
export interface Browser {
  family: number;
  /** The user agent `weeks` after the start (versions move on about monthly). */
  userAgent(weeks: number): string;
}

/** A shopper's browser, with the population's mix of families; `family` forces one. */
export function browser(r: Random, family?: number): Browser {
  const f =
    family ??
    weighted(
      r,
      FAMILIES.map((x, i) => [i, x[1]] as const),
    );
  const seed = r.int(0, 0x7fffffff);
  const lag = r.int(0, 3); // some people update late
  const cache = new Map<number, string>();
  return {
    family: f,
    userAgent(weeks) {
      const age = Math.max(0, Math.floor(weeks / 4) - lag + 10);
      let ua = cache.get(age);
      if (ua === undefined) {
        // Same browser, same age: same string (the per-browser seed fixes the random parts).
        ua = FAMILIES[f]![0](seededPick(seed), age);
        cache.set(age, ua);
      }
      return ua;
    },
  };
}

/** A tiny deterministic source for one browser's fixed details (model, minor versions). */
function seededPick(seed: number): Random {
  let s = seed >>> 0;
  const next = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    normal: () => 0,
    pick: (items) => items[Math.floor(next() * items.length)]!,
    chance: (p) => next() < p,
  };
}

/** Automation clients that announce themselves (libraries, headless browsers). */
export const SCRIPT_AGENTS = [
  'python-requests/2.31.0',
  'curl/8.5.0',
  'axios/1.7.2',
  'Go-http-client/1.1',
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36',
];
