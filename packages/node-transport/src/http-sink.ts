import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import { BulkReplySchema, parseOptions, toIssues, type BulkItem } from '@shoplog/core';
import { z } from 'zod';
import { ndjsonParts } from './byte-queue.js';
import {
  DeliveryError,
  isRetryableStatus,
  parseRetryAfter,
  type ItemFailure,
  type QueuedEntry,
  type SendOutcome,
  type Sink,
} from './sink.js';

const gzip = promisify(gzipCb);

/** Options of `createHttpSink` (the reference server's `POST /api/logs/_bulk`). */
export interface HttpSinkOptions {
  /** Base URL of the Shoplog server, e.g. `http://127.0.0.1:5001`. */
  url: string;
  /** API key with the `ingest` scope, sent as `Authorization: Bearer <key>`. */
  apiKey?: string;
  /** Path of the bulk endpoint. @default '/api/logs/_bulk' */
  path?: string;
  /**
   * Gzip request bodies: `'auto'` compresses unless the server is on this machine (`localhost`, 127.0.0.0/8, `::1`),
   * where gzip only costs CPU (≈ 1.5 µs a log in pino's worker, bench/reports/transport.md) and saves no network.
   * @default 'auto'
   */
  gzip?: boolean | 'auto';
  /** Gzip bodies of at least this many bytes; `false` never compresses (wins over `gzip`). @default 1024 */
  gzipMinBytes?: number | false;
  /** Give up on a request (and retry it) after this many milliseconds without completion. @default 30000 */
  timeoutMs?: number;
  /** Extra request headers. @default {} */
  headers?: Record<string, string>;
}

const HttpSinkOptionsSchema = z.object({
  url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
  apiKey: z.string().min(1).optional(),
  path: z.string().startsWith('/').default('/api/logs/_bulk'),
  gzip: z.union([z.boolean(), z.literal('auto')]).default('auto'),
  gzipMinBytes: z.union([z.int().nonnegative(), z.literal(false)]).default(1024),
  timeoutMs: z.int().positive().default(30_000),
  headers: z.record(z.string(), z.string()).default({}),
});

/** Creates a sink that posts NDJSON batches to the reference server's bulk ingest over a keep-alive agent. */
export function createHttpSink(options: HttpSinkOptions): Sink {
  const o = parseOptions('createHttpSink', HttpSinkOptionsSchema, options);
  const target = new URL(o.path, o.url);
  const secure = target.protocol === 'https:';
  const gzipFrom =
    o.gzipMinBytes === false || o.gzip === false || (o.gzip === 'auto' && isLoopbackHost(target.hostname))
      ? Infinity
      : o.gzipMinBytes;
  const agent = secure
    ? new HttpsAgent({ keepAlive: true, maxSockets: 4 })
    : new HttpAgent({ keepAlive: true, maxSockets: 4 });
  const request = secure ? httpsRequest : httpRequest;
  const baseHeaders: Record<string, string> = { 'content-type': 'application/x-ndjson', ...o.headers };
  if (o.apiKey) baseHeaders.authorization = `Bearer ${o.apiKey}`;

  async function send(batch: readonly QueuedEntry[], signal: AbortSignal): Promise<SendOutcome> {
    // Packed lines go out as views of the engine's chunks: no body copy unless it is gzipped.
    let { parts, length } = ndjsonParts(batch);
    const headers = { ...baseHeaders };
    if (length >= gzipFrom) {
      const zipped = await gzip(Buffer.concat(parts, length), { level: 1 });
      parts = [zipped];
      length = zipped.length;
      headers['content-encoding'] = 'gzip';
    }
    headers['content-length'] = String(length);
    const { status, retryAfter, chunks } = await post(parts, headers, signal);
    if (status === 413)
      throw new DeliveryError('batch over the server body limit (413)', { retryable: false, status, tooLarge: true });
    if (status < 200 || status >= 300) {
      // 401 / 403 are a configuration problem: the data is kept and retried, and the message says what to fix.
      throw new DeliveryError(
        `${target.href} answered ${status}: ${serverMessage(chunks)}${authHint(status, o.apiKey !== undefined || 'authorization' in lowerKeys(o.headers))}`,
        {
          retryable: isRetryableStatus(status) || status === 401 || status === 403,
          status,
          retryAfterMs: parseRetryAfter(retryAfter),
        },
      );
    }
    return parseReply(Buffer.concat(chunks).toString('utf8'), batch.length);
  }

  function post(
    body: readonly Buffer[],
    headers: Record<string, string>,
    signal: AbortSignal,
  ): Promise<{ status: number; retryAfter: string | undefined; chunks: Buffer[] }> {
    return new Promise((resolve, reject) => {
      const fail = (err: unknown) =>
        reject(
          err instanceof DeliveryError
            ? err
            : new DeliveryError(`cannot reach ${target.href}: ${(err as Error).message}`, {
                retryable: true,
                cause: err,
              }),
        );
      const req = request(
        target,
        { method: 'POST', agent, headers, signal, timeout: o.timeoutMs },
        (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', fail);
          res.on('end', () => {
            const ra = res.headers['retry-after'];
            resolve({ status: res.statusCode ?? 0, retryAfter: Array.isArray(ra) ? ra[0] : ra, chunks });
          });
          res.on('aborted', () => fail(new Error('response aborted')));
        },
      );
      req.on('timeout', () =>
        req.destroy(new DeliveryError(`bulk ingest timed out after ${o.timeoutMs} ms`, { retryable: true })),
      );
      req.on('error', fail);
      for (const part of body) req.write(part);
      req.end();
    });
  }

  return {
    name: 'http',
    send,
    async close() {
      agent.destroy();
    },
  };
}

/** The `message` of the server's JSON error body (`{ error: { code, message } }`), else the start of the body. */
function serverMessage(chunks: readonly Buffer[]): string {
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
    const message = typeof body.error === 'string' ? body.error : (body.error?.message ?? body.message);
    if (typeof message === 'string' && message !== '') return message;
  } catch {
    // Not JSON (a proxy's page): the text itself.
  }
  return text.slice(0, 200) || '(empty body)';
}

function authHint(status: number, hasKey: boolean): string {
  if (status === 401)
    return hasKey
      ? ' (the API key was refused: check `apiKey`)'
      : ' (no API key was sent: set `apiKey` to a key with the ingest scope)';
  if (status === 403) return ' (the API key needs the ingest scope)';
  return '';
}

const lowerKeys = (headers: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));

/** Whether a URL's `hostname` names this machine: `localhost` (and `*.localhost`), 127.0.0.0/8 or `[::1]`. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || h === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

// The reply as the reference server sends it (core's `BulkReplySchema`: counts, then the rejected lines), or in the
// forms it answered before: counts then every line, or an item per line without counts.
const ReplySchema = BulkReplySchema.partial({ took: true, created: true, duplicates: true, failed: true });

/**
 * Maps the `_bulk` reply to per-item failures: 400 items are dead letters, other non-2xx items are retried. With its
 * counts, the reply lists only the rejected lines (or every line): each failure is placed by its 1-based `line`
 * (the sink sends no blank lines). Without counts, one item per line. A reply that is not JSON, not of that shape or
 * does not answer for every line sent is not trusted: the batch is retried.
 */
function parseReply(reply: string, count: number): SendOutcome {
  let json: unknown;
  try {
    json = JSON.parse(reply);
  } catch {
    throw new DeliveryError('bulk ingest answered 2xx with a body that is not JSON', { retryable: true });
  }
  const parsed = ReplySchema.safeParse(json);
  if (!parsed.success) {
    const issue = toIssues(parsed.error)[0];
    throw new DeliveryError(
      `bulk ingest answered 2xx with a reply that is not a bulk reply (${issue?.path}: ${issue?.message})`,
      { retryable: true },
    );
  }
  const { created, duplicates, failed, items } = parsed.data;
  const counted = created !== undefined && duplicates !== undefined && failed !== undefined;
  const answered = counted ? created + duplicates + failed : items.length;
  if (answered !== count)
    throw new DeliveryError(`bulk ingest answered for ${answered} lines of ${count}`, { retryable: true });
  let itemDuplicates = 0;
  const failures: ItemFailure[] = [];
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as BulkItem;
    if (item.result === 'duplicate') itemDuplicates++;
    else if (item.result === 'error' || item.status < 200 || item.status >= 300) {
      const index = counted ? item.line - 1 : i;
      if (index >= count)
        throw new DeliveryError(`bulk ingest answered an item for line ${item.line} of ${count}`, { retryable: true });
      failures.push({
        index,
        retryable: isRetryableStatus(item.status),
        reason: `${item.status} rejected by the server`,
        ...(item.issues ? { issues: item.issues } : {}),
      });
    }
  }
  if (counted && failures.length !== failed) {
    throw new DeliveryError(`bulk ingest counted ${failed} rejected lines and listed ${failures.length}`, {
      retryable: true,
    });
  }
  return { duplicates: counted ? duplicates : itemDuplicates, failures };
}
