import { ES_BULK_ACTIONS, EVENT_KINDS, EsBulkActionLineSchema, type EsBulkAction, type EventKind } from '@shoplog/core';
import { contentId } from './content-id.js';

/** The action of one Elasticsearch bulk operation. */
export type BulkAction = EsBulkAction;

/** One operation of an Elasticsearch bulk body: its action line and, for all but `delete`, its document line. */
export interface BulkOperation {
  action: BulkAction;
  /** `_index` of the action, else the index of the URL (`/<index>/_bulk`). */
  index: string | undefined;
  /** `_id` of the action (numbers as strings). */
  id: string | undefined;
  /** The document line (raw text), absent for `delete`. */
  source?: string;
}

/** A bulk body that cannot be split into operations: answered 400 as a whole, as Elasticsearch does. */
export class BulkSyntaxError extends Error {
  /** Creates the error for `line` (1-based). */
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
    this.name = 'BulkSyntaxError';
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Splits an Elasticsearch bulk body into operations: an action line (`{"index"|"create"|"update"|"delete": {…}}`),
 * then the document line except for `delete`. Blank lines are skipped. Keys beside the action are ignored
 * (winston-elasticsearch sends its retry count there); `"op_type": "create"` in an `index` action makes it a create.
 * A line that is not an action where one is due, or an action without its document, throws `BulkSyntaxError`:
 * after it, which line is a document could only be guessed.
 */
export function parseBulkBody(text: string, pathIndex?: string): BulkOperation[] {
  const lines = text.split('\n');
  const operations: BulkOperation[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line.trim() === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (error) {
      throw new BulkSyntaxError(i + 1, `an action line must be JSON (${(error as Error).message})`);
    }
    // The action line's schema is core's (EsBulkActionLineSchema): the first action key present is the action.
    const actionLine = isObject(parsed) ? EsBulkActionLineSchema.safeParse(parsed) : undefined;
    const data = actionLine?.success ? actionLine.data : undefined;
    const action = data
      ? (Object.keys(data).find((key) => (ES_BULK_ACTIONS as readonly string[]).includes(key)) as
          EsBulkAction | undefined)
      : undefined;
    const meta = action && data ? data[action] : undefined;
    if (!action || !meta) {
      throw new BulkSyntaxError(
        i + 1,
        'expected an action line: {"index"|"create"|"update"|"delete": {"_index": …, "_id": …}}',
      );
    }
    const rawId = meta._id;
    const op: BulkOperation = {
      action: action === 'index' && meta.op_type === 'create' ? 'create' : (action as BulkAction),
      index: meta._index !== undefined && meta._index !== '' ? meta._index : pathIndex,
      id: rawId !== undefined && rawId !== '' ? rawId : undefined,
    };
    if (action !== 'delete') {
      let next = i + 1;
      while (next < lines.length && (lines[next] ?? '').trim() === '') next++;
      if (next >= lines.length) throw new BulkSyntaxError(i + 1, `the ${action} action has no document line after it`);
      op.source = lines[next];
      i = next;
    }
    operations.push(op);
  }
  return operations;
}

const INDEX_KIND = new RegExp(`^logs-shoplog\\.(${EVENT_KINDS.join('|')})(?:-.*)?$`);

/**
 * The event kind an index or data stream name stands for: `logs-shoplog.<kind>-<namespace>` (the data streams of
 * Shoplog's Elasticsearch store), e.g. `logs-shoplog.error-default` → `error`. Any other name: `undefined`.
 */
export function kindOfIndex(index: string | undefined): EventKind | undefined {
  const kind = index === undefined ? undefined : INDEX_KIND.exec(index)?.[1];
  return kind as EventKind | undefined;
}

const EVENT_ID = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9A-HJKMNP-TV-Z]{26})$/i;

/** `event.id` for a bulk `_id`: the id itself when it is a UUID or ULID, else a UUID derived from it (same `_id`, same event). */
export function eventIdOf(id: string): string {
  return EVENT_ID.test(id) ? id : contentId({ _id: id });
}

// Keys the seed mapping reads as objects (and winston-elasticsearch's `fields`, read as `metadata`): never flattened.
const KEEP_NESTED = new Set(['metadata', 'location', 'data', 'fields']);
const MAX_DEPTH = 4;

/** Nested plain objects become dotted leaves (`host: { name }` → `host.name`), so each leaf becomes its own label. */
function flatten(doc: Record<string, unknown>): [path: string, value: unknown][] {
  const out: [string, unknown][] = [];
  const walk = (value: Record<string, unknown>, prefix: string, depth: number): void => {
    for (const key in value) {
      if (!Object.hasOwn(value, key)) continue;
      const v = value[key];
      const path = prefix ? `${prefix}.${key}` : key;
      if (isObject(v) && depth < MAX_DEPTH && !(depth === 0 && KEEP_NESTED.has(key))) walk(v, path, depth + 1);
      else if (v !== undefined && v !== null) out.push([path, v]);
    }
  };
  walk(doc, '', 0);
  return out;
}

/**
 * Field names of shippers and ECS → the seed field `normalize()` maps, used only when the document has no such
 * seed field itself (of two candidates of one seed field, the earlier listed wins): pino's `msg`/`time`/`err`,
 * winston-elasticsearch's `severity` and `fields`, Fluent Bit's `log` (a string), ECS.
 */
const ALIASES: [seed: string, candidates: string[]][] = [
  ['message', ['msg', 'log']],
  ['timestamp', ['time']],
  ['level', ['log.level', 'severity']],
  ['service', ['service.name']],
  ['event_id', ['event.id']],
  ['trace_id', ['trace.id']],
  ['span_id', ['span.id']],
  ['user_id', ['user.id']],
  ['email', ['user.email']],
  ['ip', ['client.ip']],
  ['user_agent', ['user_agent.original']],
  ['endpoint', ['url.path']],
  ['method', ['http.request.method']],
  ['status_code', ['http.response.status_code']],
  ['error_type', ['error.type', 'err.type']],
  ['error_message', ['error.message', 'err.message']],
  ['stack_trace', ['error.stack_trace', 'err.stack']],
  ['metadata', ['fields']],
];
/** candidate → its seed field and the candidates listed before it for that field. */
const ALIAS_OF = new Map(
  ALIASES.flatMap(([seed, candidates]) =>
    candidates.map((c, i) => [c, { seed, before: candidates.slice(0, i) }] as const),
  ),
);

/** A shipper's document as the flat shape `normalize()` maps (seed field names); the rest become labels there. */
function toSeedShape(doc: Record<string, unknown>): Record<string, unknown> {
  const leaves = flatten(doc);
  const present = new Set<string>();
  for (const [path, value] of leaves) if (path !== 'log' || typeof value === 'string') present.add(path);
  const out: Record<string, unknown> = {};
  for (const [path, value] of leaves) {
    const alias = ALIAS_OF.get(path);
    let key = path;
    if (alias && present.has(path) && !present.has(alias.seed) && !alias.before.some((c) => present.has(c)))
      key = alias.seed;
    // pino-elasticsearch sends `time` and, for `create`, `@timestamp` too: `@timestamp` wins, the copy is no label.
    else if (path === 'time' && present.has('@timestamp')) continue;
    // defineProperty: a `__proto__` key of the document stays data, never the prototype of the copy.
    if (key === '__proto__')
      Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
    else out[key] = value;
  }
  return out;
}

const ERROR_DETAILS = ['error_message', 'error_type', 'stack_trace', 'error_code'] as const;

/**
 * The input to ingest for one bulk document: a Shoplog envelope (`event.dataset` `shoplog.*`) as sent, with `_id`
 * as its `event.id`; anything else in the flat shape `normalize()` maps (see `toSeedShape`), with `_id` as its
 * `event_id`. Its kind is its own `log_type` (or `type`), else the index's (`kindOfIndex`), else `error` when it
 * carries error details (`error.*`, pino's `err`) and `log` otherwise: a shipped log line with an `amount` field is
 * not guessed into a transaction. Never throws.
 */
export function bulkDocumentInput(doc: unknown, op: BulkOperation): unknown {
  if (!isObject(doc)) return doc;
  const id = op.id === undefined ? undefined : eventIdOf(op.id);
  const event = doc.event;
  if (isObject(event) && typeof event.dataset === 'string' && event.dataset.startsWith('shoplog.')) {
    return id === undefined || event.id === id ? doc : { ...doc, event: { ...event, id } };
  }
  if (typeof doc.type === 'string' && isObject(doc.data)) {
    // The seed README's `{ type, data }`: normalised as it is.
    return id === undefined ? doc : { ...doc, data: { ...doc.data, event_id: id } };
  }
  const seed = toSeedShape(doc);
  if (id !== undefined) seed.event_id = id;
  if (seed.log_type === undefined && typeof seed.type !== 'string') {
    seed.log_type =
      kindOfIndex(op.index) ??
      (ERROR_DETAILS.some((key) => seed[key] !== undefined && seed[key] !== null) ? 'error' : 'log');
  }
  return seed;
}
