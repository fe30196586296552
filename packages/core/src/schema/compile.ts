import { z } from 'zod';
import { compileNode } from './compile-closures.js';
import { compileGenerated } from './compile-generated.js';
import type { CompiledParser, Node } from './zod-nodes.js';

export { INVALID, type CompiledParser } from './zod-nodes.js';

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
