import type { z } from 'zod';
import { DATASETS, type EventKind } from './schema/common.js';
import {
  compileSchema,
  compileSchemaCheck,
  INVALID,
  type CompiledCheck,
  type CompiledParser,
} from './schema/compile.js';
import { KIND_SCHEMAS, type ShoplogEvent } from './schema/kinds.js';

/** One problem with an input, with the dotted path of the field (e.g. `shop.amount.currency`). */
export interface ValidationIssue {
  path: string;
  message: string;
}

/**
 * The result of `validate()`: the event, or the list of issues. `unchanged` (only where the caller handed its
 * input over, `createNormalizer({ reuseInput: true })`): the event *is* the input, which validation left as it was.
 */
export type ValidationResult =
  { ok: true; event: ShoplogEvent; unchanged?: boolean } | { ok: false; issues: ValidationIssue[] };

const KIND_BY_DATASET = new Map<string, EventKind>(
  (Object.entries(DATASETS) as [EventKind, string][]).map(([kind, dataset]) => [dataset, kind]),
);

/** The kind of an `event.dataset` value, or `undefined` when it is not a Shoplog dataset. */
export function kindOfDataset(dataset: unknown): EventKind | undefined {
  return typeof dataset === 'string' ? KIND_BY_DATASET.get(dataset) : undefined;
}

// Compiled on first use of each kind: module load stays cheap for packages that never validate.
const PARSERS = new Map<EventKind, CompiledParser>();

function parserOf(kind: EventKind): CompiledParser {
  let parser = PARSERS.get(kind);
  if (!parser) PARSERS.set(kind, (parser = compileSchema(KIND_SCHEMAS[kind])));
  return parser;
}

const CHECKERS = new Map<EventKind, CompiledCheck>();

function checkerOf(kind: EventKind): CompiledCheck {
  let checker = CHECKERS.get(kind);
  if (!checker) CHECKERS.set(kind, (checker = compileSchemaCheck(KIND_SCHEMAS[kind])));
  return checker;
}

/** Renders a zod path as a dotted path, with `[i]` for array indexes. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || '(root)';
}

/** Turns zod issues into `{ path, message }` pairs a person can act on. */
export function toIssues(error: z.ZodError): ValidationIssue[] {
  return error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message }));
}

/**
 * Validates an input against the schema of its `event.dataset`. Never throws: returns the parsed event
 * (unknown `shop.*` keys rejected, unknown ECS keys kept) or the issues with their paths. The event is a fresh
 * copy, exactly as zod's parse returns it (the caller owns it; plugins may change it without touching the input):
 * a parser compiled from the same zod schemas decides, and zod itself runs only on rejected inputs, for the issues.
 */
export function validate(input: unknown): ValidationResult {
  return validateAs(input, false);
}

/**
 * `validate()` for a caller that hands its input over (parsed from JSON for this call, not kept elsewhere): an
 * input the parse would return unchanged is returned itself, `unchanged: true`, after one walk and no copy;
 * anything else exactly as `validate()` returns it.
 */
export function validateOwned(input: unknown): ValidationResult {
  return validateAs(input, true);
}

// A value named in a message: a short string or scalar as JSON, anything else by its type (a value nested thousands
// deep would overflow `JSON.stringify`'s stack; a long one would swell every error answer).
function shortJson(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  if (typeof value === 'object') return Array.isArray(value) ? 'an array' : value === null ? 'null' : 'an object';
  return String(value);
}

function validateAs(input: unknown, owned: boolean): ValidationResult {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, issues: [{ path: '(root)', message: 'an event must be a JSON object' }] };
  }
  const dataset = (input as { event?: { dataset?: unknown } }).event?.dataset;
  const kind = kindOfDataset(dataset);
  if (!kind) {
    const expected = Object.values(DATASETS).join(', ');
    const message =
      dataset === undefined
        ? `is required, one of ${expected}`
        : `must be one of ${expected}, got ${shortJson(dataset)}`;
    return { ok: false, issues: [{ path: 'event.dataset', message }] };
  }
  if (owned && checkerOf(kind)(input)) return { ok: true, event: input as ShoplogEvent, unchanged: true };
  const event = parserOf(kind)(input);
  if (event !== INVALID) return { ok: true, event: event as ShoplogEvent };
  const parsed = KIND_SCHEMAS[kind].safeParse(input);
  return parsed.success
    ? { ok: true, event: parsed.data as ShoplogEvent }
    : { ok: false, issues: toIssues(parsed.error) };
}
