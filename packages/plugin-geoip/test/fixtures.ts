import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { userBehavior, type ShoplogEvent } from '@shoplog/core';
import { writeMmdb, type MmdbSpec } from './mmdb-writer.js';

/** A GeoIP2-City-shaped record, as MaxMind's and DB-IP's own files hold them. */
export function cityRecord(iso: string, country: string, city: string, region: string, lat: number, lon: number) {
  return {
    country: { iso_code: iso, names: { en: country, fr: `${country} (fr)` } },
    subdivisions: [{ iso_code: 'X', names: { en: region } }],
    city: { names: { en: city } },
    location: { latitude: lat, longitude: lon, time_zone: 'Europe/Paris' },
  };
}

/** A database of GeoIP2 City records (IPv6 tree, IPv4 at ::/96). The special-purpose ranges are given places too:
 * a database answer for them must never reach an event. */
export const CITY: MmdbSpec = {
  ipVersion: 6,
  databaseType: 'GeoIP2-City',
  networks: [
    ['81.2.69.0/24', cityRecord('GB', 'United Kingdom', 'London', 'England', 51.5142, -0.0931)],
    ['90.0.0.0/13', cityRecord('FR', 'France', 'Lille', 'Hauts-de-France', 50.6292, 3.0573)],
    ['2a01:e0a::/32', cityRecord('FR', 'France', 'Paris', 'Ile-de-France', 48.8534, 2.3488)],
    ['10.0.0.0/8', cityRecord('AU', 'Australia', 'Sydney', 'NSW', -33.86, 151.2)],
    ['127.0.0.0/8', cityRecord('AU', 'Australia', 'Sydney', 'NSW', -33.86, 151.2)],
    ['169.254.0.0/16', cityRecord('AU', 'Australia', 'Sydney', 'NSW', -33.86, 151.2)],
    ['172.16.0.0/12', cityRecord('AU', 'Australia', 'Sydney', 'NSW', -33.86, 151.2)],
    ['192.168.0.0/16', cityRecord('AU', 'Australia', 'Sydney', 'NSW', -33.86, 151.2)],
    ['100.64.0.0/10', cityRecord('AU', 'Australia', 'Sydney', 'NSW', -33.86, 151.2)],
    ['::1/128', cityRecord('AU', 'Australia', 'Sydney', 'NSW', -33.86, 151.2)],
    ['fc00::/7', cityRecord('AU', 'Australia', 'Sydney', 'NSW', -33.86, 151.2)],
    ['fe80::/10', cityRecord('AU', 'Australia', 'Sydney', 'NSW', -33.86, 151.2)],
    ['2001:db8::/32', cityRecord('AU', 'Australia', 'Sydney', 'NSW', -33.86, 151.2)],
  ],
};

/** An ASN database (GeoLite2-ASN layout). */
export const ASN: MmdbSpec = {
  ipVersion: 6,
  databaseType: 'GeoLite2-ASN',
  networks: [
    ['81.2.69.0/24', { autonomous_system_number: 20712, autonomous_system_organization: 'Andrews & Arnold Ltd' }],
    ['2a01:e0a::/32', { autonomous_system_number: 12322, autonomous_system_organization: 'Free SAS' }],
  ],
};

/** A temporary folder for database files, removed by `cleanup()`. */
export function tempDir(): { dir: string; write(name: string, spec: MmdbSpec | Buffer): string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'shoplog-geoip-'));
  return {
    dir,
    write(name, spec) {
      const path = join(dir, name);
      // Written aside and renamed into place, as geoipupdate and npm do: a watcher never sees half a file.
      writeFileSync(`${path}.tmp`, Buffer.isBuffer(spec) ? spec : writeMmdb(spec));
      renameSync(`${path}.tmp`, path);
      return path;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A user-behaviour event from `ip`, optionally carrying a client-claimed `client.geo`. */
export function eventFrom(ip: string | undefined, claimed?: Record<string, unknown>): ShoplogEvent {
  return userBehavior({
    shop: { action: 'page_view', session: { id: 's-1' } },
    client: { ...(ip !== undefined ? { ip } : {}), ...(claimed ? { geo: claimed } : {}) },
  });
}
