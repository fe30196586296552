/**
 * Reading the catalogued fields and the free text of an event, compiled once from the catalog. The one home of
 * field extraction: the embedded store's indexer and the live-tail matcher read events through it.
 */
import { completeMoney, type Money } from '../schema/common.js';
import type { ShoplogEvent } from '../schema/kinds.js';
import { FIELD_CATALOG, TEXT_SOURCES, type FieldSpec } from './catalog.js';

/** A field value as stores keep it. */
export type FieldValue = string | number | null;

type Reader = (event: ShoplogEvent) => unknown;

/** A reader of a dotted path (`undefined` when a step is missing). */
function pathReader(path: string): Reader {
  const steps = path.split('.');
  return (event) => {
    let at: unknown = event;
    for (const step of steps) {
      if (at === null || typeof at !== 'object') return undefined;
      at = (at as Record<string, unknown>)[step];
    }
    return at;
  };
}

/** A reader of a path or of a fallback chain (the first value that is neither `undefined` nor `null`). */
function chainReader(path: string | readonly string[]): Reader {
  if (typeof path === 'string') return pathReader(path);
  const readers = path.map(pathReader);
  return (event) => {
    for (const read of readers) {
      const value = read(event);
      if (value !== undefined && value !== null) return value;
    }
    return undefined;
  };
}

const money = (value: unknown): Required<Money> | undefined =>
  value !== null && typeof value === 'object' && typeof (value as Money).currency === 'string'
    ? completeMoney(value as Money)
    : undefined;

const readDataset = pathReader('event.dataset');
const readStatus = pathReader('http.response.status_code');

/** The reader of one catalogued field: its value as stored (`null` when absent). */
export function fieldReader(spec: FieldSpec): (event: ShoplogEvent) => FieldValue {
  const read = chainReader(spec.path);
  const when = spec.when && { read: pathReader(spec.when.path), equals: spec.when.equals };
  const base: Reader = (() => {
    switch (spec.derive) {
      case 'money_major':
        return (event) => {
          const full = money(read(event));
          return full ? Number(full.value) : undefined;
        };
      case 'money_minor':
        return (event) => money(read(event))?.minor;
      case 'error_code':
        return (event) => {
          const code = read(event);
          if (code !== undefined && code !== null) return code;
          const status = readStatus(event);
          return readDataset(event) === 'shoplog.error' && status !== undefined && status !== null
            ? String(status)
            : undefined;
        };
      default:
        return read;
    }
  })();
  const { prefix, scale } = spec;
  return (event) => {
    if (when && when.read(event) !== when.equals) return null;
    const value = base(event);
    if (value === undefined || value === null) return null;
    if (prefix !== undefined) return String(value).slice(prefix.length);
    if (scale !== undefined) return (value as number) / scale;
    return value as FieldValue;
  };
}

/** The catalogued fields kept in the embedded store's `facts` table, in catalog order. */
export const COLUMN_FIELDS = FIELD_CATALOG.filter(
  (field): field is Extract<(typeof FIELD_CATALOG)[number], { column: string }> => 'column' in field,
);

const columnReaders = COLUMN_FIELDS.map((field) => fieldReader(field));

/** The values of the `COLUMN_FIELDS` of an event, in their order. */
export function readColumns(event: ShoplogEvent): FieldValue[] {
  const values = new Array<FieldValue>(columnReaders.length);
  for (let i = 0; i < columnReaders.length; i++)
    values[i] = (columnReaders[i] as (event: ShoplogEvent) => FieldValue)(event);
  return values;
}

const textReaders = TEXT_SOURCES.map(chainReader);

/** The searchable text of an event (`TEXT_SOURCES`, space-separated). */
export function searchTextOf(event: ShoplogEvent): string {
  const parts: string[] = [];
  for (const read of textReaders) {
    const value = read(event);
    if (typeof value === 'string' && value.length > 0) parts.push(value);
  }
  return parts.join(' ');
}

/** The lower-cased words of a free text (letters, digits, underscore), at most 32; with `prefixes`, a trailing `*` is kept. */
export function textTerms(text: string | undefined, prefixes = false): string[] {
  if (!text) return [];
  return (text.toLowerCase().match(prefixes ? /[\p{L}\p{N}_]+\*?/gu : /[\p{L}\p{N}_]+/gu) ?? []).slice(0, 32);
}

/** Whether a word of a text matches a query term (`term*` matches by prefix, else the whole word). */
export function termMatches(word: string, term: string): boolean {
  return term.endsWith('*') ? word.startsWith(term.slice(0, -1)) : word === term;
}
