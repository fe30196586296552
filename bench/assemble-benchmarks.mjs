// Rebuilds the report part of BENCHMARKS.md from bench/reports/*.md (the summary table above the marker is kept
// as written): `node bench/assemble-benchmarks.mjs`.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const MARKER = '<!-- Everything below is assembled from bench/reports/*.md by `node bench/assemble-benchmarks.mjs`. -->';
const ORDER = ['core-pipeline', 'sketch', 'fraud', 'transport', 'express', 'server', 'serverfix', 'scaleout', 'dashboard'];

const current = readFileSync(join(root, 'BENCHMARKS.md'), 'utf8');
const at = current.indexOf(MARKER);
if (at < 0) throw new Error(`BENCHMARKS.md has no marker line: ${MARKER}`);
let out = current.slice(0, at + MARKER.length) + '\n\n';
for (const name of ORDER) {
  const text = readFileSync(join(root, 'bench', 'reports', `${name}.md`), 'utf8').trim();
  // One heading level down, so each report sits under this file's title.
  const demoted = text.replace(/^#/gm, '##');
  out += `${demoted}\n\n(Source: [bench/reports/${name}.md](bench/reports/${name}.md).)\n\n`;
}
writeFileSync(join(root, 'BENCHMARKS.md'), out);
