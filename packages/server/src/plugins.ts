import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { pluginInfo, type PluginLoaderOptions, type PluginStats, type ShoplogPlugin } from '@shoplog/core';
import type { ChannelView } from './notifications.js';

/** One plugin as `GET /api/dashboard/health` lists it (the dashboard's plugins page reads this shape). */
export interface PluginHealth {
  name: string;
  /** The plugin's version (`unknown` for a processor given to `createServer` as an instance). */
  version: string;
  kind: 'processor' | 'exporter' | 'rule' | 'notifier';
  /** Where it runs: `ingest` (before storage and scoring), `fraud` (a rule of the scorer) or `notifications` (an alert channel). */
  stage: 'ingest' | 'fraud' | 'notifications';
  /** `open`: skipped until its breaker lets a call through again; `failing`: its latest calls failed; `refused`: not loaded (see `last_error`). */
  state: 'ok' | 'failing' | 'open' | 'refused';
  calls: number;
  errors: number;
  timeouts: number;
  total_ms: number;
  last_error?: string;
}

/**
 * How the server loads plugins by specifier: a path relative to the config file's folder; a package name from the
 * `node_modules` of that folder first (a shop installs plugins beside its config), else from the server's own.
 */
export function serverPluginLoader(baseDir: string, warn: (message: string) => void): PluginLoaderOptions {
  const fromConfig = createRequire(join(baseDir, 'shoplog.config.js'));
  return {
    async import(specifier) {
      if (specifier.startsWith('file:')) return import(specifier);
      let resolved: string | undefined;
      try {
        resolved = pathToFileURL(fromConfig.resolve(specifier)).href;
      } catch {
        // Not installed beside the config, or exported for `import` only: the server's own resolution finds it.
      }
      return import(resolved ?? specifier);
    },
    baseUrl: pathToFileURL(`${baseDir}/`).href,
    host: 'server',
    warn,
  };
}

/** The health entry of a plugin that runs behind a stage guard (a processor, a rule), from the guard's counters. */
export function guardedHealth(
  plugin: Pick<PluginHealth, 'name' | 'version' | 'kind' | 'stage'>,
  stats: PluginStats,
): PluginHealth {
  const state =
    stats.state === 'open' ? 'open' : stats.state === 'half-open' || stats.consecutiveErrors > 0 ? 'failing' : 'ok';
  return {
    ...plugin,
    state,
    calls: stats.calls,
    errors: stats.errors,
    timeouts: stats.timeouts,
    total_ms: Math.round(stats.totalMs * 100) / 100,
    ...(stats.lastError === undefined ? {} : { last_error: stats.lastError }),
  };
}

/** The health entry of an ingest processor from its stage counters. */
export function processorHealth(stage: ShoplogPlugin, stats: PluginStats): PluginHealth {
  const info = pluginInfo(stage);
  return guardedHealth(
    { name: info?.name ?? stats.name, version: info?.version ?? 'unknown', kind: 'processor', stage: 'ingest' },
    stats,
  );
}

/** The health entry of a notification channel (a notifier plugin): its calls, time, time-outs, failures and breaker. */
export function channelHealth(channel: ChannelView): PluginHealth {
  const m = channel.metrics;
  const failing = m.lastError !== null && m.failed + m.retried > 0 && m.queued > 0;
  return {
    name: `${channel.name} (${channel.type})`,
    version: channel.version,
    kind: 'notifier',
    stage: 'notifications',
    state: m.breaker === 'open' ? 'open' : failing ? 'failing' : 'ok',
    calls: m.calls,
    errors: m.failed + m.retried,
    timeouts: m.timeouts,
    total_ms: Math.round(m.totalMs * 100) / 100,
    ...(m.lastError ? { last_error: m.lastError.message } : {}),
  };
}
