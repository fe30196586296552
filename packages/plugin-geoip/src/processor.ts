import { parseIpAddress, type ShoplogEvent, type ShoplogPlugin } from '@shoplog/core';
import {
  bundledPaths,
  openDatabases,
  type DatabaseSet,
  type DatabaseSetOptions,
  type DatabaseStatus,
} from './database.js';
import { CLAIMED_COUNTRY_LABEL, parseGeoIpOptions, type GeoIpProcessorOptions } from './options.js';
import { createRecentCache } from './recent-cache.js';
import { answerOf, type AsFields, type GeoAnswer, type GeoFields } from './record.js';
import { isIpv4Mapped, isSpecialPurpose } from './special-ranges.js';

/** A GeoIP processor: a pipeline stage, plus what an application or a health page may ask of it. */
export interface GeoIpProcessor extends ShoplogPlugin {
  /** What the databases say about one address (the fields `process` sets), or `undefined`: unknown, private, not an address. */
  lookup(ip: string): GeoAnswer | undefined;
  /** Reads the database files again now (watched files are reloaded by themselves) and drops cached answers. */
  reload(): Promise<void>;
  /** The database files, whether each is loaded, its type and build date, and its current problem. */
  status(): DatabaseStatus[];
}

type Client = NonNullable<ShoplogEvent['client']>;
const paths = (value: string | string[] | undefined): string[] | undefined =>
  value === undefined ? undefined : [value].flat();
const isRecord = (v: unknown): v is Record<string, string> => typeof v === 'object' && v !== null && !Array.isArray(v);
// An address in a log is at most 45 characters, plus brackets, a port or a zone: anything longer is not one.
const MAX_IP_TEXT = 100;

/** Canonical text of an address for the MMDB reader: dotted IPv4, or eight hex groups; IPv4-mapped IPv6 as IPv4. */
function canonical(ip: string): { text: string; version: 4 | 6 } | undefined {
  const address = parseIpAddress(ip);
  if (address === undefined) return undefined;
  let { version, bytes } = address;
  if (version === 6 && isIpv4Mapped(bytes)) {
    version = 4;
    bytes = bytes.slice(12);
  }
  if (isSpecialPurpose({ version, bytes })) return undefined;
  if (version === 4) return { text: `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`, version };
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  return { text: groups.join(':'), version };
}

// Each event gets its own objects: a later stage that changes an event in place must not change the cached answer.
const copyGeo = (geo: GeoFields): GeoFields => (geo.location ? { ...geo, location: { ...geo.location } } : { ...geo });
const copyAs = (as: AsFields): AsFields =>
  as.organization ? { ...as, organization: { ...as.organization } } : { ...as };

/** A database set that never answers, for a bundled database whose package is not installed. */
function missingSet(path: string, problem: string, role: 'geo' | 'asn'): DatabaseSet {
  return {
    available: false,
    find: () => null,
    reload: async () => {},
    status: () => [{ path, role, loaded: false, problem }],
    close: () => {},
  };
}

/**
 * Creates the GeoIP processor: fills `client.geo.*` (country code and name; region, city and location with a city
 * database) and `client.as.*` (with an ASN database) from `client.ip`, using local MMDB files. Private, loopback,
 * link-local, unique-local and other special-purpose addresses are not looked up. A missing or damaged file is
 * reported once through `onWarning` and events pass unchanged; `process` never throws.
 */
export function createGeoIpProcessor(options: GeoIpProcessorOptions = {}): GeoIpProcessor {
  const opts = parseGeoIpOptions(options);
  const report = opts.onWarning ?? ((message: string) => console.warn(message));
  const warn = (message: string): void => {
    try {
      report(message);
    } catch {
      // A warning handler that throws must not take the lookups (or the application) down with it.
    }
  };
  const claimedGeo = opts.claimedGeo ?? 'label';
  const cacheSize = opts.cacheSize ?? 10_000;
  const cache = createRecentCache<string, GeoAnswer | null>(cacheSize);
  const setOptions = (role: 'geo' | 'asn'): DatabaseSetOptions => ({
    role,
    watchIntervalMs: opts.watch === false ? 0 : (opts.watchIntervalMs ?? 60_000),
    staleAfterDays: opts.staleAfterDays ?? 120,
    warn,
    changed: () => cache.clear(),
    now: Date.now,
  });

  let geoDbs: DatabaseSet;
  const own = paths(opts.databasePath);
  if (own) {
    geoDbs = openDatabases(own, setOptions('geo'));
  } else {
    const name = opts.database ?? 'country';
    const bundled = bundledPaths(name);
    if (Array.isArray(bundled)) {
      geoDbs = openDatabases(bundled, setOptions('geo'));
    } else {
      warn(bundled.missing);
      geoDbs = missingSet(`database: '${name}'`, bundled.missing, 'geo');
    }
  }
  const asnPaths = paths(opts.asnDatabasePath);
  const asnDbs = asnPaths ? openDatabases(asnPaths, setOptions('asn')) : undefined;

  function compute(ip: string): GeoAnswer | undefined {
    const address = ip.length <= MAX_IP_TEXT ? canonical(ip) : undefined;
    if (address === undefined) return undefined;
    const geo = answerOf(geoDbs.find(address.text, address.version))?.geo;
    const as = asnDbs ? answerOf(asnDbs.find(address.text, address.version))?.as : undefined;
    if (geo === undefined && as === undefined) return undefined;
    return { ...(geo ? { geo } : {}), ...(as ? { as } : {}) };
  }

  function lookup(ip: string): GeoAnswer | undefined {
    if (cacheSize === 0) return compute(ip);
    const hit = cache.get(ip);
    if (hit !== undefined) return hit ?? undefined;
    const answer = compute(ip);
    cache.set(ip, answer ?? null);
    return answer;
  }

  return {
    name: opts.name ?? 'geoip',
    lookup(ip) {
      const answer = lookup(ip);
      return (
        answer && {
          ...(answer.geo ? { geo: copyGeo(answer.geo) } : {}),
          ...(answer.as ? { as: copyAs(answer.as) } : {}),
        }
      );
    },
    process(event) {
      const client = (event as Partial<ShoplogEvent> | null)?.client;
      if (typeof client !== 'object' || client === null) return event;
      if (client.ip === undefined && client.geo === undefined && client.as === undefined) return event;
      const geoOn = geoDbs.available;
      const asOn = asnDbs?.available === true;
      if (!geoOn && !asOn) return event;
      const answer = typeof client.ip === 'string' ? lookup(client.ip) : undefined;
      const { geo: claimed, as: claimedAs, ...rest } = client;
      const next: Client = rest;
      let labels = event.labels;
      if (!geoOn || (claimedGeo === 'keep' && claimed !== undefined)) {
        if (claimed !== undefined) next.geo = claimed;
      } else {
        if (answer?.geo) next.geo = copyGeo(answer.geo);
        const country = claimed?.country_iso_code;
        if (typeof country === 'string')
          labels = { ...(isRecord(labels) ? labels : {}), [CLAIMED_COUNTRY_LABEL]: country };
      }
      if (!asOn || (claimedGeo === 'keep' && claimedAs !== undefined)) {
        if (claimedAs !== undefined) next.as = claimedAs;
      } else if (answer?.as) {
        next.as = copyAs(answer.as);
      }
      if (next.geo === claimed && next.as === claimedAs && labels === event.labels) return event;
      return { ...event, client: next, ...(labels ? { labels } : {}) };
    },
    flush() {
      // Lookups are synchronous: nothing is ever held back.
    },
    close() {
      geoDbs.close();
      asnDbs?.close();
      cache.clear();
    },
    async reload() {
      await Promise.all([geoDbs.reload(), asnDbs?.reload()]);
      cache.clear();
    },
    status: () => [...geoDbs.status(), ...(asnDbs?.status() ?? [])],
  };
}
