import { z } from 'zod';

/**
 * One regression tree of a fraud model, as parallel node arrays (node 0 is the root). An inner node sends a
 * vector left when `x[feature] <= threshold`; a leaf has `feature` -1. `value` is the node's output in log-odds
 * (inner nodes too: what the tree would say if it stopped there, which the reasons are computed from).
 */
export interface FraudModelTree {
  feature: number[];
  threshold: number[];
  left: number[];
  right: number[];
  value: number[];
}

/**
 * A learned fraud model: small gradient-boosted trees over named features (profile features and rule codes). The
 * score is 100 × σ(bias + Σ tree outputs): a calibrated probability of fraud, in percent, for traffic like the
 * traffic it was trained on. Plain JSON: store it, ship it, roll it back.
 */
export interface FraudModel {
  /** Version label, carried in every result's `rulesetVersion` (e.g. `default-2`, `refit-<hash>`). */
  version: string;
  /** Feature codes; trees refer to them by index. */
  features: string[];
  /** Log-odds before any tree. */
  bias: number;
  trees: FraudModelTree[];
  /** Decision thresholds chosen with the model (scores 0–100); the scorer's `thresholds` option wins. */
  thresholds?: { review: number; block: number } | undefined;
  /** How the model was trained (data, seeds, examples). */
  trainedOn?: string | undefined;
}

const TreeSchema = z
  .strictObject({
    feature: z.array(z.int().min(-1)),
    threshold: z.array(z.number().finite()),
    left: z.array(z.int().min(-1)),
    right: z.array(z.int().min(-1)),
    value: z.array(z.number().finite()),
  })
  .superRefine((t, ctx) => {
    const n = t.feature.length;
    if (n === 0) ctx.addIssue({ code: 'custom', path: ['feature'], message: 'a tree needs at least one node' });
    for (const k of ['threshold', 'left', 'right', 'value'] as const) {
      if (t[k].length !== n)
        ctx.addIssue({ code: 'custom', path: [k], message: `must have one entry per node (${n})` });
    }
    for (let i = 0; i < n; i++) {
      if (t.feature[i] === -1) continue;
      // Children come after their parent: no cycles, every walk ends at a leaf.
      if (!(t.left[i]! > i && t.left[i]! < n && t.right[i]! > i && t.right[i]! < n)) {
        ctx.addIssue({ code: 'custom', path: ['left', i], message: 'children must be later nodes of the same tree' });
        return;
      }
    }
  });

/** Validates a model (e.g. one loaded from storage). */
export const FraudModelSchema = z
  .strictObject({
    version: z.string().min(1).max(40),
    features: z.array(z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'must be an UPPER_SNAKE feature code')).max(512),
    bias: z.number().finite(),
    trees: z.array(TreeSchema).max(5000),
    thresholds: z.strictObject({ review: z.number().min(0).max(100), block: z.number().min(0).max(100) }).optional(),
    trainedOn: z.string().max(4096).optional(),
  })
  .superRefine((m, ctx) => {
    if (new Set(m.features).size !== m.features.length)
      ctx.addIssue({ code: 'custom', path: ['features'], message: 'must not repeat a feature' });
    m.trees.forEach((t, i) => {
      const bad = t.feature.findIndex((f) => f >= m.features.length);
      if (bad >= 0)
        ctx.addIssue({
          code: 'custom',
          path: ['trees', i, 'feature', bad],
          message: `refers to feature ${t.feature[bad]} of ${m.features.length}`,
        });
    });
    if (m.thresholds && m.thresholds.review > m.thresholds.block)
      ctx.addIssue({ code: 'custom', path: ['thresholds', 'review'], message: 'must not exceed thresholds.block' });
  });

/** σ(z), safe for large |z|. */
export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}
