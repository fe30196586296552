import { checksOf, compileCheck, INVALID, viaZod, type CompiledParser, type Node, type ZodCheckLike } from './zod-nodes.js';

// The generated form of the compiled parser: one function per object node, its leaves inlined, every property read
// with a constant name (monomorphic inline caches instead of the closure form's keyed reads). Decisions and output
// are those of the closure form (compile-closures.ts), which the differential test holds both to.

/** Constants the generated code refers to (`k0`, `k1`, …): regexes, sets, child parsers, zod fallbacks. */
class Unit {
  readonly constants: unknown[] = [];
  private next = 0;

  ref(value: unknown): string {
    let i = this.constants.indexOf(value);
    if (i < 0) i = this.constants.push(value) - 1;
    return `k${i}`;
  }

  name(prefix: string): string {
    return `${prefix}${this.next++}`;
  }
}

const lit = (s: string) => JSON.stringify(s);

/** A check as an expression on `x`: inline for the common ones, else a call of the compiled check. */
function checkExpr(check: ZodCheckLike, x: string, unit: Unit): string {
  const def = check._zod.def;
  switch (def.check) {
    case 'min_length':
      if (typeof def.minimum === 'number') return `${x}.length >= ${def.minimum}`;
      break;
    case 'max_length':
      if (typeof def.maximum === 'number') return `${x}.length <= ${def.maximum}`;
      break;
    case 'string_format':
      if ((def.format === 'regex' || def.format === 'datetime') && def.pattern && !def.pattern.global && !def.pattern.sticky) {
        return `${unit.ref(def.pattern)}.test(${x})`;
      }
      break;
    case 'number_format':
      if (def.format === 'safeint') return `Number.isSafeInteger(${x})`;
      break;
    case 'greater_than':
    case 'less_than':
      if (typeof def.value === 'number' && Number.isFinite(def.value)) {
        const op = def.check === 'greater_than' ? (def.inclusive ? '>=' : '>') : def.inclusive ? '<=' : '<';
        return `${x} ${op} ${String(def.value)}`;
      }
      break;
  }
  return `${unit.ref(compileCheck(check))}(${x})`;
}

function withChecks(node: Node, x: string, unit: Unit): string {
  const exprs = checksOf(node).map((c) => checkExpr(c, x, unit));
  return exprs.length === 0 ? '' : `if (!(${exprs.join(' && ')})) return INVALID;\n`;
}

function oneOf(values: readonly unknown[], x: string, unit: Unit): string {
  const inline = values.length <= 8 && values.every((v) => typeof v === 'string' || typeof v === 'boolean' || v === null);
  return inline ? values.map((v) => `${x} === ${JSON.stringify(v)}`).join(' || ') || 'false' : `${unit.ref(new Set(values))}.has(${x})`;
}

/** Statements that parse `src` into the (declared) variable `dst`, or `return INVALID`. */
function emit(node: Node, src: string, dst: string, unit: Unit, memo: Map<Node, CompiledParser>): string {
  const def = node._zod.def;
  const call = (parser: CompiledParser) => `${dst} = ${unit.ref(parser)}(${src});\nif (${dst} === INVALID) return INVALID;\n`;
  if (def.coerce) return call(viaZod(node));
  let bare: string;
  switch (def.type) {
    case 'object':
    case 'union':
    case 'record':
      // Their own functions (checks included): an object's code stays small and specialised to its shape.
      return call(generate(node, memo));
    case 'string':
      bare = `if (typeof ${src} !== 'string') return INVALID;\n`;
      break;
    case 'number':
      bare = `if (typeof ${src} !== 'number' || !Number.isFinite(${src})) return INVALID;\n`;
      break;
    case 'boolean':
      bare = `if (typeof ${src} !== 'boolean') return INVALID;\n`;
      break;
    case 'unknown':
    case 'any':
      bare = '';
      break;
    case 'enum': {
      const entries = Object.entries(def.entries ?? {});
      if (entries.some(([k, v]) => typeof v !== 'string' || v !== k)) return call(viaZod(node));
      bare = `if (!(${oneOf(entries.map(([, v]) => v), src, unit)})) return INVALID;\n`;
      break;
    }
    case 'literal':
      bare = `if (!(${oneOf(def.values ?? [], src, unit)})) return INVALID;\n`;
      break;
    case 'optional':
    case 'nullable': {
      const inner = def.innerType as Node;
      if (inner._zod.optin === 'defaulted') return call(viaZod(node));
      const empty = def.type === 'optional' ? 'undefined' : 'null';
      return `if (${src} === ${empty}) ${dst} = ${src};\nelse {\n${emit(inner, src, dst, unit, memo)}}\n${withChecks(node, dst, unit)}`;
    }
    case 'array': {
      const [i, e, r, a] = [unit.name('i'), unit.name('e'), unit.name('r'), unit.name('a')];
      return `if (!Array.isArray(${src})) return INVALID;
const ${a} = new Array(${src}.length);
for (let ${i} = 0; ${i} < ${src}.length; ${i}++) {
const ${e} = ${src}[${i}];
let ${r};
${emit(def.element as Node, e, r, unit, memo)}${a}[${i}] = ${r};
}
${dst} = ${a};
${withChecks(node, dst, unit)}`;
    }
    default:
      return call(viaZod(node));
  }
  return `${bare}${dst} = ${src};\n${withChecks(node, dst, unit)}`;
}

function objectBody(node: Node, unit: Unit, memo: Map<Node, CompiledParser>): string | undefined {
  const def = node._zod.def;
  const shape = def.shape ?? {};
  const rest = def.catchall?._zod.def.type;
  if (Object.getOwnPropertySymbols(shape).length > 0 || (rest !== undefined && rest !== 'unknown' && rest !== 'never')) return undefined;
  const keys = Object.keys(shape);
  let code = `if (typeof value !== 'object' || value === null || Array.isArray(value)) return INVALID;\nconst out = {};\n`;
  for (const key of keys) {
    const child = shape[key] as Node;
    const { optin, optout } = child._zod;
    if (optin !== undefined && !(optin === 'optional' && optout === 'optional')) return undefined;
    if (key === '__proto__') continue; // never copied by zod
    const [v, r] = [unit.name('v'), unit.name('r')];
    // `in`, as zod: a key set to `undefined` is present (and kept), an absent one is not.
    code += `const ${v} = value[${lit(key)}];
if (${v} !== undefined || ${lit(key)} in value) {
let ${r};
${emit(child, v, r, unit, memo)}out[${lit(key)}] = ${r};
}${optin === undefined ? ' else return INVALID;' : ''}\n`;
  }
  const known = keys.length > 0 ? `switch (key) { ${keys.map((k) => `case ${lit(k)}:`).join(' ')} continue; }\n` : '';
  if (rest === 'unknown') code += `for (const key in value) {\n${known}if (key !== '__proto__') out[key] = value[key];\n}\n`;
  else if (rest === 'never') code += `for (const key in value) {\n${known}return INVALID;\n}\n`;
  return `${code}${withChecks(node, 'out', unit)}return out;\n`;
}

function recordBody(node: Node, unit: Unit, memo: Map<Node, CompiledParser>): string | undefined {
  const def = node._zod.def;
  const keyType = def.keyType as Node;
  const keyDef = keyType._zod.def;
  if (keyDef.type !== 'string' || (keyDef.checks?.length ?? 0) > 0 || keyType._zod.traits.has('$ZodCheck') || keyDef.coerce) return undefined;
  // Class instances and symbol keys follow zod's own rules (isPlainObject, Reflect.ownKeys): it decides those.
  return `if (typeof value !== 'object' || value === null || Array.isArray(value)) return INVALID;
const proto = Object.getPrototypeOf(value);
if ((proto !== Object.prototype && proto !== null) || Object.getOwnPropertySymbols(value).length > 0) return ${unit.ref(viaZod(node))}(value);
const out = {};
for (const key of Object.keys(value)) {
if (key === '__proto__') continue;
const e = value[key];
let r;
${emit(def.valueType as Node, 'e', 'r', unit, memo)}out[key] = r;
}
${withChecks(node, 'out', unit)}return out;
`;
}

function unionBody(node: Node, unit: Unit, memo: Map<Node, CompiledParser>): string {
  // zod keeps the first option that parses.
  const options = (node._zod.def.options ?? []).map((o) => unit.ref(generate(o, memo)));
  return `let out = INVALID;
${options.map((o) => `if (out === INVALID) out = ${o}(value);`).join('\n')}
if (out === INVALID) return INVALID;
${withChecks(node, 'out', unit)}return out;
`;
}

/** Generates the parser of one node (memoised: shared sub-schemas such as Money are generated once). */
export function generate(node: Node, memo: Map<Node, CompiledParser>): CompiledParser {
  const done = memo.get(node);
  if (done) return done;
  const unit = new Unit();
  const type = node._zod.def.type;
  const body =
    type === 'object' ? objectBody(node, unit, memo)
    : type === 'record' ? recordBody(node, unit, memo)
    : type === 'union' ? unionBody(node, unit, memo)
    : `let out;\n${emit(node, 'value', 'out', unit, memo)}return out;\n`;
  let parser: CompiledParser;
  if (body === undefined) parser = viaZod(node);
  else {
    const names = unit.constants.map((_, i) => `k${i}`);
    const source = `${names.length > 0 ? `const [${names.join(', ')}] = constants;\n` : ''}return function parse(value) {\n${body}};`;
    parser = (new Function('INVALID', 'constants', source) as (invalid: symbol, constants: unknown[]) => CompiledParser)(INVALID, unit.constants);
  }
  memo.set(node, parser);
  return parser;
}

/** Compiles a schema by generating code (the caller checks that eval is allowed). */
export function compileGenerated(node: Node): CompiledParser {
  return generate(node, new Map());
}
