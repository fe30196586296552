import { createRequire } from 'node:module';
import type { EventEmitter } from 'node:events';
import type { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { isMainThread } from 'node:worker_threads';
import { installSignalHooks } from './exit-hooks.js';
import { createLineStream } from './pino-lines.js';
import { buildShipper, type ShipperOptions } from './shipper.js';

/**
 * Options of the pino transport. In a worker (`createPinoTransport(options)`, or `pino.transport({ target:
 * '@shoplog/node-transport/pino', options })`) they cross a thread boundary, so only plain data works there: no
 * `sink`, `mapRecord`, `onError` or plugin instances: name plugins by module specifier, they are loaded in the worker.
 */
export type PinoTransportOptions = ShipperOptions;

/** pino's worker stream (thread-stream), as `pino.transport()` returns it: give it to `pino()`. */
export interface PinoWorkerStream extends EventEmitter {
  write(data: string): boolean;
  end(): void;
  flush(callback?: (error?: Error | null) => void): void;
}

/** In pino's worker, `close` must be done before pino stops waiting for the worker on exit (10 s). */
const WORKER_MAX_CLOSE_MS = 8000;

/**
 * The pino transport: parses pino's lines, maps each record (level, msg, time, err, pino-http req/res, bindings)
 * to a Shoplog event, runs the core pipeline (redaction on by default) and delivers through the engine.
 * `close` flushes: pino ends the stream on exit and waits for it. Usable in pino's worker (`target`) and, called
 * directly, as a destination stream in the main thread: `pino(shoplogPino({ url }))`.
 */
export default function shoplogPino(options: PinoTransportOptions): Writable {
  // In pino's worker the parent owns the process lifecycle and ends our stream on exit; hooks there would be wrong.
  const { shipper, fastLine } = buildShipper({
    ...options,
    exitHooks: options.exitHooks ?? isMainThread,
    ...(isMainThread ? {} : { closeDeadlineMs: Math.min(options.closeDeadlineMs ?? 5000, WORKER_MAX_CLOSE_MS) }),
    // In the worker every record is a fresh parse that nobody else holds: redact it in place, without a copy.
    redact: options.redact === false ? false : { ...(isMainThread ? {} : { mutate: true }), ...options.redact },
  });
  // Our own line splitter rather than pino-abstract-transport's split2 stream: same records, less work per line
  // (see pino-lines.ts); plain lines skip the parse (pino-fast-line.ts); `close` flushes when pino ends the stream.
  const stream = createLineStream(
    (record) => shipper.write(record),
    () => shipper.close(),
    fastLine,
  );
  // pino's `logger.flush(cb)` reaches this (in the worker through thread-stream ≥ 4.2): done once delivered or spooled.
  const flush = (callback?: (error?: Error | null) => void): Promise<void> => {
    const done = shipper.flush();
    if (callback) done.then(() => callback(), callback);
    return done;
  };
  return Object.assign(stream, { flush });
}

export { shoplogPino };

/**
 * `pino.transport()` with this transport in pino's worker thread, plus the process hooks that make a deploy lose
 * nothing: on SIGTERM / SIGINT (when the app does not handle them itself) the process ends through
 * `process.exit()`, so pino's exit handler ends the worker, which delivers within its grace period (`closeDeadlineMs`)
 * and spools the rest; then the process ends by that signal. Call it in the main thread: `pino(createPinoTransport(options))`.
 */
export function createPinoTransport(options: PinoTransportOptions): PinoWorkerStream {
  installSignalHooks();
  const pino = createRequire(import.meta.url)('pino') as {
    transport(o: { target: string; options: PinoTransportOptions }): PinoWorkerStream;
  };
  return pino.transport({ target: fileURLToPath(import.meta.url), options });
}

/**
 * Installs the process hooks of `createPinoTransport` for a worker transport created with
 * `pino.transport({ target: '@shoplog/node-transport/pino' })`. Without them (and without any other Shoplog
 * transport in the main thread), Node's default for SIGTERM / SIGINT ends the process at once, and the lines the
 * worker has not sent yet are lost: signals never reach a worker thread, so the transport cannot do this itself.
 */
export function exitOnSignals(): void {
  installSignalHooks();
}
