import { describe, expect, it } from 'vitest';
import { createRandom, kindOfDataset, KIND_SCHEMAS, toIssues, validate } from '@shoplog/core';
import { compileSchema, compileSchemaWithClosures, INVALID } from '../src/schema/compile.js';
import { mutate, validCases, type Json } from './event-cases.js';

// validate() decides with a parser compiled from the zod schemas; zod stays the reference. Every case below is run
// through both and must give the same decision, the same data (keys in the same order) and the same issues.

// The compiled parsers themselves, too: validate() falls back to zod on a rejection, which would hide a parser
// that rejects too much (correct, but slow).
// Both forms: the generated one (where eval is allowed) and the closures (where it is not).
const compiled = new Map(Object.entries(KIND_SCHEMAS).map(([kind, schema]) => [kind, compileSchema(schema)]));
const closures = new Map(
  Object.entries(KIND_SCHEMAS).map(([kind, schema]) => [kind, compileSchemaWithClosures(schema)]),
);

function compiledAgree(kind: string, input: unknown, expected: ReturnType<typeof validate>): void {
  for (const parsers of [compiled, closures]) {
    const out = (parsers.get(kind) as (v: unknown) => unknown)(input);
    expect(out !== INVALID, JSON.stringify(input)).toBe(expected.ok);
    if (expected.ok) expect(JSON.stringify(out)).toBe(JSON.stringify(expected.event));
  }
}

function zodResult(input: unknown): ReturnType<typeof validate> | undefined {
  const kind = kindOfDataset((input as { event?: { dataset?: unknown } } | null)?.event?.dataset);
  if (!kind || typeof input !== 'object' || input === null || Array.isArray(input)) return undefined;
  const parsed = KIND_SCHEMAS[kind].safeParse(input);
  return parsed.success ? { ok: true, event: parsed.data } : { ok: false, issues: toIssues(parsed.error) };
}

function agree(input: unknown): boolean {
  const expected = zodResult(input);
  const actual = validate(input);
  if (expected === undefined) return !actual.ok;
  const kind = kindOfDataset((input as { event: { dataset: unknown } }).event.dataset) as string;
  compiledAgree(kind, input, expected);
  expect(actual.ok, JSON.stringify(input)).toBe(expected.ok);
  if (actual.ok && expected.ok) {
    expect(actual.event).toStrictEqual(expected.event);
    expect(JSON.stringify(actual.event)).toBe(JSON.stringify(expected.event));
  } else if (!actual.ok && !expected.ok) expect(actual.issues).toEqual(expected.issues);
  return actual.ok;
}

describe('validate(): the compiled parser agrees with zod', () => {
  const r = createRandom(20261126);
  const valid = validCases(r);

  it('accepts every generated event with the same data as zod', () => {
    for (const event of valid) expect(agree(event)).toBe(true);
  });

  it('decides every mutation as zod does (same data or same issues)', () => {
    let rejected = 0;
    let cases = 0;
    for (const event of valid) {
      for (let m = 0; m < 8; m++) {
        let mutated = mutate(r, event);
        if (r.chance(0.3)) mutated = mutate(r, mutated);
        if (!agree(mutated)) rejected++;
        cases++;
      }
    }
    expect(cases).toBeGreaterThan(5000);
    // The mutations must exercise both decisions, or the comparison proves little.
    expect(rejected).toBeGreaterThan(cases * 0.3);
    expect(rejected).toBeLessThan(cases * 0.95);
  });

  it('returns a fresh copy, never the input or one of its objects, for the caller to own', () => {
    const input = valid[0] as Json;
    const result = validate(input);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.event).not.toBe(input);
    expect(result.event.shop).not.toBe(input.shop);
    expect(result.event.event).not.toBe(input.event);
  });
});
