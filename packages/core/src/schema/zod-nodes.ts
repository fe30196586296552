/**
 * A parser compiled from a zod schema: returns what `schema.safeParse(value).data` would (a fresh copy of every
 * object and array the schema describes, keys in zod's order), or `INVALID` when zod would report an issue.
 */
export type CompiledParser = (value: unknown) => unknown;

/**
 * A checker compiled from a zod schema: `true` when zod accepts the value *and* `safeParse(value).data` equals it
 * as JSON (nothing stripped, filled or transformed), so the value itself can stand for the parse; `false` when the
 * value is rejected or would change (parse it to know which).
 */
export type CompiledCheck = (value: unknown) => boolean;

/** What a compiled parser returns for a value zod rejects (`undefined` can be a valid output). */
export const INVALID: unique symbol = Symbol('shoplog.invalid');

// zod's internals, as far as the compiler reads them (zod 4 `_zod.def`; stable across the 4.x line).
/** A zod check as the compiler sees it. */
export interface ZodCheckLike {
  _zod: { def: CheckDef; check: (payload: Payload) => unknown };
}
/** The fields of a check's def the compiler reads. */
export interface CheckDef {
  check?: string;
  format?: string;
  pattern?: RegExp;
  minimum?: number;
  maximum?: number;
  value?: unknown;
  inclusive?: boolean;
  when?: (payload: Payload) => boolean;
}
/** The fields of a node's def the compiler reads. */
export interface NodeDef extends CheckDef {
  type: string;
  checks?: ZodCheckLike[];
  shape?: Record<string, Node>;
  catchall?: Node;
  innerType?: Node;
  element?: Node;
  options?: Node[];
  keyType?: Node;
  valueType?: Node;
  entries?: Record<string, unknown>;
  values?: unknown[];
  coerce?: boolean;
}
/** A zod schema node as the compiler sees it. */
export interface Node {
  _zod: { def: NodeDef; optin?: string; optout?: string; traits: Set<string>; check?: (payload: Payload) => unknown };
  safeParse(value: unknown): { success: boolean; data?: unknown };
}
interface Payload {
  value: unknown;
  issues: unknown[];
}

/** A compiled check. */
export type Test = (value: never) => boolean;

/** zod's object test: any non-null object that is not an array. */
export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Anything the compiler does not know is parsed by zod itself, so an unknown node can never change a decision. */
export function viaZod(node: Node): CompiledParser {
  return (value) => {
    const parsed = node.safeParse(value);
    return parsed.success ? parsed.data : INVALID;
  };
}

/** One check as a predicate: the common ones inline, any other through the check's own `_zod.check`. */
export function compileCheck(check: ZodCheckLike): Test {
  const def = check._zod.def;
  switch (def.check) {
    case 'min_length': {
      const min = def.minimum as number;
      return (v: { length: number }) => v.length >= min;
    }
    case 'max_length': {
      const max = def.maximum as number;
      return (v: { length: number }) => v.length <= max;
    }
    case 'string_format':
      if (
        (def.format === 'regex' || def.format === 'datetime') &&
        def.pattern &&
        !def.pattern.global &&
        !def.pattern.sticky
      ) {
        const pattern = def.pattern;
        return (v: string) => pattern.test(v);
      }
      break;
    case 'number_format':
      if (def.format === 'safeint') return (v: number) => Number.isSafeInteger(v);
      break;
    case 'greater_than': {
      if (typeof def.value !== 'number') break;
      const bound = def.value;
      return def.inclusive ? (v: number) => v >= bound : (v: number) => v > bound;
    }
    case 'less_than': {
      if (typeof def.value !== 'number') break;
      const bound = def.value;
      return def.inclusive ? (v: number) => v <= bound : (v: number) => v < bound;
    }
  }
  return (value: unknown) => {
    const payload: Payload = { value, issues: [] };
    if (def.when && !def.when(payload)) return true;
    const out = check._zod.check(payload);
    // An async check cannot be answered here: let zod decide.
    return !(out instanceof Promise) && payload.issues.length === 0;
  };
}

/** The checks zod runs after a node's own parse: the node itself when it is a check (formats), then `def.checks`. */
export function checksOf(node: Node): ZodCheckLike[] {
  const own = node._zod.traits.has('$ZodCheck') ? [node as unknown as ZodCheckLike] : [];
  return [...own, ...(node._zod.def.checks ?? [])];
}
