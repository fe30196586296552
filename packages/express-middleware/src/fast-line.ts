import { DATASETS, isoTime, jsonString, msToNs, uuidv7, type LineExporter, type LogLevel } from '@shoplog/core';
import type { RequestContext } from './context.js';
import { clientIp, MAX_IP, MAX_UA } from './context.js';
import { splitTarget } from './url.js';

const DATASET = `"${DATASETS.performance}"`;

// Finite numbers print the same with String(); JSON writes NaN and ±Infinity as null.
function jsonNumber(n: number): string {
  return Number.isFinite(n) ? String(n) : 'null';
}

/** Queues a ready line: a `LineExporter`'s `enqueueLine` (core; the delivery engine is one). */
export type SendLine = LineExporter['enqueueLine'];

/** What `finish()` decided about the response, for the performance event. */
export interface Finished {
  status: number;
  finished: boolean;
  /** The response's status line went out (`http.response.status_code` is known). */
  statusSent: boolean;
  /** Bytes written for this response, when known. */
  bytes: number | undefined;
  route: string | undefined;
  /** `performance.now()` when the response ended. */
  end: number;
  level: LogLevel;
}

/**
 * Writes the request's performance event as a JSON line straight from its captured values, with the keys in the
 * order the object path gives them, and hands it to `send`. Only for configurations where nothing else reads the
 * event (see `lineSendOf` in options.ts): the line is `JSON.stringify` of the event `finish()` would have built.
 */
export function sendPerformanceLine(
  ctx: RequestContext,
  f: Finished,
  send: SendLine,
  serviceJson: string | undefined,
): void {
  const { req, config } = ctx;
  let path: string;
  let query: string | undefined;
  let ip: string | undefined;
  let ua: string | undefined;
  const common = ctx.builtFields();
  if (common) {
    // An earlier event of this request built the shared fields: use the very same values.
    ({ path, query } = common.url as { path: string; query?: string });
    ip = (common.client as { ip: string } | undefined)?.ip;
    ua = (common.user_agent as { original: string } | undefined)?.original;
  } else {
    ({ path, query } = splitTarget(req.originalUrl ?? req.url ?? '/', config.redactor));
    ip = clientIp(req)?.slice(0, MAX_IP);
    const header = req.headers['user-agent'];
    if (typeof header === 'string') ua = header.length > MAX_UA ? header.slice(0, MAX_UA) : header;
  }
  // Trace and span ids are lower-case hex (minted, or checked by parseTraceparent), the request id is a UUID or a
  // token of `A-Za-z0-9._:@/+=-` (acceptRequestId) and the level one of core's: nothing in them JSON escapes.
  let line = `{"trace":{"id":"${ctx.traceId}"},"span":{"id":"${ctx.spanId}"},"url":{"path":${jsonString(path)}`;
  if (query !== undefined) line += `,"query":${jsonString(query)}`;
  line += '}';
  if (ctx.parentSpanId) line += `,"parent":{"id":"${ctx.parentSpanId}"}`;
  if (ip) line += `,"client":{"ip":${jsonString(ip)}}`;
  if (ua !== undefined) line += `,"user_agent":{"original":${jsonString(ua)}}`;
  const method = req.method ?? 'GET';
  const message = `${method} ${f.route ?? path} ${f.finished ? f.status : 'aborted'}`;
  const outcome = !f.finished ? 'unknown' : f.status >= 500 ? 'failure' : 'success';
  const user = ctx.userId();
  const now = Date.now();
  const id = uuidv7(now);
  line +=
    `,"@timestamp":"${isoTime(ctx.startMs)}","message":${jsonString(message)},"event":{"kind":"metric","category":["web"],` +
    `"type":["info"],"duration":${jsonNumber(msToNs(f.end - ctx.startedAt))},"outcome":"${outcome}","id":"${id}","dataset":${DATASET}},` +
    `"log":{"level":"${f.level}"},"shop":{"performance":{"kind":"http"}},` +
    `"http":{"request":{"id":"${ctx.requestId}","method":${jsonString(method.slice(0, 16))}`;
  const length = Number(req.headers['content-length']);
  if (length >= 0 && Number.isInteger(length)) line += `,"bytes":${jsonNumber(length)}`;
  line += '},"response":{';
  if (f.statusSent) line += `"status_code":${jsonNumber(f.status)}`;
  if (f.bytes !== undefined) line += `${f.statusSent ? ',' : ''}"bytes":${jsonNumber(f.bytes)}`;
  line += '}';
  if (f.route !== undefined) line += `,"route":${jsonString(f.route)}`;
  line += '}';
  if (user !== undefined) {
    // Whatever the callback returned, written as JSON.stringify writes `{ id: user }` (a function or symbol: `{}`).
    const text = JSON.stringify(user) as string | undefined;
    line += text === undefined ? ',"user":{}' : `,"user":{"id":${text}}`;
  }
  if (serviceJson !== undefined) line += `,"service":${serviceJson}`;
  line += '}';
  const result = send(line, id, DATASETS.performance) as { then?: unknown } | undefined;
  if (result && typeof result.then === 'function') (result as Promise<unknown>).then(undefined, config.onError);
}
