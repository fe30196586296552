import type { z } from 'zod';
import { toIssues, type ValidationIssue } from './validate.js';

/** Thrown for invalid options or settings: the message names the factory and every bad option. */
export class OptionsError extends TypeError {
  /** Each bad option: its path (`retry.maxAttempts`, `channels[0].url`) and what is wrong with it. */
  readonly issues: ValidationIssue[];
  /** Creates the error; `issues` default to none (a check that is not a schema's). */
  constructor(message: string, issues: ValidationIssue[] = []) {
    super(message);
    this.name = 'OptionsError';
    this.issues = issues;
  }
}

/**
 * Parses a factory's options once with their zod schema; throws one `OptionsError`
 * (`<factory>: invalid options: <path>: <message>; …`) naming every bad option and why.
 */
export function parseOptions<S extends z.ZodType>(factory: string, schema: S, options: unknown): z.output<S> {
  const parsed = schema.safeParse(options ?? {});
  if (parsed.success) return parsed.data;
  const issues = toIssues(parsed.error);
  throw new OptionsError(
    `${factory}: invalid options: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
    issues,
  );
}
