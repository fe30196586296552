import { DATASETS, isJsonPlain, isoTime, isoTimeOfText, uuidv7, type LineExporter } from '@shoplog/core';
import { MAPPED_FIELDS, toLevel } from './record.js';

/** What the raw-line path needs from the shipper: the redactor's verdicts and the engine's queue. */
export interface FastLineContext {
  /** Whether the redactor hides the value under this key (`undefined`: redaction is off). */
  isSensitiveKey: ((key: string) => boolean) | undefined;
  /** The string as the redactor leaves it (card numbers masked); `undefined`: redaction is off. */
  redactString: ((text: string) => string) | undefined;
  /** Queues the serialised event: the engine's `enqueueLine` (core's `LineExporter`). */
  enqueueLine: LineExporter['enqueueLine'];
}

const QUOTE = 34;
const COMMA = 44;
const COLON = 58;
const OPEN = 123;
const CLOSE = 125;

// What a top-level key means to the raw path (cached per key name: pino's keys repeat from line to line).
const REJECT = 0;
const LEVEL = 1;
const TIME = 2;
const MSG = 3;
const SKIP = 4;
const LABEL = 5;
const KIND_CACHE_LIMIT = 4096;
/** The redactor changes a string only to mask a card number: 13 digits at least (shorter strings need no asking). */
const MIN_CARD_CHARS = 13;

/** Top-level keys of a pino line that change the mapping (what mapRecord maps, and the event-carrying keys). */
const NOT_PLAIN = new Set<string>([...MAPPED_FIELDS, 'event', '@timestamp', '__proto__']);
/** Keys mapRecord drops without reading them. */
const SKIPPED = new Set(['pid', 'hostname', 'v']);
/** The envelope's own keys: if the redactor would hide any of them, the raw path stays off. */
export const ENVELOPE_KEYS = [
  '@timestamp',
  'log',
  'level',
  'message',
  'labels',
  'event',
  'id',
  'dataset',
  'kind',
  'category',
  'type',
];
const EVENT_TAIL = `","dataset":"${DATASETS.log}","kind":"event","category":["process"],"type":["info"]}}`;

/**
 * The raw-line path of the pino transport: a plain pino line (a flat object of strings, numbers, booleans and nulls,
 * no escapes, below level error, with a numeric or date-string `time`, nothing the redactor would change) becomes the
 * bulk document by string work on the line, without JSON.parse → mapRecord → redact → JSON.stringify. It returns
 * `false`, having done nothing, for any other line, which then takes that full path; when it returns `true` the
 * queued line is byte for byte what the full path queues (test/pino-fast-line.test.ts).
 */
export function createFastLine(ctx: FastLineContext): (text: string) => boolean {
  const { isSensitiveKey, redactString, enqueueLine } = ctx;
  const kinds = new Map<string, number>();
  // Reused between lines: the keys seen (duplicates take the full path: JSON.parse keeps the last value at the
  // first key's place) and the label pieces.
  const keys: string[] = [];
  const labels: string[] = [];
  // The previous line's keys and kinds, by position: pino writes the same keys in the same order line after line,
  // so a key is usually recognised by comparing it in place, without slicing it out and hashing it.
  let lastKeys: string[] = [];
  let lastKinds: number[] = [];
  const kindsOf: number[] = [];
  // The document is assembled in one array and joined: `join` makes one flat string, where `+` would make a rope of
  // ~20 pieces (some of them slices that keep pino's whole chunk alive). Queued lines live until their batch is sent,
  // so every scavenge copies them: one flat string each is what keeps the worker's GC time down.
  const parts: string[] = [];
  /** The value of the number `scanNumber` read last. */
  let num = 0;

  function kindOf(key: string): number {
    let kind = kinds.get(key);
    if (kind === undefined) {
      const k0 = key.charCodeAt(0);
      // An index-like key ("7") would be listed first by Object.keys, out of the line's order.
      if ((k0 >= 48 && k0 <= 57) || NOT_PLAIN.has(key)) kind = REJECT;
      else if (key === 'level') kind = LEVEL;
      else if (key === 'time') kind = TIME;
      else if (key === 'msg') kind = MSG;
      else if (SKIPPED.has(key)) kind = SKIP;
      else kind = isSensitiveKey !== undefined && isSensitiveKey(key) ? REJECT : LABEL;
      if (kinds.size >= KIND_CACHE_LIMIT) kinds.clear();
      kinds.set(key, kind);
    }
    return kind;
  }

  /**
   * Reads a JSON number (RFC 8259: `Number()` alone would also take `01`, `1.` or `.5`, which JSON.parse rejects)
   * starting at `i`; returns where it ends (-1: not a JSON number) and leaves its value in `num`.
   */
  function scanNumber(text: string, i: number): number {
    const from = i;
    let c = text.charCodeAt(i);
    const negative = c === 45;
    if (negative) c = text.charCodeAt(++i);
    let int = 0;
    if (c === 48) c = text.charCodeAt(++i);
    else if (c >= 49 && c <= 57) {
      do {
        int = int * 10 + (c - 48);
        c = text.charCodeAt(++i);
      } while (c >= 48 && c <= 57);
    } else return -1;
    let exact = i - from - (negative ? 1 : 0) <= 15; // up to 15 digits the sum above is the exact value (< 2^53)
    if (c === 46) {
      exact = false;
      c = text.charCodeAt(++i);
      if (!(c >= 48 && c <= 57)) return -1;
      do c = text.charCodeAt(++i);
      while (c >= 48 && c <= 57);
    }
    if (c === 101 || c === 69) {
      exact = false;
      c = text.charCodeAt(++i);
      if (c === 43 || c === 45) c = text.charCodeAt(++i);
      if (!(c >= 48 && c <= 57)) return -1;
      do c = text.charCodeAt(++i);
      while (c >= 48 && c <= 57);
    }
    num = exact ? (negative ? -int : int) : Number(text.slice(from, i));
    return i;
  }

  return function fastLine(text: string): boolean {
    const n = text.length;
    if (n < 2 || text.charCodeAt(0) !== OPEN || text.charCodeAt(n - 1) !== CLOSE) return false;
    keys.length = 0;
    kindsOf.length = 0;
    labels.length = 0;
    // While every key so far is the previous line's at the same place, the keys are distinct (that line's were).
    let same = true;
    let level = Number.NaN;
    let time = Number.NaN;
    let timeText: string | undefined; // a time given as text (`pino.stdTimeFunctions.isoTime`)
    let msg: string | undefined; // the raw JSON token, quotes included
    let i = 1;
    for (;;) {
      if (text.charCodeAt(i) !== QUOTE) return false;
      let key: string;
      let kind: number;
      let keyEnd: number;
      const at = keys.length;
      const known = same && at < lastKeys.length ? (lastKeys[at] as string) : undefined;
      if (known !== undefined && text.charCodeAt(i + 1 + known.length) === QUOTE && text.startsWith(known, i + 1)) {
        key = known;
        kind = lastKinds[at] as number;
        keyEnd = i + 1 + known.length;
        if (text.charCodeAt(keyEnd + 1) !== COLON) return false;
      } else {
        same = false;
        keyEnd = text.indexOf('"', i + 1);
        if (keyEnd === -1 || !isJsonPlain(text, i + 1, keyEnd) || text.charCodeAt(keyEnd + 1) !== COLON) return false;
        key = text.slice(i + 1, keyEnd);
        kind = kindOf(key);
        if (kind === REJECT || keys.includes(key)) return false;
      }
      keys.push(key);
      kindsOf.push(kind);
      const start = keyEnd + 2;
      const c = text.charCodeAt(start);
      let end: number;
      if (c === QUOTE) {
        end = text.indexOf('"', start + 1) + 1;
        if (end === 0 || !isJsonPlain(text, start + 1, end - 1)) return false;
        if (kind === MSG) {
          msg = text.slice(start, end);
          if (redactString !== undefined && end - start - 2 >= MIN_CARD_CHARS) {
            const value = text.slice(start + 1, end - 1);
            if (redactString(value) !== value) return false;
          }
        } else if (kind === LABEL) {
          if (redactString !== undefined && end - start - 2 >= MIN_CARD_CHARS) {
            const value = text.slice(start + 1, end - 1);
            if (redactString(value) !== value) return false;
          }
          labels.push(labels.length === 0 ? '"' : ',"', key, '":', text.slice(start, end));
        } else if (kind === TIME) {
          timeText = isoTimeOfText(text.slice(start + 1, end - 1));
          if (timeText === undefined) return false; // no date: the full path stamps it with the current time
        } else if (kind !== SKIP) return false; // a string level
      } else if (c === 45 || (c >= 48 && c <= 57)) {
        end = scanNumber(text, start);
        if (end === -1 || !Number.isFinite(num)) return false;
        if (kind === LEVEL) level = num;
        else if (kind === TIME) time = num;
        else if (kind === LABEL) {
          // labelsOf stores `String(number)`, which the redactor then checks like any string.
          const value = String(num);
          if (redactString !== undefined && value.length >= MIN_CARD_CHARS && redactString(value) !== value)
            return false;
          labels.push(labels.length === 0 ? '"' : ',"', key, '":"', value, '"');
        } else if (kind !== SKIP) return false; // a numeric msg
      } else {
        let literal: string;
        if (text.startsWith('true', start)) literal = 'true';
        else if (text.startsWith('false', start)) literal = 'false';
        else if (text.startsWith('null', start)) literal = 'null';
        else return false; // an object or array (err, req, nested data), or whitespace: the full path
        end = start + literal.length;
        if (kind === LABEL) labels.push(labels.length === 0 ? '"' : ',"', key, '":"', literal, '"');
        else if (kind !== SKIP) return false;
      }
      const next = text.charCodeAt(end);
      if (next === COMMA) {
        i = end + 1;
        continue;
      }
      if (next === CLOSE && end === n - 1) break;
      return false;
    }
    if (!same || keys.length !== lastKeys.length) {
      // A new shape of line (every key checked): the next line is compared with this one.
      lastKeys = keys.slice();
      lastKinds = kindsOf.slice();
    }
    // Levels from error up make an error event; a time outside Date's range throws in the full path.
    if ((timeText === undefined && !(time >= 0 && time < 8.64e15)) || Number.isNaN(level)) return false;
    const logLevel = toLevel(level);
    if (logLevel === 'error' || logLevel === 'fatal') return false;
    const id = uuidv7();
    // Key order of mapRecord's plain line: @timestamp, log, message (when non-empty), labels, then message when it
    // was missing or empty ('(no message)'), event.
    parts.length = 0;
    parts.push('{"@timestamp":"', timeText ?? isoTime(time), '","log":{"level":"', logLevel, '"}');
    const hasMessage = msg !== undefined && msg.length > 2;
    if (hasMessage) parts.push(',"message":', msg as string);
    if (labels.length > 0) {
      parts.push(',"labels":{');
      for (let j = 0; j < labels.length; j++) parts.push(labels[j] as string);
      parts.push('}');
    }
    if (!hasMessage) parts.push(',"message":"(no message)"');
    parts.push(',"event":{"id":"', id, EVENT_TAIL);
    enqueueLine(parts.join(''), id, DATASETS.log);
    return true;
  };
}
