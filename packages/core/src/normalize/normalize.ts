import { z } from 'zod';
import { createEvent } from '../builders.js';
import { uuidv7 } from '../ids.js';
import { createJsonLimitCheck, type JsonLimits } from '../json-limits.js';
import { parseOptions } from '../options.js';
import { DATASETS, EventIdSchema, type EventKind, type LogLevel } from '../schema/common.js';
import { validate, validateOwned, type ValidationIssue, type ValidationResult } from '../validate.js';
import { SeedReader } from './reader.js';
import { mapSeedKind, put, type Draft } from './seed-kinds.js';
import { parseTimestamp } from './timestamp.js';

/** Options of `normalize()`. */
export interface NormalizeOptions {
  /** Clock in Unix milliseconds, for inputs without a timestamp and for fresh ids. @default Date.now */
  now?: () => number;
  /** Currency of seed amounts that come without one (the seed README's example has none). @default 'USD' */
  defaultCurrency?: string;
  /**
   * The caller hands each input over (freshly parsed, kept nowhere else): an envelope that needs nothing filled and
   * that validation leaves unchanged is returned itself, with `unchanged: true`, instead of a validated copy (the
   * server stores such a line as sent). @default false
   */
  reuseInput?: boolean;
  /**
   * Bounds checked on each input before anything else reads it (an input past one is an issue naming the path, so a
   * value nested thousands deep never reaches `JSON.stringify`); `false` when the caller checked them already.
   * @default { maxDepth: 64 }
   */
  limits?: JsonLimits | false;
}

const OptionsSchema = z.strictObject({
  now: z.custom<() => number>((f) => typeof f === 'function', 'must be a function').optional(),
  defaultCurrency: z
    .string()
    .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as EUR')
    .optional(),
  reuseInput: z.boolean().optional(),
  // Checked by createJsonLimitCheck, which names its own bad options.
  limits: z.union([z.literal(false), z.record(z.string(), z.unknown())]).optional(),
});

const KINDS: Record<string, EventKind> = {
  transaction: 'transaction',
  transactions: 'transaction',
  payment: 'transaction',
  order: 'transaction',
  error: 'error',
  errors: 'error',
  application_error: 'error',
  exception: 'error',
  user_behavior: 'user_behavior',
  user_behaviour: 'user_behavior',
  behavior: 'user_behavior',
  behaviour: 'user_behavior',
  userbehavior: 'user_behavior',
  performance: 'performance',
  perf: 'performance',
  metric: 'performance',
  fraud: 'fraud',
  fraud_alert: 'fraud',
  log: 'log',
  logs: 'log',
  app: 'log',
  application: 'log',
  system: 'log',
};
const LEVELS: Record<string, LogLevel> = {
  trace: 'trace',
  debug: 'debug',
  info: 'info',
  information: 'info',
  notice: 'info',
  warn: 'warn',
  warning: 'warn',
  error: 'error',
  err: 'error',
  critical: 'fatal',
  crit: 'fatal',
  fatal: 'fatal',
  alert: 'fatal',
  emergency: 'fatal',
  // syslog's short names (rsyslog `syslogseverity-text`) and winston's npm levels
  emerg: 'fatal',
  panic: 'fatal',
  http: 'info',
  verbose: 'debug',
  silly: 'trace',
  '10': 'trace',
  '20': 'debug',
  '30': 'info',
  '40': 'warn',
  '50': 'error',
  '60': 'fatal',
};
const ISO_Z = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;
const MAX_MS = 253_402_300_799_999; // 9999-12-31T23:59:59.999Z

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function toIso(ms: number | undefined): string | undefined {
  return ms !== undefined && ms <= MAX_MS ? new Date(ms).toISOString() : undefined;
}

/** An input that already is an envelope: filled where the id, timestamp or level is missing, otherwise unchanged. */
function fillEnvelope(input: Record<string, unknown>, now: () => number): Record<string, unknown> {
  const event = input.event as Record<string, unknown>;
  const ts = input['@timestamp'];
  const log = input.log;
  const needsTs = typeof ts !== 'string' || !ISO_Z.test(ts);
  if (event.id !== undefined && !needsTs && isObject(log) && log.level !== undefined) return input;
  const out = { ...input };
  if (event.id === undefined) out.event = { ...event, id: uuidv7(now()) };
  if (ts === undefined) out['@timestamp'] = new Date(now()).toISOString();
  else if (needsTs) out['@timestamp'] = toIso(parseTimestamp(ts)) ?? ts;
  if (!isObject(log)) out.log = { level: 'info' };
  else if (log.level === undefined) out.log = { ...log, level: 'info' };
  else if (typeof log.level === 'string') out.log = { ...log, level: LEVELS[log.level.toLowerCase()] ?? log.level };
  return out;
}

/** The kind of a flat seed document: its `log_type` (or `type`), else guessed from the fields it has. */
function kindOf(r: SeedReader, doc: Record<string, unknown>): EventKind | undefined {
  let declared = r.str('log_type');
  if (declared === undefined && typeof doc.type === 'string' && KINDS[doc.type.toLowerCase()]) declared = r.str('type');
  if (declared !== undefined) {
    const kind = KINDS[declared.toLowerCase().replace(/[\s-]+/g, '_')];
    if (!kind)
      r.issue('log_type', `must be one of ${Object.keys(DATASETS).join(', ')}; got ${JSON.stringify(declared)}`);
    return kind;
  }
  const has = (...keys: string[]) => keys.some((k) => r.has(k));
  if (has('fraud_score', 'fraud_detected', 'fraud_indicators')) return 'fraud';
  if (has('error_code', 'error_type', 'error_message', 'stack_trace')) return 'error';
  if (has('response_time', 'db_query_time')) return 'performance';
  if (has('action', 'session_id', 'page')) return 'user_behavior';
  if (has('amount', 'transaction_id')) return 'transaction';
  const level = typeof doc.level === 'string' ? LEVELS[doc.level.toLowerCase()] : undefined;
  if ((level === 'error' || level === 'fatal') && has('message')) return 'error';
  // A plain line with a message is an application log: shipped as `shoplog.log` rather than lost.
  if (has('message')) return 'log';
  r.issue('log_type', `is required when the fields do not tell the kind: one of ${Object.keys(DATASETS).join(', ')}`);
  return undefined;
}

function labelValue(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** Maps a flat seed document (`log_type`, `level`, `amount`, `response_time`, …) to an envelope draft. */
function fromSeed(doc: Record<string, unknown>, now: () => number, defaultCurrency: string): ValidationResult {
  const r = new SeedReader(doc);
  const kind = kindOf(r, doc);
  const d: Draft = {};
  const ts = r.raw('@timestamp') ?? r.raw('timestamp');
  const tsKey = r.has('@timestamp') ? '@timestamp' : 'timestamp';
  put(
    d,
    '@timestamp',
    ts === undefined
      ? new Date(now()).toISOString()
      : (toIso(parseTimestamp(ts)) ??
          r.issue(
            tsKey,
            `is not a date in a known format (ISO 8601, yyyy-MM-dd HH:mm:ss, dd/MMM/yyyy:HH:mm:ss Z, Unix seconds or ms); got ${JSON.stringify(ts)}`,
          )),
  );
  const id = r.str('event_id') ?? r.str('id');
  if (id !== undefined && EventIdSchema.safeParse(id).success) put(d, 'event.id', id);
  else if (id !== undefined) put(d, 'labels.seed_id', id); // not a UUID/ULID: kept, and a fresh id is minted
  const level = r.str('level');
  if (level !== undefined)
    put(
      d,
      'log.level',
      LEVELS[level.toLowerCase()] ??
        r.issue(
          'level',
          `must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL (any case); got ${JSON.stringify(level)}`,
        ),
    );
  put(d, 'message', r.str('message'));
  const service = r.str('service');
  const source = r.str('source');
  put(d, 'service.name', service ?? source);
  if (service !== undefined && source !== undefined && source !== service) put(d, 'labels.source', source);
  put(d, 'trace.id', w3cId(r, 'trace_id', 32));
  put(d, 'span.id', w3cId(r, 'span_id', 16));
  put(d, 'user.id', r.str('user_id'));
  put(d, 'user.email', r.str('email'));
  put(d, 'client.ip', r.str('ip') ?? r.str('client_ip'));
  put(d, 'user_agent.original', r.str('user_agent'));
  const endpoint = r.str('endpoint');
  put(d, 'url.path', endpoint);
  put(d, 'http.route', endpoint);
  put(d, 'http.request.method', r.str('method')?.toUpperCase());
  const status = r.num('status_code');
  if (status !== undefined) put(d, 'http.response.status_code', status);
  mapLocation(r, d);
  if (kind !== undefined) mapSeedKind(kind, r, d, defaultCurrency);
  const metadata = r.raw('metadata');
  if (isObject(metadata)) {
    for (const [k, v] of Object.entries(metadata)) {
      if (v !== undefined && v !== null) put(d, `labels.${k.replace(/\./g, '_')}`, labelValue(v));
    }
  } else if (metadata !== undefined) put(d, 'labels.metadata', labelValue(metadata));
  // Whatever else the seed sent is kept as labels: nothing is lost in the mapping.
  for (const [k, v] of r.rest()) put(d, `labels.${k.replace(/\./g, '_')}`, labelValue(v));
  if (r.issues.length > 0 || kind === undefined) return { ok: false, issues: r.issues };
  const event = createEvent(kind, d as unknown as Parameters<typeof createEvent<typeof kind>>[1], { now });
  return withSeedHints(validate(event));
}

/** A W3C trace or span id (hex, any case, lower-cased); anything else is left for the labels. */
function w3cId(r: SeedReader, key: string, digits: number): string | undefined {
  const v = r.has(key) ? r.peek(key) : undefined;
  if (typeof v !== 'string' || v.length !== digits || !/^[0-9a-f]+$/i.test(v) || /^0+$/.test(v)) return undefined;
  return r.str(key)?.toLowerCase();
}

function mapLocation(r: SeedReader, d: Draft): void {
  const loc = r.raw('location');
  if (typeof loc === 'string') {
    const text = loc.trim();
    if (/^[A-Za-z]{2}$/.test(text)) put(d, 'client.geo.country_iso_code', text.toUpperCase());
    else put(d, 'client.geo.city_name', text);
  } else if (isObject(loc)) {
    const lat = Number(loc.lat ?? loc.latitude);
    const lon = Number(loc.lon ?? loc.lng ?? loc.longitude);
    if (Number.isFinite(lat) && Number.isFinite(lon)) put(d, 'client.geo.location', { lat, lon });
    const country = loc.country_iso_code ?? loc.country_code ?? loc.country;
    if (typeof country === 'string' && /^[A-Za-z]{2}$/.test(country))
      put(d, 'client.geo.country_iso_code', country.toUpperCase());
    const city = loc.city ?? loc.city_name;
    if (typeof city === 'string') put(d, 'client.geo.city_name', city);
  } else if (loc !== undefined)
    r.issue('location', 'must be a country code, a city name or { lat, lon, country, city }');
}

const SEED_FIELD: Record<string, string> = {
  'shop.payment.method': 'payment_method',
  'shop.merchant.id': 'merchant_id',
  'shop.transaction.id': 'transaction_id',
  'shop.order.id': 'order_id',
  'user.id': 'user_id',
  'service.name': 'service',
  'error.code': 'error_code',
  'error.type': 'error_type',
  'error.message': 'error_message',
  'error.stack_trace': 'stack_trace',
  'url.path': 'endpoint',
  'http.route': 'endpoint',
  'http.request.method': 'method',
  'http.response.status_code': 'status_code',
  'shop.session.id': 'session_id',
  'shop.page.name': 'page',
  'user_agent.original': 'user_agent',
  message: 'message',
  'client.ip': 'ip',
  'event.duration': 'response_time / duration_ms',
  'shop.product.id': 'product_id',
};

/** Names the seed field behind an envelope path in each issue, so the person fixing the source knows what to change. */
function withSeedHints(result: ValidationResult): ValidationResult {
  if (result.ok) return result;
  const issues: ValidationIssue[] = result.issues.map((i) => {
    const seed = SEED_FIELD[i.path];
    return seed ? { path: i.path, message: `${i.message} (seed field ${seed})` } : i;
  });
  return { ok: false, issues };
}

/** A normaliser with its options parsed once (the server's ingest and the pipeline keep one). */
export type Normalizer = (input: unknown) => ValidationResult;

/** Creates a normaliser: `normalize()` with fixed options, parsed once. */
export function createNormalizer(options: NormalizeOptions = {}): Normalizer {
  const opts = parseOptions('createNormalizer', OptionsSchema, options);
  const now = opts.now ?? Date.now;
  const defaultCurrency = opts.defaultCurrency ?? 'USD';
  const reuse = opts.reuseInput ?? false;
  const check = opts.limits === false ? undefined : createJsonLimitCheck(opts.limits as JsonLimits | undefined);
  return (input) => {
    const exceeded = check?.(input);
    if (exceeded) return { ok: false, issues: [exceeded] };
    if (!isObject(input)) return validate(input);
    if (isObject(input.event) && typeof input.event.dataset === 'string') {
      const filled = fillEnvelope(input, now);
      // A filled envelope is a changed one (and a copy sharing the input's objects): validated into a copy.
      return reuse && filled === input ? validateOwned(input) : validate(filled);
    }
    if (typeof input.type === 'string' && isObject(input.data)) {
      const { type, data, ...rest } = input;
      return fromSeed({ ...rest, ...data, log_type: data.log_type ?? type }, now, defaultCurrency);
    }
    return fromSeed(input, now, defaultCurrency);
  };
}

const defaultNormalizer = createNormalizer();

/**
 * Maps an input to the Shoplog envelope and validates it (never throws on bad data). An envelope passes through
 * (a missing `event.id` gets a fresh UUIDv7, a missing `@timestamp` the current time, a missing `log.level`
 * `info`). The seed platform's shapes are mapped field by field (table in the package README): `{ type, data }`
 * from its README, flat documents with `log_type`, `level`, `amount`, `response_time`, `fraud_score`, …, and CSV
 * rows. With options, prefer `createNormalizer(options)` once over calling this per event.
 */
export function normalize(input: unknown, options?: NormalizeOptions): ValidationResult {
  return (options ? createNormalizer(options) : defaultNormalizer)(input);
}
