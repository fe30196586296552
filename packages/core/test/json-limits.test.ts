import { describe, expect, it } from 'vitest';
import {
  createJsonLimitCheck,
  createPipeline,
  createRedactor,
  DEFAULT_MAX_DEPTH,
  normalize,
  transaction,
  validate,
} from '@shoplog/core';

/** A value with `levels` arrays nested inside each other, built from text as a hostile line would arrive. */
const nested = (levels: number): unknown => JSON.parse(`${'['.repeat(levels)}${']'.repeat(levels)}`);

describe('createJsonLimitCheck', () => {
  it('counts the value itself as level 1 and names the path of the first level too deep', () => {
    const check = createJsonLimitCheck({ maxDepth: 3 });
    expect(check({ a: { b: [1] } })).toBeUndefined();
    expect(check({ a: { b: [[1]] } })).toEqual({ path: 'a.b[0]', message: 'is nested deeper than 3 levels' });
    expect(check(nested(4))).toEqual({ path: '[0][0][0]', message: 'is nested deeper than 3 levels' });
    expect(check('text')).toBeUndefined();
  });

  it('walks a value nested 100 000 deep without overflowing the stack', () => {
    const check = createJsonLimitCheck();
    expect(check(nested(DEFAULT_MAX_DEPTH))).toBeUndefined();
    expect(check(nested(DEFAULT_MAX_DEPTH + 1))?.message).toBe(`is nested deeper than ${DEFAULT_MAX_DEPTH} levels`);
    expect(check(nested(100_000))?.message).toBe(`is nested deeper than ${DEFAULT_MAX_DEPTH} levels`);
  });

  it('counts keys and array items over the whole value, and names the object where the count ran over', () => {
    const check = createJsonLimitCheck({ maxFields: 10 });
    expect(check({ a: 1, b: [1, 2, 3], c: { d: 1, e: 2 } })).toBeUndefined(); // 3 + 3 + 2 = 8
    const labels = Object.fromEntries(Array.from({ length: 200_000 }, (_, i) => [`k${i}`, 'v']));
    expect(check({ message: 'x', labels })).toEqual({
      path: 'labels',
      message: expect.stringContaining('over 10 fields') as string,
    });
    expect(check({ list: new Array(1_000_000).fill(0) })?.path).toBe('list');
  });

  it('bounds the length of strings and keys; a long key is named by its start only', () => {
    const check = createJsonLimitCheck({ maxStringLength: 100 });
    expect(check({ ok: 'y'.repeat(100) })).toBeUndefined();
    expect(check({ a: [{ big: 'y'.repeat(8 * 1024 * 1024) }] })).toEqual({
      path: 'a[0].big',
      message: 'is longer than 100 characters (8388608)',
    });
    const issue = check({ ['k'.repeat(5000)]: 1 });
    expect(issue?.path).toBe(`${'k'.repeat(64)}…`);
    expect(issue?.message).toBe('has a key longer than 100 characters (5000)');
  });

  it('names each bad option once', () => {
    expect(() => createJsonLimitCheck({ maxDepth: 5000 })).toThrow(/createJsonLimitCheck: invalid options: maxDepth/);
    expect(() => createJsonLimitCheck({ maxFields: 0, maxStringLength: -1 })).toThrow(/maxFields.*maxStringLength/);
  });
});

describe('normalize() of inputs nested thousands deep', () => {
  const deep = nested(10_000);

  it('answers an issue for a seed document instead of throwing (labels, metadata, a timestamp)', () => {
    for (const doc of [
      { log_type: 'transaction', amount: 1, currency: 'EUR', extra: deep },
      { log_type: 'transaction', amount: 1, currency: 'EUR', metadata: { x: deep } },
      { log_type: 'transaction', amount: 1, currency: 'EUR', timestamp: deep },
      { type: 'transaction', data: { amount: 1, currency: 'EUR', cart: deep } },
    ]) {
      const result = normalize(doc);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.issues).toHaveLength(1);
      if (!result.ok) expect(result.issues[0]?.message).toBe('is nested deeper than 64 levels');
    }
  });

  it('rejects an envelope whose extra key is too deep, with the path of that key', () => {
    const event = {
      ...transaction({
        shop: {
          transaction: { id: 't1', type: 'purchase', status: 'completed' },
          amount: { value: '1.00', currency: 'EUR' },
        },
      }),
      custom: deep,
    };
    const result = normalize(event);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues[0]?.path).toMatch(/^custom(\[0\]){63}$/);
    // Opted out (the caller checked): the envelope passes, as validate() lets unknown top-level keys through.
    expect(normalize(event, { limits: false }).ok).toBe(true);
    expect(normalize({ ...event, custom: nested(3) }, { limits: { maxDepth: 3 } }).ok).toBe(false);
  });

  it('validate() names a deep event.dataset by its type instead of overflowing JSON.stringify', () => {
    const result = validate({ event: { dataset: deep } });
    expect(result).toEqual({
      ok: false,
      issues: [{ path: 'event.dataset', message: expect.stringMatching(/, got an array$/) as string }],
    });
  });

  it("a normalising pipeline drops such an input as invalid, and the redactor's walk stays bounded", () => {
    const pipeline = createPipeline({ input: 'normalize', onError: () => {} });
    expect(pipeline.process({ log_type: 'log', message: 'deep', extra: deep })).toBeNull();
    expect(pipeline.metrics().dropped.invalid).toBe(1);
    const redacted = createRedactor().redact({ a: deep });
    expect(JSON.stringify(redacted).length).toBeLessThan(1000);
  });
});
