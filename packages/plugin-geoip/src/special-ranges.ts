import type { IpAddress } from '@shoplog/core';

// IANA special-purpose ranges (RFC 6890 and successors) that name no place: a database answer for them is noise
// (some public country databases do place 192.168.0.0/16 in a country). [first bytes of the prefix, prefix length].
const V4: readonly (readonly [number[], number])[] = [
  [[0], 8], // "this network"
  [[10], 8], // private (RFC 1918)
  [[100, 64], 10], // shared address space, carrier-grade NAT (RFC 6598)
  [[127], 8], // loopback
  [[169, 254], 16], // link-local
  [[172, 16], 12], // private (RFC 1918)
  [[192, 0, 0], 24], // IETF protocol assignments
  [[192, 0, 2], 24], // documentation (TEST-NET-1)
  [[192, 168], 16], // private (RFC 1918)
  [[198, 18], 15], // benchmarking
  [[198, 51, 100], 24], // documentation (TEST-NET-2)
  [[203, 0, 113], 24], // documentation (TEST-NET-3)
  [[224], 4], // multicast
  [[240], 4], // reserved, and the broadcast address
];
const V6: readonly (readonly [number[], number])[] = [
  [[...Array<number>(16).fill(0)], 127], // :: (unspecified) and ::1 (loopback)
  [[0x01, 0x00, ...Array<number>(6).fill(0)], 64], // discard-only (100::/64)
  [[0x20, 0x01, 0x00, 0x02, 0, 0], 48], // benchmarking (2001:2::/48)
  [[0x20, 0x01, 0x0d, 0xb8], 32], // documentation (2001:db8::/32)
  [[0x3f, 0xff], 20], // documentation (3fff::/20)
  [[0xfc], 7], // unique local addresses (fc00::/7)
  [[0xfe, 0x80], 10], // link-local (fe80::/10)
  [[0xff], 8], // multicast
];

// IPv4 prefixes as 32-bit [network, mask] pairs: one AND and compare each, on the hot path.
const V4_MASKS: readonly (readonly [number, number])[] = V4.map(([prefix, bits]) => {
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return [(v4Number(prefix) & mask) >>> 0, mask] as const;
});

function v4Number(bytes: readonly number[]): number {
  return (((bytes[0] ?? 0) << 24) | ((bytes[1] ?? 0) << 16) | ((bytes[2] ?? 0) << 8) | (bytes[3] ?? 0)) >>> 0;
}

function inPrefix(bytes: readonly number[], prefix: readonly number[], bits: number): boolean {
  for (let i = 0; i * 8 < bits; i++) {
    const keep = Math.min(8, bits - i * 8);
    const mask = (0xff << (8 - keep)) & 0xff;
    if (((bytes[i] ?? 0) & mask) !== ((prefix[i] ?? 0) & mask)) return false;
  }
  return true;
}

/** True for an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`): it is the IPv4 address `a.b.c.d`. */
export function isIpv4Mapped(bytes: readonly number[]): boolean {
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return false;
  return bytes[10] === 0xff && bytes[11] === 0xff;
}

/** True when the address is private, loopback, link-local, unique-local, multicast, documentation or reserved. */
export function isSpecialPurpose(address: IpAddress): boolean {
  if (address.version === 6) return V6.some(([prefix, bits]) => inPrefix(address.bytes, prefix, bits));
  const n = v4Number(address.bytes);
  for (const [network, mask] of V4_MASKS) if ((n & mask) >>> 0 === network) return true;
  return false;
}
