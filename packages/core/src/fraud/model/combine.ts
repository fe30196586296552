import type { FraudReason } from '../../schema/kinds.js';
import { PROFILE_FEATURES } from '../features/catalog.js';
import type { FraudModel, FraudModelTree } from './model.js';

// The learned combination (internal): a model's trees compiled against one scorer's feature vector, and the score
// and reasons of one transaction from that vector.

/** Reasons whose share of the score is below this many points are left out. */
const MIN_REASON = 0.5;
/** At most this many reasons per result. */
const MAX_REASONS = 12;

/**
 * A model flattened for scoring, in shared typed arrays (integer arrays for indices: an index read from a
 * Float64Array would make every element access a slow one). Features resolve to positions in the scorer's vector
 * (profile features, then one per active rule, then a slot that is always 0 for model features this scorer does
 * not compute, such as a rule it does not run).
 *
 * Two layouts. `complete` (every tree at most 3 deep, as the default model's and every refit's): each tree padded to
 * a complete tree of depth 3 in 16 slots, heap order (node i's children are 2i + 1 and 2i + 2; a leaf above the last
 * level becomes splits on the always-0 slot whose children carry its value). Its trees are not walked one by one but
 * all at once, feature by feature (the QuickScorer scheme): a split the vector fails (goes right) rules out the
 * leaves of its left subtree, and each tree's exit leaf is the leftmost leaf left; a feature's splits are sorted by
 * threshold, so the scan of a feature stops at its first split the vector passes, and a feature that is 0 (most of
 * them) costs one comparison for all its splits. Otherwise `nodes`: breadth-first, a right child after its left
 * sibling (a node stores its left child only; a leaf has -1), walked node by node.
 */
export interface CompiledModel {
  readonly model: FraudModel;
  /** Feature codes of the vector (profile features, then the active rules' codes). */
  readonly codes: readonly string[];
  readonly bias: number;
  readonly complete: boolean;
  /** Trees in the model. */
  readonly trees: number;
  /** `nodes` layout: each tree's first node. */
  readonly roots: Int32Array;
  readonly feature: Int32Array;
  readonly threshold: Float64Array;
  /** `nodes` layout: each node's left child, -1 for a leaf. */
  readonly left: Int32Array;
  readonly value: Float64Array;
  /** Per active rule: true when the model does not list it (a custom rule): it joins by noisy-OR instead. */
  readonly outside: readonly boolean[];
  /** `complete` layout: the leaf (heap position) each tree sent the last vector to, kept by `modelMargin`. */
  readonly leaves: Int32Array;
  /**
   * `complete` layout, the splits by feature: those of vector slot f are `splitStart[f] …` `splitStart[f + 1]`, by
   * rising threshold; each has its tree and the mask of the leaves (bit i: leaf i from the left) still possible
   * once the vector fails it. Splits no vector can fail (the padding) are left out.
   */
  readonly splitStart: Int32Array;
  readonly splitThreshold: Float64Array;
  readonly splitTree: Int32Array;
  readonly splitMask: Int32Array;
  /** `complete` layout: per tree, the leaves still possible (work space of `modelMargin`). */
  readonly possible: Int32Array;
}

/** Depth of the `complete` layout, and slots per tree in it. */
const DEPTH = 3;
const SLOTS = 16;
/** Heap position of the first leaf of a complete tree of depth 3. */
const LEAF0 = 7;

/**
 * Compiles `model` for a scorer whose active rules are `rules`. A model feature that is neither a profile feature
 * nor a rule code in `known` is an error; a known rule the scorer does not run reads 0.
 */
export function compileModel(model: FraudModel, rules: readonly string[], known: ReadonlySet<string>): CompiledModel {
  const codes = [...PROFILE_FEATURES.map((f) => f.code), ...rules];
  const zero = codes.length; // the always-0 slot
  const slot = new Map<string, number>();
  codes.forEach((c, i) => {
    if (!slot.has(c)) slot.set(c, i);
  });
  const position = model.features.map((code) => {
    const at = slot.get(code);
    if (at === undefined && !known.has(code))
      throw new TypeError(
        `fraud model ${model.version}: feature ${code} is neither a profile feature nor a rule of this scorer`,
      );
    return at ?? zero;
  });
  const depthOf = (t: FraudModelTree, n: number): number =>
    t.feature[n]! < 0 ? 0 : 1 + Math.max(depthOf(t, t.left[n]!), depthOf(t, t.right[n]!));
  const complete = model.trees.every((t) => depthOf(t, 0) <= DEPTH);
  const listed = new Set(model.features);
  const base = { model, codes, bias: model.bias, trees: model.trees.length, outside: rules.map((c) => !listed.has(c)) };
  if (complete) {
    const slots = model.trees.length * SLOTS;
    const feature = new Int32Array(slots).fill(zero);
    const threshold = new Float64Array(slots);
    const value = new Float64Array(slots);
    model.trees.forEach((t, i) => {
      const place = (n: number, at: number): void => {
        const leaf = t.feature[n]! < 0;
        value[i * SLOTS + at] = t.value[n]!;
        if (at >= SLOTS / 2 - 1) return;
        if (!leaf) {
          feature[i * SLOTS + at] = position[t.feature[n]!]!;
          threshold[i * SLOTS + at] = t.threshold[n]!;
        }
        place(leaf ? n : t.left[n]!, 2 * at + 1);
        place(leaf ? n : t.right[n]!, 2 * at + 2);
      };
      place(0, 0);
    });
    const none = new Int32Array(0);
    return {
      ...base,
      complete,
      roots: none,
      feature,
      threshold,
      left: none,
      value,
      leaves: new Int32Array(base.trees),
      ...splitsByFeature(feature, threshold, zero),
      possible: new Int32Array(base.trees),
    };
  }
  const roots = new Int32Array(model.trees.length);
  const feature: number[] = [];
  const threshold: number[] = [];
  const left: number[] = [];
  const value: number[] = [];
  model.trees.forEach((t, i) => {
    roots[i] = value.length;
    // Lay each tree out breadth-first with siblings adjacent, whatever the order of its arrays.
    const order = [0];
    const at = new Map<number, number>();
    for (let k = 0; k < order.length; k++) {
      const n = order[k]!;
      at.set(n, roots[i]! + k);
      if (t.feature[n]! >= 0) order.push(t.left[n]!, t.right[n]!);
    }
    for (const n of order) {
      const leaf = t.feature[n]! < 0;
      feature.push(leaf ? zero : position[t.feature[n]!]!);
      threshold.push(t.threshold[n]!);
      left.push(leaf ? -1 : at.get(t.left[n]!)!);
      value.push(t.value[n]!);
    }
  });
  return {
    ...base,
    complete,
    roots,
    feature: Int32Array.from(feature),
    threshold: Float64Array.from(threshold),
    left: Int32Array.from(left),
    value: Float64Array.from(value),
    leaves: new Int32Array(0),
    splitStart: new Int32Array(0),
    splitThreshold: new Float64Array(0),
    splitTree: new Int32Array(0),
    splitMask: new Int32Array(0),
    possible: new Int32Array(0),
  };
}

/** The splits of the `complete` layout (`feature`, `threshold` in heap order) grouped by vector slot (0 … `zero`). */
function splitsByFeature(
  feature: Int32Array,
  threshold: Float64Array,
  zero: number,
): Pick<CompiledModel, 'splitStart' | 'splitThreshold' | 'splitTree' | 'splitMask'> {
  const splits: Array<{ f: number; th: number; tree: number; mask: number; at: number }> = [];
  for (let b = 0; b < feature.length; b += SLOTS) {
    for (let n = 0; n < LEAF0; n++) {
      const f = feature[b + n]!;
      const th = threshold[b + n]!;
      // The always-0 slot fails only a split below 0 (padding splits at 0 never).
      if (f === zero && 0 <= th) continue;
      // Node n's leaves are a run of leaves from the left; failing it rules out the first half of them.
      let first = n;
      let width = 1;
      while (first < LEAF0) {
        first = 2 * first + 1;
        width *= 2;
      }
      const ruledOut = ((1 << (width / 2)) - 1) << (first - LEAF0);
      splits.push({ f, th, tree: b / SLOTS, mask: ~ruledOut & 0xff, at: b + n });
    }
  }
  // By slot, then rising threshold; ties in heap order, so the layout does not depend on the sort's stability.
  splits.sort((a, b) => a.f - b.f || a.th - b.th || a.at - b.at);
  const splitStart = new Int32Array(zero + 2);
  for (const s of splits) splitStart[s.f + 1]!++;
  for (let f = 0; f <= zero; f++) splitStart[f + 1]! += splitStart[f]!;
  return {
    splitStart,
    splitThreshold: Float64Array.from(splits, (s) => s.th),
    splitTree: Int32Array.from(splits, (s) => s.tree),
    splitMask: Int32Array.from(splits, (s) => s.mask),
  };
}

/**
 * The model's log-odds for vector `x` (which has the always-0 slot at its end). In the `complete` layout it also
 * keeps each tree's leaf in `m.leaves`, for `modelContributions` on the same vector.
 */
export function modelMargin(m: CompiledModel, x: Float64Array): number {
  const { feature: f, threshold: th, value } = m;
  let z = m.bias;
  if (m.complete) {
    const { leaves, possible, splitStart, splitThreshold, splitTree, splitMask } = m;
    possible.fill(0xff);
    for (let s = 0; s < x.length && s < splitStart.length - 1; s++) {
      const v = x[s]!;
      // `!(v <= t)`: the vector fails the split (NaN included), as a walk sends it right.
      for (let k = splitStart[s]!, end = splitStart[s + 1]!; k < end && !(v <= splitThreshold[k]!); k++)
        possible[splitTree[k]!]! &= splitMask[k]!;
    }
    // Each tree's exit leaf is its leftmost possible leaf (lowest bit), at heap position LEAF0 + its rank.
    for (let t = 0, b = 0; t < leaves.length; t++, b += SLOTS) {
      const p = possible[t]!;
      const i = LEAF0 + 31 - Math.clz32(p & -p);
      leaves[t] = i;
      z += value[b + i]!;
    }
    return z;
  }
  const { roots, left } = m;
  for (let t = 0; t < roots.length; t++) {
    let node = roots[t]!;
    for (let l = left[node]!; l >= 0; l = left[node]!) node = x[f[node]!]! <= th[node]! ? l : l + 1;
    z += value[node]!;
  }
  return z;
}

/**
 * The model's log-odds for `x`, and in `out[i]` what feature i contributed to it (path attribution: along each
 * tree's path, the change in node value at a split goes to the split's feature; the roots' values and the bias
 * make up the rest). Call it right after `modelMargin(m, x)`: in the `complete` layout it follows the paths to the
 * leaves that walk kept (a padded split adds 0: its children carry its value).
 */
export function modelContributions(m: CompiledModel, x: Float64Array, out: Float64Array): number {
  const { feature, threshold, value } = m;
  out.fill(0);
  let z = m.bias;
  if (m.complete) {
    const leaves = m.leaves;
    for (let t = 0, b = 0; t < leaves.length; t++, b += SLOTS) {
      const n3 = leaves[t]!;
      const n2 = (n3 - 1) >> 1;
      const n1 = (n2 - 1) >> 1;
      const d1 = value[b + n1]! - value[b]!;
      const d2 = value[b + n2]! - value[b + n1]!;
      const d3 = value[b + n3]! - value[b + n2]!;
      out[feature[b]!]! += d1;
      out[feature[b + n1]!]! += d2;
      out[feature[b + n2]!]! += d3;
      // One addition per step, in path order, as the node walk adds them.
      z += value[b]!;
      z += d1;
      z += d2;
      z += d3;
    }
    return z;
  }
  const { roots, left } = m;
  for (let t = 0; t < roots.length; t++) {
    let node = roots[t]!;
    z += value[node]!;
    for (let l = left[node]!; l >= 0; l = left[node]!) {
      const f = feature[node]!;
      const next = x[f]! <= threshold[node]! ? l : l + 1;
      const delta = value[next]! - value[node]!;
      out[f]! += delta;
      z += delta;
      node = next;
    }
  }
  return z;
}

/**
 * The reasons of a model score from the contributions `work` (see modelContributions): each feature with a
 * positive contribution gets the share of `modelScore` its contribution has among the positive ones (so the reasons
 * add up to the model's part of the score), highest first; shares under half a point are left out. `detail(i)`
 * describes slot i.
 */
export function modelReasons(
  m: CompiledModel,
  work: Float64Array,
  modelScore: number,
  detail: (slot: number) => string | undefined,
): FraudReason[] {
  if (modelScore < MIN_REASON) return [];
  let positive = 0;
  for (let i = 0; i < m.codes.length; i++) if (work[i]! > 0) positive += work[i]!;
  if (positive === 0) return [];
  const reasons: FraudReason[] = [];
  for (let i = 0; i < m.codes.length; i++) {
    const c = work[i]!;
    if (c <= 0) continue;
    const contribution = Math.round(((modelScore * c) / positive) * 100) / 100;
    if (contribution < MIN_REASON) continue;
    const d = detail(i);
    reasons.push(
      d === undefined
        ? { code: m.codes[i]!, contribution }
        : { code: m.codes[i]!, contribution, detail: d.slice(0, 1024) },
    );
  }
  reasons.sort((a, b) => b.contribution - a.contribution || (a.code < b.code ? -1 : 1));
  return reasons.length > MAX_REASONS ? reasons.slice(0, MAX_REASONS) : reasons;
}

/** Feature codes some tree of `model` splits on. */
export function usedFeatures(model: FraudModel): Set<string> {
  const used = new Set<string>();
  for (const t of model.trees) for (const f of t.feature) if (f >= 0) used.add(model.features[f]!);
  return used;
}
