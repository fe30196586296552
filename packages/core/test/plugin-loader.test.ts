import { mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  createMemoryExporter,
  createPipeline,
  loadPlugin,
  pluginInfo,
  pluginStages,
  transaction,
  type PluginLoaderOptions,
  type ShoplogEvent,
} from '@shoplog/core';

// Real modules on disk, imported by Node: what a config file names.
const dir = mkdtempSync(join(tmpdir(), 'shoplog-loader-'));
const coreUrl = import.meta.resolve('@shoplog/core');
// The modules import zod as a plugin package would (its own dependency).
mkdirSync(join(dir, 'node_modules'));
symlinkSync(
  realpathSync(dirname(createRequire(import.meta.url).resolve('zod/package.json'))),
  join(dir, 'node_modules', 'zod'),
);
function pluginModule(file: string, body: string): string {
  writeFileSync(
    join(dir, file),
    `import { definePlugin, PLUGIN_API_VERSION } from ${JSON.stringify(coreUrl)};\nimport { z } from 'zod';\n${body}\n`,
  );
  return `./${file}`;
}
const loader: PluginLoaderOptions = {
  import: (s) => import(s),
  baseUrl: pathToFileURL(`${dir}/`).href,
  host: 'sdk',
  warn: () => {},
};

const tagger = pluginModule(
  'tagger.mjs',
  `export default definePlugin({ name: 'acme-tagger', version: '1.2.3', apiVersion: PLUGIN_API_VERSION, kind: 'processor',
    options: z.strictObject({ tag: z.string().min(1), nested: z.strictObject({ level: z.int().min(1) }).optional() }),
    create: ({ tag }) => ({ name: 'acme-tagger', process: (e) => ({ ...e, tags: [...(e.tags ?? []), tag] }) }) });`,
);
const future = pluginModule(
  'future.mjs',
  `export default definePlugin({ name: 'acme-future', version: '3.0.0', apiVersion: PLUGIN_API_VERSION + 1, kind: 'processor',
    options: z.object({}), create: () => ({ name: 'acme-future', process: (e) => e }) });`,
);
const notifier = pluginModule(
  'notifier.mjs',
  `export const channel = definePlugin({ name: 'acme-pager', version: '0.1.0', apiVersion: PLUGIN_API_VERSION, kind: 'notifier',
    options: z.object({}), create: () => ({ name: 'acme-pager', notify: async () => {} }) });`,
);
const nothing = pluginModule('nothing.mjs', 'export const x = 1;');
const tx = () =>
  transaction({
    shop: {
      transaction: { id: 't-1', type: 'purchase', status: 'completed' },
      amount: { value: '1.00', currency: 'EUR' },
    },
  });

describe('loading plugins by specifier', () => {
  it('imports a module relative to the base URL, checks its options and creates the instance', async () => {
    const loaded = await loadPlugin({ module: tagger, options: { tag: 'eu' } }, loader);
    expect(loaded.info).toEqual({ name: 'acme-tagger', version: '1.2.3', kind: 'processor', module: tagger });
    expect(pluginInfo(loaded.instance)).toEqual(loaded.info);
  });

  it('refuses a plugin for another API version, naming the plugin, its module and both versions', async () => {
    await expect(loadPlugin(future, loader)).rejects.toThrow(
      'plugin acme-future@3.0.0 (module "./future.mjs") was written for plugin API 2; this Shoplog implements plugin API 1',
    );
  });

  it('names the plugin and the option path when an option is wrong', async () => {
    await expect(loadPlugin({ module: tagger, options: { tag: 'x', nested: { level: 0 } } }, loader)).rejects.toThrow(
      /plugin acme-tagger: invalid options: nested\.level: /,
    );
    await expect(loadPlugin({ module: tagger, options: {} }, loader)).rejects.toThrow(
      /plugin acme-tagger: invalid options: tag: /,
    );
  });

  it('finds a named export, and refuses a kind this host does not run', async () => {
    expect((await loadPlugin({ module: notifier, export: 'channel' }, loader)).info.kind).toBe('notifier');
    await expect(
      loadPlugin({ module: notifier, export: 'channel' }, { ...loader, kinds: ['processor'] }),
    ).rejects.toThrow(
      'plugin acme-pager@0.1.0 (module "./notifier.mjs") is a notifier; here only processor plugins run',
    );
  });

  it('says what is wrong with a module that is missing or exports no plugin', async () => {
    await expect(loadPlugin('./missing.mjs', loader)).rejects.toThrow(/cannot load plugin module "\.\/missing\.mjs"/);
    await expect(loadPlugin(nothing, loader)).rejects.toThrow(
      'plugin module "./nothing.mjs" has no plugin definition as a default export',
    );
    await expect(loadPlugin('./x.mjs', { ...loader, baseUrl: undefined } as PluginLoaderOptions)).rejects.toThrow(
      /is a path, but nothing says what it is relative to/,
    );
  });

  it('runs a specifier as a pipeline stage, loaded before the first event goes through', async () => {
    const exporter = createMemoryExporter();
    const pipeline = createPipeline({
      plugins: [...pluginStages([{ module: tagger, options: { tag: 'loaded' } }], loader), exporter],
    });
    await pipeline.process(tx());
    expect(exporter.events.map((e: ShoplogEvent) => e.tags)).toEqual([['loaded']]);
    expect(pipeline.metrics().plugins.map((p) => p.name)).toEqual(['acme-tagger', exporter.name]);
  });

  it('a stage whose plugin cannot be loaded is reported once and fails every event per policy: it never silently vanishes', async () => {
    const exporter = createMemoryExporter();
    const errors: string[] = [];
    const pipeline = createPipeline({
      plugins: [...pluginStages([future], loader), exporter],
      onPluginError: 'drop',
      circuitBreaker: false,
      onError: (error) => errors.push((error as Error).message),
    });
    await pipeline.process(tx());
    expect(exporter.events).toHaveLength(0);
    expect(errors[0]).toMatch(/written for plugin API 2/);
    expect(pipeline.metrics().plugins[0]).toMatchObject({ name: future, errors: 1 });
  });

  it('refuses a bad entry with its index', () => {
    expect(() => pluginStages([42 as never], loader)).toThrow(/plugins\[0\]: must be a processor/);
    expect(() => pluginStages(['pkg'], undefined)).toThrow(
      /plugins\[0\]: a module specifier needs a host that loads modules/,
    );
  });
});
