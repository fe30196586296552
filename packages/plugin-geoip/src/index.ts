import { definePlugin, PLUGIN_API_VERSION } from '@shoplog/core';
import pkg from '../package.json' with { type: 'json' };
import { GeoIpOptionsSchema } from './options.js';
import { createGeoIpProcessor } from './processor.js';

export { createGeoIpProcessor } from './processor.js';
export type { GeoIpProcessor } from './processor.js';
export { CLAIMED_COUNTRY_LABEL, GeoIpOptionsSchema } from './options.js';
export type { ClaimedGeoPolicy, GeoIpProcessorOptions } from './options.js';
export type { AsFields, GeoAnswer, GeoFields } from './record.js';
export type { DatabaseStatus } from './database.js';

/**
 * The GeoIP plugin, as a config file names it (`@shoplog/plugin-geoip`): a processor that fills `client.geo.*` and
 * `client.as.*` from `client.ip`. Problems with the database files go to the host's warning channel.
 */
const geoIpPlugin = definePlugin({
  name: '@shoplog/plugin-geoip',
  version: pkg.version,
  apiVersion: PLUGIN_API_VERSION,
  kind: 'processor',
  description: 'Fills client.geo (country, city) and client.as from client.ip with a local MMDB database.',
  options: GeoIpOptionsSchema,
  // Lookups are synchronous reads of a database held in memory.
  capabilities: { mutates: true, async: false },
  create: (options, context) => createGeoIpProcessor({ ...options, onWarning: (message) => context.warn(message) }),
});

export default geoIpPlugin;
