// Normal forms the profile features compare: a user agent's device family, and how much an e-mail domain looks
// like a throwaway one.

/**
 * The device family of a user agent: browser, OS and, for Android, the device model, without versions (a browser
 * update is not a new device; a new phone is): `chrome/windows`, `safari/iphone`, `chrome/android/Pixel 8`.
 */
export function userAgentFamily(ua: string): string {
  const browser = ua.includes('Edg/')
    ? 'edge'
    : ua.includes('SamsungBrowser')
      ? 'samsung'
      : ua.includes('Firefox/') || ua.includes('FxiOS')
        ? 'firefox'
        : ua.includes('OPR/')
          ? 'opera'
          : ua.includes('Chrome/') || ua.includes('CriOS')
            ? 'chrome'
            : ua.includes('Safari/')
              ? 'safari'
              : (/^[\w.-]+/.exec(ua)?.[0] ?? 'other').toLowerCase();
  let os = 'other';
  let model = '';
  if (ua.includes('iPhone')) os = 'iphone';
  else if (ua.includes('iPad')) os = 'ipad';
  else if (ua.includes('Android')) {
    os = 'android';
    // "Android 14; Pixel 8)" or "Android 14; SAMSUNG SM-A135B)": the model, which a new phone changes.
    const m = /Android[^;)]*;\s*([^;)]+?)(?:\s+Build\/[^;)]*)?\)/.exec(ua);
    if (m) model = `/${m[1]!.replace(/^SAMSUNG\s+/i, '').trim()}`;
  } else if (ua.includes('Windows')) os = 'windows';
  else if (ua.includes('Mac OS X') || ua.includes('Macintosh')) os = 'mac';
  else if (ua.includes('CrOS')) os = 'chromeos';
  else if (ua.includes('Linux')) os = 'linux';
  return `${browser}/${os}${model}`;
}

/** Big mailbox providers and ISPs: their domains say nothing about a shopper. */
export const MAJOR_MAIL_DOMAINS: ReadonlySet<string> = new Set([
  'gmail.com',
  'googlemail.com',
  'outlook.com',
  'hotmail.com',
  'live.com',
  'msn.com',
  'yahoo.com',
  'ymail.com',
  'icloud.com',
  'me.com',
  'mac.com',
  'aol.com',
  'proton.me',
  'protonmail.com',
  'pm.me',
  'gmx.de',
  'gmx.net',
  'gmx.at',
  'gmx.fr',
  'web.de',
  't-online.de',
  'freenet.de',
  'orange.fr',
  'free.fr',
  'laposte.net',
  'sfr.fr',
  'wanadoo.fr',
  'hotmail.fr',
  'outlook.fr',
  'yahoo.fr',
  'libero.it',
  'virgilio.it',
  'alice.it',
  'tiscali.it',
  'hotmail.it',
  'yahoo.it',
  'hotmail.es',
  'yahoo.es',
  'telefonica.net',
  'hotmail.co.uk',
  'yahoo.co.uk',
  'btinternet.com',
  'sky.com',
  'virginmedia.com',
  'ziggo.nl',
  'kpnmail.nl',
  'hetnet.nl',
  'skynet.be',
  'telenet.be',
  'wp.pl',
  'onet.pl',
  'o2.pl',
  'interia.pl',
  'telia.com',
  'bredband.net',
  'aon.at',
  'sapo.pt',
  'eircom.net',
  'comcast.net',
  'att.net',
  'verizon.net',
  'mail.ru',
  'yandex.ru',
  'seznam.cz',
  'fastmail.com',
  'zoho.com',
  'tutanota.com',
  'qq.com',
  '163.com',
  'naver.com',
]);

/** Words that throwaway-mailbox services put in their names. */
const THROWAWAY_WORDS = [
  'temp',
  'tmp',
  'trash',
  'throwaway',
  'throw',
  'burner',
  'burn',
  'fake',
  'spam',
  'junk',
  'dispos',
  'minute',
  '10min',
  'guerr',
  'nada',
  'nator',
  'yopmail',
  'maildrop',
  'discard',
  'anon',
  'void',
  'noreply',
  'getairmail',
  'tempr',
  'instant',
];
/** Cheap generic TLDs where throwaway domains cluster (many honest sites use them too: one signal among others). */
const CHEAP_TLDS = new Set([
  'xyz',
  'top',
  'site',
  'online',
  'click',
  'email',
  'store',
  'shop',
  'fun',
  'icu',
  'buzz',
  'club',
  'live',
  'tk',
  'ml',
  'ga',
  'cf',
  'gq',
  'cc',
  'pw',
  'work',
  'space',
  'website',
  'link',
  'rest',
  'monster',
  'cyou',
]);

/**
 * How much a domain looks like a throwaway mailbox, 0–1, from its name alone (for domains on no list): throwaway
 * words, a mailbox word ("mail", "box", "inbox") in a domain that is not a known provider, digits, a cheap TLD, a
 * random-looking name. 0 for the big providers.
 */
export function domainSuspicion(domain: string): number {
  const d = domain.toLowerCase();
  if (MAJOR_MAIL_DOMAINS.has(d)) return 0;
  const dot = d.lastIndexOf('.');
  const tld = dot >= 0 ? d.slice(dot + 1) : '';
  const name = (dot >= 0 ? d.slice(0, dot) : d).split('.').pop() ?? '';
  let score = 0;
  if (THROWAWAY_WORDS.some((w) => d.includes(w))) score += 0.6;
  if (/mail|box|inbox|post/.test(name)) score += 0.25;
  if (/\d/.test(name)) score += 0.2;
  if (CHEAP_TLDS.has(tld)) score += 0.25;
  // Random-looking: few vowels, or long consonant runs.
  const letters = name.replace(/[^a-z]/g, '');
  const vowels = letters.replace(/[^aeiouy]/g, '').length;
  if (letters.length >= 5 && (vowels / letters.length < 0.2 || /[^aeiouy]{5,}/.test(letters))) score += 0.35;
  return Math.min(1, score);
}
