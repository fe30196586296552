import { validate, type FraudReason, type TransactionEvent, type ValidationIssue } from '@shoplog/core';
import type { LogStore } from './ports.js';
import { fromSeedShape } from './ingest/seed-shapes.js';
import { majorAmount } from './store/sqlite-facts.js';

/** A fraud score with its explanation (the shape of `shop.fraud`). */
export interface FraudResult {
  score: number;
  risk_level: 'minimal' | 'low' | 'medium' | 'high';
  decision: 'allow' | 'review' | 'block';
  reasons: FraudReason[];
  ruleset_version: string;
  transaction_id: string;
}

/**
 * Scores a transaction with the seed platform's rules, using the stored history as velocity state: high amount
 * (> 10 000, +20), rapid transactions (> 3 by the user in 5 min, +25), multiple failed attempts (≥ 3 failed or
 * declined in 1 h, +20). Stopgap until `createFraudScorer` of @shoplog/core lands (then it delegates to it).
 */
export async function scoreTransaction(logs: LogStore, input: Record<string, unknown>): Promise<FraudResult | { issues: ValidationIssue[] }> {
  const normalized = fromSeedShape({ log_type: 'transaction', ...input });
  const checked = validate(normalized);
  if (!checked.ok) return { issues: checked.issues };
  if (checked.event.event.dataset !== 'shoplog.transaction') return { issues: [{ path: 'event.dataset', message: 'must be shoplog.transaction' }] };
  const tx = checked.event as TransactionEvent;
  const now = Date.parse(tx['@timestamp']);
  const reasons: FraudReason[] = [];
  const amount = majorAmount(tx.shop.amount)?.major ?? 0;
  if (amount > 10_000) reasons.push({ code: 'HIGH_AMOUNT', contribution: 20, detail: `amount ${amount} above 10000` });
  const user = tx.user?.id;
  if (user) {
    const [recent, failed] = await Promise.all([
      logs.count({ kinds: ['transaction'], userIds: [user], range: { from: now - 5 * 60_000, to: now + 1 } }),
      logs.count({ kinds: ['transaction'], userIds: [user], transactionStatuses: ['failed', 'declined'], range: { from: now - 3_600_000, to: now + 1 } }),
    ]);
    if (recent > 3) reasons.push({ code: 'RAPID_TRANSACTIONS', contribution: 25, detail: `${recent} transactions in 5 minutes` });
    if (failed >= 3) reasons.push({ code: 'MULTIPLE_FAILED_ATTEMPTS', contribution: 20, detail: `${failed} failed attempts in 1 hour` });
  }
  reasons.sort((a, b) => b.contribution - a.contribution);
  const score = Math.min(100, reasons.reduce((sum, r) => sum + r.contribution, 0));
  return {
    score,
    risk_level: score >= 75 ? 'high' : score >= 50 ? 'medium' : score >= 25 ? 'low' : 'minimal',
    decision: score >= 75 ? 'block' : score >= 50 ? 'review' : 'allow',
    reasons,
    ruleset_version: 'seed-compat-1',
    transaction_id: tx.shop.transaction.id,
  };
}
