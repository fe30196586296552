import { z } from 'zod';
import { parseOptions } from './options.js';
import type { ValidationIssue } from './validate.js';

/** Bounds on the shape of one parsed JSON value (an event). */
export interface JsonLimits {
  /** Objects and arrays nested inside each other, the value itself being level 1 (at most 1000). @default 64 */
  maxDepth?: number;
  /** Object keys plus array items, counted over the whole value. @default unbounded */
  maxFields?: number;
  /** Characters (UTF-16 code units) of one string value or object key. @default unbounded */
  maxStringLength?: number;
}

/** Checks one value against its limits: the first one it passes, as an issue with the path, or `undefined`. */
export type JsonLimitCheck = (value: unknown) => ValidationIssue | undefined;

/** The nesting bound `normalize()` applies unless told otherwise: far above any event, far below the call stack. */
export const DEFAULT_MAX_DEPTH = 64;

// The walk recurses once per level: the bound on the depth is also the bound on its own stack.
const DEPTH_CEILING = 1000;
// A key over the length limit is named in the issue path only by its start.
const KEY_PREVIEW = 64;

const OptionsSchema = z.strictObject({
  maxDepth: z.int().min(1).max(DEPTH_CEILING).optional(),
  maxFields: z.int().positive().optional(),
  maxStringLength: z.int().positive().optional(),
});

interface Walk {
  readonly maxDepth: number;
  readonly maxFields: number;
  readonly maxString: number;
  fields: number;
}

/** Where the walk stopped: the path from the offending value up (reversed), and why. */
interface Exceeded {
  up: (string | number)[];
  message: string;
}

function walk(value: unknown, depth: number, w: Walk): Exceeded | undefined {
  if (typeof value === 'string') {
    return value.length > w.maxString
      ? { up: [], message: `is longer than ${w.maxString} characters (${value.length})` }
      : undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  if (depth > w.maxDepth) return { up: [], message: `is nested deeper than ${w.maxDepth} levels` };
  if (Array.isArray(value)) {
    w.fields += value.length;
    if (w.fields > w.maxFields) return { up: [], message: tooManyFields(w) };
    for (let i = 0; i < value.length; i++) {
      const exceeded = walk(value[i], depth + 1, w);
      if (exceeded) {
        exceeded.up.push(i);
        return exceeded;
      }
    }
    return undefined;
  }
  // for…in allocates no key array; a parsed value has no inherited enumerable keys, and own ones are all it reads.
  for (const key in value) {
    if (++w.fields > w.maxFields) return { up: [], message: tooManyFields(w) };
    if (key.length > w.maxString)
      return {
        up: [`${key.slice(0, KEY_PREVIEW)}…`],
        message: `has a key longer than ${w.maxString} characters (${key.length})`,
      };
    const exceeded = walk((value as Record<string, unknown>)[key], depth + 1, w);
    if (exceeded) {
      exceeded.up.push(key);
      return exceeded;
    }
  }
  return undefined;
}

const tooManyFields = (w: Walk): string =>
  `takes the event over ${w.maxFields} fields (object keys and array items, counted over the whole event)`;

function pathOf(up: readonly (string | number)[]): string {
  let out = '';
  for (let i = up.length - 1; i >= 0; i--) {
    const part = up[i] as string | number;
    out += typeof part === 'number' ? `[${part}]` : out ? `.${part}` : part;
  }
  return out || '(root)';
}

/**
 * Creates a check of parsed JSON values against `limits` (depth, field count, string length), walking each value
 * once: what a parser accepted may still be too deep for `JSON.stringify` or too big to store. The issue names the
 * path of the first value over a limit (`labels` for too many keys, `a.b[2]` for a string too long).
 */
export function createJsonLimitCheck(limits: JsonLimits = {}): JsonLimitCheck {
  const opts = parseOptions('createJsonLimitCheck', OptionsSchema, limits);
  const maxDepth = opts.maxDepth ?? DEFAULT_MAX_DEPTH;
  const maxFields = opts.maxFields ?? Infinity;
  const maxString = opts.maxStringLength ?? Infinity;
  return (value) => {
    const exceeded = walk(value, 1, { maxDepth, maxFields, maxString, fields: 0 });
    return exceeded ? { path: pathOf(exceeded.up), message: exceeded.message } : undefined;
  };
}
