/** The oldest Node.js whose `node:sqlite` works without a flag (and has FTS5 and JSON). */
export const MIN_NODE = '22.13.0';

function olderThan(version: string, min: string): boolean {
  const a = version.split('.').map(Number);
  const b = min.split('.').map(Number);
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) < (b[i] ?? 0);
  return false;
}

/** The one sentence shown on a Node.js too old for the server, or `undefined` on a good one. */
export function nodeVersionProblem(version: string = process.versions.node): string | undefined {
  if (!olderThan(version, MIN_NODE)) return undefined;
  return `the Shoplog server needs Node.js ${MIN_NODE} or newer (for the built-in node:sqlite); this is Node.js ${version}.`;
}
