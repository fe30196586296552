export {
  EVENT_KINDS,
  DATASETS,
  LOG_LEVELS,
  LogLevelSchema,
  TimestampSchema,
  EventIdSchema,
  IdSchema,
  CurrencySchema,
  CountrySchema,
  DecimalStringSchema,
  MoneySchema,
  EventFieldsSchema,
  EnvelopeBaseSchema,
  currencyExponent,
  ZERO_DECIMAL_CURRENCIES,
  THREE_DECIMAL_CURRENCIES,
  decimalToMinor,
  numberToDecimal,
  minorToDecimal,
  completeMoney,
} from './schema/common.js';
export type { EventKind, Dataset, LogLevel, Money } from './schema/common.js';
export {
  CardSchema,
  TRANSACTION_TYPES,
  TRANSACTION_STATUSES,
  TransactionShopSchema,
  ERROR_KINDS,
  ErrorShopSchema,
  USER_ACTIONS,
  UserBehaviorShopSchema,
  PERFORMANCE_KINDS,
  PerformanceShopSchema,
  RISK_LEVELS,
  FRAUD_DECISIONS,
  FraudReasonSchema,
  FraudVerdictSchema,
  FraudShopSchema,
  TransactionEventSchema,
  ErrorEventSchema,
  UserBehaviorEventSchema,
  PerformanceEventSchema,
  FraudEventSchema,
  LogShopSchema,
  LogEventSchema,
  ShoplogEventSchema,
  KIND_SCHEMAS,
} from './schema/kinds.js';
export type {
  TransactionEvent,
  ErrorEvent,
  UserBehaviorEvent,
  PerformanceEvent,
  FraudEvent,
  LogEvent,
  ShoplogEvent,
  FraudReason,
  FraudVerdict,
  EventByKind,
} from './schema/kinds.js';
export { uuidv7, randomHex } from './ids.js';
export { validate, kindOfDataset, formatPath, toIssues } from './validate.js';
export type { ValidationIssue, ValidationResult } from './validate.js';
export { FIELD_CATALOG, TEXT_SOURCES, LEVEL_ALIASES } from './fields/catalog.js';
export type { FieldSpec, FieldOperator, FieldDerivation, CatalogField } from './fields/catalog.js';
export { fieldReader, COLUMN_FIELDS, readColumns, searchTextOf, textTerms, termMatches } from './fields/read.js';
export type { FieldValue } from './fields/read.js';
export { createJsonLimitCheck, DEFAULT_MAX_DEPTH } from './json-limits.js';
export type { JsonLimits, JsonLimitCheck } from './json-limits.js';
export { eventJsonSchema } from './json-schema.js';
export type { JsonSchema } from './json-schema.js';
export {
  BulkIssueSchema,
  BULK_RESULTS,
  BulkItemSchema,
  BulkReplySchema,
  ES_BULK_ACTIONS,
  EsBulkActionMetaSchema,
  EsBulkActionLineSchema,
  EsBulkItemErrorSchema,
  EsBulkItemResultSchema,
  EsBulkReplySchema,
} from './wire/bulk.js';
export type { BulkReply, BulkItem, EsBulkAction, EsBulkReply, EsBulkItemResult } from './wire/bulk.js';
export {
  createEvent,
  completeEvent,
  transaction,
  error,
  userBehavior,
  performance,
  fraud,
  appLog,
  msToNs,
} from './builders.js';
export type { BuildOptions, EventInput, MoneyInput, ServiceInfo } from './builders.js';
export type { PluginContext, PluginErrorPolicy, ShoplogPlugin } from './plugin.js';
export { PLUGIN_API_VERSION, definePlugin, createPluginInstance } from './plugin-definition.js';
export { OptionsError, parseOptions } from './options.js';
export { isoTime, isoTimeOfText } from './iso-time.js';
export { isJsonPlain, jsonString } from './json-text.js';
export {
  PluginSpecSchema,
  loadPlugin,
  pluginStages,
  pluginInfo,
  pluginReady,
  resolveSpecifier,
  moduleOf,
} from './plugin-loader.js';
export type { PluginSpec, PluginEntry, PluginInfo, PluginLoaderOptions, LoadedPlugin } from './plugin-loader.js';
export { PluginTimeoutError, StageGuard } from './pipeline/stage-guard.js';
export type { PluginStats, BreakerState, CircuitBreakerOptions } from './pipeline/stage-guard.js';
export type {
  PluginKind,
  PluginCapabilities,
  PluginDefinition,
  PluginInstances,
  PluginCreateContext,
  Notification,
  Notifier,
  NotifyFailure,
  AbortSignalLike,
} from './plugin-definition.js';
export { isRetryableStatus, parseRetryAfter, isConnectionError, backoffDelay } from './retry.js';
export type { BackoffOptions } from './retry.js';
export { createPipeline } from './pipeline/pipeline.js';
export { createThrottledWarning } from './pipeline/throttled-warning.js';
export type {
  Pipeline,
  PipelineOptions,
  PipelineInput,
  PipelineMetrics,
  PipelineErrorHandler,
  PipelineErrorInfo,
} from './pipeline/types.js';
export { ShoplogValidationError, PluginContractError } from './pipeline/errors.js';
export { exporterPaths } from './pipeline/exporter.js';
export type { EventExporter, ExporterPaths, LineExporter } from './pipeline/exporter.js';
export { createMemoryExporter } from './pipeline/memory-exporter.js';
export type { MemoryExporter, MemoryExporterOptions } from './pipeline/memory-exporter.js';
export { createRedactor } from './redact/redactor.js';
export type { Redactor, RedactorOptions } from './redact/redactor.js';
export { maskCardNumbers, luhnValid, isCardNumber } from './redact/card-numbers.js';
export { SENSITIVE_KEY_PATTERN, isSensitiveKey } from './redact/sensitive-keys.js';
export { redactUrl } from './redact/url.js';
export { normalize, createNormalizer } from './normalize/normalize.js';
export type { NormalizeOptions, Normalizer } from './normalize/normalize.js';
export { parseTimestamp } from './normalize/timestamp.js';
export { createShoplog } from './client.js';
export { createUserAgentEnricher, parseUserAgent } from './enrich/user-agent.js';
export type { ParsedUserAgent, UserAgentEnricherOptions } from './enrich/user-agent.js';
export { createIpAnonymizer, anonymizeIp } from './enrich/ip-anonymizer.js';
export type { IpAnonymizerOptions } from './enrich/ip-anonymizer.js';
export { parseIpAddress } from './enrich/ip-address.js';
export type { IpAddress } from './enrich/ip-address.js';
export type { ShoplogClient, ShoplogOptions } from './client.js';

// --- analytics: percentile sketches, latency stats, fraud scoring (branch core-analytics) ---
export { createSketch, sketchFromJson, SketchJsonSchema } from './sketch/dd-sketch.js';
export type { PercentileSketch, SketchJson, SketchOptions } from './sketch/dd-sketch.js';
export { encodeSketch, decodeSketch, encodeSketchBytes, decodeSketchBytes } from './sketch/codec.js';
export { createRandom } from './fraud/random.js';
export type { Random } from './fraud/random.js';
export {
  createLatencyStats,
  mergeLatencySnapshots,
  latencyKeyOf,
  recordPerformanceEvent,
  createLatencyPlugin,
  OTHER_LATENCY_KEY,
} from './stats/latency.js';
export type {
  LatencyKind,
  LatencyStats,
  LatencyStatsOptions,
  LatencySnapshot,
  LatencyQuery,
  LatencyPluginOptions,
} from './stats/latency.js';
export { FraudInputSchema, fraudInputFromEvent } from './fraud/input.js';
export type { FraudInput } from './fraud/input.js';
export { createMemoryVelocityStore } from './fraud/velocity-store.js';
export type {
  VelocityStore,
  VelocityHit,
  SeriesStats,
  MemoryVelocityStoreOptions,
  MaybePromise,
} from './fraud/velocity-store.js';
export type { FraudRule, FraudRuleHit, FraudSignals, FraudCounter, FraudDimension } from './fraud/rule.js';
export { BUILTIN_FRAUD_RULES, seedFraudRules } from './fraud/builtin.js';
export type { FraudRuleConfig, FraudRulesConfig } from './fraud/builtin.js';
export { defineRule, ruleOfPlugin } from './fraud/rules/define.js';
export type { BuiltinFraudRule } from './fraud/rules/define.js';
export { isDisposableEmail } from './fraud/rules/identity.js';
export { createFraudScorer } from './fraud/scorer.js';
export type { FraudScorer, FraudScorerOptions, FraudResult, RiskLevel, FraudDecision } from './fraud/scorer.js';
export { FraudInputError, moneyToMinor } from './fraud/check-input.js';
export { FraudModelSchema } from './fraud/model/model.js';
export type { FraudModel, FraudModelTree } from './fraud/model/model.js';
export { DEFAULT_FRAUD_MODEL } from './fraud/model/default-model.js';
export { createFraudModelEvaluator } from './fraud/model/evaluate.js';
export { fitTrees } from './fraud/model/boost.js';
export type { TrainingData, BoostOptions } from './fraud/model/boost.js';
export type { FraudLabel, FraudFeedback, RefitOptions } from './fraud/model/learner.js';
export { PROFILE_FEATURES } from './fraud/features/catalog.js';
export type { FeatureInfo } from './fraud/features/catalog.js';
export { userAgentFamily, domainSuspicion } from './fraud/features/normalize.js';
export { canonicalEmail } from './fraud/state/hash.js';
export {
  createMemoryFraudStateStore,
  createStateBatch,
  fraudStateKeys,
  STATE_KINDS,
  RECORD_WORDS,
  STRIDE,
} from './fraud/state/store.js';
export type {
  FraudStateStore,
  FraudStateKey,
  StateBatch,
  StateKind,
  MemoryFraudStateStoreOptions,
} from './fraud/state/store.js';
export { createFraudPlugin, fraudEventFromResult } from './fraud/plugin.js';
export type { FraudPluginOptions } from './fraud/plugin.js';
export {
  createTrafficGenerator,
  transactionEventFromInput,
  detectionReport,
  rocAuc,
  FRAUD_SCENARIOS,
  LEGIT_SCENARIOS,
  SEASONING,
  trafficAddressBlocks,
} from './fraud/traffic.js';
export type {
  TrafficGenerator,
  TrafficGeneratorOptions,
  TrafficScenario,
  LabelledTransaction,
  DetectionReport,
  DetectionSample,
  TrafficAddressBlock,
} from './fraud/traffic.js';
