/**
 * Storage ports of the reference server. The embedded store (node:sqlite + an in-process LRU) and the scale-out
 * adapters (Elasticsearch, Redis, MongoDB) implement these; the HTTP layer only talks to the ports. The log-store
 * primitives map one to one onto Elasticsearch queries and aggregations (bool filter, terms, date_histogram,
 * stats, cardinality, percentiles), so an adapter never emulates one engine on top of another.
 */
import type { CatalogField, EventKind, LogLevel, ShoplogEvent } from '@shoplog/core';

/** Epoch milliseconds. */
export type EpochMs = number;

/** A half-open time window `[from, to)` in epoch milliseconds. */
export interface TimeRange {
  from: EpochMs;
  to: EpochMs;
}

/** Outcome of appending one event: `created`, or `duplicate` when an event with the same `event.id` is stored. */
export type AppendResult = 'created' | 'duplicate';

type Field = CatalogField;
type InField = Extract<Field, { filter: string }>;
type RangeField = Extract<Field, { range: object }>;
type RangeKey<F, B extends 'min' | 'max'> = F extends { range: Record<B, infer K extends string> } ? K : never;

/** The `in` filters of the field catalog (`FIELD_CATALOG` in core): the allowed values of each field. */
type CatalogInFilter = { [F in InField as F['filter']]?: readonly (F['type'] extends 'keyword' ? string : number)[] };
/** The `range` filters of the field catalog: a lower bound (inclusive) and an upper bound (see the field's `range`). */
type CatalogRangeFilter = { [K in RangeKey<RangeField, 'min'> | RangeKey<RangeField, 'max'>]?: number };

/**
 * Field filters shared by search, tail, facets, histograms and aggregations, one per filterable field of the field
 * catalog (`FIELD_CATALOG` in core), plus the time range and the free text. Every given field is ANDed; the values of
 * one array field are ORed. Absent means "no filter".
 */
export type LogFilter = Omit<CatalogInFilter, 'kinds' | 'levels'> &
  CatalogRangeFilter & {
    /** Inclusive lower bound and exclusive upper bound on `@timestamp`. */
    range?: Partial<TimeRange>;
    /** Event kinds (`event.dataset` without the `shoplog.` prefix). */
    kinds?: readonly EventKind[];
    /** `log.level` values. */
    levels?: readonly LogLevel[];
    /** Free-text query over message, error message/type, route, service, action, product and user id. */
    text?: string;
  };

/** Keyword fields that can be grouped on (terms aggregation, facets, autocomplete). */
export type TermsField = Extract<Field, { aggregate: 'terms' }>['name'];

/** Numeric fields that can be summed, averaged, ranged or used for percentiles. */
export type NumericField = Extract<Field, { aggregate: 'metric' }>['name'];

/** Sort fields (the seed's rule: anything else falls back to `@timestamp`). */
export type SortField = '@timestamp' | Extract<Field, { sort: string }>['sort'];

/** A search request. */
export interface SearchQuery {
  filter: LogFilter;
  sort: { field: SortField; order: 'asc' | 'desc' };
  /** 1-based page; ignored when `cursor` is given. */
  page: number;
  /** Page size, 1..1000. */
  size: number;
  /** Opaque cursor from a previous page's `nextCursor` (search-after). */
  cursor?: string;
  /** Compute `<mark>` highlights of the free text in `message`. @default true */
  highlight?: boolean;
}

/** One search hit. */
export interface SearchHit {
  id: string;
  /** Relevance (higher is better; 0 when there is no free text). */
  score: number;
  event: ShoplogEvent;
  /** Message with the matched terms wrapped in `<mark>…</mark>` (HTML-escaped otherwise). */
  highlight?: { message?: string };
}

/** A search page with the exact total (no 10 000 cap). */
export interface SearchPage {
  total: number;
  hits: SearchHit[];
  /** Cursor of the next page, or `null` when this page is the last one. */
  nextCursor: string | null;
}

/** Count of one keyword value. */
export interface TermCount {
  value: string;
  count: number;
}

/** Options of a terms aggregation. */
export interface TermsOptions {
  /** Number of buckets. @default 10 */
  size?: number;
  /** Per bucket, also sum this numeric field. */
  sum?: NumericField;
  /** Per bucket, count distinct values of this field instead of events (e.g. sessions per funnel step). */
  distinct?: TermsField;
}

/** A terms bucket, with the optional metric. */
export interface TermsBucket extends TermCount {
  /** Sum of `options.sum` over the bucket. */
  sum?: number;
  /** Distinct count of `options.distinct` over the bucket (then `count` is that distinct count). */
  distinct?: number;
}

/** Options of a date histogram. */
export interface HistogramOptions {
  /** Bucket width in milliseconds (fixed interval; buckets are aligned on multiples of it from the epoch). */
  intervalMs: number;
  /** Also count the events with level error or fatal per bucket. */
  errors?: boolean;
  /** Also sum this numeric field per bucket. */
  sum?: NumericField;
}

/** One date-histogram bucket (only buckets with events are returned, ascending). */
export interface HistogramBucket {
  ts: EpochMs;
  count: number;
  errors?: number;
  sum?: number;
}

/** Summary statistics of a numeric field over the matching events that have it. */
export interface NumericStats {
  count: number;
  sum: number;
  min: number | null;
  max: number | null;
  avg: number | null;
}

/** Latency percentiles in milliseconds. `approximate` tells whether they come from mergeable sketches. */
export interface LatencySummary {
  count: number;
  mean: number | null;
  max: number | null;
  p50: number | null;
  p90: number | null;
  p95: number | null;
  p99: number | null;
}

/**
 * Grouping of latency percentiles: HTTP requests per route, DB calls per operation, or HTTP requests per time
 * bucket of `intervalMs` (the key is the bucket start in epoch ms, as a string).
 */
export type LatencyGroupBy = 'route' | 'db_operation' | 'interval';

/** Latency percentiles of one group. */
export interface LatencyGroup extends LatencySummary {
  key: string;
}

/** Result of a percentile query. */
export interface LatencyReport {
  /** `true` when computed from sketches (then `relativeError` bounds the error of each percentile). */
  approximate: boolean;
  relativeError: number;
  overall: LatencySummary;
  groups: LatencyGroup[];
}

/** Fields offered by autocomplete. */
export type AutocompleteField = 'message' | 'route' | 'product' | 'user';

/** An autocomplete suggestion. */
export interface Suggestion {
  text: string;
  field: AutocompleteField;
  count?: number;
}

/** Receives each newly stored event (after it is searchable or, at latest, after it is committed). */
export type EventListener = (event: ShoplogEvent) => void;

/** How far search is behind the stored events (`LogStore.indexStatus`). */
export interface IndexStatus {
  /** Sequence number of the newest stored event. */
  committed: number;
  /**
   * Each indexer (the embedded store's: `facts`, `timeline`), the sequence number it has indexed up to, and why its
   * last batch failed while it retries it (absent once it indexes again).
   */
  parts: { name: string; indexed: number; error?: string }[];
}

/** What a store knows of its own state without a round trip to its backend (`LogStore.status`). */
export interface StoreStatus {
  status: 'ok' | 'down';
  /** Why it is down. */
  error?: string;
  /** Round trip of the store's most recent completed read, in milliseconds (absent before the first). */
  latencyMs?: number;
}

/** Whose events an erasure removes (GDPR art. 17): one `user.id`, or one e-mail address wherever it appears. */
export type ErasureSubject = { userId: string } | { email: string };

/** What an erasure removed: the number of events, and the user ids and e-mails they carried (for the fraud state). */
export interface ErasureResult {
  events: number;
  userIds: string[];
  emails: string[];
}

/** Per kind, the time before which events are deleted by retention; a kind not listed is kept. */
export type RetentionCutoffs = Partial<Record<EventKind, EpochMs>>;

/**
 * The log store: durable, idempotent on `event.id`, searchable. Every method is async and may reject with a
 * `StoreUnavailableError` when the backend is down (the HTTP layer answers 503, retryable).
 */
export interface LogStore {
  /**
   * Appends validated events, idempotently on `event.id`. Resolves, in input order, with `created` or
   * `duplicate` once the batch is durably committed (a crash after the promise resolves loses none of them).
   * Events may become searchable slightly later (see `refresh`). `texts[i]`, when given, is JSON text equal to
   * `events[i]` (the input line it was parsed from) that a store may keep as is instead of serialising the event.
   */
  appendBatch(events: readonly ShoplogEvent[], texts?: readonly (string | undefined)[]): Promise<AppendResult[]>;
  /** The event with this `event.id`, or `undefined`. */
  get(id: string): Promise<ShoplogEvent | undefined>;
  /** The newest events first (by `@timestamp`), optionally restricted to kinds. */
  recent(options: { limit: number; kinds?: readonly EventKind[] }): Promise<ShoplogEvent[]>;
  /** Exact number of events matching the filter. */
  count(filter?: LogFilter): Promise<number>;
  /** Full-text + filtered search with exact totals, highlights and page or cursor paging. */
  search(query: SearchQuery): Promise<SearchPage>;
  /** Top values of a keyword field over the matching events, most frequent first. */
  terms(filter: LogFilter, field: TermsField, options?: TermsOptions): Promise<TermsBucket[]>;
  /** Distinct count of a keyword field over the matching events (exact on the embedded store). */
  cardinality(filter: LogFilter, field: TermsField): Promise<number>;
  /** Events per fixed time bucket. */
  histogram(filter: LogFilter, options: HistogramOptions): Promise<HistogramBucket[]>;
  /** Summary statistics of a numeric field. */
  stats(filter: LogFilter, field: NumericField): Promise<NumericStats>;
  /** Latency percentiles (ms) of performance events: overall and per group, the slowest groups by count first. */
  latency(
    filter: LogFilter,
    groupBy: LatencyGroupBy,
    options?: { size?: number; intervalMs?: number },
  ): Promise<LatencyReport>;
  /** Values of a field that start with (or, for messages, contain a word starting with) `prefix`. */
  autocomplete(field: AutocompleteField, prefix: string, limit: number): Promise<Suggestion[]>;
  /** Facet sidebar: the top values of several fields at once. */
  fieldTops(
    filter: LogFilter,
    fields: readonly TermsField[],
    size: number,
  ): Promise<{ field: TermsField; top: TermCount[] }[]>;
  /** Calls `listener` for each newly stored event; returns the unsubscribe function. */
  subscribe(listener: EventListener): () => void;
  /** Resolves once every event acknowledged so far is visible to search and aggregations. */
  refresh(): Promise<void>;
  /**
   * Where the background indexers stand against the stored events, for a store that indexes after the ack (the
   * embedded one); stores without such a lag to report omit it.
   */
  indexStatus?(): IndexStatus;
  /**
   * Resolves once every event acknowledged so far is visible, without forcing it (no extra work for the backend):
   * the ingest path invalidates cached query results again then, so nothing cached while indexing lags stays stale.
   */
  whenSearchable(): Promise<void>;
  /**
   * The store's state from memory, without a query, for a store that can tell (the embedded one): the health route
   * answers from it at once, however busy the store is. Stores without it are probed with a cheap read.
   */
  status?(): StoreStatus;
  /**
   * Deletes, in bounded steps off the request path, the events of each kind stamped before its cutoff, with what
   * was derived from them; resolves with the number deleted. Stores that expire data by themselves (Elasticsearch
   * ILM) omit it.
   */
  expire?(cutoffs: RetentionCutoffs): Promise<number>;
  /** Deletes every stored event of the subject, with what was derived from them (see `ErasureResult`). */
  erase?(subject: ErasureSubject): Promise<ErasureResult>;
  /** Flushes pending work and releases the backend. Idempotent. */
  close(): Promise<void>;
}

/** The read half of a `LogStore`: what an adapter's query module implements. */
export type LogStoreReads = Omit<
  LogStore,
  'appendBatch' | 'subscribe' | 'refresh' | 'whenSearchable' | 'indexStatus' | 'status' | 'close' | 'expire' | 'erase'
>;

/** User roles of the web page: viewer (read), analyst (read + upload + saved searches + alert rules), admin (all). */
export type Role = 'viewer' | 'analyst' | 'admin';

/** API key scopes: ingest (write logs), read (logs and analytics), metrics (`GET /metrics` only), admin (everything). */
export type KeyScope = 'ingest' | 'read' | 'metrics' | 'admin';

/** A user account; `passwordHash` is the encoded scrypt hash (never the password). */
export interface UserRecord {
  id: string;
  username: string;
  role: Role;
  passwordHash: string;
  createdAt: EpochMs;
}

/** An API key; only the SHA-256 hash of the secret is stored. */
export interface ApiKeyRecord {
  id: string;
  name: string;
  scope: KeyScope;
  /** Hex SHA-256 of the full key. */
  keyHash: string;
  /** First characters of the key, shown in listings to recognise it. */
  prefix: string;
  createdAt: EpochMs;
  lastUsedAt: EpochMs | null;
}

/** A web session; only the SHA-256 hash of the session id is stored. */
export interface SessionRecord {
  idHash: string;
  userId: string;
  csrfToken: string;
  createdAt: EpochMs;
  expiresAt: EpochMs;
}

/** A saved search of one user. `params` are the search route's query parameters. */
export interface SavedSearchRecord {
  id: string;
  userId: string;
  name: string;
  params: Record<string, string>;
  createdAt: EpochMs;
}

/** One entry of a user's search history. */
export interface SearchHistoryRecord {
  id: string;
  userId: string;
  params: Record<string, string>;
  total: number;
  createdAt: EpochMs;
}

/** Status of an upload job. */
export type UploadStatus = 'pending' | 'processing' | 'completed' | 'failed';

/** An upload job with its progress. */
export interface UploadJobRecord {
  id: string;
  userId: string | null;
  filename: string;
  fileType: 'json' | 'ndjson' | 'csv';
  fileSize: number;
  status: UploadStatus;
  totalLines: number;
  processed: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  /** The first 100 rejected lines with their issues. */
  errors: { line: number; issues: { path: string; message: string }[] }[];
  /** The first 10 accepted events. */
  preview: ShoplogEvent[];
  /** Why the job failed, when it did. */
  failure: string | null;
  createdAt: EpochMs;
  finishedAt: EpochMs | null;
}

/** Metric of a threshold alert rule. */
export type AlertMetric = 'error_rate' | 'p95_ms' | 'fraud_alerts' | 'count';

/** A threshold alert rule with its last evaluation. */
export interface AlertRuleRecord {
  id: string;
  userId: string | null;
  name: string;
  metric: AlertMetric;
  /** Search-route query parameters restricting the events the metric is computed on. */
  filters: Record<string, string>;
  /** Window in milliseconds. */
  windowMs: number;
  /** Fires when the metric is strictly above the threshold. */
  threshold: number;
  state: 'ok' | 'firing' | 'unknown';
  lastValue: number | null;
  lastFiredAt: EpochMs | null;
  lastEvaluatedAt: EpochMs | null;
  createdAt: EpochMs;
  /** Notification channels told when the rule starts firing and when it stops (absent: none). */
  channels?: string[];
  /** When the current firing started (`null` or absent while not firing). */
  firingSince?: EpochMs | null;
  /** `false`: not evaluated and notifies nobody until enabled again (absent: enabled). */
  enabled?: boolean;
}

/** One message a notification channel was given (an alert rule's state change, fraud blocks), with its outcome. */
export interface NotificationRecord {
  /** Id of this record. */
  id: string;
  /** The message's idempotency key (a digest's own id when it carried several notifications). */
  notificationId: string;
  channel: string;
  type: 'alert.firing' | 'alert.resolved' | 'fraud.block';
  group: string;
  /** The alert rule it is about, if any. */
  ruleId: string | null;
  title: string;
  outcome: 'sent' | 'failed' | 'dropped';
  attempts: number;
  error: string | null;
  /** Notifications it carried (more than one for a digest). */
  count: number;
  at: EpochMs;
}

/** An audit record of an operation on personal data (an erasure): who, when, how many — never the identifier. */
export interface AuditRecord {
  id: string;
  action: 'erase';
  /** Who asked: `user:<username>`, `key:<key name>` or `cli`. */
  actor: string;
  at: EpochMs;
  /** What identified the person, and a keyed hash (HMAC-SHA256) of the identifier, to answer "was X erased?" later. */
  subject: { type: 'user_id' | 'email'; hash: string };
  /** Events erased; fraud-state entries erased (`null` when the velocity store offers no erasure). */
  counts: { events: number; fraudState: number | null };
}

/** A shop's label on a transaction: a chargeback, confirmed fraud, or confirmed legitimate. */
export type FraudLabelKind = 'chargeback' | 'confirmed_fraud' | 'legitimate';

/** The label of one transaction (one per transaction: a later different label replaces it). */
export interface FraudLabelRecord {
  transactionId: string;
  label: FraudLabelKind;
  /** When the transaction happened (its `@timestamp`): what refits and backtests window on. */
  at: EpochMs;
  /** Who gave the label: `user:<username>` or `key:<key name>`. */
  actor: string;
  createdAt: EpochMs;
}

/** Metrics of a model on labels it was not fitted on. */
export interface FraudModelMetrics {
  /** Held-back labels scored. */
  labels: number;
  fraud: number;
  precision: number;
  recall: number;
  /** `null` without both classes. */
  rocAuc: number | null;
}

/** A stored version of the fraud model with how it was made and how it did on held-back labels. */
export interface FraudModelRecord {
  version: string;
  /** The model (core's `FraudModel`, plain JSON). */
  model: Record<string, unknown>;
  /** The version it was refitted from. */
  basedOn: string;
  trigger: 'manual' | 'scheduled';
  /** Labels it was fitted on, and labels whose transaction was not found among the stored ones. */
  trained: { labels: number; fraud: number; missing: number };
  /** This model and the one it was refitted from, on the held-back labels (`null`: too few held back). */
  metrics: { model: FraudModelMetrics; basedOn: FraudModelMetrics } | null;
  createdAt: EpochMs;
}

/** The fraud labels and model versions of the metadata store (each adapter keeps them in a module of their own). */
export interface FraudMetaStore {
  /**
   * Stores a transaction's label: `created`, `unchanged` when it already has this label (kept as it was: posting
   * twice is harmless), or `replaced` when it had another one.
   */
  putFraudLabel(record: FraudLabelRecord): Promise<'created' | 'unchanged' | 'replaced'>;
  getFraudLabel(transactionId: string): Promise<FraudLabelRecord | undefined>;
  /** Labels of transactions in `[from, to)` (by `at`), oldest first, at most `limit`. */
  listFraudLabels(query: { from?: EpochMs; to?: EpochMs; limit: number }): Promise<FraudLabelRecord[]>;
  countFraudLabels(): Promise<number>;
  /** Stores a model version (a version is written once: `DuplicateKeyError` when it exists). */
  addFraudModel(record: FraudModelRecord): Promise<void>;
  getFraudModel(version: string): Promise<FraudModelRecord | undefined>;
  /** The newest versions first. */
  listFraudModels(limit: number): Promise<FraudModelRecord[]>;
}

/** Metadata: users, keys, sessions, saved searches, history, upload jobs, alert rules, audit records, fraud labels and models. */
export interface MetaStore extends FraudMetaStore {
  /** Rejects with `DuplicateKeyError` when the username (or id) is taken, however many create it at once. */
  createUser(user: UserRecord): Promise<void>;
  getUserById(id: string): Promise<UserRecord | undefined>;
  getUserByUsername(username: string): Promise<UserRecord | undefined>;
  listUsers(): Promise<UserRecord[]>;
  countUsers(): Promise<number>;
  /** Gives a user another role; `false` when absent. */
  setUserRole(id: string, role: Role): Promise<boolean>;
  /** Deletes a user (their sessions stop resolving to anyone); `false` when absent. */
  deleteUser(id: string): Promise<boolean>;

  createApiKey(key: ApiKeyRecord): Promise<void>;
  /** The key whose hash is `keyHash`, or `undefined` (revoked keys are deleted). */
  findApiKey(keyHash: string): Promise<ApiKeyRecord | undefined>;
  listApiKeys(): Promise<ApiKeyRecord[]>;
  /** Deletes a key; `false` when absent. */
  deleteApiKey(id: string): Promise<boolean>;
  touchApiKey(id: string, at: EpochMs): Promise<void>;

  createSession(session: SessionRecord): Promise<void>;
  /** The unexpired session with this hash, or `undefined`. */
  getSession(idHash: string, now: EpochMs): Promise<SessionRecord | undefined>;
  deleteSession(idHash: string): Promise<void>;
  /** Moves a live session's deadline (the idle clock); a session that is gone stays gone. */
  renewSession(idHash: string, expiresAt: EpochMs): Promise<void>;

  createSavedSearch(search: SavedSearchRecord): Promise<void>;
  listSavedSearches(userId: string): Promise<SavedSearchRecord[]>;
  /** Deletes one of the user's saved searches; `false` when absent or not the user's. */
  deleteSavedSearch(userId: string, id: string): Promise<boolean>;

  /** Records a search; keeps the newest `keep` entries per user. */
  addSearchHistory(entry: SearchHistoryRecord, keep: number): Promise<void>;
  listSearchHistory(userId: string, limit: number): Promise<SearchHistoryRecord[]>;

  createUploadJob(job: UploadJobRecord): Promise<void>;
  updateUploadJob(job: UploadJobRecord): Promise<void>;
  getUploadJob(id: string): Promise<UploadJobRecord | undefined>;
  listUploadJobs(limit: number): Promise<UploadJobRecord[]>;
  countUploadJobs(range?: Partial<TimeRange>): Promise<number>;

  createAlertRule(rule: AlertRuleRecord): Promise<void>;
  updateAlertRule(rule: AlertRuleRecord): Promise<void>;
  listAlertRules(): Promise<AlertRuleRecord[]>;
  deleteAlertRule(id: string): Promise<boolean>;

  addAuditRecord(record: AuditRecord): Promise<void>;
  /** The newest audit records first. */
  listAuditRecords(limit: number): Promise<AuditRecord[]>;
  /** Records a notification's outcome; keeps the newest `keep` records. */
  addNotification(record: NotificationRecord, keep: number): Promise<void>;
  /** Newest first, optionally only those of one rule or one channel. */
  listNotifications(query: { ruleId?: string; channel?: string; limit: number }): Promise<NotificationRecord[]>;

  /** A persistent key/value setting (e.g. "demo data loaded"). */
  getSetting(key: string): Promise<string | undefined>;
  setSetting(key: string, value: string): Promise<void>;

  close(): Promise<void>;
}

/** A cache of JSON-serialisable values with TTL and prefix invalidation. */
export interface Cache {
  get<T>(key: string): Promise<T | undefined>;
  /** Stores `value` for `ttlMs` milliseconds. */
  set<T>(key: string, value: T, ttlMs: number): Promise<void>;
  delete(key: string): Promise<void>;
  /** Drops every entry whose key starts with `prefix` (e.g. `analytics:` after an ingest). */
  invalidatePrefix(prefix: string): Promise<void>;
  close(): Promise<void>;
}

/** Thrown by a store when its backend cannot be reached; the HTTP layer maps it to 503 (retryable). */
export class StoreUnavailableError extends Error {
  /** Creates the error; `cause` is the backend's error. */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}

/**
 * Thrown by a store when a write would break a unique key (a username taken meanwhile by a concurrent request): the
 * store's own constraint decides, so a check-then-insert race still ends in one winner. The HTTP layer maps it to 409.
 */
export class DuplicateKeyError extends Error {
  /** Creates the error; `cause` is the backend's error. */
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DuplicateKeyError';
  }
}
