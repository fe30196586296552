/** A bounded map of recent entries (see `createRecentCache`); values are never `undefined`. */
export interface RecentCache<K, V> {
  get(key: K): V | undefined;
  set(key: K, value: V): void;
  clear(): void;
}

/**
 * A cache of at most `size` recent entries in two generations: entries go into the young one; when it is full it
 * becomes the old one (the previous old one is dropped) and a hit in the old one moves back to the young one. Close
 * to least-recently-used, with O(1) steps and no per-hit reordering (deleting from the front of a large `Map` one
 * entry at a time makes V8 walk the deleted slots).
 */
export function createRecentCache<K, V>(size: number): RecentCache<K, V> {
  const half = Math.max(1, Math.ceil(size / 2));
  let young = new Map<K, V>();
  let old = new Map<K, V>();
  const put = (key: K, value: V): void => {
    if (young.size >= half) {
      old = young;
      young = new Map();
    }
    young.set(key, value);
  };
  return {
    get(key) {
      const value = young.get(key);
      if (value !== undefined) return value;
      const aged = old.get(key);
      if (aged !== undefined) put(key, aged);
      return aged;
    },
    set: put,
    clear() {
      young = new Map();
      old = new Map();
    },
  };
}
