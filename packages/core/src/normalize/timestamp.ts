const MONTHS: Record<string, number> = {
  jan: 0,
  feb: 1,
  mar: 2,
  apr: 3,
  may: 4,
  jun: 5,
  jul: 6,
  aug: 7,
  sep: 8,
  oct: 9,
  nov: 10,
  dec: 11,
};

// `2026-11-26T10:00:00Z`, `…T10:00:00.123+01:00`, `2026-11-26 10:00:00` (Logstash `yyyy-MM-dd HH:mm:ss`), `2026-11-26`.
const ISO_LIKE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(Z|[+-]\d{2}:?\d{2})?)?$/i;
// Apache / Logstash `dd/MMM/yyyy:HH:mm:ss Z`, e.g. `26/Nov/2026:10:00:00 +0100`.
const CLF = /^(\d{2})\/([A-Za-z]{3})\/(\d{4}):(\d{2}):(\d{2}):(\d{2})(?:\s*([+-]\d{2}:?\d{2}|Z))?$/;
const NUMERIC = /^-?\d+(?:\.\d+)?$/;

// Below this, a number is Unix seconds (1e11 s is the year 5138); at or above, Unix milliseconds.
const SECONDS_LIMIT = 1e11;

function offsetMinutes(zone: string | undefined): number {
  if (!zone || zone.toUpperCase() === 'Z') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4)));
}

function fromParts(
  y: number,
  mo: number,
  d: number,
  h: number,
  mi: number,
  s: number,
  ms: number,
  zone?: string,
): number | undefined {
  if (mo < 0 || mo > 11 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return undefined;
  const t = Date.UTC(y, mo, d, h, mi, s, ms) - offsetMinutes(zone) * 60_000;
  // Date.UTC rolls 31 Feb over into March: reject dates that do not exist.
  return new Date(Date.UTC(y, mo, d)).getUTCDate() === d ? t : undefined;
}

/**
 * Parses the timestamp formats of the seed platform (its Logstash date filter): ISO 8601 (no offset means UTC),
 * `yyyy-MM-dd HH:mm:ss` (UTC), `dd/MMM/yyyy:HH:mm:ss Z`, Unix seconds and Unix milliseconds (number or digits).
 * Returns Unix milliseconds, or `undefined` when the value is not a date.
 */
export function parseTimestamp(value: unknown): number | undefined {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) return undefined;
    return value < SECONDS_LIMIT ? Math.round(value * 1000) : Math.round(value);
  }
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (NUMERIC.test(text)) return parseTimestamp(Number(text));
  let m = ISO_LIKE.exec(text);
  if (m) {
    const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone] = m;
    return fromParts(
      Number(y),
      Number(mo) - 1,
      Number(d),
      Number(h),
      Number(mi),
      Number(s),
      Number(frac.padEnd(3, '0').slice(0, 3)),
      zone,
    );
  }
  m = CLF.exec(text);
  if (m) {
    const [, d, mon = '', y, h, mi, s, zone] = m;
    const mo = MONTHS[mon.toLowerCase()];
    return mo === undefined
      ? undefined
      : fromParts(Number(y), mo, Number(d), Number(h), Number(mi), Number(s), 0, zone);
  }
  return undefined;
}
