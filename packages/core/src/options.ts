import type { z } from 'zod';
import { toIssues } from './validate.js';

/** Parses a factory's options once; throws one error naming every bad option and why. */
export function parseOptions<S extends z.ZodType>(factory: string, schema: S, options: unknown): z.output<S> {
  const parsed = schema.safeParse(options ?? {});
  if (parsed.success) return parsed.data;
  const detail = toIssues(parsed.error)
    .map((i) => `${i.path}: ${i.message}`)
    .join('; ');
  throw new TypeError(`${factory}: invalid options: ${detail}`);
}
