import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  createNormalizer,
  createRandom,
  kindOfDataset,
  KIND_SCHEMAS,
  validate,
  type ValidationResult,
} from '@shoplog/core';
import { compileSchemaCheck } from '../src/schema/compile.js';
import { validateOwned } from '../src/validate.js';
import { builtEvents, mutate, validCases, type Json } from './event-cases.js';

// The check mode of the compiled validator lets an owned input stand for its own parse (no copy). It is only
// right if "unchanged" is never said of an input the parse would change: every case below runs the new path and
// the old one (validate(): the compiled parser's copy) and holds them to the same decisions, data and issues.

const checkers = new Map(Object.entries(KIND_SCHEMAS).map(([kind, schema]) => [kind, compileSchemaCheck(schema)]));
const asJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value));
const datasetOf = (input: unknown) => (input as { event?: { dataset?: unknown } } | null)?.event?.dataset;

type Verdict = 'unchanged' | 'changed' | 'invalid';

/** Runs both paths on `input`, asserts they agree, and says what the new one decided. */
function compare(input: Json): Verdict {
  const sent = JSON.stringify(input);
  const old = validate(input);
  const kind = kindOfDataset(datasetOf(input));
  const says = kind !== undefined && (checkers.get(kind) as (v: unknown) => boolean)(input);
  const owned = validateOwned(input);
  expect(JSON.stringify(input), 'the input is never modified').toBe(sent);
  if (says) {
    // "Unchanged": the input as sent is, as JSON, exactly what the old path returns.
    expect(old.ok, sent).toBe(true);
    if (!old.ok || !owned.ok) return 'invalid';
    expect(JSON.parse(sent), sent).toEqual(asJson(old.event));
    expect(owned.event).toBe(input);
    expect(owned.unchanged).toBe(true);
    return 'unchanged';
  }
  // "Changed" or rejected: the new path's result is the old one (same decision, same data, same issues).
  expect(owned, sent).toEqual(old);
  if (owned.ok && old.ok) {
    expect(owned.unchanged).toBeUndefined();
    expect(owned.event).not.toBe(input);
    expect(JSON.stringify(owned.event)).toBe(JSON.stringify(old.event));
  }
  return old.ok ? 'changed' : 'invalid';
}

/** The result with the fresh `event.id` a normaliser mints for an id-less input blanked (it is random). */
function withoutFreshId(result: ValidationResult, input: Json): unknown {
  const hadId = (input.event as Json | undefined)?.id !== undefined;
  if (!result.ok || hadId) return result.ok ? asJson(result.event) : result;
  return asJson({ ...result.event, event: { ...result.event.event, id: 'fresh' } });
}

describe('validateOwned(): the checker says "unchanged" only when the parse would return the input as sent', () => {
  const r = createRandom(20261126);
  const valid = validCases(r);

  it('returns every valid generated envelope of the five kinds itself, without a copy', () => {
    const verdicts = valid.map((event) => compare(event));
    expect(verdicts.every((v) => v === 'unchanged')).toBe(true);
    // And as the server sees them: parsed from their JSON lines.
    expect(valid.map((event) => compare(asJson(event) as Json)).every((v) => v === 'unchanged')).toBe(true);
  });

  it('agrees with the old path on every mutation (unchanged, changed or rejected)', () => {
    const counts: Record<Verdict, number> = { unchanged: 0, changed: 0, invalid: 0 };
    for (const event of valid) {
      for (let m = 0; m < 8; m++) {
        let mutated = mutate(r, event);
        if (r.chance(0.3)) mutated = mutate(r, mutated);
        counts[compare(mutated)]++;
      }
    }
    // All three answers must be exercised, or the comparison proves little.
    expect(counts.unchanged).toBeGreaterThan(500);
    expect(counts.changed).toBeGreaterThan(50);
    expect(counts.invalid).toBeGreaterThan(1000);
  });

  it('keeps unknown keys of open objects, and calls a dropped `__proto__` key a change', () => {
    const [event] = valid as [Json];
    expect(compare({ ...event, custom: { any: ['thing', 1] } })).toBe('unchanged');
    const polluted = asJson(event) as Json;
    Object.defineProperty(polluted.event, '__proto__', {
      value: { x: 1 },
      enumerable: true,
      configurable: true,
      writable: true,
    });
    expect(compare(polluted)).toBe('changed');
    const inHeaders = JSON.parse(`{"http":{"request":{"headers":{"__proto__":"x","accept":"a"}}}}`) as Json;
    expect(compare({ ...event, ...inHeaders })).toBe('changed');
    // A field zod reads but JSON.stringify does not write (not enumerable): the parse adds it, so it is a change.
    const hidden = asJson(event) as Json;
    Object.defineProperty(hidden, 'message', { value: 'hidden', enumerable: false });
    expect(compare(hidden)).toBe('changed');
  });

  it('never says "unchanged" where eval is not allowed (every input goes to the parser)', () => {
    z.config({ jitless: true });
    try {
      expect(compileSchemaCheck(KIND_SCHEMAS.transaction)(valid[0])).toBe(false);
    } finally {
      z.config({ jitless: false });
    }
  });
});

describe('createNormalizer({ reuseInput: true })', () => {
  const now = () => Date.parse('2026-11-26T20:00:00.000Z');
  const old = createNormalizer({ now });
  const owned = createNormalizer({ now, reuseInput: true });
  const r = createRandom(7);
  const valid = builtEvents(r, 120);

  it('returns a complete envelope itself, and fills, maps or rejects everything else exactly as before', () => {
    let unchanged = 0;
    const inputs: Json[] = [...valid, ...valid.flatMap((event) => [mutate(r, event), mutate(r, mutate(r, event))])];
    // Envelopes that need filling, an upper-case level, a seed shape: never "unchanged".
    const [first] = valid as [Json];
    inputs.push(
      { ...first, log: undefined, '@timestamp': undefined, event: { ...(first.event as Json), id: undefined } },
      { ...first, log: { level: 'WARNING' } },
      {
        log_type: 'transaction',
        timestamp: '2026-05-01T10:00:00Z',
        amount: 12.5,
        currency: 'EUR',
        user_id: 'u',
        transaction_id: 't',
      },
    );
    for (const input of inputs) {
      const before = old(input);
      const after = owned(input);
      if (after.ok && after.unchanged) {
        unchanged++;
        expect(after.event).toBe(input);
        expect(asJson(input)).toEqual(withoutFreshId(before, input));
      } else {
        expect(withoutFreshId(after, input)).toEqual(withoutFreshId(before, input));
        if (after.ok) expect(after.event).not.toBe(input);
      }
    }
    expect(unchanged).toBeGreaterThanOrEqual(valid.length);
    for (const input of inputs.slice(-3)) expect(owned(input)).not.toMatchObject({ unchanged: true });
  });

  it('names the bad option', () => {
    expect(() => createNormalizer({ reuseInput: 'yes' as unknown as boolean })).toThrow(/reuseInput/);
  });
});
