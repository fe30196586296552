import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';

/** A record read from an uploaded file: its 1-based line (or array item) number and the parsed value or the error. */
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
  let rest = '';
  for await (const chunk of stream) {
    const text = rest + (chunk as Buffer).toString('utf8');
    const parts = text.split('\n');
    rest = parts.pop() ?? '';
    for (const part of parts) yield part.endsWith('\r') ? part.slice(0, -1) : part;
  }
  // The last line counts even without a final newline (the seed dropped it).
  if (rest !== '') yield rest;
}

/** Splits a CSV row (RFC 4180 quoting, no line breaks inside fields). */
export function csvRow(line: string): string[] {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(field);
      field = '';
    } else field += c;
  }
  out.push(field);
  return out;
}

const csvValue = (value: string): unknown => (value === 'true' ? true : value === 'false' ? false : value);

async function* csvRecords(stream: Readable): AsyncGenerator<FileRecord> {
  let header: string[] | undefined;
  let n = 0;
  for await (const line of lines(stream)) {
    n++;
    if (line.trim() === '') continue;
    const cells = csvRow(line);
    if (!header) {
      header = cells.map((h) => h.trim());
      continue;
    }
    const record: Record<string, unknown> = {};
    header.forEach((name, i) => {
      const cell = cells[i];
      if (name && cell !== undefined && cell !== '') record[name] = csvValue(cell);
    });
    yield { line: n, value: record };
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
  for await (const chunk of stream) {
    const text = (chunk as Buffer).toString('utf8');
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
