export { pluginContractChecks, runPluginContract } from './contract.js';
export type { ContractCheck, PluginContractOptions, TestRunner } from './contract.js';
export { sampleEvents } from './samples.js';
