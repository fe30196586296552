import { DATASETS, isoTime, isoTimeOfText, msToNs, uuidv7, type LogLevel } from '@shoplog/core';

/** A log record as a logger hands it over (a pino line parsed, or a winston info object). */
export type LogRecord = Record<string, unknown>;

/** Turns a log record into a Shoplog envelope, or `undefined` when the record is not an event of any kind. */
export type RecordMapper = (record: LogRecord) => Record<string, unknown> | undefined;

const PINO_LEVELS: Record<number, LogLevel> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};
const NAMED_LEVELS: Record<string, LogLevel> = {
  trace: 'trace',
  silly: 'trace',
  debug: 'debug',
  verbose: 'debug',
  http: 'info',
  info: 'info',
  notice: 'info',
  warn: 'warn',
  warning: 'warn',
  error: 'error',
  crit: 'fatal',
  alert: 'fatal',
  emerg: 'fatal',
  fatal: 'fatal',
};
const SEVERITY: Record<LogLevel, number> = { trace: 0, debug: 1, info: 2, warn: 3, error: 4, fatal: 5 };

/** Fields `mapRecord` reads into the event's own fields, beside level, time and message (a plain pino line has none). */
export const MAPPED_FIELDS = [
  'timestamp',
  'message',
  'err',
  'error',
  'stack',
  'req',
  'res',
  'responseTime',
  'splat',
  'service',
] as const;

/** Logger bookkeeping fields that are not event data. */
const LOGGER_FIELDS = new Set<string>(['level', 'time', 'msg', 'pid', 'hostname', 'v', ...MAPPED_FIELDS]);

/** The Shoplog level of a pino level number or a winston / syslog level name. */
export function toLevel(level: unknown): LogLevel {
  if (typeof level === 'number') {
    return (
      PINO_LEVELS[level] ??
      (level >= 60
        ? 'fatal'
        : level >= 50
          ? 'error'
          : level >= 40
            ? 'warn'
            : level >= 30
              ? 'info'
              : level >= 20
                ? 'debug'
                : 'trace')
    );
  }
  return (typeof level === 'string' && NAMED_LEVELS[level.toLowerCase()]) || 'info';
}

function timestamp(record: LogRecord): string {
  const t = record.time ?? record.timestamp ?? record['@timestamp'];
  if (typeof t === 'number') return isoTime(t);
  if (typeof t === 'string') {
    const iso = isoTimeOfText(t);
    if (iso !== undefined) return iso;
  }
  return isoTime(Date.now());
}

function errorOf(record: LogRecord): { type?: string; message?: string; stack_trace?: string } | undefined {
  const err = (record.err ?? record.error) as
    { type?: unknown; name?: unknown; message?: unknown; stack?: unknown } | undefined;
  if (err && typeof err === 'object') {
    const out: { type?: string; message?: string; stack_trace?: string } = {};
    const type = err.type ?? err.name;
    if (typeof type === 'string') out.type = type;
    if (typeof err.message === 'string') out.message = err.message;
    if (typeof err.stack === 'string') out.stack_trace = err.stack;
    return out;
  }
  if (typeof record.stack === 'string') {
    // winston's `format.errors({ stack: true })` puts the error on the info object itself.
    return { type: 'Error', message: String(record.message ?? ''), stack_trace: record.stack };
  }
  return undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
}

/** Remaining fields (bindings, merged objects) become `labels`, so nothing the app logged is lost. */
function labelsOf(record: LogRecord): Record<string, string> | undefined {
  let labels: Record<string, string> | undefined;
  for (const key of Object.keys(record)) {
    if (LOGGER_FIELDS.has(key)) continue;
    const v = record[key];
    if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
    labels ??= {};
    // For a finite number `String` gives what `JSON.stringify` gives, at a fraction of the cost.
    labels[key] =
      typeof v === 'string' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : JSON.stringify(v);
  }
  return labels;
}

/** Fields of a pino-http `req`/`res` pair (or any record shaped like it) in ECS. */
function httpOf(record: LogRecord) {
  const req = record.req as
    | { id?: unknown; method?: unknown; url?: unknown; headers?: Record<string, unknown>; remoteAddress?: unknown }
    | undefined;
  const res = record.res as { statusCode?: unknown } | undefined;
  if (!req && !res) return undefined;
  const status = typeof res?.statusCode === 'number' ? res.statusCode : undefined;
  const url = str(req?.url);
  const q = url?.indexOf('?') ?? -1;
  return {
    status,
    fields: {
      http: {
        request: {
          ...(str(req?.id) ? { id: str(req?.id) } : {}),
          ...(str(req?.method) ? { method: str(req?.method) } : {}),
        },
        ...(status !== undefined ? { response: { status_code: status } } : {}),
      },
      ...(url ? { url: q >= 0 ? { path: url.slice(0, q), query: url.slice(q + 1) } : { path: url } } : {}),
      ...(str(req?.remoteAddress) ? { client: { ip: str(req?.remoteAddress) } } : {}),
      ...(str(req?.headers?.['user-agent']) ? { user_agent: { original: str(req?.headers?.['user-agent']) } } : {}),
    },
  };
}

/**
 * The default mapping of a log record:
 * - a record that carries a Shoplog event (`event.dataset` is a Shoplog dataset, e.g. from the core builders)
 *   is that event, minus the logger's bookkeeping fields, at the level it was logged at;
 * - a plain line with an error (`err`, `error`, winston `stack`) or at level error/fatal is an error event;
 * - a plain pino-http line (`req`/`res` with `responseTime`) is an HTTP performance event, or an error event for 5xx;
 * - any other plain line is an application log line (`shoplog.log`), its extra fields kept as `labels`.
 * A custom mapper may return `undefined` to skip a record (counted as `unmapped`).
 * A string `service` (pino `base`, winston `defaultMeta`) becomes `service.name`; other extra fields become `labels`.
 */
export const mapRecord: RecordMapper = (record) => {
  const ev = record.event as { dataset?: unknown } | undefined;
  if (ev && typeof ev.dataset === 'string' && ev.dataset.startsWith('shoplog.')) return typedEvent(record);
  const level = toLevel(record.level);
  const message = str(record.msg) ?? str(record.message);
  const base: Record<string, unknown> = {
    '@timestamp': timestamp(record),
    log: { level },
    ...(message ? { message } : {}),
  };
  const labels = labelsOf(record);
  if (labels) base.labels = labels;
  // `service: 'name'` (pino `base`, winston `defaultMeta`) is the ECS `service.name`.
  if (typeof record.service === 'string') base.service = { name: record.service };
  const http = httpOf(record);
  const err = errorOf(record);
  if (err || SEVERITY[level] >= SEVERITY.error || (http?.status ?? 0) >= 500) {
    const error = err ?? { message: message ?? `HTTP ${http?.status ?? ''}`.trim() };
    if (!error.message && !error.type) error.message = message ?? 'error';
    const kind = http ? 'http' : 'exception';
    return {
      ...base,
      ...http?.fields,
      event: { id: uuidv7(), dataset: DATASETS.error, kind: 'event', category: ['web'], type: ['error'] },
      error,
      shop: { error: { kind } },
    };
  }
  const ms = typeof record.responseTime === 'number' ? record.responseTime : undefined;
  if (http && ms !== undefined) {
    return {
      ...base,
      ...http.fields,
      event: {
        id: uuidv7(),
        dataset: DATASETS.performance,
        kind: 'metric',
        category: ['web'],
        type: ['info'],
        duration: msToNs(ms),
      },
      shop: { performance: { kind: 'http' } },
    };
  }
  // Any other line is a plain application log: shipped as `shoplog.log`, never dropped. `base` is ours: filled in
  // place (same keys, same order as a spread copy would give, without the copy).
  base.message = message || '(no message)';
  base.event = { id: uuidv7(), dataset: DATASETS.log, kind: 'event', category: ['process'], type: ['info'] };
  return base;
};

function typedEvent(record: LogRecord): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(record)) {
    // Keep the event's own `message`; drop what the logger added around it.
    if (
      key === 'level' ||
      key === 'time' ||
      key === 'pid' ||
      key === 'hostname' ||
      key === 'v' ||
      key === 'msg' ||
      key === 'timestamp'
    )
      continue;
    out[key] = record[key];
  }
  if (out.message === undefined && typeof record.msg === 'string') out.message = record.msg;
  if (typeof out.service === 'string') out.service = { name: out.service };
  // The level the app logged at (`logger.warn(event)`) wins over the builder's content-based default.
  if (record.level !== undefined)
    out.log = { ...(out.log as Record<string, unknown> | undefined), level: toLevel(record.level) };
  return out;
}
