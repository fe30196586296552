import { isMainThread } from 'node:worker_threads';
import { buildShipper, type ShipperOptions } from './shipper.js';
import type { Writable } from 'node:stream';
import { createLineStream } from './pino-lines.js';
import { constants as osConstants } from 'node:os';

/**
 * Options of the pino transport. In a worker (`pino.transport({ target: '@shoplog/node-transport/pino', options })`)
 * they cross a thread boundary, so only plain data works there: no `sink`, `plugins`, `mapRecord` or `onError`.
 */
export type PinoTransportOptions = ShipperOptions;


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
    // In the worker every record is a fresh parse that nobody else holds: redact it in place, without a copy.
    redact: options.redact === false ? false : { ...(isMainThread ? {} : { mutate: true }), ...options.redact },
  });
  // Our own line splitter rather than pino-abstract-transport's split2 stream: same records, less work per line
  // (see pino-lines.ts); plain lines skip the parse (pino-fast-line.ts); `close` flushes when pino ends the stream.
  return createLineStream(
    (record) => shipper.write(record),
    () => shipper.close(),
    fastLine,
  );
}

export { shoplogPino };

/**
 * Turns SIGTERM / SIGINT into a normal `process.exit()`, so pino's exit handler ends the worker transport and our
 * `close` drains (or spools) before the process goes: Node's default for these signals skips every exit handler.
 * Call it once in the main thread when you use the worker transport and nothing else handles the signals.
 */
export function exitOnSignals(signals: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT']): void {
  for (const signal of signals) {
    process.once(signal, () => process.exit(128 + (osConstants.signals[signal] ?? 0)));
  }
}
