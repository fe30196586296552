import { existsSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * The built file of a store worker thread (`sqlite-index-worker`, `sqlite-read-worker`). dist/index.js, dist/index.cjs
 * and dist/cli.js sit beside dist/<name>.js; the sources (tests run them) use the built worker, so a test of a worker
 * needs a build first.
 */
export function workerFile(name: string): string {
  const here = typeof __filename === 'string' ? __filename : fileURLToPath(import.meta.url);
  const file = fileURLToPath(
    new URL(here.endsWith('.ts') ? `../../dist/${name}.js` : `./${name}.js`, pathToFileURL(here)),
  );
  if (!existsSync(file)) throw new Error(`the worker ${file} is missing: build @shoplog/server first`);
  return file;
}

/**
 * The parent's `execArgv` for a worker that runs the built code: without the `@shoplog/source` condition (tests run
 * the sources with it), its imports of @shoplog/core resolve to core's build, not to TypeScript Node cannot resolve.
 */
export function builtExecArgv(): string[] {
  const out: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--conditions=@shoplog/source' || arg === '-C=@shoplog/source') continue;
    if ((arg === '--conditions' || arg === '-C') && argv[i + 1] === '@shoplog/source') {
      i++;
      continue;
    }
    out.push(arg);
  }
  return out;
}

/**
 * Lowers the calling worker thread's priority by `nice` (Linux, where a priority set with pid 0 is this thread's
 * alone; elsewhere it would be the whole process's: skipped). Lowering one's own priority needs no privilege; if the
 * system refuses, the thread runs at the server's.
 */
export function niceThisThread(nice: number): void {
  if (process.platform !== 'linux' || nice <= 0) return;
  try {
    setPriority(Math.min(19, getPriority() + nice));
  } catch {
    // Kept at the server's priority.
  }
}
