import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { StringDecoder } from 'node:string_decoder';
import type { Readable } from 'node:stream';
import { csvRows } from './csv-rows.js';

/** A record read from an uploaded file: its 1-based line (or array item) number — for CSV the line the record starts on — and the parsed value or the error. */
export type FileRecord = { line: number; value: unknown } | { line: number; error: string };

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

async function* lines(stream: Readable): AsyncGenerator<string> {
  // The decoder keeps a multi-byte character split between two chunks whole.
  const decoder = new StringDecoder('utf8');
  let rest = '';
  for await (const chunk of stream) {
    const text = rest + decoder.write(chunk as Buffer);
    const parts = text.split('\n');
    rest = parts.pop() ?? '';
    for (const part of parts) yield part.endsWith('\r') ? part.slice(0, -1) : part;
  }
  rest += decoder.end();
  // The last line counts even without a final newline (the seed dropped it).
  if (rest !== '') yield rest;
}

const csvValue = (value: string): unknown => (value === 'true' ? true : value === 'false' ? false : value);

// The first record is the header; `line` is where a record starts, and errors name the record (counted after the header) and its line.
async function* csvRecords(stream: Readable): AsyncGenerator<FileRecord> {
  let header: string[] | undefined;
  for await (const row of csvRows(stream)) {
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

async function* ndjsonRecords(stream: Readable): AsyncGenerator<FileRecord> {
  let n = 0;
  for await (const line of lines(stream)) {
    n++;
    if (line.trim() === '') continue;
    try {
      yield { line: n, value: JSON.parse(line) };
    } catch (error) {
      yield { line: n, error: `not JSON: ${(error as Error).message}` };
    }
  }
}

// Streams the items of a top-level JSON array (or a single object) without holding the whole file.
async function* jsonArrayRecords(stream: Readable): AsyncGenerator<FileRecord> {
  let depth = 0;
  let inString = false;
  let escaped = false;
  let item = '';
  let n = 0;
  let topLevelObject = false;
  const emit = (): FileRecord | undefined => {
    const text = item.trim();
    item = '';
    if (text === '') return undefined;
    n++;
    try {
      return { line: n, value: JSON.parse(text) };
    } catch (error) {
      return { line: n, error: `not JSON: ${(error as Error).message}` };
    }
  };
  const decoder = new StringDecoder('utf8');
  for await (const chunk of stream) {
    const text = decoder.write(chunk as Buffer);
    for (const c of text) {
      if (depth === 0) {
        if (c === '[') depth = 1;
        else if (c === '{') {
          topLevelObject = true;
          depth = 2;
          item = c;
        }
        continue;
      }
      if (inString) {
        item += c;
        if (escaped) escaped = false;
        else if (c === '\\') escaped = true;
        else if (c === '"') inString = false;
        continue;
      }
      if (c === '"') inString = true;
      if (depth === 1 && (c === ',' || c === ']')) {
        const record = emit();
        if (record) yield record;
        if (c === ']') depth = 0;
        continue;
      }
      if (c === '{' || c === '[') depth++;
      if (c === '}' || c === ']') depth--;
      item += c;
      if (topLevelObject && depth === 1) {
        const record = emit();
        if (record) yield record;
        depth = 0;
        topLevelObject = false;
      }
    }
  }
  if (item.trim() !== '') yield { line: n + 1, error: 'unterminated JSON' };
}

/** The records of an upload, streamed. */
export function fileRecords(stream: Readable, type: UploadFileType): AsyncGenerator<FileRecord> {
  if (type === 'csv') return csvRecords(stream);
  if (type === 'json') return jsonArrayRecords(stream);
  return ndjsonRecords(stream);
}
