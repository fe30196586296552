import type { z } from 'zod';
import { formatPath } from '@shoplog/core';

/** Thrown for invalid options or settings; the message names the bad option. */
export class OptionsError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = 'OptionsError';
  }
}

/** Parses options once with their zod schema; throws one `OptionsError` naming every bad option. */
export function parseOptions<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  const details = parsed.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`).join('; ');
  throw new OptionsError(`invalid ${what}: ${details}`);
}
