/**
 * The field catalog: every field a Shoplog store can filter, group, aggregate or sort on, as data. The server derives
 * from it the embedded store's facts columns, filters and rollup dimensions, the Elasticsearch queries and the
 * mapping types they rely on, the in-memory matcher of the live tail and the query-parameter parsing. Adding a
 * filterable field is one entry here (plus its tests).
 */
import { EVENT_KINDS, type LogLevel } from '../schema/common.js';

/** Filter operator of a field: `in` (one of a list of values, `LogFilter[filter]`) or `range` (`min`/`max` bounds). */
export type FieldOperator = 'in' | 'range';

/** Named derivations for values no path and condition can express (`fields/read.ts`). */
export type FieldDerivation = 'money_major' | 'money_minor' | 'error_code';

/** One field of the catalog. */
export interface FieldSpec {
  /** Name in the query API (`field=` of terms, facets and aggregations). */
  readonly name: string;
  /** ECS path the value is read from; a list is a fallback chain (the first present). */
  readonly path: string | readonly string[];
  /** Value type: `keyword` (exact strings), `long` or `double`. */
  readonly type: 'keyword' | 'long' | 'double';
  /** Column of the embedded store's `facts` table; absent for a field stored in a table of its own. */
  readonly column?: string;
  /** A prefix stripped from the stored value (and put back in Elasticsearch filters). */
  readonly prefix?: string;
  /** Divisor from the stored unit to the API unit (`event.duration` ns → ms: 1e6). */
  readonly scale?: number;
  /** The value only counts when another path holds this value (e.g. the operation of `db` performance events). */
  readonly when?: { readonly path: string; readonly equals: string };
  /** A named derivation replacing the plain read of `path`. */
  readonly derive?: FieldDerivation;
  /** Elasticsearch field for filters, aggregations and sorts (a runtime field of the mapping); @default the path */
  readonly es?: string;
  /** Whether it is a keyword grouping (`terms`) or a numeric metric (`metric`); absent: neither. */
  readonly aggregate?: 'terms' | 'metric';
  /** Its name as a sort field, when sortable. */
  readonly sort?: string;
  /** Whether the embedded store keeps it as a dimension of the hourly rollups (low cardinality only). */
  readonly rollup?: boolean;
  /**
   * Whether the embedded store counts its values per hour and kind in a table of their own, for its terms over a
   * time range (too many values to multiply the rollup cells by, e.g. countries).
   */
  readonly hourlyCounts?: boolean;
  /** Measure prefix of the rollups for a numeric field summed there. */
  readonly measure?: 'rt' | 'amt';
  /** `in` filter: the `LogFilter` key holding the allowed values. */
  readonly filter?: string;
  /** `range` filter: the `LogFilter` keys of the bounds; `min` is inclusive, `max` inclusive only with `maxInclusive`. */
  readonly range?: { readonly min?: string; readonly max?: string; readonly maxInclusive?: boolean };
  /** Query parameters of the filter: the names of an `in` list (first given wins), or of the range bounds. */
  readonly params?: readonly string[] | { readonly min?: string; readonly max?: string };
  /** Only query values matching this pattern go to this field (two fields sharing a parameter). */
  readonly pattern?: string;
  /** The values accepted from a query parameter (others are ignored). */
  readonly values?: readonly string[];
  /** Case-insensitive aliases of query values (others are ignored). */
  readonly aliases?: Readonly<Record<string, string>>;
  /** One line for people. */
  readonly doc: string;
}

/** The seed's levels (DEBUG, INFO, WARNING, ERROR, CRITICAL) and ours, case-insensitive. */
export const LEVEL_ALIASES: Readonly<Record<string, LogLevel>> = {
  trace: 'trace',
  debug: 'debug',
  info: 'info',
  warning: 'warn',
  warn: 'warn',
  error: 'error',
  critical: 'fatal',
  fatal: 'fatal',
};

/** Every catalogued field. The order of `rollup` fields is the key order of stored rollup cells: append, never reorder. */
export const FIELD_CATALOG = [
  {
    name: 'kind',
    path: 'event.dataset',
    prefix: 'shoplog.',
    type: 'keyword',
    column: 'kind',
    aggregate: 'terms',
    rollup: true,
    filter: 'kinds',
    params: ['log_type', 'type'],
    values: EVENT_KINDS,
    doc: 'Event kind (`event.dataset` without `shoplog.`).',
  },
  {
    name: 'level',
    path: 'log.level',
    type: 'keyword',
    column: 'level',
    aggregate: 'terms',
    rollup: true,
    filter: 'levels',
    params: ['level'],
    aliases: LEVEL_ALIASES,
    doc: '`log.level`.',
  },
  {
    name: 'service',
    path: 'service.name',
    type: 'keyword',
    column: 'service',
    aggregate: 'terms',
    rollup: true,
    filter: 'services',
    params: ['service'],
    doc: '`service.name`.',
  },
  {
    name: 'route',
    path: ['http.route', 'url.path'],
    es: 'shoplog.route',
    type: 'keyword',
    column: 'route',
    aggregate: 'terms',
    rollup: true,
    filter: 'routes',
    params: ['route', 'endpoint'],
    doc: '`http.route`, falling back to `url.path`.',
  },
  {
    name: 'performance_kind',
    path: 'shop.performance.kind',
    type: 'keyword',
    column: 'perf_kind',
    aggregate: 'terms',
    rollup: true,
    filter: 'performanceKinds',
    doc: '`shop.performance.kind` (`http`, `db`, `cache`, `external`).',
  },
  {
    name: 'http_status',
    path: 'http.response.status_code',
    type: 'long',
    column: 'http_status',
    aggregate: 'terms',
    rollup: true,
    filter: 'httpStatuses',
    params: ['status'],
    pattern: '^\\d{3}$',
    doc: '`http.response.status_code`.',
  },
  {
    name: 'error_type',
    path: 'error.type',
    type: 'keyword',
    column: 'error_type',
    aggregate: 'terms',
    rollup: true,
    doc: '`error.type`.',
  },
  {
    name: 'error_code',
    path: 'error.code',
    derive: 'error_code',
    es: 'shoplog.error_code',
    type: 'keyword',
    column: 'error_code',
    aggregate: 'terms',
    rollup: true,
    doc: '`error.code`, else the HTTP status of an error event.',
  },
  {
    name: 'action',
    path: 'shop.action',
    type: 'keyword',
    column: 'action',
    aggregate: 'terms',
    rollup: true,
    filter: 'actions',
    doc: '`shop.action` (user behaviour).',
  },
  {
    name: 'payment_method',
    path: 'shop.payment.method',
    type: 'keyword',
    column: 'payment_method',
    aggregate: 'terms',
    rollup: true,
    filter: 'paymentMethods',
    params: ['payment_method'],
    doc: '`shop.payment.method`, as stored (case-sensitive).',
  },
  {
    name: 'transaction_status',
    path: 'shop.transaction.status',
    when: { path: 'event.dataset', equals: 'shoplog.transaction' },
    type: 'keyword',
    column: 'tx_status',
    aggregate: 'terms',
    rollup: true,
    filter: 'transactionStatuses',
    params: ['status'],
    pattern: '^(?!\\d{3}$)',
    doc: '`shop.transaction.status` of transactions.',
  },
  {
    name: 'currency',
    path: 'shop.amount.currency',
    type: 'keyword',
    column: 'currency',
    aggregate: 'terms',
    rollup: true,
    filter: 'currencies',
    doc: '`shop.amount.currency`.',
  },
  {
    name: 'user_id',
    path: 'user.id',
    type: 'keyword',
    column: 'user_id',
    aggregate: 'terms',
    filter: 'userIds',
    params: ['user_id', 'user'],
    doc: '`user.id`.',
  },
  {
    name: 'device_id',
    path: 'device.id',
    type: 'keyword',
    column: 'device_id',
    aggregate: 'terms',
    filter: 'deviceIds',
    params: ['device_id'],
    doc: "`device.id` (the shop's device fingerprint): every event of one device, across accounts.",
  },
  {
    name: 'session_id',
    path: 'shop.session.id',
    type: 'keyword',
    column: 'session_id',
    aggregate: 'terms',
    filter: 'sessionIds',
    doc: '`shop.session.id`.',
  },
  {
    name: 'product',
    path: 'shop.product.id',
    type: 'keyword',
    column: 'product',
    aggregate: 'terms',
    doc: '`shop.product.id`.',
  },
  {
    name: 'amount',
    path: 'shop.amount',
    derive: 'money_major',
    es: 'shoplog.amount',
    type: 'double',
    column: 'amount',
    aggregate: 'metric',
    sort: 'amount',
    measure: 'amt',
    range: { min: 'minAmount', max: 'maxAmount', maxInclusive: true },
    params: { min: 'min_amount', max: 'max_amount' },
    doc: 'The amount in major units (`shop.amount`, any currency).',
  },
  {
    name: 'amount_minor',
    path: 'shop.amount',
    derive: 'money_minor',
    es: 'shop.amount.minor',
    type: 'long',
    column: 'amount_minor',
    doc: 'The amount in minor units, for exact sums.',
  },
  {
    name: 'db_operation',
    path: 'shop.performance.operation',
    when: { path: 'shop.performance.kind', equals: 'db' },
    es: 'shoplog.db_operation',
    type: 'keyword',
    column: 'db_operation',
    aggregate: 'terms',
    doc: 'The operation of database performance events.',
  },
  {
    name: 'response_time_ms',
    path: 'event.duration',
    scale: 1e6,
    es: 'shoplog.response_ms',
    type: 'double',
    column: 'response_ms',
    aggregate: 'metric',
    sort: 'response_time',
    measure: 'rt',
    range: { min: 'minResponseTimeMs' },
    doc: 'Response time in milliseconds (`event.duration` / 1e6).',
  },
  {
    name: 'fraud_score',
    path: 'shop.fraud.score',
    type: 'double',
    column: 'fraud_score',
    aggregate: 'metric',
    sort: 'fraud_score',
    range: { min: 'minFraudScore', max: 'maxFraudScore' },
    doc: '`shop.fraud.score`.',
  },
  {
    name: 'fraud_decision',
    path: 'shop.fraud.decision',
    type: 'keyword',
    column: 'fraud_decision',
    aggregate: 'terms',
    filter: 'fraudDecisions',
    doc: '`shop.fraud.decision`.',
  },
  {
    name: 'risk_level',
    path: 'shop.fraud.risk_level',
    type: 'keyword',
    column: 'risk_level',
    aggregate: 'terms',
    doc: '`shop.fraud.risk_level`.',
  },
  {
    name: 'country',
    path: 'client.geo.country_iso_code',
    type: 'keyword',
    column: 'country',
    hourlyCounts: true,
    aggregate: 'terms',
    filter: 'countries',
    params: ['country'],
    doc: '`client.geo.country_iso_code` (GeoIP).',
  },
  {
    name: 'fraud_reason',
    path: 'shop.fraud.reasons.code',
    type: 'keyword',
    aggregate: 'terms',
    doc: 'Codes of `shop.fraud.reasons` (the embedded store keeps them in a table of their own).',
  },
] as const satisfies readonly FieldSpec[];

/** A catalogued field. */
export type CatalogField = (typeof FIELD_CATALOG)[number];

/**
 * What free text (`q=`) searches: each source is a path, or a fallback chain of paths (the first present). Words
 * are letters, digits and underscores, lower-cased.
 */
export const TEXT_SOURCES: readonly (string | readonly string[])[] = [
  'message',
  'error.message',
  'error.type',
  ['http.route', 'url.path'],
  'service.name',
  'shop.action',
  'shop.product.id',
  'shop.product.name',
  'user.id',
  'shop.transaction.id',
];
