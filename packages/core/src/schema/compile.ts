import { z } from 'zod';
import { compileNode } from './compile-closures.js';
import { compileGenerated, compileGeneratedCheck } from './compile-generated.js';
import type { CompiledCheck, CompiledParser, Node } from './zod-nodes.js';

export { INVALID, type CompiledCheck, type CompiledParser } from './zod-nodes.js';

/**
 * Compiles a zod schema into a plain function that decides as zod does and returns the same data, without zod's
 * issue bookkeeping. zod stays the source of truth: every node type or check it does not know is delegated to
 * the node's own `safeParse` or `_zod.check`, and callers run zod again for the issues of a rejected value.
 */
export function compileSchema(schema: z.ZodType): CompiledParser {
  const node = schema as unknown as Node;
  // Generated code is about twice as fast (property reads with constant names); where eval is not allowed (CSP,
  // some edge runtimes), the same decisions come from closures.
  // `z.config({ jitless: true })` is how an app tells zod not to eval: honoured here too.
  return !z.config().jitless && canEval() ? compileGenerated(node) : compileNode(node, new Map());
}

/**
 * Compiles a zod schema's checker: the compiled parser's walk and tests without the copy, answering whether the
 * value is valid and already what the parser would return (see `CompiledCheck`). Where eval is not allowed it
 * always answers `false`, which sends every value to the parser: slower, never wrong.
 */
export function compileSchemaCheck(schema: z.ZodType): CompiledCheck {
  return !z.config().jitless && canEval() ? compileGeneratedCheck(schema as unknown as Node) : () => false;
}

/** The closure form, whatever the runtime allows (for the differential test of both forms). */
export function compileSchemaWithClosures(schema: z.ZodType): CompiledParser {
  return compileNode(schema as unknown as Node, new Map());
}

let evalAllowed: boolean | undefined;
function canEval(): boolean {
  if (evalAllowed === undefined) {
    try {
      evalAllowed = (new Function('return true') as () => boolean)();
    } catch {
      evalAllowed = false;
    }
  }
  return evalAllowed;
}
