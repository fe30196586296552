import type { Client, estypes } from '@elastic/elasticsearch';
import { textTerms, type ShoplogEvent } from '@shoplog/core';
import type {
  LatencySummary,
  LogFilter,
  LogStoreReads,
  SearchHit,
  Suggestion,
  TermsBucket,
  TermsField,
} from '../../ports.js';
import { toStoreError } from './bulk.js';
import {
  NUMERIC_FIELDS,
  TERMS_FIELDS,
  decodeCursor,
  encodeCursor,
  filterQuery,
  highlightQuery,
  searchSort,
} from './queries.js';

type ReadMethods = LogStoreReads;
type Aggs = Record<string, estypes.AggregationsAggregate>;

/** HDR percentiles with 3 significant digits: each percentile is within 0.1 % of an observed value. */
const HDR_DIGITS = 3;
const PERCENTS = [50, 90, 95, 99];
/** Exact below this many distinct values (Elasticsearch's HyperLogLog++ switches to estimates above). */
const CARDINALITY_PRECISION = 40_000;

const bucketValue = (field: TermsField, key: estypes.FieldValue): string =>
  field === 'kind' ? String(key).replace(/^shoplog\./, '') : String(key);

const num = (value: number | null | undefined): number | null =>
  value === null || value === undefined || !Number.isFinite(value) ? null : value;

function summary(aggs: Aggs | undefined): LatencySummary {
  const stats = aggs?.['stats'] as estypes.AggregationsStatsAggregate | undefined;
  const pct = (aggs?.['pct'] as estypes.AggregationsHdrPercentilesAggregate | undefined)?.values as
    Record<string, number | null> | undefined;
  const at = (p: number): number | null => num(pct?.[`${p}.0`]);
  return {
    count: stats?.count ?? 0,
    mean: num(stats?.avg),
    max: num(stats?.max),
    p50: at(50),
    p90: at(90),
    p95: at(95),
    p99: at(99),
  };
}

const latencyAggs = (field: string): Record<string, estypes.AggregationsAggregationContainer> => ({
  stats: { stats: { field } },
  pct: { percentiles: { field, percents: PERCENTS, hdr: { number_of_significant_value_digits: HDR_DIGITS } } },
});

/** The read side of the Elasticsearch log store: each port method is one search (or count) request. */
export function createEsReads(client: Client, index: string): ReadMethods {
  const search = async <T = ShoplogEvent>(
    request: estypes.SearchRequest,
    what: string,
  ): Promise<estypes.SearchResponse<T>> => {
    try {
      return await client.search<T>({ index, ignore_unavailable: true, allow_no_indices: true, ...request });
    } catch (error) {
      throw toStoreError(error, what);
    }
  };
  const aggregate = async (
    filter: LogFilter | undefined,
    aggs: Record<string, estypes.AggregationsAggregationContainer>,
    what: string,
  ) => (await search({ size: 0, track_total_hits: false, query: filterQuery(filter), aggs }, what)).aggregations ?? {};

  const terms: ReadMethods['terms'] = async (filter, field, options = {}) => {
    const sub: Record<string, estypes.AggregationsAggregationContainer> = {};
    if (options.sum) sub['sum'] = { sum: { field: NUMERIC_FIELDS[options.sum] } };
    if (options.distinct) {
      sub['distinct'] = {
        cardinality: { field: TERMS_FIELDS[options.distinct], precision_threshold: CARDINALITY_PRECISION },
      };
    }
    const order: estypes.AggregationsAggregateOrder = options.distinct
      ? [{ distinct: 'desc' }, { _key: 'asc' }]
      : [{ _count: 'desc' }, { _key: 'asc' }];
    const aggs = await aggregate(
      filter,
      { top: { terms: { field: TERMS_FIELDS[field], size: options.size ?? 10, order }, aggs: sub } },
      'terms',
    );
    const buckets = (aggs['top'] as estypes.AggregationsStringTermsAggregate | undefined)?.buckets;
    return (Array.isArray(buckets) ? buckets : []).map((b) => {
      const distinct = (b['distinct'] as estypes.AggregationsCardinalityAggregate | undefined)?.value;
      const bucket: TermsBucket = {
        value: bucketValue(field, b.key),
        count: options.distinct ? (distinct ?? 0) : b.doc_count,
      };
      if (options.sum) bucket.sum = (b['sum'] as estypes.AggregationsSumAggregate | undefined)?.value ?? 0;
      if (options.distinct) bucket.distinct = distinct ?? 0;
      return bucket;
    });
  };

  /**
   * Words of messages that start with the prefix, with the number of events containing each. A text field has no
   * term dictionary to list, so: read a sample of matching messages, take their words with that prefix, then count
   * each candidate exactly with a `filters` aggregation.
   */
  const messageWords = async (prefix: string, limit: number): Promise<Suggestion[]> => {
    const word = textTerms(prefix)[0];
    if (!word) return [];
    const sample = await search<{ message?: string }>(
      { size: 200, track_total_hits: false, _source: ['message'], query: { prefix: { message: { value: word } } } },
      'autocomplete',
    );
    const candidates = new Set<string>();
    for (const hit of sample.hits.hits) {
      for (const candidate of textTerms(hit._source?.message))
        if (candidate.startsWith(word) && candidates.size < 50) candidates.add(candidate);
    }
    if (candidates.size === 0) return [];
    const aggs = await aggregate(
      undefined,
      { w: { filters: { filters: Object.fromEntries([...candidates].map((c) => [c, { term: { message: c } }])) } } },
      'autocomplete',
    );
    const counted = (aggs['w'] as estypes.AggregationsFiltersAggregate | undefined)?.buckets ?? {};
    return Object.entries(counted as Record<string, { doc_count: number }>)
      .map(([text, bucket]) => ({ text, field: 'message' as const, count: bucket.doc_count }))
      .filter((s) => s.count > 0)
      .sort((a, b) => b.count - a.count || a.text.localeCompare(b.text))
      .slice(0, limit);
  };

  return {
    async get(id) {
      const page = await search({ size: 1, query: { ids: { values: [id] } } }, 'get');
      return page.hits.hits[0]?._source;
    },
    async recent({ limit, kinds }) {
      const page = await search(
        {
          size: limit,
          query: filterQuery(kinds ? { kinds } : undefined),
          sort: [{ '@timestamp': { order: 'desc' } }, { 'event.id': { order: 'desc' } }],
        },
        'recent',
      );
      return page.hits.hits.flatMap((hit) => (hit._source ? [hit._source] : []));
    },
    async count(filter) {
      try {
        const response = await client.count({
          index,
          ignore_unavailable: true,
          allow_no_indices: true,
          query: filterQuery(filter),
        });
        return response.count;
      } catch (error) {
        throw toStoreError(error, 'count');
      }
    },
    async search(query) {
      const after = decodeCursor(query.cursor);
      const words = query.highlight === false ? [] : textTerms(query.filter.text, true);
      const page = await search(
        {
          query: filterQuery(query.filter),
          size: query.size,
          sort: searchSort(query.sort.field, query.sort.order),
          track_total_hits: true,
          track_scores: true,
          ...(after ? { search_after: after } : { from: (query.page - 1) * query.size }),
          ...(words.length > 0
            ? {
                highlight: {
                  fields: { message: { number_of_fragments: 0, highlight_query: highlightQuery(words) } },
                  pre_tags: ['<mark>'],
                  post_tags: ['</mark>'],
                  encoder: 'html',
                },
              }
            : {}),
        },
        'search',
      );
      const totalHits = page.hits.total;
      const total = typeof totalHits === 'number' ? totalHits : (totalHits?.value ?? 0);
      const hits: SearchHit[] = page.hits.hits.flatMap((hit) => {
        if (!hit._source) return [];
        const out: SearchHit = { id: hit._source.event.id, score: hit._score ?? 0, event: hit._source };
        const marked = hit.highlight?.['message']?.[0];
        if (marked) out.highlight = { message: marked };
        return out;
      });
      const last = page.hits.hits[page.hits.hits.length - 1];
      const seen = after ? undefined : (query.page - 1) * query.size + hits.length;
      const more = hits.length === query.size && (seen === undefined || seen < total);
      return { total, hits, nextCursor: more ? encodeCursor(last?.sort) : null };
    },
    terms,
    async cardinality(filter, field) {
      const aggs = await aggregate(
        filter,
        { n: { cardinality: { field: TERMS_FIELDS[field], precision_threshold: CARDINALITY_PRECISION } } },
        'cardinality',
      );
      return (aggs['n'] as estypes.AggregationsCardinalityAggregate | undefined)?.value ?? 0;
    },
    async histogram(filter, options) {
      const sub: Record<string, estypes.AggregationsAggregationContainer> = {};
      if (options.errors) sub['errors'] = { filter: { terms: { 'log.level': ['error', 'fatal'] } } };
      if (options.sum) sub['sum'] = { sum: { field: NUMERIC_FIELDS[options.sum] } };
      const interval = Math.max(1, Math.floor(options.intervalMs));
      const aggs = await aggregate(
        filter,
        {
          h: { date_histogram: { field: '@timestamp', fixed_interval: `${interval}ms`, min_doc_count: 1 }, aggs: sub },
        },
        'histogram',
      );
      const buckets = (aggs['h'] as estypes.AggregationsDateHistogramAggregate | undefined)?.buckets;
      return (Array.isArray(buckets) ? buckets : []).map((b) => ({
        ts: Number(b.key),
        count: b.doc_count,
        ...(options.errors
          ? { errors: (b['errors'] as estypes.AggregationsFilterAggregate | undefined)?.doc_count ?? 0 }
          : {}),
        ...(options.sum ? { sum: (b['sum'] as estypes.AggregationsSumAggregate | undefined)?.value ?? 0 } : {}),
      }));
    },
    async stats(filter, field) {
      const aggs = await aggregate(filter, { s: { stats: { field: NUMERIC_FIELDS[field] } } }, 'stats');
      const s = aggs['s'] as estypes.AggregationsStatsAggregate | undefined;
      return { count: s?.count ?? 0, sum: s?.sum ?? 0, min: num(s?.min), max: num(s?.max), avg: num(s?.avg) };
    },
    async latency(filter, groupBy, options = {}) {
      const perfKind = groupBy === 'db_operation' ? 'db' : 'http';
      const scoped: estypes.QueryDslQueryContainer = {
        bool: {
          filter: [
            filterQuery({ ...filter, kinds: ['performance'] }),
            { term: { 'shop.performance.kind': perfKind } },
            { exists: { field: 'event.duration' } },
          ],
        },
      };
      const field = 'shoplog.response_ms';
      const interval = Math.max(1, Math.floor(options.intervalMs ?? 3_600_000));
      const groups: estypes.AggregationsAggregationContainer =
        groupBy === 'interval'
          ? {
              date_histogram: { field: '@timestamp', fixed_interval: `${interval}ms`, min_doc_count: 1 },
              aggs: latencyAggs(field),
            }
          : {
              terms: {
                field: groupBy === 'db_operation' ? 'shoplog.db_operation' : 'shoplog.route',
                size: options.size ?? 20,
                missing: '(none)',
                order: [{ _count: 'desc' }, { _key: 'asc' }],
              },
              aggs: latencyAggs(field),
            };
      const page = await search(
        { size: 0, track_total_hits: false, query: scoped, aggs: { ...latencyAggs(field), groups } },
        'latency',
      );
      const aggs = page.aggregations ?? {};
      const buckets = (
        aggs['groups'] as estypes.AggregationsMultiBucketAggregateBase<{ key: estypes.FieldValue }> | undefined
      )?.buckets;
      return {
        approximate: true,
        relativeError: 10 ** -HDR_DIGITS,
        overall: summary(aggs),
        groups: (Array.isArray(buckets) ? buckets : []).map((b) => ({
          key: String(b.key),
          ...summary(b as unknown as Aggs),
        })),
      };
    },
    async autocomplete(field, prefix, limit) {
      if (field === 'message') return messageWords(prefix, limit);
      const target = { route: 'http.route', product: 'shop.product.id', user: 'user.id' }[field];
      const aggs = (
        await search(
          {
            size: 0,
            track_total_hits: false,
            query: { prefix: { [target]: { value: prefix } } },
            aggs: { s: { terms: { field: target, size: limit } } },
          },
          'autocomplete',
        )
      ).aggregations;
      const buckets = (aggs?.['s'] as estypes.AggregationsStringTermsAggregate | undefined)?.buckets;
      return (Array.isArray(buckets) ? buckets : []).map((b) => ({ text: String(b.key), field, count: b.doc_count }));
    },
    async fieldTops(filter, fields, size) {
      // One request for all facets: one terms aggregation per field.
      const aggs = await aggregate(
        filter,
        Object.fromEntries(
          fields.map((field) => [
            field,
            { terms: { field: TERMS_FIELDS[field], size, order: [{ _count: 'desc' }, { _key: 'asc' }] } },
          ]),
        ),
        'field tops',
      );
      return fields.map((field) => {
        const buckets = (aggs[field] as estypes.AggregationsStringTermsAggregate | undefined)?.buckets;
        return {
          field,
          top: (Array.isArray(buckets) ? buckets : []).map((b) => ({
            value: bucketValue(field, b.key),
            count: b.doc_count,
          })),
        };
      });
    },
  };
}
