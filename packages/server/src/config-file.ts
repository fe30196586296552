import { existsSync, readFileSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { configFrom, type ServerConfig } from './config.js';
import { OptionsError } from '@shoplog/core';

/** The config file names looked for in the current directory, in this order. */
export const CONFIG_FILE_NAMES = ['shoplog.config.js', 'shoplog.config.mjs', 'shoplog.config.json'];

/** The server settings and the folder their file is in (plugin paths are relative to it). */
export interface LoadedConfig {
  config: ServerConfig;
  /** The config file, when one was read. */
  file: string | undefined;
  /** The folder relative plugin paths are resolved against: the config file's, else the current directory. */
  baseDir: string;
}

/** The config file to read: `SHOPLOG_CONFIG`, else the first `shoplog.config.{js,mjs,json}` in `cwd`, else none. */
export function findConfigFile(env: Record<string, string | undefined>, cwd: string): string | undefined {
  if (env.SHOPLOG_CONFIG) return resolve(cwd, env.SHOPLOG_CONFIG);
  return CONFIG_FILE_NAMES.map((name) => join(cwd, name)).find((file) => existsSync(file));
}

/** A config file's values: JSON, or the default export (an object) of a JavaScript module. */
async function readConfigFile(file: string): Promise<Record<string, unknown>> {
  let value: unknown;
  try {
    if (extname(file) === '.json') value = JSON.parse(readFileSync(file, 'utf8'));
    else value = ((await import(pathToFileURL(file).href)) as { default?: unknown }).default;
  } catch (error) {
    throw new OptionsError(`cannot read the config file ${file}: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new OptionsError(
      `the config file ${file} must ${extname(file) === '.json' ? 'hold a JSON object' : 'export default an object of settings'}`,
    );
  }
  return value as Record<string, unknown>;
}

/**
 * Loads the server settings: the config file (`SHOPLOG_CONFIG`, or `shoplog.config.{js,mjs,json}` in `cwd`),
 * overridden by `SHOPLOG_*` environment variables. Throws an `OptionsError` naming the bad setting.
 */
export async function loadServerConfig(
  env: Record<string, string | undefined> = process.env,
  cwd: string = process.cwd(),
): Promise<LoadedConfig> {
  const file = findConfigFile(env, cwd);
  const values = file ? await readConfigFile(file) : {};
  return { config: configFrom(values, env), file, baseDir: file ? dirname(file) : cwd };
}
