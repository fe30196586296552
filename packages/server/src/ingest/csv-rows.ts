import { StringDecoder } from 'node:string_decoder';
import type { Readable } from 'node:stream';

/** One CSV record: its fields, 1-based number (blank lines not counted) and the line it starts on; or why it is malformed. */
export type CsvRow =
  { record: number; line: number; fields: string[] } | { record: number; line: number; error: string };

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;

// Where the scanner is inside the current field.
const enum At {
  FieldStart,
  Unquoted,
  Quoted,
  // A quote inside a quoted field: either the first of a doubled "" or the closing quote.
  QuoteInQuoted,
}

/**
 * Streams RFC 4180 records: quoted fields may hold commas, doubled quotes and line breaks; CRLF or LF line ends;
 * a UTF-8 BOM is dropped; a quote left open at the end of the input is an error. The state lives across chunks,
 * so a record (or a multi-byte character) split between two chunks reads the same as in one. A record longer than
 * `maxLength` characters is reported and not held, so an unterminated quote cannot buffer the whole file.
 */
export async function* csvRows(stream: Readable, maxLength: number): AsyncGenerator<CsvRow> {
  const decoder = new StringDecoder('utf8');
  let at = At.FieldStart as At;
  let fields: string[] = [];
  let field = '';
  let size = 0;
  let tooLong = false;
  let line = 1;
  let startLine = 1;
  let record = 0;
  let first = true;

  const endField = (): void => {
    fields.push(field);
    field = '';
  };
  // Returns the finished record, or undefined for a blank line.
  const endRecord = (): CsvRow | undefined => {
    endField();
    const row = fields;
    const begin = startLine;
    const long = tooLong;
    fields = [];
    size = 0;
    tooLong = false;
    at = At.FieldStart;
    startLine = line;
    if (!long && row.length === 1 && (row[0] ?? '').trim() === '') return undefined;
    record++;
    if (long)
      return { record, line: begin, error: `record longer than ${maxLength} characters (an unterminated quote?)` };
    return { record, line: begin, fields: row };
  };

  const scan = function* (text: string): Generator<CsvRow> {
    let i = 0;
    if (first && text.length > 0) {
      first = false;
      if (text.charCodeAt(0) === 0xfeff) i = 1;
    }
    for (; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (at === At.Quoted) {
        if (c === QUOTE) at = At.QuoteInQuoted;
        else {
          if (c === LF) line++;
          if (!tooLong) field += text[i];
        }
      } else if (c === QUOTE && at === At.QuoteInQuoted) {
        if (!tooLong) field += '"';
        at = At.Quoted;
      } else if (c === QUOTE && at === At.FieldStart) {
        at = At.Quoted;
      } else if (c === COMMA) {
        endField();
        at = At.FieldStart;
      } else if (c === LF) {
        // CRLF: the CR was kept as data of an unquoted field, or skipped after a closing quote.
        if (at === At.Unquoted && field.endsWith('\r')) field = field.slice(0, -1);
        line++;
        const row = endRecord();
        if (row) yield row;
        continue;
      } else if (at === At.QuoteInQuoted) {
        // Only a CR (of CRLF) may follow a closing quote before the delimiter; other text joins the field as-is.
        if (c !== CR && !tooLong) field += text[i];
      } else {
        if (!tooLong) field += text[i];
        at = At.Unquoted;
      }
      if (++size > maxLength && !tooLong) {
        tooLong = true;
        field = '';
        fields = [];
      }
    }
  };

  for await (const chunk of stream) yield* scan(decoder.write(chunk as Buffer));
  yield* scan(decoder.end());
  if (at === At.Quoted) {
    yield { record: record + 1, line: startLine, error: 'unterminated quoted field: the file ends inside quotes' };
    return;
  }
  if (at !== At.FieldStart || fields.length > 0 || field !== '') {
    const row = endRecord();
    if (row) yield row;
  }
}
