/** A stored event as the API returns it (the Shoplog envelope; fields are read defensively). */
export type LogEvent = Record<string, unknown>;

/** A signed-in user. */
export interface User {
  id: string;
  username: string;
  role: 'viewer' | 'analyst' | 'admin' | string;
}

/** `POST /api/auth/login` and `GET /api/auth/me`. */
export interface Session {
  user: User;
  csrfToken: string;
}

/** `GET /api/dashboard/overview`. */
export interface Overview {
  range: string;
  from: string;
  to: string;
  total_logs: number;
  logs_today: number;
  total_errors: number;
  error_rate: number;
  unique_users: number;
  active_users: number;
  avg_response_time_ms: number | null;
  uploaded_files: number;
  logs_per_hour: { hour: string; total: number; errors: number }[];
  log_levels_distribution: Record<string, number>;
  log_types: { type: string; count: number }[];
  top_services: { name: string; count: number; percentage: number }[];
  top_endpoints: { route: string; count: number }[];
  /** Events by the country of their client IP (`client.geo.country_iso_code`, from GeoIP). */
  top_countries: { country: string; count: number }[];
  recent_errors: LogEvent[];
  cached: boolean;
  generated_at: string;
}

/** `GET /api/search/`. */
export interface SearchResponse {
  success: boolean;
  data: {
    total: number;
    page: number;
    page_size: number;
    total_pages: number;
    results: { id: string; score: number | null; source: LogEvent; highlight?: { message?: string } }[];
    next_cursor: string | null;
  };
}

/** `GET /api/search/autocomplete`. */
export interface Suggestions {
  suggestions: { text: string; field: string; count?: number }[];
}

/** `GET /api/search/fields`. */
export interface Fields {
  fields: { field: string; top: { value: string | number | boolean; count: number }[] }[];
}

/** `GET /api/search/histogram`. */
export interface Histogram {
  interval_ms: number;
  buckets: { ts: string | number; count: number }[];
}

/** Latency percentiles of one group. */
export interface Percentiles {
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  mean: number;
  max: number;
  count: number;
}

/** `GET /api/performance/metrics`. */
export interface Performance {
  approximate: boolean;
  relative_error: number;
  overall: Percentiles;
  by_route: (Percentiles & { route: string })[];
  by_db_operation: (Percentiles & { operation: string })[];
  slow_requests: { threshold_ms: number; count: number };
  slow_queries: { threshold_ms: number; count: number };
  timeline: { ts: string | number; p50: number; p95: number; p99: number }[];
}

/** `GET /api/analytics/transactions`. */
export interface Transactions {
  currency_note: string;
  totals: { count: number; total_amount: number; avg_amount: number; currency: string; count_all_currencies: number };
  timeline: { date: string; count: number; total_amount: number; avg_amount: number }[];
  payment_methods: { method: string; count: number; total_amount: number }[];
  transaction_status: { status: string; count: number }[];
}

/** `GET /api/analytics/user-behavior`. */
export interface Behavior {
  actions: { action: string; count: number }[];
  funnel: { step: string; sessions: number }[];
  abandonment_rate: number;
  cart_abandonment_count: number;
}

/** `GET /api/analytics/errors`. */
export interface ErrorsAnalytics {
  error_codes: { code: string; count: number }[];
  error_types: { type: string; count: number }[];
  timeline: { date: string; count: number }[];
}

/** One fraud alert. */
export interface FraudAlert {
  id: string;
  '@timestamp': string;
  score: number;
  risk_level: string;
  decision: string;
  reasons: { code: string; contribution: number; detail?: string }[];
  transaction_id?: string | null;
  user_id?: string | null;
  amount?: number | string | null;
  currency?: string | null;
}

/** `GET /api/fraud/stats`. */
export interface FraudStats {
  count: number;
  avg_score: number | null;
  by_decision: Record<string, number>;
  top_reasons: { code: string; count: number }[];
  score_histogram: { from: number; to: number; count: number }[];
}

/** `GET /api/logs/uploads/:id`. */
export interface UploadJob {
  id: string;
  status: 'pending' | 'processing' | 'completed' | 'failed';
  filename: string;
  total_lines: number | null;
  processed: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  errors: { line: number; issues: { path?: string; message: string }[] | string }[];
  preview?: LogEvent[];
  created_at: string;
  finished_at: string | null;
  file_size?: number;
}

/** One alert rule (`GET /api/alerts/rules`). */
export interface AlertRule {
  id: string;
  name: string;
  metric: string;
  filters: Record<string, string>;
  window: string;
  window_ms: number;
  threshold: number;
  state: 'ok' | 'firing' | 'unknown';
  last_value: number | null;
  last_fired_at: string | null;
  last_evaluated_at: string | null;
  created_at: string | null;
  channels: string[];
  firing_since: string | null;
  enabled: boolean;
}

/** One notification channel with its delivery counters (`GET /api/alerts/channels`; never its options). */
export interface AlertChannel {
  name: string;
  type: string;
  fraud: boolean;
  metrics: {
    queued: number;
    sent: number;
    failed: number;
    retried: number;
    dropped: number;
    suppressed: number;
    lastError: { message: string; at: string } | null;
  };
}

/** One sent (or failed) notification (`GET /api/alerts/history`). */
export interface AlertNotification {
  id: string;
  channel: string;
  type: string;
  rule_id: string | null;
  title: string;
  outcome: 'sent' | 'failed' | 'dropped';
  attempts: number;
  error: string | null;
  count: number;
  at: string | null;
}

/** An API key as listed (`GET /api/keys`): never its secret. */
export interface ApiKey {
  id: string;
  name: string;
  scope: string;
  prefix: string;
  created_at: string;
  last_used_at: string | null;
}

/** A user as listed (`GET /api/users`). */
export interface UserRow {
  id: string;
  username: string;
  role: string;
  created_at: string;
}

/** A saved search (`GET /api/searches`): `params` are the search page's URL parameters. */
export interface SavedSearch {
  id: string;
  name: string;
  params: Record<string, string>;
  created_at: string;
}

/** One plugin's health, as `GET /api/dashboard/health` reports it in `plugins`. */
export interface PluginHealth {
  name: string;
  version: string;
  kind: string;
  stage: string;
  state: 'ok' | 'failing' | 'open' | 'refused';
  calls: number;
  errors: number;
  timeouts: number;
  total_ms: number;
  last_error?: string;
}

/** `GET /api/dashboard/health` (the parts the dashboard shows). */
export interface Health {
  status: 'ok' | 'degraded' | 'down';
  dependencies: { name: string; kind: string; status: 'ok' | 'down'; latency_ms?: number; error?: string }[];
  disk?: { status: string; message?: string };
  plugins?: PluginHealth[];
}

/** Precision and recall of flagged transactions against the shop's labels (`POST /api/fraud/backtest`). */
export interface BacktestQuality {
  flagged: number;
  fraud: number;
  legitimate: number;
  precision: number | null;
  recall: number | null;
}

/** `GET /api/fraud/backtest/:id`. */
export interface BacktestJob {
  id: string;
  status: 'running' | 'done' | 'failed';
  version: string;
  from: string;
  to: string;
  error: string | null;
  report: {
    scanned: number;
    truncated: string | null;
    errors: number;
    durationMs: number;
    decisions: { allow: number; review: number; block: number };
    labels: { fraud: number; legitimate: number };
    overall: BacktestQuality;
    byReason: ({ code: string } & BacktestQuality)[];
  } | null;
}

/** `GET /api/fraud/models`. */
export interface FraudModels {
  active: string;
  live: boolean;
  labels: number;
  versions: { version: string; active: boolean; created_at: string | null }[];
}
