import { isoTime, msToNs, type PluginStats } from '@shoplog/core';
import { RequestContext, statusOf } from './context.js';
import { sendPerformanceLine } from './fast-line.js';
import { InFlightList } from './in-flight.js';
import { resolveOptions, type ResolvedConfig, type ShoplogMiddlewareOptions, type StatusClass } from './options.js';
import type { NextFunction, ShoplogRequest, ShoplogResponse } from './types.js';

// Requests `skip` / `skipPaths` left out: they have helpers but no events of their own (see the middleware).
const skippedRequests = new WeakSet<RequestContext>();

/** The request middleware returned by `shoplog()`. */
export interface ShoplogMiddleware {
  (req: ShoplogRequest, res: ShoplogResponse, next: NextFunction): void;
  /** Resolves when the events of finished requests have gone through the plugins to the exporter. */
  flush(): Promise<void>;
  /** Flushes, then closes the plugins (idempotent); the exporter is yours to close. */
  close(): Promise<void>;
  /** Per plugin stage (with `plugins`): calls, errors, timeouts, time and breaker state; empty without plugins. */
  metrics(): { plugins: PluginStats[] };
}

/** The error-handling middleware returned by `shoplogErrorHandler()`. */
export type ShoplogErrorMiddleware = (
  err: unknown,
  req: ShoplogRequest,
  res: ShoplogResponse,
  next: NextFunction,
) => void;

// One shared `close` listener (no per-request closure) finds the context through the request Node and Express
// link to the response (`res.req`) and its `req.shoplog`: no property of our own is added to the response.
type TrackedResponse = ShoplogResponse & { req?: ShoplogRequest | undefined };

const STATUS_CLASS: StatusClass[] = ['2xx', '2xx', '2xx', '3xx', '4xx', '5xx'];
const MAX_ROUTE = 1024;

function pathOf(url: string | undefined): string {
  if (!url) return '/';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

function shouldSkip(config: ResolvedConfig, req: ShoplogRequest): boolean {
  if (config.skipExact.size > 0 || config.skipPatterns.length > 0) {
    const path = pathOf(req.originalUrl ?? req.url);
    if (config.skipExact.has(path)) return true;
    for (const re of config.skipPatterns) if (re.test(path)) return true;
  }
  if (config.skip) {
    try {
      return config.skip(req) === true;
    } catch (err) {
      config.onError(err);
    }
  }
  return false;
}

function responseHeaders(config: ResolvedConfig, res: ShoplogResponse): Record<string, string | string[]> | undefined {
  const picked: Record<string, string | string[] | number | undefined> = {};
  for (const name of config.responseHeaders) picked[name] = res.getHeader(name);
  let out: Record<string, string | string[]> | undefined;
  for (const [name, value] of Object.entries(picked)) {
    if (value === undefined) continue;
    out ??= {};
    out[name] = typeof value === 'number' ? String(value) : value;
  }
  return out && config.redactor.redact(out);
}

function finish(config: ResolvedConfig, ctx: RequestContext): void {
  const res = ctx.res;
  const end = performance.now();
  const finished = res.writableFinished !== false;
  const status = res.statusCode;
  if (!finished) {
    // The client went away before the response was complete (a timeout was already recorded as such).
    if (!ctx.timedOut) {
      const message = 'client closed the connection before the response was complete';
      ctx.recordError({ name: 'RequestAborted', message }, 'aborted', 'warn', undefined);
    }
  } else if (status >= 400 && !ctx.errorRecorded) {
    const message = `${ctx.req.method ?? 'GET'} responded ${status}`;
    if (status >= 500) ctx.recordError({ name: 'HttpError', message }, 'http', 'error', status);
    else if (config.clientErrors) ctx.recordError({ name: 'HttpError', message }, 'http', config.clientErrors, status);
  } else if (status < 400 && config.sampleRate < 1 && Math.random() >= config.sampleRate) {
    return;
  }
  const route = ctx.route(status);
  const level = config.levels[STATUS_CLASS[Math.floor(status / 100)] ?? '5xx'];
  const socketBytes = ctx.req.socket?.bytesWritten;
  const bytes = socketBytes !== undefined && finished ? Math.max(0, socketBytes - ctx.bytesAtStart) : undefined;
  if (config.sendLine) {
    // Nothing reads the event object on this path: write its JSON straight from the values (fast-line.ts).
    const f = { status, finished, statusSent: finished || res.headersSent, bytes, route, end, level };
    sendPerformanceLine(ctx, f, config.sendLine, config.serviceJson);
    return;
  }
  const response: Record<string, unknown> = {};
  if (finished || res.headersSent) response.status_code = status;
  if (bytes !== undefined) response.bytes = bytes;
  if (config.responseHeaders.length > 0) {
    const headers = responseHeaders(config, res);
    if (headers) response.headers = headers;
  }
  const http: Record<string, unknown> = { response };
  if (route !== undefined) http.route = route;
  const path = (ctx.fields().url as { path: string }).path;
  const outcome = !finished ? 'unknown' : status >= 500 ? 'failure' : 'success';
  // Within core's limits (Node accepts statuses up to 999, core up to 599; a route template is at most 1024).
  const trusted = status >= 100 && status <= 599 && (route === undefined || route.length <= MAX_ROUTE);
  ctx.emit(
    'performance',
    {
      '@timestamp': isoTime(ctx.startMs),
      message: `${ctx.req.method ?? 'GET'} ${route ?? path} ${finished ? status : 'aborted'}`,
      event: { duration: msToNs(end - ctx.startedAt), outcome },
      log: { level },
      shop: { performance: { kind: 'http' } },
    },
    http,
    trusted,
  );
}

/**
 * Creates the request middleware: one performance event per request (route template, status, duration in ns,
 * sizes, client, trace ids), error events for 5xx, 4xx, timeouts and aborted requests, and `req.shoplog` helpers.
 * Install it first; add `shoplogErrorHandler()` after your routes to record thrown errors with their stack.
 */
export function shoplog(options: ShoplogMiddlewareOptions): ShoplogMiddleware {
  const config = resolveOptions('shoplog()', options);
  const inFlight = config.timeoutMs > 0 ? new InFlightList<RequestContext>() : undefined;
  const sweepMs = Math.max(5, Math.min(1000, Math.floor(config.timeoutMs / 4)));
  let sweeper: ReturnType<typeof setInterval> | undefined;

  function onTimeout(ctx: RequestContext): void {
    ctx.timedOut = true;
    ctx.errorRecorded = true;
    const message = `no response within ${config.timeoutMs} ms`;
    ctx.recordError({ name: 'RequestTimeout', message }, 'timeout', 'error', config.timeoutStatus);
    const res = ctx.res;
    if (config.timeoutStatus !== undefined && !res.headersSent && res.end) {
      res.statusCode = config.timeoutStatus;
      res.end();
    }
  }

  // One timer for all requests in flight instead of one per request; the list keeps start order, so the scan
  // stops at the first request that has not timed out yet.
  function sweep(): void {
    if (!inFlight) return;
    const now = performance.now();
    for (let ctx = inFlight.first(); ctx !== undefined; ctx = inFlight.first()) {
      if (now - ctx.startedAt < config.timeoutMs) break;
      inFlight.delete(ctx);
      try {
        onTimeout(ctx);
      } catch (err) {
        config.onError(err);
      }
    }
    if (inFlight.size === 0 && sweeper) {
      clearInterval(sweeper);
      sweeper = undefined;
    }
  }

  function onClose(this: TrackedResponse): void {
    const ctx = this.req?.shoplog;
    if (!(ctx instanceof RequestContext) || ctx.closed) return;
    ctx.closed = true;
    inFlight?.delete(ctx);
    try {
      finish(config, ctx);
    } catch (err) {
      config.onError(err);
    }
  }

  const middleware = function shoplogMiddleware(req: ShoplogRequest, res: TrackedResponse, next: NextFunction): void {
    // Installed twice (on the app and on a router): the outer one already tracks this request. A second state would
    // never see its 'close' (the listener finds `req.shoplog`, the newest) and would be swept as a timeout later.
    if (req.shoplog instanceof RequestContext) return next();
    if (shouldSkip(config, req)) {
      // A skipped request records nothing by itself (no request, timeout or error event), but its handlers still get
      // working helpers: `req.shoplog` is typed as always there behind the middleware.
      const skipped = new RequestContext(config, req, res);
      skippedRequests.add(skipped);
      req.shoplog = skipped;
      return next();
    }
    const ctx = new RequestContext(config, req, res);
    req.shoplog = ctx;
    if (config.requestIdHeader !== undefined && !res.headersSent) res.setHeader(config.requestIdHeader, ctx.requestId);
    // `on`, not `once`: 'close' fires once per response and `once` would allocate a wrapper per request.
    res.on('close', onClose);
    if (inFlight) {
      inFlight.add(ctx);
      if (!sweeper) {
        sweeper = setInterval(sweep, sweepMs);
        sweeper.unref();
      }
    }
    next();
  };
  return Object.assign(middleware, {
    flush: async () => config.plugins?.flush(),
    close: async () => config.plugins?.close(),
    metrics: () => ({ plugins: config.plugins?.metrics().plugins ?? [] }),
  });
}

/** Options of `shoplogErrorHandler()`: only needed when it runs without `shoplog()` in front of it. */
export type ShoplogErrorHandlerOptions = ShoplogMiddlewareOptions;

/**
 * Creates the error-handling middleware: records the error (type, message, stack; 5xx at `error`, 4xx at the
 * `clientErrors` level) with the request's trace ids, then passes it on with `next(err)` so the app's own
 * error handlers still run. Uses the `shoplog()` settings of the request; `options` serve when used alone.
 */
export function shoplogErrorHandler(options?: ShoplogErrorHandlerOptions): ShoplogErrorMiddleware {
  const standalone = options ? resolveOptions('shoplogErrorHandler()', options) : undefined;
  return function shoplogErrorHandler(
    err: unknown,
    req: ShoplogRequest,
    res: ShoplogResponse,
    next: NextFunction,
  ): void {
    try {
      const seen = req.shoplog instanceof RequestContext && !skippedRequests.has(req.shoplog) ? req.shoplog : undefined;
      const ctx = seen ?? (standalone ? new RequestContext(standalone, req, res) : undefined);
      if (ctx) {
        const status = statusOf(err);
        if (status >= 500) {
          ctx.recordError(err, 'exception', 'error', status);
          ctx.errorRecorded = true;
        } else if (ctx.config.clientErrors) {
          ctx.recordError(err, 'http', ctx.config.clientErrors, status);
          ctx.errorRecorded = true;
        }
      }
    } catch (e) {
      (standalone ?? (req.shoplog instanceof RequestContext ? req.shoplog.config : undefined))?.onError(e);
    }
    next(err);
  };
}
