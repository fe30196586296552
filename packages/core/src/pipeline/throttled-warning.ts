import { warn } from '../runtime.js';
import type { PipelineErrorHandler } from './types.js';

const WARN_INTERVAL_MS = 60_000;

/** A default error handler: one console warning per plugin per minute, the rest only counted. */
export function createThrottledWarning(now: () => number = Date.now): PipelineErrorHandler {
  const last = new Map<string, number>();
  return (error, { plugin }) => {
    const t = now();
    const prev = last.get(plugin);
    if (prev !== undefined && t - prev < WARN_INTERVAL_MS) return;
    last.set(plugin, t);
    const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    warn(`[shoplog] ${plugin}: ${text} (further errors of "${plugin}" are counted in metrics, not printed, for 60 s)`);
  };
}
