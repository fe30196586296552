import type { ValidationIssue } from '../validate.js';

/** Raised (reported, never thrown at the caller) when an input is not a valid Shoplog event. */
export class ShoplogValidationError extends Error {
  override readonly name = 'ShoplogValidationError';
  /** Each problem with the field's dotted path. */
  readonly issues: ValidationIssue[];

  constructor(issues: ValidationIssue[]) {
    const first = issues[0];
    super(
      `invalid event: ${first ? `${first.path}: ${first.message}` : 'unknown reason'}${issues.length > 1 ? ` (+${issues.length - 1} more)` : ''}`,
    );
    this.issues = issues;
  }
}

/** Raised when a plugin breaks its contract (e.g. `process` returned `undefined`). */
export class PluginContractError extends Error {
  override readonly name = 'PluginContractError';
}
