// core sees no Node or DOM types (it also runs in workers and at the edge): the few host globals it uses are
// read from globalThis through this narrow view, present in every JavaScript runtime that matters here.
interface HostGlobals {
  console?: { warn(...args: unknown[]): void };
  setTimeout?: (fn: () => void, ms: number) => unknown;
  clearTimeout?: (handle: unknown) => void;
  performance?: { now(): number };
  URL?: new (url: string, base?: string) => { href: string };
  process?: { cwd?: () => string };
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

/** A monotonic clock in milliseconds (`performance.now()`), or `Date.now()` where the host has none. */
export const monotonicNow: () => number = host.performance
  ? () => (host.performance as { now(): number }).now()
  : () => Date.now();

/** `new URL(relative, base).href` (WHATWG URL, present in every runtime core runs in). */
export function resolveUrl(relative: string, base: string): string {
  if (!host.URL) throw new Error('this runtime has no URL class to resolve a relative path with');
  return new host.URL(relative, base).href;
}

/** The host's working folder as a `file:` URL ending in `/` (what relative plugin paths resolve against), if it has one. */
export function workingDirUrl(): string | undefined {
  let cwd: string | undefined;
  try {
    cwd = host.process?.cwd?.();
  } catch {
    return undefined;
  }
  if (typeof cwd !== 'string' || cwd === '') return undefined;
  const posix = cwd.replace(/\\/g, '/');
  // A Windows drive path (C:/app) is not a URL scheme: it becomes file:///C:/app/.
  return resolveUrl(
    `${/^[A-Za-z]:/.test(posix) ? '/' : ''}${posix.replace(/\/?$/, '/')}`.replace(/[?#%]/g, encodeURIComponent),
    'file:///',
  );
}
