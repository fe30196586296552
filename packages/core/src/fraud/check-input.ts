import { currencyExponent } from '../schema/common.js';
import { TRANSACTION_STATUSES, type TransactionEvent } from '../schema/kinds.js';
import type { ValidationIssue } from '../validate.js';
import type { FraudInput } from './input.js';

// What score() accepts, checked cheaply on every call: a typo must never turn into a wrong decision. Fixable
// slips are normalised and reported in the result (`adjustments`); anything that would make the scorer judge
// garbage is rejected with a FraudInputError naming the field.

/** A transaction the scorer cannot judge: `path` names the field. */
export class FraudInputError extends TypeError {
  override readonly name = 'FraudInputError';
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super(`fraud input ${path}: ${detail}`);
  }
}

/**
 * Whether `key` is a FraudInput field. A switch, not a Set: for the keys of a for-in (interned strings) it is a few
 * pointer comparisons, several times faster than hashing each key, and it runs for every field of every scoring.
 */
function isField(key: string): boolean {
  switch (key) {
    case 'transactionId':
    case 'userId':
    case 'amount':
    case 'currency':
    case 'cardFingerprint':
    case 'ip':
    case 'email':
    case 'ipCountry':
    case 'billingCountry':
    case 'issuerCountry':
    case 'userAgent':
    case 'status':
    case 'timestamp':
    case 'deviceId':
    case 'cardBin':
      return true;
    default:
      return false;
  }
}
const FIELD_LIST =
  'transactionId, userId, amount, currency, cardFingerprint, ip, email, ipCountry, billingCountry, issuerCountry, userAgent, status, timestamp, deviceId, cardBin';
const STATUSES: ReadonlySet<string> = new Set(TRANSACTION_STATUSES);
const STRING_FIELDS = [
  'transactionId',
  'userId',
  'cardFingerprint',
  'ip',
  'email',
  'userAgent',
  'deviceId',
  'cardBin',
] as const;
const LIMITS: Record<(typeof STRING_FIELDS)[number], number> = {
  transactionId: 256,
  userId: 256,
  cardFingerprint: 128,
  ip: 64,
  email: 320,
  userAgent: 2048,
  deviceId: 128,
  cardBin: 8,
};
const COUNTRY_FIELDS = ['ipCountry', 'billingCountry', 'issuerCountry'] as const;
/** Before this many Unix ms (1973-03-03) a timestamp is taken for seconds: no shop scores transactions from 1973. */
const SECONDS_BELOW = 1e11;

const isUpper2 = (s: string): boolean =>
  s.length === 2 && s.charCodeAt(0) >= 65 && s.charCodeAt(0) <= 90 && s.charCodeAt(1) >= 65 && s.charCodeAt(1) <= 90;

/**
 * Integer minor units of a money amount given as a decimal string or a JSON number, converted exactly: a number
 * is read through its shortest decimal form (`12.5` → "12.5" → 1250 cents), and one with more decimals than the
 * currency has (`12.345` EUR, `0.1 + 0.2`) is rejected, never rounded. `path` names the field in errors.
 */
export function moneyToMinor(value: unknown, currency: string, path: string): number {
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new FraudInputError(path, `must be a finite amount, got ${value}`);
    text = String(value);
  } else if (typeof value === 'string') {
    text = value.trim();
  } else {
    throw new FraudInputError(
      path,
      `must be a decimal string such as "99.99" (or a number), got ${value === null ? 'null' : typeof value}`,
    );
  }
  const m = /^(-?)(\d{1,15})(?:\.(\d+))?$/.exec(text);
  if (!m)
    throw new FraudInputError(path, `must be a plain decimal amount such as "99.99", got ${JSON.stringify(value)}`);
  const exp = currencyExponent(currency);
  const frac = m[3] ?? '';
  if (frac.length > exp && /[1-9]/.test(frac.slice(exp))) {
    throw new FraudInputError(
      path,
      `${text} has more decimals than ${currency} allows (${exp}); pass an exact amount (a decimal string, or integer minor units)`,
    );
  }
  const minor = Number(m[2]) * 10 ** exp + Number((frac + '0'.repeat(exp)).slice(0, exp) || '0');
  if (!Number.isSafeInteger(minor)) throw new FraudInputError(path, `${text} is too large`);
  return m[1] === '-' ? -minor : minor;
}

/**
 * True when `raw` needs nothing done: known fields only, each of the right type and form. The common case, checked
 * with plain property reads (no allocation), before `normaliseFraudInput` does the slow work.
 */
function isClean(raw: FraudInput): boolean {
  for (const key in raw) if (!isField(key)) return false;
  const { amount, currency, timestamp, status } = raw as {
    amount: unknown;
    currency: unknown;
    timestamp: unknown;
    status: unknown;
  };
  if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount < 0) return false;
  if (
    typeof currency !== 'string' ||
    currency.length !== 3 ||
    !isUpper(currency.charCodeAt(0)) ||
    !isUpper(currency.charCodeAt(1)) ||
    !isUpper(currency.charCodeAt(2))
  )
    return false;
  if (typeof timestamp !== 'number' || !(timestamp >= SECONDS_BELOW) || timestamp === Infinity) return false;
  if (status !== undefined && !(typeof status === 'string' && STATUSES.has(status))) return false;
  const r = raw as Record<string, unknown>;
  if (
    !okString(r.transactionId, 256) ||
    !okString(r.userId, 256) ||
    !okString(r.cardFingerprint, 128) ||
    !okString(r.ip, 64)
  )
    return false;
  if (!okString(r.email, 320) || !okString(r.userAgent, 2048) || !okString(r.deviceId, 128)) return false;
  if (raw.cardBin !== undefined && !(typeof raw.cardBin === 'string' && /^\d{6,8}$/.test(raw.cardBin))) return false;
  return okCountry(r.ipCountry) && okCountry(r.billingCountry) && okCountry(r.issuerCountry);
}
const isUpper = (c: number): boolean => c >= 65 && c <= 90;
const okString = (v: unknown, max: number): boolean => v === undefined || (typeof v === 'string' && v.length <= max);
const okCountry = (v: unknown): boolean => v === undefined || (typeof v === 'string' && isUpper2(v));

/**
 * Checks a flat input (after `context` is merged) and returns the input to judge; `out.adjustments` says what was
 * changed or ignored (undefined when nothing; an out-parameter, so the common case allocates nothing). Unknown fields and wrong types are errors; a timestamp in seconds is read as seconds,
 * lower-case or padded codes are upper-cased, invalid country codes are ignored (unknown, never a mismatch), a
 * missing timestamp is noted. Returns the input itself when nothing changed.
 */
export function checkFraudInput(raw: FraudInput, out: { adjustments: ValidationIssue[] | undefined }): FraudInput {
  out.adjustments = undefined;
  if (typeof raw === 'object' && raw !== null && isClean(raw)) return raw;
  const { input, adjustments } = normaliseFraudInput(raw);
  out.adjustments = adjustments;
  return input;
}

/** The slow path of `checkFraudInput`. */
function normaliseFraudInput(raw: FraudInput): { input: FraudInput; adjustments: ValidationIssue[] | undefined } {
  let input = raw;
  let adjustments: ValidationIssue[] | undefined;
  const change = (field: keyof FraudInput, value: unknown, message: string): void => {
    if (input === raw) input = { ...raw };
    if (value === undefined) delete input[field];
    else (input as unknown as Record<string, unknown>)[field] = value;
    (adjustments ??= []).push({ path: field, message });
  };
  if (typeof raw !== 'object' || raw === null)
    throw new FraudInputError(
      '(root)',
      `must be a transaction event or a FraudInput object, got ${raw === null ? 'null' : typeof raw}`,
    );
  for (const key in raw) {
    if (!isField(key)) throw new FraudInputError(key, `unknown field (FraudInput has ${FIELD_LIST})`);
  }
  const amount = raw.amount as unknown;
  if (typeof amount !== 'number' || !Number.isSafeInteger(amount)) {
    throw new FraudInputError(
      'amount',
      `must be integer minor units (cents: 1250 for 12.50), got ${JSON.stringify(amount) ?? String(amount)}`,
    );
  }
  if (amount < 0) change('amount', -amount, `was ${amount}: the size of a negative amount (a refund) is judged`);
  let currency = raw.currency as unknown;
  if (typeof currency !== 'string' || !/^[A-Za-z]{3}$/.test(currency.trim()))
    throw new FraudInputError(
      'currency',
      `must be an ISO 4217 code such as EUR, got ${JSON.stringify(currency) ?? String(currency)}`,
    );
  if (
    currency.length !== 3 ||
    currency.charCodeAt(0) > 90 ||
    currency.charCodeAt(1) > 90 ||
    currency.charCodeAt(2) > 90
  ) {
    currency = currency.trim().toUpperCase();
    change('currency', currency, `upper-cased to ${String(currency)}`);
  }
  for (const field of STRING_FIELDS) {
    const v = raw[field] as unknown;
    if (v === undefined) continue;
    if (typeof v === 'number' && (field === 'userId' || field === 'transactionId') && Number.isFinite(v)) {
      change(field, String(v), `number ${v} read as the string "${v}"`);
      continue;
    }
    if (typeof v !== 'string')
      throw new FraudInputError(field, `must be a string, got ${v === null ? 'null' : typeof v}`);
    if (v.length > LIMITS[field]) throw new FraudInputError(field, `must be at most ${LIMITS[field]} characters`);
  }
  if (raw.cardBin !== undefined && !/^\d{6,8}$/.test(raw.cardBin))
    change('cardBin', undefined, `"${raw.cardBin}" is not the 6 to 8 first digits of a card; ignored`);
  for (const field of COUNTRY_FIELDS) {
    const v = raw[field] as unknown;
    if (v === undefined || (typeof v === 'string' && isUpper2(v))) continue;
    if (typeof v === 'string' && /^[A-Za-z]{2}$/.test(v.trim()))
      change(field, v.trim().toUpperCase(), `"${v}" read as ${v.trim().toUpperCase()}`);
    else
      change(
        field,
        undefined,
        `${JSON.stringify(v) ?? String(v)} is not an ISO 3166-1 alpha-2 code such as FR; treated as unknown`,
      );
  }
  const status = raw.status as unknown;
  if (status !== undefined && !(typeof status === 'string' && STATUSES.has(status))) {
    const lower = typeof status === 'string' ? status.trim().toLowerCase() : '';
    if (!STATUSES.has(lower))
      throw new FraudInputError(
        'status',
        `must be one of ${TRANSACTION_STATUSES.join(', ')}, got ${JSON.stringify(status) ?? String(status)}`,
      );
    change('status', lower, `"${String(status)}" read as ${lower}`);
  }
  const t = raw.timestamp as unknown;
  if (t === undefined) {
    (adjustments ??= []).push({
      path: 'timestamp',
      message:
        "missing: scored at the scorer's clock (replaying past transactions without timestamps inflates velocity)",
    });
  } else if (typeof t === 'string' && !Number.isNaN(Date.parse(t))) {
    change('timestamp', Date.parse(t), `ISO string read as ${Date.parse(t)} (Unix ms)`);
  } else if (typeof t !== 'number' || !Number.isFinite(t) || t < 0) {
    throw new FraudInputError(
      'timestamp',
      `must be Unix ms (a non-negative number) or an ISO date, got ${JSON.stringify(t) ?? String(t)}`,
    );
  } else if (t > 0 && t < SECONDS_BELOW) {
    change('timestamp', t * 1000, `${t} read as seconds (${new Date(t * 1000).toISOString()}); pass Unix ms`);
  }
  return { input, adjustments };
}

/** `fraudInputFromEvent`, with an error naming the event's field for what cannot be read (amounts exactly). */
export function fraudInputOfEvent(tx: TransactionEvent): FraudInput {
  const shop = (tx as { shop?: Partial<TransactionEvent['shop']> }).shop;
  if (typeof shop !== 'object' || shop === null)
    throw new FraudInputError('shop', 'a transaction event needs shop.transaction and shop.amount');
  const money = shop.amount as { currency?: unknown; minor?: unknown; value?: unknown } | undefined;
  if (typeof money !== 'object' || money === null)
    throw new FraudInputError('shop.amount', 'must be { currency, minor } or { currency, value }');
  const currency = typeof money.currency === 'string' ? money.currency.trim().toUpperCase() : '';
  if (!/^[A-Z]{3}$/.test(currency))
    throw new FraudInputError(
      'shop.amount.currency',
      `must be an ISO 4217 code such as EUR, got ${JSON.stringify(money.currency) ?? String(money.currency)}`,
    );
  let minor: number | undefined;
  if (money.minor !== undefined) {
    if (typeof money.minor !== 'number' || !Number.isSafeInteger(money.minor))
      throw new FraudInputError('shop.amount.minor', `must be integer minor units, got ${JSON.stringify(money.minor)}`);
    minor = money.minor;
  }
  if (money.value !== undefined) {
    const fromValue = moneyToMinor(money.value, currency, 'shop.amount.value');
    if (minor !== undefined && minor !== fromValue)
      throw new FraudInputError(
        'shop.amount.minor',
        `${minor} does not match value ${JSON.stringify(money.value)} in ${currency}`,
      );
    minor = fromValue;
  }
  if (minor === undefined)
    throw new FraudInputError('shop.amount', 'needs `minor` (integer minor units) or `value` (a decimal amount)');
  const when = (tx as { '@timestamp'?: unknown })['@timestamp'];
  const timestamp = typeof when === 'string' ? Date.parse(when) : Number.NaN;
  if (Number.isNaN(timestamp))
    throw new FraudInputError('@timestamp', `must be an ISO date, got ${JSON.stringify(when) ?? String(when)}`);
  const card = shop.payment?.card;
  const input: FraudInput = { amount: Math.abs(minor), currency, timestamp };
  // Only defined fields are copied, so `{ ...input, ...context }` never overwrites a value with undefined.
  if (shop.transaction?.id !== undefined) input.transactionId = shop.transaction.id;
  if (shop.transaction?.status !== undefined) input.status = shop.transaction.status;
  if (tx.user?.id !== undefined) input.userId = tx.user.id;
  if (tx.user?.email !== undefined) input.email = tx.user.email;
  if (card?.fingerprint !== undefined) input.cardFingerprint = card.fingerprint;
  if (card?.issuer_country !== undefined) input.issuerCountry = card.issuer_country;
  if (card?.bin !== undefined) input.cardBin = card.bin;
  if (tx.client?.ip !== undefined) input.ip = tx.client.ip;
  if (tx.client?.geo?.country_iso_code !== undefined) input.ipCountry = tx.client.geo.country_iso_code;
  if (shop.billing?.country !== undefined) input.billingCountry = shop.billing.country;
  if (tx.user_agent?.original !== undefined) input.userAgent = tx.user_agent.original;
  if (typeof tx.device?.id === 'string' && tx.device.id !== '') input.deviceId = tx.device.id;
  return input;
}
