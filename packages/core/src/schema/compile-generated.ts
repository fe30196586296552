import {
  checksOf,
  compileCheck,
  INVALID,
  viaZod,
  type CompiledCheck,
  type CompiledParser,
  type Node,
  type ZodCheckLike,
} from './zod-nodes.js';

// The generated form of the compiled parser: one function per object node, its leaves inlined, every property read
// with a constant name (monomorphic inline caches instead of the closure form's keyed reads). Decisions and output
// are those of the closure form (compile-closures.ts), which the differential test holds both to.
// The same generator has a check mode (`Unit.check`): the same walk and the same tests, but it builds no copy and
// answers `true` only when the value is valid *and* the parse would return it unchanged as JSON (no unknown key
// stripped, no `__proto__` key dropped, nothing zod itself would copy or transform); `false` means "parse it".

/** Compiled parsers and checkers already generated, per node (shared sub-schemas are generated once per mode). */
export interface Memo {
  parse: Map<Node, CompiledParser>;
  check: Map<Node, CompiledCheck>;
}

/** Constants the generated code refers to (`k0`, `k1`, …): regexes, sets, child parsers, zod fallbacks. */
class Unit {
  readonly constants: unknown[] = [];
  private next = 0;
  /** What a failed test does: the parser rejects, the checker answers "not unchanged". */
  readonly fail: string;

  constructor(readonly check: boolean) {
    this.fail = check ? 'return false;' : 'return INVALID;';
  }

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
      if (
        (def.format === 'regex' || def.format === 'datetime') &&
        def.pattern &&
        !def.pattern.global &&
        !def.pattern.sticky
      ) {
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
  const checks = checksOf(node);
  // An overwrite (`.trim()`, `.toLowerCase()`, …) replaces the value: never "unchanged".
  if (unit.check && checks.some((c) => c._zod.def.check === 'overwrite')) return 'return false;\n';
  const exprs = checks.map((c) => checkExpr(c, x, unit));
  return exprs.length === 0 ? '' : `if (!(${exprs.join(' && ')})) ${unit.fail}\n`;
}

/** zod decides a node the compiler does not know; it leaves a value unchanged only when it returns that value itself. */
function viaZodCheck(node: Node): CompiledCheck {
  return (value) => {
    const parsed = node.safeParse(value);
    return parsed.success && parsed.data === value;
  };
}

function oneOf(values: readonly unknown[], x: string, unit: Unit): string {
  const inline =
    values.length <= 8 && values.every((v) => typeof v === 'string' || typeof v === 'boolean' || v === null);
  return inline
    ? values.map((v) => `${x} === ${JSON.stringify(v)}`).join(' || ') || 'false'
    : `${unit.ref(new Set(values))}.has(${x})`;
}

/**
 * Statements that parse `src` into the (declared) variable `dst`, or `return INVALID`; in check mode, that test
 * `src` (`dst` is then `src` itself), or `return false`.
 */
function emit(node: Node, src: string, dst: string, unit: Unit, memo: Memo): string {
  const def = node._zod.def;
  const { fail } = unit;
  const call = (parser: CompiledParser) =>
    `${dst} = ${unit.ref(parser)}(${src});\nif (${dst} === INVALID) return INVALID;\n`;
  const callCheck = (checker: CompiledCheck) => `if (!${unit.ref(checker)}(${src})) return false;\n${dst} = ${src};\n`;
  if (def.coerce) return unit.check ? callCheck(viaZodCheck(node)) : call(viaZod(node));
  let bare: string;
  switch (def.type) {
    case 'object':
    case 'union':
    case 'record':
      // Their own functions (checks included): an object's code stays small and specialised to its shape.
      return unit.check ? callCheck(generateCheck(node, memo)) : call(generate(node, memo));
    case 'string':
      bare = `if (typeof ${src} !== 'string') ${fail}\n`;
      break;
    case 'number':
      bare = `if (typeof ${src} !== 'number' || !Number.isFinite(${src})) ${fail}\n`;
      break;
    case 'boolean':
      bare = `if (typeof ${src} !== 'boolean') ${fail}\n`;
      break;
    case 'unknown':
    case 'any':
      bare = '';
      break;
    case 'enum': {
      const entries = Object.entries(def.entries ?? {});
      if (entries.some(([k, v]) => typeof v !== 'string' || v !== k))
        return unit.check ? callCheck(viaZodCheck(node)) : call(viaZod(node));
      bare = `if (!(${oneOf(
        entries.map(([, v]) => v),
        src,
        unit,
      )})) ${fail}\n`;
      break;
    }
    case 'literal':
      bare = `if (!(${oneOf(def.values ?? [], src, unit)})) ${fail}\n`;
      break;
    case 'optional':
    case 'nullable': {
      const inner = def.innerType as Node;
      if (inner._zod.optin === 'defaulted') return unit.check ? callCheck(viaZodCheck(node)) : call(viaZod(node));
      const empty = def.type === 'optional' ? 'undefined' : 'null';
      return `if (${src} === ${empty}) ${dst} = ${src};\nelse {\n${emit(inner, src, dst, unit, memo)}}\n${withChecks(node, dst, unit)}`;
    }
    case 'array': {
      const [i, e, r, a] = [unit.name('i'), unit.name('e'), unit.name('r'), unit.name('a')];
      if (unit.check) {
        return `if (!Array.isArray(${src})) return false;
for (let ${i} = 0; ${i} < ${src}.length; ${i}++) {
const ${e} = ${src}[${i}];
let ${r};
${emit(def.element as Node, e, r, unit, memo)}}
${dst} = ${src};
${withChecks(node, dst, unit)}`;
      }
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
      return unit.check ? callCheck(viaZodCheck(node)) : call(viaZod(node));
  }
  return `${bare}${dst} = ${src};\n${withChecks(node, dst, unit)}`;
}

// A checked object must be plain data (what JSON.parse makes): its fields are then exactly its own enumerable keys.
const PLAIN = `const proto = Object.getPrototypeOf(value);\nif (proto !== Object.prototype && proto !== null) return false;\n`;

function objectBody(node: Node, unit: Unit, memo: Memo): string | undefined {
  const def = node._zod.def;
  const shape = def.shape ?? {};
  const rest = def.catchall?._zod.def.type;
  if (Object.getOwnPropertySymbols(shape).length > 0 || (rest !== undefined && rest !== 'unknown' && rest !== 'never'))
    return undefined;
  const keys = Object.keys(shape);
  const { check, fail } = unit;
  // zod never copies a `__proto__` key, so a shape naming one is left to zod (in check mode: never unchanged).
  if (check && keys.includes('__proto__')) return undefined;
  let code = `if (typeof value !== 'object' || value === null || Array.isArray(value)) ${fail}\n${check ? `${PLAIN}let n = 0;\n` : 'const out = {};\n'}`;
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
${emit(child, v, r, unit, memo)}${check ? 'n++;' : `out[${lit(key)}] = ${r};`}
}${optin === undefined ? ` else ${fail}` : ''}\n`;
  }
  if (check) {
    // Every field read above must be an own enumerable key (counted again here); any other key is kept by a loose
    // object (but `__proto__`, which zod drops), rejected by a strict one and stripped by a plain one.
    const known =
      keys.length > 0 ? `switch (key) { ${keys.map((k) => `case ${lit(k)}:`).join(' ')} n--; continue; }\n` : '';
    const other = rest === 'unknown' ? `if (key === '__proto__') return false;\n` : 'return false;\n';
    code += `for (const key in value) {\n${known}${other}}\nif (n !== 0) return false;\n`;
    return `${code}${withChecks(node, 'value', unit)}return true;\n`;
  }
  const known = keys.length > 0 ? `switch (key) { ${keys.map((k) => `case ${lit(k)}:`).join(' ')} continue; }\n` : '';
  if (rest === 'unknown')
    code += `for (const key in value) {\n${known}if (key !== '__proto__') out[key] = value[key];\n}\n`;
  else if (rest === 'never') code += `for (const key in value) {\n${known}return INVALID;\n}\n`;
  return `${code}${withChecks(node, 'out', unit)}return out;\n`;
}

function recordBody(node: Node, unit: Unit, memo: Memo): string | undefined {
  const def = node._zod.def;
  const keyType = def.keyType as Node;
  const keyDef = keyType._zod.def;
  if (
    keyDef.type !== 'string' ||
    (keyDef.checks?.length ?? 0) > 0 ||
    keyType._zod.traits.has('$ZodCheck') ||
    keyDef.coerce
  )
    return undefined;
  if (unit.check) {
    // zod skips a `__proto__` key; class instances and symbol keys are zod's to decide (with a copy): all "changed".
    return `if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
${PLAIN}if (Object.getOwnPropertySymbols(value).length > 0) return false;
for (const key of Object.keys(value)) {
if (key === '__proto__') return false;
const e = value[key];
let r;
${emit(def.valueType as Node, 'e', 'r', unit, memo)}}
${withChecks(node, 'value', unit)}return true;
`;
  }
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

function unionBody(node: Node, unit: Unit, memo: Memo): string {
  const options = node._zod.def.options ?? [];
  if (unit.check) {
    // zod keeps the first option that parses: unchanged when that option leaves the value unchanged, so an
    // earlier option that accepts the value with changes makes the answer "changed".
    const tests = options.map(
      (o) =>
        `if (${unit.ref(generateCheck(o, memo))}(value)) {} else if (${unit.ref(generate(o, memo))}(value) !== INVALID) return false;\nelse `,
    );
    return `${tests.join('')}return false;\n${withChecks(node, 'value', unit)}return true;\n`;
  }
  // zod keeps the first option that parses.
  const refs = options.map((o) => unit.ref(generate(o, memo)));
  return `let out = INVALID;
${refs.map((o) => `if (out === INVALID) out = ${o}(value);`).join('\n')}
if (out === INVALID) return INVALID;
${withChecks(node, 'out', unit)}return out;
`;
}

function build(node: Node, unit: Unit, memo: Memo): ((invalid: symbol, constants: unknown[]) => unknown) | undefined {
  const type = node._zod.def.type;
  const body =
    type === 'object'
      ? objectBody(node, unit, memo)
      : type === 'record'
        ? recordBody(node, unit, memo)
        : type === 'union'
          ? unionBody(node, unit, memo)
          : `let out;\n${emit(node, 'value', 'out', unit, memo)}return ${unit.check ? 'true' : 'out'};\n`;
  if (body === undefined) return undefined;
  const names = unit.constants.map((_, i) => `k${i}`);
  const source = `${names.length > 0 ? `const [${names.join(', ')}] = constants;\n` : ''}return function ${unit.check ? 'check' : 'parse'}(value) {\n${body}};`;
  return new Function('INVALID', 'constants', source) as (invalid: symbol, constants: unknown[]) => unknown;
}

/** Generates the parser of one node (memoised: shared sub-schemas such as Money are generated once). */
export function generate(node: Node, memo: Memo): CompiledParser {
  const done = memo.parse.get(node);
  if (done) return done;
  const unit = new Unit(false);
  const factory = build(node, unit, memo);
  const parser = factory ? (factory(INVALID, unit.constants) as CompiledParser) : viaZod(node);
  memo.parse.set(node, parser);
  return parser;
}

/** Generates the checker of one node: the parser's walk and tests, no copy (memoised like `generate`). */
export function generateCheck(node: Node, memo: Memo): CompiledCheck {
  const done = memo.check.get(node);
  if (done) return done;
  const unit = new Unit(true);
  const factory = build(node, unit, memo);
  const checker = factory ? (factory(INVALID, unit.constants) as CompiledCheck) : viaZodCheck(node);
  memo.check.set(node, checker);
  return checker;
}

/** Compiles a schema by generating code (the caller checks that eval is allowed). */
export function compileGenerated(node: Node): CompiledParser {
  return generate(node, { parse: new Map(), check: new Map() });
}

/** Compiles a schema's checker by generating code (the caller checks that eval is allowed). */
export function compileGeneratedCheck(node: Node): CompiledCheck {
  return generateCheck(node, { parse: new Map(), check: new Map() });
}
