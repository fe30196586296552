import {
  checksOf,
  compileCheck,
  INVALID,
  isObject,
  viaZod,
  type CompiledParser,
  type Node,
  type Test,
} from './zod-nodes.js';

// The closure form of the compiled parser: used where the runtime forbids eval, and as the reference the generated
// form is tested against.

function withChecks(node: Node, parse: CompiledParser): CompiledParser {
  const tests = checksOf(node).map(compileCheck);
  if (tests.length === 0) return parse;
  if (tests.length === 1) {
    const [test] = tests as [Test];
    return (value) => {
      const out = parse(value);
      return out !== INVALID && test(out as never) ? out : INVALID;
    };
  }
  return (value) => {
    const out = parse(value);
    if (out === INVALID) return INVALID;
    for (const test of tests) if (!test(out as never)) return INVALID;
    return out;
  };
}

interface Field {
  key: string;
  parse: CompiledParser;
  optional: boolean;
}

function compileObject(node: Node, memo: Map<Node, CompiledParser>): CompiledParser {
  const def = node._zod.def;
  const shape = def.shape ?? {};
  const rest = def.catchall?._zod.def.type;
  if (Object.getOwnPropertySymbols(shape).length > 0 || (rest !== undefined && rest !== 'unknown' && rest !== 'never'))
    return viaZod(node);
  const fields: Field[] = [];
  for (const key of Object.keys(shape)) {
    const child = shape[key] as Node;
    const { optin, optout } = child._zod;
    // Defaults and other optional-in-only nodes substitute values for absent keys: rare here, left to zod.
    if (optin !== undefined && !(optin === 'optional' && optout === 'optional')) return viaZod(node);
    // zod never copies a `__proto__` shape key into its output (it would replace the result's prototype).
    if (key !== '__proto__') fields.push({ key, parse: compileNode(child, memo), optional: optin !== undefined });
  }
  const known = new Set(Object.keys(shape));
  const loose = rest === 'unknown';
  const strict = rest === 'never';
  return (value) => {
    if (!isObject(value)) return INVALID;
    const out: Record<string, unknown> = {};
    for (const field of fields) {
      const item = value[field.key];
      // `in`, as zod: a key set to `undefined` is present (and kept), an absent one is not.
      if (item === undefined && !(field.key in value)) {
        if (field.optional) continue;
        return INVALID;
      }
      const parsed = field.parse(item);
      if (parsed === INVALID) return INVALID;
      out[field.key] = parsed;
    }
    if (loose) {
      for (const key in value) if (!known.has(key) && key !== '__proto__') out[key] = value[key];
    } else if (strict) {
      for (const key in value) if (!known.has(key)) return INVALID;
    }
    return out;
  };
}

function compileRecord(node: Node, memo: Map<Node, CompiledParser>): CompiledParser {
  const def = node._zod.def;
  const keyType = def.keyType as Node;
  const keyDef = keyType._zod.def;
  // Only the plain `z.record(z.string(), …)` is compiled; key schemas with checks or values go to zod.
  if (
    keyDef.type !== 'string' ||
    (keyDef.checks?.length ?? 0) > 0 ||
    keyType._zod.traits.has('$ZodCheck') ||
    keyDef.coerce
  )
    return viaZod(node);
  const parseValue = compileNode(def.valueType as Node, memo);
  const slow = viaZod(node);
  return (value) => {
    if (!isObject(value)) return INVALID;
    const proto: unknown = Object.getPrototypeOf(value);
    // Class instances and symbol keys follow zod's own rules (isPlainObject, Reflect.ownKeys): let it decide.
    if ((proto !== Object.prototype && proto !== null) || Object.getOwnPropertySymbols(value).length > 0)
      return slow(value);
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      if (key === '__proto__') continue;
      const parsed = parseValue(value[key]);
      if (parsed === INVALID) return INVALID;
      out[key] = parsed;
    }
    return out;
  };
}

function compileBare(node: Node, memo: Map<Node, CompiledParser>): CompiledParser {
  const def = node._zod.def;
  if (def.coerce) return viaZod(node);
  switch (def.type) {
    case 'string':
      return (v) => (typeof v === 'string' ? v : INVALID);
    case 'number':
      return (v) => (typeof v === 'number' && Number.isFinite(v) ? v : INVALID);
    case 'boolean':
      return (v) => (typeof v === 'boolean' ? v : INVALID);
    case 'unknown':
    case 'any':
      return (v) => v;
    case 'enum': {
      const values = new Set(Object.values(def.entries ?? {}));
      // Numeric TypeScript enums map names to values and back; zod filters those, so leave them to it.
      if (Object.entries(def.entries ?? {}).some(([k, v]) => typeof v === 'number' || String(v) !== k))
        return viaZod(node);
      return (v) => (values.has(v) ? v : INVALID);
    }
    case 'literal': {
      const values = new Set(def.values ?? []);
      return (v) => (values.has(v) ? v : INVALID);
    }
    case 'optional': {
      const inner = compileNode(def.innerType as Node, memo);
      if ((def.innerType as Node)._zod.optin === 'defaulted') return viaZod(node);
      return (v) => (v === undefined ? undefined : inner(v));
    }
    case 'nullable': {
      const inner = compileNode(def.innerType as Node, memo);
      return (v) => (v === null ? null : inner(v));
    }
    case 'array': {
      const element = compileNode(def.element as Node, memo);
      return (v) => {
        if (!Array.isArray(v)) return INVALID;
        const out = new Array<unknown>(v.length);
        for (let i = 0; i < v.length; i++) {
          const parsed = element(v[i]);
          if (parsed === INVALID) return INVALID;
          out[i] = parsed;
        }
        return out;
      };
    }
    case 'union': {
      // zod keeps the first option that parses.
      const options = (def.options ?? []).map((o) => compileNode(o, memo));
      return (v) => {
        for (const option of options) {
          const parsed = option(v);
          if (parsed !== INVALID) return parsed;
        }
        return INVALID;
      };
    }
    case 'object':
      return compileObject(node, memo);
    case 'record':
      return compileRecord(node, memo);
    default:
      return viaZod(node);
  }
}

/** Compiles one node (memoised: shared sub-schemas such as Money are compiled once). */
export function compileNode(node: Node, memo: Map<Node, CompiledParser>): CompiledParser {
  let parser = memo.get(node);
  if (!parser) {
    // A node's own checks (formats, min/max, `superRefine`) run after its parse, on its output, as in zod.
    parser = withChecks(node, compileBare(node, memo));
    memo.set(node, parser);
  }
  return parser;
}
