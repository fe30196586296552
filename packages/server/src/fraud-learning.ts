import {
  createFraudModelEvaluator,
  DEFAULT_FRAUD_MODEL,
  detectionReport,
  FraudModelSchema,
  type DetectionReport,
  type DetectionSample,
  type FraudLabel,
  type FraudModel,
  type FraudScorer,
  type TransactionEvent,
} from '@shoplog/core';
import { sha256 } from './auth/secrets.js';
import { createReplayScorer, replayTransactions } from './fraud-replay.js';
import type {
  EpochMs,
  FraudLabelKind,
  FraudLabelRecord,
  FraudModelMetrics,
  FraudModelRecord,
  LogStore,
  MetaStore,
} from './ports.js';

/** Labels read for a refit at most (the newest are left out beyond it). */
const MAX_LABELS = 100_000;
/** Transactions a refit replays at most, and for how long. */
const REFIT_MAX_TRANSACTIONS = 500_000;
const REFIT_BUDGET_MS = 120_000;
/** The replay of a refit starts this long before the oldest label, so profiles have a history when labels come. */
const WARMUP_MS = 7 * 86_400_000;
/** Pages of 500 free-text hits a transaction id is looked up in. */
const LOOKUP_PAGES = 10;
/** Versions `rollback` can go back through. */
const HISTORY = 20;
/** The setting that holds the activated versions, oldest first (`[]`: the built-in default model). */
const ACTIVE_SETTING = 'fraud.activeModels';
/** Name of the built-in model among the versions. */
export const DEFAULT_VERSION = 'default';

/** Why a refit made no model: too few labels, said with the counts; the current model stays active. */
export class TooFewLabelsError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = 'TooFewLabelsError';
  }
}

/** Options of `createFraudLearning`. */
export interface FraudLearningOptions {
  logs: LogStore;
  meta: MetaStore;
  /** The live scorer: a version activated here is used by it when it scores with a model (`combine: 'model'`). */
  scorer: FraudScorer;
  /** Fewest labels the refit is fitted on (and 5 of each class). @default 50 */
  minLabels?: number;
  warn(message: string): void;
  now?: () => number;
}

/** The server's learning from the shop's labels: labels, refits, versions, rollback. */
export interface FraudLearning {
  /** The stored transaction with this `shop.transaction.id`, or undefined. */
  findTransaction(transactionId: string): Promise<TransactionEvent | undefined>;
  /** Stores a label of a stored transaction (undefined when no such transaction is stored). */
  label(input: {
    transactionId: string;
    label: FraudLabelKind;
    actor: string;
  }): Promise<{ outcome: 'created' | 'unchanged' | 'replaced'; record: FraudLabelRecord } | undefined>;
  /** Refits the active model on the stored labels and activates the result; `TooFewLabelsError` keeps the current one. */
  refit(trigger: FraudModelRecord['trigger']): Promise<{ record: FraudModelRecord; created: boolean }>;
  /** The active version (`default` for the built-in model). */
  activeVersion(): Promise<string>;
  /** The model of a version (`default`, a stored one), or undefined. */
  modelOf(version: string): Promise<FraudModel | undefined>;
  /** Activates a version (undefined when unknown). */
  activate(version: string): Promise<string | undefined>;
  /** Goes back to the version active before; undefined when there is none. */
  rollback(): Promise<string | undefined>;
  /** Applies the persisted active version to the live scorer (at start). */
  restore(): Promise<void>;
  /** Refits when labels changed since the last refit (the scheduled run); reports too few labels once per count. */
  scheduledRefit(): Promise<void>;
}

const coreLabel = (label: FraudLabelKind): FraudLabel =>
  label === 'legitimate' ? 'legitimate' : label === 'chargeback' ? 'chargeback' : 'fraud';
/** One label in five is held back from fitting, to measure the refit against the model it came from. */
const heldBack = (transactionId: string): boolean => Number.parseInt(sha256(transactionId).slice(0, 4), 16) % 5 === 0;
const round3 = (x: number): number => Math.round(x * 1000) / 1000;

function metricsOf(report: DetectionReport, fraud: number): FraudModelMetrics {
  return {
    labels: report.total,
    fraud,
    precision: round3(report.precision),
    recall: round3(report.recall),
    rocAuc: report.rocAuc === undefined ? null : round3(report.rocAuc),
  };
}

/** Creates the learning side of the server over its stores and live scorer. */
export function createFraudLearning(options: FraudLearningOptions): FraudLearning {
  const { logs, meta, scorer } = options;
  const now = options.now ?? Date.now;
  const minLabels = options.minLabels ?? 50;
  let refitting: Promise<unknown> | undefined;
  let reportedCount = -1;
  let lastRefitCount = -1;

  const stack = async (): Promise<string[]> => {
    const text = await meta.getSetting(ACTIVE_SETTING);
    const parsed: unknown = text ? JSON.parse(text) : [];
    return Array.isArray(parsed) ? parsed.filter((v): v is string => typeof v === 'string') : [];
  };
  const activeVersion = async (): Promise<string> => (await stack()).at(-1) ?? DEFAULT_VERSION;
  const modelOf = async (version: string): Promise<FraudModel | undefined> => {
    if (version === DEFAULT_VERSION) return DEFAULT_FRAUD_MODEL;
    const record = await meta.getFraudModel(version);
    return record ? FraudModelSchema.parse(record.model) : undefined;
  };
  /** The live scorer takes the model when it scores with one (a rules-only scorer has none to replace). */
  const applyLive = (model: FraudModel): void => {
    if (scorer.model !== undefined) scorer.useModel(model);
  };

  const findTransaction = async (transactionId: string): Promise<TransactionEvent | undefined> => {
    const lookup = async (): Promise<TransactionEvent | undefined> => {
      // The free text covers the transaction id (every word required); the exact id is then checked on the hits. An
      // id of common words ("1") matches many: a few pages are looked through, newest first.
      let cursor: string | undefined;
      for (let pages = 0; pages < LOOKUP_PAGES; pages++) {
        const page = await logs.search({
          filter: { kinds: ['transaction'], text: transactionId },
          sort: { field: '@timestamp', order: 'desc' },
          page: 1,
          size: 500,
          highlight: false,
          ...(cursor ? { cursor } : {}),
        });
        const found = page.hits
          .map((h) => h.event as TransactionEvent)
          .find((e) => e.shop?.transaction?.id === transactionId);
        if (found || page.nextCursor === null) return found;
        cursor = page.nextCursor;
      }
      return undefined;
    };
    const found = await lookup();
    if (found) return found;
    // A transaction acknowledged a moment ago may not be searchable yet.
    await logs.whenSearchable();
    return lookup();
  };

  const setStack = (versions: string[]): Promise<void> =>
    meta.setSetting(ACTIVE_SETTING, JSON.stringify(versions.slice(-HISTORY)));

  const activate = async (version: string): Promise<string | undefined> => {
    const model = await modelOf(version);
    if (!model) return undefined;
    const versions = await stack();
    if (versions.at(-1) !== version) await setStack([...versions, version]);
    applyLive(model);
    return version;
  };

  const refitNow = async (
    trigger: FraudModelRecord['trigger'],
  ): Promise<{ record: FraudModelRecord; created: boolean }> => {
    const labels = await meta.listFraudLabels({ limit: MAX_LABELS });
    const fraudCount = labels.filter((l) => l.label !== 'legitimate').length;
    if (labels.length < minLabels || fraudCount < 5 || labels.length - fraudCount < 5) {
      throw new TooFewLabelsError(
        `a refit needs at least ${minLabels} labels with 5 of each class; there are ${labels.length} (${fraudCount} fraud, ${labels.length - fraudCount} legitimate): the active model stays`,
      );
    }
    const basedOn = await activeVersion();
    const base = (await modelOf(basedOn)) ?? DEFAULT_FRAUD_MODEL;
    const byId = new Map(labels.map((l) => [l.transactionId, l]));
    const trainer = createReplayScorer({ kind: 'model', model: base });
    const held: Array<{
      features: Record<string, number>;
      fraud: boolean;
      score: number;
      decision: DetectionSample['decision'];
    }> = [];
    const seen = new Set<string>();
    let fed = 0;
    let fedFraud = 0;
    await replayTransactions({
      logs,
      range: { from: labels[0]!.at - WARMUP_MS, to: labels.at(-1)!.at + 1 },
      scorer: trainer,
      maxTransactions: REFIT_MAX_TRANSACTIONS,
      budgetMs: REFIT_BUDGET_MS,
      now,
      onScored(event, result) {
        const id = event.shop?.transaction?.id;
        const label = id === undefined ? undefined : byId.get(id);
        if (!label || result instanceof Error || seen.has(label.transactionId)) return;
        seen.add(label.transactionId);
        const fraud = label.label !== 'legitimate';
        if (heldBack(label.transactionId)) {
          held.push({
            features: trainer.featuresOf(label.transactionId) ?? {},
            fraud,
            score: result.score,
            decision: result.decision,
          });
        } else if (trainer.feedback({ transactionId: label.transactionId, label: coreLabel(label.label) })) {
          fed++;
          if (fraud) fedFraud++;
        }
      },
    });
    const missing = labels.length - seen.size;
    let model: FraudModel;
    try {
      model = trainer.refit({ activate: false, minExamples: minLabels });
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      throw new TooFewLabelsError(
        `${error.message}, after ${held.length} of ${labels.length} labels were held back to measure the model and ${missing} named transactions no longer stored: the active model stays`,
      );
    }
    const existing = await meta.getFraudModel(model.version);
    if (existing) {
      await activate(existing.version);
      return { record: existing, created: false };
    }
    let metrics: FraudModelRecord['metrics'] = null;
    if (held.length >= 5) {
      const evaluate = createFraudModelEvaluator(model);
      const review = model.thresholds?.review ?? 50;
      const block = model.thresholds?.block ?? 75;
      const heldFraud = held.filter((h) => h.fraud).length;
      const after = held.map((h): DetectionSample => {
        const score = evaluate(h.features);
        return {
          fraud: h.fraud,
          scenario: 'held-back',
          score,
          decision: score >= block ? 'block' : score >= review ? 'review' : 'allow',
        };
      });
      const before = held.map((h): DetectionSample => ({
        fraud: h.fraud,
        scenario: 'held-back',
        score: h.score,
        decision: h.decision,
      }));
      metrics = {
        model: metricsOf(detectionReport(after), heldFraud),
        basedOn: metricsOf(detectionReport(before), heldFraud),
      };
    }
    const record: FraudModelRecord = {
      version: model.version,
      model: model as unknown as Record<string, unknown>,
      basedOn,
      trigger,
      trained: { labels: fed, fraud: fedFraud, missing },
      metrics,
      createdAt: now() as EpochMs,
    };
    await meta.addFraudModel(record);
    await activate(record.version);
    return { record, created: true };
  };

  const refit = (trigger: FraudModelRecord['trigger']): Promise<{ record: FraudModelRecord; created: boolean }> => {
    // One refit at a time: a second one waits for the first, then refits on what is stored by then.
    const run = (refitting ?? Promise.resolve()).then(() => refitNow(trigger));
    refitting = run.catch(() => undefined);
    return run;
  };

  return {
    findTransaction,
    async label({ transactionId, label, actor }) {
      const event = await findTransaction(transactionId);
      if (!event) return undefined;
      const record: FraudLabelRecord = {
        transactionId,
        label,
        at: Date.parse(event['@timestamp']),
        actor,
        createdAt: now(),
      };
      const outcome = await meta.putFraudLabel(record);
      return {
        outcome,
        record: outcome === 'unchanged' ? ((await meta.getFraudLabel(transactionId)) ?? record) : record,
      };
    },
    refit,
    activeVersion,
    modelOf,
    activate,
    async rollback() {
      const versions = await stack();
      if (versions.length === 0) return undefined;
      versions.pop();
      const previous = versions.at(-1) ?? DEFAULT_VERSION;
      const model = await modelOf(previous);
      if (!model) return undefined;
      await setStack(versions);
      applyLive(model);
      return previous;
    },
    async restore() {
      const version = await activeVersion();
      const model = await modelOf(version);
      if (!model) {
        options.warn(`fraud model ${version} was active but is not stored: scoring with the built-in model`);
        return;
      }
      if (version !== DEFAULT_VERSION) applyLive(model);
    },
    async scheduledRefit() {
      const count = await meta.countFraudLabels();
      if (count === lastRefitCount) return;
      try {
        await refit('scheduled');
        lastRefitCount = count;
      } catch (error) {
        if (!(error instanceof TooFewLabelsError)) throw error;
        if (count !== reportedCount) options.warn(`scheduled fraud model refit skipped: ${error.message}`);
        reportedCount = count;
      }
    },
  };
}
