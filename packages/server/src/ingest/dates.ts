const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/**
 * Parses the date formats the seed platform accepted: ISO 8601 (with or without offset; without one it is UTC),
 * `YYYY-MM-DD`, `YYYY-MM-DD HH:MM:SS`, `dd/MMM/yyyy:HH:mm:ss Z`, UNIX seconds and UNIX milliseconds.
 * Returns epoch milliseconds, or `undefined` when the value is not a date.
 */
export function parseDate(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value < 1e11 ? value * 1000 : value;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (/^\d{9,13}(?:\.\d+)?$/.test(text)) return parseDate(Number(text));
  const apache = /^(\d{2})\/([A-Za-z]{3})\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$/.exec(text);
  if (apache) {
    const [, d, mon, y, h, mi, s, sign, oh, om] = apache;
    const month = MONTHS.indexOf((mon ?? '').toLowerCase());
    if (month < 0) return undefined;
    const offset = (Number(oh) * 60 + Number(om)) * (sign === '-' ? -1 : 1);
    return Date.UTC(Number(y), month, Number(d), Number(h), Number(mi), Number(s)) - offset * 60_000;
  }
  const iso = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(text);
  if (!iso) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone] = iso;
  const ms = frac ? Math.floor(Number(frac) * 1000) : 0;
  let epoch = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms);
  if (zone && zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    epoch -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  }
  const check = new Date(epoch);
  return Number.isNaN(check.getTime()) || Number(mo) > 12 || Number(d) > 31 ? undefined : epoch;
}

/** ISO 8601 string (UTC, milliseconds) of a seed-format date, or `undefined`. */
export function toIsoDate(value: unknown): string | undefined {
  const ms = parseDate(value);
  return ms === undefined ? undefined : new Date(ms).toISOString();
}
