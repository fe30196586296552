import { z } from 'zod';
import { parseOptions } from '../options.js';
import type { ShoplogPlugin } from '../plugin.js';
import type { ShoplogEvent } from '../schema/kinds.js';

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
  fields: z.array(z.string().regex(/^[^.]+(?:\.[^.]+)*$/, 'must be a dotted path such as client.ip')).min(1).optional(),
  name: z.string().min(1).optional(),
});

function parseIpv4(text: string): number[] | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out = parts.map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : NaN));
  return out.every((n) => n >= 0 && n <= 255) ? out : undefined;
}

function parseIpv6(text: string): number[] | undefined {
  let head = text;
  const lastColon = head.lastIndexOf(':');
  if (head.includes('.', lastColon)) {
    // Embedded IPv4 (`::ffff:192.0.2.1`): rewrite its four bytes as two hex groups.
    const v4 = parseIpv4(head.slice(lastColon + 1));
    if (!v4) return undefined;
    const [a = 0, b = 0, c = 0, d = 0] = v4;
    head = `${head.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const read = (s: string) => (s === '' ? [] : s.split(':').map((g) => (/^[0-9a-f]{1,4}$/i.test(g) ? parseInt(g, 16) : NaN)));
  const left = read(halves[0] ?? '');
  const right = halves.length === 2 ? read(halves[1] ?? '') : [];
  const fill = 8 - left.length - right.length;
  if (halves.length === 1 ? fill !== 0 : fill < 1) return undefined;
  const groups = [...left, ...Array<number>(halves.length === 2 ? fill : 0).fill(0), ...right];
  return groups.every((g) => g >= 0 && g <= 0xffff) ? groups : undefined;
}

function formatIpv6(groups: number[]): string {
  // RFC 5952: compress the longest run (of two or more) of zero groups.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
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
  const text = ip.trim();
  const v4 = parseIpv4(text.replace(/^(\d+\.\d+\.\d+\.\d+):\d+$/, '$1'));
  if (v4) return keepBits(v4, 8, ipv4Bits).join('.');
  const zoneless = text.replace(/^\[|\](?::\d+)?$/g, '').replace(/%.*$/, '');
  const v6 = parseIpv6(zoneless);
  if (!v6) return undefined;
  // An IPv4-mapped address (::ffff:a.b.c.d) is an IPv4 address: anonymise it as one.
  if (v6.slice(0, 5).every((g) => g === 0) && v6[5] === 0xffff) {
    const v4bytes = [(v6[6] ?? 0) >> 8, (v6[6] ?? 0) & 0xff, (v6[7] ?? 0) >> 8, (v6[7] ?? 0) & 0xff];
    return `::ffff:${keepBits(v4bytes, 8, ipv4Bits).join('.')}`;
  }
  return formatIpv6(keepBits(v6, 16, ipv6Bits));
}

function setPath(obj: Record<string, unknown>, keys: string[], i: number, f: (v: unknown) => unknown): Record<string, unknown> {
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
