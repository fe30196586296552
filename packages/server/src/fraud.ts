import {
  createFraudScorer,
  createMemoryVelocityStore,
  FraudInputSchema,
  normalize,
  toIssues,
  type FraudResult,
  type FraudScorer,
  type TransactionEvent,
  type ValidationIssue,
  type VelocityStore,
} from '@shoplog/core';

/**
 * The server's fraud scorer (`createFraudScorer` of @shoplog/core, built-in rules combined by noisy-OR) over a
 * velocity store: ingest scores with it the transactions that arrive without their shop's verdict, and so does
 * `POST /api/fraud/detect`; both record into the velocity windows (which is why detect needs the ingest
 * permission). Pass a shared store (Redis) so that every instance sees the same windows. (Core's learned model
 * keeps profiles in a `FraudStateStore`; the server keeps the rules until it shares those profiles through Redis.)
 * @param store the velocity state. @default an in-process `createMemoryVelocityStore()`
 */
export function createServerFraudScorer(store: VelocityStore = createMemoryVelocityStore()): FraudScorer {
  return createFraudScorer({ store, combine: 'noisy-or' });
}

/**
 * Scores one transaction given as the scorer's flat input (`{ amount: minor units, currency, userId, … }`), an
 * envelope, or a seed-shaped transaction (`{ amount: 99.99, currency, user_id, … }`).
 */
export async function scoreTransaction(scorer: FraudScorer, input: Record<string, unknown>): Promise<FraudResult | { issues: ValidationIssue[] }> {
  const flat = FraudInputSchema.safeParse(input);
  if (flat.success) return scorer.score(flat.data);
  const isEnvelope = typeof input.event === 'object' && input.event !== null;
  const checked = normalize(isEnvelope ? input : { log_type: 'transaction', ...input });
  if (!checked.ok) return { issues: checked.issues.length > 0 ? checked.issues : toIssues(flat.error) };
  if (checked.event.event.dataset !== 'shoplog.transaction') return { issues: [{ path: 'event.dataset', message: 'must be shoplog.transaction' }] };
  return scorer.score(checked.event as TransactionEvent);
}
