import { validate, type ValidationResult } from '../validate.js';

/** Options of `normalize()`. */
export interface NormalizeOptions {
  /** Clock in Unix milliseconds, for inputs without a timestamp. @default Date.now */
  now?: () => number;
}

/** Maps an input to the Shoplog envelope and validates it. Never throws. */
export function normalize(input: unknown, _options: NormalizeOptions = {}): ValidationResult {
  return validate(input);
}
