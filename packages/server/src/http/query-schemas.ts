import { FIELD_CATALOG, type FieldSpec } from '@shoplog/core';
import { z } from 'zod';
import { queryText } from './route-schema.js';

// The query parameters read by `parseRange`, `parseFilter` and `parsePaging` (query-params.ts), declared for the
// route schemas and the OpenAPI document. Their parsing stays there: a schema here only types and documents them.
// Objects are loose: other parameters are kept (the seed's aliases, a client's cache buster).

const list = (description: string) => queryText(`${description}, comma-separated`);

/** `range`, or `from`/`to`: the time window of a request. */
export const RANGE_QUERY = {
  range: queryText('1h, 24h, 7d, 30d, all, or any Nm/Nh/Nd'),
  from: queryText('Start (ISO 8601 or YYYY-MM-DD[ HH:MM:SS]); with `to`, replaces `range`'),
  to: queryText('End (exclusive; a bare date means the whole day)'),
};

/** The documented query parameter of each catalogued filter: the first name of an `in` list, or the range bounds. */
function catalogFilterParams(): Record<string, ReturnType<typeof queryText>> {
  const docs = new Map<string, { list: boolean; docs: string[] }>();
  const add = (name: string, list: boolean, doc: string) =>
    docs.set(name, { list, docs: [...(docs.get(name)?.docs ?? []), doc] });
  for (const field of FIELD_CATALOG as readonly FieldSpec[]) {
    const doc = field.doc.replace(/\.$/, '');
    const params = field.params;
    if (params === undefined) continue;
    if (Array.isArray(params)) {
      const first = (params as readonly string[])[0];
      if (first !== undefined) add(first, true, doc);
    } else {
      const range = params as { min?: string; max?: string };
      if (range.min) add(range.min, false, `Lower bound (inclusive) of ${doc} (a number)`);
      if (range.max)
        add(
          range.max,
          false,
          `Upper bound (${field.range?.maxInclusive ? 'inclusive' : 'exclusive'}) of ${doc} (a number)`,
        );
    }
  }
  return Object.fromEntries(
    [...docs].map(([name, p]) => [name, p.list ? list(p.docs.join('; or ')) : queryText(p.docs.join('; or '))]),
  );
}

/** The filters shared by search, field tops, histogram, tail and alert rules (`parseFilter`), from the field catalog. */
export const FILTER_QUERY = {
  q: queryText('Free text (whole words, all required; `word*` for a prefix)'),
  ...RANGE_QUERY,
  ...catalogFilterParams(),
};

/** Paging and sort of a search (`parsePaging`). */
export const PAGING_QUERY = {
  page: queryText('Page, from 1 (an integer; at most 100000: deeper, use `cursor`)'),
  size: queryText('Hits per page, 1 to 1000 (clamped; `limit` too)'),
  sort_field: queryText('@timestamp, amount, response_time or fraud_score'),
  sort_order: queryText('asc or desc (default)'),
};

/** The query of a route that reads only the time window. */
export const RangeQuery = z.looseObject(RANGE_QUERY);
/** The query of a route that reads the shared filters. */
export const FilterQuery = z.looseObject(FILTER_QUERY);
