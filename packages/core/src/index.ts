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
  decimalToMinor,
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
  FraudShopSchema,
  TransactionEventSchema,
  ErrorEventSchema,
  UserBehaviorEventSchema,
  PerformanceEventSchema,
  FraudEventSchema,
  ShoplogEventSchema,
  KIND_SCHEMAS,
} from './schema/kinds.js';
export type {
  TransactionEvent,
  ErrorEvent,
  UserBehaviorEvent,
  PerformanceEvent,
  FraudEvent,
  ShoplogEvent,
  FraudReason,
  EventByKind,
} from './schema/kinds.js';
export { uuidv7, randomHex } from './ids.js';
export { validate, kindOfDataset, formatPath, toIssues } from './validate.js';
export type { ValidationIssue, ValidationResult } from './validate.js';
export { eventJsonSchema } from './json-schema.js';
export type { JsonSchema } from './json-schema.js';
export { createEvent, transaction, error, userBehavior, performance, fraud, msToNs } from './builders.js';
export type { BuildOptions, EventInput, ServiceInfo } from './builders.js';
export type { PluginContext, PluginErrorPolicy, ShoplogPlugin } from './plugin.js';
export { createPipeline, createThrottledWarning } from './pipeline/pipeline.js';
export type { Pipeline, PipelineOptions, PipelineInput, PipelineMetrics, PipelineErrorHandler, PipelineErrorInfo } from './pipeline/pipeline.js';
export { ShoplogValidationError, PluginContractError } from './pipeline/errors.js';
export { createMemoryExporter } from './pipeline/memory-exporter.js';
export type { MemoryExporter, MemoryExporterOptions } from './pipeline/memory-exporter.js';
export { createRedactor } from './redact/redactor.js';
export type { Redactor, RedactorOptions } from './redact/redactor.js';
export { maskCardNumbers, luhnValid, isCardNumber } from './redact/card-numbers.js';
export { SENSITIVE_KEY_PATTERN, isSensitiveKey } from './redact/sensitive-keys.js';
export { normalize, createNormalizer } from './normalize/normalize.js';
export type { NormalizeOptions, Normalizer } from './normalize/normalize.js';
export { parseTimestamp } from './normalize/timestamp.js';
export { createShoplog } from './client.js';
export { createUserAgentEnricher, parseUserAgent } from './enrich/user-agent.js';
export type { ParsedUserAgent, UserAgentEnricherOptions } from './enrich/user-agent.js';
export { createIpAnonymizer, anonymizeIp } from './enrich/ip-anonymizer.js';
export type { IpAnonymizerOptions } from './enrich/ip-anonymizer.js';
export type { ShoplogClient, ShoplogOptions } from './client.js';
