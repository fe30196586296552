import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { LoadedConfig } from '../config-file.js';

/** A command's parsed arguments. */
export interface CliArgs {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/** A usage mistake: printed with a pointer to the command's `--help`, exit status 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Parses a command's arguments strictly; an unknown option or a missing value is a `UsageError`. */
export function parseCommandArgs(
  command: string,
  args: string[],
  options: NonNullable<ParseArgsConfig['options']>,
  positionals = false,
): CliArgs & { help: boolean } {
  try {
    const parsed = parseArgs({
      args,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: positionals,
      strict: true,
    });
    const { help, ...values } = parsed.values as Record<string, string | boolean | undefined>;
    return { values, positionals: parsed.positionals, help: help === true };
  } catch (error) {
    throw new UsageError(`${command}: ${(error as Error).message}`);
  }
}

/** The shared `--data-dir` option. */
export const DATA_DIR_OPTION = { 'data-dir': { type: 'string' } } as const;

/**
 * The settings (config file, then `SHOPLOG_*` variables), with `--data-dir` winning over both. The config file's
 * module is loaded here, not by the entry, so `--help` and `--version` load nothing more.
 */
export async function loadCliConfig(args: CliArgs): Promise<LoadedConfig> {
  const { loadServerConfig } = await import('../config-file.js');
  const dataDir = args.values['data-dir'];
  return loadServerConfig(typeof dataDir === 'string' ? { ...process.env, SHOPLOG_DATA_DIR: dataDir } : process.env);
}
