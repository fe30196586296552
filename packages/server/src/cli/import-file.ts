import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ValidationIssue } from '@shoplog/core';
import { createScaleOut } from '../adapters/scale-out.js';
import { createServerFraudScorer } from '../fraud.js';
import { fileRecords, fileTypeOf, openUpload, type FileRecord } from '../ingest/file-records.js';
import { createIngestor } from '../ingest/ingestor.js';
import { ingestLimitsOf } from '../ingest/limits.js';
import { sniffFileType } from '../ingest/upload-job.js';
import { createMemoryCache } from '../store/memory-cache.js';
import { createSqliteLogStore } from '../store/sqlite-log-store.js';
import { DataDirLockedError, lockDataDir, type DataDirLock } from './data-dir-lock.js';
import { loadCliConfig, UsageError, type CliArgs } from './args.js';

const BATCH = 5000;

const describe = (issues: readonly ValidationIssue[] | undefined): string =>
  issues && issues.length > 0 ? issues.map((i) => `${i.path}: ${i.message}`).join('; ') : 'rejected by the store';

/** Takes the data folder; when a server holds it, says how to send the file through that server. */
function holdFolder(dir: string, file: string): DataDirLock {
  try {
    return lockDataDir(dir, 'import');
  } catch (error) {
    const url = error instanceof DataDirLockedError ? error.owner?.url : undefined;
    if (!url) throw error;
    throw new Error(
      `${(error as Error).message} Or upload the file through that server: ` +
        `curl -H "Authorization: Bearer $SHOPLOG_API_KEY" -F file=@${file} ${url}/api/logs/upload`,
      { cause: error },
    );
  }
}

/**
 * `shoplog import FILE`: ingests a file into the data folder through the HTTP ingest path, reporting each rejected
 * line with its reason. Holds the folder like `serve` does: while a server runs there, the file must go through it
 * (its index and caches would not see events written behind its back). Exits 1 when nothing was imported.
 */
export async function importFile(args: CliArgs): Promise<void> {
  const [file, ...extra] = args.positionals;
  if (!file || extra.length > 0) throw new UsageError('import: expected one FILE');
  if (!existsSync(file)) throw new Error(`import: no such file: ${file}`);
  const { config } = await loadCliConfig(args);
  const dir = resolve(config.dataDir);
  const lock = holdFolder(dir, file);
  const scaleOut = await createScaleOut({ ...process.env, SHOPLOG_DATA_DIR: config.dataDir });
  const logs =
    scaleOut.stores.logs ??
    createSqliteLogStore({
      path: join(dir, 'events.db'),
      synchronous: config.synchronous,
      indexNice: config.indexNice,
    });
  const limits = ingestLimitsOf(config);
  const ingestor = createIngestor({
    logs,
    cache: createMemoryCache(),
    limits,
    ...(config.fraudScoring === 'on' ? { fraudScorer: createServerFraudScorer() } : {}),
  });
  const counts = { created: 0, duplicate: 0, rejected: 0 };
  const started = performance.now();
  const at = { stored: Number.NaN, indexed: Number.NaN };
  const reject = (line: number, reason: string): void => {
    counts.rejected++;
    console.error(`line ${line}: ${reason}`);
  };
  try {
    await scaleOut.ready;
    const type = fileTypeOf(file) ?? (await sniffFileType(file));
    // Records in file order, the unreadable ones included, so the rejections are reported in line order.
    let batch: FileRecord[] = [];
    const flush = async (): Promise<void> => {
      const values = batch.filter((r): r is Extract<FileRecord, { value: unknown }> => !('error' in r));
      // The NDJSON lines as read: a valid event is stored as is, not serialized again (as the HTTP bulk ingest does).
      const items = await ingestor.ingest(
        values.map((r) => r.value),
        values.map((r) => r.text),
      );
      let next = 0;
      for (const record of batch) {
        if ('error' in record) {
          reject(record.line, record.error);
          continue;
        }
        const item = items[next++];
        if (item?.result === 'error') reject(record.line, describe(item.issues));
        else if (item) counts[item.result]++;
      }
      batch = [];
    };
    for await (const record of fileRecords(await openUpload(file), type, limits.maxLineLength)) {
      batch.push(record);
      if (batch.length >= BATCH) await flush();
    }
    if (batch.length > 0) await flush();
    at.stored = performance.now();
    // Searchable before the command ends: a server started next finds the index complete.
    await logs.refresh();
    at.indexed = performance.now();
  } finally {
    await logs.close();
    await scaleOut.close();
    lock.release();
  }
  console.log(
    `imported ${file}: ${counts.created} created, ${counts.duplicate} duplicates, ${counts.rejected} rejected`,
  );
  const seconds = (ms: number): string => (ms / 1000).toFixed(1);
  const rate = Math.round((counts.created + counts.duplicate) / ((at.stored - started) / 1000));
  console.log(
    `stored in ${seconds(at.stored - started)} s (${rate} events/s), indexed ${seconds(at.indexed - at.stored)} s later`,
  );
  if (counts.created + counts.duplicate === 0) {
    throw new Error(
      counts.rejected > 0
        ? `import: nothing imported from ${file}: every record was rejected (reasons above)`
        : `import: nothing imported: ${file} holds no records`,
    );
  }
}
