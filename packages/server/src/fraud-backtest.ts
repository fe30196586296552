import { randomUUID } from 'node:crypto';
import type { FraudResult } from '@shoplog/core';
import { replayTransactions, createReplayScorer, type ReplayJudge } from './fraud-replay.js';
import type { LogStore, MetaStore, TimeRange } from './ports.js';

/** Longest window a backtest covers. */
export const BACKTEST_MAX_WINDOW_MS = 92 * 86_400_000;
/** Most transactions a backtest scores (the request's `limit` is at most this). */
export const BACKTEST_MAX_TRANSACTIONS = 200_000;
/** A backtest stops after this long, reporting how far it got. */
export const BACKTEST_BUDGET_MS = 60_000;
/** Finished backtests kept for `GET /api/fraud/backtest/:id`. */
const KEEP = 20;

/** Precision and recall of the flagged transactions against the labels (`null` where nothing defines them). */
export interface BacktestQuality {
  /** Flagged (review or block) transactions. */
  flagged: number;
  /** Of those, labelled fraud (chargeback, confirmed fraud) and labelled legitimate. */
  fraud: number;
  legitimate: number;
  /** fraud / (fraud + legitimate) among the flagged labelled ones. */
  precision: number | null;
  /** Labelled fraud flagged (by this reason) / all labelled fraud of the window. */
  recall: number | null;
}

/** What a backtest found. */
export interface BacktestReport {
  version: string;
  window: TimeRange;
  /** Transactions scored, and why it stopped early (`null`: the whole window). */
  scanned: number;
  truncated: 'max_transactions' | 'time_budget' | 'stopped' | null;
  decisions: { allow: number; review: number; block: number };
  /** Transactions whose scoring failed (counted in no decision). */
  errors: number;
  /** Labels of the scanned transactions. */
  labels: { fraud: number; legitimate: number };
  overall: BacktestQuality;
  /** Per reason code of the flagged transactions, most flagged first. */
  byReason: Array<{ code: string } & BacktestQuality>;
  durationMs: number;
}

/** A backtest run: running, done with its report, or failed. */
export interface BacktestJob {
  id: string;
  status: 'running' | 'done' | 'failed';
  version: string;
  window: TimeRange;
  startedAt: number;
  report?: BacktestReport;
  error?: string;
}

/** Options of `createBacktests`. */
export interface BacktestsOptions {
  logs: LogStore;
  meta: MetaStore;
  onError(error: unknown): void;
}

/** Runs backtests one at a time, off the request that asked (polled by id). */
export interface Backtests {
  /** Starts a backtest, or returns the one running (`busy`). */
  start(request: { version: string; judge: ReplayJudge; window: TimeRange; maxTransactions: number }): {
    job: BacktestJob;
    busy: boolean;
  };
  get(id: string): BacktestJob | undefined;
  /** Stops the running backtest at its next page and resolves once it ended. */
  close(): Promise<void>;
}

const ratio = (a: number, b: number): number | null => (b === 0 ? null : Math.round((a / b) * 1000) / 1000);
const quality = (flagged: number, fraud: number, legitimate: number, allFraud: number): BacktestQuality => ({
  flagged,
  fraud,
  legitimate,
  precision: ratio(fraud, fraud + legitimate),
  recall: ratio(fraud, allFraud),
});

/** Scores the stored transactions of a window with a version and measures the decisions against the labels. */
export async function runBacktest(
  logs: LogStore,
  meta: MetaStore,
  version: string,
  judge: ReplayJudge,
  window: TimeRange,
  maxTransactions: number,
  stopped?: () => boolean,
): Promise<BacktestReport> {
  const started = Date.now();
  const labelled = new Map(
    (await meta.listFraudLabels({ from: window.from, to: window.to, limit: maxTransactions })).map((l) => [
      l.transactionId,
      l.label !== 'legitimate',
    ]),
  );
  const decisions = { allow: 0, review: 0, block: 0 };
  const labels = { fraud: 0, legitimate: 0 };
  const flagged = { n: 0, fraud: 0, legitimate: 0 };
  const reasons = new Map<string, { n: number; fraud: number; legitimate: number }>();
  let errors = 0;
  const count = (fraud: boolean | undefined, into: { fraud: number; legitimate: number }): void => {
    if (fraud === true) into.fraud++;
    else if (fraud === false) into.legitimate++;
  };
  const outcome = await replayTransactions({
    logs,
    range: window,
    scorer: createReplayScorer(judge),
    maxTransactions,
    budgetMs: BACKTEST_BUDGET_MS,
    ...(stopped ? { stopped } : {}),
    onScored(event, result: FraudResult | Error) {
      if (result instanceof Error) {
        errors++;
        return;
      }
      const id = event.shop?.transaction?.id;
      const fraud = id === undefined ? undefined : labelled.get(id);
      count(fraud, labels);
      decisions[result.decision]++;
      if (result.decision === 'allow') return;
      flagged.n++;
      count(fraud, flagged);
      for (const reason of result.reasons) {
        let r = reasons.get(reason.code);
        if (!r) reasons.set(reason.code, (r = { n: 0, fraud: 0, legitimate: 0 }));
        r.n++;
        count(fraud, r);
      }
    },
  });
  return {
    version,
    window,
    scanned: outcome.scanned,
    truncated: outcome.truncated,
    decisions,
    errors,
    labels,
    overall: quality(flagged.n, flagged.fraud, flagged.legitimate, labels.fraud),
    byReason: [...reasons]
      .sort(([a, x], [b, y]) => y.n - x.n || (a < b ? -1 : 1))
      .map(([code, r]) => ({ code, ...quality(r.n, r.fraud, r.legitimate, labels.fraud) })),
    durationMs: Date.now() - started,
  };
}

/** Creates the backtest runner (one at a time; the latest finished ones are kept). */
export function createBacktests(options: BacktestsOptions): Backtests {
  const jobs = new Map<string, BacktestJob>();
  let running: { job: BacktestJob; done: Promise<void> } | undefined;
  let closed = false;
  return {
    start({ version, judge, window, maxTransactions }) {
      if (running) return { job: running.job, busy: true };
      const job: BacktestJob = { id: randomUUID(), status: 'running', version, window, startedAt: Date.now() };
      jobs.set(job.id, job);
      while (jobs.size > KEEP) jobs.delete(jobs.keys().next().value!);
      const done = runBacktest(options.logs, options.meta, version, judge, window, maxTransactions, () => closed).then(
        (report) => {
          job.status = 'done';
          job.report = report;
        },
        (error: unknown) => {
          job.status = 'failed';
          job.error = error instanceof Error ? error.message : String(error);
          options.onError(error);
        },
      );
      running = { job, done: done.finally(() => (running = undefined)) };
      return { job, busy: false };
    },
    get: (id) => jobs.get(id),
    async close() {
      closed = true;
      await running?.done;
    },
  };
}
