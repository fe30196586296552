/**
 * The scale-out client packages are optional peer dependencies of @shoplog/server: a user of the embedded store
 * installs none of them. Each is loaded only when configuration selects its backend.
 */
export const OPTIONAL_PACKAGES = {
  '@elastic/elasticsearch': '^9',
  ioredis: '^6',
  mongodb: '^7',
} as const;

/** The name of an optional client package. */
export type OptionalPackage = keyof typeof OPTIONAL_PACKAGES;

function isMissing(error: unknown, name: string): boolean {
  const e = error as { code?: unknown; message?: unknown } | null;
  if (e?.code !== 'ERR_MODULE_NOT_FOUND' && e?.code !== 'MODULE_NOT_FOUND') return false;
  return typeof e.message === 'string' && e.message.includes(`'${name}'`);
}

/**
 * Runs `load` (an `import()` of the package, or of the adapter that imports it). When the package is not installed,
 * rejects with one sentence naming what selected it and the command that installs it.
 */
export async function loadOptional<T>(name: OptionalPackage, selectedBy: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if (!isMissing(error, name)) throw error;
    throw new Error(
      `${selectedBy} needs the package ${name}, which is not installed: run \`npm install ${name}@${OPTIONAL_PACKAGES[name]}\` beside @shoplog/server.`,
      { cause: error },
    );
  }
}
