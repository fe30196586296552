import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { StringDecoder } from 'node:string_decoder';
import type { Readable } from 'node:stream';
import { csvRows } from './csv-rows.js';
import { createLineSplitter } from './line-splitter.js';

/**
 * A record read from an uploaded file: its 1-based line (or array item) number — for CSV the line the record starts
 * on — and the parsed value (with, for NDJSON, the line it was parsed from: stored as is when valid) or the error.
 */
export type FileRecord = { line: number; value: unknown; text?: string } | { line: number; error: string };

/** Kinds of upload file. */
export type UploadFileType = 'json' | 'ndjson' | 'csv';

/** The file type from its name (`.json`, `.ndjson`/`.jsonl`, `.csv`, each optionally `.gz`), or `undefined`. */
export function fileTypeOf(filename: string): UploadFileType | undefined {
  const name = filename.toLowerCase().replace(/\.gz$/, '');
  if (name.endsWith('.ndjson') || name.endsWith('.jsonl') || name.endsWith('.log')) return 'ndjson';
  if (name.endsWith('.json')) return 'json';
  if (name.endsWith('.csv')) return 'csv';
  return undefined;
}

/** Opens a stored upload, inflating it when it starts with the gzip magic bytes. */
export async function openUpload(path: string): Promise<Readable> {
  const head = await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    createReadStream(path, { start: 0, end: 1 })
      .on('data', (c) => chunks.push(c as Buffer))
      .on('end', () => resolve(Buffer.concat(chunks)))
      .on('error', reject);
  });
  const raw = createReadStream(path);
  return head[0] === 0x1f && head[1] === 0x8b ? raw.pipe(createGunzip()) : raw;
}

const csvValue = (value: string): unknown => (value === 'true' ? true : value === 'false' ? false : value);

// The first record is the header; `line` is where a record starts, and errors name the record (counted after the header) and its line.
async function* csvRecords(stream: Readable, maxLength: number): AsyncGenerator<FileRecord> {
  let header: string[] | undefined;
  for await (const row of csvRows(stream, maxLength)) {
    const number = header ? row.record - 1 : row.record;
    const where = `CSV record ${number} (line ${row.line})`;
    if ('error' in row) {
      yield { line: row.line, error: `${where}: ${row.error}` };
      continue;
    }
    if (!header) {
      header = row.fields.map((h) => h.trim());
      continue;
    }
    if (row.fields.length !== header.length) {
      yield { line: row.line, error: `${where}: ${row.fields.length} fields, the header has ${header.length}` };
      continue;
    }
    const record: Record<string, unknown> = {};
    header.forEach((name, i) => {
      const cell = row.fields[i];
      if (name && cell !== undefined && cell !== '') record[name] = csvValue(cell);
    });
    yield { line: row.line, value: record };
  }
}

const tooLong = (what: string, maxLength: number, length: number): string =>
  `${what} longer than ${maxLength} characters (${length}): not parsed`;

async function* ndjsonRecords(stream: Readable, maxLength: number): AsyncGenerator<FileRecord> {
  // The decoder keeps a multi-byte character split between two chunks whole.
  const decoder = new StringDecoder('utf8');
  let n = 0;
  let skipped: number | undefined;
  const splitter = createLineSplitter(maxLength, (length) => {
    skipped = length;
  });
  const records = function* (lines: string[]): Generator<FileRecord> {
    if (skipped !== undefined) {
      yield { line: ++n, error: tooLong('line', maxLength, skipped) };
      skipped = undefined;
    }
    for (const raw of lines) {
      n++;
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (line.trim() === '') continue;
      if (line.length > maxLength) {
        yield { line: n, error: tooLong('line', maxLength, line.length) };
        continue;
      }
      try {
        yield { line: n, value: JSON.parse(line), text: line };
      } catch (error) {
        yield { line: n, error: `not JSON: ${(error as Error).message}` };
      }
    }
  };
  for await (const chunk of stream) yield* records(splitter.push(decoder.write(chunk as Buffer)));
  // The last line counts even without a final newline (the seed dropped it).
  yield* records([...splitter.push(decoder.end()), ...splitter.end()]);
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const STRING_STOP = /["\\]/g;
const isSpace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/**
 * Streams the items of a top-level JSON array (or of top-level objects one after another) without holding the whole
 * file, nor more than `maxLength` characters of one item: a longer item is reported and skipped. Every item is
 * accounted for: one that cannot be JSON (a stray closing bracket, `[{…}}},{…}]`) is an error naming its number, and
 * so is text outside the array.
 */
async function* jsonArrayRecords(stream: Readable, maxLength: number): AsyncGenerator<FileRecord> {
  // 0: outside the array; 1: between its items; 2 and more: inside an item.
  let depth = 0;
  let inString = false;
  let escaped = false;
  let topLevelObject = false;
  let item = '';
  let itemLength = 0;
  let broken: string | undefined;
  let outside = 0;
  let n = 0;
  const emit = (): FileRecord | undefined => {
    const text = item;
    const length = itemLength;
    const why = broken;
    item = '';
    itemLength = 0;
    broken = undefined;
    if (length <= maxLength && why === undefined && text.trim() === '') return undefined;
    n++;
    if (length > maxLength) return { line: n, error: tooLong('item', maxLength, length) };
    if (why !== undefined) return { line: n, error: `not JSON: ${why}` };
    try {
      return { line: n, value: JSON.parse(text) };
    } catch (error) {
      return { line: n, error: `not JSON: ${(error as Error).message}` };
    }
  };
  const decoder = new StringDecoder('utf8');
  const scan = function* (text: string): Generator<FileRecord> {
    // Where the current item's text starts in this chunk (-1: not inside an item); kept by `take`, up to maxLength.
    let from = -1;
    const take = (to: number): void => {
      if (from < 0) return;
      itemLength += to - from;
      item = itemLength <= maxLength ? item + text.slice(from, to) : '';
      from = -1;
    };
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (depth === 0) {
        if (c === OPEN_BRACKET) depth = 1;
        else if (c === OPEN_BRACE) {
          topLevelObject = true;
          depth = 2;
          from = i;
        } else if (!isSpace(c)) outside++;
        continue;
      }
      if (from < 0) from = i;
      if (inString) {
        if (escaped) escaped = false;
        else if (c === BACKSLASH) escaped = true;
        else if (c === QUOTE) inString = false;
        else {
          // Jump to the next quote or backslash: a long string is searched natively, not walked a character at a time.
          STRING_STOP.lastIndex = i;
          i = (STRING_STOP.exec(text)?.index ?? text.length) - 1;
        }
        continue;
      }
      if (c === QUOTE) inString = true;
      else if (depth === 1 && (c === COMMA || c === CLOSE_BRACKET)) {
        take(i);
        const record = emit();
        if (record) yield record;
        if (c === CLOSE_BRACKET) depth = 0;
      } else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
      else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        // A closing bracket between items closes nothing: the item around it is not JSON (and its end is unknown
        // until the next comma, so the item runs to there).
        if (depth === 1) broken ??= `unexpected "${text[i]}" after the end of a value`;
        else depth--;
        if (topLevelObject && depth === 1) {
          take(i + 1);
          const record = emit();
          if (record) yield record;
          depth = 0;
          topLevelObject = false;
        }
      }
    }
    take(text.length);
  };
  for await (const chunk of stream) yield* scan(decoder.write(chunk as Buffer));
  yield* scan(decoder.end());
  // A file cut inside the array: its last item is read as it is (whole, or an error).
  const last = emit();
  if (last) yield last;
  if (outside > 0) yield { line: n + 1, error: `${outside} characters outside the JSON array: not read` };
}

/** The records of an upload, streamed; a record over `maxLength` characters is an error and is not held. */
export function fileRecords(stream: Readable, type: UploadFileType, maxLength: number): AsyncGenerator<FileRecord> {
  if (type === 'csv') return csvRecords(stream, maxLength);
  if (type === 'json') return jsonArrayRecords(stream, maxLength);
  return ndjsonRecords(stream, maxLength);
}
