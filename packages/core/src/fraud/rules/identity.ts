import { z } from 'zod';
import domains from 'disposable-email-domains/index.json' with { type: 'json' };
import wildcards from 'disposable-email-domains/wildcard.json' with { type: 'json' };
import { lowerCased } from '../lower-case.js';
import { hashOut, hashRange } from '../state/hash.js';
import { isBotUserAgent } from '../user-agent.js';
import { defineRule } from './define.js';

// Built on first use: 120k domains cost a few ms and some MB, paid only by scorers that check e-mails.
let disposable: Set<string> | undefined;
let disposableParents: Set<string> | undefined;

/** True when the e-mail's domain (or, for wildcard entries, a parent domain) is a known disposable provider. */
export function isDisposableEmail(email: string): boolean {
  const at = email.lastIndexOf('@');
  return at >= 0 && isDisposableDomain(lowerCased(email.slice(at + 1).trim()));
}

function isDisposableDomain(domain: string): boolean {
  disposable ??= new Set(domains);
  disposableParents ??= new Set(wildcards);
  if (disposable.has(domain)) return true;
  for (let dot = domain.indexOf('.'); dot >= 0; dot = domain.indexOf('.', dot + 1)) {
    if (disposableParents.has(domain.slice(dot + 1))) return true;
  }
  return disposableParents.has(domain);
}

/** Disposable e-mail domain, from the maintained `disposable-email-domains` list. */
export const DISPOSABLE_EMAIL = defineRule({
  code: 'DISPOSABLE_EMAIL',
  description: 'E-mail domain in the `disposable-email-domains` list or in `extraDomains`, and not in `allowDomains`.',
  params: z.strictObject({
    extraDomains: z.array(z.string().min(1)).default([]),
    allowDomains: z.array(z.string().min(1)).default([]),
    contribution: z.number().min(0).max(100).default(35),
  }),
  create: (p) => {
    const extra = new Set(p.extraDomains.map((d) => d.toLowerCase()));
    const allow = new Set(p.allowDomains.map((d) => d.toLowerCase()));
    // Most shoppers share a few domains: verdicts are remembered (bounded) by the hash of the e-mail's text after its
    // '@', so a domain already seen and already normalised (lower case, trimmed: nearly all) is judged without slicing
    // it out of the e-mail (an allocation) and hashing that new string in a Map. The entry's domain, compared with
    // the e-mail's end, rules out a hash collision (and sends a domain that needs normalising the slow way).
    const verdicts = new Map<number, { domain: string; disposable: boolean }>();
    return {
      evaluate(input) {
        const email = input.email;
        if (email === undefined) return null;
        const at = email.lastIndexOf('@');
        if (at < 0) return null;
        hashRange(email, at + 1, email.length, 0, false);
        const key = hashOut.lo;
        let verdict = verdicts.get(key);
        if (
          verdict === undefined ||
          verdict.domain.length !== email.length - at - 1 ||
          !email.endsWith(verdict.domain)
        ) {
          const domain = lowerCased(email.slice(at + 1).trim());
          verdict = { domain, disposable: !allow.has(domain) && (extra.has(domain) || isDisposableDomain(domain)) };
          if (verdicts.size >= 4096) verdicts.clear();
          verdicts.set(key, verdict);
        }
        return verdict.disposable
          ? { contribution: p.contribution, detail: `disposable e-mail domain ${verdict.domain}` }
          : null;
      },
    };
  },
});

/** Bot or automation user agent (the `isbot` pattern list: crawlers, headless browsers, HTTP libraries). */
export const BOT_USER_AGENT = defineRule({
  code: 'BOT_USER_AGENT',
  description: 'User agent matches the `isbot` list; with `flagMissing`, an absent user agent counts too.',
  params: z.strictObject({
    flagMissing: z.boolean().default(false),
    contribution: z.number().min(0).max(100).default(50),
  }),
  create: (p) => {
    return {
      evaluate(input) {
        const ua = input.userAgent;
        if (ua === undefined || ua === '') {
          return p.flagMissing ? { contribution: p.contribution, detail: 'no user agent' } : null;
        }
        return isBotUserAgent(ua)
          ? { contribution: p.contribution, detail: `automation user agent "${ua.slice(0, 80)}"` }
          : null;
      },
    };
  },
});
