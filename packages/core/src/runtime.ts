// core sees no Node or DOM types (it also runs in workers and at the edge): the few host globals it uses are
// read from globalThis through this narrow view, present in every JavaScript runtime that matters here.
interface HostGlobals {
  console?: { warn(...args: unknown[]): void };
  setTimeout?: (fn: () => void, ms: number) => unknown;
  clearTimeout?: (handle: unknown) => void;
}

const host = globalThis as unknown as HostGlobals;

/** Writes a warning to the host console, if there is one. */
export function warn(...args: unknown[]): void {
  host.console?.warn(...args);
}

/** A timer that does not keep a Node process alive; returns a function that cancels it. */
export function startTimer(fn: () => void, ms: number): () => void {
  const handle = host.setTimeout?.(fn, ms) as { unref?: () => void } | undefined;
  handle?.unref?.();
  return () => host.clearTimeout?.(handle);
}
