import { z } from 'zod';
import type { ShoplogPlugin } from '../plugin.js';
import type { ShoplogEvent } from '../schema/kinds.js';
import { parseOptions } from '../options.js';
import { maskCardNumbers, isCardNumber } from './card-numbers.js';
import { actionOf, compilePaths, step, type PathNode } from './path-trie.js';
import { SENSITIVE_KEY_PATTERN } from './sensitive-keys.js';
import { redactUrl } from './url.js';

/** Options of `createRedactor()`. */
export interface RedactorOptions {
  /** Extra dotted paths whose values are replaced; `*` matches any one key, array indexes are skipped. @default [] */
  paths?: string[];
  /** Paths left untouched, subtree included (opt-out per field), e.g. `['labels.order_token']`. @default [] */
  allow?: string[];
  /** Extra sensitive key names: a string matches the key exactly (any case), a RegExp is tested on it. @default [] */
  keys?: (string | RegExp)[];
  /** Apply the built-in deny-list of key names (`SENSITIVE_KEY_PATTERN`). @default true */
  defaultKeys?: boolean;
  /** Mask Luhn-valid card numbers in every string, keeping the last four digits. @default true */
  cardNumbers?: boolean;
  /** What replaces a redacted value. @default '[REDACTED]' */
  replacement?: string;
  /** Redact the given object in place instead of returning a changed copy. @default false */
  mutate?: boolean;
  /** Plugin name, for metrics and error reports. @default 'redact' */
  name?: string;
}

/** A redaction plugin that can also be called on any value. */
export interface Redactor extends ShoplogPlugin {
  /** Returns `value` with secrets replaced; the same reference when nothing had to change (unless `mutate`). */
  redact<T>(value: T): T;
  /** Whether a key name is sensitive for this redactor. */
  isSensitiveKey(key: string): boolean;
  /** Masks a URL's password and the values of its sensitive query parameters (also card numbers, if on). */
  redactUrl(url: string): string;
}

const OptionsSchema = z.strictObject({
  paths: z.array(z.string().min(1)).optional(),
  allow: z.array(z.string().min(1)).optional(),
  keys: z.array(z.union([z.string().min(1), z.instanceof(RegExp)])).optional(),
  defaultKeys: z.boolean().optional(),
  cardNumbers: z.boolean().optional(),
  replacement: z.string().optional(),
  mutate: z.boolean().optional(),
  name: z.string().min(1).optional(),
});

// Fields of the schemas whose names look sensitive but hold safe data by construction (a card's last4/brand,
// the shop's own session id): the key rule does not apply to them, card masking and explicit paths still do.
const SCHEMA_EXEMPT = ['shop.session', 'shop.payment.card'];
// ECS fields that hold URLs or query strings: their sensitive query parameters and passwords are masked.
const URL_FIELDS = ['url.full', 'url.original', 'url.query', 'http.request.referrer', 'shop.page.referrer'];
const MAX_DEPTH = 64;
const KEY_CACHE_LIMIT = 4096;
// The shortest text `maskCardNumbers` can change (13 digits).
const MIN_CARD_CHARS = 13;

function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  // JSON.parse makes "__proto__" an own key; a plain assignment would change the prototype instead and leave the
  // unredacted own property in place.
  if (key === '__proto__')
    Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
  else obj[key] = value;
}

/**
 * Creates a redactor: a pipeline plugin (fail-closed: an event it cannot redact is dropped) that is also usable
 * as a function on any object. Replaces values under sensitive keys and configured paths, and masks card numbers
 * in strings. Never mutates the caller's object unless `mutate` is set.
 */
export function createRedactor(options: RedactorOptions = {}): Redactor {
  const opts = parseOptions('createRedactor', OptionsSchema, options);
  const replacement = opts.replacement ?? '[REDACTED]';
  const cards = opts.cardNumbers ?? true;
  const mutate = opts.mutate ?? false;
  const defaultKeys = opts.defaultKeys ?? true;
  const exactKeys = new Set<string>();
  const keyPatterns: RegExp[] = [];
  for (const k of opts.keys ?? []) {
    if (typeof k === 'string') exactKeys.add(k.toLowerCase());
    else keyPatterns.push(new RegExp(k.source, k.flags.replace(/[gy]/g, '')));
  }
  const root = compilePaths([
    ...SCHEMA_EXEMPT.map((path) => ({ path, action: 'exempt' as const })),
    ...URL_FIELDS.map((path) => ({ path, action: 'url' as const })),
    ...(opts.paths ?? []).map((path) => ({ path, action: 'redact' as const })),
    ...(opts.allow ?? []).map((path) => ({ path, action: 'allow' as const })),
  ]);
  const rootNodes: readonly PathNode[] = [root];
  // Keys repeat from event to event: remember each verdict instead of re-running the patterns.
  const keyCache = new Map<string, boolean>();

  function isSensitiveKey(key: string): boolean {
    let hit = keyCache.get(key);
    if (hit === undefined) {
      hit =
        (defaultKeys && SENSITIVE_KEY_PATTERN.test(key)) ||
        exactKeys.has(key.toLowerCase()) ||
        keyPatterns.some((p) => p.test(key));
      if (keyCache.size >= KEY_CACHE_LIMIT) keyCache.clear();
      keyCache.set(key, hit);
    }
    return hit;
  }

  const urlValue = (url: string) => {
    const masked = redactUrl(url, isSensitiveKey, replacement);
    return cards ? maskCardNumbers(masked) : masked;
  };
  const hide = (item: unknown) => (item === undefined || item === null || item === '' ? item : replacement);

  function visit(value: unknown, nodes: readonly PathNode[] | undefined, depth: number): unknown {
    if (typeof value === 'string') return cards ? maskCardNumbers(value) : value;
    if (typeof value === 'number') {
      return cards && Number.isInteger(value) && value >= 1e12 && isCardNumber(String(value))
        ? maskCardNumbers(String(value))
        : value;
    }
    if (typeof value !== 'object' || value === null) return value;
    if (depth > MAX_DEPTH) return replacement;
    if (Array.isArray(value)) {
      let out: unknown[] | undefined;
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        const next = visit(item, nodes, depth + 1);
        if (next !== item) (out ??= mutate ? value : value.slice())[i] = next;
      }
      return out ?? value;
    }
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return value; // Dates, Maps, class instances: left as they are
    const obj = value as Record<string, unknown>;
    let out: Record<string, unknown> | undefined;
    // for…in over plain objects (checked above) avoids the Object.keys array on every object of every event.
    for (const key in obj) {
      const item = obj[key];
      let next: unknown;
      let childNodes: readonly PathNode[] | undefined;
      let hidden = false;
      if (nodes !== undefined) {
        childNodes = step(nodes, key);
        const action = childNodes && actionOf(childNodes);
        if (action === 'allow') continue;
        if (action === 'redact' || (action !== 'exempt' && isSensitiveKey(key))) {
          next = hide(item);
          hidden = true;
        } else if (action === 'url' && typeof item === 'string') {
          next = urlValue(item);
          hidden = true;
        }
      } else if (isSensitiveKey(key)) {
        next = hide(item);
        hidden = true;
      }
      if (!hidden) {
        // Leaves inline (most values are short strings): no call for what cannot hold a card number.
        if (typeof item === 'string') next = cards && item.length >= MIN_CARD_CHARS ? maskCardNumbers(item) : item;
        else if (typeof item === 'object' || (typeof item === 'number' && item >= 1e12))
          next = visit(item, childNodes, depth + 1);
        else next = item;
      }
      if (next !== item) setOwn((out ??= mutate ? obj : { ...obj }), key, next);
    }
    return out ?? obj;
  }

  const redact = <T>(value: T): T => visit(value, rootNodes, 0) as T;
  return {
    name: opts.name ?? 'redact',
    errorPolicy: 'drop',
    redact,
    isSensitiveKey,
    redactUrl: urlValue,
    process: (event: ShoplogEvent) => redact(event),
  };
}
