import { z } from 'zod';
import {
  createPluginInstance,
  PLUGIN_API_VERSION,
  type PluginDefinition,
  type PluginInstances,
  type PluginKind,
} from './plugin-definition.js';
import type { ShoplogPlugin } from './plugin.js';
import { resolveUrl, warn as hostWarn } from './runtime.js';

/** A plugin named in a configuration: a module specifier, with the options of its factory. */
export const PluginSpecSchema = z.union([
  z.string().min(1),
  z.strictObject({
    /** An npm package name or a path (relative to the configuration that names it). */
    module: z.string().min(1),
    /** The export holding the plugin definition. @default 'default' */
    export: z.string().min(1).optional(),
    /** The plugin's options, checked with its own schema. @default {} */
    options: z.unknown().optional(),
  }),
]);

/** A plugin named by module specifier: `'@acme/shoplog-plugin'`, or `{ module, export?, options? }`. */
export type PluginSpec = z.input<typeof PluginSpecSchema>;

/** What a surface's `plugins` option takes: a processor instance, or a specifier loaded when the surface starts. */
export type PluginEntry = ShoplogPlugin | PluginSpec;

/** Who a loaded plugin is, for metrics and health pages. */
export interface PluginInfo {
  name: string;
  version: string;
  kind: PluginKind;
  /** The module specifier it was loaded from. */
  module: string;
}

/** How a host loads plugins by specifier; core imports nothing itself (it has no module resolution of its own). */
export interface PluginLoaderOptions {
  /** Imports a resolved specifier: the host's `(specifier) => import(specifier)`. */
  import(specifier: string): Promise<unknown>;
  /** URL that relative specifiers (`./x.js`, `../x.mjs`) are resolved against, e.g. the config file's folder as `file:///app/`. */
  baseUrl?: string;
  /** Where the plugin runs, told to its factory. */
  host: 'sdk' | 'worker' | 'server';
  /** Where a plugin's own warnings go. @default console.warn */
  warn?: (message: string) => void;
  /** The kinds this host runs; another kind is refused naming the plugin. @default every kind */
  kinds?: readonly PluginKind[];
}

/** A plugin loaded from its specifier: its definition, its instance and who it is. */
export interface LoadedPlugin<K extends PluginKind = PluginKind> {
  definition: PluginDefinition<K>;
  instance: PluginInstances[K];
  info: PluginInfo;
}

const infos = new WeakMap<object, PluginInfo>();
const loads = new WeakMap<object, () => Promise<unknown>>();

/**
 * Resolves once a stage from `pluginStages` has loaded its plugin, or rejects with the error that stopped it (a
 * host that must not start with a broken plugin, such as the server, awaits this); resolves at once for an instance.
 */
export async function pluginReady(stage: ShoplogPlugin): Promise<void> {
  await loads.get(stage)?.();
}

/** Who a plugin instance is when it was loaded by specifier (name, version, kind, module); `undefined` otherwise. */
export function pluginInfo(instance: object): PluginInfo | undefined {
  return infos.get(instance);
}

const isDefinition = (value: unknown): value is PluginDefinition =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as PluginDefinition).create === 'function' &&
  'apiVersion' in value &&
  'kind' in value;

/** The module part of a specifier. */
export function moduleOf(spec: PluginSpec): string {
  return typeof spec === 'string' ? spec : spec.module;
}

/** A relative specifier resolved against `baseUrl`; a package name or an absolute URL unchanged. */
export function resolveSpecifier(specifier: string, baseUrl: string | undefined): string {
  if (!/^\.{1,2}\//.test(specifier) && !specifier.startsWith('/')) return specifier;
  if (baseUrl === undefined)
    throw new TypeError(`plugin module "${specifier}" is a path, but nothing says what it is relative to`);
  return resolveUrl(specifier, baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
}

/** Finds the plugin definition a module exports (`export` names it; else the default export, also through CommonJS interop). */
function definitionOf(module: unknown, specifier: string, exportName: string | undefined): PluginDefinition {
  const exports = (module ?? {}) as Record<string, unknown>;
  const candidates =
    exportName === undefined
      ? [exports.default, (exports.default as Record<string, unknown> | undefined)?.default, module]
      : [exports[exportName]];
  const found = candidates.find(isDefinition);
  if (found) return found;
  const what = exportName === undefined ? 'a default export' : `an export named "${exportName}"`;
  throw new TypeError(`plugin module "${specifier}" has no plugin definition as ${what} (export definePlugin({...}))`);
}

/**
 * Loads one plugin by specifier: imports the module through the host, finds its definition, refuses another plugin
 * API version or a kind this host does not run, checks its options with its schema, and creates the instance.
 * Every error names the module, and the plugin once known.
 */
export async function loadPlugin(spec: PluginSpec, loader: PluginLoaderOptions): Promise<LoadedPlugin> {
  const parsed = PluginSpecSchema.safeParse(spec);
  if (!parsed.success)
    throw new TypeError(`plugin ${JSON.stringify(spec)}: must be a module specifier or { module, export?, options? }`);
  const { module, exportName, options } =
    typeof parsed.data === 'string'
      ? { module: parsed.data, exportName: undefined, options: {} }
      : { module: parsed.data.module, exportName: parsed.data.export, options: parsed.data.options ?? {} };
  let imported: unknown;
  try {
    imported = await loader.import(resolveSpecifier(module, loader.baseUrl));
  } catch (error) {
    throw new TypeError(
      `cannot load plugin module "${module}": ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  const definition = definitionOf(imported, module, exportName);
  const label = `plugin ${definition.name}@${definition.version} (module "${module}")`;
  if (definition.apiVersion !== PLUGIN_API_VERSION) {
    throw new TypeError(
      `${label} was written for plugin API ${definition.apiVersion}; this Shoplog implements plugin API ${PLUGIN_API_VERSION}: install a version of the plugin for plugin API ${PLUGIN_API_VERSION}`,
    );
  }
  if (loader.kinds && !loader.kinds.includes(definition.kind)) {
    throw new TypeError(`${label} is a ${definition.kind}; here only ${loader.kinds.join(' or ')} plugins run`);
  }
  const warn = loader.warn ?? ((message: string) => hostWarn(message));
  const instance = await createPluginInstance(definition, options, {
    host: loader.host,
    warn: (message) => warn(`[${definition.name}] ${message}`),
  });
  const info: PluginInfo = { name: definition.name, version: definition.version, kind: definition.kind, module };
  if (typeof instance === 'object' && instance !== null) infos.set(instance, info);
  return { definition, instance, info };
}

/**
 * A pipeline stage for a processor named by specifier, loaded in its `setup` (the pipeline holds events until every
 * setup settles). A plugin that cannot be loaded is reported once by the pipeline; every event then meets a stage
 * that fails, so its error policy and the circuit breaker apply: the plugin never silently disappears.
 */
function deferredStage(spec: PluginSpec, loader: PluginLoaderOptions): ShoplogPlugin {
  const module = moduleOf(spec);
  let inner: ShoplogPlugin | undefined;
  let failure: Error | undefined;
  let loading: Promise<ShoplogPlugin> | undefined;
  const load = (): Promise<ShoplogPlugin> =>
    (loading ??= loadPlugin(spec, { ...loader, kinds: ['processor'] }).then(
      (loaded) => {
        inner = loaded.instance as ShoplogPlugin;
        infos.set(stage, loaded.info);
        return inner;
      },
      (error: unknown) => {
        failure = error instanceof Error ? error : new Error(String(error));
        throw failure;
      },
    ));
  const stage: ShoplogPlugin = {
    get name() {
      return inner?.name ?? module;
    },
    get errorPolicy() {
      return inner?.errorPolicy;
    },
    async setup(ctx) {
      await (await load()).setup?.(ctx);
    },
    process(event) {
      if (inner === undefined) throw failure ?? new Error(`plugin module "${module}" is not loaded yet`);
      return inner.process(event);
    },
    flush: () => inner?.flush?.(),
    close: () => inner?.close?.(),
  };
  loads.set(stage, load);
  return stage;
}

/**
 * The pipeline stages for a surface's `plugins` option: instances as given, specifiers as stages that load their
 * plugin when the pipeline starts (through the host's `loader`). Specifiers without a loader are refused.
 */
export function pluginStages(
  entries: readonly PluginEntry[],
  loader: PluginLoaderOptions | undefined,
): ShoplogPlugin[] {
  return entries.map((entry, i) => {
    if (typeof entry === 'object' && entry !== null && typeof (entry as ShoplogPlugin).process === 'function')
      return entry as ShoplogPlugin;
    if (!PluginSpecSchema.safeParse(entry).success)
      throw new TypeError(
        `plugins[${i}]: must be a processor ({ name, process }) or a module specifier ('pkg' or { module, options })`,
      );
    if (loader === undefined) throw new TypeError(`plugins[${i}]: a module specifier needs a host that loads modules`);
    return deferredStage(entry as PluginSpec, loader);
  });
}
