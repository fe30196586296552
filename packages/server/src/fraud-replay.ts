import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import {
  createFraudScorer,
  type FraudModel,
  type FraudResult,
  type FraudScorer,
  type ShoplogEvent,
  type TransactionEvent,
} from '@shoplog/core';
import type { LogStore, TimeRange } from './ports.js';

/** Transactions read per page of a replay; the event loop gets a turn between pages. */
const PAGE = 500;

/** What a replay scores stored transactions with: the rules alone, or a model. */
export type ReplayJudge = { kind: 'rules' } | { kind: 'model'; model: FraudModel };

/**
 * A fresh scorer with in-memory state for a replay: `rules` scores as the server's rule scorer does (noisy-OR of the
 * built-in rules), `model` with that model. A failed scoring throws (a replay counts it, never as an `allow`).
 */
export function createReplayScorer(judge: ReplayJudge): FraudScorer {
  // featureLog: a replay reads a transaction's features right after scoring it, so a short log is enough.
  return judge.kind === 'rules'
    ? createFraudScorer({ combine: 'noisy-or', onError: 'throw' })
    : createFraudScorer({ model: judge.model, onError: 'throw', featureLog: 8 });
}

/** Options of `replayTransactions`. */
export interface ReplayOptions {
  logs: LogStore;
  range: TimeRange;
  scorer: FraudScorer;
  /** Most transactions scored. */
  maxTransactions: number;
  /** Stops after this many milliseconds (checked between pages). */
  budgetMs: number;
  /** Called with each stored transaction, oldest first, and its judgement (`Error` when the scoring failed). */
  onScored(event: TransactionEvent, result: FraudResult | Error): void;
  now?: () => number;
  /** Checked between pages: true stops the replay (the server is closing). */
  stopped?: () => boolean;
}

/** How a replay ended: transactions scored, and why it stopped early (`null`: it covered the window). */
export interface ReplayOutcome {
  scanned: number;
  truncated: 'max_transactions' | 'time_budget' | 'stopped' | null;
}

/**
 * Scores the stored transactions of a window again, oldest first, with a fresh scorer (its velocity windows and
 * profiles build up from the window's start, as they did live), in pages with a turn of the event loop between
 * them so requests are still served while it runs.
 */
export async function replayTransactions(options: ReplayOptions): Promise<ReplayOutcome> {
  const now = options.now ?? Date.now;
  const started = now();
  let scanned = 0;
  let cursor: string | undefined;
  for (;;) {
    const size = Math.min(PAGE, options.maxTransactions - scanned);
    if (size <= 0) return { scanned, truncated: 'max_transactions' };
    const page = await options.logs.search({
      filter: { range: options.range, kinds: ['transaction'] },
      sort: { field: '@timestamp', order: 'asc' },
      page: 1,
      size,
      highlight: false,
      ...(cursor ? { cursor } : {}),
    });
    for (const { event } of page.hits) {
      scanned++;
      options.onScored(event as TransactionEvent, scoreOne(options.scorer, event));
    }
    if (page.nextCursor === null || page.hits.length === 0) return { scanned, truncated: null };
    if (scanned >= options.maxTransactions) return { scanned, truncated: 'max_transactions' };
    if (now() - started >= options.budgetMs) return { scanned, truncated: 'time_budget' };
    if (options.stopped?.()) return { scanned, truncated: 'stopped' };
    cursor = page.nextCursor;
    await yieldToEventLoop();
  }
}

function scoreOne(scorer: FraudScorer, event: ShoplogEvent): FraudResult | Error {
  try {
    return scorer.scoreSync(event as TransactionEvent);
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}
