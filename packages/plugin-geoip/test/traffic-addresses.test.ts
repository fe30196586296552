import { readFileSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import { Reader, type Response } from 'mmdb-lib';
import { describe, expect, it } from 'vitest';
import { trafficAddressBlocks } from '@shoplog/core';
import { bundledPaths } from '../src/database.js';
import { createGeoIpProcessor } from '../src/index.js';

// Core's labelled traffic generator (the server's demo traffic) draws client addresses from a plan of blocks, each
// claimed for a country. The database that installs with the plugin must place every one of those addresses in that
// country: each block is walked network by network of the database (one record per network), and the plugin's own
// lookup of each network's first address must name the block's country.

const toBig = (ip: string): bigint => {
  if (!isIPv6(ip)) return ip.split('.').reduce((n, octet) => (n << 8n) | BigInt(octet), 0n);
  const [head, tail] = ip.split('::') as [string, string | undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  return groups.reduce((n, g) => (n << 16n) | BigInt(parseInt(g, 16)), 0n);
};
const fromBig = (n: bigint, v6: boolean): string =>
  v6
    ? Array.from({ length: 8 }, (_, i) => ((n >> BigInt(16 * (7 - i))) & 0xffffn).toString(16)).join(':')
    : Array.from({ length: 4 }, (_, i) => String((n >> BigInt(8 * (3 - i))) & 255n)).join('.');

describe("core's traffic addresses in the database that installs from npm", () => {
  it('places every address the generator can produce in the country the generator claims', () => {
    const paths = bundledPaths('country');
    if (!Array.isArray(paths)) throw new Error(paths.missing);
    const reader = new Reader<Response>(readFileSync(paths[0]!));
    const plugin = createGeoIpProcessor({ watch: false, onWarning: () => {} });
    const blocks = trafficAddressBlocks();
    const wrong: string[] = [];
    let networks = 0;
    try {
      for (const { cidr, country } of blocks) {
        const [base, bits] = cidr.split('/') as [string, string];
        const v6 = isIPv6(base);
        const width = v6 ? 128n : 32n;
        const end = toBig(base) + (1n << (width - BigInt(bits))) - 1n;
        for (let at = toBig(base); at <= end;) {
          const ip = fromBig(at, v6);
          const [, prefix] = reader.getWithPrefixLength(ip);
          const placed = plugin.lookup(ip)?.geo?.country_iso_code ?? 'nowhere';
          if (placed !== country) wrong.push(`${ip} (${cidr}): ${placed}, not ${country}`);
          networks++;
          const size = 1n << (width - BigInt(prefix));
          at = (at / size + 1n) * size;
        }
      }
    } finally {
      void plugin.close?.();
    }
    expect(wrong).toEqual([]);
    // Every country the generator uses (shop, travel, VPN and far countries), both address families.
    expect(new Set(blocks.map((b) => b.country)).size).toBeGreaterThanOrEqual(32);
    expect(blocks.some((b) => isIPv6(b.cidr.split('/')[0]!))).toBe(true);
    expect(networks).toBeGreaterThanOrEqual(blocks.length);
  });
});
