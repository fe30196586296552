import { pathToFileURL } from 'node:url';
import { isMainThread } from 'node:worker_threads';
import type { PluginLoaderOptions } from '@shoplog/core';

/**
 * How the transports load plugins named by specifier: a package name from the application's `node_modules` (as
 * `import()` here finds it), a relative path from the current directory; inside pino's worker thread, in the worker.
 */
export function transportPluginLoader(warn: (message: string) => void): PluginLoaderOptions {
  return {
    import: (specifier) => import(specifier),
    baseUrl: pathToFileURL(`${process.cwd()}/`).href,
    host: isMainThread ? 'sdk' : 'worker',
    warn,
  };
}
