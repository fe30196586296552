// 64-bit hashes of the values the profile state is keyed on (internal). The state never holds the raw value (no
// e-mail or IP in memory or in Redis), only this hash: two independent 32-bit halves computed in one pass.

/** The two halves of the last hash computed (module-level out-parameters: no allocation per hash). */
export const hashOut = { hi: 0, lo: 0 };

const lower = (c: number): number => (c >= 65 && c <= 90 ? c + 32 : c);

/** Finalises the two running halves into `hashOut`. */
function finish(h1: number, h2: number): void {
  h1 ^= h1 >>> 16;
  h1 = Math.imul(h1, 0x85ebca6b);
  h1 ^= h1 >>> 13;
  h2 ^= h2 >>> 15;
  h2 = Math.imul(h2, 0x2c1b3c6d);
  h2 ^= h2 >>> 12;
  // (0, 0) marks an empty slot in the record tables.
  hashOut.hi = h1 | 0;
  hashOut.lo = h1 === 0 && h2 === 0 ? 1 : h2 | 0;
}

/** Hashes `s[from, to)` (ASCII letters lower-cased when `fold`) with kind `kind` mixed in; result in `hashOut`. */
export function hashRange(s: string, from: number, to: number, kind: number, fold: boolean): void {
  let h1 = 0x811c9dc5 ^ kind;
  let h2 = 0x9747b28c ^ Math.imul(kind, 0x01000193);
  for (let i = from; i < to; i++) {
    let c = s.charCodeAt(i);
    if (fold) c = c > 127 ? s[i]!.toLowerCase().charCodeAt(0) : lower(c);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995) ^ (h2 >>> 13);
  }
  finish(h1, h2);
}

/** Hashes the whole string (case kept); result in `hashOut`. As `hashRange` without folding, in its own loop (hot). */
export function hashString(s: string, kind: number): void {
  let h1 = 0x811c9dc5 ^ kind;
  let h2 = 0x9747b28c ^ Math.imul(kind, 0x01000193);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995) ^ (h2 >>> 13);
  }
  finish(h1, h2);
}

/** Mailbox providers that ignore dots in the local part and everything after `+` (Gmail). */
const DOTS_AND_TAGS = new Set(['gmail.com', 'googlemail.com']);
/** Providers that deliver `name+tag@` to `name@` but keep dots significant. */
const TAGS_ONLY = new Set([
  'outlook.com',
  'hotmail.com',
  'live.com',
  'icloud.com',
  'me.com',
  'proton.me',
  'protonmail.com',
  'fastmail.com',
  'pm.me',
  'hotmail.fr',
  'outlook.fr',
  'hotmail.es',
  'hotmail.co.uk',
  'gmx.de',
  'gmx.net',
  'web.de',
]);

/** How a provider folds its mailbox names: 2 dots and tags, 1 tags only, 0 neither. */
export function mailboxFolding(domain: string): number {
  return DOTS_AND_TAGS.has(domain) ? 2 : TAGS_ONLY.has(domain) ? 1 : 0;
}

/** The kind mixed into domain hashes (shared with the domain records of the state). */
export const DOMAIN_HASH_KIND = 5;
// Folding of the known providers by the low half of their domain hash, so a domain is judged without slicing it out.
const foldingByHash = new Map<number, number>();
for (const d of [...DOTS_AND_TAGS, ...TAGS_ONLY]) {
  hashString(d, DOMAIN_HASH_KIND);
  foldingByHash.set(hashOut.lo, mailboxFolding(d));
}
const GOOGLEMAIL = (() => {
  hashString('googlemail.com', DOMAIN_HASH_KIND);
  return hashOut.lo;
})();

/**
 * Hashes the domain of `email` (after its `@` at `at`, lower-cased) into `hashOut` and returns its folding (see
 * `mailboxFolding`): 3 for googlemail.com (Gmail's folding, under the gmail.com name).
 */
export function hashEmailDomain(email: string, at: number): number {
  hashRange(email, at + 1, email.length, DOMAIN_HASH_KIND, true);
  if (hashOut.lo === GOOGLEMAIL) return 3;
  return foldingByHash.get(hashOut.lo) ?? 0;
}

/**
 * The canonical mailbox of `email`: lower case, and where the provider ignores them, without dots (Gmail) and
 * `+tags`: `J.Doe+shop@GMail.com` → `jdoe@gmail.com`. Unchanged (lower-cased) when it has no `@`.
 */
export function canonicalEmail(email: string): string {
  const e = email.trim().toLowerCase();
  const at = e.lastIndexOf('@');
  if (at <= 0) return e;
  const domain = e.slice(at + 1) === 'googlemail.com' ? 'gmail.com' : e.slice(at + 1);
  const folding = mailboxFolding(domain);
  let local = e.slice(0, at);
  if (folding >= 1) {
    const plus = local.indexOf('+');
    if (plus > 0) local = local.slice(0, plus);
  }
  if (folding === 2) local = local.replace(/\./g, '');
  return `${local}@${domain}`;
}

/**
 * Hashes the canonical mailbox of `email` (as `canonicalEmail`, without building it) into `hashOut`, given the
 * position of its `@` and its domain's folding (`hashEmailDomain`). Returns true when the written form is a variant:
 * a `+tag`, or two or more dots the provider ignores.
 */
export function hashCanonicalEmail(email: string, at: number, folding: number, kind: number): boolean {
  let h1 = 0x811c9dc5 ^ kind;
  let h2 = 0x9747b28c ^ Math.imul(kind, 0x01000193);
  let variant = false;
  let dots = 0;
  let end = at;
  if (folding >= 1) {
    const plus = email.indexOf('+');
    if (plus > 0 && plus < at) {
      end = plus;
      variant = true;
    }
  }
  // Local part (without ignored dots and tag), '@', then the domain (gmail.com for googlemail.com).
  for (let i = 0; i < email.length; i++) {
    let c: number;
    if (i < end) {
      c = email.charCodeAt(i);
      if (folding >= 2 && c === 46) {
        dots++;
        continue;
      }
    } else if (i < at) {
      continue;
    } else if (i === at) {
      c = 64;
      if (folding === 3) {
        // googlemail.com is gmail.com: hash '@gmail.com' as a Gmail address has it.
        for (let j = 0; j < AT_GMAIL.length; j++) {
          h1 = Math.imul(h1 ^ AT_GMAIL.charCodeAt(j), 0x01000193);
          h2 = Math.imul(h2 ^ AT_GMAIL.charCodeAt(j), 0x5bd1e995) ^ (h2 >>> 13);
        }
        break;
      }
    } else {
      c = email.charCodeAt(i);
    }
    c = c > 127 ? email[i]!.toLowerCase().charCodeAt(0) : lower(c);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995) ^ (h2 >>> 13);
  }
  finish(h1, h2);
  // One dot is how people write names (first.last); more, or a tag, is how one mailbox is made to look like many.
  return variant || dots >= 2;
}
const AT_GMAIL = '@gmail.com';
