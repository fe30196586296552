/** Time as the dispatcher sees it: tests pass a manual clock and move it instead of sleeping. */
export interface NotifyClock {
  /** Current time in epoch milliseconds. */
  now(): number;
  /** Runs `callback` after `ms` milliseconds; returns a function that cancels it. */
  setTimer(callback: () => void, ms: number): () => void;
}

/** The real clock: `Date.now` and unref'd timers (a pending retry never keeps the process alive). */
export const systemClock: NotifyClock = {
  now: () => Date.now(),
  setTimer(callback, ms) {
    const timer = setTimeout(callback, ms);
    timer.unref();
    return () => clearTimeout(timer);
  },
};

/** A clock that moves only when told to. */
export interface ManualClock extends NotifyClock {
  /** Moves time forward, running every timer that falls due, in time order. */
  advance(ms: number): void;
  /** Timers not run yet. */
  readonly pendingTimers: number;
  /** Resolves once a timer is pending (at once if one is): a test waits for a retry to be scheduled, not for time. */
  whenTimer(): Promise<void>;
}

/** Creates a manual clock starting at `start` (epoch milliseconds). @param start @default 0 */
export function createManualClock(start = 0): ManualClock {
  let now = start;
  let sequence = 0;
  const timers = new Map<number, { at: number; callback: () => void }>();
  let waiting: (() => void)[] = [];
  return {
    now: () => now,
    setTimer(callback, ms) {
      const id = ++sequence;
      timers.set(id, { at: now + Math.max(0, ms), callback });
      const wake = waiting;
      waiting = [];
      for (const resolve of wake) resolve();
      return () => timers.delete(id);
    },
    whenTimer() {
      return timers.size > 0 ? Promise.resolve() : new Promise((resolve) => waiting.push(resolve));
    },
    advance(ms) {
      const target = now + ms;
      for (;;) {
        let next: [number, { at: number; callback: () => void }] | undefined;
        for (const entry of timers) if (entry[1].at <= target && (!next || entry[1].at < next[1].at)) next = entry;
        if (!next) break;
        timers.delete(next[0]);
        now = next[1].at;
        next[1].callback();
      }
      now = target;
    },
    get pendingTimers() {
      return timers.size;
    },
  };
}
