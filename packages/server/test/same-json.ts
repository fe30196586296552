// The old ingest path's "stored as sent" decision, kept as the reference of its equivalence test.

/**
 * Whether two parsed JSON values are equal (object key order aside): how the ingest path used to decide that an
 * input line could be stored as sent (its parse equal to the normalised event). The normaliser now says so itself
 * (`unchanged`); the equivalence test holds it to this old decision.
 */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let keys = 0;
  for (const key in x) {
    // An absent key and an undefined value serialise alike; any other difference is a change.
    if (x[key] === undefined) continue;
    keys++;
    if (!Object.hasOwn(y, key) || !sameJson(x[key], y[key])) return false;
  }
  for (const key in y) if (y[key] !== undefined) keys--;
  return keys === 0;
}
