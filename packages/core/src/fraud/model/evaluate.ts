import { PROFILE_FEATURES } from '../features/catalog.js';
import { compileModel, modelMargin } from './combine.js';
import { sigmoid, type FraudModel } from './model.js';

const PROFILE_CODES = new Set(PROFILE_FEATURES.map((f) => f.code));

/**
 * Compiles `model` once and returns the score (0–100, two decimals) it gives a feature vector by code, as
 * `scorer.featuresOf(id)` returns it (absent features read 0): to compare model versions on labelled features
 * without scoring the transactions again. Rules the model does not list are not part of it (no noisy-OR join).
 */
export function createFraudModelEvaluator(model: FraudModel): (features: Readonly<Record<string, number>>) => number {
  const rules = model.features.filter((code) => !PROFILE_CODES.has(code));
  const compiled = compileModel(model, rules, new Set(rules));
  const x = new Float64Array(compiled.codes.length + 1);
  return (features) => {
    compiled.codes.forEach((code, i) => {
      x[i] = features[code] ?? 0;
    });
    return Math.round(10_000 * sigmoid(modelMargin(compiled, x))) / 100;
  };
}
