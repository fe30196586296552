import { DATASETS, uuidv7 } from '@shoplog/core';
import { isoTime, toLevel } from './record.js';

/** What the raw-line path needs from the shipper: the redactor's verdicts and the engine's queue. */
export interface FastLineContext {
  /** Whether the redactor hides the value under this key (`undefined`: redaction is off). */
  isSensitiveKey: ((key: string) => boolean) | undefined;
  /** The string as the redactor leaves it (card numbers masked); `undefined`: redaction is off. */
  redactString: ((text: string) => string) | undefined;
  /** Queues the serialised event (`DeliveryEngine.enqueueLine`). */
  enqueueLine(line: string, id: string, dataset: string): boolean;
}

const QUOTE = 34;
const BACKSLASH = 92;
const COMMA = 44;
const COLON = 58;
const OPEN = 123;
const CLOSE = 125;

// A JSON number (RFC 8259), nothing more: `Number()` alone would also take `01`, `1.` or `.5`, which JSON.parse rejects.
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** Top-level keys of a pino line that change the mapping (mapRecord's LOGGER_FIELDS and the event-carrying keys). */
const NOT_PLAIN = new Set(['timestamp', 'message', 'err', 'error', 'stack', 'req', 'res', 'responseTime', 'splat', 'service', 'event', '@timestamp', '__proto__']);
/** Keys mapRecord drops without reading them. */
const SKIPPED = new Set(['pid', 'hostname', 'v']);
/** The envelope's own keys: if the redactor would hide any of them, the raw path stays off. */
export const ENVELOPE_KEYS = ['@timestamp', 'log', 'level', 'message', 'labels', 'event', 'id', 'dataset', 'kind', 'category', 'type'];
const EVENT_TAIL = `","dataset":"${DATASETS.log}","kind":"event","category":["process"],"type":["info"]}}`;

/**
 * Whether `text[from, to)` is its own JSON.stringify body: no backslash, no control character, no surrogate (a lone
 * one would be escaped; pairs are rare enough in logs to take the full path with them).
 */
function plain(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c < 32 || c === BACKSLASH || (c >= 0xd800 && c <= 0xdfff)) return false;
  }
  return true;
}

/**
 * The raw-line path of the pino transport: a plain pino line (a flat object of strings, numbers, booleans and nulls,
 * no escapes, below level error, with a numeric `time`, nothing the redactor would change) becomes the bulk document
 * by string work on the line, without JSON.parse → mapRecord → redact → JSON.stringify. It returns `false`, having
 * done nothing, for any other line, which then takes that full path; when it returns `true` the queued line is
 * byte for byte what the full path queues (test/pino-fast-line.test.ts).
 */
export function createFastLine(ctx: FastLineContext): (text: string) => boolean {
  const { isSensitiveKey, redactString, enqueueLine } = ctx;
  // Reused between lines: the keys seen (duplicates take the full path: JSON.parse keeps the last value at the
  // first key's place) and the label pairs.
  const keys: string[] = [];

  return function fastLine(text: string): boolean {
    const n = text.length;
    if (n < 2 || text.charCodeAt(0) !== OPEN || text.charCodeAt(n - 1) !== CLOSE) return false;
    keys.length = 0;
    let level = Number.NaN;
    let time = Number.NaN;
    let msg: string | undefined; // the raw JSON token, quotes included
    let labels = '';
    let i = 1;
    for (;;) {
      if (text.charCodeAt(i) !== QUOTE) return false;
      const keyEnd = text.indexOf('"', i + 1);
      if (keyEnd === -1 || !plain(text, i + 1, keyEnd) || text.charCodeAt(keyEnd + 1) !== COLON) return false;
      const key = text.slice(i + 1, keyEnd);
      // An index-like key ("7") would be listed first by Object.keys, out of the line's order.
      const k0 = key.charCodeAt(0);
      if ((k0 >= 48 && k0 <= 57) || NOT_PLAIN.has(key) || keys.includes(key)) return false;
      keys.push(key);
      const start = keyEnd + 2;
      const c = text.charCodeAt(start);
      let end: number;
      let value: string; // the label's text, as labelsOf would store it
      let token: string; // the value's JSON text in the document
      if (c === QUOTE) {
        const close = text.indexOf('"', start + 1);
        if (close === -1 || !plain(text, start + 1, close)) return false;
        end = close + 1;
        value = text.slice(start + 1, close);
        token = text.slice(start, end);
        if (key === 'msg') msg = token;
      } else if (c === 45 || (c >= 48 && c <= 57)) {
        NUMBER.lastIndex = start;
        if (!NUMBER.test(text)) return false;
        end = NUMBER.lastIndex;
        const num = Number(text.slice(start, end));
        if (!Number.isFinite(num)) return false;
        if (key === 'level') level = num;
        else if (key === 'time') time = num;
        value = String(num);
        token = '"' + value + '"';
      } else if (text.startsWith('true', start)) {
        end = start + 4;
        value = token = '"true"';
      } else if (text.startsWith('false', start)) {
        end = start + 5;
        value = token = '"false"';
      } else if (text.startsWith('null', start)) {
        end = start + 4;
        value = token = '"null"';
      } else {
        return false; // an object or array (err, req, nested data), or whitespace: the full path
      }
      if (key === 'level' || key === 'time') {
        if (c === QUOTE || token === '"true"' || token === '"false"' || token === '"null"') return false;
      } else if (key === 'msg') {
        if (c !== QUOTE) return false;
        if (redactString !== undefined && redactString(value) !== value) return false;
      } else if (!SKIPPED.has(key)) {
        if (isSensitiveKey !== undefined && isSensitiveKey(key)) return false;
        if (redactString !== undefined && value.length >= 13 && redactString(value) !== value) return false;
        labels += (labels === '' ? '"' : ',"') + key + '":' + token;
      }
      const next = text.charCodeAt(end);
      if (next === COMMA) {
        i = end + 1;
        continue;
      }
      if (next === CLOSE && end === n - 1) break;
      return false;
    }
    // Levels from error up make an error event; a time outside Date's range throws in the full path.
    if (!(time >= 0 && time < 8.64e15) || Number.isNaN(level)) return false;
    const logLevel = toLevel(level);
    if (logLevel === 'error' || logLevel === 'fatal') return false;
    const id = uuidv7();
    // Key order of mapRecord's plain line: @timestamp, log, message (when non-empty), labels, then message when it
    // was missing or empty ('(no message)'), event.
    let line = '{"@timestamp":"' + isoTime(time) + '","log":{"level":"' + logLevel + '"}';
    const hasMessage = msg !== undefined && msg.length > 2;
    if (hasMessage) line += ',"message":' + msg;
    if (labels !== '') line += ',"labels":{' + labels + '}';
    if (!hasMessage) line += ',"message":"(no message)"';
    line += ',"event":{"id":"' + id + EVENT_TAIL;
    enqueueLine(line, id, DATASETS.log);
    return true;
  };
}
