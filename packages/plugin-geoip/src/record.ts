/** ECS `client.geo.*` fields the plugin fills (a type, so that it fits the schema's open objects). */
export type GeoFields = {
  country_iso_code?: string;
  country_name?: string;
  region_name?: string;
  city_name?: string;
  location?: { lat: number; lon: number };
};

/** ECS `client.as.*` fields the plugin fills. */
export type AsFields = {
  number?: number;
  organization?: { name: string };
};

/** What the databases say about one address. */
export interface GeoAnswer {
  geo?: GeoFields;
  as?: AsFields;
}

type Rec = Record<string, unknown>;

const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v : undefined);
const englishName = (v: unknown): string | undefined => (isRec(v) && isRec(v.names) ? text(v.names.en) : undefined);
const ISO_COUNTRY = /^[A-Z]{2}$/;
// Coordinates are stored as 32-bit floats in some databases: four decimals (about 11 m) is all they say.
const coordinate = (v: unknown, limit: number): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) && Math.abs(v) <= limit ? Math.round(v * 1e4) / 1e4 : undefined;

let displayNames: Intl.DisplayNames | undefined | null;
// ICU lookups cost as much as the database lookup itself: each of the ~250 codes is asked once.
const countryNames = new Map<string, string | undefined>();
/** The English name of an ISO 3166-1 alpha-2 code from the runtime's ICU data, for databases that carry only codes. */
function countryName(code: string): string | undefined {
  if (countryNames.has(code)) return countryNames.get(code);
  if (displayNames === undefined) {
    try {
      displayNames = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });
    } catch {
      displayNames = null; // a runtime built without ICU region names
    }
  }
  let name: string | undefined;
  try {
    name = displayNames?.of(code) ?? undefined;
  } catch {
    name = undefined; // not a code ICU accepts
  }
  if (countryNames.size < 1024) countryNames.set(code, name);
  return name;
}

function geoOf(rec: Rec): GeoFields | undefined {
  const geo: GeoFields = {};
  // MaxMind GeoIP2/GeoLite2 and DB-IP's own files: `country` is where the address is used; `registered_country`
  // (where the block is registered) only stands in when a record has no `country` (some anycast networks).
  const country = isRec(rec.country) ? rec.country : isRec(rec.registered_country) ? rec.registered_country : undefined;
  // ip-location-db files: flat `country_code`, `city`, `state1`, `latitude`, `longitude`.
  const code = text(country?.iso_code) ?? text(rec.country_code);
  if (code !== undefined && ISO_COUNTRY.test(code)) {
    geo.country_iso_code = code;
    const name = englishName(country) ?? countryName(code);
    if (name !== undefined) geo.country_name = name;
  }
  const subdivisions = Array.isArray(rec.subdivisions) ? (rec.subdivisions as unknown[]) : [];
  const region = englishName(subdivisions[0]) ?? text(rec.state1);
  if (region !== undefined) geo.region_name = region;
  const city = englishName(rec.city) ?? text(rec.city);
  if (city !== undefined) geo.city_name = city;
  const place = isRec(rec.location) ? rec.location : rec;
  const lat = coordinate(place.latitude, 90);
  const lon = coordinate(place.longitude, 180);
  if (lat !== undefined && lon !== undefined) geo.location = { lat, lon };
  return Object.keys(geo).length > 0 ? geo : undefined;
}

function asOf(rec: Rec): AsFields | undefined {
  const as: AsFields = {};
  const number = rec.autonomous_system_number;
  if (typeof number === 'number' && Number.isSafeInteger(number) && number >= 0) as.number = number;
  const organization = text(rec.autonomous_system_organization);
  if (organization !== undefined) as.organization = { name: organization };
  return Object.keys(as).length > 0 ? as : undefined;
}

/**
 * Maps one database record to ECS fields. Understands MaxMind's GeoIP2/GeoLite2 Country, City and ASN records
 * (DB-IP's own MMDB files use the same layout) and the flat records of the ip-location-db files.
 */
export function answerOf(record: unknown): GeoAnswer | undefined {
  if (!isRec(record)) return undefined;
  // The reader hands out the same decoded record for every address of a network: map it once. Answers are shared,
  // so callers copy them before giving them away.
  const known = answers.get(record);
  if (known !== undefined) return known ?? undefined;
  const geo = geoOf(record);
  const as = asOf(record);
  const answer = geo === undefined && as === undefined ? undefined : { ...(geo ? { geo } : {}), ...(as ? { as } : {}) };
  answers.set(record, answer ?? null);
  return answer;
}

const answers = new WeakMap<object, GeoAnswer | null>();
