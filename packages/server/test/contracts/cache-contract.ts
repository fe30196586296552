/**
 * The `Cache` contract: every cache adapter (the embedded LRU, Redis) passes the same tests.
 * Usage: `runCacheContract('redis', async () => ({ cache, cleanup }))` inside a test file.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Cache } from '../../src/ports.js';

/** A fresh, empty cache and how to dispose of it. */
export interface CacheUnderTest {
  cache: Cache;
  cleanup?: () => Promise<void>;
}

/** Registers the contract tests of a cache adapter. */
export function runCacheContract(name: string, factory: () => Promise<CacheUnderTest>): void {
  describe(`Cache contract: ${name}`, () => {
    let subject: CacheUnderTest;
    beforeEach(async () => {
      subject = await factory();
    });
    afterEach(async () => {
      await subject.cache.close();
      await subject.cleanup?.();
    });

    it('returns what was set, as a copy of the JSON value', async () => {
      const value = { total_logs: 3, levels: { info: 2, error: 1 }, list: [1, 'a', null], ok: true };
      await subject.cache.set('overview:24h', value, 60_000);
      expect(await subject.cache.get('overview:24h')).toEqual(value);
    });

    it('misses keys that were never set or were deleted', async () => {
      expect(await subject.cache.get('nothing')).toBeUndefined();
      await subject.cache.set('k', 1, 60_000);
      await subject.cache.delete('k');
      expect(await subject.cache.get('k')).toBeUndefined();
    });

    it('stores falsy values as hits', async () => {
      await subject.cache.set('zero', 0, 60_000);
      await subject.cache.set('empty', '', 60_000);
      await subject.cache.set('no', false, 60_000);
      expect(await subject.cache.get('zero')).toBe(0);
      expect(await subject.cache.get('empty')).toBe('');
      expect(await subject.cache.get('no')).toBe(false);
    });

    it('expires entries after their TTL', async () => {
      await subject.cache.set('short', 'x', 30);
      await subject.cache.set('long', 'y', 60_000);
      await new Promise((resolve) => setTimeout(resolve, 80));
      expect(await subject.cache.get('short')).toBeUndefined();
      expect(await subject.cache.get('long')).toBe('y');
    });

    it('invalidates exactly the keys under a prefix, glob characters included', async () => {
      await subject.cache.set('analytics:overview', 1, 60_000);
      await subject.cache.set('analytics:errors', 2, 60_000);
      await subject.cache.set('analytics*x', 3, 60_000);
      await subject.cache.set('search:q', 4, 60_000);
      await subject.cache.set('analytic', 5, 60_000);
      await subject.cache.invalidatePrefix('analytics:');
      expect(await subject.cache.get('analytics:overview')).toBeUndefined();
      expect(await subject.cache.get('analytics:errors')).toBeUndefined();
      expect(await subject.cache.get('analytics*x')).toBe(3);
      expect(await subject.cache.get('search:q')).toBe(4);
      expect(await subject.cache.get('analytic')).toBe(5);
    });

    it('replaces a value and its TTL on a second set', async () => {
      await subject.cache.set('k', 'old', 30);
      await subject.cache.set('k', 'new', 60_000);
      await new Promise((resolve) => setTimeout(resolve, 80));
      expect(await subject.cache.get('k')).toBe('new');
    });

    it('closes idempotently', async () => {
      await subject.cache.close();
      await subject.cache.close();
    });
  });
}
