export {
  createElasticsearchLogStore,
  EsRejectedEventError,
  installEsResources,
  EsInstallError,
  dryRunEsInstall,
  ES_RESOURCES_VERSION,
  ILM_POLICY_NAME,
  SETTINGS_COMPONENT_NAME,
  MAPPINGS_COMPONENT_NAME,
  esResources,
  dataStreamName,
  dataStreamPattern,
  indexTemplateName,
  EVENT_MAPPINGS,
} from './elasticsearch/index.js';
export type {
  ElasticsearchLogStore,
  ElasticsearchLogStoreOptions,
  EsInstallStep,
  RecordedEsRequest,
  EsResources,
  EsResourceOptions,
} from './elasticsearch/index.js';
export { createRedisCache, createRedisVelocityStore, createRedisRateLimiter, createRedisEventBus, withEventBus } from './redis/index.js';
export type {
  RedisCacheOptions,
  RedisVelocityStore,
  RedisVelocityStoreOptions,
  SharedRateLimiter,
  RateLimitDecision,
  RedisRateLimiterOptions,
  EventBus,
  RedisEventBusOptions,
  RedisConnectionOptions,
} from './redis/index.js';
export { createMongoMetaStore, databaseOfUrl, META_INDEXES } from './mongodb/index.js';
export type { MongoMetaStore, MongoMetaStoreOptions } from './mongodb/index.js';
export { createScaleOut } from './scale-out.js';
export type { ScaleOut, DependencyHealth } from './scale-out.js';
