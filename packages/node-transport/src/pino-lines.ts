import { Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { LogRecord } from './record.js';

/** Lines handed on per turn of the event loop (a few milliseconds of work). */
const YIELD_LINES = 1000;

/** `String#isWellFormed` / `toWellFormed` (ES2024; Node ≥ 20), not in the ES2023 lib the packages compile against. */
interface WellFormedString {
  isWellFormed(): boolean;
  toWellFormed(): string;
}

/**
 * A string as its UTF-8 round trip gives it back: lone surrogates become U+FFFD. pino-abstract-transport's split2
 * turns every written string into a Buffer and decodes it again, so this keeps the records it produced.
 */
function wellFormed(text: string): string {
  const s = text as unknown as WellFormedString;
  return s.isWellFormed() ? text : s.toWellFormed();
}

/**
 * A writable stream that splits pino's NDJSON output into lines and hands each parsed record to `onRecord`, in order;
 * `close` runs when the stream ends or is destroyed, before it emits 'close' (pino's worker waits for that).
 * It gives the same records as pino-abstract-transport's split2 path (a line ends at `\n` or `\r\n`; a line that is
 * not JSON, or is `null`, is skipped with an `'unknown'` event; a JSON scalar becomes `{ data, time }`; the last line
 * needs no newline) without its per-line object-mode push and its string → Buffer → string copy of every chunk,
 * about a fifth of the worker's time per log (bench/reports/transport.md, 2026-11-26 19:xx). `rawLine`, when given,
 * sees each line first and returns `true` when it handled it.
 */
export function createLineStream(
  onRecord: (record: LogRecord) => void,
  close: () => Promise<void>,
  rawLine?: (text: string) => boolean,
): Writable {
  let rest = '';
  let decoder: StringDecoder | undefined;

  const stream: Writable = new Writable({
    decodeStrings: false,
    write(chunk: string | Buffer, _encoding, cb) {
      const text = typeof chunk === 'string' ? wellFormed(chunk) : (decoder ??= new StringDecoder('utf8')).write(chunk);
      lines(rest + text, 0, cb);
    },
    final(cb) {
      const tail = rest + (decoder?.end() ?? '');
      rest = '';
      try {
        if (tail !== '') line(tail);
      } catch (err) {
        cb(err as Error);
        return;
      }
      cb();
    },
    destroy(_err, cb) {
      // As pino-abstract-transport: the close's own failure is what the stream reports.
      close().then(
        () => cb(null),
        (err: unknown) => cb(err instanceof Error ? err : new Error(String(err))),
      );
    },
  });

  /**
   * Hands every complete line of `text` from `start` on, keeps the unfinished rest, then calls `cb`. pino's worker
   * writes whatever the app logged since its last read, up to megabytes at a time: after every `YIELD_LINES` lines
   * the rest waits for the next turn of the event loop, so the HTTP exchange of the batch in flight (gzip callback,
   * reply) runs meanwhile instead of after the whole chunk.
   */
  function lines(text: string, start: number, cb: (err?: Error | null) => void): void {
    try {
      let n = 0;
      for (let nl = text.indexOf('\n', start); nl !== -1; nl = text.indexOf('\n', start)) {
        if (n++ === YIELD_LINES) {
          setImmediate(resume, text, start, cb);
          return;
        }
        line(text.slice(start, nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl));
        start = nl + 1;
      }
    } catch (err) {
      cb(err as Error);
      return;
    }
    rest = start === 0 ? text : text.slice(start);
    cb();
  }

  function resume(text: string, start: number, cb: (err?: Error | null) => void): void {
    // Destroyed meanwhile: the rest of the chunk is dropped, as a destroyed stream drops its buffered writes.
    if (stream.destroyed) cb();
    else lines(text, start, cb);
  }

  function line(text: string): void {
    // A plain line the raw path turned into its document needs no parse (see pino-fast-line.ts).
    if (rawLine?.(text)) return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      stream.emit('unknown', text, error);
      return;
    }
    if (value === null) {
      stream.emit('unknown', text, 'Null value ignored');
      return;
    }
    onRecord((typeof value === 'object' ? value : { data: value, time: Date.now() }) as LogRecord);
  }

  return stream;
}
