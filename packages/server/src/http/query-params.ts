import { FIELD_CATALOG, parseTimestamp, type FieldSpec } from '@shoplog/core';
import type { LogFilter, SortField, TimeRange } from '../ports.js';
import { HttpError } from './errors.js';

/** Query-string values as Fastify gives them (or as a route's schema left them: only strings are read). */
export type Query = Readonly<Record<string, unknown>>;

const SORT_FIELDS = [
  '@timestamp',
  ...(FIELD_CATALOG as readonly FieldSpec[]).flatMap((f) => (f.sort ? [f.sort] : [])),
] as readonly SortField[];
const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** First value of a query parameter. */
export function param(query: Query, ...names: string[]): string | undefined {
  for (const name of names) {
    const value = query[name];
    const first: unknown = Array.isArray(value) ? value[0] : value;
    if (typeof first === 'string' && first !== '') return first;
  }
  return undefined;
}

/** Bounds of a numeric query parameter: `clamp` pulls a value outside min..max into it (the seed's paging rules) instead of a 400. */
export interface NumberParam {
  fallback: number;
  min: number;
  max: number;
  clamp?: boolean;
  /** Whether a fraction is accepted. @default false */
  fraction?: boolean;
}

/** The number `raw` stands for within `bounds`, or what is wrong with it (a sentence after the parameter's name). */
export function readNumber(raw: string, bounds: NumberParam): number | { problem: string } {
  const n = raw.trim() === '' ? NaN : Number(raw);
  const kind = bounds.fraction ? 'a number' : 'an integer';
  if (!Number.isFinite(n) || (!bounds.fraction && !Number.isInteger(n)))
    return { problem: `must be ${kind}, got ${JSON.stringify(raw.slice(0, 40))}` };
  if (n >= bounds.min && n <= bounds.max) return n;
  if (bounds.clamp) return Math.min(bounds.max, Math.max(bounds.min, n));
  return { problem: `must be ${kind} from ${bounds.min} to ${bounds.max}` };
}

/**
 * A numeric query parameter (the first of `names` given): `fallback` when absent; a 400 naming it when it is not a
 * number (an integer unless `fraction`), or outside `min..max` unless `clamp`. Every value reaching a store is then
 * a number the store can take (`page=2e18` made an offset SQLite refused).
 */
export function numberParam(query: Query, names: string | readonly string[], bounds: NumberParam): number {
  const list = typeof names === 'string' ? [names] : names;
  const name = list.find((n) => param(query, n) !== undefined) ?? list[0] ?? '';
  const raw = param(query, ...list);
  if (raw === undefined) return bounds.fallback;
  const read = readNumber(raw, bounds);
  if (typeof read === 'number') return read;
  throw new HttpError(400, 'bad_request', `invalid ${name}`, [{ path: name, message: read.problem }]);
}

/** Deepest page of `page=` (an offset past it is a cursor's job: `next_cursor`). */
export const MAX_PAGE = 100_000;

const csv = (value: string | undefined): string[] =>
  value
    ? value
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean)
    : [];

/** Duration in ms of `1h`, `24h`, `7d`, `30d`, `15m`, ...; `undefined` when not such a value. */
export function parseDuration(value: string | undefined): number | undefined {
  const match = value ? /^(\d{1,5})([mhd])$/.exec(value.trim()) : null;
  return match ? Number(match[1]) * (UNITS[match[2] ?? 'h'] ?? 0) : undefined;
}

/** The time window of `range=` or `from=`/`to=` (also the seed's `date_from`/`date_to`, `start_date`/`end_date`). */
export function parseRange(query: Query, now: number, fallback = '24h'): { label: string; range: Partial<TimeRange> } {
  const fromRaw = param(query, 'from', 'date_from', 'start_date');
  const toRaw = param(query, 'to', 'date_to', 'end_date');
  if (fromRaw !== undefined || toRaw !== undefined) {
    const from = fromRaw === undefined ? undefined : parseTimestamp(fromRaw);
    const to = toRaw === undefined ? undefined : parseTimestamp(toRaw);
    const issues = [
      ...(fromRaw !== undefined && from === undefined
        ? [{ path: 'from', message: 'must be ISO 8601 or YYYY-MM-DD[ HH:MM:SS]' }]
        : []),
      ...(toRaw !== undefined && to === undefined
        ? [{ path: 'to', message: 'must be ISO 8601 or YYYY-MM-DD[ HH:MM:SS]' }]
        : []),
    ];
    if (issues.length > 0) throw new HttpError(400, 'bad_request', 'invalid date', issues);
    // A bare date as the upper bound means the whole day.
    const toEnd =
      to !== undefined && toRaw !== undefined && /^\d{4}-\d{2}-\d{2}$/.test(toRaw.trim()) ? to + 86_400_000 : to;
    return {
      label: 'custom',
      range: { ...(from !== undefined ? { from } : {}), ...(toEnd !== undefined ? { to: toEnd } : {}) },
    };
  }
  const label = param(query, 'range', 'time_range') ?? fallback;
  if (label === 'all') return { label, range: {} };
  const ms = parseDuration(label);
  if (ms === undefined)
    throw new HttpError(400, 'bad_request', 'invalid range', [
      { path: 'range', message: 'must be like 1h, 24h, 7d, 30d or all' },
    ]);
  return { label, range: { from: now - ms, to: now + 1 } };
}

/** The time window of an analytics request (default 24h) with the resolved bounds. */
export function windowOf(query: Query, now: number): { label: string; range: TimeRange } {
  const { label, range } = parseRange(query, now);
  return { label, range: { from: range.from ?? 0, to: range.to ?? now + 1 } };
}

/** Free text with the seed's rules: `<script>` blocks stripped, capped at 500 characters. */
export function cleanText(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  const text = raw
    .replace(/<script\b[^>]*>[\s\S]*?<\/script\s*>/gi, '')
    .replace(/<\/?script\b[^>]*>/gi, '')
    .trim()
    .slice(0, 500);
  return text === '' ? undefined : text;
}

const FIELDS: readonly FieldSpec[] = FIELD_CATALOG;

/** The catalog's `in` filters read from query parameters, grouped by parameter (two fields may share one). */
const PARAM_GROUPS = (() => {
  const groups = new Map<
    string,
    { names: readonly string[]; fields: { spec: FieldSpec; key: string; pattern?: RegExp }[] }
  >();
  for (const spec of FIELDS) {
    if (!spec.filter || !Array.isArray(spec.params)) continue;
    const names = spec.params as readonly string[];
    const group = groups.get(names.join(',')) ?? { names, fields: [] };
    group.fields.push({ spec, key: spec.filter, ...(spec.pattern ? { pattern: new RegExp(spec.pattern) } : {}) });
    groups.set(names.join(','), group);
  }
  return [...groups.values()];
})();
/** The catalog's `range` filters read from query parameters. */
const RANGE_PARAMS = FIELDS.flatMap((spec) => {
  if (!spec.range || !spec.params || Array.isArray(spec.params)) return [];
  const params = spec.params as { min?: string; max?: string };
  return [
    ...(params.min && spec.range.min ? [{ name: params.min, key: spec.range.min }] : []),
    ...(params.max && spec.range.max ? [{ name: params.max, key: spec.range.max }] : []),
  ];
});

/** A query value as `spec` takes it (an alias resolved), or `undefined` when the field does not take it. */
function acceptValue(spec: FieldSpec, pattern: RegExp | undefined, raw: string): string | undefined {
  if (pattern && !pattern.test(raw)) return undefined;
  if (spec.aliases) return spec.aliases[raw.toLowerCase()];
  if (spec.values && !spec.values.includes(raw)) return undefined;
  return raw;
}

/** The filters shared by search, fields, histogram, tail and alert rules: the time range, `q=` and the catalog's filters. */
export function parseFilter(
  query: Query,
  now: number,
  fallbackRange = '24h',
): { filter: LogFilter; echo: Record<string, unknown>; rangeLabel: string } {
  const { label, range } = parseRange(query, now, fallbackRange);
  const filter: Record<string, unknown> = { range };
  const echo: Record<string, unknown> = {
    range: label,
    ...(range.from !== undefined ? { from: new Date(range.from).toISOString() } : {}),
    ...(range.to !== undefined ? { to: new Date(range.to).toISOString() } : {}),
  };
  const text = cleanText(param(query, 'q', 'query'));
  if (text) filter['text'] = text;
  for (const { names, fields } of PARAM_GROUPS) {
    const raw = csv(param(query, ...names));
    const echoed: string[] = [];
    for (const { spec, key, pattern } of fields) {
      let values = raw.flatMap((value) => acceptValue(spec, pattern, value) ?? []);
      if (spec.aliases) values = [...new Set(values)];
      if (values.length === 0) continue;
      filter[key] = spec.type === 'keyword' ? values : values.map(Number);
      if (fields.length === 1) echoed.push(...values);
    }
    // A shared parameter echoes the values as given; one field's, the values it took.
    const shown =
      fields.length === 1
        ? echoed
        : raw.filter((value) => fields.some((f) => acceptValue(f.spec, f.pattern, value) !== undefined));
    if (shown.length > 0) echo[names[0] ?? ''] = shown;
  }
  for (const { name, key } of RANGE_PARAMS) {
    if (param(query, name) === undefined) continue;
    const value = numberParam(query, name, {
      fallback: 0,
      min: -Number.MAX_VALUE,
      max: Number.MAX_VALUE,
      fraction: true,
    });
    filter[key] = value;
    echo[name] = value;
  }
  return { filter: filter as LogFilter, echo, rangeLabel: label };
}

/**
 * Paging and sort with the seed's rules: size clamped to 1..1000, page < 1 → 1 (page over `MAX_PAGE`: 400), unknown
 * sort field → @timestamp; a size or page that is not an integer is a 400.
 */
export function parsePaging(query: Query): {
  page: number;
  size: number;
  sort: { field: SortField; order: 'asc' | 'desc' };
} {
  const size = numberParam(query, ['size', 'limit'], { fallback: 20, min: 1, max: 1000, clamp: true });
  const page = Math.max(1, numberParam(query, 'page', { fallback: 1, min: Number.MIN_SAFE_INTEGER, max: MAX_PAGE }));
  const rawField = param(query, 'sort_field', 'sort');
  const field = SORT_FIELDS.find((f) => f === rawField) ?? '@timestamp';
  const order = param(query, 'sort_order', 'order')?.toLowerCase() === 'asc' ? 'asc' : 'desc';
  return { page, size, sort: { field, order } };
}
