import { createJsonLimitCheck, DATASETS, type LogLevel } from '@shoplog/core';
import { contentId } from './content-id.js';

/** An OTLP request whose structure is not `ExportLogsServiceRequest` (answered 400 as a whole). */
export class OtlpShapeError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = 'OtlpShapeError';
  }
}

/** The log records of one request as inputs to ingest, and those that could not even be read as records. */
export interface OtlpInputs {
  inputs: Record<string, unknown>[];
  /** One message per record that is not an object (counted as rejected). */
  unreadable: string[];
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

// The mapping recurses into nested values and serialises records (their content id, labels): a record or resource
// nested deeper than this is unreadable, alone. What it maps to then meets the ingest limits (`maxEventDepth`).
const tooDeep = createJsonLimitCheck({ maxDepth: 1000 });

/** OTLP `SeverityNumber` ranges (1–4 TRACE … 21–24 FATAL) to `log.level`. */
const SEVERITY: LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];
const SEVERITY_TEXT: Record<string, LogLevel> = {
  trace: 'trace',
  debug: 'debug',
  info: 'info',
  warn: 'warn',
  warning: 'warn',
  error: 'error',
  fatal: 'fatal',
  critical: 'fatal',
};

function levelOf(severityNumber: unknown, severityText: unknown): LogLevel {
  const n = typeof severityNumber === 'number' ? severityNumber : Number(severityNumber);
  if (Number.isInteger(n) && n >= 1 && n <= 24) return SEVERITY[Math.floor((n - 1) / 4)] ?? 'info';
  const text = typeof severityText === 'string' ? severityText.toLowerCase().replace(/\d+$/, '') : '';
  return SEVERITY_TEXT[text] ?? 'info';
}

/** An OTLP `AnyValue` (JSON encoding) as a plain value. */
function anyValue(value: unknown): unknown {
  if (!isObject(value)) return undefined;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.bytesValue !== undefined) return value.bytesValue;
  if (isObject(value.arrayValue))
    return Array.isArray(value.arrayValue.values) ? value.arrayValue.values.map(anyValue) : [];
  if (isObject(value.kvlistValue)) return Object.fromEntries(attributes(value.kvlistValue.values));
  return undefined;
}

/** `KeyValue` list → `[key, value]` pairs (entries without a key are skipped). */
function attributes(list: unknown): [string, unknown][] {
  if (!Array.isArray(list)) return [];
  const out: [string, unknown][] = [];
  for (const kv of list) {
    if (isObject(kv) && typeof kv.key === 'string' && kv.key !== '') out.push([kv.key, anyValue(kv.value)]);
  }
  return out;
}

const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const labelValue = (v: unknown): string => (typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v)));

/** Unix nanoseconds (decimal string or number) → ISO 8601 with milliseconds; `undefined` for 0, absent or bad. */
function isoFromNanos(nanos: unknown): string | undefined {
  if (typeof nanos !== 'string' && typeof nanos !== 'number') return undefined;
  const digits = String(nanos);
  if (!/^\d+$/.test(digits)) return undefined;
  const ms = Number(BigInt(digits) / 1_000_000n);
  return ms > 0 && ms < 253_402_300_800_000 ? new Date(ms).toISOString() : undefined;
}

const hexId = (v: unknown, digits: number): string | undefined =>
  typeof v === 'string' && v.length === digits && /^[0-9a-fA-F]+$/.test(v) && !/^0+$/.test(v)
    ? v.toLowerCase()
    : undefined;

const EVENT_ID = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9A-HJKMNP-TV-Z]{26})$/i;

/**
 * Semantic-convention attributes with an ECS home in the envelope (dotted path, and whether the value must be an
 * HTTP status); every other attribute becomes a label.
 */
const ATTRIBUTE_FIELDS: Record<string, string> = {
  'http.request.method': 'http.request.method',
  'http.response.status_code': 'http.response.status_code',
  'http.route': 'http.route',
  'url.path': 'url.path',
  'url.full': 'url.full',
  'user.id': 'user.id',
  'enduser.id': 'user.id',
  'client.address': 'client.ip',
  'user_agent.original': 'user_agent.original',
  'exception.type': 'error.type',
  'exception.message': 'error.message',
  'exception.stacktrace': 'error.stack_trace',
};

function put(target: Json, path: string, value: unknown): void {
  const keys = path.split('.');
  let at = target;
  for (let i = 0; i < keys.length - 1; i++) {
    const key = keys[i] as string;
    if (!isObject(at[key])) at[key] = {};
    at = at[key] as Json;
  }
  at[keys[keys.length - 1] as string] = value;
}

interface Context {
  service: Json;
  host: string | undefined;
  logger: string | undefined;
  now: string;
}

/** One OTLP log record (JSON encoding) as a Shoplog envelope (validated later by the ingest path). */
function recordInput(record: Json, ctx: Context, position: string): Record<string, unknown> {
  const level = levelOf(record.severityNumber, record.severityText);
  const body = anyValue(record.body);
  const event: Json = { dataset: level === 'error' || level === 'fatal' ? DATASETS.error : DATASETS.log };
  const out: Json = {
    '@timestamp': isoFromNanos(record.timeUnixNano) ?? isoFromNanos(record.observedTimeUnixNano) ?? ctx.now,
    event,
    log: ctx.logger ? { level, logger: ctx.logger } : { level },
  };
  const message = body === undefined || body === '' ? text(record.eventName) : labelValue(body);
  if (message !== undefined) out.message = message;
  if (Object.keys(ctx.service).length > 0) out.service = ctx.service;
  if (ctx.host) out.host = { name: ctx.host };
  const severity = Number(record.severityNumber);
  if (Number.isInteger(severity) && severity > 0) event.severity = severity;
  const trace = hexId(record.traceId, 32);
  const span = hexId(record.spanId, 16);
  if (trace) out.trace = { id: trace };
  if (span) out.span = { id: span };
  const labels: Record<string, string> = {};
  for (const [key, value] of attributes(record.attributes)) {
    const field = ATTRIBUTE_FIELDS[key];
    const status = field === 'http.response.status_code' ? Number(value) : undefined;
    if (key === 'log.record.uid' && typeof value === 'string' && EVENT_ID.test(value)) event.id = value;
    else if (
      field &&
      (status === undefined ? typeof value === 'string' : Number.isInteger(status) && status >= 100 && status <= 599)
    )
      put(out, field, status ?? value);
    else if (value !== undefined && value !== null) labels[key.replace(/\./g, '_')] = labelValue(value);
  }
  if (event.dataset === DATASETS.error) {
    const error = (out.error ?? {}) as Json;
    if (error.message === undefined && error.type === undefined && message !== undefined) error.message = message;
    out.error = error;
    out.shop = { error: { kind: 'exception' } };
  }
  if (Object.keys(labels).length > 0) out.labels = labels;
  // The exporter re-sends the same request on a retry: the record's content and place in it make a stable id, so a
  // retried record is a duplicate while two identical records of one request stay two events.
  event.id ??= contentId({ record, service: ctx.service, position });
  return out;
}

/**
 * Maps an `ExportLogsServiceRequest` in its JSON encoding (what `decodeLogsRequest` also returns) to Shoplog
 * envelopes: severity → `log.level` (ERROR and FATAL records are `shoplog.error` events), body → `message`,
 * resource `service.name` / `service.version` / `deployment.environment(.name)` → `service.*`, `host.name` →
 * `host.name`, scope name → `log.logger`, trace and span ids → `trace.id` / `span.id`, semantic-convention
 * attributes → their ECS fields (`ATTRIBUTE_FIELDS`), other attributes → `labels` (dots as `_`). Other resource
 * attributes are not stored. Throws `OtlpShapeError` when the request is not shaped as one.
 */
export function otlpLogInputs(request: unknown, now: string = new Date().toISOString()): OtlpInputs {
  if (!isObject(request)) throw new OtlpShapeError('the body must be an ExportLogsServiceRequest object');
  const resourceLogs = request.resourceLogs ?? [];
  if (!Array.isArray(resourceLogs)) throw new OtlpShapeError('resourceLogs must be an array');
  const inputs: Record<string, unknown>[] = [];
  const unreadable: string[] = [];
  resourceLogs.forEach((rl: unknown, r) => {
    if (!isObject(rl)) return unreadable.push(`resourceLogs[${r}]: must be an object`);
    const deepResource = tooDeep(rl.resource);
    if (deepResource)
      return unreadable.push(`resourceLogs[${r}].resource: ${deepResource.path}: ${deepResource.message}`);
    const resource = new Map(attributes(isObject(rl.resource) ? rl.resource.attributes : undefined));
    const service: Json = {};
    const name = text(resource.get('service.name'));
    const version = text(resource.get('service.version'));
    const environment =
      text(resource.get('deployment.environment.name')) ?? text(resource.get('deployment.environment'));
    if (name) service.name = name;
    if (version) service.version = version;
    if (environment) service.environment = environment;
    const scopeLogs = Array.isArray(rl.scopeLogs) ? rl.scopeLogs : [];
    scopeLogs.forEach((sl: unknown, s) => {
      if (!isObject(sl)) return unreadable.push(`resourceLogs[${r}].scopeLogs[${s}]: must be an object`);
      const ctx: Context = {
        service,
        host: text(resource.get('host.name')),
        logger: isObject(sl.scope) ? text(sl.scope.name) : undefined,
        now,
      };
      const records = Array.isArray(sl.logRecords) ? sl.logRecords : [];
      records.forEach((record: unknown, i) => {
        const position = `${r}.${s}.${i}`;
        const where = `resourceLogs[${r}].scopeLogs[${s}].logRecords[${i}]`;
        const deep = isObject(record) ? tooDeep(record) : undefined;
        if (deep) unreadable.push(`${where}: ${deep.path}: ${deep.message}`);
        else if (isObject(record)) inputs.push(recordInput(record, ctx, position));
        else unreadable.push(`${where}: must be an object`);
      });
    });
  });
  return { inputs, unreadable };
}
