import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// Runtime imports (not `import type`) between the server's own modules must not form a cycle: a cycle makes the
// evaluation order decide whether a binding is ready (analytics-routes ↔ fraud-routes was one).
const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../src');

function modules(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? modules(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

function runtimeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const m of text.matchAll(/^(?:import|export)\s+(?!type\s)([^;]*?)\s+from\s+'(\.[^']+)'/gms)) {
    // `import { type A, type B } from` is erased too.
    const names = m[1] ?? '';
    if (
      /^\{[^}]*\}$/s.test(names.trim()) &&
      names
        .replace(/[{}\s]/g, '')
        .split(',')
        .filter(Boolean)
        .every((n) => n.startsWith('type'))
    )
      continue;
    found.push(resolve(dirname(file), (m[2] ?? '').replace(/\.js$/, '.ts')));
  }
  return found;
}

function cycles(files: string[]): string[][] {
  const graph = new Map(files.map((f) => [f, runtimeImports(f)]));
  const out: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const walk = (file: string, path: string[]): void => {
    if (state.get(file) === 'done') return;
    if (state.get(file) === 'open') {
      out.push([...path.slice(path.indexOf(file)), file].map((f) => f.slice(SRC.length + 1)));
      return;
    }
    state.set(file, 'open');
    for (const next of graph.get(file) ?? []) walk(next, [...path, file]);
    state.set(file, 'done');
  };
  for (const file of files) walk(file, []);
  return out;
}

describe('server module graph', () => {
  it('finds a cycle when there is one (the check can fail)', () => {
    const a = join(SRC, 'http', 'analytics-routes.ts');
    expect(runtimeImports(a)).not.toContain(join(SRC, 'http', 'fraud-routes.ts'));
    expect(runtimeImports(join(SRC, 'http', 'fraud-routes.ts'))).toContain(join(SRC, 'http', 'query-params.ts'));
  });

  it('has no runtime import cycle in http/', () => {
    expect(cycles(modules(join(SRC, 'http')))).toEqual([]);
  });
});
