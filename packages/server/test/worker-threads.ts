import { readdirSync, readFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

/** The OS names of this process's threads (Linux: a worker thread is named after its `name`, cut to 15 characters). */
export function threadNames(): string[] {
  const out: string[] = [];
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      out.push(readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim());
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return out;
}

/**
 * Runs `expression` in every worker thread of this process whose name starts with `prefix`, through the inspector
 * (as a debugger would: the workers run their own code unchanged), without waiting for it. A worker busy with a task
 * runs it after that task, before messages posted to it later. Resolves with the number of workers reached.
 */
export async function evaluateInWorkers(prefix: string, expression: string): Promise<number> {
  const session = new Session();
  session.connect();
  const targets: string[] = [];
  session.on('NodeWorker.attachedToWorker', ({ params }) => {
    if (params.workerInfo.title.includes(prefix)) targets.push(params.sessionId);
  });
  // Attaching reports every live worker before the call resolves.
  await session.post('NodeWorker.enable', { waitForDebuggerOnStart: false });
  for (const sessionId of targets) {
    const message = JSON.stringify({ id: 1, method: 'Runtime.evaluate', params: { expression } });
    await session.post('NodeWorker.sendMessageToWorker', { sessionId, message });
  }
  session.disconnect();
  return targets.length;
}

/** An expression that holds a worker's thread (as a long query does) until the file `flag` exists. */
export const holdUntil = (flag: string): string =>
  `{ const fs = process.getBuiltinModule('node:fs'); const cell = new Int32Array(new SharedArrayBuffer(4)); ` +
  `while (!fs.existsSync(${JSON.stringify(flag)})) Atomics.wait(cell, 0, 0, 5); }`;
