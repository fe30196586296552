import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createScaleOut } from '../adapters/scale-out.js';
import { createApiKey } from '../http/admin-routes.js';
import type { KeyScope, MetaStore } from '../ports.js';
import { createSqliteMetaStore } from '../store/sqlite-meta-store.js';
import { loadCliConfig, UsageError, type CliArgs } from './args.js';
import { dataDirHolder } from './data-dir-lock.js';

const SCOPES: readonly string[] = ['ingest', 'read', 'metrics', 'admin'];

/**
 * The metadata store the server uses: MongoDB when MONGODB_URL is set, else `meta.db` of the data folder, which
 * must exist already. A key written anywhere else would never be seen by the running server.
 */
async function openMeta(args: CliArgs): Promise<{ meta: MetaStore; where: string; close(): Promise<void> }> {
  const mongoUrl = process.env['MONGODB_URL'];
  if (mongoUrl) {
    const scaleOut = await createScaleOut({ MONGODB_URL: mongoUrl });
    await scaleOut.ready;
    const meta = scaleOut.stores.meta as MetaStore;
    return { meta, where: 'MongoDB (MONGODB_URL)', close: () => meta.close().then(() => scaleOut.close()) };
  }
  const dir = resolve((await loadCliConfig(args)).config.dataDir);
  const path = join(dir, 'meta.db');
  if (!existsSync(path)) {
    throw new Error(
      `no Shoplog data folder at ${dir} (no meta.db): a key created there would not be seen by your server. ` +
        `Give the folder your server uses (--data-dir DIR or SHOPLOG_DATA_DIR), or start \`shoplog serve\` there first.`,
    );
  }
  const meta = createSqliteMetaStore({ path });
  const holder = dataDirHolder(dir);
  const where = holder?.url
    ? `${dir} (served at ${holder.url})`
    : `${dir} (no server runs on it now; the key works once one starts there)`;
  return { meta, where, close: () => meta.close() };
}

/** `shoplog keys create`: creates an API key and prints it, alone, on stdout. */
export async function keys(args: CliArgs): Promise<void> {
  const [sub, ...extra] = args.positionals;
  if (sub !== 'create' || extra.length > 0)
    throw new UsageError(`keys: expected \`keys create\`${sub && sub !== 'create' ? `, got \`keys ${sub}\`` : ''}`);
  const scope = args.values['scope'];
  if (typeof scope !== 'string' || !SCOPES.includes(scope))
    throw new UsageError('keys create: --scope must be ingest, read, metrics or admin');
  const name = typeof args.values['name'] === 'string' ? args.values['name'] : 'cli';
  const store = await openMeta(args);
  try {
    const key = await createApiKey(store.meta, name, scope as KeyScope);
    console.log(key.key);
    console.error(`created the ${scope} key "${name}" in ${store.where}`);
  } finally {
    await store.close();
  }
}
