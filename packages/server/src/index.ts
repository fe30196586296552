export { DuplicateKeyError, StoreUnavailableError } from './ports.js';
export type {
  EpochMs,
  TimeRange,
  AppendResult,
  LogFilter,
  TermsField,
  NumericField,
  SortField,
  SearchQuery,
  SearchHit,
  SearchPage,
  TermCount,
  TermsOptions,
  TermsBucket,
  HistogramOptions,
  HistogramBucket,
  NumericStats,
  LatencySummary,
  LatencyGroupBy,
  LatencyGroup,
  LatencyReport,
  AutocompleteField,
  Suggestion,
  EventListener,
  LogStore,
  IndexStatus,
  StoreStatus,
  Role,
  KeyScope,
  UserRecord,
  ApiKeyRecord,
  SessionRecord,
  SavedSearchRecord,
  SearchHistoryRecord,
  UploadStatus,
  UploadJobRecord,
  AlertMetric,
  AlertRuleRecord,
  NotificationRecord,
  MetaStore,
  FraudMetaStore,
  Cache,
  AuditRecord,
  ErasureSubject,
  ErasureResult,
  RetentionCutoffs,
} from './ports.js';
export { createServer, VERSION } from './server.js';
export { backupDataDir, restoreDataDir, BACKUP_FILES } from './backup.js';
export type { BackupManifest, BackupOptions, RestoreOptions } from './backup.js';
export { eraseSubject, parseErasureSubject, subjectHash, ErasureError, isErasable } from './erasure.js';
export type { ErasureDeps, ErasableVelocityStore, VelocitySubject } from './erasure.js';
export { withEventBus } from './event-bus.js';
export type { EventBus } from './event-bus.js';
export { startRetention, retentionCutoffs, retentionDays, RETENTION_INTERVAL_MS } from './retention.js';
export type { Retention, RetentionOptions, RetentionPolicy } from './retention.js';
export { createDiskGuard, guardAppends, diskFailure, InsufficientStorageError } from './disk-guard.js';
export type { DiskGuard, DiskGuardOptions, DiskState } from './disk-guard.js';
export type { ServerOptions, ServerStores, ShoplogServer } from './server.js';
export { loadConfig, configFrom, ServerConfigSchema, SETTINGS } from './config.js';
export { loadServerConfig, findConfigFile, CONFIG_FILE_NAMES } from './config-file.js';
export type { LoadedConfig } from './config-file.js';
export { serverPluginLoader } from './plugins.js';
export type { PluginHealth } from './plugins.js';
export type { ServerConfig, ServerConfigInput } from './config.js';
export { OptionsError } from '@shoplog/core';
export { healthReport, scaleOutHealthCheck } from './health.js';
export { createRateLimiter, fromSharedRateLimiter } from './auth/rate-limit.js';
export type { RateLimiter, ServerRateLimiters, SharedRateLimiter, RateLimitDecision } from './auth/rate-limit.js';
export type {
  DependencyKind,
  DependencyStatus,
  HealthCheck,
  HealthReport,
  HealthSources,
  IndexReport,
} from './health.js';
export { createSqliteLogStore } from './store/sqlite-log-store.js';
export type { SqliteLogStoreOptions } from './store/sqlite-log-store.js';
export { createSqliteMetaStore } from './store/sqlite-meta-store.js';
export type { SqliteMetaStoreOptions } from './store/sqlite-meta-store.js';
export { createMemoryCache } from './store/memory-cache.js';
export type { MemoryCacheOptions } from './store/memory-cache.js';
export { generateTraffic } from './generator.js';
export type { TrafficOptions } from './generator.js';
export { bootstrap } from './bootstrap.js';
export type { BootstrapResult } from './bootstrap.js';
export { createApiKey, createUser } from './http/admin-routes.js';
export { withContentId } from './ingest/content-id.js';
export { createIngestor } from './ingest/ingestor.js';
export type { Ingestor, IngestItem, IngestorOptions } from './ingest/ingestor.js';
export { DEFAULT_INGEST_LIMITS } from './ingest/limits.js';
export type { IngestLimits } from './ingest/limits.js';
export type { LineStats } from './ingest/line-feed.js';
export type { SocketIngestStats } from './ingest/socket-ingest.js';
export { matchesFilter } from './http/event-match.js';
// The scale-out adapters need their client packages (optional peer dependencies) and are imported from their own
// entry points: `@shoplog/server/elasticsearch`, `@shoplog/server/redis`, `@shoplog/server/mongodb`.
// `createScaleOut` loads the ones its environment selects.
export { createScaleOut } from './adapters/scale-out.js';
export type { ScaleOut, DependencyHealth } from './adapters/scale-out.js';
