// `new Date(ms).toISOString()` costs more than the rest of building a plain event; times arrive in order and in
// bursts, so the text up to the second (`2026-11-26T22:30:32.`) is formatted once per second and the milliseconds
// appended. Years 0000–9999 only (the 24-character form, the prefix's shape); any other time, and invalid ones, go
// to toISOString as they are, with its RangeError.
const YEAR_10000 = 253_402_300_800_000; // 10000-01-01T00:00:00.000Z
let cachedSecond = Number.NaN;
let cachedPrefix = '';

/** `new Date(ms).toISOString()`, same result and same RangeError, with the text up to the second remembered. */
export function isoTime(ms: number): string {
  if (!(ms >= 0 && ms < YEAR_10000)) return new Date(ms).toISOString();
  const t = Math.floor(ms); // `Date` drops the fraction (ms >= 0 here, so floor is its truncation)
  const milli = t % 1000;
  const second = t - milli;
  if (second !== cachedSecond) {
    cachedPrefix = new Date(second).toISOString().slice(0, 20);
    cachedSecond = second;
  }
  return cachedPrefix + (milli < 10 ? '00' : milli < 100 ? '0' : '') + String(milli) + 'Z';
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** `isoTime(Date.parse(t))` for a time given as text; `undefined` when it is no date. */
export function isoTimeOfText(t: string): string | undefined {
  // Already canonical within the cached second (pino's `isoTime`, the previous line's second): it is its own
  // `toISOString()`, no parse needed.
  if (
    t.length === 24 &&
    cachedPrefix.length === 20 &&
    t.charCodeAt(23) === 90 &&
    t.startsWith(cachedPrefix) &&
    isDigit(t.charCodeAt(20)) &&
    isDigit(t.charCodeAt(21)) &&
    isDigit(t.charCodeAt(22))
  ) {
    return t;
  }
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? undefined : isoTime(ms);
}
