import { rm } from 'node:fs/promises';
import type { ShoplogEvent } from '@shoplog/core';
import type { LogStore, MetaStore, UploadJobRecord } from '../ports.js';
import { fileRecords, openUpload, type UploadFileType } from './file-records.js';
import type { Ingestor } from './ingestor.js';

const BATCH = 1000;

/** Sniffs the type of an upload from its first non-blank byte: `[` JSON array, `{` NDJSON, else CSV. */
export async function sniffFileType(path: string): Promise<UploadFileType> {
  const stream = await openUpload(path);
  for await (const chunk of stream) {
    const text = (chunk as Buffer).toString('utf8').trimStart();
    if (text === '') continue;
    stream.destroy();
    return text.startsWith('[') ? 'json' : text.startsWith('{') ? 'ndjson' : 'csv';
  }
  return 'ndjson';
}

/**
 * Runs an upload job: streams the stored file's records through the ingest path in batches of 1000, recording
 * progress, the first 100 rejected lines and a preview of the first 10 stored events; `completed` only once
 * every batch is committed and searchable. The stored file is deleted at the end.
 */
export async function runUploadJob(
  deps: { ingestor: Ingestor; logs: LogStore; meta: MetaStore },
  job: UploadJobRecord,
  path: string,
): Promise<UploadJobRecord> {
  const current: UploadJobRecord = { ...job, status: 'processing' };
  await deps.meta.updateUploadJob(current);
  const previewIds: string[] = [];
  try {
    let batch: { line: number; value: unknown; text?: string }[] = [];
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      // An NDJSON line that is a valid event is stored as read (as the bulk ingest does).
      const items = await deps.ingestor.ingest(
        batch.map((r) => r.value),
        batch.map((r) => r.text),
      );
      items.forEach((item, i) => {
        current.processed++;
        if (item.result === 'created') current.accepted++;
        else if (item.result === 'duplicate') current.duplicates++;
        else {
          current.rejected++;
          if (current.errors.length < 100)
            current.errors.push({ line: batch[i]?.line ?? 0, issues: item.issues ?? [] });
        }
        if (item.result !== 'error' && item.id && previewIds.length < 10) previewIds.push(item.id);
      });
      batch = [];
      await deps.meta.updateUploadJob(current);
    };
    for await (const record of fileRecords(await openUpload(path), job.fileType, deps.ingestor.limits.maxLineLength)) {
      current.totalLines++;
      if ('error' in record) {
        current.processed++;
        current.rejected++;
        if (current.errors.length < 100)
          current.errors.push({ line: record.line, issues: [{ path: '(line)', message: record.error }] });
        continue;
      }
      batch.push(record);
      if (batch.length >= BATCH) await flush();
    }
    await flush();
    // `completed` means searchable: the index follows the commits asynchronously.
    await deps.logs.refresh();
    const preview = await Promise.all(previewIds.map((id) => deps.logs.get(id)));
    current.preview = preview.filter((e): e is ShoplogEvent => e !== undefined);
    current.status = 'completed';
  } catch (error) {
    current.status = 'failed';
    current.failure = error instanceof Error ? error.message : String(error);
  } finally {
    current.finishedAt = Date.now();
    await deps.meta.updateUploadJob(current);
    await rm(path, { force: true });
  }
  return current;
}
