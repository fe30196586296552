// `pnpm bench <name> [args…]` runs bench/<name>.bench.mjs with this Node (24, from the node devDependency).
// Benchmarks import the built packages: run `pnpm build` first (this script does it unless --no-build).
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here)
  .filter((f) => f.endsWith('.bench.mjs'))
  .map((f) => f.slice(0, -'.bench.mjs'.length))
  .sort();
const args = process.argv.slice(2);
const noBuild = args.includes('--no-build');
const [name, ...rest] = args.filter((a) => a !== '--no-build');

if (!name || !available.includes(name)) {
  console.error(`usage: pnpm bench <name> [args…]\navailable: ${available.join(', ') || '(none yet)'}`);
  process.exit(name ? 2 : 0);
}
if (!noBuild) {
  // Under `pnpm run`, npm_execpath is pnpm's own entry script.
  const pnpm = process.env.npm_execpath;
  const build = pnpm
    ? spawnSync(process.execPath, [pnpm, '-s', 'build'], { cwd: join(here, '..'), stdio: 'inherit' })
    : spawnSync('npx', ['-y', 'pnpm@10', '-s', 'build'], { cwd: join(here, '..'), stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}
const run = spawnSync(process.execPath, [join(here, `${name}.bench.mjs`), ...rest], { stdio: 'inherit' });
process.exit(run.status ?? 1);
