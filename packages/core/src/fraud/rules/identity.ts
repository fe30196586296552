import { z } from 'zod';
import { isbot } from 'isbot';
import domains from 'disposable-email-domains/index.json' with { type: 'json' };
import wildcards from 'disposable-email-domains/wildcard.json' with { type: 'json' };
import { lowerCased } from '../lower-case.js';
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
    // Most shoppers share a few domains: remember recent verdicts (bounded) instead of probing the 120k-entry set.
    const verdicts = new Map<string, boolean>();
    // The last few domains, as normalised: an e-mail ending in one of them exactly (its domain is then already trimmed
    // and lower case) uses it without slicing the domain out of the e-mail (an allocation per transaction).
    const recent: string[] = [];
    let nextRecent = 0;
    const domainOf = (email: string, at: number): string => {
      const length = email.length - at - 1;
      for (let i = 0; i < recent.length; i++) {
        const d = recent[i]!;
        if (d.length === length && email.endsWith(d)) return d;
      }
      const domain = lowerCased(email.slice(at + 1).trim());
      recent[nextRecent] = domain;
      nextRecent = (nextRecent + 1) % 8;
      return domain;
    };
    return {
      evaluate(input) {
        if (input.email === undefined) return null;
        const at = input.email.lastIndexOf('@');
        if (at < 0) return null;
        const domain = domainOf(input.email, at);
        let disposableDomain = verdicts.get(domain);
        if (disposableDomain === undefined) {
          disposableDomain = !allow.has(domain) && (extra.has(domain) || isDisposableDomain(domain));
          if (verdicts.size >= 4096) verdicts.clear();
          verdicts.set(domain, disposableDomain);
        }
        return disposableDomain ? { contribution: p.contribution, detail: `disposable e-mail domain ${domain}` } : null;
      },
    };
  },
});

// Checkout traffic repeats a few thousand user agents: the verdicts (a pure function of the string) are remembered
// for the whole process (bounded), so every scorer, a backtest's too, skips the big regex for the ones seen.
const botVerdicts = new Map<string, boolean>();
const isBotUserAgent = (ua: string): boolean => {
  let bot = botVerdicts.get(ua);
  if (bot === undefined) {
    bot = isbot(ua);
    if (botVerdicts.size >= 16_384) botVerdicts.clear();
    botVerdicts.set(ua, bot);
  }
  return bot;
};

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
