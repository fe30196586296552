import type { FraudEvent, FraudResult, FraudVerdict, TransactionEvent } from '@shoplog/core';

/** The verdict a transaction carries in `shop.fraud`: the scorer's result in the event's words. */
export function verdictOf(result: FraudResult): FraudVerdict {
  return {
    score: result.score,
    risk_level: result.riskLevel,
    decision: result.decision,
    reasons: result.reasons.map((r) => ({ ...r })),
    ruleset_version: result.rulesetVersion,
  };
}

/** A copy of a verdict (each event gets its own objects: exporters and plugins may change them). */
export const copyVerdict = (verdict: FraudVerdict): FraudVerdict => ({
  ...verdict,
  reasons: verdict.reasons.map((r) => ({ ...r })),
});

/** `shop.*` of the fraud event (the alert) of a judged transaction. */
export function fraudShopOf(verdict: FraudVerdict, shop: TransactionEvent['shop']): FraudEvent['shop'] {
  const { transaction, amount, payment, billing } = shop;
  return {
    fraud: copyVerdict(verdict),
    transaction: { id: transaction.id },
    amount,
    ...(payment ? { payment: { method: payment.method, ...(payment.card ? { card: payment.card } : {}) } } : {}),
    ...(billing?.country ? { billing: { country: billing.country } } : {}),
  };
}
