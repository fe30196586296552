import { z } from 'zod';
import { parseOptions } from '../options.js';
import type { ShoplogPlugin } from '../plugin.js';
import type { ShoplogEvent } from '../schema/kinds.js';
import { parseIpAddress } from './ip-address.js';

/** Options of `createIpAnonymizer()`. */
export interface IpAnonymizerOptions {
  /** Leading bits of an IPv4 address that are kept; the rest are zeroed. @default 24 */
  ipv4Bits?: number;
  /** Leading bits of an IPv6 address that are kept; the rest are zeroed. @default 48 */
  ipv6Bits?: number;
  /** Dotted paths of the addresses to anonymise. @default ['client.ip', 'source.ip'] */
  fields?: string[];
  /** Plugin name. @default 'ip-anonymizer' */
  name?: string;
}

const OptionsSchema = z.strictObject({
  ipv4Bits: z.int().min(0).max(32).optional(),
  ipv6Bits: z.int().min(0).max(128).optional(),
  fields: z
    .array(z.string().regex(/^[^.]+(?:\.[^.]+)*$/, 'must be a dotted path such as client.ip'))
    .min(1)
    .optional(),
  name: z.string().min(1).optional(),
});

function formatIpv6(groups: number[]): string {
  // RFC 5952: compress the longest run (of two or more) of zero groups.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

function keepBits(values: number[], width: number, bits: number): number[] {
  return values.map((v, i) => {
    const keep = Math.min(width, Math.max(0, bits - i * width));
    return keep === 0 ? 0 : v & ~((1 << (width - keep)) - 1) & ((1 << width) - 1);
  });
}

/** Zeroes the host bits of an IPv4 or IPv6 address; returns `undefined` when `ip` is not an address. */
export function anonymizeIp(ip: string, ipv4Bits = 24, ipv6Bits = 48): string | undefined {
  const parsed = parseIpAddress(ip);
  if (!parsed) return undefined;
  const bytes = parsed.bytes;
  if (parsed.version === 4) return keepBits(bytes, 8, ipv4Bits).join('.');
  // An IPv4-mapped address (::ffff:a.b.c.d) is an IPv4 address: anonymise it as one.
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    return `::ffff:${keepBits(bytes.slice(12), 8, ipv4Bits).join('.')}`;
  }
  const kept = keepBits(bytes, 8, ipv6Bits);
  return formatIpv6(Array.from({ length: 8 }, (_, i) => ((kept[2 * i] ?? 0) << 8) | (kept[2 * i + 1] ?? 0)));
}

function setPath(
  obj: Record<string, unknown>,
  keys: string[],
  i: number,
  f: (v: unknown) => unknown,
): Record<string, unknown> {
  const key = keys[i] as string;
  const current = obj[key];
  if (i === keys.length - 1) {
    const next = f(current);
    return next === current ? obj : { ...obj, [key]: next };
  }
  if (typeof current !== 'object' || current === null) return obj;
  const child = setPath(current as Record<string, unknown>, keys, i + 1, f);
  return child === current ? obj : { ...obj, [key]: child };
}

/**
 * Creates a plugin that anonymises client IP addresses by zeroing their host bits (`203.0.113.77` →
 * `203.0.113.0`, `2001:db8:85a3:8d3:1319:8a2e:370:7348` → `2001:db8:85a3::`). A value that is not an IP address
 * is replaced by `0.0.0.0`, so nothing identifying slips through a malformed field.
 */
export function createIpAnonymizer(options: IpAnonymizerOptions = {}): ShoplogPlugin {
  const opts = parseOptions('createIpAnonymizer', OptionsSchema, options);
  const v4 = opts.ipv4Bits ?? 24;
  const v6 = opts.ipv6Bits ?? 48;
  const paths = (opts.fields ?? ['client.ip', 'source.ip']).map((f) => f.split('.'));
  const anonymize = (value: unknown) => (typeof value === 'string' ? (anonymizeIp(value, v4, v6) ?? '0.0.0.0') : value);
  return {
    name: opts.name ?? 'ip-anonymizer',
    process(event: ShoplogEvent): ShoplogEvent {
      let out = event as unknown as Record<string, unknown>;
      for (const keys of paths) out = setPath(out, keys, 0, anonymize);
      return out as unknown as ShoplogEvent;
    },
  };
}
