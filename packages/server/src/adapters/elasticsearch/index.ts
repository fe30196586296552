export { createElasticsearchLogStore } from './log-store.js';
export type { ElasticsearchLogStore, ElasticsearchLogStoreOptions } from './log-store.js';
export { EsRejectedEventError } from './bulk.js';
export { installEsResources, EsInstallError } from './install.js';
export type { EsInstallStep } from './install.js';
export { dryRunEsInstall } from './dry-run.js';
export type { RecordedEsRequest } from './dry-run.js';
export {
  ES_RESOURCES_VERSION,
  ILM_POLICY_NAME,
  SETTINGS_COMPONENT_NAME,
  MAPPINGS_COMPONENT_NAME,
  esResources,
  dataStreamName,
  dataStreamPattern,
  indexTemplateName,
} from './resources.js';
export type { EsResources, EsResourceOptions } from './resources.js';
export { EVENT_MAPPINGS } from './mappings.js';
