import { createJsonLimitCheck, DEFAULT_MAX_DEPTH, type ValidationIssue } from '@shoplog/core';
import { HttpError } from '../http/errors.js';

/**
 * What one request, line or event may hold on every ingest path (HTTP, bulk, upload, TCP, UDP): an input over a
 * per-event bound is rejected alone, with the path of the field, and the inputs beside it are stored; a request over
 * `maxRequestLines` is refused whole (413) before anything in it is parsed.
 */
export interface IngestLimits {
  /** Objects and arrays nested inside each other in one event, the event itself being level 1 (1–1000). @default 64 */
  maxEventDepth: number;
  /** Object keys plus array items of one event, counted over the whole event (`labels` included). @default 1000 */
  maxEventFields: number;
  /** Characters of one string value or key of an event. @default 65536 */
  maxFieldLength: number;
  /** Characters of one event as text: an NDJSON, TCP or UDP line, an item of a JSON-array upload, a CSV record. @default 1048576 */
  maxLineLength: number;
  /** Lines of one bulk body (blank ones included), or events of one `POST /api/logs/ingest` array. @default 50000 */
  maxRequestLines: number;
}

/** The default limits (also the documented defaults of the matching settings). */
export const DEFAULT_INGEST_LIMITS: Readonly<IngestLimits> = {
  maxEventDepth: DEFAULT_MAX_DEPTH,
  maxEventFields: 1000,
  // As long as the longest field the schemas allow (`error.stack_trace`).
  maxFieldLength: 65_536,
  maxLineLength: 1024 * 1024,
  maxRequestLines: 50_000,
};

/** The limits out of the server settings (whose keys they share). */
export function ingestLimitsOf(settings: IngestLimits): IngestLimits {
  const { maxEventDepth, maxEventFields, maxFieldLength, maxLineLength, maxRequestLines } = settings;
  return { maxEventDepth, maxEventFields, maxFieldLength, maxLineLength, maxRequestLines };
}

/** The per-event check of the limits: the first bound a parsed input passes, as an issue with its path. */
export function createEventLimitCheck(limits: IngestLimits): (input: unknown) => ValidationIssue | undefined {
  return createJsonLimitCheck({
    maxDepth: limits.maxEventDepth,
    maxFields: limits.maxEventFields,
    maxStringLength: limits.maxFieldLength,
  });
}

/** The issue of a line (or array item, or CSV record) longer than `maxLineLength`; it is not parsed. */
export function lineTooLong(limits: IngestLimits, length: number): ValidationIssue {
  return { path: '(line)', message: `longer than ${limits.maxLineLength} characters (${length}): not parsed` };
}

const NEWLINE = 0x0a;

/** Lines of a body (blank ones included; a final newline ends the last line rather than starting one). */
export function countLines(body: Buffer): number {
  let lines = 0;
  for (let at = body.indexOf(NEWLINE); at !== -1; at = body.indexOf(NEWLINE, at + 1)) lines++;
  return body.length > 0 && body[body.length - 1] !== NEWLINE ? lines + 1 : lines;
}

/** Refuses (413, before anything is parsed) a request of more than `maxRequestLines` lines or events. */
export function assertRequestLines(limits: IngestLimits, count: number, what: 'lines' | 'events'): void {
  if (count > limits.maxRequestLines) {
    throw new HttpError(
      413,
      'too_many_lines',
      `${count} ${what} in one request; the limit is ${limits.maxRequestLines} (split the batch)`,
    );
  }
}
