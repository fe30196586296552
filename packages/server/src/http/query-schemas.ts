import { EVENT_KINDS } from '@shoplog/core';
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

/** The filters shared by search, field tops, histogram, tail and alert rules (`parseFilter`). */
export const FILTER_QUERY = {
  q: queryText('Free text (whole words, all required; `word*` for a prefix)'),
  ...RANGE_QUERY,
  log_type: list(`Log types (${EVENT_KINDS.join(', ')})`),
  level: list('Levels, case-insensitive (seed names accepted)'),
  service: list('service.name values'),
  user_id: list('user.id values'),
  route: list('http.route values'),
  status: list('HTTP statuses when numeric, else transaction statuses'),
  payment_method: list('shop.payment.method values, case as stored (e.g. card,paypal)'),
  min_amount: queryText('Lower bound (inclusive) on the amount in major units (a number)'),
  max_amount: queryText('Upper bound (inclusive) on the amount in major units (a number)'),
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
