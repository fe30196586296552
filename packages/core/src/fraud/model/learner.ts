import { PROFILE_FEATURES } from '../features/catalog.js';
import { fnv1a } from '../scorer-options.js';
import { fitTrees } from './boost.js';
import { FraudModelSchema, type FraudModel } from './model.js';

/** What a shop learned about a transaction: a chargeback or confirmed fraud, or confirmed legitimate. */
export type FraudLabel = 'chargeback' | 'fraud' | 'legitimate';

/** Labels the scorer learns from: a scored transaction by id (its features are in the scorer's log) or its features. */
export type FraudFeedback =
  { transactionId: string; label: FraudLabel } | { features: Readonly<Record<string, number>>; label: FraudLabel };

/** Options of `refit`. */
export interface RefitOptions {
  /** Trees added to the active model, fitted on the labels (boosting from its scores). @default 20 */
  trees?: number;
  /** L2 penalty on the new trees' leaves: higher keeps the refit closer to the active model. @default 20 */
  l2?: number;
  /** Fewest labels (and at least 5 of each class) before a refit is allowed. @default 50 */
  minExamples?: number;
  /** Make the new model the active one. @default true */
  activate?: boolean;
}

/** How many past models `rollback` can go back to. */
const HISTORY = 20;

/**
 * The scorer's learning side (internal): a ring of the feature vectors of recent scorings (by transaction id),
 * the labelled examples fed back, and the versions of the model with rollback.
 */
export class Learner {
  private readonly log: Float32Array;
  private readonly ids: Array<string | undefined>;
  private next = 0;
  private readonly examples: Array<{ x: Float32Array; y: number }> = [];
  private readonly history: FraudModel[];

  constructor(
    /** Feature codes of the scorer's vector. */
    readonly codes: readonly string[],
    private readonly capacity: number,
    initial: FraudModel,
    /** Per vector slot: 1 when the score may only grow with it (risk features, rules), -1 only shrink (trust). */
    private readonly monotone: readonly number[],
  ) {
    this.log = new Float32Array(capacity * codes.length);
    this.ids = new Array<string | undefined>(capacity);
    this.history = [initial];
  }

  /** The active model. */
  get model(): FraudModel {
    return this.history[this.history.length - 1]!;
  }

  /** Models activated so far, oldest first. */
  get models(): readonly FraudModel[] {
    return [...this.history];
  }

  /** Keeps the vector `x` of transaction `id` (the oldest kept vector makes room). */
  remember(id: string, x: Float64Array): void {
    if (this.capacity === 0) return;
    const d = this.codes.length;
    const slot = this.next;
    this.ids[slot] = id;
    this.next = (slot + 1) % this.capacity;
    for (let i = 0; i < d; i++) this.log[slot * d + i] = x[i]!;
  }

  /**
   * The slot of transaction `id`, newest first, or -1. A scan, not an index: labels are rare and scorings are many,
   * so the scorings pay nothing for it.
   */
  private slotOf(id: string): number {
    for (let k = 1; k <= this.capacity; k++) {
      const slot = (this.next - k + this.capacity) % this.capacity;
      if (this.ids[slot] === id) return slot;
    }
    return -1;
  }

  /** The features of a recently scored transaction by code (zeros left out), or undefined when no longer kept. */
  featuresOf(id: string): Record<string, number> | undefined {
    const slot = this.slotOf(id);
    if (slot < 0) return undefined;
    const d = this.codes.length;
    const out: Record<string, number> = {};
    for (let i = 0; i < d; i++) {
      const v = this.log[slot * d + i]!;
      if (v !== 0) out[this.codes[i]!] = v;
    }
    return out;
  }

  /** Adds a labelled example; false when the transaction's features are no longer kept (pass them instead). */
  feedback(f: FraudFeedback): boolean {
    const d = this.codes.length;
    const x = new Float32Array(d);
    if ('transactionId' in f) {
      const slot = this.slotOf(f.transactionId);
      if (slot < 0) return false;
      x.set(this.log.subarray(slot * d, slot * d + d));
    } else {
      const at = new Map(this.codes.map((c, i) => [c, i]));
      for (const [code, v] of Object.entries(f.features)) {
        const i = at.get(code);
        if (i === undefined) throw new TypeError(`feedback: unknown feature ${code}`);
        if (!Number.isFinite(v)) throw new TypeError(`feedback: feature ${code} must be a finite number`);
        x[i] = v;
      }
    }
    if (f.label !== 'chargeback' && f.label !== 'fraud' && f.label !== 'legitimate')
      throw new TypeError(`feedback: label must be chargeback, fraud or legitimate, got ${String(f.label)}`);
    this.examples.push({ x, y: f.label === 'legitimate' ? 0 : 1 });
    return true;
  }

  /** Labelled examples so far: total and fraud. */
  get labels(): { total: number; fraud: number } {
    let fraud = 0;
    for (const e of this.examples) fraud += e.y;
    return { total: this.examples.length, fraud };
  }

  /**
   * Refits from the active model on the examples: a few more trees boosted from the active model's scores
   * (`margin` of a vector), so few labels nudge it and many reshape it. Returns the new model.
   */
  refit(margin: (x: Float64Array) => number, options: RefitOptions = {}): FraudModel {
    const minExamples = options.minExamples ?? 50;
    const { total, fraud } = this.labels;
    if (total < minExamples || fraud < 5 || total - fraud < 5) {
      throw new RangeError(
        `refit needs at least ${minExamples} labels with 5 of each class; it has ${total} (${fraud} fraud, ${total - fraud} legitimate)`,
      );
    }
    const base = this.model;
    const d = this.codes.length;
    const x = new Float32Array(total * d);
    const y = new Uint8Array(total);
    const baseMargin = new Float64Array(total);
    const row = new Float64Array(d + 1); // + the scorer's always-0 slot
    this.examples.forEach((e, i) => {
      x.set(e.x, i * d);
      y[i] = e.y;
      row.set(e.x);
      baseMargin[i] = margin(row);
    });
    const added = fitTrees(
      { dims: d, rows: total, x, y, baseMargin },
      { trees: options.trees ?? 20, depth: 3, l2: options.l2 ?? 20, monotone: this.monotone },
    );
    // The refined model lists the scorer's features, then any of the active model's this scorer does not compute.
    const features = [...this.codes, ...base.features.filter((f) => !this.codes.includes(f))];
    const index = new Map(features.map((f, i) => [f, i]));
    const remap = (f: number): number => (f < 0 ? -1 : index.get(base.features[f]!)!);
    const round = (v: number): number => Math.round(v * 1e6) / 1e6;
    const trees = [
      ...base.trees.map((t) => ({ ...t, feature: t.feature.map(remap) })),
      ...added.trees.map((t) => ({ ...t, threshold: t.threshold.map(round), value: t.value.map(round) })),
    ];
    const model: FraudModel = FraudModelSchema.parse({
      version: `refit-${fnv1a(JSON.stringify({ base: base.version, trees: added.trees }))}`,
      features,
      bias: base.bias,
      trees,
      ...(base.thresholds ? { thresholds: base.thresholds } : {}),
      trainedOn: `${added.trees.length} trees boosted on ${total} labels (${fraud} fraud) from ${base.version}, ${new Date().toISOString()}`,
    });
    if (options.activate ?? true) this.use(model);
    return model;
  }

  /** Activates `model` (the previous one stays available to rollback). */
  use(model: FraudModel): void {
    this.history.push(model);
    if (this.history.length > HISTORY) this.history.shift();
  }

  /** Re-activates the previous model and returns it. */
  rollback(): FraudModel {
    if (this.history.length < 2) throw new RangeError('rollback: no earlier model to go back to');
    this.history.pop();
    return this.model;
  }
}

/** Per vector slot of a scorer with `ruleCount` rules: 1 for risk features and rules, -1 for trust features. */
export function monotoneSlots(ruleCount: number): number[] {
  return [...PROFILE_FEATURES.map((f) => (f.kind === 'risk' ? 1 : -1)), ...new Array<number>(ruleCount).fill(1)];
}
