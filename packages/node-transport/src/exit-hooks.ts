import { constants as osConstants } from 'node:os';

/** What the process hooks need from an engine. */
interface Closable {
  /** Sends what is queued now, retrying soon and never spooling early (the process is about to end). */
  drain(): Promise<void>;
  /** Delivers within its grace period, spools the rest, lets go. */
  close(): Promise<void>;
  /** Spools everything synchronously (the `exit` path). */
  spoolNow(): void;
}

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;
type HandledSignal = (typeof SIGNALS)[number];

const engines = new Set<Closable>();
let installed = false;
/** Hooks stay installed without engines (pino's worker transport: the engine lives in the worker). */
let pinned = false;
let closingAll: Promise<void> | undefined;
/** The signal being handled by ending the process, once the engines have had their grace period. */
let ending: HandledSignal | undefined;

function closeAll(): Promise<void> {
  closingAll ??= Promise.allSettled([...engines].map((e) => e.close())).then(() => {
    closingAll = undefined;
  });
  return closingAll;
}

const onBeforeExit = (): void => {
  // The loop is idle: draining here schedules work, and beforeExit fires again once it is done.
  if (engines.size > 0) void closeAll();
};

const onExit = (): void => {
  // Only synchronous work runs now: whatever is left goes to the spool, replayed on the next start.
  for (const e of engines) e.spoolNow();
};

/** Listeners of `signal` that are not ours (signal-exit's own are not the app's: it defers to any other listener). */
function othersListening(signal: HandledSignal): boolean {
  const signalExit = (process as { __signal_exit_emitter__?: { count?: unknown } }).__signal_exit_emitter__;
  const theirs = typeof signalExit?.count === 'number' ? signalExit.count : 0;
  return process.listenerCount(signal) - 1 - theirs > 0;
}

/**
 * SIGTERM / SIGINT. Node's default for them ends the process at once, skipping every exit handler (pino's worker is
 * then killed with the lines it has not sent). Listening cancels that default, so:
 * - when the app listens too, it owns the process's end: only start delivering now, never exit for it;
 * - otherwise give every engine its grace period, then end the process through `process.exit()`, so exit handlers
 *   run (pino ends its worker transport, which delivers in turn), and re-raise the signal from the last of them,
 *   so the process still ends by that signal, as it would have without us. A second signal skips the wait.
 */
function onSignal(received: NodeJS.Signals): void {
  const signal = received as HandledSignal;
  if (ending !== undefined) {
    end(signal);
    return;
  }
  if (othersListening(signal)) {
    for (const e of engines) void e.drain();
    return;
  }
  ending = signal;
  // Retry timers are unref'd: without this the loop could empty mid-grace and the process end without the signal.
  const keepAlive = setInterval(() => undefined, 1000);
  void closeAll().then(() => {
    clearInterval(keepAlive);
    // The app took the signal over meanwhile: it decides when to end.
    if (othersListening(signal)) {
      ending = undefined;
      return;
    }
    end(signal);
  });
}

function end(signal: HandledSignal): void {
  for (const s of SIGNALS) process.removeListener(s, onSignal);
  // Registered now, so it runs after every other exit handler (pino's included).
  process.once('exit', () => process.kill(process.pid, signal));
  process.exit(128 + (osConstants.signals[signal] ?? 0));
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('beforeExit', onBeforeExit);
  process.on('exit', onExit);
  // First in line, so that an app's `once` listener is still counted when we look (see `othersListening`).
  for (const s of SIGNALS) process.prependListener(s, onSignal);
}

function uninstall(): void {
  if (!installed || pinned || engines.size > 0 || ending !== undefined) return;
  process.removeListener('beforeExit', onBeforeExit);
  process.removeListener('exit', onExit);
  for (const s of SIGNALS) process.removeListener(s, onSignal);
}

/** Registers an engine with the process-wide hooks (installed once); returns the function that unregisters it. */
export function registerExitHooks(engine: Closable): () => void {
  engines.add(engine);
  install();
  return () => {
    engines.delete(engine);
    uninstall();
  };
}

/**
 * Installs the signal hooks for good, engines or not: pino's worker transport has its engine in the worker, where
 * signals are never delivered, and is ended (and delivers) by pino's own exit handler.
 */
export function installSignalHooks(): void {
  pinned = true;
  install();
}
