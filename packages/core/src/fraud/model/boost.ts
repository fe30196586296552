import type { FraudModelTree } from './model.js';

/** Labelled feature vectors: `rows` vectors of `dims` numbers each, row-major, with labels 1 (fraud) / 0. */
export interface TrainingData {
  dims: number;
  rows: number;
  x: Float64Array | Float32Array;
  y: Uint8Array;
  /** Log-odds each example starts from (a model being refined); then the result's bias is 0. */
  baseMargin?: Float64Array | undefined;
}

/** Options of `fitTrees`. */
export interface BoostOptions {
  /** @default 100 */
  trees?: number;
  /** @default 4 */
  depth?: number;
  /** Shrinks each tree's output. @default 0.1 */
  learningRate?: number;
  /** L2 penalty on leaf values (larger: smaller, steadier leaves). @default 5 */
  l2?: number;
  /** Smallest hessian sum (≈ examples near p = 0.5 weigh 0.25 each) a child may have. @default 3 */
  minChildWeight?: number;
  /** Smallest loss reduction worth a split. @default 1 */
  minGain?: number;
  /** Candidate thresholds per feature (quantiles of its non-zero values). @default 32 */
  bins?: number;
  /**
   * Per feature: 1 when the output may only grow with it (a risk signal never lowers a score), -1 when it may only
   * shrink (a trust signal, such as a longer history, never raises it), 0 free. @default all free
   */
  monotone?: readonly number[];
}

/**
 * Fits gradient-boosted regression trees for the log loss (Newton leaves, histogram splits, monotone constraints
 * in the XGBoost way: a split on an increasing feature must not put a larger value on its left, and the children
 * inherit the bound between them; the other way round for a decreasing one). Deterministic: the same data gives the same trees. Node values include the
 * learning rate; inner nodes keep theirs, for path attributions.
 */
export function fitTrees(data: TrainingData, options: BoostOptions = {}): { bias: number; trees: FraudModelTree[] } {
  const { dims: d, rows: n, x, y } = data;
  const depth = options.depth ?? 4;
  const rate = options.learningRate ?? 0.1;
  const l2 = options.l2 ?? 5;
  const minChild = options.minChildWeight ?? 3;
  const minGain = options.minGain ?? 1;
  const monotone = options.monotone ?? [];
  const { edges, columns } = binned(x, n, d, options.bins ?? 32);
  let positives = 0;
  for (let i = 0; i < n; i++) positives += y[i]!;
  const share = Math.min(1 - 1e-6, Math.max(1e-6, positives / Math.max(1, n)));
  const bias = data.baseMargin ? 0 : Math.log(share / (1 - share));
  const margin = new Float64Array(n);
  for (let i = 0; i < n; i++) margin[i] = (data.baseMargin?.[i] ?? 0) + bias;
  const g = new Float64Array(n);
  const h = new Float64Array(n);
  const nodeOf = new Int32Array(n);
  const trees: FraudModelTree[] = [];
  const newton = (G: number, H: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, -G / (H + l2)));
  const score = (G: number, H: number): number => (G * G) / (H + l2);
  for (let t = 0; t < (options.trees ?? 100); t++) {
    for (let i = 0; i < n; i++) {
      const p = 1 / (1 + Math.exp(-margin[i]!));
      g[i] = p - y[i]!;
      h[i] = Math.max(p * (1 - p), 1e-6);
    }
    nodeOf.fill(0);
    const tree = {
      feature: [-1],
      threshold: [0],
      left: [-1],
      right: [-1],
      value: [0],
      lo: [-Infinity],
      hi: [Infinity],
      G: [0],
      H: [0],
      bin: [0],
    };
    for (let i = 0; i < n; i++) {
      tree.G[0]! += g[i]!;
      tree.H[0]! += h[i]!;
    }
    tree.value[0] = newton(tree.G[0]!, tree.H[0]!, -Infinity, Infinity);
    let frontier = [0];
    for (let level = 0; level < depth && frontier.length > 0; level++) {
      const m = frontier.length;
      const slotOf = new Int32Array(tree.feature.length).fill(-1);
      frontier.forEach((node, k) => (slotOf[node] = k));
      const best = frontier.map(() => ({ gain: minGain, j: -1, b: -1, GL: 0, HL: 0 }));
      for (let j = 0; j < d; j++) {
        const nb = edges[j]!.length + 1;
        if (nb < 2) continue;
        const hg = new Float64Array(m * nb);
        const hh = new Float64Array(m * nb);
        const col = columns[j]!;
        for (let i = 0; i < n; i++) {
          const k = slotOf[nodeOf[i]!]!;
          if (k < 0) continue;
          hg[k * nb + col[i]!]! += g[i]!;
          hh[k * nb + col[i]!]! += h[i]!;
        }
        for (let k = 0; k < m; k++) {
          const node = frontier[k]!;
          const G = tree.G[node]!;
          const H = tree.H[node]!;
          const lo = tree.lo[node]!;
          const hi = tree.hi[node]!;
          const parent = score(G, H);
          let GL = 0;
          let HL = 0;
          for (let b = 0; b < nb - 1; b++) {
            GL += hg[k * nb + b]!;
            HL += hh[k * nb + b]!;
            const GR = G - GL;
            const HR = H - HL;
            if (HL < minChild || HR < minChild) continue;
            const dir = monotone[j] ?? 0;
            if (dir !== 0 && dir * (newton(GR, HR, lo, hi) - newton(GL, HL, lo, hi)) < 0) continue;
            const gain = score(GL, HL) + score(GR, HR) - parent;
            if (gain > best[k]!.gain) best[k] = { gain, j, b, GL, HL };
          }
        }
      }
      const next: number[] = [];
      frontier.forEach((node, k) => {
        const s = best[k]!;
        if (s.j < 0) return;
        const lo = tree.lo[node]!;
        const hi = tree.hi[node]!;
        const GR = tree.G[node]! - s.GL;
        const HR = tree.H[node]! - s.HL;
        let lhi = hi;
        let rlo = lo;
        let llo = lo;
        let rhi = hi;
        const dir = monotone[s.j] ?? 0;
        if (dir !== 0) {
          // The children stay on their side of the bound between them: left below for an increasing feature, above
          // for a decreasing one.
          const mid = (newton(s.GL, s.HL, lo, hi) + newton(GR, HR, lo, hi)) / 2;
          if (dir > 0) {
            lhi = Math.min(hi, mid);
            rlo = Math.max(lo, mid);
          } else {
            llo = Math.max(lo, mid);
            rhi = Math.min(hi, mid);
          }
        }
        const add = (G: number, H: number, clo: number, chi: number): number => {
          tree.feature.push(-1);
          tree.threshold.push(0);
          tree.left.push(-1);
          tree.right.push(-1);
          tree.value.push(newton(G, H, clo, chi));
          tree.lo.push(clo);
          tree.hi.push(chi);
          tree.G.push(G);
          tree.H.push(H);
          tree.bin.push(0);
          return tree.feature.length - 1;
        };
        tree.feature[node] = s.j;
        tree.threshold[node] = edges[s.j]![s.b]!;
        tree.bin[node] = s.b;
        tree.left[node] = add(s.GL, s.HL, llo, lhi);
        tree.right[node] = add(GR, HR, rlo, rhi);
        next.push(tree.left[node]!, tree.right[node]!);
      });
      for (let i = 0; i < n; i++) {
        const node = nodeOf[i]!;
        const j = tree.feature[node]!;
        if (j >= 0 && slotOf[node]! >= 0)
          nodeOf[i] = columns[j]![i]! <= tree.bin[node]! ? tree.left[node]! : tree.right[node]!;
      }
      frontier = next;
    }
    const value = tree.value.map((v) => v * rate);
    for (let i = 0; i < n; i++) margin[i]! += value[nodeOf[i]!]!;
    trees.push({ feature: tree.feature, threshold: tree.threshold, left: tree.left, right: tree.right, value });
  }
  return { bias, trees };
}

/**
 * Quantile bins of every feature: bin 0 holds zeros and anything ≤ the first edge (0), bin b values ≤ edges[b],
 * the last bin the rest. Column-major bytes.
 */
function binned(
  x: Float64Array | Float32Array,
  n: number,
  d: number,
  bins: number,
): { edges: number[][]; columns: Uint8Array[] } {
  const edges: number[][] = [];
  const columns: Uint8Array[] = [];
  for (let j = 0; j < d; j++) {
    const values: number[] = [];
    for (let i = 0; i < n; i++) if (x[i * d + j]! > 0) values.push(x[i * d + j]!);
    values.sort((a, b) => a - b);
    const e = [0];
    for (let b = 1; b < bins; b++) {
      const v = values[Math.floor((b / bins) * values.length)];
      if (v !== undefined && v > e[e.length - 1]!) e.push(v);
    }
    edges.push(e);
    const col = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const v = x[i * d + j]!;
      let b = 0;
      while (b < e.length && v > e[b]!) b++;
      col[i] = b;
    }
    columns.push(col);
  }
  return { edges, columns };
}
