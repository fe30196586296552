import type { estypes } from '@elastic/elasticsearch';
import {
  EVENT_KINDS,
  eventJsonSchema,
  FIELD_CATALOG,
  TEXT_SOURCES,
  THREE_DECIMAL_CURRENCIES,
  ZERO_DECIMAL_CURRENCIES,
  type FieldSpec,
} from '@shoplog/core';

type Properties = Record<string, estypes.MappingProperty>;

const keyword = { type: 'keyword', ignore_above: 1024 } as const satisfies estypes.MappingKeywordProperty;
const long = { type: 'long' } as const satisfies estypes.MappingLongNumberProperty;
const bool = { type: 'boolean' } as const satisfies estypes.MappingBooleanProperty;
const dateNanos = { type: 'date_nanos' } as const satisfies estypes.MappingDateNanosProperty;
/** Full text plus an exact sub-field for terms aggregations and sorting. */
const textKeyword = {
  type: 'text',
  fields: { keyword: { type: 'keyword', ignore_above: 1024 } },
} as const satisfies estypes.MappingTextProperty;
/** The free-text search field: every field free text searches (core's `TEXT_SOURCES`) is copied into `shoplog.text`. */
const TEXT_FIELD = 'shoplog.text';

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
      params: { zero: [...ZERO_DECIMAL_CURRENCIES], three: [...THREE_DECIMAL_CURRENCIES] },
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

/** How a field is searched, where its schema type is not enough (ECS types; text analysis; sub-fields). */
const SEARCH_TYPES: Record<string, estypes.MappingProperty> = {
  message: { type: 'text', fields: { keyword: { type: 'keyword', ignore_above: 256 } } },
  'error.message': { type: 'text' },
  'error.stack_trace': { type: 'match_only_text' },
  // The schema accepts any string up to 64 characters; a malformed address must not reject the whole event.
  'client.ip': { type: 'ip', ignore_malformed: true },
  'client.geo.location': { type: 'geo_point', ignore_malformed: true },
  // Kept in `_source`, never indexed: a body can hold anything.
  'http.request.body': { type: 'object', enabled: false },
  'user_agent.original': { ...keyword, fields: { text: { type: 'match_only_text' } } },
  'http.route': { ...keyword, fields: { suggest: { type: 'completion' } } },
  'shop.product.name': { type: 'search_as_you_type', fields: { keyword } },
  'shop.search.query': textKeyword,
  'shop.fraud.score': { type: 'scaled_float', scaling_factor: 100 },
  'shop.fraud.reasons.contribution': { type: 'scaled_float', scaling_factor: 100 },
  'shop.fraud.reasons.detail': { type: 'text' },
};

/** The subset of JSON Schema that `eventJsonSchema` produces and the mapping reads. */
interface JsonSchema {
  type?: string | string[];
  format?: string;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
}

const TEXT_PATHS = new Set(TEXT_SOURCES.flat());
const isMoney = (props: Record<string, JsonSchema>): boolean =>
  'currency' in props && 'minor' in props && 'value' in props;

/** The mapping of one field from its schema: objects recurse, records are `flattened`, values get their type. */
function mappingOf(
  schema: JsonSchema,
  path: string,
  defs: Record<string, JsonSchema>,
  into: estypes.MappingProperty | undefined,
): estypes.MappingProperty | undefined {
  const searched = SEARCH_TYPES[path];
  const done = (property: estypes.MappingProperty): estypes.MappingProperty => {
    const p = searched ?? property;
    return TEXT_PATHS.has(path) ? ({ ...p, copy_to: TEXT_FIELD } as estypes.MappingProperty) : p;
  };
  if (searched) return done(searched);
  if (schema.$ref) return mappingOf(defs[schema.$ref.split('/').pop() ?? ''] ?? {}, path, defs, into);
  let out = into;
  for (const branch of [...(schema.anyOf ?? []), ...(schema.oneOf ?? []), ...(schema.allOf ?? [])])
    out = mappingOf(branch, path, defs, out) ?? out;
  if (schema.properties) {
    const object = (out?.type === 'object' ? out : { type: 'object', properties: {} }) as estypes.MappingObjectProperty;
    const properties = (object.properties ??= {});
    const money = isMoney(schema.properties);
    for (const [name, child] of Object.entries(schema.properties)) {
      const at = path ? `${path}.${name}` : name;
      const mapped =
        money && name === 'value'
          ? { type: 'scaled_float', scaling_factor: 10_000 }
          : mappingOf(child, at, defs, properties[name]);
      if (mapped) properties[name] = mapped as estypes.MappingProperty;
    }
    return object;
  }
  if (typeof schema.additionalProperties === 'object') return done({ type: 'flattened' });
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  if (type === 'array') return schema.items ? mappingOf(schema.items, path, defs, out) : out;
  if (type === 'string') return done(schema.format === 'date-time' ? dateNanos : keyword);
  if (type === 'integer') return done(long);
  if (type === 'number') return done({ type: 'double' });
  if (type === 'boolean') return done(bool);
  if (type === undefined && out === undefined && Object.keys(schema).length === 0)
    return { type: 'object', enabled: false };
  return out;
}

/** The properties of every field of the five event kinds, from their schemas (core's `eventJsonSchema`). */
function schemaProperties(): Properties {
  let root: estypes.MappingProperty | undefined;
  for (const kind of EVENT_KINDS) {
    const schema = eventJsonSchema(kind) as JsonSchema;
    root = mappingOf(schema, '', schema.$defs ?? {}, root);
  }
  return (root as estypes.MappingObjectProperty).properties ?? {};
}

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
 * Generated, not written by hand: every field of the five Shoplog event kinds from their zod schemas (core's
 * `eventJsonSchema`), typed by `SEARCH_TYPES` where the schema type is not enough, copied into `shoplog.text` where
 * core's `TEXT_SOURCES` say free text searches it, and every field of the field catalog (core). One mapping for all
 * data streams, so a search across `logs-shoplog.*-*` sees the same type for each field. `dynamic: false`: unknown
 * fields are kept in `_source` but not indexed, so a client cannot explode the mapping.
 */
export const EVENT_MAPPINGS = {
  dynamic: false,
  date_detection: false,
  runtime: RUNTIME_FIELDS,
  properties: withCatalogFields(
    // `shoplog.text` is not in `_source`: filled by `copy_to`, searched by the free-text filter.
    { shoplog: { type: 'object', properties: { text: { type: 'text' } } }, ...schemaProperties() },
    FIELD_CATALOG,
  ),
} satisfies estypes.MappingTypeMapping;
