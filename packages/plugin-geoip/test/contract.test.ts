import { describe, it } from 'vitest';
import { runPluginContract } from '@shoplog/core/testing';
import geoIpPlugin from '../src/index.js';
import { CITY, tempDir } from './fixtures.js';

// With the database that installs from npm, and with a city database file of the shop's own.
runPluginContract(
  {
    plugin: geoIpPlugin,
    title: 'database from npm',
    options: { watch: false },
    badOptions: { options: { cacheSize: -1 }, path: 'cacheSize' },
  },
  { describe, it },
);
const files = tempDir();
runPluginContract(
  {
    plugin: geoIpPlugin,
    title: 'own city database',
    options: { watch: false, databasePath: files.write('city.mmdb', CITY) },
    badOptions: { options: { databasePath: [] }, path: 'databasePath' },
  },
  { describe, it },
);
