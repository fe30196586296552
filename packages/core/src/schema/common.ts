import { z } from 'zod';

/**
 * The kinds of Shoplog event, each stored in its own `event.dataset`: the five shop kinds, plus `log` for a plain
 * application log line ("server started") that transports ship so that no log is lost.
 */
export const EVENT_KINDS = ['transaction', 'error', 'user_behavior', 'performance', 'fraud', 'log'] as const;

/** One of the kinds of Shoplog event. */
export type EventKind = (typeof EVENT_KINDS)[number];

/** `event.dataset` value of each kind. */
export const DATASETS = {
  transaction: 'shoplog.transaction',
  error: 'shoplog.error',
  user_behavior: 'shoplog.user_behavior',
  performance: 'shoplog.performance',
  fraud: 'shoplog.fraud',
  log: 'shoplog.log',
} as const satisfies Record<EventKind, string>;

/** An `event.dataset` value. */
export type Dataset = (typeof DATASETS)[EventKind];

/** Log levels, lowest first (ECS `log.level`, lower case). */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;

/** A Shoplog log level. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Schema of `log.level`. */
export const LogLevelSchema = z.enum(LOG_LEVELS);

/** ISO 8601 date-time with an offset or `Z`, e.g. `2026-11-26T10:00:00.000Z`. */
export const TimestampSchema = z.iso.datetime({ offset: true, local: false });

/** Event id: a UUID (v7 recommended, time-ordered) or a ULID; the idempotency key end to end. */
export const EventIdSchema = z
  .string()
  .regex(
    /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9A-HJKMNP-TV-Z]{26})$/i,
    'must be a UUID (v7 recommended) or a ULID',
  );

/** A short identifier (order id, user id, session id, ...). */
export const IdSchema = z.string().min(1, 'must not be empty').max(256, 'must be at most 256 characters');

/** ISO 4217 currency code, upper case. */
export const CurrencySchema = z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as EUR or USD');

/** ISO 3166-1 alpha-2 country code, upper case. */
export const CountrySchema = z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code such as FR');

/** Decimal amount as a string: no float rounding, e.g. `"99.99"`, `"-5.00"` for a refund delta. */
export const DecimalStringSchema = z
  .string({
    error:
      'must be a decimal string such as "99.99" (the builders convert a number only when it is exact, see `numberToDecimal`)',
  })
  .regex(/^-?\d{1,15}(?:\.\d{1,4})?$/, 'must be a decimal string such as "99.99"');

/**
 * Money: an ISO 4217 currency with the amount in minor units (`minor`, an integer: cents) and/or as a decimal
 * string (`value`). At least one is required; when both are given they must agree. Never a float.
 */
export const MoneySchema = z
  .strictObject({
    currency: CurrencySchema,
    minor: z.int().optional(),
    value: DecimalStringSchema.optional(),
  })
  .superRefine((money, ctx) => {
    if (money.minor === undefined && money.value === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: 'needs `minor` (integer minor units) or `value` (decimal string)',
        path: [],
      });
      return;
    }
    if (money.minor !== undefined && money.value !== undefined) {
      const minor = decimalToMinor(money.value, money.currency);
      if (minor !== money.minor) {
        ctx.addIssue({
          code: 'custom',
          message: `\`minor\` ${money.minor} does not match \`value\` "${money.value}" in ${money.currency}`,
          path: ['minor'],
        });
      }
    }
  });

/** Money as accepted by the schemas. */
export type Money = z.infer<typeof MoneySchema>;

/** ISO 4217 currencies whose minor unit is the major unit (no decimals), e.g. JPY. */
export const ZERO_DECIMAL_CURRENCIES: readonly string[] = [
  'BIF',
  'CLP',
  'DJF',
  'GNF',
  'ISK',
  'JPY',
  'KMF',
  'KRW',
  'PYG',
  'RWF',
  'UGX',
  'UYI',
  'VND',
  'VUV',
  'XAF',
  'XOF',
  'XPF',
];
/** ISO 4217 currencies with three decimals, e.g. KWD (all others have two). */
export const THREE_DECIMAL_CURRENCIES: readonly string[] = ['BHD', 'IQD', 'JOD', 'KWD', 'LYD', 'OMR', 'TND'];
const ZERO_DECIMAL = new Set(ZERO_DECIMAL_CURRENCIES);
const THREE_DECIMAL = new Set(THREE_DECIMAL_CURRENCIES);

/** Number of decimal digits of a currency's minor unit (ISO 4217): 0 for JPY, 3 for KWD, else 2. */
export function currencyExponent(currency: string): number {
  if (ZERO_DECIMAL.has(currency)) return 0;
  if (THREE_DECIMAL.has(currency)) return 3;
  return 2;
}

/** Converts a decimal string to integer minor units, or `undefined` when it has more digits than the currency allows. */
export function decimalToMinor(value: string, currency: string): number | undefined {
  const exp = currencyExponent(currency);
  const negative = value.startsWith('-');
  const [whole = '0', frac = ''] = (negative ? value.slice(1) : value).split('.');
  if (frac.length > exp && /[1-9]/.test(frac.slice(exp))) return undefined;
  const minor = Number(whole) * 10 ** exp + Number((frac + '0'.repeat(exp)).slice(0, exp) || '0');
  return negative ? -minor : minor;
}

/**
 * The decimal string of an amount given as a JavaScript number (`99.99` → `"99.99"`), or `undefined` when the number
 * does not say one amount exactly: not finite, more decimals than the currency's minor unit (`0.1 + 0.2` is
 * 0.30000000000000004), or more than 15 significant digits (a double keeps 15 exactly). The string is the shortest
 * one that reads back as the same number, i.e. what the JSON or the code said.
 */
export function numberToDecimal(value: number, currency: string): string | undefined {
  if (!Number.isFinite(value)) return undefined;
  const text = String(value);
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text); // no exponent: 1e21 and 1e-7 are refused here
  if (!match) return undefined;
  const [, , whole = '', frac = ''] = match;
  if (frac.length > currencyExponent(currency) || (whole.replace(/^0+/, '') + frac).length > 15) return undefined;
  return text;
}

/** Converts integer minor units to a decimal string with the currency's exponent (`9999`, `EUR` → `"99.99"`). */
export function minorToDecimal(minor: number, currency: string): string {
  const exp = currencyExponent(currency);
  if (exp === 0) return String(minor);
  const negative = minor < 0;
  const digits = String(Math.abs(minor)).padStart(exp + 1, '0');
  return `${negative ? '-' : ''}${digits.slice(0, -exp)}.${digits.slice(-exp)}`;
}

/** Fills both `minor` and `value` of a valid money object. */
export function completeMoney(money: Money): Required<Money> {
  const minor = money.minor ?? decimalToMinor(money.value ?? '0', money.currency) ?? 0;
  return { currency: money.currency, minor, value: money.value ?? minorToDecimal(minor, money.currency) };
}

/** `event.*` fields common to every kind (ECS). `dataset` is narrowed by each kind's schema. */
export const EventFieldsSchema = z.looseObject({
  id: EventIdSchema,
  dataset: z.string(),
  kind: z.enum(['event', 'alert', 'metric', 'state', 'pipeline_error', 'signal']).optional(),
  category: z.array(z.string().min(1)).optional(),
  type: z.array(z.string().min(1)).optional(),
  outcome: z.enum(['success', 'failure', 'unknown']).optional(),
  action: z.string().min(1).max(256).optional(),
  /** Duration in nanoseconds (ECS). */
  duration: z.int().nonnegative().optional(),
  severity: z.int().optional(),
  ingested: TimestampSchema.optional(),
  module: z.string().optional(),
});

const HeadersSchema = z.record(z.string(), z.union([z.string(), z.array(z.string())]));

/** The ECS part of the envelope, shared by every kind. Unknown top-level ECS fields are kept. */
export const EnvelopeBaseSchema = z.looseObject({
  '@timestamp': TimestampSchema,
  event: EventFieldsSchema,
  log: z.looseObject({ level: LogLevelSchema, logger: z.string().optional() }),
  message: z.string().max(32_768, 'must be at most 32768 characters').optional(),
  service: z
    .looseObject({
      name: z.string().min(1).max(256),
      version: z.string().max(128).optional(),
      environment: z.string().max(128).optional(),
      node: z.looseObject({ name: z.string().optional() }).optional(),
    })
    .optional(),
  trace: z
    .looseObject({ id: z.string().regex(/^[0-9a-f]{32}$/, 'must be 32 lower-case hex digits (W3C trace id)') })
    .optional(),
  span: z
    .looseObject({ id: z.string().regex(/^[0-9a-f]{16}$/, 'must be 16 lower-case hex digits (W3C span id)') })
    .optional(),
  transaction: z.looseObject({ id: z.string().min(1) }).optional(),
  /** The client device (ECS `device.*`): an id from the shop's own fingerprinting, which fraud scoring reads. */
  device: z
    .looseObject({ id: z.string().min(1, 'must not be empty').max(128, 'must be at most 128 characters').optional() })
    .optional(),
  user: z
    .looseObject({
      id: IdSchema.optional(),
      email: z.string().max(320).optional(),
      name: z.string().max(256).optional(),
    })
    .optional(),
  client: z
    .looseObject({
      ip: z.string().max(64).optional(),
      geo: z
        .looseObject({
          country_iso_code: CountrySchema.optional(),
          country_name: z.string().max(256).optional(),
          region_name: z.string().max(256).optional(),
          city_name: z.string().optional(),
          location: z.looseObject({ lat: z.number(), lon: z.number() }).optional(),
        })
        .optional(),
      /** Autonomous system of the address (ECS `as.*`), e.g. from a GeoIP ASN database. */
      as: z
        .looseObject({
          number: z.int().nonnegative().optional(),
          organization: z.looseObject({ name: z.string().max(256).optional() }).optional(),
        })
        .optional(),
    })
    .optional(),
  user_agent: z
    .looseObject({
      original: z.string().max(2048).optional(),
      name: z.string().optional(),
      version: z.string().optional(),
      os: z.looseObject({ name: z.string().optional() }).optional(),
      device: z.looseObject({ name: z.string().optional() }).optional(),
    })
    .optional(),
  http: z
    .looseObject({
      request: z
        .looseObject({
          id: z.string().optional(),
          method: z.string().min(1).max(16).optional(),
          bytes: z.int().nonnegative().optional(),
          headers: HeadersSchema.optional(),
          body: z.looseObject({ content: z.unknown().optional() }).optional(),
        })
        .optional(),
      response: z
        .looseObject({
          status_code: z.int().min(100).max(599).optional(),
          bytes: z.int().nonnegative().optional(),
          headers: HeadersSchema.optional(),
        })
        .optional(),
      route: z.string().max(1024).optional(),
    })
    .optional(),
  url: z
    .looseObject({
      path: z.string().max(4096).optional(),
      query: z.string().max(4096).optional(),
      full: z.string().max(8192).optional(),
      domain: z.string().optional(),
    })
    .optional(),
  error: z
    .looseObject({
      type: z.string().max(256).optional(),
      message: z.string().max(32_768).optional(),
      stack_trace: z.string().max(65_536).optional(),
      code: z.string().max(64).optional(),
    })
    .optional(),
  labels: z.record(z.string(), z.string()).optional(),
  tags: z.array(z.string()).optional(),
});
