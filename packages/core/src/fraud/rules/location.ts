import { z } from 'zod';
import type { FraudInput } from '../input.js';
import { defineRule, type BuiltinFraudRule } from './define.js';

type CountryField = 'ipCountry' | 'billingCountry' | 'issuerCountry';
const LABEL: Record<CountryField, string> = {
  ipCountry: 'IP',
  billingCountry: 'billing',
  issuerCountry: 'card issuer',
};

function mismatch(code: string, a: CountryField, b: CountryField, contribution: number): BuiltinFraudRule {
  return defineRule({
    code,
    description: `${LABEL[a]} country differs from ${LABEL[b]} country (both known).`,
    params: z.strictObject({ contribution: z.number().min(0).max(100).default(contribution) }),
    create: (p) => ({
      evaluate(input: FraudInput) {
        const x = input[a];
        const y = input[b];
        if (x === undefined || y === undefined || x === y) return null;
        return { contribution: p.contribution, detail: `${LABEL[a]} country ${x}, ${LABEL[b]} country ${y}` };
      },
    }),
  });
}

/** IP vs billing vs card-issuer country mismatches. */
export const COUNTRY_RULES: readonly BuiltinFraudRule[] = [
  mismatch('COUNTRY_MISMATCH_IP_BILLING', 'ipCountry', 'billingCountry', 25),
  mismatch('COUNTRY_MISMATCH_IP_ISSUER', 'ipCountry', 'issuerCountry', 20),
  mismatch('COUNTRY_MISMATCH_BILLING_ISSUER', 'billingCountry', 'issuerCountry', 15),
];

/** The seed platform's `suspicious_location`: IP or billing country in a block list (+15). Empty list by default. */
export const BLOCKED_LOCATION = defineRule({
  code: 'BLOCKED_LOCATION',
  description: 'IP or billing country in `countries` (ISO 3166-1 alpha-2).',
  params: z.strictObject({
    countries: z.array(z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code such as FR')).default([]),
    contribution: z.number().min(0).max(100).default(15),
  }),
  create: (p) => {
    const blocked = new Set(p.countries);
    return {
      evaluate(input) {
        if (blocked.size === 0) return null;
        const hit = [input.ipCountry, input.billingCountry].find((c) => c !== undefined && blocked.has(c));
        return hit === undefined ? null : { contribution: p.contribution, detail: `country ${hit} is blocked` };
      },
    };
  },
});
