import type { ValidationIssue } from '../validate.js';

/**
 * Reads the fields of one flat seed document, coercing the loose types of its sources (CSV cells are strings,
 * `user_id` is a number on some paths) and recording an issue per unusable field. Keys it has read are
 * remembered so the rest can be kept as labels: nothing the seed sent is lost.
 */
export class SeedReader {
  readonly issues: ValidationIssue[] = [];
  private readonly used = new Set<string>();

  constructor(private readonly doc: Record<string, unknown>) {}

  /** The raw value, `undefined` for absent, null and empty-string cells. */
  raw(key: string): unknown {
    this.used.add(key);
    const v = this.doc[key];
    return v === null || v === '' ? undefined : v;
  }

  /** The raw value without marking it read (a field mapped only when its value fits stays a label otherwise). */
  peek(key: string): unknown {
    return this.doc[key];
  }

  /** Whether the document has a non-empty value under `key` (does not mark it read). */
  has(key: string): boolean {
    const v = this.doc[key];
    return v !== undefined && v !== null && v !== '';
  }

  issue(path: string, message: string): undefined {
    this.issues.push({ path, message });
    return undefined;
  }

  /** A string (numbers and booleans are stringified, since ids arrive as both). */
  str(key: string): string | undefined {
    const v = this.raw(key);
    if (v === undefined) return undefined;
    if (typeof v === 'string') return v.trim() || undefined;
    if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
    return this.issue(key, `must be a string, got ${typeof v}`);
  }

  /** A finite number (numeric strings accepted). */
  num(key: string): number | undefined {
    const v = this.raw(key);
    if (v === undefined) return undefined;
    const n =
      typeof v === 'number'
        ? v
        : typeof v === 'string' && /^\s*-?\d+(?:\.\d+)?(?:e[+-]?\d+)?\s*$/i.test(v)
          ? Number(v)
          : NaN;
    return Number.isFinite(n) ? n : this.issue(key, `must be a number, got ${JSON.stringify(v)}`);
  }

  /** A boolean: true/false, 1/0, "true"/"false", "yes"/"no" in any case. */
  bool(key: string): boolean | undefined {
    const v = this.raw(key);
    if (v === undefined || typeof v === 'boolean') return v;
    const s = String(v).trim().toLowerCase();
    if (s === 'true' || s === '1' || s === 'yes') return true;
    if (s === 'false' || s === '0' || s === 'no') return false;
    return this.issue(key, `must be a boolean, got ${JSON.stringify(v)}`);
  }

  /** A list of strings: an array, a JSON array in a string, or a comma, semicolon or pipe separated string. */
  list(key: string): string[] | undefined {
    const v = this.raw(key);
    if (v === undefined) return undefined;
    let items: unknown = v;
    if (typeof v === 'string') {
      const text = v.trim();
      if (text.startsWith('[')) {
        try {
          items = JSON.parse(text);
        } catch {
          return this.issue(key, 'must be a list; the string starts with "[" but is not a JSON array');
        }
      } else items = text.split(/[,;|]/);
    }
    if (!Array.isArray(items)) return this.issue(key, 'must be a list of strings');
    return items.map((i) => String(i).trim()).filter((i) => i !== '');
  }

  /** Every key not read yet, with its value. */
  rest(): [string, unknown][] {
    // One pass over the keys, a pair only for the few left over (Object.entries built one per field, then filtered).
    const out: [string, unknown][] = [];
    for (const k of Object.keys(this.doc)) {
      if (this.used.has(k)) continue;
      const v = this.doc[k];
      if (v !== undefined && v !== null && v !== '') out.push([k, v]);
    }
    return out;
  }
}
