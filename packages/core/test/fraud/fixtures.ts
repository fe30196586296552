// What the fraud tests share: time units, the shoppers' browsers, and an ordinary purchase to vary.
import type { FraudInput, FraudResult } from '@shoplog/core';

export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;

/** Chrome on Windows, of major version `v` (browsers update with time). */
export const chromeWindows = (v = 131): string =>
  `Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${v}.0.0.0 Safari/537.36`;
export const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
export const PIXEL =
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36';
export const FIREFOX_LINUX = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';

/** The reason codes of a result, in rank order. */
export const codes = (r: FraudResult): string[] => r.reasons.map((x) => x.code);

/**
 * An ordinary purchase of a French customer: 45 EUR, completed, with their own card from their home network (no
 * browser, no time, unless `fields` give them); `fields` change any of it.
 */
export function frenchPurchase(userId: string, fields: Partial<FraudInput> = {}): FraudInput {
  return {
    userId,
    email: `${userId}@example.fr`,
    amount: 4500,
    currency: 'EUR',
    cardFingerprint: `card-${userId}`,
    ip: '82.64.1.10',
    ipCountry: 'FR',
    billingCountry: 'FR',
    issuerCountry: 'FR',
    status: 'completed',
    ...fields,
  };
}
