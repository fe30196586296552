import type { FastifyInstance } from 'fastify';
import multipart from '@fastify/multipart';
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileTypeOf } from '../ingest/file-records.js';
import { runUploadJob, sniffFileType } from '../ingest/upload-job.js';
import type { UploadJobRecord } from '../ports.js';
import { guard, principalOf } from './auth.js';
import type { ServerContext } from './context.js';
import { HttpError } from './errors.js';
import { param } from './query-params.js';
import { IdParams, queryNumber, queryText, type ZodTypeProvider } from './route-schema.js';
import { z } from 'zod';

const UploadQuery = z.looseObject({
  filename: queryText('Name of the file of a raw body (its extension gives the type: .json, .ndjson, .csv)'),
});
const RecentUploadsQuery = z.looseObject({
  limit: queryNumber('Most jobs (1 to 100, clamped)', { fallback: 20, min: 1, max: 100, clamp: true }),
});

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** The public view of an upload job. */
export function jobView(job: UploadJobRecord) {
  return {
    id: job.id,
    status: job.status,
    filename: job.filename,
    file_type: job.fileType,
    file_size: job.fileSize,
    total_lines: job.totalLines,
    processed: job.processed,
    accepted: job.accepted,
    duplicates: job.duplicates,
    rejected: job.rejected,
    errors: job.errors,
    preview: job.preview,
    failure: job.failure,
    created_at: iso(job.createdAt),
    finished_at: iso(job.finishedAt),
  };
}

/** Streams a request body to a file, counting bytes; 413 (and the file removed) above `limit`. */
async function save(source: Readable, path: string, limit: number): Promise<number> {
  let size = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      if (size > limit) done(new HttpError(413, 'payload_too_large', `the upload is over the limit of ${limit} bytes`));
      else done(null, chunk);
    },
  });
  try {
    await pipeline(source, counter, createWriteStream(path));
  } catch (error) {
    await rm(path, { force: true });
    throw error instanceof HttpError
      ? error
      : new HttpError(400, 'bad_request', `upload interrupted: ${(error as Error).message}`);
  }
  return size;
}

/** `POST /api/logs/upload` (multipart `file` or raw body with `?filename=`) and the job status routes. */
export function registerUploadRoutes(fastify: FastifyInstance, ctx: ServerContext): void {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const canUpload = guard(ctx, 'upload');
  const canRead = guard(ctx, 'read');
  const dir = join(ctx.config.dataDir, 'uploads');
  const running = new Set<Promise<unknown>>();

  void app.register(async (untyped) => {
    const scope = untyped.withTypeProvider<ZodTypeProvider>();
    await scope.register(multipart, { limits: { fileSize: ctx.config.uploadLimit, files: 1 } });
    scope.removeContentTypeParser(['application/json', 'text/plain']);
    scope.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
    const schema = {
      summary: 'Upload a JSON array, NDJSON or CSV file (gzip accepted) → job',
      permission: 'ingest or analyst',
      querystring: UploadQuery,
      documentedBody: {
        contentType: 'multipart/form-data',
        schema: { type: 'object', properties: { file: { type: 'string', format: 'binary' } } },
        description: 'The file in the field `file`, or the raw file as the body with `?filename=`',
      },
    } as const;
    scope.post('/api/logs/upload', { preValidation: canUpload, schema }, async (request, reply) => {
      await mkdir(dir, { recursive: true });
      const id = randomUUID();
      const path = join(dir, id);
      let filename: string;
      let size: number;
      if (request.isMultipart()) {
        const file = await request.file();
        if (!file || file.fieldname !== 'file')
          throw new HttpError(400, 'bad_request', 'send the file in the multipart field "file"');
        filename = file.filename || 'upload';
        size = await save(file.file, path, ctx.config.uploadLimit);
        if (file.file.truncated) {
          await rm(path, { force: true });
          throw new HttpError(
            413,
            'payload_too_large',
            `the upload is over the limit of ${ctx.config.uploadLimit} bytes`,
          );
        }
      } else {
        filename = param(request.query, 'filename') ?? 'upload';
        size = await save(request.body as Readable, path, ctx.config.uploadLimit);
      }
      const fileType = fileTypeOf(filename) ?? (await sniffFileType(path));
      const principal = principalOf(request);
      const job: UploadJobRecord = {
        id,
        userId: principal.type === 'user' ? principal.id : `key:${principal.id}`,
        filename,
        fileType,
        fileSize: size,
        status: 'pending',
        totalLines: 0,
        processed: 0,
        accepted: 0,
        duplicates: 0,
        rejected: 0,
        errors: [],
        preview: [],
        failure: null,
        createdAt: Date.now(),
        finishedAt: null,
      };
      await ctx.meta.createUploadJob(job);
      const run = runUploadJob(ctx, job, path).finally(() => running.delete(run));
      running.add(run);
      return reply.code(202).send({ job_id: id, filename, file_size: size, file_type: fileType });
    });
  });

  app.get(
    '/api/logs/uploads/recent',
    {
      preValidation: canRead,
      schema: { summary: 'Recent upload jobs', permission: 'read', querystring: RecentUploadsQuery },
    },
    async (request) => {
      const limit = request.query.limit;
      return { uploads: (await ctx.meta.listUploadJobs(limit)).map(jobView) };
    },
  );
  app.get(
    '/api/logs/uploads/:id',
    { preValidation: canRead, schema: { summary: 'Upload job status', permission: 'read', params: IdParams } },
    async (request) => {
      const job = await ctx.meta.getUploadJob(request.params.id);
      if (!job) throw new HttpError(404, 'not_found', 'no such upload job');
      return jobView(job);
    },
  );
  app.addHook('onClose', async () => {
    await Promise.allSettled([...running]);
  });
}
