import type { estypes } from '@elastic/elasticsearch';
import { FIELD_CATALOG, type FieldSpec } from '@shoplog/core';

type Properties = Record<string, estypes.MappingProperty>;

const keyword = { type: 'keyword', ignore_above: 1024 } as const satisfies estypes.MappingKeywordProperty;
const long = { type: 'long' } as const satisfies estypes.MappingLongNumberProperty;
const integer = { type: 'integer' } as const satisfies estypes.MappingIntegerNumberProperty;
const bool = { type: 'boolean' } as const satisfies estypes.MappingBooleanProperty;
const dateNanos = { type: 'date_nanos' } as const satisfies estypes.MappingDateNanosProperty;
/** Full text plus an exact sub-field for terms aggregations and sorting. */
const textKeyword = {
  type: 'text',
  fields: { keyword: { type: 'keyword', ignore_above: 1024 } },
} as const satisfies estypes.MappingTextProperty;
const obj = (properties: Properties): estypes.MappingObjectProperty => ({ type: 'object', properties });
/** The free-text search field: every field people search by words is copied into `shoplog.text`. */
const TEXT_FIELD = 'shoplog.text';
const searchable = { ...keyword, copy_to: TEXT_FIELD } as const satisfies estypes.MappingKeywordProperty;

/**
 * Derived fields computed at query time, so they hold for documents from every writer (the server, the
 * transport's Elasticsearch sink, Logstash) without an ingest pipeline. Names mirror the embedded store's columns.
 */
const RUNTIME_FIELDS = {
  // `http.route`, falling back to `url.path`.
  'shoplog.route': {
    type: 'keyword',
    script: {
      source:
        "if (doc['http.route'].size() > 0) { emit(doc['http.route'].value); } else if (doc['url.path'].size() > 0) { emit(doc['url.path'].value); }",
    },
  },
  // The amount in major units: `shop.amount.value`, else `minor` scaled by the currency's ISO 4217 exponent.
  'shoplog.amount': {
    type: 'double',
    script: {
      source:
        "if (doc['shop.amount.value'].size() > 0) { emit(doc['shop.amount.value'].value); } else if (doc['shop.amount.minor'].size() > 0) { String c = doc['shop.amount.currency'].size() > 0 ? doc['shop.amount.currency'].value : ''; int e = params.zero.contains(c) ? 0 : (params.three.contains(c) ? 3 : 2); emit(doc['shop.amount.minor'].value / Math.pow(10, e)); }",
      params: {
        zero: [
          'BIF',
          'CLP',
          'DJF',
          'GNF',
          'ISK',
          'JPY',
          'KMF',
          'KRW',
          'PYG',
          'RWF',
          'UGX',
          'UYI',
          'VND',
          'VUV',
          'XAF',
          'XOF',
          'XPF',
        ],
        three: ['BHD', 'IQD', 'JOD', 'KWD', 'LYD', 'OMR', 'TND'],
      },
    },
  },
  // `event.duration` (nanoseconds) in milliseconds.
  'shoplog.response_ms': {
    type: 'double',
    script: { source: "if (doc['event.duration'].size() > 0) { emit(doc['event.duration'].value / 1000000.0); }" },
  },
  // `error.code`, else the HTTP status of an error event.
  'shoplog.error_code': {
    type: 'keyword',
    script: {
      source:
        "if (doc['error.code'].size() > 0) { emit(doc['error.code'].value); } else if (doc['event.dataset'].size() > 0 && doc['event.dataset'].value == 'shoplog.error' && doc['http.response.status_code'].size() > 0) { emit(String.valueOf(doc['http.response.status_code'].value)); }",
    },
  },
  // The operation of database performance events.
  'shoplog.db_operation': {
    type: 'keyword',
    script: {
      source:
        "if (doc['shop.performance.kind'].size() > 0 && doc['shop.performance.kind'].value == 'db' && doc['shop.performance.operation'].size() > 0) { emit(doc['shop.performance.operation'].value); }",
    },
  },
} satisfies Record<string, estypes.MappingRuntimeField>;

/**
 * Money: `minor` is exact (integer minor units, a `long`); `value` is the decimal string stored as a
 * `scaled_float` with 4 decimals (the schema's maximum), for range filters and sums in the major unit.
 * A `scaled_float` is a long underneath, so sums stay exact up to about 9 × 10^14 major units.
 */
const money = obj({
  currency: keyword,
  minor: long,
  value: { type: 'scaled_float', scaling_factor: 10_000 },
});

const card = obj({ last4: keyword, brand: keyword, fingerprint: keyword, issuer_country: keyword, bin: keyword });

// The fields of the event schemas, by hand (types, copy_to, sub-fields); `EVENT_MAPPINGS` adds the catalog's.
const HAND_MAPPINGS = {
  dynamic: false,
  date_detection: false,
  runtime: RUNTIME_FIELDS,
  properties: {
    // Not in `_source`: filled by `copy_to`, searched by the free-text filter.
    shoplog: obj({ text: { type: 'text' } }),
    '@timestamp': dateNanos,
    event: obj({
      id: keyword,
      dataset: keyword,
      kind: keyword,
      category: keyword,
      type: keyword,
      outcome: keyword,
      action: keyword,
      duration: long,
      severity: long,
      ingested: dateNanos,
      module: keyword,
    }),
    log: obj({ level: keyword, logger: keyword }),
    message: { type: 'text', copy_to: TEXT_FIELD, fields: { keyword: { type: 'keyword', ignore_above: 256 } } },
    service: obj({ name: searchable, version: keyword, environment: keyword, node: obj({ name: keyword }) }),
    trace: obj({ id: keyword }),
    span: obj({ id: keyword }),
    transaction: obj({ id: keyword }),
    user: obj({ id: searchable, email: keyword, name: keyword }),
    client: obj({
      // The schema accepts any string up to 64 characters; a malformed address must not reject the whole event.
      ip: { type: 'ip', ignore_malformed: true },
      geo: obj({
        country_iso_code: keyword,
        country_name: keyword,
        region_name: keyword,
        city_name: keyword,
        location: { type: 'geo_point', ignore_malformed: true },
      }),
      as: obj({ number: long, organization: obj({ name: keyword }) }),
    }),
    user_agent: obj({
      original: { ...keyword, fields: { text: { type: 'match_only_text' } } },
      name: keyword,
      version: keyword,
      os: obj({ name: keyword }),
      device: obj({ name: keyword }),
    }),
    http: obj({
      request: obj({
        id: keyword,
        method: keyword,
        bytes: long,
        headers: { type: 'flattened' },
        body: { type: 'object', enabled: false },
      }),
      response: obj({ status_code: long, bytes: long, headers: { type: 'flattened' } }),
      route: { ...searchable, fields: { suggest: { type: 'completion' } } },
    }),
    url: obj({ path: searchable, query: keyword, full: keyword, domain: keyword }),
    error: obj({
      type: searchable,
      message: { type: 'text', copy_to: TEXT_FIELD },
      stack_trace: { type: 'match_only_text' },
      code: keyword,
    }),
    labels: { type: 'flattened' },
    tags: keyword,
    shop: obj({
      transaction: obj({
        id: searchable,
        type: keyword,
        status: keyword,
        parent_id: keyword,
        attempt: integer,
        decline_code: keyword,
      }),
      amount: money,
      order: obj({ id: keyword, items: integer }),
      payment: obj({ method: keyword, provider: keyword, card }),
      merchant: obj({ id: keyword }),
      billing: obj({ country: keyword, postal_code: keyword }),
      shipping: obj({ country: keyword }),
      session: obj({ id: keyword }),
      error: obj({ kind: keyword, handled: bool }),
      action: searchable,
      cart: obj({ id: keyword, value: money, items: integer }),
      product: obj({
        id: searchable,
        name: { type: 'search_as_you_type', fields: { keyword } },
        category: keyword,
        quantity: integer,
        price: money,
      }),
      search: obj({ query: textKeyword, results: integer }),
      page: obj({ name: keyword, referrer: keyword }),
      performance: obj({ kind: keyword, operation: keyword, target: keyword, cache_hit: bool, db_duration: long }),
      fraud: obj({
        score: { type: 'scaled_float', scaling_factor: 100 },
        risk_level: keyword,
        decision: keyword,
        reasons: obj({
          code: keyword,
          contribution: { type: 'scaled_float', scaling_factor: 100 },
          detail: { type: 'text' },
        }),
        ruleset_version: keyword,
      }),
    }),
  },
} satisfies estypes.MappingTypeMapping;

/** Mapping types that hold each catalog type (a `scaled_float` is a double stored as a scaled long). */
const CATALOG_TYPES: Record<FieldSpec['type'], readonly string[]> = {
  keyword: ['keyword'],
  long: ['long', 'integer'],
  double: ['double', 'scaled_float', 'float'],
};
const CATALOG_MAPPING: Record<FieldSpec['type'], estypes.MappingProperty> = {
  keyword,
  long,
  double: { type: 'double' },
};

/**
 * `properties` with every stored field of the catalog (a single path, no runtime field): a field not mapped yet is
 * added with its catalog type; a field mapped with a type that cannot hold its values throws, naming it.
 */
export function withCatalogFields(properties: Properties, fields: readonly FieldSpec[]): Properties {
  const out = structuredClone(properties);
  for (const field of fields) {
    if (field.es !== undefined || typeof field.path !== 'string') continue;
    const steps = field.path.split('.');
    let at = out;
    for (const step of steps.slice(0, -1)) {
      const next = (at[step] ??= { type: 'object', properties: {} }) as estypes.MappingObjectProperty;
      if (next.type !== 'object' && next.type !== undefined)
        throw new Error(`field catalog: ${field.path} is under the ${next.type} field ${step}`);
      at = next.properties ??= {};
    }
    const leaf = steps[steps.length - 1] ?? '';
    const mapped = at[leaf];
    if (mapped === undefined) at[leaf] = CATALOG_MAPPING[field.type];
    else if (!CATALOG_TYPES[field.type].includes(String(mapped.type))) {
      throw new Error(`field catalog: ${field.path} is a ${field.type} but mapped as ${String(mapped.type)}`);
    }
  }
  return out;
}

/**
 * Every field of the five Shoplog event kinds (packages/core/src/schema), ECS types where ECS defines the field, and
 * every field of the field catalog (core). One mapping for all data streams, so a search across `logs-shoplog.*-*`
 * sees the same type for each field. `dynamic: false`: unknown fields are kept in `_source` but not indexed, so a
 * client cannot explode the mapping.
 */
export const EVENT_MAPPINGS = {
  ...HAND_MAPPINGS,
  properties: withCatalogFields(HAND_MAPPINGS.properties, FIELD_CATALOG),
} satisfies estypes.MappingTypeMapping;
