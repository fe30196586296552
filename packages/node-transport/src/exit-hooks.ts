/** What the exit hooks need from an engine. */
interface Closable {
  close(): Promise<void>;
  spoolNow(): void;
}

const engines = new Set<Closable>();
let installed = false;
let closingAll: Promise<void> | undefined;

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

function onSignal(signal: NodeJS.Signals): void {
  void closeAll().then(() => {
    process.removeListener(signal, onSignal);
    // Listening for a signal cancels Node's default exit; restore it when nobody else handles the signal.
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  });
}

/** Registers an engine with the process-wide hooks (installed once); returns the function that unregisters it. */
export function registerExitHooks(engine: Closable): () => void {
  engines.add(engine);
  if (!installed) {
    installed = true;
    process.on('beforeExit', onBeforeExit);
    process.on('exit', onExit);
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  }
  return () => {
    engines.delete(engine);
    if (engines.size === 0 && installed) {
      installed = false;
      process.removeListener('beforeExit', onBeforeExit);
      process.removeListener('exit', onExit);
      process.removeListener('SIGTERM', onSignal);
      process.removeListener('SIGINT', onSignal);
    }
  };
}
