import {
  FIELD_CATALOG,
  fieldReader,
  searchTextOf,
  termMatches,
  textTerms,
  type FieldSpec,
  type ShoplogEvent,
} from '@shoplog/core';
import type { LogFilter } from '../ports.js';

const FIELDS: readonly FieldSpec[] = FIELD_CATALOG;
// The catalog's filters, each with the reader of its field (the same reads the stores index).
const IN_FILTERS = FIELDS.flatMap((f) => (f.filter ? [{ key: f.filter, read: fieldReader(f) }] : []));
const RANGE_FILTERS = FIELDS.flatMap((f) => (f.range ? [{ ...f.range, read: fieldReader(f) }] : []));

/** Whether an event matches a filter, evaluated in process (live tail, alert previews); same semantics as search. */
export function matchesFilter(event: ShoplogEvent, filter: LogFilter): boolean {
  const ts = Date.parse(event['@timestamp']);
  if (filter.range?.from !== undefined && ts < filter.range.from) return false;
  if (filter.range?.to !== undefined && ts >= filter.range.to) return false;
  const values = filter as Record<string, unknown>;
  for (const { key, read } of IN_FILTERS) {
    const allowed = values[key] as readonly (string | number | null)[] | undefined;
    if (allowed && allowed.length > 0 && !allowed.includes(read(event))) return false;
  }
  for (const { min, max, maxInclusive, read } of RANGE_FILTERS) {
    const low = min === undefined ? undefined : (values[min] as number | undefined);
    const high = max === undefined ? undefined : (values[max] as number | undefined);
    if (low === undefined && high === undefined) continue;
    const value = read(event);
    if (typeof value !== 'number') return false;
    if (low !== undefined && value < low) return false;
    if (high !== undefined && (maxInclusive ? value > high : value >= high)) return false;
  }
  const terms = textTerms(filter.text, true);
  // Free text without any word (only punctuation) matches nothing, as in the stores.
  if (terms.length === 0 && filter.text !== undefined && filter.text.trim() !== '') return false;
  if (terms.length > 0) {
    const words = textTerms(searchTextOf(event));
    if (!terms.every((term) => words.some((word) => termMatches(word, term)))) return false;
  }
  return true;
}
