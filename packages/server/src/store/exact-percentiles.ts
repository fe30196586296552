import type { LatencySummary } from '../ports.js';

/** Exact percentile (nearest rank) of sorted values. */
export function nearestRank(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[rank - 1] ?? null;
}

/** Exact count, mean, max and p50/p90/p95/p99 (nearest rank) of latencies in milliseconds. */
export function exactSummary(values: number[]): LatencySummary {
  const sorted = [...values].sort((a, b) => a - b);
  const sum = sorted.reduce((acc, value) => acc + value, 0);
  return {
    count: sorted.length,
    mean: sorted.length === 0 ? null : sum / sorted.length,
    max: sorted.length === 0 ? null : (sorted[sorted.length - 1] ?? null),
    p50: nearestRank(sorted, 0.5),
    p90: nearestRank(sorted, 0.9),
    p95: nearestRank(sorted, 0.95),
    p99: nearestRank(sorted, 0.99),
  };
}
